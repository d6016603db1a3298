"""The built-in metadata store: runs, steps, artifacts and lineage in SQLite (WAL).

Step records are buffered and written in one transaction per batch (the
execution flushes after the artifact store has made their artifacts
durable), so a crash loses at most the last batch of records, never leaves a
record pointing at a missing artifact, and the next run reuses the rest.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from zenrun.hookspec import hookimpl
from zenrun.metadata.records import (
    FAILED, RUNNING, ArtifactRef, PipelineRun, StepRun,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, pipeline TEXT NOT NULL,
    status TEXT NOT NULL, started REAL, finished REAL, item_id TEXT,
    enable_cache INTEGER, orchestrator TEXT, graph TEXT, pid INTEGER, host TEXT);
CREATE INDEX IF NOT EXISTS runs_by_pipeline ON runs (pipeline, id);
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL, step_id TEXT NOT NULL, step_name TEXT NOT NULL,
    status TEXT NOT NULL, started REAL, finished REAL, config TEXT, cache_key TEXT,
    cache_parts TEXT, cache_reason TEXT, error TEXT, upstream TEXT,
    PRIMARY KEY (run_id, step_id));
CREATE TABLE IF NOT EXISTS artifacts (
    digest TEXT PRIMARY KEY, size INTEGER NOT NULL, materializer TEXT NOT NULL, type TEXT);
CREATE TABLE IF NOT EXISTS step_io (
    run_id INTEGER NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    position INTEGER, digest TEXT, source_step TEXT, source_output TEXT);
CREATE INDEX IF NOT EXISTS step_io_by_step ON step_io (run_id, step_id);
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode that waits for other zenrun processes instead of failing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=60000")
    return connection


_ANY_ITEM: Any = object()  # previous_step: runs of any item


class SqliteMetadataStore:
    """Records runs and steps; reads them back as :mod:`zenrun.metadata.records`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = connect(self.path)
        self._db.executescript(SCHEMA)
        self._pending: list[tuple[Any, list[Any], list[Any]]] = []
        self._lock = threading.Lock()  # the buffer
        self._db_lock = threading.RLock()  # the connection, shared with the flush thread
        self._previous_key: tuple[str, int | None] | None = None
        self._previous_steps: Any = None
        self._fail_abandoned_runs()

    # -- writing ------------------------------------------------------------------
    def _fail_abandoned_runs(self) -> None:
        """Runs left ``running`` by a process of this host that no longer exists."""
        host = socket.gethostname()
        rows = self._db.execute("SELECT id, pid FROM runs WHERE status=? AND host=?",
                                (RUNNING, host)).fetchall()
        dead = [run_id for run_id, pid in rows if pid and not _pid_alive(pid)]
        if dead:
            with self._transaction() as db:
                db.executemany("UPDATE runs SET status=? WHERE id=?", [(FAILED, i) for i in dead])
                db.executemany("UPDATE steps SET status=?, error=? WHERE run_id=? AND status=?",
                               [(FAILED, "interrupted: the zenrun process ended", i, RUNNING)
                                for i in dead])

    def _transaction(self) -> Any:
        return _Transaction(self._db)

    def create_run(self, run: PipelineRun) -> None:
        """Insert ``run`` (status running) and commit at once, so it is visible."""
        with self._db_lock, self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (name, pipeline, status, started, item_id, enable_cache, "
                "orchestrator, graph, pid, host) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (run.name, run.pipeline_name, run.status, run.started, run.item_id,
                 None if run.enable_cache is None else int(run.enable_cache), run.orchestrator,
                 json.dumps(run.graph), os.getpid(), socket.gethostname()))
            run.id = cursor.lastrowid

    def record_step(self, run: PipelineRun, step_run: StepRun) -> None:
        """Buffer a step's record, as it is now, until the next :meth:`flush`.

        A step is recorded when it starts running (so a viewer sees it) and
        again when it ends; the later record replaces the earlier one.
        """
        s, run_id = step_run, run.id
        row = (run_id, s.id, s.name, s.status, s.started, s.finished, _dumps(s.config),
               s.cache_key, _dumps(s.cache_parts), s.cache_reason, s.error, json.dumps(s.upstream))
        io_rows, artifacts = [], []
        for name, ref in s.outputs.items():
            artifacts.append((ref.digest, ref.size, ref.materializer, ref.type_name))
            io_rows.append((run_id, s.id, "out", name, None, ref.digest, None, None))
        for name, sources in s.inputs.items():
            for position, (source_step, source_output, ref) in enumerate(sources):
                io_rows.append((run_id, s.id, "in", name, position,
                                ref.digest if ref else None, source_step, source_output))
        with self._lock:
            self._pending.append((row, io_rows, artifacts))

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        """Write buffered step records in one transaction.

        ``before_commit`` runs after the records are taken and before they
        are written: the execution passes the artifact store's ``sync``.
        """
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        if before_commit is not None:
            before_commit()
        steps, io_rows, artifacts = [], [], []
        latest = {}  # a later record of a step (same run and id) replaces an earlier one
        for row, io, arts in pending:
            latest[(row[0], row[1])] = (row, io)
            artifacts.extend(arts)
        for row, io in latest.values():
            steps.append(row)
            io_rows.extend(io)
        with self._db_lock, self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO artifacts VALUES (?,?,?,?)", artifacts)
            db.executemany("DELETE FROM step_io WHERE run_id=? AND step_id=?", list(latest))
            db.executemany("INSERT OR REPLACE INTO steps VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", steps)
            db.executemany("INSERT INTO step_io VALUES (?,?,?,?,?,?,?,?)", io_rows)

    def finish_run(self, run: PipelineRun) -> None:
        """Flush the run's steps and store its final status, in one transaction."""
        self.flush()
        with self._db_lock, self._transaction() as db:
            db.execute("UPDATE runs SET status=?, finished=? WHERE id=?",
                       (run.status, run.finished, run.id))

    # -- reading ------------------------------------------------------------------
    def _run_from_row(self, row: tuple[Any, ...]) -> PipelineRun:
        run_id, name, pipeline, status, started, finished, item_id, enable_cache, orch, graph = row
        return PipelineRun(name=name, pipeline_name=pipeline, status=status, started=started,
                           finished=finished, item_id=item_id,
                           enable_cache=None if enable_cache is None else bool(enable_cache),
                           orchestrator=orch, graph=json.loads(graph or "{}"), id=run_id,
                           _steps_loader=self.load_steps)

    _RUN_COLUMNS = "id, name, pipeline, status, started, finished, item_id, enable_cache, orchestrator, graph"

    def get_runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        """Runs, oldest first; of one pipeline when ``pipeline`` is given."""
        if pipeline is None:
            rows = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs ORDER BY id").fetchall()
        else:
            rows = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE pipeline=? "
                                    "ORDER BY id", (pipeline,)).fetchall()
        return [self._run_from_row(r) for r in rows]

    def get_run(self, name: str) -> PipelineRun | None:
        """The run called ``name``; ``latest`` is the newest run."""
        if name == "latest":
            row = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        else:
            row = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE name=?", (name,)).fetchone()
        return self._run_from_row(row) if row else None

    def pipeline_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT pipeline FROM runs ORDER BY pipeline")]

    def load_steps(self, run: PipelineRun) -> dict[str, StepRun]:
        """The steps of ``run`` with their inputs and outputs, in execution order."""
        artifacts = {r[0]: ArtifactRef(r[0], r[1], r[2], r[3]) for r in self._db.execute(
            "SELECT a.digest, a.size, a.materializer, a.type FROM artifacts a JOIN step_io io "
            "ON io.digest = a.digest WHERE io.run_id=?", (run.id,))}
        steps: dict[str, StepRun] = {}
        for row in self._db.execute(
                "SELECT step_id, step_name, status, started, finished, config, cache_key, "
                "cache_parts, cache_reason, error, upstream FROM steps WHERE run_id=? "
                "ORDER BY started, rowid", (run.id,)):
            steps[row[0]] = StepRun(
                id=row[0], name=row[1], status=row[2], started=row[3], finished=row[4],
                config=_loads(row[5]), cache_key=row[6], cache_parts=_loads(row[7]),
                cache_reason=row[8], error=row[9], upstream=json.loads(row[10] or "[]"),
                run_name=run.name, pipeline_name=run.pipeline_name)
        for step_id, kind, name, position, digest, source_step, source_output in self._db.execute(
                "SELECT step_id, kind, name, position, digest, source_step, source_output "
                "FROM step_io WHERE run_id=? ORDER BY rowid", (run.id,)):
            step = steps.get(step_id)
            if step is None:
                continue
            ref = artifacts.get(digest) if digest else None
            if kind == "out" and ref is not None:
                step.outputs[name] = ref
            elif kind == "in":
                step.inputs.setdefault(name, []).append((source_step, source_output, ref))
        return steps

    def previous_step(self, pipeline: str, step_id: str, before_run: int | None,
                      item_id: Any = _ANY_ITEM) -> StepRun | None:
        """The latest earlier record of ``step_id`` in ``pipeline`` (to explain cache misses).

        Given ``item_id``, only runs of that item count (None: runs through the
        Python API): ``hpo[iris]`` is compared with ``hpo[iris]``.
        """
        with self._db_lock:
            return self._previous_step(pipeline, step_id, before_run, item_id)

    def _previous_step(self, pipeline: str, step_id: str, before_run: int | None,
                       item_id: Any) -> StepRun | None:
        # One query per run instead of one per missed step: the steps of the
        # latest earlier run answer most look-ups; no earlier run answers all.
        key = (pipeline, before_run, item_id)
        any_item = item_id is _ANY_ITEM
        item = None if any_item else item_id
        if before_run is not None and self._previous_key != key:
            self._previous_key, self._previous_steps = key, _NO_EARLIER_RUN
            latest = self._db.execute(
                "SELECT id FROM runs WHERE pipeline=? AND id<? AND (? OR item_id IS ?) "
                "ORDER BY id DESC LIMIT 1", (pipeline, before_run, any_item, item)).fetchone()
            if latest is not None:
                self._previous_steps = {r[0]: r for r in self._db.execute(
                    "SELECT step_id, step_name, status, cache_key, cache_parts FROM steps "
                    "WHERE run_id=? AND status IN ('completed','cached')", (latest[0],))}
        latest_steps = self._previous_steps if self._previous_key == key else {}
        if latest_steps is _NO_EARLIER_RUN:
            return None
        row = latest_steps.get(step_id) or self._db.execute(
            "SELECT s.step_id, s.step_name, s.status, s.cache_key, s.cache_parts FROM steps s "
            "JOIN runs r ON r.id = s.run_id WHERE r.pipeline=? AND s.step_id=? AND r.id<? "
            "AND (? OR r.item_id IS ?) AND s.status IN ('completed','cached') ORDER BY r.id DESC LIMIT 1",
            (pipeline, step_id, before_run if before_run is not None else 1 << 62, any_item,
             item)).fetchone()
        if row is None:
            return None
        return StepRun(id=row[0], name=row[1], status=row[2], cache_key=row[3],
                       cache_parts=_loads(row[4]))

    def close(self) -> None:
        self.flush()
        self._db.close()


_NO_EARLIER_RUN: Any = object()


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@hookimpl
def zenrun_make_metadata_store(config: Any) -> SqliteMetadataStore:
    store = SqliteMetadataStore(config.store_path / "metadata.db")
    config.add_cleanup(store.close)
    return store


def iter_rows(runs: Iterable[PipelineRun]) -> Iterable[list[Any]]:
    """Rows of the runs table shown by ``--runs`` and the terminal summary."""
    for run in runs:
        steps = run.steps.values()
        cached = sum(1 for s in steps if s.status == "cached")
        yield [run.pipeline_name, run.name, run.status, len(steps), cached,
               f"{run.duration:.2f}s" if run.duration is not None else "-"]
