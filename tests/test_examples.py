"""The examples run end to end, in a temporary project (the repo's .zenrun/ is left alone)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zenrun.testing import read_store

pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parents[1]

SMALL_GRID = '''
import zenrun

@zenrun.fixture
def rf_grid():
    """A two-entry grid, so the suite stays fast (overrides the root conftest's)."""
    return [{"n_estimators": 3, "max_depth": 2}, {"n_estimators": 5, "max_depth": 3}]
'''


@pytest.fixture
def project(zenrunner):
    shutil.copy(REPO / "conftest.py", zenrunner.path / "conftest.py")
    shutil.copytree(
        REPO / "pipelines", zenrunner.path / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    return zenrunner


def test_hpo_collects_one_item_per_dataset(project):
    result = project.run("pipelines/", "--collect-only", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "pipelines/pipeline_hpo.py::hpo[[]iris[]]",
            "pipelines/pipeline_hpo.py::hpo[[]breast_cancer[]]",
        ]
    )


def test_hpo_k_iris_runs_exactly_the_iris_template(project):
    project.makeconftest(SMALL_GRID, directory="pipelines")
    result = project.run("pipelines/", "-k", "iris", "--no-cache", "-v")
    assert result.ret == 0, result.stdout + result.stderr
    result.assert_outcomes(passed=1, deselected=2)
    result.fnmatch_lines(["*pipelines/pipeline_hpo.py::hpo[[]iris[]] PASSED*"])
    runs = read_store(project.store).get_runs()
    assert [r.item_id for r in runs] == ["pipelines/pipeline_hpo.py::hpo[iris]"]
    run = runs[0]
    assert list(run.steps) == [
        "load_data",
        "train_0",
        "evaluate_0",
        "train_1",
        "evaluate_1",
        "compare",
        "train_best",
    ]
    assert all(s.status == "completed" for s in run.steps.values())
    assert [p for p, _, _ in run.steps["compare"].inputs["results"]] == ["evaluate_0", "evaluate_1"]
    assert run.steps["train_0"].config["n_estimators"] == 3


def test_hpo_both_templates_and_the_best_model(project, monkeypatch):
    project.makeconftest(SMALL_GRID, directory="pipelines")
    result = project.run("pipelines/", "-k", "hpo", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    result.assert_outcomes(passed=2, deselected=1)
    monkeypatch.setenv("ZENRUN_STORE", str(project.store))
    for run in read_store(project.store).get_runs():
        best = run.steps["compare"].output.read()
        scores = [ref.read() for _, _, ref in run.steps["compare"].inputs["results"]]
        top = max(s["accuracy"] for s in scores)
        assert {"n_estimators": best["n_estimators"], "max_depth": best["max_depth"]} in [
            {"n_estimators": s["n_estimators"], "max_depth": s["max_depth"]}
            for s in scores
            if s["accuracy"] == top
        ]
        assert 0.5 < run.steps["train_best"].output.read() <= 1.0
    # Second run: every step cached.
    project.run("pipelines/", "-k", "hpo", "-q").assert_outcomes(passed=2, deselected=1)
    last = read_store(project.store).get_runs()[-2:]
    assert all(s.status == "cached" for run in last for s in run.steps.values())


def test_root_conftest_imports_without_scikit_learn():
    code = (
        "import sys; sys.modules['sklearn'] = None; sys.path.insert(0, sys.argv[1]); "
        "import conftest; print(conftest.rf_grid.__wrapped__())"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "n_estimators" in proc.stdout


def test_hyperparameter_tuning_script(zenrunner):
    result = zenrunner.runpython(
        REPO / "examples" / "hyperparameter_tuning" / "run.py", env={"ZENRUN_HPO_SMALL": "1"}
    )
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "Creating run for pipeline: iris_random_forest",
            "*Runtime configuration overwriting the pipeline cache settings to enable_cache=False*",
            "Step compare_scores has started.",
            "  best: *",
            "Creating run for pipeline: breast_cancer_random_forest",
            "iris_random_forest: completed, 9 steps, best model accuracy *",
            "breast_cancer_random_forest: completed, 9 steps, best model accuracy *",
        ]
    )
    runs = read_store(zenrunner.store).get_runs()
    assert sorted(r.pipeline_name for r in runs) == ["breast_cancer_random_forest", "iris_random_forest"]
    for run in runs:
        gathered = run.steps["compare_scores"].inputs["__gathered__"]
        assert sorted({p for p, _, _ in gathered}) == ["evaluate_0", "evaluate_1"]
        assert run.steps["compare_scores"].config["output_steps_prefix"] == "evaluate_"
        assert sorted(run.steps["compare_scores"].upstream) == ["evaluate_0", "evaluate_1"]


# The caching seed's expected output of its three runs, line for line; times and run
# names vary, and the orchestrator line keeps zenrun's words for the seed's stack.
SEED_RUNS = [
    *(
        "Creating run for pipeline: first_pipeline",
        "Cache enabled for pipeline first_pipeline",
        "Using orchestrator local to run pipeline first_pipeline...",
        "Step digits_data_loader has started.",
        "Step digits_data_loader has finished in *s.",
        "Step svc_trainer has started.",
        "Step svc_trainer has finished in *s.",
        "Pipeline run first_pipeline-*_*_*-*_*_*_* has finished in *s.",
    ),
    *(
        "Creating run for pipeline: first_pipeline",
        "Cache enabled for pipeline first_pipeline",
        "Using orchestrator local to run pipeline first_pipeline...",
        "Step digits_data_loader has started.",
        "Using cached version of digits_data_loader.",
        "Step digits_data_loader has finished in *s.",
        "Step svc_trainer has started.",
        "Step svc_trainer has finished in *s.",
        "Pipeline run first_pipeline-*_*_*-*_*_*_* has finished in *s.",
    ),
    *(
        "Creating run for pipeline: first_pipeline",
        "Cache enabled for pipeline first_pipeline",
        "Using orchestrator local to run pipeline first_pipeline...",
        "Runtime configuration overwriting the pipeline cache settings to enable_cache=False for this "
        "pipeline run. The default caching strategy is retained for future pipeline runs.",
        "Step digits_data_loader has started.",
        "Step digits_data_loader has finished in *s.",
        "Step svc_trainer has started.",
        "Step svc_trainer has finished in *s.",
        "Pipeline run first_pipeline-*_*_*-*_*_*_* has finished in *s.",
    ),
]


def test_seed_caching_script(zenrunner):
    import fnmatch

    result = zenrunner.runpython(REPO / "examples" / "seed_caching.py")
    assert result.ret == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    # The three runs print the seed's 26 lines and nothing between them.
    assert len(SEED_RUNS) == 26
    assert len(lines) == len(SEED_RUNS) + 1, result.stdout
    for line, expected in zip(lines, SEED_RUNS, strict=False):
        assert fnmatch.fnmatchcase(line, expected), (line, expected)
    assert fnmatch.fnmatchcase(
        lines[-1], "3 runs of first_pipeline recorded; last: first_pipeline-* (completed)"
    )
    runs = read_store(zenrunner.store).get_runs()
    assert [r.steps["digits_data_loader"].status for r in runs] == ["completed", "cached", "completed"]
    assert [r.steps["svc_trainer"].status for r in runs] == ["completed"] * 3
