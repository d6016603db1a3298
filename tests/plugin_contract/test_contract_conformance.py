"""The example stores of docs/plugins.md pass the store conformance kit, as a store
plugin's own suite would run it (``zenrun.testing``)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import zlib

import pytest
from test_contract_docs import parse_docs

from zenrun.testing import ArtifactStoreTests, CacheTests, MetadataStoreTests


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """The example plugin modules of docs/plugins.md, imported from their text."""
    files, _, _, _ = parse_docs()
    where = tmp_path_factory.mktemp("docs-examples")
    names = ("zenrun_zstore", "zenrun_jsoncache", "zenrun_jsonruns")
    for name in names:
        (where / f"{name}.py").write_text(files[f"{name}.py"])
    sys.path.insert(0, str(where))
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(where))
        for name in names:
            sys.modules.pop(name, None)


class TestDocsJsonRunsStore(MetadataStoreTests):
    detects_dead_owners = False

    @pytest.fixture
    def open_store(self, examples, tmp_path):
        return lambda: examples["zenrun_jsonruns"].JsonRunsStore(tmp_path / "runs")


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
        store.path(digest).write_bytes(zlib.compress(b"tampered"))


def test_a_failing_kit_check_shows_the_values_compared(tmp_path):
    """A store author's suite, run by pytest: the kit's assertion names what differed."""
    (tmp_path / "test_mycache.py").write_text(
        textwrap.dedent("""
            import pytest
            import zenrun
            from zenrun.testing import CacheTests


            class ForgetfulCache(zenrun.Cache):
                '''Keeps entries, but lists only the flushed ones.'''

                def __init__(self):
                    self.data, self.pending = {}, {}

                def lookup(self, key):
                    return self.pending.get(key) or self.data.get(key)

                def put(self, key, outputs):
                    self.pending[key] = outputs

                def flush(self, before_commit=None):
                    if before_commit is not None:
                        before_commit()
                    self.data.update(self.pending)
                    self.pending = {}

                def clear(self):
                    self.data.clear()
                    self.pending.clear()

                def entries(self):
                    return iter(list(self.data.items()))


            class TestForgetfulCache(CacheTests):
                shared_across_processes = False

                @pytest.fixture
                def open_store(self):
                    cache = ForgetfulCache()
                    return lambda: cache
        """)
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
            "-k",
            "entries",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_entries_and_referenced_digests" in result.stdout
    # the rewritten assert shows the two sides, not a bare "AssertionError"
    assert "assert {'a': " in result.stdout, result.stdout
