"""The built-in artifact store: content-addressed files under ``<store>/artifacts``.

A write goes to a temporary file that is fsync'd and renamed into place, so
a reader never sees half an artifact. The fsync and rename run on a small
thread pool so that a step does not wait for the disk; ``sync()`` waits for
them, and the metadata store commits only after it.

Small artifacts (up to ``inline_max`` bytes, the ``inline_artifacts`` ini key)
are not files: they are held in memory until ``sync()``, which writes all of
them in one durable SQLite transaction (``<store>/artifacts/inline.db``)
before the records pointing at them commit. Creating a file costs more than
a small step; a batch of rows costs one commit. Readers look in both places.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.protocols import ArtifactError as ArtifactError  # re-exported: raised by get()
from zenrun.protocols import ArtifactStore
from zenrun.sqlitewal import enable_wal, insert_many, is_busy, is_damage, rollback, variable_limit
from zenrun.threads import leave_signals_to_the_main_thread

# sqlite3, hashlib, tempfile and the thread pool are imported in the functions using them:
# `zenrun --help` loads this module and needs none of that (tests/test_cli.py checks it).

if TYPE_CHECKING:
    import sqlite3
    from concurrent.futures import Future, ThreadPoolExecutor

#: Cache hits re-hash artifacts up to this size (cheap); larger ones are checked on load.
VERIFY_ON_HIT = 16 << 20
_WRITE_INLINE = 1 << 20  # larger artifacts are written by put() itself, then fsync'd on the pool
_POOL_THREADS = 8  # concurrent fsyncs share journal commits: more in flight, more per commit
_TMP_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_tmp_counter = itertools.count()
#: A temporary file untouched this long was left by a killed writer (a live one writes to it,
#: or has renamed it, within seconds); opening the store removes it.
TMP_MAX_AGE = 3600.0
_SWEEP_EVERY = 600.0  # seconds between two sweeps of one store (a sweep lists every directory)
_SWEEP_MARKER = ".last-sweep"
_STREAM_DIR = "tm"  # streamed writes' temporary files (swept as the others: .tmp-*)
_DIGEST = re.compile(r"[0-9a-f]{64}")
#: Artifacts up to this size go to the inline pack by default (``inline_artifacts``).
INLINE_MAX = 64 << 10
INLINE_DB = "inline.db"
#: How long an empty pack may resist the switch to WAL before it is taken for damage.
_EMPTY_PACK_WAIT = 10.0
_INLINE_SCHEMA = "CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, data BLOB NOT NULL, stored REAL)"


def check_digest(digest: Any) -> str:
    """``digest`` if it is a sha256 hex digest; else :class:`ArtifactError`.

    Digests come from ``cache.db`` and ``metadata.db``, which anyone can
    edit: checked before they become a path, a tampered row can never make
    zenrun read or delete a file outside the store.
    """
    if _valid(digest):
        return digest
    raise ArtifactError(
        f"invalid artifact digest {str(digest)[:80]!r}: not a sha256 hex digest "
        "(the store's records were modified or damaged)"
    )


def _valid(digest: object) -> TypeGuard[str]:
    return isinstance(digest, str) and len(digest) == 64 and _DIGEST.fullmatch(digest) is not None


class LocalArtifactStore(ArtifactStore):
    """Artifacts as files named by the sha256 of their bytes."""

    def __init__(self, root: Path, verify_on_hit: int = VERIFY_ON_HIT, inline_max: int = 0) -> None:
        self.root = Path(root)
        if os.path.exists(root) and not os.path.isdir(root):  # one error, not one per artifact
            raise UsageError(
                f"{root} is not a folder: zenrun keeps the store's artifacts there; move that file away"
            )
        self.url = self.root.absolute().as_uri()
        self.verify_on_hit = verify_on_hit
        #: Artifacts up to this many bytes are written to the inline pack (0: every one is a file).
        self.inline_max = inline_max
        self._inline: dict[str, bytes] = {}  # put, not yet committed to the pack by sync()
        self._inline_db: sqlite3.Connection | None = None
        #: (device, inode) of the pack file ``_inline_db`` was opened on: see _pack().
        self._inline_id: tuple[int, int] | None = None
        self._inline_lock = threading.Lock()
        self._pack_unreadable = False  # warned once: read as if there were no pack
        self._root = str(self.root)
        self._known_dirs: set[str] = set()
        self._pending: dict[str, Future[None]] = {}
        # A failed write, with the epoch in which sync() saw it: see checkpoint() and sync().
        self._failed: dict[str, tuple[int, BaseException]] = {}
        self._epoch = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pack_opening = False  # the pack is being opened on the pool (see put())

    def __getstate__(self) -> dict[str, Any]:  # shipped to workers: no threads
        return {"root": self.root, "verify_on_hit": self.verify_on_hit, "inline_max": self.inline_max}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["root"], state["verify_on_hit"], state.get("inline_max", 0))  # type: ignore[misc]

    # -- the inline pack ------------------------------------------------------------
    def _pack(self, create: bool = False) -> sqlite3.Connection | None:
        """The inline pack's connection (under ``_inline_lock``); None when there is none yet
        and ``create`` is false. A damaged pack is set aside: its artifacts are missing (their
        steps run again), never wrong.

        A connection kept open writes to the file it opened, whatever its path names now: a
        pack another process set aside as damaged, or a store deleted and made again under a
        long-lived process (a Dask worker serving many sessions). Its commits would succeed,
        and be confirmed, in a file no reader opens again: every artifact written so lost. So
        a write (``create``) first checks that the path still names that file, and reopens
        the pack when it does not; a commit checks again after it (see _pack_replaced)."""
        if self._inline_db is not None:
            if not (create and self._pack_replaced()):
                return self._inline_db
            self._close_pack()
        db = self._open_pack_file(create)
        self._inline_id = _file_id(os.path.join(self._root, INLINE_DB)) if db is not None else None
        return db

    def _pack_replaced(self) -> bool:
        """Whether the pack file this process has open is no longer the one at its path
        (moved aside, deleted, or its store made again): its commits would be lost."""
        return (
            self._inline_db is not None and _file_id(os.path.join(self._root, INLINE_DB)) != self._inline_id
        )

    def _close_pack(self) -> None:
        """Close the pack's connection (under ``_inline_lock``); the next use opens it again."""
        import sqlite3

        db, self._inline_db, self._inline_id = self._inline_db, None, None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    def _open_pack_file(self, create: bool) -> sqlite3.Connection | None:
        """Open the inline pack for :meth:`_pack` (none is open)."""
        import sqlite3

        path = os.path.join(self._root, INLINE_DB)
        if not create and (self._pack_unreadable or not os.path.lexists(path)):
            return None
        if create:
            os.makedirs(self._root, exist_ok=True)
        damaged = os.path.lexists(path) and not os.path.isfile(path)  # a directory, a dangling link
        if damaged and not self._set_aside(path, "not a regular file") and not create:
            return None
        empty = _size(path) == 0
        try:
            self._inline_db = _open_pack(path, _EMPTY_PACK_WAIT if empty else 60.0)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                # A pack emptied (truncated) under a process that still has it open in WAL
                # mode: it can never be switched to WAL again. A new pack is switched within
                # milliseconds by its creator, so one still empty after the wait is damage.
                if not (empty and _size(path) == 0):
                    raise
                if self._set_aside(path, "0 bytes, held open by another process"):
                    self._inline_db = _open_pack(path)
                    return self._inline_db
                if create:
                    raise ArtifactError(f"cannot write the inline artifact pack {path}: {exc}") from None
                return None
            if create:
                raise ArtifactError(f"cannot write the inline artifact pack {path}: {exc}") from None
            # A read-only store: read the pack as it is.
            try:
                self._inline_db = _immutable(path)
            except sqlite3.DatabaseError as again:
                self._pack_unreadable = True
                logging.getLogger("zenrun").warning(
                    "The inline artifact pack %s cannot be read (%s): "
                    "the steps whose outputs it holds run again.",
                    path,
                    again,
                )
                return None
        except sqlite3.DatabaseError as exc:
            if self._set_aside(path, str(exc)) or create:
                self._inline_db = _open_pack(path)
            else:
                return None
        return self._inline_db

    def _set_aside(self, path: str, why: str) -> bool:
        """Move the damaged pack at ``path`` aside (with a warning naming it): its artifacts are
        missing, their steps run again. False when it cannot be moved (a read-only store)."""
        aside = f"{path}.damaged-{os.getpid()}"
        log = logging.getLogger("zenrun")
        try:
            os.replace(path, aside)
        except OSError as exc:
            self._pack_unreadable = True
            log.warning(
                "The inline artifact pack %s is damaged (%s) and cannot be set aside (%s): "
                "the steps whose outputs it holds run again.",
                path,
                why,
                exc.strerror or exc,
            )
            return False
        log.warning(
            "The inline artifact pack %s is damaged (%s); set aside as %s: "
            "the steps whose outputs it held run again.",
            path,
            why,
            aside,
        )
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                os.unlink(path + suffix)
        return True

    def _pack_failed(self, exc: BaseException) -> bool:
        """Whether ``exc`` (raised by a query of the pack, under ``_inline_lock``) says the pack
        is damaged: then it is closed and set aside, as one found damaged when opened."""
        if not is_damage(exc):
            return False
        self._close_pack()
        self._set_aside(os.path.join(self._root, INLINE_DB), str(exc))
        return True

    def _inline_read(self, digest: str) -> bytes | None:
        """The bytes of ``digest`` in the inline pack (pending or committed), or None."""
        import sqlite3

        data = self._inline.get(digest)
        if data is not None:
            return data
        with self._inline_lock:
            db = self._pack()
            if db is None:
                return None
            try:
                row = db.execute("SELECT data FROM blobs WHERE digest=?", (digest,)).fetchone()
            except sqlite3.DatabaseError as exc:
                if not self._pack_failed(exc):
                    raise
                return None
        return None if row is None else bytes(row[0])

    def _inline_size(self, digest: str) -> int | None:
        import sqlite3

        data = self._inline.get(digest)
        if data is not None:
            return len(data)
        with self._inline_lock:
            db = self._pack()
            if db is None:
                return None
            try:
                row = db.execute("SELECT length(data) FROM blobs WHERE digest=?", (digest,)).fetchone()
            except sqlite3.DatabaseError as exc:
                if not self._pack_failed(exc):
                    raise
                return None
        return None if row is None else int(row[0])

    def _inline_remove(self, digest: str) -> bool:
        import sqlite3

        with self._inline_lock:
            db = self._pack()
            if db is None:
                return False
            try:
                return db.execute("DELETE FROM blobs WHERE digest=?", (digest,)).rowcount > 0
            except sqlite3.DatabaseError as exc:  # a read-only store: reported elsewhere
                if isinstance(exc, sqlite3.OperationalError) or self._pack_failed(exc):
                    return False
                raise

    def _drop_corrupt_row(self, digest: str, why: str) -> None:
        """Remove a damaged row of the pack (put() skips digests that exist, so the producer's
        rerun could not otherwise write it again), with a warning naming the pack."""
        logging.getLogger("zenrun").warning(
            "Artifact %s in the inline artifact pack %s is damaged (%s): removed; "
            "the step that made it runs again.",
            digest[:12],
            os.path.join(self._root, INLINE_DB),
            why,
        )
        self._inline_remove(digest)

    def _commit_inline(self) -> None:
        """Write the pending inline artifacts in one durable transaction."""
        import sqlite3

        with self._lock:
            pending = dict(self._inline)
        if not pending:
            return
        now = time.time()
        try:
            with self._inline_lock:
                for attempt in (1, 2):  # a pack found damaged is set aside, and a new one made
                    db = self._pack(create=True)
                    assert db is not None
                    try:
                        db.execute("BEGIN IMMEDIATE")
                        try:
                            _insert_blobs(db, pending, now)
                            db.execute("COMMIT")
                        except BaseException:
                            rollback(db)
                            raise
                        if attempt == 1 and self._pack_replaced():
                            continue  # committed to a file moved away meanwhile: again, in its successor
                        break
                    except sqlite3.DatabaseError as exc:
                        if attempt == 2 or not self._pack_failed(exc):
                            raise
        except BaseException as exc:
            with self._lock:
                for digest in pending:
                    if self._inline.get(digest) is pending[digest]:
                        del self._inline[digest]
                        self._failed[digest] = (self._epoch, exc)
            raise
        self._committed(pending)

    def _committed(self, pending: dict[str, bytes]) -> None:
        """Forget the inline artifacts ``pending`` once the pack holds them (a digest put
        again meanwhile is another write, left for the next commit)."""
        with self._lock:
            for digest, data in pending.items():
                if self._inline.get(digest) is data:
                    del self._inline[digest]

    def begin_sync(self, since: int | None = None) -> Callable[[], None]:
        """Start :meth:`sync`; the returned call finishes it (and raises as :meth:`sync`).

        The pending small artifacts are written to the pack's transaction now, and the
        transaction commits (its fsync) on a pool thread while the caller writes the
        records that point at them: the caller commits those only after the returned
        call returned. When that early commit fails, the call commits them again as
        :meth:`sync` does (a damaged pack set aside), and reports what failed.
        """
        from concurrent.futures import CancelledError

        committing = self._commit_inline_soon()

        def finish() -> None:
            # Waited for: what failed, or never ran, is left to sync(), which commits it.
            with contextlib.suppress(CancelledError):
                if committing is not None:
                    committing.exception()
            self.sync(since)

        return finish

    def _commit_inline_soon(self) -> Future[None] | None:
        """The pending inline artifacts inserted in a transaction of the pack, whose commit
        runs on the pool (the future); None when there are none, or they could not be
        inserted (:meth:`sync` then writes them, and reports why not)."""
        with self._lock:
            pending = dict(self._inline)
        if not pending:
            return None
        now = time.time()
        db = None
        self._inline_lock.acquire()  # released by the commit, on the pool thread
        try:
            db = self._pack(create=True)
            assert db is not None
            db.execute("BEGIN IMMEDIATE")
            _insert_blobs(db, pending, now)
            with self._lock:
                committing = self._start_pool().submit(self._commit_transaction, db, pending)
            committing.add_done_callback(functools.partial(self._commit_cancelled, db))
        except Exception:
            if db is not None:
                rollback(db)
            self._inline_lock.release()
            return None
        except BaseException:
            self._inline_lock.release()
            raise
        return committing

    def _commit_cancelled(self, db: sqlite3.Connection, committing: Future[None]) -> None:
        """A commit that never ran (its pool shut down, its queue cancelled): its
        transaction is ended and the pack's lock released here; sync() commits them."""
        if committing.cancelled():
            rollback(db)
            self._inline_lock.release()

    def _commit_transaction(self, db: sqlite3.Connection, pending: dict[str, bytes]) -> None:
        """On the pool: commit the pack's transaction holding ``pending`` (its fsync) and
        release the pack's lock, taken by :meth:`_commit_inline_soon`."""
        try:
            db.execute("COMMIT")
            # Committed to a pack file moved away meanwhile (see _pack): left pending, so
            # that sync() commits them again in the pack now at its path.
            replaced = self._pack_replaced()
        except BaseException:
            rollback(db)
            raise
        finally:
            self._inline_lock.release()
        if not replaced:
            self._committed(pending)

    def _spill(self, digest: str) -> bool:
        """Give an inline artifact its file too (for readers that need a path); False when it
        is not in the pack."""
        import hashlib

        data = self._inline_read(digest)
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return False
        target = os.path.join(self._root, digest[:2], digest[2:])
        if not os.path.exists(target):
            fd, tmp = self._write_tmp(digest, data)
            self._commit(fd, tmp, target)
        return True

    def path(self, digest: str) -> Path:
        """Where ``digest`` is stored; :class:`ArtifactError` if it is not a valid digest."""
        check_digest(digest)
        return self.root / digest[:2] / digest[2:]

    def uri(self, digest: str) -> str:
        """The artifact's file path (an inline artifact is given its file first). When the
        store cannot take that file (read-only, a stray file where its directory goes), the
        file is written to a private directory of the temporary directory instead: the path
        returned is always one a user can open."""
        import hashlib

        path = self.path(digest)
        if path.exists():
            return str(path)
        try:
            self._spill(digest)
        except OSError:
            data = self._inline_read(digest)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                return str(path)  # not stored: the path it would have
            return _spill_outside(digest, data)
        return str(path)

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; returns ``(sha256 hex digest, size)``."""
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        size = len(data)
        with self._lock:
            if digest in self._pending or digest in self._inline:
                return digest, size
            self._failed.pop(digest, None)  # written again: this attempt decides
            if size <= self.inline_max:  # committed by sync(), with the others of its batch
                self._inline[digest] = data if isinstance(data, bytes) else bytes(data)
                self._open_pack_soon()
                return digest, size
            self._start_pool()
            assert self._pool is not None
            if size < _WRITE_INLINE:
                # Small artifacts are written entirely on the pool: creating a
                # file waits for the journal while other threads fsync, and the
                # bytes held meanwhile are few. A write error surfaces at sync().
                self._pending[digest] = self._pool.submit(self._write, data, digest)
                return digest, size
        target = self.path(digest)
        if _touch(str(target)):
            return digest, size
        fd, tmp = self._write_tmp(digest, data)  # an error goes to the step itself
        with self._lock:
            self._pending[digest] = self._pool.submit(self._commit, fd, tmp, str(target))
        return digest, size

    def _start_pool(self) -> ThreadPoolExecutor:
        """The threads that write and fsync artifacts (under ``_lock``), made on first use."""
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                _POOL_THREADS,
                thread_name_prefix="zenrun-fsync",
                initializer=leave_signals_to_the_main_thread,
            )
        return self._pool

    def open_ahead(self) -> None:
        """Open (or create) the inline pack now, on the pool threads. A session about to run
        steps in this process calls this as it opens its stores, so that opening the pack
        overlaps what precedes the first run: opened at the first small artifact instead,
        its thread contended with the first steps (milliseconds in a new store)."""
        if self.inline_max > 0:
            with self._lock:
                self._open_pack_soon()

    def _open_pack_soon(self) -> None:
        """(Under ``_lock``.) Open, or create (a WAL switch and a table, each synced), the
        pack on the pool while steps run, not in the first sync() after them."""
        if self._inline_db is None and not self._pack_opening:
            self._pack_opening = True
            self._start_pool().submit(self._open_pack_ahead)

    def _open_pack_ahead(self) -> None:
        """On the pool: open the inline pack before the first commit needs it. A failure is
        left to that commit (which opens it again and reports it)."""
        with contextlib.suppress(Exception), self._inline_lock:
            self._pack(create=True)

    def put_file(self, write: Callable[[Any], object]) -> tuple[str, int]:
        """Store what ``write(file)`` writes, hashed as it is written: a large output is never
        held as bytes beside the value. Returns ``(sha256 hex digest, size)``."""
        from concurrent.futures import ThreadPoolExecutor

        fd, tmp = self._open_tmp(_STREAM_DIR)  # beside the artifacts: renamed, never copied
        writer = _HashingWriter(fd)
        try:
            write(writer)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        digest, size = writer.hexdigest(), writer.size
        target = self.path(digest)
        with self._lock:
            known = digest in self._pending
        if known or _touch(str(target)):
            os.close(fd)
            os.unlink(tmp)
            return digest, size
        if digest[:2] not in self._known_dirs:
            os.makedirs(target.parent, exist_ok=True)
            self._known_dirs.add(digest[:2])
        with self._lock:
            self._failed.pop(digest, None)  # written again: this attempt decides
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    _POOL_THREADS,
                    thread_name_prefix="zenrun-fsync",
                    initializer=leave_signals_to_the_main_thread,
                )
            self._pending[digest] = self._pool.submit(self._commit, fd, tmp, str(target))
        return digest, size

    def verified_path(self, digest: str) -> str:
        """The file of ``digest``, its content checked against it by streaming it (as
        :meth:`get`, without reading it into memory)."""
        check_digest(digest)
        future = self._pending.get(digest)
        if future is not None:
            exc = future.exception()
            if exc is not None:
                raise ArtifactError(
                    f"artifact {digest[:12]} could not be written to {self.root}: {exc}"
                ) from None
        path = str(self.path(digest))
        if not os.path.exists(path):
            path = self.uri(digest)
        try:
            actual = hash_file(path)
        except IsADirectoryError:
            raise self._folder_in_the_way(digest) from None
        except (FileNotFoundError, NotADirectoryError):
            raise ArtifactError(f"artifact {digest[:12]} is missing from {self.root}") from None
        if actual != digest:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            raise ArtifactError(
                f"artifact {digest[:12]} in {self.root} does not match its hash "
                "(it was modified or corrupted)"
            )
        return path

    def _open_tmp(self, digest: str) -> tuple[int, str]:
        directory = os.path.join(self._root, digest[:2])
        if digest[:2] not in self._known_dirs:
            os.makedirs(directory, exist_ok=True)
            self._known_dirs.add(digest[:2])
        remade = False
        while True:  # what tempfile.mkstemp does, without its per-call Python overhead
            tmp = f"{directory}/.tmp-{os.getpid()}-{next(_tmp_counter)}"
            try:
                return os.open(tmp, _TMP_FLAGS, 0o600), tmp
            except FileExistsError:  # left by a crashed process that had our pid
                continue
            except FileNotFoundError:
                # The folder is gone since this object made it: the store was deleted and
                # made again under a process that outlives sessions (a Dask worker).
                if remade:
                    raise
                remade = True
                os.makedirs(directory, exist_ok=True)

    def _write_tmp(self, digest: str, data: bytes) -> tuple[int, str]:
        """``data`` in a new temporary file beside its target; returns its open fd and path."""
        fd, tmp = self._open_tmp(digest)
        try:
            _write_all(fd, data)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        return fd, tmp

    def _write(self, data: bytes, digest: str) -> None:
        """On the pool: temp file, write, fsync, rename (unless already stored)."""
        target = os.path.join(self._root, digest[:2], digest[2:])
        if _touch(target):
            return
        fd, tmp = self._write_tmp(digest, data)
        self._commit(fd, tmp, target)

    def _commit(self, fd: int, tmp: str, target: str) -> None:
        try:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.replace(tmp, target)
            except FileNotFoundError:
                if not os.path.exists(tmp):
                    raise
                # Its folder is gone since this object made it (see _open_tmp): made again.
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def checkpoint(self) -> int:
        """Start an epoch (a run): pass the number to :meth:`sync` as ``since``."""
        with self._lock:
            self._epoch += 1
            return self._epoch

    def sync(self, since: int | None = None) -> None:
        """Wait until every artifact put so far is durable and in place.

        Raises the error of a failed write (e.g. a full disk). With ``since``
        (from :meth:`checkpoint`), later calls raise it again while the
        failure was seen in epoch ``since`` or later: every run in progress
        when it was seen (any of them may hold a record pointing at the lost
        artifact) commits nothing more, while a run started afterwards (space
        freed) commits normally; it cannot point at the lost artifact, which
        :meth:`exists` denies until it is written again. Without ``since``, a
        failure is raised by the call that sees it.
        """
        inline_failed = self._commit_inline_or_note()
        with self._lock:
            pending = list(self._pending.items())
        # Entries stay in ``_pending`` until written, so that exists() and
        # get() on another thread never miss an artifact still in flight.
        outcomes = [(digest, future, future.exception()) for digest, future in pending]
        failed = inline_failed
        with self._lock:
            for digest, future, exc in outcomes:
                if self._pending.get(digest) is not future:
                    continue
                del self._pending[digest]
                if exc is not None:
                    self._failed[digest] = (self._epoch, exc)
                    failed = failed or exc
            if since is not None:
                failed = next((exc for epoch, exc in self._failed.values() if epoch >= since), failed)
        if failed is not None:
            raise failed

    def _commit_inline_or_note(self) -> BaseException | None:
        """:meth:`_commit_inline`; its failure (noted in ``_failed``) is returned."""
        try:
            self._commit_inline()
        except Exception as exc:  # raised by sync(), with the file writes' failures
            return exc
        return None

    def exists(self, digest: str, size: int | None = None) -> bool:
        """Whether ``digest`` is stored (with ``size`` bytes); a file of another size is removed.

        An invalid digest is never stored (a miss, not an error).
        """
        if not _valid(digest) or digest in self._failed:
            return False
        if digest in self._pending or digest in self._inline:
            return True
        path = f"{self._root}/{digest[:2]}/{digest[2:]}"  # a string path: once per cache hit
        try:
            stat = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            found = self._inline_size(digest)
            if found is None:
                return False
            if size is not None and found != size:
                import hashlib

                data = self._inline_read(digest)
                # The bytes still match their hash: the size asked is wrong (a damaged cache
                # entry or record), not the artifact, which is kept.
                if data is None or hashlib.sha256(data).hexdigest() != digest:
                    self._drop_corrupt_row(digest, f"{found} bytes, not {size}")
                return False
            return True
        if size is not None and stat.st_size != size:
            if not _matches_digest(path, digest):  # (else the size asked is wrong: kept)
                _remove(path)  # truncated: put() would otherwise keep skipping it
            return False
        return True

    def verify(self, digest: str, size: int) -> bool:
        """:meth:`exists`, plus a hash check for artifacts up to ``verify_on_hit`` bytes.

        A corrupt file is removed. Larger artifacts are verified when loaded.
        """
        import hashlib

        if not self.exists(digest, size):
            return False
        if size > self.verify_on_hit or digest in self._pending or digest in self._inline:
            return True
        path = f"{self._root}/{digest[:2]}/{digest[2:]}"
        try:
            with open(path, "rb") as fh:
                ok = hashlib.sha256(fh.read()).hexdigest() == digest
        except (FileNotFoundError, NotADirectoryError):
            data = self._inline_read(digest)
            if data is None:
                return False
            ok = hashlib.sha256(data).hexdigest() == digest
            if not ok:
                self._drop_corrupt_row(digest, "its bytes do not match its hash")
            return ok
        if not ok:
            _remove(path)
        return ok

    def verify_many(self, refs: Sequence[tuple[str, int]]) -> dict[str, bool]:
        """:meth:`verify` of each ``(digest, size)``: those in the inline pack read in one
        query per 900 (a rerun verifies its hits in batches), the others one by one."""
        import hashlib
        import sqlite3

        found: dict[str, bool] = {}
        packed: dict[str, int] = {}
        largest = min(self.verify_on_hit, self.inline_max)
        failed, pending, inline = self._failed, self._pending, self._inline
        for digest, size in refs:
            # (a digest that is not one is in no row: verify() below says it is not stored)
            if (
                0 <= size <= largest
                and digest not in failed
                and digest not in pending
                and digest not in inline
            ):
                packed[digest] = size
            else:
                found[digest] = self.verify(digest, size)
        wanted = list(packed)
        rows: list[tuple[str, bytes]] = []
        with self._inline_lock:
            db = self._pack()
            try:
                if db is not None and wanted:
                    # A quarter of the pack or more (a large item's replay): one pass over
                    # the whole table reads them several times faster than a lookup each.
                    (last,) = db.execute("SELECT max(rowid) FROM blobs").fetchone()
                    if last is not None and len(wanted) * 4 >= last:
                        everything = db.execute("SELECT digest, data FROM blobs")
                        rows = [row for row in everything if row[0] in packed]
                        wanted = []
                    for start in range(0, len(wanted), 900):
                        chunk = wanted[start : start + 900]
                        marks = ",".join("?" * len(chunk))
                        rows += db.execute(
                            f"SELECT digest, data FROM blobs WHERE digest IN ({marks})", chunk
                        ).fetchall()
            except sqlite3.DatabaseError as exc:
                if not self._pack_failed(exc):
                    raise
                rows = []  # set aside: those artifacts are missing
        for digest, data in rows:
            ok = len(data) == packed[digest] and hashlib.sha256(data).hexdigest() == digest
            if not ok:
                self._drop_corrupt_row(digest, "its bytes do not match its hash")
            found[digest] = ok
        for digest, size in packed.items():  # not in the pack: a file, or missing
            if digest not in found:
                found[digest] = self.verify(digest, size)
        return found

    def check_content(self, digest: str) -> bool | None:
        """Whether the stored file of ``digest`` hashes to it (None: not stored).

        Streams the file: any size is checked in constant memory. Read-only: a corrupt
        file is left where it is (``zenrun --store-check --verify`` only reports).
        """
        import hashlib

        try:
            return hash_file(self.path(digest)) == digest
        except IsADirectoryError:  # not the artifact: its content is not there
            return False
        except (FileNotFoundError, NotADirectoryError):
            data = self._inline_read(digest)
            return None if data is None else hashlib.sha256(data).hexdigest() == digest

    def _folder_in_the_way(self, digest: str) -> ArtifactError:
        """The error for a folder found where the file of ``digest`` belongs (zenrun removes
        nothing it did not make)."""
        return ArtifactError(
            f"artifact {digest[:12]} in {self.root}: a folder is where its file belongs "
            f"({self.path(digest)}); move that folder away"
        )

    def get(self, digest: str) -> bytes:
        """The bytes of ``digest``, verified against it (whatever its size: ``verify_on_hit``
        only bounds the check of cache hits, which do not read the artifact)."""
        import hashlib

        check_digest(digest)
        future = self._pending.get(digest)
        if future is not None:
            exc = future.exception()
            if exc is not None:
                raise ArtifactError(
                    f"artifact {digest[:12]} could not be written to {self.root}: {exc}"
                ) from None
        inline = False
        try:
            data = self.path(digest).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:  # (a stray file
            found = self._inline_read(digest)  # where its directory goes, a folder where it goes)
            if found is None and isinstance(exc, IsADirectoryError):
                raise self._folder_in_the_way(digest) from None
            if found is None:
                raise ArtifactError(f"artifact {digest[:12]} is missing from {self.root}") from None
            data, inline = found, True
        if hashlib.sha256(data).hexdigest() != digest:
            # Drop the bad copy: put() skips digests that exist, so the
            # producer's rerun could not otherwise write it again.
            if inline:
                self._drop_corrupt_row(digest, "its bytes do not match its hash")
            else:
                try:
                    os.unlink(self.path(digest))
                except FileNotFoundError:
                    pass
            raise ArtifactError(
                f"artifact {digest[:12]} in {self.root} does not match its hash "
                "(it was modified or corrupted)"
            )
        return data

    def iter_files(self) -> Any:
        """``(directory entry, digest or None)`` for every file under the root; digest is None
        for temporary and other non-artifact files."""
        try:
            top = list(os.scandir(self._root))
        except FileNotFoundError:
            return
        for sub in top:
            if len(sub.name) != 2 or not sub.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(sub.path):
                digest = sub.name + entry.name
                yield entry, digest if _valid(digest) else None

    def iter_digests(self) -> Any:
        """``(digest, size)`` of every stored artifact, files and inline pack alike."""
        import sqlite3

        for entry, digest in self.iter_files():
            if digest is not None:
                try:
                    yield digest, entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue
        with self._inline_lock:
            db = self._pack()
            try:
                rows = [] if db is None else db.execute("SELECT digest, length(data) FROM blobs").fetchall()
            except sqlite3.DatabaseError as exc:
                if not self._pack_failed(exc):
                    raise
                rows = []
        for digest, size in rows:
            if _valid(digest):
                yield digest, int(size)

    def discard(self, digest: str) -> None:
        """Remove ``digest`` wherever it is stored (a corrupt artifact: its step runs again)."""
        _remove(str(self.path(digest)))
        self._inline_remove(digest)

    def collect(self, keep: set[str], older_than: float, dry_run: bool = False) -> tuple[int, int]:
        """Remove the artifacts not in ``keep`` whose file is older than ``older_than``.

        A file is renamed aside, its mtime checked again (a ``put`` of the same
        bytes refreshes it), then removed or put back: a writer racing ``--gc``
        keeps its artifact.
        """
        import sqlite3

        count = freed = 0
        for entry, digest in self.iter_files():
            if digest is None or digest in keep:
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.st_mtime >= older_than:
                continue
            if dry_run or _remove_unless_refreshed(entry.path, older_than):
                count += 1
                freed += stat.st_size
        # Inline artifacts: a put of the same bytes refreshes ``stored`` in its own
        # transaction, so the conditional DELETE never removes one put meanwhile.
        with self._inline_lock:
            db = self._pack()
            try:
                rows = (
                    []
                    if db is None
                    else db.execute(
                        "SELECT digest, length(data) FROM blobs WHERE stored < ?", (older_than,)
                    ).fetchall()
                )
            except sqlite3.DatabaseError as exc:
                if not self._pack_failed(exc):
                    raise
                rows = []
            if db is not None and rows:
                for digest, size in rows:
                    if digest in keep:
                        continue
                    if dry_run or (
                        db.execute(
                            "DELETE FROM blobs WHERE digest=? AND stored < ?", (digest, older_than)
                        ).rowcount
                        > 0
                    ):
                        count += 1
                        freed += int(size)
        return count, freed

    def sweep_temp_files(self, max_age: float = TMP_MAX_AGE) -> int:
        """Remove temporary files (``.tmp-*``, ``.gc-*``) not modified for ``max_age`` seconds:
        left by writers killed mid-write. Returns how many were removed."""
        cutoff = time.time() - max_age
        removed = 0
        for entry, digest in self.iter_files():
            if digest is None and entry.name.startswith((".tmp-", ".gc-")):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:  # gone meanwhile, or not ours to remove
                    pass
        return removed

    def maybe_sweep(self) -> None:
        """:meth:`sweep_temp_files`, at most every few minutes per store (a marker file's
        mtime says when), and never on a store this process cannot write."""
        marker = os.path.join(self._root, _SWEEP_MARKER)
        try:
            if time.time() - os.stat(marker).st_mtime < _SWEEP_EVERY:
                return
        except FileNotFoundError:
            if not os.path.isdir(self._root):
                return  # a new store: nothing to sweep
        except OSError:
            return
        if not os.access(self._root, os.W_OK):
            return
        try:
            with open(marker, "a"):
                pass
            os.utime(marker)
        except OSError:
            return
        self.sweep_temp_files()

    def close(self) -> None:
        try:
            self.sync()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            with self._inline_lock:
                if self._inline_db is not None:
                    self._inline_db.close()
                    self._inline_db = self._inline_id = None


def _insert_blobs(db: sqlite3.Connection, pending: dict[str, bytes], now: float) -> None:
    """Write ``pending`` (digest -> bytes) into the pack's open transaction; a digest it
    holds already gets its ``stored`` time renewed."""
    insert_many(
        db,
        "INSERT INTO blobs",
        [(digest, data, now) for digest, data in pending.items()],
        3,
        variable_limit(db),
        " ON CONFLICT(digest) DO UPDATE SET stored=excluded.stored",
    )


def _open_pack(path: str, wal_wait: float = 60.0) -> sqlite3.Connection:
    """The inline pack at ``path``: WAL, each commit durable (synchronous=FULL) since records
    that point at its artifacts commit right after it."""
    import sqlite3

    db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout={int(min(wal_wait, 60.0) * 1000)}")
        enable_wal(db, wal_wait)  # a worker may be creating the pack at this moment
        db.execute("PRAGMA busy_timeout=60000")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(_INLINE_SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


def _file_id(path: str) -> tuple[int, int] | None:
    """The (device, inode) of the file at ``path``; None when there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _spill_outside(digest: str, data: bytes) -> str:
    """``data`` as the file ``<tmp>/zenrun-<uid>-artifacts/<digest>`` (written once, atomically)."""
    import tempfile

    directory = os.path.join(tempfile.gettempdir(), f"zenrun-{getattr(os, 'getuid', lambda: 0)()}-artifacts")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    target = os.path.join(directory, digest)
    if not os.path.isfile(target) or hash_file(target) != digest:
        tmp = f"{target}.tmp-{os.getpid()}-{next(_tmp_counter)}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return target


def _immutable(path: str) -> sqlite3.Connection:
    """The pack at ``path`` read as it is, without a lock or a journal (a read-only store)."""
    import sqlite3

    db = sqlite3.connect(f"file:{urllib.parse.quote(path)}?immutable=1", uri=True, check_same_thread=False)
    try:
        db.execute("SELECT 1 FROM blobs LIMIT 1").fetchall()  # an unreadable file fails here, not later
    except BaseException:
        db.close()
        raise
    return db


def hash_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of the file at ``path``, read ``chunk`` bytes at a time."""
    import hashlib

    sha = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        buffer = bytearray(chunk)
        view = memoryview(buffer)
        while True:
            n = fh.readinto(buffer)
            if not n:
                return sha.hexdigest()
            sha.update(view[:n])


def _matches_digest(path: str, digest: str) -> bool:
    """Whether the file at ``path`` hashes to ``digest`` (read in blocks: any size)."""
    try:
        return hash_file(path) == digest
    except OSError:
        return False


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except (FileNotFoundError, PermissionError, OSError):  # gone, or a read-only store
        pass


def _touch(path: str) -> bool:
    """Whether ``path`` exists; if so its mtime is set to now.

    An artifact put again is "new" for ``zenrun --gc``, which never removes
    artifacts younger than the oldest live run (a run may still commit a
    record pointing at it).
    """
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    except OSError:  # not ours to touch (read-only): it exists
        return os.path.exists(path)
    if os.path.isdir(path):  # (utime takes a folder too) never "stored": the output would be lost
        raise ArtifactError(f"{path}: a folder is where an artifact's file belongs; move that folder away")
    return True


class _HashingWriter:
    """A write-only file over ``fd`` that hashes what goes through it."""

    def __init__(self, fd: int) -> None:
        import hashlib

        self.fd = fd
        self.size = 0
        self._hash = hashlib.sha256()

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._hash.update(view)
        _write_all(self.fd, view)
        self.size += len(view)
        return len(view)

    def flush(self) -> None:
        pass

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _remove_unless_refreshed(path: str, cutoff: float) -> bool:
    """Rename aside, re-check the mtime, unlink (or put back when a writer refreshed it)."""
    directory, name = os.path.split(path)
    aside = os.path.join(directory, f".gc-{name}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return False
    if os.stat(aside).st_mtime >= cutoff:  # put again just before the rename: keep it
        os.replace(aside, path)
        return False
    os.unlink(aside)
    return True


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.addini(
        "inline_artifacts",
        "artifacts up to this many bytes are stored together in one SQLite file per store, "
        f"committed once per batch of steps, instead of a file each (default {INLINE_MAX}; 0: files only)",
        type="int",
        default=INLINE_MAX,
    )
    parser.addini(
        "verify_on_hit",
        "cache hits re-hash artifacts up to this many bytes "
        f"(default {VERIFY_ON_HIT}); larger ones are verified when loaded",
        type="int",
        default=VERIFY_ON_HIT,
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    if config.getini("inline_artifacts") < 0:
        raise UsageError(
            f"{config.inipath}: inline_artifacts must be a size in bytes >= 0, "
            f"not {config.getini('inline_artifacts')!r}"
        )
    if config.getini("verify_on_hit") < 0:
        raise UsageError(
            f"{config.inipath}: verify_on_hit must be a size in bytes >= 0, "
            f"not {config.getini('verify_on_hit')!r}"
        )


@hookimpl(tryfirst=True)
def zenrun_open_artifact_store(config: Any, url: str) -> LocalArtifactStore | None:
    """A ``file://`` URL of a local store with an inline pack: read by this store, which looks
    in the pack as well as in the files (any other URL: the fsspec store)."""
    if not url.startswith("file://"):
        return None
    path = urllib.parse.unquote(urllib.parse.urlparse(url).path)
    if not os.path.exists(os.path.join(path, INLINE_DB)):
        return None
    return LocalArtifactStore(Path(path), int(config.getini("verify_on_hit")))


@hookimpl
def zenrun_make_artifact_store(config: Any) -> LocalArtifactStore:
    store = LocalArtifactStore(
        config.store_path / "artifacts",
        int(config.getini("verify_on_hit")),
        inline_max=int(config.getini("inline_artifacts")),
    )
    store.maybe_sweep()
    config.add_cleanup(store.close)
    return store
