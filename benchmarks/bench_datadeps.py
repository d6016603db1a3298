"""What following the data steps read costs, measured by hand (not part of the test-suite).

    python benchmarks/bench_datadeps.py                 # every scenario (about 2 minutes)
    python benchmarks/bench_datadeps.py idle empty      # some of them
    python benchmarks/bench_datadeps.py files --files 2000

Scenarios (each in a fresh Python process, on files in a fresh temporary folder):

- idle: the audit hook installed, no step running: nanoseconds added per audited
  event (``open``; ``sys._getframe``, which ``logging`` raises on every call).
- empty: a step that reads nothing: microseconds added per step, where it runs
  (recorder set up, armed, finished) and in the driver (the record stored in the
  cache entry, described for the step record, checked at the next lookup).
- files: a step opening 10,000 small CSV files (20 rows each), plain and tracked:
  the first run (every file hashed) and a rerun (digests known, ``stat`` only);
  three step bodies: ``pd.read_csv`` of each (a small-file ingestion step), parsing
  each with ``csv``, and only reading its bytes (the worst case: nothing but opens).
  Wall time and CPU time of the process (steadier on a busy machine).
- folder: 100,000 small unchanged files in one folder, read by a step: checking the
  record at a cache lookup, against ``os.scandir`` + ``stat`` of the folder, measured
  in the same run; then one file changed (only it is hashed), one touched (a hit).
- digits: fingerprinting the digits pipeline's three steps with scikit-learn imported
  (thousands of modules in ``sys.modules``), and the route taken before
  (``inspect.getsource``, which asks ``inspect.getmodule`` to walk them).
- chain: ``bench.py``'s fully cached rerun of the 1,000-step chain.

Timings use ``time.perf_counter``; each figure is the best of ``--repeat`` tries.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {
    "idle": "no measurable cost",
    "empty_us": 5.0,
    "files_pct": 10.0,
    "folder_ratio": 2.0,
    "chain_cached_s": 0.15,
}


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


# ---------------------------------------------------------------------------
# Workers (in a child process each)
# ---------------------------------------------------------------------------


def worker_idle(args: argparse.Namespace) -> dict:
    from zenrun import datadeps

    tmp = Path(args.tmp) / "one.txt"
    tmp.write_text("x")
    path = str(tmp)
    n = 20_000

    def opens() -> None:
        for _ in range(n):
            open(path).close()

    def frames() -> None:
        getframe = sys._getframe
        for _ in range(n * 10):
            getframe()

    before = {"open": best(opens, args.repeat), "frame": best(frames, args.repeat)}
    datadeps.install()
    after = {"open": best(opens, args.repeat), "frame": best(frames, args.repeat)}
    # A workload full of audited events (imports: open, exec, compile...): fresh
    # interpreters, alternately without and with the hook installed first.
    script = (
        "import sys, time\n"
        "if sys.argv[1] == 'hook':\n"
        "    from zenrun import datadeps; datadeps.install()\n"
        "started = time.perf_counter()\n"
        "import sklearn.svm, sklearn.model_selection, pandas\n"
        "print(time.perf_counter() - started)\n"
    )
    imports: dict[str, list[float]] = {"plain": [], "hook": []}
    for _ in range(args.repeat):
        for kind in ("plain", "hook"):
            out = subprocess.run([sys.executable, "-c", script, kind], capture_output=True, text=True)
            if out.returncode == 0:
                imports[kind].append(float(out.stdout.strip().splitlines()[-1]))
    return {
        "open_ns": before["open"] / n * 1e9,
        "open_added_ns": (after["open"] - before["open"]) / n * 1e9,
        "frame_ns": before["frame"] / (n * 10) * 1e9,
        "frame_added_ns": (after["frame"] - before["frame"]) / (n * 10) * 1e9,
        "import_plain_s": min(imports["plain"]) if imports["plain"] else None,
        "import_hook_s": min(imports["hook"]) if imports["hook"] else None,
    }


class _Config:
    """The parts of a zenrun Config the data policy reads."""

    def __init__(self, root: Path) -> None:
        self.rootpath = root
        self.store_path = root / ".zenrun"
        self.ini: dict = {}
        self.inipath = None

    def getini(self, name: str):
        return []

    def getoption(self, name: str, default=None):
        return default


def worker_empty(args: argparse.Namespace) -> dict:
    from types import SimpleNamespace

    from zenrun import datadeps
    from zenrun.datacheck import DataPolicy, describe

    root = Path(args.tmp)
    policy = DataPolicy(_Config(root))
    invocation = SimpleNamespace(step=SimpleNamespace(track_reads=True, reads=(), cache_expires=None))
    tracking = policy.tracking(invocation)
    n = 20_000

    def step() -> int:
        return 1

    def plain() -> None:
        for _ in range(n):
            step()

    def tracked() -> None:
        for _ in range(n):
            recorder = datadeps.Recorder(tracking)
            with recorder:
                recorder.armed = True
                step()
                recorder.armed = False
                recorder.finish()

    data = datadeps.Recorder(tracking)
    with data:
        pass
    result = data.finish()

    def driver() -> None:
        for _ in range(n):
            entry = {"output": {"digest": "0" * 64}}
            policy.store(entry, result)
            describe(entry[datadeps.DATA_KEY])
            policy.check(invocation, "step", entry)

    datadeps.install()
    worker_s = best(tracked, args.repeat) - best(plain, args.repeat)
    driver_s = best(driver, args.repeat)
    return {"worker_us": worker_s / n * 1e6, "driver_us": driver_s / n * 1e6}


def _small_files(root: Path, n: int, folder: str, rows: int = 20) -> list[str]:
    directory = root / folder
    directory.mkdir(parents=True, exist_ok=True)
    body = "id,value,label\n" + "".join(f"{i},{i * 7},x{i}\n" for i in range(rows))
    names = [f"{folder}/f{i:06d}.csv" for i in range(n)]
    for name in names:
        with open(root / name, "w") as f:
            f.write(body)
    return names


def worker_files(args: argparse.Namespace) -> dict:
    import csv

    from zenrun import datadeps
    from zenrun.datacheck import check_record

    root = Path(args.tmp)
    names = _small_files(root, args.files, "small")
    time.sleep(datadeps.RACY_NS / 1e9 + 0.1)  # data older than the timestamp granularity
    os.chdir(root)

    def pandas_read_csv() -> int:
        import pandas as pd

        return sum(int(pd.read_csv(name)["value"].sum()) for name in names)

    def parse_csv() -> int:
        total = 0
        for name in names:
            with open(name, newline="") as f:
                reader = csv.reader(f)
                next(reader)
                total += sum(int(row[1]) for row in reader)
        return total

    def read_only() -> int:
        total = 0
        for name in names:
            with open(name, "rb") as f:
                total += len(f.read())
        return total

    tracking = datadeps.Tracking(str(root), exclude=(str(root / ".zenrun"),))

    def tracked(body, known: dict | None, trusted: frozenset = frozenset()) -> dict:
        recorder = datadeps.Recorder(
            datadeps.Tracking(**{**tracking.__dict__, "known": known, "trusted": trusted})
        )
        with recorder:
            recorder.armed = True
            body()
            recorder.armed = False
            return recorder.finish()

    def measure(fn, *fn_args):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn(*fn_args)
        return time.perf_counter() - wall, time.process_time() - cpu, result

    datadeps.install()
    import pandas  # noqa: F401  (imported before timing)

    places = datadeps.places_for(tracking.rootdir, tracking.exclude, tracking.ignore)

    out: dict = {"files": len(names)}
    bodies = [parse_csv, read_only] if args.no_pandas else [pandas_read_csv, parse_csv, read_only]
    for body in bodies:
        times: dict[str, list[tuple[float, float]]] = {"plain": [], "cold": [], "warm": [], "trusted": []}
        for _ in range(args.repeat):  # interleaved: the same load for the three
            wall, cpu, _ = measure(body)
            times["plain"].append((wall, cpu))
            datadeps._digests.clear()  # the first run of the step: every file hashed
            wall, cpu, record = measure(tracked, body, None)
            times["cold"].append((wall, cpu))
            assert record["unsafe"] is None, record["unsafe"]
            datadeps._digests.clear()  # a rerun: the digests come from the cache entry's record
            hashed = datadeps.STATS["hashed"]
            wall, cpu, again = measure(tracked, body, record["record"])
            times["warm"].append((wall, cpu))
            assert datadeps.STATS["hashed"] == hashed and again["unsafe"] is None
            # A rerun after another file changed: the lookup found these unchanged (its
            # check is not timed here), so they are not stat-ed when opened.
            unchanged: set[str] = set()
            assert check_record(record["record"], places, unchanged) == ([], False)
            datadeps._digests.clear()
            wall, cpu, again = measure(tracked, body, record["record"], frozenset(unchanged))
            times["trusted"].append((wall, cpu))
            assert datadeps.STATS["hashed"] == hashed and again["unsafe"] is None
        result = {}
        for kind, pairs in times.items():
            result[f"{kind}_s"] = min(w for w, _ in pairs)
            result[f"{kind}_cpu_s"] = min(c for _, c in pairs)
        for kind in ("cold", "warm", "trusted"):
            result[f"{kind}_pct"] = (result[f"{kind}_s"] / result["plain_s"] - 1) * 100
            result[f"{kind}_cpu_pct"] = (result[f"{kind}_cpu_s"] / result["plain_cpu_s"] - 1) * 100
        out[body.__name__] = result
    return out


def worker_folder(args: argparse.Namespace) -> dict:
    from zenrun import datadeps
    from zenrun.datacheck import check_record

    root = Path(args.tmp)
    names = _small_files(root, args.folder_files, "raw", rows=2)
    time.sleep(datadeps.RACY_NS / 1e9 + 0.1)
    os.chdir(root)

    def step() -> int:
        return sum(len(open(f"raw/{name}", "rb").read()) for name in os.listdir("raw"))

    recorder = datadeps.Recorder(datadeps.Tracking(str(root), exclude=(str(root / ".zenrun"),)))
    with recorder:
        recorder.armed = True
        step()
        recorder.armed = False
        result = recorder.finish()
    assert result["unsafe"] is None, result["unsafe"]
    record = result["record"]
    entry_json = json.dumps({datadeps.DATA_KEY: record})
    places = recorder.places

    def scandir_stat() -> None:
        with os.scandir(root / "raw") as entries:
            for entry in entries:
                entry.stat()

    def check() -> None:
        changes, _ = check_record(record, places)
        assert not changes, changes

    def decode_and_check() -> None:
        changes, _ = check_record(json.loads(entry_json)[datadeps.DATA_KEY], places)
        assert not changes

    times = {"scandir_stat": [], "check": [], "decode_and_check": []}
    for _ in range(args.repeat):  # interleaved: the same load for all three
        for name, fn in (
            ("scandir_stat", scandir_stat),
            ("check", check),
            ("decode_and_check", decode_and_check),
        ):
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    out = {k: min(v) for k, v in times.items()}
    out["files"] = len(names)
    out["entry_mb"] = len(entry_json) / 1e6

    target = root / names[len(names) // 2]
    text = target.read_bytes()
    target.write_bytes(text.replace(b"0", b"9", 1) if b"0" in text else text + b"\n")
    hashed = datadeps.STATS["hashed"]
    changes, _ = check_record(json.loads(entry_json)[datadeps.DATA_KEY], places)
    out["changed_reason"] = ", ".join(changes)
    out["changed_hashed"] = datadeps.STATS["hashed"] - hashed
    target.write_bytes(text)  # back as it was, with a new mtime: a touch
    hashed = datadeps.STATS["hashed"]
    changes, refreshed = check_record(record, places)
    out["touched_changes"] = changes
    out["touched_hashed"] = datadeps.STATS["hashed"] - hashed
    out["touched_refreshed"] = refreshed
    return out


def worker_digits(args: argparse.Namespace) -> dict:
    import importlib.util
    import inspect

    sys.path.insert(0, str(REPO))
    spec = importlib.util.spec_from_file_location(
        "pipeline_digits", REPO / "pipelines" / "pipeline_digits.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["pipeline_digits"] = module
    spec.loader.exec_module(module)
    from zenrun import cache
    from zenrun.steps import Step

    steps = [v for v in vars(module).values() if isinstance(v, Step)]
    functions = [s.fn for s in steps]

    def fingerprint() -> None:
        cache._source_memo.clear()
        cache._chain_memo.clear()
        fingerprinter = cache.Fingerprinter(rootdir=REPO)
        for fn in functions:
            assert fingerprinter.fingerprint(fn).digest

    def old_route() -> None:  # as a fresh process pays it: inspect's module maps empty
        inspect._filesbymodname.clear()
        inspect.modulesbyfile.clear()
        for fn in functions:
            inspect.getsource(fn.__code__)

    return {
        "modules": len(sys.modules),
        "steps": len(steps),
        "fingerprint_s": best(fingerprint, args.repeat),
        "getsource_s": best(old_route, args.repeat),
    }


def worker_chain(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    import bench

    result = bench.run_worker("chain", 1000, args.repeat)
    return {"cached_s": result["cached_s"], "cold_s": result["cold_s"]}


WORKERS = {
    "idle": worker_idle,
    "empty": worker_empty,
    "files": worker_files,
    "folder": worker_folder,
    "digits": worker_digits,
    "chain": worker_chain,
}


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


def run_worker(name: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"zenrun-bench-data-{name}-") as tmp:
        command = [
            sys.executable,
            __file__,
            "--worker",
            name,
            "--tmp",
            tmp,
            "--repeat",
            str(args.repeat),
            "--files",
            str(args.files),
            "--folder-files",
            str(args.folder_files),
            *(["--no-pandas"] if args.no_pandas else []),
        ]
        env = {**os.environ, "ZENRUN_STORE": str(Path(tmp) / ".zenrun"), "PYTHONPATH": str(REPO)}
        proc = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"scenario {name} failed:\n{proc.stdout}\n{proc.stderr}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(WORKERS), help=", ".join(WORKERS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--folder-files", type=int, default=100_000)
    parser.add_argument("--no-pandas", action="store_true", help="files: leave out the pandas step body")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)))
        return

    raw: dict = {}
    print(
        f"zenrun data dependencies  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {args.repeat})"
    )
    print("-" * 100)

    def row(label: str, value: str, target: str = "") -> None:
        print(f"{label:<62}{value:>18}  {target}")

    for name in args.scenarios:
        r = raw[name] = run_worker(name, args)
        if name == "idle":
            row(
                "hook idle: added per open() (of an open+close)",
                f"{r['open_added_ns']:.0f} ns",
                f"of {r['open_ns']:.0f} ns",
            )
            row(
                "hook idle: added per sys._getframe()",
                f"{r['frame_added_ns']:.0f} ns",
                f"of {r['frame_ns']:.0f} ns",
            )
            if r["import_plain_s"] and r["import_hook_s"]:
                added = (r["import_hook_s"] / r["import_plain_s"] - 1) * 100
                row(
                    "hook idle: import sklearn.svm, model_selection, pandas",
                    f"{r['import_hook_s']:.3f} s",
                    f"{added:+.1f} % (without the hook: {r['import_plain_s']:.3f} s)",
                )
        elif name == "empty":
            total = r["worker_us"] + r["driver_us"]
            ok = "ok" if total <= TARGETS["empty_us"] else "OVER"
            row("step reading nothing: added where it runs", f"{r['worker_us']:.2f} us")
            row("step reading nothing: added in the driver", f"{r['driver_us']:.2f} us")
            row("step reading nothing: total", f"{total:.2f} us", f"<= {TARGETS['empty_us']} us {ok}")
        elif name == "files":
            for body, label in (
                ("pandas_read_csv", "pd.read_csv each"),
                ("parse_csv", "parse each with csv"),
                ("read_only", "only read the bytes"),
            ):
                b = r.get(body)
                if b is None:
                    continue
                row(
                    f"{r['files']} small files, {label}: plain",
                    f"{b['plain_s'] * 1e3:.1f} ms",
                    f"cpu {b['plain_cpu_s'] * 1e3:.1f} ms",
                )
                for kind, what in (
                    ("cold", "first run (all hashed)"),
                    ("warm", "rerun (digests known)"),
                    ("trusted", "rerun, found unchanged at lookup"),
                ):
                    pct = b[f"{kind}_pct"]
                    ok = "ok" if pct <= TARGETS["files_pct"] else "over"
                    row(
                        f"    tracked, {what}",
                        f"{b[f'{kind}_s'] * 1e3:.1f} ms",
                        f"{pct:+.1f} % (cpu {b[f'{kind}_cpu_pct']:+.1f} %)  <= {TARGETS['files_pct']:.0f} %: {ok}",
                    )
        elif name == "folder":
            ratio = r["check"] / r["scandir_stat"]
            ratio_json = r["decode_and_check"] / r["scandir_stat"]
            row(f"{r['files']} unchanged files: os.scandir + stat", f"{r['scandir_stat'] * 1e3:.1f} ms")
            row(
                "    dependency check",
                f"{r['check'] * 1e3:.1f} ms",
                f"{ratio:.2f}x  (<= {TARGETS['folder_ratio']}x: {'ok' if ratio <= 2 else 'OVER'})",
            )
            row(
                f"    the same, with the entry's JSON ({r['entry_mb']:.1f} MB) decoded",
                f"{r['decode_and_check'] * 1e3:.1f} ms",
                f"{ratio_json:.2f}x",
            )
            row("    one file changed: files hashed", str(r["changed_hashed"]), r["changed_reason"])
            row(
                "    one file touched (same content): files hashed",
                str(r["touched_hashed"]),
                "hit" if not r["touched_changes"] else f"MISS {r['touched_changes']}",
            )
        elif name == "digits":
            row(
                f"digits: fingerprint {r['steps']} steps, {r['modules']} modules loaded",
                f"{r['fingerprint_s'] * 1e3:.2f} ms",
            )
            row(
                "    inspect.getsource of the same steps (the route before)",
                f"{r['getsource_s'] * 1e3:.2f} ms",
            )
        elif name == "chain":
            ok = "ok" if r["cached_s"] <= TARGETS["chain_cached_s"] else "OVER"
            row("1,000-step chain, fully cached rerun", f"{r['cached_s']:.3f} s", f"<= 0.15 s {ok}")
            row("1,000-step chain, cold", f"{r['cold_s']:.3f} s")
    if args.json:
        print(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
