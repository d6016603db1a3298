"""Item replays: a large item's fully cached rerun served from one record.

A rerun of an item whose steps are all cache hits still computes each step's key
(the keys say whether anything changed), but instead of looking up, decoding and
checking one cache entry per step and writing one record per step, it reads one
record: each step's key and outputs as the last run of the item found them. The
record is served only if

- every key computed now equals the recorded one, and
- no cache entry has been written or deleted since it was recorded: triggers in
  ``cache.db`` drop every record that names a key whose entry changes, whichever
  process (or tool) writes it, and a record is only made when no other writer
  touched the cache during the run that makes it.

Together they say what the per-step lookups would: each step's key is the
recorded one, and its entry is the one the record was made from. The artifacts
are still verified (all of them, in one pass), the entries' environment and
materializers still checked (once per kind of entry), and anything the record
cannot vouch for (steps that read files or URLs, outputs whose pickles name
project code, expiring entries) keeps the item on the per-step path.

This module holds the record's SQLite storage, beside the cache table it guards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the cache passes its connection: `zenrun --help` imports no sqlite3)
    import sqlite3

#: Items with fewer steps are not recorded: their per-step rerun takes well under a second.
REPLAY_MIN_STEPS = 10_000

# One row per item; ``replay_keys`` names the cache keys each record relies on, so that
# writing or deleting any of their entries drops the record in the same transaction.
# ``cache_writes`` counts every write to the cache table: a record is made only when the
# writes since its run started are the run's own.
SCHEMA = """
CREATE TABLE IF NOT EXISTS replays (item TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replay_keys (key TEXT NOT NULL, item TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS replay_keys_by_key ON replay_keys (key);
CREATE INDEX IF NOT EXISTS replay_keys_by_item ON replay_keys (item);
CREATE TABLE IF NOT EXISTS cache_writes (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL);
INSERT OR IGNORE INTO cache_writes VALUES (0, 0);
CREATE TRIGGER IF NOT EXISTS cache_inserted AFTER INSERT ON cache BEGIN
    UPDATE cache_writes SET n = n + 1;
    DELETE FROM replays WHERE item IN (SELECT item FROM replay_keys WHERE key = NEW.key);
END;
CREATE TRIGGER IF NOT EXISTS cache_updated AFTER UPDATE ON cache BEGIN
    UPDATE cache_writes SET n = n + 1;
    DELETE FROM replays WHERE item IN (SELECT item FROM replay_keys WHERE key IN (OLD.key, NEW.key));
END;
CREATE TRIGGER IF NOT EXISTS cache_deleted AFTER DELETE ON cache BEGIN
    UPDATE cache_writes SET n = n + 1;
    DELETE FROM replays WHERE item IN (SELECT item FROM replay_keys WHERE key = OLD.key);
END;
"""


def install(db: sqlite3.Connection) -> None:
    """Create the tables and triggers (idempotent; ``db`` in autocommit mode): before the
    first record, which they guard from then on, whoever writes the cache."""
    if not installed(db):
        db.executescript(SCHEMA)


def installed(db: sqlite3.Connection) -> bool:
    """Whether the cache has the replay tables (a cache no large item ran on has none)."""
    found = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'cache_deleted'").fetchone()
    return bool(found[0])


def writes(db: sqlite3.Connection) -> int:
    """How many times the cache table has been written: compared at the end of a run."""
    row = db.execute("SELECT n FROM cache_writes WHERE id = 0").fetchone()
    return int(row[0]) if row else 0


def load(db: sqlite3.Connection, item: str) -> dict[str, Any] | None:
    """The record of ``item``, or None (none, or not a record: an edited row)."""
    if not installed(db):
        return None
    row = db.execute("SELECT record FROM replays WHERE item = ?", (item,)).fetchone()
    if row is None:
        return None
    try:
        record = json.loads(row[0])
    except (TypeError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("steps"), dict):
        return None
    return record


def store(
    db: sqlite3.Connection, item: str, keys: Sequence[str], record: dict[str, Any], writes_expected: int
) -> bool:
    """Replace ``item``'s record, in one transaction, if the cache table has been written
    ``writes_expected`` times in all (no other writer since the run began); else
    drop it. Whether it was stored."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DELETE FROM replays WHERE item = ?", (item,))
        db.execute("DELETE FROM replay_keys WHERE item = ?", (item,))
        stored = writes(db) == writes_expected
        if stored:
            db.execute("INSERT INTO replays VALUES (?, ?)", (item, json.dumps(record)))
            db.executemany("INSERT INTO replay_keys VALUES (?, ?)", ((key, item) for key in keys))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return stored


def clear(db: sqlite3.Connection) -> None:
    """Forget every record (the cache was cleared)."""
    if not installed(db):
        return
    db.execute("DELETE FROM replays")
    db.execute("DELETE FROM replay_keys")
