"""Port of pytest's ``testing/test_nodes.py`` (pytest-dev/pytest), the cases about items.

pytest's items are zenrun's pipeline items (``zenrun.collect.Item``), got as
pytester's ``getitems`` gets them: ``zenrunner.getitems(source)`` collects a
pipeline module in this process. Test sources are written as pytest writes
them and turned into pipeline modules by ``porting.pipelines``.

Not applicable: ``test_node_from_parent_disallowed_arguments``,
``test_node_direct_construction_deprecated``,
``test_subclassing_both_item_and_collector_deprecated`` (pytest's node class
hierarchy, ``from_parent`` and custom ``Item`` / ``Collector`` subclasses: zenrun
has one item class and no collector nodes), ``TestNormSep`` (6) and
``test__check_initialpaths_for_relpath`` (private helpers of ``_pytest.nodes``).
"""

from __future__ import annotations

import warnings

import pytest
from porting import pipelines

import zenrun


@pytest.mark.parametrize(
    "warn_type, msg", [(DeprecationWarning, "deprecated"), (zenrun.ZenrunWarning, "zenrun")]
)
def test_node_warn_is_no_longer_only_pytest_warnings(zenrunner, warn_type: type[Warning], msg: str) -> None:
    items = zenrunner.getitems(
        pipelines(
            """
        def test():
            pass
    """
        )
    )
    with pytest.warns(warn_type, match=msg):
        items[0].warn(warn_type(msg))


def test_node_warn_points_at_the_pipeline(zenrunner) -> None:
    """zenrun's: the warning's location is the pipeline's definition, its decorators
    included (the first line of its code, as pytest's ``warn_explicit`` at the item's
    location)."""
    p = zenrunner.makepyfile(pipelines("def test():\n    pass\n"))
    [item] = zenrunner.getitems(p)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        item.warn(UserWarning("here"))
    [warning] = record
    assert warning.filename == str(p)
    assert p.read_text().splitlines()[warning.lineno - 1 : warning.lineno + 1] == ["@pipeline", "def test():"]


def test_node_warning_enforces_warning_types(zenrunner) -> None:
    items = zenrunner.getitems(
        pipelines(
            """
        def test():
            pass
    """
        )
    )
    with pytest.raises(ValueError, match="warning must be an instance of Warning or subclass"):
        items[0].warn(Exception("ok"))  # type: ignore[arg-type]


def test_failure_with_changed_cwd(zenrunner) -> None:
    """
    Test failure lines should use absolute paths if cwd has changed since
    invocation, so the path is correct (#6428).
    """
    p = zenrunner.makepyfile(
        pipelines(
            """
        import os
        import pytest

        @pytest.fixture
        def private_dir():
            out_dir = 'ddd'
            os.mkdir(out_dir)
            old_dir = os.getcwd()
            os.chdir(out_dir)
            yield out_dir
            os.chdir(old_dir)

        def test_show_wrong_path(private_dir):
            assert False
    """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines([str(p) + ":*: AssertionError", "*1 failed in *"])
