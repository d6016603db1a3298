"""Data dependencies (SPEC §10): what a step reads is part of its cache validity.

Real files and folders, real ``-n 2`` workers, a real Dask ``LocalCluster``,
an fsspec ``memory://`` filesystem, a real S3 API on loopback (moto's server)
and a loopback socket server.
"""

from __future__ import annotations

import ast
import compileall
import inspect
import os
import shutil
import socketserver
import sys
import textwrap
import threading
import time
import types
import uuid
from pathlib import Path

import pytest

from zenrun.testing import read_store

CHURN = """
import os
from zenrun import pipeline, step

@step
def read_csv() -> int:
    with open("data/customers.csv") as f:
        return len(f.read().splitlines()) - 1

@step
def count_raw() -> int:
    return len(os.listdir("data/raw"))

@step
def report(n_rows: int, n_files: int) -> str:
    return f"n_rows={n_rows} files={n_files}"

@pipeline
def churn():
    report(read_csv(), count_raw())
"""


def rows(n: int) -> str:
    return "id,spend\n" + "".join(f"{i},{i * 10}\n" for i in range(n))


def last_run(zenrunner, pipeline=None):
    runs = read_store(zenrunner.store).get_runs(pipeline)
    return runs[-1]


def statuses(zenrunner, pipeline=None):
    return {sid: s.status for sid, s in last_run(zenrunner, pipeline).steps.items()}


def value(zenrunner, step_id, pipeline=None):
    """The value the step produced, as recorded (a scalar, or a short string's preview)."""
    ref = last_run(zenrunner, pipeline).steps[step_id].output
    return ref.value if ref.value is not None else ast.literal_eval(ref.preview)


def churn_project(zenrunner):
    (zenrunner.path / "data" / "raw").mkdir(parents=True)
    (zenrunner.path / "data" / "customers.csv").write_text(rows(400))
    for name in ("a.json", "b.json"):
        (zenrunner.path / "data" / "raw" / name).write_text("{}")
    zenrunner.makepyfile(pipeline_churn=CHURN)


def run_ok(zenrunner, *args, **kwargs):
    result = zenrunner.run(*args, **kwargs)
    assert result.ret == 0, result.stdout + result.stderr
    return result


# ---------------------------------------------------------------------------
# Files and folders, in this process and in a subprocess
# ---------------------------------------------------------------------------


def test_editing_a_csv_is_a_miss_naming_it_and_touch_is_a_hit(zenrunner):
    churn_project(zenrunner)
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "read_csv") == 400

    csv = zenrunner.path / "data" / "customers.csv"
    stat = csv.stat()
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # touch: same content
    touched = run_ok(zenrunner, "-v", inprocess=True)
    touched.stdout.fnmatch_lines(["*Using cached version of read_csv.*"])
    assert statuses(zenrunner) == {"read_csv": "cached", "count_raw": "cached", "report": "cached"}

    csv.write_text(rows(300))  # the trial: 400 rows cut to 300
    edited = run_ok(zenrunner, "-v", inprocess=True)
    edited.stdout.fnmatch_lines(["*Step read_csv: cache miss: data/customers.csv changed*"])
    assert value(zenrunner, "read_csv") == 300
    assert value(zenrunner, "report") == "n_rows=300 files=2"
    assert statuses(zenrunner)["count_raw"] == "cached"

    # Same size, same second: the racy-clean rule hashes it again rather than trusting stat.
    csv.write_text(rows(300).replace("299,2990", "299,2991"))
    same_size = run_ok(zenrunner, "-v", inprocess=True)
    same_size.stdout.fnmatch_lines(["*Step read_csv: cache miss: data/customers.csv changed*"])

    # --show, the viewer's details and its JSON export list the file with size and digest.
    shown = run_ok(zenrunner, "--show", "latest", inprocess=True)
    shown.stdout.fnmatch_lines(["data read:", "    data/customers.csv  2.4 KiB  *"])
    from zenrun_dash.lineage import run_record, step_details

    run = last_run(zenrunner)
    [dep] = run.steps["read_csv"].data_deps
    assert dep["path"] == "data/customers.csv" and dep["size"] == csv.stat().st_size
    assert dep["mtime"] == csv.stat().st_mtime_ns / 1e9
    assert len(dep["digest"]) == 32
    assert run_record(run)["steps"]["read_csv"]["data"] == [dep]
    assert step_details(run, "read_csv")["data read"][0].startswith("data/customers.csv")
    assert run_record(run)["steps"]["count_raw"]["data"][0]["path"] == "data/raw/"


def test_a_deleted_file_is_a_miss(zenrunner):
    churn_project(zenrunner)
    run_ok(zenrunner, inprocess=True)
    (zenrunner.path / "data" / "customers.csv").unlink()
    result = zenrunner.run("-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step read_csv: cache miss: data/customers.csv no longer exists*"])
    assert statuses(zenrunner)["read_csv"] == "failed"  # it ran again, and found no file


def test_adding_or_removing_a_file_in_a_listed_folder_is_a_miss(zenrunner):
    churn_project(zenrunner)
    run_ok(zenrunner, inprocess=True)
    raw = zenrunner.path / "data" / "raw"
    (raw / "c.json").write_text("{}")
    (raw / "d.json").write_text("{}")
    (raw / "a.json").unlink()
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step count_raw: cache miss: data/raw/ gained 2 files, lost 1*"])
    assert value(zenrunner, "count_raw") == 3
    assert statuses(zenrunner)["read_csv"] == "cached"
    (raw / "c.json").unlink()
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step count_raw: cache miss: data/raw/ lost 1 file*"])
    assert value(zenrunner, "count_raw") == 2


def test_package_metadata_lookups_along_sys_path_are_not_data_reads(zenrunner, monkeypatch):
    """importlib.metadata lists every sys.path folder (the project's too) and opens the
    metadata it finds there: a new file in the project is no reason to run such a step
    again, while a step listing the folder itself still misses."""
    monkeypatch.syspath_prepend(str(zenrunner.path))  # the project on sys.path, as installed
    (zenrunner.path / "local_pkg.dist-info").mkdir()  # metadata found in the project folder
    (zenrunner.path / "local_pkg.dist-info" / "METADATA").write_text("Name: local-pkg\nVersion: 1.0\n")
    zenrunner.makepyfile(
        pipeline_meta="""
        import importlib.metadata, os
        from zenrun import pipeline, step

        @step
        def entry_points() -> int:
            return len(list(importlib.metadata.entry_points(group="zenrun")))

        @step
        def version() -> str:
            return importlib.metadata.version("local-pkg")

        @step
        def listing() -> int:
            return len(os.listdir("."))

        @pipeline
        def meta():
            entry_points()
            version()
            listing()
        """
    )
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "version") == "1.0"
    (zenrunner.path / "new_file.txt").write_text("x")
    result = run_ok(zenrunner, "-v", inprocess=True)
    assert statuses(zenrunner) == {"entry_points": "cached", "version": "cached", "listing": "completed"}
    result.stdout.fnmatch_lines(["*Step listing: cache miss: ./ gained 1 file*"])
    # What the lookups do depend on: the metadata they read, and which packages are there.
    (zenrunner.path / "local_pkg.dist-info" / "METADATA").write_text("Name: local-pkg\nVersion: 2.0\n")
    (zenrunner.path / "other_pkg.dist-info").mkdir()
    (zenrunner.path / "other_pkg.dist-info" / "METADATA").write_text("Name: other-pkg\nVersion: 1\n")
    run_ok(zenrunner, inprocess=True)
    assert statuses(zenrunner)["version"] == "completed"
    assert statuses(zenrunner)["entry_points"] == "completed"  # a package appeared
    assert value(zenrunner, "version") == "2.0"


def test_a_retargeted_symlink_is_a_miss(zenrunner):
    data = zenrunner.path / "data"
    data.mkdir()
    (data / "v1.csv").write_text(rows(5))
    (data / "v2.csv").write_text(rows(7))
    (data / "current.csv").symlink_to("v1.csv")
    zenrunner.makepyfile(
        pipeline_link="""
        from zenrun import pipeline, step

        @step
        def load() -> int:
            with open("data/current.csv") as f:
                return len(f.readlines()) - 1

        @pipeline
        def link():
            load()
        """
    )
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "load") == 5
    (data / "current.csv").unlink()
    (data / "current.csv").symlink_to("v2.csv")
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step load: cache miss: data/current.csv changed*"])
    assert value(zenrunner, "load") == 7


def test_a_file_rewritten_while_the_step_runs_is_not_cached(zenrunner):
    (zenrunner.path / "counter.txt").write_text("0")
    zenrunner.makepyfile(
        pipeline_counter="""
        from zenrun import pipeline, step

        @step
        def bump() -> int:
            with open("counter.txt") as f:
                n = int(f.read()) + 1
            with open("counter.txt", "w") as f:
                f.write(str(n * 100))
            return n

        @pipeline
        def counter():
            bump()
        """
    )
    first = run_ok(zenrunner)
    assert "WARNING: Step bump is not cached: counter.txt changed while the step ran." in first.stdout
    assert value(zenrunner, "bump") == 1
    second = run_ok(zenrunner, "-v")
    second.stdout.fnmatch_lines(
        ["*Step bump: cache miss: not cached last time: counter.txt changed while the step ran*"]
    )
    assert value(zenrunner, "bump") == 101  # it ran again, on the data as it is now


def test_a_file_found_unchanged_at_lookup_and_rewritten_by_the_rerun_is_not_cached(zenrunner):
    # A rerun after a data change does not stat, when opened, the files the lookup found
    # unchanged: their stat at the step's end must still be the recorded one.
    (zenrunner.path / "a.txt").write_text("1")
    (zenrunner.path / "b.txt").write_text("10")
    zenrunner.makepyfile(
        pipeline_ab="""
        from zenrun import pipeline, step

        @step
        def add() -> int:
            a = int(open("a.txt").read())
            b = int(open("b.txt").read())
            if a == 2 and b == 10:
                with open("b.txt", "w") as f:
                    f.write("99")
            return a + b

        @pipeline
        def ab():
            add()
        """
    )
    time.sleep(datadeps_racy_s() + 0.2)  # older than the timestamp granularity when first hashed
    run_ok(zenrunner)
    assert value(zenrunner, "add") == 11
    (zenrunner.path / "a.txt").write_text("2")
    rerun = run_ok(zenrunner, "-v")
    rerun.stdout.fnmatch_lines(["*Step add: cache miss: a.txt changed*"])
    assert "WARNING: Step add is not cached: b.txt changed while the step ran." in rerun.stdout
    assert value(zenrunner, "add") == 12
    again = run_ok(zenrunner, "-v")  # looked up against the first run's entry: both differ
    again.stdout.fnmatch_lines(["*Step add: cache miss: a.txt changed, b.txt changed*"])
    assert value(zenrunner, "add") == 101
    assert statuses(zenrunner) == {"add": "completed"}
    run_ok(zenrunner)
    assert statuses(zenrunner) == {"add": "cached"} and value(zenrunner, "add") == 101


def datadeps_racy_s() -> float:
    from zenrun import datadeps

    return datadeps.RACY_NS / 1e9


def test_globs_follow_their_pattern_and_ignores_and_switches(zenrunner):
    data = zenrunner.path / "data"
    (data / "logs").mkdir(parents=True)
    (data / "a.csv").write_text("1\n")
    (data / "b.csv").write_text("2\n")
    (data / "notes.txt").write_text("x")
    (data / "extra.txt").write_text("7")
    zenrunner.maketoml('data_ignore = ["*.log", "data/logs/**"]')
    zenrunner.makepyfile(
        pipeline_globs="""
        import glob
        from pathlib import Path
        import zenrun
        from zenrun import pipeline, step

        @step
        def total() -> int:
            with open("data/run.log", "a") as log, open("data/logs/seen.log", "a") as seen:
                log.write("ran\\n")
                seen.write("ran\\n")
            with open("data/run.log") as log:  # read back: ignored all the same
                log.read()
            return sum(int(Path(p).read_text()) for p in sorted(glob.glob("data/*.csv")))

        @step(track_reads=False)
        def untracked() -> str:
            return Path("data/notes.txt").read_text()

        @step
        def by_subprocess() -> int:
            import subprocess
            zenrun.track("data/extra.txt")  # read by a program zenrun cannot follow
            return int(subprocess.run(["cat", "data/extra.txt"], capture_output=True, text=True).stdout)

        @pipeline
        def globs():
            total()
            untracked()
            by_subprocess()
        """
    )
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "total") == 3
    (data / "other.txt").write_text("not a csv")
    (data / "notes.txt").write_text("changed, but not followed")
    hit = run_ok(zenrunner, "-v", inprocess=True)
    assert statuses(zenrunner) == {"total": "cached", "untracked": "cached", "by_subprocess": "cached"}
    hit.stdout.no_fnmatch_line("*cache miss*")

    (data / "c.csv").write_text("4\n")
    (data / "extra.txt").write_text("8")
    miss = run_ok(zenrunner, "-v", inprocess=True)
    miss.stdout.fnmatch_lines(["*Step total: cache miss: data/[*].csv gained 1 file*"])
    miss.stdout.fnmatch_lines(["*Step by_subprocess: cache miss: data/extra.txt changed*"])
    assert value(zenrunner, "total") == 7 and value(zenrunner, "by_subprocess") == 8
    deps = {d["path"] for d in last_run(zenrunner).steps["total"].data_deps}
    assert deps == {"data/*.csv", "data/a.csv", "data/b.csv", "data/c.csv"}  # no log files

    (data / "a.csv").write_text("10\n")
    trusted = run_ok(zenrunner, "-v", "--no-data-check", inprocess=True)
    trusted.stdout.fnmatch_lines(["*Using cached version of total.*"])
    assert value(zenrunner, "total") == 7
    again = run_ok(zenrunner, "-v", inprocess=True)
    again.stdout.fnmatch_lines(["*Step total: cache miss: data/a.csv changed*"])
    assert value(zenrunner, "total") == 16


# ---------------------------------------------------------------------------
# Where steps run: -n workers, Dask workers
# ---------------------------------------------------------------------------


def test_reads_in_worker_processes_are_recorded_and_checked(zenrunner):
    churn_project(zenrunner)
    run_ok(zenrunner, "-n", "2")
    shown = run_ok(zenrunner, "--show", "latest")
    shown.stdout.fnmatch_lines(["data read:", "    data/customers.csv  *"])  # read in a worker
    shown.stdout.fnmatch_lines(["data read:", "    data/raw/  2 entries  *"])
    (zenrunner.path / "data" / "customers.csv").write_text(rows(12))
    result = run_ok(zenrunner, "-n", "2", "-v")
    result.stdout.fnmatch_lines(["*Step read_csv: cache miss: data/customers.csv changed*"])
    assert value(zenrunner, "report") == "n_rows=12 files=2"
    assert statuses(zenrunner)["count_raw"] == "cached"


def test_reads_in_threads_a_step_starts_are_the_steps(zenrunner):
    """A pool made in the step, a pool made before it, a plain thread: the files their
    threads open are the step's data (they were nobody's: an edit was a stale hit)."""
    zenrunner.makepyfile(
        pipeline_threads="""
        import threading
        from concurrent.futures import ThreadPoolExecutor
        from zenrun import pipeline, step

        POOL = ThreadPoolExecutor(1)
        POOL.submit(int).result()  # its thread starts before any step

        def read(name):
            with open(name) as f:
                return int(f.read())

        @step
        def in_pool() -> int:
            with ThreadPoolExecutor(2) as ex:
                return sum(ex.map(read, ["a.txt", "b.txt"]))

        @step
        def module_pool() -> int:
            return POOL.submit(read, "c.txt").result()

        @step
        def plain_thread() -> int:
            out = []
            thread = threading.Thread(target=lambda: out.append(read("d.txt")))
            thread.start()
            thread.join()
            return out[0]

        @pipeline
        def threads():
            in_pool(); module_pool(); plain_thread()
        """,
    )
    for name, text in {"a.txt": "1", "b.txt": "10", "c.txt": "100", "d.txt": "1000"}.items():
        (zenrunner.path / name).write_text(text)
    run_ok(zenrunner)
    for name, text in {"b.txt": "20", "c.txt": "200", "d.txt": "2000"}.items():
        (zenrunner.path / name).write_text(text)
    result = run_ok(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*Step in_pool: cache miss: b.txt changed*"])
    assert value(zenrunner, "in_pool", "threads") == 21
    assert value(zenrunner, "module_pool", "threads") == 200
    assert value(zenrunner, "plain_thread", "threads") == 2000


@pytest.fixture(scope="module")
def cluster():
    """One real LocalCluster for the module; closed afterwards."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    local = LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None)
    try:
        yield local
    finally:
        local.close()


def test_reads_on_dask_workers_are_recorded_and_checked(zenrunner, cluster):
    (zenrunner.path / "data").mkdir()
    (zenrunner.path / "data" / "customers.csv").write_text(rows(40))
    zenrunner.makepyfile(
        pipeline_remote="""
        import os
        from pathlib import Path
        from zenrun import pipeline, step

        # Dask workers have their own working directory: an absolute path.
        DATA = Path(__file__).resolve().parent / "data" / "customers.csv"

        @step
        def read_csv() -> dict:
            with open(DATA) as f:
                return {"rows": len(f.readlines()) - 1, "pid": os.getpid()}

        @pipeline
        def remote():
            read_csv()
        """
    )
    args = ("--orchestrator", "dask", "--dask-address", cluster.scheduler_address)
    run_ok(zenrunner, *args)
    run = last_run(zenrunner)
    assert [d["path"] for d in run.steps["read_csv"].data_deps] == ["data/customers.csv"]
    assert run.steps["read_csv"].output.preview  # a dict: no scalar value
    (zenrunner.path / "data" / "customers.csv").write_text(rows(41))
    result = run_ok(zenrunner, *args, "-v")
    result.stdout.fnmatch_lines(["*Step read_csv: cache miss: data/customers.csv changed*"])
    again = run_ok(zenrunner, *args, "-v")
    again.stdout.fnmatch_lines(["*Using cached version of read_csv.*"])
    report = zenrunner.runpython(
        "from zenrun import get_pipeline\n"
        "out = get_pipeline('remote').last_run.steps['read_csv'].output.read()\n"
        "import os; print(out['rows'], out['pid'] != os.getpid())\n"
    )
    assert report.stdout.strip().splitlines()[-1] == "41 True", report.stdout + report.stderr


# ---------------------------------------------------------------------------
# Declared URLs: memory:// and S3
# ---------------------------------------------------------------------------


def test_a_declared_memory_url_is_fingerprinted_and_checked(zenrunner):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    root = f"zr-{uuid.uuid4().hex[:8]}"
    try:
        fs.pipe(f"/{root}/prices.json", b"[1, 2, 3]")
        zenrunner.makepyfile(
            pipeline_mem=f"""
            import json
            import fsspec
            from zenrun import pipeline, step

            @step(reads=["memory://{root}/prices.json"])
            def prices() -> int:
                with fsspec.open("memory://{root}/prices.json") as f:
                    return sum(json.load(f))

            @pipeline
            def mem():
                prices()
            """
        )
        run_ok(zenrunner, inprocess=True)
        assert value(zenrunner, "prices") == 6
        hit = run_ok(zenrunner, "-v", inprocess=True)
        hit.stdout.fnmatch_lines(["*Using cached version of prices.*"])
        fs.pipe(f"/{root}/prices.json", b"[1, 2, 3, 4]")
        miss = run_ok(zenrunner, "-v", inprocess=True)
        miss.stdout.fnmatch_lines([f"*Step prices: cache miss: memory://{root}/prices.json changed*"])
        assert value(zenrunner, "prices") == 10
        fs.rm(f"/{root}/prices.json")
        gone = zenrunner.run("-v", inprocess=True)
        gone.stdout.fnmatch_lines(
            [f"*Step prices: cache miss: memory://{root}/prices.json no longer exists*"]
        )
    finally:
        if fs.exists(f"/{root}"):
            fs.rm(f"/{root}", recursive=True)


def test_a_declared_s3_object_or_prefix_that_changed_is_a_miss(zenrunner, s3_server):
    fs, bucket = s3_server["fs"], s3_server["bucket"]
    fs.pipe(f"{bucket}/raw/x.csv", b"a\n1\n")
    zenrunner.makepyfile(
        pipeline_s3=f"""
        from zenrun import pipeline, step

        @step(reads=["s3://{bucket}/raw/x.csv"])
        def one() -> int:
            return 1

        @step(reads=["s3://{bucket}/raw/"])
        def everything() -> int:
            return 2

        @pipeline
        def s3():
            one()
            everything()
        """
    )
    run_ok(zenrunner, "-n", "2")
    assert statuses(zenrunner) == {"one": "completed", "everything": "completed"}
    hit = run_ok(zenrunner, "-v")
    assert statuses(zenrunner) == {"one": "cached", "everything": "cached"}, hit.stdout
    fs.pipe(f"{bucket}/raw/x.csv", b"a\n2\n")  # same size, another ETag
    fs.invalidate_cache()
    changed = run_ok(zenrunner, "-v")
    changed.stdout.fnmatch_lines([f"*Step one: cache miss: s3://{bucket}/raw/x.csv changed*"])
    changed.stdout.fnmatch_lines([f"*Step everything: cache miss: s3://{bucket}/raw/ 1 file changed*"])
    fs.pipe(f"{bucket}/raw/y.csv", b"b\n")
    gained = run_ok(zenrunner, "-v")
    gained.stdout.fnmatch_lines([f"*Step everything: cache miss: s3://{bucket}/raw/ gained 1 file*"])
    assert statuses(zenrunner) == {"one": "cached", "everything": "completed"}
    shown = run_ok(zenrunner, "--show", "latest")
    shown.stdout.fnmatch_lines(
        [f"    s3://{bucket}/raw/x.csv  4 B  *", f"    s3://{bucket}/raw/  2 entries  *"]
    )


# ---------------------------------------------------------------------------
# What cannot be fingerprinted: the network, and the age bound
# ---------------------------------------------------------------------------


class _Answer(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"42\n")


def test_a_step_reading_from_the_network_is_flagged_on_every_hit(zenrunner):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Answer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        zenrunner.makepyfile(
            pipeline_net=f"""
            import socket
            from zenrun import pipeline, step

            @step
            def fetch() -> int:
                with socket.create_connection(("localhost", {port}), timeout=10) as s:
                    return int(s.recv(16))

            @step
            def double(x: int) -> int:
                return 2 * x

            @pipeline
            def net():
                double(fetch())
            """
        )
        run_ok(zenrunner)
        assert value(zenrunner, "double") == 84
        for _ in range(2):
            hit = run_ok(zenrunner, "-v")
            hit.stdout.fnmatch_lines(
                [f"*Step fetch: cached, but step fetch reads from the network (localhost:{port})*"]
            )
            assert statuses(zenrunner) == {"fetch": "cached", "double": "cached"}
        quiet = run_ok(zenrunner)
        quiet.stdout.fnmatch_lines(
            [
                "*= warnings summary =*",
                f"data: 1 cached step (fetch) read from the network (localhost:{port}) and may be stale*",
                "*1 passed, 1 warning*",
            ]
        )
        assert quiet.stdout.count("read from the network") == 1
        shown = run_ok(zenrunner, "--show", "latest")
        shown.stdout.fnmatch_lines([f"    localhost:{port}  (network: not fingerprinted)"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_cache_expires_bounds_the_age_of_a_hit(zenrunner):
    zenrunner.makepyfile(
        pipeline_age="""
        import time
        from zenrun import pipeline, step

        @step(cache_expires="1s")
        def fresh() -> float:
            return time.time()

        @step(cache_expires="6h")
        def daily() -> float:
            return time.time()

        @step
        def configured() -> float:
            return time.time()

        @pipeline
        def age():
            fresh()
            daily()
            configured()
        """
    )
    zenrunner.makefile(".yaml", run="steps:\n  configured:\n    cache_expires: 1s\n")
    run_ok(zenrunner, inprocess=True)
    first = value(zenrunner, "fresh")
    time.sleep(1.3)
    result = run_ok(zenrunner, "-v", "--config", "run.yaml", inprocess=True)
    result.stdout.fnmatch_lines(
        ["*Step fresh: cache miss: the cached result is * old, older than cache_expires=1s*"]
    )
    result.stdout.fnmatch_lines(
        ["*Step configured: cache miss: the cached result is *older than cache_expires=1s*"]
    )
    assert statuses(zenrunner) == {"fresh": "completed", "daily": "cached", "configured": "completed"}
    assert value(zenrunner, "fresh") > first
    # [tool.zenrun] cache_expires is the default of every step
    zenrunner.maketoml('cache_expires = "1s"')
    time.sleep(1.3)
    run_ok(zenrunner, "-v", inprocess=True)
    assert statuses(zenrunner) == {"fresh": "completed", "daily": "cached", "configured": "completed"}


def test_bad_expiry_values_are_usage_errors_naming_where(zenrunner):
    zenrunner.makepyfile(
        pipeline_bad="""
        from zenrun import pipeline, step

        @step(cache_expires="6 parsecs")
        def work() -> int:
            return 1

        @pipeline
        def bad():
            work()
        """
    )
    result = zenrunner.run(inprocess=True)
    assert result.ret == 2, result.stdout + result.stderr
    assert "pipeline_bad.py" in result.stdout
    assert "step 'work': cache_expires='6 parsecs': expected a duration such as 90s" in result.stdout

    zenrunner.makepyfile(
        pipeline_bad="""
        from zenrun import pipeline, step

        @step(reads="data/x.csv", track_reads="yes")
        def work() -> int:
            return 1

        @pipeline
        def bad():
            work()
        """
    )
    result = zenrunner.run(inprocess=True)
    assert "step 'work': track_reads='yes': must be True or False" in result.stdout

    zenrunner.makepyfile(
        pipeline_bad="""
        from zenrun import pipeline, step

        @step
        def work() -> int:
            return 1

        @pipeline
        def bad():
            work()
        """
    )
    zenrunner.makefile(".yaml", run="steps:\n  work:\n    cache_expires: soon\n")
    result = zenrunner.run("--config", "run.yaml", inprocess=True)
    assert result.ret == 4
    assert "run.yaml: steps.work.cache_expires='soon': expected a duration" in result.stdout + result.stderr
    zenrunner.maketoml('cache_expires = "-3h"')
    result = zenrunner.run(inprocess=True)
    assert result.ret == 4
    assert "zenrun.toml: cache_expires='-3h': expected" in result.stdout + result.stderr


# ---------------------------------------------------------------------------
# Keys: independent of import name and of where the project lives
# ---------------------------------------------------------------------------

DIABETES = """
from zenrun import pipeline, step

def scale(x):
    return x * 3

@step
def load() -> int:
    with open("data/customers.csv") as f:
        return len(f.readlines())

@step
def train(n: int) -> int:
    return scale(n)

@pipeline
def diabetes():
    train(load())
"""

SCRIPT = """
import sys
from pipelines.pipeline_diabetes import diabetes

run = diabetes().run()
print({s: step.status for s, step in run.steps.items()}, sys.modules["pipelines.pipeline_diabetes"].__name__)
"""


def test_one_cache_entry_whatever_the_import_name_and_wherever_the_project(zenrunner, tmp_path_factory):
    (zenrunner.path / "data").mkdir()
    (zenrunner.path / "data" / "customers.csv").write_text(rows(9))
    zenrunner.makepyfile(**{"pipelines/pipeline_diabetes": DIABETES})
    run_ok(zenrunner, "pipelines")  # the CLI imports it as pipeline_diabetes
    assert value(zenrunner, "train", "diabetes") == 30
    script = zenrunner.runpython(SCRIPT)  # a script, as pipelines.pipeline_diabetes
    assert script.ret == 0, script.stdout + script.stderr
    assert "{'load': 'cached', 'train': 'cached'} pipelines.pipeline_diabetes" in script.stdout

    moved = tmp_path_factory.mktemp("elsewhere") / "project"
    shutil.move(str(zenrunner.path), str(moved))
    try:
        result = zenrunner.run("-v", "pipelines", cwd=moved)
        assert result.ret == 0, result.stdout + result.stderr
        result.stdout.fnmatch_lines(["*Using cached version of load.*", "*Using cached version of train.*"])
        (moved / "data" / "customers.csv").write_text(rows(10))
        result = zenrunner.run("-v", "pipelines", cwd=moved)
        result.stdout.fnmatch_lines(["*Step load: cache miss: data/customers.csv changed*"])
    finally:
        shutil.move(str(moved), str(zenrunner.path))


def test_fingerprinting_does_not_grow_with_sys_modules(tmp_path, monkeypatch):
    """2,000 more modules in sys.modules: not one more getmodule, getabsfile or realpath call."""
    from zenrun.cache import Fingerprinter

    source = textwrap.dedent(
        """
        from zenrun import step

        class Scaler:
            factor = 2

            def apply(self, x):
                return x * self.factor

        def helper(x):
            return Scaler().apply(x) + 1

        @step
        def work(x: int) -> int:
            return helper(x)
        """
    )
    for name in ("zr_fp_before", "zr_fp_after"):
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))

    calls = {"getmodule": 0, "getabsfile": 0, "realpath": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(inspect, "getmodule", counting("getmodule", inspect.getmodule))
    monkeypatch.setattr(inspect, "getabsfile", counting("getabsfile", inspect.getabsfile))
    monkeypatch.setattr(os.path, "realpath", counting("realpath", os.path.realpath))

    def fingerprint(module_name):
        __import__(module_name)
        fingerprinter = Fingerprinter(rootdir=tmp_path)
        calls.update(dict.fromkeys(calls, 0))
        result = fingerprinter.fingerprint(sys.modules[module_name].work)
        assert result.digest is not None, result.error
        return dict(calls), result

    try:
        before, first = fingerprint("zr_fp_before")
        for i in range(2000):
            dummy = types.ModuleType(f"zr_dummy_{i}")
            dummy.__file__ = str(tmp_path / "dummies" / f"zr_dummy_{i}.py")
            monkeypatch.setitem(sys.modules, dummy.__name__, dummy)
        after, second = fingerprint("zr_fp_after")
    finally:
        for name in ("zr_fp_before", "zr_fp_after"):
            sys.modules.pop(name, None)
    assert all(after[name] <= before[name] for name in calls), (before, after)  # none grew
    assert after["getmodule"] == 0 and after["getabsfile"] == 0
    assert after["realpath"] <= 4
    assert {k.replace("zr_fp_after", "zr_fp_before") for k in second.deps} == set(first.deps)


def test_durations_and_track_outside_a_step():
    from zenrun.datadeps import format_duration, parse_duration

    assert parse_duration("6h") == 6 * 3600
    assert parse_duration("1h30m") == 5400
    assert parse_duration(" 2d ") == 2 * 86400
    assert parse_duration(90) == 90
    assert format_duration(5400) == "1h30m" and format_duration(1.25) == "1.2s"
    for bad in ("6 parsecs", "", "-3h", 0, True, "h"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)
    import zenrun

    with pytest.raises(RuntimeError, match="outside a running step"):
        zenrun.track("data/x.csv")


def test_track_of_what_names_no_file_fails_the_step(zenrunner):
    # It was recorded as a local path that never exists: the step stayed a hit however the
    # data it meant changed.
    zenrunner.makepyfile(
        pipeline_track="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def nul() -> int:
            zenrun.track("data.csv\\x00")
            return 1

        @step
        def bucketless() -> int:
            zenrun.track("s3://")
            return 1

        @pipeline
        def tracked():
            nul()
            bucketless()
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ValueError: zenrun.track('data.csv\\x00'): a path cannot hold a NUL character",
            "*ValueError: zenrun.track('s3://'): a URL names a bucket or host",
        ]
    )


def test_a_file_read_by_a_relative_path_from_another_working_directory_is_a_miss(zenrunner):
    # "data.txt" names another file when zenrun runs from another directory
    (zenrunner.path / "sub").mkdir()
    (zenrunner.path / "data.txt").write_text("ROOT")
    (zenrunner.path / "sub" / "data.txt").write_text("SUB")
    zenrunner.makepyfile(
        pipeline_rel="""
        from zenrun import pipeline, step

        @step
        def read_rel() -> str:
            return open("data.txt").read()

        @step
        def read_abs(path: str) -> str:
            return open(path).read()

        @pipeline
        def rel():
            read_rel()
            read_abs(__file__)
        """
    )

    def last() -> dict[str, tuple[str, str]]:
        run = read_store(zenrunner.store).get_runs()[-1]
        return {s.id: (s.status, s.output.read()) for s in run.steps.values() if s.id == "read_rel"}

    assert zenrunner.run("-q").ret == 0
    assert last() == {"read_rel": ("completed", "ROOT")}
    result = zenrunner.run("-v", "..", cwd=zenrunner.path / "sub")
    assert result.ret == 0, result.stdout
    assert last() == {"read_rel": ("completed", "SUB")}
    result.fnmatch_lines(
        ["*read_rel: cache miss: the step read paths relative to the working directory, which was "
         "the rootdir and is now sub*"]
    )  # fmt: skip
    steps = read_store(zenrunner.store).get_runs()[-1].steps
    assert steps["read_abs"].status == "cached"  # an absolute path does not depend on it
    assert zenrunner.run("-q").ret == 0
    assert last() == {"read_rel": ("completed", "ROOT")}
    assert zenrunner.run("-q").ret == 0
    assert last() == {"read_rel": ("cached", "ROOT")}


def test_the_same_relative_name_opened_from_two_working_directories_records_both_files(zenrunner):
    # "data.txt" before and after the step's own chdir are two files: both are dependencies
    (zenrunner.path / "sub").mkdir()
    (zenrunner.path / "data.txt").write_text("A")
    (zenrunner.path / "sub" / "data.txt").write_text("B")
    zenrunner.makepyfile(
        pipeline_twocwd="""
        import os
        from zenrun import pipeline, step

        @step
        def both() -> str:
            first = open("data.txt").read()
            os.chdir("sub")
            try:
                second = open("data.txt").read()
                names = os.listdir(".")
            finally:
                os.chdir("..")
            return first + second + str(len(names)) + str(len(os.listdir(".")) > 1)

        @pipeline
        def twocwd():
            both()
        """
    )
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "both") == "AB1True"
    (zenrunner.path / "sub" / "data.txt").write_text("C")
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step both: cache miss: sub/data.txt changed*"])
    assert value(zenrunner, "both") == "AC1True"
    (zenrunner.path / "sub" / "extra.txt").write_text("x")
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step both: cache miss: sub/ gained 1 file*"])
    assert value(zenrunner, "both") == "AC2True"


def test_python_files_read_as_data_are_dependencies_imports_are_not(zenrunner):
    # runpy.run_path, exec(open(...)) and a declared reads= / zenrun.track of a .py file read
    # a file the code fingerprint never follows: it is data; an import in a step is code
    (zenrunner.path / "settings.py").write_text("X = 1\n")
    (zenrunner.path / "helper_mod.py").write_text("Y = 10\n")
    zenrunner.makepyfile(
        pipeline_pydata="""
        import runpy, subprocess, sys
        import zenrun
        from zenrun import pipeline, step

        @step
        def by_runpy() -> int:
            return runpy.run_path("settings.py")["X"]

        @step
        def by_exec() -> int:
            ns = {}
            exec(open("settings.py").read(), ns)
            return ns["X"]

        @step(reads=["settings.py"])
        def declared() -> str:
            return subprocess.run(["cat", "settings.py"], capture_output=True, text=True).stdout

        @step
        def tracked() -> str:
            zenrun.track("settings.py")
            return subprocess.run(["cat", "settings.py"], capture_output=True, text=True).stdout

        @step
        def imports() -> int:
            import helper_mod
            return helper_mod.Y

        @step
        def by_loader() -> int:
            import importlib.util
            spec = importlib.util.spec_from_file_location("settings_as_module", "settings.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.X

        @step
        def by_name() -> int:
            import importlib
            return importlib.import_module("set" + "tings").X  # a name made at run time

        @pipeline
        def pydata():
            by_runpy(); by_exec(); declared(); tracked(); imports(); by_loader(); by_name()
        """
    )
    run_ok(zenrunner)
    assert statuses(zenrunner, "pydata") == dict.fromkeys(
        ["by_runpy", "by_exec", "declared", "tracked", "imports", "by_loader", "by_name"], "completed"
    )
    again = run_ok(zenrunner, "-v")
    assert set(statuses(zenrunner, "pydata").values()) == {"cached"}, again.stdout
    (zenrunner.path / "settings.py").write_text("X = 2\n")
    result = run_ok(zenrunner, "-v")
    for step_id in ("by_runpy", "by_exec", "declared", "tracked", "by_loader", "by_name"):
        result.stdout.fnmatch_lines([f"*Step {step_id}: cache miss: settings.py changed*"])
    assert value(zenrunner, "by_runpy", "pydata") == 2
    assert value(zenrunner, "by_exec", "pydata") == 2
    assert value(zenrunner, "by_loader", "pydata") == 2
    assert value(zenrunner, "by_name", "pydata") == 2
    assert statuses(zenrunner, "pydata")["imports"] == "cached"


def test_dotdot_after_a_linked_folder_records_the_file_the_os_opens(zenrunner):
    # data -> sub/deep/data: "data/../configs/x.yaml" is sub/deep/configs/x.yaml for the OS;
    # a lexical normpath recorded the decoy configs/x.yaml instead
    (zenrunner.path / "sub" / "deep" / "data").mkdir(parents=True)
    (zenrunner.path / "sub" / "deep" / "configs").mkdir()
    (zenrunner.path / "configs").mkdir()
    (zenrunner.path / "data").symlink_to("sub/deep/data", target_is_directory=True)
    (zenrunner.path / "sub" / "deep" / "configs" / "x.yaml").write_text("v1")
    (zenrunner.path / "configs" / "x.yaml").write_text("decoy")
    zenrunner.makepyfile(
        pipeline_dotdot="""
        import os
        from zenrun import pipeline, step

        @step
        def read_up() -> str:
            return open(os.path.join("data", "..", "configs", "x.yaml")).read()

        @step
        def list_up() -> int:
            return len(os.listdir("data/../configs"))

        @step(reads=["data/../configs/x.yaml"])
        def declared() -> int:
            return 0

        @pipeline
        def dotdot():
            read_up(); list_up(); declared()
        """
    )
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "read_up") == "v1"
    (zenrunner.path / "sub" / "deep" / "configs" / "x.yaml").write_text("v2")
    (zenrunner.path / "sub" / "deep" / "configs" / "y.yaml").write_text("")
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step read_up: cache miss: sub/deep/configs/x.yaml changed*"])
    result.stdout.fnmatch_lines(["*Step list_up: cache miss: sub/deep/configs/ gained 1 file*"])
    result.stdout.fnmatch_lines(["*Step declared: cache miss: sub/deep/configs/x.yaml changed*"])
    assert value(zenrunner, "read_up") == "v2"
    assert value(zenrunner, "list_up") == 2


def test_a_project_inside_a_library_folder_still_has_its_files_followed(tmp_path, monkeypatch):
    # a venv made in the project directory, or /usr holding /usr/src/app: sys.prefix holds the
    # project, and its data files were never followed
    import zenrun.datadeps as datadeps

    prefix = tmp_path / "prefix"
    project = prefix / "src" / "app"
    site = prefix / "lib" / "python3" / "site-packages"
    inner_site = project / ".venv" / "lib" / "site-packages"
    for folder in (project, site, inner_site):
        folder.mkdir(parents=True)
    monkeypatch.setattr(
        datadeps, "_LIBRARY_DIRS", datadeps._prefixes([str(prefix), str(site), str(inner_site)])
    )
    monkeypatch.setattr(datadeps, "_OUTSIDE_DIRS", datadeps._prefixes([]))
    places = datadeps.Places(str(project))
    assert places.wanted(str(project / "data" / "train.csv"))
    assert not places.wanted(str(site / "pkg" / "table.csv"))  # a library's file
    assert not places.wanted(str(inner_site / "pkg" / "table.csv"))  # the project's own venv


def test_a_file_name_that_is_not_utf8_is_recorded_and_its_change_is_a_miss(zenrunner):
    (zenrunner.path / "data").mkdir()
    name = os.path.join(os.fsencode(zenrunner.path / "data"), b"caf\xe9.csv")
    with open(name, "wb") as file:
        file.write(b"1")
    zenrunner.makepyfile(
        pipeline_latin="""
        import os
        from zenrun import pipeline, step

        @step
        def read_all() -> int:
            total = 0
            for name in os.listdir("data"):
                with open(os.path.join("data", name), "rb") as file:
                    total += len(file.read())
            return total

        @step
        def name_of_it() -> str:
            return os.listdir("data")[0]  # a str holding a surrogate

        @pipeline
        def latin():
            read_all()
            name_of_it()
        """
    )
    run_ok(zenrunner, inprocess=True)
    with open(name, "wb") as file:
        file.write(b"12")
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step read_all: cache miss: data/caf*.csv changed*"])
    assert value(zenrunner, "read_all") == 2
    assert statuses(zenrunner) == {"read_all": "completed", "name_of_it": "cached"}
    run = last_run(zenrunner)
    assert run.steps["name_of_it"].output.read() == "caf\udce9.csv"  # stored, read back whole


SQLITE = """
import sqlite3
from zenrun import pipeline, step

@step
def total() -> int:
    with sqlite3.connect("data/db.sqlite") as connection:
        return connection.execute("select sum(v) from t").fetchone()[0]

@step
def total_read_only() -> int:
    connection = sqlite3.connect("file:data/db.sqlite?mode=ro", uri=True)
    try:
        return connection.execute("select sum(v) from t").fetchone()[0]
    finally:
        connection.close()

@step
def total_wal() -> int:
    connection = sqlite3.connect("data/wal.sqlite")
    try:
        return connection.execute("select sum(v) from t").fetchone()[0]
    finally:
        connection.close()

@step
def in_memory() -> int:
    return sqlite3.connect(":memory:").execute("select 1").fetchone()[0]

@pipeline
def rows_in_sqlite():
    total()
    total_read_only()
    total_wal()
    in_memory()
"""


def test_a_sqlite_database_a_step_queries_is_a_data_dependency(zenrunner):
    import sqlite3

    (zenrunner.path / "data").mkdir()
    db, wal = zenrunner.path / "data" / "db.sqlite", zenrunner.path / "data" / "wal.sqlite"
    for path, mode in ((db, "delete"), (wal, "wal")):
        with sqlite3.connect(path) as connection:
            connection.execute(f"pragma journal_mode={mode}")
            connection.execute("create table t(v)")
            connection.execute("insert into t values (1)")
        connection.close()
    zenrunner.makepyfile(pipeline_sqlite=SQLITE)
    run_ok(zenrunner, inprocess=True)
    assert value(zenrunner, "total") == 1

    with sqlite3.connect(db) as connection:  # SQLite's C code reads the file: no ``open`` event
        connection.execute("insert into t values (10)")
    connection.close()
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step total: cache miss: data/db.sqlite changed*"])
    result.stdout.fnmatch_lines(["*Step total_read_only: cache miss: data/db.sqlite changed*"])
    assert value(zenrunner, "total") == value(zenrunner, "total_read_only") == 11
    assert statuses(zenrunner)["in_memory"] == "cached"

    # A writer holding its connection open: the rows it committed are in wal.sqlite-wal only.
    writer = sqlite3.connect(wal)
    writer.execute("insert into t values (100)")
    writer.commit()
    try:
        result = run_ok(zenrunner, "-v", inprocess=True)
    finally:
        writer.close()
    result.stdout.fnmatch_lines(["*Step total_wal: cache miss: data/wal.sqlite-wal now exists*"])
    assert value(zenrunner, "total_wal") == 101
    assert statuses(zenrunner)["total"] == "cached"


def test_data_on_a_mounted_disk_under_run_is_followed_the_system_state_there_is_not(tmp_path):
    # udisks2 mounts removable drives at /run/media/USER/LABEL and GVFS network shares at
    # /run/user/UID/gvfs: all of /run was a system folder, so their files were never followed
    # and a step reading a changed file there was a cache hit.
    import zenrun.datadeps as datadeps

    places = datadeps.Places(str(tmp_path / "project"))
    assert places.wanted("/run/media/ann/USB-DISK/train.csv")
    assert places.wanted(f"/run/user/{os.getuid()}/gvfs/smb-share:server=nas,share=data/train.csv")
    assert not places.wanted("/run/systemd/resolve/resolv.conf")
    assert not places.wanted(f"/run/user/{os.getuid()}/bus")
    assert not places.wanted("/proc/self/status")


def test_a_file_read_from_a_mounted_disk_under_run_media_is_a_miss_when_it_changes(zenrunner):
    disk = "/run/media/zenrun-test-" + uuid.uuid4().hex[:8]
    made_media = not os.path.isdir("/run/media")
    try:
        os.makedirs(disk)
    except OSError:
        pytest.skip("cannot make a folder under /run/media here")
    try:
        with open(f"{disk}/train.csv", "w") as file:
            file.write("1")
        zenrunner.makepyfile(
            pipeline_mounted=f"""
            from zenrun import pipeline, step

            @step
            def load() -> str:
                return open("{disk}/train.csv").read()

            @pipeline
            def mounted():
                load()
            """
        )
        run_ok(zenrunner, inprocess=True)
        with open(f"{disk}/train.csv", "w") as file:
            file.write("22")
        result = run_ok(zenrunner, "-v", inprocess=True)
        result.stdout.fnmatch_lines([f"*Step load: cache miss: {disk}/train.csv changed*"])
        assert value(zenrunner, "load") == "22"
    finally:
        shutil.rmtree("/run/media" if made_media else disk, ignore_errors=True)


def test_declaring_the_whole_project_leaves_the_store_folder_out(zenrunner):
    # The store's folder itself was recorded as a listed folder: its entries change with each
    # run (lock files, WAL files), so a step declaring "." missed every other run.
    (zenrunner.path / "cfg.txt").write_text("1")
    zenrunner.makepyfile(
        pipeline_whole="""
        from zenrun import pipeline, step

        @step(reads=["."])
        def everything() -> int:
            return 1

        @pipeline
        def whole():
            everything()
        """
    )
    run_ok(zenrunner, inprocess=True)
    for _ in range(2):
        result = run_ok(zenrunner, "-v", inprocess=True)
        result.stdout.fnmatch_lines(["*Using cached version of everything.*"])
    (zenrunner.path / "cfg.txt").write_text("2")
    result = run_ok(zenrunner, "-v", inprocess=True)
    result.stdout.fnmatch_lines(["*Step everything: cache miss: cfg.txt changed*"])


def test_a_module_imported_by_a_run_time_name_is_its_source_with_bytecode_cached(zenrunner):
    """The loader reads the cached bytecode and only stats the source: the source is what is
    recorded (an edit of it was a stale hit)."""
    zenrunner.makepyfile(
        helper_mod="X = 1\n",
        pipeline_pyc="""
        from zenrun import pipeline, step
        import importlib

        @step
        def by_name() -> int:
            return importlib.import_module("helper" + "_mod").X

        @pipeline
        def pyc():
            by_name()
        """,
    )
    assert compileall.compile_file(
        str(zenrunner.path / "helper_mod.py"), quiet=1
    )  # as an earlier import leaves it
    run_ok(zenrunner)
    run_ok(zenrunner)
    assert statuses(zenrunner, "pyc") == {"by_name": "cached"}
    time.sleep(0.01)
    (zenrunner.path / "helper_mod.py").write_text("X = 22\n")
    run_ok(zenrunner, "-v")
    assert value(zenrunner, "by_name", "pyc") == 22


def test_a_module_imported_by_a_run_time_name_is_data_of_every_step_importing_it(zenrunner):
    """The second step finds it in sys.modules and opens no file: recorded all the same."""
    zenrunner.makepyfile(
        helper_mod="X = 1\n",
        pipeline_two="""
        from zenrun import pipeline, step
        import importlib

        @step
        def first() -> int:
            return importlib.import_module("helper" + "_mod").X

        @step
        def second() -> int:
            return importlib.import_module("helper" + "_mod").X * 100

        @pipeline
        def two():
            first(); second()
        """,
    )
    run_ok(zenrunner)
    (zenrunner.path / "helper_mod.py").write_text("X = 22\n")
    run_ok(zenrunner, "-v")
    assert value(zenrunner, "first", "two") == 22
    assert value(zenrunner, "second", "two") == 2200


def test_what_a_module_imported_by_a_run_time_name_imports_is_data_too(zenrunner):
    """``importlib.import_module(name)`` loads ``models_mod``, whose ``import`` statements
    load ``layers_mod`` and (inside a function) ``pkg_mod.consts``: the code fingerprint
    follows none of them. An edit of a module it imports was a stale hit (only its own file
    was recorded), for the step that imported it first and for one that found it in
    ``sys.modules``."""
    zenrunner.makepyfile(
        layers_mod="def width():\n    return 1\n",
        models_mod="import layers_mod\n\n\ndef size():\n    from pkg_mod.consts import DEPTH\n\n    return layers_mod.width() * DEPTH\n",
        pipeline_deep="""
        from zenrun import pipeline, step
        import importlib

        @step
        def first() -> int:
            return importlib.import_module("models" + "_mod").size()

        @step
        def second() -> int:
            return importlib.import_module("models" + "_mod").size() * 100

        @pipeline
        def deep():
            first(); second()
        """,
    )
    (zenrunner.path / "pkg_mod").mkdir()
    (zenrunner.path / "pkg_mod" / "__init__.py").write_text("")
    (zenrunner.path / "pkg_mod" / "consts.py").write_text("DEPTH = 2\n")
    run_ok(zenrunner)
    assert value(zenrunner, "second", "deep") == 200
    (zenrunner.path / "layers_mod.py").write_text("def width():\n    return 3\n")
    result = run_ok(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*Step first: cache miss: layers_mod.py changed*"])
    assert value(zenrunner, "first", "deep") == 6
    assert value(zenrunner, "second", "deep") == 600
    (zenrunner.path / "pkg_mod" / "consts.py").write_text("DEPTH = 5\n")
    run_ok(zenrunner)
    assert value(zenrunner, "first", "deep") == 15
    assert value(zenrunner, "second", "deep") == 1500


def test_a_library_module_loaded_by_a_run_time_name_is_not_read_for_its_imports(zenrunner, monkeypatch):
    """pandas asks ``importlib.import_module`` for its optional dependencies at every call: a
    library's module is not parsed and its imports not looked up (a search of ``sys.path``
    for each one not loaded yet, at every call); a project module still is."""
    import zenrun.datadeps as datadeps

    read: list[str] = []
    original = datadeps._imported_names

    def imported_names(source, package):
        read.append(source)
        return original(source, package)

    monkeypatch.setattr(datadeps, "_imported_names", imported_names)
    zenrunner.makepyfile(
        mine_mod="import json\n",
        pipeline_lib="""
        from zenrun import pipeline, step
        import importlib

        @step
        def load() -> int:
            for _ in range(3):
                importlib.import_module("json" + ".decoder")
                importlib.import_module("email" + ".parser")
            importlib.import_module("mine" + "_mod")
            return 1

        @pipeline
        def lib():
            load()
        """,
    )
    result = zenrunner.runzenrun_inprocess("--no-cache", "-p", "no:results")
    assert result.ret == 0, result.stdout.str()
    assert {Path(p).name for p in read} == {"mine_mod.py"}, read


def test_what_a_module_run_from_its_file_imports_is_data_too(zenrunner):
    """A loader run on a file (``spec_from_file_location`` + ``exec_module``): the modules
    its ``import`` statements load are data as the file is."""
    zenrunner.makepyfile(
        base_settings="LR = 1\n",
        pipeline_file="""
        import importlib.util
        from zenrun import pipeline, step

        @step
        def load() -> int:
            spec = importlib.util.spec_from_file_location("settings", "conf/settings.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.LR

        @pipeline
        def from_file():
            load()
        """,
    )
    (zenrunner.path / "conf").mkdir()
    (zenrunner.path / "conf" / "settings.py").write_text("from base_settings import LR\n")
    run_ok(zenrunner)
    (zenrunner.path / "base_settings.py").write_text("LR = 7\n")
    result = run_ok(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*Step load: cache miss: base_settings.py changed*"])
    assert value(zenrunner, "load", "from_file") == 7
