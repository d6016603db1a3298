"""What fingerprinting a step's code costs the first time in a process, and in each later run.

    python benchmarks/bench_fingerprint.py                  # 400 helpers, a step reaching 100
    python benchmarks/bench_fingerprint.py --functions 2000 --reach 300 --repeat 7

A fresh project holds ``helpers.py`` (``--functions`` top-level functions of a few lines,
each calling the one before it and methods of imported modules, as project code does) and a
step calling the last ``--reach`` of them through one. Each round, in a fresh process (bytecode
caching on, as users have it, the modules loaded from it after a first import): the first
fingerprint of the step (its own source and that of every project function it reaches, each
checked against its file), then that of a later run of the same process (a new fingerprinter,
as each run makes; what a process keeps of the code it read is reused). Medians of
``--repeat`` rounds, ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HELPER = '''

def helper_{i}(value):
    """Helper {i}: a docstring, a comment, a call into the standard library."""
    # the previous helper, then a method of an imported module
    total = helper_{j}(value) if value > {i} else value
    return json.loads(json.dumps(total)) + os.path.sep.count("/")
'''

STEP = """
import helpers
from zenrun import step


@step
def train(x: int) -> int:
    return helpers.helper_{last}(x)
"""

WORKER = """
import json, sys, time
sys.path.insert(0, ".")
from zenrun.cache import Fingerprinter
import pipeline_big

fn = pipeline_big.train.fn
started = time.perf_counter()
first = Fingerprinter().fingerprint(fn)
first_s = time.perf_counter() - started
started = time.perf_counter()
again = Fingerprinter().fingerprint(fn)
again_s = time.perf_counter() - started
assert first.digest == again.digest and first.digest is not None, first.error
print(json.dumps({"first_s": first_s, "again_s": again_s, "deps": len(first.deps)}))
"""


def make_project(root: Path, functions: int, reach: int) -> None:
    parts = ["import json\nimport os\n\n\ndef helper_0(value):\n    return value\n"]
    parts += [HELPER.format(i=i, j=i - 1) for i in range(1, functions)]
    (root / "helpers.py").write_text("".join(parts))
    (root / "pipeline_big.py").write_text(STEP.format(last=min(reach, functions) - 1))
    (root / "worker.py").write_text(WORKER)


def one_round(root: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "worker.py"], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=400)
    parser.add_argument("--reach", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-fingerprint-") as tmp:
        root = Path(tmp)
        make_project(root, args.functions, args.reach)
        one_round(root)  # writes the bytecode the rounds load
        rounds = [one_round(root) for _ in range(args.repeat)]
    lines = sum(1 for _ in "".join(HELPER.format(i=1, j=0) for _ in range(args.functions)).splitlines())
    print(
        f"helpers.py: {args.functions} functions (~{lines} lines); the step reaches "
        f"{rounds[0]['deps']:.0f} of them (medians of {args.repeat} fresh processes)"
    )
    for key, label in (("first_s", "first fingerprint of the process"), ("again_s", "a later run's")):
        values = [r[key] * 1000 for r in rounds]
        print(f"  {label}: {statistics.median(values):.2f} ms (best {min(values):.2f})")


if __name__ == "__main__":
    main()
