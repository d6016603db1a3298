"""The example stores of docs/plugins.md pass the store conformance kit, as a store
plugin's own suite would run it (``zenrun.testing``)."""

from __future__ import annotations

import importlib
import sys
import zlib

import pytest
from test_contract_docs import parse_docs

from zenrun.testing import ArtifactStoreTests, CacheTests, MetadataStoreTests


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """The example plugin modules of docs/plugins.md, imported from their text."""
    files, _, _, _ = parse_docs()
    where = tmp_path_factory.mktemp("docs-examples")
    names = ("zenrun_zstore", "zenrun_jsoncache", "zenrun_memory_metadata")
    for name in names:
        (where / f"{name}.py").write_text(files[f"{name}.py"])
    sys.path.insert(0, str(where))
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(where))
        for name in names:
            sys.modules.pop(name, None)


class TestDocsMemoryMetadataStore(MetadataStoreTests):
    shared_across_processes = False  # in memory: one process
    detects_dead_owners = False

    @pytest.fixture
    def open_store(self, examples):
        store = examples["zenrun_memory_metadata"].MemoryMetadataStore()
        return lambda: store  # every "handle" is the one store


class TestDocsJsonCache(CacheTests):
    shared_across_processes = False  # one JSON file rewritten whole: one writer at a time

    @pytest.fixture
    def open_store(self, examples, tmp_path):
        return lambda: examples["zenrun_jsoncache"].JsonCache(tmp_path / "cache.json")


class TestDocsZlibArtifactStore(ArtifactStoreTests):
    @pytest.fixture
    def open_store(self, examples, tmp_path):
        return lambda: examples["zenrun_zstore"].ZlibArtifactStore(tmp_path / "zartifacts")

    def corrupt(self, store, digest):
        store._path(digest).write_bytes(zlib.compress(b"tampered"))
