"""The ``zenrunner`` fixture itself: pytester's habits and the in-process mode."""

import logging
import os
import sys

import pytest

PIPELINE = """
from zenrun import step, pipeline

@step
def one() -> int:
    return {value}

@step
def check(x: int) -> None:
    assert x == 1, f"got {{x}}"

@pipeline
def demo():
    check(one())
"""


@pytest.mark.parametrize("inprocess", [False, True], ids=["subprocess", "inprocess"])
def test_same_result_in_both_modes(zenrunner, inprocess):
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=2))
    result = zenrunner.run("-v", inprocess=inprocess)
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    assert result.parseoutcomes() == {"failed": 1}
    result.stdout.fnmatch_lines(["*Step one has started.*", "*FAILURES*", "*got 2*"])
    result.fnmatch_lines(["*1 failed in*"])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert "pipeline_demo.py::demo FAILED" in result.stdout
    assert isinstance(result.stdout.str(), str) and result.stdout.lines == result.outlines


def test_inprocess_imports_project_modules_afresh(zenrunner, tmp_path_factory):
    before_path, before_cwd = list(sys.path), os.getcwd()
    before_handlers = list(logging.getLogger("zenrun").handlers)
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=1))
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
    assert "pipeline_demo" not in sys.modules
    # Same module name, other content: the new source runs, not a cached module.
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=3))
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*got 3*"])
    other = tmp_path_factory.mktemp("other")
    (other / "zenrun.toml").write_text("")
    (other / "pipeline_demo.py").write_text(PIPELINE.format(value=1))
    from zenrun.testing import ZenrunProject

    ZenrunProject(other).runzenrun_inprocess().assert_outcomes(passed=1)
    assert sys.path == before_path and os.getcwd() == before_cwd
    assert logging.getLogger("zenrun").handlers == before_handlers
    assert "pipeline_demo" not in sys.modules


def test_inprocess_options_env_and_exit_codes(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=1))
    assert zenrunner.runzenrun_inprocess("--collect-only").ret == 0
    assert zenrunner.runzenrun_inprocess("-k", "nothing").ret == 5
    assert zenrunner.runzenrun_inprocess("--no-such-option").ret == 4
    store = zenrunner.path / "elsewhere"
    result = zenrunner.runzenrun_inprocess(env={"ZENRUN_STORE": str(store)})
    assert result.ret == 0 and (store / "metadata.db").exists()
    assert "ZENRUN_STORE" not in os.environ


def test_copy_example(zenrunner, tmp_path_factory):
    examples = tmp_path_factory.mktemp("examples")
    (examples / "pipeline_copied.py").write_text(PIPELINE.format(value=1))
    (examples / "tree").mkdir()
    (examples / "tree" / "pipeline_tree.py").write_text(PIPELINE.format(value=1))
    copied = zenrunner.copy_example(examples / "pipeline_copied.py")
    assert copied == zenrunner.path / "pipeline_copied.py"
    zenrunner.copy_example(examples / "tree")
    assert (zenrunner.path / "pipeline_tree.py").exists()
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)
    with pytest.raises(LookupError, match="not found"):
        zenrunner.copy_example("no_such_example.py")
