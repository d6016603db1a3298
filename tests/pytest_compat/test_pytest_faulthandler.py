"""Port of pytest's ``testing/test_faulthandler.py`` (pytest-dev/pytest): the
``faulthandler`` plugin (a crash prints the Python traceback, ``-p no:faulthandler``
leaves :mod:`faulthandler` off, ``faulthandler_timeout`` / ``faulthandler_exit_on_timeout``
dump the tracebacks of a pipeline that runs too long, the handler found is given back at
the end) and its ``get_stderr_fileno`` helper (``zenrun.faulthandling``).

pytest's tests crash or sleep in the test function; here in a step (a pipeline's work
runs in steps; the local orchestrator runs it in the zenrun process). ``pytester.run(
sys.executable, "-X", "faulthandler", "-mpytest")`` is ``python -X faulthandler -m zenrun``.
pytest's ``"CI" in os.environ`` skips of the timeout cases are kept (the sleep is the
longer one, 1 s, against a timeout of 0.01 s: no timing is asserted). ``test_cancel_timeout_on_hook``
calls the plugin's ``zenrun_enter_pdb`` hook (zenrun has no ``pytest_exception_interact``:
one case, the other parameter not applicable).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from zenrun import faulthandling

#: Read as the module is collected: the suite's autouse ``_not_on_ci`` fixture unsets ``CI``
#: for each test, which would turn pytest's skips on CI below into runs.
ON_CI = "CI" in os.environ


def run(zenrunner, *args: str) -> subprocess.CompletedProcess[str]:
    """``pytester.run(*args)``: a command in the project, its text output."""
    return subprocess.run(
        list(args), cwd=zenrunner.path, env=zenrunner.env(), capture_output=True, text=True, timeout=300
    )


def test_enabled(zenrunner) -> None:
    """Test single crashing test displays a traceback."""
    zenrunner.makepyfile(
        """
    import faulthandler
    from zenrun import pipeline, step

    @step
    def crash():
        faulthandler._sigabrt()

    @pipeline
    def test_crash():
        crash()
    """
    )
    result = zenrunner.runzenrun_subprocess()
    result.stderr.fnmatch_lines(["*Fatal Python error*"])
    assert result.ret != 0


def setup_crashing_test(zenrunner) -> None:
    zenrunner.makepyfile(
        """
        import faulthandler
        import atexit
        from zenrun import pipeline, step

        @step
        def register():
            atexit.register(faulthandler._sigabrt)

        @pipeline
        def test_ok():
            register()
        """
    )


def test_crash_during_shutdown_captured(zenrunner) -> None:
    """Re-enable faulthandler if zenrun found it enabled during configure: a crash
    during interpreter shutdown is still seen."""
    setup_crashing_test(zenrunner)
    result = run(zenrunner, sys.executable, "-Xfaulthandler", "-mzenrun", "--no-cache")
    assert "Fatal Python error" in result.stderr
    assert result.returncode != 0


def test_crash_during_shutdown_not_captured(zenrunner) -> None:
    """zenrun leaves faulthandler disabled if it was not enabled during configure: no
    crash report during interpreter shutdown (pytest #8260)."""
    setup_crashing_test(zenrunner)
    result = run(zenrunner, sys.executable, "-mzenrun", "--no-cache")
    assert "Fatal Python error" not in result.stderr
    assert result.returncode != 0


def test_disabled(zenrunner) -> None:
    """Test option to disable fault handler in the command line."""
    zenrunner.makepyfile(
        """
    import faulthandler
    from zenrun import pipeline, step

    @step
    def check():
        assert not faulthandler.is_enabled()

    @pipeline
    def test_disabled():
        check()
    """
    )
    result = zenrunner.runzenrun_subprocess("-p", "no:faulthandler")
    result.stdout.fnmatch_lines(["*1 passed*"])
    assert result.ret == 0


SLEEP = """
import os, time
from zenrun import pipeline, step

@step
def sleep():
    time.sleep(1)
    {after}

@pipeline
def {name}():
    sleep()
"""


@pytest.mark.parametrize("enabled", [True, False])
def test_timeout(zenrunner, enabled: bool) -> None:
    """Test option to dump tracebacks after a certain timeout.

    If faulthandler is disabled, no traceback will be dumped.
    """
    if enabled and ON_CI:
        pytest.skip(reason="sometimes crashes on CI (#7022)")
    zenrunner.makepyfile(SLEEP.format(after="", name="test_timeout"))
    zenrunner.maketoml("faulthandler_timeout = 0.01")
    args = ["-p", "no:faulthandler"] if not enabled else []
    result = zenrunner.runzenrun_subprocess(*args)
    tb_output = "most recent call first"
    if enabled:
        result.stderr.fnmatch_lines([f"*{tb_output}*"])
    else:
        assert tb_output not in result.stderr.str()
    result.stdout.fnmatch_lines(["*1 passed*"])
    assert result.ret == 0


@pytest.mark.parametrize("exit_on_timeout", [True, False])
def test_timeout_and_exit(zenrunner, exit_on_timeout: bool) -> None:
    """Test option to force exit zenrun process after a certain timeout."""
    if ON_CI:
        pytest.skip(reason="sometimes crashes on CI (#7022)")
    zenrunner.makepyfile(
        SLEEP.format(
            after='raise AssertionError("This test should have been interrupted before reaching this point.")',
            name="test_long_sleep_and_raise",
        )
    )
    zenrunner.maketoml(
        f"""
        faulthandler_timeout = 0.01
        faulthandler_exit_on_timeout = {"true" if exit_on_timeout else "false"}
        """
    )
    result = zenrunner.runzenrun_subprocess()
    tb_output = "most recent call first"
    result.stderr.fnmatch_lines([f"*{tb_output}*"])
    if exit_on_timeout:
        result.stdout.no_fnmatch_line("*1 failed*")
        result.stdout.no_fnmatch_line("*AssertionError*")
    else:
        result.stdout.fnmatch_lines(["*1 failed*"])
        result.stdout.fnmatch_lines(["*AssertionError*"])
    assert result.ret == 1


def test_cancel_timeout_on_hook(monkeypatch) -> None:
    """Make sure that we are cancelling any scheduled traceback dumping due to timeout
    before entering pdb (pytest-dev/pytest-faulthandler#12)."""
    import faulthandler

    called = []
    monkeypatch.setattr(faulthandler, "cancel_dump_traceback_later", lambda: called.append(1))
    # call our hook explicitly, we can trust that zenrun will call the hook for us at the
    # appropriate moment
    faulthandling.zenrun_enter_pdb()
    assert called == [1]


def test_already_initialized_crash(zenrunner) -> None:
    """Even if faulthandler is already initialized, we still dump tracebacks on crashes (pytest #8258)."""
    zenrunner.makepyfile(
        """
        from zenrun import pipeline, step

        @step
        def crash():
            import faulthandler
            faulthandler._sigabrt()

        @pipeline
        def test():
            crash()
    """
    )
    result = run(zenrunner, sys.executable, "-X", "faulthandler", "-mzenrun", str(zenrunner.path))
    assert "Fatal Python error" in result.stderr
    assert result.returncode != 0


def test_get_stderr_fileno_invalid_fd() -> None:
    """Test for faulthandler being able to handle invalid file descriptors for stderr (pytest #8249)."""

    class StdErrWrapper(io.StringIO):
        """Mimic ``twisted.logger.LoggingFile`` to simulate returning an invalid file descriptor."""

        def fileno(self):
            return -1

    wrapper = StdErrWrapper()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stderr", wrapper)

        # Even when the stderr wrapper signals an invalid file descriptor,
        # ``get_stderr_fileno()`` should return the real one.
        assert faulthandling.get_stderr_fileno() == 2
