"""Opening a SQLite file that other zenrun processes may be creating at the same moment,
and writing many rows to it at once.

The metadata store, the cache index and the local artifact store's pack all keep SQLite
files in WAL mode; their first use races between the workers of ``-n`` and concurrent
sessions, and each flush writes its rows in a few statements of many rows.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours

# sqlite3 is imported in the functions using it: `zenrun --help` loads this module and
# does not need it (tests/test_cli.py checks it).

if TYPE_CHECKING:
    import sqlite3


def enable_wal(connection: sqlite3.Connection, wait: float = 60.0) -> None:
    """Switch to WAL mode. Two processes opening a new database at once can get "database
    is locked" from this switch without SQLite's busy handler waiting (it needs the file
    to itself for a moment): it is retried, within the same bound as other waits."""
    import sqlite3

    bind_directly()
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def bind_directly() -> None:
    """Let ``sqlite3`` bind ``None`` and ``bytes`` parameters without looking for an adapter.

    Python's ``sqlite3`` binds only exact ``int``, ``float``, ``str`` and ``bytearray``
    without adapting them: for every other value, ``None`` and ``bytes`` included, it
    looks for a registered adapter, then for ``__adapt__`` and ``__conform__``, and the
    failed attribute lookups format an ``AttributeError`` message each time (about 0.3 µs a
    parameter). A step's records bind several ``None`` and a blob each. Registered here,
    the adapters hand the value back unchanged (``{}.get(None)`` is ``None``, ``bytes(b)``
    is ``b``), so the value bound and the statement are as before; an adapter the program
    registered itself is left alone.
    """
    import sqlite3

    same: tuple[tuple[type[Any], Callable[[Any], Any]], ...] = ((type(None), {}.get), (bytes, bytes))
    for kind, adapter in same:
        if (kind, sqlite3.PrepareProtocol) not in sqlite3.adapters:
            sqlite3.register_adapter(kind, adapter)


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether ``exc`` says another connection holds the file for now (worth waiting for)."""
    return "locked" in str(exc) or "busy" in str(exc)


def is_damage(exc: BaseException) -> bool:
    """Whether a SQLite error means the file is damaged (not busy, full or read-only)."""
    import sqlite3

    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    return isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in str(exc) or "not a database" in str(exc)
    )


def is_full(exc: BaseException) -> bool:
    """Whether a SQLite error means the file cannot be written: a full disk (or quota), or
    an I/O error, which SQLite also gives when the disk filled up under it."""
    import sqlite3

    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return name.startswith(("SQLITE_FULL", "SQLITE_IOERR"))
    return isinstance(exc, sqlite3.OperationalError) and (
        "disk is full" in str(exc) or "disk I/O error" in str(exc)
    )


#: Most rows written by one statement of a flush. SQLite compiles each statement text once
#: per connection, and a statement of many rows is a big program: a process's first flush
#: of 1,000 steps compiled 256-row statements for 1.5 ms more than it wrote with 64-row
#: ones, which later flushes write only 3 % slower (0.3 ms per 1,000 steps).
ROWS_PER_STATEMENT = 64
#: ... and of a flush of fewer rows than :data:`MANY_ROWS`: compiling a 64-row statement
#: costs as much as writing 64 rows, which a process's first flush of a 100-step run paid for
#: each table (about a tenth of the run); 16-row statements write rows as fast.
ROWS_PER_SMALL_STATEMENT = 16
MANY_ROWS = 256


def rollback(db: Any) -> None:
    """End the open transaction of ``db``, if any, after a failure: a failed one must not
    poison the connection (an error of the rollback itself is left unsaid, the caller
    raising the first one)."""
    import sqlite3

    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def rows_per_statement(count: int) -> int:
    """Most rows a statement of a flush writing ``count`` rows to one table holds."""
    return ROWS_PER_STATEMENT if count >= MANY_ROWS else ROWS_PER_SMALL_STATEMENT


def chunks(count: int, most: int) -> list[tuple[int, int]]:
    """``(start, size)`` of the statements writing ``count`` rows: ``most`` rows each, the
    rest in powers of two, so that a few statement texts serve every flush (SQLite keeps
    each text compiled, and a statement of many rows is a big program)."""
    found, start = [], 0
    size = 1 << (max(1, most).bit_length() - 1)
    while start < count:
        while size > count - start:
            size >>= 1
        found.append((start, size))
        start += size
    return found


def insert_many(
    db: Any, head: str, rows: list[tuple[Any, ...]], width: int, max_variables: int, tail: str = ""
) -> None:
    """``db.executemany(f"{head} VALUES (?, ...){tail}", rows)``, many rows per statement
    (at most ``max_variables`` parameters, the connection's limit): SQLite runs each
    statement with the GIL released, so one per row made the flush thread and the thread
    scheduling steps hand the GIL to each other for every row, and cost a release and a
    reacquisition of the GIL per row in any thread.

    Fewer than :data:`MANY_ROWS` rows on the main thread (a run's last flush, as it ends)
    go one per statement all the same: no step runs beside it, and the one-row text
    compiles in a fraction of the time of the texts of many rows, which the first flush of
    a process compiled for each table (a tenth to a quarter of the first flush of a
    100-step run)."""
    mark = f"({','.join('?' * width)})"
    if len(rows) < MANY_ROWS and threading.current_thread() is threading.main_thread():
        db.executemany(f"{head} VALUES {mark}{tail}", rows)
        return
    for start, size in chunks(len(rows), min(rows_per_statement(len(rows)), max_variables // width)):
        chunk = rows[start : start + size]
        db.execute(
            f"{head} VALUES {','.join([mark] * size)}{tail}", list(itertools.chain.from_iterable(chunk))
        )


def variable_limit(connection: sqlite3.Connection) -> int:
    """Most ``?`` in one statement of ``connection`` (999 in SQLite before 3.32, 32766 since)."""
    import sqlite3

    return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
