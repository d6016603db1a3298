"""Conformance tests for store plugins: subclass them in your test suite.

Like fsspec's ``fsspec.tests.abstract``, each class is a set of pytest tests
written against :mod:`zenrun.protocols` only. A store author subclasses it in
a test module (the name must start with ``Test``) and provides one fixture,
``open_store``: a function that opens a *new* handle on the same storage each
time it is called (a new connection, as another zenrun process would open)::

    import pytest
    from zenrun.testing import MetadataStoreTests

    class TestMyMetadataStore(MetadataStoreTests):
        @pytest.fixture
        def open_store(self, tmp_path):
            return lambda: MyMetadataStore(tmp_path / "db")

Class attributes say what the store claims (a store that cannot be shared by
processes, or tell a dead owner, skips those tests): see each class. The kit is a
set of pytest tests: install pytest (the ``test`` extra) to run it.
Importable as ``zenrun.testing.MetadataStoreTests`` (and ``CacheTests``,
``ArtifactStoreTests``); this module is imported only then, so the
``zenrun.testing`` pytest plugin stays light.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.metadata.records import ArtifactRef, PipelineRun, StepRun
from zenrun.protocols import (
    ANY_ITEM,
    AmbiguousRunError,
    ArtifactError,
    ArtifactStore,
    Cache,
    MetadataStore,
    fill_defaults,
    missing_members,
)

__all__ = ["ArtifactStoreTests", "CacheTests", "MetadataStoreTests", "make_run", "make_step"]

_names = itertools.count()


def make_run(pipeline: str = "p", item_id: str | None = None, **fields: Any) -> PipelineRun:
    """A new run record (status ``running``) with a unique name, as zenrun makes one."""
    name = fields.pop("name", None) or f"{pipeline}-{os.getpid()}-{next(_names)}-{time.time_ns()}"
    run = PipelineRun(name=name, pipeline_name=pipeline, item_id=item_id, started=time.time(), **fields)
    run._steps = {}
    return run


def make_step(step_id: str, status: str = "completed", **fields: Any) -> StepRun:
    """A step record; ``outputs={"out": b"bytes"}`` makes artifact refs of those bytes."""
    outputs = {
        name: value
        if isinstance(value, ArtifactRef)
        else ArtifactRef(hashlib.sha256(value).hexdigest(), len(value), "json", "builtins.int", "1")
        for name, value in (fields.pop("outputs", None) or {}).items()
    }
    now = time.time()
    return StepRun(
        id=step_id,
        name=fields.pop("name", step_id),
        status=status,
        started=fields.pop("started", now),
        finished=fields.pop("finished", now),
        outputs=outputs,
        **fields,
    )


def _record(
    store: MetadataStore, pipeline: str = "p", item_id: str | None = None, **steps: Any
) -> PipelineRun:
    """Create, record and finish a completed run with ``steps`` (id -> StepRun)."""
    run = make_run(pipeline, item_id)
    store.create_run(run)
    for step in steps.values():
        store.record_step(run, step)
    run.status, run.finished = "completed", time.time()
    store.finish_run(run)
    return run


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _opened(opener: Callable[[], Any], protocol: type[Any]) -> Any:
    """What ``opener()`` returns, completed with the protocol's defaults as zenrun does."""
    store = opener()
    fill_defaults(store, protocol)
    return store


def _child(function: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    try:
        queue.put((True, function(*args)))
    except BaseException as exc:  # the parent reports it
        queue.put((False, f"{type(exc).__name__}: {exc}"))
    finally:
        queue.close()
        queue.join_thread()
        os._exit(0)


def _in_processes(
    function: Callable[..., Any], calls: list[tuple[Any, ...]], timeout: float = 300
) -> list[Any]:
    """``function(*args)`` for each of ``calls``, at once, each in a forked process (the
    ``open_store`` functions of the tests need not be picklable); their results."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_child, args=(function, args, queue)) for args in calls]
    try:
        for child in children:
            child.start()
        results = [queue.get(timeout=timeout) for _ in children]
    finally:
        for child in children:
            child.join(timeout)
            if child.is_alive():
                child.kill()
                child.join()
    failures = [value for ok, value in results if not ok]
    assert not failures, failures
    return [value for _, value in results]


def _close(store: Any) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


# ---------------------------------------------------------------------------
# metadata stores
# ---------------------------------------------------------------------------


def _write_runs(opener: Callable[[], MetadataStore], worker: int, runs: int, steps: int) -> list[str]:
    store = _opened(opener, MetadataStore)
    names = []
    try:
        for _ in range(runs):
            run = make_run("concurrent", f"c.py::concurrent[{worker}]")
            store.create_run(run)
            for index in range(steps):
                store.record_step(run, make_step(f"s{index}", outputs={"out": f"{worker}-{index}".encode()}))
                store.flush()
            run.status, run.finished = "completed", time.time()
            store.finish_run(run)
            names.append(run.name)
    finally:
        _close(store)
    return names


def _start_and_die(opener: Callable[[], MetadataStore], name: str) -> None:
    """In a child process: start a run and die without finishing it (as kill -9 would)."""
    try:
        store = _opened(opener, MetadataStore)
        run = make_run("doomed", name=name)
        store.create_run(run)
        store.record_step(run, make_step("slow", status="running"))
        store.flush()
    finally:
        os._exit(0)


class MetadataStoreTests:
    """The :class:`~zenrun.protocols.MetadataStore` contract: recording, queries, the
    records a cache miss is explained by, concurrent writers, liveness, gc.

    Provide the fixture ``open_store`` (see the module docstring). What the store claims,
    as class attributes a subclass overrides:

    - ``shared_across_processes = True``: several processes may open the store at once
      (the tests fork writers); False skips those tests.
    - ``detects_dead_owners = True``: ``dead_runs`` names a run whose owner died; False
      skips those tests.
    - ``dead_owner_timeout = 30.0``: seconds a dead owner may take to be detected (a
      lease's length).
    """

    shared_across_processes: bool = True
    """Several processes may open the store at once (the tests fork writers)."""
    detects_dead_owners: bool = True
    """:meth:`~zenrun.protocols.MetadataStore.dead_runs` names a run whose owner died."""
    dead_owner_timeout: float = 30.0
    """Seconds a dead owner may take to be detected (a lease's length)."""

    @pytest.fixture
    def open_store(self) -> Callable[[], MetadataStore]:
        raise NotImplementedError("define the fixture open_store in your subclass")

    @pytest.fixture
    def store(self, open_store: Callable[[], MetadataStore]) -> Iterator[MetadataStore]:
        store = _opened(open_store, MetadataStore)
        try:
            yield store
        finally:
            _close(store)

    @pytest.fixture
    def reopen(self, open_store: Callable[[], MetadataStore]) -> Iterator[Callable[[], MetadataStore]]:
        """Open another handle (closed at the end of the test)."""
        opened: list[MetadataStore] = []

        def reopen() -> MetadataStore:
            opened.append(_opened(open_store, MetadataStore))
            return opened[-1]

        try:
            yield reopen
        finally:
            for store in opened:
                _close(store)

    # -- the contract itself --------------------------------------------------------
    def test_fits_the_protocol(self, store: MetadataStore) -> None:
        assert missing_members(store, MetadataStore) == []
        assert isinstance(store, MetadataStore)
        assert store.read_only is False

    # -- recording -------------------------------------------------------------------
    def test_create_run_gives_increasing_ids_visible_at_once(
        self, store: MetadataStore, reopen: Callable[[], MetadataStore]
    ) -> None:
        first, second = make_run("p"), make_run("p")
        store.create_run(first)
        store.create_run(second)
        assert isinstance(first.id, int) and isinstance(second.id, int) and first.id < second.id
        seen = reopen().get_run(first.name)
        assert seen is not None and seen.status == "running" and seen.pipeline_name == "p"

    def test_records_read_back_in_full(
        self, store: MetadataStore, reopen: Callable[[], MetadataStore]
    ) -> None:
        run = make_run(
            "train",
            "pipeline_train.py::train[a]",
            orchestrator="local",
            enable_cache=True,
            graph={"load": [], "fit": ["load"]},
            params={"rate": 0.5},
            artifact_store="file:///somewhere/artifacts",
        )
        store.create_run(run)
        load = make_step("load", outputs={"output": b"[1, 2]"}, config={"n": 2}, cache_key="k-load")
        fit = make_step(
            "fit",
            name="fit_model",
            cache_key="k-fit",
            cache_parts={"code": "c1", "inputs": {"x": "d"}},
            cache_reason="cache miss: no earlier run of this step",
            metadata={"accuracy": 0.75, "note": "ok"},
            plugin_metadata={"timer": {"wall": 0.5}},
            captured={"stdout": "hello\n"},
            upstream=["load"],
            outputs={"model": b"model-bytes"},
        )
        fit.inputs = {"x": [("load", "output", load.outputs["output"])]}
        store.record_step(run, load)
        store.record_step(run, fit)
        run.status, run.finished, run.n_steps, run.n_cached = "completed", time.time(), 2, 0
        run.metrics = {"accuracy": 0.75}
        store.finish_run(run)

        got = reopen().get_run(run.name)
        assert got is not None
        assert (got.id, got.status, got.item_id, got.params, got.artifact_store) == (
            run.id,
            "completed",
            "pipeline_train.py::train[a]",
            {"rate": 0.5},
            "file:///somewhere/artifacts",
        )
        assert got.finished == pytest.approx(run.finished)
        assert got.metrics == {"accuracy": 0.75}
        assert list(got.steps) == ["load", "fit"]
        step = got.steps["fit"]
        assert (step.name, step.status, step.cache_key, step.cache_parts) == (
            "fit_model",
            "completed",
            "k-fit",
            {"code": "c1", "inputs": {"x": "d"}},
        )
        assert step.metadata == {"accuracy": 0.75, "note": "ok"}
        assert step.plugin_metadata == {"timer": {"wall": 0.5}}
        assert step.captured == {"stdout": "hello\n"}
        assert step.upstream == ["load"]
        assert step.cache_reason == "cache miss: no earlier run of this step"
        out = step.outputs["model"]
        assert (out.digest, out.size, out.materializer) == (_digest(b"model-bytes"), 11, "json")
        [(source, output, ref)] = step.inputs["x"]
        assert (source, output, ref and ref.digest) == ("load", "output", _digest(b"[1, 2]"))
        assert got.steps["load"].config == {"n": 2}

    def test_a_later_record_of_a_step_replaces_the_earlier(
        self, store: MetadataStore, reopen: Callable[[], MetadataStore]
    ) -> None:
        run = make_run()
        store.create_run(run)
        given = ArtifactRef(_digest(b"[1, 2]"), 6, "json", "builtins.list", "[1, 2]")
        step = make_step("a", status="running", finished=None, inputs={"x": [("load", "output", given)]})
        store.record_step(run, step)
        store.flush()
        running = reopen().get_run(run.name)
        assert running is not None and running.steps["a"].status == "running"
        done = make_step(
            "a",
            status="failed",
            error="Traceback: boom",
            inputs={"x": [("load", "output", given)]},
            outputs={"partial": b"1"},
        )
        store.record_step(run, done)
        run.status, run.finished = "failed", time.time()
        store.finish_run(run)
        got = reopen().get_run(run.name)
        assert got is not None and got.status == "failed"
        assert [(s.id, s.status, s.error) for s in got.steps.values()] == [("a", "failed", "Traceback: boom")]
        # Its inputs and outputs as the later record has them, each once.
        given_to = [(source, output) for source, output, _ref in got.steps["a"].inputs["x"]]
        assert given_to == [("load", "output")]
        assert list(got.steps["a"].outputs) == ["partial"]

    def test_flush_calls_before_commit_and_drops_records_when_it_raises(
        self, store: MetadataStore, reopen: Callable[[], MetadataStore]
    ) -> None:
        run = make_run()
        store.create_run(run)
        calls = []
        store.record_step(run, make_step("kept", outputs={"o": b"1"}))
        store.flush(before_commit=lambda: calls.append("sync"))
        assert calls == ["sync"]
        store.record_step(run, make_step("lost", outputs={"o": b"2"}))

        def lost_write() -> None:
            raise OSError("disk full")

        with pytest.raises(OSError):
            store.flush(before_commit=lost_write)
        run.status, run.finished = "failed", time.time()
        store.finish_run(run)
        got = reopen().get_run(run.name)
        assert got is not None and list(got.steps) == ["kept"]

    # -- queries ---------------------------------------------------------------------
    @pytest.fixture
    def grid(self, store: MetadataStore) -> dict[str, PipelineRun]:
        """grid[1], grid[2], solo, grid[1] again (oldest first), completed."""
        runs = {}
        for key, (pipeline, item) in {
            "g1": ("grid", "pipeline_grid.py::grid[1]"),
            "g2": ("grid", "pipeline_grid.py::grid[2]"),
            "solo": ("solo", "pipeline_solo.py::solo"),
            "g1b": ("grid", "pipeline_grid.py::grid[1]"),
        }.items():
            runs[key] = _record(store, pipeline, item, a=make_step("a", cache_key=f"k-{key}"))
        return runs

    def test_get_runs_oldest_first_and_by_pipeline(
        self, store: MetadataStore, grid: dict[str, PipelineRun]
    ) -> None:
        names = [r.name for r in grid.values()]
        assert [r.name for r in store.get_runs()] == names
        assert [r.name for r in store.get_runs("grid")] == [names[0], names[1], names[3]]
        assert store.get_runs("nope") == []
        latest = store.get_run("latest")
        assert latest is not None and latest.name == names[3]
        assert store.get_run("no-such-run") is None

    def test_recent_runs(self, store: MetadataStore, grid: dict[str, PipelineRun]) -> None:
        names = [r.name for r in grid.values()]
        assert [r.name for r in store.recent_runs()] == names[::-1]
        assert [r.name for r in store.recent_runs(2)] == names[:1:-1]
        assert [r.name for r in store.recent_runs(pipeline="solo")] == [names[2]]
        only_grid1 = store.recent_runs(match=lambda item, pipeline: item == "pipeline_grid.py::grid[1]")
        assert [r.name for r in only_grid1] == [names[3], names[0]]

    def test_items(self, store: MetadataStore, grid: dict[str, PipelineRun]) -> None:
        assert store.item_ids() == [
            "pipeline_grid.py::grid[1]",
            "pipeline_grid.py::grid[2]",
            "pipeline_solo.py::solo",
        ]
        assert store.item_ids("solo") == ["pipeline_solo.py::solo"]
        assert store.resolve_item("grid[2]") == "pipeline_grid.py::grid[2]"
        assert store.resolve_item("pipeline_solo.py::solo") == "pipeline_solo.py::solo"
        assert store.resolve_item("grid[9]") is None
        assert [r.name for r in store.item_runs("pipeline_grid.py::grid[1]")] == [
            grid["g1"].name,
            grid["g1b"].name,
        ]
        latest = store.latest_item_runs("grid")
        assert sorted(r.name for r in latest) == sorted([grid["g1b"].name, grid["g2"].name])
        assert store.pipeline_names() == ["grid", "solo"]

    def test_an_item_short_id_of_two_files_is_ambiguous(self, store: MetadataStore) -> None:
        _record(store, "x", "one.py::x")
        _record(store, "x", "two.py::x")
        with pytest.raises(AmbiguousRunError):
            store.resolve_item("x")

    def test_find_run(self, store: MetadataStore, grid: dict[str, PipelineRun]) -> None:
        assert store.find_run("latest").name == grid["g1b"].name
        assert store.find_run(grid["g2"].name).name == grid["g2"].name
        assert store.find_run("grid[1]").name == grid["g1b"].name  # an item: its newest run
        assert store.find_run("solo").name == grid["solo"].name  # a pipeline of one item
        with pytest.raises(AmbiguousRunError):
            store.find_run("grid")  # a pipeline with several items
        unique = _record(store, "zz-unique-pipeline")
        assert store.find_run(unique.name[:-3]).name == unique.name  # a unique prefix
        with pytest.raises(LookupError):
            store.find_run("no-such-run-or-item")

    def test_find_runs_pages_and_filters(self, store: MetadataStore, grid: dict[str, PipelineRun]) -> None:
        page = store.find_runs(limit=2)
        assert [row["name"] for row in page] == [grid["g1b"].name, grid["solo"].name]
        assert set(page[0]) >= {"name", "pipeline", "item_id", "status", "started", "finished"}
        assert [row["name"] for row in store.find_runs(limit=2, offset=2)] == [
            grid["g2"].name,
            grid["g1"].name,
        ]
        assert [row["name"] for row in store.find_runs("SOLO completed")] == [grid["solo"].name]

    def test_previous_step_explains_a_miss_per_item(self, store: MetadataStore) -> None:
        parts = {"code": "old"}
        first = _record(store, "p", "f.py::p[a]", s=make_step("s", cache_key="k1", cache_parts=parts))
        _record(store, "p", "f.py::p[b]", s=make_step("s", cache_key="k2", cache_parts={"code": "b"}))
        _record(store, "p", "f.py::p[a]", s=make_step("s", status="failed", cache_parts={"code": "x"}))
        current = make_run("p", "f.py::p[a]")
        store.create_run(current)
        previous = store.previous_step("p", "s", current.id, item_id="f.py::p[a]")
        assert previous is not None and previous.cache_key == "k1" and previous.cache_parts == parts
        any_item = store.previous_step("p", "s", current.id, item_id=ANY_ITEM)
        assert any_item is not None and any_item.cache_key == "k2"
        assert store.previous_step("p", "s", first.id, item_id="f.py::p[a]") is None
        assert store.previous_step("p", "other", current.id, item_id="f.py::p[a]") is None
        assert store.previous_step("p", "s", current.id, item_id=None) is None  # API runs only

    def test_last_computed_is_the_newest_completed_record(self, store: MetadataStore) -> None:
        assert store.last_computed("p", "s") is None
        parts = {"code": "c1"}
        _record(store, "p", "f.py::p[a]", s=make_step("s", started=10.0, finished=10.5, cache_parts=parts))
        _record(store, "p", "f.py::p[b]", s=make_step("s", status="cached", started=20.0, finished=20.0))
        _record(store, "p", "f.py::p[a]", s=make_step("s", status="failed", started=30.0, finished=30.1))
        _record(store, "q", "f.py::q", s=make_step("s", started=40.0, finished=49.0))
        last = store.last_computed("p", "s")
        assert last is not None and last.status == "completed" and last.cache_parts == parts
        assert (last.started, last.finished) == (10.0, 10.5)
        assert store.last_computed("p", "other") is None

    def test_a_record_is_what_the_step_was_when_recorded(self, store: MetadataStore) -> None:
        """``record_step`` keeps what the record holds when called: the object may change
        after (a store that serializes the live object at ``flush`` records the later state)."""
        run = make_run("p", None)
        store.create_run(run)
        step = make_step("s", metadata={"accuracy": 0.5})
        store.record_step(run, step)
        step.status, step.metadata = "failed", {"accuracy": 0.0}
        step.error = "changed after it was recorded"
        run.status, run.finished = "completed", time.time()
        store.finish_run(run)
        store.flush()
        recorded = store.get_run(run.name)
        assert recorded is not None
        got = recorded.steps["s"]
        assert (got.status, got.metadata, got.error) == ("completed", {"accuracy": 0.5}, None)

    def test_logged_metadata_of_the_computing_step(self, store: MetadataStore) -> None:
        _record(store, s=make_step("s", cache_key="key", metadata={"accuracy": 0.5}))
        _record(store, s=make_step("s", status="cached", cache_key="key", metadata={"accuracy": 0.5}))
        _record(store, s=make_step("s", cache_key="other", metadata={"accuracy": 0.9}))
        assert store.logged_metadata("key") == {"accuracy": 0.5}
        assert store.logged_metadata("never") is None
        found = store.logged_metadata_many(["key", "never", "other", "key"])
        assert found == {"key": {"accuracy": 0.5}, "other": {"accuracy": 0.9}}

    def test_cached_steps_copied_from_a_completed_run_or_none(self, store: MetadataStore) -> None:
        a = make_step(
            "a", cache_key="ka", cache_parts={"code": "c"}, metadata={"m": 1}, outputs={"out": b"1"}
        )
        a.captured, a.config = {"stdout": "computing\n"}, {"lr": 0.1}
        b = make_step("b", cache_key="kb", upstream=["a"], outputs={"out": b"2"})
        b.inputs = {"x": [("a", "out", a.outputs["out"])]}
        source = _record(store, "p", "f.py::p", a=a, b=b)
        running = make_run("p", "f.py::p")
        store.create_run(running)
        store.create_run(other := make_run("p", "f.py::p"))  # a source that is not completed
        copy = store.copy_cached_steps

        def steps_of(run: PipelineRun) -> dict[str, StepRun]:
            found = store.get_run(run.name)
            assert found is not None
            return found.steps

        assert copy(running, (source.id, source.name), ["a", "b"], 5.0, lambda: False) is False
        assert copy(running, (source.id, source.name), ["a"], 5.0) is False  # not its steps
        assert copy(running, (other.id, other.name), ["a", "b"], 5.0) is False
        assert copy(running, (source.id, "another name"), ["a", "b"], 5.0) is False
        assert steps_of(running) == {}  # each refusal wrote nothing
        if not copy(running, (source.id, source.name), ["a", "b"], 5.0, lambda: True):
            assert steps_of(running) == {}  # a store that does not copy
            return
        steps = steps_of(running)
        assert sorted(steps) == ["a", "b"]
        for step_id, original in (("a", a), ("b", b)):
            step = steps[step_id]
            assert (step.status, step.cache_reason, step.started, step.finished) == (
                "cached",
                "cache hit",
                5.0,
                5.0,
            )
            assert (step.error, step.captured, step.plugin_metadata) == (None, {}, {})
            assert (step.cache_key, step.cache_parts, step.config, step.metadata) == (
                original.cache_key,
                original.cache_parts,
                original.config,
                original.metadata,
            )
            assert step.outputs == original.outputs and step.upstream == original.upstream
        assert steps["b"].inputs == {"x": [("a", "out", a.outputs["out"])]}
        assert steps_of(source)["a"].status == "completed"  # the source as it was

    # -- concurrent writers ------------------------------------------------------------
    def test_concurrent_threads_lose_nothing(self, open_store: Callable[[], MetadataStore]) -> None:
        results: list[list[str]] = [[] for _ in range(4)]
        errors: list[BaseException] = []

        def write(worker: int) -> None:
            try:
                results[worker] = _write_runs(open_store, worker, 3, 3)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        self._check_concurrent(open_store, [n for names in results for n in names], 12)

    def test_concurrent_processes_lose_nothing(self, open_store: Callable[[], MetadataStore]) -> None:
        if not self.shared_across_processes:
            pytest.skip("the store is not shared across processes")
        results = _in_processes(_write_runs, [(open_store, w, 3, 3) for w in range(4)])
        self._check_concurrent(open_store, [n for names in results for n in names], 12)

    def _check_concurrent(
        self, open_store: Callable[[], MetadataStore], names: list[str], count: int
    ) -> None:
        store = _opened(open_store, MetadataStore)
        try:
            runs = store.get_runs("concurrent")
            assert sorted(r.name for r in runs) == sorted(names) and len(names) == count
            ids = [r.id for r in runs]
            assert len(set(ids)) == count and ids == sorted(ids)
            for run in runs:
                assert run.status == "completed"
                assert sorted(run.steps) == ["s0", "s1", "s2"]
        finally:
            _close(store)

    # -- liveness ------------------------------------------------------------------------
    def test_a_live_run_is_not_dead(self, store: MetadataStore, reopen: Callable[[], MetadataStore]) -> None:
        run = make_run()
        store.create_run(run)
        assert run.name not in reopen().dead_runs()
        run.status, run.finished = "completed", time.time()
        store.finish_run(run)
        assert run.name not in reopen().dead_runs()

    def test_a_run_whose_owner_died_is_detected(
        self, store: MetadataStore, open_store: Callable[[], MetadataStore]
    ) -> None:
        if not (self.detects_dead_owners and self.shared_across_processes):
            pytest.skip("the store does not detect dead owners in other processes")
        name = f"doomed-{os.getpid()}-{time.time_ns()}"
        child = multiprocessing.get_context("fork").Process(target=_start_and_die, args=(open_store, name))
        child.start()
        child.join(60)
        assert child.exitcode == 0
        deadline = time.monotonic() + self.dead_owner_timeout
        while name not in store.dead_runs():
            assert time.monotonic() < deadline, f"{name} not detected dead in {self.dead_owner_timeout}s"
            time.sleep(0.2)
        assert name in store.fail_dead_runs() or name not in store.dead_runs()
        got = store.get_run(name)
        assert got is not None and got.status == "failed"
        assert got.steps["slow"].status in ("failed", "running")

    # -- gc ------------------------------------------------------------------------------------
    def test_referenced_digests_and_delete_runs(self, store: MetadataStore) -> None:
        old = _record(store, a=make_step("a", outputs={"o": b"old"}))
        new = _record(store, a=make_step("a", outputs={"o": b"new"}))
        assert store.referenced_digests() >= {_digest(b"old"), _digest(b"new")}
        try:
            store.delete_runs([old.name])
        except NotImplementedError:
            pytest.skip("the store cannot delete runs")
        assert [r.name for r in store.get_runs("p")] == [new.name]
        assert _digest(b"old") not in store.referenced_digests()
        assert _digest(b"new") in store.referenced_digests()

    def test_deleting_the_computing_run_keeps_what_it_logged(self, store: MetadataStore) -> None:
        computed = _record(store, s=make_step("s", cache_key="key", metadata={"accuracy": 0.5}))
        _record(store, s=make_step("s", status="cached", cache_key="key", metadata={"accuracy": 0.5}))
        try:
            store.delete_runs([computed.name])
        except NotImplementedError:
            pytest.skip("the store cannot delete runs")
        assert store.logged_metadata("key") == {"accuracy": 0.5}  # a later cache hit still shows it
        assert store.logged_metadata_many(["key", "never"]) == {"key": {"accuracy": 0.5}}


# ---------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------


def _entry(data: bytes) -> dict[str, dict[str, Any]]:
    return {
        "output": {
            "digest": _digest(data),
            "size": len(data),
            "materializer": "json",
            "type": "builtins.int",
        },
        "@data": {"files": []},
    }


def _put_entries(opener: Callable[[], Cache], worker: int, count: int) -> None:
    cache = _opened(opener, Cache)
    try:
        for index in range(count):
            cache.put(f"w{worker}-{index}", _entry(f"{worker}-{index}".encode()))
            cache.flush()
    finally:
        _close(cache)


class CacheTests:
    """The :class:`~zenrun.protocols.Cache` contract: hits and misses, buffering,
    concurrent writers, what ``--gc`` reads.

    Provide the fixture ``open_store`` returning a function that opens the cache. Claim
    (a class attribute): ``shared_across_processes = True``, several processes (each with
    its own handle) may write at once; False skips those tests.
    """

    shared_across_processes: bool = True
    """Several processes (each with its own handle) may write at once."""

    @pytest.fixture
    def open_store(self) -> Callable[[], Cache]:
        raise NotImplementedError("define the fixture open_store in your subclass")

    @pytest.fixture
    def cache(self, open_store: Callable[[], Cache]) -> Iterator[Cache]:
        cache = _opened(open_store, Cache)
        try:
            yield cache
        finally:
            _close(cache)

    def _reopened(self, open_store: Callable[[], Cache]) -> Cache:
        cache: Cache = _opened(open_store, Cache)
        return cache

    def test_fits_the_protocol(self, cache: Cache) -> None:
        assert missing_members(cache, Cache) == [] and isinstance(cache, Cache)

    def test_miss_then_hit_before_and_after_flush(
        self, cache: Cache, open_store: Callable[[], Cache]
    ) -> None:
        assert cache.lookup("key") is None
        cache.put("key", _entry(b"1"))
        assert cache.lookup("key") == _entry(b"1")  # unflushed entries answer too
        calls = []
        cache.flush(before_commit=lambda: calls.append("sync"))
        assert calls in (["sync"], [])  # nothing buffered: before_commit may be skipped
        other = self._reopened(open_store)
        try:
            assert other.lookup("key") == _entry(b"1")
            assert other.lookup("other") is None
        finally:
            _close(other)

    def test_a_batch_lookup_finds_what_lookups_find(self, cache: Cache) -> None:
        cache.put("flushed", _entry(b"1"))
        cache.flush()
        cache.put("buffered", _entry(b"2"))
        found = cache.lookup_many(["flushed", "never", "buffered", "flushed"])
        assert found == {"flushed": _entry(b"1"), "buffered": _entry(b"2")}
        assert cache.lookup_many([]) == {}

    def test_a_later_entry_replaces_the_earlier(self, cache: Cache, open_store: Callable[[], Cache]) -> None:
        cache.put("key", _entry(b"1"))
        cache.flush()
        cache.put("key", _entry(b"2"))
        cache.flush()
        other = self._reopened(open_store)
        try:
            assert other.lookup("key") == _entry(b"2")
        finally:
            _close(other)

    def test_entries_are_dropped_when_before_commit_raises(
        self, cache: Cache, open_store: Callable[[], Cache]
    ) -> None:
        cache.put("lost", _entry(b"lost"))

        def lost_write() -> None:
            raise OSError("disk full")

        with pytest.raises(OSError):
            cache.flush(before_commit=lost_write)
        other = self._reopened(open_store)
        try:
            assert other.lookup("lost") is None
        finally:
            _close(other)

    def test_clear(self, cache: Cache) -> None:
        cache.put("a", _entry(b"a"))
        cache.flush()
        cache.put("b", _entry(b"b"))
        cache.clear()
        assert cache.lookup("a") is None and cache.lookup("b") is None

    def test_entries_and_referenced_digests(self, cache: Cache) -> None:
        cache.put("a", _entry(b"a"))
        cache.flush()
        cache.put("b", _entry(b"b"))
        try:
            entries = dict(cache.entries())
        except NotImplementedError:
            pytest.skip("the cache cannot list its entries")
        assert entries == {"a": _entry(b"a"), "b": _entry(b"b")}
        assert cache.referenced_digests() == {_digest(b"a"), _digest(b"b")}

    def test_a_flush_thread_and_a_writer_lose_nothing(self, cache: Cache) -> None:
        stop = threading.Event()

        def flusher() -> None:
            while not stop.is_set():
                cache.flush()

        thread = threading.Thread(target=flusher)
        thread.start()
        try:
            for index in range(200):
                cache.put(f"k{index}", _entry(str(index).encode()))
        finally:
            stop.set()
            thread.join()
        cache.flush()
        assert all(cache.lookup(f"k{index}") == _entry(str(index).encode()) for index in range(200))

    def test_concurrent_processes_lose_nothing(self, open_store: Callable[[], Cache]) -> None:
        if not self.shared_across_processes:
            pytest.skip("the cache is not shared across processes")
        _in_processes(_put_entries, [(open_store, w, 10) for w in range(4)])
        cache = self._reopened(open_store)
        try:
            for worker in range(4):
                for index in range(10):
                    assert cache.lookup(f"w{worker}-{index}") == _entry(f"{worker}-{index}".encode())
        finally:
            _close(cache)


# ---------------------------------------------------------------------------
# artifact stores
# ---------------------------------------------------------------------------


class ArtifactStoreTests:
    """The :class:`~zenrun.protocols.ArtifactStore` contract: content addressing,
    verification, pickling to workers, concurrent writers, ``--gc``.

    Provide the fixture ``open_store`` returning a function that opens the store.
    Override :meth:`corrupt` to let the tests damage a stored artifact. Claim (a class
    attribute): ``shared_across_processes = True``; False for a store one process owns
    (in memory), which is not pickled to workers.
    """

    shared_across_processes: bool = True
    """False for a store one process owns (in memory): it is not pickled to workers."""

    @pytest.fixture
    def open_store(self) -> Callable[[], ArtifactStore]:
        raise NotImplementedError("define the fixture open_store in your subclass")

    @pytest.fixture
    def store(self, open_store: Callable[[], ArtifactStore]) -> Iterator[ArtifactStore]:
        store = _opened(open_store, ArtifactStore)
        try:
            yield store
        finally:
            _close(store)

    def corrupt(self, store: ArtifactStore, digest: str) -> None:
        """Change the stored bytes of ``digest`` (override; the default skips the test)."""
        pytest.skip("the test class does not say how to corrupt an artifact")

    def test_fits_the_protocol(self, store: ArtifactStore) -> None:
        assert missing_members(store, ArtifactStore) == [] and isinstance(store, ArtifactStore)

    def test_put_get_exists_verify(
        self, store: ArtifactStore, open_store: Callable[[], ArtifactStore]
    ) -> None:
        data = b"zenrun" * 1000
        digest, size = store.put(data)
        assert (digest, size) == (_digest(data), len(data))
        assert store.get(digest) == data and store.exists(digest) and store.exists(digest, size)
        assert store.verify(digest, size)
        store.sync()
        other = _opened(open_store, ArtifactStore)
        try:
            assert other.get(digest) == data
        finally:
            _close(other)
        assert store.put(data) == (digest, size)  # again: cheap and harmless
        assert store.put(b"") == (_digest(b""), 0) and store.get(_digest(b"")) == b""

    def test_a_missing_artifact(self, store: ArtifactStore) -> None:
        missing = _digest(b"never stored")
        assert not store.exists(missing)
        assert store.verify(missing, 12) is False
        with pytest.raises(ArtifactError):
            store.get(missing)

    def test_a_corrupt_artifact_is_an_artifact_error(self, store: ArtifactStore) -> None:
        digest, size = store.put(b"to be damaged")
        store.sync()
        self.corrupt(store, digest)
        with pytest.raises(ArtifactError):
            store.get(digest)
        assert store.verify(digest, size) is False

    def test_a_put_of_the_same_bytes_repairs_a_corrupt_artifact(self, store: ArtifactStore) -> None:
        # zenrun reruns the producer of a corrupt artifact and puts its output again
        data = b"to be repaired"
        digest, size = store.put(data)
        store.sync()
        self.corrupt(store, digest)
        assert store.verify(digest, size) is False
        assert store.put(data) == (digest, size)
        store.sync()
        assert store.get(digest) == data and store.verify(digest, size)

    def test_pickled_to_a_worker_it_reads_and_writes(self, store: ArtifactStore) -> None:
        if not self.shared_across_processes:
            pytest.skip("the store is owned by one process")
        digest, _ = store.put(b"before pickling")
        store.sync()
        copy: ArtifactStore = pickle.loads(pickle.dumps(store))
        assert copy.get(digest) == b"before pickling"
        new, _ = copy.put(b"from the worker")
        copy.sync()
        assert store.get(new) == b"from the worker"

    def test_concurrent_writers(self, store: ArtifactStore) -> None:
        blobs = [f"blob {i}".encode() * 100 for i in range(40)]
        errors: list[BaseException] = []

        def write(part: list[bytes]) -> None:
            try:
                for blob in part:
                    store.put(blob)
                    store.put(blobs[0])  # the same bytes from every thread at once
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(blobs[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        store.sync()
        assert errors == []
        assert all(store.get(_digest(blob)) == blob for blob in blobs)

    def test_uri_names_the_artifact(self, store: ArtifactStore) -> None:
        digest, _ = store.put(b"located")
        store.sync()
        try:
            uri = store.uri(digest)
        except NotImplementedError:
            pytest.skip("the store cannot locate artifacts")
        assert isinstance(uri, str) and digest[2:] in uri.replace("/", "")

    def test_collect_removes_only_old_unreferenced_artifacts(self, store: ArtifactStore) -> None:
        kept, _ = store.put(b"referenced")
        old, old_size = store.put(b"unreferenced")
        store.sync()
        try:
            assert store.collect({kept}, time.time() - 3600, dry_run=True) == (0, 0)  # all are recent
        except NotImplementedError:
            pytest.skip("the store cannot remove artifacts")
        later = time.time() + 3600
        assert store.collect({kept}, later, dry_run=True) == (1, old_size)
        assert store.exists(old)
        assert store.collect({kept}, later) == (1, old_size)
        assert not store.exists(old) and store.get(kept) == b"referenced"
