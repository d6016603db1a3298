"""The team store (PostgreSQL on loopback) side by side with the embedded SQLite store.

Starts a throw-away PostgreSQL cluster (Debian's initdb/pg_ctl, as tests/test_postgres.py
does), then measures for each store:

1. per-step overhead on a CHAIN-step chain of trivial steps (cache off: every step runs
   and is recorded), wall time less the time of ``--collect-only`` on the same project;
2. a fully cached rerun of the same chain (every step a hit), same subtraction;
3. WRITERS concurrent zenrun processes writing a 3-item grid each: runs and steps lost,
   duplicated, and deadlocks reported;
4. ``zenrun --runs`` on a store of RUNS runs x STEPS steps (made through the store's own
   API), in-process (the query) and as a subprocess less interpreter start-up.

    python benchmarks/bench_teamstore.py [--chain 1000] [--writers 8] [--runs 3000] [--steps 221]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_runs import generate as generate_sqlite
from pgcluster import PostgresCluster, find_bindir

from zenrun.metadata.records import ArtifactRef, PipelineRun, StepRun

CHAIN = """
from zenrun import pipeline, step

@step
def inc(x: int) -> int:
    return x + 1

@pipeline
def chain():
    value = inc(0)
    for _ in range({n} - 1):
        value = inc(value)
"""

GRID = """
import zenrun
from zenrun import pipeline, step

@step
def load(n: int) -> list:
    return list(range(n))

@step
def total(xs: list) -> int:
    return sum(xs)

@zenrun.mark.parametrize("n", [3, 5, 8])
@pipeline
def grid(n):
    total(load(n))
"""


def project(root: Path, source: str) -> Path:
    root.mkdir(parents=True)
    (root / "zenrun.toml").write_text("")
    (root / "pipeline_bench.py").write_text(textwrap.dedent(source))
    return root


def zenrun(cwd: Path, store: str, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "ZENRUN_STORE": store, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "zenrun", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"zenrun {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return took, proc


def chain(root: Path, store: str, n: int) -> tuple[float, float]:
    """(per-step overhead in ms of a first run, seconds of a fully cached rerun)."""
    where = project(root, CHAIN.format(n=n))
    base = min(zenrun(where, store, "--collect-only", "-q")[0] for _ in range(2))
    first = zenrun(where, store, "-q")[0] - base
    cached = min(zenrun(where, store, "-q")[0] for _ in range(2)) - base
    return first / n * 1000, cached


def writers(root: Path, store: str, count: int) -> tuple[int, int, int]:
    """(runs lost, step records lost, deadlocks) of ``count`` concurrent writers."""
    procs = []
    for i in range(count):
        where = project(root / f"w{i}", GRID)
        env = {**os.environ, "ZENRUN_STORE": store, "PYTHONDONTWRITEBYTECODE": "1"}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "zenrun", "-q", "--no-cache"],
                cwd=where,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [p.communicate()[0] for p in procs]
    deadlocks = sum("deadlock" in out.lower() for out in outputs)
    failed = [out for p, out in zip(procs, outputs, strict=True) if p.returncode != 0]
    if failed:
        print(failed[0][-2000:])
    return count * 3, count * 6, deadlocks


def count_records(store: str) -> tuple[int, int]:
    if store.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store) as db:
            runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
            steps = db.execute("SELECT count(*) FROM steps").fetchone()[0]
            return runs, steps
    import sqlite3

    db = sqlite3.connect(Path(store) / "metadata.db")
    try:
        return db.execute("SELECT count(*) FROM runs").fetchone()[0], db.execute(
            "SELECT count(*) FROM steps"
        ).fetchone()[0]
    finally:
        db.close()


def generate_pg(url: str, runs: int, steps: int) -> float:
    """The same store as bench_runs.generate, through the PostgreSQL store's API."""
    from zenrun_postgres.store import PostgresMetadataStore, TeamStore

    started = time.perf_counter()
    team = TeamStore(url)
    store = PostgresMetadataStore(team)
    ids = ["load"] + [f"step_{i}" for i in range(steps - 1)]
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
            step = StepRun(
                sid,
                sid.split("_")[0],
                "completed",
                config={"n_estimators": i},
                cache_key=f"k{r}-{i}",
                started=run.started + i * 0.01,
                finished=run.started + i * 0.01 + 0.005,
                outputs={
                    "output": ArtifactRef(f"{r:08x}{i:056x}", 1000 + i, "json", "builtins.float", "0.5")
                },
                upstream=graph[sid],
                metadata={"accuracy": (r * i) % 100 / 100},
            )
            store.record_step(run, step)
        run.status, run.finished = "completed", run.started + steps * 0.01
        run.n_steps, run.n_cached = steps, 0
        run._metrics = {"accuracy": (r % 100) / 100}
        store.finish_run(run)
    store.close()
    team.close()
    return time.perf_counter() - started


def runs_query(store: str) -> float:
    """Best seconds of the query behind ``zenrun --runs`` (the newest 20 runs), in-process."""
    if store.startswith("postgresql://"):
        from zenrun_postgres.store import PostgresMetadataStore, TeamStore

        team = TeamStore(store)
        meta: object = PostgresMetadataStore(team)
    else:
        from zenrun.metadata.sqlite import SqliteMetadataStore

        meta = SqliteMetadataStore(Path(store) / "metadata.db")
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        meta.recent_runs(20)  # type: ignore[attr-defined]
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=221)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = PostgresCluster(bindir)
    tmp = Path(tempfile.mkdtemp(prefix="zenrun-bench-team-"))
    try:
        cluster.start()
        stores = {
            "sqlite": lambda: str(tmp / f"sqlite-{uuid.uuid4().hex[:6]}"),
            "postgresql": lambda: cluster.createdb(f"b_{uuid.uuid4().hex[:10]}"),
        }
        results: dict[str, dict[str, str]] = {name: {} for name in stores}
        for name, make in stores.items():
            per_step, cached = chain(tmp / f"chain-{name}", make(), args.chain)
            results[name][f"per-step overhead ({args.chain}-step chain)"] = f"{per_step:.2f} ms"
            results[name][f"fully cached rerun ({args.chain} steps)"] = f"{cached:.2f} s"
            store = make()
            expected_runs, expected_steps, deadlocks = writers(tmp / f"writers-{name}", store, args.writers)
            runs, steps = count_records(store)
            results[name][f"{args.writers} concurrent writers"] = (
                f"{expected_runs - runs} runs lost, {expected_steps - steps} steps lost, "
                f"{deadlocks} deadlocks"
            )
            store = make()
            if name == "sqlite":
                generate_sqlite(Path(store), args.runs, args.steps)
            else:
                generate_pg(store, args.runs, args.steps)
            query = runs_query(store)
            where = project(tmp / f"runs-{name}", "")
            startup = min(zenrun(where, store, "--version")[0] for _ in range(3))
            cli = min(zenrun(where, store, "--runs")[0] for _ in range(3))
            results[name][f"--runs, {args.runs} runs x {args.steps} steps"] = (
                f"query {query * 1000:.1f} ms, cli {cli:.2f} s ({cli - startup:.2f} s after start-up)"
            )
        labels = list(results["sqlite"])
        width = max(map(len, labels))
        print(f"{'':<{width}}  {'SQLite':<44}  PostgreSQL (loopback)")
        for label in labels:
            print(f"{label:<{width}}  {results['sqlite'][label]:<44}  {results['postgresql'][label]}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
