"""Port of pytest's ``testing/python/fixtures.py`` (pytest-dev/pytest), the whole file.

Lookup, overriding and extending fixtures across conftests, modules and
plugins; the request object; autouse; scopes, parameters and the order of
items, setups and teardowns; ``--fixtures``; errors. pytest's example
scripts (``copy_example``) are written inline; cases about test classes,
xunit setup functions and pytest internals are listed in README.md.
"""

from __future__ import annotations

import json

import pytest

PRE = """
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "") -> None:
    assert ok, message
"""


class TestFillFixtures:
    def test_funcarg_lookupfails(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def xyzsomething(request):
    return 42

@pipeline
def test_func(some):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret != 0
        result.stdout.fnmatch_lines(["*def test_func(some)*", "*fixture*some*not found*", "*xyzsomething*"])

    def test_detect_recursive_dependency_error(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def fix1(fix2):
    return 1

@zenrun.fixture
def fix2(fix1):
    return 1

@pipeline
def test(fix1):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*recursive*dependency*fix1*"])

    def test_funcarg_basic(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def some(request):
    return request.function.__name__

@zenrun.fixture
def other(request):
    return 42

@pipeline
def test_func(some, other):
    check(some == "test_func" and other == 42, repr((some, other)))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_funcarg_lookup_modulelevel(self, zenrunner) -> None:
        """Without pytest's class part: two module-level pipelines."""
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def something(request):
    return request.function.__name__

@pipeline
def test_method(something):
    check(something == "test_method")

@pipeline
def test_func(something):
    check(something == "test_func")
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_conftest_funcargs_only_available_in_subdir(self, zenrunner) -> None:
        for sub, mine, other in (("sub1", "arg1", "arg2"), ("sub2", "arg2", "arg1")):
            zenrunner.makeconftest(
                f"""
import zenrun

@zenrun.fixture
def {mine}(request):
    try:
        request.getfixturevalue("{other}")
    except LookupError:
        return "ok"
    return "visible"
""",
                directory=sub,
            )
            zenrunner.makepyfile(
                **{
                    f"{sub}/pipeline_in_{sub}": PRE
                    + f"""
@pipeline
def test_{sub}({mine}):
    check({mine} == "ok", {mine})
"""
                }
            )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=2)

    def test_extend_fixture_conftest_module(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def spam():
    return 'spam'
""")
        path = zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def spam(spam):
    return spam * 2

@pipeline
def test_spam(spam):
    check(spam == 'spamspam', spam)
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*1 passed*"])
        zenrunner.runzenrun_inprocess(path.name).stdout.fnmatch_lines(["*1 passed*"])

    def test_extend_fixture_conftest_conftest(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def spam():
    return 'spam'
""")
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def spam(spam):
    return spam * 2
""",
            directory="pkg",
        )
        path = zenrunner.makepyfile(
            **{
                "pkg/pipeline_spam": PRE
                + """
@pipeline
def test_spam(spam):
    check(spam == 'spamspam', spam)
"""
            }
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*1 passed*"])
        zenrunner.runzenrun_inprocess(str(path)).stdout.fnmatch_lines(["*1 passed*"])

    def test_extend_fixture_conftest_plugin(self, zenrunner) -> None:
        zenrunner.makepyfile(
            testplugin="""
import zenrun

@zenrun.fixture
def foo():
    return 7
"""
        )
        zenrunner.makeconftest("""
import zenrun

zenrun_plugins = ['testplugin']

@zenrun.fixture
def foo(foo):
    return foo + 7
""")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_foo(foo):
    check(foo == 14, str(foo))
"""
        )
        assert zenrunner.runzenrun_inprocess("-s").ret == 0

    def test_override_parametrized_fixture_conftest_module(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(params=[1, 2, 3])
def spam(request):
    return request.param
""")
        path = zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def spam():
    return 'spam'

@pipeline
def test_spam(spam):
    check(spam == 'spam')
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*1 passed*"])
        zenrunner.runzenrun_inprocess(path.name).stdout.fnmatch_lines(["*1 passed*"])

    def test_override_parametrized_fixture_conftest_conftest(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(params=[1, 2, 3])
def spam(request):
    return request.param
""")
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def spam():
    return 'spam'
""",
            directory="subdir",
        )
        path = zenrunner.makepyfile(
            **{
                "subdir/pipeline_spam": PRE
                + """
@pipeline
def test_spam(spam):
    check(spam == "spam")
"""
            }
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*1 passed*"])
        zenrunner.runzenrun_inprocess(str(path)).stdout.fnmatch_lines(["*1 passed*"])

    def test_override_non_parametrized_fixture_conftest_module(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def spam():
    return 'spam'
""")
        path = zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(params=[1, 2, 3])
def spam(request):
    return request.param

params = {'spam': 1}

@pipeline
def test_spam(spam):
    check(spam == params['spam'])
    params['spam'] += 1
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*3 passed*"])
        zenrunner.runzenrun_inprocess(path.name).stdout.fnmatch_lines(["*3 passed*"])

    @pytest.mark.parametrize(
        "autouse",
        [False, True],
        ids=[
            "test_override_non_parametrized_fixture_conftest_conftest",
            "test_override_autouse_fixture_with_parametrized_fixture_conftest_conftest",
        ],
    )
    def test_override_with_parametrized_fixture_conftest_conftest(self, zenrunner, autouse) -> None:
        zenrunner.makeconftest(f"""
import zenrun

@zenrun.fixture(autouse={autouse})
def spam():
    return 'spam'
""")
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture(params=[1, 2, 3])
def spam(request):
    return request.param
""",
            directory="subdir",
        )
        path = zenrunner.makepyfile(
            **{
                "subdir/pipeline_spam": PRE
                + """
params = {'spam': 1}

@pipeline
def test_spam(spam):
    check(spam == params['spam'])
    params['spam'] += 1
"""
            }
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*3 passed*"])
        zenrunner.runzenrun_inprocess(str(path)).stdout.fnmatch_lines(["*3 passed*"])

    def test_override_fixture_reusing_super_fixture_parametrization(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(params=[1, 2])
def foo(request):
    return request.param
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def foo(foo):
    return foo * 2

@pipeline
def test_spam(foo):
    check(foo in (2, 4))
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*2 passed*"])

    def test_override_parametrize_fixture_and_indirect(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(params=[1, 2])
def foo(request):
    return request.param
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def foo(foo):
    return foo * 2

@zenrun.fixture
def bar(request):
    return request.param * 100

@zenrun.mark.parametrize("bar", [42], indirect=True)
@pipeline
def test_spam(bar, foo):
    check(bar == 4200 and foo in (2, 4))
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*2 passed*"])

    def test_override_parametrized_fixture_with_new_parametrized_fixture(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(params=['ignored', 'ignored'])
def foo(request):
    return request.param
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(params=[10, 20])
def foo(foo, request):
    assert request.param == foo
    return foo * 2

@pipeline
def test_spam(foo):
    check(foo in (20, 40))
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*2 passed*"])

    def test_autouse_fixture_plugin(self, zenrunner) -> None:
        zenrunner.makepyfile(
            testplugin="""
import zenrun

@zenrun.fixture(autouse=True)
def foo(request):
    request.function.foo = 7
"""
        )
        zenrunner.makeconftest("zenrun_plugins = ['testplugin']")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_foo(request):
    check(request.function.foo == 7)
"""
        )
        assert zenrunner.runzenrun_inprocess().ret == 0

    def test_funcarg_lookup_error(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def a_fixture(): pass

@zenrun.fixture
def b_fixture(): pass

@zenrun.fixture
def c_fixture(): pass

@zenrun.fixture
def d_fixture(): pass
""")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_lookup_error(unknown):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*ERROR at setup of test_lookup_error*",
                "  def test_lookup_error(unknown):*",
                "E       fixture 'unknown' not found",
                ">       available fixtures:*a_fixture,*b_fixture,*c_fixture,*d_fixture*",
                ">       use 'zenrun --fixtures *' for help on them.",
                "*1 error*",
            ]
        )
        result.stdout.no_fnmatch_line("*INTERNAL*")

    def test_fixture_excinfo_leak(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
import sys

@zenrun.fixture
def leak():
    assert sys.exc_info() == (None, None, None)

@pipeline
def test_leak(leak):
    check(sys.exc_info() == (None, None, None))
"""
        )
        assert zenrunner.runzenrun_inprocess().ret == 0


class TestRequestBasic:
    def test_request_attributes(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def something(request):
    return request

@pipeline
def test_func(something):
    req = something
    check(req.function is test_func.fn and req.keywords["test_func"]
          and hasattr(req.module, "test_func") and req.cls is None
          and req.function.__name__ == "test_func" and req.config is not None
          and repr(req).find(req.function.__name__) != -1, repr(req))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_getfixturevalue_recursive(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def something(request):
    return 1
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def something(request):
    return request.getfixturevalue("something") + 1

@pipeline
def test_func(something):
    check(something == 2)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_getfixturevalue_teardown(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='session')
def resource():
    r = ['value']
    yield r
    r.pop()

@zenrun.fixture(scope='session')
def inner(request):
    resource = request.getfixturevalue('resource')
    assert resource == ['value']
    yield
    assert resource == ['value']

@pipeline
def test_inner(inner):
    check(True)

@pipeline
def test_func(resource):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["* 2 passed in *"])
        result.stdout.no_fnmatch_line("*error*")

    def test_getfixturevalue(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def something(request):
    return 1

values = [2]

@zenrun.fixture
def other(request):
    return values.pop()

@pipeline
def test_func(something, request):
    try:
        request.getfixturevalue("notexists")
        missing = False
    except LookupError:
        missing = True
    got = [request.getfixturevalue("something"), request.getfixturevalue("something"),
           request.getfixturevalue("other"), request.getfixturevalue("other")]
    check(missing and got == [1, 1, 2, 2] and something == 1, repr(got))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_request_addfinalizer(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
teardownlist = []

@zenrun.fixture
def something(request):
    request.addfinalizer(lambda: teardownlist.append(1))

@pipeline
def test_func(something):
    check(not teardownlist)

@pipeline
def test_after():
    check(teardownlist == [1], repr(teardownlist))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_request_addfinalizer_failing_setup(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = [1]

@zenrun.fixture
def myfix(request):
    request.addfinalizer(values.pop)
    assert 0

@pipeline
def test_fix(myfix):
    check(True)

@pipeline
def test_finalizer_ran():
    check(not values)
"""
        )
        # pytest's inline_run counts the setup error of test_fix as "failed"
        zenrunner.runzenrun_inprocess("-s").assert_outcomes(errors=1, passed=1)

    def test_request_addfinalizer_partial_setup_failure(self, zenrunner) -> None:
        path = zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture
def something(request):
    request.addfinalizer(lambda: values.append(None))

@pipeline
def test_func(something, missingarg):
    check(True)

@pipeline
def test_second():
    check(len(values) == 1)
"""
        )
        zenrunner.runzenrun_inprocess(path.name).stdout.fnmatch_lines(["*1 error*"])

    def test_request_subrequest_addfinalizer_exceptions(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

def _excepts(where):
    raise Exception('Error in %s fixture' % where)

@zenrun.fixture
def subrequest(request):
    return request

@zenrun.fixture
def something(subrequest):
    subrequest.addfinalizer(lambda: values.append(1))
    subrequest.addfinalizer(lambda: values.append(2))
    subrequest.addfinalizer(lambda: _excepts('something'))

@zenrun.fixture
def excepts(subrequest):
    subrequest.addfinalizer(lambda: _excepts('excepts'))
    subrequest.addfinalizer(lambda: values.append(3))

@pipeline
def test_first(something, excepts):
    check(True)

@pipeline
def test_second():
    check(values == [3, 2, 1], repr(values))
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*Error in something fixture*", "*Error in excepts fixture*"])
        result.assert_outcomes(passed=2, errors=1)

    def test_request_getmodulepath(self, zenrunner) -> None:
        path = zenrunner.makepyfile(
            PRE
            + """
from pathlib import Path

@pipeline
def test_somefunc(request):
    check(request.path == Path(__file__).resolve())
"""
        )
        zenrunner.runzenrun_inprocess(path.name).assert_outcomes(passed=1)

    def test_request_fixturenames(self, zenrunner) -> None:
        """Without pytest's built-in ``tmp_path`` fixtures."""
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture()
def arg1():
    pass

@zenrun.fixture()
def farg(arg1):
    pass

@zenrun.fixture(autouse=True)
def sarg():
    pass

@pipeline
def test_function(request, farg):
    check(set(request.fixturenames) == {"sarg", "arg1", "request", "farg"},
          repr(request.fixturenames))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_fixtures_sub_subdir_normalize_sep(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def arg1():
    pass
""",
            directory="tests/unit",
        )
        path = zenrunner.makepyfile(
            **{
                "tests/unit/pipeline_module": PRE
                + """
@pipeline
def test_func(arg1):
    check(True)
"""
            }
        )
        result = zenrunner.runzenrun_inprocess(str(path), "--fixtures")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*fixtures defined*conftest*", "*arg1*"])

    def test_newstyle_with_request(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture()
def arg(request):
    pass

@pipeline
def test_1(arg):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_setupcontext_no_param(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(params=[1,2])
def arg(request):
    return request.param

@zenrun.fixture(autouse=True)
def mysetup(request, arg):
    assert not hasattr(request, "param")

@pipeline
def test_1(arg):
    check(arg in (1,2))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)


class TestRequestSessionScoped:
    @pytest.mark.parametrize("name", ["path", "module"])
    def test_session_scoped_unavailable_attributes(self, zenrunner, name) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.fixture(scope="session")
def session_request(request):
    return request

@pipeline
def test_it(session_request):
    try:
        getattr(session_request, {name!r})
        message = "available"
    except AttributeError as exc:
        message = str(exc)
    check(message == "{name} not available in session-scoped context", message)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


class TestRequestMarking:
    def test_applymarker(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def something(request):
    before = "xfail" not in request.node.keywords
    request.applymarker(zenrun.mark.xfail)
    after = "xfail" in request.node.keywords and "skipif" not in request.node.keywords
    request.applymarker(zenrun.mark.skipif)
    try:
        request.applymarker(42)
        rejected = False
    except ValueError:
        rejected = True
    return before and after and "skipif" in request.node.keywords and rejected

@pipeline
def test_func1(something):
    check(something)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 0, result.stdout

    def test_accesskeywords(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture()
def keywords(request):
    return request.keywords

@zenrun.mark.XYZ
@pipeline
def test_function(keywords):
    check(bool(keywords["XYZ"]) and "abc" not in keywords)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_accessmarker_dynamic(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture()
def keywords(request):
    return request.keywords

@zenrun.fixture(scope="class", autouse=True)
def marking(request):
    request.applymarker(zenrun.mark.XYZ("hello"))
""")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_fun1(keywords):
    check(keywords["XYZ"] is not None and "abc" not in keywords)

@pipeline
def test_fun2(keywords):
    check(keywords["XYZ"] is not None and "abc" not in keywords)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)


class TestFixtureUsages:
    def test_noargfixturedec(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def arg1():
    return 1

@pipeline
def test_func(arg1):
    check(arg1 == 1)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_receives_funcargs(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture()
def arg1():
    return 1

@zenrun.fixture()
def arg2(arg1):
    return arg1 + 1

@pipeline
def test_add(arg2):
    check(arg2 == 2)

@pipeline
def test_all(arg1, arg2):
    check(arg1 == 1 and arg2 == 2)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    @pytest.mark.parametrize(
        "args",
        ["arg2", "arg1, arg2"],
        ids=["test_receives_funcargs_scope_mismatch", "test_receives_funcargs_scope_mismatch_issue660"],
    )
    def test_receives_funcargs_scope_mismatch(self, zenrunner, args) -> None:
        zenrunner.makepyfile(
            pipeline_mismatch=f"""import zenrun
@zenrun.fixture(scope="function")
def arg1():
    return 1

@zenrun.fixture(scope="module")
def arg2(arg1):
    return arg1 + 1

from zenrun import pipeline

@pipeline
def test_add({args}):
    pass
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*ScopeMismatch*Requesting fixture stack*",
                "pipeline_mismatch.py:6:  def arg2(arg1)",
                "Requested fixture:",
                "pipeline_mismatch.py:2:  def arg1()",
                "*1 error*",
            ]
        )

    def test_invalid_scope(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_scope=PRE
            + """
@zenrun.fixture(scope="functions")
def badscope():
    pass

@pipeline
def test_nothing(badscope):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            ["*Fixture 'badscope' from pipeline_scope.py got an unexpected scope value 'functions'*"]
        )

    @pytest.mark.parametrize("scope", ["function", "session"])
    def test_parameters_without_eq_semantics(self, zenrunner, scope) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
class NoEq1:
    def __eq__(self, _):
        raise RuntimeError

class NoEq2:
    def __eq__(self, _):
        class NoBool:
            def __bool__(self):
                raise RuntimeError
        return NoBool()

@zenrun.fixture(params=[NoEq1(), NoEq2()], scope={scope!r})
def no_eq(request):
    return request.param

@pipeline
def test1(no_eq):
    check(True)

@pipeline
def test2(no_eq):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*4 passed*"])

    def test_funcarg_parametrized_and_used_twice(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(params=[1,2])
def arg1(request):
    values.append(1)
    return request.param

@zenrun.fixture()
def arg2(arg1):
    return arg1 + 1

@pipeline
def test_add(arg1, arg2):
    check(arg2 == arg1 + 1 and len(values) == arg1)
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*2 passed*"])

    def test_factory_uses_unknown_funcarg_as_dependency_error(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture()
def fail(missing):
    return

@zenrun.fixture()
def call_fail(fail):
    return

@pipeline
def test_missing(call_fail):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*def test_missing(call_fail):",
                "*def call_fail(fail):",
                "*def fail(missing):",
                "*fixture*'missing'*not found*",
            ]
        )
        result.assert_outcomes(errors=1)

    def test_factory_setup_as_classes_fails(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
class arg1(object):
    def __init__(self, request):
        self.x = 1
arg1 = zenrun.fixture()(arg1)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*ERROR collecting*"])

    def test_usefixtures_marker(self, zenrunner) -> None:
        """pytest marks a class; zenrun's equivalent is the module mark."""
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(scope="class")
def myfix(request):
    request.module.hello = "world"
    values.append(1)

zenrunmark = zenrun.mark.usefixtures("myfix")

@pipeline
def test_one():
    check(hello == "world" and len(values) == 1)

@pipeline
def test_two():
    check(hello == "world" and len(values) == 1)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_empty_usefixtures_marker(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_empty_use=PRE
            + """
@zenrun.mark.usefixtures()
@pipeline
def test_one():
    check(1 == 1)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "  pipeline_empty_use.py:*: ZenrunWarning: usefixtures() in pipeline_empty_use.py::test_one "
                "without arguments has no effect"
            ]
        )

    def test_usefixtures_ini(self, zenrunner) -> None:
        zenrunner.maketoml('usefixtures = ["myfix"]\n')
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope="class")
def myfix(request):
    request.module.hello = "world"
""")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_one():
    check(hello == "world")

@pipeline
def test_two():
    check(hello == "world")
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_usefixtures_seen_in_showmarkers(self, zenrunner) -> None:
        result = zenrunner.runzenrun_inprocess("--markers")
        result.stdout.fnmatch_lines(["*usefixtures(fixturename1*fixtures*"])

    def test_fixture_parametrized_with_iterator(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

def f():
    yield 1
    yield 2

dec = zenrun.fixture(scope="module", params=f())

@dec
def arg(request):
    return request.param

@dec
def arg2(request):
    return request.param

@pipeline
def test_1(arg):
    values.append(arg)
    check(True)

@pipeline
def test_2(arg2):
    values.append(arg2 * 10)
    check(True)

@pipeline
def test_3():
    check(values == [1, 2, 10, 20], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=5)

    def test_parameterized_fixture_caching(self, zenrunner) -> None:
        """pytest checks the count in ``teardown_module``; here a last pipeline does."""
        zenrunner.makepyfile(
            PRE
            + """
from itertools import count

CACHE_MISSES = count(0)

def zenrun_generate_tests(metafunc):
    if "my_fixture" in metafunc.fixturenames:
        metafunc.parametrize("my_fixture", [[1], [2]], indirect=True)

@zenrun.fixture(scope='session')
def my_fixture(request):
    next(CACHE_MISSES)

@pipeline
def test1(my_fixture):
    check(True)

@pipeline
def test2(my_fixture):
    check(True)

@pipeline
def test_zlast():
    check(next(CACHE_MISSES) == 2)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.no_fnmatch_line("* ERROR at teardown *")
        result.assert_outcomes(passed=5)

    def test_fixture_wrapped_looks_liked_wrapped_function(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def fixture_function_def_test_func():
    return 9
fixture_function_def_test_func.__doc__ = "documentation"

@pipeline
def test_fixture_has_same_doc():
    check(fixture_function_def_test_func.__doc__ == "documentation")
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


class TestFixtureManagerParseFactories:
    def test_parsefactories_evil_objects_issue214(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
class A(object):
    def __call__(self):
        pass
    def __getattr__(self, name):
        raise RuntimeError()
a = A()

@pipeline
def test_hello():
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1, failed=0)

    def test_parsefactories_relative_node_ids(self, zenrunner) -> None:
        (zenrunner.path / "runner").mkdir()
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def one():
    return 1
""",
            directory="package",
        )
        zenrunner.makepyfile(
            **{
                "package/pipeline_x": PRE
                + """
@pipeline
def test_x(one):
    check(one == 1)
"""
            }
        )
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def one():
    return 2
""",
            directory="package/sub",
        )
        zenrunner.makepyfile(
            **{
                "package/sub/pipeline_y": PRE
                + """
@pipeline
def test_x(one):
    check(one == 2)
"""
            }
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)
        zenrunner.runzenrun_inprocess("..", cwd=zenrunner.path / "runner").assert_outcomes(passed=2)

    def test_package_fixture_complex(self, zenrunner) -> None:
        """``scope="package"`` is zenrun's session scope (one package here)."""
        zenrunner.makeconftest(
            """
import zenrun

values = []

@zenrun.fixture(scope="package")
def one():
    values.append("package")
    yield values
    values.pop()

@zenrun.fixture(scope="package", autouse=True)
def two():
    values.append("package-auto")
    yield values
    values.pop()
""",
            directory="package",
        )
        zenrunner.makepyfile(
            **{
                "package/pipeline_x": PRE
                + """
from conftest import values

@pipeline
def test_package_autouse():
    check(values == ["package-auto"], repr(values))

@pipeline
def test_package(one):
    check(values == ["package-auto", "package"], repr(values))
"""
            }
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)


class TestAutouseDiscovery:
    def test_callables_nocode(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
class _call(tuple):
    def __call__(self, *k, **kw):
        pass
    def __getattr__(self, k):
        return self

call = _call()
"""
        )
        result = zenrunner.runzenrun_inprocess("-s")
        assert result.ret == 5, result.stdout  # nothing collected, no error
        result.stdout.no_fnmatch_line("*error*")

    def test_autouse_in_conftests(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture(autouse=True)
def hello():
    xxx
""",
            directory="a",
        )
        zenrunner.makepyfile(
            **{
                "a/pipeline_something": PRE
                + """
@pipeline
def test_func():
    check(True)
""",
                "a1/pipeline_otherthing": PRE
                + """
@pipeline
def test_func():
    check(True)
""",
            }
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*1 passed*1 error*"])


class TestAutouseManagement:
    def test_autouse_conftest_mid_directory(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture(autouse=True)
def app():
    import sys
    sys._myapp = "hello"
""",
            directory="xyz123",
        )
        zenrunner.makepyfile(
            **{
                "xyz123/tests/pipeline_app": PRE
                + """
import sys

@pipeline
def test_app():
    check(sys._myapp == "hello")
"""
            }
        )
        zenrunner.runzenrun_inprocess("-s").assert_outcomes(passed=1)

    def test_funcarg_and_setup(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(scope="module")
def arg():
    values.append(1)
    return 0

@zenrun.fixture(scope="module", autouse=True)
def something(arg):
    values.append(2)

@pipeline
def test_hello(arg):
    check(values == [1, 2] and arg == 0, repr(values))

@pipeline
def test_hello2(arg):
    check(values == [1, 2] and arg == 0, repr(values))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_uses_parametrized_resource(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(params=[1,2])
def arg(request):
    return request.param

@zenrun.fixture(autouse=True)
def something(arg):
    values.append(arg)

@pipeline
def test_hello():
    check(values in ([1], [1, 2]), repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-s").assert_outcomes(passed=2)

    def test_session_parametrized_function(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(scope="session", params=[1,2])
def arg(request):
    return request.param

@zenrun.fixture(scope="function", autouse=True)
def append(request, arg):
    if request.function.__name__ == "test_some":
        values.append(arg)

@pipeline
def test_some():
    check(True)

@pipeline
def test_result(arg):
    check(len(values) == arg and values[:arg] == [1, 2][:arg], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-v", "-s").assert_outcomes(passed=4)

    def test_ordering_autouse_before_explicit(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(autouse=True)
def fix1():
    values.append(1)

@zenrun.fixture()
def arg1():
    values.append(2)

@pipeline
def test_hello(arg1):
    check(values == [1, 2], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    @pytest.mark.parametrize("param1", ["", "params=[1]"], ids=["p00", "p01"])
    @pytest.mark.parametrize("param2", ["", "params=[1]"], ids=["p10", "p11"])
    def test_ordering_dependencies_torndown_first(self, zenrunner, param1, param2) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
values = []

@zenrun.fixture({param1})
def arg1(request):
    request.addfinalizer(lambda: values.append("fin1"))
    values.append("new1")

@zenrun.fixture({param2})
def arg2(request, arg1):
    request.addfinalizer(lambda: values.append("fin2"))
    values.append("new2")

@pipeline
def test_arg(arg2):
    check(True)

@pipeline
def test_check():
    check(values == ["new1", "new2", "fin2", "fin1"], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-s").assert_outcomes(passed=2)

    def test_reordering_catastrophic_performance(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
params = tuple("abcdefghijklmnopqrstuvwxyz")

@zenrun.mark.parametrize(params, [range(len(params))] * 3, scope="module")
@pipeline
def test_parametrize(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=3)


class TestFixtureMarker:
    def test_parametrize(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(params=["a", "b", "c"])
def arg(request):
    return request.param

values = []

@pipeline
def test_param(arg):
    values.append(arg)
    check(True)

@pipeline
def test_result():
    check(values == list("abc"), repr(values))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=4)

    def test_multiple_parametrization_issue_736(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(params=[1,2,3])
def foo(request):
    return request.param

@zenrun.mark.parametrize('foobar', [4,5,6])
@pipeline
def test_issue(foo, foobar):
    check(foo in [1,2,3] and foobar in [4,5,6])
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=9)

    @pytest.mark.parametrize(
        "param_args", ["'fixt, val'", "'fixt,val'", "['fixt', 'val']", "('fixt', 'val')"]
    )
    def test_override_parametrized_fixture_issue_979(self, zenrunner, param_args) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.fixture(params=[1, 2])
def fixt(request):
    return request.param

@zenrun.mark.parametrize({param_args}, [(3, 'x'), (4, 'x')])
@pipeline
def test_foo(fixt, val):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    @pytest.mark.parametrize(
        "scope", ["module", "session"], ids=["test_scope_session", "test_scope_module_uses_session"]
    )
    def test_scope_session(self, zenrunner, scope) -> None:
        """pytest's third test is a method of a class: a third pipeline here."""
        zenrunner.makepyfile(
            PRE
            + f"""
values = []

@zenrun.fixture(scope={scope!r})
def arg():
    values.append(1)
    return 1

@pipeline
def test_1(arg):
    check(arg == 1)

@pipeline
def test_2(arg):
    check(arg == 1 and len(values) == 1)

@pipeline
def test3(arg):
    check(arg == 1 and len(values) == 1)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=3)

    def test_scope_session_exc(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(scope="session")
def fix():
    values.append(1)
    zenrun.skip('skipping')

@pipeline
def test_1(fix):
    check(True)

@pipeline
def test_2(fix):
    check(True)

@pipeline
def test_last():
    check(values == [1], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=2, passed=1)

    def test_scope_session_exc_two_fix(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []
m = []

@zenrun.fixture(scope="session")
def a():
    values.append(1)
    zenrun.skip('skipping')

@zenrun.fixture(scope="session")
def b(a):
    m.append(1)

@pipeline
def test_1(b):
    check(True)

@pipeline
def test_2(b):
    check(True)

@pipeline
def test_last():
    check(values == [1] and m == [], repr((values, m)))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=2, passed=1)

    def test_scope_exc(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_foo=PRE
            + """
@pipeline
def test_foo(fix):
    check(True)
""",
            pipeline_bar=PRE
            + """
@pipeline
def test_bar(fix):
    check(True)
""",
            pipeline_real=PRE
            + """
@pipeline
def test_last(req_list):
    check(req_list == [1], repr(req_list))
""",
        )
        zenrunner.makeconftest("""
import zenrun

reqs = []

@zenrun.fixture(scope="session")
def fix(request):
    reqs.append(1)
    zenrun.skip()

@zenrun.fixture
def req_list():
    return reqs
""")
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=2, passed=1)

    def test_scope_module_and_finalizer(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

finalized_list = []
created_list = []

@zenrun.fixture(scope="module")
def arg(request):
    created_list.append(1)
    assert request.scope == "module"
    request.addfinalizer(lambda: finalized_list.append(1))

@zenrun.fixture
def created(request):
    return len(created_list)

@zenrun.fixture
def finalized(request):
    return len(finalized_list)
""")
        zenrunner.makepyfile(
            pipeline_mod1=PRE
            + """
@pipeline
def test_1(arg, created, finalized):
    check(created == 1 and finalized == 0)

@pipeline
def test_2(arg, created, finalized):
    check(created == 1 and finalized == 0)
""",
            pipeline_mod2=PRE
            + """
@pipeline
def test_3(arg, created, finalized):
    check(created == 2 and finalized == 1)
""",
            pipeline_mode3=PRE
            + """
@pipeline
def test_4(arg, created, finalized):
    check(created == 3 and finalized == 2)
""",
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=4)

    def test_scope_mismatch_various(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope="function")
def arg(request):
    pass
""")
        zenrunner.makepyfile(
            pipeline_mod1=PRE
            + """
@zenrun.fixture(scope="session")
def arg(request):
    request.getfixturevalue("arg")

@pipeline
def test_1(arg):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret != 0
        result.stdout.fnmatch_lines(["*ScopeMismatch*You tried*pipeline*session*request*"])

    def test_scope_mismatch_already_computed_dynamic(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_it="""import zenrun

@zenrun.fixture(scope="function")
def fixfunc(): pass

@zenrun.fixture(scope="module")
def fixmod(fixfunc): pass

from zenrun import pipeline

@pipeline
def test_it(request, fixfunc):
    request.getfixturevalue("fixmod")
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 1
        result.stdout.fnmatch_lines(
            [
                "*ScopeMismatch*Requesting fixture stack*",
                "pipeline_it.py:6:  def fixmod(fixfunc)",
                "Requested fixture:",
                "pipeline_it.py:3:  def fixfunc()",
            ]
        )

    def test_dynamic_scope(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

def zenrun_addoption(parser):
    parser.addoption("--extend-scope", action="store_true", default=False)

def dynamic_scope(fixture_name, config):
    if config.getoption("--extend-scope"):
        return "session"
    return "function"

@zenrun.fixture(scope=dynamic_scope)
def dynamic_fixture(calls=[]):
    calls.append("call")
    return len(calls)
""")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_first(dynamic_fixture):
    check(dynamic_fixture == 1)

@pipeline
def test_second(dynamic_fixture):
    check(dynamic_fixture == 2)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)
        zenrunner.runzenrun_inprocess("--extend-scope").assert_outcomes(passed=1, failed=1)

    def test_dynamic_scope_bad_return(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_dynamic_scope_bad_return=PRE
            + """
def dynamic_scope(**_):
    return "wrong-scope"

@zenrun.fixture(scope=dynamic_scope)
def fixture():
    pass

@pipeline
def test_it(fixture):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(
            [
                "*Fixture 'fixture' from pipeline_dynamic_scope_bad_return.py "
                "got an unexpected scope value 'wrong-scope'*"
            ]
        )

    def test_register_only_with_mark(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture()
def arg():
    return 1
""")
        zenrunner.makepyfile(
            pipeline_mod1=PRE
            + """
@zenrun.fixture()
def arg(arg):
    return arg + 1

@pipeline
def test_1(arg):
    check(arg == 2)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_parametrize_and_scope(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module", params=["a", "b", "c"])
def arg(request):
    return request.param

values = []

@pipeline
def test_param(arg):
    values.append(arg)
    check(True)

@pipeline
def test_zresult():
    check(sorted(values) == ["a", "b", "c"], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=4)

    def test_scope_mismatch(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope="function")
def arg(request):
    pass
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="session")
def arg(arg):
    pass

@pipeline
def test_mismatch(arg):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*ScopeMismatch*", "*1 error*"])

    def test_parametrize_separated_order(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module", params=[1, 2])
def arg(request):
    return request.param

values = []

@pipeline
def test_1(arg):
    values.append(arg)
    check(True)

@pipeline
def test_2(arg):
    values.append(arg)
    check(True)

@pipeline
def test_zlast():
    check(values == [1, 1, 2, 2], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=5)

    def test_module_parametrized_ordering(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope="session", params="s1 s2".split())
def sarg():
    pass

@zenrun.fixture(scope="module", params="m1 m2".split())
def marg():
    pass
""")
        zenrunner.makepyfile(
            pipeline_mod1=PRE
            + """
@pipeline
def test_func(sarg):
    check(True)

@pipeline
def test_func1(marg):
    check(True)
""",
            pipeline_mod2=PRE
            + """
@pipeline
def test_func2(sarg):
    check(True)

@pipeline
def test_func3(sarg, marg):
    check(True)

@pipeline
def test_func3b(sarg, marg):
    check(True)

@pipeline
def test_func4(marg):
    check(True)
""",
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                "pipeline_mod1.py::test_func[[]s1] PASSED*",
                "pipeline_mod2.py::test_func2[[]s1] PASSED*",
                "pipeline_mod2.py::test_func3[[]s1-m1] PASSED*",
                "pipeline_mod2.py::test_func3b[[]s1-m1] PASSED*",
                "pipeline_mod2.py::test_func3[[]s1-m2] PASSED*",
                "pipeline_mod2.py::test_func3b[[]s1-m2] PASSED*",
                "pipeline_mod1.py::test_func[[]s2] PASSED*",
                "pipeline_mod2.py::test_func2[[]s2] PASSED*",
                "pipeline_mod2.py::test_func3[[]s2-m1] PASSED*",
                "pipeline_mod2.py::test_func3b[[]s2-m1] PASSED*",
                "pipeline_mod2.py::test_func4[[]m1] PASSED*",
                "pipeline_mod2.py::test_func3[[]s2-m2] PASSED*",
                "pipeline_mod2.py::test_func3b[[]s2-m2] PASSED*",
                "pipeline_mod2.py::test_func4[[]m2] PASSED*",
                "pipeline_mod1.py::test_func1[[]m1] PASSED*",
                "pipeline_mod1.py::test_func1[[]m2] PASSED*",
            ]
        )

    def test_parametrize_separated_order_higher_scope_first(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="function", params=[1, 2])
def arg(request):
    param = request.param
    request.addfinalizer(lambda: values.append("fin:%s" % param))
    values.append("create:%s" % param)
    return request.param

@zenrun.fixture(scope="module", params=["mod1", "mod2"])
def modarg(request):
    param = request.param
    request.addfinalizer(lambda: values.append("fin:%s" % param))
    values.append("create:%s" % param)
    return request.param

values = []

@pipeline
def test_1(arg):
    values.append("test1")
    check(True)

@pipeline
def test_2(modarg):
    values.append("test2")
    check(True)

@pipeline
def test_3(arg, modarg):
    values.append("test3")
    check(True)

@pipeline
def test_4(modarg, arg):
    values.append("test4")
    check(True)

from pathlib import Path
import json

@zenrun.fixture(scope="session", autouse=True)
def dump():
    yield
    Path("values.json").write_text(json.dumps(values))
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=12)
        expected = [
            "create:1",
            "test1",
            "fin:1",
            "create:2",
            "test1",
            "fin:2",
            "create:mod1",
            "test2",
            "create:1",
            "test3",
            "fin:1",
            "create:2",
            "test3",
            "fin:2",
            "create:1",
            "test4",
            "fin:1",
            "create:2",
            "test4",
            "fin:2",
            "fin:mod1",
            "create:mod2",
            "test2",
            "create:1",
            "test3",
            "fin:1",
            "create:2",
            "test3",
            "fin:2",
            "create:1",
            "test4",
            "fin:1",
            "create:2",
            "test4",
            "fin:2",
            "fin:mod2",
        ]
        assert json.loads((zenrunner.path / "values.json").read_text()) == expected

    def test_fixture_finalizer(self, zenrunner) -> None:
        """pytest's finalizer calls ``sys.stdout.write_text`` (an AttributeError whose source
        line shows "Finalized"); here it prints the word."""
        zenrunner.makeconftest("""
import sys
import zenrun

@zenrun.fixture
def browser(request):
    def finalize():
        sys.stdout.write('Finalized')
    request.addfinalizer(finalize)
    return {}
""")
        zenrunner.makepyfile(
            **{
                "subdir/pipeline_overridden_fixture_finalizer": PRE
                + """
@zenrun.fixture
def browser(browser):
    browser['visited'] = True
    return browser

@pipeline
def test_browser(browser):
    check(browser['visited'] is True)
"""
            }
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(["*Finalized*"])

    def test_request_is_clean(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(params=[1, 2])
def fix(request):
    request.addfinalizer(lambda: values.append(request.param))

@pipeline
def test_fix(fix):
    check(True)

@pipeline
def test_zlast():
    check(values == [1, 2], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-s").assert_outcomes(passed=3)

    def test_parametrize_separated_lifecycle(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
values = []

@zenrun.fixture(scope="module", params=[1, 2])
def arg(request):
    x = request.param
    request.addfinalizer(lambda: values.append("fin%s" % x))
    return request.param

@pipeline
def test_1(arg):
    values.append(arg)
    check(True)

@pipeline
def test_2(arg):
    values.append(arg)
    check(True)

from pathlib import Path
import json

@zenrun.fixture(scope="session", autouse=True)
def dump():
    yield
    Path("values.json").write_text(json.dumps(values))
"""
        )
        zenrunner.runzenrun_inprocess("-vs").assert_outcomes(passed=4)
        values = json.loads((zenrunner.path / "values.json").read_text())
        assert values[0] == values[1] == 1
        assert values[2] == "fin1"
        assert values[3] == values[4] == 2
        assert values[5] == "fin2"

    def test_parametrize_function_scoped_finalizers_called(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="function", params=[1, 2])
def arg(request):
    x = request.param
    request.addfinalizer(lambda: values.append("fin%s" % x))
    return request.param

values = []

@pipeline
def test_1(arg):
    values.append(arg)
    check(True)

@pipeline
def test_2(arg):
    values.append(arg)
    check(True)

@pipeline
def test_3():
    check(values == [1, "fin1", 2, "fin2", 1, "fin1", 2, "fin2"], repr(values))
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=5)

    @pytest.mark.parametrize("scope", ["session", "function", "module"])
    def test_finalizer_order_on_parametrization(self, zenrunner, scope) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
values = []

@zenrun.fixture(scope={scope!r}, params=["1"])
def fix1(request):
    return request.param

@zenrun.fixture(scope={scope!r})
def fix2(request, base):
    def cleanup_fix2():
        assert not values, "base should not have been finalized"
    request.addfinalizer(cleanup_fix2)

@zenrun.fixture(scope={scope!r})
def base(request, fix1):
    def cleanup_base():
        values.append("fin_base")
        print("finalizing base")
    request.addfinalizer(cleanup_base)

@pipeline
def test_begin():
    check(True)

@pipeline
def test_baz(base, fix2):
    check(True)

@pipeline
def test_other():
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-vs").assert_outcomes(passed=3)

    def test_parametrize_setup_function(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module", params=[1, 2])
def arg(request):
    return request.param

@zenrun.fixture(scope="module", autouse=True)
def mysetup(request, arg):
    request.addfinalizer(lambda: values.append("fin%s" % arg))
    values.append("setup%s" % arg)

values = []

@pipeline
def test_1(arg):
    values.append(arg)
    check(True)

@pipeline
def test_2(arg):
    values.append(arg)
    check(True)

@pipeline
def test_3():
    # as in pytest, ``arg`` here is the fixture function: neither branch applies
    if arg == 1:
        check(values == ["setup1", 1, 1], repr(values))
    elif arg == 2:
        check(values == ["setup1", 1, 1, "fin1", "setup2", 2, 2], repr(values))
    else:
        check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=6)

    def test_fixture_marked_function_not_collected_as_test(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def test_app():
    return 1

@pipeline
def test_something(test_app):
    check(test_app == 1)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    @pytest.mark.parametrize(
        "body",
        ["return request.param", "yield request.param"],
        ids=["test_params_and_ids", "test_params_and_ids_yieldfixture"],
    )
    def test_params_and_ids(self, zenrunner, body) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.fixture(params=[object(), object()], ids=['alpha', 'beta'])
def fix(request):
    {body}

@pipeline
def test_foo(fix):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-v").stdout.fnmatch_lines(["*test_foo*alpha*", "*test_foo*beta*"])

    def test_deterministic_fixture_collection(self, zenrunner) -> None:
        """Two subprocess runs with different ``PYTHONHASHSEED`` collect the same order."""
        zenrunner.makepyfile(
            pipeline_deterministic=PRE
            + """
@zenrun.fixture(scope="module", params=["A", "B", "C"])
def A(request):
    return request.param

@zenrun.fixture(scope="module", params=["DDDDDDDDD", "EEEEEEEEEEEE", "FFFFFFFFFFF", "banansda"])
def B(request, A):
    return request.param

@pipeline
def test_foo(B):
    check(bool(hash(B)) or True)
"""
        )
        outputs = []
        for seed in ("1", "2"):
            result = zenrunner.run("--collect-only", "-q", env=zenrunner.env(PYTHONHASHSEED=seed))
            outputs.append(
                [
                    line
                    for line in result.stdout.lines
                    if line.startswith("pipeline_deterministic.py::test_foo")
                ]
            )
        assert len(outputs[0]) == 12
        assert outputs[0] == outputs[1]


class TestRequestScopeAccess:
    """pytest's ``class`` scope is zenrun's module scope (no classes): ``cls`` is ``None``
    where pytest allows it and an AttributeError where pytest raises."""

    @pytest.mark.parametrize(
        ("scope", "ok", "error"),
        [
            ["session", "", "path class function module"],
            ["module", "module path", "cls function"],
            ["class", "module path", "function"],
            ["function", "module path cls function", ""],
        ],
    )
    @pytest.mark.parametrize("how", ["autouse", "funcarg"], ids=["test_setup", "test_funcarg"])
    def test_request_scope_access(self, zenrunner, scope, ok, error, how) -> None:
        autouse = how == "autouse"
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.fixture(scope={scope!r}, autouse={autouse})
def myscoped(request):
    for x in {ok.split()!r}:
        assert hasattr(request, x), x
    for x in {error.split()!r}:
        try:
            getattr(request, x)
        except AttributeError:
            continue
        raise AssertionError(x + " is available")
    assert request.session
    assert request.config

@pipeline
def test_func({"" if autouse else "myscoped"}):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


class TestErrors:
    @pytest.mark.parametrize(
        "autouse", [False, True], ids=["test_subfactory_missing_funcarg", "test_setupfunc_missing_funcarg"]
    )
    def test_subfactory_missing_funcarg(self, zenrunner, autouse) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.fixture(autouse={autouse})
def gen(qwe123):
    return 1

@pipeline
def test_something({"" if autouse else "gen"}):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret != 0
        result.stdout.fnmatch_lines(["*def gen(qwe123):*", "*fixture*qwe123*not found*", "*1 error*"])

    def test_issue498_fixture_finalizer_failing(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def fix1(request):
    def f():
        raise KeyError
    request.addfinalizer(f)
    return object()

values = []

@pipeline
def test_1(fix1):
    values.append(fix1)
    check(True)

@pipeline
def test_2(fix1):
    values.append(fix1)
    check(True)

@pipeline
def test_3():
    check(values[0] != values[1])
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(
            [
                "*ERROR*teardown*test_1*",
                "*KeyError*",
                "*ERROR*teardown*test_2*",
                "*KeyError*",
                "*3 pass*2 errors*",
            ]
        )

    def test_cached_exception_doesnt_get_longer(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="session")
def bad(): 1 / 0

@pipeline
def test_1(bad):
    check(True)

@pipeline
def test_2(bad):
    check(True)

@pipeline
def test_3(bad):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("--tb=native")
        assert result.ret == 1
        result.assert_outcomes(errors=3)
        sections: list[list[str]] = []
        for line in result.stdout.lines:
            if line.startswith("_") and " test_" in line:
                sections.append([])
            elif line.startswith("=") and sections:
                break
            elif sections:
                sections[-1].append(line.replace("test_2", "test_N").replace("test_3", "test_N"))
        assert len(sections) == 3
        assert len(sections[1]) == len(sections[2])


class TestShowFixtures:
    def test_show_help(self, zenrunner) -> None:
        assert not zenrunner.runzenrun_inprocess("--fixtures", "--help").ret

    def test_show_fixtures_testmodule(self, zenrunner) -> None:
        """Without pytest's built-in ``tmp_path`` line."""
        path = zenrunner.makepyfile(
            pipeline_show_fixtures_testmodule='''import zenrun
@zenrun.fixture
def _arg0():
    """ hidden """
@zenrun.fixture
def arg1():
    """  hello world """
'''
        )
        result = zenrunner.runzenrun_inprocess("--fixtures", str(path))
        result.stdout.fnmatch_lines(
            ["*fixtures defined from*", "*arg1 -- pipeline_show_fixtures_testmodule.py:6*", "*hello world*"]
        )
        result.stdout.no_fnmatch_line("*arg0*")

    @pytest.mark.parametrize("testmod", [True, False])
    def test_show_fixtures_conftest(self, zenrunner, testmod) -> None:
        zenrunner.makeconftest('''
import zenrun

@zenrun.fixture
def arg1():
    """  hello world """
''')
        if testmod:
            zenrunner.makepyfile(
                PRE
                + """
@pipeline
def test_hello():
    check(True)
"""
            )
        result = zenrunner.runzenrun_inprocess("--fixtures")
        result.stdout.fnmatch_lines(["*fixtures defined from*conftest*", "*arg1*", "*hello world*"])

    def test_show_fixtures_trimmed_doc(self, zenrunner) -> None:
        path = zenrunner.makepyfile(
            pipeline_show_fixtures_trimmed_doc='''import zenrun
@zenrun.fixture
def arg1():
    """
    line1
    line2

    """
@zenrun.fixture
def arg2():
    """
    line1
    line2

    """
'''
        )
        result = zenrunner.runzenrun_inprocess("--fixtures", str(path))
        result.stdout.fnmatch_lines(
            [
                "* fixtures defined from pipeline_show_fixtures_trimmed_doc *",
                "arg2 -- pipeline_show_fixtures_trimmed_doc.py:10",
                "    line1",
                "    line2",
                "arg1 -- pipeline_show_fixtures_trimmed_doc.py:3",
                "    line1",
                "    line2",
            ]
        )

    @pytest.mark.parametrize(
        "doc",
        [
            '''"""
    line1
        indented line
    """''',
            '''"""line1
    line2
        indented line
    """''',
        ],
        ids=["test_show_fixtures_indented_doc", "test_show_fixtures_indented_doc_first_line_unindented"],
    )
    def test_show_fixtures_indented_doc(self, zenrunner, doc) -> None:
        path = zenrunner.makepyfile(
            pipeline_show_indented=f"""import zenrun
@zenrun.fixture
def fixture1():
    {doc}
"""
        )
        result = zenrunner.runzenrun_inprocess("--fixtures", str(path))
        expected = (
            ["line1", "    indented line"] if "line2" not in doc else ["line1", "line2", "    indented line"]
        )
        result.stdout.fnmatch_lines(
            [
                "* fixtures defined from pipeline_show_indented *",
                "fixture1 -- pipeline_show_indented.py:3",
                *("    " + line for line in expected),
            ]
        )

    def test_show_fixtures_different_files(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_a=PRE
            + '''
@zenrun.fixture
def fix_a():
    """Fixture A"""
    pass

@pipeline
def test_a(fix_a):
    check(True)
''',
            pipeline_b=PRE
            + '''
@zenrun.fixture
def fix_b():
    """Fixture B"""
    pass

@pipeline
def test_b(fix_b):
    check(True)
''',
        )
        line = PRE.count("\n") + 2
        result = zenrunner.runzenrun_inprocess("--fixtures")
        result.stdout.fnmatch_lines(
            [
                "* fixtures defined from pipeline_a *",
                f"fix_a -- pipeline_a.py:{line}",
                "    Fixture A",
                "",
                "* fixtures defined from pipeline_b *",
                f"fix_b -- pipeline_b.py:{line}",
                "    Fixture B",
            ]
        )

    def test_show_fixtures_with_same_name(self, zenrunner) -> None:
        zenrunner.makeconftest('''import zenrun
@zenrun.fixture
def arg1():
    """Hello World in conftest.py"""
    return "Hello World"
''')
        zenrunner.makepyfile(
            pipeline_foo=PRE
            + """
@pipeline
def test_foo(arg1):
    check(arg1 == "Hello World")
"""
        )
        zenrunner.makepyfile(
            pipeline_show_fixtures_with_same_name='''import zenrun
from zenrun import pipeline, step
@zenrun.fixture
def arg1():
    """Hi from test module"""
    return "Hi"

@step
def check(ok: bool) -> None:
    assert ok

@pipeline
def test_bar(arg1):
    check(arg1 == "Hi")
'''
        )
        result = zenrunner.runzenrun_inprocess("--fixtures")
        result.stdout.fnmatch_lines(
            [
                "* fixtures defined from conftest *",
                "arg1 -- conftest.py:3",
                "    Hello World in conftest.py",
                "",
                "* fixtures defined from pipeline_show_fixtures_with_same_name *",
                "arg1 -- pipeline_show_fixtures_with_same_name.py:4",
                "    Hi from test module",
            ]
        )

    def test_fixture_disallow_twice(self) -> None:
        import zenrun

        with pytest.raises(ValueError):

            @zenrun.fixture
            @zenrun.fixture
            def foo():
                raise NotImplementedError()


class TestContextManagerFixtureFuncs:
    def test_simple(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def arg1():
    print("setup")
    yield 1
    print("teardown")

@pipeline
def test_1(arg1):
    print("test1", arg1)
    check(True)

@pipeline
def test_2(arg1):
    print("test2", arg1)
    check(False)
"""
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(
            ["*setup*", "*test1 1*", "*teardown*", "*setup*", "*test2 1*", "*teardown*"]
        )

    def test_scoped(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module")
def arg1():
    print("setup")
    yield 1
    print("teardown")

@pipeline
def test_1(arg1):
    print("test1", arg1)
    check(True)

@pipeline
def test_2(arg1):
    print("test2", arg1)
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(
            ["*setup*", "*test1 1*", "*test2 1*", "*teardown*"]
        )

    def test_setup_exception(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module")
def arg1():
    zenrun.fail("setup")
    yield 1

@pipeline
def test_1(arg1):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(["*zenrun.fail*setup*", "*1 error*"])

    def test_teardown_exception(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module")
def arg1():
    yield 1
    zenrun.fail("teardown")

@pipeline
def test_1(arg1):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(
            ["*zenrun.fail*teardown*", "*1 passed*1 error*"]
        )

    def test_yields_more_than_one(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_yields=PRE
            + """
@zenrun.fixture(scope="module")
def arg1():
    yield 1
    yield 2

@pipeline
def test_1(arg1):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(
            ["*fixture function*", "*pipeline_yields*:9*"]
        )

    def test_custom_name(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(name='meow')
def arg1():
    return 'mew'

@pipeline
def test_1(meow):
    print(meow)
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess("-s").stdout.fnmatch_lines(["*mew*"])


class TestParameterizedSubRequest:
    def test_call_from_fixture(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_call_from_fixture="""import zenrun
from zenrun import pipeline

@zenrun.fixture(params=[0, 1, 2])
def fix_with_param(request):
    return request.param

@zenrun.fixture
def get_named_fixture(request):
    return request.getfixturevalue('fix_with_param')

@pipeline
def test_foo(request, get_named_fixture):
    pass
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(
            [
                "The requested fixture has no parameter defined for test:",
                "    pipeline_call_from_fixture.py::test_foo",
                "Requested fixture 'fix_with_param' defined in:",
                "pipeline_call_from_fixture.py:5",
                "Requested here:",
                "pipeline_call_from_fixture.py:10",
                "*1 error in*",
            ]
        )

    def test_call_from_test(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_call_from_test="""import zenrun
from zenrun import pipeline

@zenrun.fixture(params=[0, 1, 2])
def fix_with_param(request):
    return request.param

@pipeline
def test_foo(request):
    request.getfixturevalue('fix_with_param')
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(
            [
                "The requested fixture has no parameter defined for test:",
                "    pipeline_call_from_test.py::test_foo",
                "Requested fixture 'fix_with_param' defined in:",
                "pipeline_call_from_test.py:5",
                "Requested here:",
                "pipeline_call_from_test.py:10",
                "*1 failed*",
            ]
        )

    def test_external_fixture(self, zenrunner) -> None:
        zenrunner.makeconftest("""import zenrun

@zenrun.fixture(params=[0, 1, 2])
def fix_with_param(request):
    return request.param
""")
        zenrunner.makepyfile(
            pipeline_external_fixture="""from zenrun import pipeline
@pipeline
def test_foo(request):
    request.getfixturevalue('fix_with_param')
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(
            [
                "The requested fixture has no parameter defined for test:",
                "    pipeline_external_fixture.py::test_foo",
                "",
                "Requested fixture 'fix_with_param' defined in:",
                "conftest.py:4",
                "Requested here:",
                "pipeline_external_fixture.py:4",
                "*1 failed*",
            ]
        )

    def test_non_relative_path(self, zenrunner, monkeypatch) -> None:
        tests_dir = zenrunner.path / "pipelines"
        tests_dir.mkdir()
        fixdir = zenrunner.path / "fixtures"
        fixdir.mkdir()
        fixfile = fixdir.joinpath("fix.py")
        fixfile.write_text(
            """import zenrun

@zenrun.fixture(params=[0, 1, 2])
def fix_with_param(request):
    return request.param
""",
            encoding="utf-8",
        )
        testfile = tests_dir.joinpath("pipeline_foos.py")
        testfile.write_text(
            """from fix import fix_with_param; from zenrun import pipeline
@pipeline
def test_foo(request):
    request.getfixturevalue('fix_with_param')
""",
            encoding="utf-8",
        )
        (zenrunner.path / "zenrun.toml").unlink()  # no config file: the rootdir is the cwd, as pytester's
        monkeypatch.syspath_prepend(str(fixdir))
        result = zenrunner.runzenrun_inprocess(cwd=tests_dir)
        result.stdout.fnmatch_lines(
            [
                "The requested fixture has no parameter defined for test:",
                "    pipeline_foos.py::test_foo",
                "",
                "Requested fixture 'fix_with_param' defined in:",
                f"{fixfile}:4",
                "Requested here:",
                "pipeline_foos.py:4",
                "*1 failed*",
            ]
        )

        # With non-overlapping rootdir, passing tests_dir.
        rootdir = zenrunner.path / "rootdir"
        rootdir.mkdir()
        result = zenrunner.runzenrun_inprocess("--rootdir", str(rootdir), str(tests_dir), cwd=rootdir)
        result.stdout.fnmatch_lines(
            [
                "The requested fixture has no parameter defined for test:",
                "    pipeline_foos.py::test_foo",
                "",
                "Requested fixture 'fix_with_param' defined in:",
                f"{fixfile}:4",
                "Requested here:",
                f"{testfile}:4",
                "*1 failed*",
            ]
        )


class TestScopeOrdering:
    @pytest.mark.parametrize("variant", ["mark", "autouse"])
    def test_func_closure_module_auto(self, zenrunner, variant) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
VARIANT = {variant!r}

@zenrun.fixture(scope='module', autouse=VARIANT == 'autouse')
def m1(): pass

if VARIANT == 'mark':
    zenrunmark = zenrun.mark.usefixtures('m1')

@zenrun.fixture(scope='function', autouse=True)
def f1(): pass

@pipeline
def test_func(m1, request):
    names = [n for n in request.fixturenames if n != "request"]
    check(names == "m1 f1".split(), repr(names))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_func_closure_with_native_fixtures(self, zenrunner) -> None:
        """``request.fixturenames`` also lists ``request`` (the pipeline asks for it)."""
        zenrunner.makepyfile(
            PRE
            + """
FIXTURE_ORDER = []

@zenrun.fixture(scope="session")
def s1():
    FIXTURE_ORDER.append('s1')

@zenrun.fixture(scope="package")
def p1():
    FIXTURE_ORDER.append('p1')

@zenrun.fixture(scope="module")
def m1():
    FIXTURE_ORDER.append('m1')

@zenrun.fixture(scope='session')
def my_tmp_path_factory():
    FIXTURE_ORDER.append('my_tmp_path_factory')

@zenrun.fixture
def my_tmp_path(my_tmp_path_factory):
    FIXTURE_ORDER.append('my_tmp_path')

@zenrun.fixture
def f1(my_tmp_path):
    FIXTURE_ORDER.append('f1')

@zenrun.fixture
def f2():
    FIXTURE_ORDER.append('f2')

@pipeline
def test_foo(f1, p1, m1, f2, s1, request):
    names = [n for n in request.fixturenames if n != "request"]
    # pytest's current (depth-first) closure order
    check(names == "my_tmp_path_factory s1 p1 m1 f1 my_tmp_path f2".split(), repr(names))
    check(FIXTURE_ORDER == "my_tmp_path_factory s1 p1 m1 my_tmp_path f1 f2".split(),
          repr(FIXTURE_ORDER))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    @pytest.mark.parametrize(
        ("args", "expected"),
        [("f1, m1", "m1 f1"), ("f2, f1, m1, s1", "s1 m1 f2 f1")],
        ids=["test_func_closure_module", "test_func_closure_scopes_reordered"],
    )
    def test_func_closure_module(self, zenrunner, args, expected) -> None:
        """``scopes_reordered`` without its class-scoped fixture."""
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.fixture(scope='session')
def s1(): pass

@zenrun.fixture(scope='module')
def m1(): pass

@zenrun.fixture(scope='function')
def f1(): pass

@zenrun.fixture(scope='function')
def f2(): pass

@pipeline
def test_func({args}, request):
    names = [n for n in request.fixturenames if n != "request"]
    check(names == {expected.split()!r}, repr(names))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_func_closure_same_scope_closer_root_first(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope='module', autouse=True)
def m_conf(): pass
""")
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture(scope='package', autouse=True)
def p_sub(): pass

@zenrun.fixture(scope='module', autouse=True)
def m_sub(): pass
""",
            directory="sub",
        )
        zenrunner.makepyfile(
            **{
                "sub/pipeline_func": PRE
                + """
@zenrun.fixture(scope='module', autouse=True)
def m_test(): pass

@zenrun.fixture(scope='function')
def f1(): pass

@pipeline
def test_func(m_test, f1, request):
    names = [n for n in request.fixturenames if n != "request"]
    check(names == "p_sub m_conf m_sub m_test f1".split(), repr(names))
"""
            }
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_func_closure_all_scopes_complex(self, zenrunner) -> None:
        """Without pytest's class-scoped ``c1``."""
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope='session')
def s1(): pass

@zenrun.fixture(scope='package', autouse=True)
def p1(): pass
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='module', autouse=True)
def m1(): pass

@zenrun.fixture(scope='module')
def m2(s1): pass

@zenrun.fixture(scope='function')
def f1(): pass

@zenrun.fixture(scope='function')
def f2(): pass

@pipeline
def test_func(f2, f1, m2, request):
    names = [n for n in request.fixturenames if n != "request"]
    check(names == "s1 p1 m1 m2 f2 f1".split(), repr(names))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_call_fixture_function_error() -> None:
    import zenrun
    from zenrun.outcomes import Failed

    @zenrun.fixture
    def fix():
        raise NotImplementedError()

    with pytest.raises(Failed):
        assert fix() == 1


def test_fixture_double_decorator(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
@zenrun.fixture
def fixt():
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*ValueError: @zenrun.fixture is being applied more than once to the same function 'fixt'"]
    )


def test_fixture_class(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
class A:
    pass
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(errors=1)


def test_fixture_param_shadowing(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture(params=['a', 'b'])
def argroot(request):
    return request.param

@zenrun.fixture
def arg(argroot):
    return argroot

@zenrun.mark.parametrize("arg", [1])
@pipeline
def test_direct(arg):
    check(arg == 1)

@pipeline
def test_normal_fixture(arg):
    check(isinstance(arg, str))

@zenrun.fixture
def arg2(request):
    return 2*request.param

@zenrun.mark.parametrize("arg2", [1], indirect=True)
@pipeline
def test_indirect(arg2):
    check(arg2 == 2)
"""
    )
    result = zenrunner.runzenrun_inprocess("-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*::test_direct[[]1[]]*"])
    result.stdout.fnmatch_lines(["*::test_normal_fixture[[]a[]]*"])
    result.stdout.fnmatch_lines(["*::test_normal_fixture[[]b[]]*"])
    result.stdout.fnmatch_lines(["*::test_indirect[[]1[]]*"])


def test_fixture_named_request(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_fixture_named_request="""import zenrun
from zenrun import pipeline


@zenrun.fixture
def foo():
    pass

@zenrun.fixture
def request():
    pass


@pipeline
def test(foo):
    pass
"""
    )
    zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(
        [
            "*'request' is a reserved word for fixtures, use another name:",
            "  *pipeline_fixture_named_request.py:10",
        ]
    )


def test_indirect_fixture_does_not_break_scope(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
instantiated = []

@zenrun.fixture(scope="session")
def fixture_1(request):
    instantiated.append(("fixture_1", request.param))

@zenrun.fixture(scope="session")
def fixture_2(request):
    instantiated.append(("fixture_2", request.param))

scenarios = [("A", "a1"), ("A", "a2"), ("B", "b1"), ("B", "b2"), ("C", "c1"), ("C", "c2")]

@zenrun.mark.parametrize("fixture_1,fixture_2", scenarios, indirect=["fixture_1", "fixture_2"])
@pipeline
def test_create_fixtures(fixture_1, fixture_2):
    check(True)

@pipeline
def test_check_fixture_instantiations():
    check(instantiated == [
        ('fixture_1', 'A'), ('fixture_2', 'a1'), ('fixture_2', 'a2'),
        ('fixture_1', 'B'), ('fixture_2', 'b1'), ('fixture_2', 'b2'),
        ('fixture_1', 'C'), ('fixture_2', 'c1'), ('fixture_2', 'c2'),
    ], repr(instantiated))
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=7)


def test_fixture_parametrization_nparray(zenrunner) -> None:
    pytest.importorskip("numpy")
    zenrunner.makepyfile(
        PRE
        + """
from numpy import linspace

@zenrun.fixture(params=linspace(1, 10, 10))
def value(request):
    return request.param

@pipeline
def test_bug(value):
    check(bool(value == value))
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=10)


def test_fixture_arg_ordering(zenrunner) -> None:
    path = zenrunner.makepyfile(
        PRE
        + """
suffixes = []

@zenrun.fixture
def fix_1(): suffixes.append("fix_1")
@zenrun.fixture
def fix_2(): suffixes.append("fix_2")
@zenrun.fixture
def fix_3(): suffixes.append("fix_3")
@zenrun.fixture
def fix_4(): suffixes.append("fix_4")
@zenrun.fixture
def fix_5(): suffixes.append("fix_5")

@zenrun.fixture
def fix_combined(fix_1, fix_2, fix_3, fix_4, fix_5): pass

@pipeline
def test_suffix(fix_combined):
    check(suffixes == ["fix_1", "fix_2", "fix_3", "fix_4", "fix_5"], repr(suffixes))
"""
    )
    assert zenrunner.runzenrun_inprocess("-vv", str(path)).ret == 0


def test_yield_fixture_with_no_value(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture(name='custom')
def empty_yield():
    if False:
        yield

@pipeline
def test_fixt(custom):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["E*ValueError: custom did not yield a value"])
    assert result.ret == 1


def test_scoped_fixture_teardown_order(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
last_executed = ""

@zenrun.fixture(scope="module")
def fixture_1():
    global last_executed
    assert last_executed == ""
    last_executed = "fixture_1_setup"
    yield
    assert last_executed == "fixture_2_teardown"
    last_executed = "fixture_1_teardown"

@zenrun.fixture(scope="module")
def fixture_2():
    global last_executed
    assert last_executed == "fixture_1_setup"
    last_executed = "fixture_2_setup"
    yield
    assert last_executed == "run_test"
    last_executed = "fixture_2_teardown"

@pipeline
def test_fixture_teardown_order(fixture_1, fixture_2):
    global last_executed
    check(last_executed == "fixture_2_setup")
    last_executed = "run_test"

@pipeline
def test_2(fixture_1):
    check(True)
"""
    )
    assert zenrunner.runzenrun_inprocess().ret == 0


# Cases pytest added after the port above (pytest's main, 2026), test classes folded into the module
# (the class-level override becomes a conftest in a sub-directory one level nearer).


def _closure_layout(zenrunner, conftest: str, module_fixture: str, test: str) -> None:
    zenrunner.makeconftest("import zenrun\n" + conftest)
    sub = zenrunner.path / "sub"
    sub.mkdir()
    (sub / "conftest.py").write_text("import zenrun\n" + module_fixture)
    (sub / "pipeline_closure.py").write_text(PRE + test)


def test_fixture_closure_with_overrides(zenrunner) -> None:
    _closure_layout(
        zenrunner,
        "@zenrun.fixture\ndef db(): pass\n\n@zenrun.fixture\ndef app(db): pass\n",
        "@zenrun.fixture\ndef app(app): pass\n",
        """
@zenrun.fixture
def app(app): pass

@pipeline
def test_something(request, app):
    check('db' in request.fixturenames)
    check('db' in request.node.fixturenames)
    check(set(request.fixturenames) == set(request.node.fixturenames))
""",
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_closure_with_overrides_and_intermediary(zenrunner) -> None:
    _closure_layout(
        zenrunner,
        "@zenrun.fixture\ndef db(): pass\n\n@zenrun.fixture\ndef app(db): pass\n\n"
        "@zenrun.fixture\ndef intermediate(app): pass\n",
        "@zenrun.fixture\ndef app(intermediate): pass\n",
        """
@zenrun.fixture
def app(app): pass

@pipeline
def test_something(request, app):
    check('db' in request.fixturenames)
    check('db' in request.node.fixturenames)
    check(set(request.fixturenames) == set(request.node.fixturenames))
""",
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_closure_with_overrides_and_parametrization(zenrunner) -> None:
    _closure_layout(
        zenrunner,
        "@zenrun.fixture\ndef db(): pass\n\n@zenrun.fixture\ndef app(db): pass\n",
        "@zenrun.fixture\ndef app(app): pass\n",
        """
@zenrun.fixture
def app(app): pass

@zenrun.mark.parametrize("a", [1])
@pipeline
def test_something(request, app, a):
    check('db' in request.fixturenames)
    check('db' in request.node.fixturenames)
    check(set(request.fixturenames) == set(request.node.fixturenames))
""",
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_closure_with_broken_override_chain(zenrunner) -> None:
    _closure_layout(
        zenrunner,
        "@zenrun.fixture\ndef db(): pass\n\n@zenrun.fixture\ndef app(db): pass\n",
        "@zenrun.fixture\ndef app(): pass\n",
        """
@zenrun.fixture
def app(app): pass

@pipeline
def test_something(request, app):
    check('db' not in request.fixturenames)
    check('db' not in request.node.fixturenames)
    check(set(request.fixturenames) == set(request.node.fixturenames))
""",
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_closure_handles_circular_dependencies(zenrunner) -> None:
    # pytest checks the closure of the collected item; here its error at setup names the loop.
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def fix_a(fix_b): pass

@zenrun.fixture
def fix_b(fix_a): pass

@zenrun.fixture
def fix_x(fix_y): pass

@zenrun.fixture
def fix_y(fix_z): pass

@zenrun.fixture
def fix_z(fix_x): pass

@pipeline
def test_circular_deps(fix_a, fix_x):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["E       recursive dependency involving fixture 'fix_a' detected"])


def test_fixture_closure_handles_diamond_dependencies(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def db(): pass

@zenrun.fixture
def user(db): pass

@zenrun.fixture
def session(db): pass

@zenrun.fixture
def app(user, session): pass

@pipeline
def test_diamond_deps(request, app):
    check(set(request.node.fixturenames) == {"request", "app", "user", "db", "session"})
    check(set(request.fixturenames) == {"request", "app", "user", "db", "session"})
"""
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_closure_with_complex_override_and_shared_deps(zenrunner) -> None:
    _closure_layout(
        zenrunner,
        "@zenrun.fixture\ndef db(): pass\n\n@zenrun.fixture\ndef cache(): pass\n\n"
        "@zenrun.fixture\ndef settings(): pass\n\n@zenrun.fixture\ndef app(db, cache, settings): pass\n",
        "@zenrun.fixture\ndef app(app, cache, settings): pass\n",
        """
@zenrun.fixture
def app(app, cache): pass

@pipeline
def test_shared_deps(request, app):
    check(sorted(request.node.fixturenames) == sorted(["request", "app", "db", "cache", "settings"]))
""",
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_closure_with_parametrize_ignore(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def fix1(fix2): pass

@zenrun.fixture
def fix2(fix3): pass

@zenrun.fixture
def fix3(): pass

@zenrun.mark.parametrize('fix2', ['2'])
@pipeline
def test_it(request, fix1):
    check(sorted(request.node.fixturenames) == ["fix1", "fix2", "request"], str(request.node.fixturenames))
    check(sorted(request.fixturenames) == ["fix1", "fix2", "request"], str(request.fixturenames))
"""
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_overridden_fixture_depends_on_parametrized(zenrunner) -> None:
    zenrunner.makeconftest(
        """
import zenrun

@zenrun.fixture(params=["foo"])
def fixture_foo(request):
    yield request.param

@zenrun.fixture
def fixture_bar(fixture_foo):
    yield fixture_foo
"""
    )
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def fixture_bar(fixture_bar):
    yield fixture_bar

@pipeline
def test_foobar(fixture_bar):
    check(fixture_bar == "foo")
"""
    )
    zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)


def test_fixture_named_after_the_name_it_is_bound_to(zenrunner) -> None:
    # pytest's ``arg1 = pytest.fixture()(arg1)`` (test_funcarg_parametrized_and_used_twice) and a
    # fixture bound to another name: the name it is bound to (or ``name=``) is the fixture's name.
    zenrunner.makepyfile(
        PRE
        + """
def make():
    return 3

bound = zenrun.fixture(make)

def other():
    return 4
other = zenrun.fixture(scope="module")(other)

@zenrun.fixture(name="renamed")
def original():
    return 5

@pipeline
def test_names(bound, other, renamed):
    check((bound, other, renamed) == (3, 4, 5))

@pipeline
def test_not_the_function_name(make):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E       fixture 'make' not found",
            "*available fixtures: bound, cache, capfd, capfdbinary, caplog, capsys, capsysbinary, capteesys, monkeypatch, other, record_property, record_testsuite_property, record_xml_attribute, recwarn, renamed, tmp_path, tmp_path_factory, zenrunconfig",
        ]
    )


def test_lookup_error_message_as_pytest(zenrunner) -> None:
    # The requesting sources, then pytest's three lines, then the location.
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def needs(missing_one):
    return 1

@pipeline
def test_it(needs):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "file *.py, line *",
            "  @pipeline",
            "  def test_it(needs):",
            "file *.py, line *",
            "  @zenrun.fixture",
            "  def needs(missing_one):",
            "E       fixture 'missing_one' not found",
            ">       available fixtures: cache, capfd, capfdbinary, caplog, capsys, capsysbinary, capteesys, monkeypatch, needs, record_property, record_testsuite_property, record_xml_attribute, recwarn, tmp_path, tmp_path_factory, zenrunconfig",
            ">       use 'zenrun --fixtures [testpath]' for help on them.",
            "",
            "*.py:*",
        ]
    )
