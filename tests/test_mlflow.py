"""The zenrun_mlflow plugin against a real MLflow tracking store (SQLite, the default)."""

from __future__ import annotations

import pytest

from zenrun.testing import read_store

pytest.importorskip("mlflow")

GRID = """
import zenrun
from zenrun import StepConfig, pipeline, step


class TrainConfig(StepConfig):
    lr: float = 0.1
    layers: int = 2


@step
def load() -> list:
    return [1, 2, 3]


@step(settings={"mlflow": {"tags": {"team": "vision"}}})
def train(data: list, config: TrainConfig) -> float:
    zenrun.log_metadata(accuracy=0.5 + config.lr, n=len(data), note="not a number")
    return sum(data) * config.lr


@step(settings={"mlflow": {"log": False}})
def quiet(x: float) -> float:
    return x


@zenrun.mark.parametrize("lr", [0.1, 0.2])
@pipeline
def grid(lr):
    quiet(train(load(), config=TrainConfig(lr=lr)))
"""


def test_each_pipeline_run_is_an_mlflow_run_with_nested_steps(zenrunner):
    import mlflow

    zenrunner.makepyfile(pipeline_grid=GRID)
    result = zenrunner.run("--mlflow")
    assert result.ret == 0, result.stdout + result.stderr
    uri = f"sqlite:///{zenrunner.store / 'mlflow.db'}"
    result.fnmatch_lines(["plugins: *mlflow-*", f"mlflow: {uri}"])
    zenrun_runs = read_store(zenrunner.store).get_runs()
    names = [r.name for r in zenrun_runs]

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["grid"], output_format="list")
    parents = {r.data.tags["zenrun.run_name"]: r for r in runs if "mlflow.parentRunId" not in r.data.tags}
    assert sorted(parents) == sorted(names)
    for name, lr in zip(names, ["0.1", "0.2"], strict=True):
        parent = parents[name]
        assert parent.info.status == "FINISHED" and parent.info.run_name == name
        assert parent.data.tags["zenrun.status"] == "completed"
        assert parent.data.params == {"lr": lr, "train.lr": lr}  # the config field that varies
        assert parent.data.metrics["train.accuracy"] == pytest.approx(0.5 + float(lr))
        children = {
            r.info.run_name: r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
        }
        assert sorted(children) == ["load", "train"]  # quiet opted out with settings
        train = children["train"]
        assert train.data.params == {"lr": lr, "layers": "2"}
        assert train.data.metrics["accuracy"] == pytest.approx(0.5 + float(lr))
        assert train.data.metrics["n"] == 3 and "note" not in train.data.metrics
        assert train.data.tags["team"] == "vision"
        assert train.data.tags["zenrun.run_name"] == name
        assert train.data.tags["zenrun.cache_status"] == "miss"
    # the second item's load step is the first one's, from the cache
    assert [
        c.data.tags["zenrun.cache_status"]
        for c in runs
        if c.info.run_name == "load" and c.data.tags["zenrun.run_name"] == names[1]
    ] == ["hit"]
    assert parents[names[1]].data.tags["zenrun.cached_steps"] == "1"


def test_mlflow_is_not_imported_unless_enabled(zenrunner):
    zenrunner.makeconftest("""
        import sys

        def zenrun_sessionfinish():
            print("MLFLOW IMPORTED:", "mlflow" in sys.modules)
    """)
    zenrunner.makepyfile(pipeline_grid=GRID)
    result = zenrunner.run("-k", "0.1")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*MLFLOW IMPORTED: False*"])
    assert not (zenrunner.store / "mlflow.db").exists()


def test_mlflow_settings_are_validated_by_the_plugin(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID.replace('{"log": False}', '{"lgo": False}'))
    result = zenrunner.run("-k", "0.1")
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(
        ["*pipeline 'grid', step 'quiet': settings.mlflow.lgo: Extra inputs are not permitted (got False)*"]
    )


FIXTURE_GRID = """
import zenrun
from zenrun import StepConfig, pipeline, step


class TrainConfig(StepConfig):
    max_depth: int = 4
    n_estimators: int = 100


@zenrun.fixture(params=[2, 6])
def config(request):
    return TrainConfig(max_depth=request.param)


@step
def train(config: TrainConfig) -> float:
    zenrun.log_metadata(accuracy=0.8 + config.max_depth / 100)
    return 0.0


@pipeline
def forest(config):
    train(config=config)
"""


def test_parent_runs_carry_the_config_fields_that_vary_and_the_overrides(zenrunner):
    import mlflow

    zenrunner.makepyfile(pipeline_forest=FIXTURE_GRID)
    assert zenrunner.run("--mlflow").ret == 0
    one_off = zenrunner.run("--mlflow", "-k", "6", "--set", "train.n_estimators=10")
    assert one_off.ret == 0, one_off.stdout + one_off.stderr
    mlflow.set_tracking_uri(f"sqlite:///{zenrunner.store / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["forest"], output_format="list")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    by_name = {r.data.tags["zenrun.run_name"]: r for r in parents}
    names = [r.name for r in read_store(zenrunner.store).get_runs()]
    params = [by_name[name].data.params for name in names]
    assert params[0] == {"config": "2", "train.max_depth": "2"}
    assert params[1] == {"config": "6", "train.max_depth": "6"}
    assert params[2] == {
        "config": "6",
        "train.n_estimators": "10",
        "train.max_depth": "6",
    }
    assert [by_name[n].data.tags["zenrun.overrides"] for n in names] == ["", "", "train.n_estimators"]
