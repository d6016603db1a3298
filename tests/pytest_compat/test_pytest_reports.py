"""Port of pytest's ``testing/test_reports.py`` (pytest-dev/pytest): the parts a user sees.

The outcome each item's report carries (in this process and from worker
processes, ``-n 2``: pytest's cases check that a report survives
serialization between xdist workers), a collection error's report, chained
exceptions in a failure and in a collection error, a conftest's import error,
and skips raised by several fixtures' teardowns. Reports are read through
``zenrun_item_report`` (``REPORTS``: a conftest that writes each report's
nodeid and outcome to a JSON file), as pytest's ``getreports``.

Not ported: ``_to_json`` / ``_from_json`` and the
``pytest_report_to_serializable`` / ``_from_serializable`` hooks (pytest's
report objects; zenrun's worker protocol is not a plugin API),
``test_chained_exceptions_no_reprcrash`` (builds ``ExceptionChainRepr``
objects), ``test_exception_group_skips_use_item_location`` (the private
``_use_item_location`` attribute). ``test_report_timestamps_match_duration``
sleeps for real (pytest mocks its ``timing``).
"""

from __future__ import annotations

import json
import time

import pytest
from porting import module_name, pipelines

REPORTS = """
import json
from pathlib import Path

def zenrun_item_report(report):
    with open(Path(__file__).parent / "reports.json", "a") as file:
        file.write(json.dumps([report.nodeid.split("::")[-1], report.outcome]) + "\\n")
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_itemreport_outcomes(zenrunner, args) -> None:
    zenrunner.makeconftest(REPORTS)
    zenrunner.makepyfile(
        """
import zenrun
from zenrun import pipeline, step

@step
def ok():
    pass

@step
def zero():
    0/0

@pipeline
def test_pass():
    ok()

@pipeline
def test_fail():
    zero()

@zenrun.mark.skipif("True")
@pipeline
def test_skip():
    ok()

@pipeline
def test_skip_imperative():
    zenrun.skip("hello")
    ok()

@zenrun.mark.xfail("True")
@pipeline
def test_xfail():
    zero()

@pipeline
def test_xfail_imperative():
    zenrun.xfail("hello")
    ok()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", *args)
    result.assert_outcomes(passed=1, failed=1, skipped=2, xfailed=2)
    reports = dict(json.loads(line) for line in (zenrunner.path / "reports.json").read_text().splitlines())
    assert reports == {
        "test_pass": "passed",
        "test_fail": "failed",
        "test_skip": "skipped",
        "test_skip_imperative": "skipped",
        "test_xfail": "xfailed",
        "test_xfail_imperative": "xfailed",
    }


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_report_timestamps_match_duration(zenrunner, args) -> None:
    """A report's ``start`` and ``stop`` are epoch times around the item, its fixture's
    setup and teardown included, and ``stop - start`` is its ``duration``."""
    zenrunner.makeconftest(
        """
import json
import time
from pathlib import Path

import zenrun

@zenrun.fixture
def fixture_():
    time.sleep(0.1)
    yield
    time.sleep(0.1)

def zenrun_item_report(report):
    with open(Path(__file__).parent / "reports.json", "a") as file:
        file.write(json.dumps([report.start, report.stop, report.duration]) + "\\n")
"""
    )
    zenrunner.makepyfile(
        """
import time
from zenrun import pipeline, step

@step
def slow():
    time.sleep(0.1)

@pipeline
def test_1(fixture_):
    slow()
"""
    )
    before = time.time()
    result = zenrunner.runzenrun_inprocess("-p", "no:results", *args)
    after = time.time()
    result.assert_outcomes(passed=1)
    [[start, stop, duration]] = [
        json.loads(line) for line in (zenrunner.path / "reports.json").read_text().splitlines()
    ]
    assert before <= start < stop <= after
    assert duration >= 0.3
    assert stop - start == pytest.approx(duration, abs=0.05)


def test_collectreport_passed(zenrunner) -> None:
    zenrunner.makepyfile(pipelines("def test_func(): pass"))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*ERROR*")


def test_collectreport_fail(zenrunner) -> None:
    zenrunner.makepyfile("qwe abc")
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*ERROR collecting {module_name(zenrunner)}.py*", "*qwe abc*"])
    assert result.ret == 2
    # pytest's own case, through the hook: the failed collect report
    reprec = zenrunner.inline_runsource("qwe abc")
    assert reprec.ret == 2
    [report] = reprec.getfailedcollections()
    assert report.failed and report.when == "collect" and "qwe abc" in report.longrepr
    assert reprec.getreports() == [report]


@pytest.mark.parametrize("report_class", ["TestReport", "CollectReport"])
def test_chained_exceptions(zenrunner, report_class: str) -> None:
    """Both exceptions of a chain are reported, with Python's line between them (#5786)."""
    zenrunner.makepyfile(
        pipeline_chained=f"""
from zenrun import pipeline, step

def foo():
    raise ValueError('value error')

@step
def a():
    try:
        foo()
    except ValueError as e:
        raise RuntimeError('runtime error') from e

@pipeline
def test_a():
    a()

if {report_class == "CollectReport"}:
    a.entrypoint()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    if report_class == "TestReport":
        result.assert_outcomes(failed=1)
    else:
        result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   *ValueError: value error",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "E   *RuntimeError: runtime error",
        ]
    )
    result.stdout.fnmatch_lines(["* - *RuntimeError: ru*"])  # the summary names the last


def test_report_prevent_ConftestImportFailure_hiding_exception(zenrunner) -> None:
    sub_dir = zenrunner.path / "ns"
    sub_dir.mkdir()
    sub_dir.joinpath("conftest.py").write_text("import unknown", encoding="utf-8")
    result = zenrunner.run(".")
    result.stdout.fnmatch_lines(["E   *Error: No module named 'unknown'"])
    result.stdout.no_fnmatch_line("ERROR  - *ConftestImportFailure*")


@pytest.mark.parametrize(
    "first_skip_reason, second_skip_reason, skip_reason_output",
    [("A", "B", "(A; B)"), ("A", "A", "(A)")],
)
def test_exception_group_with_only_skips(
    zenrunner, first_skip_reason: str, second_skip_reason: str, skip_reason_output: str
) -> None:
    """Skips raised by several fixtures' teardowns are one skip, not an error (#13537)."""
    zenrunner.makepyfile(
        pipeline_it=pipelines(
            f"""
import pytest
@pytest.fixture
def fixA():
    yield
    pytest.skip(reason="{first_skip_reason}")
@pytest.fixture
def fixB():
    yield
    pytest.skip(reason="{second_skip_reason}")
def test_skip(fixA, fixB):
    assert True
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "-v")
    result.assert_outcomes(passed=1, skipped=1)
    out = result.stdout.str()
    assert skip_reason_output in out
    assert "ERROR at teardown" not in out
