"""Port of pytest's ``testing/test_stepwise.py`` (pytest-dev/pytest), the whole file.

``--sw`` / ``--sw-skip`` / ``--sw-reset``: a test function becomes a
``@pipeline`` whose assertion runs in the ``check`` step; the stepwise state
lives in the store (``.zenrun/v/cache/stepwise``) as pytest keeps it in
``.pytest_cache/v/cache/stepwise``. Names mapped: "tests" -> "pipelines".

Deliberate difference kept in the expected lines: the short summary names the
failing step (``FAILED id - step 'check': AssertionError: assert False`` where
pytest prints ``FAILED id - assert False``), so patterns on the message match
its end.
"""

from __future__ import annotations

import json

import pytest

PRE = """
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "assert False") -> None:
    assert ok, message
"""


@pytest.fixture
def stepwise_zenrunner(zenrunner):
    # Rather than having to modify our pipeline file between runs, a flag says whether
    # the second pipeline should fail.
    zenrunner.makeconftest(
        """
def zenrun_addoption(parser):
    group = parser.getgroup('general')
    group.addoption('--fail', action='store_true', dest='fail')
    group.addoption('--fail-last', action='store_true', dest='fail_last')
"""
    )
    zenrunner.makepyfile(
        pipeline_a=PRE
        + """
@pipeline
def test_success_before_fail():
    check(True)

@pipeline
def test_fail_on_flag(request):
    check(not request.config.getoption('fail'))

@pipeline
def test_success_after_fail():
    check(True)

@pipeline
def test_fail_last_on_flag(request):
    check(not request.config.getoption('fail_last'))

@pipeline
def test_success_after_last_fail():
    check(True)
"""
    )
    zenrunner.makepyfile(
        pipeline_b=PRE
        + """
@pipeline
def test_success():
    check(True)
"""
    )
    # pytest sets cache_dir = .cache: the store's location as a config key
    zenrunner.maketoml('store = ".cache"\n')
    return zenrunner


@pytest.fixture
def error_zenrunner(zenrunner):
    zenrunner.makepyfile(
        pipeline_a=PRE
        + """
@pipeline
def test_error(nonexisting_fixture):
    check(True)

@pipeline
def test_success_after_fail():
    check(True)
"""
    )
    return zenrunner


@pytest.fixture
def broken_zenrunner(zenrunner):
    zenrunner.makepyfile(
        pipeline_working=PRE + "\n@pipeline\ndef test_proper():\n    check(True)\n",
        pipeline_broken="foobar",
    )
    return zenrunner


def _strip_resource_warnings(lines):
    return [x for x in lines if not x.startswith(("Exception ignored in:", "ResourceWarning"))]


def test_run_without_stepwise(stepwise_zenrunner) -> None:
    result = stepwise_zenrunner.runzenrun_inprocess("-v", "--strict-markers", "--fail")
    result.stdout.fnmatch_lines(["*test_success_before_fail PASSED*"])
    result.stdout.fnmatch_lines(["*test_fail_on_flag FAILED*"])
    result.stdout.fnmatch_lines(["*test_success_after_fail PASSED*"])


def test_stepwise_output_summary(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.parametrize("expected", [True, True, True, True, False])
@pipeline
def test_data(expected):
    check(expected)
"""
    )
    result = zenrunner.runzenrun_inprocess("-v", "--stepwise")
    result.stdout.fnmatch_lines(["stepwise: no previously failed pipelines, not skipping."])
    result = zenrunner.runzenrun_inprocess("-v", "--stepwise")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 4 already passed items (cache from * ago, use --sw-reset to discard).",
            "*1 failed, 4 deselected*",
        ]
    )


def test_fail_and_continue_with_stepwise(stepwise_zenrunner) -> None:
    # Run with a failing second pipeline.
    result = stepwise_zenrunner.runzenrun_inprocess("-v", "--strict-markers", "--stepwise", "--fail")
    assert _strip_resource_warnings(result.stderr.lines) == []
    stdout = result.stdout.str()
    # Make sure we stop after the first failing pipeline.
    assert "test_success_before_fail PASSED" in stdout
    assert "test_fail_on_flag FAILED" in stdout
    assert "test_success_after_fail" not in stdout

    # "Fix" the pipeline that failed in the last run and run it again.
    result = stepwise_zenrunner.runzenrun_inprocess("-v", "--strict-markers", "--stepwise")
    assert _strip_resource_warnings(result.stderr.lines) == []
    stdout = result.stdout.str()
    # Make sure the latest failing pipeline runs and then continues.
    assert "test_success_before_fail" not in stdout
    assert "test_fail_on_flag PASSED" in stdout
    assert "test_success_after_fail PASSED" in stdout


@pytest.mark.parametrize("stepwise_skip", ["--stepwise-skip", "--sw-skip"])
def test_run_with_skip_option(stepwise_zenrunner, stepwise_skip: str) -> None:
    result = stepwise_zenrunner.runzenrun_inprocess(
        "-v", "--strict-markers", "--stepwise", stepwise_skip, "--fail", "--fail-last"
    )
    assert _strip_resource_warnings(result.stderr.lines) == []
    stdout = result.stdout.str()
    # Make sure the first fail is ignored and the second fail stops the run.
    assert "test_fail_on_flag FAILED" in stdout
    assert "test_success_after_fail PASSED" in stdout
    assert "test_fail_last_on_flag FAILED" in stdout
    assert "test_success_after_last_fail" not in stdout


def test_fail_on_errors(error_zenrunner) -> None:
    result = error_zenrunner.runzenrun_inprocess("-v", "--strict-markers", "--stepwise")
    assert _strip_resource_warnings(result.stderr.lines) == []
    stdout = result.stdout.str()
    assert "test_error ERROR" in stdout
    assert "test_success_after_fail" not in stdout


def test_change_testfile(stepwise_zenrunner) -> None:
    result = stepwise_zenrunner.runzenrun_inprocess(
        "-v", "--strict-markers", "--stepwise", "--fail", "pipeline_a.py"
    )
    assert _strip_resource_warnings(result.stderr.lines) == []
    assert "test_fail_on_flag FAILED" in result.stdout.str()

    # The second run starts from the beginning: the pipeline to continue from is not
    # in pipeline_b.
    result = stepwise_zenrunner.runzenrun_inprocess("-v", "--strict-markers", "--stepwise", "pipeline_b.py")
    assert _strip_resource_warnings(result.stderr.lines) == []
    assert "test_success PASSED" in result.stdout.str()


@pytest.mark.parametrize("broken_first", [True, False])
def test_stop_on_collection_errors(broken_zenrunner, broken_first: bool) -> None:
    """Stop during collection errors, the broken file given first or last."""
    files = ["pipeline_working.py", "pipeline_broken.py"]
    if broken_first:
        files.reverse()
    result = broken_zenrunner.runzenrun_inprocess("-v", "--strict-markers", "--stepwise", *files)
    result.stdout.fnmatch_lines("*error during collection*")


def test_xfail_handling(zenrunner) -> None:
    """Normal xfail is ignored, strict xfail interrupts the session in sw mode (#5547)."""
    contents = (
        PRE
        + """
@pipeline
def test_a():
    check(True)

@zenrun.mark.xfail(strict={strict})
@pipeline
def test_b():
    check({assert_value})

@pipeline
def test_c():
    check(True)

@pipeline
def test_d():
    check(True)
"""
    )
    zenrunner.makepyfile(contents.format(assert_value="0", strict="False"))
    result = zenrunner.runzenrun_inprocess("--sw", "-v")
    result.stdout.fnmatch_lines(
        [
            "*::test_a PASSED *",
            "*::test_b XFAIL *",
            "*::test_c PASSED *",
            "*::test_d PASSED *",
            "* 3 passed, 1 xfailed in *",
        ]
    )

    zenrunner.makepyfile(contents.format(assert_value="1", strict="True"))
    result = zenrunner.runzenrun_inprocess("--sw", "-v")
    result.stdout.fnmatch_lines(
        [
            "*::test_a PASSED *",
            "*::test_b FAILED *",
            "* Interrupted*",
            "* 1 failed, 1 passed in *",
        ]
    )

    zenrunner.makepyfile(contents.format(assert_value="0", strict="True"))
    result = zenrunner.runzenrun_inprocess("--sw", "-v")
    result.stdout.fnmatch_lines(
        [
            "*::test_b XFAIL *",
            "*::test_c PASSED *",
            "*::test_d PASSED *",
            "* 2 passed, 1 deselected, 1 xfailed in *",
        ]
    )


def test_stepwise_skip_is_independent(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@pipeline
def test_one():
    check(False)

@pipeline
def test_two():
    check(False)

@pipeline
def test_three():
    check(False)
"""
    )
    result = zenrunner.runzenrun_inprocess("--tb", "no", "--stepwise-skip")
    result.assert_outcomes(failed=2)
    name = zenrunner.default_name
    result.stdout.fnmatch_lines(
        [
            f"FAILED {name}.py::test_one - *assert False",
            f"FAILED {name}.py::test_two - *assert False",
            "*Interrupted: Pipeline failed, continuing from this pipeline next run.*",
        ]
    )


def test_sw_skip_help(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-h")
    result.stdout.fnmatch_lines("*Implicitly enables --stepwise.")


def test_stepwise_exit_code_is_interrupted(zenrunner) -> None:
    """What ``test_stepwise_xdist_dont_store_lastfailed`` checks besides xdist: a stepwise
    stop interrupts the session (exit 2)."""
    zenrunner.makepyfile(pipeline_one=PRE + "\n@pipeline\ndef test_one():\n    check(False)\n")
    result = zenrunner.runzenrun_inprocess("--stepwise")
    assert result.ret == 2


def test_disabled_stepwise_dont_clear_cache(zenrunner) -> None:
    """``test_disabled_stepwise_xdist_dont_clear_cache`` without the xdist worker: a run
    without --stepwise leaves the stepwise state as it was."""
    stepwise_file = zenrunner.store / "v" / "cache" / "stepwise"
    stepwise_file.parent.mkdir(parents=True)
    expected_value = '"pipeline_one.py::test_one"'
    stepwise_file.write_text(expected_value)
    zenrunner.makepyfile(pipeline_one=PRE + "\n@pipeline\ndef test_one():\n    check(True)\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    assert stepwise_file.read_text().splitlines() == [expected_value]


def test_do_not_reset_cache_if_disabled(zenrunner) -> None:
    """Without --stepwise the stepwise state is kept: run with --stepwise, iterate on the
    failing pipeline alone, run with --stepwise again and continue from it."""
    zenrunner.makepyfile(
        PRE
        + """
@pipeline
def test_1():
    check(True)

@pipeline
def test_2():
    check(False)

@pipeline
def test_3():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("--stepwise")
    result.stdout.fnmatch_lines(
        [
            "*::test_2 - *assert False*",
            "*failed, continuing from this pipeline next run*",
            "=* 1 failed, 1 passed in *",
        ]
    )
    # Run a specific pipeline without passing `--stepwise`.
    result = zenrunner.runzenrun_inprocess("-k", "test_1")
    result.stdout.fnmatch_lines(["*1 passed*"])
    # Running with `--stepwise` continues from the last failing pipeline.
    result = zenrunner.runzenrun_inprocess("--stepwise")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 1 already passed items (cache from *, use --sw-reset to discard).",
            "*::test_2 - *assert False*",
            "*failed, continuing from this pipeline next run*",
            "=* 1 failed, 1 deselected in *",
        ]
    )


THREE = (
    PRE
    + """
@pipeline
def test_1():
    check(True)

@pipeline
def test_2():
    check(False)

@pipeline
def test_3():
    check(True)
"""
)


def test_reset(zenrunner) -> None:
    zenrunner.makepyfile(THREE)
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: no previously failed pipelines, not skipping.",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 1 already passed items (cache from *, use --sw-reset to discard).",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 deselected in *",
        ]
    )
    # --stepwise-reset restarts the stepwise workflow.
    result = zenrunner.runzenrun_inprocess("-v", "--stepwise-reset")
    result.stdout.fnmatch_lines(
        [
            "stepwise: resetting state, not skipping.",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )


def test_change_test_count(zenrunner) -> None:
    zenrunner.makepyfile(THREE)
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: no previously failed pipelines, not skipping.",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )
    # Change the number of pipelines, which invalidates the stepwise state.
    zenrunner.makepyfile(THREE + "\n@pipeline\ndef test_4():\n    check(True)\n")
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: pipeline count changed, not skipping (now 4 pipelines, previously 3).",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )
    # Fix the failing pipeline and run again.
    zenrunner.makepyfile(
        THREE.replace("check(False)", "check(True)") + "\n@pipeline\ndef test_4():\n    check(True)\n"
    )
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 1 already passed items (cache from *, use --sw-reset to discard).",
            "*::test_2 *PASSED*",
            "*::test_3 *PASSED*",
            "*::test_4 *PASSED*",
            "* 3 passed, 1 deselected in *",
        ]
    )


def test_cache_error(zenrunner) -> None:
    zenrunner.makepyfile(PRE + "\n@pipeline\ndef test_1():\n    check(True)\n")
    # Run stepwise normally to make the state.
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        ["stepwise: no previously failed pipelines, not skipping.", "*::test_1 *PASSED*", "* 1 passed in *"]
    )
    # Corrupt it.
    cache_file = zenrunner.store / "v" / "cache" / "stepwise"
    assert cache_file.is_file()
    cache_file.write_text(json.dumps({"invalid": True}), encoding="UTF-8")
    # Run as if there were none, but say so.
    result = zenrunner.runzenrun_inprocess("--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: error reading cache, discarding (KeyError: *",
            "stepwise: no previously failed pipelines, not skipping.",
            "*::test_1 *PASSED*",
            "* 1 passed in *",
        ]
    )
