"""Search figures, measured by hand (not part of the test-suite): zenrun studies vs plain Optuna.

    python benchmarks/bench_search.py                       # every scenario
    python benchmarks/bench_search.py overhead shared prune # some of them
    python benchmarks/bench_search.py --trials 100          # a shorter overhead study

Each zenrun measurement is a real ``python -m zenrun -q`` process in a fresh
temporary project with its own store, timed from the outside (wall). See
``benchmarks/README.md`` for what each scenario means.

* overhead: 200 trials of one step returning a function of two parameters.
  zenrun's cost per trial is (wall of the study - wall of a 1-trial study) /
  (trials - 1), so the process start and the collection are left out; plain
  Optuna is ``study.optimize`` with the same seeded sampler, in memory. The
  same step parametrized over 200 values (no search) gives zenrun's own cost
  per item, which a trial pays too. Best of ``--repeat`` runs each.
* shared: 32 trials where a 1 s data step feeds a 0.2 s train step, local
  and ``-n 2``; the data step's run count is read from the store. The
  speed-up is that of the study itself (first trial's start to last trial's
  end, from the store); the wall figures add the interpreter, imports,
  collection and the workers' start. The data step runs alone first, so the
  best -n 2 can do is (1 + 6.4) / (1 + 3.2) = 1.76.
* prune: a train step reporting 20 intermediate values (20 ms each), median
  pruner vs none; the best trial of each.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGETS = {
    "overhead per trial vs optuna (ms)": ("<=", 5.0),
    "shared: speed-up -n 2": (">=", 1.7),
    "prune: time pruned / unpruned": ("<=", 0.5),
}

TRIVIAL = """
    import zenrun
    from zenrun import pipeline, step

    @step
    def objective(x: float, y: float) -> float:
        return -((x - 2) ** 2) - (y + 1) ** 2

    @zenrun.mark.search(
        {{"x": zenrun.search.float(-10, 10), "y": zenrun.search.float(-10, 10)}},
        trials={trials}, metric="objective", sampler="{sampler}", seed=1,
    )
    @pipeline
    def trivial(x, y):
        objective(x, y)
"""

GRID = """
    import zenrun
    from zenrun import pipeline, step

    @step
    def objective(x: float, y: float) -> float:
        return -((x - 2) ** 2) - (y + 1) ** 2

    @zenrun.mark.parametrize("x, y", [(i / 10, -i / 10) for i in range({trials})])
    @pipeline
    def trivial(x, y):
        objective(x, y)
"""

SHARED = """
    import time
    import zenrun
    from zenrun import pipeline, step

    @step
    def load_data() -> list:
        time.sleep(1.0)
        return list(range(100))

    @step
    def train(data: list, lr: float, depth: int) -> float:
        time.sleep(0.2)
        score = sum(data) / 10000 - (lr - 0.1) ** 2 - (depth - 5) ** 2 / 100
        zenrun.log_metadata(accuracy=score)
        return score

    @zenrun.mark.search(
        {"lr": zenrun.search.float(1e-3, 1.0, log=True), "depth": zenrun.search.int(1, 10)},
        trials=32, metric="accuracy", sampler="random", seed=1,
    )
    @pipeline
    def shared(lr, depth):
        train(load_data(), lr, depth)
"""

PRUNE = """
    import time
    import zenrun
    from zenrun import pipeline, step

    @step
    def load_data() -> list:
        return list(range(10))

    @step
    def train(data: list, lr: float) -> float:
        loss = 1.0
        for epoch in range(20):
            time.sleep(0.02)
            loss = (lr - 0.3) ** 2 + 1.0 / (epoch + 1)
            zenrun.report(loss, step=epoch)
        zenrun.log_metadata(loss=loss)
        return loss

    @zenrun.mark.search(
        {{"lr": zenrun.search.float(0.0, 1.0)}}, trials=40, metric="loss", direction="minimize",
        sampler="tpe", seed=1, pruner={pruner},
    )
    @pipeline
    def prune(lr):
        train(load_data(), lr)
"""


def zenrun(source: str, *args: str) -> tuple[float, Path, str]:
    project = Path(tempfile.mkdtemp(prefix="bench-search-"))
    (project / "pipeline_bench.py").write_text(textwrap.dedent(source))
    store = project / ".store"
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zenrun",
            "-q",
            "-p",
            "no:viewer",
            "-p",
            "no:mlflow",
            "--store",
            str(store),
            *args,
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"zenrun failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, store, proc.stdout


def step_runs(store: Path, step: str) -> int:
    with sqlite3.connect(store / "metadata.db") as db:
        return db.execute(
            "SELECT count(*) FROM steps WHERE step_id=? AND status='completed'", (step,)
        ).fetchone()[0]


def best_wall(source: str, repeat: int) -> float:
    return min(zenrun(source)[0] for _ in range(repeat))


def overhead(trials: int, sampler: str, repeat: int = 3) -> dict[str, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        y = trial.suggest_float("y", -10, 10)
        return -((x - 2) ** 2) - (y + 1) ** 2

    # The sampler zenrun makes for sampler="tpe" / "random" (multivariate TPE, constant liar).
    made = (
        optuna.samplers.TPESampler(seed=1, multivariate=True, constant_liar=True)
        if sampler == "tpe"
        else optuna.samplers.RandomSampler(seed=1)
    )
    plain = float("inf")
    for _ in range(repeat):
        study = optuna.create_study(direction="maximize", sampler=made)
        started = time.perf_counter()
        study.optimize(objective, n_trials=trials)
        plain = min(plain, time.perf_counter() - started)
    one = best_wall(TRIVIAL.format(trials=1, sampler=sampler), repeat)
    many = best_wall(TRIVIAL.format(trials=trials, sampler=sampler), repeat)
    per_trial = (many - one) / (trials - 1) * 1000
    per_plain = plain / trials * 1000
    grid_one = best_wall(GRID.format(trials=1), repeat)
    grid_many = best_wall(GRID.format(trials=trials), repeat)
    per_item = (grid_many - grid_one) / (trials - 1) * 1000
    return {
        f"zenrun parametrize, {trials} items, no search: ms per item": per_item,
        "search's own cost per trial, over an item's (ms)": per_trial - per_item,
        f"optuna study.optimize, {sampler}, in memory: ms per trial": per_plain,
        f"zenrun study, {sampler}: ms per trial": per_trial,
        "overhead per trial vs optuna (ms)": per_trial - per_plain,
        f"zenrun wall, {trials} trials (s)": many,
        "zenrun wall, 1 trial (s)": one,
    }


def study_span(store: Path) -> float:
    """First trial's start to last trial's finish, from the runs the store recorded."""
    with sqlite3.connect(store / "metadata.db") as db:
        start, end = db.execute("SELECT min(started), max(finished) FROM runs").fetchone()
    return float(end - start)


def shared() -> dict[str, float]:
    local, store_local, _ = zenrun(SHARED)
    parallel, store_n2, _ = zenrun(SHARED, "-n", "2")
    return {
        "shared: local wall (s)": local,
        "shared: -n 2 wall (s)": parallel,
        "shared: wall speed-up -n 2": local / parallel,
        "shared: local study, first start to last finish (s)": study_span(store_local),
        "shared: -n 2 study, first start to last finish (s)": study_span(store_n2),
        "shared: speed-up -n 2": study_span(store_local) / study_span(store_n2),
        "shared: data step runs, local": step_runs(store_local, "load_data"),
        "shared: data step runs, -n 2": step_runs(store_n2, "load_data"),
    }


def best(stdout: str) -> str:
    row = next((line for line in stdout.splitlines() if line.startswith("*")), "")
    return re.sub(r"\s+", " ", row)


def prune() -> dict[str, float | str]:
    unpruned, store_u, out_u = zenrun(PRUNE.format(pruner="None"))
    pruned, store, out_p = zenrun(PRUNE.format(pruner="'median'"))
    with sqlite3.connect(store / "metadata.db") as db:
        count = db.execute("SELECT count(*) FROM runs WHERE status='pruned'").fetchone()[0]
    return {
        "prune: unpruned wall (s)": unpruned,
        "prune: median-pruned wall (s)": pruned,
        "prune: wall pruned / unpruned": pruned / unpruned,
        "prune: unpruned study, first start to last finish (s)": study_span(store_u),
        "prune: pruned study, first start to last finish (s)": study_span(store),
        "prune: time pruned / unpruned": study_span(store) / study_span(store_u),
        "prune: trials pruned (of 40)": count,
        "prune: best unpruned": best(out_u),
        "prune: best pruned": best(out_p),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["overhead", "shared", "prune"])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--sampler", default="tpe", choices=["tpe", "random"])
    parser.add_argument("--repeat", type=int, default=3, help="overhead: best of N runs of each")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, float | str] = {}
    for name in args.scenarios:
        if name == "overhead":
            figures.update(overhead(args.trials, args.sampler, args.repeat))
        elif name == "shared":
            figures.update(shared())
        elif name == "prune":
            figures.update(prune())
        else:
            raise SystemExit(f"unknown scenario {name!r}: overhead, shared, prune")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        target = TARGETS.get(key)
        mark = ""
        if target is not None and isinstance(value, float):
            ok = value <= target[1] if target[0] == "<=" else value >= target[1]
            mark = f"  (target {target[0]} {target[1]}: {'met' if ok else 'NOT met'})"
        print(f"{key.ljust(width)}  {shown}{mark}")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
