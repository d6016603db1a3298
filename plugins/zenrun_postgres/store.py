"""The metadata store and cache index of a team store, in PostgreSQL.

One connection serves a one-shot command (``--runs``, ``--show``, the viewer);
a session that starts a run opens a connection pool, shared by the metadata
store, the cache and the liveness heartbeat. Step records and cache entries are buffered and written
in one transaction per flush (every 0.2 s and at the end of a run), so a
step costs no round trip on the hot path; a cache hit costs two reads.

Liveness crosses machines through the database: each running run has a lease
(``runs.lease_until``, in the database's clock) that a heartbeat thread of its
owner renews; a ``running`` run whose lease has expired has lost its owner and
reads as ``failed`` everywhere (and is marked so by the next writer).
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import zenrun
from zenrun import ArtifactRef, PipelineRun, StepRun
from zenrun.protocols import (
    ANY_ITEM,
    AmbiguousRunError,
    Cache,
    MetadataStore,
    item_named,
    later_run_name,
    step_record_rows,
)
from zenrun_postgres.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger("zenrun.postgres")
# The pool logs each broken connection it drops; zenrun reports the loss once, itself.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

RUNNING, COMPLETED, CACHED, FAILED = "running", "completed", "cached", "failed"
DEFAULT_LEASE = 60.0
_NOW = "extract(epoch from clock_timestamp())"
_RUN_COLUMNS = (
    "id, name, pipeline, status, started, finished, item_id, enable_cache, orchestrator, graph, "
    "artifact_store, params, metrics, n_steps, n_cached, config_params, overrides, lease_until, "
    f"{_NOW}, error"
)
_LIGHT_COLUMNS = _RUN_COLUMNS.replace("graph", "NULL")
STEP_COLUMNS = (
    "run_id, step_id, step_name, status, started, finished, config, cache_key, "
    "cache_parts, cache_reason, error, upstream, metadata, captured, plugin_metadata"
)


#: Names a new run tries, a microsecond apart, when other processes' runs took them.
_NAME_ATTEMPTS = 1000


#: What the step that computed cache entry ``c`` logged: its newest computing record's, or
#: what was kept of it when its run was deleted (``--gc --keep``).
_LOGGED_OF_KEY = (
    "COALESCE((SELECT m.metadata FROM steps m WHERE m.cache_key = c.key AND m.status = 'completed' "
    "AND m.metadata IS NOT NULL ORDER BY m.run_id DESC LIMIT 1), "
    "(SELECT k.metadata FROM removed_runs_metadata k WHERE k.cache_key = c.key))"
)


class StoreConnectionError(zenrun.UsageError):
    """The team store cannot be opened: a usage error (exit 4) naming the server."""


class StoreConnectionLost(ConnectionError):
    """The connection to the team store was lost while in use (the server restarted or went
    away): the run in flight fails, what was committed before stays."""


def _dumps(value: Any, ordered: bool = False) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=not ordered, default=str)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _scrub(text: str, url: str) -> str:
    """``text`` without the password of ``url`` (a driver message may echo the conninfo)."""
    try:
        import psycopg.conninfo

        password = psycopg.conninfo.conninfo_to_dict(url).get("password")
    except Exception:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text


#: The pool's own generator: psycopg_pool's jitter would draw from the global ``random``,
#: whose state zenrun hands to steps (a fixture's seed), changing their cache keys.
_POOL_RANDOM = random.Random()


def _pool_class(psycopg_pool: Any) -> Any:
    class Pool(psycopg_pool.ConnectionPool):  # type: ignore[misc,name-defined]
        @staticmethod
        def _jitter(value: float, min_pc: float, max_pc: float) -> float:
            return value * (1.0 + ((max_pc - min_pc) * _POOL_RANDOM.random()) + min_pc)

    return Pool


class TeamStore:
    """The connections to one team store URL, shared by its metadata store and cache."""

    def __init__(self, url: str, lease: float = DEFAULT_LEASE, connect_timeout: float = 10.0) -> None:
        import psycopg

        self.url = url
        self.display = zenrun.redact_url(url)
        self.lease = float(lease)
        self.connect_timeout = int(max(1, connect_timeout))
        #: cache key -> its producer's logged metadata (JSON), read by a cache lookup.
        self.logged: dict[str, str | None] = {}
        #: cache key -> (entry JSON, logged metadata JSON): the entries of the steps of the
        #: previous run of the item a run starts, read with it, so a rerun's hits cost no
        #: round trip each (a stale one is harmless: its artifacts are verified on use).
        self.prefetched: dict[str, tuple[str, str | None]] = {}
        self._psycopg = psycopg
        #: One connection serves a one-shot command (``--runs``, ``--show``, the viewer's
        #: reads); the pool is opened only when a run starts (:meth:`open_pool`).
        self.pool: Any = None
        self._single: Any = None
        self._single_lock = threading.RLock()
        #: The pool lost the server: until a fresh connection succeeds again, each use tries
        #: one (refused at once while it is down) instead of waiting the pool's timeout.
        self._down = False
        try:  # a first connection says clearly what is wrong: password, host, database
            first = psycopg.connect(url, connect_timeout=self.connect_timeout, autocommit=True)
        except psycopg.Error as exc:
            raise StoreConnectionError(
                f"cannot open the team store {self.display}: {self._reason(exc)}"
            ) from None
        except Exception as exc:  # a malformed URL
            raise StoreConnectionError(
                f"cannot open the team store {self.display}: {self._reason(exc)}"
            ) from None
        try:
            self._migrate(first)
        except BaseException:
            first.close()
            raise
        self._single = first

    def open_pool(self) -> None:
        """Open the connection pool (a run's writes, its heartbeat and its reads share it)."""
        with self._single_lock:
            if self.pool is not None:
                return
            import psycopg_pool

            self.pool = _pool_class(psycopg_pool)(
                self.url,
                min_size=1,
                max_size=4,
                kwargs={"autocommit": True, "connect_timeout": self.connect_timeout},
                timeout=max(30.0, self.connect_timeout),
                open=True,
                name="zenrun-team-store",
            )
            if self._single is not None:  # the pool serves everything from now on
                self._single.close()
                self._single = None

    def _reason(self, exc: BaseException) -> str:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return _scrub("; ".join(lines[:2]) or type(exc).__name__, self.url)

    def _migrate(self, db: Any) -> None:
        """Create or migrate the schema (one transaction, under an advisory lock)."""
        try:  # the common case: one round trip, no lock
            row = db.execute("SELECT version FROM zenrun_schema").fetchone()
            if row is not None and row[0] == SCHEMA_VERSION:
                return
        except self._psycopg.errors.UndefinedTable:
            pass  # a new database: create the schema below
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(7451239601)")  # zenrun's migration lock
            db.execute("CREATE TABLE IF NOT EXISTS zenrun_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM zenrun_schema").fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise StoreConnectionError(
                    f"the team store {self.display} has schema version {version}, written by a newer "
                    f"zenrun; this zenrun knows versions up to {SCHEMA_VERSION}: upgrade zenrun "
                    "(pip install -U 'zenrun[postgres]') to use it"
                )
            for script in MIGRATIONS[version:]:
                db.execute(script)
            if row is None:
                db.execute("INSERT INTO zenrun_schema VALUES (%s)", (SCHEMA_VERSION,))
            elif version != SCHEMA_VERSION:
                db.execute("UPDATE zenrun_schema SET version=%s", (SCHEMA_VERSION,))

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; connection failures become :class:`StoreConnectionLost`."""
        if self.pool is None:
            with self._single_lock:
                if self.pool is None:
                    try:
                        if self._single is None or self._single.closed:
                            self._single = self._psycopg.connect(
                                self.url, connect_timeout=self.connect_timeout, autocommit=True
                            )
                        yield self._single
                    except self._psycopg.OperationalError as exc:
                        if self._single is not None:
                            self._single.close()  # a fresh one next time
                            self._single = None
                        raise StoreConnectionLost(
                            f"lost the connection to the team store {self.display}: {self._reason(exc)}"
                        ) from None
                    return
        import psycopg_pool

        if self._down:
            self._probe()
        try:
            with self.pool.connection() as db:
                yield db
        except (self._psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            self._down = True
            raise StoreConnectionLost(
                f"lost the connection to the team store {self.display}: {self._reason(exc)}"
            ) from None

    def _probe(self) -> None:
        """After a lost connection: one fresh connection says whether the server is back
        (then the pool drops its broken connections) or not (:class:`StoreConnectionLost` at
        once, not after the pool's 30 s wait for each record, lease renewal and read left)."""
        try:
            self._psycopg.connect(self.url, connect_timeout=self.connect_timeout, autocommit=True).close()
        except self._psycopg.Error as exc:
            raise StoreConnectionLost(
                f"lost the connection to the team store {self.display}: {self._reason(exc)}"
            ) from None
        self._down = False
        self.pool.check()

    def read(self, query: str, args: Any = ()) -> list[Any]:
        """Rows of ``query``; retried once on a fresh connection after a lost one."""
        try:
            with self.connection() as db:
                return list(db.execute(query, args).fetchall())
        except StoreConnectionLost:
            pass
        try:
            with self.connection() as db:
                return list(db.execute(query, args).fetchall())
        except StoreConnectionLost as exc:  # twice: the server is gone, not one connection
            raise StoreConnectionError(str(exc)) from None

    def close(self) -> None:
        with self._single_lock:
            if self._single is not None:
                self._single.close()
                self._single = None
        if self.pool is not None:
            self.pool.close()


class PostgresCache(Cache):
    """Cache key -> output artifacts, in the team store's ``cache`` table (batched writes)."""

    def __init__(self, team: TeamStore) -> None:
        self.team = team
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return dict(json.loads(pending))
        prefetched = self.team.prefetched.pop(key, None)
        if prefetched is not None:
            self.team.logged[key] = prefetched[1]
            try:
                entry = json.loads(prefetched[0])
            except ValueError:
                return None
            return entry if isinstance(entry, dict) else None
        # One round trip: the entry, and what its producer logged (asked next on a hit).
        rows = self.team.read(
            f"SELECT c.outputs, {_LOGGED_OF_KEY} FROM cache c WHERE c.key=%s",
            (key,),
        )
        if not rows:
            return None
        self.team.logged[key] = rows[0][1]
        try:
            entry = json.loads(rows[0][0])
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._pending[key] = json.dumps(outputs)

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        with self._lock:
            pending = dict(self._pending)
        if not pending:
            return
        if before_commit is not None:
            try:
                before_commit()
            except BaseException:
                with self._lock:
                    for key in pending:
                        self._pending.pop(key, None)
                raise
        now = time.time()
        with self.team.connection() as db, db.transaction(), db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO cache (key, outputs, created) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET outputs = EXCLUDED.outputs",
                [(key, value, now) for key, value in sorted(pending.items())],
            )
        with self._lock:
            for key, value in pending.items():
                if self._pending.get(key) == value:
                    del self._pending[key]

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
        self.team.prefetched.clear()
        self.team.logged.clear()
        with self.team.connection() as db:
            db.execute("DELETE FROM cache")

    def entries(self) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """Every ``(key, entry)``, buffered ones included (``--gc``, --store-push/--store-pull)."""
        with self._lock:
            pending = dict(self._pending)
        rows = self.team.read("SELECT key, outputs FROM cache ORDER BY key")
        for key, text in [*((k, v) for k, v in rows if k not in pending), *pending.items()]:
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield key, entry

    def close(self) -> None:
        try:
            self.flush()
        except Exception as exc:
            log.warning("Could not write the cache index of %s: %s", self.team.display, exc)


class PostgresMetadataStore(MetadataStore):
    """Runs, steps, artifacts and lineage of a team store (see the module docstring)."""

    def __init__(self, team: TeamStore, local_artifacts: str | None = None) -> None:
        self.team = team
        self.url = team.display
        #: Where this machine's local artifact store is (``local://HOST/PATH``), recorded
        #: with runs whose artifacts stay on this machine.
        self.local_artifacts = local_artifacts
        self._pending: list[tuple[Any, list[Any], list[Any]]] = []
        self._lock = threading.Lock()
        self._live: set[int] = set()
        self._lost: set[int] = set()  # runs that lost their connection: they end failed
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._previous_key: Any = None
        self._previous_steps: dict[str, Any] | None = None
        self._read_only: bool | None = None

    @property
    def read_only(self) -> bool:
        """Whether this role may only read (``--runs``, ``--show``, the viewer still work).

        Asked on first use, by failing the runs whose owner died (the next writer's duty),
        so a command that only lists runs writes nothing and costs no extra round trip."""
        if self._read_only is None:
            try:
                self.fail_dead_runs()
                self._read_only = False
            except (
                self.team._psycopg.errors.InsufficientPrivilege,
                self.team._psycopg.errors.ReadOnlySqlTransaction,
            ):
                self._read_only = True
        return self._read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._read_only = value

    # -- liveness -----------------------------------------------------------------
    def _beat(self) -> None:
        while not self._stop.wait(max(0.05, self.team.lease / 4)):
            with self._lock:
                live = sorted(self._live)
            if not live:
                continue
            try:
                with self.team.connection() as db:
                    rows = db.execute(
                        f"UPDATE runs SET lease_until = {_NOW} + %s WHERE id = ANY(%s) "
                        "AND status = 'running' RETURNING id",
                        (self.team.lease, live),
                    ).fetchall()
                gone = set(live) - {r[0] for r in rows}
                with self._lock:  # failed by another machine while we could not renew the lease
                    self._lost |= gone & self._live
            except Exception as exc:
                with self._lock:
                    self._lost |= self._live
                log.warning("Could not renew the lease of the running runs in %s: %s", self.url, exc)

    def dead_runs(self) -> list[str]:
        """Names of runs recorded ``running`` whose lease has expired (their owner died)."""
        return [
            r[0]
            for r in self.team.read(
                f"SELECT name FROM runs WHERE status = 'running' AND lease_until < {_NOW}"
            )
        ]

    def fail_dead_runs(self) -> list[str]:
        """Mark the runs whose owner died ``failed`` (and their running steps)."""
        error = "owner process died: its lease in the team store expired without the run finishing"
        with self.team.connection() as db, db.transaction():
            rows = db.execute(
                f"UPDATE runs SET status = 'failed', finished = coalesce(finished, {_NOW}), "
                f"error = coalesce(error, %s) WHERE status = 'running' AND lease_until < {_NOW} "
                "RETURNING id, name",
                ("the zenrun process running it stopped renewing its lease",),
            ).fetchall()
            if rows:
                db.execute(
                    "UPDATE steps SET status = 'failed', error = coalesce(error, %s) "
                    "WHERE run_id = ANY(%s) AND status = 'running'",
                    (error, [r[0] for r in rows]),
                )
        return [r[1] for r in rows]

    # -- writing ------------------------------------------------------------------
    def create_run(self, run: PipelineRun) -> None:
        """Insert ``run`` with a fresh lease, in one round trip; start the heartbeat."""
        self.team.open_pool()
        if self._read_only is None:
            _ = self.read_only  # the first run of the session fails the runs whose owner died
        if self.local_artifacts and (run.artifact_store is None or run.artifact_store.startswith("file:")):
            run.artifact_store = self.local_artifacts  # this machine's disk: say which machine
        for _ in range(_NAME_ATTEMPTS):  # a name another run took (the same microsecond): the next
            rows = self._insert_run(run)
            if rows:
                break
            run.name = later_run_name(run.name)
        else:
            raise zenrun.UsageError(
                f"{self.url}: no free run name after {run.name!r} ({_NAME_ATTEMPTS} tried)"
            )
        run.id = rows[0][0]
        self._prefetch(run)
        with self._lock:
            self._live.add(run.id)
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat, daemon=True, name="zenrun-lease")
                self._heartbeat.start()

    def _insert_run(self, run: PipelineRun) -> list[Any]:
        """Insert ``run``: its id, or no row when its name is taken."""
        return self.team.read(
            "INSERT INTO runs (name, pipeline, status, started, item_id, enable_cache, orchestrator, "
            "graph, host, pid, artifact_store, params, config_params, overrides, lease_until) "
            f"VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s, {_NOW} + %s) "
            "ON CONFLICT (name) DO NOTHING RETURNING id",
            (
                run.name,
                run.pipeline_name,
                run.status,
                run.started,
                run.item_id,
                run.enable_cache,
                run.orchestrator,
                json.dumps(run.graph),
                socket.gethostname(),
                os.getpid(),
                run.artifact_store,
                _dumps(run.params, ordered=True),
                _dumps(run.config_params or None, ordered=True),
                _dumps(run.overrides or None),
                self.team.lease,
            ),
        )

    def _prefetch(self, run: PipelineRun) -> None:
        """Read the cache entries of the steps of the item's previous run (one query)."""
        rows = self.team.read(
            f"SELECT c.key, c.outputs, {_LOGGED_OF_KEY} "
            "FROM cache c WHERE c.key IN (SELECT s.cache_key FROM steps s WHERE s.run_id = "
            "(SELECT max(id) FROM runs WHERE pipeline = %s AND item_id IS NOT DISTINCT FROM %s AND id < %s))",
            (run.pipeline_name, run.item_id, run.id),
        )
        self.team.prefetched = {key: (outputs, logged) for key, outputs, logged in rows}

    def record_step(self, run: PipelineRun, step_run: StepRun) -> None:
        row, io_rows, artifacts = step_record_rows(run.id, step_run, _dumps)
        with self._lock:
            self._pending.append((row, io_rows, artifacts))

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        """Write the buffered step records in one transaction (a few round trips per batch)."""
        with self._lock:
            pending, self._pending = self._pending, []
            lost = set(self._lost)
        if not pending:
            return
        if lost & {row[0] for row, _io, _arts in pending}:
            raise StoreConnectionLost(
                f"lost the connection to the team store {self.url} during the run: its records since "
                "then are not stored; what was committed before is kept (the next run reuses it)"
            )
        if before_commit is not None:
            before_commit()
        latest: dict[tuple[Any, str], tuple[Any, list[Any]]] = {}
        artifacts: dict[str, tuple[Any, ...]] = {}
        for row, io, arts in pending:
            latest[(row[0], row[1])] = (row, io)
            for art in arts:
                artifacts[art[0]] = art
        steps = [row for row, _io in latest.values()]
        io_rows = [r for _row, io in latest.values() for r in io]
        try:
            with self.team.connection() as db, db.transaction(), db.cursor() as cursor:
                if artifacts:
                    cursor.executemany(
                        "INSERT INTO artifacts (digest, size, materializer, type, preview) "
                        "VALUES (%s,%s,%s,%s,%s) ON CONFLICT (digest) DO NOTHING",
                        sorted(artifacts.values()),  # one order for every writer: no deadlock
                    )
                run_ids = sorted({k[0] for k in latest})
                step_ids = [[k[1] for k in latest if k[0] == r] for r in run_ids]
                for run_id, ids in zip(run_ids, step_ids, strict=True):
                    cursor.execute(
                        "DELETE FROM step_io WHERE run_id = %s AND step_id = ANY(%s)", (run_id, ids)
                    )
                placeholders = ",".join(["%s"] * 15)
                cursor.executemany(
                    f"INSERT INTO steps ({STEP_COLUMNS}) VALUES ({placeholders}) "
                    "ON CONFLICT (run_id, step_id) DO UPDATE SET "
                    + ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in STEP_COLUMNS.split(",")[2:]),
                    steps,
                )
                if io_rows:
                    with cursor.copy(
                        "COPY step_io (run_id, step_id, kind, name, position, digest, source_step, "
                        "source_output) FROM STDIN"
                    ) as copy:
                        for io_row in io_rows:
                            copy.write_row(io_row)
        except StoreConnectionLost:
            with self._lock:
                self._lost |= {k[0] for k in latest}
            raise

    def finish_run(self, run: PipelineRun) -> None:
        """Flush, then store the run's final status and stop renewing its lease."""
        try:
            try:
                self.flush()
            except StoreConnectionLost as exc:
                run.status = FAILED
                run.error = run.error or str(exc)
            with self._lock:
                lost = run.id in self._lost
            if lost:
                run.status = FAILED
                run.error = run.error or (f"lost the connection to the team store {self.url} during the run")
            with self.team.connection() as db:
                db.execute(
                    "UPDATE runs SET status=%s, finished=%s, metrics=%s, n_steps=%s, n_cached=%s, "
                    "error=%s, lease_until=NULL WHERE id=%s",
                    (
                        run.status,
                        run.finished,
                        _dumps(run.metrics, ordered=True),
                        run.n_steps,
                        run.n_cached,
                        run.error,
                        run.id,
                    ),
                )
        finally:
            with self._lock:
                self._live.discard(run.id or -1)
                self._lost.discard(run.id or -1)

    # -- reading ------------------------------------------------------------------
    def _run_from_row(self, row: Any) -> PipelineRun:
        (
            run_id,
            name,
            pipeline,
            status,
            started,
            finished,
            item_id,
            enable_cache,
            orch,
            graph,
            artifact_store,
            params,
            metrics,
            n_steps,
            n_cached,
            config_params,
            overrides,
            lease_until,
            now,
            error,
        ) = row
        if status == RUNNING and lease_until is not None and lease_until < now:
            status = FAILED  # its owner stopped renewing its lease
            error = error or "the zenrun process running it stopped renewing its lease"
        run = PipelineRun(
            name=name,
            pipeline_name=pipeline,
            status=status,
            started=started,
            finished=finished,
            item_id=item_id,
            enable_cache=enable_cache,
            orchestrator=orch,
            graph=json.loads(graph or "{}"),
            id=run_id,
            artifact_store=artifact_store,
            error=error,
            params=_loads(params) or {},
            n_steps=n_steps,
            n_cached=n_cached,
            config_params=_loads(config_params) or {},
            overrides=_loads(overrides) or [],
        )
        run.metrics = _loads(metrics)  # None (not recorded yet): computed from its steps
        return run.with_steps_loader(self.load_steps)

    def get_runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        if pipeline is None:
            rows = self.team.read(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")
        else:
            rows = self.team.read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE pipeline=%s ORDER BY id", (pipeline,)
            )
        return [self._run_from_row(r) for r in rows]

    def get_run(self, name: str) -> PipelineRun | None:
        if name == "latest":
            rows = self.team.read(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1")
        else:
            rows = self.team.read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE name=%s", (name,))
        return self._run_from_row(rows[0]) if rows else None

    def load_steps(self, run: PipelineRun) -> dict[str, StepRun]:
        with self.team.connection() as db:
            artifacts = {
                digest: ArtifactRef(
                    digest, size, materializer, type_name, preview, store_url=run.artifact_store
                )
                for digest, size, materializer, type_name, preview in db.execute(
                    "SELECT DISTINCT a.digest, a.size, a.materializer, a.type, a.preview FROM artifacts a "
                    "JOIN step_io io ON io.digest = a.digest WHERE io.run_id=%s",
                    (run.id,),
                )
            }
            steps: dict[str, StepRun] = {}
            for row in db.execute(
                "SELECT step_id, step_name, status, started, finished, config, cache_key, cache_parts, "
                "cache_reason, error, upstream, metadata, captured, plugin_metadata FROM steps WHERE run_id=%s "
                "ORDER BY started NULLS LAST, seq",
                (run.id,),
            ):
                status = row[2]
                if status == RUNNING and run.status == FAILED:
                    status = FAILED
                steps[row[0]] = StepRun(
                    id=row[0],
                    name=row[1],
                    status=status,
                    started=row[3],
                    finished=row[4],
                    config=_loads(row[5]),
                    cache_key=row[6],
                    cache_parts=_loads(row[7]),
                    cache_reason=row[8],
                    error=row[9],
                    upstream=json.loads(row[10] or "[]"),
                    metadata=_loads(row[11]) or {},
                    captured=_loads(row[12]) or {},
                    plugin_metadata=_loads(row[13]) or {},
                    run_name=run.name,
                    pipeline_name=run.pipeline_name,
                )
            for step_id, kind, name, digest, source_step, source_output in db.execute(
                "SELECT step_id, kind, name, digest, source_step, source_output FROM step_io "
                "WHERE run_id=%s ORDER BY seq",
                (run.id,),
            ):
                step = steps.get(step_id)
                if step is None:
                    continue
                ref = artifacts.get(digest) if digest else None
                if kind == "out" and ref is not None:
                    step.outputs[name] = ref
                elif kind == "in":
                    step.inputs.setdefault(name, []).append((source_step, source_output, ref))
        return steps

    def previous_step(
        self, pipeline: str, step_id: str, before_run: int | None, item_id: Any = ANY_ITEM
    ) -> StepRun | None:
        """The newest completed or cached record of ``step_id`` before ``before_run`` (of
        ``item_id`` when given). The steps of the newest earlier run are read once per run."""
        any_item = item_id is ANY_ITEM
        item = None if any_item else item_id
        key = (pipeline, before_run, None if any_item else ("item", item))
        if self._previous_key != key:
            self._previous_key, self._previous_steps = key, None
            latest = self.team.read(
                "SELECT id FROM runs WHERE pipeline=%s AND id < %s "
                "AND (%s OR item_id IS NOT DISTINCT FROM %s) ORDER BY id DESC LIMIT 1",
                (pipeline, before_run if before_run is not None else 1 << 62, any_item, item),
            )
            if latest:  # else no earlier run: every step of this run is "no earlier run"
                rows = self.team.read(
                    "SELECT step_id, step_name, status, cache_key, cache_parts FROM steps "
                    "WHERE run_id = %s AND status IN ('completed', 'cached')",
                    (latest[0][0],),
                )
                self._previous_steps = {r[0]: r for r in rows}
        if self._previous_steps is None:
            return None
        row = self._previous_steps.get(step_id)
        if row is None:
            rows = self.team.read(
                "SELECT s.step_id, s.step_name, s.status, s.cache_key, s.cache_parts FROM steps s "
                "JOIN runs r ON r.id = s.run_id WHERE r.pipeline=%s AND s.step_id=%s AND r.id < %s "
                "AND (%s OR r.item_id IS NOT DISTINCT FROM %s) AND s.status IN ('completed', 'cached') "
                "ORDER BY r.id DESC LIMIT 1",
                (pipeline, step_id, before_run if before_run is not None else 1 << 62, any_item, item),
            )
            row = rows[0] if rows else None
        if row is None:
            return None
        return StepRun(id=row[0], name=row[1], status=row[2], cache_key=row[3], cache_parts=_loads(row[4]))

    def last_computed(self, pipeline: str, step_id: str) -> StepRun | None:
        """The newest completed record of ``step_id`` in ``pipeline`` (its times and key parts)."""
        rows = self.team.read(
            "SELECT s.step_id, s.step_name, s.cache_key, s.cache_parts, s.started, s.finished "
            "FROM runs r JOIN steps s ON s.run_id = r.id WHERE r.pipeline=%s AND s.step_id=%s "
            "AND s.status = 'completed' ORDER BY r.id DESC LIMIT 1",
            (pipeline, step_id),
        )
        if not rows:
            return None
        row = rows[0]
        return StepRun(
            id=row[0],
            name=row[1],
            status="completed",
            cache_key=row[2],
            cache_parts=_loads(row[3]),
            started=row[4],
            finished=row[5],
        )

    def logged_metadata(self, cache_key: str) -> dict[str, Any] | None:
        """What the step that produced ``cache_key`` logged (read with the cache entry)."""
        if cache_key in self.team.logged:
            text = self.team.logged.pop(cache_key)
            return dict(json.loads(text)) if text else None
        rows = self.team.read(
            "SELECT COALESCE((SELECT metadata FROM steps WHERE cache_key=%s AND status='completed' "
            "AND metadata IS NOT NULL ORDER BY run_id DESC LIMIT 1), "
            "(SELECT metadata FROM removed_runs_metadata WHERE cache_key=%s))",
            (cache_key, cache_key),
        )
        return dict(json.loads(rows[0][0])) if rows and rows[0][0] else None

    def recent_runs(
        self,
        limit: int | None = None,
        match: Callable[[str | None, str], bool] | None = None,
        pipeline: str | None = None,
    ) -> list[PipelineRun]:
        """Runs newest first (without their graph), at most ``limit``, read in pages."""
        where, args = ("WHERE pipeline=%s", [pipeline]) if pipeline else ("", [])
        found: list[PipelineRun] = []
        with self.team.connection() as db, db.transaction():
            cursor = db.cursor(name="zenrun_recent_runs")  # server-side: memory stays bounded
            cursor.itersize = 500
            cursor.execute(f"SELECT {_LIGHT_COLUMNS} FROM runs {where} ORDER BY id DESC", args)
            for row in cursor:
                if match is None or match(row[6], row[2]):
                    found.append(self._run_from_row(row))
                    if limit is not None and len(found) >= limit:
                        break
            cursor.close()
        return found

    def item_ids(self, pipeline: str | None = None) -> list[str]:
        where, args = (
            ("WHERE pipeline=%s AND item_id IS NOT NULL", [pipeline])
            if pipeline
            else ("WHERE item_id IS NOT NULL", [])
        )
        return [
            r[0]
            for r in self.team.read(
                f"SELECT item_id, MIN(id) AS first FROM runs {where} GROUP BY item_id ORDER BY first", args
            )
        ]

    def resolve_item(self, item: str) -> str | None:
        if self.team.read("SELECT 1 FROM runs WHERE item_id=%s LIMIT 1", (item,)):
            return item
        return item_named(item, self.item_ids())

    def item_runs(self, item_id: str) -> list[PipelineRun]:
        return [
            self._run_from_row(r)
            for r in self.team.read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE item_id=%s ORDER BY id", (item_id,)
            )
        ]

    def latest_item_runs(self, pipeline: str) -> list[PipelineRun]:
        return [
            self._run_from_row(r)
            for r in self.team.read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN (SELECT MAX(id) FROM runs WHERE pipeline=%s "
                "GROUP BY COALESCE(item_id, '')) ORDER BY item_id",
                (pipeline,),
            )
        ]

    def pipeline_names(self) -> list[str]:
        return [r[0] for r in self.team.read("SELECT DISTINCT pipeline FROM runs ORDER BY pipeline")]

    def find_runs(self, text: str | None = None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Run summaries, newest first, for pickers (see the SQLite store's)."""
        clauses, args = [], []
        for word in (text or "").split():
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(
                "(" + " OR ".join(f"{c} ILIKE %s" for c in ("name", "pipeline", "item_id", "status")) + ")"
            )
            args += [like] * 4
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.team.read(
            f"SELECT name, pipeline, item_id, status, started, finished FROM runs {where} "
            "ORDER BY id DESC LIMIT %s OFFSET %s",
            (*args, limit, offset),
        )
        keys = ("name", "pipeline", "item_id", "status", "started", "finished")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def find_run(self, ref: str) -> PipelineRun:
        """The run ``ref`` names: ``latest``, a run name, an item id (its newest run) or a
        unique prefix of a run name; LookupError otherwise."""
        if ref == "latest":
            run = self.get_run("latest")
            if run is None:
                raise LookupError("no runs recorded")
            return run
        run = self.get_run(ref)
        if run is not None:
            return run
        item = self.resolve_item(ref)
        if item is not None:
            rows = self.team.read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE item_id=%s ORDER BY id DESC LIMIT 1", (item,)
            )
            return self._run_from_row(rows[0])
        items = [
            r[0]
            for r in self.team.read(
                "SELECT DISTINCT item_id FROM runs WHERE pipeline=%s AND item_id IS NOT NULL LIMIT 6", (ref,)
            )
        ]
        if len(items) > 1:
            names = ", ".join(str(i).rpartition("::")[2] for i in items[:5])
            raise AmbiguousRunError(f"{ref!r} is a pipeline with several items: {names}")
        rows = self.team.read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE name >= %s AND name < %s ORDER BY id DESC LIMIT 6",
            (ref, ref + "\U0010ffff"),
        )
        if len(rows) == 1:
            return self._run_from_row(rows[0])
        if rows:
            raise AmbiguousRunError(f"{ref!r} matches several runs: {', '.join(r[1] for r in rows[:5])}")
        raise LookupError(f"no run, item or run-name prefix matches {ref!r}")

    def referenced_digests(self) -> set[str]:
        """Every digest a recorded step used or produced (``--gc`` keeps them)."""
        return {r[0] for r in self.team.read("SELECT DISTINCT digest FROM step_io WHERE digest IS NOT NULL")}

    def delete_runs(self, names: Any) -> None:
        """Forget the runs ``names`` (their steps and lineage go with them), one transaction."""
        with self.team.connection() as db, db.transaction():
            # What a computing record logged outlives it: a later cache hit of its key shows it.
            db.execute(
                "INSERT INTO removed_runs_metadata (cache_key, run_id, metadata) "
                "SELECT DISTINCT ON (s.cache_key) s.cache_key, s.run_id, s.metadata FROM steps s "
                "JOIN runs r ON r.id = s.run_id WHERE r.name = ANY(%s) AND r.status <> 'running' "
                "AND s.status = 'completed' AND s.metadata IS NOT NULL AND s.cache_key IS NOT NULL "
                "ORDER BY s.cache_key, s.run_id DESC "
                "ON CONFLICT (cache_key) DO UPDATE SET run_id = excluded.run_id, metadata = excluded.metadata "
                "WHERE excluded.run_id > removed_runs_metadata.run_id",
                (list(names),),
            )
            db.execute("DELETE FROM runs WHERE name = ANY(%s) AND status <> 'running'", (list(names),))

    def close(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:
            log.warning("Could not write the last records to %s: %s", self.url, exc)
