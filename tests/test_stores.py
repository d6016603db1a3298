"""Artifact and metadata stores, materializers and the post-execution API (issue 2, SPEC §7)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from store_files import artifact_bytes, damage

from zenrun.artifacts.materializers import MaterializerRegistry
from zenrun.artifacts.store import ArtifactError, LocalArtifactStore
from zenrun.metadata.records import ArtifactRef, PipelineRun, StepRun
from zenrun.metadata.sqlite import SCHEMA, SqliteMetadataStore
from zenrun.testing import read_store

# ---------------------------------------------------------------------------
# LocalArtifactStore
# ---------------------------------------------------------------------------


def test_artifact_store_put_get_verify(tmp_path):
    store = LocalArtifactStore(tmp_path / "artifacts")
    digest, size = store.put(b"hello world")
    assert digest == hashlib.sha256(b"hello world").hexdigest()
    assert size == 11
    assert store.get(digest) == b"hello world"  # readable before sync
    store.sync()
    path = store.path(digest)
    assert path == tmp_path / "artifacts" / digest[:2] / digest[2:]
    assert path.read_bytes() == b"hello world"
    assert store.exists(digest) and store.exists(digest, 11) and not store.exists(digest, 12)
    # content addressed: the same bytes are stored once
    assert store.put(b"hello world") == (digest, 11)
    store.sync()
    files = [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
    assert files == [path]  # no temporary files left behind
    # a fresh store object (another process) reads it back
    other = LocalArtifactStore(tmp_path / "artifacts")
    assert other.get(digest) == b"hello world"
    store.close()


def test_open_ahead_opens_the_inline_pack_before_any_artifact(tmp_path):
    """The CLI opens (creates) the inline pack as it opens the stores; a store without one
    makes none."""
    from zenrun.artifacts.store import INLINE_DB

    store = LocalArtifactStore(tmp_path / "packed", inline_max=1024)
    store.open_ahead()
    store.close()  # waits for the pool
    assert (tmp_path / "packed" / INLINE_DB).is_file()
    store = LocalArtifactStore(tmp_path / "packed", inline_max=1024)
    store.open_ahead()
    digest, _ = store.put(b"small")
    store.sync()
    assert store.get(digest) == b"small" and not store.path(digest).exists()  # in the pack
    store.close()
    plain = LocalArtifactStore(tmp_path / "files")
    plain.open_ahead()
    digest, _ = plain.put(b"small")
    plain.close()
    assert plain.path(digest).read_bytes() == b"small"
    assert not (tmp_path / "files" / INLINE_DB).exists()


def test_the_store_identity_is_read_once_per_open_store(tmp_path):
    from zenrun.cache import STORE_ID_FILE, store_identity

    store = LocalArtifactStore(tmp_path / "a")
    first = store_identity(store)
    assert first == "local:" + (tmp_path / "a" / STORE_ID_FILE).read_text().strip()
    (tmp_path / "a" / STORE_ID_FILE).write_text("replaced")
    assert store_identity(store) == first  # this session's store keeps its id
    assert (
        store_identity(LocalArtifactStore(tmp_path / "a")) == "local:replaced"
    )  # a store opened anew reads it
    store.root = tmp_path / "b"  # another root: its own id
    second = store_identity(store)
    assert second.startswith("local:") and second not in (first, "local:replaced")


def test_artifact_store_detects_corruption_and_absence(tmp_path):
    store = LocalArtifactStore(tmp_path)
    digest, _ = store.put(b"\x00" * 1000)
    store.sync()
    store.path(digest).write_bytes(b"\x00" * 999 + b"\x01")
    with pytest.raises(ArtifactError, match="does not match its hash"):
        LocalArtifactStore(tmp_path).get(digest)
    with pytest.raises(ArtifactError, match="missing"):
        store.get("ab" * 32)
    assert not store.exists("ab" * 32)
    store.close()


def test_artifact_store_many_puts_are_durable(tmp_path):
    store = LocalArtifactStore(tmp_path)
    digests = [store.put(f"value {i}".encode())[0] for i in range(50)]
    store.close()
    for i, digest in enumerate(digests):
        assert store.path(digest).read_bytes() == f"value {i}".encode()
    assert not list(tmp_path.rglob(".tmp-*"))


# ---------------------------------------------------------------------------
# materializers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, name",
    [
        (np.arange(6, dtype=np.float32).reshape(2, 3), "npy"),
        ({"a": [1, 2.5, None, "x"], "b": True}, "json"),
        (7, "json"),
        ("text", "json"),
        ((1, 2), "cloudpickle"),  # a tuple would come back as a list from JSON
        ({1: "int key"}, "cloudpickle"),
        (np.array([object()], dtype=object), "cloudpickle"),
        ({1, 2, 3}, "cloudpickle"),
        pytest.param(10**4000, "json", id="int-4001-digits"),
        # Python neither writes nor reads an int of more than 4300 digits as JSON: the step
        # failed ("cannot be serialised by the json materializer: ValueError: Exceeds the limit").
        pytest.param(10**5000, "cloudpickle", id="int-5001-digits"),
        pytest.param([-(10**5000)], "cloudpickle", id="list-of-int-5001-digits"),
    ],
)
def test_materializer_choice_and_roundtrip(value, name):
    registry = MaterializerRegistry()
    materializer = registry.for_value(value)
    assert materializer.name == name
    data = materializer.dumps(value)
    back = registry.get(name).loads(data)
    if isinstance(value, np.ndarray) and value.dtype != object:
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, np.ndarray):
        assert back.shape == value.shape
    else:
        assert back == value and type(back) is type(value)


def test_npy_has_no_pickle_and_pickle_records_python_version():
    registry = MaterializerRegistry()
    data = registry.get("npy").dumps(np.zeros(3))
    assert data.startswith(b"\x93NUMPY")
    pickled = registry.get("cloudpickle").dumps((1, 2))
    assert pickled.startswith(
        f"ZENRUN-CLOUDPICKLE {sys.version_info.major}.{sys.version_info.minor}\n".encode()
    )


def test_pickle_from_another_python_warns(caplog):
    registry = MaterializerRegistry()
    pickled = registry.get("cloudpickle").dumps((1, 2))
    _, _, body = pickled.partition(b"\n")
    forged = b"ZENRUN-CLOUDPICKLE 2.7\n" + body
    with caplog.at_level("WARNING", logger="zenrun"):
        assert registry.get("cloudpickle").loads(forged) == (1, 2)
    assert "pickled by Python 2.7" in caplog.text


def test_registry_fingerprint_changes_with_plugins():
    registry = MaterializerRegistry()
    before = registry.fingerprint()

    class Custom:
        name, version = "custom", "1"

        def can_save(self, value):
            return isinstance(value, complex)

        def dumps(self, value):
            return repr(value).encode()

        def loads(self, data):
            return complex(data.decode())

    registry.register(Custom())
    assert registry.fingerprint() != before
    assert registry.for_value(1 + 2j).name == "custom"
    assert registry.for_value(1).name == "json"
    with pytest.raises(TypeError):
        registry.register(object())
    with pytest.raises(KeyError, match="no materializer named"):
        registry.get("nope")


TYPED = """
import numpy as np
from zenrun import step, pipeline, Output

@step
def make() -> Output(arr=np.ndarray, meta=dict, pair=tuple):
    return np.arange(4, dtype=np.int16), {"n": 4}, (1, "a")

@step
def use(arr: np.ndarray, meta: dict, pair: tuple) -> int:
    return int(arr.sum()) + meta["n"] + pair[0]

@pipeline
def typed():
    arr, meta, pair = make()
    use(arr, meta, pair)
"""


def test_materializers_recorded_per_output(zenrunner):
    zenrunner.makepyfile(pipeline_typed=TYPED)
    assert zenrunner.run().ret == 0
    run = read_store(zenrunner.store).get_runs()[-1]
    outputs = run.steps["make"].outputs
    assert {n: r.materializer for n, r in outputs.items()} == {
        "arr": "npy",
        "meta": "json",
        "pair": "cloudpickle",
    }
    assert outputs["arr"].type_name == "numpy.ndarray"
    assert outputs["pair"].type_name == "builtins.tuple"
    raw = artifact_bytes(zenrunner.store, outputs["arr"].digest)
    assert raw.startswith(b"\x93NUMPY")
    assert hashlib.sha256(raw).hexdigest() == outputs["arr"].digest
    assert outputs["arr"].size == len(raw)
    # inputs are recorded with their source step and artifact
    inputs = run.steps["use"].inputs
    assert inputs["arr"][0][:2] == ("make", "arr")
    assert inputs["arr"][0][2].digest == outputs["arr"].digest


def test_register_materializers_hook_from_conftest(zenrunner):
    zenrunner.makeconftest("""
        import zenrun
        from points import Point

        class PointMaterializer:
            name, version = "point", "1"

            def can_save(self, value):
                return isinstance(value, Point)

            def dumps(self, value):
                return f"POINT {value.x} {value.y}".encode()

            def loads(self, data):
                _, x, y = data.decode().split()
                return Point(int(x), int(y))

        @zenrun.hookimpl
        def zenrun_register_materializers(registry):
            registry.register(PointMaterializer())
    """)
    zenrunner.makepyfile(
        points="""
        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y
    """,
        pipeline_points="""
        from zenrun import step, pipeline
        from points import Point

        @step
        def make() -> Point:
            return Point(3, 4)

        @step
        def norm(p: Point) -> float:
            return (p.x ** 2 + p.y ** 2) ** 0.5 * FACTOR

        @pipeline
        def points():
            norm(make())
    """.replace("FACTOR", "1"),
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    ref = run.steps["make"].output
    assert ref.materializer == "point"
    assert artifact_bytes(zenrunner.store, ref.digest) == b"POINT 3 4"
    # norm changes; make is cached and its output is loaded by the custom materializer
    source = (zenrunner.path / "pipeline_points.py").read_text().replace("* 1", "* 2")
    (zenrunner.path / "pipeline_points.py").write_text(source)
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["make"].status == "cached"
    assert run.steps["norm"].status == "completed"
    assert run.steps["norm"].output.materializer == "json"
    digest = run.steps["norm"].output.digest
    assert artifact_bytes(zenrunner.store, digest) == b"10.0"
    # The Python API loads the project's conftests too, so it reads the custom artifact.
    script = """
        from zenrun import get_pipeline
        point = get_pipeline("points").last_run.steps["make"].output.read()
        print(type(point).__name__, point.x, point.y)
    """
    assert zenrunner.runpython(script).outlines[-1] == "Point 3 4"


# ---------------------------------------------------------------------------
# SQLite metadata store
# ---------------------------------------------------------------------------


def test_sqlite_metadata_store_roundtrip(tmp_path):
    store = SqliteMetadataStore(tmp_path / "metadata.db")
    run = PipelineRun(
        name="p-01_Jan_24-00_00_00_000001",
        pipeline_name="p",
        item_id="x.py::p",
        enable_cache=True,
        orchestrator="local",
        graph={"a": [], "b": ["a"]},
    )
    run.started = 100.0
    store.create_run(run)
    assert run.id is not None
    # visible to another connection at once, as running
    assert SqliteMetadataStore(tmp_path / "metadata.db").get_run(run.name).status == "running"

    ref = ArtifactRef("d" * 64, 3, "json", "builtins.int")
    a = StepRun(
        "a",
        "load",
        "completed",
        config={"gamma": 0.1},
        cache_key="k" * 64,
        cache_parts={"code": "c"},
        started=100.0,
        finished=101.0,
        outputs={"output": ref},
        upstream=[],
    )
    b = StepRun(
        "b",
        "train",
        "failed",
        started=101.0,
        finished=102.0,
        error="Traceback...\nValueError",
        inputs={"x": [("a", "output", ref)]},
        upstream=["a"],
    )
    store.record_step(run, a)
    store.record_step(run, b)
    run.status, run.finished = "failed", 102.0
    store.finish_run(run)
    store.close()

    again = SqliteMetadataStore(tmp_path / "metadata.db")
    [loaded] = again.get_runs("p")
    assert again.get_runs("other") == []
    assert loaded.name == run.name and loaded.status == "failed" and loaded.duration == 2.0
    assert loaded.graph == {"a": [], "b": ["a"]} and loaded.item_id == "x.py::p"
    assert again.get_run("latest").name == run.name
    assert again.get_run("nope") is None
    assert again.pipeline_names() == ["p"]
    steps = loaded.steps
    assert list(steps) == ["a", "b"]
    assert steps["a"].config == {"gamma": 0.1} and steps["a"].cache_key == "k" * 64
    assert steps["a"].output == ref
    assert steps["b"].status == "failed" and steps["b"].error.endswith("ValueError")
    assert steps["b"].inputs == {"x": [("a", "output", ref)]}
    assert steps["b"].upstream == ["a"]
    assert again.previous_step("p", "a", None).cache_parts == {"code": "c"}
    assert again.previous_step("p", "b", None) is None  # failed steps do not explain misses


def test_a_run_is_seen_alive_through_any_path_to_its_store(tmp_path):
    """The liveness lock this process holds is found whichever path opened the store (a
    symlink here): testing it would release it (POSIX locks are per process)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    store = SqliteMetadataStore(tmp_path / "link" / "metadata.db")
    runs = []
    for index in range(2):  # the second finds the lock directory's real path resolved
        run = PipelineRun(name=f"p-01_Jan_24-00_00_00_00000{index}", pipeline_name="p")
        run.started = 100.0
        store.create_run(run)
        runs.append(run)
    other = SqliteMetadataStore(tmp_path / "real" / "metadata.db")
    assert other.dead_runs() == [] and store.dead_runs() == []
    lock = tmp_path / "real" / "runs" / f"{runs[1].name}.lock"
    assert lock.is_file()
    for run in runs:
        run.status, run.finished = "completed", 101.0
        store.finish_run(run)
    assert not lock.exists()
    assert [r.status for r in other.get_runs()] == ["completed", "completed"]


def test_logged_metadata_of_a_cache_hit_reads_no_rows_of_other_reruns(tmp_path):
    """Every cache hit asks what its producer logged; reruns add a row per hit, which the
    question must not scan (it made fully cached reruns slower with every rerun)."""
    path = tmp_path / "metadata.db"
    store = SqliteMetadataStore(path)
    for i in range(30):
        run = PipelineRun(
            name=f"p-{i}",
            pipeline_name="p",
            item_id="x.py::p",
            enable_cache=True,
            orchestrator="local",
            graph={"a": []},
        )
        run.started = float(i)
        store.create_run(run)
        logged = i == 3  # the run that produced "k": later runs are cache hits of it
        step = StepRun(
            "a",
            "load",
            "completed" if logged else "cached",
            cache_key="k" * 64,
            started=float(i),
            finished=i + 0.5,
            upstream=[],
            metadata={"accuracy": 0.9} if logged else {},
        )
        store.record_step(run, step)
        run.status, run.finished = "completed", i + 1.0
        store.finish_run(run)
    assert store.logged_metadata("k" * 64) == {"accuracy": 0.9}
    assert store.logged_metadata("z" * 64) is None
    store.close()
    with sqlite3.connect(path) as db:
        plan = " ".join(
            row[-1]
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT metadata FROM steps WHERE cache_key=? AND "
                "status='completed' AND metadata IS NOT NULL ORDER BY run_id DESC LIMIT 1",
                ("k" * 64,),
            )
        )
        assert "USING INDEX steps_with_logged_metadata" in plan and "TEMP B-TREE" not in plan, plan
        # A store made before that index gets it when zenrun opens it.
        db.execute("DROP INDEX steps_with_logged_metadata")
    SqliteMetadataStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name='steps_with_logged_metadata'").fetchone()


def test_step_records_are_appended_without_an_index_of_every_cache_key(tmp_path):
    """A rerun records a step per hit: the steps table's indexes grow at their end (run id)
    or hold only the steps that logged metadata, so each flush writes pages in proportion
    to its batch, not to every step recorded before (an index of all cache keys, random
    strings, made each flush of a long rerun rewrite pages all over it). The batched
    question of what hits' producers logged reads that partial index, not the steps."""
    path = tmp_path / "metadata.db"
    with sqlite3.connect(path) as db:  # a store of an earlier zenrun, with that index
        db.executescript(SCHEMA)
        db.execute("CREATE INDEX steps_by_cache_key ON steps (cache_key)")
    store = SqliteMetadataStore(path)
    run = PipelineRun(name="p-1", pipeline_name="p", item_id="x.py::p", graph={"a": [], "b": []})
    store.create_run(run)
    for step_id, logged in (("a", {"accuracy": 0.5}), ("b", {})):
        step = StepRun(step_id, step_id, "completed", cache_key=step_id * 64, started=1.0, finished=2.0)
        step.metadata = logged
        store.record_step(run, step)
    run.status, run.finished = "completed", 3.0
    store.finish_run(run)
    assert store.logged_metadata_many(["a" * 64, "b" * 64, "c" * 64]) == {"a" * 64: {"accuracy": 0.5}}
    store.close()
    with sqlite3.connect(path) as db:
        indexes = {
            row[0]: row[1]
            for row in db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='steps'"
            )
        }
        plan = " ".join(
            row[-1]
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT cache_key, metadata FROM steps WHERE cache_key IN (?, ?) "
                "AND status='completed' AND metadata IS NOT NULL ORDER BY run_id",
                ("a" * 64, "b" * 64),
            )
        )
    assert "steps_by_cache_key" not in indexes, indexes
    for name, sql in indexes.items():  # the primary key's (run_id first), or a partial one
        assert sql is None or "WHERE" in sql, (name, sql)
    assert "USING INDEX steps_with_logged_metadata" in plan, plan


def test_metadata_store_is_wal(zenrunner):
    zenrunner.makepyfile(pipeline_typed=TYPED)
    zenrunner.run("-q")
    for name in ("metadata.db", "cache.db"):
        with sqlite3.connect(zenrunner.store / name) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


SLOW = """
import time
from pathlib import Path
from zenrun import step, pipeline

@step(enable_cache=False)
def tick(i: int) -> int:
    time.sleep(0.02)
    return i

@step(enable_cache=False)
def total(xs: list) -> int:
    return sum(xs)

@pipeline
def slow_NAME():
    total([tick(i) for i in range(25)])
"""


def test_two_processes_share_a_store(zenrunner):
    zenrunner.makepyfile(pipeline_a=SLOW.replace("NAME", "a"), pipeline_b=SLOW.replace("NAME", "b"))
    env = zenrunner.env()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "zenrun", name, "-q"],
            cwd=zenrunner.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("pipeline_a.py", "pipeline_b.py", "pipeline_a.py")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out + err
    runs = read_store(zenrunner.store).get_runs()
    assert sorted(r.pipeline_name for r in runs) == ["slow_a", "slow_a", "slow_b"]
    for run in runs:
        assert run.status == "completed"
        assert len(run.steps) == 26
        assert all(s.status == "completed" for s in run.steps.values())
    assert len({r.name for r in runs}) == 3


def test_statuses_running_then_failed_when_process_dies(zenrunner):
    marker = zenrunner.path / "started.txt"
    zenrunner.makepyfile(
        pipeline_hang=f"""
        import time
        from pathlib import Path
        from zenrun import step, pipeline

        @step
        def first() -> int:
            return 1

        @step
        def hang(x: int) -> int:
            Path({str(marker)!r}).write_text("x")
            time.sleep(60)
            return x

        @pipeline
        def hanging():
            hang(first())
    """
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-q"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.05)
        [run] = read_store(zenrunner.store).get_runs()
        assert run.status == "running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the next process to open the store fails the abandoned run
    [run] = read_store(zenrunner.store).get_runs()
    assert run.status == "failed"
    assert "running" not in {s.status for s in run.steps.values()}


def test_a_run_named_as_another_process_s_run_of_the_same_microsecond_takes_the_next_name(tmp_path):
    """Processes starting runs of one pipeline at once can make the same name (its time, to the
    microsecond): the second takes the next microsecond's name instead of an INTERNALERROR
    (its run lock was held, or its row's name taken)."""
    from zenrun.metadata.records import PipelineRun
    from zenrun.metadata.sqlite import SqliteMetadataStore

    store_path = tmp_path / "metadata.db"
    name = "tracked-05_Dec_26-14_30_12_999999"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from zenrun.metadata.records import PipelineRun\n"
            "from zenrun.metadata.sqlite import SqliteMetadataStore\n"
            f"store = SqliteMetadataStore({str(store_path)!r})\n"
            f"store.create_run(PipelineRun(name={name!r}, pipeline_name='tracked'))\n"
            "print('ready', flush=True)\n"
            "sys.stdin.read()\n",  # holds the run's lock until the test is done
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        store = SqliteMetadataStore(store_path)
        try:
            mine = PipelineRun(name=name, pipeline_name="tracked")
            store.create_run(mine)  # the lock is the other process's
            assert mine.name == "tracked-05_Dec_26-14_30_13_000000"
            again = PipelineRun(name=name, pipeline_name="tracked")
            store.create_run(again)  # the name is taken by a row (and the next one too)
            assert again.name == "tracked-05_Dec_26-14_30_13_000001"
            names = sorted(r.name for r in store.get_runs())
            assert names == [name, mine.name, again.name]
        finally:
            store.close()
    finally:
        holder.kill()
        holder.wait()


def test_interrupt_leaves_no_running_run(zenrunner):
    marker = zenrunner.path / "started.txt"
    zenrunner.makepyfile(
        pipeline_hang=f"""
        import time
        from pathlib import Path
        from zenrun import step, pipeline

        @step
        def hang() -> int:
            Path({str(marker)!r}).write_text("x")
            time.sleep(60)
            return 1

        @step
        def after(x: int) -> int:
            return x

        @pipeline
        def hanging():
            after(hang())
    """
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not marker.exists():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    assert "KeyboardInterrupt" in out
    [run] = read_store(zenrunner.store).get_runs()
    assert run.status == "failed"
    assert {s.status for s in run.steps.values()} <= {"failed", "skipped"}
    assert run.steps["after"].status == "skipped"


def test_step_statuses_in_the_store(zenrunner):
    zenrunner.makepyfile(
        pipeline_mixed="""
        from zenrun import step, pipeline

        @step
        def one() -> int:
            return 1

        @step(enable_cache=False)
        def fresh(x: int) -> int:
            return x + 1

        @step
        def explode(x: int) -> int:
            raise RuntimeError("no")

        @step
        def downstream(x: int) -> int:
            return x

        @pipeline
        def mixed():
            x = one()
            fresh(x)
            downstream(explode(x))
    """
    )
    zenrunner.run()
    zenrunner.run()
    runs = read_store(zenrunner.store).get_runs()
    assert [r.status for r in runs] == ["failed", "failed"]
    assert {k: s.status for k, s in runs[-1].steps.items()} == {
        "one": "cached",
        "fresh": "completed",
        "explode": "failed",
        "downstream": "skipped",
    }
    assert runs[-1].steps["explode"].error.rstrip().endswith("RuntimeError: no")
    assert runs[-1].steps["downstream"].outputs == {}


# ---------------------------------------------------------------------------
# post-execution API
# ---------------------------------------------------------------------------

API_PIPELINE = """
import numpy as np
from zenrun import step, pipeline, Output, StepConfig

class ScaleConfig(StepConfig):
    factor: float = 2.0

@step
def load() -> Output(X=np.ndarray, y=list):
    return np.ones((2, 2)), [1, 2]

@step
def scale(config: ScaleConfig, X: np.ndarray) -> np.ndarray:
    return X * config.factor

@pipeline
def api_pipe():
    X, y = load()
    scale(X)

_instance = api_pipe()  # underscore: not collected a second time
"""


def test_post_execution_api(zenrunner):
    zenrunner.makepyfile(pipeline_api=API_PIPELINE)
    assert zenrunner.run("-q").ret == 0
    result = zenrunner.runpython(
        textwrap.dedent("""
        import numpy as np
        import zenrun
        from zenrun import get_pipeline, get_run

        p = get_pipeline("api_pipe")
        assert len(p.runs) == 1, p.runs
        run = p.runs[-1]
        assert p.last_run.name == run.name
        assert run.status == "completed" and run.duration > 0
        assert list(run.steps) == ["load", "scale"]
        load = run.steps["load"]
        X = load.outputs["X"].read()
        assert isinstance(X, np.ndarray) and X.shape == (2, 2)
        assert load.outputs["y"].read() == [1, 2]
        scale = run.steps["scale"]
        assert scale.config == {"factor": 2.0}
        assert len(scale.cache_key) == 64
        assert np.array_equal(scale.output.read(), np.full((2, 2), 2.0))
        try:
            load.output
        except AttributeError as exc:
            assert "outputs" in str(exc)
        else:
            raise AssertionError("several outputs: .output must fail")
        assert get_run(run.name).name == run.name
        assert get_run("latest").name == run.name
        try:
            get_pipeline("nope")
        except KeyError as exc:
            assert "api_pipe" in str(exc)
        else:
            raise AssertionError
        from pipeline_api import _instance as instance
        assert [r.name for r in instance.get_runs()] == [run.name]
        print("API OK")
    """)
    )
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["API OK"])


def test_api_reads_a_store_with_only_the_protocol(tmp_path, monkeypatch):
    """get_pipeline, get_item and runs_table work on a plugin's store that has only the
    MetadataStore protocol's reads (they used the SQLite store's queries: AttributeError)."""
    import types

    import zenrun
    from zenrun.metadata import api

    sqlite_store = SqliteMetadataStore(tmp_path / "metadata.db")
    for index, (pipeline_name, item_id) in enumerate(
        [
            ("grid", "p.py::grid[1]"),
            ("grid", "p.py::grid[2]"),
            ("solo", "q.py::solo"),
            ("grid", "p.py::grid[1]"),
        ]
    ):
        run = PipelineRun(f"{pipeline_name}-{index}", pipeline_name, item_id=item_id, params={"i": index})
        run.started = 100.0 + index
        sqlite_store.create_run(run)
        run.status, run.finished = "completed", 101.0 + index
        sqlite_store.finish_run(run)

    class ProtocolOnly:  # a plugin's store: the protocol's reads and nothing more
        def __init__(self, store):
            self.get_runs, self.get_run = store.get_runs, store.get_run

    from zenrun.protocols import MetadataStore, fill_defaults

    protocol_only = ProtocolOnly(sqlite_store)
    fill_defaults(protocol_only, MetadataStore)  # as zenrun does to what a factory hook returns
    answers = []
    for store in (sqlite_store, protocol_only):
        config = types.SimpleNamespace(metadata_store=store, store_path=tmp_path)
        monkeypatch.setattr(api, "_config", lambda config=config: config)
        with pytest.raises(KeyError) as unknown:
            zenrun.get_pipeline("nope")
        with pytest.raises(KeyError) as no_item:
            zenrun.get_item("grid[9]")
        answers.append(
            (
                [r.name for r in zenrun.get_item("grid[1]").runs],
                [r.name for r in zenrun.get_item("q.py::solo").runs],
                [row["run"] for row in zenrun.runs_table()],
                [row["run"] for row in zenrun.runs_table("grid", last=2)],
                [row["run"] for row in zenrun.runs_table(item="grid[2]")],
                str(unknown.value),
                str(no_item.value),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][:5] == (
        ["grid-0", "grid-3"],
        ["solo-2"],
        ["grid-0", "grid-1", "solo-2", "grid-3"],
        ["grid-1", "grid-3"],
        ["grid-1"],
    )
    assert "recorded pipelines: grid, solo" in answers[0][5]
    assert "recorded items: grid[1], grid[2], solo" in answers[0][6]
    sqlite_store.close()


def test_api_uses_store_option_env(zenrunner, tmp_path_factory):
    store = tmp_path_factory.mktemp("s") / "store"
    zenrunner.makepyfile(pipeline_api=API_PIPELINE)
    assert zenrunner.run("-q", env={"ZENRUN_STORE": str(store)}).ret == 0
    script = textwrap.dedent("""
        from zenrun import get_pipeline
        print("RUNS", len(get_pipeline("api_pipe").runs))
    """)
    result = zenrunner.runpython(script, env={"ZENRUN_STORE": str(store)})
    result.fnmatch_lines(["RUNS 1"])
    result = zenrunner.runpython(script)
    assert result.ret != 0
    assert "no runs of pipeline 'api_pipe'" in result.stderr


def test_api_from_a_subdirectory_finds_the_rootdir_store(zenrunner):
    zenrunner.makepyfile(pipeline_api=API_PIPELINE)
    assert zenrunner.run("-q").ret == 0
    sub = zenrunner.path / "deep" / "er"
    sub.mkdir(parents=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from zenrun import get_pipeline; print('RUNS', len(get_pipeline('api_pipe').runs))",
        ],
        cwd=sub,
        env=zenrunner.env(),
        capture_output=True,
        text=True,
    )
    assert "RUNS 1" in proc.stdout, proc.stderr


def test_read_of_corrupted_artifact_fails_loudly(zenrunner):
    zenrunner.makepyfile(pipeline_api=API_PIPELINE)
    zenrunner.run("-q")
    ref = read_store(zenrunner.store).get_runs()[-1].steps["scale"].output
    damage(zenrunner.store, ref.digest)  # an inline artifact (small): its row is damaged
    result = zenrunner.runpython(
        textwrap.dedent("""
        from zenrun import get_pipeline
        get_pipeline("api_pipe").last_run.steps["scale"].output.read()
    """)
    )
    assert result.ret != 0
    assert "does not match its hash" in result.stderr


def test_failed_artifact_write_fails_the_run_and_commits_nothing_dangling(zenrunner):
    """A disk-full during a write: the run fails saying why; no record or cache entry
    points at the lost artifact, and the next run redoes the step."""
    zenrunner.makeconftest("""
        import errno
        import os
        import zenrun
        from zenrun.artifacts.store import LocalArtifactStore

        class FullDisk(LocalArtifactStore):
            def _write(self, data, digest):
                if data == b"[1,2,3]" and os.environ.get("DISK_FULL"):
                    raise OSError(errno.ENOSPC, "No space left on device (simulated)")
                return super()._write(data, digest)

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_artifact_store(config):
            store = FullDisk(config.store_path / "artifacts")
            config.add_cleanup(store.close)
            return store
    """)
    zenrunner.makepyfile(
        pipeline_disk="""
        import time
        from zenrun import pipeline, step

        @step
        def values() -> list:
            return [1, 2, 3]

        @step
        def total(v: list) -> int:
            time.sleep(0.3)  # let the background flush run into the failed write
            return sum(v)

        @pipeline
        def disk():
            total(values())
    """
    )
    result = zenrunner.run(env={"DISK_FULL": "1"})
    assert result.ret == 1
    result.fnmatch_lines(["*could not be stored: OSError*No space left on device*"])
    import sqlite3

    with sqlite3.connect(zenrunner.store / "cache.db") as db:
        assert db.execute("SELECT count(*) FROM cache").fetchone()[0] == 0
    with sqlite3.connect(zenrunner.store / "metadata.db") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("failed",)]
        digests = [r[0] for r in db.execute("SELECT digest FROM step_io WHERE kind='out'")]
    for digest in digests:  # whatever was recorded exists
        assert (zenrunner.store / "artifacts" / digest[:2] / digest[2:]).exists()
    again = zenrunner.run("-v")
    assert again.ret == 0
    again.no_fnmatch_line("*Using cached version of values*")


#: A conftest whose local store's inline pack fails to commit a transaction holding the
#: artifact ``[1,2,3]``, as SQLite does on a full disk: every such commit with ``DISK_FULL``
#: set, or only the first one with ``DISK_FULL=once``.
FAILING_PACK_COMMIT = """
    import os, sqlite3
    import zenrun
    from zenrun.artifacts.store import LocalArtifactStore

    failed = []

    class FailingCommit:
        def __init__(self, db):
            self._db = db

        def __getattr__(self, name):
            return getattr(self._db, name)

        def execute(self, sql, *args):
            if sql == "COMMIT" and os.environ.get("DISK_FULL") and not (failed and os.environ["DISK_FULL"] == "once"):
                if self._db.execute("SELECT 1 FROM blobs WHERE data=?", (b"[1,2,3]",)).fetchone():
                    failed.append(sql)
                    raise sqlite3.OperationalError("database or disk is full")
            return self._db.execute(sql, *args)

    class FullDisk(LocalArtifactStore):
        def _pack(self, create=False):
            db = super()._pack(create)
            return None if db is None else FailingCommit(db)

    @zenrun.hookimpl(tryfirst=True)
    def zenrun_make_artifact_store(config):
        store = FullDisk(config.store_path / "artifacts", inline_max=1 << 16)
        config.add_cleanup(store.close)
        return store
"""


VALUES_THEN_TOTAL = """
    from zenrun import pipeline, step

    @step
    def values() -> list:
        return [1, 2, 3]

    @step
    def total(v: list) -> int:
        return sum(v)

    @pipeline
    def disk():
        total(values())
"""


def test_failed_inline_pack_commit_fails_the_run_and_commits_nothing_dangling(zenrunner):
    """The same for small artifacts, kept in the inline pack: its commit fails (a full
    disk) and no record or cache entry points at what it held."""
    zenrunner.makeconftest(FAILING_PACK_COMMIT)
    zenrunner.makepyfile(pipeline_disk=VALUES_THEN_TOTAL)
    result = zenrunner.run(env={"DISK_FULL": "1"})
    assert result.ret == 1
    result.fnmatch_lines(["*could not be stored: OperationalError: database or disk is full*"])
    import sqlite3

    with sqlite3.connect(zenrunner.store / "cache.db") as db:
        assert db.execute("SELECT count(*) FROM cache").fetchone()[0] == 0
    with sqlite3.connect(zenrunner.store / "metadata.db") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("failed",)]
        digests = [r[0] for r in db.execute("SELECT digest FROM step_io WHERE kind='out'")]
    store = LocalArtifactStore(zenrunner.store / "artifacts")
    for digest in digests:  # whatever was recorded exists
        assert store.exists(digest)
    again = zenrunner.run("-v")
    assert again.ret == 0
    again.no_fnmatch_line("*Using cached version of values*")
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["total"].output.read() == 6


def test_an_inline_pack_commit_failing_once_is_retried_before_the_records_commit(zenrunner):
    """The pack commits while the records are written; when that commit fails, the
    artifacts are committed again before any record: the run completes, and its
    records point at artifacts the pack holds."""
    zenrunner.makeconftest(FAILING_PACK_COMMIT)
    zenrunner.makepyfile(pipeline_disk=VALUES_THEN_TOTAL)
    result = zenrunner.run(env={"DISK_FULL": "once"})
    assert result.ret == 0, result.stdout.str()
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.status == "completed"
    assert run.steps["values"].output.read() == [1, 2, 3]
    assert run.steps["total"].output.read() == 6
    again = zenrunner.run("-v")
    again.fnmatch_lines(["*Using cached version of values*"])


def test_a_new_store_directory_is_marked_as_pytest_marks_its_cache(zenrunner):
    zenrunner.makepyfile(
        pipeline_one="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def p():
            one()
    """
    )
    assert zenrunner.run().ret == 0
    store = zenrunner.store
    assert (store / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (store / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert "zenrun --gc" in (store / "README.md").read_text()
    (store / "README.md").write_text("mine")  # never overwritten
    assert zenrunner.run().ret == 0
    assert (store / "README.md").read_text() == "mine"


def test_store_check_and_repair_verify_find_a_damaged_inline_artifact(zenrunner):
    """A small output is a row of the inline pack: --store-check --verify reports it damaged,
    --store-repair --verify removes it, and the next run computes it again."""
    zenrunner.makepyfile(
        pipeline_small="""
        from zenrun import pipeline, step

        @step
        def make() -> list:
            return [1, 2, 3]

        @step(enable_cache=False)
        def total(values: list) -> int:
            return sum(values)

        @pipeline
        def small():
            total(make())
    """
    )
    assert zenrunner.run("-q").ret == 0
    digest = read_store(zenrunner.store).get_runs()[-1].steps["make"].output.digest
    assert not (zenrunner.store / "artifacts" / digest[:2] / digest[2:]).exists()  # a row, not a file
    assert artifact_bytes(zenrunner.store, digest) == b"[1,2,3]"
    damage(zenrunner.store, digest)
    check = zenrunner.run("--store-check", "--verify")
    assert check.ret == 1, check.stdout
    check.fnmatch_lines(["*artifacts: 2 stored, 0 recorded but missing, 1 corrupt (contents hashed)"])
    repair = zenrunner.run("--store-repair", "--verify")
    assert repair.ret == 0, repair.stdout
    repair.fnmatch_lines([f"removed 1 corrupt artifact(s) ({digest[:12]})*"])
    rerun = zenrunner.run("-v")
    assert rerun.ret == 0
    rerun.fnmatch_lines(["*Step make: cache miss*"])
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["make"].status == "completed" and run.steps["total"].output.read() == 6
    assert artifact_bytes(zenrunner.store, digest) == b"[1,2,3]"


MANY_SMALL = """
from zenrun import pipeline, step

@step
def sq(i: int) -> int:
    return i * i

@step
def total(values: list) -> int:
    return sum(values)

@step
def pair(a: int, b: int) -> list:
    return [a, b]

@pipeline
def many():
    for k in range(5):
        total(pair(sq(2 * k), sq(2 * k + 1)))
"""


def _totals(zenrunner):
    """The totals of the last run, read through the Python API in a process of its own (an
    open reader in this process would hold the pack while the test damages it)."""
    result = zenrunner.runpython(
        "from zenrun import get_pipeline\n"
        "run = get_pipeline('many').runs[-1]\n"
        "print(sorted(s.output.read() for n, s in run.steps.items() if n.startswith('total')))\n"
    )
    assert result.ret == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("damage_kind", ["directory", "half", "empty", "deleted"])
def test_a_damaged_inline_pack_is_a_warned_miss_and_the_steps_run_again(zenrunner, damage_kind):
    """The inline pack made a directory, truncated to half or to nothing, or deleted: the
    next run warns (naming the file when it is there but unusable), runs the steps again
    with the right values, and the run after it is all hits."""
    zenrunner.makepyfile(pipeline_many=MANY_SMALL)
    first = zenrunner.run("-q")
    assert first.ret == 0, first.stdout + first.stderr
    expected = sorted((2 * k) ** 2 + (2 * k + 1) ** 2 for k in range(5))
    assert _totals(zenrunner) == expected
    pack = zenrunner.store / "artifacts" / "inline.db"
    assert pack.stat().st_size > 0
    if damage_kind == "directory":
        pack.unlink()
        pack.mkdir()
        (pack / "inside").write_text("x")
    elif damage_kind == "half":
        os.truncate(pack, pack.stat().st_size // 2)
    elif damage_kind == "empty":
        os.truncate(pack, 0)
    else:
        pack.unlink()
    rerun = zenrunner.run("-v")
    assert rerun.ret == 0, rerun.stdout + rerun.stderr
    assert "INTERNALERROR" not in rerun.stdout + rerun.stderr
    rerun.fnmatch_lines(["*Cached output output of step sq is missing or corrupt*"])
    if damage_kind in ("directory", "half"):
        rerun.fnmatch_lines([f"*The inline artifact pack {pack} is damaged*set aside as*"])
    assert _totals(zenrunner) == expected
    again = zenrunner.run("-v")
    assert again.ret == 0
    assert again.stdout.count("Using cached version of") == 20, again.stdout
    assert _totals(zenrunner) == expected
    check = zenrunner.run("--store-check")
    assert check.ret == 0, check.stdout


def test_the_uri_of_a_packed_artifact_is_a_file_even_when_the_store_cannot_take_it(zenrunner):
    """``.uri`` of an inline artifact is a file a user can open: in the store when it can
    be written there, else in a private temporary directory (here a stray file sits where
    the artifact's directory would go, as in a read-only store)."""
    zenrunner.makepyfile(pipeline_many=MANY_SMALL)
    first = zenrunner.run("-q")
    assert first.ret == 0, first.stdout + first.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    digests = {name: s.output.digest for name, s in run.steps.items()}
    blocked = digests["pair_3"]
    shard = zenrunner.store / "artifacts" / blocked[:2]
    assert not shard.exists()  # a row of the pack, not a file
    shard.write_text("not a directory")
    script = textwrap.dedent("""
        import json
        from zenrun import get_pipeline
        run = get_pipeline("many").runs[-1]
        out = {}
        for name in ("pair_3", "pair"):
            output = run.steps[name].output
            with open(output.uri, "rb") as fh:
                out[name] = [output.uri, fh.read().decode(), output.read()]
        print(json.dumps(out))
    """)
    result = zenrunner.runpython(script)
    assert result.ret == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["pair_3"][1:] == ["[16,25]", [16, 25]]
    assert seen["pair"][1:] == ["[0,1]", [0, 1]]
    assert not seen["pair_3"][0].startswith(str(zenrunner.store))
    assert seen["pair"][0] == str(zenrunner.store / "artifacts" / digests["pair"][:2] / digests["pair"][2:])
    assert zenrunner.runpython(script).stdout == result.stdout  # the file is reused as it is
    again = zenrunner.run("-v")  # the stray file does not hide the pack's rows from a rerun
    assert again.ret == 0, again.stdout + again.stderr
    assert again.stdout.count("Using cached version of") == 20, again.stdout


def test_a_damaged_row_of_the_inline_pack_is_named_removed_and_computed_again(zenrunner):
    """A row whose bytes no longer match its digest: the rerun warns naming the pack and
    the artifact, runs its step again with the right value, and the next run is all hits."""
    zenrunner.makepyfile(pipeline_many=MANY_SMALL)
    first = zenrunner.run("-q")
    assert first.ret == 0, first.stdout + first.stderr
    digest = read_store(zenrunner.store).get_runs()[-1].steps["pair_2"].output.digest
    pack = zenrunner.store / "artifacts" / "inline.db"
    with sqlite3.connect(pack) as db:
        [(data,)] = db.execute("SELECT data FROM blobs WHERE digest=?", (digest,)).fetchall()
        assert bytes(data) == b"[4,9]"
        db.execute("UPDATE blobs SET data=? WHERE digest=?", (b"[4,8]", digest))
    db.close()
    rerun = zenrunner.run("-v")
    assert rerun.ret == 0, rerun.stdout + rerun.stderr
    rerun.fnmatch_lines(
        [
            f"*Artifact {digest[:12]} in the inline artifact pack {pack} is damaged*runs again*",
            "*Cached output output of step pair_2 is missing or corrupt*",
        ]
    )
    assert rerun.stdout.count("Using cached version of") == 19, rerun.stdout
    expected = sorted((2 * k) ** 2 + (2 * k + 1) ** 2 for k in range(5))
    assert _totals(zenrunner) == expected
    pair = zenrunner.runpython(
        "from zenrun import get_pipeline\nprint(get_pipeline('many').runs[-1].steps['pair_2'].output.read())\n"
    )
    assert pair.stdout.strip() == "[4, 9]", pair.stdout + pair.stderr
    again = zenrunner.run("-v")
    assert again.ret == 0
    assert again.stdout.count("Using cached version of") == 20, again.stdout
    assert zenrunner.run("--store-check", "--verify").ret == 0


def test_an_emptied_inline_pack_another_process_holds_open_is_set_aside(zenrunner, monkeypatch):
    """The pack truncated to 0 bytes while a reader (a notebook on the Python API) still
    has it open in WAL mode can never be switched to WAL again: the next run sets it aside
    with a warning naming it, instead of failing with "database is locked" after a minute.
    (That run is in-process, the wait for the empty pack's switch to WAL cut from 10 s to
    0.5 s: the switch never succeeds here, however long it waits.)"""
    import zenrun.artifacts.store

    monkeypatch.setattr(zenrun.artifacts.store, "_EMPTY_PACK_WAIT", 0.5)
    zenrunner.makepyfile(pipeline_many=MANY_SMALL)
    first = zenrunner.run("-q")
    assert first.ret == 0, first.stdout + first.stderr
    reader_script = zenrunner.makepyfile(
        _reader_=textwrap.dedent("""
            import sys
            from zenrun import get_pipeline
            print(get_pipeline("many").runs[-1].steps["pair_2"].output.read(), flush=True)
            sys.stdin.read()  # holds the pack open until the test closes stdin
        """)
    )
    reader = subprocess.Popen(
        [sys.executable, str(reader_script)],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "[4, 9]"
        pack = zenrunner.store / "artifacts" / "inline.db"
        os.truncate(pack, 0)
        rerun = zenrunner.run("-v", inprocess=True)
        assert rerun.ret == 0, rerun.stdout + rerun.stderr
        rerun.fnmatch_lines([f"*The inline artifact pack {pack} is damaged (0 bytes*set aside as*"])
        rerun.no_fnmatch_line("*INTERNALERROR*")
    finally:
        reader.kill()
        reader.communicate()
    expected = sorted((2 * k) ** 2 + (2 * k + 1) ** 2 for k in range(5))
    assert _totals(zenrunner) == expected
    again = zenrunner.run("-v")
    assert again.ret == 0
    assert again.stdout.count("Using cached version of") == 20, again.stdout


def test_the_flush_thread_started_ahead_of_runs_ends_when_none_comes():
    """``zenrun`` starts the thread committing the runs' records as it opens the stores; with
    no run to flush it ends by itself, as after the last run."""
    import threading

    from zenrun.execution import start_flusher

    def flush_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "zenrun-flush" and t.is_alive()]

    start_flusher()
    assert len(flush_threads()) == 1
    start_flusher()  # running: not a second one
    assert len(flush_threads()) <= 1
    deadline = time.time() + 120
    while flush_threads():
        assert time.time() < deadline, "the idle flush thread did not end"
        time.sleep(0.05)


CHAIN_OF_SMALL_OUTPUTS = """
    import zenrun
    from zenrun import pipeline, step

    @step
    def make(i: int, k: int) -> list:
        return [i * k] * 50

    @step
    def total(xs: list) -> int:
        return sum(xs)

    @zenrun.mark.parametrize("k", [1, 2, 3, 4])
    @pipeline
    def chain(k):
        for i in range(18):
            total(make(i, k))
"""


def _overwrite_pages(path: Path, first: int, count: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(first * 4096)
        fh.write(b"\xa5" * (4096 * count))


@pytest.mark.parametrize("reader", ["run", "store-check", "gc"])
def test_an_inline_pack_with_damaged_pages_is_set_aside_by_whatever_reads_it(zenrunner, reader):
    # pages garbled inside a pack that opens fine: its queries fail "malformed"
    zenrunner.makepyfile(pipeline_chain=CHAIN_OF_SMALL_OUTPUTS)
    assert zenrunner.run("-q").ret == 0
    pack = zenrunner.store / "artifacts" / "inline.db"
    assert pack.stat().st_size >= 6 * 4096
    _overwrite_pages(pack, 2, 3)
    args = {"run": ["-q"], "store-check": ["--store-check", "--verify"], "gc": ["--gc"]}[reader]
    first = zenrunner.run(*args)
    assert "INTERNALERROR" not in first.stdout + first.stderr, first.stdout + first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    assert "is damaged (database disk image is malformed); set aside as" in first.stdout + first.stderr
    assert list(pack.parent.glob("inline.db.damaged-*"))
    if reader == "run":
        assert first.ret == 0, first.stdout
    rerun = zenrunner.run("-q")  # the steps whose outputs it held run again, right
    assert rerun.ret == 0, rerun.stdout + rerun.stderr
    runs = read_store(zenrunner.store).get_runs()
    last = {r.item_id: r for r in runs}
    for k in (1, 2, 3, 4):
        steps = last[f"pipeline_chain.py::chain[{k}]"].steps
        assert [steps[f"total_{i + 1}" if i else "total"].output.read() for i in range(18)] == [
            i * k * 50 for i in range(18)
        ]
    assert zenrunner.run("--store-check", "--verify").ret == 0


def test_store_check_names_recorded_artifacts_that_are_missing_and_exits_1(zenrunner):
    zenrunner.maketoml("inline_artifacts = 0")
    zenrunner.makepyfile(pipeline_chain=CHAIN_OF_SMALL_OUTPUTS)
    assert zenrunner.run("-q", "-k", "chain and 1").ret == 0
    run = read_store(zenrunner.store).get_runs()[-1]
    digest = run.steps["make"].output.digest
    (zenrunner.store / "artifacts" / digest[:2] / digest[2:]).unlink()
    check = zenrunner.run("--store-check")
    assert check.ret == 1, check.stdout
    check.fnmatch_lines(
        [
            "*recorded but missing*",
            f"*MISSING artifact {digest[:12]}: output 'output' of step make of pipeline chain*",
        ]
    )


def test_a_push_to_a_directory_store_copies_the_artifacts_into_it(zenrunner, tmp_path):
    zenrunner.makepyfile(pipeline_chain=CHAIN_OF_SMALL_OUTPUTS)
    assert zenrunner.run("-q", "-k", "chain and 1").ret == 0
    target = tmp_path / "pushed"
    push = zenrunner.run("--store-push", str(target))
    assert push.ret == 0, push.stdout + push.stderr
    push.fnmatch_lines(["pushed 1 runs (0 already there), * cache entries and 36 artifacts to *pushed"])
    assert "warning" not in push.stdout
    check = zenrunner.run("--store", str(target), "--store-check", "--verify")
    assert check.ret == 0, check.stdout
    check.fnmatch_lines(["*artifacts: 36 stored, 0 recorded but missing, 0 corrupt*"])
    shutil.rmtree(zenrunner.store)  # the pushed store stands alone: every step a cache hit
    rerun = zenrunner.run("-q", "-k", "chain and 1", "--store", str(target))
    assert rerun.ret == 0
    run = read_store(target).get_runs()[-1]
    assert {s.status for s in run.steps.values()} == {"cached"}
    assert run.steps["total_18"].output.read() == 17 * 50


def test_a_deleted_store_identity_file_is_said_and_costs_one_miss(zenrunner):
    zenrunner.makepyfile(pipeline_chain=CHAIN_OF_SMALL_OUTPUTS)
    assert zenrunner.run("-q", "-k", "chain and 1").ret == 0
    (zenrunner.store / "artifacts" / ".zenrun-store-id").unlink()
    result = zenrunner.run("-q", "-k", "chain and 1")
    assert result.ret == 0
    result.fnmatch_lines(["*had artifacts but no .zenrun-store-id (deleted?): it has a new identity*"])
    again = zenrunner.run("-q", "-k", "chain and 1")
    assert "identity" not in again.stdout
    run = read_store(zenrunner.store).get_runs()[-1]
    assert {s.status for s in run.steps.values()} == {"cached"}


class _CommitFailsOnce:
    """A pack connection whose first ``COMMIT`` fails, as SQLite's on a full disk."""

    def __init__(self, db, failures):
        self._db, self._failures = db, failures

    def __getattr__(self, name):
        return getattr(self._db, name)

    def execute(self, sql, *args):
        if sql == "COMMIT" and not self._failures:
            self._failures.append(sql)
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)


def _packed_digests(root):
    with contextlib.closing(sqlite3.connect(root / "inline.db")) as db:
        return {row[0] for row in db.execute("SELECT digest FROM blobs")}


def test_begin_sync_commits_small_artifacts_once_its_call_returns(tmp_path):
    """``begin_sync()`` starts the pack's commit; when its call returns, another
    connection (a reader after a crash) finds every artifact put before it."""
    from zenrun.artifacts.store import LocalArtifactStore

    store = LocalArtifactStore(tmp_path / "artifacts", inline_max=1 << 16)
    try:
        digests = {store.put(f"value {i}".encode())[0] for i in range(300)}
        finish = store.begin_sync()
        store.put(b"put while it commits")  # left for a later commit, never lost
        finish()
        assert digests <= _packed_digests(tmp_path / "artifacts")
        finish()  # a second call (the next store's before_commit) changes nothing
        store.sync()
        assert len(_packed_digests(tmp_path / "artifacts")) == 301
    finally:
        store.close()


def test_a_failed_early_pack_commit_is_made_again_before_begin_sync_returns(tmp_path):
    """The early commit fails: the call that finishes ``begin_sync`` commits the
    artifacts again itself before returning, so records committed after it never
    point at artifacts the pack lacks."""
    from zenrun.artifacts.store import LocalArtifactStore

    failures: list[str] = []

    class Failing(LocalArtifactStore):
        def _pack(self, create=False):
            db = super()._pack(create)
            return None if db is None else _CommitFailsOnce(db, failures)

    store = Failing(tmp_path / "artifacts", inline_max=1 << 16)
    try:
        digest, _ = store.put(b"[1,2,3]")
        store.begin_sync()()
        assert failures == ["COMMIT"]
        assert digest in _packed_digests(tmp_path / "artifacts")
        assert store.get(digest) == b"[1,2,3]"
    finally:
        store.close()


@pytest.mark.parametrize(
    "apart", [True, False], ids=["cache-flushed-inside-the-records", "one-after-the-other"]
)
def test_killed_between_the_cache_and_the_records_commit_the_next_run_reuses_the_steps(zenrunner, apart):
    """The end of a run commits the artifacts, then the cache index, then the step records:
    a process killed after the cache's commit and before the records' (here it exits
    hard at that moment) leaves steps the next run finds in the cache. Whether the cache
    is flushed from inside the records' ``before_commit`` (stores that flush apart, as the
    built-in ones) or before the records' flush."""
    zenrunner.makeconftest(f"""
        import os
        import zenrun
        from zenrun.metadata.sqlite import SqliteMetadataStore

        class DiesBeforeCommitting(SqliteMetadataStore):
            flushes_apart = {apart}

            def flush(self, before_commit=None):
                def then_die():
                    if before_commit is not None:
                        before_commit()
                    if os.environ.get("DIE_BEFORE_RECORDS"):
                        os._exit(9)

                return super().flush(before_commit=then_die)

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_metadata_store(config):
            store = DiesBeforeCommitting(config.store_path / "metadata.db")
            config.add_cleanup(store.close)
            return store
    """)
    zenrunner.makepyfile(pipeline_disk=VALUES_THEN_TOTAL)
    died = zenrunner.run(env={"DIE_BEFORE_RECORDS": "1"})
    assert died.ret == 9, died.stdout.str()
    again = zenrunner.run("-v")
    assert again.ret == 0, again.stdout.str()
    again.fnmatch_lines(["*Using cached version of values*", "*Using cached version of total*"])
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["total"].output.read() == 6


def test_a_pack_commit_its_pool_never_ran_leaves_the_pack_usable(tmp_path):
    """The pack's early commit is queued on the store's pool; a pool shut down with its
    queue cancelled never runs it: its transaction is ended and the pack's lock
    released, and the call finishing ``begin_sync`` commits the artifacts itself."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from zenrun.artifacts.store import LocalArtifactStore

    store = LocalArtifactStore(tmp_path / "artifacts", inline_max=1 << 16)
    release = threading.Event()
    pool = ThreadPoolExecutor(1)
    try:
        store._pool = pool
        pool.submit(release.wait, 30)  # the pool's one thread busy: the commit waits in its queue
        digest, _ = store.put(b"[1,2,3]")
        finish = store.begin_sync()
        pool.shutdown(wait=False, cancel_futures=True)
        finished = threading.Thread(target=finish, daemon=True)  # (a hung one must not hold the suite)
        finished.start()
        finished.join(timeout=20)
        assert not finished.is_alive(), "begin_sync's call never returned: the pack's lock was never released"
        assert digest in _packed_digests(tmp_path / "artifacts")
    finally:
        release.set()
        pool.shutdown()
        store._pool = None
        if store._inline_lock.acquire(timeout=5):  # else the pack's lock was lost: leave it open
            store._inline_lock.release()
            store.close()


@pytest.mark.parametrize("apart", [True, False], ids=["both-flush-apart", "the-cache-does-not-say"])
def test_the_cache_index_is_flushed_inside_the_records_flush_when_both_stores_flush_apart(zenrunner, apart):
    """Stores that each keep a file of their own (``flushes_apart``, the built-in SQLite
    ones) write the step records' rows first, while the artifacts commit, and flush the
    cache index from inside the records' ``before_commit``; otherwise the cache index is
    flushed first, then the records. Either way the cache commits before the records."""
    zenrunner.makeconftest(f"""
        import json
        import zenrun
        from zenrun.cache import SqliteCache
        from zenrun.metadata.sqlite import SqliteMetadataStore

        EVENTS = []

        class Records(SqliteMetadataStore):
            def flush(self, before_commit=None):
                def noted():
                    EVENTS.append("records: before commit")
                    if before_commit is not None:
                        before_commit()

                EVENTS.append("records: flush")
                super().flush(before_commit=noted)
                EVENTS.append("records: flushed")

        class Index(SqliteCache):
            flushes_apart = {apart}

            def flush(self, before_commit=None):
                EVENTS.append("cache: flush")
                super().flush(before_commit=before_commit)
                EVENTS.append("cache: flushed")

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_metadata_store(config):
            store = Records(config.store_path / "metadata.db")
            config.add_cleanup(store.close)
            return store

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_cache(config):
            cache = Index(config.store_path / "cache.db")
            config.add_cleanup(cache.close)
            return cache

        @zenrun.hookimpl
        def zenrun_pipeline_run_finish(run):
            with open("events.json", "w") as fh:
                json.dump(EVENTS, fh)
    """)
    zenrunner.makepyfile(pipeline_disk=VALUES_THEN_TOTAL)
    result = zenrunner.run()
    assert result.ret == 0, result.stdout.str()
    events = json.loads((zenrunner.path / "events.json").read_text())
    at = len(events) - 1 - events[::-1].index("records: before commit")  # the run's last flush
    if apart:
        assert events[at - 1 : at + 4] == [
            "records: flush",
            "records: before commit",
            "cache: flush",
            "cache: flushed",
            "records: flushed",
        ], events
    else:
        assert events[at - 3 : at + 2] == [
            "cache: flush",
            "cache: flushed",
            "records: flush",
            "records: before commit",
            "records: flushed",
        ], events
    again = zenrunner.run("-v")
    assert again.ret == 0, again.stdout.str()
    again.fnmatch_lines(["*Using cached version of values*", "*Using cached version of total*"])


@pytest.mark.parametrize("finish", ["sync", "begin_sync"])
@pytest.mark.parametrize("replaced", ["set-aside-by-another-process", "store-deleted-and-made-again"])
def test_a_pack_replaced_under_an_open_store_gets_its_next_artifacts(tmp_path, replaced, finish):
    """A store keeps its pack open between commits (a Dask worker, for many sessions). When
    the file at the pack's path is no longer the one it opened (another process set it
    aside as damaged; the store was deleted and made again), its next commits go to the pack
    now at the path: committed to the old file, they were confirmed and lost to every reader
    (every artifact of the runs after it missing)."""
    from zenrun.artifacts.store import INLINE_DB

    root = tmp_path / "store" / "artifacts"
    store = LocalArtifactStore(root, inline_max=1 << 16)
    try:
        first, _ = store.put(b"before")
        store.sync()
        assert first in _packed_digests(root)
        if replaced == "set-aside-by-another-process":
            os.replace(root / INLINE_DB, root / f"{INLINE_DB}.damaged-1")
        else:
            shutil.rmtree(tmp_path / "store")
        digest, _ = store.put(b"after the pack was replaced")
        if finish == "sync":
            store.sync()
        else:
            store.begin_sync()()
        assert store.exists(digest)
        reader = LocalArtifactStore(root, inline_max=1 << 16)  # another process, the next session
        try:
            assert reader.exists(digest) and reader.get(digest) == b"after the pack was replaced"
            assert not reader.exists(first)  # it went with the old pack: a miss, never wrong
        finally:
            reader.close()
    finally:
        store.close()


def test_a_store_deleted_and_made_again_under_an_open_store_gets_its_next_files(tmp_path):
    """A store object remembers the folders it made (``artifacts/ab/``): after the store was
    deleted and made again under it (a Dask worker outlives sessions), each output written
    as a file failed its step with ``FileNotFoundError`` on a temporary file, until the
    process ended. Its folders are made again."""
    root = tmp_path / "store" / "artifacts"
    store = LocalArtifactStore(root)
    small, large = b"s" * 100, b"l" * (4 << 20)
    try:
        for data in (small, large):
            store.put(data)
        store.put_file(lambda f: f.write(b"streamed"))
        store.sync()
        shutil.rmtree(tmp_path / "store")
        digests = [
            store.put(small)[0],
            store.put(large)[0],
            store.put_file(lambda f: f.write(b"streamed"))[0],
        ]
        store.sync()
        reader = LocalArtifactStore(root)
        assert [reader.get(d) for d in digests] == [small, large, b"streamed"]
        reader.close()
    finally:
        store.close()
