"""Parallel figures, measured by hand (not part of the test-suite): local vs -n vs Dask.

    python benchmarks/bench_parallel.py                  # every scenario
    python benchmarks/bench_parallel.py sleep cpu        # some: sleep, cpu, grid, trivial
    python benchmarks/bench_parallel.py --steps 200      # fewer trivial steps
    python benchmarks/bench_parallel.py project shared   # the example project; a shared data step

Each measurement is a real ``python -m zenrun`` process in a fresh temporary
project with its own store. *session* is the time zenrun prints in its
closing line (collection, worker or cluster start, every run); *runs* is the
sum of the recorded run durations, or, for items run together, first start to
last finish. See ``benchmarks/README.md`` for what each scenario means.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGETS = {  # issue 8
    "sleep -n 8": ("<=", 1.1),
    "sleep dask": ("<=", 2.5),
    "cpu speed-up -n 2": (">=", 1.7),
    "grid speed-up -n 2": (">=", 1.7),
    "cached rerun -n 2 / local": ("<=", 1.2),
    # issue 22
    "project cold -n 2 / local": ("<=", 1.1),
    "project cached -n 2 / local": ("<=", 1.1),
    "project no-cache -n 2 / local": ("<=", 1.1),
    "shared step runs -n 2": ("<=", 1),
}

REPO = Path(__file__).resolve().parent.parent

SLEEP = """
    import time
    from zenrun import gather, pipeline, step

    @step(enable_cache=False)
    def nap(i: int) -> int:
        time.sleep(1)
        return i

    @step(enable_cache=False)
    def add(values: list) -> int:
        return sum(values)

    @pipeline
    def sleepers():
        add([nap(i) for i in range(8)])
"""

CPU = """
    from zenrun import pipeline, step

    LOOPS = {loops}

    def burn(seed: int) -> int:
        total = seed
        for i in range(LOOPS):
            total = (total * 31 + i) % 1000003
        return total

    @step(enable_cache=False)
    def crunch(seed: int) -> int:
        return burn(seed)

    @step(enable_cache=False)
    def combine(values: list) -> int:
        return sum(values)

    @pipeline
    def cpu_bound():
        combine([crunch(i) for i in range(4)])
"""

GRID = """
    import zenrun
    from zenrun import pipeline, step

    LOOPS = {loops}

    @step(enable_cache=False)
    def train(seed: int) -> int:
        total = seed
        for i in range(LOOPS):
            total = (total * 31 + i) % 1000003
        return total

    @zenrun.mark.parametrize("seed", list(range(8)))
    @pipeline
    def grid(seed):
        train(seed)
"""

TRIVIAL = """
    from zenrun import pipeline, step

    @step
    def tiny(i: int) -> int:
        return i + 1

    @pipeline
    def many():
        for i in range({steps}):
            tiny(i)
"""

SHARED = """
    import os, time
    import zenrun
    from zenrun import pipeline, step

    LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loads.log")

    @step
    def load() -> list:
        with open(LOG, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        time.sleep(1)
        return list(range(1000))

    @step(enable_cache=False)
    def train(data: list, c: int) -> int:
        time.sleep(0.1)
        return sum(data) * c

    @zenrun.mark.parametrize("c", list(range(8)))
    @pipeline
    def shared(c):
        train(load(), c)
"""

RUNS = """
import json, sys
from zenrun.metadata.sqlite import SqliteMetadataStore
runs = SqliteMetadataStore(__import__("pathlib").Path(".zenrun/metadata.db")).get_runs()
runs = runs[-int(sys.argv[1]):]
print(json.dumps({"sum": sum(r.duration for r in runs),
                  "span": max(r.finished for r in runs) - min(r.started for r in runs)}))
"""


def calibrate(seconds: float) -> int:
    """Loop count of ``burn`` taking about ``seconds`` of CPU here."""
    loops, total = 200_000, 0
    started = time.perf_counter()
    for i in range(loops):
        total = (total * 31 + i) % 1000003
    per_loop = (time.perf_counter() - started) / loops
    return int(seconds / per_loop)


def run_zenrun(project: Path, *args: str) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "zenrun", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"zenrun {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    session = float(re.findall(r" in ([0-9.]+)s", proc.stdout)[-1])
    return {"wall": wall, "session": session}


def example_project() -> Path:
    """A copy of the repository's example project (``pipelines/``, ``conftest.py``)."""
    path = Path(tempfile.mkdtemp(prefix="zenrun-bench-project-"))
    shutil.copytree(REPO / "pipelines", path / "pipelines")
    shutil.copy(REPO / "conftest.py", path / "conftest.py")
    (path / "pyproject.toml").write_text(
        '[tool.zenrun]\npipelinepaths = ["pipelines"]\npython_files = ["pipeline_*.py"]\n'
        'markers = ["slow: slow", "sklearn: needs scikit-learn"]\n'
    )
    return path


def timed(project: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its children: zygote, workers) of one session."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run_zenrun(project, *args)["wall"]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure_project(repeats: int) -> dict[str, dict[str, list[float]]]:
    """The example project, local and -n 2 interleaved: cold (a fresh store), cached (the
    same command again) and no-cache (every step runs, the store has seen them), each
    ``repeats`` times."""
    modes = {"local": [], "-n 2": ["-n", "2"]}
    figures: dict[str, dict[str, list[float]]] = {}
    path = example_project()
    for _ in range(repeats):
        for mode, args in modes.items():
            shutil.rmtree(path / ".zenrun", ignore_errors=True)
            for phase, extra in (("cold", []), ("cached", []), ("no-cache", ["--no-cache"])):
                wall, cpu = timed(path, "pipelines/", *args, *extra)
                entry = figures.setdefault(f"{phase} {mode}", {"wall": [], "cpu": []})
                entry["wall"].append(wall)
                entry["cpu"].append(cpu)
    return figures


def measure_shared() -> dict[str, dict]:
    """8 cells sharing a 1 s data step: how many times it ran, local and under -n 2."""
    figures = {}
    for name, args in {"local": [], "-n 2": ["-n", "2"]}.items():
        path = project(SHARED)
        first = run_zenrun(path, *args)
        first.update(recorded(path, 8))
        first["load runs"] = len((path / "loads.log").read_text().split())
        figures[name] = first
    return figures


def recorded(project: Path, runs: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", RUNS, str(runs)], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def project(source: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="zenrun-bench-par-"))
    (path / "zenrun.toml").write_text("")
    (path / "pipeline_bench.py").write_text(textwrap.dedent(source).lstrip())
    return path


def measure(source: str, modes: dict[str, list[str]], items: int = 1, rerun: bool = False) -> dict[str, dict]:
    figures = {}
    for name, args in modes.items():
        path = project(source)
        first = run_zenrun(path, *args)
        first.update(recorded(path, items))
        if rerun:  # the same command again, 3 times: every step a cache hit; the best one
            cached = []
            for _ in range(3):
                run_zenrun(path, *args)
                cached.append(recorded(path, items)["sum"])
            first["cached_runs"] = min(cached)
        figures[name] = first
    return figures


def show(title: str, figures: dict[str, dict], key: str = "span") -> None:
    print(f"\n{title}")
    print(f"  {'mode':<22} {'wall':>7} {'session':>8} {'runs':>7}")
    for name, f in figures.items():
        print(f"  {name:<22} {f['wall']:7.2f} {f['session']:8.2f} {f[key]:7.2f}")


def verdict(name: str, value: float) -> str:
    op, target = TARGETS[name]
    ok = value <= target if op == "<=" else value >= target
    return f"  {name}: {value:.2f} (target {op} {target}) {'OK' if ok else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", default=["sleep", "cpu", "grid", "trivial"])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="project: sessions per figure")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    options = parser.parse_args()
    results: dict[str, dict] = {}
    verdicts = []

    if "sleep" in options.scenarios:
        figures = measure(
            SLEEP,
            {
                "local": [],
                "-n 8": ["-n", "8"],
                "-n 8 --dist threads": ["-n", "8", "--dist", "threads"],
                "dask -n 8": ["--orchestrator", "dask", "-n", "8"],
            },
        )
        show("8 x sleep(1) then a sum (runs: the run's duration; wall includes the cluster start)", figures)
        verdicts.append(verdict("sleep -n 8", figures["-n 8"]["span"]))
        verdicts.append(verdict("sleep dask", figures["dask -n 8"]["session"]))
        results["sleep"] = figures

    if "cpu" in options.scenarios or "grid" in options.scenarios:
        loops_09, loops_05 = calibrate(0.9), calibrate(0.5)
    if "cpu" in options.scenarios:
        figures = measure(
            CPU.format(loops=loops_09),
            {"local": [], "-n 2": ["-n", "2"], "-n 2 --dist threads": ["-n", "2", "--dist", "threads"]},
        )
        show("CPU-bound: 4 x ~0.9 s of pure Python", figures)
        verdicts.append(verdict("cpu speed-up -n 2", figures["local"]["span"] / figures["-n 2"]["span"]))
        results["cpu"] = figures

    if "grid" in options.scenarios:
        figures = measure(GRID.format(loops=loops_05), {"local": [], "-n 2": ["-n", "2"]}, items=8)
        show("A parametrized grid: 8 items x ~0.5 s of CPU (runs: first start to last finish)", figures)
        verdicts.append(verdict("grid speed-up -n 2", figures["local"]["span"] / figures["-n 2"]["span"]))
        results["grid"] = figures

    if "trivial" in options.scenarios:
        n = options.steps
        figures = measure(
            TRIVIAL.format(steps=n),
            {"local": [], "-n 2": ["-n", "2"], "dask -n 2": ["--orchestrator", "dask", "-n", "2"]},
            rerun=True,
        )
        print(f"\n{n:,} trivial independent steps")
        print(f"  {'mode':<12} {'run':>7} {'per step':>10} {'cached rerun':>13}")
        for name, f in figures.items():
            print(f"  {name:<12} {f['span']:7.2f} {1000 * f['span'] / n:8.2f}ms {f['cached_runs']:12.3f}s")
        verdicts.append(
            verdict(
                "cached rerun -n 2 / local", figures["-n 2"]["cached_runs"] / figures["local"]["cached_runs"]
            )
        )
        results["trivial"] = figures

    if "project" in options.scenarios:
        project_figures = measure_project(options.repeats)
        print(
            f"\nThe example project (pipelines/: digits, hpo[iris], hpo[breast_cancer]), {options.repeats}x"
        )
        print(f"  {'session':<18} {'wall median':>12} {'best':>7} {'cpu median':>11}")
        for name, f in project_figures.items():
            print(
                f"  {name:<18} {statistics.median(f['wall']):11.2f}s {min(f['wall']):6.2f}s "
                f"{statistics.median(f['cpu']):10.2f}s"
            )
        for phase in ("cold", "cached", "no-cache"):
            ratio = statistics.median(project_figures[f"{phase} -n 2"]["wall"]) / statistics.median(
                project_figures[f"{phase} local"]["wall"]
            )
            verdicts.append(verdict(f"project {phase} -n 2 / local", ratio))
        results["project"] = project_figures

    if "shared" in options.scenarios:
        figures = measure_shared()
        print("\n8 cells sharing a 1 s data step (then 0.1 s each): how many times the data step ran")
        print(f"  {'mode':<22} {'wall':>7} {'session':>8} {'runs':>7} {'load ran':>9}")
        for name, f in figures.items():
            print(f"  {name:<22} {f['wall']:7.2f} {f['session']:8.2f} {f['span']:7.2f} {f['load runs']:9d}")
        verdicts.append(verdict("shared step runs -n 2", figures["-n 2"]["load runs"]))
        results["shared"] = figures

    print(f"\ntargets (load average {os.getloadavg()[0]:.1f})")
    print("\n".join(verdicts))
    if options.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
