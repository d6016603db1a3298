"""Flat growth: n independent trivial steps plus a gather, cold then fully cached, per step.

    python benchmarks/bench_flat.py                   # 1,000 then 100,000 steps
    python benchmarks/bench_flat.py --sizes 1000 10000

Each size runs in a fresh process on a fresh store: compose + cold run (every output
persisted), then a fully cached rerun in the same process. Figures: wall time per step of
the cold run (compose included), the cached rerun's total (wall, and CPU: on a busy machine
what it costs rather than how long it waited), composing the pipeline alone (its body run
once more after the reruns: every step call adds a node, nothing runs), and the process's
peak RSS.
Targets: per-step cost at 100,000 within 1.5x of the 1,000-step figure, peak <= 1 GB,
cached rerun <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

WORKER = """
import json, logging, resource, sys, time
logger = logging.getLogger("zenrun")
logger.addHandler(logging.NullHandler())
logger.setLevel(logging.WARNING)
logger.propagate = False
import zenrun
from zenrun import pipeline, step

n = int(sys.argv[1])

@step
def work(i: int) -> int:
    return i

@step
def total(values: list) -> int:
    return sum(values)

@pipeline
def fan():
    for i in range(n):
        work(i, id=f"w-{i}")
    total(zenrun.gather(prefix="w-"))

started = time.perf_counter()
cold = fan().run()
cold_s = time.perf_counter() - started
assert cold.status == "completed" and cold.steps["total"].output.read() == n * (n - 1) // 2
started, cpu = time.perf_counter(), time.process_time()
cached = fan().run()
cached_s, cached_cpu = time.perf_counter() - started, time.process_time() - cpu
assert cached.n_cached == n + 1, cached.n_cached
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the compose below
from zenrun.heap import frozen_heap
with frozen_heap():  # as a run composes: what it allocates is no garbage
    started, cpu = time.perf_counter(), time.process_time()
    composed = fan().compose()  # the pipeline body alone: the steps' calls make the graph
    compose_s, compose_cpu = time.perf_counter() - started, time.process_time() - cpu
assert len(composed.invocations) == n + 1
print(json.dumps({
    "n": n, "cold_s": cold_s, "cached_s": cached_s, "cached_cpu_s": cached_cpu, "peak_mb": peak,
    "compose_s": compose_s, "compose_cpu_s": compose_cpu,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="zenrun-bench-flat-") as tmp:
            script = Path(tmp) / "flat.py"
            script.write_text(WORKER)
            env = {**os.environ, "ZENRUN_STORE": str(Path(tmp) / "store")}
            proc = subprocess.run(
                [sys.executable, str(script), str(n)], cwd=tmp, env=env, capture_output=True, text=True
            )
            if proc.returncode != 0:
                raise SystemExit(f"{n} steps failed:\n{proc.stdout}\n{proc.stderr}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = rows[0]["cold_s"] / (rows[0]["n"] + 1)
    print(f"n independent steps + a gather (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print("-" * 86)
    for row in rows:
        per_step = row["cold_s"] / (row["n"] + 1)
        print(
            f"{row['n']:>7} steps: cold {row['cold_s']:7.2f} s = {per_step * 1000:.3f} ms/step "
            f"({per_step / base:.2f}x the first size), cached rerun {row['cached_s']:6.2f} s "
            f"(CPU {row['cached_cpu_s']:.2f} s), composing alone {row['compose_s']:.3f} s "
            f"(CPU {row['compose_cpu_s']:.3f} s), peak {row['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
