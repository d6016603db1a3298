"""A corrupt artifact larger than ``verify_on_hit``: caught where it is read, and by
``--store-check --verify``."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("numpy")

BIG = """
    import numpy as np
    from zenrun import pipeline, step

    @step
    def produce() -> np.ndarray:
        return np.arange(3_000_000, dtype=np.float64)  # 24 MB: above verify_on_hit (16 MiB)

    @step(enable_cache=False)
    def consume(x: np.ndarray) -> float:  # reads the artifact on every run
        return float(x.sum())

    @pipeline
    def big():
        consume(produce())
"""

EXPECTED = float(sum(range(3_000_000)))

LAST = """
    import json
    from zenrun import get_pipeline
    from zenrun.metadata.api import artifact_uri
    run = get_pipeline("big").last_run
    ref = run.steps["produce"].output
    print(json.dumps([run.status, {i: s.status for i, s in run.steps.items()},
                      run.steps["consume"].output.read(), ref.digest, ref.size, artifact_uri(ref)]))
"""


def _last(zenrunner):
    return json.loads(zenrunner.runpython(LAST).outlines[-1])


def _flip_a_byte(path: str, offset: int = 12_000_000) -> None:
    import os

    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_a_corrupt_large_artifact_is_caught_when_read_and_by_store_check_verify(zenrunner, args):
    zenrunner.makepyfile(pipeline_big=BIG)
    assert zenrunner.run("-q", *args).ret == 0
    status, _, total, digest, size, path = _last(zenrunner)
    assert (status, total) == ("completed", EXPECTED)
    assert size > 16 << 20
    _flip_a_byte(path)

    plain = zenrunner.run("--store-check")
    assert plain.ret == 0, plain.stdout  # not hashed: it says so
    plain.fnmatch_lines(["*artifacts: 2 stored, 0 recorded but missing (contents not hashed: --verify*"])
    check = zenrunner.run("--store-check", "--verify")
    assert check.ret == 1, check.stdout
    check.fnmatch_lines(
        [
            "*artifacts: 2 stored, 0 recorded but missing, 1 corrupt (contents hashed)",
            f"*CORRUPT artifact {digest[:12]} (22.9 MB): its content does not match its digest; "
            "output 'output' of step produce of pipeline big (latest run big-*",
            "*--store-repair --verify*",
        ]
    )

    # The consumer reads it: the hash is checked as it is loaded, the producer runs again,
    # and the consumer computes with the right value.
    again = zenrunner.run("-v", *args)
    assert again.ret == 0, again.stdout
    again.fnmatch_lines(
        [
            f"*artifact {digest[:12]} in * does not match its hash (it was modified or corrupted); "
            "re-running step produce to recreate it.*",
        ]
    )
    assert "re-run: its stored output could not be read back" in again.stdout, again.stdout
    status, steps, total, digest_again, _, _ = _last(zenrunner)
    assert (status, steps, total, digest_again) == (
        "completed",
        {"produce": "completed", "consume": "completed"},
        EXPECTED,
        digest,
    )
    assert zenrunner.run("--store-check", "--verify").ret == 0  # rewritten whole


def test_store_repair_verify_removes_a_corrupt_artifact_and_the_api_refuses_one(zenrunner):
    zenrunner.makepyfile(pipeline_big=BIG)
    assert zenrunner.run("-q").ret == 0
    _, _, _, digest, _, path = _last(zenrunner)

    _flip_a_byte(path)
    read = zenrunner.runpython(
        """
        from zenrun import get_pipeline
        try:
            get_pipeline("big").last_run.steps["produce"].output.read()
        except Exception as exc:
            print(type(exc).__name__, exc)
        """
    )
    assert read.outlines[-1].startswith(f"ArtifactError artifact {digest[:12]} in "), read.stdout
    assert read.outlines[-1].endswith("does not match its hash (it was modified or corrupted)")

    assert zenrunner.run("-q").ret == 0  # the read removed it: the producer ran again
    _flip_a_byte(path)
    repair = zenrunner.run("--store-repair", "--verify")
    assert repair.ret == 0, repair.stdout
    repair.fnmatch_lines([f"removed 1 corrupt artifact(s) ({digest[:12]})*"])
    check = zenrunner.run("--store-check", "--verify")
    assert check.ret == 1, check.stdout  # removed: missing until its step runs again
    check.fnmatch_lines(
        [
            "*artifacts: 1 stored, 1 recorded but missing, 0 corrupt (contents hashed)",
            f"*MISSING artifact {digest[:12]}: output 'output' of step produce of pipeline big*",
        ]
    )
    rerun = zenrunner.run("-v")
    assert rerun.ret == 0
    rerun.fnmatch_lines(["*Step produce: cache miss: cached artifacts are missing or corrupt*"])
    status, _, total, digest_again, _, _ = _last(zenrunner)
    assert (status, total, digest_again) == ("completed", EXPECTED, digest)
    assert zenrunner.run("--store-check", "--verify").ret == 0  # stored again
    usage = zenrunner.run("--verify")
    assert usage.ret == 4 and "--verify goes with --store-check or --store-repair" in usage.stderr


def test_the_viewer_does_not_preview_a_corrupt_array(zenrunner):
    pytest.importorskip("dash")
    zenrunner.makepyfile(pipeline_big=BIG)
    assert zenrunner.run("-q").ret == 0
    _, _, _, digest, _, path = _last(zenrunner)
    _flip_a_byte(path, offset=200)  # in the head: the rows a preview shows
    script = """
        from zenrun import get_pipeline
        from zenrun.config import api_config
        from zenrun_dash import preview
        previewer = preview.Previewer(api_config(), timeout=60)
        print(previewer.preview(get_pipeline("big").last_run.steps["produce"].output))
        previewer.close()
    """
    shown = zenrunner.runpython(script).outlines[-1]
    assert (
        shown
        == f"<cannot load: artifact {digest[:12]} does not match its hash (it was modified or corrupted)>"
    )
