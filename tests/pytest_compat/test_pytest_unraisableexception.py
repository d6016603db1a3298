"""Port of pytest's ``testing/test_unraisableexception.py`` (pytest-dev/pytest): an
exception Python can only ignore (raised by a ``__del__``) while a pipeline runs is a
warning of that pipeline (``zenrun.ZenrunUnraisableExceptionWarning``, pytest's
``PytestUnraisableExceptionWarning``), in the warnings summary under its id; an error
filter fails the pipeline.

pytest's test drops the object itself; here a step does (a pipeline's work runs in
steps), or a fixture, as pytest's setup and teardown cases. The summary's last line is
the source line of zenrun's ``warnings.warn`` call, as pytest's is of its own; pytest's
``filterwarnings`` marks on its own tests become the run's ``-W`` option. The PyPy skips
are kept.
"""

from __future__ import annotations

import sys

import pytest

PYPY = hasattr(sys, "pypy_version_info")

STEP = """
import zenrun
from zenrun import pipeline, step

class BrokenDel:
    def __del__(self):
        raise ValueError("del is broken")

@step
def check(ok: bool = True) -> None:
    assert ok

@step
def drop() -> None:
    obj = BrokenDel()
    del obj

@pipeline
def test_it():
    drop()

@pipeline
def test_2():
    check()
"""

FIXTURE = """
import zenrun
from zenrun import pipeline, step

class BrokenDel:
    def __del__(self):
        raise ValueError("del is broken")

@step
def check(ok: bool = True) -> None:
    assert ok

@zenrun.fixture
def broken_del():
    {before}
    obj = BrokenDel()
    del obj

@pipeline
def test_it(broken_del):
    check()

@pipeline
def test_2():
    check()
"""

SUMMARY = [
    "*= warnings summary =*",
    "pipeline_it.py::test_it",
    "  * ZenrunUnraisableExceptionWarning: Exception ignored in: <function BrokenDel.__del__ at *>",
    "  ",
    "  Traceback (most recent call last):",
    "  ValueError: del is broken",
    "  ",
    "    warnings.warn(warning, stacklevel=1)",
]


@pytest.mark.skipif(PYPY, reason="garbage-collection differences make this flaky")
def test_unraisable(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=STEP)
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 2, "warnings": 1}
    result.stdout.fnmatch_lines(SUMMARY)


@pytest.mark.skipif(PYPY, reason="garbage-collection differences make this flaky")
def test_unraisable_in_setup(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=FIXTURE.format(before=""))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 2, "warnings": 1}
    result.stdout.fnmatch_lines(SUMMARY)


@pytest.mark.skipif(PYPY, reason="garbage-collection differences make this flaky")
def test_unraisable_in_teardown(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_it=FIXTURE.format(before="yield"))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 2, "warnings": 1}
    result.stdout.fnmatch_lines(SUMMARY)


def test_unraisable_warning_error(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_it=STEP.replace("    del obj\n", "    del obj\n" + "    import gc; gc.collect()\n" * PYPY)
    )
    result = zenrunner.runzenrun_inprocess(
        "-p", "no:results", "-W", "error::zenrun.ZenrunUnraisableExceptionWarning"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes() == {"passed": 1, "failed": 1}


def test_unraisable_in_teardown_warning_error(zenrunner) -> None:
    """zenrun's: under an error filter, a fixture's teardown that gives one fails its
    pipeline too (the warning's text is the failure)."""
    zenrunner.makepyfile(pipeline_it=FIXTURE.format(before="yield"))
    result = zenrunner.runzenrun_inprocess(
        "-p", "no:results", "-W", "error::zenrun.ZenrunUnraisableExceptionWarning"
    )
    assert result.ret == 1
    assert result.parseoutcomes() == {"passed": 1, "failed": 1}
    result.stdout.fnmatch_lines(["zenrun.ZenrunUnraisableExceptionWarning: Exception ignored in: *"])
