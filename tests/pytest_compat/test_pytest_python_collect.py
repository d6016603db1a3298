"""Port of pytest's ``testing/python/collect.py`` (pytest-dev/pytest).

Module collection and its errors (import errors, syntax errors, import file
mismatches, ``--fulltrace``, ``-vv``), parametrization through collection
(ids, marks on parameter sets, skip / xfail parameters), ``python_files``,
duplicate paths, packages and the ``--co`` tree, conftest hooks per
directory. The first cases, a direct parametrization overriding fixtures of
the same name (``TestFunction``), are written as pipelines by hand; the later
ones are written as pytest writes them and turned into pipeline modules by
``porting.pipelines`` (the assertion runs in the ``check`` step). pytest's
``getitems`` / ``getmodulecol`` checks are ported as ``--co -q`` ids or a
conftest hook reading the items.

Not applicable (README.md): test classes, pytest's node objects
(``Module`` / ``Function`` equality, ``from_parent``, ``perform_collect``),
``pytest_pycollect_makemodule`` / ``pytest_pycollect_makeitem`` and custom
``Module`` collectors, ``python_classes`` / ``python_functions`` (zenrun
collects ``@pipeline`` objects, not names), ``--import-mode``, pytest's
traceback filter helpers.

Deliberate differences kept: a module-level ``assert 0`` shows
``AssertionError`` (pytest rewrites it to ``assert 0``); a callable object
named ``test_*`` is not reported (pytest warns it cannot collect it).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from porting import pipelines

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
    # The issue's layout: a conftest fixture asks for a name a pipeline parametrizes, over a
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


# --- The module-level rest of the file, written as pytest writes its sources and turned into
# pipeline modules by ``porting.pipelines`` (the assertion runs in the ``check`` step).


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


def touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestModule:
    def test_failing_import(self, zenrunner) -> None:
        zenrunner.makepyfile("import alksdjalskdjalkjals")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*ImportError while importing*", "*alksdjalskdjalkjals*", "*1 error*"])

    def test_import_duplicate(self, zenrunner) -> None:
        p1 = touch(zenrunner.path / "a" / "pipeline_whatever.py")
        p2 = touch(zenrunner.path / "b" / "pipeline_whatever.py")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*import*mismatch*",
                "*imported*pipeline_whatever*",
                f"*{p1}*",
                "*not the same*",
                f"*{p2}*",
                "*HINT*",
            ]
        )

    def test_syntax_error_in_module(self, zenrunner) -> None:
        zenrunner.makepyfile("this is a syntax error")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*ERROR collecting*", "*SyntaxError*", "*1 error*"])
        # collected again, the same error (pytest: ``modcol.collect()`` raises twice)
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*SyntaxError*"])

    def test_module_considers_pluginmanager_at_import(self, zenrunner) -> None:
        zenrunner.makepyfile("zenrun_plugins='xasdlkj',")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret != 0
        result.stdout.fnmatch_lines(["*xasdlkj*"])

    def test_invalid_test_module_name(self, zenrunner) -> None:
        touch(zenrunner.path / "a" / "pipeline_one.part1.py")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "ImportError while importing pipeline module*pipeline_one.part1*",
                "Hint: make sure your pipeline modules/packages have valid Python names.",
            ]
        )

    @pytest.mark.parametrize("verbose", [0, 1, 2])
    def test_show_traceback_import_error(self, zenrunner, verbose: int) -> None:
        """Import errors when collecting modules should display the traceback (#1976).

        With low verbosity we omit zenrun's own modules, otherwise show all traceback entries."""
        zenrunner.makepyfile(
            foo_traceback_import_error="from bar_traceback_import_error import NOT_AVAILABLE\n",
            bar_traceback_import_error="",
        )
        zenrunner.makepyfile("import foo_traceback_import_error")
        args = ("-v",) * verbose
        result = zenrunner.runzenrun_inprocess(*args)
        result.stdout.fnmatch_lines(
            [
                "ImportError while importing pipeline module*",
                "Traceback:",
                "*from bar_traceback_import_error import NOT_AVAILABLE",
                "*cannot import name *NOT_AVAILABLE*",
            ]
        )
        assert result.ret == 2
        stdout = result.stdout.str()
        if verbose == 2:
            assert f"zenrun{os.sep}collect.py" in stdout
        else:
            assert f"zenrun{os.sep}collect.py" not in stdout

    def test_show_traceback_import_error_unicode(self, zenrunner) -> None:
        """Modules raising ImportError with unicode messages are handled properly (#2336)."""
        zenrunner.makepyfile("raise ImportError('Something bad happened ☺')")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "ImportError while importing pipeline module*",
                "Traceback:",
                "*raise ImportError*Something bad happened*",
            ]
        )
        assert result.ret == 2


class TestFunction:
    def test_function_as_object_instance_ignored(self, zenrunner) -> None:
        # pytest warns "cannot collect 'test_a' because it is not a function": it collects by
        # name; zenrun collects ``@pipeline`` objects, so a callable object is not a candidate.
        zenrunner.makepyfile(
            """
class A(object):
    def __call__(self, tmp_path):
        0/0

test_a = A()
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 0 pipelines"])
        assert result.ret == 5

    def test_issue197_parametrize_emptyset(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize('arg', [])
            def test_function(arg):
                pass
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=1)

    def test_single_tuple_unwraps_values(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize(('arg',), [(1,)])
            def test_function(arg):
                assert arg == 1
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_issue213_parametrize_value_no_equal(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            class A(object):
                def __eq__(self, other):
                    raise ValueError("not possible")
            @pytest.mark.parametrize('arg', [A()])
            def test_function(arg):
                assert arg.__class__.__name__ == "A"
            """,
        )
        zenrunner.runzenrun_inprocess("--fulltrace").assert_outcomes(passed=1)

    def test_parametrize_with_non_hashable_values(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            archival_mapping = {
                '1.0': {'tag': '1.0'},
                '1.2.2a1': {'tag': 'release-1.2.2a1'},
            }

            import pytest
            @pytest.mark.parametrize('key value'.split(),
                                     archival_mapping.items())
            def test_archival_to_version(key, value):
                assert key in archival_mapping
                assert value == archival_mapping[key]
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_parametrize_with_non_hashable_values_indirect(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            archival_mapping = {
                '1.0': {'tag': '1.0'},
                '1.2.2a1': {'tag': 'release-1.2.2a1'},
            }

            import pytest

            @pytest.fixture
            def key(request):
                return request.param

            @pytest.fixture
            def value(request):
                return request.param

            @pytest.mark.parametrize('key value'.split(),
                                     archival_mapping.items(), indirect=True)
            def test_archival_to_version(key, value):
                assert key in archival_mapping
                assert value == archival_mapping[key]
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_parametrize_with_mark(self, zenrunner) -> None:
        # pytest reads ``item.keywords``; here ``-m`` selects by them.
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.foo
            @pytest.mark.parametrize('arg', [
                1,
                pytest.param(2, marks=[pytest.mark.baz, pytest.mark.bar])
            ])
            def test_function(arg):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("--co", "-q", "-m", "foo")
        result.stdout.fnmatch_lines(["*test_function[[]1[]]", "*test_function[[]2[]]"])
        for expr in ("bar", "baz", "bar and baz and foo"):
            result = zenrunner.runzenrun_inprocess("--co", "-q", "-m", expr)
            result.stdout.fnmatch_lines(["*test_function[[]2[]]", "*1 deselected*"])
            result.stdout.no_fnmatch_line("*test_function[[]1[]]")

    def test_parametrize_with_empty_string_arguments(self, zenrunner) -> None:
        write(
            zenrunner,
            """\
            import pytest
            @pytest.mark.parametrize('v', ('', ' '))
            @pytest.mark.parametrize('w', ('', ' '))
            def test(v, w): ...
            """,
        )
        result = zenrunner.runzenrun_inprocess("--co", "-q")
        names = {line.split("::", 1)[1] for line in result.stdout.lines if "::" in line}
        assert names == {"test[-]", "test[ -]", "test[- ]", "test[ - ]"}

    def test_function_equality_with_callspec(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize('arg', [1,2])
            def test_function(arg):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("--co", "-q")
        ids = [line for line in result.stdout.lines if "::" in line]
        assert len(ids) == 2 and ids[0] != ids[1]

    def test_multiple_parametrize(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize('x', [0, 1])
            @pytest.mark.parametrize('y', [2, 3])
            def test1(x, y):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("--co", "-q")
        names = [line.split("::", 1)[1] for line in result.stdout.lines if "::" in line]
        assert names == ["test1[2-0]", "test1[2-1]", "test1[3-0]", "test1[3-1]"]

    def test_parametrize_skipif(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            m = pytest.mark.skipif('True')
            @pytest.mark.parametrize('x', [0, 1, pytest.param(2, marks=m)])
            def test_skip_if(x):
                assert x < 2
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["* 2 passed, 1 skipped in *"])

    def test_parametrize_skip(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            m = pytest.mark.skip('')
            @pytest.mark.parametrize('x', [0, 1, pytest.param(2, marks=m)])
            def test_skip(x):
                assert x < 2
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["* 2 passed, 1 skipped in *"])

    def test_parametrize_skipif_no_skip(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            m = pytest.mark.skipif('False')
            @pytest.mark.parametrize('x', [0, 1, m(2)])
            def test_skipif_no_skip(x):
                assert x < 2
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["* 1 failed, 2 passed in *"])
        assert result.ret == 1

    def test_parametrize_xfail(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            m = pytest.mark.xfail('True')
            @pytest.mark.parametrize('x', [0, 1, pytest.param(2, marks=m)])
            def test_xfail(x):
                assert x < 2
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["* 2 passed, 1 xfailed in *"])

    def test_parametrize_passed(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            m = pytest.mark.xfail('True')
            @pytest.mark.parametrize('x', [0, 1, pytest.param(2, marks=m)])
            def test_xfail(x):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["* 2 passed, 1 xpassed in *"])

    def test_parametrize_xfail_passed(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            m = pytest.mark.xfail('False')
            @pytest.mark.parametrize('x', [0, 1, m(2)])
            def test_passed(x):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["* 3 passed in *"])

    def test_function_originalname(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
import json
def zenrun_collection_modifyitems(items):
    with open("names.json", "w") as f:
        json.dump([item.originalname for item in items], f)
"""
        )
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize('arg', [1,2])
            def test_func(arg):
                pass
            def test_no_param():
                pass
            """,
        )
        zenrunner.runzenrun_inprocess("--co")
        names = json.loads((zenrunner.path / "names.json").read_text())
        assert names == ["test_func", "test_func", "test_no_param"]

    def test_function_with_square_brackets(self, zenrunner) -> None:
        """Check that functions with square brackets don't cause trouble (here: a pipeline
        instance bound under such a name, which names its item as pytest's function does)."""
        p1 = zenrunner.makepyfile(
            PRE
            + """
@pipeline
def _test(value):
    check(value == 1)

locals()["test_foo[name]"] = _test(value=1)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v", "-p", "no:results", str(p1))
        result.stdout.fnmatch_lines([f"{p1.name}::test_foo[[]name[]] PASSED *", "*= 1 passed in *"])


class TestSorting:
    def test_allow_sane_sorting_for_decorators(self, zenrunner) -> None:
        # Pipelines are collected in the order the module defines them (pytest: by line, also
        # through a decorator's ``place_as``).
        write(
            zenrunner,
            """
            def test_b():
                pass
            def test_a():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("--co", "-q")
        names = [line.split("::", 1)[1] for line in result.stdout.lines if "::" in line]
        assert names == ["test_b", "test_a"]


def test_setup_only_available_in_subdir(zenrunner) -> None:
    # pytest_runtest_call has no zenrun hook (a pipeline's call is its steps).
    for sub in ("sub1", "sub2"):
        touch(zenrunner.path / sub / "__init__.py")
        touch(
            zenrunner.path / sub / "conftest.py",
            textwrap.dedent(
                f"""\
                def zenrun_runtest_setup(item):
                    assert item.path.stem == "pipeline_in_{sub}"
                def zenrun_runtest_teardown(item):
                    assert item.path.stem == "pipeline_in_{sub}"
                """
            ),
        )
    touch(zenrunner.path / "sub1" / "pipeline_in_sub1.py", pipelines("def test_1(): pass"))
    touch(zenrunner.path / "sub2" / "pipeline_in_sub2.py", pipelines("def test_2(): pass"))
    result = zenrunner.runzenrun_inprocess("-v", "-s")
    result.assert_outcomes(passed=2)


class TestTracebackCutting:
    def test_traceback_argsetup(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def hello(request):
    raise ValueError("xyz")
"""
        )
        p = write(zenrunner, "def test(hello): pass")
        result = zenrunner.runzenrun_inprocess(str(p))
        assert result.ret != 0
        out = result.stdout.str()
        assert "xyz" in out
        assert "conftest.py:5: ValueError" in out
        numentries = out.count("_ _ _")  # separator for traceback entries
        assert numentries == 0

    def test_traceback_argsetup_fulltrace(self, zenrunner) -> None:
        """The second half of pytest's ``test_traceback_argsetup``: ``--fulltrace`` shows
        zenrun's frames of a fixture's error too, as pytest shows its own."""
        zenrunner.makeconftest(
            """
import zenrun

@zenrun.fixture
def hello(request):
    raise ValueError("xyz")
"""
        )
        p = write(zenrunner, "def test(hello): pass")
        result = zenrunner.runzenrun_inprocess("--fulltrace", str(p))
        out = result.stdout.str()
        assert "conftest.py:5: ValueError" in out
        numentries = out.count("_ _ _ _")  # separator for traceback entries
        assert numentries > 3

    def test_traceback_error_during_import(self, zenrunner) -> None:
        zenrunner.makepyfile(
            """
x = 1
x = 2
x = 17
asd
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret != 0
        out = result.stdout.str()
        assert "x = 1" not in out
        assert "x = 2" not in out
        result.stdout.fnmatch_lines([" *asd*", "E*NameError*"])
        result = zenrunner.runzenrun_inprocess("--fulltrace")
        out = result.stdout.str()
        assert "x = 1" in out
        assert "x = 2" in out
        result.stdout.fnmatch_lines([">*asd*", "E*NameError*"])

    def test_traceback_filter_error_during_fixture_collection(self, zenrunner) -> None:
        """Integration test for issue #995."""
        write(
            zenrunner,
            """
            import pytest

            def fail_me(func):
                ns = {}
                exec('def w(): raise ValueError("fail me")', ns)
                return ns['w']

            @pytest.fixture(scope='class')
            @fail_me
            def fail_fixture():
                pass

            def test_failing_fixture(fail_fixture):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        assert result.ret != 0
        out = result.stdout.str()
        assert "INTERNALERROR>" not in out
        result.stdout.fnmatch_lines(["*ValueError: fail me*", "* 1 error in *"])


class TestReportInfo:
    def test_func_reportinfo(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
import json, os
def zenrun_collection_modifyitems(items):
    path, lineno, modpath = items[0].reportinfo()
    with open("info.json", "w") as f:
        json.dump([os.fspath(path), str(items[0].path), lineno, modpath], f)
"""
        )
        zenrunner.makepyfile(
            PRE.lstrip("\n").replace("@step", "@pipeline\ndef test_func(): check(True)\n@step", 1)
        )
        zenrunner.runzenrun_inprocess("--co")
        path, item_path, lineno, modpath = json.loads((zenrunner.path / "info.json").read_text())
        assert path == item_path
        assert lineno == 3  # 0-based line of ``def test_func``, as pytest's (its case: line 0)
        assert modpath == "test_func"


def test_customized_python_discovery(zenrunner) -> None:
    # python_classes / python_functions: zenrun collects ``@pipeline`` objects, not names.
    zenrunner.maketoml('python_files = ["check_*.py"]\n')
    p = zenrunner.makepyfile(PRE + "\n@pipeline\ndef check_simple():\n    check(True)\n")
    p2 = p.with_name(p.name.replace("pipeline", "check"))
    p.rename(p2)
    result = zenrunner.runzenrun_inprocess("--collect-only", "-s")
    result.stdout.fnmatch_lines(["*check_*customized*", "*check_simple*"])
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_unorderable_types(zenrunner) -> None:
    zenrunner.makepyfile(
        """
class TestJoinEmpty(object):
    pass

def make_test():
    class Test(object):
        pass
    Test.__name__ = "TestFoo"
    return Test
TestFoo = make_test()
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*TypeError*")
    assert result.ret == 5


def test_dont_collect_non_function_callable(zenrunner) -> None:
    """Test for issue https://github.com/pytest-dev/pytest/issues/331 (an INTERNALERROR getting
    the source lines of a callable object). pytest's warning about ``test_a`` is about its
    collection by name; zenrun does not consider a callable object."""
    write(
        zenrunner,
        """
        class Oh(object):
            def __call__(self):
                pass

        test_a = Oh()

        def test_real():
            pass
        """,
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*collected 1 pipeline*", "*1 passed in *"])


def test_syntax_error_with_non_ascii_chars(zenrunner) -> None:
    """Fix decoding issue while formatting SyntaxErrors during collection (#578)."""
    zenrunner.makepyfile("☃")
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*SyntaxError*", "*1 error in*"])


def test_collect_error_with_fulltrace(zenrunner) -> None:
    p = zenrunner.makepyfile("assert 0")
    result = zenrunner.runzenrun_inprocess("--fulltrace", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "collected 0 pipelines / 1 error",
            "",
            "*= ERRORS =*",
            f"*_ ERROR collecting {p.name} _*",
            "",
            ">   assert 0",
            "E   assert 0",
            "",
            f"{p.name}:1: AssertionError",
            "*! Interrupted: 1 error during collection !*",
        ]
    )


def test_skip_duplicates_by_default(zenrunner) -> None:
    """Ignore duplicate directories (#1609)."""
    a = zenrunner.path / "a"
    touch(a / "pipeline_a.py", pipelines("import pytest\ndef test_real():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess(str(a), str(a))
    result.stdout.fnmatch_lines(["*collected 1 pipeline*"])


def test_keep_duplicates(zenrunner) -> None:
    """--keep-duplicates collects pipelines from duplicate directories (#1609)."""
    a = zenrunner.path / "a"
    touch(a / "pipeline_a.py", pipelines("import pytest\ndef test_real():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess("--keep-duplicates", str(a), str(a))
    result.stdout.fnmatch_lines(["*collected 2 pipeline*"])


def test_package_collection_infinite_recursion(zenrunner) -> None:
    # pytest's example ``collect/package_infinite_recursion``
    touch(zenrunner.path / "__init__.pyi")
    zenrunner.makeconftest("def zenrun_ignore_collect(collection_path):\n    return False\n")
    touch(zenrunner.path / "tests" / "__init__.py")
    touch(zenrunner.path / "tests" / "pipeline_basic.py", pipelines("def test():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_package_collection_init_given_as_argument(zenrunner) -> None:
    """Naming an __init__.py file collects only that module, not the package (#3749, #8976,
    #9263, #9313); pytest's example ``collect/package_init_given_as_arg``."""
    pkg = zenrunner.path / "pkg"
    touch(pkg / "__init__.py", pipelines("def test_init():\n    pass\n"))
    touch(pkg / "pipeline_foo.py", pipelines("def test_foo():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess("--co", "-q", str(pkg / "__init__.py"))
    ids = [line for line in result.stdout.lines if "::" in line]
    assert len(ids) == 1
    assert ids[0].endswith("::test_init")


def test_package_with_modules(zenrunner, monkeypatch) -> None:
    root = zenrunner.path / "root"
    touch(root / "__init__.py")
    sub1_test = root / "sub1" / "sub1_1"
    touch(root / "sub1" / "__init__.py")
    touch(sub1_test / "__init__.py")
    touch(sub1_test / "pipeline_in_sub1.py", pipelines("def test_1(): pass"))
    touch(root / "sub2" / "test" / "pipeline_in_sub2.py", pipelines("def test_2(): pass"))
    # Execute from .
    zenrunner.runzenrun_inprocess("-v", "-s").assert_outcomes(passed=2)
    # Execute from . with one argument "root"
    zenrunner.runzenrun_inprocess("-v", "-s", "root").assert_outcomes(passed=2)
    # Chdir into package's root and execute with no args
    monkeypatch.chdir(root)
    zenrunner.runzenrun_inprocess("-v", "-s", cwd=root).assert_outcomes(passed=2)


def test_package_ordering(zenrunner) -> None:
    zenrunner.maketoml('python_files = ["*.py"]\n')
    root = zenrunner.path / "root"
    touch(root / "__init__.py")
    touch(root / "sub1" / "__init__.py")
    touch(root / "Test_root.py", pipelines("def test_1(): pass"))
    touch(root / "sub1" / "Test_sub1.py", pipelines("def test_2(): pass"))
    touch(root / "sub2" / "test" / "test_sub2.py", pipelines("def test_3(): pass"))
    zenrunner.runzenrun_inprocess("-v", "-s").assert_outcomes(passed=3)


HIERARCHY_FULL = [
    "<Dir test_collection_hierarchy*>",
    "  <Dir top>",
    "    <Dir aaa>",
    "      <Package pkg>",
    "        <Module test_pkg.py>",
    "          <Pipeline test_it>",
    "      <Module test_aaa.py>",
    "        <Pipeline test_it>",
    "    <Module test_a.py>",
    "      <Pipeline test_it>",
    "    <Package test_b>",
    "      <Module test_b.py>",
    "        <Pipeline test_it>",
    "    <Module test_c.py>",
    "      <Pipeline test_it>",
    "    <Package zzz>",
    "      <Dir dir>",
    "        <Module test_dir.py>",
    "          <Pipeline test_it>",
    "      <Module test_zzz.py>",
    "        <Pipeline test_it>",
]


def test_collection_hierarchy(zenrunner) -> None:
    """A filesystem hierarchy collected as expected in various scenarios (pytest's module names,
    through ``python_files``)."""
    zenrunner.maketoml('python_files = ["test_*.py"]\n')
    it = pipelines("def test_it(): pass")
    for name in ("top/aaa/test_aaa.py", "top/aaa/pkg/test_pkg.py", "top/test_a.py", "top/test_b/test_b.py"):
        touch(zenrunner.path / name, it)
    for name in ("top/test_c.py", "top/zzz/test_zzz.py", "top/zzz/dir/test_dir.py"):
        touch(zenrunner.path / name, it)
    for name in ("top/aaa/pkg/__init__.py", "top/test_b/__init__.py", "top/zzz/__init__.py"):
        touch(zenrunner.path / name)
    for args in ((), ("top",), ("top", "top")):
        result = zenrunner.runzenrun_inprocess("--collect-only", *args)
        result.stdout.fnmatch_lines(HIERARCHY_FULL, consecutive=True)

    result = zenrunner.runzenrun_inprocess("top/aaa", "top/aaa/pkg", "--collect-only", "--keep-duplicates")
    result.stdout.fnmatch_lines(
        [
            "<Dir test_collection_hierarchy*>",
            "  <Dir top>",
            "    <Dir aaa>",
            "      <Package pkg>",
            "        <Module test_pkg.py>",
            "          <Pipeline test_it>",
            "      <Module test_aaa.py>",
            "        <Pipeline test_it>",
            "      <Package pkg>",
            "        <Module test_pkg.py>",
            "          <Pipeline test_it>",
        ],
        consecutive=True,
    )
    result = zenrunner.runzenrun_inprocess("top/aaa/pkg", "top/aaa", "--collect-only", "--keep-duplicates")
    result.stdout.fnmatch_lines(
        [
            "<Dir test_collection_hierarchy*>",
            "  <Dir top>",
            "    <Dir aaa>",
            "      <Package pkg>",
            "        <Module test_pkg.py>",
            "          <Pipeline test_it>",
            "          <Pipeline test_it>",
            "      <Module test_aaa.py>",
            "        <Pipeline test_it>",
        ],
        consecutive=True,
    )
