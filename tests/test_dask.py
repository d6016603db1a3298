"""The zenrun_dask plugin: steps run on a real dask.distributed LocalCluster."""

import json

import pytest

pytest.importorskip("distributed")

FAN_OUT = """
    import os
    import numpy as np
    from zenrun import StepConfig, pipeline, step

    class SourceConfig(StepConfig):
        n: int = 3

    @step
    def source(config: SourceConfig) -> np.ndarray:
        return np.arange(config.n)

    @step
    def work(x: np.ndarray, i: int) -> dict:
        return {"pid": os.getpid(), "sum": int(x.sum()) + i}

    @step
    def total(parts: list) -> int:
        return sum(p["sum"] for p in parts)

    @step
    def broken(x: np.ndarray) -> int:
        raise RuntimeError("worker step failed")

    @pipeline
    def fan():
        x = source()
        total([work(x, i) for i in range(4)])

    @pipeline
    def failing():
        broken(source())
"""

REPORT = """
    import json, os
    from zenrun import get_pipeline
    run = get_pipeline("fan").last_run
    print(json.dumps({"status": run.status, "driver": os.getpid(),
                      "pids": [s.output.read()["pid"] for i, s in run.steps.items() if i.startswith("work")],
                      "total": run.steps["total"].output.read(),
                      "statuses": {i: s.status for i, s in run.steps.items()}}))
"""


def test_dask_orchestrator_runs_steps_on_workers_and_records_on_driver(zenrunner):
    zenrunner.makepyfile(pipeline_fan=FAN_OUT)
    result = zenrunner.run("--orchestrator", "dask", "--dask-workers", "2", "pipeline_fan.py::fan")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    report = json.loads(zenrunner.runpython(REPORT).outlines[-1])
    assert report["status"] == "completed"
    assert report["total"] == 3 * 4 + (0 + 1 + 2 + 3)
    assert len(report["pids"]) == 4
    assert all(pid != report["driver"] for pid in report["pids"])

    # The cache written by workers serves a later local run.
    again = zenrunner.run("-v", "pipeline_fan.py::fan")
    again.fnmatch_lines(["*Using cached version of total.*"])


def test_dask_failure_skips_downstream_and_reports_traceback(zenrunner):
    zenrunner.makepyfile(pipeline_fan=FAN_OUT)
    result = zenrunner.run("--orchestrator", "dask", "--dask-workers", "1", "pipeline_fan.py::failing")
    assert result.ret == 1
    result.fnmatch_lines(["*step 'broken' failed:*", "*pipeline_fan.py*in broken*",
                          "*RuntimeError: worker step failed*"])
