"""Port of pytest's ``testing/test_pytester.py`` (pytest-dev/pytest).

``pytester`` is the ``zenrunner`` fixture (``zenrun.testing``): its files,
runs (``runzenrun`` / ``runzenrun_subprocess`` / ``inline_run``),
``RunResult`` and its outcomes, ``LineMatcher`` and ``HookRecorder``. Test
sources are written as pytest writes them and turned into pipeline modules by
``porting.pipelines`` (the assertion runs in the ``check`` step).

Names mapped: ``runpytest`` -> ``runzenrun`` (a subprocess by default: the
port of ``--runpytest subprocess`` checks that), ``pytest_plugins =
"pytester"`` -> the ``zenrunner`` fixture in a pytest session (it is a pytest
plugin: zenrun's pipelines do not use it), pytest's hook names -> zenrun's.

Not ported: ``test_make_hook_recorder`` (xfail in pytest itself, on pytest's
report classes), ``test_pytester_with_doctest`` (doctest),
``test_inline_run_sys_modules_snapshot_restore_preserving_modules`` (pytest's
``zope`` workaround of its private ``SysModulesSnapshot``),
``TestSysModulesSnapshot`` (5) and ``TestSysPathsSnapshot`` (2): unit tests of
pytester's private snapshot classes (what they restore is checked through
``inline_run`` in ``test_inline_run_taking_and_restoring_a_sys_modules_snapshot``),
``test_spawn_uses_tmphome`` (pexpect's ``spawn_pytest``). Ported without a
part: ``test_linematcher_with_nonlist`` (not pytest's private ``_getlines`` and
``Source``), ``test_pytester_run_with_timeout`` (no timing assertion: the run
within its timeout returns), ``test_inline_run_taking_and_restoring_a_sys_modules_snapshot``
(without the spy on the private snapshot class).
"""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest
from porting import pipelines

import zenrun
from zenrun import ExitCode
from zenrun.config import PluginManager
from zenrun.testing import HookRecorder, LineMatcher, RunResult


def test_parseconfig(zenrunner) -> None:
    config1 = zenrunner.parseconfig()
    config2 = zenrunner.parseconfig()
    assert config2 is not config1


def test_zenrunner_runs_with_plugin(zenrunner) -> None:
    """pytest's ``test_pytester_runs_with_plugin``: the fixture reaches a pytest session
    through zenrun's ``pytest11`` entry point (``pytest_plugins = "pytester"`` there)."""
    zenrunner.makepyfile(
        test_hello="""
        def test_hello(zenrunner):
            assert 1
        """
    )
    result = zenrunner.runpython_c(
        "import sys, pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'test_hello.py']))"
    )
    result.stdout.fnmatch_lines(["1 passed*"])
    assert result.ret == 0


def test_runresult_assertion_on_xfail(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
        import pytest

        @pytest.mark.xfail
        def test_potato():
            assert False
    """
        )
    )
    result = zenrunner.runzenrun()
    result.assert_outcomes(xfailed=1)
    assert result.ret == 0


def test_runresult_assertion_on_xpassed(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
        import pytest

        @pytest.mark.xfail
        def test_potato():
            assert True
    """
        )
    )
    result = zenrunner.runzenrun()
    result.assert_outcomes(xpassed=1)
    assert result.ret == 0


def test_xpassed_with_strict_is_considered_a_failure(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
        import pytest

        @pytest.mark.xfail(strict=True)
        def test_potato():
            assert True
    """
        )
    )
    result = zenrunner.runzenrun()
    result.assert_outcomes(failed=1)
    assert result.ret != 0


def make_holder():
    hookspec = zenrun.hookspec

    class apiclass:
        @hookspec
        def zenrun_xyz(self, arg):
            """X"""

        @hookspec
        def zenrun_xyz_noarg(self):
            """X"""

    apimod = types.ModuleType("api")

    @hookspec
    def zenrun_xyz(arg):
        """X"""

    @hookspec
    def zenrun_xyz_noarg():
        """X"""

    apimod.zenrun_xyz = zenrun_xyz  # type: ignore[attr-defined]
    apimod.zenrun_xyz_noarg = zenrun_xyz_noarg  # type: ignore[attr-defined]
    return apiclass, apimod


@pytest.mark.parametrize("holder", make_holder())
def test_hookrecorder_basic(holder) -> None:
    pm = PluginManager()
    pm.add_hookspecs(holder)
    rec = HookRecorder(pm)
    pm.hook.zenrun_xyz(arg=123)
    call = rec.popcall("zenrun_xyz")
    assert call.arg == 123
    assert call._name == "zenrun_xyz"
    with pytest.raises(pytest.fail.Exception):
        rec.popcall("abc")
    pm.hook.zenrun_xyz_noarg()
    call = rec.popcall("zenrun_xyz_noarg")
    assert call._name == "zenrun_xyz_noarg"


def test_makepyfile_unicode(zenrunner) -> None:
    zenrunner.makepyfile(chr(0xFFFD))


def test_makepyfile_utf8(zenrunner) -> None:
    """Ensure makepyfile accepts utf-8 bytes as input (#2738)"""
    utf8_contents = """
        def setup_function(function):
            mixed_encoding = 'São Paulo'
    """.encode()
    p = zenrunner.makepyfile(utf8_contents)
    assert "mixed_encoding = 'São Paulo'".encode() in p.read_bytes()


class TestInlineRunModulesCleanup:
    def test_inline_run_test_module_not_cleaned_up(self, zenrunner) -> None:
        test_mod = zenrunner.makepyfile(pipelines("def test_foo(): assert True"))
        result = zenrunner.inline_run(str(test_mod))
        assert result.ret == ExitCode.OK
        # rewrite module, now test should fail if module was re-imported
        test_mod.write_text(pipelines("def test_foo(): assert False"), encoding="utf-8")
        result2 = zenrunner.inline_run(str(test_mod))
        assert result2.ret == ExitCode.TESTS_FAILED

    def test_inline_run_taking_and_restoring_a_sys_modules_snapshot(self, zenrunner) -> None:
        zenrunner.syspathinsert()
        original = dict(sys.modules)
        zenrunner.makepyfile(import1="# you son of a silly person")
        zenrunner.makepyfile(import2="# my hovercraft is full of eels")
        test_mod = zenrunner.makepyfile(
            pipelines(
                """
            import import1
            def test_foo(): import import2"""
            )
        )
        zenrunner.inline_run(str(test_mod)).assertoutcome(passed=1)
        assert sys.modules == original
        assert all(sys.modules[x] is original[x] for x in sys.modules)

    def test_external_test_module_imports_not_cleaned_up(self, zenrunner) -> None:
        zenrunner.syspathinsert()
        zenrunner.makepyfile(imported="data = 'you son of a silly person'")
        import imported  # type: ignore[import-not-found]

        test_mod = zenrunner.makepyfile(
            pipelines(
                """
            def test_foo():
                import imported
                imported.data = 42"""
            )
        )
        zenrunner.inline_run(str(test_mod)).assertoutcome(passed=1)
        assert imported.data == 42


def test_assert_outcomes_after_zenrun_error(zenrunner) -> None:
    zenrunner.makepyfile(pipelines("def test_foo(): assert True"))

    result = zenrunner.runzenrun("--unexpected-argument")
    with pytest.raises(ValueError, match="terminal summary report not found"):
        result.assert_outcomes(passed=0)


def test_zenrunner_subprocess(zenrunner) -> None:
    testfile = zenrunner.makepyfile(pipelines("def test_one(): pass"))
    assert zenrunner.runzenrun_subprocess(testfile).ret == 0


def test_zenrunner_subprocess_via_runzenrun(zenrunner) -> None:
    """pytest's ``test_pytester_subprocess_via_runpytest_arg``: ``runzenrun`` runs zenrun in a
    subprocess (pytest's ``--runpytest subprocess``; zenrun's default)."""
    testfile = zenrunner.makepyfile(
        pipelines(
            f"""
        import os
        def test_one():
            assert {os.getpid()} != os.getpid()
        """
        )
    )
    assert zenrunner.runzenrun(testfile).ret == 0


def test_unicode_args(zenrunner) -> None:
    result = zenrunner.runzenrun("-k", "אבג")
    assert result.ret == ExitCode.NO_TESTS_COLLECTED


def test_zenrunner_run_no_timeout(zenrunner) -> None:
    testfile = zenrunner.makepyfile(pipelines("def test_no_timeout(): pass"))
    assert zenrunner.runzenrun_subprocess(testfile).ret == ExitCode.OK


def test_zenrunner_run_with_timeout(zenrunner) -> None:
    testfile = zenrunner.makepyfile(pipelines("def test_no_timeout(): pass"))
    result = zenrunner.runzenrun_subprocess(testfile, timeout=120)
    assert result.ret == ExitCode.OK


def test_zenrunner_run_timeout_expires(zenrunner) -> None:
    testfile = zenrunner.makepyfile(
        pipelines(
            """
        import time

        def test_timeout():
            time.sleep(10)"""
        )
    )
    with pytest.raises(zenrunner.TimeoutExpired):
        zenrunner.runzenrun_subprocess(testfile, timeout=1)


def test_linematcher_with_nonlist() -> None:
    """Test LineMatcher with regard to passing in a set (accidentally)."""
    lm = LineMatcher([])
    with pytest.raises(TypeError, match="invalid type for lines2: set"):
        lm.fnmatch_lines(set())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invalid type for lines2: dict"):
        lm.fnmatch_lines({})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invalid type for lines2: set"):
        lm.re_match_lines(set())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invalid type for lines2: dict"):
        lm.re_match_lines({})  # type: ignore[arg-type]
    lm.fnmatch_lines([])
    lm.fnmatch_lines(())
    lm.fnmatch_lines("")


def test_linematcher_match_failure() -> None:
    lm = LineMatcher(["foo", "foo", "bar"])
    with pytest.raises(pytest.fail.Exception) as e:
        lm.fnmatch_lines(["foo", "f*", "baz"])
    assert e.value.msg is not None
    assert e.value.msg.splitlines() == [
        "exact match: 'foo'",
        "fnmatch: 'f*'",
        "   with: 'foo'",
        "nomatch: 'baz'",
        "    and: 'bar'",
        "remains unmatched: 'baz'",
    ]

    lm = LineMatcher(["foo", "foo", "bar"])
    with pytest.raises(pytest.fail.Exception) as e:
        lm.re_match_lines(["foo", "^f.*", "baz"])
    assert e.value.msg is not None
    assert e.value.msg.splitlines() == [
        "exact match: 'foo'",
        "re.match: '^f.*'",
        "    with: 'foo'",
        " nomatch: 'baz'",
        "     and: 'bar'",
        "remains unmatched: 'baz'",
    ]


def test_linematcher_consecutive() -> None:
    lm = LineMatcher(["1", "", "2"])
    with pytest.raises(pytest.fail.Exception) as excinfo:
        lm.fnmatch_lines(["1", "2"], consecutive=True)
    assert str(excinfo.value).splitlines() == [
        "exact match: '1'",
        "no consecutive match: '2'",
        "   with: ''",
    ]

    lm.re_match_lines(["1", r"\d?", "2"], consecutive=True)
    with pytest.raises(pytest.fail.Exception) as excinfo:
        lm.re_match_lines(["1", r"\d", "2"], consecutive=True)
    assert str(excinfo.value).splitlines() == [
        "exact match: '1'",
        r"no consecutive match: '\\d'",
        "    with: ''",
    ]


@pytest.mark.parametrize("function", ["no_fnmatch_line", "no_re_match_line"])
def test_linematcher_no_matching(function: str) -> None:
    if function == "no_fnmatch_line":
        good_pattern = "*.py OK*"
        bad_pattern = "*X.py OK*"
    else:
        assert function == "no_re_match_line"
        good_pattern = r".*py OK"
        bad_pattern = r".*Xpy OK"

    lm = LineMatcher(
        [
            "cachedir: .pytest_cache",
            "collecting ... collected 1 item",
            "",
            "show_fixtures_per_test.py OK",
            "=== elapsed 1s ===",
        ]
    )

    # check the function twice to ensure we don't accumulate the internal buffer
    for _ in range(2):
        with pytest.raises(pytest.fail.Exception) as e:
            func = getattr(lm, function)
            func(good_pattern)
        obtained = str(e.value).splitlines()
        if function == "no_fnmatch_line":
            assert obtained == [
                f"nomatch: '{good_pattern}'",
                "    and: 'cachedir: .pytest_cache'",
                "    and: 'collecting ... collected 1 item'",
                "    and: ''",
                f"fnmatch: '{good_pattern}'",
                "   with: 'show_fixtures_per_test.py OK'",
            ]
        else:
            assert obtained == [
                f" nomatch: '{good_pattern}'",
                "     and: 'cachedir: .pytest_cache'",
                "     and: 'collecting ... collected 1 item'",
                "     and: ''",
                f"re.match: '{good_pattern}'",
                "    with: 'show_fixtures_per_test.py OK'",
            ]

    func = getattr(lm, function)
    func(bad_pattern)  # bad pattern does not match any line: passes


def test_linematcher_no_matching_after_match() -> None:
    lm = LineMatcher(["1", "2", "3"])
    lm.fnmatch_lines(["1", "3"])
    with pytest.raises(pytest.fail.Exception) as e:
        lm.no_fnmatch_line("*")
    assert str(e.value).splitlines() == ["fnmatch: '*'", "   with: '1'"]


def test_linematcher_string_api() -> None:
    lm = LineMatcher(["foo", "bar"])
    assert str(lm) == "foo\nbar"


def test_zenrun_addopts_before_zenrunner(request, monkeypatch) -> None:
    monkeypatch.setenv("ZENRUN_ADDOPTS", "--orig-unused")
    zenrunner = request.getfixturevalue("zenrunner")
    assert "ZENRUN_ADDOPTS" not in os.environ
    assert "ZENRUN_ADDOPTS" not in zenrunner.env()


def test_run_stdin(zenrunner) -> None:
    """pytest's runs a command (``pytester.run(sys.executable, "-c", ...)``):
    ``zenrunner.run`` runs zenrun, ``runpython_c`` a Python command."""
    with pytest.raises(zenrunner.TimeoutExpired):
        zenrunner.runpython_c(
            "import sys, time; time.sleep(1); print(sys.stdin.read())",
            stdin=subprocess.PIPE,
            timeout=0.1,
        )

    with pytest.raises(zenrunner.TimeoutExpired):
        result = zenrunner.runpython_c(
            "import sys, time; time.sleep(1); print(sys.stdin.read())",
            stdin=b"input\n2ndline",
            timeout=0.1,
        )

    result = zenrunner.runpython_c(
        "import sys; print(sys.stdin.read())",
        stdin=b"input\n2ndline",
    )
    assert result.stdout.lines == ["input", "2ndline"]
    assert result.stderr.str() == ""
    assert result.ret == 0


def test_popen_stdin_pipe(zenrunner) -> None:
    proc = zenrunner.popen(
        [sys.executable, "-c", "import sys; print(sys.stdin.read())"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.PIPE,
    )
    stdin = b"input\n2ndline"
    stdout, stderr = proc.communicate(input=stdin)
    assert stdout.decode("utf8").splitlines() == ["input", "2ndline"]
    assert stderr == b""
    assert proc.returncode == 0


def test_popen_stdin_bytes(zenrunner) -> None:
    proc = zenrunner.popen(
        [sys.executable, "-c", "import sys; print(sys.stdin.read())"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=b"input\n2ndline",
    )
    stdout, stderr = proc.communicate()
    assert stdout.decode("utf8").splitlines() == ["input", "2ndline"]
    assert stderr == b""
    assert proc.returncode == 0


def test_popen_default_stdin_stderr_and_stdin_None(zenrunner) -> None:
    # stdout, stderr default to pipes,
    # stdin can be None to not close the pipe, avoiding
    # "ValueError: flush of closed file" with `communicate()`.
    p1 = zenrunner.makepyfile(
        """
        import sys
        print(sys.stdin.read())  # empty
        print('stdout')
        sys.stderr.write('stderr')
        """
    )
    proc = zenrunner.popen([sys.executable, str(p1)], stdin=None)
    stdout, stderr = proc.communicate(b"ignored")
    assert stdout.splitlines() == [b"", b"stdout"]
    assert stderr.splitlines() == [b"stderr"]
    assert proc.returncode == 0


def test_run_result_repr() -> None:
    outlines = ["some", "normal", "output"]
    errlines = ["some", "nasty", "errors", "happened"]

    # known exit code
    r = RunResult(["zenrun"], 1, "\n".join(outlines), "\n".join(errlines), duration=0.5)
    assert repr(r) == (
        f"<RunResult ret={zenrun.ExitCode.TESTS_FAILED!s} len(stdout.lines)=3"
        " len(stderr.lines)=4 duration=0.50s>"
    )

    # unknown exit code: just the number
    r = RunResult(["zenrun"], 99, "\n".join(outlines), "\n".join(errlines), duration=0.5)
    assert repr(r) == "<RunResult ret=99 len(stdout.lines)=3 len(stderr.lines)=4 duration=0.50s>"


def test_zenrunner_outcomes_with_multiple_errors(zenrunner) -> None:
    p1 = zenrunner.makepyfile(
        pipelines(
            """
        import pytest

        @pytest.fixture
        def bad_fixture():
            raise Exception("bad")

        def test_error1(bad_fixture):
            pass

        def test_error2(bad_fixture):
            pass
    """
        )
    )
    result = zenrunner.runzenrun(str(p1))
    result.assert_outcomes(errors=2)

    assert result.parseoutcomes() == {"errors": 2}


def test_parse_summary_line_always_plural() -> None:
    """Parsing summaries always returns plural nouns (#6505)"""
    lines = [
        "some output 1",
        "some output 2",
        "======= 1 failed, 1 passed, 1 warning, 1 error in 0.13s ====",
        "done.",
    ]
    assert RunResult.parse_summary_nouns(lines) == {
        "errors": 1,
        "failed": 1,
        "passed": 1,
        "warnings": 1,
    }

    lines = [
        "some output 1",
        "some output 2",
        "======= 1 failed, 1 passed, 2 warnings, 2 errors in 0.13s ====",
        "done.",
    ]
    assert RunResult.parse_summary_nouns(lines) == {
        "errors": 2,
        "failed": 1,
        "passed": 1,
        "warnings": 2,
    }


def test_makefile_joins_absolute_path(zenrunner) -> None:
    absfile = zenrunner.path / "absfile"
    p1 = zenrunner.makepyfile(**{str(absfile): ""})
    assert str(p1) == str(zenrunner.path / "absfile.py")


def test_zenrunner_makefile_dot_prefixes_extension_with_warning(zenrunner) -> None:
    with pytest.raises(
        ValueError,
        match=r"zenrunner\.makefile expects a file extension, try \.foo\.bar instead of foo\.bar",
    ):
        zenrunner.makefile("foo.bar", "")


def test_zenrunner_assert_outcomes_warnings(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
        import warnings

        def test_with_warning():
            warnings.warn(UserWarning("some custom warning"))
        """
        )
    )
    result = zenrunner.runzenrun()
    result.assert_outcomes(passed=1, warnings=1)
    # If warnings is not passed, it is not checked at all.
    result.assert_outcomes(passed=1)


def test_zenrunner_outcomes_deselected(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
        def test_one():
            pass

        def test_two():
            pass
        """
        )
    )
    result = zenrunner.runzenrun("-k", "test_one")
    result.assert_outcomes(passed=1, deselected=1)
    # If deselected is not passed, it is not checked at all.
    result.assert_outcomes(passed=1)


def test_zenrunner_subprocess_with_string_plugins(zenrunner) -> None:
    """Test that zenrunner.runzenrun_subprocess is OK with named (string)
    `.plugins`: each one is loaded with ``-p NAME``."""
    zenrunner.makepyfile(myplugin="def zenrun_report_header(config):\n    return 'myplugin loaded'\n")
    zenrunner.syspathinsert()
    zenrunner.plugins = ["myplugin"]

    result = zenrunner.runzenrun_subprocess()
    assert result.ret == ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["myplugin loaded"])


def test_zenrunner_subprocess_with_non_string_plugins(zenrunner) -> None:
    """Test that zenrunner.runzenrun_subprocess fails with a proper error given
    non-string `.plugins`."""

    class MyPlugin:
        pass

    zenrunner.plugins = [MyPlugin()]

    with pytest.raises(ValueError, match="plugins as objects is not supported"):
        zenrunner.runzenrun_subprocess()
