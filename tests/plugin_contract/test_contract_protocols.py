"""The public plugin contract: protocols, the built-ins that implement them, and the
start-up check of objects that plugin factories return."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from test_contract_errors import PIPELINES, make_distribution

import zenrun
from zenrun import ArtifactRef, PipelineRun, StepRun, protocols
from zenrun.config import create_config
from zenrun.testing import read_store

ROOT = Path(__file__).resolve().parents[2]

PIPELINE = PIPELINES  # alpha: one -> add; beta: one


def test_builtins_implement_the_protocols(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zenrun.toml").write_text("")
    config = create_config([], load_conftests=False)
    config.hook.zenrun_configure.call_historic(kwargs=dict(config=config))
    try:
        assert isinstance(config.artifact_store, protocols.ArtifactStore)
        assert isinstance(config.metadata_store, protocols.MetadataStore)
        assert isinstance(config.cache, protocols.Cache)
        assert isinstance(config.materializers, protocols.MaterializerRegistry)
        for materializer in config.materializers.all:
            assert isinstance(materializer, protocols.Materializer)
        for name in ("local", "parallel"):
            assert isinstance(config.make_orchestrator(name), protocols.Orchestrator)
        digest, size = config.artifact_store.put(b"abc")
        config.artifact_store.sync()
        assert (size, config.artifact_store.get(digest)) == (3, b"abc")
    finally:
        config._ensure_unconfigure()


def test_every_protocol_member_is_documented():
    for name in protocols.__all__:
        obj = getattr(protocols, name)
        assert obj.__doc__, name
        if isinstance(obj, type) and getattr(obj, "_is_protocol", False):
            for member, value in vars(obj).items():
                if callable(value) and not member.startswith("_"):
                    assert value.__doc__, f"{name}.{member}"
            assert getattr(zenrun, name) is obj  # re-exported where plugin authors look


def test_execution_handle_fits_its_protocol(zenrunner):
    zenrunner.makeconftest("""
        import zenrun
        from zenrun.protocols import Execution, missing_members

        class Checking:
            name = "checking"

            def run(self, execution):
                print("MISSING", missing_members(execution, Execution))
                print("IS_EXECUTION", isinstance(execution, zenrun.Execution))
                for step_id in execution.order:
                    task = execution.prepare(step_id)
                    if task is not None:
                        execution.complete(task, zenrun.execute_task(
                            task, execution.artifact_store, execution.materializers))

        @zenrun.hookimpl
        def zenrun_make_orchestrator(config, name):
            return Checking() if name == "checking" else None
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run("--orchestrator", "checking")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*MISSING []*", "*IS_EXECUTION True*"])


def test_a_factory_object_missing_methods_is_a_usage_error(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        class HalfStore:
            def put(self, data):
                return "x", len(data)
            def get(self, digest):
                return b""

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_artifact_store(config):
            return HalfStore()
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run()
    assert result.ret == 4, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*artifact store made by zenrun_make_artifact_store*HalfStore*"
            "not a zenrun.protocols.ArtifactStore: it lacks exists, sync, verify*"
        ],
        stderr=True,
    )
    assert "Traceback" not in result.stderr
    assert "PASSED" not in result.stdout and " passed" not in result.stdout


def _private_zenrun_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "zenrun":
            parts = node.module.split(".") + [a.name for a in node.names]
            if any(p.startswith("_") and p != "__future__" for p in parts):
                found.append(
                    f"{path.name}:{node.lineno}: from {node.module} import "
                    + ", ".join(a.name for a in node.names)
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "zenrun" and any(
                    p.startswith("_") for p in alias.name.split(".")
                ):
                    found.append(f"{path.name}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            # zenrun.x._private, or execution._private on objects zenrun hands out
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in ("zenrun", "execution", "config", "task"):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_plugins_use_only_public_zenrun_names():
    files = sorted((ROOT / "plugins").rglob("*.py"))
    assert files
    problems = [p for f in files for p in _private_zenrun_imports(f)]
    assert problems == []


def test_the_lint_catches_private_names(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from zenrun.cache import _is_project_code\nimport zenrun._x\n"
        "def f(execution):\n    execution._load_with_repair(1)\n"
    )
    assert len(_private_zenrun_imports(bad)) == 3


def test_import_zenrun_stays_light():
    code = (
        "import sys, zenrun, zenrun.protocols, zenrun.remote, zenrun.hookspec; "
        "print(sorted(m for m in ('dash', 'dask', 'distributed', 'mlflow', 'pandas', "
        "'sklearn', 'fsspec') if m in sys.modules))"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_hook_is_documented_with_its_result_semantics():
    import importlib
    import inspect

    hookspec = importlib.import_module("zenrun.hookspec")  # zenrun.hookspec is the marker
    hooks = [getattr(hookspec, n) for n in dir(hookspec) if n.startswith("zenrun_")]
    assert len(hooks) >= 25
    for hook in hooks:
        doc = inspect.getdoc(hook)
        assert doc and len(doc) > 40, hook.__name__
        if hook.zenrun_spec["firstresult"]:
            assert "firstresult" in doc, hook.__name__
        for name, annotation in inspect.signature(hook).parameters.items():
            assert annotation.annotation not in ("Any", inspect.Parameter.empty), (hook.__name__, name)


def test_a_materializer_missing_members_is_a_usage_error(zenrunner):
    zenrunner.makepyfile(
        halfmat="""
        class Half:
            name, version = "half", "1"

            def can_save(self, value):
                return False

        def zenrun_register_materializers(registry):
            registry.register(Half())
    """
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run("-p", "halfmat")
    assert result.ret == 4, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "ERROR: zenrun_register_materializers of plugin 'halfmat': *Half* is not a "
            "zenrun.protocols.Materializer: it lacks dumps, loads"
        ],
        stderr=True,
    )
    assert "Traceback" not in result.stderr


RECORDED = """
import zenrun
from zenrun import Output, StepConfig, pipeline, step


class Scale(StepConfig):
    factor: int = 2


@step
def numbers() -> Output(values=list, count=int):
    print("made numbers")
    return [1, 2, 3], 3


@step
def total(config: Scale, values: list, count: int) -> float:
    zenrun.log_metadata(total=sum(values) * config.factor, note="x")
    return sum(values) * config.factor / count


@zenrun.mark.parametrize("k", [1])
@pipeline
def summed(k):
    values, count = numbers()
    total(values, count)
"""


def test_records_round_trip_through_json_as_a_store_plugin_keeps_them(zenrunner):
    """``as_dict`` / ``from_dict``: what a store that keeps records as JSON writes and reads
    back is the record zenrun made, its artifacts readable."""
    zenrunner.makepyfile(pipeline_rec=RECORDED)
    for _ in range(2):  # computed, then cached
        result = zenrunner.run()
        assert result.ret == 0, result.stdout + result.stderr
    store = read_store(zenrunner.store)
    runs = store.get_runs()
    assert [run.status for run in runs] == ["completed", "completed"]
    for run in runs:
        data = json.loads(json.dumps(run.as_dict()))
        steps = {
            step_id: StepRun.from_dict(json.loads(json.dumps(step.as_dict())), data["artifact_store"])
            for step_id, step in run.steps.items()
        }
        restored = PipelineRun.from_dict(data, steps)
        assert restored.as_dict() == run.as_dict()
        assert restored.metrics == run.metrics == {"total": 12, "note": "x"}
        assert list(restored.steps) == list(run.steps) == ["numbers", "total"]
        for step_id, step in run.steps.items():
            assert restored.steps[step_id] == step  # every compared field, refs included
            assert restored.steps[step_id].as_dict() == step.as_dict()
        total = restored.steps["total"]
        assert total.inputs["values"][0][:2] == ("numbers", "values")
        assert isinstance(total.inputs["values"][0][2], ArtifactRef)
        assert total.output.read() == 4.0 and total.config == {"factor": 2}
        assert "made numbers" in restored.steps["numbers"].captured.get("stdout", "") or run is runs[1]
        ref = run.steps["numbers"].outputs["values"]
        assert ArtifactRef.from_dict(json.loads(json.dumps(ref.as_dict()))) == ref
    assert runs[1].steps["numbers"].status == "cached"
    # a running run keeps no metrics: they are computed once its steps are known
    running = PipelineRun(name="r", pipeline_name="p")
    assert PipelineRun.from_dict(running.as_dict()).as_dict()["metrics"] is None


THREAD_ORCHESTRATOR = """
import concurrent.futures

import zenrun
from zenrun.remote import SchedulingOrchestrator, execute_task


class ThreadExecutor:
    remote = False

    def __init__(self, workers):
        self.workers = workers
        self.pool = concurrent.futures.ThreadPoolExecutor(workers)
        self.futures = {}

    def free_slots(self):
        return self.workers - len(self.futures)

    def submit(self, key, task, execution):
        self.futures[key] = self.pool.submit(
            execute_task, task, execution.artifact_store, execution.materializers
        )

    def wait(self, timeout):
        if not self.futures:
            return []
        done, _ = concurrent.futures.wait(
            list(self.futures.values()), timeout=timeout, return_when="FIRST_COMPLETED"
        )
        finished = []
        for key, future in list(self.futures.items()):
            if future in done:
                del self.futures[key]
                try:
                    finished.append((key, future.result()))
                except BaseException as exc:
                    finished.append((key, exc))
        return finished

    def cancel(self, keys):
        for key in keys:
            self.futures.pop(key).cancel()

    def close(self):
        self.pool.shutdown()
        print("threads closed")


class ThreadOrchestrator(SchedulingOrchestrator):
    name = "threads"

    def __init__(self, workers):  # no super().__init__(): the base needs none
        self.workers = workers
        self.executor = None  # made by make_executor on first use

    def make_executor(self):
        return ThreadExecutor(self.workers)


@zenrun.hookimpl
def zenrun_backend_names(kind):
    return ["threads"] if kind == "orchestrator" else None


@zenrun.hookimpl
def zenrun_make_orchestrator(config, name):
    if name != "threads":
        return None
    orchestrator = ThreadOrchestrator(2)
    config.add_cleanup(orchestrator.close)
    return orchestrator
"""


def test_an_installed_scheduling_orchestrator_runs_every_pipeline_and_closes(zenrunner, tmp_path):
    """``SchedulingOrchestrator`` as the plugin guide describes it: ``make_executor`` is all
    a subclass writes; the base's ``close`` closes the executor at the end of the session."""
    site = make_distribution(
        tmp_path / "site",
        "zenrun-threads",
        "0.1",
        {"threads": "zenrun_threads"},
        {"zenrun_threads": THREAD_ORCHESTRATOR},
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run("-s", "--orchestrator", "threads", env={"PYTHONPATH": str(site)})
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*orchestrator: threads*", "*2 passed*"])
    assert result.stdout.count("threads closed") == 1
    runs = read_store(zenrunner.store).get_runs()
    assert sorted(run.orchestrator for run in runs) == ["threads", "threads"]


CHECKING_ORCHESTRATOR = """
import zenrun
from zenrun.remote import execute_task


class Picky:
    name = "picky"

    def warm_up(self):
        print("warming up")

    def check(self, composed):
        if composed.name == "alpha":
            return "picky runs no pipeline called alpha"
        return None

    def run(self, execution):
        for step_id in execution.order:
            if execution.blocked(step_id):
                execution.skip(step_id)
                continue
            task = execution.prepare(step_id)
            if task is not None:
                execution.complete(task, execute_task(task, execution.artifact_store, execution.materializers))


@zenrun.hookimpl
def zenrun_make_orchestrator(config, name):
    return Picky() if name == "picky" else None
"""


def test_an_orchestrators_optional_check_and_warm_up_are_called(zenrunner, tmp_path):
    """The optional members the Orchestrator protocol lists: ``warm_up`` once before the
    items, ``check`` per item (a text makes the item an error, nothing of it runs)."""
    site = make_distribution(
        tmp_path / "site",
        "zenrun-picky",
        "0.1",
        {"picky": "zenrun_picky"},
        {"zenrun_picky": CHECKING_ORCHESTRATOR},
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    result = zenrunner.run("-s", "--orchestrator", "picky", env={"PYTHONPATH": str(site)})
    assert result.ret == 1, result.stdout + result.stderr
    assert result.stdout.count("warming up") == 1
    result.fnmatch_lines(["*ERROR*alpha*picky runs no pipeline called alpha*", "*1 passed, 1 error*"])
    assert [run.pipeline_name for run in read_store(zenrunner.store).get_runs()] == ["beta"]


BATCH_VERIFYING_STORE = """
import hashlib
import json
from pathlib import Path

import zenrun


class BatchStore(zenrun.ArtifactStore):
    def __init__(self, root):
        self.root = Path(root)
        self.url = "batch://" + str(self.root)

    def path(self, digest):
        return self.root / digest

    def put(self, data):
        digest = hashlib.sha256(data).hexdigest()
        self.root.mkdir(parents=True, exist_ok=True)
        self.path(digest).write_bytes(data)
        return digest, len(data)

    def get(self, digest):
        try:
            data = self.path(digest).read_bytes()
        except FileNotFoundError:
            raise zenrun.ArtifactError(digest + " is missing") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise zenrun.ArtifactError(digest + " is corrupt")
        return data

    def exists(self, digest, size=None):
        return self.path(digest).exists()

    def verify(self, digest, size):
        self._log("verify", [digest])
        try:
            return len(self.get(digest)) == size
        except zenrun.ArtifactError:
            return False

    def verify_many(self, refs):
        self._log("verify_many", [digest for digest, _ in refs])
        return {digest: self.path(digest).exists() for digest, _ in refs}  # trusts what is there

    def sync(self):
        pass

    def _log(self, what, digests):
        with open(self.root.parent / "calls.jsonl", "a") as fh:
            fh.write(json.dumps([what, digests]) + "\\n")


@zenrun.hookimpl(tryfirst=True)
def zenrun_make_artifact_store(config):
    return BatchStore(config.store_path / "batch")
"""


def test_an_artifact_stores_optional_verify_many_answers_a_reruns_hits(zenrunner, tmp_path):
    """``verify_many``, as the ArtifactStore protocol lists it: a cached rerun asks it for the
    outputs of the hits it looks up ahead; what it trusts is not verified again one by one."""
    site = make_distribution(
        tmp_path / "site",
        "zenrun-batch",
        "0.1",
        {"batch": "zenrun_batch"},
        {"zenrun_batch": BATCH_VERIFYING_STORE},
    )
    env = {"PYTHONPATH": str(site)}
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    assert zenrunner.run(env=env).ret == 0
    calls = zenrunner.store / "calls.jsonl"
    calls.unlink(missing_ok=True)
    result = zenrunner.run("-k", "alpha", env=env)
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*alpha*2/2*"])
    logged = [json.loads(line) for line in calls.read_text().splitlines()]
    batched = {digest for what, digests in logged if what == "verify_many" for digest in digests}
    one_by_one = [digest for what, digests in logged if what == "verify" for digest in digests]
    assert batched, logged  # the hits ahead were verified in a batch
    assert not batched & set(one_by_one), logged  # and not again one by one
    assert len(batched) + len(one_by_one) == 2  # each cached output verified once


COUNTING_COMMAND = """
import zenrun


@zenrun.hookimpl
def zenrun_addoption(parser):
    parser.addoption("--count-runs", action="store_true", help="print the recorded runs per status and exit")


@zenrun.hookimpl
def zenrun_cmdline_main(config):
    if not config.getoption("count_runs"):
        return None
    runs = config.metadata_store.get_runs()
    print("runs:", {status: sum(r.status == status for r in runs) for status in ("completed", "failed")})
    print("cached:", sum(config.cache.lookup(s.cache_key) is not None for r in runs for s in r.steps.values()))
    print("materializers:", config.materializers.for_value(1).name)
    print("orchestrator:", config.make_orchestrator().name)
    return zenrun.ExitCode.OK
"""


def test_a_plugin_command_reads_the_sessions_stores_from_config(zenrunner, tmp_path):
    """``config.metadata_store``, ``.cache``, ``.materializers`` and ``.make_orchestrator()``, as
    the Config reference lists them, serve a plugin's command (``zenrun_cmdline_main``)."""
    site = make_distribution(
        tmp_path / "site",
        "zenrun-count",
        "0.1",
        {"count": "zenrun_count"},
        {"zenrun_count": COUNTING_COMMAND},
    )
    env = {"PYTHONPATH": str(site)}
    zenrunner.makepyfile(pipeline_demo=PIPELINE)
    assert zenrunner.run(env=env).ret == 0
    result = zenrunner.run("--count-runs", env=env)
    assert result.ret == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "runs: {'completed': 2, 'failed': 0}",
        "cached: 4",
        "materializers: json",
        "orchestrator: local",
    ]
