"""Port of pytest's ``testing/test_threadexception.py`` (pytest-dev/pytest): an exception
nobody handled in a thread is a warning of the pipeline that started it
(``zenrun.ZenrunUnhandledThreadExceptionWarning``, pytest's
``PytestUnhandledThreadExceptionWarning``), in the warnings summary under the pipeline's
id; an error filter fails the pipeline.

pytest's test starts the thread itself; here a step does (a pipeline's work runs in
steps), or a fixture, as pytest's setup and teardown cases. The summary's last line is
the source line of zenrun's ``warnings.warn`` call, as pytest's is of its own. pytest's
``filterwarnings`` marks on its own tests become the run's ``-W`` option (in-process, the
filters of the outer test are not the run's).
"""

from __future__ import annotations

import pytest

STEP = """
import threading
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool = True) -> None:
    assert ok

@step
def start_thread() -> None:
    def oops():
        raise ValueError("Oops")

    t = threading.Thread(target=oops, name="MyThread")
    t.start()
    t.join()

@pipeline
def test_it():
    start_thread()

@pipeline
def test_2():
    check()
"""

FIXTURE = """
import threading
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool = True) -> None:
    assert ok

@zenrun.fixture
def threadexc():
    def oops():
        raise ValueError("Oops")
    {before}
    t = threading.Thread(target=oops, name="MyThread")
    t.start()
    t.join()

@pipeline
def test_it(threadexc):
    check()

@pipeline
def test_2():
    check()
"""

SUMMARY = [
    "*= warnings summary =*",
    "pipeline_it.py::test_it",
    "  * ZenrunUnhandledThreadExceptionWarning: Exception in thread MyThread",
    "  ",
    "  Traceback (most recent call last):",
    "  ValueError: Oops",
    "  ",
    "    warnings.warn(warning, stacklevel=1)",
]


def test_unhandled_thread_exception(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=STEP)
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 2, "warnings": 1}
    result.stdout.fnmatch_lines(SUMMARY)


def test_unhandled_thread_exception_in_setup(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=FIXTURE.format(before=""))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 2, "warnings": 1}
    result.stdout.fnmatch_lines(SUMMARY)


def test_unhandled_thread_exception_in_teardown(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=FIXTURE.format(before="yield"))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 2, "warnings": 1}
    result.stdout.fnmatch_lines(SUMMARY)


def test_unhandled_thread_exception_warning_error(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=STEP)
    result = zenrunner.runzenrun_inprocess(
        "-p", "no:results", "-W", "error::zenrun.ZenrunUnhandledThreadExceptionWarning"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes() == {"passed": 1, "failed": 1}
    # zenrun's: the failure is the step's, with the thread's traceback.
    result.stdout.fnmatch_lines(
        [
            "step 'start_thread' failed:",
            "zenrun.ZenrunUnhandledThreadExceptionWarning: Exception in thread MyThread",
            "*ValueError: Oops",
        ]
    )
