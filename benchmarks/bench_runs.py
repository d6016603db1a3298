"""``zenrun --runs`` and ``--show`` on a big store: time and memory must not grow with it.

Generates a store of RUNS runs of a STEPS-step pipeline (default 3,000 x 221)
through the metadata store's own API (create_run / record_step / finish_run,
one flush per run), then times, as real subprocesses, ``zenrun --runs``,
``zenrun --runs -k`` (a filter that matches little, so the whole runs table
is read), ``zenrun --show`` of a run name, an item id and ``latest``, and the
same queries in-process (without interpreter start-up). It repeats the
measurement on a store 10x smaller to show that neither time nor memory
follows the store's size.

    python benchmarks/bench_runs.py [--runs 3000] [--steps 221] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zenrun.metadata.records import ArtifactRef, PipelineRun, StepRun
from zenrun.metadata.sqlite import SqliteMetadataStore


def generate(path: Path, runs: int, steps: int) -> float:
    """Write ``runs`` runs of a ``steps``-step grid pipeline; returns seconds taken."""
    started = time.perf_counter()
    store = SqliteMetadataStore(path / "metadata.db")
    ids = (
        ["load"]
        + [f"train_{i}" for i in range((steps - 3) // 2)]
        + [f"evaluate_{i}" for i in range((steps - 3) // 2)]
        + ["compare", "train_best"]
    )
    ids = ids[:steps] + [f"extra_{i}" for i in range(steps - len(ids))]
    graph = {sid: ([] if sid == "load" else ["load"]) for sid in ids}
    now = time.time() - runs * 10
    for r in range(runs):
        dataset = ("iris", "digits", "wine")[r % 3]
        run = PipelineRun(
            name=f"grid-{r:06d}",
            pipeline_name="grid",
            item_id=f"pipelines/pipeline_grid.py::grid[{dataset}-{r % 50}]",
            started=now + r * 10,
            orchestrator="local",
            enable_cache=True,
            graph=graph,
            params={"dataset": dataset, "seed": r % 50},
        )
        run._steps = {}
        store.create_run(run)
        for i, sid in enumerate(ids):
            digest = f"{r:08x}{i:056x}"
            step = StepRun(
                sid,
                sid.split("_")[0],
                "completed" if r % 7 else "cached",
                config={"n_estimators": i, "max_depth": 4},
                cache_key=f"k{r}-{i}",
                cache_reason="cache miss: config changed",
                started=run.started + i * 0.01,
                finished=run.started + i * 0.01 + 0.005,
                outputs={"output": ArtifactRef(digest, 1000 + i, "json", "builtins.float", "0.5")},
                upstream=graph[sid],
                metadata={"accuracy": (r * i) % 100 / 100},
            )
            step.inputs = {"data": [("load", "output", None)]} if sid != "load" else {}
            run._steps[sid] = step
            store.record_step(run, step)
        run.status, run.finished = "completed", run.started + steps * 0.01
        run.n_steps, run.n_cached = steps, 0 if r % 7 else steps
        run._metrics = {"accuracy": (r % 100) / 100, "loss": 1 - (r % 100) / 100, "n_estimators": r % 30}
        store.finish_run(run)
    store.close()
    return time.perf_counter() - started


def measure_cli(store: Path, *args: str) -> tuple[float, float]:
    """Best wall seconds of three runs and peak RSS (MiB) of one ``zenrun`` subprocess."""
    env = {**os.environ, "ZENRUN_STORE": str(store), "COLUMNS": "120"}
    best, rss = float("inf"), 0.0
    for _ in range(3):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", *args],
            env=env,
            cwd=store.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
        best = min(best, time.perf_counter() - started)
        rss = max(rss, usage.ru_maxrss / 1024)
        if proc.returncode != 0:
            raise SystemExit(f"zenrun {' '.join(args)} failed with exit code {proc.returncode}")
    return best, rss


def measure_inprocess(store_path: Path, middle: str) -> dict[str, float]:
    store = SqliteMetadataStore(store_path / "metadata.db")
    figures = {}
    for label, call in [
        ("recent_runs(20)", lambda: store.recent_runs(20)),
        (
            "recent_runs -k (full scan)",
            lambda: store.recent_runs(20, match=lambda item_id, pipeline: "nothing" in (item_id or "")),
        ),
        ("find_run(name) + steps", lambda: store.find_run(middle).steps),
        ("find_run(item) + steps", lambda: store.find_run("grid[iris-0]").steps),
        ("find_run(latest) + steps", lambda: store.find_run("latest").steps),
    ]:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - started)
        figures[label] = best
    store.close()
    return figures


def bench(root: Path, runs: int, steps: int) -> None:
    store = root / ".zenrun"
    if not (store / "metadata.db").exists():
        took = generate(store, runs, steps)
        print(
            f"generated {runs} runs x {steps} steps in {took:.1f}s "
            f"({(store / 'metadata.db').stat().st_size / 2**20:.0f} MiB)"
        )
    print(f"store: {runs} runs x {steps} steps")
    middle = f"grid-{runs // 2:06d}"
    for label, seconds in measure_inprocess(store, middle).items():
        print(f"  in-process {label:<28} {seconds * 1000:8.1f} ms")
    baseline, rss = measure_cli(store, "--version")
    print(f"  cli {'zenrun --version (start-up)':<35} {baseline:6.3f} s  peak RSS {rss:5.0f} MiB")
    for args in (
        ["--runs"],
        ["--runs", "-k", "nothing"],
        ["--show", middle],
        ["--show", "grid[iris-0]"],
        ["--show", "latest"],
    ):
        seconds, rss = measure_cli(store, *args)
        print(f"  cli zenrun {' '.join(args):<28} {seconds:6.3f} s  peak RSS {rss:5.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=221)
    parser.add_argument("--keep", type=Path, default=None, help="generate the store here and keep it")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = options.keep or Path(tmp)
        small = root / "small"
        small.mkdir(parents=True, exist_ok=True)
        bench(small, max(1, options.runs // 10), options.steps)
        bench(root, options.runs, options.steps)


if __name__ == "__main__":
    main()
