"""The floor of a persisted step: what a plain script pays for the same writes zenrun makes.

    python benchmarks/bench_floor.py                # chains of 100 and 1,000 steps, 5 rounds
    python benchmarks/bench_floor.py --repeat 9

For n steps, in the same run (medians of ``--repeat`` rounds, each in a fresh process and
a fresh directory):

- **zenrun**: a cold run of the n-step chain of ``bench.py`` (caching on, capture on, every
  output persisted), per step;
- **floor, durable**: n small files each written to a temporary file, fsync'd and renamed
  into place on 8 threads (what zenrun's artifact store does), and n rows inserted into
  SQLite (WAL) in one transaction committed after the files are durable;
- **floor, page cache**: the same without the fsyncs (not durable: what a crash may lose).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plain(n: int, durable: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-floor-") as tmp:
        root = Path(tmp)
        db = sqlite3.connect(root / "m.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE steps (id TEXT PRIMARY KEY, digest TEXT, size INT)")
        pool = ThreadPoolExecutor(8)

        def write(i: int) -> None:
            data = str(i).encode()
            directory = root / f"{i % 256:02x}"
            directory.mkdir(exist_ok=True)
            tmp_path, target = directory / f".tmp-{i}", directory / f"{i:064x}"
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, data)
            if durable:
                os.fsync(fd)
            os.close(fd)
            os.replace(tmp_path, target)

        started = time.perf_counter()
        futures = [pool.submit(write, i) for i in range(n)]
        rows = [(f"step_{i}", f"{i:064x}", len(str(i))) for i in range(n)]
        for future in futures:
            future.result()
        db.execute("BEGIN")
        db.executemany("INSERT INTO steps VALUES (?,?,?)", rows)
        db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        pool.shutdown()
        db.close()
        return elapsed


def zenrun_chain(n: int) -> float:
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-floor-") as tmp:
        env = {**os.environ, "ZENRUN_STORE": str(Path(tmp) / "store")}
        proc = subprocess.run(
            [sys.executable, str(HERE / "bench.py"), "--worker", "chain", "--steps", str(n)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        return float(result["cold_s"] - result["step_fn_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"per persisted step, median of {args.repeat} (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    print("-" * 78)
    for n in args.steps:
        figures: dict[str, list[float]] = {"zenrun": [], "durable": [], "cache": []}
        for _ in range(args.repeat):
            figures["zenrun"].append(zenrun_chain(n))
            figures["durable"].append(plain(n, durable=True))
            figures["cache"].append(plain(n, durable=False))
        med = {k: statistics.median(v) / n * 1000 for k, v in figures.items()}
        print(
            f"{n:>5} steps: zenrun {med['zenrun']:.3f} ms (<= 0.1 {'ok' if med['zenrun'] <= 0.1 else 'MISSED'}); "
            f"floor durable {med['durable']:.3f} ms, page cache only {med['cache']:.3f} ms"
        )


if __name__ == "__main__":
    main()
