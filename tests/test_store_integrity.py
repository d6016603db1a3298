"""Store integrity and recovery (issue 6, points 6-9, 11, 12): tampered rows, damaged
databases, read-only stores, full disks, dead run owners, bad configuration, gc."""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap

from zenrun.testing import read_store

PIPELINE = """
from zenrun import pipeline, step

@step
def make() -> list:
    return [1, 2, 3]

@step
def total(values: list) -> int:
    return sum(values)

@pipeline
def sums():
    total(make())
"""


def _sql(path, query, args=()):
    with sqlite3.connect(path) as db:
        return db.execute(query, args).fetchall()


# ---------------------------------------------------------------------------
# 6. digests from the databases are validated before they touch the filesystem
# ---------------------------------------------------------------------------


def test_tampered_digests_never_reach_outside_the_store(zenrunner):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    victim = zenrunner.path.parent / f"{zenrunner.path.name}-victim.txt"
    victim.write_text("precious")
    # a path that, used unchecked as <artifacts>/<d[:2]>/<d[2:]>, points at the victim
    evil = f"../../../{victim.name}"
    unchecked = os.path.normpath(f"{zenrunner.store / 'artifacts'}/{evil[:2]}/{evil[2:]}")
    assert unchecked == str(victim)
    [(key, outputs)] = _sql(zenrunner.store / "cache.db",
                            "SELECT key, outputs FROM cache WHERE outputs LIKE '%list%'")
    entry = json.loads(outputs)
    entry["output"]["digest"] = evil  # size 3 != 8: the old code removed the "truncated" file
    _sql(zenrunner.store / "cache.db", "UPDATE cache SET outputs=? WHERE key=?",
         (json.dumps(entry), key))
    _sql(zenrunner.store / "metadata.db", "UPDATE step_io SET digest=? WHERE step_id='make'", (evil,))
    _sql(zenrunner.store / "metadata.db", "UPDATE artifacts SET digest=? WHERE type='builtins.list'",
         (evil,))

    result = zenrunner.run("-v")  # the tampered cache entry is a miss; the step runs again
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*Step make has started.*"])
    result.no_fnmatch_line("*Using cached version of make*")
    assert victim.read_text() == "precious"

    api = zenrunner.runpython(textwrap.dedent("""
        from zenrun import get_pipeline
        from zenrun.artifacts.store import ArtifactError
        run = get_pipeline("sums").runs[0]
        try:
            run.steps["make"].output.read()
        except ArtifactError as exc:
            print("refused:", exc)
    """))
    assert api.ret == 0, api.stderr
    assert "refused: invalid artifact digest" in api.stdout
    assert victim.read_text() == "precious"
