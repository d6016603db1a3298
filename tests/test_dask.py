"""The zenrun_dask plugin: steps run on a real dask.distributed LocalCluster."""

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]


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

    @pipeline
    def fan_again():
        x = source(config=SourceConfig(n=5))
        total([work(x, i) for i in range(4)])

    @step
    def pooled() -> int:
        import multiprocessing

        # a step's own processes (a Pool, scikit-learn's n_jobs): workers are not daemonic
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            return sum(pool.map(abs, [-1, -2, -3]))

    @pipeline
    def with_a_pool():
        pooled()
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
    result = zenrunner.run(
        "--orchestrator",
        "dask",
        "-n",
        "2",
        "pipeline_fan.py::fan",
        "pipeline_fan.py::fan_again",
        "pipeline_fan.py::with_a_pool",
    )
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    report = json.loads(zenrunner.runpython(REPORT).outlines[-1])
    assert report["status"] == "completed"
    assert report["total"] == 3 * 4 + (0 + 1 + 2 + 3)
    assert len(report["pids"]) == 4
    assert all(pid != report["driver"] for pid in report["pids"])
    again = json.loads(zenrunner.runpython(REPORT.replace('"fan"', '"fan_again"')).outlines[-1])
    # Both items ran on the session's one cluster of two workers, not a cluster each.
    assert len(set(report["pids"]) | set(again["pids"])) <= 2

    # The cache written by workers serves a later local run.
    again = zenrunner.run("-v", "pipeline_fan.py::fan")
    again.fnmatch_lines(["*Using cached version of total.*"])


def test_dask_failure_skips_downstream_and_reports_traceback(zenrunner, cluster):
    zenrunner.makepyfile(pipeline_fan=FAN_OUT)
    result = zenrunner.run(
        "--orchestrator", "dask", "--dask-address", cluster.scheduler_address, "pipeline_fan.py::failing"
    )
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "*step 'broken' failed:*",
            "    def broken(x: np.ndarray) -> int:",
            '>       raise RuntimeError("worker step failed")',
            "E       RuntimeError: worker step failed",
            "",
            "pipeline_fan.py:*: RuntimeError",
        ]
    )


LOGGING = """
    import logging
    from zenrun import pipeline, step

    @step
    def talks() -> int:
        logging.getLogger("mine").warning("said on a worker")
        return 1

    @pipeline
    def talking():
        talks()
"""


def test_a_step_logging_on_a_worker_names_its_file_as_locally(zenrunner, cluster):
    # Dask ships the module by value: its code's file is cloudpickle's "<dynamic-code>",
    # which the captured log named (mine:<dynamic-code>:6), where a local run says the file.
    zenrunner.makepyfile(pipeline_talking=LOGGING)
    fmt = "--log-format=%(levelname)s %(name)s:%(filename)s:%(lineno)d [%(module)s %(pathname)s] %(message)s"
    result = zenrunner.run("--orchestrator", "dask", "--dask-address", cluster.scheduler_address, "-rA", fmt)
    result.assert_outcomes(passed=1)
    path = zenrunner.path / "pipeline_talking.py"
    line = f"WARNING mine:pipeline_talking.py:6 [pipeline_talking {path}] said on a worker"
    assert line in result.stdout, result.stdout
    assert "dynamic-code" not in result.stdout


KILLED = """
    import os
    from pathlib import Path
    from zenrun import pipeline, step

    MARKER = Path(%r)

    @step
    def dies_once() -> int:
        if not MARKER.exists():
            MARKER.write_text(str(os.getpid()))
            os._exit(1)  # the worker process dies mid-step
        return os.getpid()

    @pipeline
    def survives():
        dies_once()
"""


def test_a_worker_killed_mid_step_is_retried_on_another_worker(zenrunner, cluster):
    marker = zenrunner.path / "died"
    zenrunner.makepyfile(pipeline_killed=KILLED % str(marker))
    result = zenrunner.run("--orchestrator", "dask", "--dask-address", cluster.scheduler_address)
    result.assert_outcomes(passed=1)
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("survives").last_run.steps["dies_once"].output.read())
    """
    assert int(zenrunner.runpython(script).outlines[-1]) != int(marker.read_text())


def test_a_remote_scheduler_needs_a_shared_artifact_store(zenrunner):
    zenrunner.makepyfile(pipeline_fan=FAN_OUT)
    result = zenrunner.run("--orchestrator", "dask", "--dask-address", "tcp://10.255.255.1:8786")
    assert result.ret == 4
    assert "is a local path, which the workers of a remote scheduler cannot share" in result.stderr
    assert "--artifact-store" in result.stderr


SMALL_GRID = """
    import zenrun

    @zenrun.fixture
    def rf_grid():
        return [{"n_estimators": 3, "max_depth": 2}, {"n_estimators": 5, "max_depth": 3}]
"""

OUTPUTS = """
    import json
    from zenrun import get_pipeline
    print(json.dumps({name: [[r.item_id, r.orchestrator, {i: [s.status, sorted((o, ref.digest) for o, ref in s.outputs.items())]
                                               for i, s in r.steps.items()}] for r in get_pipeline(name).runs]
                      for name in ("hpo",)}))
"""


def test_example_pipelines_give_identical_results_local_parallel_and_dask(zenrunner, cluster):
    pytest.importorskip("sklearn")
    shutil.copy(REPO / "conftest.py", zenrunner.path / "conftest.py")
    shutil.copytree(
        REPO / "pipelines", zenrunner.path / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    zenrunner.makeconftest(SMALL_GRID, directory="pipelines")
    select = ("pipelines/", "-k", "iris")  # the grid example; one item keeps it fast
    zenrunner.run(*select).assert_outcomes(passed=1, deselected=2)
    zenrunner.run(*select, "-n", "2", "--no-cache").assert_outcomes(passed=1, deselected=2)
    zenrunner.run(
        *select, "--orchestrator", "dask", "--dask-address", cluster.scheduler_address, "--no-cache"
    ).assert_outcomes(passed=1, deselected=2)
    runs = json.loads(zenrunner.runpython(OUTPUTS).outlines[-1])
    for name, recorded in runs.items():
        by_item: dict = {}
        for item, orchestrator, steps in recorded:
            by_item.setdefault(item, []).append((orchestrator, steps))
        for results in by_item.values():
            assert [o for o, _ in results] == ["local", "parallel", "dask"], name
            assert results[0][1] == results[1][1] == results[2][1], name


ENDLESS_ON_DASK = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def endless() -> int:
        Path(f"endless-{os.getpid()}.pid").touch()  # the test waits for the step to run
        while True:
            time.sleep(0.05)

    @pipeline
    def forever():
        endless()
"""


def test_ctrl_c_to_the_process_group_reaches_the_driver_not_the_dask_workers(zenrunner):
    # A terminal's Ctrl-C goes to the whole process group, the LocalCluster's workers too:
    # they ignore it, so the driver cancels cleanly and no worker prints a traceback.
    import os
    import signal
    import subprocess
    import sys
    import time

    zenrunner.makepyfile(pipeline_forever=ENDLESS_ON_DASK)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "--orchestrator", "dask", "-n", "2"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not list(zenrunner.path.glob("endless-*.pid")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=240)  # only a hang exceeds it, however loaded
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 2, out + err
    assert "step 'endless' failed:\ninterrupted" in out
    assert "Traceback" not in err, err
    # Closing the cluster adds no noise after zenrun's closing line.
    assert "ended with CancelledError" not in err and "still alive after" not in err, err
    assert out.rstrip().splitlines()[-1].startswith("="), out


MANY = """
    from zenrun import pipeline, step

    @step
    def tiny(i: int) -> int:
        return i * i

    @step
    def total(values: list) -> int:
        return sum(values)

    @pipeline
    def many():
        total([tiny(i) for i in range(300)])
"""

CHECK_MANY = """
    import json, os
    from zenrun import get_pipeline
    from zenrun.testing import read_store
    run = get_pipeline("many").last_run
    outputs = [s.output for s in run.steps.values()]
    print(json.dumps({"status": run.status, "total": run.steps["total"].output.read(),
                      "squares": sorted(s.output.read() for i, s in run.steps.items() if i != "total"),
                      "files": all(os.path.exists(o.uri) for o in outputs)}))
"""


def test_many_short_steps_on_dask_record_every_output_in_place(zenrunner, cluster):
    # Short steps are queued ahead on the workers and their outputs made durable by batch:
    # every step recorded still points at an artifact in the store, with its value.
    zenrunner.makepyfile(pipeline_many=MANY)
    result = zenrunner.run("--orchestrator", "dask", "--dask-address", cluster.scheduler_address)
    assert result.ret == 0, result.stdout + result.stderr
    report = json.loads(zenrunner.runpython(CHECK_MANY).outlines[-1])
    assert report == {
        "status": "completed",
        "total": sum(i * i for i in range(300)),
        "squares": [i * i for i in range(300)],
        "files": True,
    }


LARGE = """
    import numpy as np
    from zenrun import pipeline, step

    @step
    def large() -> np.ndarray:
        return np.arange(100_000, dtype=np.float64)

    @step
    def total(data: np.ndarray) -> float:
        return float(data.sum())

    @pipeline
    def grows():
        total(large())
"""


def test_a_store_made_again_under_a_long_lived_cluster_keeps_what_its_workers_write(zenrunner):
    """The workers of a cluster outlive sessions and keep the store's inline pack open: a
    store deleted and made again at the same path (``rm -rf .zenrun``) got its small outputs
    written to the deleted pack, confirmed, recorded, and lost (``--store-check``: every
    artifact missing; each cache hit a warned miss), and a large one failed its step with
    ``FileNotFoundError`` (the folders its store object had made were gone)."""
    from distributed import LocalCluster

    zenrunner.makepyfile(pipeline_many=MANY, pipeline_large=LARGE)
    # One worker: it ran the first session's steps, and runs the second's.
    local = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        address = ("--orchestrator", "dask", "--dask-address", local.scheduler_address)
        assert zenrunner.run(*address).ret == 0
        shutil.rmtree(zenrunner.store)
        result = zenrunner.run(*address)
        assert result.ret == 0, result.stdout + result.stderr
        check = zenrunner.run("--store-check")
        assert check.ret == 0, check.stdout.str()
        check.stdout.fnmatch_lines(["*0 recorded but missing*"])
        again = zenrunner.run("-v", *address)
        assert again.ret == 0 and "missing or corrupt" not in again.stdout.str(), again.stdout.str()
    finally:
        local.close()


TOO_LARGE = """
    from zenrun import pipeline, step

    @step
    def tiny(i: int) -> int:
        return i + 1

    @step
    def large() -> bytes:
        return b"x" * 600_000

    @step
    def size(data: bytes) -> int:
        return len(data)

    @pipeline
    def grows():
        for i in range(60):
            tiny(i)
        size(large())
"""


def test_an_output_a_worker_cannot_write_fails_its_step_and_the_next_run_stores_it(zenrunner):
    from distributed import Client, LocalCluster

    def limit_file_size(limit: int | None) -> None:
        """In a worker's event loop (its main thread): files may not grow past ``limit``. A local
        function: pickled by value, whatever the worker can import."""
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not the process
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit if limit is not None else hard, hard))

    zenrunner.makepyfile(pipeline_grows=TOO_LARGE)
    local = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        with Client(local) as client:
            client.run(limit_file_size, 500_000)
            args = ("--orchestrator", "dask", "--dask-address", local.scheduler_address)
            result = zenrunner.run(*args)
            assert result.ret == 1, result.stdout + result.stderr
            result.fnmatch_lines(["*step 'large' failed*", "*File too large*"])
            client.run(limit_file_size, None)
            again = zenrunner.run(*args, "-v")
    finally:
        local.close()
    assert again.ret == 0, again.stdout + again.stderr
    script = """
        from zenrun import get_pipeline
        runs = get_pipeline("grows").runs
        first, second = runs[-2], runs[-1]
        print(first.steps["large"].status, first.steps["large"].outputs, first.steps["size"].status)
        print(sorted({s.status for i, s in second.steps.items() if i.startswith("tiny")}))
        print(second.steps["large"].status, second.steps["size"].output.read())
    """
    lines = zenrunner.runpython(script).outlines[-3:]
    assert lines == ["failed {} skipped", "['cached']", "completed 600000"]


def test_an_unreachable_scheduler_is_a_usage_error_in_one_line(zenrunner, monkeypatch):
    zenrunner.makepyfile(pipeline_fan=FAN_OUT)
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "1s")
    shared = f"file://{zenrunner.path / 'shared-artifacts'}"
    result = zenrunner.run(
        "--orchestrator", "dask", "--dask-address", "tcp://127.0.0.1:1", "--artifact-store", shared
    )
    assert result.ret == 4
    assert "--dask-address tcp://127.0.0.1:1: cannot reach the Dask scheduler" in result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr
