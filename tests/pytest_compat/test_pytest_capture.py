"""Port of pytest's ``testing/test_capture.py`` (pytest-dev/pytest): its cases about
what a run captures and shows.

Output written while a pipeline's work runs is captured per step (``--capture``
fd / sys / no / tee-sys) and shown with a failure; fixtures' output (setup,
teardown) and what a module prints while it is imported are captured too. A
test function's body becomes a step (where a pipeline's work runs); xunit
``setup_*`` / ``teardown_*`` functions become autouse fixtures.

Deliberate difference kept in the expected lines: captured-output sections are
titled ``Captured stdout (<step>)`` / ``(setup)`` / ``(teardown)`` where pytest
writes ``Captured stdout call`` / ``setup`` / ``teardown``.

Not ported (no pipeline analogue): the ``capsys`` / ``capfd`` / ``capsysbinary``
/ ``capfdbinary`` / ``capteesys`` fixtures (``TestCaptureFixture`` and the cases
using them: zenrun captures per step, it has no capture fixtures;
``test_capture_and_logging`` is ported without ``capsys``), unit tests of
pytest's capture classes (``TestCaptureManager``, ``TestCaptureIO``,
``TestTeeCaptureIO``, ``TestFDCapture``, ``TestStdCapture*``,
``test_captureresult``, ``test_dontreadfrominput``, ``test__get_multicapture``,
``test_capturing_and_logging_fundamentals``, ``test_encodedfile_writelines``,
``test_fdcapture_tmpfile_remains_the_same``, ``test_capture_not_started_but_reset``,
``test_error_during_readouterr``), the Windows console and libedit workarounds,
``report.caplog`` / ``capstdout`` of pytest's report objects.
"""

from __future__ import annotations

import pytest
from porting import module_name

STEP = """
import sys, os, logging
import zenrun
from zenrun import pipeline, step
"""


@pytest.mark.parametrize("method", ["fd", "sys"])
def test_capturing_unicode(zenrunner, method: str) -> None:
    obj = "'b\u00f6y'"
    zenrunner.makepyfile(
        STEP
        + f"""
@step
def talk() -> None:
    print(sys.stdout)
    print({obj})

@pipeline
def test_unicode():
    talk()
"""
    )
    result = zenrunner.runzenrun_inprocess(f"--capture={method}")
    result.stdout.fnmatch_lines(["*1 passed*"])


@pytest.mark.parametrize("method", ["fd", "sys"])
def test_capturing_bytes_in_utf8_encoding(zenrunner, method: str) -> None:
    zenrunner.makepyfile(
        STEP
        + """
@step
def talk() -> None:
    print('b\\u00f6y')

@pipeline
def test_unicode():
    talk()
"""
    )
    result = zenrunner.runzenrun_inprocess(f"--capture={method}")
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_collect_capturing(zenrunner) -> None:
    p = zenrunner.makepyfile(
        """
        import sys

        print("collect %s failure" % 13)
        sys.stderr.write("collect %s_stderr failure" % 13)
        import xyz42123
        """
    )
    result = zenrunner.runzenrun_inprocess(p)
    result.stdout.fnmatch_lines(
        ["*Captured stdout*", "collect 13 failure", "*Captured stderr*", "collect 13_stderr failure"]
    )


class TestPerTestCapturing:
    def test_capture_and_fixtures(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@zenrun.fixture(scope="module", autouse=True)
def setup_module():
    print("setup module")

@zenrun.fixture(autouse=True)
def setup_function(request):
    print("setup " + request.function.__name__)

@step
def func(name: str) -> None:
    print(f"in {name}")
    assert 0

@pipeline
def test_func1():
    func("func1")

@pipeline
def test_func2():
    func("func2")
"""
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(
            ["setup module*", "setup test_func1*", "in func1*", "setup test_func2*", "in func2*"]
        )

    def test_capture_scope_cache(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@zenrun.fixture(scope="module", autouse=True)
def setup_module():
    print("module-setup")

@zenrun.fixture(autouse=True)
def setup_function():
    print("function-setup")
    yield
    print("in teardown")

@step
def func() -> None:
    print("in function")
    assert 0

@pipeline
def test_func():
    func()
"""
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(
            [
                "*def func() -> None:*",
                "*Captured stdout (setup)*",
                "module-setup*",
                "function-setup*",
                "*Captured stdout*",
                "in teardown*",
            ]
        )

    def test_no_carry_over(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@step
def one() -> None:
    print("in func1")

@step
def two() -> None:
    print("in func2")
    assert 0

@pipeline
def test_func1():
    one()

@pipeline
def test_func2():
    two()
"""
        )
        result = zenrunner.runzenrun_inprocess(p)
        s = result.stdout.str()
        assert "in func1" not in s
        assert "in func2" in s

    def test_teardown_capturing(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@zenrun.fixture(autouse=True)
def setup_function():
    print("setup func1")
    yield
    print("teardown func1")
    assert 0

@step
def one() -> None:
    print("in func1")

@pipeline
def test_func1():
    one()
"""
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(["*setup_function*", "*Captured stdout*", "teardown func1*"])

    def test_teardown_capturing_final(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@zenrun.fixture(scope="module", autouse=True)
def teardown_module():
    yield
    print("teardown module")
    assert 0

@step
def nothing() -> None:
    pass

@pipeline
def test_func():
    nothing()
"""
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(
            ["*def teardown_module():*", "*Captured stdout*", "*teardown module*", "*1 error*"]
        )

    def test_capturing_outerr(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipeline_capturing_outerr=STEP
            + """
@step
def capturing() -> None:
    print(42)
    sys.stderr.write(str(23))

@step
def capturing_error() -> None:
    print(1)
    sys.stderr.write(str(2))
    raise ValueError

@pipeline
def test_capturing():
    capturing()

@pipeline
def test_capturing_error():
    capturing_error()
"""
        )
        result = zenrunner.runzenrun_inprocess(p1)
        result.stdout.fnmatch_lines(
            [
                "*pipeline_capturing_outerr.py .F*",
                "====* FAILURES *====",
                "____*____",
                "*pipeline_capturing_outerr.py:*: ValueError",
                "*--- Captured stdout *capturing_error*",
                "1",
                "*--- Captured stderr *capturing_error*",
                "2",
            ]
        )


class TestLoggingInteraction:
    def test_logging_stream_ownership(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
import io

@step
def log() -> None:
    stream = io.StringIO()
    logging.basicConfig(stream=stream)
    stream.close()  # to free memory/release resources

@pipeline
def test_logging():
    log()
"""
        )
        result = zenrunner.run(p)
        assert result.stderr.find("atexit") == -1

    @pytest.mark.parametrize("optargs", [("--capture=sys",), ("--capture=fd",)])
    def test_logging_and_immediate_setupteardown(self, zenrunner, optargs) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@zenrun.fixture(autouse=True)
def setup_function():
    logging.warning("hello1")
    yield
    logging.warning("hello3")
    assert 0

@step
def log() -> None:
    logging.warning("hello2")
    assert 0

@pipeline
def test_logging():
    log()
"""
        )
        result = zenrunner.run(p, *optargs)
        s = result.stdout
        # errors show first, as pytest
        result.stdout.fnmatch_lines(["*WARN*hello3", "*WARN*hello1", "*WARN*hello2"])
        assert "closed" not in s

    @pytest.mark.parametrize("optargs", [("--capture=sys",), ("--capture=fd",)])
    def test_logging_and_crossscope_fixtures(self, zenrunner, optargs) -> None:
        p = zenrunner.makepyfile(
            STEP
            + """
@zenrun.fixture(scope="module", autouse=True)
def setup_module():
    logging.warning("hello1")
    yield
    logging.warning("hello3")
    assert 0

@step
def log() -> None:
    logging.warning("hello2")
    assert 0

@pipeline
def test_logging():
    log()
"""
        )
        result = zenrunner.run(p, *optargs)
        result.stdout.fnmatch_lines(["*WARN*hello3", "*WARN*hello1", "*WARN*hello2"])
        assert "closed" not in result.stdout

    def test_conftestlogging_is_shown(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """\
            import logging
            logging.basicConfig()
            logging.warning("hello435")
            """
        )
        result = zenrunner.run("-s")
        assert result.ret == 5
        result.stderr.fnmatch_lines(["WARNING*hello435*"])
        assert "operation on closed file" not in result.stderr

    def test_conftestlogging_and_test_logging(self, zenrunner) -> None:
        zenrunner.makeconftest("import logging\nlogging.basicConfig()\n")
        p = zenrunner.makepyfile(
            STEP
            + """
@step
def log() -> None:
    logging.warning("hello433")
    assert 0

@pipeline
def test_hello():
    log()
"""
        )
        result = zenrunner.run(p)
        assert result.ret != 0
        result.stdout.fnmatch_lines(["WARNING*hello433*"])
        assert "something" not in result.stderr
        assert "operation on closed file" not in result.stderr

    def test_logging_after_cap_stopped(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """\
            import zenrun
            import logging

            log = logging.getLogger(__name__)

            @zenrun.fixture
            def log_on_teardown():
                yield
                log.warning('Logging on teardown')
            """
        )
        p = zenrunner.makepyfile(
            STEP
            + """
@step
def log() -> None:
    logging.warning("hello433")

@pipeline
def test_hello(log_on_teardown):
    log()
    raise KeyboardInterrupt()
"""
        )
        result = zenrunner.run(p, "--log-cli-level", "info")
        assert result.ret != 0
        result.stdout.fnmatch_lines(["*WARNING*Logging on teardown*"])
        assert "AttributeError" not in result.stderr


def test_setup_failure_does_not_kill_capturing(zenrunner) -> None:
    sub1 = zenrunner.path / "sub1"
    sub1.mkdir()
    (sub1 / "__init__.py").touch()
    (sub1 / "conftest.py").write_text("def zenrun_runtest_setup(item):\n    raise ValueError(42)\n")
    (sub1 / "pipeline_mod.py").write_text(
        STEP + "@step\ndef s() -> None: pass\n@pipeline\ndef test_func1(): s()\n"
    )
    result = zenrunner.runzenrun_inprocess(zenrunner.path)
    result.stdout.fnmatch_lines(["*ValueError: 42*", "*1 error*"])


def test_capture_conftest_runtest_setup(zenrunner) -> None:
    zenrunner.makeconftest('def zenrun_runtest_setup():\n    print("hello19")\n')
    zenrunner.makepyfile(STEP + "@step\ndef s() -> None: pass\n@pipeline\ndef test_func(): s()\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*hello19*")


def test_capture_badoutput_issue412(zenrunner) -> None:
    zenrunner.makepyfile(
        STEP
        + """
@step
def func() -> None:
    omg = bytearray([1,129,1])
    os.write(1, omg)
    assert 0

@pipeline
def test_func():
    func()
"""
    )
    result = zenrunner.runzenrun_inprocess("--capture=fd")
    result.stdout.fnmatch_lines(["*def func*", "*assert 0*", "*Captured*", "*1 failed*"])


def test_capture_early_option_parsing(zenrunner) -> None:
    zenrunner.makeconftest('def zenrun_runtest_setup():\n    print("hello19")\n')
    zenrunner.makepyfile(STEP + "@step\ndef s() -> None: pass\n@pipeline\ndef test_func(): s()\n")
    result = zenrunner.runzenrun_inprocess("-vs")
    assert result.ret == 0
    assert "hello19" in result.stdout.str()


def test_capture_binary_output(zenrunner) -> None:
    zenrunner.makepyfile(
        STEP
        + r"""
@step(enable_cache=False)
def a() -> None:
    import subprocess
    subprocess.call([sys.executable, "-c", "import os; os.write(1, b'\xc3')"])

@step(enable_cache=False)
def foo() -> None:
    os.write(1, b'\xc3')

@pipeline
def test_a():
    a()

@pipeline
def test_foo():
    foo()
"""
    )
    result = zenrunner.run()
    result.assert_outcomes(passed=2)


def test_close_and_capture_again(zenrunner) -> None:
    zenrunner.makepyfile(
        STEP
        + """
@step(enable_cache=False)
def close() -> None:
    os.close(1)

@step(enable_cache=False)
def capture_again() -> None:
    os.write(1, b"hello\\n")
    assert 0

@pipeline
def test_close():
    close()

@pipeline
def test_capture_again():
    capture_again()
"""
    )
    result = zenrunner.run()
    result.stdout.fnmatch_lines(["*test_capture_again*", "*assert 0*", "*stdout*", "*hello*"])


def test_error_attribute_issue555(zenrunner) -> None:
    zenrunner.makepyfile(
        STEP
        + """
@step
def capattr() -> None:
    # pytest's capture encodes with errors="replace"; zenrun's keeps text and the stream's
    assert sys.stdout.errors in ("replace", "strict")
    assert sys.stderr.errors in ("replace", "strict")

@pipeline
def test_capattr():
    capattr()
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_dontreadfrominput_has_encoding(zenrunner) -> None:
    zenrunner.makepyfile(
        STEP
        + """
@step
def capattr() -> None:
    # should not raise AttributeError
    assert sys.stdout.encoding
    assert sys.stderr.encoding

@pipeline
def test_capattr():
    capattr()
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_crash_on_closing_tmpfile_py27(zenrunner) -> None:
    p = zenrunner.makepyfile(
        STEP
        + """
import threading

def spam():
    f = sys.stderr
    print('SPAMBEFORE', end='', file=f)
    printing.set()
    while not stop.is_set():
        try:
            f.flush()
        except (OSError, ValueError):
            break

@step(enable_cache=False)
def spam_in_thread() -> None:
    t = threading.Thread(target=spam)
    t.daemon = True
    t.start()
    printing.wait()
    stop.set()
    t.join()

printing = threading.Event()
stop = threading.Event()

@pipeline
def test_spam_in_thread():
    spam_in_thread()
"""
    )
    result = zenrunner.run(str(p))
    assert result.ret == 0
    # zenrun captures per thread: what another thread writes is not captured (pytest's fd
    # capture takes it), so stderr holds SPAMBEFORE; the point, no crash, holds.
    assert "Error" not in result.stderr
    result.stdout.no_fnmatch_line("*OSError*")


def test_typeerror_encodedfile_write(zenrunner) -> None:
    """The same with and without output capturing (#4861)."""
    p = zenrunner.makepyfile(
        STEP
        + """
@step
def fails() -> None:
    sys.stdout.write(b"foo")

@pipeline
def test_fails():
    fails()
"""
    )
    result_without_capture = zenrunner.runzenrun_inprocess("-s", str(p))
    result_with_capture = zenrunner.runzenrun_inprocess(str(p))
    assert result_with_capture.ret == result_without_capture.ret
    result_with_capture.stdout.fnmatch_lines(["E * TypeError: write() argument must be str, not bytes"])


def test_logging_while_collecting(zenrunner) -> None:
    """#6240: logging while collecting does not duplicate later logging to stderr."""
    p = zenrunner.makepyfile(
        STEP
        + """
logging.warning("during collection")

@step
def log() -> None:
    logging.warning("during call")
    assert False

@pipeline
def test_logging():
    log()
"""
    )
    result = zenrunner.run(p)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            f"*{module_name(zenrunner)}.py F*",
            "====* FAILURES *====",
            "____*____",
            "*--- Captured log *",
            "WARNING * during call",
            "*1 failed*",
        ]
    )
    result.stdout.no_fnmatch_line("*Captured stderr*")
    result.stdout.no_fnmatch_line("*during collection*")


def test_global_capture_with_live_logging(zenrunner) -> None:
    """Capture works with live logging (#3819); pytest reads its report's capstdout,
    here what the fixtures and the step printed is shown with -rP."""
    zenrunner.makepyfile(
        STEP
        + """
@zenrun.fixture
def fix1():
    print("fix setup")
    logging.info("fix setup")
    yield
    logging.info("fix teardown")
    print("fix teardown")

@step
def body() -> None:
    print("begin test")
    logging.info("something in test")
    print("end test")

@pipeline
def test_global(fix1):
    body()
"""
    )
    result = zenrunner.run("--log-cli-level=INFO", "-rP")
    assert result.ret == 0
    out = result.stdout
    for text in ("fix setup", "something in test", "fix teardown", "begin test", "end test"):
        assert text in out


class TestCaptureFixture:
    def test_capture_and_logging(self, zenrunner) -> None:
        """#14 (without ``capsys``: a step logs while its output is captured)."""
        p = zenrunner.makepyfile(
            STEP
            + """
@step
def log() -> None:
    logging.error('x')

@pipeline
def test_log():
    log()
"""
        )
        result = zenrunner.run(p)
        assert "closed" not in result.stderr.str()


def test_stderr_write_returns_len(zenrunner) -> None:
    """Writes on the captured stderr return the number of characters written."""
    zenrunner.makepyfile(
        STEP
        + """
@step
def write() -> None:
    assert sys.stderr.write("Foo") == 3
    assert sys.stdout.write("Foo") == 3

@pipeline
def test_stderr_write_returns_len():
    write()
"""
    )
    for method in ("fd", "sys", "tee-sys"):
        assert zenrunner.runzenrun_inprocess(f"--capture={method}").ret == 0
