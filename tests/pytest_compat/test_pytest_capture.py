"""Port of pytest's ``testing/test_capture.py`` (pytest-dev/pytest): its cases about
what a run captures and shows, and the capture fixtures.

Output written while a pipeline's work runs is captured per step (``--capture``
fd / sys / no / tee-sys) and shown with a failure; fixtures' output (setup,
teardown) and what a module prints while it is imported are captured too. A
test function's body becomes a step (where a pipeline's work runs); xunit
``setup_*`` / ``teardown_*`` functions become autouse fixtures. The cases of the
``capsys`` / ``capfd`` / ``capsysbinary`` / ``capfdbinary`` / ``capteesys`` fixtures
(``TestCaptureFixture`` and the test functions using one) are written as pytest writes
them and turned into pipelines whose bodies are the test functions' bodies
(``porting.bodies``).

Deliberate difference kept in the expected lines: what a step wrote is titled
``Captured stdout (<step>)``; the pipeline's setup, body and teardown are pytest's
``Captured stdout setup`` / ``call`` / ``teardown``.

Not ported (no pipeline analogue): unit tests of pytest's capture classes
(``TestCaptureManager``, ``TestCaptureIO``, ``TestTeeCaptureIO``, ``TestFDCapture``
but its ``test_capfd_sys_stdout_mode``, ``TestStdCapture*``, ``test_captureresult``,
``test_dontreadfrominput``, ``test__get_multicapture``,
``test_capturing_and_logging_fundamentals``, ``test_encodedfile_writelines``,
``test_fdcapture_tmpfile_remains_the_same``, ``test_capture_not_started_but_reset``,
``test_error_during_readouterr``), the Windows console and libedit workarounds,
``report.caplog`` / ``capstdout`` of pytest's report objects.
"""

from __future__ import annotations

import pytest
from porting import bodies, module_name

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
                "*Captured stdout setup*",
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
        result.stdout.fnmatch_lines(["*setup_function*", "setup func1*", "in func1*", "teardown func1*"])

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
        result = zenrunner.run(p, "-p", "no:logging")
        assert result.ret != 0
        result.stdout.fnmatch_lines(["WARNING*hello433*"])
        assert "something" not in result.stderr
        assert "operation on closed file" not in result.stderr
        # (the conftest's handler writes to the step's captured stderr, in its format)
        result.stdout.fnmatch_lines(["*- Captured stderr (log) -*", "WARNING:root:hello433"])

    @pytest.mark.parametrize("no_logging", [False, True])
    def test_conftest_basicconfig_configures_logging(self, zenrunner, no_logging: bool) -> None:
        """zenrun's: a conftest's ``logging.basicConfig()`` runs before zenrun's handler is on
        the root logger (as pytest's, added as it is configured), so it configures logging;
        the records are also captured (unless -p no:logging)."""
        zenrunner.makeconftest("import logging\nlogging.basicConfig(level=logging.INFO)\n")
        p = zenrunner.makepyfile(
            STEP
            + """
@step
def log() -> None:
    assert logging.getLogger().level == logging.INFO, logging.getLogger().level
    logging.info("hello434")
    assert 0

@pipeline
def test_hello():
    log()
"""
        )
        result = zenrunner.run(p, "--no-cache", *(["-p", "no:logging"] if no_logging else []))
        assert result.ret == 1
        result.stdout.no_fnmatch_line("*AssertionError: 30*")
        result.stdout.fnmatch_lines(["*- Captured stderr (log) -*", "INFO:root:hello434"])
        if no_logging:
            result.stdout.no_fnmatch_line("*- Captured log (log) -*")
        else:
            result.stdout.fnmatch_lines(["*- Captured log (log) -*", "INFO     root:*hello434"])

    @pytest.mark.parametrize("no_logging", [False, True])
    def test_pipeline_module_basicconfig(self, zenrunner, no_logging: bool) -> None:
        """zenrun's: as pytest's, a module's ``logging.basicConfig()`` does nothing while the
        logging plugin's handler is on the root logger (collection), and configures logging
        with -p no:logging."""
        p = zenrunner.makepyfile(
            STEP
            + """
logging.basicConfig(level=logging.INFO)

@step
def check() -> None:
    assert logging.getLogger().level == logging.INFO, logging.getLogger().level

@pipeline
def test_hello():
    check()
"""
        )
        result = zenrunner.run(p, "--no-cache", *(["-p", "no:logging"] if no_logging else []))
        if no_logging:
            assert result.ret == 0, result.stdout
        else:
            result.stdout.fnmatch_lines(["*AssertionError: 30*"])

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
    """The capture fixtures, in a pipeline's body (its own code, as a test function's)."""

    @pytest.mark.parametrize("opt", [[], ["-s"]])
    def test_std_functional(self, zenrunner, opt) -> None:
        reprec = zenrunner.inline_runsource(
            bodies(
                """\
                def test_hello(capsys):
                    print(42)
                    out, err = capsys.readouterr()
                    assert out.startswith("42")
                """
            ),
            *opt,
        )
        reprec.assertoutcome(passed=1)

    def test_capteesys(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            bodies(
                """\
                import sys
                def test_one(capteesys):
                    print("sTdoUt")
                    print("sTdeRr", file=sys.stderr)
                    out, err = capteesys.readouterr()
                    assert out == "sTdoUt\\n"
                    assert err == "sTdeRr\\n"
                """
            )
        )
        # -rN and --capture=tee-sys: read on stdout / stderr, not reported
        result = zenrunner.runzenrun_inprocess(p, "--quiet", "--quiet", "-rN", "--capture=tee-sys")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["sTdoUt"])  # tee'd out
        result.stderr.fnmatch_lines(["sTdeRr"])  # tee'd out

        result = zenrunner.runzenrun_inprocess(p, "--quiet", "--quiet", "-rA", "--capture=tee-sys")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["sTdoUt", "sTdoUt", "sTdeRr"])  # tee'd out, the next two reported
        result.stderr.fnmatch_lines(["sTdeRr"])  # tee'd out

        # -rA and --capture=sys: read on stdout.
        result = zenrunner.runzenrun_inprocess(p, "--quiet", "--quiet", "-rA", "--capture=sys")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["sTdoUt", "sTdeRr"])  # no tee, just reported
        assert not result.stderr.lines

    def test_capteesys_no_double_output_with_capture_no(self, zenrunner) -> None:
        """capteesys with --capture=no does not write the output twice (#13784)."""
        p = zenrunner.makepyfile(
            bodies(
                """\
                def test_one(capteesys):
                    print("hello world stdout")
                    out, err = capteesys.readouterr()
                    assert out == "hello world stdout\\n"
                """
            )
        )
        result = zenrunner.runzenrun_inprocess(p, "--quiet", "--quiet", "-rN", "-s")
        assert result.ret == 0
        count = result.stdout.lines.count("hello world stdout")
        assert count == 1, f"Expected 'hello world stdout' once, but found {count} times"

    def test_capsyscapfd(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            bodies(
                """\
                def test_one(capsys, capfd):
                    pass
                def test_two(capfd, capsys):
                    pass
                """
            )
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(
            [
                "*ERROR*setup*test_one*",
                "E*capfd*capsys*same*time*",
                "*ERROR*setup*test_two*",
                "E*capsys*capfd*same*time*",
                "*2 errors*",
            ]
        )

    def test_capturing_getfixturevalue(self, zenrunner) -> None:
        """Asking for "capfd" and "capsys" with request.getfixturevalue in the same pipeline
        is an error."""
        zenrunner.makepyfile(
            bodies(
                """\
                def test_one(capsys, request):
                    request.getfixturevalue("capfd")
                def test_two(capfd, request):
                    request.getfixturevalue("capsys")
                """
            )
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*test_one*",
                "E * cannot use capfd and capsys at the same time",
                "*test_two*",
                "E * cannot use capsys and capfd at the same time",
                "*2 failed in*",
            ]
        )

    def test_capsyscapfdbinary(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            bodies(
                """\
                def test_one(capsys, capfdbinary):
                    pass
                """
            )
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(
            ["*ERROR*setup*test_one*", "E*capfdbinary*capsys*same*time*", "*1 error*"]
        )

    @pytest.mark.parametrize("method", ["sys", "fd"])
    def test_capture_is_represented_on_failure_issue128(self, zenrunner, method) -> None:
        p = zenrunner.makepyfile(
            bodies(
                f"""\
                def test_hello(cap{method}):
                    print("xxx42xxx")
                    assert 0
                """
            )
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(["xxx42xxx"])

    def test_stdfd_functional(self, zenrunner) -> None:
        reprec = zenrunner.inline_runsource(
            bodies(
                """\
                def test_hello(capfd):
                    import os
                    os.write(1, b"42")
                    out, err = capfd.readouterr()
                    assert out.startswith("42")
                    capfd.close()
                """
            )
        )
        reprec.assertoutcome(passed=1)

    @pytest.mark.parametrize("nl", ("\n", "\r\n", "\r"))
    def test_cafd_preserves_newlines(self, zenrunner, nl) -> None:
        """pytest's case is a test using ``capfd`` itself: here a pipeline doing the same."""
        zenrunner.makepyfile(
            bodies(
                f"""\
                def test_cafd_preserves_newlines(capfd):
                    print("test", end={nl!r})
                    out, _err = capfd.readouterr()
                    assert out.endswith({nl!r})
                """
            )
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_capfdbinary(self, zenrunner) -> None:
        reprec = zenrunner.inline_runsource(
            bodies(
                """\
                def test_hello(capfdbinary):
                    import os
                    # some likely un-decodable bytes
                    os.write(1, b'\\xfe\\x98\\x20')
                    out, err = capfdbinary.readouterr()
                    assert out == b'\\xfe\\x98\\x20'
                    assert err == b''
                """
            )
        )
        reprec.assertoutcome(passed=1)

    def test_capsysbinary(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            bodies(
                r"""
                def test_hello(capsysbinary):
                    import sys

                    sys.stdout.buffer.write(b'hello')

                    # Some likely un-decodable bytes.
                    sys.stdout.buffer.write(b'\xfe\x98\x20')

                    sys.stdout.buffer.flush()

                    # Ensure writing in text mode still works and is captured.
                    # https://github.com/pytest-dev/pytest/issues/6871
                    print("world", flush=True)

                    out, err = capsysbinary.readouterr()
                    assert out == b'hello\xfe\x98\x20world\n'
                    assert err == b''

                    print("stdout after")
                    print("stderr after", file=sys.stderr)
                """
            )
        )
        result = zenrunner.runzenrun_inprocess(str(p1), "-rA", "-p", "no:results")
        result.stdout.fnmatch_lines(
            [
                "*- Captured stdout setup -*",
                "stdout after",
                "*- Captured stderr setup -*",
                "stderr after",
                "*= 1 passed in *",
            ]
        )

    def test_partial_setup_failure(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            bodies(
                """\
                def test_hello(capsys, missingarg):
                    pass
                """
            )
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(["*test_hello*", "*1 error*"])

    def test_keyboardinterrupt_disables_capturing(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            bodies(
                """\
                def test_hello(capfd):
                    import os
                    os.write(1, b'42')
                    raise KeyboardInterrupt()
                """
            )
        )
        result = zenrunner.runzenrun_subprocess(p)
        result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
        assert result.ret == 2

    def test_capture_and_logging(self, zenrunner) -> None:
        """#14"""
        p = zenrunner.makepyfile(
            bodies(
                """\
                import logging
                def test_log(capsys):
                    logging.error('x')
                """
            )
        )
        result = zenrunner.runzenrun_subprocess(p)
        assert "closed" not in result.stderr.str()

    def test_capture_and_logging_in_a_step(self, zenrunner) -> None:
        """#14, zenrun's: a step logs while its output is captured."""
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

    @pytest.mark.parametrize("fixture", ["capsys", "capfd"])
    @pytest.mark.parametrize("no_capture", [True, False])
    def test_disabled_capture_fixture(self, zenrunner, fixture: str, no_capture: bool) -> None:
        zenrunner.makepyfile(
            bodies(
                f"""\
                def test_disabled({fixture}):
                    print('captured before')
                    with {fixture}.disabled():
                        print('while capture is disabled')
                    print('captured after')
                    assert {fixture}.readouterr() == ('captured before\\ncaptured after\\n', '')

                def test_normal():
                    print('test_normal executed')
                """
            )
        )
        args = ("-s",) if no_capture else ()
        result = zenrunner.runzenrun_subprocess(*args)
        result.stdout.fnmatch_lines(["*while capture is disabled*", "*= 2 passed in *"])
        result.stdout.no_fnmatch_line("*captured before*")
        result.stdout.no_fnmatch_line("*captured after*")
        if no_capture:
            assert "test_normal executed" in result.stdout.str()
        else:
            result.stdout.no_fnmatch_line("*test_normal executed*")

    def test_disabled_capture_fixture_twice(self, zenrunner) -> None:
        """An inner disabled() exit does not undo an outer disabled() (#7148)."""
        zenrunner.makepyfile(
            bodies(
                """
                def test_disabled(capfd):
                    print('captured before')
                    with capfd.disabled():
                        print('while capture is disabled 1')
                        with capfd.disabled():
                            print('while capture is disabled 2')
                        print('while capture is disabled 1 after')
                    print('captured after')
                    assert capfd.readouterr() == ('captured before\\ncaptured after\\n', '')
                """
            )
        )
        result = zenrunner.runzenrun_subprocess()
        result.stdout.fnmatch_lines(
            [
                "*while capture is disabled 1",
                "*while capture is disabled 2",
                "*while capture is disabled 1 after",
            ],
            consecutive=True,
        )

    @pytest.mark.parametrize("fixture", ["capsys", "capfd"])
    def test_fixture_use_by_other_fixtures(self, zenrunner, fixture) -> None:
        """capsys and capfd can be used by other fixtures during setup and teardown."""
        zenrunner.makepyfile(
            bodies(
                f"""\
                import sys
                import pytest

                @pytest.fixture
                def captured_print({fixture}):
                    print('stdout contents begin')
                    print('stderr contents begin', file=sys.stderr)
                    out, err = {fixture}.readouterr()

                    yield out, err

                    print('stdout contents end')
                    print('stderr contents end', file=sys.stderr)
                    out, err = {fixture}.readouterr()
                    assert out == 'stdout contents end\\n'
                    assert err == 'stderr contents end\\n'

                def test_captured_print(captured_print):
                    out, err = captured_print
                    assert out == 'stdout contents begin\\n'
                    assert err == 'stderr contents begin\\n'
                """
            )
        )
        result = zenrunner.runzenrun_subprocess()
        result.stdout.fnmatch_lines(["*1 passed*"])
        result.stdout.no_fnmatch_line("*stdout contents begin*")
        result.stdout.no_fnmatch_line("*stderr contents begin*")

    @pytest.mark.parametrize("cap", ["capsys", "capfd"])
    def test_fixture_use_by_other_fixtures_teardown(self, zenrunner, cap) -> None:
        """The setup and body output can be read from a teardown with capsys/capfd (#3033)."""
        zenrunner.makepyfile(
            bodies(
                f"""\
                import sys
                import pytest
                import os

                @pytest.fixture()
                def fix({cap}):
                    print("setup out")
                    sys.stderr.write("setup err\\n")
                    yield
                    out, err = {cap}.readouterr()
                    assert out == 'setup out\\ncall out\\n'
                    assert err == 'setup err\\ncall err\\n'

                def test_a(fix):
                    print("call out")
                    sys.stderr.write("call err\\n")
                """
            )
        )
        reprec = zenrunner.inline_run()
        reprec.assertoutcome(passed=1)


class TestCaptureFixtureInAStep:
    """zenrun's: a step given a capture fixture (as a step is given ``caplog``) captures what
    it writes while it runs, as a test function given ``capsys``."""

    @pytest.mark.parametrize("fixture", ["capsys", "capfd", "capteesys"])
    def test_step_reads_its_own_output(self, zenrunner, fixture: str) -> None:
        zenrunner.makepyfile(
            STEP
            + f"""
@step
def talk(cap) -> None:
    print("in step")
    sys.stderr.write("step err\\n")
    out, err = cap.readouterr()
    assert (out, err) == ("in step\\n", "step err\\n")
    print("unread")

@pipeline
def test_talk({fixture}):
    print("body")
    assert {fixture}.readouterr().out == "body\\n"
    talk({fixture})
"""
        )
        result = zenrunner.runzenrun_inprocess("-rA", "-p", "no:results")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*- Captured stdout (talk) -*", "unread"])

    def test_step_under_dash_n(self, zenrunner) -> None:
        zenrunner.makepyfile(
            STEP
            + """
@step
def talk(cap) -> str:
    print("in worker")
    return cap.readouterr().out

@step
def check(out: str) -> None:
    assert out == "in worker\\n", out

@pipeline
def test_talk(capsys):
    check(talk(capsys))
"""
        )
        zenrunner.runzenrun_subprocess("-n", "2").assert_outcomes(passed=1)


def test_capfd_sys_stdout_mode(zenrunner) -> None:
    """pytest's ``TestFDCapture`` case uses ``capfd`` itself: a pipeline doing the same."""
    zenrunner.makepyfile(
        bodies(
            """
            import sys
            def test_capfd_sys_stdout_mode(capfd):
                assert "b" not in sys.stdout.mode
            """
        )
    )
    zenrunner.runzenrun_subprocess().assert_outcomes(passed=1)  # a real sys.stdout


def test_using_capsys_fixture_works_with_sys_stdout_encoding(zenrunner) -> None:
    zenrunner.makepyfile(
        bodies(
            """
            import sys
            def test_using_capsys_fixture_works_with_sys_stdout_encoding(capsys):
                test_text = "test text"

                print(test_text.encode(sys.stdout.encoding, "replace"))
                (out, err) = capsys.readouterr()
                assert out
                assert err == ""
            """
        )
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_capsys_results_accessible_by_attribute(zenrunner) -> None:
    zenrunner.makepyfile(
        bodies(
            """
            import sys
            def test_capsys_results_accessible_by_attribute(capsys):
                sys.stdout.write("spam")
                sys.stderr.write("eggs")
                capture_result = capsys.readouterr()
                assert capture_result.out == "spam"
                assert capture_result.err == "eggs"
            """
        )
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


@pytest.mark.parametrize("capture_fixture", ["capsys", "capfd"])
def test_capture_with_live_logging(zenrunner, capture_fixture: str) -> None:
    """Capture works with live cli logging (#3819)."""
    zenrunner.makepyfile(
        bodies(
            f"""
            import logging
            import sys

            logger = logging.getLogger(__name__)

            def test_capture({capture_fixture}):
                print("hello")
                sys.stderr.write("world\\n")
                captured = {capture_fixture}.readouterr()
                assert captured.out == "hello\\n"
                assert captured.err == "world\\n"

                logging.info("something")
                print("next")
                logging.info("something")

                captured = {capture_fixture}.readouterr()
                assert captured.out == "next\\n"
            """
        )
    )
    result = zenrunner.runzenrun_subprocess("--log-cli-level=INFO")
    assert result.ret == 0


def test_stderr_write_returns_len(zenrunner) -> None:
    """Writes on the captured stderr return the number of characters written: with
    ``capsys`` in the body (pytest's case), and in a step under each ``--capture``."""
    zenrunner.makepyfile(
        bodies(
            """
            import sys
            def test_stderr_write_returns_len(capsys):
                assert sys.stderr.write("Foo") == 3
            """
        )
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
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
