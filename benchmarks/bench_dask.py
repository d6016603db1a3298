"""Dask figures, measured by hand (not part of the test-suite): zenrun on Dask vs Dask itself.

    python benchmarks/bench_dask.py                    # every scenario, 1,000 steps, 3 rounds
    python benchmarks/bench_dask.py --steps 200 --rounds 5
    python benchmarks/bench_dask.py independent fanout # some of them: independent, chain, fanout, shared

Everything runs in this one process against ONE ``LocalCluster`` (2 worker
processes, 1 thread each): the references written directly with Dask and
zenrun's Dask orchestrator, interleaved round by round so that the machine's
load weighs on both alike. zenrun runs cold (a fresh store each time, caching
on, every output persisted); see ``benchmarks/README.md`` for each scenario.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import pickle
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

PIPELINES = """
    import os, time
    from zenrun import gather, pipeline, step
    import zenrun

    @step
    def tiny(i: int) -> int:
        return i + 1

    @step
    def total(values: list) -> int:
        return sum(values)

    @pipeline
    def independent():
        for i in range({steps}):
            tiny(i)

    @pipeline
    def warm():
        total([tiny(i) for i in range(20)])

    @pipeline
    def chain():
        value = tiny(0)
        for _ in range({steps} - 1):
            value = tiny(value)

    @pipeline
    def fanout():
        total([tiny(i) for i in range({steps})])

    LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loads.log")

    @step
    def load(n: int) -> list:
        with open(LOG, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        time.sleep(1)
        return list(range(n))

    @step
    def train(data: list, k: int) -> int:
        return sum(data) * k

    @zenrun.mark.parametrize("k", list(range(8)))
    @pipeline
    def grid(k):
        train(load(10), k)
"""


def tiny(i: int) -> int:
    return i + 1


def total(values: list) -> int:
    return sum(values)


def tiny_persisted(i: int, root: str) -> str:
    """``tiny``, its result pickled to a file written atomically (temp file + rename)."""
    data = pickle.dumps(i + 1)
    path = os.path.join(root, uuid.uuid4().hex)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    return path


def tiny_fsynced(i: int, root: str) -> str:
    """:func:`tiny_persisted` with an fsync before the rename, as zenrun's store makes it durable."""
    data = pickle.dumps(i + 1)
    path = os.path.join(root, uuid.uuid4().hex)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(path + ".tmp", path)
    return path


# -- the references: Dask alone ----------------------------------------------------


def dask_independent(client, n: int, root: str | None, fn=tiny) -> float:
    started = time.perf_counter()
    args = (root,) if root else ()
    futures = [client.submit(fn, i, *args, pure=False) for i in range(n)]
    client.gather(futures)
    return time.perf_counter() - started


def dask_chain(client, n: int, root: str | None) -> float:
    started = time.perf_counter()
    future = client.submit(tiny, 0, pure=False)
    for _ in range(n - 1):
        future = client.submit(tiny, future, pure=False)
    future.result()
    return time.perf_counter() - started


def dask_map(client, n: int, root: str | None) -> float:
    started = time.perf_counter()
    futures = client.map(tiny, range(n), pure=False)
    client.submit(total, futures, pure=False).result()
    return time.perf_counter() - started


# -- zenrun ---------------------------------------------------------------------------


def zenrun_run(module, name: str, address: str, expect: int | None = None, orchestrator_class=None) -> float:
    """One cold run of pipeline ``name`` (a fresh store) on the cluster at ``address``."""
    from zenrun import api_config
    from zenrun.execution import run_pipeline
    from zenrun_dask.orchestrator import DaskOrchestrator

    DaskOrchestrator = orchestrator_class or DaskOrchestrator

    os.environ["ZENRUN_STORE"] = tempfile.mkdtemp(prefix="zenrun-bench-dask-store-")
    config = api_config()
    orchestrator = DaskOrchestrator(address=address, config=config, announce=lambda text: None)
    orchestrator.executor  # connect the client before the clock starts  # noqa: B018
    try:
        composed = getattr(module, name)().compose()
        started = time.perf_counter()
        run = run_pipeline(composed, config, orchestrator=orchestrator)
        elapsed = time.perf_counter() - started
    finally:
        orchestrator.close()
    assert run.status == "completed", (run.status, run.error)
    if expect is not None:
        outputs = [s.output.read() for sid, s in run.steps.items() if sid == "total"]
        assert outputs == [expect], outputs
    return elapsed


def zenrun_session(project: Path, address: str, *args: str) -> tuple[float, str]:
    """``python -m zenrun`` on the cluster at ``address``: (seconds, closing line)."""
    import subprocess

    env = dict(os.environ, ZENRUN_STORE=tempfile.mkdtemp(prefix="zenrun-bench-dask-store-"))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "zenrun", "-q", "--orchestrator", "dask", "--dask-address", address, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return elapsed, proc.stdout.strip().splitlines()[-1]


def worker_cpu() -> float:
    """CPU seconds this (worker) process has used."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_of(client, measure) -> tuple[float, float, float]:
    """``measure()``'s seconds, with the CPU seconds the driver process (the scheduler
    included: a LocalCluster's runs in it) and the worker processes used meanwhile."""
    workers = sum(client.run(worker_cpu).values())
    driver = time.process_time()
    elapsed = measure()
    driver = time.process_time() - driver
    workers = sum(client.run(worker_cpu).values()) - workers
    return elapsed, driver, workers


def summary(times: list[float], n: int) -> str:
    return (
        f"median {1000 * statistics.median(times) / n:7.3f} ms/step, "
        f"best {1000 * min(times) / n:7.3f} ms/step ({len(times)} rounds)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", default=["independent", "chain", "fanout", "shared"])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--before",
        metavar="FILE",
        help="another version of plugins/zenrun_dask/orchestrator.py (git show REV:PATH > FILE), measured too",
    )
    options = parser.parse_args()
    n = options.steps

    from distributed import Client, LocalCluster

    logger = logging.getLogger("zenrun")
    logger.addHandler(logging.NullHandler())  # the Python API then adds no handler of its own
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    project = Path(tempfile.mkdtemp(prefix="zenrun-bench-dask-"))
    (project / "pipeline_bench.py").write_text(textwrap.dedent(PIPELINES.format(steps=n)))
    os.chdir(project)
    sys.path.insert(0, str(project))
    module = importlib.import_module("pipeline_bench")
    root = tempfile.mkdtemp(prefix="zenrun-bench-dask-files-")

    cluster = LocalCluster(
        n_workers=options.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    address = cluster.scheduler_address
    try:
        print(
            f"one LocalCluster: {options.workers} worker processes x 1 thread; {n:,} steps; load {os.getloadavg()[0]:.1f}"
        )
        before = None
        if options.before:
            spec = importlib.util.spec_from_file_location("zenrun_dask_before", options.before)
            before_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(before_module)
            before = before_module.DaskOrchestrator
        client.submit(tiny, 0, pure=False).result()  # warm the workers
        for variant in (None, before) if before is not None else (None,):  # imports, first compose
            zenrun_run(module, "warm", address, orchestrator_class=variant)
        figures: dict[str, dict[str, list[float]]] = {}
        scenarios = {
            "independent": {
                "client.submit": lambda: dask_independent(client, n, None),
                "client.submit, persisted": lambda: dask_independent(client, n, root, tiny_persisted),
                "client.submit, persisted+fsync": lambda: dask_independent(client, n, root, tiny_fsynced),
                "zenrun dask": lambda: zenrun_run(module, "independent", address),
                "zenrun dask, --before": lambda: zenrun_run(
                    module, "independent", address, orchestrator_class=before
                ),
            },
            "chain": {
                "client.submit chain": lambda: dask_chain(client, n, None),
                "zenrun dask": lambda: zenrun_run(module, "chain", address),
                "zenrun dask, --before": lambda: zenrun_run(
                    module, "chain", address, orchestrator_class=before
                ),
            },
            "fanout": {
                "client.map + gather": lambda: dask_map(client, n, None),
                "zenrun dask": lambda: zenrun_run(module, "fanout", address, expect=n * (n + 1) // 2),
                "zenrun dask, --before": lambda: zenrun_run(
                    module, "fanout", address, expect=n * (n + 1) // 2, orchestrator_class=before
                ),
            },
        }
        for scenario, modes in scenarios.items():
            if scenario not in options.scenarios:
                continue
            if before is None:
                modes = {name: measure for name, measure in modes.items() if "--before" not in name}
            figures[scenario] = {name: [] for name in modes}
            cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in modes}
            for _ in range(options.rounds):
                for name, measure in modes.items():
                    elapsed, driver, workers = cpu_of(client, measure)
                    figures[scenario][name].append(elapsed)
                    cpu[name].append((driver, workers))
            print(f"\n{scenario}: {n:,} trivial steps (CPU per step: driver incl. scheduler / workers)")
            reference = statistics.median(next(iter(figures[scenario].values())))
            for name, times in figures[scenario].items():
                ratio = statistics.median(times) / reference
                driver = 1000 * statistics.median(d for d, _ in cpu[name]) / n
                workers = 1000 * statistics.median(w for _, w in cpu[name]) / n
                print(f"  {name:<32} {summary(times, n)}  x{ratio:.2f}  cpu {driver:.2f} / {workers:.2f} ms")

        if "shared" in options.scenarios:
            print("\nshared: a grid of 8 cells sharing a 1 s data step (python -m zenrun, cold)")
            log = project / "loads.log"
            for _ in range(options.rounds):
                log.unlink(missing_ok=True)
                elapsed, closing = zenrun_session(project, address, "pipeline_bench.py::grid")
                loads = len(log.read_text().split())
                print(f"  data step ran {loads} time(s); process {elapsed:.2f} s; {closing}")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
