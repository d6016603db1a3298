"""The built-in stores pass the store conformance kit (``zenrun.testing``) that store
plugins subclass: the SQLite metadata store and cache, the local and fsspec artifact
stores (a local folder and the loopback S3 server)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from store_files import damage

import zenrun.cache
from zenrun.artifacts.fsspec_store import FsspecArtifactStore
from zenrun.artifacts.store import INLINE_MAX, LocalArtifactStore
from zenrun.cache import SqliteCache
from zenrun.metadata.sqlite import SqliteMetadataStore
from zenrun.testing import ArtifactStoreTests, CacheTests, MetadataStoreTests


class TestSqliteMetadataStore(MetadataStoreTests):
    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: SqliteMetadataStore(tmp_path / "store" / "metadata.db")


class TestSqliteCache(CacheTests):
    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: SqliteCache(tmp_path / "store" / "cache.db")


def _truncated(path: Path) -> bool:
    """Whether another connection could checkpoint ``path`` and empty its WAL: not while a
    read transaction holds an older view of it."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
    finally:
        db.close()


def _entry(digit: str) -> dict:
    return {"out": {"digest": digit * 64, "size": 1, "materializer": "json", "type": "builtins.int"}}


def test_cache_lookups_share_a_read_of_the_index_for_a_moment_only(tmp_path, monkeypatch):
    # One read transaction for the lookups of a few steps (each of its own cost 6 us more):
    # another process's entry is seen once SNAPSHOT_SECONDS passed or a flush ended it, this
    # object's own at once, and the read holds the index's WAL no longer than that.
    monkeypatch.setattr(zenrun.cache, "SNAPSHOT_SECONDS", 3600.0)  # (a busy machine is slow)
    path = tmp_path / "store" / "cache.db"
    reader, writer = SqliteCache(path), SqliteCache(path)
    try:
        assert reader.lookup("other") is None  # the read begins
        writer.put("other", _entry("1"))
        writer.flush()  # a writer is not blocked by it
        assert not _truncated(path)  # the read holds its view of the WAL
        assert reader.lookup("other") is None  # ... and sees the index as it began
        monkeypatch.setattr(zenrun.cache, "SNAPSHOT_SECONDS", 0.01)
        time.sleep(0.02)
        assert reader.lookup("other") == _entry("1")  # a new read: the one before was too old
        monkeypatch.setattr(zenrun.cache, "SNAPSHOT_SECONDS", 3600.0)

        writer.put("later", _entry("2"))
        writer.flush()
        assert reader.lookup("later") is None
        reader.flush()  # nothing of its own to write: the read ends all the same
        assert _truncated(path)
        assert reader.lookup("later") == _entry("2")

        reader.put("own", _entry("3"))
        reader.flush()
        assert reader.lookup("own") == _entry("3")
        assert writer.lookup_many(["own", "later"]) == {
            "own": _entry("3"),
            "later": _entry("2"),
        }
        assert sorted(key for key, _ in reader.entries()) == ["later", "other", "own"]
        # Interrupted between its BEGIN and noting its time (a signal's exception): the read
        # is still ended by the next write, which would fail inside it.
        assert reader.lookup("missing") is None
        reader._snapshot_since = None
        reader.put("after", _entry("4"))
        reader.flush()
        assert writer.lookup_many(["after"]) == {"after": _entry("4")}
    finally:
        reader.close()
        writer.close()
    assert _truncated(path)  # closed: nothing holds it


class TestLocalArtifactStore(ArtifactStoreTests):
    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: LocalArtifactStore(tmp_path / "artifacts")

    def corrupt(self, store, digest):
        path = store.path(digest)
        os.chmod(path, 0o644)
        path.write_bytes(b"tampered")


class TestLocalArtifactStoreInline(ArtifactStoreTests):
    """Small artifacts kept as rows of the inline pack, as a configured store keeps them."""

    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: LocalArtifactStore(tmp_path / "artifacts", inline_max=INLINE_MAX)

    def corrupt(self, store, digest):
        damage(Path(store.root).parent, digest)


class TestFsspecArtifactStoreOnAFolder(ArtifactStoreTests):
    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: FsspecArtifactStore((tmp_path / "fs-artifacts").as_uri())

    def corrupt(self, store, digest):
        with store.fs.open(store.path(digest), "wb") as fh:
            fh.write(b"tampered")


class TestFsspecArtifactStoreOnS3(ArtifactStoreTests):
    @pytest.fixture
    def open_store(self, s3_server):
        return lambda: FsspecArtifactStore(f"s3://{s3_server['bucket']}/artifacts", retries=1)

    def corrupt(self, store, digest):
        with store.fs.open(store.path(digest), "wb") as fh:
            fh.write(b"tampered")
