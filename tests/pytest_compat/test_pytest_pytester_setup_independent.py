"""An independent port of pytest's ``testing/test_pytester.py``, ``testing/test_setuponly.py``,
``testing/test_setupplan.py`` and ``testing/python/show_fixtures_per_test.py``, as they are on
pytest's ``main`` (2026-08).

``test_make_hook_recorder`` ends in ``pytest.xfail(...)`` as pytest's own case does: its
outcome is xfailed in both suites (not a divergence, not strict).

Mapping used (from zenrun's user docs: ``docs/coming-from-pytest.md``,
``docs/guide/pytest-habits.md``, ``docs/reference/cli.md``):

- the ``pytester`` fixture -> ``zenrunner`` (``zenrun.testing``); ``runpytest`` ->
  ``runzenrun_inprocess`` (in-process, as pytest's default), ``runpytest_subprocess`` ->
  ``runzenrun_subprocess``, ``inline_run`` -> ``inline_run``; ``pytester.run(python, -c, ...)``
  -> ``runpython_c`` (``zenrunner.run`` runs zenrun, the documented difference);
  ``pytester._monkeypatch`` / ``PYTEST_ADDOPTS`` -> ``monkeypatch`` / ``ZENRUN_ADDOPTS``;
- ``test_*.py`` -> ``pipeline_*.py`` (``makepyfile(src)`` names it ``pipeline_<test>``); a test
  function -> a ``@pipeline`` whose asserts run in a ``check`` step (``porting.pipelines``), or
  whose body is the test's own code when it must raise itself (``porting.bodies``);
- ``pytest.fixture`` / ``pytest.mark`` -> ``zenrun.fixture`` / ``zenrun.mark``; scope ``function``
  is zenrun's ``pipeline`` (letter ``F``), ``class`` is accepted and shown as ``C``;
- ``_pytest.pytester.LineMatcher`` / ``HookRecorder`` / ``RunResult`` -> the classes of
  ``zenrun.testing``; ``pytest.fail.Exception`` is what a failed match raises (pytest's own);
- ``PytestPluginManager`` -> ``zenrun.config.PluginManager`` (unmarked ``zenrun_*`` specs, as pytest's);
- test classes of pytest whose methods are plain pytester tests
  (``TestInlineRunModulesCleanup``) -> module-level functions; ``class TestX:`` holding the
  pytest tests of a class-scoped fixture (``test_setupplan.py``) -> module-level pipelines.

pytest's expected outcomes, exit codes, ids and lines are kept; a line's wording follows
zenrun's where the decision is the same (``pipeline`` for ``test``, the ``check`` step).

Not applicable (left out):

- ``test_pytester_with_doctest``, ``show_fixtures_per_test.py::test_doctest_items``: doctest
  items (zenrun collects no doctests);
- ``test_pytester_runs_with_plugin``, ``test_pytester_subprocess_via_runpytest_arg``: a
  test module asking for ``pytester`` through ``pytest_plugins`` / ``--runpytest``: zenrunner is
  a pytest plugin, not a zenrun one (a pipeline cannot request it);
- ``TestInlineRunModulesCleanup::test_inline_run_taking_and_restoring_a_sys_modules_snapshot``,
  ``...::test_inline_run_sys_modules_snapshot_restore_preserving_modules``,
  ``test_cwd_snapshot``, ``TestSysModulesSnapshot`` (5), ``TestSysPathsSnapshot`` (2 x 2):
  pytester's private snapshot classes (monkeypatched spies); the observable part (the project's
  modules are gone after ``inline_run``, the others kept) is ported as
  ``test_inline_run_restores_sys_modules``;
- ``test_spawn_uses_tmphome``: ``spawn_pytest`` (pexpect); its ``HOME`` half is ported;
- ``test_setuponly.py::test_show_fixtures_with_parameters_and_deps`` and the longer
  ``test_dynamic_fixture_request`` of a stored non-``main`` version: pytest's ``main`` (2026-08)
  has neither (its ``setuponly.py`` prints ``name (fixtures used: ...)[param]``); ``main``'s
  test files are the ones ported;
- ``test_setuponly.py::test_show_only_active_fixtures``'s ``dummy_yaml_custom_test`` (pytest's
  YAML collector of its own conftest): the module is ported without it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import porting
import pytest

from zenrun import ExitCode
from zenrun.testing import HookRecorder, LineMatcher, RunResult

P = porting.pipelines
B = porting.bodies


def _first_line(path: Path, name: str) -> int:
    """Where ``--fixtures-per-test`` locates function ``name`` of ``path``: its ``def`` line.

    pytest prints ``co_firstlineno + 1``, the line after the first decorator: the ``def`` of
    a fixture (one decorator) and of a test with one mark, one past the ``def`` of a
    test without any. A pipeline always has its ``@pipeline`` decorator, so its ``def``
    line is the line pytest's rule gives the ported test; with more decorators (a
    ``parametrize`` mark above ``@pipeline``) pytest would point at the one below the
    first, zenrun at the ``def`` (its ``fixtures.py`` says so)."""
    lines = path.read_text().splitlines()
    return 1 + next(i for i, line in enumerate(lines) if re.match(rf"(async\s+)?def {name}\b", line.strip()))


# --------------------------------------------------------------------------- test_pytester.py


def test_make_hook_recorder(zenrunner) -> None:
    item = zenrunner.getitem(P("def test_func(): pass"))
    recorder = HookRecorder(item.config.pluginmanager)
    assert not recorder.getfailures()
    pytest.xfail("internal reportrecorder tests need refactoring")  # as pytest's own case


def test_parseconfig(zenrunner) -> None:
    config1 = zenrunner.parseconfig()
    config2 = zenrunner.parseconfig()
    assert config2 is not config1


def test_runresult_assertion_on_xfail(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.xfail
        def test_potato():
            assert False
    """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(xfailed=1)
    assert result.ret == 0


def test_runresult_assertion_on_xpassed(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.xfail
        def test_potato():
            assert True
    """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(xpassed=1)
    assert result.ret == 0


def test_xpassed_with_strict_is_considered_a_failure(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.xfail(strict=True)
        def test_potato():
            assert True
    """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(failed=1)
    assert result.ret != 0


def _make_holder():
    class apiclass:
        def zenrun_xyz(self, arg):
            """X"""

        def zenrun_xyz_noarg(self):
            """X"""

    apimod = type(os)("api")

    def zenrun_xyz(arg):
        """X"""

    def zenrun_xyz_noarg():
        """X"""

    apimod.zenrun_xyz = zenrun_xyz  # type: ignore[attr-defined]
    apimod.zenrun_xyz_noarg = zenrun_xyz_noarg  # type: ignore[attr-defined]
    return apiclass, apimod


@pytest.mark.parametrize("holder", _make_holder())
def test_hookrecorder_basic(holder) -> None:
    from zenrun.config import PluginManager

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


def test_inline_run_test_module_not_cleaned_up(zenrunner) -> None:
    test_mod = zenrunner.makepyfile(P("def test_foo(): assert True"))
    result = zenrunner.inline_run(str(test_mod))
    assert result.ret == 0  # ExitCode.OK
    # rewrite module, now test should fail if module was re-imported
    test_mod.write_text(P("def test_foo(): assert False"))
    result2 = zenrunner.inline_run(str(test_mod))
    assert result2.ret == 1  # ExitCode.TESTS_FAILED


def test_inline_run_restores_sys_modules(zenrunner) -> None:
    """What pytest's snapshot-spy cases check from outside: after ``inline_run`` the modules
    the run imported from the project are gone and the others are the same objects."""
    zenrunner.syspathinsert()
    zenrunner.makepyfile(import1="# you son of a silly person")
    zenrunner.makepyfile(import2="# my hovercraft is full of eels")
    test_mod = zenrunner.makepyfile(
        B(
            """
            import import1
            def test_foo(): import import2"""
        )
    )
    original = dict(sys.modules)
    zenrunner.inline_run(str(test_mod)).assertoutcome(passed=1)
    assert "import1" not in sys.modules and "import2" not in sys.modules
    assert test_mod.stem not in sys.modules
    assert all(sys.modules[x] is original[x] for x in original if x in sys.modules)
    assert all(x in sys.modules for x in original)


def test_external_test_module_imports_not_cleaned_up(zenrunner) -> None:
    zenrunner.syspathinsert()
    zenrunner.makepyfile(imported="data = 'you son of a silly person'")
    import imported  # type: ignore[import-not-found]

    try:
        test_mod = zenrunner.makepyfile(
            B(
                """
            def test_foo():
                import imported
                imported.data = 42"""
            )
        )
        zenrunner.inline_run(str(test_mod))
        assert imported.data == 42
    finally:
        sys.modules.pop("imported", None)


def test_assert_outcomes_after_pytest_error(zenrunner) -> None:
    zenrunner.makepyfile(P("def test_foo(): assert True"))

    result = zenrunner.runzenrun_inprocess("--unexpected-argument")
    with pytest.raises(ValueError, match="terminal summary report not found"):
        result.assert_outcomes(passed=0)


def test_pytester_subprocess(zenrunner) -> None:
    testfile = zenrunner.makepyfile(P("def test_one(): pass"))
    assert zenrunner.runzenrun_subprocess(testfile).ret == 0


def test_unicode_args(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-k", "אבג")
    assert result.ret == 5  # ExitCode.NO_TESTS_COLLECTED


def test_pytester_run_no_timeout(zenrunner) -> None:
    testfile = zenrunner.makepyfile(P("def test_no_timeout(): pass"))
    assert zenrunner.runzenrun_subprocess(testfile).ret == 0


def test_pytester_run_with_timeout(zenrunner) -> None:
    # pytest also asserts the duration is under the timeout: no timing assertions here.
    testfile = zenrunner.makepyfile(P("def test_no_timeout(): pass"))
    result = zenrunner.runzenrun_subprocess(testfile, timeout=120)
    assert result.ret == 0


def test_pytester_run_timeout_expires(zenrunner) -> None:
    testfile = zenrunner.makepyfile(
        B(
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


def test_pytest_addopts_before_pytester(request, monkeypatch) -> None:
    monkeypatch.setenv("ZENRUN_ADDOPTS", "--orig-unused")
    request.getfixturevalue("zenrunner")
    assert "ZENRUN_ADDOPTS" not in os.environ


def test_run_stdin(zenrunner) -> None:
    with pytest.raises(zenrunner.TimeoutExpired):
        zenrunner.runpython_c(
            "import sys, time; time.sleep(1); print(sys.stdin.read())",
            stdin=subprocess.PIPE,
            timeout=0.1,
        )

    with pytest.raises(zenrunner.TimeoutExpired):
        zenrunner.runpython_c(
            "import sys, time; time.sleep(1); print(sys.stdin.read())",
            stdin=b"input\n2ndline",
            timeout=0.1,
        )

    result = zenrunner.runpython_c("import sys; print(sys.stdin.read())", stdin=b"input\n2ndline")
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
    # pytest wraps this in an inner test to survive ``-s``; here it is the test itself.
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


def test_spawn_uses_tmphome(zenrunner, monkeypatch) -> None:
    tmphome = str(zenrunner.path)
    assert os.environ.get("HOME") == tmphome

    monkeypatch.setenv("CUSTOMENV", "42")

    p1 = zenrunner.makepyfile(
        B(
            f"""
        import os

        def test():
            assert os.environ["HOME"] == {tmphome!r}
            assert os.environ["CUSTOMENV"] == "42"
        """
        )
    )
    result = zenrunner.runzenrun_subprocess(str(p1))
    assert result.ret == 0, result.stdout.str()


def test_run_result_repr() -> None:
    outlines = "some\nnormal\noutput"
    errlines = "some\nnasty\nerrors\nhappened"

    # known exit code
    r = RunResult([], 1, outlines, errlines, duration=0.5)
    assert repr(r) == (
        f"<RunResult ret={ExitCode.TESTS_FAILED!s} len(stdout.lines)=3 len(stderr.lines)=4 duration=0.50s>"
    )

    # unknown exit code: just the number
    r = RunResult([], 99, outlines, errlines, duration=0.5)
    assert repr(r) == "<RunResult ret=99 len(stdout.lines)=3 len(stderr.lines)=4 duration=0.50s>"


def test_pytester_outcomes_with_multiple_errors(zenrunner) -> None:
    p1 = zenrunner.makepyfile(
        P(
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
    result = zenrunner.runzenrun_inprocess(str(p1))
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


def test_pytester_makefile_dot_prefixes_extension_with_warning(zenrunner) -> None:
    with pytest.raises(
        ValueError,
        match=r"makefile expects a file extension, try \.foo\.bar instead of foo\.bar",
    ):
        zenrunner.makefile("foo.bar", "")


@pytest.mark.filterwarnings("default")
def test_pytester_assert_outcomes_warnings(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import warnings

        def test_with_warning():
            warnings.warn(UserWarning("some custom warning"))
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1, warnings=1)
    # If warnings is not passed, it is not checked at all.
    result.assert_outcomes(passed=1)


def test_pytester_outcomes_deselected(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        def test_one():
            pass

        def test_two():
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess("-k", "test_one")
    result.assert_outcomes(passed=1, deselected=1)
    # If deselected is not passed, it is not checked at all.
    result.assert_outcomes(passed=1)


def test_pytester_subprocess_with_string_plugins(zenrunner) -> None:
    """Named (string) ``.plugins`` reach a subprocess run (``-p NAME``)."""
    zenrunner.makepyfile(myplugin="")
    zenrunner.syspathinsert()
    zenrunner.plugins = ["myplugin"]

    result = zenrunner.runzenrun_subprocess()
    assert result.ret == 5  # ExitCode.NO_TESTS_COLLECTED


def test_pytester_subprocess_with_non_string_plugins(zenrunner) -> None:
    class MyPlugin:
        pass

    zenrunner.plugins = [MyPlugin()]

    with pytest.raises(ValueError, match="plugins as objects is not supported"):
        zenrunner.runzenrun_subprocess()


# --------------------------------------------------------------------------- test_setuponly.py


@pytest.fixture(params=["--setup-only", "--setup-plan", "--setup-show"], scope="module")
def mode(request):
    return request.param


def test_show_only_active_fixtures(zenrunner, mode) -> None:
    zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture
        def _arg0():
            """hidden arg0 fixture"""
        @pytest.fixture
        def arg1():
            """arg1 docstring"""
        def test_arg1(arg1):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess(mode)
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        ["*SETUP    F arg1*", "*test_arg1 (fixtures used: arg1)*", "*TEARDOWN F arg1*"]
    )
    result.stdout.no_fnmatch_line("*_arg0*")


def test_show_different_scopes(zenrunner, mode) -> None:
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture
        def arg_function():
            """function scoped fixture"""
        @pytest.fixture(scope='session')
        def arg_session():
            """session scoped fixture"""
        def test_arg1(arg_session, arg_function):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess(mode, str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "SETUP    S arg_session*",
            "*SETUP    F arg_function*",
            "*test_arg1 (fixtures used: arg_function, arg_session)*",
            "*TEARDOWN F arg_function*",
            "TEARDOWN S arg_session*",
        ]
    )


def test_show_nested_fixtures(zenrunner, mode) -> None:
    zenrunner.makeconftest(
        P(
            '''
        import pytest
        @pytest.fixture(scope='session')
        def arg_same():
            """session scoped fixture"""
        ''',
            pre=False,
        )
    )
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture(scope='function')
        def arg_same(arg_same):
            """function scoped fixture"""
        def test_arg1(arg_same):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess(mode, str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "SETUP    S arg_same*",
            "*SETUP    F arg_same (fixtures used: arg_same)*",
            "*test_arg1 (fixtures used: arg_same)*",
            "*TEARDOWN F arg_same*",
            "TEARDOWN S arg_same*",
        ]
    )


def test_show_fixtures_with_autouse(zenrunner, mode) -> None:
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture
        def arg_function():
            """function scoped fixture"""
        @pytest.fixture(scope='session', autouse=True)
        def arg_session():
            """session scoped fixture"""
        def test_arg1(arg_function):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess(mode, str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "SETUP    S arg_session*",
            "*SETUP    F arg_function*",
            "*test_arg1 (fixtures used: arg_function, arg_session)*",
        ]
    )


def test_show_fixtures_with_parameters(zenrunner, mode) -> None:
    zenrunner.makeconftest(
        P(
            '''
        import pytest
        @pytest.fixture(scope='session', params=['foo', 'bar'])
        def arg_same():
            """session scoped fixture"""
        ''',
            pre=False,
        )
    )
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture(scope='function')
        def arg_other(arg_same):
            """function scoped fixture"""
        def test_arg1(arg_other):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess(mode, str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "SETUP    S arg_same?'foo'?",
            "TEARDOWN S arg_same?'foo'?",
            "SETUP    S arg_same?'bar'?",
            "TEARDOWN S arg_same?'bar'?",
        ]
    )


def test_show_fixtures_with_parameter_ids(zenrunner, mode) -> None:
    zenrunner.makeconftest(
        P(
            '''
        import pytest
        @pytest.fixture(
            scope='session', params=['foo', 'bar'], ids=['spam', 'ham'])
        def arg_same():
            """session scoped fixture"""
        ''',
            pre=False,
        )
    )
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture(scope='function')
        def arg_other(arg_same):
            """function scoped fixture"""
        def test_arg1(arg_other):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess(mode, str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(["SETUP    S arg_same?'spam'?", "SETUP    S arg_same?'ham'?"])


def test_show_fixtures_with_parameter_ids_function(zenrunner, mode) -> None:
    p = zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.fixture(params=['foo', 'bar'], ids=lambda p: p.upper())
        def foobar():
            pass
        def test_foobar(foobar):
            pass
    """
        )
    )

    result = zenrunner.runzenrun_inprocess(mode, str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(["*SETUP    F foobar?'FOO'?", "*SETUP    F foobar?'BAR'?"])


def test_dynamic_fixture_request(zenrunner) -> None:
    p = zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.fixture()
        def dynamically_requested_fixture():
            pass

        @pytest.fixture()
        def dependent_fixture(request):
            request.getfixturevalue('dynamically_requested_fixture')

        def test_dyn(dependent_fixture):
            pass
    """
        )
    )

    result = zenrunner.runzenrun_inprocess("--setup-only", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*SETUP    F dynamically_requested_fixture",
            "*TEARDOWN F dynamically_requested_fixture",
        ]
    )


def test_capturing(zenrunner) -> None:
    p = zenrunner.makepyfile(
        P(
            """
        import pytest, sys
        @pytest.fixture()
        def one():
            sys.stdout.write('this should be captured')
            sys.stderr.write('this should also be captured')
        @pytest.fixture()
        def two(one):
            assert 0
        def test_capturing(two):
            pass
    """
        )
    )

    result = zenrunner.runzenrun_inprocess("--setup-only", str(p))
    result.stdout.fnmatch_lines(["this should be captured", "this should also be captured"])


def test_show_fixtures_and_execute_test(zenrunner) -> None:
    """Verify that setups are shown and tests are executed."""
    p = zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.fixture
        def arg():
            assert True
        def test_arg(arg):
            assert False
    """
        )
    )

    result = zenrunner.runzenrun_inprocess("--setup-show", str(p))
    assert result.ret == 1

    result.stdout.fnmatch_lines(["*SETUP    F arg*", "*test_arg (fixtures used: arg) F*", "*TEARDOWN F arg*"])


def test_setup_show_with_KeyboardInterrupt_in_test(zenrunner) -> None:
    p = zenrunner.makepyfile(
        B(
            """
        import pytest
        @pytest.fixture
        def arg():
            pass
        def test_arg(arg):
            raise KeyboardInterrupt()
    """
        )
    )
    result = zenrunner.runzenrun_inprocess("--setup-show", str(p))
    result.stdout.fnmatch_lines(
        [
            "*SETUP    F arg*",
            "*test_arg (fixtures used: arg)*",
            "*TEARDOWN F arg*",
            "*! KeyboardInterrupt !*",
            "*= no * ran in *",
        ]
    )
    assert result.ret == 2  # ExitCode.INTERRUPTED


def test_show_fixture_action_with_bytes(zenrunner) -> None:
    # Issue 7126, BytesWarning when using --setup-show with bytes parameter
    test_file = zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.parametrize('data', [b'Hello World'])
        def test_data(data):
            pass
        """
        )
    )
    proc = zenrunner.popen(
        [sys.executable, "-bb", "-m", "zenrun", "--setup-show", str(test_file)], stdin=None
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, (stdout + stderr).decode()


# --------------------------------------------------------------------------- test_setupplan.py


def test_show_fixtures_and_test(zenrunner) -> None:
    """Verify that fixtures are not executed."""
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.fixture
        def arg():
            assert False
        def test_arg(arg):
            assert False
    """
        )
    )

    result = zenrunner.runzenrun_inprocess("--setup-plan")
    assert result.ret == 0

    result.stdout.fnmatch_lines(["*SETUP    F arg*", "*test_arg (fixtures used: arg)", "*TEARDOWN F arg*"])


def test_show_multi_test_fixture_setup_and_teardown_correctly_simple(zenrunner) -> None:
    """A fixture living longer than one pipeline is shown set up and torn down once
    (pytest #2049); pytest's class scope with a test class -> module scope."""
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.fixture(scope = 'module')
        def fix():
            return object()
        def test_one(fix):
            assert False
        def test_two(fix):
            assert False
    """
        )
    )

    result = zenrunner.runzenrun_inprocess("--setup-plan")
    assert result.ret == 0

    setup_fragment = "SETUP    M fix"
    teardown_fragment = "TEARDOWN M fix"
    setup_count = sum(setup_fragment in line for line in result.stdout.lines)
    teardown_count = sum(teardown_fragment in line for line in result.stdout.lines)
    assert setup_count == 1
    assert teardown_count == 1


def test_show_multi_test_fixture_setup_and_teardown_same_as_setup_show(zenrunner) -> None:
    """Verify that SETUP/TEARDOWN messages match what comes out of --setup-show."""
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.fixture(scope = 'session')
        def sess():
            return True
        @pytest.fixture(scope = 'module')
        def mod():
            return True
        @pytest.fixture(scope = 'class')
        def cls():
            return True
        @pytest.fixture(scope = 'function')
        def func():
            return True
        def test_outside(sess, mod, cls, func):
            assert True
        def test_one(sess, mod, cls, func):
            assert True
        def test_two(sess, mod, cls, func):
            assert True
    """
        )
    )

    plan_result = zenrunner.runzenrun_inprocess("--setup-plan")
    show_result = zenrunner.runzenrun_inprocess("--setup-show")

    # the number and text of these lines should be identical
    plan_lines = [line for line in plan_result.stdout.lines if "SETUP" in line or "TEARDOWN" in line]
    show_lines = [line for line in show_result.stdout.lines if "SETUP" in line or "TEARDOWN" in line]

    assert plan_lines
    assert plan_lines == show_lines


# ------------------------------------------------------------ python/show_fixtures_per_test.py


def test_should_show_no_output_when_zero_items(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--fixtures-per-test")
    result.stdout.no_fnmatch_line("*fixtures used by*")
    assert result.ret == 0


def test_fixtures_in_module(zenrunner) -> None:
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture
        def _arg0():
            """hidden arg0 fixture"""
        @pytest.fixture
        def arg1():
            """arg1 docstring"""
        def test_arg1(arg1):
            pass
    '''
        )
    )

    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg1*",
            f"*({p.name}:{_first_line(p, 'test_arg1')})*",
            f"arg1 -- {p.name}:{_first_line(p, 'arg1')}",
            "    arg1 docstring",
        ]
    )
    result.stdout.no_fnmatch_line("*_arg0*")


def test_fixtures_in_conftest(zenrunner) -> None:
    c = zenrunner.makeconftest(
        P(
            '''
        import pytest
        @pytest.fixture
        def arg1():
            """arg1 docstring"""
        @pytest.fixture
        def arg2():
            """arg2 docstring"""
        @pytest.fixture
        def arg3(arg1, arg2):
            """arg3
            docstring
            """
    ''',
            pre=False,
        )
    )
    p = zenrunner.makepyfile(
        P(
            """
        def test_arg2(arg2):
            pass
        def test_arg3(arg3):
            pass
    """
        )
    )
    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg2*",
            f"*({p.name}:{_first_line(p, 'test_arg2')})*",
            f"arg2 -- conftest.py:{_first_line(c, 'arg2')}",
            "    arg2 docstring",
            "*fixtures used by test_arg3*",
            f"*({p.name}:{_first_line(p, 'test_arg3')})*",
            f"arg1 -- conftest.py:{_first_line(c, 'arg1')}",
            "    arg1 docstring",
            f"arg2 -- conftest.py:{_first_line(c, 'arg2')}",
            "    arg2 docstring",
            f"arg3 -- conftest.py:{_first_line(c, 'arg3')}",
            "    arg3",
        ]
    )


def test_should_show_fixtures_used_by_test(zenrunner) -> None:
    c = zenrunner.makeconftest(
        P(
            '''
        import pytest
        @pytest.fixture
        def arg1():
            """arg1 from conftest"""
        @pytest.fixture
        def arg2():
            """arg2 from conftest"""
    ''',
            pre=False,
        )
    )
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture
        def arg1():
            """arg1 from testmodule"""
        def test_args(arg1, arg2):
            pass
    '''
        )
    )
    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_args*",
            f"*({p.name}:{_first_line(p, 'test_args')})*",
            f"arg1 -- {p.name}:{_first_line(p, 'arg1')}",
            "    arg1 from testmodule",
            f"arg2 -- conftest.py:{_first_line(c, 'arg2')}",
            "    arg2 from conftest",
        ]
    )


def test_verbose_include_private_fixtures_and_loc(zenrunner) -> None:
    c = zenrunner.makeconftest(
        P(
            '''
        import pytest
        @pytest.fixture
        def _arg1():
            """_arg1 from conftest"""
        @pytest.fixture
        def arg2(_arg1):
            """arg2 from conftest"""
    ''',
            pre=False,
        )
    )
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest
        @pytest.fixture
        def arg3():
            """arg3 from testmodule"""
        def test_args(arg2, arg3):
            pass
    '''
        )
    )
    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", "-v", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_args*",
            f"*({p.name}:{_first_line(p, 'test_args')})*",
            f"_arg1 -- conftest.py:{_first_line(c, '_arg1')}",
            "    _arg1 from conftest",
            f"arg2 -- conftest.py:{_first_line(c, 'arg2')}",
            "    arg2 from conftest",
            f"arg3 -- {p.name}:{_first_line(p, 'arg3')}",
            "    arg3 from testmodule",
        ]
    )


_MULTILINE = '''
        import pytest
        @pytest.fixture
        def arg1():
            """Docstring content that spans across multiple lines,
            through second line,
            and through third line.

            Docstring content that extends into a second paragraph.

            Docstring content that extends into a third paragraph.
            """
        def test_arg1(arg1):
            pass
    '''


def test_multiline_docstring_in_module(zenrunner) -> None:
    p = zenrunner.makepyfile(P(_MULTILINE))

    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg1*",
            f"*({p.name}:{_first_line(p, 'test_arg1')})*",
            f"arg1 -- {p.name}:{_first_line(p, 'arg1')}",
            "    Docstring content that spans across multiple lines,",
            "    through second line,",
            "    and through third line.",
        ]
    )
    result.stdout.no_fnmatch_line("*second paragraph*")


def test_verbose_include_multiline_docstring(zenrunner) -> None:
    p = zenrunner.makepyfile(P(_MULTILINE))

    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", "-v", str(p))
    assert result.ret == 0

    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg1*",
            f"*({p.name}:{_first_line(p, 'test_arg1')})*",
            f"arg1 -- {p.name}:{_first_line(p, 'arg1')}",
            "    Docstring content that spans across multiple lines,",
            "    through second line,",
            "    and through third line.",
            "    ",
            "    Docstring content that extends into a second paragraph.",
            "    ",
            "    Docstring content that extends into a third paragraph.",
        ]
    )


def test_should_not_show_direct_param_fixtures(zenrunner) -> None:
    """A name ``parametrize`` gives directly is not a fixture: not listed."""
    p = zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.parametrize("x", [1])
        def test_pseudo_fixture(x):
            pass
    """
        )
    )
    result = zenrunner.runzenrun_inprocess("--fixtures-per-test", str(p))
    result.stdout.no_fnmatch_line("*fixtures used by*")
    assert result.ret == 0


def test_should_show_parametrized_fixtures_used_by_test(zenrunner) -> None:
    """A fixture with parameters is listed, also one parametrized indirectly."""
    p = zenrunner.makepyfile(
        P(
            '''
        import pytest

        @pytest.fixture(params=['a', 'b'])
        def directly(request):
            """parametrized fixture"""
            return request.param

        @pytest.fixture
        def indirectly(request):
            """indirectly parametrized fixture"""
            return request.param

        def test_parametrized_fixture(directly):
            pass

        @pytest.mark.parametrize("indirectly", ["a", "b"], indirect=True)
        def test_indirectly_parametrized(indirectly):
            pass
        '''
        )
    )
    result = zenrunner.runzenrun_inprocess("--fixtures-per-test")
    assert result.ret == 0

    expected_matches_for_parametrized_test = [
        "*fixtures used by test_parametrized_fixture*",
        f"*({p.name}:{_first_line(p, 'test_parametrized_fixture')})*",
        f"directly -- {p.name}:{_first_line(p, 'directly')}",
        "    parametrized fixture",
    ]
    expected_matches_for_indirectly_parametrized_test = [
        "*fixtures used by test_indirectly_parametrized*",
        f"*({p.name}:{_first_line(p, 'test_indirectly_parametrized')})*",
        f"indirectly -- {p.name}:{_first_line(p, 'indirectly')}",
        "    indirectly parametrized fixture",
    ]
    expected_matches = (
        expected_matches_for_parametrized_test * 2 + expected_matches_for_indirectly_parametrized_test * 2
    )
    result.stdout.fnmatch_lines(expected_matches)
