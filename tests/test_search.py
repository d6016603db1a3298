"""Hyperparameter search: ``@zenrun.mark.search`` runs a real Optuna study, one item per trial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from zenrun.testing import read_store

optuna = pytest.importorskip("optuna")

# The data step logs each call; train logs its parameters and computes a known function of them.
HPO = """
import json, os
import zenrun
from zenrun import pipeline, step

HERE = os.path.dirname(os.path.abspath(__file__))

def log(logname, **values):
    with open(os.path.join(HERE, logname), "a") as f:
        f.write(json.dumps(values) + "\\n")

@step
def load_data(name: str) -> list:
    log("loads.log", name=name, pid=os.getpid())
    return [1.0, 2.0, 3.0]

@step
def train(data: list, lr: float, conf: dict) -> float:
    log("trains.log", lr=lr, depth=conf["depth"])
    if os.environ.get("HANG") and os.path.exists(os.path.join(HERE, "hang-now")):
        import time
        time.sleep(300)
    if os.path.exists(os.path.join(HERE, "fail-once")):
        os.remove(os.path.join(HERE, "fail-once"))
        raise RuntimeError("this trial fails once")
    score = sum(data) / 10 - (lr - 0.3) ** 2 - (conf["depth"] - 4) ** 2 / 100
    zenrun.log_metadata(accuracy=score, depth_seen=conf["depth"])
    if os.environ.get("HANG") and len(open(os.path.join(HERE, "trains.log")).readlines()) >= 2:
        open(os.path.join(HERE, "hang-now"), "w").close()
    return score

@zenrun.fixture
def model_conf(depth):
    return {"depth": depth}

@zenrun.mark.search(
    {"lr": zenrun.search.float(0.0, 1.0), "depth": zenrun.search.int(1, 8)},
    trials=TRIALS, metric="accuracy", sampler=SAMPLER, seed=7,
)
@pipeline
def hpo(lr, model_conf):
    train(load_data("iris"), lr, model_conf)
"""


def hpo(trials=6, sampler="random"):
    return HPO.replace("TRIALS", str(trials)).replace("SAMPLER", repr(sampler))


def expected(lr, depth):
    return 0.6 - (lr - 0.3) ** 2 - (depth - 4) ** 2 / 100


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def study(store, name="hpo"):
    from zenrun.search import default_storage, load_study

    return load_study(name, default_storage(store))


def trial_runs(store):
    runs = [r for r in read_store(store).get_runs() if r.item_id and "[trial-" in r.item_id]
    return {r.item_id.rsplit("[", 1)[1].rstrip("]"): r for r in runs}  # by slot: trial-3


def test_trials_are_items_with_sampled_params_in_steps_fixtures_and_records(zenrunner, monkeypatch):
    zenrunner.makepyfile(pipeline_hpo=hpo())
    result = zenrunner.run()
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=6)
    result.fnmatch_lines(
        ["*study hpo*", "*trial*number*lr*depth*accuracy*", "6 complete, 0 pruned, 0 failed*"]
    )
    runs = trial_runs(zenrunner.store)
    assert sorted(r.item_id.split("::")[-1] for r in runs.values()) == [f"hpo[trial-{i}]" for i in range(6)]
    trials = {t.user_attrs["zenrun_slot"]: t for t in study(zenrunner.store).trials}
    for slot, run in runs.items():
        params = trials[slot].params
        # The pipeline argument and the fixture that requests `depth` both got the sampled values.
        assert run.params == {"lr": params["lr"], "depth": params["depth"]}
        assert run.steps["train"].metadata["depth_seen"] == params["depth"]
        assert run.steps["train"].output.read() == pytest.approx(expected(params["lr"], params["depth"]))
        assert trials[slot].value == pytest.approx(run.metrics["accuracy"])
    # The data step does not depend on the trial: computed once, a cache hit for the others.
    assert len(lines(zenrunner.path / "loads.log")) == 1
    assert sorted(r.steps["load_data"].status for r in runs.values()) == ["cached"] * 5 + ["completed"]
    best = max(runs.values(), key=lambda r: r.metrics["accuracy"])
    row = next(line for line in result.outlines if line.startswith("*"))
    assert row.split()[1] == best.item_id.rsplit("[", 1)[1].rstrip("]")


@pytest.mark.parametrize("sampler", ["random", "grid"])
def test_seeded_trials_have_the_same_params_locally_and_under_workers(zenrunner, sampler):
    space = (
        "zenrun.search.float(0.0, 1.0, step=0.25)" if sampler == "grid" else "zenrun.search.float(0.0, 1.0)"
    )
    zenrunner.makepyfile(pipeline_hpo=hpo(6, sampler).replace("zenrun.search.float(0.0, 1.0)", space))
    params = {}
    for where, args in (("local", []), ("workers", ["-n", "2"])):
        store = zenrunner.path / f"store-{where}"
        result = zenrunner.run("--store", str(store), *args)
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
        result.assert_outcomes(passed=6)
        runs = trial_runs(store)
        params[where] = {slot: run.params for slot, run in runs.items()}
        assert sorted(r.steps["load_data"].status for r in runs.values()) == ["cached"] * 5 + ["completed"]
    assert params["local"] == params["workers"]
    if sampler == "grid":  # six distinct points of the 5 x 8 grid
        assert len({(p["lr"], p["depth"]) for p in params["local"].values()}) == 6
    # Each store computed the data step once: two loads in all.
    assert len(lines(zenrunner.path / "loads.log")) == 2


def test_trials_on_dask_share_the_data_step(zenrunner, cluster, monkeypatch):
    zenrunner.makepyfile(pipeline_hpo=hpo(4))
    result = zenrunner.run("--orchestrator", "dask", "--dask-address", cluster.scheduler_address)
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=4)
    runs = trial_runs(zenrunner.store)
    assert sorted(r.steps["load_data"].status for r in runs.values()) == ["cached"] * 3 + ["completed"]
    for run in runs.values():
        p = run.params
        assert run.steps["train"].output.read() == pytest.approx(expected(p["lr"], p["depth"]))
    assert len(study(zenrunner.store).trials) == 4


PRUNED = """
import zenrun
from zenrun import pipeline, step

@step
def load_data() -> list:
    return [1.0] * 4

@step
def train(data: list, lr: float) -> float:
    score = 0.0
    for epoch in range(10):
        score = (1 - abs(lr - 0.5)) * (epoch + 1) / 10
        zenrun.report(score, step=epoch)
    zenrun.log_metadata(accuracy=score)
    return score

@zenrun.mark.search(
    {"lr": zenrun.search.float(0.0, 1.0)}, trials=10, sampler="random", seed=3, pruner=PRUNER
)
@pipeline
def pruned(lr):
    train(load_data(), lr)
"""


@pytest.mark.parametrize("pruner", ["'median'", "optuna.pruners.PercentilePruner(50.0, n_startup_trials=2)"])
@pytest.mark.parametrize("args", [[], ["-n", "2"]])
def test_pruned_trials_are_recorded_pruned_and_are_not_failures(zenrunner, pruner, args):
    source = PRUNED.replace("PRUNER", pruner)
    if "optuna." in pruner:
        source = "import optuna\n" + source
    zenrunner.makepyfile(pipeline_pruned=source)
    result = zenrunner.run(*args)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert outcomes["pruned"] >= 1
    assert outcomes["passed"] + outcomes["pruned"] == 10
    runs = trial_runs(zenrunner.store)
    found = optuna.trial.TrialState
    trials = {t.user_attrs["zenrun_slot"]: t for t in study(zenrunner.store, "pruned").trials}
    for slot, run in runs.items():
        if run.status == "pruned":
            assert trials[slot].state == found.PRUNED
            assert run.steps["train"].status == "pruned"
            assert "pruned at step" in run.steps["train"].error
            # What completed before it stays cached.
            assert run.steps["load_data"].status in ("completed", "cached")
            assert trials[slot].intermediate_values  # reported before the pruner stopped it
        else:
            assert run.status == "completed"
            assert trials[slot].state == found.COMPLETE
            assert trials[slot].value == pytest.approx(1 - abs(run.params["lr"] - 0.5))
    assert sum(r.status == "pruned" for r in runs.values()) == outcomes["pruned"]
    result.fnmatch_lines([f"*{outcomes['passed']} complete, {outcomes['pruned']} pruned, 0 failed*"])


def test_a_cached_step_tells_its_trial_what_it_reported_and_is_pruned_as_when_computed(zenrunner):
    """A trial's pruning does not depend on which of its steps were cached: a cache hit
    replays the values the step reported when it was computed."""

    def trial_states():
        return {
            t.user_attrs["zenrun_slot"]: (t.state.name, dict(t.intermediate_values))
            for t in study(zenrunner.store, "pruned").trials
        }

    zenrunner.makepyfile(pipeline_pruned=PRUNED.replace("PRUNER", "None"))
    assert zenrunner.run("-q").ret == 0  # every trial completes: each train step cached
    zenrunner.makepyfile(pipeline_pruned=PRUNED.replace("PRUNER", "'median'"))
    computed = zenrunner.run("-q", "--search-restart", "--no-cache")
    assert computed.ret == 0, computed.stdout.str() + computed.stderr.str()
    expected = trial_states()
    assert any(state == "PRUNED" for state, _ in expected.values())

    cached = zenrunner.run("-q", "--search-restart")
    assert cached.ret == 0, cached.stdout.str() + cached.stderr.str()
    assert trial_states() == expected
    assert cached.parseoutcomes() == computed.parseoutcomes()
    runs = [r for r in read_store(zenrunner.store).get_runs() if r.item_id and "[trial-" in r.item_id]
    latest = {}
    for run in sorted(runs, key=lambda r: r.id):
        latest[run.item_id] = run
    pruned = [r for r in latest.values() if r.status == "pruned"]
    assert pruned and all(r.steps["train"].status == "pruned" for r in pruned)
    assert all("its cached result" in r.steps["train"].error for r in pruned)
    assert all(r.steps["train"].status == "cached" for r in latest.values() if r.status == "completed")


def test_search_composes_with_parametrize_and_k(zenrunner):
    zenrunner.makepyfile(
        pipeline_hpo="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def score(name: str, x: float) -> float:
            zenrun.log_metadata(loss=(x - len(name)) ** 2)
            return x

        @zenrun.mark.parametrize("dataset", ["iris", "wine"])
        @zenrun.mark.search(
            {"x": zenrun.search.float(0.0, 10.0)}, trials=3, metric="loss", direction="minimize",
            sampler="random", seed=1,
        )
        @pipeline
        def hpo(dataset, x):
            score(dataset, x)
        """
    )
    result = zenrunner.run("--co", "-q")
    assert result.ret == 0
    result.fnmatch_lines(["*hpo[[]iris[]][[]trial-0[]]", "*hpo[[]wine[]][[]trial-2[]]"])
    result = zenrunner.run("-k", "wine")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=3, deselected=3)
    result.fnmatch_lines(["*study hpo[[]wine[]]*"])
    result = zenrunner.run()
    result.assert_outcomes(passed=3, skipped=3)  # wine's trials are complete already
    for name in ("hpo[iris]", "hpo[wine]"):
        found = study(zenrunner.store, name)
        assert len(found.trials) == 3
        assert found.optuna.direction.name == "MINIMIZE"
        best = min(found.trials, key=lambda t: t.value)
        assert found.best_params == best.params
        assert best.value == pytest.approx((best.params["x"] - 4) ** 2)


def test_a_killed_study_resumes_without_rerunning_completed_trials(zenrunner):
    zenrunner.makepyfile(pipeline_hpo=hpo(4))
    journal = zenrunner.store / "search" / "studies.journal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun"],
        cwd=zenrunner.path,
        env=zenrunner.env(HANG="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(lines(zenrunner.path / "trains.log")) < 3:  # the third trial hangs in train
            assert time.monotonic() < deadline, "the study never reached its third trial"
            assert proc.poll() is None, "zenrun ended before it was killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert journal.exists()
    state = optuna.trial.TrialState
    before = study(zenrunner.store).trials
    assert sorted(t.state for t in before) == sorted([state.COMPLETE, state.COMPLETE, state.RUNNING])
    (zenrunner.path / "hang-now").unlink()

    result = zenrunner.run()
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=2, skipped=2)  # the two complete slots are not run again
    after = study(zenrunner.store).trials
    assert sum(t.state == state.COMPLETE for t in after) == 4  # the killed trial did not count
    assert sum(t.state == state.FAIL for t in after) == 1
    trains = lines(zenrunner.path / "trains.log")
    done = [(t.params["lr"], t.params["depth"]) for t in before if t.state == state.COMPLETE]
    for lr, depth in done:
        assert sum(1 for t in trains if (t["lr"], t["depth"]) == (lr, depth)) == 1
    killed = next(t for t in before if t.state == state.RUNNING)
    slot = killed.user_attrs["zenrun_slot"]
    rerun = next(t for t in after if t.state == state.COMPLETE and t.user_attrs["zenrun_slot"] == slot)
    assert rerun.params == killed.params  # the killed slot ran again with its parameters
    assert len(lines(zenrunner.path / "loads.log")) == 1

    result = zenrunner.run("--search-restart")
    result.assert_outcomes(passed=4)
    assert len(study(zenrunner.store).trials) == 4


def test_lf_reruns_the_failed_trial_with_its_params(zenrunner):
    zenrunner.makepyfile(pipeline_hpo=hpo(3))
    (zenrunner.path / "fail-once").write_text("")
    result = zenrunner.run()
    assert result.ret == 1
    result.assert_outcomes(passed=2, failed=1)
    result.fnmatch_lines(["*2 complete, 0 pruned, 1 failed*"])
    failed = next(t for t in study(zenrunner.store).trials if t.state.name == "FAIL")
    result = zenrunner.run("--lf")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=1)  # only the failed slot ran (as pytest, --lf skips the others)
    trials = study(zenrunner.store).trials
    again = [t for t in trials if t.user_attrs["zenrun_slot"] == failed.user_attrs["zenrun_slot"]]
    assert [t.state.name for t in again] == ["FAIL", "COMPLETE"]
    assert again[1].params == failed.params
    assert again[1].value == pytest.approx(expected(failed.params["lr"], failed.params["depth"]))


def test_show_and_get_study(zenrunner):
    zenrunner.makepyfile(pipeline_hpo=hpo(5))
    assert zenrunner.run().ret == 0
    result = zenrunner.run("--show", "hpo")
    assert result.ret == 0, result.stderr.str()
    result.fnmatch_lines(["study hpo (*studies.journal)", "*trial*lr*depth*accuracy*", "5 complete*"])
    proc = zenrunner.runpython(
        "import zenrun\n"
        "s = zenrun.get_study('hpo')\n"
        "df = s.to_pandas()\n"
        "print('BEST', s.best_params, s.best_value)\n"
        "print('ROWS', len(df), sorted(c for c in df.columns if not c.startswith(('datetime', 'duration'))))\n"
    )
    assert proc.ret == 0, proc.stderr.str()
    trials = study(zenrunner.store).trials
    best = max(trials, key=lambda t: t.value)
    proc.fnmatch_lines([f"BEST {best.params!r} {best.value!r}", "ROWS 5 *'accuracy'*'params_depth'*'slot'*"])


@pytest.mark.parametrize(
    ("space", "args", "message"),
    [
        ("{}", "", "*pipeline *hpo: search(space=...): the search space is empty*"),
        (
            "{'x': zenrun.search.float(1.0, 0.5)}",
            "",
            "*hpo*parameter 'x': float(low=1.0, high=0.5) has low > high*",
        ),
        (
            "{'x': zenrun.search.int(1, 4)}",
            ", trials=0",
            "*hpo: search(trials=0) must be a positive integer*",
        ),
        (
            "{'x': zenrun.search.int(1, 4)}",
            ", sampler='bayes'",
            "*hpo: search(sampler='bayes') is not a sampler*",
        ),
        (
            "{'x': zenrun.search.int(1, 4)}",
            ", pruner='early'",
            "*hpo: search(pruner='early') is not a pruner*",
        ),
        ("{'x': 3}", "", "*hpo*parameter 'x': 3 is not a distribution*"),
        (
            "{'x': zenrun.search.float(0, 1, step=-0.1)}",
            ", sampler='random'",
            "*hpo*parameter 'x': float() needs step > 0, got step=-0.1*",
        ),
        (
            "{'x': zenrun.search.float(0, 1, step=1e-7), 'y': zenrun.search.int(0, 10**6)}",
            ", sampler='grid', trials=2",
            "*hpo*parameter 'x': sampler='grid' would walk 10,000,001 values of it*",
        ),
        (
            "{'x': zenrun.search.int(0, 999), 'y': zenrun.search.int(0, 9999)}",
            ", sampler='grid', trials=2",
            "*hpo: search(sampler='grid') would walk 10,000,000 points*",
        ),
    ],
)
def test_bad_search_input_is_a_collection_error_naming_pipeline_and_argument(zenrunner, space, args, message):
    zenrunner.makepyfile(
        pipeline_bad=f"""
        import zenrun
        from zenrun import pipeline, step

        @step
        def use(x: float) -> float:
            return x

        @zenrun.mark.search({space}{args})
        @pipeline
        def hpo(x):
            use(x)
        """
    )
    result = zenrunner.run()
    assert result.ret == 2, result.stdout.str()
    result.fnmatch_lines([message])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_metric_no_step_logs_stops_the_study_after_its_first_trial(zenrunner):
    zenrunner.makepyfile(pipeline_hpo=hpo(4).replace('metric="accuracy"', 'metric="f1"'))
    result = zenrunner.run()
    assert result.ret == 1
    result.assert_outcomes(failed=1, skipped=3)
    result.fnmatch_lines(
        [
            "*study hpo stopped: pipeline hpo logs no metric 'f1' (metrics of this trial: accuracy, depth_seen)*",
        ]
    )
    assert len(lines(zenrunner.path / "trains.log")) == 1


@pytest.mark.parametrize("where", ["workers", "dask"])
def test_workers_run_two_trials_at_once(zenrunner, where, request):
    """Under -n 2 (and on a two-worker Dask cluster) a second trial is sampled and started while the first runs: each trial's
    step waits (up to a minute) until two trials are inside it."""
    zenrunner.makepyfile(
        pipeline_pair="""
        import os, time
        import zenrun
        from zenrun import pipeline, step

        HERE = os.path.dirname(os.path.abspath(__file__))

        @step
        def meet(x: float) -> float:
            open(os.path.join(HERE, f"inside-{os.getpid()}-{x}"), "w").close()
            deadline = time.monotonic() + 60
            while len([f for f in os.listdir(HERE) if f.startswith("inside-")]) < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError("no other trial ran at the same time")
                time.sleep(0.02)
            zenrun.log_metadata(score=x)
            return x

        @zenrun.mark.search({"x": zenrun.search.float(0, 1)}, trials=4, metric="score", sampler="random", seed=5)
        @pipeline
        def pair(x):
            meet(x)
        """
    )
    if where == "workers":
        args = ["-n", "2"]
    else:
        args = [
            "--orchestrator",
            "dask",
            "--dask-address",
            request.getfixturevalue("cluster").scheduler_address,
        ]
    result = zenrunner.run(*args)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=4)
    assert len({t.params["x"] for t in study(zenrunner.store, "pair").trials}) == 4


def test_a_storage_that_cannot_be_opened_is_a_usage_error_without_its_password(zenrunner):
    zenrunner.makepyfile(pipeline_hpo=hpo(2))
    result = zenrunner.run("--search-storage", "postgresql://bob:secret@127.0.0.1:1/studies")
    assert result.ret == 4, result.stdout.str() + result.stderr.str()
    result.fnmatch_lines(
        ["ERROR: study hpo of pipeline hpo could not be opened in postgresql://bob:***@127.0.0.1:1/studies*"],
        stderr=True,
    )
    assert "secret" not in result.stdout.str() + result.stderr.str()
    assert not (zenrunner.path / "trains.log").exists()


def test_a_study_in_a_storage_url(zenrunner, tmp_path):
    zenrunner.makepyfile(pipeline_hpo=hpo(3))
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    result = zenrunner.run("--search-storage", url)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=3)
    found = optuna.load_study(study_name="hpo", storage=url)
    assert sorted(t.user_attrs["zenrun_slot"] for t in found.trials) == ["trial-0", "trial-1", "trial-2"]
    assert not (zenrunner.store / "search" / "studies.journal").exists()
    result = zenrunner.run("--search-storage", url, "--show", "hpo")
    result.fnmatch_lines(["study hpo (sqlite:///*studies.db)", "3 complete, 0 pruned, 0 failed*"])


def test_a_trial_logging_a_metric_that_is_no_finite_number_fails_alone(zenrunner):
    """A diverged trial (a NaN loss) fails, saying what it logged; the study goes on."""
    zenrunner.makepyfile(
        pipeline_nan="""
        import math
        import zenrun
        from zenrun import pipeline, step

        @step
        def score(x: int) -> None:
            zenrun.log_metadata(accuracy=math.nan if x == 1 else x / 10)

        @zenrun.mark.search({"x": zenrun.search.categorical([1, 2, 3])}, trials=3, metric="accuracy",
                            sampler="grid")
        @pipeline
        def hpo(x):
            score(x)
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(failed=1, passed=2)
    result.fnmatch_lines(["*trial of study hpo logged accuracy=nan: not a finite number*"])
    assert "stopped" not in result.stdout.str()


SMALL_SEARCH = """
import zenrun
from zenrun import pipeline, step

@step
def score(lr: float) -> None:
    zenrun.log_metadata(METRIC=lr)

@zenrun.mark.search({"lr": zenrun.search.float(LOW, HIGH)}, trials=2, metric="METRIC", sampler="random", seed=1)
@pipeline
def tune(lr):
    score(lr)
"""


def small_search(metric="accuracy", low=0, high=1):
    return SMALL_SEARCH.replace("METRIC", metric).replace("LOW", str(low)).replace("HIGH", str(high))


def test_two_searched_pipelines_of_one_study_name_are_a_usage_error(zenrunner):
    """Each would be sampled in the other's space, and --search-restart of one deleted both."""
    zenrunner.makepyfile(
        **{"a/pipeline_one": small_search(), "b/pipeline_two": small_search(low=10, high=20)}
    )
    result = zenrunner.run("-q")
    assert result.ret == 4, result.stdout.str() + result.stderr.str()
    assert "two searched pipelines make one study 'tune': a/pipeline_one.py and b/pipeline_two.py" in (
        result.stderr.str()
    )


@pytest.mark.parametrize(
    ("metric", "low", "high", "what"), [("latency", 0, 1, "metrics"), ("accuracy", 0, 0.5, "space")]
)
def test_a_study_asked_for_another_metric_or_space_says_so(zenrunner, metric, low, high, what):
    """Its trials would be read as the new search's (a latency reported as the best accuracy,
    a value outside the space as the best configuration)."""
    zenrunner.makepyfile(pipeline_tune=small_search())
    assert zenrunner.run("-q").ret == 0
    zenrunner.makepyfile(pipeline_tune=small_search(metric, low, high))
    result = zenrunner.run("-q")
    assert result.ret == 4, result.stdout.str() + result.stderr.str()
    assert "study tune in" in result.stderr.str() and f"was made with {what}" in result.stderr.str()
    assert "--search-restart starts the study afresh" in result.stderr.str()
    assert zenrunner.run("-q", "--search-restart").ret == 0


def test_a_trial_another_live_session_runs_is_left_to_it(zenrunner):
    """Two sessions on one study: a slot another live process is running is skipped, saying
    so (it was taken for killed and failed, and its result then lost in an INTERNALERROR);
    once that process is gone, its slot runs again."""
    zenrunner.makepyfile(pipeline_tune=small_search().replace("trials=2", "trials=3"))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        zenrunner.runpython(
            f"""
import socket, optuna
from pathlib import Path
from zenrun.search import default_storage, open_storage
storage = open_storage(default_storage(Path({str(zenrunner.store)!r})))
study = optuna.create_study(study_name="tune", storage=storage, direction="maximize")
trial = study.ask({{"lr": optuna.distributions.FloatDistribution(0, 1)}})
trial.set_user_attr("zenrun_slot", "trial-2")
trial.set_user_attr("zenrun_owner", f"{{socket.gethostname()}}:{sleeper.pid}")
"""
        )
        result = zenrunner.run("-rs")
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
        result.assert_outcomes(passed=2, skipped=1)
        result.fnmatch_lines([f"*study tune: trial-2 is running in another session (*:{sleeper.pid})*"])
    finally:
        sleeper.kill()
        sleeper.wait()
    again = zenrunner.run()
    again.assert_outcomes(passed=1, skipped=2)  # its process is gone: the slot runs here


def test_show_names_a_study_whose_parameter_id_holds_colons(zenrunner):
    zenrunner.makepyfile(
        pipeline_tune=small_search()
        .replace("@zenrun.mark.search(", '@zenrun.mark.parametrize("tag", ["::z"])\n@zenrun.mark.search(')
        .replace("def tune(lr):", "def tune(lr, tag):")
    )
    assert zenrunner.run("-q").ret == 0
    for name in ("tune[::z]", "pipeline_tune.py::tune[::z]"):
        shown = zenrunner.run("--show", name)
        assert shown.ret == 0, shown.stdout.str() + shown.stderr.str()
        shown.fnmatch_lines(["*trial-0*"])


def _journal_lines(journal):
    return journal.read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize(("cut", "outcomes"), [(50, {"passed": 1, "skipped": 3}), (1, {"skipped": 4})])
def test_a_journal_line_cut_short_by_a_crash_is_mended_by_the_next_write(zenrunner, cut, outcomes):
    """A crash or a full disk leaves a partial last line; the next write went straight after
    it, making one line nobody can read: every run after was a usage error, and --show an
    INTERNALERROR. A partial line is cut off before the write (the trial it ended runs again);
    one that is a whole record but its newline gets it."""
    zenrunner.makepyfile(pipeline_tune=small_search().replace("trials=2", "trials=4"))
    assert zenrunner.run("-q").ret == 0
    journal = zenrunner.store / "search" / "studies.journal"
    whole = journal.read_bytes()
    journal.write_bytes(whole[:-cut])
    first = zenrunner.run("-q", "-p", "no:results")
    assert first.ret == 0, first.stdout.str() + first.stderr.str()
    first.assert_outcomes(**outcomes)
    if cut > 1:
        first.fnmatch_lines(["*search journal*studies.journal ended in * byte(s) that are no whole record*"])
    kept = whole[: whole.rindex(b"\n", 0, len(whole) - 1) + 1] if cut > 1 else whole
    assert journal.read_bytes().startswith(kept)  # no whole record lost
    assert all(isinstance(json.loads(line), dict) for line in _journal_lines(journal))
    again = zenrunner.run("-q", "-p", "no:results")
    assert again.ret == 0, again.stdout.str() + again.stderr.str()
    again.assert_outcomes(skipped=4)
    shown = zenrunner.run("--show", "tune")
    assert shown.ret == 0, shown.stdout.str() + shown.stderr.str()
    shown.fnmatch_lines(["4 complete, 0 pruned, *"])
    check = zenrunner.run("--store-check")
    assert check.ret == 0, check.stdout.str()
    check.fnmatch_lines(["*search/studies.journal: ok"])


def test_a_journal_damaged_in_the_middle_is_said_checked_repaired_or_restarted(zenrunner):
    """A line that is no record with more after it: a run was a usage error with Optuna's
    JSONDecodeError, --search-restart did not help, --show was an INTERNALERROR and
    --store-check said ok. Each names the file and line now; --store-repair and
    --search-restart set the file aside and keep the records before that line."""
    zenrunner.makepyfile(pipeline_tune=small_search().replace("trials=2", "trials=4"))
    assert zenrunner.run("-q").ret == 0
    journal = zenrunner.store / "search" / "studies.journal"
    lines = _journal_lines(journal)
    journal.write_bytes(b"".join([*lines[:6], b'{"op_code": 5, "worker_id": gar\n', *lines[6:]]))
    damaged = journal.read_bytes()
    said = f"ERROR: the search journal {journal} is damaged at line 7 (not a JSON record: *"
    for args, code in [(("-q",), 4), (("--show", "tune"), 4)]:
        result = zenrunner.run(*args)
        assert result.ret == code, result.stdout.str() + result.stderr.str()
        assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
        result.fnmatch_lines([said + "--store-repair*--search-restart*"], stderr=True)
    check = zenrunner.run("--store-check")
    assert check.ret == 1, check.stdout.str()
    check.fnmatch_lines(["*search/studies.journal: DAMAGED at line 7 (not a JSON record*--store-repair*"])

    restart = zenrunner.run("-q", "--search-restart", "-p", "no:results")
    assert restart.ret == 0, restart.stdout.str() + restart.stderr.str()
    restart.assert_outcomes(passed=4)
    restart.fnmatch_lines(["*studies.journal was damaged at line 7*set aside as *studies.journal.corrupt-*"])
    (aside,) = journal.parent.glob("studies.journal.corrupt-*")
    assert aside.read_bytes() == damaged
    assert _journal_lines(journal)[:6] == lines[:6]
    assert zenrunner.run("-q").ret == 0

    journal.write_bytes(damaged)
    repair = zenrunner.run("--store-repair")
    assert repair.ret == 0, repair.stdout.str() + repair.stderr.str()
    repair.fnmatch_lines(["search/studies.journal was damaged at line 7 *: kept the 6 record(s) before it*"])
    assert _journal_lines(journal) == lines[:6]
    assert len(list(journal.parent.glob("studies.journal.corrupt-*"))) == 2  # both damaged files kept
    assert zenrunner.run("--store-check").ret == 0
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()


RESTARTED_MEANWHILE = """
import os, subprocess, sys
import zenrun
from zenrun import pipeline, step

@step
def score(lr: float) -> None:
    for epoch in range(3):
        marker = os.path.join(os.path.dirname(__file__), "restarted")
        if epoch == 1 and not os.environ.get("OTHER_SESSION") and not os.path.exists(marker):
            open(marker, "w").close()
            # another session, in another terminal, restarts the study while this trial runs
            other = subprocess.run(
                [sys.executable, "-m", "zenrun", "-q", "--search-restart"],
                cwd=os.path.dirname(__file__), env={**os.environ, "OTHER_SESSION": "1"},
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
            )
            assert other.returncode == 0, other.stdout + other.stderr
        zenrun.report(lr * epoch, step=epoch)
    zenrun.log_metadata(accuracy=lr)

@zenrun.mark.search(
    {"lr": zenrun.search.float(0, 1)}, trials=3, metric="accuracy", sampler="random", seed=1, pruner="median"
)
@pipeline
def tune(lr):
    score(lr)
"""


def test_a_study_another_session_restarts_meanwhile_stops_saying_so(zenrunner):
    """Another session's ``--search-restart`` deletes the study while this one runs it: the
    running trial's run is recorded, the trials not started are skipped saying why, and the
    session ends normally (each later trial, the study's table and the step's
    ``zenrun.report`` were an INTERNALERROR or a failure on Optuna's ``KeyError: 'Record
    does not exist.'``)."""
    zenrunner.makepyfile(pipeline_tune=RESTARTED_MEANWHILE)
    result = zenrunner.run("-rs")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 0, out
    assert "INTERNALERROR" not in out and "KeyError" not in out, out
    result.assert_outcomes(passed=1, skipped=2)
    result.fnmatch_lines(["*study tune stopped: it was deleted by another session (--search-restart)*"])
    runs = read_store(zenrunner.store).get_runs()
    assert sorted(r.status for r in runs) == ["completed"] * 4  # 3 by the other session, 1 here
    shown = zenrunner.run("--show", "tune")  # the new study, the other session's
    assert shown.ret == 0
    shown.fnmatch_lines(["3 complete, 0 pruned, 0 failed*"])
