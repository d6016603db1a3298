"""Peak memory of a pipeline whose step returns a large numpy array, against the array's size.

    python benchmarks/bench_memory.py              # a 600 MB array
    python benchmarks/bench_memory.py --mb 2000    # optional: 2 GB (needs ~5 GB free)

Each figure is the peak resident set size (``ru_maxrss``) of a fresh process:

- **allocating the array alone** (the reference: the data's own size, plus the interpreter
  and numpy);
- **cold run**: ``make`` returns the array, ``total`` consumes it; both outputs stored;
- **cached run**: the same pipeline again in a new process (both steps cache hits);
- **loading the output**: ``run.steps["make"].output.read()`` in a new process.

The target is 1.2x the array's size. Not part of the test-suite: memory is measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PIPELINE = """
import json, resource, sys, logging
import numpy as np
from zenrun import pipeline, step

logging.getLogger("zenrun").setLevel(logging.WARNING)
N = int(sys.argv[2]) * 1_000_000 // 8

@step
def make() -> np.ndarray:
    return np.arange(N, dtype=np.float64)

@step
def total(values: np.ndarray) -> float:
    return float(values[::4096].sum())

@pipeline
def big():
    total(make())

mode = sys.argv[1]
if mode == "alone":
    value = np.arange(N, dtype=np.float64)
    result = float(value[::4096].sum())
elif mode == "load":
    from zenrun import get_pipeline
    value = get_pipeline("big").runs[-1].steps["make"].output.read()
    result = float(value[::4096].sum())
else:
    run = big().run()
    assert run.status == "completed", run.status
    result = run.steps["total"].output.value
    assert [s.status for s in run.steps.values()] == (["cached"] * 2 if mode == "cached" else ["completed"] * 2)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "result": result}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=600, help="the array's size in MB (default 600)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-memory-") as tmp:
        script = Path(tmp) / "pipeline_big.py"
        script.write_text(PIPELINE)
        env = {**os.environ, "ZENRUN_STORE": str(Path(tmp) / "store")}
        figures = {}
        for mode in ("alone", "cold", "cached", "load"):
            proc = subprocess.run(
                [sys.executable, str(script), mode, str(args.mb)],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{mode} failed:\n{proc.stdout}\n{proc.stderr}")
            figures[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    results = {f["result"] for f in figures.values()}
    assert len(results) == 1, figures
    size = args.mb
    print(f"peak RSS, a {size} MB numpy array (python {sys.version.split()[0]})")
    print("-" * 64)
    labels = {
        "alone": "allocating the array alone",
        "cold": "cold run (make -> total)",
        "cached": "cached run",
        "load": "loading the output (.read())",
    }
    for mode, label in labels.items():
        peak = figures[mode]["peak_mb"]
        verdict = "" if mode == "alone" else f"<= 1.2x {'ok' if peak <= 1.2 * size else 'MISSED'}"
        print(f"{label:<32} {peak:8.0f} MB  {peak / size:5.2f}x  {verdict}")


if __name__ == "__main__":
    main()
