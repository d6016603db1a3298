"""zenrun performance figures, measured by hand (not part of the test-suite).

    python benchmarks/bench.py              # every scenario
    python benchmarks/bench.py chain fanout # some of them
    python benchmarks/bench.py --steps 200  # a smaller chain / fan-out

Each scenario runs in a fresh Python process with a fresh temporary store
(``ZENRUN_STORE``), so memoized fingerprints, open connections and warm
imports of one scenario never flatter another. Timings use
``time.perf_counter``; see ``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("dash", "dask", "distributed", "sklearn")
TARGETS = {  # issue 2, point 10
    "chain_overhead_ms": 1.0,
    "chain_cached_s": 0.3,
    "import_ms": 15.0,
    "startup_ms": 100.0,
}


# ---------------------------------------------------------------------------
# Workers: run in a child process, print one JSON line
# ---------------------------------------------------------------------------


def _quiet_logging() -> None:
    import logging

    logger = logging.getLogger("zenrun")
    logger.addHandler(logging.NullHandler())  # ensure_api_logging adds none then
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def _step_fn_seconds(fn, n: int, arg) -> float:
    """What ``n`` calls of the plain step function cost, outside zenrun."""
    started = time.perf_counter()
    value = arg
    for _ in range(n):
        value = fn(value)
    return time.perf_counter() - started


def worker_chain(n: int) -> dict:
    """(a) a cold run of an ``n``-step chain, then (b) a fully cached rerun."""
    _quiet_logging()
    from zenrun import pipeline, step

    @step
    def source() -> int:
        return 0

    @step
    def inc(x: int) -> int:
        return x + 1

    @pipeline
    def chain():
        value = source()
        for _ in range(n - 1):
            value = inc(value)

    fn_s = _step_fn_seconds(inc.fn, n, 0)

    # The session starts with the first run of the process (configuration, plugins, opening
    # the stores): timed apart, on a one-step pipeline, so that cold_s is the steps' cost.
    @pipeline
    def session():
        source()

    started = time.perf_counter()
    assert session().run().status == "completed"
    session_s = time.perf_counter() - started

    started = time.perf_counter()
    composed = chain().compose()
    compose_s = time.perf_counter() - started

    started, cpu = time.perf_counter(), time.process_time()
    cold = chain().run()
    cold_s, cold_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    assert cold.status == "completed", cold.status

    started, cpu = time.perf_counter(), time.process_time()
    cached = chain().run()
    cached_s, cached_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    assert cached.status == "completed", cached.status
    statuses = [s.status for s in cached.steps.values()]

    # Everything persisted: read the records and the last artifact back.
    from zenrun import get_pipeline

    runs = get_pipeline("chain").runs
    last = runs[0].steps[list(composed.invocations)[-1]]
    return {
        "steps": len(composed.invocations),
        "session_s": session_s,
        "compose_s": compose_s,
        "step_fn_s": fn_s,
        "cold_s": cold_s,
        "cached_s": cached_s,
        "cold_cpu_s": cold_cpu_s,
        "cached_cpu_s": cached_cpu_s,
        "cached_hits": statuses.count("cached"),
        "recorded_runs": len(runs),
        "recorded_steps": len(runs[0].steps),
        "last_value": last.output.read(),
    }


def worker_fanout(n: int) -> dict:
    """(c) one source, ``n`` steps each consuming it, one step gathering them all."""
    _quiet_logging()
    import zenrun
    from zenrun import pipeline, step

    @step
    def source() -> int:
        return 0

    @step
    def work(x: int, i: int) -> int:
        return x + i

    @step
    def total(values: list) -> int:
        return sum(values)

    @pipeline
    def fanout():
        value = source()
        for i in range(n):
            work(value, i, id=f"work-{i}")
        total(zenrun.gather(prefix="work-"))

    started = time.perf_counter()
    cold = fanout().run()
    cold_s = time.perf_counter() - started
    assert cold.status == "completed", cold.status

    started = time.perf_counter()
    cached = fanout().run()
    cached_s = time.perf_counter() - started
    total_value = cold.steps["total"].output.read()
    assert total_value == n * (n - 1) // 2, total_value
    return {
        "steps": len(cold.steps),
        "cold_s": cold_s,
        "cached_s": cached_s,
        "cached_hits": sum(s.status == "cached" for s in cached.steps.values()),
    }


WORKERS = {"chain": worker_chain, "fanout": worker_fanout}


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


def run_worker(name: str, n: int, repeat: int = 1) -> dict:
    """Run scenario ``name`` ``repeat`` times; each timing is the best, ``*_median`` the median."""
    results = [_run_worker_once(name, n) for _ in range(repeat)]
    best = dict(results[0])
    for key in results[0]:
        if key.endswith("_s"):
            values = sorted(r[key] for r in results)
            best[key] = values[0]
            best[key[:-2] + "_median_s"] = statistics.median(values)
    best["repeat"] = repeat
    return best


def _run_worker_once(name: str, n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"zenrun-bench-{name}-") as tmp:
        env = {**_bytecode_env(), "ZENRUN_STORE": str(Path(tmp) / "store")}
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--steps", str(n)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"worker {name} failed:\n{proc.stdout}\n{proc.stderr}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def zenrun_cli() -> list[str]:
    exe = shutil.which("zenrun")
    return [exe] if exe else [sys.executable, "-m", "zenrun"]


def bench_digits() -> dict:
    """(d) the digits pipeline through the CLI, cold then cached."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-digits-") as tmp:
        command = [*zenrun_cli(), "pipelines/pipeline_digits.py", "--store", str(Path(tmp) / "store")]
        for label in ("cold", "cached"):
            started = time.perf_counter()
            proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
            out[f"{label}_s"] = time.perf_counter() - started
            if proc.returncode != 0:
                raise SystemExit(f"digits ({label}) failed:\n{proc.stdout}\n{proc.stderr}")
            match = re.search(r"passed in ([0-9.]+)s", proc.stdout)
            out[f"{label}_session_s"] = float(match.group(1)) if match else None
            # the results table: pipeline  duration  cached(k/n)  metrics
            match = re.search(r"^pipeline_digits\s+([0-9.]+)s\s+(\d+)/(\d+)", proc.stdout, re.M)
            out[f"{label}_run_s"] = float(match.group(1)) if match else None
            out[f"{label}_cached_steps"] = int(match.group(2)) if match else None
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import sklearn.svm, sklearn.datasets, sklearn.model_selection"], check=True
    )
    out["sklearn_import_s"] = time.perf_counter() - started
    return out


_IMPORT_PROBE = """
import sys, time
t = time.perf_counter()
{stmt}
dt = time.perf_counter() - t
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print(dt, ",".join(heavy))
"""


def _bytecode_env() -> dict[str, str]:
    """The environment with bytecode caching on, as users have it (a sandbox that sets
    PYTHONDONTWRITEBYTECODE recompiles every module at every start-up)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _median_wall_ms(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``command``, in ms: on a busy
    machine the CPU time shows what the command costs, the wall time what it waited too."""
    import resource

    env, times, cpus = _bytecode_env(), [], []
    subprocess.run(command, capture_output=True, check=True, cwd=REPO, env=env)  # writes the .pyc files
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=REPO, env=env)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times) * 1000, statistics.median(cpus) * 1000


def bench_imports(repeat: int = 11) -> dict:
    """(e) ``import zenrun`` inside a fresh interpreter, ``zenrun --version`` and ``--help``
    wall time: medians of ``repeat`` runs, bytecode cached."""
    out: dict = {}
    for label, stmt in (
        ("import", "import zenrun"),
        ("import_api", "import zenrun\nfrom zenrun import step, pipeline, StepConfig"),
    ):
        times, heavy = [], set()
        for _ in range(repeat + 1):
            proc = subprocess.run(
                [sys.executable, "-c", _IMPORT_PROBE.format(stmt=stmt, heavy=HEAVY)],
                capture_output=True,
                text=True,
                cwd=REPO,
                check=True,
                env=_bytecode_env(),
            )
            seconds, _, mods = proc.stdout.strip().partition(" ")
            times.append(float(seconds))
            heavy |= set(filter(None, mods.split(",")))
        out[f"{label}_ms"] = statistics.median(times[1:]) * 1000
        out[f"{label}_heavy"] = sorted(heavy)

    out["version_ms"], out["version_cpu_ms"] = _median_wall_ms([*zenrun_cli(), "--version"], repeat)
    out["help_ms"], out["help_cpu_ms"] = _median_wall_ms([*zenrun_cli(), "--help"], repeat)
    # Which modules `zenrun --help` imports, from the interpreter's own import log.
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "zenrun", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    out["help_heavy"] = sorted(imported & set(HEAVY))
    out["python_startup_ms"], out["python_startup_cpu_ms"] = _median_wall_ms(
        [sys.executable, "-c", "pass"], repeat
    )
    return out


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return "ok" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        default=["chain", "fanout", "digits", "imports"],
        help="chain, fanout, digits, imports (default: all)",
    )
    parser.add_argument("--steps", type=int, default=1000, help="chain length / fan-out width")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the chain and fan-out scenarios; the best is shown (default 3)",
    )
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.steps)))
        return

    n = args.steps
    rows: list[tuple[str, str, str]] = []
    raw: dict = {}

    def row(label: str, value: str, target: str = "") -> None:
        rows.append((label, value, target))

    def med(r: dict, key: str, scale: float = 1.0, unit: str = "s", digits: int = 3) -> str:
        """The median of the repeats, next to the best."""
        if r.get("repeat", 1) <= 1:
            return ""
        return f"(median {r[key[:-2] + '_median_s'] * scale:.{digits}f} {unit})"

    if "chain" in args.scenarios:
        c = raw["chain"] = run_worker("chain", n, args.repeat)
        per_step = 1000 / c["steps"]
        overhead_ms = (c["cold_s"] - c["step_fn_s"]) * per_step
        c["overhead_ms"] = overhead_ms
        t = TARGETS["chain_overhead_ms"]
        row("(a) session start: first run of the process (1 step)", f"{c['session_s']:.3f} s")
        row(f"    chain of {c['steps']} steps, cold: total", f"{c['cold_s']:.3f} s", med(c, "cold_s"))
        row("    of which composing the graph", f"{c['compose_s']:.3f} s")
        row("    the step functions themselves", f"{c['step_fn_s'] * 1000:.3f} ms")
        row("    CPU time of the process (all threads)", f"{c['cold_cpu_s']:.3f} s", med(c, "cold_cpu_s"))
        row(
            "    framework overhead per step",
            f"{overhead_ms:.3f} ms",
            f"<= {t} ms {_verdict(overhead_ms, t)} " + med(c, "cold_s", per_step, "ms"),
        )
        t = TARGETS["chain_cached_s"]
        row(
            f"(b) chain, fully cached rerun ({c['cached_hits']} hits)",
            f"{c['cached_s']:.3f} s",
            f"<= {t} s {_verdict(c['cached_s'], t)} " + med(c, "cached_s"),
        )
        row("    per step", f"{c['cached_s'] * per_step:.3f} ms")
        row("    CPU time of the process (all threads)", f"{c['cached_cpu_s']:.3f} s", med(c, "cached_cpu_s"))
    if "fanout" in args.scenarios:
        f = raw["fanout"] = run_worker("fanout", n, args.repeat)
        row(f"(c) fan-out {n} + gather ({f['steps']} steps), cold", f"{f['cold_s']:.3f} s", med(f, "cold_s"))
        row("    per step", f"{f['cold_s'] / f['steps'] * 1000:.3f} ms")
        row(f"    fully cached rerun ({f['cached_hits']} hits)", f"{f['cached_s']:.3f} s", med(f, "cached_s"))
    if "digits" in args.scenarios:
        d = raw["digits"] = bench_digits()
        for label in ("cold", "cached"):
            row(
                f"(d) digits via CLI, {label}: wall",
                f"{d[label + '_s']:.3f} s",
                f"({d[label + '_cached_steps']} of 3 steps cached; svc_trainer never is)",
            )
            row("    session (collect + run), as zenrun reports", f"{d[label + '_session_s']:.2f} s")
            row("    the run itself (runs table)", f"{d[label + '_run_s']:.2f} s")
        row("    for reference: importing sklearn alone", f"{d['sklearn_import_s']:.3f} s")
    if "imports" in args.scenarios:
        i = raw["imports"] = bench_imports()
        t = TARGETS["import_ms"]
        row(
            "(e) import zenrun (median of 11)",
            f"{i['import_ms']:.1f} ms",
            f"<= {t:.0f} ms {_verdict(i['import_ms'], t)}",
        )
        row("    + from zenrun import step, pipeline, StepConfig", f"{i['import_api_ms']:.1f} ms")
        t = TARGETS["startup_ms"]
        for option in ("version", "help"):
            ms = i[f"{option}_ms"]
            row(
                f"(e) zenrun --{option} wall (median of 11)",
                f"{ms:.1f} ms",
                f"<= {t:.0f} ms {_verdict(ms, t)} (CPU {i[option + '_cpu_ms']:.1f} ms)",
            )
        row(
            "    bare python startup, for reference",
            f"{i['python_startup_ms']:.1f} ms",
            f"(CPU {i['python_startup_cpu_ms']:.1f} ms)",
        )
        heavy = sorted(set(i["import_heavy"]) | set(i["import_api_heavy"]) | set(i["help_heavy"]))
        row(
            "    dash/dask/distributed/sklearn imported",
            ", ".join(heavy) or "none",
            "none " + ("ok" if not heavy else "MISSED"),
        )

    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(
        f"zenrun benchmark  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"chain/fan-out: best of {args.repeat})"
    )
    print("-" * (width + vwidth + 24))
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:>{vwidth}}  {target}")
    if args.json:
        print(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
