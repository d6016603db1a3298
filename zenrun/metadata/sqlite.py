"""The built-in metadata store: runs, steps, artifacts and lineage in SQLite (WAL).

Step records are buffered and written in one transaction per batch (the
execution flushes after the artifact store has made their artifacts
durable), so a crash loses at most the last batch of records, never leaves a
record pointing at a missing artifact, and the next run reuses the rest.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import re
import stat
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.canonical import record_json, reusable_encode
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.metadata.queries import RunQueries
from zenrun.metadata.records import (
    CACHED,
    COMPLETED,
    FAILED,
    RUNNING,
    ArtifactRef,
    PipelineRun,
    StepRun,
)
from zenrun.protocols import ANY_ITEM, MetadataStore, later_run_name, step_record_rows
from zenrun.sources import real_path
from zenrun.sqlitewal import (
    chunks,
    enable_wal,
    insert_many,
    is_damage,
    is_full,
    rollback,
    rows_per_statement,
    variable_limit,
)

# sqlite3 and hashlib are imported in the functions using them: `zenrun --help`
# loads this module and needs none of that (tests/test_cli.py checks it).

if TYPE_CHECKING:
    import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, pipeline TEXT NOT NULL,
    status TEXT NOT NULL, started REAL, finished REAL, item_id TEXT,
    enable_cache INTEGER, orchestrator TEXT, graph TEXT, pid INTEGER, host TEXT,
    artifact_store TEXT, params TEXT, metrics TEXT, n_steps INTEGER, n_cached INTEGER,
    config_params TEXT, overrides TEXT);
CREATE INDEX IF NOT EXISTS runs_by_pipeline ON runs (pipeline, id);
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL, step_id TEXT NOT NULL, step_name TEXT NOT NULL,
    status TEXT NOT NULL, started REAL, finished REAL, config TEXT, cache_key TEXT,
    cache_parts TEXT, cache_reason TEXT, error TEXT, upstream TEXT, metadata TEXT, captured TEXT,
    plugin_metadata TEXT, PRIMARY KEY (run_id, step_id));
CREATE TABLE IF NOT EXISTS artifacts (
    digest TEXT PRIMARY KEY, size INTEGER NOT NULL, materializer TEXT NOT NULL, type TEXT,
    preview TEXT);
CREATE TABLE IF NOT EXISTS step_io (
    run_id INTEGER NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    position INTEGER, digest TEXT, source_step TEXT, source_output TEXT);
CREATE INDEX IF NOT EXISTS step_io_by_step ON step_io (run_id, step_id);
CREATE TABLE IF NOT EXISTS removed_runs_metadata (
    cache_key TEXT PRIMARY KEY, run_id INTEGER NOT NULL, metadata TEXT NOT NULL);
"""

# Columns added after the first release: ALTER TABLE adds them to older stores.
ADDED_COLUMNS = {
    "runs": [
        ("artifact_store", "TEXT"),
        ("params", "TEXT"),
        ("metrics", "TEXT"),
        ("n_steps", "INTEGER"),
        ("n_cached", "INTEGER"),
        ("config_params", "TEXT"),
        ("overrides", "TEXT"),
    ],
    "steps": [("metadata", "TEXT"), ("captured", "TEXT"), ("plugin_metadata", "TEXT")],
    "artifacts": [("preview", "TEXT")],
}
# Created after the migration (they may use added columns). Steps are found by cache key only
# for what their computing step logged, which the partial index answers; an index of every
# step's (random) key made each flush of a long rerun rewrite pages all over it (a commit
# of N steps cost O(N + steps recorded so far)): earlier stores lose it.
INDEXES = """
CREATE INDEX IF NOT EXISTS runs_by_item ON runs (item_id, id);
DROP INDEX IF EXISTS steps_by_cache_key;
CREATE INDEX IF NOT EXISTS steps_with_logged_metadata ON steps (cache_key, run_id)
    WHERE status='completed' AND metadata IS NOT NULL;
"""
STEP_COLUMNS = (
    "run_id, step_id, step_name, status, started, finished, config, cache_key, "
    "cache_parts, cache_reason, error, upstream, metadata, captured, plugin_metadata"
)


def migrate(db: sqlite3.Connection) -> None:
    """Bring a store made by an earlier zenrun up to the current schema (idempotent)."""
    import sqlite3

    for table, name, kind in _missing_columns(db):
        try:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        except sqlite3.OperationalError as exc:  # another process migrated it meanwhile
            if "duplicate column" not in str(exc):
                raise
    db.executescript(INDEXES)


def _missing_tables(db: Any) -> bool:
    """Whether ``db`` lacks one of the tables of :data:`SCHEMA` (all are made by one open,
    before any run is recorded)."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return not {"runs", "steps", "artifacts", "step_io"} <= tables


def _empty_store() -> sqlite3.Connection:
    """An in-memory database with the store's schema and nothing recorded."""
    import sqlite3

    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    connection.executescript(SCHEMA)
    migrate(connection)
    return connection


def _missing_columns(db: Any) -> list[tuple[str, str, str]]:
    """``(table, column, type)`` of the :data:`ADDED_COLUMNS` that ``db`` lacks."""
    return [
        (table, name, kind)
        for table, columns in ADDED_COLUMNS.items()
        for name, kind in columns
        if name not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    ]


class StoreFullError(UsageError):
    """A store file cannot be written: its disk is full, or failing (exit 4, as a damaged
    store: every later write of the session would fail the same way)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"{path}: zenrun cannot write to the store ({problem}); is its disk full? "
            "What earlier runs recorded is kept: free some space and run again."
        )


def _store_error(path: Path, exc: BaseException) -> UsageError | None:
    """The error to raise instead of SQLite's ``exc`` on the store file ``path``: one naming
    the file and what to do (damaged, full), or None for any other error."""
    if is_damage(exc):
        return StoreDamagedError(path, str(exc))
    if is_full(exc):
        return StoreFullError(path, str(exc))
    return None


class StoreDamagedError(UsageError):
    """A store database is damaged or is not a database (a usage error: exit 4)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"{path} is damaged ({problem}); zenrun cannot use it.\n"
            f"  zenrun --store {self.path.parent} --store-check    reports what can be read\n"
            f"  zenrun --store {self.path.parent} --store-repair   keeps what can be read in a new "
            f"{self.path.name} and moves the damaged file aside as "
            f"{self.path.name}.corrupt-<time>"
        )


class StoreNotAFileError(UsageError):
    """A store database's path holds a folder (or a device, a pipe): zenrun removes nothing
    it did not make, so this is a usage error naming it (exit 4)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.problem = "a folder, not a file" if os.path.isdir(path) else "not a regular file"
        super().__init__(f"{path} is {self.problem}: zenrun keeps a SQLite database there; move it away")


class StoreReadOnlyError(UsageError):
    """A write to a store that was opened read-only."""


_STORE_README = """\
# zenrun store directory

This directory holds zenrun's records of pipeline runs, its cache index and the
artifacts steps produced. Read it with `zenrun --runs`, `zenrun --show ITEM` or the
Python API (`zenrun.get_pipeline(...)`); tidy it with `zenrun --gc`.

Do not commit this directory to version control.
"""
_STORE_GITIGNORE = "# Created by zenrun automatically.\n*\n"
_CACHEDIR_TAG = """\
Signature: 8a477f597d28d172789f06886806bc55
# This file is a cache directory tag created by zenrun.
# For information about cache directory tags, see:
#\thttps://bford.info/cachedir/spec.html
"""


def make_store_dir(directory: Path) -> None:
    """Create a store directory as pytest creates ``.pytest_cache``: with a README, a
    ``.gitignore`` that ignores everything, and a ``CACHEDIR.TAG`` that backup tools skip.
    A directory that cannot be made is a :class:`UsageError` naming it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the store directory {directory}: {exc.strerror or exc}") from None
    for name, text in (
        ("README.md", _STORE_README),
        (".gitignore", _STORE_GITIGNORE),
        ("CACHEDIR.TAG", _CACHEDIR_TAG),
    ):
        target = directory / name
        if not target.exists():
            try:
                target.write_text(text, encoding="utf-8")
            except OSError:  # a read-only place: the store still works without them
                pass


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode that waits for other zenrun processes instead of failing.

    ``read_only`` opens the file with SQLite's ``mode=ro``, falling back to
    ``immutable=1`` when the WAL index cannot be created beside it (a
    read-only directory): a store on a read-only mount stays readable.
    Raises :class:`StoreDamagedError` for a file that is not a database, and
    :class:`StoreNotAFileError` for a folder (SQLite cannot open it) or a pipe (SQLite
    would wait for a writer forever).
    """
    import sqlite3

    if os.path.exists(path) and not os.path.isfile(path):
        raise StoreNotAFileError(path)
    try:
        if read_only:
            return _connect_read_only(path)
        if not path.parent.exists():
            make_store_dir(path.parent)
        connection = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        enable_wal(connection)
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=60000")
        return connection
    except sqlite3.DatabaseError as exc:
        error = _store_error(path, exc)
        if error is not None:
            raise error from None
        raise


def _connect_read_only(path: Path) -> sqlite3.Connection:
    import sqlite3

    if not path.exists():
        raise UsageError(f"{path} does not exist and the store is read-only")
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    last: Exception | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        connection = sqlite3.connect(
            f"{uri}?{options}", uri=True, timeout=60, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA busy_timeout=60000")
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return connection
        except sqlite3.OperationalError as exc:  # no -shm and cannot create one
            connection.close()
            last = exc
    raise last  # type: ignore[misc]


def lock_file_name(run_name: str) -> str:
    """The name of the file in ``<store>/runs/`` whose lock says ``run_name`` is alive: the run's
    name itself, unless that is no plain file name (a ``/`` or NUL in ``@pipeline(name=...)``
    put the lock in another folder, outside the store with ``..``, or failed; so did a name
    longer than file systems take). Those get a readable prefix and a digest of the name."""
    import hashlib

    name = f"{run_name}.lock"
    try:
        fits = len(os.fsencode(name)) <= _NAME_MAX
    except UnicodeError:  # a lone surrogate the file system encoding cannot carry
        fits = False
    if fits and "/" not in run_name and "\0" not in run_name:
        return name
    digest = hashlib.sha256(run_name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', run_name)[:80]}-{digest}.lock"


def writable(path: Path) -> bool:
    """Whether the database ``path`` (and its directory, for the WAL files) can be written."""
    directory = path.parent
    while not directory.exists():
        directory = directory.parent
    if not os.access(directory, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


class SqliteMetadataStore(RunQueries, MetadataStore):
    """Records runs and steps; reads them back as :mod:`zenrun.metadata.records`.

    ``read_only`` (default: when the file or its directory cannot be
    written) opens the database with SQLite's read-only mode: everything
    can be read, nothing recorded. A damaged file raises
    :class:`StoreDamagedError`.

    Liveness: the process that runs a run holds an ``fcntl`` lock on
    ``<store>/runs/<run name>.lock`` for the run's life, so any process on
    any host sharing the store can tell a dead owner (the lock is free) from
    a live one; see :meth:`dead_runs` and :meth:`fail_dead_runs`.
    """

    flushes_apart = True  # a file and a connection of its own, none held by before_commit

    def __init__(self, path: Path, read_only: bool | None = None) -> None:
        import sqlite3

        self.path = Path(path)
        self.read_only = not writable(self.path) if read_only is None else read_only
        self._lock_dir = self.path.parent / "runs"
        self._db: Any = None
        try:
            self._db = _Guarded(connect(self.path, self.read_only), self.path)
            if not self.read_only:
                self._db.executescript(SCHEMA)
                migrate(self._db)
                with contextlib.suppress(OSError):  # made with the store, not by its first run
                    try:
                        self._lock_dir.mkdir()
                    except FileExistsError:
                        pass
                    else:  # and so is the first run's lock file (see _claim_spare)
                        self._make_spare()
            elif _missing_tables(self._db):
                # A store whose first open was killed before its schema was complete (a
                # 0-byte metadata.db, some tables made): nothing was recorded in it yet, and
                # the next writable open completes it. Read it as the empty store it is.
                self._db.close()
                self._db = _Guarded(_empty_store(), self.path)
            elif _missing_columns(self._db):
                raise UsageError(
                    f"{self.path} was written by an older zenrun and is read-only "
                    "here; open it once with write access to upgrade it"
                )
            self._pending: list[tuple[Any, list[Any] | None, list[Any] | None]] = []
            self._lock = threading.Lock()  # the buffer
            self._db_lock = threading.RLock()  # the connection, shared with the flush thread
            #: For each run this object created (and did not fill by copying records), the
            #: steps whose input and output rows it has written: a flush deletes earlier rows
            #: of those only (no other writer records this process's runs).
            self._io_written: dict[Any, set[str]] = {}
            #: (pipeline, run, item) and the steps of its latest earlier run (see
            #: _previous_step), replaced whole: read without the lock (one attribute).
            self._previous: tuple[tuple[str, int | None, Any] | None, Any] = (None, None)
            self._damaged_columns: set[str] = set()  # warned about once (see _json)
            if not self.read_only:
                self.fail_dead_runs()
        except sqlite3.OperationalError as exc:
            if self._db is not None:
                self._db.close()
            if is_full(exc):  # the schema or the dead runs could not be written
                raise StoreFullError(self.path, str(exc)) from None
            raise
        except BaseException:
            if self._db is not None:
                self._db.close()
            raise

    # -- liveness -----------------------------------------------------------------
    def _lock_path(self, run_name: str) -> Path:
        return self._lock_dir / lock_file_name(run_name)

    def _lock_file(self, run_name: str) -> tuple[Path, str]:
        """The run's lock file and its real path, the key of ``_HELD_LOCKS`` (the same through
        any path to the store): joined to the lock folder's real path, which the store resolved
        for its spares (resolving the file's path walked the folder again, an ``lstat`` per
        component: 0.1 ms of a command's first run)."""
        name = lock_file_name(run_name)
        key = os.path.join(self._spare_folder, name)
        return self._lock_dir / name, (os.path.realpath(key) if os.path.islink(key) else key)

    def _owner_alive(self, name: str, pid: int | None, host: str | None) -> bool:
        """Whether the process running ``name`` still exists (see the class docstring)."""
        path, key = self._lock_file(name)
        if key in _HELD_LOCKS:  # ours: testing it would release it (POSIX locks are per process)
            return True
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            # A run recorded before runs held locks: only a pid of this host can be checked.
            return not (pid and host == hostname() and not _pid_alive(pid))
        except OSError:
            return True  # cannot tell: never fail a run that may be alive
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # held (EAGAIN/EACCES), or locks unsupported here: alive or unknown
            return True
        else:
            return False
        finally:
            os.close(fd)

    def dead_runs(self) -> list[str]:
        """Names of runs recorded ``running`` whose owner process has died (any host).

        Read-only: safe on a read-only store, and cheap (one lock test per running run).
        """
        with self._db_lock:
            rows = self._db.execute("SELECT name, pid, host FROM runs WHERE status=?", (RUNNING,)).fetchall()
        return [name for name, pid, host in rows if not self._owner_alive(name, pid, host)]

    def fail_dead_runs(self) -> list[str]:
        """Mark the :meth:`dead_runs` ``failed`` (and their running steps); returns their names.

        Runs when the store is opened; a viewer may call it to refresh.
        """
        dead = self.dead_runs()
        if not dead or self.read_only:
            return dead
        error = "owner process died: the zenrun process running this run ended without finishing it"
        with self._db_lock, self._transaction() as db:
            for name in dead:
                # status='running' again: the owner may have finished since we looked
                row = db.execute("SELECT id FROM runs WHERE name=? AND status=?", (name, RUNNING)).fetchone()
                if row is None:
                    continue
                # It ended when last heard of (its latest step record), not when noticed: a
                # run killed yesterday did not take a day.
                db.execute(
                    "UPDATE runs SET status=?, finished=coalesce(finished, (SELECT max(max(coalesce("
                    "finished, started), coalesce(started, 0))) FROM steps WHERE run_id=?), started, ?) "
                    "WHERE id=?",
                    (FAILED, row[0], time.time(), row[0]),
                )
                db.execute(
                    "UPDATE steps SET status=?, error=coalesce(error, ?) WHERE run_id=? AND status=?",
                    (FAILED, error, row[0], RUNNING),
                )
        for name in dead:
            _remove(self._lock_path(name))
        return dead

    def _hold_lock(self, run_name: str) -> None:
        path, key = self._lock_file(run_name)
        fd = self._claim_spare(path, key)
        if fd is not None:
            _HELD_LOCKS[key] = fd
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:  # the store's first run (or its directory was removed)
            self._lock_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, flags, 0o644)
        except NotADirectoryError:  # one error for the session, not an INTERNALERROR per run
            raise UsageError(
                f"{self._lock_dir} is not a folder: zenrun keeps its runs' liveness locks there; "
                "move that file away"
            ) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, _owner_line())
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFullError(path, str(exc)) from None
            raise
        except BaseException:
            os.close(fd)
            raise
        _HELD_LOCKS[key] = fd

    def _release_lock(self, run_name: str) -> None:
        path, key = self._lock_file(run_name)
        # Under the spares' lock, and the run's name gone before its lock is forgotten: until
        # then another thread's _owner_alive answers without opening the file (closing any
        # descriptor of a file drops this process's lock on it), and _free_spare does not
        # take it. The file leaves the run's name before the lock goes (nobody may take a
        # lock on a finished run); it stays, locked, as a spare for this process's next run.
        with _spares_lock:
            fd = _HELD_LOCKS.get(key)
            if fd is None:
                return
            spare = _SPARES_IN_USE.pop(key, None)
            folder = self._spare_folder
            kept = folder not in _SPARE_LOCKS and folder not in _NO_SPARES
            if kept:
                try:
                    if spare is None:
                        spare = os.path.join(folder, _spare_name())
                        os.rename(path, spare)
                    else:
                        os.unlink(path)
                except OSError:
                    kept = False
            if kept:
                assert spare is not None
                _keep_spare(folder, fd, spare)
            else:
                _remove(path)
                if spare is not None:
                    _remove(Path(spare))
            del _HELD_LOCKS[key]
            if not kept:
                os.close(fd)

    # A new file costs a run its file system's journal (0.1-0.6 ms on a local disk, a round
    # trip on a network one): a run's lock file is made ahead, as a spare, which a run links
    # to its own name. A spare is locked while its process keeps it for its next run, and
    # free once that process ended or closed the store, for any process to take.
    @functools.cached_property
    def _spare_folder(self) -> str:
        """The lock folder's real path: the key of ``_SPARE_LOCKS`` (resolved once: twice a
        run otherwise, each with an ``lstat``)."""
        return real_path(str(self._lock_dir))

    def _make_spare(self) -> None:
        """Make a locked spare lock file for this process's next run (with a new store)."""
        with _spares_lock:
            folder = self._spare_folder
            if folder in _SPARE_LOCKS or folder in _NO_SPARES:
                return
            spare = os.path.join(folder, _spare_name())
            try:
                fd = os.open(spare, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError:
                return
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.write(fd, _owner_line())
            except OSError:  # no locks on this file system: runs make their own file
                os.close(fd)
                _remove(Path(spare))
                return
            _keep_spare(folder, fd, spare)

    def _claim_spare(self, path: Path, key: str) -> int | None:
        """The descriptor of a spare lock file, locked and linked to ``path``: this process's
        own, else a free one (its process ended, or closed the store). None when there is
        none to take or it cannot be linked (then the run makes its file as before)."""
        with _spares_lock:
            folder = self._spare_folder
            if folder in _NO_SPARES:
                return None
            own = _SPARE_LOCKS.pop(folder, None)
            if own is not None:
                try:  # still this process's (no-op when it is): never a run on a file unlocked
                    fcntl.lockf(own[0], fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(own[0])
                    own = None
            spare = own or _free_spare(folder)
            if spare is None:
                return None
            fd, spare_path = spare
            try:
                # A link, not a rename: another process's run of the same name (the same
                # microsecond) keeps its lock file, and this run takes a later name.
                os.link(spare_path, path)
            except FileExistsError:
                if own is not None:
                    _SPARE_LOCKS[folder] = own  # kept for a run whose name is free
                else:
                    os.close(fd)
                return None
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):  # no hard links here: no spares
                    _NO_SPARES.add(folder)
                    _remove(Path(spare_path))
                os.close(fd)
                return None
            _SPARES_IN_USE[key] = spare_path
        if own is None:  # another process's: it says who holds it now, written over the
            # old line, not after a truncation (freeing the file's block waited 0.5 ms for
            # the journal): padded to its length, with spaces before the newline
            with contextlib.suppress(OSError):
                line = _owner_line()
                size = os.fstat(fd).st_size
                os.pwrite(fd, line[:-1].ljust(size - 1) + b"\n" if len(line) < size else line, 0)
        return fd

    def _give_up_spare(self) -> None:
        """Close the spare this process keeps for the store's next run: the file stays, free
        for any process (this one's next run too), and no descriptor stays open per store."""
        with _spares_lock:
            spare = _SPARE_LOCKS.pop(self._spare_folder, None)
            if spare is not None:
                os.close(spare[0])

    # -- writing ------------------------------------------------------------------
    def _transaction(self) -> Any:
        if self.read_only:
            raise StoreReadOnlyError(
                f"{self.path} is read-only: runs cannot be recorded in this "
                "store (choose another with --store)"
            )
        return _Transaction(self._db)

    def create_run(self, run: PipelineRun) -> None:
        """Insert ``run`` (status running) and commit at once, so it is visible.

        The run's liveness lock is taken first, so a ``running`` row always has a live owner
        or a free lock.
        """
        import sqlite3

        self._transaction()  # a read-only store refuses before a lock file is made
        for _ in range(_NAME_ATTEMPTS):
            try:
                self._hold_lock(run.name)
            except BlockingIOError:  # another process's run of this name: the same microsecond
                run.name = later_run_name(run.name)
                continue
            try:
                leftovers = self._insert_run(run)
            except sqlite3.IntegrityError as exc:  # (its lock already gone: the name is taken)
                self._release_lock(run.name)
                if "runs.name" not in str(exc):
                    raise
                run.name = later_run_name(run.name)
                continue
            except BaseException as exc:
                self._release_lock(run.name)
                if is_full(exc):  # nothing ran yet: the session stops, saying why
                    raise StoreFullError(self.path, str(exc)) from None
                raise
            if not leftovers:
                with self._lock:
                    self._io_written[run.id] = set()
            return
        raise UsageError(f"{self.path}: no free run name after {run.name!r} ({_NAME_ATTEMPTS} tried)")

    def _insert_run(self, run: PipelineRun) -> bool:
        """Insert ``run``'s row; True when input and output rows of its new id are already
        there (left by a run deleted by hand, whose id SQLite gives again): its flushes then
        delete a step's rows before writing them, as for a run of another process."""
        with self._db_lock, self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (name, pipeline, status, started, item_id, enable_cache, "
                "orchestrator, graph, pid, host, artifact_store, params, config_params, overrides) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run.name,
                    run.pipeline_name,
                    run.status,
                    run.started,
                    run.item_id,
                    None if run.enable_cache is None else int(run.enable_cache),
                    run.orchestrator,
                    json.dumps(run.graph),
                    os.getpid(),
                    hostname(),
                    run.artifact_store,
                    _dumps(run.params, ordered=True),
                    _dumps(run.config_params or None, ordered=True),
                    _dumps(run.overrides or None),
                ),
            )
            run.id = cursor.lastrowid
            return (
                db.execute("SELECT 1 FROM step_io WHERE run_id=? LIMIT 1", (run.id,)).fetchone() is not None
            )

    def record_step(self, run: PipelineRun, step_run: StepRun) -> None:
        """Buffer a step's record, as it is now, until the next :meth:`flush`.

        A step is recorded when it ends, and, while it runs, by the first flush
        after it started (so a viewer sees it); the later record replaces the
        earlier one. The running record is kept as it is (its containers
        copied) and turned into rows only by a flush that has no later record
        of the step.
        """
        if step_run.status == RUNNING:
            with self._lock:
                self._pending.append((_snapshot(run.id, step_run), None, None))
            return
        row, io_rows, artifacts = step_record_rows(run.id, step_run, _dumps)
        with self._lock:
            self._pending.append((row, io_rows, artifacts))

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        """Write buffered step records in one transaction.

        ``before_commit`` runs once they are written, before the commit (the
        execution passes what makes the artifact store's writes durable, which
        runs meanwhile); when it raises, the records are dropped.
        """
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        steps, io_rows, artifacts = [], [], []
        latest: dict[tuple[Any, str], Any] = {}  # a later record of a step replaces an earlier one
        for entry in pending:
            latest[(entry[0][0], entry[0][1])] = entry
        for row, io, arts in latest.values():
            if io is None:  # a running step's snapshot
                row, io, arts = step_record_rows(row[0], row[2], _dumps)
            steps.append(row)
            io_rows.extend(io)
            artifacts.extend(arts)
        by_run: dict[Any, list[str]] = {}
        for run_id, step_id in latest:
            by_run.setdefault(run_id, []).append(step_id)
        # The rows of a step recorded before (running, or a producer run again) go first: of
        # this process's own runs, only those of the steps it wrote, so a step recorded once
        # costs no lookup; of other runs, any step's.
        stale: dict[Any, list[str]] = {}
        with self._lock:
            for run_id, step_ids in by_run.items():
                written = self._io_written.get(run_id)
                if written is None:
                    stale[run_id] = step_ids
                    continue
                if written:
                    stale[run_id] = [step_id for step_id in step_ids if step_id in written]
                written.update(step_ids)  # before the commit: a failed one only costs a lookup
        with self._db_lock, self._transaction() as db:
            insert_many(
                db,
                "INSERT OR IGNORE INTO artifacts (digest, size, materializer, type, preview)",
                artifacts,
                5,
                db.max_variables,
            )
            for run_id, step_ids in stale.items():
                most = min(rows_per_statement(len(step_ids)), db.max_variables - 1)
                for start, size in chunks(len(step_ids), most):
                    db.execute(
                        f"DELETE FROM step_io WHERE run_id=? AND step_id IN ({','.join('?' * size)})",
                        [run_id, *step_ids[start : start + size]],
                    )
            insert_many(db, f"INSERT OR REPLACE INTO steps ({STEP_COLUMNS})", steps, 15, db.max_variables)
            insert_many(db, "INSERT INTO step_io", io_rows, 8, db.max_variables)
            if before_commit is not None:
                before_commit()

    def copy_cached_steps(
        self,
        run: PipelineRun,
        source: tuple[Any, str],
        step_ids: Sequence[str],
        when: float,
        proceed: Callable[[], bool] | None = None,
    ) -> bool:
        """Record the steps ``step_ids`` of ``run`` as served from the cache, copied from
        their records in the completed run ``source`` (its id and name): the same
        config, cache key and key parts, inputs, outputs and logged metadata, status
        ``cached``, started and finished at ``when``. All or nothing: False, and nothing
        written, unless that run is there and recorded exactly those steps, and
        ``proceed()``, called before the commit, says yes."""
        source_id, source_name = source
        with self._lock:  # its rows are written by copying: a later record deletes them first
            self._io_written.pop(run.id, None)
        with contextlib.suppress(_NotCopied), self._db_lock, self._transaction() as db:
            found = db.execute("SELECT name, status FROM runs WHERE id = ?", (source_id,)).fetchone()
            if found is None or tuple(found) != (source_name, COMPLETED):
                raise _NotCopied
            copied = db.execute(
                f"INSERT OR REPLACE INTO steps ({STEP_COLUMNS}) "
                "SELECT ?, step_id, step_name, ?, ?, ?, config, cache_key, cache_parts, "
                "'cache hit', NULL, upstream, metadata, NULL, NULL "
                "FROM steps WHERE run_id = ? AND status IN (?, ?)",
                (run.id, CACHED, when, when, source_id, COMPLETED, CACHED),
            ).rowcount
            if copied != len(step_ids):
                raise _NotCopied
            db.execute(
                "INSERT INTO step_io SELECT ?, step_id, kind, name, position, digest, source_step, "
                "source_output FROM step_io WHERE run_id = ?",
                (run.id, source_id),
            )
            if proceed is not None and not proceed():
                raise _NotCopied
            return True
        return False

    def finish_run(self, run: PipelineRun) -> None:
        """Flush the run's steps and store its final status, in one transaction."""
        try:
            self.flush()
        finally:
            with self._lock:
                self._io_written.pop(run.id, None)
            try:
                with self._db_lock, self._transaction() as db:
                    db.execute(
                        "UPDATE runs SET status=?, finished=?, metrics=?, n_steps=?, n_cached=? WHERE id=?",
                        (
                            run.status,
                            run.finished,
                            _dumps(run.metrics, ordered=True),
                            run.n_steps,
                            run.n_cached,
                            run.id,
                        ),
                    )
            finally:
                self._release_lock(run.name)

    # -- reading ------------------------------------------------------------------
    # SQLite checks the structure of its pages, not the values in them: a value damaged
    # in the file (a flipped bit, a hand edit) reads as not recorded, with one warning
    # naming the column, instead of failing every reader of the store, runs included.
    def _json(self, text: Any, kind: type, column: str, where: str) -> Any:
        """A JSON column's value, if it is JSON of ``kind``; else None (and a warning)."""
        if text is None:
            return None
        try:
            value = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            value = _DAMAGED
        if isinstance(value, kind):
            return value
        self._damaged_value(column, where, text)
        return None

    def _number(self, value: Any, column: str, where: str) -> float | None:
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        self._damaged_value(column, where, value)
        return None

    def _count(self, value: Any, column: str, where: str) -> int | None:
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self._damaged_value(column, where, value)
        return None

    def _damaged_value(self, column: str, where: str, value: Any) -> None:
        if column in self._damaged_columns:  # once per column: a damaged page spans many rows
            return
        self._damaged_columns.add(column)
        import logging

        shown = repr(value)
        logging.getLogger("zenrun").warning(
            "%s: %s of %s is damaged (%s); read as not recorded. "
            "zenrun --store %s --store-check reports the store.",
            self.path,
            column,
            where,
            shown if len(shown) <= 60 else shown[:57] + "...",
            self.path.parent,
        )

    #: The JSON columns and the kind of value each holds (what ``_json`` expects).
    _JSON_COLUMNS = (
        ("runs", "graph", dict),
        ("runs", "params", dict),
        ("runs", "metrics", dict),
        ("runs", "config_params", dict),
        ("runs", "overrides", list),
        ("steps", "config", dict),
        ("steps", "cache_parts", dict),
        ("steps", "upstream", list),
        ("steps", "metadata", dict),
        ("steps", "captured", dict),
        ("steps", "plugin_metadata", dict),
    )

    def damaged_values(self) -> dict[str, int]:
        """``{"table.column": rows}`` of the JSON values that are not JSON of their kind
        (for ``--store-check``: readers take them as not recorded)."""
        found: dict[str, int] = {}
        with self._db_lock:
            for table, column, kind in self._JSON_COLUMNS:
                for (text,) in self._db.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
                    try:
                        good = isinstance(json.loads(text), kind)
                    except (TypeError, ValueError, RecursionError):
                        good = False
                    if not good:
                        found[f"{table}.{column}"] = found.get(f"{table}.{column}", 0) + 1
        return found

    def _run_from_row(self, row: tuple[Any, ...]) -> PipelineRun:
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
        ) = row
        where = f"run {name}"
        if status == RUNNING and not self._owner_alive(name, None, None):
            status = FAILED  # its owner died; a read-only store cannot record it
        run = PipelineRun(
            name=name,
            pipeline_name=pipeline,
            status=status,
            started=self._number(started, "runs.started", where),
            finished=self._number(finished, "runs.finished", where),
            item_id=item_id,
            enable_cache=None if enable_cache is None else bool(enable_cache),
            orchestrator=orch,
            graph=self._json(graph, dict, "runs.graph", where) or {},
            id=run_id,
            artifact_store=artifact_store,
            params=self._json(params, dict, "runs.params", where) or {},
            n_steps=self._count(n_steps, "runs.n_steps", where),
            n_cached=self._count(n_cached, "runs.n_cached", where),
            config_params=self._json(config_params, dict, "runs.config_params", where) or {},
            overrides=self._json(overrides, list, "runs.overrides", where) or [],
        )
        # None (not recorded yet): computed from its steps
        run.metrics = self._json(metrics, dict, "runs.metrics", where)
        return run.with_steps_loader(self.load_steps)

    _RUN_COLUMNS = (
        "id, name, pipeline, status, started, finished, item_id, enable_cache, "
        "orchestrator, graph, artifact_store, params, metrics, n_steps, n_cached, config_params, overrides"
    )

    def get_runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        """Runs, oldest first; of one pipeline when ``pipeline`` is given."""
        if pipeline is None:
            rows = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs ORDER BY id").fetchall()
        else:
            rows = self._db.execute(
                f"SELECT {self._RUN_COLUMNS} FROM runs WHERE pipeline=? ORDER BY id", (pipeline,)
            ).fetchall()
        return [self._run_from_row(r) for r in rows]

    def get_run(self, name: str) -> PipelineRun | None:
        """The run called ``name``; ``latest`` is the newest run."""
        if name == "latest":
            row = self._db.execute(
                f"SELECT {self._RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1"
            ).fetchone()
        else:
            row = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE name=?", (name,)).fetchone()
        return self._run_from_row(row) if row else None

    def find_runs(self, text: str | None = None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Summaries of runs, newest first, for pickers: a page of ``limit`` from ``offset``.

        ``text`` keeps runs in which each of its words is part of the name,
        pipeline, item id or status (case-insensitive). Each summary has
        ``name``, ``pipeline``, ``item_id``, ``status``, ``started`` and
        ``finished``; the graph and steps are not read, so a page stays fast
        with thousands of runs.
        """
        clauses, args = [], []
        for word in (text or "").split():
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(
                "("
                + " OR ".join(
                    f"{column} LIKE ? ESCAPE '\\'" for column in ("name", "pipeline", "item_id", "status")
                )
                + ")"
            )
            args += [like] * 4
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._db.execute(
            f"SELECT name, pipeline, item_id, status, started, finished FROM runs {where} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ).fetchall()
        keys = ("name", "pipeline", "item_id", "status", "started", "finished")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def pipeline_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT pipeline FROM runs ORDER BY pipeline")]

    def load_steps(self, run: PipelineRun) -> dict[str, StepRun]:
        """The steps of ``run`` with their inputs and outputs, in execution order."""
        artifacts = {
            digest: ArtifactRef(digest, size, materializer, type_name, preview, store_url=run.artifact_store)
            for digest, size, materializer, type_name, preview in self._db.execute(
                "SELECT a.digest, a.size, a.materializer, a.type, a.preview FROM artifacts a JOIN step_io io "
                "ON io.digest = a.digest WHERE io.run_id=?",
                (run.id,),
            )
        }
        steps: dict[str, StepRun] = {}
        for row in self._db.execute(
            "SELECT step_id, step_name, status, started, finished, config, cache_key, "
            "cache_parts, cache_reason, error, upstream, metadata, captured, plugin_metadata FROM steps "
            "WHERE run_id=? ORDER BY started, rowid",
            (run.id,),
        ):
            where = f"run {run.name}, step {row[0]}"
            steps[row[0]] = StepRun(
                id=row[0],
                name=row[1],
                status=row[2],
                started=self._number(row[3], "steps.started", where),
                finished=self._number(row[4], "steps.finished", where),
                config=self._json(row[5], dict, "steps.config", where),
                cache_key=row[6],
                cache_parts=self._json(row[7], dict, "steps.cache_parts", where),
                cache_reason=row[8],
                error=row[9],
                upstream=self._json(row[10], list, "steps.upstream", where) or [],
                metadata=self._json(row[11], dict, "steps.metadata", where) or {},
                captured=self._json(row[12], dict, "steps.captured", where) or {},
                plugin_metadata=self._json(row[13], dict, "steps.plugin_metadata", where) or {},
                run_name=run.name,
                pipeline_name=run.pipeline_name,
            )
        for step_id, kind, name, _position, digest, source_step, source_output in self._db.execute(
            "SELECT step_id, kind, name, position, digest, source_step, source_output "
            "FROM step_io WHERE run_id=? ORDER BY rowid",
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
        """The latest earlier record of ``step_id`` in ``pipeline`` (to explain cache misses).

        Given ``item_id``, only runs of that item count (None: runs through the
        Python API): ``hpo[iris]`` is compared with ``hpo[iris]``.
        """
        known_key, known_steps = self._previous
        if known_steps is _NO_EARLIER_RUN and known_key == (pipeline, before_run, item_id):
            # Every missed step of a run without an earlier one: no lock, which a flush on
            # another thread holds while it writes (no run can become an earlier one).
            return None
        with self._db_lock:
            return self._previous_step(pipeline, step_id, before_run, item_id)

    def _previous_step(
        self, pipeline: str, step_id: str, before_run: int | None, item_id: Any
    ) -> StepRun | None:
        # One query per run instead of one per missed step: the steps of the
        # latest earlier run answer most look-ups; no earlier run answers all.
        key = (pipeline, before_run, item_id)
        any_item = item_id is ANY_ITEM
        item = None if any_item else item_id
        if before_run is not None and self._previous[0] != key:
            latest = self._db.execute(
                "SELECT id FROM runs WHERE pipeline=? AND id<? AND (? OR item_id IS ?) "
                "ORDER BY id DESC LIMIT 1",
                (pipeline, before_run, any_item, item),
            ).fetchone()
            found: Any = _NO_EARLIER_RUN
            if latest is not None:
                found = {
                    r[0]: r
                    for r in self._db.execute(
                        "SELECT step_id, step_name, status, cache_key, cache_parts FROM steps "
                        "WHERE run_id=? AND status IN ('completed','cached')",
                        (latest[0],),
                    )
                }
            self._previous = (key, found)  # published whole, once known
        known_key, known_steps = self._previous
        latest_steps = known_steps if known_key == key else {}
        if latest_steps is _NO_EARLIER_RUN:
            return None
        row = (
            latest_steps.get(step_id)
            or self._db.execute(
                "SELECT s.step_id, s.step_name, s.status, s.cache_key, s.cache_parts FROM steps s "
                "JOIN runs r ON r.id = s.run_id WHERE r.pipeline=? AND s.step_id=? AND r.id<? "
                "AND (? OR r.item_id IS ?) AND s.status IN ('completed','cached') ORDER BY r.id DESC LIMIT 1",
                (pipeline, step_id, before_run if before_run is not None else 1 << 62, any_item, item),
            ).fetchone()
        )
        if row is None:
            return None
        return StepRun(
            id=row[0],
            name=row[1],
            status=row[2],
            cache_key=row[3],
            cache_parts=self._json(row[4], dict, "steps.cache_parts", f"step {row[0]}"),
        )

    def last_computed(self, pipeline: str, step_id: str) -> StepRun | None:
        """The newest completed record of ``step_id`` in ``pipeline`` (its times and key parts)."""
        with self._db_lock:
            row = self._db.execute(
                "SELECT s.step_id, s.step_name, s.cache_key, s.cache_parts, s.started, s.finished "
                "FROM runs r JOIN steps s ON s.run_id = r.id WHERE r.pipeline=? AND s.step_id=? "
                "AND s.status='completed' ORDER BY r.id DESC LIMIT 1",
                (pipeline, step_id),
            ).fetchone()
        if row is None:
            return None
        return StepRun(
            id=row[0],
            name=row[1],
            status="completed",
            cache_key=row[2],
            cache_parts=self._json(row[3], dict, "steps.cache_parts", f"step {row[0]}"),
            started=self._number(row[4], "steps.started", f"step {row[0]}"),
            finished=self._number(row[5], "steps.finished", f"step {row[0]}"),
        )

    # -- maintenance --------------------------------------------------------------
    def referenced_digests(self) -> set[str]:
        """Digests of the artifacts recorded steps used or produced."""
        with self._db_lock:
            return {
                r[0] for r in self._db.execute("SELECT DISTINCT digest FROM step_io WHERE digest IS NOT NULL")
            }

    def delete_runs(self, names: Sequence[str]) -> None:
        """Forget the runs ``names`` (not running ones), their steps and unreferenced artifact rows."""
        with self._db_lock, self._transaction() as db:
            ids = [
                row[0]
                for name in names
                for row in db.execute("SELECT id FROM runs WHERE name=? AND status!=?", (name, RUNNING))
            ]
            # What a computing record logged outlives it: a later cache hit of its key shows it.
            db.executemany(
                "INSERT INTO removed_runs_metadata (cache_key, run_id, metadata) "
                "SELECT cache_key, run_id, metadata FROM steps WHERE run_id=? AND status='completed' "
                "AND metadata IS NOT NULL AND cache_key IS NOT NULL "
                "ON CONFLICT (cache_key) DO UPDATE SET run_id=excluded.run_id, metadata=excluded.metadata "
                "WHERE excluded.run_id > removed_runs_metadata.run_id",
                [(i,) for i in ids],
            )
            for table, column in (("step_io", "run_id"), ("steps", "run_id"), ("runs", "id")):
                db.executemany(f"DELETE FROM {table} WHERE {column}=?", [(i,) for i in ids])
            db.execute(
                "DELETE FROM artifacts WHERE digest NOT IN (SELECT digest FROM step_io WHERE digest IS NOT NULL)"
            )

    def close(self) -> None:
        try:
            if not self.read_only:
                self.flush()
        finally:
            self._db.close()
            if not self.read_only:
                self._give_up_spare()


_NO_EARLIER_RUN: Any = object()
#: Names a new run tries, a microsecond apart, when other processes' runs took them.
_NAME_ATTEMPTS = 1000
#: Liveness locks this process holds: realpath -> fd (closing any fd of a file drops its lock).
_HELD_LOCKS: dict[str, int] = {}
#: The longest file name (bytes) common file systems take.
_NAME_MAX = 255
#: Spare lock files this process holds for its next run: lock folder realpath -> (fd, path).
_SPARE_LOCKS: dict[str, tuple[int, str]] = {}
#: The spare name of each held run lock linked from a spare: lock realpath -> spare path.
_SPARES_IN_USE: dict[str, str] = {}
#: Lock folders on a file system without hard links: runs there make their own files.
_NO_SPARES: set[str] = set()
_spares_lock = threading.Lock()
#: How a spare lock file's name starts (never ``.lock`` at its end, as a run's lock file).
_SPARE_PREFIX = ".spare-"
#: The most spares of other processes a run tries to take before it makes its own file.
_SPARES_TRIED = 32
#: The most stores this process keeps a spare for (a descriptor each) until they are closed:
#: the least recently used gives its spare up first.
_SPARES_KEPT = 16


def _spare_name() -> str:
    return f"{_SPARE_PREFIX}{os.getpid()}-{os.urandom(6).hex()}"


def _owner_line() -> bytes:
    """What a lock file says: the host and process holding it (for people; liveness is
    the lock)."""
    return f"{hostname()} {os.getpid()}\n".encode()


def held_elsewhere(lock_dir: Path) -> list[str]:
    """What the lock files of ``lock_dir`` (a store's ``runs/``) that other processes hold
    say (host and pid): their runs still running, and the spares kept by processes that
    have the store open for their next run. Something that replaces the store's database
    files (``--store-repair``) asks first: such a process goes on writing to the file it
    opened, and what it records afterwards is lost. Lock files this process holds are not
    tested (closing a descriptor of a file drops this process's lock on it)."""
    try:
        names = sorted(os.listdir(lock_dir))
    except OSError:
        return []
    with _spares_lock:
        ours = set(_HELD_LOCKS) | {path for _, path in _SPARE_LOCKS.values()}
    folder = real_path(str(lock_dir))
    held = []
    for name in names:
        path = os.path.join(folder, name)
        if path in ours:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):  # held (not: no locks here)
                    held.append(os.read(fd, 200).decode(errors="replace").strip() or name)
        finally:
            os.close(fd)
    return held


def _keep_spare(folder: str, fd: int, spare: str) -> None:
    """(Under ``_spares_lock``.) Keep ``spare`` (locked through ``fd``) for the next run in
    ``folder``, the spare of the store least recently used given up (its file left free)
    past :data:`_SPARES_KEPT` stores."""
    while len(_SPARE_LOCKS) >= _SPARES_KEPT:
        os.close(_SPARE_LOCKS.pop(next(iter(_SPARE_LOCKS)))[0])
    _SPARE_LOCKS[folder] = (fd, spare)


def _free_spare(folder: str) -> tuple[int, str] | None:
    """(Under ``_spares_lock``.) A spare lock file no process holds, locked by this one;
    None when there is none."""
    try:
        entries = [
            e.name
            for e in os.scandir(folder)
            if e.name.startswith(_SPARE_PREFIX) and not e.name.endswith(".lock")
        ]  # (a run's lock file when its pipeline's name starts so)
    except OSError:
        return None
    # This process's spares under a run are held: a descriptor of them opened and closed
    # here would drop their lock (POSIX locks are per process).
    in_use = set(_SPARES_IN_USE.values())
    tried = 0
    for name in entries:
        path = os.path.join(folder, name)
        if path in in_use:
            continue
        if tried == _SPARES_TRIED:
            break
        tried += 1
        try:  # (a link to elsewhere is no spare of a store)
            fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Still that name's file (not one taken and replaced meanwhile), and no run's: a
            # process killed in a run left the run's name on it until its run is failed.
            status = os.fstat(fd)
            if (
                stat.S_ISREG(status.st_mode)
                and status.st_nlink == 1
                and status.st_ino == os.lstat(path).st_ino
            ):
                return fd, path
        except OSError:  # held by its live process
            pass
        os.close(fd)
    return None


def _forget_locks() -> None:
    """In a forked child: the parent's run locks and spares are not the child's (POSIX locks
    belong to a process); held, they made the child see its parent's runs alive after the
    parent died. Their descriptors stay open, unused."""
    global _spares_lock
    _HELD_LOCKS.clear()
    _SPARE_LOCKS.clear()
    _SPARES_IN_USE.clear()
    _spares_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_locks)


class _NotCopied(Exception):
    """A copy of step records found them not as expected: its transaction is rolled back."""


class _Transaction:
    def __init__(self, db: Any) -> None:
        self.db = db

    def __enter__(self) -> Any:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return
            except BaseException:  # e.g. a full disk: leave no transaction open
                rollback(self.db)
                raise
        rollback(self.db)


class _Guarded:
    """A connection whose damage errors (at execute or while rows are read) are
    :class:`StoreDamagedError` naming the file, not raw tracebacks."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self._path = path
        #: Most ``?`` in one statement (999 in SQLite before 3.32, 32766 since).
        self.max_variables = variable_limit(connection)

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    def _call(self, method: str, *args: Any) -> Any:
        import sqlite3

        try:
            return getattr(self._connection, method)(*args)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreDamagedError(self._path, str(exc)) from None
            raise

    def execute(self, *args: Any) -> _GuardedCursor:
        return _GuardedCursor(self._call("execute", *args), self._path)

    def executemany(self, *args: Any) -> Any:
        return self._call("executemany", *args)

    def executescript(self, script: str) -> Any:
        return self._call("executescript", script)

    def close(self) -> None:
        self._connection.close()


class _GuardedCursor:
    def __init__(self, cursor: sqlite3.Cursor, path: Path) -> None:
        self._cursor = cursor
        self._path = path

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def _call(self, method: str) -> Any:
        import sqlite3

        try:
            return getattr(self._cursor, method)()
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreDamagedError(self._path, str(exc)) from None
            raise

    def fetchone(self) -> Any:
        return self._call("fetchone")

    def fetchall(self) -> list[Any]:
        rows: list[Any] = self._call("fetchall")
        return rows

    def fetchmany(self, size: int) -> list[Any]:
        import sqlite3

        try:
            return self._cursor.fetchmany(size)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreDamagedError(self._path, str(exc)) from None
            raise

    def close(self) -> None:
        self._cursor.close()

    def __iter__(self) -> Any:
        return iter(self.fetchall())


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# Made once: json.dumps makes an encoder per call, which costs more than a step's record.
_ORDERED = reusable_encode(json.JSONEncoder(default=str))


def _dumps(value: Any, ordered: bool = False) -> str | None:
    """JSON text; keys sorted unless their order means something (metrics: logging order)."""
    return None if value is None else (_ORDERED if ordered else record_json)(value)


def _snapshot(run_id: Any, s: StepRun) -> tuple[Any, str, StepRun]:
    """``(run id, step id, a copy of the record)``: its containers copied, so that the step
    changing them later cannot change (or break) what a flush on another thread writes."""
    copy = object.__new__(type(s))  # dataclasses.replace runs __init__: 4x the cost
    copy.__dict__.update(s.__dict__)
    copy.config = dict(s.config) if s.config is not None else None
    copy.cache_parts = dict(s.cache_parts) if s.cache_parts is not None else None
    copy.outputs = dict(s.outputs)
    copy.inputs = {name: list(sources) for name, sources in s.inputs.items()}
    copy.upstream = list(s.upstream)
    copy.metadata = dict(s.metadata)
    copy.captured = dict(s.captured)
    copy.plugin_metadata = dict(s.plugin_metadata)
    return (run_id, s.id, copy)


#: What a damaged JSON value decodes to: no kind a column holds.
_DAMAGED = object()


def hostname() -> str:
    """This machine's name as runs record it: the runs' ``host``, the ``local://HOST/...``
    of artifacts on its own disk: ``socket.gethostname()``, which on POSIX is the node name
    ``os.uname()`` gives without importing ``socket`` (2 ms, in a run's first step)."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()


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
def zenrun_make_metadata_store(config: Any) -> SqliteMetadataStore | None:
    if config.store_url is not None:  # a plugin's store (postgresql://...)
        return None
    store = SqliteMetadataStore(config.store_path / "metadata.db")
    config.add_cleanup(store.close)
    return store
