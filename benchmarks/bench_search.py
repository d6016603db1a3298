"""Search figures, measured by hand (not part of the test-suite): zenrun studies vs plain Optuna.

    python benchmarks/bench_search.py                       # every scenario
    python benchmarks/bench_search.py overhead shared prune # some of them
    python benchmarks/bench_search.py --trials 100          # a shorter overhead study

Each zenrun measurement is a real ``python -m zenrun -q`` process in a fresh
temporary project with its own store, timed from the outside (wall). See
``benchmarks/README.md`` for what each scenario means.

* overhead: 200 trials of one step returning a function of two parameters.
  zenrun's cost per trial is the slope (wall of the study - wall of a 1-trial
  study) / (trials - 1), so the process start, the imports, the collection and
  the closing table are left out; plain Optuna is ``study.optimize`` with the
  same seeded sampler, in memory, in this process (after one warm-up study:
  its lazy imports are not counted). The same step parametrized over 200
  values (no search) gives zenrun's own cost per item, which a trial pays too.
  Each of the ``--repeat`` rounds runs the five measurements one after the
  other, so that the machine's load weighs on them alike; the figures are the
  median and the best of the rounds, with the CPU time (user + system) of the
  zenrun processes next to their wall time.
* shared: 32 trials where a 1 s data step feeds a 0.2 s train step, local
  and ``-n 2``; the data step's run count is read from the store. The
  speed-up is that of the study itself (first trial's start to last trial's
  end, from the store); the wall figures add the interpreter, imports,
  collection and the workers' start. The data step runs alone first, so the
  best -n 2 can do is (1 + 6.4) / (1 + 3.2) = 1.76.
* prune: 40 trials of a train step of 20 epochs (20 ms of work each, then
  ``zenrun.report`` of the epoch's loss), median pruner vs none. The sampler
  is seeded random search, so both studies evaluate the same 40 learning
  rates and the same best trial; ``prune-tpe`` runs the same with TPE, whose
  trials depend on what was pruned.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGETS = {
    "overhead per trial vs optuna (ms)": ("<=", 5.0),
    "shared: speed-up -n 2": (">=", 1.7),
    "prune (random): time pruned / unpruned": ("<=", 0.5),
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
        sampler="{sampler}", seed=1, pruner={pruner},
    )
    @pipeline
    def prune(lr):
        train(load_data(), lr)
"""


def zenrun(source: str, *args: str) -> tuple[float, Path, str, float]:
    """Wall time, store, output and CPU time (user + system) of one ``zenrun -q`` process."""
    project = Path(tempfile.mkdtemp(prefix="bench-search-"))
    (project / "pipeline_bench.py").write_text(textwrap.dedent(source))
    store = project / ".store"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"zenrun failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, store, proc.stdout, cpu


def step_runs(store: Path, step: str) -> int:
    with sqlite3.connect(store / "metadata.db") as db:
        return db.execute(
            "SELECT count(*) FROM steps WHERE step_id=? AND status='completed'", (step,)
        ).fetchone()[0]


def overhead(trials: int, sampler: str, repeat: int = 5) -> dict[str, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        y = trial.suggest_float("y", -10, 10)
        return -((x - 2) ** 2) - (y + 1) ** 2

    def plain() -> tuple[float, float]:
        # The sampler zenrun makes for sampler="tpe" / "random" (multivariate TPE, constant liar).
        made = (
            optuna.samplers.TPESampler(seed=1, multivariate=True, constant_liar=True)
            if sampler == "tpe"
            else optuna.samplers.RandomSampler(seed=1)
        )
        study = optuna.create_study(direction="maximize", sampler=made)
        started, cpu = time.perf_counter(), time.process_time()
        study.optimize(objective, n_trials=trials)
        return (time.perf_counter() - started) / trials * 1000, (time.process_time() - cpu) / trials * 1000

    plain()  # warm-up: Optuna's and NumPy's lazy imports are not a trial's cost
    rounds: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        rounds.setdefault(key, []).append(value)

    for _ in range(repeat):
        wall_plain, cpu_plain = plain()
        one = zenrun(TRIVIAL.format(trials=1, sampler=sampler))
        many = zenrun(TRIVIAL.format(trials=trials, sampler=sampler))
        grid_one = zenrun(GRID.format(trials=1))
        grid_many = zenrun(GRID.format(trials=trials))
        per_trial = (many[0] - one[0]) / (trials - 1) * 1000
        cpu_trial = (many[3] - one[3]) / (trials - 1) * 1000
        per_item = (grid_many[0] - grid_one[0]) / (trials - 1) * 1000
        add(f"optuna study.optimize, {sampler}, in memory: ms per trial", wall_plain)
        add(f"zenrun study, {sampler}: ms per trial", per_trial)
        add("overhead per trial vs optuna (ms)", per_trial - wall_plain)
        add(f"zenrun parametrize, {trials} items, no search: ms per item", per_item)
        add("search's own cost per trial, over an item's (ms)", per_trial - per_item)
        add("CPU: optuna ms per trial", cpu_plain)
        add("CPU: zenrun study ms per trial", cpu_trial)
        add("CPU: overhead per trial vs optuna (ms)", cpu_trial - cpu_plain)
        add("CPU: zenrun parametrize ms per item", (grid_many[3] - grid_one[3]) / (trials - 1) * 1000)
        add(f"zenrun wall, {trials} trials (s)", many[0])
        add("zenrun wall, 1 trial (s)", one[0])
    return _median_and_best(rounds, repeat)


def _median_and_best(rounds: dict[str, list[float]], repeat: int) -> dict[str, float]:
    """Each figure's median over the rounds (the target applies to it), then its best round."""
    figures: dict[str, float] = {}
    for key, values in rounds.items():
        figures[key] = statistics.median(values)
        figures[f"{key} [best of {repeat}]"] = min(values)
    return figures


def study_span(store: Path) -> float:
    """First trial's start to last trial's finish, from the runs the store recorded."""
    with sqlite3.connect(store / "metadata.db") as db:
        start, end = db.execute("SELECT min(started), max(finished) FROM runs").fetchone()
    return float(end - start)


def shared() -> dict[str, float]:
    local, store_local, _, _ = zenrun(SHARED)
    parallel, store_n2, _, _ = zenrun(SHARED, "-n", "2")
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


def trial_times(store: Path, status: str) -> float:
    """Mean duration (ms) of the trials that ended ``status``, from the runs table."""
    with sqlite3.connect(store / "metadata.db") as db:
        mean = db.execute("SELECT avg(finished - started) FROM runs WHERE status=?", (status,)).fetchone()[0]
    return float(mean or 0.0) * 1000


def prune(sampler: str, repeat: int) -> dict[str, float | str]:
    """The same study with and without the median pruner, ``repeat`` rounds, interleaved."""
    name = f"prune ({sampler})"
    rounds: dict[str, list[float]] = {}
    shown: dict[str, str] = {}
    for _ in range(repeat):
        unpruned, store_u, out_u, _ = zenrun(PRUNE.format(pruner="None", sampler=sampler))
        pruned, store, out_p, _ = zenrun(PRUNE.format(pruner="'median'", sampler=sampler))
        with sqlite3.connect(store / "metadata.db") as db:
            count = db.execute("SELECT count(*) FROM runs WHERE status='pruned'").fetchone()[0]
        for key, value in {
            f"{name}: unpruned wall (s)": unpruned,
            f"{name}: median-pruned wall (s)": pruned,
            f"{name}: wall pruned / unpruned": pruned / unpruned,
            f"{name}: unpruned study, first start to last finish (s)": study_span(store_u),
            f"{name}: pruned study, first start to last finish (s)": study_span(store),
            f"{name}: time pruned / unpruned": study_span(store) / study_span(store_u),
            f"{name}: a completed trial (ms)": trial_times(store_u, "completed"),
            f"{name}: a pruned trial (ms)": trial_times(store, "pruned"),
            f"{name}: trials pruned (of 40)": float(count),
        }.items():
            rounds.setdefault(key, []).append(value)
        shown[f"{name}: best unpruned"] = best(out_u)
        shown[f"{name}: best pruned"] = best(out_p)
    return {**_median_and_best(rounds, repeat), **shown}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["overhead", "shared", "prune", "prune-tpe"])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--sampler", default="tpe", choices=["tpe", "random"])
    parser.add_argument("--repeat", type=int, default=5, help="overhead: rounds (median and best)")
    parser.add_argument("--prune-repeat", type=int, default=1, help="prune: rounds (median and best)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, float | str] = {}
    for name in args.scenarios:
        if name == "overhead":
            figures.update(overhead(args.trials, args.sampler, args.repeat))
        elif name == "shared":
            figures.update(shared())
        elif name == "prune":
            figures.update(prune("random", args.prune_repeat))
        elif name == "prune-tpe":
            figures.update(prune("tpe", args.prune_repeat))
        else:
            raise SystemExit(f"unknown scenario {name!r}: overhead, shared, prune, prune-tpe")
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
