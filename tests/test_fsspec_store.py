"""The fsspec artifact store: memory://, file:// and a real S3 API on loopback (moto's server)."""

import hashlib
import json
import pickle
import uuid

import pytest

from zenrun.artifacts.fsspec_store import FsspecArtifactStore
from zenrun.artifacts.store import ArtifactError

pytest.importorskip("fsspec")

PIPELINE = """
    import numpy as np
    from zenrun import pipeline, step

    @step
    def make() -> np.ndarray:
        return np.arange(5)

    @step
    def total(x: np.ndarray) -> int:
        return int(x.sum())

    @pipeline
    def remote_store():
        total(make())
"""

READ_BACK = """
    import json
    from zenrun import get_pipeline
    run = get_pipeline("remote_store").last_run
    print(json.dumps({"store": run.artifact_store,
                      "make": run.steps["make"].output.read().tolist(),
                      "total": run.steps["total"].output.read()}))
"""


def _round_trip(store):
    data = b"some artifact bytes"
    digest, size = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest() and size == len(data)
    assert store.put(data) == (digest, size)  # idempotent
    assert store.exists(digest, size) and store.verify(digest, size)
    assert store.get(digest) == data
    assert not store.exists(digest, size + 1)  # a wrong size asked: a miss, the intact object kept
    assert store.exists(digest) and store.get(digest) == data
    store.fs.pipe_file(store.path(digest), data[:5])  # truncated: removed, not trusted
    assert not store.exists(digest, size)
    assert not store.exists(digest)
    with pytest.raises(ArtifactError, match="missing"):
        store.get(digest)
    store.put(data)
    store.fs.pipe_file(store.path(digest), b"tampered bytes here")
    assert not store.verify(digest, len(b"tampered bytes here"))
    with pytest.raises(ArtifactError, match="missing"):  # the corrupt copy was dropped
        store.get(digest)
    # A store travels to workers as its URL and options, never as a live filesystem.
    clone = pickle.loads(pickle.dumps(store))
    assert clone.url == store.url and clone._fs is None
    digest2, _ = clone.put(b"written by the clone")
    assert store.get(digest2) == b"written by the clone"


def test_memory_store_round_trip():
    _round_trip(FsspecArtifactStore(f"memory://zenrun-test-{uuid.uuid4().hex}"))


def test_file_store_round_trip_leaves_no_temporaries(tmp_path):
    store = FsspecArtifactStore((tmp_path / "arts").as_uri())
    _round_trip(store)
    leftovers = [p.name for p in (tmp_path / "arts").rglob("*") if p.name.startswith(".tmp")]
    assert leftovers == []


def test_s3_store_round_trip(s3_server):
    store = FsspecArtifactStore(
        f"s3://{s3_server['bucket']}/artifacts",
        {"endpoint_url": s3_server["endpoint"], "key": "testing", "secret": "testing"},
    )
    assert store._atomic_put()  # one PUT per artifact: no temporary object to rename
    _round_trip(store)


def test_run_on_s3_is_read_back_from_the_recorded_store(zenrunner, s3_server, monkeypatch):
    zenrunner.makepyfile(pipeline_remote=PIPELINE)
    url = f"s3://{s3_server['bucket']}/runs"
    result = zenrunner.run("--artifact-store", url, "-n", "2")
    result.assert_outcomes(passed=1)
    assert not [p for p in (zenrunner.store / "artifacts").rglob("*") if p.is_file()]
    # Without the option: the Python API reads from the store the run recorded.
    report = json.loads(zenrunner.runpython(READ_BACK).outlines[-1])
    assert report == {"store": url, "make": [0, 1, 2, 3, 4], "total": 10}
    # The ini value selects it too, and the cache written on S3 serves the rerun.
    zenrunner.maketoml(f'artifact_store = "{url}"')
    again = zenrunner.run("-v")
    again.fnmatch_lines(["*Using cached version of total.*"])


def test_file_store_via_env_and_unknown_protocol(zenrunner, tmp_path, monkeypatch):
    zenrunner.makepyfile(pipeline_remote=PIPELINE)
    arts = tmp_path / "shared-artifacts"
    monkeypatch.setenv("ZENRUN_ARTIFACT_STORE", arts.as_uri())
    zenrunner.run().assert_outcomes(passed=1)
    stored = [p for p in arts.rglob("*") if p.is_file()]
    assert len(stored) == 2 and not any(p.name.startswith(".tmp") for p in stored)
    monkeypatch.delenv("ZENRUN_ARTIFACT_STORE")
    report = json.loads(zenrunner.runpython(READ_BACK).outlines[-1])
    assert report["total"] == 10 and report["store"] == arts.as_uri()

    bad = zenrunner.run("--artifact-store", "nosuchproto://x")
    assert bad.ret == 4
    assert "nosuchproto" in bad.stderr


def test_a_memory_store_is_refused_with_worker_processes(zenrunner):
    # Each worker process would have its own memory://: downstream steps could not read.
    zenrunner.makepyfile(pipeline_remote=PIPELINE)
    for args in (("-n", "2"), ("--orchestrator", "dask")):
        refused = zenrunner.run(*args, "--artifact-store", "memory://shared")
        assert refused.ret == 4, args
        assert "memory://shared lives in this process's memory" in refused.stderr
    zenrunner.run("-n", "2", "--dist", "threads", "--artifact-store", "memory://shared").assert_outcomes(
        passed=1
    )


@pytest.mark.parametrize("where", ["a_file.txt", "file://{path}/a_file.txt"])
def test_an_artifact_store_that_is_a_file_is_one_usage_error(zenrunner, where):
    zenrunner.makepyfile(
        pipeline_one="from zenrun import pipeline, step\n@step\ndef s() -> int:\n    return 1\n@pipeline\ndef p():\n    s()\n"
    )
    (zenrunner.path / "a_file.txt").write_text("not a directory")
    result = zenrunner.run("--artifact-store", where.format(path=zenrunner.path))
    assert result.ret == 4, result.stdout + result.stderr
    assert "a_file.txt is a file, not a directory" in result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr
