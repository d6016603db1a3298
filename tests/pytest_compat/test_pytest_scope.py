"""Port of pytest's ``testing/test_scope.py`` (pytest-dev/pytest).

pytest's cases are unit tests of its private ``Scope`` enum; zenrun's fixture
scopes are names (``session`` > ``module`` > ``pipeline``, with pytest's
``package``, ``class`` and ``function`` accepted and ranked between them), so the
cases are ported through what the scopes decide: which fixture may request which
(``test_ordering``: a fixture may not request a narrower one) and the error of a
scope name zenrun does not know (``test_from_user``: in ``@zenrun.fixture`` and
``parametrize(scope=...)``).

Not applicable: ``test_next_lower``, ``test_next_higher`` (the private enum's
navigation helpers).
"""

from __future__ import annotations

import pytest
from porting import pipelines

ORDER = ["session", "package", "module", "class", "function"]


def _chain(requester: str, requested: str) -> str:
    """A pipeline whose fixture of scope ``requester`` requests one of scope ``requested``."""
    return pipelines(
        f"""
import pytest

@pytest.fixture(scope={requested!r})
def inner():
    return 1

@pytest.fixture(scope={requester!r})
def outer(inner):
    return inner

def test_it(outer):
    assert outer == 1
"""
    )


@pytest.mark.parametrize("wider, narrower", list(zip(ORDER, ORDER[1:], strict=False)))
def test_ordering(zenrunner, wider: str, narrower: str) -> None:
    """pytest: ``Scope.Session > Scope.Package > Scope.Module > Scope.Class > Scope.Function``."""
    zenrunner.makepyfile(_chain(wider, narrower))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(errors=1)
    shown = "pipeline" if narrower == "function" else narrower  # zenrun's name of the scope
    result.stdout.fnmatch_lines([f"*ScopeMismatch*{shown} scoped fixture inner with a {wider} scoped*"])
    # the other way round: a narrower fixture may request a wider one
    zenrunner.makepyfile(_chain(narrower, wider))
    zenrunner.runzenrun_inprocess("-p", "no:results").assert_outcomes(passed=1)


def test_from_user_fixture(zenrunner) -> None:
    """pytest's ``test_from_user``: ``Fixture 'name' from where got an unexpected scope
    value 'foo'``."""
    zenrunner.makepyfile(
        pipelines(
            """
import pytest

@pytest.fixture(scope="foo")
def badscope():
    pass

def test_nothing(badscope):
    pass
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*Fixture 'badscope' from *got an unexpected scope value 'foo'*"])


def test_from_user_parametrize(zenrunner) -> None:
    """pytest's ``test_from_user`` for ``parametrize``: ``parametrize() call in ... got an
    unexpected scope value 'foo'``."""
    zenrunner.makepyfile(
        pipelines(
            """
import pytest

@pytest.mark.parametrize("x", [1], scope="foo")
def test_nothing(x):
    pass
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*parametrize() call in test_nothing got an unexpected scope value 'foo'*"])
