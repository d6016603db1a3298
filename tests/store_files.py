"""Helpers for tests that look at, age or damage a local store's artifacts, wherever they are
kept: a file each (``artifacts/ab/cdef...``) or, up to ``inline_artifacts`` bytes, rows of the
inline pack (``artifacts/inline.db``)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from zenrun.artifacts.store import INLINE_DB, LocalArtifactStore


def _pack(store: Path) -> sqlite3.Connection | None:
    path = store / "artifacts" / INLINE_DB
    return sqlite3.connect(path, isolation_level=None) if path.exists() else None


def artifact_digests(store: Path) -> list[str]:
    """Every stored artifact's digest, sorted."""
    return sorted(digest for digest, _ in LocalArtifactStore(store / "artifacts").iter_digests())


def artifact_bytes(store: Path, digest: str) -> bytes:
    """The stored bytes of ``digest``, as stored (not checked against the digest)."""
    path = store / "artifacts" / digest[:2] / digest[2:]
    if path.exists():
        return path.read_bytes()
    db = _pack(store)
    assert db is not None, f"artifact {digest} is stored nowhere"
    try:
        (data,) = db.execute("SELECT data FROM blobs WHERE digest=?", (digest,)).fetchone()
    finally:
        db.close()
    return bytes(data)


def age_artifacts(store: Path, seconds: float = 7200) -> None:
    """Make every artifact look ``seconds`` old to ``zenrun --gc``."""
    then = time.time() - seconds
    for path in (store / "artifacts").glob("??/*"):
        os.utime(path, (then, then))
    db = _pack(store)
    if db is not None:
        db.execute("UPDATE blobs SET stored=?", (then,))
        db.close()


def unpack(store: Path) -> None:
    """Move the inline artifacts to files of their own, for tests that damage artifact files."""
    db = _pack(store)
    if db is None:
        return
    try:
        for digest, data in db.execute("SELECT digest, data FROM blobs").fetchall():
            path = store / "artifacts" / digest[:2] / digest[2:]
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
        db.execute("DELETE FROM blobs")
    finally:
        db.close()


def damage(store: Path, digest: str) -> None:
    """Flip the last byte of ``digest``'s stored bytes, wherever they are kept."""
    data = bytearray(artifact_bytes(store, digest))
    data[-1] ^= 0xFF
    path = store / "artifacts" / digest[:2] / digest[2:]
    if path.exists():
        os.chmod(path, 0o644)
        path.write_bytes(bytes(data))
        return
    db = _pack(store)
    assert db is not None
    db.execute("UPDATE blobs SET data=? WHERE digest=?", (bytes(data), digest))
    db.close()
