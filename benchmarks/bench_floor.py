"""The floor of a persisted step: what a plain script pays for the same writes zenrun makes.

    python benchmarks/bench_floor.py                # chains of 100 and 1,000 steps, 5 rounds
    python benchmarks/bench_floor.py --repeat 9

For n steps, interleaved in the same run (medians of ``--repeat`` rounds, each zenrun
figure in a fresh process and a fresh store, bytecode caching on as users have it):

- **zenrun, API**: a cold run of the n-step chain of ``bench.py`` (caching on, every output
  persisted), per step; the session's start (the first run of the process: configuration,
  plugins, opening the stores) is timed apart by ``bench.py``, on a one-step pipeline;
  also the process's CPU time per step (all threads), which the machine's load does not inflate;
- **zenrun, CLI**: ``zenrun -q`` on a project holding the n-step chain, capture on (the
  default, ``--capture=fd``), cold, per step: the run's duration as recorded in the store / n;
  its CPU time: (the process's CPU time - that of a one-step project) / (n - 1);
- **zenrun, CLI, default output**: the same without ``-q`` (the progress view's per-step
  hooks on; its output a pipe, not a terminal), the recorded duration / n;
- **floor, fsync per file**: n small files each written to a temporary file, fsync'd and
  renamed into place on 8 threads (zenrun's artifact store before small artifacts were
  packed), then n rows inserted into SQLite (WAL) in one transaction;
- **floor, durable at the end**: the n files written and renamed without fsync, then made
  durable by one ``syncfs`` of their filesystem before the rows commit (Linux);
- **floor, packed**: the n small blobs inserted into one SQLite table (WAL,
  ``synchronous=FULL``: the commit is durable) in one transaction, then the n rows: what
  zenrun's local store does for artifacts up to ``inline_artifacts`` bytes;
- **page cache only**: the n files without any fsync (not durable: what a crash may lose).

With two chain lengths or more, each zenrun figure of the shortest and the longest is also
split into what a step costs and what a run costs whatever its length (its set-up, its
durable end): the two runs' times solved for ``fixed + n * per_step``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import _median_wall_ms  # bench.py, beside this file: how quick the VM is today

HERE = Path(__file__).resolve().parent
MODES = ("fsync", "syncfs", "packed", "cache")


def _env() -> dict[str, str]:
    """Bytecode caching on (a sandbox's PYTHONDONTWRITEBYTECODE recompiles at every start)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _syncfs(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs")
    finally:
        os.close(fd)


def plain(n: int, mode: str) -> float:
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-floor-") as tmp:
        root = Path(tmp)
        db = sqlite3.connect(root / "m.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE steps (id TEXT PRIMARY KEY, digest TEXT, size INT)")
        pack = sqlite3.connect(root / "pack.db", isolation_level=None)
        pack.execute("PRAGMA journal_mode=WAL")
        pack.execute("PRAGMA synchronous=FULL")
        pack.execute("CREATE TABLE blobs (digest TEXT PRIMARY KEY, data BLOB, stored REAL)")
        pool = ThreadPoolExecutor(8)

        def write(i: int) -> None:
            data = str(i).encode()
            directory = root / f"{i % 256:02x}"
            directory.mkdir(exist_ok=True)
            tmp_path, target = directory / f".tmp-{i}", directory / f"{i:064x}"
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, data)
            if mode == "fsync":
                os.fsync(fd)
            os.close(fd)
            os.replace(tmp_path, target)

        started = time.perf_counter()
        rows = [(f"step_{i}", f"{i:064x}", len(str(i))) for i in range(n)]
        if mode == "packed":
            now = time.time()
            pack.execute("BEGIN")
            pack.executemany(
                "INSERT INTO blobs VALUES (?,?,?)", [(f"{i:064x}", str(i).encode(), now) for i in range(n)]
            )
            pack.execute("COMMIT")
        else:
            for future in [pool.submit(write, i) for i in range(n)]:
                future.result()
            if mode == "syncfs":
                _syncfs(root)
        db.execute("BEGIN")
        db.executemany("INSERT INTO steps VALUES (?,?,?)", rows)
        db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        pool.shutdown()
        db.close()
        pack.close()
        return elapsed


def zenrun_api(n: int) -> tuple[float, float, float]:
    """(per-step seconds of the cold chain, its per-step CPU seconds, session start seconds)."""
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-floor-") as tmp:
        env = {**_env(), "ZENRUN_STORE": str(Path(tmp) / "store")}
        proc = subprocess.run(
            [sys.executable, str(HERE / "bench.py"), "--worker", "chain", "--steps", str(n)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        return (
            float(result["cold_s"] - result["step_fn_s"]) / n,
            float(result["cold_cpu_s"]) / n,
            float(result["session_s"]),
        )


CHAIN = """
from zenrun import pipeline, step

@step
def source() -> int:
    return 0

@step
def inc(x: int) -> int:
    return x + 1

@pipeline
def chain():
    value = source()
    for _ in range({n} - 1):
        value = inc(value)
"""


def _cli_wall(n: int, quiet: bool = True) -> tuple[float, float]:
    """The run's duration as recorded (wall seconds, from its start to its end, in the
    process) and the process's CPU seconds (user + system) of ``zenrun`` (``-q`` when
    ``quiet``) on a new project with an n-step chain."""
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-floor-cli-") as tmp:
        project = Path(tmp)
        (project / "zenrun.toml").write_text("[tool.zenrun]\n")
        (project / "pipeline_chain.py").write_text(CHAIN.format(n=n))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "zenrun", *(["-q"] if quiet else []), "--store", str(project / "store")],
            cwd=project,
            env=_env(),
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"zenrun failed:\n{proc.stdout}\n{proc.stderr}")
        cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
        db = sqlite3.connect(project / "store" / "metadata.db")
        try:
            ((duration,),) = db.execute("SELECT finished - started FROM runs").fetchall()
        finally:
            db.close()
        del elapsed  # the whole process: its start-up's noise would swamp 100 steps
        return float(duration), cpu


def zenrun_cli(n: int) -> tuple[float, float]:
    """Per-step seconds through the CLI (capture on): the run's recorded duration / n, and
    the process's CPU time less that of a 1-step project, / (n - 1)."""
    wall_n, cpu_n = _cli_wall(n)
    _, cpu_1 = _cli_wall(1)
    return wall_n / n, (cpu_n - cpu_1) / (n - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"per persisted step, ms, median (best) of {args.repeat} rounds "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.1f}, "
        f"bare python {_median_wall_ms([sys.executable, '-c', 'pass'], 11)[0]:.1f} ms)"
    )
    print("-" * 100)
    medians: dict[int, dict[str, float]] = {}
    for n in args.steps:
        keys = ("api", "api_cpu", "cli", "cli_cpu", "cli_default", "session", *MODES)
        figures: dict[str, list[float]] = {k: [] for k in keys}
        for _ in range(args.repeat):
            per_step, cpu, session = zenrun_api(n)
            figures["api"].append(per_step)
            figures["api_cpu"].append(cpu)
            figures["session"].append(session)
            wall, cpu = zenrun_cli(n)
            figures["cli"].append(wall)
            figures["cli_cpu"].append(cpu)
            figures["cli_default"].append(_cli_wall(n, quiet=False)[0] / n)
            for mode in MODES:
                figures[mode].append(plain(n, mode) / n)

        def fig(key: str, figures: dict[str, list[float]] = figures) -> str:
            values = figures[key]
            return f"{statistics.median(values) * 1000:.3f} ({min(values) * 1000:.3f})"

        api = statistics.median(figures["api"]) * 1000
        cli = statistics.median(figures["cli"]) * 1000
        cli_default = statistics.median(figures["cli_default"]) * 1000
        print(
            f"{n:>5} steps: zenrun API {fig('api')} [<= 0.1 {'ok' if api <= 0.1 else 'MISSED'}] "
            f"(CPU of the process {fig('api_cpu')}), "
            f"CLI with capture {fig('cli')} [<= 0.1 {'ok' if cli <= 0.1 else 'MISSED'}] "
            f"(CPU {fig('cli_cpu')}), "
            f"without -q {fig('cli_default')} [<= 0.1 {'ok' if cli_default <= 0.1 else 'MISSED'}]"
        )
        print(
            f"             floor: fsync per file {fig('fsync')}, durable at the end (syncfs) "
            f"{fig('syncfs')}, packed {fig('packed')}, page cache only {fig('cache')}"
        )
        print(
            f"             zenrun session start (first run, 1 step): {statistics.median(figures['session']):.3f} s"
        )
        medians[n] = {"API": api, "CLI with capture": cli, "without -q": cli_default}
    if len(medians) > 1:
        print(_split_fixed(medians))


def _split_fixed(medians: dict[int, dict[str, float]]) -> str:
    """Each figure of the shortest and the longest chain split into what a step costs and
    what a run costs whatever its length (its set-up, its durable end): the two runs' times
    solved for ``fixed + n * per_step``."""
    short, long = min(medians), max(medians)
    parts = []
    for label, per_step_short in medians[short].items():
        total_short, total_long = per_step_short * short, medians[long][label] * long
        per_step = (total_long - total_short) / (long - short)
        parts.append(f"{label} {per_step:.3f} ms a step + {total_short - per_step * short:.2f} ms a run")
    return f"  steps and runs ({short} and {long} steps): " + ", ".join(parts)


if __name__ == "__main__":
    main()
