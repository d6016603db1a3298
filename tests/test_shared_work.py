"""Shared work once: items whose steps have the same cache key compute it once under -n and Dask."""

from __future__ import annotations

import pytest

from zenrun.testing import read_store

GRID = """
import os, time
import zenrun
from zenrun import pipeline, step

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loads.log")

@step
def load(n: int) -> list:
    with open(LOG, "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(0.5)
    zenrun.log_metadata(rows=n)
    return list(range(n))

@step
def train(data: list, k: int) -> int:
    return sum(data) * k

@zenrun.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
@pipeline
def grid(k):
    train(load(10), k)
"""


@pytest.mark.parametrize("where", ["workers", "dask"])
def test_a_step_every_item_shares_runs_once(zenrunner, monkeypatch, where, request):
    zenrunner.makepyfile(pipeline_grid=GRID)
    if where == "workers":
        args = ["-n", "2"]
    else:
        args = [
            "--orchestrator",
            "dask",
            "--dask-address",
            request.getfixturevalue("cluster").scheduler_address,
        ]
    result = zenrunner.run(*args)
    assert result.ret == 0, result.stdout + result.stderr
    result.assert_outcomes(passed=6)
    assert len((zenrunner.path / "loads.log").read_text().split()) == 1
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    runs = read_store(zenrunner.store).get_runs()
    assert sorted(r.steps["load"].status for r in runs) == ["cached"] * 5 + ["completed"]
    assert {r.steps["load"].metadata.get("rows") for r in runs} == {10}
    assert sorted(r.steps["train"].output.read() for r in runs) == [45 * k for k in range(1, 7)]


def test_a_failed_shared_step_is_run_by_each_item_that_waited(zenrunner):
    zenrunner.makepyfile(
        pipeline_flaky="""
        import os
        import zenrun
        from zenrun import pipeline, step

        MARK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "failed-once")

        @step
        def load() -> int:
            if not os.path.exists(MARK):
                open(MARK, "w").close()
                raise RuntimeError("first attempt fails")
            return 7

        @zenrun.mark.parametrize("k", [1, 2, 3])
        @pipeline
        def flaky(k):
            load()
        """
    )
    result = zenrunner.run("-n", "2")
    assert result.ret == 1
    result.assert_outcomes(passed=2, failed=1)
