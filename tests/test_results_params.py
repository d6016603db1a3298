"""Which configuration won: params, the objective, ``--json`` and the newest run per item.

The project is a data scientist's grid: two models by three settings whose
hyperparameters (``max_depth``, ``C``) only exist in the step config a
conftest fixture builds from them.
"""

from __future__ import annotations

import json

import pytest

CONFTEST = """
import zenrun


@zenrun.fixture(params=["forest", "svm"])
def model(request):
    return request.param


@zenrun.fixture(params=[1, 2, 3])
def setting(request):
    return request.param


@zenrun.fixture
def config(model, setting):
    if model == "forest":
        return {"model": model, "max_depth": 2 * setting}
    return {"model": model, "C": 0.1 * setting}
"""

GRID = """
import zenrun
from zenrun import StepConfig, pipeline, step


class TrainConfig(StepConfig):
    model: str = "forest"
    max_depth: int = 4
    C: float = 1.0
    n_estimators: int = 100


@step
def train(config: TrainConfig) -> float:
    if config.model == "forest":
        accuracy = 0.8 + 0.02 * config.max_depth
    else:
        accuracy = 0.85 + config.C / 10
    zenrun.log_metadata(accuracy=accuracy, trees=config.n_estimators)
    return accuracy


@pipeline
def grid(config):
    train(config=config)
"""

LEVELS = """
import zenrun
from zenrun import pipeline, step


@step
def measure(level: int) -> None:
    zenrun.log_metadata(level=level * 10)


@zenrun.mark.parametrize("level", [1, 2])
@pipeline
def levels(level):
    measure(level)
"""


def _table(lines, first):
    """The results table whose header starts with ``first``: a list of {header: cell}."""
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first])
    headers = lines[start].split()
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip() or line.startswith(("=", "(")):
            break
        cells = line.replace("* ", "*", 1).split()
        rows.append(dict(zip(headers, cells, strict=False)))
    return headers, rows


@pytest.fixture
def grid_project(zenrunner):
    zenrunner.makeconftest(CONFTEST)
    zenrunner.makepyfile(pipeline_grid=GRID)
    return zenrunner


# ---------------------------------------------------------------------------
# A. params are everything that configures an item
# ---------------------------------------------------------------------------


def test_results_table_shows_the_fixture_built_config_fields_that_vary(grid_project):
    result = grid_project.run(env={"COLUMNS": "200"})
    assert result.ret == 0, result.stdout + result.stderr
    headers, rows = _table(result.outlines, "grid")
    # Fixture params, then the config fields that differ across the items; the
    # field every item shares (n_estimators) is no param.
    assert headers[:6] == ["grid", "model", "setting", "train.model", "train.max_depth", "train.C"]
    assert "train.n_estimators" not in headers
    by_item = {row["grid"]: row for row in rows}
    assert by_item["grid[forest-3]"]["train.max_depth"] == "6"
    assert by_item["grid[forest-3]"]["train.C"] == "1"
    assert by_item["grid[svm-2]"]["train.C"] == "0.2"
    assert by_item["grid[svm-2]"]["train.max_depth"] == "4"
    assert by_item["grid[svm-2]"]["model"] == "svm"


def test_runs_show_and_runs_table_use_the_same_param_names(grid_project):
    assert grid_project.run().ret == 0
    listing = grid_project.run("--runs", "-k", "forest and 3", env={"COLUMNS": "200"})
    assert listing.ret == 0
    listing.fnmatch_lines(
        ["*item*params*metrics", "*grid[[]forest-3[]]*train.model=forest, train.max_depth=6, *"]
    )
    assert "train.max_depth=6" in listing.stdout
    shown = grid_project.run("--show", "grid[forest-3]")
    shown.fnmatch_lines(["params: model=forest, setting=3, train.model=forest, train.max_depth=6, train.C=1"])
    result = grid_project.runpython("""
        import json, zenrun
        rows = {r["item"]: r for r in zenrun.runs_table("grid")}
        row = rows["grid[svm-1]"]
        print("ROW", json.dumps({k: v for k, v in row.items() if k.startswith("params.")}))
        print("KEYS", "params.train.n_estimators" in row, row["overrides"])
    """)
    assert result.ret == 0, result.stderr
    assert (
        'ROW {"params.model": "svm", "params.setting": 1, "params.train.model": "svm", '
        '"params.train.max_depth": 4, "params.train.C": 0.1}' in result.stdout
    ), result.stdout
    assert "KEYS False []" in result.stdout


def test_a_run_config_override_is_a_param_marked_as_such(grid_project):
    assert grid_project.run().ret == 0
    one_off = grid_project.run("-k", "forest and 3", "--set", "train.n_estimators=10", env={"COLUMNS": "200"})
    assert one_off.ret == 0, one_off.stdout + one_off.stderr
    _headers, rows = _table(one_off.outlines, "pipeline")  # one item: the table of singles
    assert rows[0]["pipeline"] == "grid[forest-3]"
    assert "train.n_estimators=10 (override)" in one_off.stdout
    shown = grid_project.run("--show", "grid[forest-3]")
    shown.fnmatch_lines(
        ["params: model=forest, setting=3, train.n_estimators=10 (override), train.model=forest, *"]
    )
    listing = grid_project.run("--runs", "--last", "2", env={"COLUMNS": "250"})
    assert listing.outlines[2].count("(override)") == 1  # the newest run only
    assert "(override)" not in listing.outlines[3]
    result = grid_project.runpython("""
        import zenrun
        row = zenrun.runs_table("grid")[-1]
        print("OVERRIDE", row["item"], row["overrides"], row["params.train.n_estimators"])
    """)
    assert "OVERRIDE grid[forest-3] ['train.n_estimators'] 10" in result.stdout, result.stdout + result.stderr


def test_a_param_and_a_metric_of_the_same_name_are_told_apart(zenrunner):
    zenrunner.makepyfile(pipeline_levels=LEVELS)
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr
    headers, rows = _table(result.outlines, "levels")
    assert headers[:3] == ["levels", "params.level", "metrics.level"]
    assert [(r["params.level"], r["metrics.level"]) for r in rows] == [("1", "10"), ("2", "20")]


UNPRINTABLE = """
import zenrun
from zenrun import pipeline, step


class Opaque:
    def __repr__(self):
        raise RuntimeError("no repr")


@step
def use(x: object) -> int:
    return 1


@zenrun.mark.parametrize("obj", [Opaque()])
@pipeline
def opaque(obj):
    use(obj)
"""


def test_a_param_whose_repr_raises_is_named_not_an_internal_error(zenrunner):
    zenrunner.makepyfile(pipeline_opaque=UNPRINTABLE)
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr  # was an INTERNALERROR of the item
    shown = zenrunner.run("--show", "latest")
    shown.stdout.fnmatch_lines(["params: obj=<[[]RuntimeError*raised in repr()] Opaque object*"])


# ---------------------------------------------------------------------------
# B. the objective
# ---------------------------------------------------------------------------


def test_objective_from_the_project_sorts_marks_and_rounds(grid_project):
    grid_project.maketoml('objective = "accuracy"')
    result = grid_project.run(env={"COLUMNS": "200"})
    assert result.ret == 0, result.stdout + result.stderr
    headers, rows = _table(result.outlines, "grid")
    # The objective is the first metric column; rows best first, the best marked.
    assert headers[headers.index("train.C") + 1] == "accuracy"
    assert [r["grid"] for r in rows] == [
        "*grid[forest-3]",
        "grid[forest-2]",
        "grid[svm-3]",
        "grid[svm-2]",
        "grid[svm-1]",
        "grid[forest-1]",
    ]
    svm_3 = rows[2]
    assert (svm_3["train.C"], svm_3["accuracy"]) == ("0.3", "0.88")  # 4 significant digits
    listing = grid_project.run("--runs", env={"COLUMNS": "200"})
    assert listing.outlines[2].split()[2:4] == ["*", "grid[forest-3]"]
    assert "accuracy=0.92, trees=100" in listing.outlines[2]  # the objective first
    assert "best accuracy first" not in listing.stdout  # every run fits: no note
    # --sort-by names another objective for one command.
    lowest = grid_project.run("--runs", "--sort-by", "accuracy:min", env={"COLUMNS": "200"})
    assert lowest.outlines[2].split()[2:4] == ["*", "grid[forest-1]"]


def test_a_bad_objective_is_a_usage_error_naming_where_it_came_from(grid_project):
    grid_project.maketoml('objective = "accuracy:best"')
    result = grid_project.run()
    assert result.ret == 4
    assert "[tool.zenrun] objective = 'accuracy:best': expected METRIC" in result.stderr


# ---------------------------------------------------------------------------
# C. --json
# ---------------------------------------------------------------------------

BROKEN = """
import zenrun
from zenrun import pipeline, step


@step
def boom() -> int:
    raise ValueError("no")


@pipeline
def broken():
    boom()


@zenrun.mark.skip(reason="not today")
@pipeline
def skipped():
    boom()
"""

KEYS = [
    "item_id",
    "item",
    "outcome",
    "run",
    "pipeline",
    "status",
    "started",
    "finished",
    "duration",
    "n_steps",
    "n_cached",
    "params",
    "overrides",
    "metrics",
    "objective",
    "best",
]


def test_json_results_of_a_session_one_object_per_item(grid_project):
    grid_project.makepyfile(pipeline_broken=BROKEN)
    grid_project.maketoml('objective = "accuracy"')
    result = grid_project.run("--json")
    assert result.ret == 1
    records = json.loads(result.stdout)  # stdout is the JSON alone; the report is on stderr
    assert "passed" in result.stderr and "results" in result.stderr
    assert all(list(r) == KEYS for r in records)
    by_item = {r["item"]: r for r in records}
    assert sorted(by_item) == sorted(
        ["broken", "skipped", *(f"grid[{m}-{s}]" for m in ("forest", "svm") for s in (1, 2, 3))]
    )
    best = by_item["grid[forest-3]"]
    assert best["item_id"] == "pipeline_grid.py::grid[forest-3]"
    assert (best["outcome"], best["status"], best["best"]) == ("passed", "completed", True)
    assert best["params"] == {
        "model": "forest",
        "setting": 3,
        "train.model": "forest",
        "train.max_depth": 6,
        "train.C": 1.0,
    }
    assert best["metrics"] == {"accuracy": pytest.approx(0.92), "trees": 100}
    assert best["objective"] == {"metric": "accuracy", "direction": "max"}
    assert (best["n_steps"], best["n_cached"], best["overrides"]) == (1, 0, [])
    assert best["finished"] - best["started"] == pytest.approx(best["duration"])
    svm = by_item["grid[svm-3]"]
    assert svm["params"]["train.C"] == 0.30000000000000004  # full precision
    assert [r["item"] for r in records if r["best"]] == ["grid[forest-3]"]
    broken = by_item["broken"]
    assert (broken["outcome"], broken["status"], broken["best"]) == ("failed", "failed", False)
    skipped = by_item["skipped"]
    assert (skipped["outcome"], skipped["run"], skipped["status"], skipped["params"]) == (
        "skipped",
        None,
        None,
        {},
    )


def test_json_of_runs_and_show(grid_project):
    assert grid_project.run().ret == 0
    assert grid_project.run("-k", "svm and 2", "--set", "train.n_estimators=7").ret == 0
    runs = json.loads(grid_project.run("--runs", "--json", "--last", "3").stdout)
    assert [list(r) for r in runs] == [KEYS] * 3
    assert [r["item"] for r in runs] == ["grid[svm-2]", "grid[svm-3]", "grid[svm-2]"]  # newest first
    assert runs[0]["overrides"] == ["train.n_estimators"]
    assert runs[0]["params"]["train.n_estimators"] == 7
    assert runs[0]["n_cached"] == 0 and runs[0]["outcome"] is None and runs[0]["best"] is None
    # The field now varies across the grid: every run shows it, only the override is marked.
    assert runs[1]["params"]["train.n_estimators"] == 100 and runs[1]["overrides"] == []
    ranked = json.loads(grid_project.run("--runs", "--json", "--sort-by", "accuracy:min").stdout)
    assert ranked[0]["item"] == "grid[forest-1]" and ranked[0]["best"] is True
    assert ranked[0]["objective"] == {"metric": "accuracy", "direction": "min"}
    shown = json.loads(grid_project.run("--show", "grid[svm-2]", "--json").stdout)
    assert list(shown) == [*KEYS, "steps"]
    assert shown["run"] == runs[0]["run"]
    (step,) = shown["steps"]
    assert (step["id"], step["status"], step["config"]["n_estimators"]) == ("train", "completed", 7)
    assert step["metadata"] == {"accuracy": pytest.approx(0.87), "trees": 7}
    assert step["outputs"]["output"]["type"] == "builtins.float"
    assert step["outputs"]["output"]["uri"].startswith(str(grid_project.store))
    missing = grid_project.run("--show", "nothing", "--json")
    assert missing.ret == 4 and missing.stdout == ""


# ---------------------------------------------------------------------------
# D. the newest run of each item, short reprs
# ---------------------------------------------------------------------------


def test_latest_items_runs_table_latest_and_short_reprs(grid_project):
    assert grid_project.run().ret == 0
    assert grid_project.run("-k", "forest and 3", "--set", "train.n_estimators=10").ret == 0
    assert grid_project.run("-k", "svm and 1").ret == 0
    result = grid_project.runpython("""
        import zenrun

        pipeline = zenrun.get_pipeline("grid")
        print("PIPELINE", repr(pipeline))
        latest = pipeline.latest_items()
        print("LATEST", len(latest), [r.short_item_id for r in latest])
        newest = {r.short_item_id: r for r in latest}
        print("OVERRIDDEN", newest["grid[forest-3]"].name == pipeline.runs[6].name)
        print("RUN", repr(newest["grid[svm-1]"]).replace(newest["grid[svm-1]"].name, "NAME"))
        print("ITEM", repr(pipeline.items["grid[forest-3]"]))
        table = zenrun.runs_table(latest=True)
        print("TABLE", len(table), [r["item"] for r in table][-2:])
        print("TREES", {r["item"]: r["params.train.n_estimators"] for r in table}["grid[forest-3]"])
        print("OVERRIDES", [r["item"] for r in table if r["overrides"]])
        print("LAST", [r["item"] for r in zenrun.runs_table("grid", latest=True, last=2)])
        one = zenrun.runs_table(item="grid[svm-1]", latest=True)
        print("ONE", len(one), one[0]["run"] == newest["grid[svm-1]"].name)
    """)
    assert result.ret == 0, result.stderr
    for line in [
        "PIPELINE <PipelineView grid: 8 runs, 6 items, last completed>",
        "LATEST 6 ['grid[forest-1]', 'grid[forest-2]', 'grid[forest-3]', 'grid[svm-1]', 'grid[svm-2]', 'grid[svm-3]']",
        "OVERRIDDEN True",
        "RUN <PipelineRun NAME grid[svm-1] completed>",
        "ITEM <ItemView grid[forest-3]: 2 runs, last completed>",
        "TABLE 6 ['grid[forest-3]', 'grid[svm-1]']",  # oldest first: the two rerun items last
        "TREES 10",
        "OVERRIDES ['grid[forest-3]']",
        "LAST ['grid[forest-3]', 'grid[svm-1]']",
        "ONE 1 True",
    ]:
        assert line in result.stdout, result.stdout


def test_a_parameter_holding_a_newline_keeps_the_table_one_line_per_item(zenrunner):
    zenrunner.makepyfile(
        pipeline_text="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def size(text: str) -> int:
            return len(text)

        @zenrun.mark.parametrize("text", ["a\\nb", "plain"])
        @pipeline
        def texts(text):
            size(text)
        """
    )
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=2)
    result.fnmatch_lines([r"texts[[]a\nb[]] *a\nb *3 *", "texts[[]plain[]] *plain *5 *"])


def test_a_huge_parameter_value_does_not_make_the_results_table_that_wide(zenrunner):
    zenrunner.makepyfile(
        pipeline_huge="""
import zenrun
from zenrun import pipeline, step

@step
def work(p: str) -> int:
    return len(p)

@zenrun.mark.parametrize("p", ["x" * 100_000])
@pipeline
def p_param(p):
    work(p)
"""
    )
    result = zenrunner.run("--no-cache")
    assert result.ret == 0, result.stdout
    table = result.stdout.split("= results =")[1].split("\n=")[0]
    assert max(len(line) for line in table.splitlines()) <= 200, table[:500]
    assert "xxx..." in table
    runs = zenrunner.run("--runs")
    assert max(len(line) for line in runs.stdout.splitlines()) <= 400, runs.stdout[:500]
