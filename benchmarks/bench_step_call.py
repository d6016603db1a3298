"""Cost of the ``zenrun_step_call`` hook per step: a 2000-step pipeline run with no
step-call plugin (direct call), with one wrapper, and with one wrapper on ``-n 2``.

    python benchmarks/bench_step_call.py

Prints the wall time of ``zenrun --no-cache`` (best of 3) and the per-step
difference; the run itself is the same in all cases.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

STEPS = 2000
PIPELINE = f"""
from zenrun import pipeline, step

@step
def inc(x: int) -> int:
    return x + 1

@pipeline
def chain():
    x = inc(0)
    for _ in range({STEPS - 1}):
        x = inc(x)
"""
WRAPPER = """
import zenrun

@zenrun.hookimpl(wrapper=True)
def zenrun_step_call(step_run, call):
    return (yield)
"""


def timed(project: Path, *args: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "zenrun", "--no-cache", "-q", *args],
            cwd=project,
            check=True,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "zenrun.toml").write_text("")
        (project / "pipeline_chain.py").write_text(textwrap.dedent(PIPELINE))
        (project / "wrapper_plugin.py").write_text(textwrap.dedent(WRAPPER))
        plain = timed(project)
        wrapped = timed(project, "-p", "wrapper_plugin")
        print(f"{STEPS} steps, no step-call plugin: {plain:.2f}s")
        print(
            f"{STEPS} steps, one wrapper:         {wrapped:.2f}s "
            f"({(wrapped - plain) / STEPS * 1e6:+.0f} us/step)"
        )
        pooled = timed(project, "-p", "wrapper_plugin", "-n", "2")
        print(f"{STEPS} steps, one wrapper, -n 2:   {pooled:.2f}s")


if __name__ == "__main__":
    main()
