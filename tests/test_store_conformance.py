"""The built-in stores pass the store conformance kit (``zenrun.testing``) that store
plugins subclass: the SQLite metadata store and cache, the local and fsspec artifact
stores (a local folder and the loopback S3 server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from store_files import damage

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
