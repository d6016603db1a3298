"""zenrunner: in-process vs subprocess runs of a small project (run by hand).

    python benchmarks/bench_zenrunner_inprocess.py [N]

Prints the mean wall time of N runs of each mode and the speed-up.
"""

import sys
import tempfile
import time
from pathlib import Path

from zenrun.testing import ZenrunProject

SOURCE = """
import zenrun
from zenrun import step, pipeline

@step
def one() -> int:
    return 1

@step
def add(x: int, y: int) -> int:
    return x + y

@zenrun.mark.parametrize("y", [1, 2, 3])
@pipeline
def small(y):
    add(one(), y)
"""


def measure(project: ZenrunProject, inprocess: bool, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        result = project.run("--no-cache", inprocess=inprocess)
        assert result.ret == 0, result.stdout
    return (time.perf_counter() - started) / n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        project = ZenrunProject(Path(tmp))
        project.makepyfile(pipeline_small=SOURCE)
        project.run(inprocess=True)  # warm imports, as a test session would have them
        sub = measure(project, False, n)
        inproc = measure(project, True, n)
    print(f"small project (3 items, 6 steps), mean of {n} runs:")
    print(f"  subprocess: {sub * 1000:8.1f} ms")
    print(f"  in-process: {inproc * 1000:8.1f} ms")
    print(f"  speed-up:   {sub / inproc:8.1f}x")


if __name__ == "__main__":
    main()
