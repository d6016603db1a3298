"""Results: log_metadata, the results table, --runs / --show, the post-execution API (issue 9)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from zenrun.testing import read_store

GRID = """
import zenrun
from zenrun import pipeline, step

@step
def train(depth: int) -> float:
    zenrun.log_metadata(train_loss=1.0 / depth)
    return depth / 10

@step
def evaluate(score: float) -> float:
    zenrun.log_metadata({"accuracy": score}, n_params=3)
    return score

@step
def flag(score: float) -> bool:
    return score > 0.25

@zenrun.mark.parametrize("depth", [2, 4, 3])
@pipeline
def grid(depth):
    evaluate(train(depth))

@pipeline
def scalars():
    flag(train(5))
"""

PLUGIN = """
import zenrun

@zenrun.hookimpl
def zenrun_step_finish(step_run):
    if step_run.metadata:
        print("HOOK", step_run.id, sorted(step_run.metadata.items()))
"""


def _runs(store, pipeline):
    return [r for r in read_store(store).get_runs() if r.pipeline_name == pipeline]


# ---------------------------------------------------------------------------
# 1. log_metadata
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "parallel"])
def test_log_metadata_recorded_with_the_step(zenrunner, args):
    zenrunner.makepyfile(pipeline_grid=GRID)
    zenrunner.makeconftest(PLUGIN)
    result = zenrunner.run("pipeline_grid.py::grid", *args)
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["*HOOK train [[]('train_loss', 0.5)[]]"])
    runs = {r.item_id: r for r in _runs(zenrunner.store, "grid")}
    run = runs["pipeline_grid.py::grid[2]"]
    assert run.params == {"depth": 2}
    assert run.steps["train"].metadata == {"train_loss": 0.5}
    assert run.steps["evaluate"].metadata == {"accuracy": 0.2, "n_params": 3}
    assert run.metrics == {"train_loss": 0.5, "accuracy": 0.2, "n_params": 3}
    assert runs["pipeline_grid.py::grid[4]"].metrics["accuracy"] == 0.4
    assert run.n_steps == 2 and run.n_cached == 0


def test_cache_hit_keeps_logged_metadata(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    zenrunner.makeconftest(PLUGIN)
    zenrunner.run("-k", "grid[4]")
    result = zenrunner.run("-k", "grid[4]")
    result.fnmatch_lines(["*HOOK evaluate [[]('accuracy', 0.4), ('n_params', 3)[]]"])
    run = _runs(zenrunner.store, "grid")[-1]
    assert run.n_cached == 2
    assert run.metrics["accuracy"] == 0.4


def test_scalar_outputs_of_final_steps_are_metrics(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID.replace(
        "    zenrun.log_metadata(train_loss=1.0 / depth)\n", ""))
    assert zenrunner.run("-k", "scalars").ret == 0
    run = _runs(zenrunner.store, "scalars")[-1]
    assert run.metrics == {"flag": True}
    assert run.steps["train"].output.value == 0.5
    assert run.steps["train"].output.preview == "0.5"


def test_log_metadata_errors_name_the_step(zenrunner):
    zenrunner.makepyfile(pipeline_bad="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def bad() -> int:
            zenrun.log_metadata(model=object())
            return 1

        @pipeline
        def broken():
            bad()
    """, script="""
        import zenrun
        zenrun.log_metadata(x=1)
    """)
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(["*TypeError: step 'bad': log_metadata(model=...): cannot record a value "
                          "of type builtins.object*"])
    outside = zenrunner.runpython(zenrunner.path / "script.py")
    assert "called outside a running step" in outside.stderr


def test_old_store_is_migrated(zenrunner):
    """A store written before metadata columns existed opens, reads and records."""
    db_path = zenrunner.store / "metadata.db"
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.executescript("""
        CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, pipeline TEXT NOT NULL,
            status TEXT NOT NULL, started REAL, finished REAL, item_id TEXT, enable_cache INTEGER,
            orchestrator TEXT, graph TEXT, pid INTEGER, host TEXT);
        CREATE TABLE steps (run_id INTEGER NOT NULL, step_id TEXT NOT NULL, step_name TEXT NOT NULL,
            status TEXT NOT NULL, started REAL, finished REAL, config TEXT, cache_key TEXT,
            cache_parts TEXT, cache_reason TEXT, error TEXT, upstream TEXT,
            PRIMARY KEY (run_id, step_id));
        CREATE TABLE artifacts (digest TEXT PRIMARY KEY, size INTEGER NOT NULL,
            materializer TEXT NOT NULL, type TEXT);
        CREATE TABLE step_io (run_id INTEGER NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL,
            name TEXT NOT NULL, position INTEGER, digest TEXT, source_step TEXT, source_output TEXT);
        INSERT INTO runs VALUES (1, 'old-1', 'old', 'completed', 1.0, 2.0, NULL, 1, 'local',
            '{"a": []}', 1, 'h');
        INSERT INTO steps VALUES (1, 'a', 'a', 'completed', 1.0, 2.0, NULL, 'k', NULL, NULL,
            NULL, '[]');
    """)
    db.commit()
    db.close()
    zenrunner.makepyfile(pipeline_grid=GRID)
    assert zenrunner.run("-k", "grid[2]").ret == 0
    store = read_store(zenrunner.store)
    old = store.get_run("old-1")
    assert old.metrics == {} and old.steps["a"].metadata == {}
    assert _runs(zenrunner.store, "grid")[-1].metrics["accuracy"] == 0.2
    columns = {r[1] for r in sqlite3.connect(db_path).execute("PRAGMA table_info(steps)")}
    assert {"metadata", "captured"} <= columns
    assert json.loads(sqlite3.connect(db_path).execute(
        "SELECT params FROM runs WHERE pipeline='grid'").fetchone()[0]) == {"depth": 2}
