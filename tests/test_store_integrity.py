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


# ---------------------------------------------------------------------------
# 11. bad configuration is a usage error naming file and key
# ---------------------------------------------------------------------------


def _usage_error(result, *fragments):
    assert result.ret == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_bad_configuration_is_a_usage_error(zenrunner):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    zenrunner.maketoml('verify_on_hit = "lots"\n')
    _usage_error(zenrunner.run(), "zenrun.toml", "verify_on_hit must be an integer")
    zenrunner.maketoml("verify_on_hit = -1\n")
    _usage_error(zenrunner.run(), "zenrun.toml", "verify_on_hit")
    zenrunner.maketoml("python_files = 3\n")
    _usage_error(zenrunner.run(), "zenrun.toml", "python_files")
    zenrunner.maketoml("")
    (zenrunner.path / "afile").write_text("x")
    _usage_error(zenrunner.run("--store", "afile"), "--store", "afile", "not a directory")
    _usage_error(zenrunner.run("--store", "afile/sub", "--runs"), "not a directory")
    zenrunner.makefile(".yaml", broken="steps: [unclosed\n")
    _usage_error(zenrunner.run("--config", "broken.yaml"), "broken.yaml", "malformed YAML")
    # "billion laughs": a few hundred bytes that would expand to 10**9 nodes
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    bomb = zenrunner.makefile(".yaml", bomb="\n".join(lines) + "\nsteps: {total: {parameters: {v: *a8}}}\n")
    assert bomb.stat().st_size < 1000
    result = zenrunner.run("--config", "bomb.yaml")
    _usage_error(result, "bomb.yaml", "aliases expand to")
    assert result.duration < 30  # without the bound: minutes and gigabytes
    # anchors used sensibly are fine
    zenrunner.makefile(".yaml", fine="steps: {make: &b {enable_cache: false}, total: *b}\n")
    assert zenrunner.run("--config", "fine.yaml").ret == 0


def test_step_decorator_misuse_is_a_collection_error_naming_step_and_field(zenrunner):
    cases = {
        "negative": "@step(retries=-1)",
        "stringy": '@step(retries="2")',
        "badname": '@step(name="a b/c")',
        "cacheflag": '@step(enable_cache="no")',
    }
    for module, decorator in cases.items():
        zenrunner.makepyfile(**{f"pipeline_{module}": f"""
            from zenrun import pipeline, step

            {decorator}
            def work() -> int:
                return 1

            @pipeline
            def p_{module}():
                work()
        """})
    result = zenrunner.run()
    assert result.ret == 2, result.stdout + result.stderr
    out = result.stdout
    for module, field in [("negative", "retries=-1"), ("stringy", "retries='2'"),
                          ("badname", "name='a b/c'"), ("cacheflag", "enable_cache='no'")]:
        assert f"pipeline_{module}.py" in out
        assert f"step 'work': {field}" in out, out
