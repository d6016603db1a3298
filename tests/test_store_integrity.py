"""Store integrity and recovery (issue 6, points 6-9, 11, 12): tampered rows, damaged
databases, read-only stores, full disks, dead run owners, bad configuration, gc."""

from __future__ import annotations

import ast
import contextlib
import errno
import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from store_files import age_artifacts, artifact_bytes, artifact_digests

from zenrun.artifacts.store import INLINE_MAX
from zenrun.metadata.sqlite import SCHEMA
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


def _in_process(zenrunner):
    """``run(*args)``: the CLI, ``zenrun.main``, in this process, its output captured; each
    run opens the store and reads the configuration afresh, as a process of its own would,
    without a new interpreter's start-up. (A test that kills or signals zenrun, or reads a
    store through a read-only mount, starts processes.)"""
    return functools.partial(zenrunner.run, inprocess=True)


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
    [(key, outputs)] = _sql(
        zenrunner.store / "cache.db", "SELECT key, outputs FROM cache WHERE outputs LIKE '%list%'"
    )
    entry = json.loads(outputs)
    entry["output"]["digest"] = evil  # size 3 != 8: the old code removed the "truncated" file
    _sql(zenrunner.store / "cache.db", "UPDATE cache SET outputs=? WHERE key=?", (json.dumps(entry), key))
    _sql(zenrunner.store / "metadata.db", "UPDATE step_io SET digest=? WHERE step_id='make'", (evil,))
    _sql(zenrunner.store / "metadata.db", "UPDATE artifacts SET digest=? WHERE type='builtins.list'", (evil,))

    result = zenrunner.run("-v")  # the tampered cache entry is a miss; the step runs again
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*Step make has started.*"])
    result.no_fnmatch_line("*Using cached version of make*")
    assert victim.read_text() == "precious"

    api = zenrunner.runpython(
        textwrap.dedent("""
        from zenrun import get_pipeline
        from zenrun.artifacts.store import ArtifactError
        run = get_pipeline("sums").runs[0]
        try:
            run.steps["make"].output.read()
        except ArtifactError as exc:
            print("refused:", exc)
    """)
    )
    assert api.ret == 0, api.stderr
    assert "refused: invalid artifact digest" in api.stdout
    assert victim.read_text() == "precious"


def test_a_cache_entry_recording_a_wrong_size_is_a_miss_that_keeps_the_artifacts(zenrunner):
    """A damaged size in a cache entry: a miss naming the entry too, never the removal of the
    intact artifacts (inline and file) that the first run's records point at."""
    zenrunner.makepyfile(
        pipeline_sizes="""
        import random
        from zenrun import pipeline, step

        @step
        def draw(big: bool) -> list:
            return [random.random() for _ in range(20000 if big else 3)]

        @pipeline
        def sizes():
            draw(False, id="small")
            draw(True, id="big")
        """
    )
    assert zenrunner.run("-q").ret == 0
    rows = _sql(zenrunner.store / "cache.db", "SELECT key, outputs FROM cache")
    assert len(rows) == 2
    for key, outputs in rows:
        entry = json.loads(outputs)
        entry["output"]["size"] = 7
        _sql(zenrunner.store / "cache.db", "UPDATE cache SET outputs=? WHERE key=?", (json.dumps(entry), key))
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        ["*Cached output output of step small is missing or corrupt*(or its cache entry is damaged)*"]
    )
    result.no_fnmatch_line("*Using cached version*")
    check = zenrunner.run("--store-check", "--verify")
    assert check.ret == 0, check.stdout + check.stderr
    check.fnmatch_lines(["*artifacts: 4 stored, 0 recorded but missing, 0 corrupt*"])


def test_a_cache_entry_nested_too_deep_to_decode_is_a_miss(zenrunner):
    """An edited cache.db row nested deeper than the decoder recurses is no entry (the step runs
    again, its value right), not an INTERNALERROR."""
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    [(key, outputs)] = _sql(
        zenrunner.store / "cache.db", "SELECT key, outputs FROM cache WHERE outputs LIKE '%list%'"
    )
    deep = outputs[:-2] + ', "junk": ' + "[" * 5000 + "]" * 5000 + "}}"  # in the output's record
    assert outputs.endswith("}}")
    _sql(zenrunner.store / "cache.db", "UPDATE cache SET outputs=? WHERE key=?", (deep, key))
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*Step make has started.*", "*Using cached version of total*"])
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["total"].output.read() == 6


def test_tampered_digests_never_reach_an_fsspec_or_plugin_store(zenrunner):
    """The fsspec store, and any plugin store, get only valid digests from the databases."""
    pytest.importorskip("fsspec")
    victim = zenrunner.path.parent / f"{zenrunner.path.name}-fsvictim.txt"
    victim.write_text("precious")
    url = f"file://{zenrunner.path / 'art'}"
    evil = f"../../{victim.name}"  # <root>/../<...>/<victim>: the project's parent
    assert os.path.normpath(f"{zenrunner.path / 'art'}/{evil[:2]}/{evil[2:]}") == str(victim)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.runzenrun_inprocess("-q", "--artifact-store", url).ret == 0
    for key, outputs in _sql(zenrunner.store / "cache.db", "SELECT key, outputs FROM cache"):
        entry = json.loads(outputs)
        entry["output"]["digest"] = evil  # the size differs: exists() removed "truncated" objects
        _sql(zenrunner.store / "cache.db", "UPDATE cache SET outputs=? WHERE key=?", (json.dumps(entry), key))
    _sql(zenrunner.store / "metadata.db", "UPDATE step_io SET digest=?", (evil,))

    result = zenrunner.runzenrun_inprocess("-v", "--artifact-store", url)
    assert result.ret == 0, result.stdout + result.stderr
    result.stdout.fnmatch_lines(
        ["*Step make: cache miss: the cache entry of output output is damaged (invalid digest)*"]
    )
    assert victim.read_text() == "precious"
    from zenrun.artifacts.fsspec_store import FsspecArtifactStore
    from zenrun.artifacts.store import ArtifactError

    store = FsspecArtifactStore(url)
    for call in (lambda: store.exists(evil, 1), lambda: store.get(evil), lambda: store.path(evil)):
        with pytest.raises(ArtifactError, match="invalid artifact digest"):
            call()
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
    run = _in_process(zenrunner)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    zenrunner.maketoml('verify_on_hit = "lots"\n')
    _usage_error(run(), "zenrun.toml", "verify_on_hit must be an integer")
    zenrunner.maketoml("verify_on_hit = -1\n")
    _usage_error(run(), "zenrun.toml", "verify_on_hit")
    zenrunner.maketoml("python_files = 3\n")
    _usage_error(run(), "zenrun.toml", "python_files")
    zenrunner.maketoml("addopts = 5\n")
    _usage_error(run(), "zenrun.toml", "addopts must be")
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "pyproject.toml").write_text("[tool]\nzenrun = 5\n")
    _usage_error(run(), "pyproject.toml", "tool.zenrun must be a table")
    (zenrunner.path / "pyproject.toml").unlink()
    zenrunner.maketoml("")
    (zenrunner.path / "afile").write_text("x")
    _usage_error(run("--store", "afile"), "--store", "afile", "not a directory")
    _usage_error(run("--store", "afile/sub", "--runs"), "not a directory")
    zenrunner.makefile(".yaml", broken="steps: [unclosed\n")
    _usage_error(run("--config", "broken.yaml"), "broken.yaml", "malformed YAML")
    # "billion laughs": a few hundred bytes that would expand to 10**9 nodes
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    bomb = zenrunner.makefile(".yaml", bomb="\n".join(lines) + "\nsteps: {total: {parameters: {v: *a8}}}\n")
    assert bomb.stat().st_size < 1000
    result = run("--config", "bomb.yaml")
    _usage_error(result, "bomb.yaml", "aliases expand to")
    assert result.duration < 30  # without the bound: minutes and gigabytes
    # anchors used sensibly are fine
    zenrunner.makefile(".yaml", fine="steps: {make: &b {enable_cache: false}, total: *b}\n")
    assert run("--config", "fine.yaml").ret == 0


def _one_step_module(zenrunner, module: str, step_source: str) -> None:
    """``pipeline_<module>.py``: the step ``work`` as ``step_source`` defines it, and the
    pipeline ``p_<module>`` calling it."""
    zenrunner.makepyfile(
        **{
            f"pipeline_{module}": "from zenrun import pipeline, step\n\n"
            + step_source
            + f"\n\n@pipeline\ndef p_{module}():\n    work()\n"
        }
    )


def test_step_decorator_misuse_is_a_collection_error_naming_step_and_field(zenrunner):
    cases = {
        "negative": "@step(retries=-1)",
        "stringy": '@step(retries="2")',
        "badname": '@step(name="a b/c")',
        "cacheflag": '@step(enable_cache="no")',
        # recorded as paths that never exist: the data they meant changed unseen
        "nulread": '@step(reads=["data.csv\\x00"])',
        "emptyurl": '@step(reads=["data.csv", "s3://"])',
    }
    for module, decorator in cases.items():
        _one_step_module(zenrunner, module, f"{decorator}\ndef work() -> int:\n    return 1")
    result = zenrunner.run()
    assert result.ret == 2, result.stdout + result.stderr
    out = result.stdout
    for module, field in [
        ("negative", "retries=-1"),
        ("stringy", "retries='2'"),
        ("badname", "name='a b/c'"),
        ("cacheflag", "enable_cache='no'"),
        ("nulread", "reads=['data.csv\\x00']: a path cannot hold a NUL character"),
        ("emptyurl", "reads=['s3://']: a URL names a bucket or host"),
    ]:
        assert f"pipeline_{module}.py" in out
        assert f"step 'work': {field}" in out, out


def test_an_async_or_generator_step_is_a_collection_error_saying_so(zenrunner):
    """Not a serialisation error of a coroutine or generator after the step ran."""
    for module, head, body in [
        ("coro", "async def", "return 1"),
        ("agen", "async def", "yield 1"),
        ("gen", "def", "yield 1"),
    ]:
        _one_step_module(zenrunner, module, f"@step\n{head} work():\n    {body}")
    result = zenrunner.run()
    assert result.ret == 2, result.stdout + result.stderr
    out = result.stdout
    for module in ("coro", "agen", "gen"):
        assert f"ERROR collecting pipeline_{module}.py" in out, out
    assert "E   TypeError: step 'work' is an async function: a step is a plain function" in out, out
    assert "E   TypeError: step 'work' is a generator function: a step returns its outputs" in out, out
    assert "never awaited" not in out + result.stderr


# ---------------------------------------------------------------------------
# 7. damaged databases, recovery, read-only stores
# ---------------------------------------------------------------------------


def _damage_last_page(path):
    data = bytearray(path.read_bytes())
    data[-4096:] = os.urandom(4096)
    path.write_bytes(bytes(data))


def test_damaged_metadata_db_is_a_usage_error_and_repair_keeps_readable_runs(zenrunner):
    run = _in_process(zenrunner)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    for _ in range(4):
        assert run("-q", "--no-cache").ret == 0
    db = zenrunner.store / "metadata.db"
    names = [r[0] for r in _sql(db, "SELECT name FROM runs ORDER BY id")]
    _damage_last_page(db)
    # what is readable stays readable; the run meets the damaged page when it records
    _usage_error(run(), "metadata.db is damaged", "--store-check", "--store-repair")
    check = run("--store-check")
    assert check.ret == 1
    check.fnmatch_lines(["*metadata.db: DAMAGED*--store-repair*", "*cache.db: ok*"])
    repair = run("--store-repair")
    assert repair.ret == 0, repair.stdout + repair.stderr
    repair.fnmatch_lines(
        [
            "metadata.db was damaged*rebuilt with what could be read*",
            "the damaged file is kept as *metadata.db.corrupt-*",
        ]
    )
    assert list(zenrunner.store.glob("metadata.db.corrupt-*"))
    assert run("--store-check").ret == 0
    listed = run("--runs", "-v")  # -v: with run names
    assert listed.ret == 0
    assert [n for n in names if n in listed.stdout] == names  # the runs table was readable
    assert run("-q").ret == 0  # and the store records runs again

    db.write_bytes(b"this is not a database" * 100)  # garbage: nothing to keep, still recoverable
    for args in ([], ["--runs"], ["--show", "latest"], ["--cache-clear"]):
        _usage_error(run(*args), "metadata.db is damaged", "not a database", "--store-repair")
    assert run("--store-repair").ret == 0
    assert run("-q").ret == 0


def test_a_store_killed_before_its_schema_was_made_reads_as_empty(zenrunner, read_only_copy):
    # kill -9 while the first run opens a fresh store leaves a 0-byte metadata.db (or some of
    # its tables): --store-check, which opens it read-only, said it "was written by an older
    # zenrun" (exit 4) and read-only readers failed the same way.
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    zenrunner.store.mkdir()
    db = zenrunner.store / "metadata.db"
    for made in ("", SCHEMA.split(";")[0]):  # nothing yet; the runs table only
        db.unlink(missing_ok=True)
        db.touch()
        if made:
            _sql(db, made)
        read_only = read_only_copy(zenrunner.path)
        listed = zenrunner.run("--runs", cwd=read_only)
        assert listed.ret == 0, listed.stdout + listed.stderr
        assert "no runs recorded" in listed.stdout
        for cwd in (read_only, zenrunner.path):
            check = zenrunner.run("--store-check", cwd=cwd)
            assert check.ret == 0, check.stdout + check.stderr
            check.fnmatch_lines(["*metadata.db: ok*", "*runs: 0, steps: 0*"])
    assert zenrunner.run("-q").ret == 0  # the next run completes the schema
    zenrunner.run("--store-check").fnmatch_lines(["*runs: 1, steps: 2*"])


KILLED_REPAIR = """
import os, sys
import zenrun.main
import zenrun.maintenance as maintenance

readable_rows = maintenance._readable_rows

def killed(src, table, columns):
    for index, row in enumerate(readable_rows(src, table, columns)):
        if table == "steps" and index == 2:
            os._exit(9)  # kill -9 in the middle of the salvage
        yield row

maintenance._readable_rows = killed
sys.argv = ["zenrun", "--store-repair"]
sys.exit(zenrun.main.main())
"""


def test_store_check_finds_an_artifact_lost_from_a_store_that_was_moved(zenrunner):
    """The runs of a moved store recorded its old folder: their artifacts are this store's
    all the same, and one lost since is reported missing (it was not checked at all)."""
    zenrunner.makepyfile(
        pipeline_big="""
from zenrun import pipeline, step

@step
def big() -> list:
    return list(range(30_000))  # a file of its own, not inlined

@pipeline
def m():
    big()
"""
    )
    first, moved = zenrunner.path / "first", zenrunner.path / "moved"
    assert zenrunner.run("-q", "--store", str(first)).ret == 0
    first.rename(moved)
    assert zenrunner.run("--store-check", "--store", str(moved)).ret == 0
    files = [p for p in (moved / "artifacts").glob("??/*") if p.is_file()]
    assert len(files) == 1
    files[0].unlink()
    check = zenrunner.run("--store-check", "--store", str(moved))
    assert check.ret == 1, check.stdout + check.stderr
    check.fnmatch_lines(["*1 recorded but missing*", "*MISSING artifact*big*"])


def test_a_repair_killed_midway_leaves_the_damaged_database_to_repair_again(zenrunner):
    # Killed while salvaging, the repair used to leave an empty metadata.db that
    # --store-check called ok: every readable record silently gone.
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    for _ in range(4):
        assert zenrunner.run("-q", "--no-cache").ret == 0
    db = zenrunner.store / "metadata.db"
    names = [r[0] for r in _sql(db, "SELECT name FROM runs ORDER BY id")]
    _damage_last_page(db)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_REPAIR], cwd=zenrunner.path, capture_output=True, text=True
    )
    assert killed.returncode == 9, killed.stdout + killed.stderr
    check = zenrunner.run("--store-check")
    assert check.ret == 1  # still damaged, not an empty store called ok
    check.fnmatch_lines(["*metadata.db: DAMAGED*--store-repair*"])
    repair = zenrunner.run("--store-repair")
    assert repair.ret == 0, repair.stdout + repair.stderr
    repair.fnmatch_lines(["metadata.db was damaged*rebuilt with what could be read*"])
    assert zenrunner.run("--store-check").ret == 0
    listed = zenrunner.run("--runs", "-v")
    assert [n for n in names if n in listed.stdout] == names
    assert not list(zenrunner.store.glob("metadata.db.repairing*"))
    assert zenrunner.run("-q").ret == 0


def test_damaged_values_in_metadata_db_are_read_as_not_recorded_with_a_warning(zenrunner):
    run = _in_process(zenrunner)
    # SQLite checks its pages' structure, not the values in them: a flipped bit in a JSON
    # value, or a hand edit, made every later run and --runs fail with an INTERNALERROR.
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert run("-q").ret == 0
    db = zenrunner.store / "metadata.db"
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE steps SET cache_parts='{\"reads\": [', upstream='{}'")
        connection.execute("UPDATE runs SET params='[1', metrics='x', started='abc', n_steps='2'")
    connection.close()
    zenrunner.makepyfile(pipeline_sums=PIPELINE.replace("sum(values)", "sum(values) * 2"))
    result = run("-v")  # total misses: its reason reads the damaged key parts
    assert result.ret == 0, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout
    result.stdout.fnmatch_lines(
        [
            "*Using cached version of make.*",
            f"*WARNING: {db}: steps.cache_parts of step total is damaged ('{{\"reads\": ['); read as not recorded.*",
            "*Step total has finished*",
        ]
    )
    for args in (["--runs"], ["--show", "latest"], ["--show", "sums"], ["--gc"]):
        shown = run(*args)
        assert shown.ret == 0 and "INTERNALERROR" not in shown.stdout + shown.stderr, (args, shown.stdout)
    assert [run.status for run in read_store(zenrunner.store).get_runs()] == ["completed", "completed"]
    check = run("--store-check")
    assert check.ret == 1, check.stdout
    check.stdout.fnmatch_lines(
        [
            "  damaged values: runs.params (1 row), runs.metrics (1 row), steps.cache_parts (2 rows), "
            "steps.upstream (2 rows); read as not recorded*"
        ]
    )


def test_damaged_cache_db_is_rebuilt_with_a_warning(zenrunner):
    run = _in_process(zenrunner)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert run("-q").ret == 0
    (zenrunner.store / "cache.db").write_bytes(os.urandom(8192))
    for args in (["-v", "--cache-clear"], ["-v"]):
        result = run(*args)
        assert result.ret == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
    result.fnmatch_lines(["*Using cached version of make*"])  # rebuilt, then filled again
    run("-q")
    (zenrunner.store / "cache.db").write_bytes(os.urandom(8192))
    warned = run()
    assert warned.ret == 0
    warned.fnmatch_lines(["*cache index*cache.db is damaged*rebuilding it empty*"])


def test_store_check_reports_a_damaged_cache_db_as_it_is_even_with_a_store_plugin_installed(zenrunner):
    """A store plugin that makes no store here (a team store without its URL, the usual case
    of an installed one): ``--store-check`` must not open the session's stores to find out,
    which rebuilt the damaged index empty before the check read it ("cache.db: ok", exit 0)."""
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_cache(config):
            return None

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_metadata_store(config):
            return None
    """)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    with open(zenrunner.store / "cache.db", "r+b") as f:
        f.truncate(5000)
    for _ in range(2):  # the check changes nothing: the second says the same
        check = zenrunner.run("--store-check")
        assert check.ret == 1, check.stdout
        check.stdout.fnmatch_lines(["  cache.db: DAMAGED (*); rebuilt empty on the next run"])
        assert "rebuilding it empty" not in check.stdout + check.stderr


def test_store_check_names_a_file_where_the_runs_folder_belongs(zenrunner):
    """Runs refuse to start when ``runs/`` is a file (exit 4, naming it): the check says so
    too, after the rest of its report (it said all was well, exit 0)."""
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    shutil.rmtree(zenrunner.store / "runs")
    (zenrunner.store / "runs").write_text("not a folder")
    assert zenrunner.run("-q").ret == 4
    check = zenrunner.run("--store-check")
    assert check.ret == 1, check.stdout
    check.stdout.fnmatch_lines(
        ["  runs: 1, steps: 2*", "  runs/: NOT A FOLDER (*runs holds*); move that file away"]
    )


def test_a_folder_where_an_artifact_file_belongs_is_an_artifact_error(zenrunner, monkeypatch):
    """Reading it through the API is the documented ``ArtifactError`` naming the folder (it
    was a raw ``IsADirectoryError``), ``--verify`` counts it corrupt; a rerun that computes
    the output again fails naming the folder (the output was taken as stored, and lost), and
    once the folder is moved away the output is stored and reads back."""
    zenrunner.makepyfile(
        pipeline_big="""
        import numpy as np
        from zenrun import pipeline, step

        @step
        def big() -> np.ndarray:
            return np.arange(50_000, dtype=np.float64)

        @step
        def total(a: np.ndarray) -> float:
            return float(a.sum())

        @pipeline
        def sums():
            total(big())
        """
    )
    assert zenrunner.run("-q").ret == 0
    files = [p for p in (zenrunner.store / "artifacts").glob("??/*") if p.is_file()]
    assert len(files) == 1, files  # the array: a file of its own (the float is packed)
    files[0].unlink()
    files[0].mkdir()
    from zenrun.protocols import ArtifactError
    from zenrun.testing import read_store

    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    step = read_store(zenrunner.store).get_runs()[-1].steps["big"]
    with pytest.raises(ArtifactError, match="a folder is where its file belongs"):
        step.output.read()
    check = zenrunner.run("--store-check", "--verify")
    assert check.ret == 1 and "Traceback" not in check.stdout + check.stderr, check.stdout + check.stderr
    check.stdout.fnmatch_lines(["*1 corrupt (contents hashed)*", "*CORRUPT artifact*step big*"])
    rerun = zenrunner.run("-q")
    assert rerun.ret == 1, rerun.stdout
    rerun.stdout.fnmatch_lines(
        ["*ArtifactError: *: a folder is where an artifact's file belongs; move that folder away*"]
    )
    files[0].rmdir()
    rerun = zenrunner.run("-q")
    assert rerun.ret == 0, rerun.stdout
    steps = read_store(zenrunner.store).get_runs()[-1].steps
    assert steps["big"].output.read().sum() == steps["total"].output.read() == 1249975000.0


@pytest.mark.parametrize("ahead", [5, "npy:1", [["npy:1"]], None])
def test_a_cache_entry_with_a_materializer_list_of_another_shape_is_checked_again(zenrunner, ahead):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    with sqlite3.connect(zenrunner.store / "cache.db") as db:
        for key, text in db.execute("SELECT key, outputs FROM cache").fetchall():
            entry = json.loads(text)
            entry["output"]["ahead"] = ahead  # an edit, or damage that left valid JSON
            db.execute("UPDATE cache SET outputs=? WHERE key=?", (json.dumps(entry), key))
    db.close()
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout  # was an INTERNALERROR: 'int' object is not iterable
    result.fnmatch_lines(["*Using cached version of make*", "*Using cached version of total*"])
    assert "INTERNALERROR" not in result.stdout


def test_a_store_id_file_that_is_not_utf8_is_one_identity_not_an_internal_error(zenrunner):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    (zenrunner.store / "artifacts" / ".zenrun-store-id").write_bytes(b"\xff\xfe")  # damaged
    first = zenrunner.run("-q")
    assert first.ret == 0, first.stdout + first.stderr  # was an INTERNALERROR of the session
    result = zenrunner.run("-v")  # the entries made under that identity are hits
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["*Using cached version of make*", "*Using cached version of total*"])


def test_a_store_id_file_holding_garbage_is_said_once_checked_and_repaired(zenrunner):
    """Garbage in the id file made every cache entry miss as "in another artifact store",
    unsaid, and --store-check called the store ok. A run says so once; --store-check reports
    it; --store-repair gives the store back the id its entries were made with, or, when the
    entries were made again under the damaged id, a new one those entries move to."""
    run = _in_process(zenrunner)
    zenrunner.makepyfile(pipeline_sums=PIPELINE, pipeline_more=PIPELINE.replace("sums", "more"))
    assert run("-q").ret == 0
    id_file = zenrunner.store / "artifacts" / ".zenrun-store-id"
    good = id_file.read_text()
    id_file.write_text("garbage!\n")
    check = run("--store-check")
    assert check.ret == 1, check.stdout
    check.fnmatch_lines(
        ["*artifacts/.zenrun-store-id: DAMAGED (it holds 'garbage!', not an id zenrun wrote)*--store-repair*"]
    )
    repair = run("--store-repair")
    assert repair.ret == 0, repair.stdout + repair.stderr
    repair.fnmatch_lines(["*.zenrun-store-id was damaged (it holds 'garbage!'*given back the id it had*"])
    assert id_file.read_text() == good
    assert run("--store-check").ret == 0
    hits = run("-v")
    hits.fnmatch_lines(["*Using cached version of make*", "*Using cached version of total*"])
    assert "cache miss" not in hits.stdout

    id_file.write_text("garbage!\n")
    result = run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    said = "is damaged (it holds 'garbage!', not an id zenrun wrote)"
    assert result.stdout.count(said) == 1, result.stdout  # once, for two pipelines of four steps
    assert f"{id_file}" in result.stdout
    repair = run("--store-repair")
    repair.fnmatch_lines(
        ["*no cache entry names a former id*the 4 cache entries made since the damage moved*"]
    )
    assert id_file.read_text() != good and run("--store-check").ret == 0
    hits = run("-v")
    assert "cache miss" not in hits.stdout and "damaged" not in hits.stdout, hits.stdout


def test_a_file_where_the_runs_lock_folder_belongs_is_one_usage_error(zenrunner):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    locks = zenrunner.store / "runs"
    shutil.rmtree(locks)  # (a spare lock file for the next run in it)
    locks.write_text("")
    result = zenrunner.run("-q")
    assert result.ret == 4, result.stdout + result.stderr  # was an INTERNALERROR of each pipeline
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert f"ERROR: {locks} is not a folder: zenrun keeps its runs' liveness locks there" in result.stderr


@pytest.mark.parametrize("name", ["metadata.db", "cache.db", "artifacts"])
def test_the_wrong_kind_of_file_where_a_store_file_belongs_is_one_usage_error(zenrunner, name):
    run = _in_process(zenrunner)
    # A folder where metadata.db or cache.db belongs was an INTERNALERROR ("unable to open
    # database file") and --store-check called it a full disk; a file where artifacts/ belongs
    # failed every run with FileExistsError and --store-check with an INTERNALERROR.
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert run("-q").ret == 0
    path = zenrunner.store / name
    if path.is_dir():
        shutil.rmtree(path)
        path.write_text("")
        message = f"ERROR: {path} is not a folder: zenrun keeps the store's artifacts there"
    else:
        path.unlink()
        path.mkdir()
        message = f"ERROR: {path} is a folder, not a file: zenrun keeps a SQLite database there"
    repair = ["--store-repair", "--verify"]
    for args in (["-q"], repair, ["--show", "latest"])[: 2 if name == "cache.db" else 3]:  # --show: no cache
        result = run(*args)
        assert result.ret == 4, result.stdout + result.stderr
        assert "INTERNALERROR" not in result.stdout + result.stderr
        assert message in result.stderr
    check = run("--store-check")
    assert check.ret in (1, 4), check.stdout + check.stderr
    assert "INTERNALERROR" not in check.stdout + check.stderr
    assert "disk full" not in check.stdout + check.stderr
    if name != "artifacts":
        check.fnmatch_lines([f"*{name}: DAMAGED (a folder, not a file); move it away"])
    path.unlink() if path.is_file() else path.rmdir()
    assert run("-q").ret == 0  # moved away: the store works again


@pytest.fixture
def read_only_copy(tmp_path_factory):
    """``make(project)``: the project seen through a read-only mount (root) or with every
    write permission removed (other users)."""
    mounts = []

    def make(project):
        if os.geteuid() != 0:
            for path in [project, *project.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
            mounts.append(("chmod", project))
            return project
        target = tmp_path_factory.mktemp("readonly")
        if subprocess.run(["mount", "--bind", str(project), str(target)]).returncode != 0:
            pytest.skip("cannot bind-mount here")
        mounts.append(("mount", target))
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(target)]).returncode != 0:
            pytest.skip("cannot remount read-only here")
        return target

    yield make
    for kind, path in mounts:
        if kind == "mount":
            subprocess.run(["umount", str(path)], check=True)
        else:
            for p in [path, *path.rglob("*")]:
                p.chmod(p.stat().st_mode | 0o200)


def test_read_only_store_is_listable(zenrunner, read_only_copy):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    read_only = read_only_copy(zenrunner.path)
    assert not os.access(read_only / ".zenrun", os.W_OK)
    runs = zenrunner.run("--runs", cwd=read_only)
    assert runs.ret == 0, runs.stdout + runs.stderr
    runs.fnmatch_lines(["*sums*completed*"])
    show = zenrunner.run("--show", "latest", cwd=read_only)
    assert show.ret == 0, show.stdout + show.stderr
    show.fnmatch_lines(["*make*", "*total*"])
    api = zenrunner._run(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        from zenrun import get_pipeline
        run = get_pipeline("sums").runs[-1]
        print(run.status, run.steps["total"].output.read())
    """),
        ],
        60,
        None,
        read_only,
    )
    assert api.ret == 0, api.stderr
    assert api.stdout.strip() == "completed 6"
    _usage_error(zenrunner.run("-q", cwd=read_only), "read-only")
    check = zenrunner.run("--store-check", cwd=read_only)  # sound, though read-only
    assert check.ret == 0, check.stdout + check.stderr
    check.fnmatch_lines(["*metadata.db: ok*", "*cache.db: ok*", "*runs: 1, steps: 2*"])
    for args in (["--gc", "--dry-run"], ["--gc"], ["--store-repair"]):
        _usage_error(zenrunner.run(*args, cwd=read_only), "read-only")
    assert (zenrunner.store / "cache.db").exists()


# ---------------------------------------------------------------------------
# 9. run liveness: a lock per live run, checked from any host
# ---------------------------------------------------------------------------

HANGING = """
import time
from pathlib import Path
from pathlib import Path
from zenrun import pipeline, step

@step
def first() -> int:
    return 1

@step
def hang(x: int) -> int:
    Path("started.txt").write_text("x")
    time.sleep(120)
    return x

@pipeline
def hanging():
    hang(first())
"""


def _start_hanging(zenrunner):
    zenrunner.makepyfile(pipeline_hang=HANGING)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-q"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    db = zenrunner.store / "metadata.db"
    while not (zenrunner.path / "started.txt").exists() or not _sql(
        db, "SELECT 1 FROM steps WHERE step_id='hang'"
    ):  # committed by the flusher
        assert time.monotonic() < deadline and proc.poll() is None, "the run never started"
        time.sleep(0.02)
    return proc


NAMED = """
from pathlib import Path
from zenrun import pipeline, step

@step
def locks() -> list:
    outside = [str(p) for p in [*Path("..").glob("escaped*"), *Path(".").rglob("*.lock")] if p.parent.name != "runs"]
    return sorted(p.name for p in Path(".zenrun/runs").glob("*.lock")) + outside

@pipeline(name="team/model v2")
def slash():
    locks()

@pipeline(name="../../../escaped")
def dots():
    locks()

@pipeline(name="x" * 300)
def long():
    locks()
"""


def test_a_pipeline_name_that_is_no_file_name_keeps_its_lock_in_the_store(zenrunner):
    # The lock file was named after the run: `name="team/model"` was an INTERNALERROR (no
    # folder `runs/team/`), a name of 255 bytes or more too, and `name="../../../x"` put the
    # lock of a live run outside the store.
    zenrunner.makepyfile(pipeline_named=NAMED)
    result = zenrunner.run("-q", "--no-cache")
    assert "INTERNALERROR" not in result.stdout + result.stderr
    result.assert_outcomes(passed=3)
    for name in ("team/model v2", "../../../escaped", "x" * 300):
        [run] = read_store(zenrunner.store).get_runs(name)
        locks = run.steps["locks"].output.read()
        assert len(locks) == 1, locks  # its own lock, in runs/, and nothing outside
        lock = locks[0]
        assert lock.endswith(".lock") and "/" not in lock and len(lock) < 255
    assert list((zenrunner.store / "runs").glob("*.lock")) == []  # released


def test_dead_owner_is_detected_whatever_its_host_and_pid(zenrunner):
    proc = _start_hanging(zenrunner)
    try:
        db = zenrunner.store / "metadata.db"
        # as if recorded in a container on another host: pid 1 always "exists", the host
        # is not ours; only the lock can tell
        _sql(db, "UPDATE runs SET host='container-7f3a', pid=1")
        store = read_store(zenrunner.store)
        try:
            assert store.dead_runs() == []  # alive: its owner holds the lock
            assert store.fail_dead_runs() == []
            [run] = store.get_runs()
            assert run.status == "running"
        finally:
            store.close()
    finally:
        proc.kill()
        proc.wait()
    time.sleep(1.5)  # noticed later: its duration still ends with its last record
    store = read_store(zenrunner.store)  # opening the store fails the dead run
    try:
        [run] = store.get_runs()
        assert run.status == "failed"
        assert run.finished == max(s.finished or s.started for s in run.steps.values())
        assert run.duration < 1.5
        assert run.steps["hang"].status == "failed"
        assert "owner process died" in run.steps["hang"].error
        assert run.steps["first"].status == "completed"
        assert store.dead_runs() == []
    finally:
        store.close()
    assert not list((zenrunner.store / "runs").glob("*.lock"))


def test_read_only_view_shows_a_dead_run_as_failed(zenrunner):
    proc = _start_hanging(zenrunner)
    proc.kill()
    proc.wait()
    from zenrun.metadata.sqlite import SqliteMetadataStore

    store = SqliteMetadataStore(zenrunner.store / "metadata.db", read_only=True)
    try:
        [name] = store.dead_runs()
        [run] = store.get_runs()
        assert (run.name, run.status) == (name, "failed")
    finally:
        store.close()
    assert _sql(zenrunner.store / "metadata.db", "SELECT status FROM runs") == [("running",)]


SPARES = """
import os
from pathlib import Path
import zenrun
from zenrun import pipeline, step

@step
def lock() -> list:
    runs = Path(".zenrun/runs")
    [own] = runs.glob("locked*.lock")
    spares = {os.stat(p).st_ino for p in runs.glob(".spare-*")}
    status = os.stat(own)
    return [status.st_ino, status.st_nlink, status.st_ino in spares]

@zenrun.mark.parametrize("n", [1, 2])
@pipeline
def locked(n):
    lock()
"""


def _lock_files(zenrunner):
    """Each run's [inode, links, linked from a spare] of its lock file, as its step saw it,
    oldest run first."""
    store = read_store(zenrunner.store)
    try:
        runs = sorted(store.get_runs("locked"), key=lambda run: run.started)
        return [run.steps["lock"].output.read() for run in runs]
    finally:
        store.close()


def _spares(zenrunner):
    runs = zenrunner.store / "runs"
    return sorted(os.stat(p).st_ino for p in runs.glob(".spare-*")), sorted(runs.glob("*.lock"))


def test_a_run_locks_a_spare_file_made_ahead_and_leaves_it_for_the_next(zenrunner):
    # Making a file waits for the file system's journal: a run's lock file is one made with
    # the store, or left by the run before, linked to the run's name.
    zenrunner.makepyfile(pipeline_spares=SPARES)
    result = zenrunner.run("-q", "--no-cache")
    result.assert_outcomes(passed=2)
    first, second = _lock_files(zenrunner)
    assert first[1:] == [2, True]  # its own name and the spare's: one file, locked
    assert second == first  # the next run of the process took the same file
    [spare], locks = _spares(zenrunner)
    assert (spare, locks) == (first[0], [])  # left as a spare, under no run's name

    result = zenrunner.run("-q", "--no-cache", "-k", "1")  # another process: it takes it
    result.assert_outcomes(passed=1)
    third = _lock_files(zenrunner)[-1]
    assert third == first
    assert _spares(zenrunner) == ([spare], [])

    # Only a store's own spares: a link to a file elsewhere, a folder or a pipe is none.
    outside = zenrunner.path / "outside.txt"
    outside.write_text("not a lock")
    runs = zenrunner.store / "runs"
    next(runs.glob(".spare-*")).unlink()
    (runs / ".spare-link").symlink_to(outside)
    (runs / ".spare-folder").mkdir()
    os.mkfifo(runs / ".spare-pipe")
    result = zenrunner.run("-q", "--no-cache", "-k", "1")
    result.assert_outcomes(passed=1)
    fourth = _lock_files(zenrunner)[-1]
    assert fourth[0] != os.stat(outside).st_ino and fourth[1:] == [1, False]  # a file of its own
    assert outside.read_text() == "not a lock" and os.stat(outside).st_nlink == 1


def test_a_spare_of_a_live_run_is_not_taken_and_one_of_a_killed_run_only_once_it_is_failed(zenrunner):
    zenrunner.makepyfile(pipeline_spares=SPARES)
    assert zenrunner.run("-q", "--no-cache", "-k", "1").ret == 0
    [spare], _ = _spares(zenrunner)
    proc = _start_hanging(zenrunner)  # its run holds that spare, linked to its name
    try:
        [hanging] = (zenrunner.store / "runs").glob("hanging-*.lock")
        assert os.stat(hanging).st_ino == spare
        result = zenrunner.run("-q", "--no-cache", "-k", "locked and 2")
        result.assert_outcomes(passed=1)
        other = _lock_files(zenrunner)[-1]
        assert other[0] != spare and other[1:] == [1, False]  # a file of its own
        from zenrun.metadata.sqlite import SqliteMetadataStore

        early = SqliteMetadataStore(zenrunner.store / "metadata.db")  # opened while it runs
        assert early.dead_runs() == []  # the hanging run's lock still held
    finally:
        proc.kill()
        proc.wait()
    # Killed in its run: its spare still carries the run's name (two links) until a store
    # opened for writing fails the run and removes that name; a run can take it only then
    # (taken before, it would keep the killed run alive).
    assert os.stat(hanging).st_nlink == 2
    for other_spare in (zenrunner.store / "runs").glob(".spare-*"):  # its spare the only one left
        if os.stat(other_spare).st_ino != spare:
            other_spare.unlink()
    try:
        [killed] = early.dead_runs()
        early._hold_lock("probe")  # a run of a store opened before the kill
        try:
            probe = zenrunner.store / "runs" / "probe.lock"
            assert os.stat(probe).st_ino != spare and os.stat(probe).st_nlink == 1  # a new file
            probe_file = os.stat(probe).st_ino  # left free as a spare once that store is closed
            assert early.dead_runs() == [killed]
        finally:
            early._release_lock("probe")
    finally:
        early.close()
    result = zenrunner.run("-q", "--no-cache", "-k", "locked and 1")
    result.assert_outcomes(passed=1)
    assert not hanging.exists()
    store = read_store(zenrunner.store)
    try:
        [dead] = store.get_runs("hanging")
        assert dead.status == "failed"
    finally:
        store.close()
    taken = _lock_files(zenrunner)[-1]
    assert taken[1:] == [2, True]
    assert taken[0] in {spare, other[0], probe_file}


def _finished(store, run):
    run.status, run.finished = "completed", time.time()
    store.finish_run(run)


def test_a_liveness_check_on_another_thread_never_unlocks_a_kept_spare(tmp_path):
    # Closing any descriptor of a file drops the process's lock on it: a check of a run's
    # liveness (a viewer's thread) while the run's lock was being released dropped the lock
    # of the file then kept as the next run's spare, and that run looked dead elsewhere.
    from zenrun.conformance import make_run
    from zenrun.metadata import sqlite as metadata_sqlite

    db = tmp_path / "store" / "metadata.db"
    store, viewer = metadata_sqlite.SqliteMetadataStore(db), metadata_sqlite.SqliteMetadataStore(db)
    checker = subprocess.Popen(
        [sys.executable, "-u", "-c", CHECK_LOCKS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    current: list[str | None] = [None]
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            name = current[0]
            if name is not None:
                viewer._owner_alive(name, None, None)

    thread = threading.Thread(target=poll)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread.start()
    try:
        unlocked = 0
        for index in range(400):
            run = make_run("p", name=f"p-{index}")
            store.create_run(run)
            current[0] = run.name
            _finished(store, run)
            [(_, spare)] = [
                kept
                for folder, kept in metadata_sqlite._SPARE_LOCKS.items()
                if folder.startswith(str(tmp_path))
            ]
            checker.stdin.write(spare + "\n")
            checker.stdin.flush()
            unlocked += checker.stdout.readline().strip() == "free"
        assert unlocked == 0
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
        checker.stdin.close()
        checker.kill()
        checker.wait()
        store.close()
        viewer.close()


CHECK_LOCKS = """
import fcntl, os, sys
for line in sys.stdin:
    fd = os.open(line.strip(), os.O_RDONLY)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        print("free")
    except OSError:
        print("held")
    os.close(fd)
"""


def test_a_closed_store_keeps_no_descriptor_and_no_links_means_no_spares(tmp_path, monkeypatch):
    from zenrun.conformance import make_run
    from zenrun.metadata import sqlite as metadata_sqlite

    def ours() -> list[str]:
        return [folder for folder in metadata_sqlite._SPARE_LOCKS if folder.startswith(str(tmp_path))]

    for index in range(3):  # a process making store after store (a test suite, a notebook)
        store = metadata_sqlite.SqliteMetadataStore(tmp_path / f"s{index}" / "metadata.db")
        run = make_run("p")
        store.create_run(run)
        _finished(store, run)
        assert len(ours()) == 1  # kept for the store's next run while it is open
        store.close()
        assert ours() == []  # closed: its spare stays on disk, free, its descriptor closed
        [spare] = (tmp_path / f"s{index}" / "runs").glob(".spare-*")
        assert _lock_free(spare)

    # Stores left open (a long session, a notebook): the spares of the least recently used
    # are given up, their files left free, past _SPARES_KEPT stores.
    monkeypatch.setattr(metadata_sqlite, "_SPARES_KEPT", 2)
    opened = []
    for index in range(3):
        store = metadata_sqlite.SqliteMetadataStore(tmp_path / f"open{index}" / "metadata.db")
        opened.append(store)
        run = make_run("p")
        store.create_run(run)
        _finished(store, run)
    try:
        assert sorted(Path(folder).parent.name for folder in ours()) == ["open1", "open2"]
        [given_up] = (tmp_path / "open0" / "runs").glob(".spare-*")
        assert _lock_free(given_up)
    finally:
        for store in opened:
            store.close()

    # A file system without hard links: runs make their own lock files, as before, and
    # leave no spare behind them.
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    for _ in range(5):
        store = metadata_sqlite.SqliteMetadataStore(tmp_path / "nolinks" / "metadata.db")
        run = make_run("p")
        store.create_run(run)
        assert store.dead_runs() == [] and not _lock_free(store._lock_path(run.name))
        _finished(store, run)
        store.close()
    assert list((tmp_path / "nolinks" / "runs").iterdir()) == []  # (the store's first one too)


def _lock_free(path: Path) -> bool:
    """Whether another process can take a lock on ``path``."""
    probe = subprocess.run(
        [sys.executable, "-c", CHECK_LOCKS], input=f"{path}\n", capture_output=True, text=True, check=True
    )
    return probe.stdout.strip() == "free"


# ---------------------------------------------------------------------------
# 8. a full disk fails the run, not the process; stale temp files are swept
# ---------------------------------------------------------------------------

FULL_DISK_SCRIPT = """
import os, resource, signal, sys
import numpy as np
from zenrun import pipeline, step

@step
def blob_a() -> np.ndarray:
    return np.random.default_rng(1).random(90_000)  # 720 kB: written by the fsync pool

@step
def blob_b() -> np.ndarray:
    return np.random.default_rng(2).random(90_000)

@step
def blob_c() -> np.ndarray:
    return np.random.default_rng(3).random(90_000)

@step
def total(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    return float(a.sum() + b.sum() + c.sum())

@pipeline
def blobs():
    total(blob_a(), blob_b(), blob_c())

mode, filler = sys.argv[1], sys.argv[2]

def fill():
    if mode == "tmpfs":  # leave about 1 MB of the 4 MB file system
        disk = os.statvfs(os.path.dirname(filler))
        with open(filler, "wb") as fh:
            fh.write(b"x" * (disk.f_bavail * disk.f_frsize - (1 << 20)))
    else:  # no file may grow past 500 kB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (500_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

def free():
    if mode == "tmpfs":
        os.unlink(filler)
    else:
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))

fill()
first = blobs().run()
print("first:", first.status, "|", first.error)
free()
second = blobs().run()  # the same process, space is back
print("second:", second.status, [s.status for s in second.steps.values()])
third = blobs().run()
print("third:", third.status, sorted(s.status for s in third.steps.values()))
"""


@pytest.fixture
def small_disk(tmp_path_factory):
    """A 4 MB tmpfs (root), else None: the test then limits file sizes instead."""
    target = tmp_path_factory.mktemp("smalldisk")
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(target)], capture_output=True
        ).returncode
        != 0
    ):
        yield None
        return
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def test_full_disk_fails_the_run_and_the_next_run_commits(zenrunner, small_disk):
    store = (small_disk or zenrunner.path) / "store"
    mode = "tmpfs" if small_disk else "rlimit"
    script = zenrunner.makepyfile(full_disk=FULL_DISK_SCRIPT)
    result = zenrunner._run(
        [sys.executable, str(script), mode, str(store.parent / "filler")],
        120,
        {"ZENRUN_STORE": str(store)},
        None,
    )
    assert result.ret == 0, result.stdout + result.stderr
    first, second, third = [
        line for line in result.outlines if line.startswith(("first:", "second:", "third:"))
    ]
    assert first.startswith(
        "first: failed | the artifacts or records of this run could not be stored: OSError"
    ), result.stdout
    assert ("No space left on device" if small_disk else "File too large") in first
    # what the full disk let the first run store completely may be reused (as after a crash)
    status, _, steps = second.partition(" [")
    assert status == "second: completed", result.stdout
    assert set(ast.literal_eval("[" + steps)) <= {"completed", "cached"} and "completed" in steps, (
        result.stdout
    )
    assert third == "third: completed ['cached', 'cached', 'cached', 'cached']"
    assert not list(store.rglob(".tmp-*"))


#: zenrun with no file allowed to grow past 4 kB: SQLite's first write fails as on a full disk.
LIMITED_FILES = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
from zenrun.main import console_main
sys.argv[0] = "zenrun"
sys.exit(console_main())
"""


def test_a_full_disk_when_the_store_opens_is_a_usage_error_naming_the_file(zenrunner):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    script = zenrunner.path.parent / f"{zenrunner.path.name}-limited.py"
    script.write_text(LIMITED_FILES)
    result = zenrunner._run([sys.executable, str(script), "-q"], 120, None, None)
    output = result.stdout + result.stderr
    assert result.ret == 4, output  # was an INTERNALERROR traceback (exit 3)
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    assert "zenrun cannot write to the store" in output and "is its disk full?" in output, output
    assert f"{zenrunner.store}{os.sep}" in output, output  # names the store file
    # Nothing was lost: space is back, the store is sound and the first run's steps are hits.
    check = zenrunner.run("--store-check")
    assert check.ret == 0, check.stdout
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout
    result.stdout.fnmatch_lines(["*Using cached version of make.*", "*Using cached version of total.*"])


def test_a_full_disk_when_the_run_is_finished_fails_that_run_with_the_reason(zenrunner, monkeypatch):
    from zenrun.metadata.sqlite import SqliteMetadataStore

    def full(self, run):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteMetadataStore, "finish_run", full)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    result = zenrunner.run("-q", inprocess=True)
    assert result.ret == 1, result.stdout  # was an INTERNALERROR of the pipeline (exit 3)
    assert "INTERNALERROR" not in result.stdout
    result.stdout.fnmatch_lines(
        [
            "*the artifacts or records of this run could not be stored: OperationalError: database or disk is full*"
        ]
    )


def test_stale_temp_files_are_swept_when_the_store_opens(zenrunner):
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    directory = zenrunner.store / "artifacts" / "ab"
    directory.mkdir(exist_ok=True)
    stale, live = directory / ".tmp-4242-0", directory / ".tmp-4242-1"
    stale.write_bytes(b"half an artifact")
    live.write_bytes(b"being written")
    hour_ago = time.time() - 3700
    os.utime(stale, (hour_ago, hour_ago))
    marker = zenrunner.store / "artifacts" / ".last-sweep"  # stores sweep every few minutes
    if marker.exists():
        os.utime(marker, (hour_ago, hour_ago))
    assert zenrunner.run("-q").ret == 0
    assert not stale.exists()
    assert live.exists()  # a writer may still be on it


# ---------------------------------------------------------------------------
# 12. gc: unreferenced artifacts, --keep N, --dry-run, safe beside live runs
# ---------------------------------------------------------------------------

VERSIONED = """
import os
from zenrun import pipeline, step

@step
def make() -> list:
    return [int(os.environ.get("V", "1"))] * 1000

@step
def total(values: list) -> int:
    return sum(values)

@pipeline
def versioned():
    total(make())
"""


def _age_artifacts(store, seconds=7200):
    age_artifacts(store, seconds)


def _artifact_files(store):
    return artifact_digests(store)


def test_gc_removes_unreferenced_artifacts_and_old_runs(zenrunner):
    run = _in_process(zenrunner)
    from zenrun.artifacts.store import LocalArtifactStore

    zenrunner.makepyfile(pipeline_versioned=VERSIONED)
    for version in "123":  # the cache ends up holding version 3 only
        assert run("-q", "--cache-clear", env={"V": version}).ret == 0
    store = zenrunner.store
    before = _artifact_files(store)
    assert len(before) == 6
    _age_artifacts(store)

    nothing = run("--gc")  # every artifact is still recorded by some run
    assert nothing.ret == 0
    nothing.fnmatch_lines(["gc: removed 0 artifact(s), 0 bytes"])

    dry = run("--gc", "--keep", "1", "--dry-run")
    assert dry.ret == 0, dry.stdout + dry.stderr
    dry.fnmatch_lines(["gc: would remove 2 run(s) (keeping the newest 1 per item), 4 artifact(s), *KB"])
    assert _artifact_files(store) == before
    assert len(_sql(store / "metadata.db", "SELECT id FROM runs")) == 3

    # a run in progress has put an old, unreferenced artifact again but not yet recorded it
    old_digest = _sql(
        store / "metadata.db",
        "SELECT digest FROM step_io s JOIN runs r "
        "ON r.id = s.run_id WHERE s.step_id='make' AND s.kind='out' ORDER BY r.id",
    )[0][0]
    writer = LocalArtifactStore(store / "artifacts", inline_max=INLINE_MAX)
    assert writer.put(artifact_bytes(store, old_digest))[0] == old_digest
    writer.close()

    done = run("--gc", "--keep", "1")
    assert done.ret == 0, done.stdout + done.stderr
    done.fnmatch_lines(["gc: removed 2 run(s) (keeping the newest 1 per item), 3 artifact(s), *"])
    assert old_digest in _artifact_files(store)
    assert len(_artifact_files(store)) == 3
    assert len(_sql(store / "metadata.db", "SELECT id FROM runs")) == 1
    assert _sql(store / "metadata.db", "SELECT count(*) FROM steps")[0][0] == 2
    again = run("-v", env={"V": "3"})
    again.fnmatch_lines(["*Using cached version of make*", "*Using cached version of total*"])
    _usage_error(run("--keep", "2"), "--gc")
    for value in ("-1", "abc"):  # was "invalid _count value": a private function's name
        _usage_error(run("--gc", "--keep", value), "--keep", "expects a number")


def test_gc_keep_leaves_a_cache_hit_what_its_computing_step_logged(zenrunner):
    """The run whose step computed a cached result (and logged its metrics) is removed by
    ``--gc --keep 1``: later hits of that result still show what it logged."""
    run = _in_process(zenrunner)
    source = """
import zenrun
from zenrun import pipeline, step

@step
def scored() -> int:
    zenrun.log_metadata(acc=0.5)
    return 1

@step
def later(x: int) -> int:
    return x + ADD

@pipeline
def cap():
    later(scored())
"""
    zenrunner.makepyfile(pipeline_cap=source.replace("ADD", "1"))
    assert run("-q").ret == 0
    zenrunner.makepyfile(pipeline_cap=source.replace("ADD", "2"))
    run("-q").fnmatch_lines(["cap *1/2*acc=0.5*"])  # scored is a hit, later computed again
    assert run("--gc", "--keep", "1").ret == 0
    assert len(_sql(zenrunner.store / "metadata.db", "SELECT id FROM runs")) == 1
    run("-q").fnmatch_lines(["cap *2/2*acc=0.5*"])  # was the last step's output instead


def test_gc_keeps_what_a_live_run_wrote(zenrunner):
    from zenrun.artifacts.store import LocalArtifactStore

    proc = _start_hanging(zenrunner)
    try:
        # the live run started 3 hours ago; 2 hours ago it wrote an artifact it has not
        # recorded yet: younger than the oldest live run, so gc must keep it
        _sql(zenrunner.store / "metadata.db", "UPDATE runs SET started=?", (time.time() - 3 * 3600,))
        artifacts = LocalArtifactStore(zenrunner.store / "artifacts")
        pending = artifacts.put(b"written by the live run, not recorded yet")[0]
        unrelated = artifacts.put(b"left by a failed run long ago")[0]
        artifacts.sync()
        _age_artifacts(zenrunner.store, 5 * 3600)
        path = zenrunner.store / "artifacts" / pending[:2] / pending[2:]
        os.utime(path, (time.time() - 2 * 3600,) * 2)
        result = zenrunner.run("--gc")
        assert result.ret == 0, result.stdout + result.stderr
        result.fnmatch_lines(["gc: removed 1 artifact(s), 29 bytes"])
        assert artifacts.exists(pending) and not artifacts.exists(unrelated)
        [run] = read_store(zenrunner.store).get_runs()
        assert run.status == "running"
        digest = run.steps["first"].output.digest
        assert LocalArtifactStore(zenrunner.store / "artifacts").get(digest) == b"1"
    finally:
        proc.kill()
        proc.wait()


def test_a_step_made_of_a_partial_is_a_collection_error_saying_how(zenrunner):
    zenrunner.makepyfile(
        pipeline_partial="""
        import functools
        from zenrun import pipeline, step

        def scale(x: int, k: int) -> int:
            return x * k

        triple = step(functools.partial(scale, k=3))

        @pipeline
        def p_partial():
            triple(1)
    """
    )
    result = zenrunner.run()
    assert result.ret == 2, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*pipeline_partial.py*",
            "*a step must be a function defined with 'def' (got functools.partial)*",
        ]
    )
    assert "INTERNALERROR" not in result.stdout + result.stderr


def test_gc_removes_what_a_killed_writer_left_half_written(zenrunner):
    """kill -9 while an output is written leaves a temporary file; with no run live, --gc
    removes it once it has been idle for a minute, and says so."""
    zenrunner.makepyfile(pipeline_versioned=VERSIONED)
    assert zenrunner.run("-q", env={"V": "1"}).ret == 0
    artifacts = zenrunner.store / "artifacts"
    (artifacts / "ab").mkdir(exist_ok=True)
    idle = artifacts / "ab" / ".tmp-999999-0"
    fresh = artifacts / "ab" / ".tmp-999999-1"
    for path in (idle, fresh):
        path.write_bytes(b"x" * 1000)
    old = time.time() - 120
    os.utime(idle, (old, old))
    result = zenrunner.run("--gc")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["gc: removed 1 temporary file(s) of writers that did not finish"])
    assert not idle.exists() and fresh.exists()  # one being written now may still be in use


def test_a_run_given_the_id_of_a_run_deleted_by_hand_records_each_input_once(zenrunner):
    """SQLite gives the id of the latest run again once its row is deleted: a hand edit that
    deleted only the ``runs`` row leaves that id's input and output rows behind, and the new
    run's records replace them instead of adding to them."""
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert zenrunner.run("-q").ret == 0
    db = zenrunner.store / "metadata.db"
    [(last,)] = _sql(db, "SELECT max(id) FROM runs")
    before = _sql(
        db, "SELECT step_id, kind, name, count(*) FROM step_io WHERE run_id=? GROUP BY 1, 2, 3", (last,)
    )
    assert before and {row[-1] for row in before} == {1}
    _sql(db, "DELETE FROM runs WHERE id=?", (last,))
    _sql(db, "DELETE FROM steps WHERE run_id=?", (last,))  # its input and output rows stay

    assert zenrunner.run("-q").ret == 0
    [(again,)] = _sql(db, "SELECT max(id) FROM runs")
    assert again == last  # the same id, given again
    after = _sql(
        db, "SELECT step_id, kind, name, count(*) FROM step_io WHERE run_id=? GROUP BY 1, 2, 3", (last,)
    )
    assert sorted(row[:3] for row in after) == sorted(row[:3] for row in before)
    assert {row[-1] for row in after} == {1}, after


FORKED_CHILD_OUTLIVES = """
import os, sys, time
from zenrun.metadata.sqlite import SqliteMetadataStore
from zenrun.metadata.records import PipelineRun

store = SqliteMetadataStore(sys.argv[1] + "/metadata.db")
run = PipelineRun(name="p-01_Jan_24-00_00_00_000001", pipeline_name="p")
run.started = 1.0
store.create_run(run)
read, write = os.pipe()
if os.fork() == 0:  # the child: waits for its parent to die holding the run's lock
    os.close(write)
    os.read(read, 1)  # returns at the parent's death
    opened = SqliteMetadataStore(sys.argv[1] + "/metadata.db")  # fails the dead runs it finds
    with open(sys.argv[1] + "/seen", "w") as f:
        f.write(",".join(f"{r.name} {r.status}" for r in opened.get_runs()))
    os._exit(0)
os.close(read)
print(os.getpid(), flush=True)
os._exit(0)  # killed, as it were: the run is never finished, its lock goes with the process
"""


def test_a_forked_child_sees_its_dead_parents_run_dead(tmp_path):
    """A process forked while its parent runs does not hold the parent's run locks (POSIX
    locks are per process): once the parent died, the child finds that run dead, as any
    other process does."""
    script = tmp_path / "outlive.py"
    script.write_text(FORKED_CHILD_OUTLIVES)
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, timeout=60)
    deadline = time.monotonic() + 30
    while not (tmp_path / "seen").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (tmp_path / "seen").read_text() == "p-01_Jan_24-00_00_00_000001 failed"


def test_a_cache_entry_that_is_not_one_is_said_and_written_anew(zenrunner):
    """An entry of cache.db edited into another JSON value is a miss that says so once,
    and the rerun writes the entry again."""
    run = _in_process(zenrunner)
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    assert run("-q").ret == 0
    _sql(zenrunner.store / "cache.db", "UPDATE cache SET outputs='{\"output\": 5}'")
    again = run("-q")
    assert again.ret == 0
    assert again.stdout.count("cache.db holds an entry that is not a cache entry") == 1, again.stdout
    again.fnmatch_lines(["sums *0/2*"])
    run("-q").fnmatch_lines(["sums *2/2*"])


def test_store_check_leaves_out_a_deleted_store_of_another_name(zenrunner):
    """A run that kept its artifacts in another folder, deleted since: not this store's to
    check (a folder gone under this store's own name is this store, moved)."""
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    other = zenrunner.path / "elsewhere"
    assert zenrunner.run("-q", "--artifact-store", other.as_uri()).ret == 0
    shutil.rmtree(other)
    check = zenrunner.run("--store-check")
    assert check.ret == 0, check.stdout + check.stderr
    check.fnmatch_lines(["*0 recorded but missing*"])


def test_a_repair_keeps_what_deleted_computing_records_logged(tmp_path):
    from zenrun.maintenance import salvage
    from zenrun.metadata.sqlite import SqliteMetadataStore

    source = tmp_path / "metadata.db"
    SqliteMetadataStore(source).close()
    _sql(source, "INSERT INTO removed_runs_metadata VALUES ('key', 1, '{\"acc\": 0.5}')")
    salvage(source, tmp_path / "rebuilt.db")
    assert _sql(tmp_path / "rebuilt.db", "SELECT * FROM removed_runs_metadata") == [
        ("key", 1, '{"acc": 0.5}')
    ]


WAITS_FOR_GO = """
import os, time
from zenrun import pipeline, step

@step
def work() -> int:
    open("started", "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists("go") and time.monotonic() < deadline:
        time.sleep(0.05)
    return 7

@pipeline
def waits():
    work()
"""


def _wait_for(path, proc):
    deadline = time.monotonic() + 120
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_store_repair_refuses_a_store_another_process_is_running_in(zenrunner):
    """``--store-repair`` replaces metadata.db (rebuilt) and cache.db (removed): a zenrun
    process running meanwhile went on recording into the files it had open, so its run,
    completed, was lost (left ``running``, then ``failed`` as its owner died). It is refused
    while another process has the store open, naming it, and repairs once it ended."""
    zenrunner.makepyfile(pipeline_waits=WAITS_FOR_GO)
    (zenrunner.path / "go").touch()
    assert zenrunner.run("-q").ret == 0  # the store, with a table a running zenrun never reads
    (zenrunner.path / "go").unlink()
    (zenrunner.path / "started").unlink()
    db = zenrunner.store / "metadata.db"
    with contextlib.closing(sqlite3.connect(db)) as con:
        con.execute("CREATE TABLE notes (body BLOB)")
        con.executemany("INSERT INTO notes VALUES (?)", [(os.urandom(3000),) for _ in range(20)])
        con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root, page = (
            con.execute("SELECT rootpage FROM sqlite_master WHERE name='notes'").fetchone()[0],
            (con.execute("PRAGMA page_size").fetchone()[0]),
        )
    running = zenrunner.popen([sys.executable, "-m", "zenrun", "-q", "--no-cache"], stdin=subprocess.DEVNULL)
    try:
        _wait_for(zenrunner.path / "started", running)
        with open(db, "r+b") as f:  # that table's root page damaged
            f.seek((root - 1) * page)
            f.write(os.urandom(page))
        refused = zenrunner.run("--store-repair")
        assert refused.ret == 4, refused.stdout.str() + refused.stderr.str()
        assert "is in use by 1 zenrun process(es)" in refused.stderr.str(), refused.stderr.str()
        assert not list(zenrunner.store.glob("metadata.db.corrupt-*"))
    finally:
        (zenrunner.path / "go").touch()
        out, err = running.communicate(timeout=120)
    assert running.returncode == 0, out + err
    assert zenrunner.run("--store-repair").ret == 0  # it ended: repaired
    assert [r.status for r in read_store(zenrunner.store).get_runs()] == ["completed", "completed"]
