"""Opening a SQLite file that other zenrun processes may be creating at the same moment.

The metadata store and the local artifact store's pack both keep SQLite files in WAL mode;
their first use races between the workers of ``-n`` and concurrent sessions.
"""

from __future__ import annotations

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
