"""Port of pytest's ``testing/test_runner.py`` (pytest-dev/pytest).

What running an item does and reports: pass, fail, skip, errors in setup and
teardown (xunit ``setup_function`` / ``teardown_function`` become autouse
fixtures), ``SystemExit`` / ``KeyboardInterrupt`` / ``zenrun.exit()``,
``zenrun.fail(pytrace=False)``, exit codes, ``importorskip``, a teardown
error after the session stops early (#11706). pytest's ``runitem`` reports
are read here through ``zenrun_item_report`` (``REPORTS``: a conftest that
writes each report's nodeid, outcome, phase and longrepr to a JSON file).
Test sources are written as pytest writes them and turned into pipelines by
``porting.pipelines`` (the assertion runs in the ``check`` step).

Not ported: ``TestSetupState`` (pytest's private ``SetupState``),
``test_custom_failure_repr`` / ``..._ignores_custom_repr`` (a conftest
``Function`` subclass), ``test_exact_teardown_issue90`` / ``issue1206``
(test classes), ``TestSessionReports``, ``test_report_extra_parameters``,
``test_callinfo``, ``test_store_except_info_on_error`` (pytest's
``CollectReport``, ``CallInfo`` and ``runtestprotocol``), ``TestReportContents::
test_longreprtext_collect_skip`` / ``test_longrepr_type`` (pytest's report classes),
``test_runtest_in_module_ordering`` (hooks on test classes),
``test_keyboardinterrupt_clears_request_and_funcargs`` (``item.funcargs``),
``test_logstart_logfinish_hooks`` (``pytest_runtest_logstart`` /
``_logfinish``), ``test_current_test_env_var`` and
``test_pytest_version_env_var`` (``PYTEST_CURRENT_TEST`` / ``PYTEST_VERSION``,
which zenrun does not set).

Ported in another form: ``test_unicode_in_longrepr`` (pytest's sets a
non-ASCII ``longrepr`` in a ``pytest_runtest_makereport`` wrapper; here a
non-ASCII failure under an ASCII stdout), ``test_makereport_getsource_dynamic_code``
(pytest's monkeypatches ``inspect.findsource`` in its own process; here the
same ``-vv`` run with a missing fixture). zenrun's own: ``test_skip_in_step``,
``test_zenrun_fail_notrace_in_step``, ``test_zenrun_exit_banner_place``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest
from porting import module_name, pipelines

import zenrun
from zenrun import outcomes

REPORTS = """
import json
from pathlib import Path

def zenrun_item_report(report):
    with open(Path(__file__).parent / "reports.json", "a") as file:
        file.write(json.dumps([report.nodeid, report.outcome, report.when, report.phase]) + "\\n")
"""


def reports(zenrunner, *source: str, args: tuple[str, ...] = ()) -> list[list[str]]:
    """Run the pipelines of ``source`` (pytest's test source); the items' reports."""
    zenrunner.makeconftest(REPORTS)
    zenrunner.makepyfile(*[pipelines(s) for s in source])
    zenrunner.runzenrun_inprocess("-p", "no:results", *args)
    path = zenrunner.path / "reports.json"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class TestExecution:
    def test_passfunction(self, zenrunner) -> None:
        [rep] = reports(zenrunner, "def test_func():\n    pass\n")
        assert rep[1] == "passed"

    def test_failfunction(self, zenrunner) -> None:
        [rep] = reports(zenrunner, "def test_func():\n    assert 0\n")
        assert rep[1] == "failed"
        assert rep[3] == "call"

    def test_skipfunction(self, zenrunner) -> None:
        [rep] = reports(zenrunner, "import pytest\ndef test_func():\n    pytest.skip('hello')\n")
        assert rep[1] == "skipped"

    def test_skip_in_step(self, zenrunner) -> None:
        """A skip where the pipeline's work runs (pytest: in the test function)."""
        zenrunner.makeconftest(REPORTS)
        zenrunner.makepyfile(
            """
import zenrun
from zenrun import pipeline, step

@step
def needs_gpu():
    zenrun.skip("hello")

@pipeline
def test_func():
    needs_gpu()
"""
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results", "-rs")
        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: hello"])

    def test_skip_in_setup_function(self, zenrunner) -> None:
        rep = reports(
            zenrunner,
            """
import pytest
@pytest.fixture(autouse=True)
def setup_function():
    pytest.skip("hello")
def test_func():
    pass
""",
        )
        assert [r[1] for r in rep] == ["skipped"]
        assert rep[0][2:] == ["setup", "setup"]  # pytest's when, and where it was decided

    def test_failure_in_setup_function(self, zenrunner) -> None:
        rep = reports(
            zenrunner,
            """
import pytest
@pytest.fixture(autouse=True)
def setup_function():
    raise ValueError(42)
def test_func():
    pass
""",
        )
        assert [(r[1], r[2], r[3]) for r in rep] == [("error", "setup", "setup")]

    @pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
    def test_when_of_each_report(self, zenrunner, args) -> None:
        """zenrun's own: pytest's ``when`` of the report its plugins see, with and without
        worker processes."""
        rep = reports(
            zenrunner,
            """
import pytest
@pytest.fixture
def broken():
    raise ValueError(42)
def test_passes():
    pass
def test_fails():
    assert 0
@pytest.mark.skip(reason="no")
def test_marked():
    pass
@pytest.mark.xfail(run=False)
def test_not_run():
    pass
def test_fixture_fails(broken):
    pass
""",
            args=tuple(args),
        )
        assert sorted((r[0].split("::")[1], r[1], r[2]) for r in rep) == [
            ("test_fails", "failed", "call"),
            ("test_fixture_fails", "error", "setup"),
            ("test_marked", "skipped", "setup"),
            ("test_not_run", "xfailed", "setup"),
            ("test_passes", "passed", "call"),
        ]

    def test_failure_in_teardown_function(self, zenrunner) -> None:
        rep = reports(
            zenrunner,
            """
import pytest
@pytest.fixture(autouse=True)
def teardown_function():
    yield
    raise ValueError(42)
def test_func():
    pass
""",
        )
        assert [(r[1], r[2]) for r in rep] == [("passed", "call"), ("error", "teardown")]

    def test_teardown_final_returncode(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipelines(
                """
import pytest
def test_func():
    pass
@pytest.fixture(autouse=True)
def teardown_function():
    yield
    raise ValueError(42)
"""
            )
        )
        assert zenrunner.runzenrun_inprocess().ret == 1

    @pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
    def test_systemexit_does_not_bail_out(self, zenrunner, args) -> None:
        zenrunner.makeconftest(REPORTS)
        zenrunner.makepyfile(
            """
from zenrun import pipeline, step

@step
def exits():
    raise SystemExit(42)

@pipeline
def test_func():
    exits()
"""
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results", *args)
        result.assert_outcomes(failed=1)
        assert result.ret == 1

    @pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
    def test_exit_propagates(self, zenrunner, args) -> None:
        zenrunner.makepyfile(
            """
import zenrun
from zenrun import pipeline, step

@step
def exits():
    raise zenrun.exit.Exception()

@pipeline
def test_func():
    exits()

@pipeline
def test_after():
    exits()
"""
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results", *args)
        assert result.ret == 2
        result.stdout.no_fnmatch_line("*test_after*")
        result.stdout.no_fnmatch_line("*failed*")

    @pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
    def test_keyboardinterrupt_propagates(self, zenrunner, args) -> None:
        zenrunner.makepyfile(
            """
from zenrun import pipeline, step

@step
def interrupted():
    raise KeyboardInterrupt("fake")

@pipeline
def test_func():
    interrupted()
"""
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results", *args)
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])


CONTENTS = """
import json
from pathlib import Path

def zenrun_item_report(report):
    fields = ["outcome", "when", "passed", "failed", "skipped", "longreprtext", "capstdout", "capstderr", "head_line"]
    with open(Path(__file__).parent / "contents.json", "a") as file:
        file.write(json.dumps({name: getattr(report, name) for name in fields}) + "\\n")
"""


def contents(zenrunner, source: str) -> list[dict]:
    """The reports of ``source``'s pipelines, with pytest's report properties."""
    zenrunner.makeconftest(CONTENTS)
    zenrunner.makepyfile(source)
    zenrunner.runzenrun_inprocess("-p", "no:results")
    lines = (zenrunner.path / "contents.json").read_text().splitlines()
    return [json.loads(line) for line in lines]


class TestReportContents:
    """The user-level API of reports (pytest's ``TestReport``), read in ``zenrun_item_report``."""

    def test_longreprtext_pass(self, zenrunner) -> None:
        [rep] = contents(zenrunner, pipelines("def test_func():\n    pass\n"))
        assert rep["passed"] and not rep["failed"] and not rep["skipped"]
        assert rep["longreprtext"] == ""
        assert rep["head_line"] == "test_func"  # pytest's TestReport.head_line

    def test_longreprtext_skip(self, zenrunner) -> None:
        [rep] = contents(zenrunner, pipelines("import pytest\ndef test_func():\n    pytest.skip()\n"))
        assert rep["skipped"] and not rep["passed"] and not rep["failed"]
        assert "Skipped" in rep["longreprtext"]

    def test_longreprtext_failure(self, zenrunner) -> None:
        [rep] = contents(
            zenrunner,
            """
from zenrun import pipeline, step

@step
def func():
    x = 1
    assert x == 4

@pipeline
def test_func():
    func()
""",
        )
        assert rep["failed"] and not rep["passed"]
        assert "assert 1 == 4" in rep["longreprtext"]

    def test_captured_text(self, zenrunner) -> None:
        reports = contents(
            zenrunner,
            """
import sys
import zenrun
from zenrun import pipeline, step

@zenrun.fixture
def fix():
    sys.stdout.write('setup: stdout\\n')
    sys.stderr.write('setup: stderr\\n')
    yield
    sys.stdout.write('teardown: stdout\\n')
    sys.stderr.write('teardown: stderr\\n')
    assert 0

@step
def func():
    sys.stdout.write('call: stdout\\n')
    sys.stderr.write('call: stderr\\n')
    assert 0

@pipeline
def test_func(fix):
    func()
""",
        )
        call, teardown = (
            reports  # zenrun's report of the item (its teardown's output too), its teardown error
        )
        assert call["outcome"] == "failed" and teardown["outcome"] == "error"
        assert call["capstdout"] == "setup: stdout\ncall: stdout\nteardown: stdout\n"
        assert call["capstderr"] == "setup: stderr\ncall: stderr\nteardown: stderr\n"

    def test_no_captured_text(self, zenrunner) -> None:
        [rep] = contents(zenrunner, pipelines("def test_func():\n    pass\n"))
        assert rep["capstdout"] == ""
        assert rep["capstderr"] == ""


def test_outcomeexception_exceptionattributes() -> None:
    outcome = outcomes.OutcomeException("test")
    assert outcome.args[0] == outcome.msg


def test_outcomeexception_passes_except_Exception() -> None:
    with pytest.raises(outcomes.OutcomeException):
        try:
            raise outcomes.OutcomeException("test")
        except Exception as e:
            raise NotImplementedError from e


def test_zenrun_exit() -> None:
    with pytest.raises(zenrun.exit.Exception) as excinfo:
        zenrun.exit("hello")
    assert excinfo.errisinstance(zenrun.exit.Exception)


def test_zenrun_fail() -> None:
    with pytest.raises(zenrun.fail.Exception) as excinfo:
        zenrun.fail("hello")
    assert isinstance(excinfo.value, zenrun.fail.Exception)


def test_zenrun_exit_msg(zenrunner) -> None:
    zenrunner.makeconftest(
        """
import zenrun
def zenrun_configure(config):
    zenrun.exit('oh noes')
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stderr.fnmatch_lines(["Exit: oh noes"])


def _strip_resource_warnings(lines):
    return [x for x in lines if not x.startswith(("Exception ignored in:", "ResourceWarning"))]


def test_zenrun_exit_returncode(zenrunner) -> None:
    zenrunner.makepyfile(
        """
import zenrun
from zenrun import pipeline, step

@step
def exits():
    zenrun.exit("some exit msg", 99)

@pipeline
def test_foo():
    exits()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*! *Exit: some exit msg !*"])
    assert _strip_resource_warnings(result.stderr.lines) == []
    assert result.ret == 99

    # It prints to stderr also in case of exit during zenrun_sessionstart.
    zenrunner.makeconftest(
        """
import zenrun
def zenrun_sessionstart():
    zenrun.exit("during_sessionstart", 98)
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*! *Exit: during_sessionstart !*"])
    assert _strip_resource_warnings(result.stderr.lines) == ["Exit: during_sessionstart"]
    assert result.ret == 98


@pytest.mark.parametrize("returncode", [None, 99])
def test_zenrun_exit_banner_place(zenrunner, returncode) -> None:
    """pytest's order (``test_pytest_exit_returncode`` run by hand): the ``!!! Exit !!!``
    banner comes before the closing line when the session is interrupted (exit code 2),
    after it when ``exit()`` chose the code."""
    zenrunner.makepyfile(
        f"""
import zenrun
from zenrun import pipeline, step

@step
def exits():
    zenrun.exit("some exit msg", {returncode})

@pipeline
def test_foo():
    exits()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    lines = [line for line in result.stdout.lines if line]
    banner = next(i for i, line in enumerate(lines) if "Exit: some exit msg" in line)
    closing = next(i for i, line in enumerate(lines) if "no pipelines ran" in line)
    assert (banner < closing) == (returncode is None)
    assert result.ret == (returncode or 2)


def test_zenrun_fail_notrace_runtest(zenrunner) -> None:
    """``zenrun.fail(..., pytrace=False)`` shows no traceback while running."""
    zenrunner.makepyfile(
        pipelines(
            """
import pytest
def test_hello():
    pytest.fail("hello", pytrace=False)
@pytest.fixture(autouse=True)
def teardown_function():
    yield
    pytest.fail("world", pytrace=False)
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["world", "*hello"])
    result.stdout.no_fnmatch_line("*def teardown_function*")


def test_zenrun_fail_notrace_in_step(zenrunner) -> None:
    """zenrun's: the same where a pipeline's work runs, in a step."""
    zenrunner.makepyfile(
        """
import zenrun
from zenrun import pipeline, step

@step
def hello():
    zenrun.fail("hello", pytrace=False)

@pipeline
def test_hello():
    hello()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["hello", "FAILED *::test_hello - *Failed: hello"])
    result.stdout.no_fnmatch_line("*def hello*")
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--tb=line")
    result.stdout.fnmatch_lines([f"{module_name(zenrunner)}.py:6: Failed: hello"])


def test_zenrun_fail_notrace_collection(zenrunner) -> None:
    """``zenrun.fail(..., pytrace=False)`` shows no traceback while collecting."""
    zenrunner.makepyfile(
        """
import zenrun
def some_internal_function():
    zenrun.fail("hello", pytrace=False)
some_internal_function()
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["hello"])
    result.stdout.no_fnmatch_line("*def some_internal_function()*")


def test_zenrun_fail_notrace_non_ascii(zenrunner) -> None:
    """``zenrun.fail`` with ``pytrace=False`` and non-ascii characters (#1178)."""
    zenrunner.makepyfile(
        pipelines(
            """
import pytest
def test_hello():
    pytest.fail('oh oh: ☺', pytrace=False)
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*test_hello*", "*oh oh: ☺"])
    result.stdout.no_fnmatch_line("*def test_hello*")


def test_zenrun_no_tests_collected_exit_status(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*collected 0 pipelines*"])
    assert result.ret == 5

    zenrunner.makepyfile(pipeline_foo=pipelines("def test_foo():\n    assert 1\n"))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*collected 1 pipeline*"])
    result.stdout.fnmatch_lines(["*1 passed*"])
    assert result.ret == 0

    result = zenrunner.runzenrun_inprocess("-p", "no:results", "-k nonmatch")
    result.stdout.fnmatch_lines(["*collected 1 pipeline*"])
    result.stdout.fnmatch_lines(["*1 deselected*"])
    assert result.ret == 5


def test_exception_printing_skip() -> None:
    assert zenrun.skip.Exception == zenrun.skip.Exception
    with pytest.raises(zenrun.skip.Exception) as excinfo:
        zenrun.skip("hello")
    assert excinfo.exconly(tryshort=True).startswith("zenrun.outcomes.Skipped")


def test_importorskip(monkeypatch) -> None:
    importorskip = zenrun.importorskip

    def f():
        importorskip("asdlkj")

    sysmod = importorskip("sys")
    assert sysmod is sys
    with pytest.raises(zenrun.skip.Exception):
        f()
    with pytest.raises(SyntaxError):
        zenrun.importorskip("x y z")
    with pytest.raises(SyntaxError):
        zenrun.importorskip("x=y")
    mod = types.ModuleType("hello123")
    mod.__version__ = "1.3"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hello123", mod)
    with pytest.raises(zenrun.skip.Exception):
        zenrun.importorskip("hello123", minversion="1.3.1")
    mod2 = zenrun.importorskip("hello123", minversion="1.3")
    assert mod2 == mod


def test_importorskip_imports_last_module_part() -> None:
    ospath = zenrun.importorskip("os.path")
    assert os.path == ospath


class TestImportOrSkipExcType:
    """importorskip's ``exc_type``: only a missing module skips by default."""

    def test_module_not_found_skips_by_default(self) -> None:
        with pytest.raises(zenrun.skip.Exception):
            zenrun.importorskip("TestImportOrSkipExcType_test_module_not_found_skips_without_warning")

    def test_import_error_is_propagated_by_default(self, zenrunner, monkeypatch) -> None:
        fn = zenrunner.makepyfile(import_error_module="raise ImportError('some specific problem')")
        monkeypatch.syspath_prepend(str(fn.parent))
        with pytest.raises(ImportError, match="some specific problem"):
            zenrun.importorskip(fn.stem)

    def test_import_error_can_be_captured_explicitly(self, zenrunner, monkeypatch) -> None:
        fn = zenrunner.makepyfile(import_error_module2="raise ImportError('some specific problem')")
        monkeypatch.syspath_prepend(str(fn.parent))
        with pytest.raises(zenrun.skip.Exception):
            zenrun.importorskip(fn.stem, exc_type=ImportError)

    def test_import_error_integration(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipelines(
                """
import pytest
def test_foo():
    pytest.importorskip("warning_integration_module")
"""
            )
        )
        zenrunner.makepyfile(
            warning_integration_module='raise ImportError("required library foobar not compiled properly")\n'
        )
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        result.stdout.fnmatch_lines(["*ImportError: required library foobar not compiled properly*"])
        result.assert_outcomes(failed=1)


def test_importorskip_dev_module(monkeypatch) -> None:
    mod = types.ModuleType("mockmodule")
    mod.__version__ = "0.13.0.dev-43290"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mockmodule", mod)
    mod2 = zenrun.importorskip("mockmodule", minversion="0.12.0")
    assert mod2 == mod
    with pytest.raises(zenrun.skip.Exception):
        zenrun.importorskip("mockmodule1", minversion="0.14.0")


def test_importorskip_module_level(zenrunner) -> None:
    """``importorskip`` at module level skips the whole module."""
    zenrunner.makepyfile(
        pipelines(
            """
import pytest
foobarbaz = pytest.importorskip("foobarbaz")

def test_foo():
    pass
"""
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*collected 0 pipelines / 1 skipped*"])


def test_importorskip_custom_reason(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
import pytest
foobarbaz = pytest.importorskip("foobarbaz2", reason="just because")

def test_foo():
    pass
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-ra")
    result.stdout.fnmatch_lines(["*just because*"])
    result.stdout.fnmatch_lines(["*collected 0 pipelines / 1 skipped*"])


def test_zenrun_cmdline_main(zenrunner) -> None:
    p = zenrunner.makepyfile(
        pipelines(
            """
import pytest
def test_hello():
    assert 1
if __name__ == '__main__':
   pytest.main([__file__])
"""
        )
    )
    popen = subprocess.Popen([sys.executable, str(p)], stdout=subprocess.PIPE, cwd=zenrunner.path)
    popen.communicate()
    assert popen.wait() == 0


def test_unicode_in_longrepr(zenrunner) -> None:
    zenrunner.makepyfile(
        """
from zenrun import pipeline, step

@step
def out():
    print("héllo ☺")
    assert 0, 'ä ☺'

@pipeline
def test_out():
    out()
"""
    )
    result = zenrunner.run("-p", "no:results", env={"PYTHONIOENCODING": "ascii"})
    assert result.ret == 1
    assert "UnicodeEncodeError" not in result.stderr.str()
    result.stdout.fnmatch_lines(["*1 failed*"])


def test_failure_in_setup(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
import pytest
@pytest.fixture(scope="module", autouse=True)
def setup_module():
    0/0
def test_func():
    pass
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--tb=line")
    result.stdout.no_fnmatch_line("*def setup_module*")
    result.stdout.no_fnmatch_line("*0/0*")
    result.stdout.fnmatch_lines(["E   ZeroDivisionError: division by zero"])


def test_makereport_getsource(zenrunner) -> None:
    zenrunner.makepyfile(
        """
from zenrun import pipeline, step

@step
def foo():
    if False: pass
    else: assert False

@pipeline
def test_foo():
    foo()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.fnmatch_lines(["*else: assert False*"])


def test_makereport_missing_fixture_vv(zenrunner) -> None:
    """pytest's ``test_makereport_getsource_dynamic_code``, without its monkeypatched
    ``inspect.findsource``: a missing fixture under ``-vv``."""
    zenrunner.makepyfile(
        pipelines(
            """
import pytest

@pytest.fixture
def foo(missing):
    pass

def test_fix(foo):
    assert False
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "-vv")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.fnmatch_lines(["*test_fix*", "*fixture*'missing'*not found*"])


def test_outcome_exception_bad_msg() -> None:
    """Outcome exceptions validate their message (#5578)."""

    def func() -> None:
        raise NotImplementedError()

    expected = (
        "OutcomeException expected string as 'msg' parameter, got 'function' instead.\n"
        "Perhaps you meant to use a mark?"
    )
    with pytest.raises(TypeError) as excinfo:
        outcomes.OutcomeException(func)  # type: ignore[arg-type]
    assert str(excinfo.value) == expected


TEARDOWN_AFTER_STOP = """
import zenrun
from zenrun import pipeline, step

@zenrun.fixture(scope="module")
def baz():
    yield
    zenrun.fail("This is a failing teardown")

@step
def fails():
    zenrun.fail("This is a failing test")

@step
def ok():
    pass

@pipeline
def test_foo(baz):
    fails()

@pipeline
def test_bar():
    ok()
"""


def test_teardown_session_failed(zenrunner) -> None:
    """A higher-scoped fixture's teardown runs in the context of the last item when
    ``--maxfail`` stops the session (#11706)."""
    zenrunner.makepyfile(TEARDOWN_AFTER_STOP)
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--maxfail=1")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_foo*"])
    result.stdout.no_fnmatch_line("*test_bar*")


def test_teardown_session_stopped(zenrunner) -> None:
    """The same when ``--stepwise`` stops the session (#11706)."""
    zenrunner.makepyfile(TEARDOWN_AFTER_STOP)
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--stepwise")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines([f"ERROR {module_name(zenrunner)}.py::test_foo - *"])
