"""Port of pytest's ``testing/test_warning_types.py`` (pytest-dev/pytest): zenrun's
warning classes (``zenrun.errors``, exported by ``zenrun``) show as ``zenrun.Name``, not
as the module that defines them, in the output and in a ``-W`` filter.

The warning is given in a step (a pipeline's work runs in steps); its failure shows the
same ``E`` line as pytest's. zenrun's: each class is exported by ``zenrun``. Not applicable:
``test_warn_explicit_for_annotates_errors_with_location`` (pytest's private
``warn_explicit_for`` helper).
"""

from __future__ import annotations

import inspect

import pytest

import zenrun
from zenrun import errors


@pytest.mark.parametrize(
    "warning_class",
    [w for n, w in vars(errors).items() if inspect.isclass(w) and issubclass(w, Warning)],
)
def test_warning_types(warning_class: type[Warning]) -> None:
    """Make sure all warnings declared in zenrun.errors are displayed as coming from
    'zenrun' instead of the internal module (pytest #5452)."""
    assert warning_class.__module__ == "zenrun"
    assert getattr(zenrun, warning_class.__name__) is warning_class


def test_zenrun_warnings_repr_integration_test(zenrunner) -> None:
    """Small integration test to ensure our small hack of setting the __module__ attribute
    of our warnings actually works (pytest #5452)."""
    zenrunner.makepyfile(
        """
        import zenrun
        import warnings
        from zenrun import pipeline, step

        @step
        def warn():
            warnings.warn(zenrun.ZenrunWarning("some warning"))

        @pipeline
        def test():
            warn()
    """
    )
    result = zenrunner.runzenrun_inprocess("-W", "error::zenrun.ZenrunWarning", "-p", "no:results")
    result.stdout.fnmatch_lines(["E       zenrun.ZenrunWarning: some warning"])
    result.assert_outcomes(failed=1)
