"""Port of pytest's ``testing/acceptance_test.py`` (pytest-dev/pytest).

General command-line behaviours: exit codes, errors on missing files and
directories, conftest errors (syntax, import, usage errors, early hook
errors, ``--fulltrace``), ``-p`` plugins, ``--pyargs``, addressing items by
id (``path::name[id]``), ``@args`` files, ``python -m zenrun`` and
``zenrun.main()``, ``--durations``, ``zenrun_plugins``, hooks added by a
plugin, fixture lifetimes, async pipelines and fixtures. Test sources are
written as pytest writes them and turned into pipelines by
``porting.pipelines`` (the assertion runs in the ``check`` step).

Deliberate differences kept: ``--durations`` times steps (a line per step,
``<seconds>s <status> <item>::<step>``), not pytest's setup / call / teardown
phases, so a fixture's setup has no line; an import error of a pipeline module
is ``ImportError while importing pipeline module``; a file no collector takes
is ``(no collector takes ...)`` where pytest lists the collectors it tried;
a plugin named in ``main(plugins=[...])`` that cannot be imported is a usage
error (exit 4, as ``-p NAME``) where pytest's ``main`` raises the
``ImportError``. The async fixture and ``return`` cases follow current pytest
(9): an async fixture is an error at setup and a returned value a warning,
where the stored pytest 8 source expected a warning and a failure.

Not ported: ``test_early_load_setuptools_name`` (fake distributions patched
into ``importlib.metadata``), ``test_assertion_rewrite`` (``--import-mode``
and assertion rewriting), ``test_issue88_initial_file_multinodes`` and
``test_multiple_items_per_collector_byid`` (custom ``File`` / ``Item``
collectors), ``test_invoke_test_and_doctestmodules``, ``test_doctest_id`` and
``test_doctest_and_normal_imports_with_importlib`` (doctest),
``test_noclass_discovery_if_not_testcase`` (unittest, xfail in pytest),
``test_core_backward_compatibility`` (pytest's private
``get_plugin_manager``), ``test_cmdline_python_legacy_namespace_package``
(``pkg_resources`` namespaces, skipped by pytest with current setuptools),
``test_pdb_can_be_rewritten`` (``register_assert_rewrite``),
``test_issue_9765`` (skipped in pytest: ``pip install -e`` of a project).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import subprocess
import sys
import types

import pytest
from porting import pipelines

import zenrun
from zenrun import ExitCode


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


def prepend_pythonpath(*dirs) -> str:
    cur = os.getenv("PYTHONPATH")
    if cur:
        dirs += (cur,)
    return os.pathsep.join(str(p) for p in dirs)


@pytest.fixture
def mock_timing(monkeypatch):
    """pytest's ``mock_timing``: zenrun's clock (``zenrun.timing``) made a counter that
    ``sleep`` advances, so that durations are exact."""

    @dataclasses.dataclass
    class MockTiming:
        _current_time: float = 1590150050.0

        def sleep(self, seconds: float) -> None:
            self._current_time += seconds

        def time(self) -> float:
            return self._current_time

    from zenrun import timing

    result = MockTiming()
    monkeypatch.setattr(timing, "sleep", result.sleep)
    monkeypatch.setattr(timing, "time", result.time)
    monkeypatch.setattr(timing, "perf_counter", result.time)
    monkeypatch.setattr(timing, "monotonic", result.time)
    return result


class TestGeneralUsage:
    def test_config_error(self, zenrunner) -> None:
        # pytest's example conftest_usageerror/conftest.py
        zenrunner.makeconftest(
            """
def zenrun_configure(config):
    import zenrun
    raise zenrun.UsageError("hello")

def zenrun_unconfigure(config):
    print("zenrun_unconfigure_called")
"""
        )
        result = zenrunner.runzenrun_inprocess(zenrunner.path)
        assert result.ret == ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*ERROR: hello"])
        result.stdout.fnmatch_lines(["*zenrun_unconfigure_called"])

    def test_root_conftest_syntax_error(self, zenrunner) -> None:
        zenrunner.makepyfile(conftest="raise SyntaxError\n")
        result = zenrunner.runzenrun_inprocess()
        result.stderr.fnmatch_lines(["*raise SyntaxError*"])
        assert result.ret != 0

    def test_early_hook_error_issue38_1(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_sessionstart():
                0 / 0
        """
        )
        result = zenrunner.runzenrun_inprocess(zenrunner.path)
        assert result.ret != 0
        # tracestyle is native by default for hook failures
        result.stdout.fnmatch_lines(["*INTERNALERROR*File*conftest.py*line 2*", "*0 / 0*"])
        result = zenrunner.runzenrun_inprocess(zenrunner.path, "--fulltrace")
        assert result.ret != 0
        # tracestyle is native by default for hook failures
        result.stdout.fnmatch_lines(["*INTERNALERROR*def zenrun_sessionstart():*", "*INTERNALERROR*0 / 0*"])

    def test_early_hook_configure_error_issue38(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_configure():
                0 / 0
        """
        )
        result = zenrunner.runzenrun_inprocess(zenrunner.path)
        assert result.ret != 0
        # here we get it on stderr
        result.stderr.fnmatch_lines(["*INTERNALERROR*File*conftest.py*line 2*", "*0 / 0*"])

    def test_file_not_found(self, zenrunner) -> None:
        result = zenrunner.runzenrun_inprocess("asd")
        assert result.ret != 0
        result.stderr.fnmatch_lines(["ERROR: file or directory not found: asd"])

    def test_file_not_found_unconfigure_issue143(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_configure():
                print("---configure")
            def zenrun_unconfigure():
                print("---unconfigure")
        """
        )
        result = zenrunner.runzenrun_inprocess("-s", "asd")
        assert result.ret == ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["ERROR: file or directory not found: asd"])
        result.stdout.fnmatch_lines(["*---configure", "*---unconfigure"])

    def test_config_preparse_plugin_option(self, zenrunner) -> None:
        zenrunner.makepyfile(
            zenrun_xyz="""
            def zenrun_addoption(parser):
                parser.addoption("--xyz", dest="xyz", action="store")
        """
        )
        write(
            zenrunner,
            pipeline_one="""
def test_option(request):
    assert request.config.option.xyz == "123"
""",
        )
        zenrunner.syspathinsert()
        result = zenrunner.runzenrun_inprocess("-p", "zenrun_xyz", "--xyz=123")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

    def test_nested_import_error(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
import import_fails
def test_this():
    assert import_fails.a == 1
""",
        )
        zenrunner.makepyfile(import_fails="import does_not_work")
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(
            [
                "ImportError while importing pipeline module*",
                "*No module named *does_not_work*",
            ]
        )
        assert result.ret == 2

    def test_not_collectable_arguments(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile("")
        p2 = zenrunner.makefile(".pyc", "123")
        result = zenrunner.runzenrun_inprocess(p1, p2)
        assert result.ret == ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [
                f"ERROR: not found: {p2}",
                "(no collector takes *)",
            ]
        )

    def test_better_reporting_on_conftest_load_failure(self, zenrunner) -> None:
        """Show a user-friendly traceback on conftest import failures (#486, #3332)"""
        zenrunner.makepyfile("")
        conftest = zenrunner.makeconftest(
            """
            def foo():
                import qwerty
            foo()
        """
        )
        result = zenrunner.runzenrun_inprocess("--help")
        result.stdout.fnmatch_lines(
            """
            *--version*
            *warning*conftest.py*
        """
        )
        # (in a subprocess: in this one, pytest's assertion rewriting imports conftest files)
        result = zenrunner.runzenrun_subprocess()
        assert result.stdout.lines == []
        assert result.stderr.lines == [
            f"ImportError while loading conftest '{conftest}'.",
            "conftest.py:3: in <module>",
            "    foo()",
            "conftest.py:2: in foo",
            "    import qwerty",
            "E   ModuleNotFoundError: No module named 'qwerty'",
        ]

    def test_early_skip(self, zenrunner) -> None:
        zenrunner.mkdir("xyz")
        zenrunner.makeconftest(
            """
            import zenrun
            def zenrun_collect_file():
                zenrun.skip("early")
        """
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == ExitCode.NO_TESTS_COLLECTED
        result.stdout.fnmatch_lines(["*1 skip*"])

    def test_issue93_initialnode_importing_capturing(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            import sys
            print("should not be seen")
            sys.stderr.write("stder42\\n")
        """
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == ExitCode.NO_TESTS_COLLECTED
        result.stdout.no_fnmatch_line("*should not be seen*")
        assert "stderr42" not in result.stderr.str()

    def test_conftest_printing_shows_if_error(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            print("should be seen")
            assert 0
        """
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret != 0
        assert "should be seen" in result.stdout.str()

    def test_issue109_sibling_conftests_not_loaded(self, zenrunner) -> None:
        sub1 = zenrunner.mkdir("sub1")
        sub2 = zenrunner.mkdir("sub2")
        sub1.joinpath("conftest.py").write_text("assert 0", encoding="utf-8")
        result = zenrunner.runzenrun_inprocess(sub2)
        assert result.ret == ExitCode.NO_TESTS_COLLECTED
        sub2.joinpath("__init__.py").touch()
        p = sub2.joinpath("pipeline_hello.py")
        p.touch()
        result = zenrunner.runzenrun_inprocess(p)
        assert result.ret == ExitCode.NO_TESTS_COLLECTED
        result = zenrunner.runzenrun_inprocess(sub1)
        assert result.ret == ExitCode.USAGE_ERROR

    def test_directory_skipped(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            import zenrun
            def zenrun_ignore_collect():
                zenrun.skip("intentional")
        """
        )
        write(zenrunner, "def test_hello(): pass")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == ExitCode.NO_TESTS_COLLECTED
        result.stdout.fnmatch_lines(["*1 skipped*"])

    def test_skip_on_generated_funcarg_id(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            import zenrun
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize('x', [3], ids=['hello-123'])
            def zenrun_runtest_setup(item):
                print(item.keywords)
                if 'hello-123' in item.keywords:
                    zenrun.skip("hello")
                assert 0
        """
        )
        p = write(zenrunner, """def test_func(x): pass""")
        res = zenrunner.runzenrun_inprocess(p)
        assert res.ret == 0
        res.stdout.fnmatch_lines(["*1 skipped*"])

    def test_direct_addressing_selects(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize('i', [1, 2], ids=["1", "2"])
def test_func(i):
    pass
""",
        )
        res = zenrunner.runzenrun_inprocess(p.name + "::" + "test_func[1]")
        assert res.ret == 0
        res.stdout.fnmatch_lines(["*1 passed*"])

    def test_direct_addressing_selects_duplicates(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
import pytest

@pytest.mark.parametrize("a", [1, 2, 10, 11, 2, 1, 12, 11])
def test_func(a):
    pass
""",
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.assert_outcomes(failed=0, passed=8)

    def test_direct_addressing_selects_duplicates_1(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
import pytest

@pytest.mark.parametrize("a", [1, 2, 10, 11, 2, 1, 12, 1_1,2_1])
def test_func(a):
    pass
""",
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.assert_outcomes(failed=0, passed=9)

    def test_direct_addressing_selects_duplicates_2(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
import pytest

@pytest.mark.parametrize("a", ["a","b","c","a","a1"])
def test_func(a):
    pass
""",
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.assert_outcomes(failed=0, passed=5)

    def test_direct_addressing_notfound(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
def test_func():
    pass
""",
        )
        res = zenrunner.runzenrun_inprocess(p.name + "::" + "test_notfound")
        assert res.ret
        res.stderr.fnmatch_lines(["*ERROR*not found*"])

    def test_docstring_on_hookspec(self) -> None:
        hookspec = importlib.import_module("zenrun.hookspec")  # (zenrun.hookspec is the marker)

        for name, value in vars(hookspec).items():
            if name.startswith("zenrun_"):
                assert value.__doc__, f"no docstring for {name}"

    def test_initialization_error_issue49(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_configure():
                x
        """
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 3  # internal error
        result.stderr.fnmatch_lines(["INTERNAL*zenrun_configure*", "INTERNAL*x*"])
        assert "sessionstarttime" not in result.stderr.str()

    @pytest.mark.parametrize("lookfor", ["pipeline_fun.py::test_a"])
    def test_issue134_report_error_when_collecting_member(self, zenrunner, lookfor) -> None:
        zenrunner.makepyfile(
            pipeline_fun="""
            def test_a():
                pass
            def"""
        )
        result = zenrunner.runzenrun_inprocess(lookfor)
        result.stdout.fnmatch_lines(["*SyntaxError*"])
        if "::" in lookfor:
            result.stderr.fnmatch_lines(["*ERROR*"])
            assert result.ret == 4  # usage error only if item not found

    def test_report_all_failed_collections_initargs(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            from zenrun import ExitCode

            def zenrun_sessionfinish(exitstatus):
                assert exitstatus == ExitCode.USAGE_ERROR
                print("zenrun_sessionfinish_called")
            """
        )
        zenrunner.makepyfile(pipeline_a="def", pipeline_b="def")
        result = zenrunner.runzenrun_inprocess("pipeline_a.py::a", "pipeline_b.py::b")
        result.stderr.fnmatch_lines(["*ERROR*pipeline_a.py::a*", "*ERROR*pipeline_b.py::b*"])
        result.stdout.fnmatch_lines(["zenrun_sessionfinish_called"])
        assert result.ret == ExitCode.USAGE_ERROR

    def test_namespace_import_doesnt_confuse_import_hook(self, zenrunner) -> None:
        """Ref #383.

        Python 3.3's namespace package messed with our import hooks.
        Importing a module that didn't exist, even if the ImportError was
        gracefully handled, would make our test crash.
        """
        zenrunner.mkdir("not_a_package")
        p = write(
            zenrunner,
            """
try:
    from not_a_package import doesnt_exist
except ImportError:
    # We handle the import error gracefully here
    pass

def test_whatever():
    pass
""",
        )
        res = zenrunner.runzenrun_inprocess(p.name)
        assert res.ret == 0

    def test_unknown_option(self, zenrunner) -> None:
        result = zenrunner.runzenrun_inprocess("--qwlkej")
        result.stderr.fnmatch_lines(
            """
            *unrecognized*
        """
        )

    def test_getsourcelines_error_issue553(self, zenrunner, monkeypatch) -> None:
        monkeypatch.setattr("inspect.getsourcelines", None)
        p = write(
            zenrunner,
            """
def raise_error(obj):
    raise OSError('source code not available')

import inspect
inspect.getsourcelines = raise_error

def test_foo(invalid_fixture):
    pass
""",
        )
        res = zenrunner.runzenrun_inprocess(p)
        res.stdout.fnmatch_lines(["*source code not available*", "E*fixture 'invalid_fixture' not found"])

    def test_plugins_given_as_strings(self, zenrunner, monkeypatch, capsys) -> None:
        """Test that str values passed to main() as `plugins` arg are
        interpreted as module names to be imported and registered (#855).

        A plugin that cannot be imported is a usage error (as ``-p NAME``), where
        pytest's ``main`` raises the ``ImportError``."""
        assert zenrun.main([str(zenrunner.path)], plugins=["invalid.module"]) == ExitCode.USAGE_ERROR
        assert "invalid" in capsys.readouterr().err

        p = zenrunner.path.joinpath("pipeline_test_plugins_given_as_strings.py")
        p.write_text(pipelines("def test_foo(): pass"), encoding="utf-8")
        mod = types.ModuleType("myplugin")
        monkeypatch.setitem(sys.modules, "myplugin", mod)
        # zenrun.main() in this process: a module of that name another test imported the same way
        # (its own project's) would be this project's file mismatch
        monkeypatch.delitem(sys.modules, "pipeline_test_plugins_given_as_strings", raising=False)
        assert zenrun.main(args=[str(zenrunner.path), "-p", "no:cacheprovider"], plugins=["myplugin"]) == 0

    def test_parametrized_with_bytes_regex(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
import re
import pytest
@pytest.mark.parametrize('r', [re.compile(b'foo')])
def test_stuff(r):
    pass
""",
        )
        res = zenrunner.runzenrun_inprocess(p)
        res.stdout.fnmatch_lines(["*1 passed*"])

    def test_parametrized_with_null_bytes(self, zenrunner) -> None:
        """Test parametrization with values that contain null bytes and unicode characters (#2644, #2957)"""
        p = write(
            zenrunner,
            """\
import pytest

@pytest.mark.parametrize("data", [b"\\x00", "\\x00", 'ação'])
def test_foo(data):
    assert data
""",
        )
        res = zenrunner.runzenrun_inprocess(p)
        res.assert_outcomes(passed=3)

    def test_command_line_args_from_file(self, zenrunner, tmp_path) -> None:
        # pytest's test function is a method of a test class; here a module-level pipeline
        write(
            zenrunner,
            pipeline_file="""
import pytest

@pytest.mark.parametrize("a", ["x","y"])
def test_func(a):
    pass
""",
        )
        tests = [
            "pipeline_file.py::test_func[x]",
            "pipeline_file.py::test_func[y]",
            "-q",
        ]
        args_file = zenrunner.maketxtfile(tests="\n".join(tests))
        result = zenrunner.runzenrun_inprocess(f"@{args_file}")
        result.assert_outcomes(failed=0, passed=2)


class TestInvocationVariants:
    def test_earlyinit(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            """
            import zenrun
            assert hasattr(zenrun, 'mark')
        """
        )
        result = zenrunner.runpython(p)
        assert result.ret == 0

    def test_pydoc(self, zenrunner) -> None:
        result = zenrunner.runpython_c("import zenrun;help(zenrun)")
        assert result.ret == 0
        s = result.stdout.str()
        assert "MarkGenerator" in s

    def test_import_star_zenrun(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            """
            from zenrun import *
            #Item
            #File
            main
            skip
            xfail
        """
        )
        result = zenrunner.runpython(p)
        assert result.ret == 0

    def test_double_zenruncmdline(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            run="""
            import zenrun
            zenrun.main()
            zenrun.main()
        """
        )
        write(
            zenrunner,
            """
def test_hello():
    pass
""",
        )
        result = zenrunner.runpython(p)
        result.stdout.fnmatch_lines(["*1 passed*", "*1 passed*"])

    def test_python_minus_m_invocation_ok(self, zenrunner) -> None:
        p1 = write(zenrunner, "def test_hello(): pass")
        res = zenrunner.runzenrun_subprocess(p1)
        assert res.ret == 0

    def test_python_minus_m_invocation_fail(self, zenrunner) -> None:
        p1 = write(zenrunner, "def test_fail(): 0/0")
        res = zenrunner.runzenrun_subprocess(p1)
        assert res.ret == 1

    def test_python_zenrun_package(self, zenrunner) -> None:
        p1 = write(zenrunner, "def test_pass(): pass")
        res = zenrunner.runzenrun_subprocess(p1)
        assert res.ret == 0
        res.stdout.fnmatch_lines(["*1 passed*"])

    def test_invoke_with_invalid_type(self) -> None:
        with pytest.raises(TypeError, match="expected to be a list of strings, got: '-h'"):
            zenrun.main("-h")  # type: ignore[arg-type]

    def test_invoke_with_path(self, zenrunner, capsys) -> None:
        retcode = zenrun.main([str(zenrunner.path)])
        assert retcode == ExitCode.NO_TESTS_COLLECTED
        out, err = capsys.readouterr()

    def test_invoke_plugin_api(self, capsys) -> None:
        class MyPlugin:
            def zenrun_addoption(self, parser):
                parser.addoption("--myopt")

        zenrun.main(["-h"], plugins=[MyPlugin()])
        out, err = capsys.readouterr()
        assert "--myopt" in out

    def test_pyargs_importerror(self, zenrunner, monkeypatch) -> None:
        monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", False)
        path = zenrunner.mkpydir("tpkg")
        path.joinpath("pipeline_hello.py").write_text("raise ImportError", encoding="utf-8")

        zenrunner.syspathinsert()
        result = zenrunner.runzenrun_inprocess("--pyargs", "tpkg.pipeline_hello")
        assert result.ret != 0

        result.stdout.fnmatch_lines(["collected*0*pipelines*/*1*error"])

    def test_pyargs_only_imported_once(self, zenrunner) -> None:
        pkg = zenrunner.mkpydir("foo")
        pkg.joinpath("pipeline_foo.py").write_text(
            "print('hello from pipeline_foo')\n" + pipelines("def test(): pass"), encoding="utf-8"
        )
        pkg.joinpath("conftest.py").write_text(
            "def zenrun_configure(config): print('configuring')", encoding="utf-8"
        )

        zenrunner.syspathinsert()
        result = zenrunner.runzenrun_inprocess("--pyargs", "foo.pipeline_foo", "-s")
        # should only import once
        assert result.stdout.lines.count("hello from pipeline_foo") == 1
        # should only configure once
        assert result.stdout.lines.count("configuring") == 1

    def test_pyargs_filename_looks_like_module(self, zenrunner) -> None:
        zenrunner.path.joinpath("conftest.py").touch()
        zenrunner.path.joinpath("t.py").write_text(pipelines("def test(): pass"), encoding="utf-8")
        result = zenrunner.runzenrun_inprocess("--pyargs", "t.py")
        assert result.ret == ExitCode.OK

    def test_cmdline_python_package(self, zenrunner, monkeypatch) -> None:
        import warnings

        monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", False)
        path = zenrunner.mkpydir("tpkg")
        path.joinpath("pipeline_hello.py").write_text(pipelines("def test_hello(): pass"), encoding="utf-8")
        path.joinpath("pipeline_world.py").write_text(pipelines("def test_world(): pass"), encoding="utf-8")
        result = zenrunner.runzenrun_inprocess("--pyargs", "tpkg")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*2 passed*"])
        zenrunner.syspathinsert()
        result = zenrunner.runzenrun_inprocess("--pyargs", "tpkg.pipeline_hello")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

        empty_package = zenrunner.mkpydir("empty_package")
        pythonpath = os.pathsep.join(filter(None, [str(empty_package), os.environ.get("PYTHONPATH")]))
        # the path which is not a package raises a warning on pypy;
        # no idea why only pypy and not normal python warn about it here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)
            result = zenrunner.runzenrun_inprocess("--pyargs", ".", env={"PYTHONPATH": pythonpath})
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*2 passed*"])

        result = zenrunner.runzenrun_inprocess("--pyargs", "tpkg.pipeline_missing")
        assert result.ret != 0
        result.stderr.fnmatch_lines(["*not*found*pipeline_missing*"])

    def test_cmdline_python_package_symlink(self, zenrunner, monkeypatch) -> None:
        """
        --pyargs with packages with path containing symlink can have conftest.py in
        their package (#2985)
        """
        monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)

        dirname = "lib"
        d = zenrunner.mkdir(dirname)
        foo = d.joinpath("foo")
        foo.mkdir()
        foo.joinpath("__init__.py").touch()
        lib = foo.joinpath("bar")
        lib.mkdir()
        lib.joinpath("__init__.py").touch()
        lib.joinpath("pipeline_bar.py").write_text(
            pipelines("def test_bar(): pass\ndef test_other(a_fixture):pass"), encoding="utf-8"
        )
        lib.joinpath("conftest.py").write_text(
            "import zenrun\n@zenrun.fixture\ndef a_fixture():pass", encoding="utf-8"
        )

        d_local = zenrunner.mkdir("symlink_root")
        symlink_location = d_local / "lib"
        try:
            symlink_location.symlink_to(d, target_is_directory=True)
        except OSError as e:
            pytest.skip(f"symlinks not supported: {e}")

        # NOTE: the different/reversed ordering is intentional here.
        search_path = ["lib", os.path.join("symlink_root", "lib")]
        for p in search_path:
            zenrunner.syspathinsert(zenrunner.path / p)

        # module picked up in symlink-ed directory:
        # It picks up symlink_root/lib/foo/bar (symlink) via sys.path.
        result = zenrunner.runzenrun_inprocess("--pyargs", "-v", "foo.bar")
        assert result.ret == 0
        result.stdout.fnmatch_lines(
            [
                "symlink_root/lib/foo/bar/pipeline_bar.py::test_bar PASSED*",
                "symlink_root/lib/foo/bar/pipeline_bar.py::test_other PASSED*",
                "*2 passed*",
            ]
        )

    def test_cmdline_python_package_not_exists(self, zenrunner) -> None:
        result = zenrunner.runzenrun_inprocess("--pyargs", "tpkgwhatv")
        assert result.ret
        result.stderr.fnmatch_lines(["ERROR*module*or*package*not*found*"])

    def test_has_plugin(self, zenrunner) -> None:
        """Test hasplugin function of the plugin manager (#932)."""
        write(
            zenrunner,
            """
def test_has(request):
    assert request.config.pluginmanager.hasplugin("collect")
""",
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


DURATIONS_SOURCE = """
from zenrun import pipeline, step, timing

@step
def nap(seconds: float) -> None:
    timing.sleep(seconds)

@pipeline
def test_something():
    nap(0)

@pipeline
def test_2():
    nap(0.010)

@pipeline
def test_1():
    nap(0.002)

@pipeline
def test_3():
    nap(0.020)
"""


class TestDurations:
    """A pipeline's duration is its steps': here each pipeline sleeps in its one step,
    ``nap``, and a line of ``--durations`` is ``<s>s completed <item>::nap``."""

    source = DURATIONS_SOURCE

    def test_calls(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=10")
        assert result.ret == 0

        result.stdout.fnmatch_lines_random(["*durations*", "*test_3::nap*", "*test_2::nap*"])

        result.stdout.fnmatch_lines(["(2 durations < 0.005s hidden.  Use -vv to show these durations.)"])

    def test_calls_show_2(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=2")
        assert result.ret == 0

        lines = result.stdout.get_lines_after("*slowest*durations*")
        assert "4 passed" in lines[2]

    def test_calls_showall(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=0")
        assert result.ret == 0
        TestDurations.check_tests_in_output(result.stdout.lines, 2, 3)

    def test_calls_showall_verbose(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=0", "-vv")
        assert result.ret == 0
        TestDurations.check_tests_in_output(result.stdout.lines, 1, 2, 3)

    def test_calls_showall_durationsmin(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=0", "--durations-min=0.015")
        assert result.ret == 0
        TestDurations.check_tests_in_output(result.stdout.lines, 3)

    def test_calls_showall_durationsmin_verbose(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=0", "--durations-min=0.015", "-vv")
        assert result.ret == 0
        TestDurations.check_tests_in_output(result.stdout.lines, 3)

    @staticmethod
    def check_tests_in_output(lines, *expected_test_numbers: int, number_of_tests: int = 3) -> None:
        found_test_numbers = {
            test_number
            for test_number in range(1, number_of_tests + 1)
            if any(line.endswith(f"test_{test_number}::nap") and " completed " in line for line in lines)
        }
        assert found_test_numbers == set(expected_test_numbers)

    def test_with_deselected(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=2", "-k test_3")
        assert result.ret == 0

        result.stdout.fnmatch_lines(["*durations*", "*test_3::nap*"])

    def test_with_failing_collection(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        zenrunner.makepyfile(pipeline_collecterror="""xyz""")
        result = zenrunner.runzenrun_inprocess("--durations=2", "-k test_1")
        assert result.ret == 2

        result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
        # Collection errors abort test execution, therefore no duration is
        # output
        result.stdout.no_fnmatch_line("*duration*")

    def test_with_not(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("-k not 1")
        assert result.ret == 0


class TestDurationsWithFixture:
    source = """
import zenrun
from zenrun import pipeline, step, timing

@step
def nap(seconds: float) -> None:
    timing.sleep(seconds)

@zenrun.fixture
def setup_fixt():
    timing.sleep(2)

@pipeline
def test_1(setup_fixt):
    nap(5)
"""

    def test_setup_function(self, zenrunner, mock_timing) -> None:
        zenrunner.makepyfile(self.source)
        result = zenrunner.runzenrun_inprocess("--durations=10")
        assert result.ret == 0

        result.stdout.fnmatch_lines_random(
            """
            *durations*
            5.00s completed *test_1::nap*
        """
        )
        result.stdout.no_fnmatch_line("2.00s*")  # a fixture's setup is not a step: no line


def test_zipimport_hook(zenrunner) -> None:
    """Test package loader is being used correctly (see #1837)."""
    zipapp = pytest.importorskip("zipapp")
    zenrunner.path.joinpath("app").mkdir()
    zenrunner.makepyfile(
        **{
            "app/foo": """
            import zenrun
            def main():
                zenrun.main(['--pyargs', 'foo'])
        """
        }
    )
    target = zenrunner.path.joinpath("foo.zip")
    zipapp.create_archive(str(zenrunner.path.joinpath("app")), str(target), main="foo:main")
    result = zenrunner.runpython(target)
    assert result.ret == 0
    result.stderr.fnmatch_lines(["*not found*foo*"])
    result.stdout.no_fnmatch_line("*INTERNALERROR>*")


def test_import_plugin_unicode_name(zenrunner) -> None:
    zenrunner.makepyfile(myplugin="")
    write(zenrunner, "def test(): pass")
    zenrunner.makeconftest("zenrun_plugins = ['myplugin']")
    r = zenrunner.runzenrun_inprocess()
    assert r.ret == 0


def test_zenrun_plugins_as_module(zenrunner) -> None:
    """Do not raise an error if zenrun_plugins attribute is a module (#3899)"""
    zenrunner.makepyfile(
        __init__="",
        zenrun_plugins="",
        conftest="from . import zenrun_plugins",
        pipeline_foo=pipelines("def test(): pass"),
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["* 1 passed in *"])


def test_deferred_hook_checking(zenrunner) -> None:
    """Check hooks as late as possible (#1821)."""
    zenrunner.syspathinsert()
    zenrunner.makepyfile(
        plugin="""
        class Hooks(object):
            def zenrun_my_hook(self, config):
                pass

        def zenrun_configure(config):
            config.pluginmanager.add_hookspecs(Hooks)
        """,
        conftest="""
            zenrun_plugins = ['plugin']
            def zenrun_my_hook(config):
                return 40
        """,
        pipeline_foo=pipelines(
            """
def test(request):
    assert request.config.hook.zenrun_my_hook(config=request.config) == [40]
"""
        ),
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["* 1 passed *"])


def test_fixture_values_leak(zenrunner) -> None:
    """Ensure that fixture objects are properly destroyed by the garbage collector at the end of their expected
    life-times (#2981).
    """
    write(
        zenrunner,
        """
import dataclasses
import gc
import pytest
import weakref

@dataclasses.dataclass
class SomeObj:
    name: str

fix_of_test1_ref = None
session_ref = None

@pytest.fixture(scope='session')
def session_fix():
    global session_ref
    obj = SomeObj(name='session-fixture')
    session_ref = weakref.ref(obj)
    return obj

@pytest.fixture
def fix(session_fix):
    global fix_of_test1_ref
    obj = SomeObj(name='local-fixture')
    fix_of_test1_ref = weakref.ref(obj)
    return obj

def test1(fix):
    assert fix_of_test1_ref() is fix

def test2():
    gc.collect()
    # fixture "fix" created during test1 must have been destroyed by now
    assert fix_of_test1_ref() is None
""",
    )
    result = zenrunner.runzenrun_subprocess()
    result.stdout.fnmatch_lines(["* 2 passed *"])


def test_fixture_order_respects_scope(zenrunner) -> None:
    """Ensure that fixtures are created according to scope order (#2405)."""
    write(
        zenrunner,
        """
import pytest

data = {}

@pytest.fixture(scope='module')
def clean_data():
    data.clear()

@pytest.fixture(autouse=True)
def add_data():
    data.update(value=True)

@pytest.mark.usefixtures('clean_data')
def test_value():
    assert data.get('value')
""",
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0


def test_frame_leak_on_failing_test(zenrunner) -> None:
    """zenrun would leak garbage referencing the frames of pipelines that failed
    that could never be reclaimed (#2798)."""
    write(
        zenrunner,
        """
import gc
import weakref

class Obj:
    pass

ref = None

def test1():
    obj = Obj()
    global ref
    ref = weakref.ref(obj)
    assert 0

def test2():
    gc.collect()
    assert ref() is None
""",
    )
    result = zenrunner.runzenrun_subprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*1 failed, 1 passed in*"])


def test_fixture_mock_integration(zenrunner) -> None:
    """Test that decorators applied to fixture are left working (#3774)"""
    # pytest's example acceptance/fixture_mock_integration.py
    p = write(
        zenrunner,
        """
from unittest import mock
import pytest

config = {"mykey": "ORIGINAL"}

@pytest.fixture(scope="function")
@mock.patch.dict(config, {"mykey": "MOCKED"})
def my_fixture():
    return config["mykey"]

def test_foobar(my_fixture):
    assert my_fixture == "MOCKED"
""",
    )
    result = zenrunner.runzenrun_inprocess(p)
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_usage_error_code(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-unknown-option-")
    assert result.ret == ExitCode.USAGE_ERROR


def test_error_on_async_function(zenrunner) -> None:
    # test_3 returns a coroutine (of a plain async function: calling a pipeline composes it)
    write(
        zenrunner,
        pipeline_async="""
async def _coroutine():
    pass
async def test_1():
    pass
async def test_2():
    pass
def test_3():
    coro = _coroutine()
    return coro
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            "*async def functions are not natively supported*",
            "*pipeline_async.py::test_1*",
            "*pipeline_async.py::test_2*",
            "*pipeline_async.py::test_3*",
        ]
    )
    result.assert_outcomes(failed=3)


def test_error_on_async_gen_function(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_async="""
async def _generator():
    yield
async def test_1():
    yield
async def test_2():
    yield
def test_3():
    return _generator()
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            "*async def functions are not natively supported*",
            "*pipeline_async.py::test_1*",
            "*pipeline_async.py::test_2*",
            "*pipeline_async.py::test_3*",
        ]
    )
    result.assert_outcomes(failed=3)


# The async fixture cases as current pytest (9) has them: an error at setup, where pytest 8
# warned that it would become one.
def test_error_on_sync_test_async_fixture(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_sync="""
import pytest

@pytest.fixture
async def async_fixture():
    ...

def test_foo(async_fixture):
    # suppress unawaited coroutine warning
    try:
        async_fixture.send(None)
    except StopIteration:
        pass
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            (
                "*'test_foo' requested an async "
                "fixture 'async_fixture', with no plugin or hook that handled it. "
                "This is an error, as zenrun does not natively support it."
            ),
        ]
    )
    result.assert_outcomes(errors=1)


def test_error_on_sync_test_async_fixture_gen(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_sync="""
import pytest

@pytest.fixture
async def async_fixture():
    yield

def test_foo(async_fixture):
    # async gens don't emit unawaited-coroutine
    ...
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            (
                "*'test_foo' requested an async "
                "fixture 'async_fixture', with no plugin or hook that handled it. "
                "This is an error, as zenrun does not natively support it."
            ),
        ]
    )
    result.assert_outcomes(errors=1)


def test_error_on_sync_test_async_autouse_fixture(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_sync="""
import pytest

@pytest.fixture(autouse=True)
async def async_fixture():
    ...

# We explicitly request the fixture to be able to
# suppress the RuntimeWarning for unawaited coroutine.
def test_foo(async_fixture):
    try:
        async_fixture.send(None)
    except StopIteration:
        pass
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            (
                "*'test_foo' requested an async "
                "fixture 'async_fixture' with autouse=True, with no plugin or hook "
                "that handled it. "
                "This is an error, as zenrun does not natively support it."
            ),
        ]
    )
    result.assert_outcomes(errors=1)


def test_tee_stdio_captures_and_live_prints(zenrunner) -> None:
    testpath = zenrunner.makepyfile(
        """
        import sys
        from zenrun import pipeline, step

        @step
        def prints():
            print ("@this is stdout@")
            print ("@this is stderr@", file=sys.stderr)

        @pipeline
        def test_simple():
            prints()
    """
    )
    result = zenrunner.runzenrun_subprocess(
        testpath,
        "--capture=tee-sys",
        "--junitxml=output.xml",
        "-o",
        "junit_logging=all",
    )

    # ensure stdout/stderr were 'live printed'
    result.stdout.fnmatch_lines(["*@this is stdout@*"])
    result.stderr.fnmatch_lines(["*@this is stderr@*"])

    # now ensure the output is in the junitxml
    fullXml = zenrunner.path.joinpath("output.xml").read_text(encoding="utf-8")
    assert "@this is stdout@\n" in fullXml
    assert "@this is stderr@\n" in fullXml


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="Windows raises `OSError: [Errno 22] Invalid argument` instead",
)
def test_no_brokenpipeerror_message(zenrunner) -> None:
    """Ensure that the broken pipe error message is suppressed."""
    popen = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=zenrunner.env(),
        cwd=zenrunner.path,
    )
    try:
        popen.stdout.close()
        ret = popen.wait(timeout=300)
        assert popen.stderr.read() == b""
        assert ret == 1
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.wait()
        popen.stderr.close()


def test_function_return_non_none_warning(zenrunner) -> None:
    """As current pytest (9): a warning (pytest 8 failed the test). The pipeline calls a
    step first: a pipeline that calls none is an error of its own."""
    write(
        zenrunner,
        """
def test_stuff():
    check(True)
    return "something"
""",
    )
    res = zenrunner.runzenrun_inprocess()
    res.assert_outcomes(passed=1, warnings=1)
    res.stdout.fnmatch_lines(["*Did you mean to use `assert` instead of `return`?*"])


def test_no_terminal_plugin(zenrunner) -> None:
    """Smoke test to ensure zenrun can execute without the terminal plugin (#9422)."""
    write(zenrunner, "def test(): assert 1 == 2")
    result = zenrunner.runzenrun_inprocess("-pno:terminal", "-s")
    assert result.ret == ExitCode.TESTS_FAILED
