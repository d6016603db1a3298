"""Port of pytest's ``testing/python/collect.py`` (pytest-dev/pytest): the cases on a direct
parametrization overriding fixtures of the same name (``TestFunction``). The rest of that module
(``Module`` / ``Class`` / ``Function`` node objects, ``pytest_pycollect_makeitem``) is listed in
README.md."""

from __future__ import annotations

PRE = """
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "") -> None:
    assert ok, message
"""


def test_parametrize_overrides_fixture(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def value():
    return 'value'

@zenrun.mark.parametrize('value', ['overridden'])
@pipeline
def test_overridden_via_param(value):
    check(value == 'overridden')

@zenrun.mark.parametrize('somevalue', ['overridden'])
@pipeline
def test_not_overridden(value, somevalue):
    check(value == 'value')
    check(somevalue == 'overridden')

@zenrun.mark.parametrize('other,value', [('foo', 'overridden')])
@pipeline
def test_overridden_via_multiparam(other, value):
    check(other == 'foo')
    check(value == 'overridden')
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=3)


def test_parametrize_overrides_parametrized_fixture(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture(params=[1, 2])
def value(request):
    return request.param

@zenrun.mark.parametrize('value', ['overridden'])
@pipeline
def test_overridden_via_param(value):
    check(value == 'overridden')
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_parametrize_overrides_parametrized_fixture_with_unrelated_indirect(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture(params=["a", "b"])
def target(request):
    return request.param

@zenrun.fixture
def val(request):
    return int(request.param)

@zenrun.mark.parametrize(["val", "target"], [("1", 1), ("2", 2)], indirect=["val"])
@pipeline
def test(val, target):
    check(val == target)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.assert_outcomes(passed=2)


def test_parametrize_overrides_indirect_dependency_fixture(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
fix3_instantiated = False

@zenrun.fixture
def fix1(fix2):
    return fix2 + '1'

@zenrun.fixture
def fix2(fix3):
    return fix3 + '2'

@zenrun.fixture
def fix3():
    global fix3_instantiated
    fix3_instantiated = True
    return '3'

@zenrun.mark.parametrize('fix2', ['2'])
@pipeline
def test_it(fix1):
    check(fix1 == '21')
    check(not fix3_instantiated)
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_parametrize_overrides_fixture_only_another_fixture_requests(zenrunner) -> None:
    # The layout: a conftest fixture asks for a name a pipeline parametrizes, over a
    # fixture of that name, with its parameters (which must not multiply the items).
    zenrunner.makeconftest(
        """
import zenrun

@zenrun.fixture(params=["from-fixture-1", "from-fixture-2"])
def model(request):
    return request.param

@zenrun.fixture
def train_config(model, level):
    return f"{model}-{level}"
"""
    )
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.parametrize("level", [1, 2, 3])
@zenrun.mark.parametrize("model", ["rf", "logreg"])
@pipeline
def test_train(train_config, model, level):
    check(train_config == f"{model}-{level}", train_config)
    check(model in ("rf", "logreg"))
"""
    )
    result = zenrunner.runzenrun_inprocess("-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*test_train[[]rf-1[]] PASSED*"])
