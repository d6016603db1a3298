"""What a step's own work costs inside zenrun: the same code timed in plain Python, in a
zenrun step and in a pytest test.

    python benchmarks/bench_step_work.py
    python benchmarks/bench_step_work.py --rounds 5

Each workload is timed inside one process (best of ``--rounds``), in three fresh processes:
plain ``python`` (its output to a file), ``zenrun --no-cache -q`` (capture on, the default:
descriptors and ``sys.stdout`` captured, data tracking's audit hook installed) and
``pytest -q`` (its default capture). Only the workload's own time counts, not the tool's
start. What the workloads show: the tools' capture (``print``, ``sys.stderr.write``,
logging), zenrun's audit hook, through which every audited call of the process goes
(``id()``, which ``copy.deepcopy`` calls twice an object; ``sys._getframe``, which logging
calls for each record; ``open``), and plain Python, which nothing should slow.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

WORKLOADS = """
import copy, json, logging, os, pickle, sys, tempfile, time

log = logging.getLogger("user")
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def _data():
    return [{"a": [i, str(i)], "b": (i,)} for i in range(20000)]


def w_deepcopy():
    d = _data(); t = time.perf_counter(); copy.deepcopy(d); return time.perf_counter() - t


def w_print():
    t = time.perf_counter()
    for i in range(50000):
        print("line", i)
    return time.perf_counter() - t


def w_stderr_write():
    t = time.perf_counter()
    for _ in range(50000):
        sys.stderr.write("x\\n")
    return time.perf_counter() - t


def w_logging():
    t = time.perf_counter()
    for i in range(5000):
        log.warning("record %d", i)
    return time.perf_counter() - t


def w_getframe():
    t = time.perf_counter()
    for _ in range(200000):
        sys._getframe()
    return time.perf_counter() - t


def w_open():
    folder = tempfile.mkdtemp()
    paths = []
    for i in range(300):
        path = os.path.join(folder, f"f{i}.txt")
        with open(path, "w") as f:
            f.write("x")
        paths.append(path)
    t = time.perf_counter()
    for _ in range(3):
        for path in paths:
            with open(path) as f:
                f.read()
    return time.perf_counter() - t


def w_pickle():
    d = _data(); t = time.perf_counter()
    for _ in range(5):
        pickle.loads(pickle.dumps(d))
    return time.perf_counter() - t


def w_python():
    t = time.perf_counter(); s = 0
    for i in range(2_000_000):
        s += i * i
    return time.perf_counter() - t


def run_all(out):
    found = {name[2:]: f for name, f in globals().items() if name.startswith("w_")}
    times = {name: min(f() for _ in range(ROUNDS)) for name, f in found.items()}
    with open(out, "w") as f:
        json.dump(times, f)
"""

PIPELINE = """
import os
from zenrun import pipeline, step
import workloads

@step
def work() -> None:
    workloads.run_all(os.environ["OUT"])

@pipeline
def step_work():
    work()
"""

TEST = """
import os
import workloads

def test_work():
    workloads.run_all(os.environ["OUT"])
"""


def _run(root: Path, kind: str, rounds: int) -> dict[str, float]:
    out = root / f"{kind}.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(OUT=str(out), ROUNDS=str(rounds), PYTHONPATH=str(root))
    commands = {
        "plain": [sys.executable, "-c", "import os, workloads; workloads.run_all(os.environ['OUT'])"],
        "zenrun": [sys.executable, "-m", "zenrun", "--no-cache", "-q", "--store", str(root / "store")],
        "pytest": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_work.py"],
    }
    with open(root / f"{kind}.log", "w") as log:
        subprocess.run(commands[kind], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-work-") as tmp:
        root = Path(tmp)
        (root / "workloads.py").write_text(textwrap.dedent(WORKLOADS))
        (root / "pipeline_work.py").write_text(PIPELINE)
        (root / "test_work.py").write_text(TEST)
        (root / "zenrun.toml").write_text("[tool.zenrun]\n")
        results = {kind: _run(root, kind, args.rounds) for kind in ("plain", "zenrun", "pytest")}
    plain = results["plain"]
    print(f"a workload's own time, ms, best of {args.rounds} (python {sys.version.split()[0]})")
    print(f"{'workload':<14} {'plain':>8} {'zenrun':>16} {'pytest':>16}")
    for name, base in plain.items():
        cells = [
            f"{results[k][name] * 1e3:8.1f} ×{results[k][name] / base:5.2f}" for k in ("zenrun", "pytest")
        ]
        print(f"{name:<14} {base * 1e3:8.1f} {cells[0]:>16} {cells[1]:>16}")


if __name__ == "__main__":
    main()
