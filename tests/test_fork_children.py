"""A child a step forks never reports, records or runs anything of zenrun's: it ends where the step does."""

from __future__ import annotations

import pytest

from zenrun.testing import read_store

FORKING = """
import os, sys, time
from zenrun import step, pipeline

@step
def forks() -> int:
    pid = os.fork()
    if pid == 0:
        {child}
    os.waitpid(pid, 0)
    return 21

@step
def after(x: int) -> int:
    return x * 2

@pipeline
def forking():
    after(forks())
"""

CHILDREN = {
    "exits": "sys.exit(0)",
    "returns": "return 99",
    "raises": "raise RuntimeError('child failed')",
}


@pytest.mark.parametrize("orchestrator_args", [[], ["-n", "2"]], ids=["local", "workers"])
@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_a_forked_child_ends_with_the_step(zenrunner, child, orchestrator_args, monkeypatch):
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where output.read() looks
    zenrunner.makepyfile(pipeline_fork=FORKING.replace("{child}", CHILDREN[child]))
    result = zenrunner.run(*orchestrator_args, "-v", timeout=120)
    assert result.ret == 0, result.stdout.str()
    assert result.stdout.str().count("zenrun session starts") == 1
    assert result.stdout.str().count("1 passed") == 1
    runs = read_store(zenrunner.store).get_runs()
    assert [r.status for r in runs] == ["completed"]
    run = runs[0]
    assert {name: s.status for name, s in run.steps.items()} == {"forks": "completed", "after": "completed"}
    assert run.steps["after"].output.read() == 42
