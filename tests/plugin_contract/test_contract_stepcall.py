"""``zenrun_step_call`` wraps the step where it runs (worker processes included), and
``@step(settings=...)`` carries per-step settings validated by the plugin owning them."""

from __future__ import annotations

import json
import os

TRACKER = """
import os
import pydantic
import zenrun


class TrackSettings(pydantic.BaseModel):
    label: str = "none"
    level: int = 0


@zenrun.hookimpl
def zenrun_step_settings():
    return {"track": TrackSettings}


@zenrun.hookimpl(wrapper=True)
def zenrun_step_call(step_run, call):
    settings = step_run.settings["track"]
    print(f"BEFORE {step_run.id} label={settings.label} level={settings.level} pid={os.getpid()}",
          flush=True)
    try:
        result = yield
    except Exception as exc:
        print(f"SAW-FAILURE {step_run.id} {type(exc).__name__}", flush=True)
        raise
    with open(os.environ["TRACK_LOG"], "a") as fh:
        fh.write(f"{step_run.id} {os.getpid()} {call.result!r} {settings.label}\\n")
    print(f"AFTER {step_run.id} result={call.result!r}", flush=True)
    return result
"""

PIPELINE = """
from zenrun import pipeline, step


@step(settings={"track": {"label": "from-decorator", "level": 1}, "other": {"x": 1}})
def one() -> int:
    return 1


@step
def add(x: int) -> int:
    return x + 1


@step
def boom(x: int) -> int:
    raise ValueError("step exploded")


@pipeline
def alpha():
    add(one())


@pipeline
def failing():
    boom(one())
"""

# A third party's process-pool orchestrator, written from the public API only.
POOL = """
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import zenrun
from zenrun.remote import InputArtifactError, execute_task, pack_task, run_packed_task


class PoolOrchestrator:
    name = "pool"

    def run(self, execution):
        print("DRIVER", os.getpid(), flush=True)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            for step_id in execution.order:
                if execution.blocked(step_id):
                    execution.skip(step_id)
                    continue
                task = execution.prepare(step_id, load=False)
                if task is None:
                    continue
                payload = pack_task(task, execution.artifact_store, execution.materializers)
                try:
                    result = pool.submit(run_packed_task, payload).result()
                except InputArtifactError:
                    execution.load_inputs(task)
                    result = execute_task(task, execution.artifact_store, execution.materializers)
                execution.complete(task, result)


@zenrun.hookimpl
def zenrun_make_orchestrator(name):
    return PoolOrchestrator() if name == "pool" else None
"""


def _log(zenrunner):
    path = zenrunner.path / "track.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_step_call_wraps_in_process_with_validated_settings(zenrunner):
    zenrunner.makeconftest(TRACKER)
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    log = str(zenrunner.path / "track.log")
    # -s: the wrapper's prints are part of the step's captured output otherwise
    result = zenrunner.run("-s", "-k", "alpha", env={"TRACK_LOG": log})
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*BEFORE one label=from-decorator level=1*",
            "*AFTER one result=1*",
            "*BEFORE add label=none level=0*",
            "*AFTER add result=2*",
        ]
    )
    assert [(r[0], r[2], r[3]) for r in _log(zenrunner)] == [
        ("one", "1", "from-decorator"),
        ("add", "2", "none"),
    ]

    # the run config overrides a key; the decorator's other keys stay
    zenrunner.makefile(".yaml", run="steps:\n  one:\n    settings:\n      track: {level: 7}\n")
    result = zenrunner.run("-s", "-k", "alpha", "--no-cache", "--config", "run.yaml", env={"TRACK_LOG": log})
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*BEFORE one label=from-decorator level=7*"])


def test_step_exception_passes_through_the_wrapper_and_is_the_steps(zenrunner):
    zenrunner.makeconftest(TRACKER)
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run(
        "-s", "--tb=short", "-k", "failing", env={"TRACK_LOG": str(zenrunner.path / "t.log")}
    )
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*SAW-FAILURE boom ValueError*",
            "*step 'boom' failed:*",
            "*pipeline_demo.py*in boom*",
            "*ValueError: step exploded*",
        ]
    )
    failure = result.stdout[result.stdout.index("FAILURES") :]
    assert "pluggy" not in failure and "conftest.py" not in failure and "INTERNALERROR" not in failure


def test_invalid_settings_fail_before_any_step_runs(zenrunner):
    zenrunner.makeconftest(TRACKER)
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    zenrunner.makefile(".yaml", run="steps:\n  one:\n    settings:\n      track: {level: high}\n")
    result = zenrunner.run(
        "-k", "alpha", "--config", "run.yaml", env={"TRACK_LOG": str(zenrunner.path / "t.log")}
    )
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(["*pipeline 'alpha', step 'one': settings.track.level: *integer*'high'*"])
    assert "BEFORE" not in result.stdout


def test_step_call_runs_in_the_worker_process(zenrunner):
    zenrunner.makeconftest(TRACKER + POOL)
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    log = str(zenrunner.path / "track.log")
    result = zenrunner.run("-k", "alpha", "--orchestrator", "pool", env={"TRACK_LOG": log})
    assert result.ret == 0, result.stdout + result.stderr
    rows = _log(zenrunner)
    assert [(r[0], r[2], r[3]) for r in rows] == [("one", "1", "from-decorator"), ("add", "2", "none")]
    driver_pid = next(line for line in result.outlines if "DRIVER" in line).split()[-1]
    worker_pids = {r[1] for r in rows}
    assert len(worker_pids) == 1 and driver_pid not in worker_pids
    runs = zenrunner.runpython(
        "import json; from zenrun import get_pipeline\n"
        "run = get_pipeline('alpha').last_run\n"
        "print(json.dumps({i: s.status for i, s in run.steps.items()}))"
    )
    assert json.loads(runs.outlines[-1]) == {"one": "completed", "add": "completed"}


PROFILER = """
import zenrun


@zenrun.hookimpl(wrapper=True)
def zenrun_step_call(step_run, call):
    result = yield
    zenrun.log_metadata(accuracy=-1.0, wall=0.25)  # a wrapper: its plugin's, not the user's
    zenrun.log_plugin_metadata("profiler", calls=1)
    return result
"""

METRICS_PIPELINE = """
import zenrun
from zenrun import pipeline, step


@step
def train(rate: float) -> int:
    zenrun.log_metadata(accuracy=rate * 2)
    return 1


@pipeline
@zenrun.mark.parametrize("rate", [0.1, 0.4])
def grid(rate):
    train(rate)
"""


def test_metadata_a_wrapper_logs_is_its_plugins_not_the_users_metrics(zenrunner):
    zenrunner.makeconftest(PROFILER)
    zenrunner.makepyfile(pipeline_grid=METRICS_PIPELINE)
    result = zenrunner.run("--sort-by", "accuracy", "-n", "2")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*grid*rate*accuracy*", "*0.4*0.8*", "*0.1*0.2*"])
    assert " wall" not in result.stdout and "-1.0" not in result.stdout
    out = zenrunner.runpython(
        "import json, zenrun\n"
        "for run in sorted(zenrun.get_pipeline('grid').runs, key=lambda r: r.params['rate']):\n"
        "    step = run.steps['train']\n"
        "    print(json.dumps([run.metrics, step.metadata, step.plugin_metadata]))"
    )
    rows = [json.loads(line) for line in out.outlines if line.startswith("[")]
    assert rows == [
        [
            {"accuracy": rate * 2},
            {"accuracy": rate * 2},
            {"conftest": {"accuracy": -1.0, "wall": 0.25}, "profiler": {"calls": 1}},
        ]
        for rate in (0.1, 0.4)
    ]
    shown = zenrunner.run("--show", "grid[0.4]")
    shown.fnmatch_lines(
        [
            "metadata: accuracy=0.8",
            "metadata of plugin conftest: accuracy=-1, wall=0.25",
            "metadata of plugin profiler: calls=1",
        ]
    )


LOCKED_PLUGIN = """
import threading

import zenrun

LOCK = threading.Lock()  # module state no pickle can carry
CALLS = []


@zenrun.hookimpl(wrapper=True)
def zenrun_step_call(step_run, call):
    with LOCK:
        CALLS.append(step_run.id)
    zenrun.log_plugin_metadata("locked", calls=len(CALLS))
    return (yield)
"""


def test_pack_task_imports_an_editable_plugin_on_the_worker(zenrunner, tmp_path):
    """A plugin installed in editable mode (its files outside site-packages) is imported
    by the worker, not pickled by value with its module's lock."""
    from test_contract_errors import make_distribution

    site = make_distribution(tmp_path / "site", "zenrun-locked", "1.0", {"locked": "zenrun_locked"}, {})
    (next(site.glob("*.dist-info")) / "top_level.txt").write_text("zenrun_locked\n")
    source = tmp_path / "src"  # where an editable install leaves the code
    source.mkdir()
    (source / "zenrun_locked.py").write_text(LOCKED_PLUGIN)
    zenrunner.makeconftest(POOL.replace("import zenrun\n", "import os\nimport zenrun\n", 1))
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(source)])}
    result = zenrunner.run("-k", "alpha", "--orchestrator", "pool", env=env)
    assert result.ret == 0, result.stdout + result.stderr
    assert "cannot pickle" not in result.stdout + result.stderr
    out = zenrunner.runpython(
        "import json, zenrun\n"
        "run = zenrun.get_pipeline('alpha').last_run\n"
        "print(json.dumps({i: [s.output.read(), s.plugin_metadata] for i, s in run.steps.items()}))",
        env=env,
    )
    steps = json.loads(out.outlines[-1])
    assert steps == {"one": [1, {"locked": {"calls": 1}}], "add": [2, {"locked": {"calls": 2}}]}


def test_a_plugin_orchestrators_traceback_shows_the_users_source(zenrunner):
    zenrunner.makeconftest(POOL.replace("import zenrun\n", "import os\nimport zenrun\n", 1))
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run("-k", "failing", "--orchestrator", "pool")
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*step 'boom' failed:*",
            "    @step",
            "    def boom(x: int) -> int:",
            '>       raise ValueError("step exploded")',
            "E       ValueError: step exploded",
            "",
            "pipeline_demo.py:*: ValueError",
        ]
    )
    assert "dynamic-code" not in result.stdout and "???" not in result.stdout
