"""Plugins written from the plugin guide and the protocol references alone, one of each kind:
an artifact store (its own folder layout), a metadata store and cache (JSON lines), a thread
pool orchestrator, a reporter, an option with configuration keys, a plugin's own hooks and a
materializer. They are loaded as the guide allows (a top-level conftest's ``zenrun_plugins``,
``-p``), and used through the command line, the Python API and the store conformance kit."""

from __future__ import annotations

import os
import subprocess
import sys
import time

DOC_DIRSTORE = r'''
"""--artifact-store dir:///PATH : artifacts as <root>/<digest[:3]>/<digest>.bin."""

import hashlib
import os
import tempfile
import time
from pathlib import Path

import zenrun


class DirArtifactStore(zenrun.ArtifactStore):
    def __init__(self, root):
        self.root = Path(root)
        self.url = "docdir://" + str(self.root.absolute())

    def path(self, digest):
        return self.root / digest[:3] / (digest + ".bin")

    def put(self, data):
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if self.verify(digest, len(data)):
            os.utime(path)  # written again: --gc must keep it
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        return digest, len(data)

    def get(self, digest):
        try:
            data = self.path(digest).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise zenrun.ArtifactError(f"artifact {digest[:12]} missing: {exc}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise zenrun.ArtifactError(f"artifact {digest[:12]} does not match its hash")
        return data

    def exists(self, digest, size=None):
        try:
            st = self.path(digest).stat()
        except OSError:
            return False
        return size is None or st.st_size == size

    def verify(self, digest, size):
        try:
            return len(self.get(digest)) == size
        except zenrun.ArtifactError:
            return False

    def sync(self):
        pass

    def uri(self, digest):
        return str(self.path(digest))

    def collect(self, keep, older_than, dry_run=False):
        count = size = 0
        for path in self.root.glob("*/*.bin"):
            digest = path.name[:-4]
            st = path.stat()
            if digest in keep or st.st_mtime >= older_than:
                continue
            count += 1
            size += st.st_size
            if not dry_run:
                path.unlink()
        return count, size


def _open(url):
    return DirArtifactStore(url.removeprefix("docdir://"))


@zenrun.hookimpl
def zenrun_backend_names(kind):
    return ["docdir"] if kind == "artifact_store" else None


@zenrun.hookimpl
def zenrun_make_artifact_store(config):
    url = config.artifact_store_url
    if url and url.startswith("docdir://"):
        return _open(url)
    return None


@zenrun.hookimpl
def zenrun_open_artifact_store(config, url):
    return _open(url) if url.startswith("docdir://") else None
'''

DOC_JSONL = r'''
"""--store jsonl:///DIR : runs and steps as JSON lines in DIR/runs.jsonl, the cache in DIR/cache.jsonl."""

import fcntl
import json
import threading
from contextlib import contextmanager
from pathlib import Path

import zenrun
from zenrun.protocols import later_run_name


@contextmanager
def _locked(path):
    with open(str(path) + ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _append(path, lines):
    with _locked(path), open(path, "a") as fh:
        for line in lines:
            fh.write(json.dumps(line) + "\n")


def _read(path):
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class JsonlMetadataStore(zenrun.MetadataStore):
    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.file = self.root / "runs.jsonl"
        self.lock = threading.Lock()
        self.pending = []

    def create_run(self, run):
        with _locked(self.file):
            lines = _read(self.file)
            names = {line["run"]["name"] for line in lines if line["kind"] == "run"}
            while run.name in names:
                run.name = later_run_name(run.name)
            ids = [line["run"]["id"] for line in lines if line["kind"] == "run"]
            run.id = max(ids, default=0) + 1
            with open(self.file, "a") as fh:
                fh.write(json.dumps({"kind": "run", "run": run.as_dict()}) + "\n")

    def record_step(self, run, step_run):
        with self.lock:
            self.pending.append({"kind": "step", "run_id": run.id, "step": step_run.as_dict()})

    def flush(self, before_commit=None):
        with self.lock:
            pending, self.pending = self.pending, []
        if before_commit is not None:
            before_commit()
        if pending:
            _append(self.file, pending)

    def finish_run(self, run):
        self.flush()
        _append(self.file, [{"kind": "run", "run": run.as_dict()}])

    def _docs(self):
        runs, steps, logged, deleted = {}, {}, {}, set()
        for line in _read(self.file):
            if line["kind"] == "run":
                runs[line["run"]["id"]] = line["run"]
            elif line["kind"] == "step":
                steps.setdefault(line["run_id"], {})[line["step"]["id"]] = line["step"]
            elif line["kind"] == "deleted":
                deleted.add(line["run_id"])
                logged.update(line["logged"])
        return runs, steps, logged, deleted

    def get_runs(self, pipeline=None):
        runs, steps, _, deleted = self._docs()
        out = []
        for run_id in sorted(runs):
            if run_id in deleted:
                continue
            data = runs[run_id]
            url = data.get("artifact_store")
            records = {
                sid: zenrun.StepRun.from_dict(s, url) for sid, s in steps.get(run_id, {}).items()
            }
            run = zenrun.PipelineRun.from_dict(data, records)
            if pipeline is None or run.pipeline_name == pipeline:
                out.append(run)
        return out

    def get_run(self, name):
        runs = self.get_runs()
        if name == "latest":
            return runs[-1] if runs else None
        return next((r for r in runs if r.name == name), None)

    def logged_metadata(self, cache_key):
        found = super().logged_metadata(cache_key)
        if found is None:
            found = self._docs()[2].get(cache_key)
        return found

    def delete_runs(self, names):
        lines = []
        for run in self.get_runs():
            if run.name in names:
                logged = {
                    s.cache_key: s.metadata
                    for s in run.steps.values()
                    if s.status == "completed" and s.cache_key and s.metadata
                }
                lines.append({"kind": "deleted", "run_id": run.id, "logged": logged})
        _append(self.file, lines)


class JsonlCache(zenrun.Cache):
    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.pending = {}

    def _stored(self):
        data = {}
        for line in _read(self.path):
            if line.get("clear"):
                data.clear()
            else:
                data[line["key"]] = line["entry"]
        return data

    def lookup(self, key):
        with self.lock:
            if key in self.pending:
                return self.pending[key]
        return self._stored().get(key)

    def put(self, key, outputs):
        with self.lock:
            self.pending[key] = outputs

    def flush(self, before_commit=None):
        with self.lock:
            pending, self.pending = self.pending, {}
        if before_commit is not None:
            before_commit()
        if pending:
            _append(self.path, [{"key": k, "entry": v} for k, v in pending.items()])

    def clear(self):
        with self.lock:
            self.pending.clear()
        _append(self.path, [{"clear": True}])

    def entries(self):
        data = self._stored()
        with self.lock:
            data.update(self.pending)
        return iter(list(data.items()))


def _root(config):
    url = config.store_url
    if url and url.startswith("docjsonl://"):
        return Path(url.removeprefix("docjsonl://"))
    return None


@zenrun.hookimpl
def zenrun_backend_names(kind):
    return ["docjsonl"] if kind == "store" else None


@zenrun.hookimpl
def zenrun_make_metadata_store(config):
    root = _root(config)
    return JsonlMetadataStore(root) if root is not None else None


@zenrun.hookimpl
def zenrun_make_cache(config):
    root = _root(config)
    if root is None:
        return None
    cache = JsonlCache(root / "cache.jsonl")
    config.add_cleanup(cache.flush)
    return cache
'''

DOC_THREADS = r'''
"""--orchestrator threads : independent steps of a run at once, in a thread pool."""

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import zenrun
from zenrun.remote import execute_task


class ThreadOrchestrator:
    name = "docthreads"

    def __init__(self, workers):
        self.pool = ThreadPoolExecutor(workers)

    def run(self, execution):
        done, running, pending = set(), {}, list(execution.order)
        while pending or running:
            for step_id in list(pending):
                if not set(execution.upstream[step_id]) <= done:
                    continue
                pending.remove(step_id)
                if execution.blocked(step_id):
                    execution.skip(step_id)
                    done.add(step_id)
                    continue
                task = execution.prepare(step_id)
                if task is None:
                    done.add(step_id)
                    continue
                future = self.pool.submit(
                    execute_task, task, execution.artifact_store, execution.materializers
                )
                running[future] = (step_id, task)
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                step_id, task = running.pop(future)
                execution.complete(task, future.result())
                done.add(step_id)

    def close(self):
        self.pool.shutdown()


@zenrun.hookimpl
def zenrun_addoption(parser):
    parser.addoption("--docthreads-workers", type=int, default=4, help="threads of --orchestrator threads")


@zenrun.hookimpl
def zenrun_backend_names(kind):
    return ["docthreads"] if kind == "orchestrator" else None


@zenrun.hookimpl
def zenrun_make_orchestrator(config, name):
    if name != "docthreads":
        return None
    orch = ThreadOrchestrator(config.getoption("numprocesses") or config.getoption("docthreads_workers"))
    config.add_cleanup(orch.close)
    return orch
'''

DOC_STEPLINES = r'''
"""--steplines : a line per finished step, and a summary section."""

import zenrun

counts = zenrun.StashKey[dict]()


class StepLines:
    def __init__(self, config):
        self.config = config
        config.stash[counts] = {}

    @zenrun.hookimpl
    def zenrun_step_finish(self, step_run):
        c = self.config.stash[counts]
        c[step_run.status] = c.get(step_run.status, 0) + 1
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        tr.write_line(f"STEP {step_run.id} {step_run.status}")

    @zenrun.hookimpl
    def zenrun_item_report(self, report):
        self.config.stash[counts].setdefault("items", []).append((report.nodeid, report.outcome))

    @zenrun.hookimpl
    def zenrun_terminal_summary(self, terminalreporter, exitstatus):
        c = dict(self.config.stash[counts])
        items = c.pop("items", [])
        terminalreporter.section("steplines")
        parts = ", ".join(f"{k}={v}" for k, v in sorted(c.items()))
        terminalreporter.write_line(f"STEPS {parts}; ITEMS {len(items)}; exit {int(exitstatus)}")


@zenrun.hookimpl
def zenrun_addoption(parser):
    parser.addoption("--docsteplines", action="store_true", default=False, help="a line per step")


@zenrun.hookimpl
def zenrun_configure(config):
    if config.getoption("docsteplines"):
        config.pluginmanager.register(StepLines(config), "steplines-reporter")
'''

DOC_GREET = r'''
"""--greet NAME and [tool.zenrun] greet_style, shown in the header."""

from typing import Literal

import zenrun


@zenrun.hookimpl
def zenrun_addoption(parser):
    group = parser.getgroup("docgreet", "greetings")
    group.addoption("--docgreet", default=None, metavar="NAME", help="greet NAME in the header")
    parser.addini("docgreet_style", "how to greet", type=Literal["plain", "loud"], default="plain")
    parser.addini("docgreet_times", "how many times", type="int", default=1)


@zenrun.hookimpl
def zenrun_report_header(config):
    name = config.getoption("docgreet")
    if not name:
        return None
    text = f"hello {name}"
    if config.getini("docgreet_style") == "loud":
        text = text.upper() + "!"
    return [text] * config.getini("docgreet_times")
'''

DOC_OWNHOOKS = r'''
"""Adds the hook zenrun_docown_label(item) -> str: a label printed per item at the end."""

import zenrun


class Spec:
    @zenrun.hookspec(firstresult=True)
    def zenrun_docown_label(self, item):
        """Return a label for ``item``."""


labels = zenrun.StashKey[list]()


@zenrun.hookimpl
def zenrun_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(Spec)


@zenrun.hookimpl
def zenrun_configure(config):
    config.stash[labels] = []


@zenrun.hookimpl
def zenrun_item_start(item):
    config = item.session.config
    label = config.hook.zenrun_docown_label(item=item)
    config.stash[labels].append(f"{item.nodeid}={label}")


@zenrun.hookimpl
def zenrun_terminal_summary(terminalreporter, config):
    if config.stash[labels]:
        terminalreporter.write_line("LABELS " + " ".join(config.stash[labels]))
'''

DOC_POINTS = r'''
"""A materializer for doc_points.Point: stored as text "x,y"."""

from dataclasses import dataclass

import zenrun


@dataclass(frozen=True)
class Point:
    x: float
    y: float


class PointMaterializer:
    name = "point"
    version = "1"

    def can_save(self, value):
        return type(value) is Point

    def dumps(self, value):
        return f"{value.x},{value.y}".encode()

    def loads(self, data):
        x, y = data.decode().split(",")
        return Point(float(x), float(y))


@zenrun.hookimpl
def zenrun_register_materializers(registry):
    registry.register(PointMaterializer())
'''

PIPELINES = """
import zenrun
from zenrun import pipeline, step
from doc_points import Point


@step
def make() -> Point:
    return Point(1.0, 2.0)


@step
def left(p: Point) -> float:
    zenrun.log_metadata(score=p.x)
    return p.x * 10


@step
def right(p: Point) -> float:
    return p.y * 10


@step
def total(a: float, b: float) -> Point:
    return Point(a, b)


@pipeline
def demo():
    p = make()
    total(left(p), right(p))


@step
def boom() -> int:
    raise ValueError("kaboom")


@step
def after(x: int) -> int:
    return x


@pipeline
def failing():
    after(boom())
"""

CONFTEST = """
zenrun_plugins = ["doc_dirstore", "doc_jsonl", "doc_threads", "doc_steplines", "doc_greet",
                  "doc_ownhooks", "doc_points"]


def zenrun_docown_label(item):
    return item.name.upper()
"""

KIT = """
import pytest
from doc_dirstore import DirArtifactStore
from doc_jsonl import JsonlCache, JsonlMetadataStore

from zenrun.testing import ArtifactStoreTests, CacheTests, MetadataStoreTests


class TestJsonl(MetadataStoreTests):
    detects_dead_owners = False

    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: JsonlMetadataStore(tmp_path / "st")


class TestJsonlCache(CacheTests):
    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: JsonlCache(tmp_path / "cache.jsonl")


class TestDir(ArtifactStoreTests):
    @pytest.fixture
    def open_store(self, tmp_path):
        return lambda: DirArtifactStore(tmp_path / "art")

    def corrupt(self, store, digest):
        store.path(digest).write_bytes(b"tampered")
"""


def zr(zenrunner, *args):
    """Run zenrun in this process (the plugins are project modules, imported afresh each run)."""
    return zenrunner.run(*args, inprocess=True)


def _project(zenrunner):
    zenrunner.makepyfile(
        doc_dirstore=DOC_DIRSTORE,
        doc_jsonl=DOC_JSONL,
        doc_threads=DOC_THREADS,
        doc_steplines=DOC_STEPLINES,
        doc_greet=DOC_GREET,
        doc_ownhooks=DOC_OWNHOOKS,
        doc_points=DOC_POINTS,
        pipeline_demo=PIPELINES,
        conftest=CONFTEST,
    )
    root = zenrunner.path
    zenrunner.maketoml(
        f'store = "docjsonl://{root}/st"\n'
        f'artifact_store = "docdir://{root}/art"\n'
        'addopts = "--orchestrator docthreads -p no:cacheprovider"\n'
        'pythonpath = ["."]\n'
    )
    return root


def test_plugins_through_the_command_line(zenrunner):
    root = _project(zenrunner)
    first = zr(zenrunner, "--docsteplines", "--docgreet", "bob", "-o", "docgreet_style=loud")
    assert first.ret == 1, first.stdout + first.stderr
    first.stdout.fnmatch_lines(
        [
            "store: docjsonl://*, orchestrator: docthreads",
            "HELLO BOB!",
            "STEP make completed",
            "STEP boom failed",
            "STEP after skipped",
            "*= steplines =*",
            "STEPS completed=4, failed=1, skipped=1; ITEMS 2; exit 1",
            "LABELS pipeline_demo.py::demo=DEMO pipeline_demo.py::failing=FAILING",
            "*1 failed, 1 passed*",
        ]
    )
    stored = sorted(p.name for p in (root / "art").glob("*/*.bin"))
    assert len(stored) == 4 and (root / "st" / "runs.jsonl").exists()
    assert not (root / ".zenrun" / "metadata.db").exists()  # nothing went to the built-in stores
    # a second run takes every step of demo from the plugins' cache, the materializer loads them
    again = zr(zenrunner, "-v", "-k", "demo and not failing")
    assert again.ret == 0, again.stdout + again.stderr
    again.stdout.fnmatch_lines(["*Using cached version of total*", "*1 passed*"])
    runs = zr(zenrunner, "--runs")
    assert runs.ret == 0 and runs.stdout.count("demo") == 2, runs.stdout
    shown = zr(zenrunner, "--show", "demo")
    shown.stdout.fnmatch_lines(
        ["*status: cached*", "output output: doc_points.Point, 9 B  Point(x=10.0, y=20.0)"]
    )
    shown.stdout.fnmatch_lines([f"    {root}/art/*.bin"])
    check = zr(zenrunner, "--store-check", "--verify")
    assert check.ret == 0, check.stdout + check.stderr
    check.stdout.fnmatch_lines(
        [
            "metadata store: doc_jsonl.JsonlMetadataStore",
            "artifact store: doc_dirstore.DirArtifactStore (docdir://*)",
            "  artifacts: 4 recorded, 0 missing, 0 corrupt (contents hashed)",
        ]
    )
    # --store-push to another store of the plugin's, which only this project's conftest loads
    # (to the artifact store of the project's artifact_store key, where its artifacts are)
    pushed = zr(zenrunner, "--store-push", f"docjsonl://{root}/copy")
    assert pushed.ret == 0, pushed.stdout + pushed.stderr
    pushed.stdout.fnmatch_lines(
        ["pushed 3 runs (0 already there), 4 cache entries and 0 artifacts to docjsonl://*"]
    )
    # an old orphan goes with --gc; a recorded artifact removed is what --store-check reports
    orphan = root / "art" / "abc" / ("abc" + "0" * 61 + ".bin")
    orphan.parent.mkdir()
    orphan.write_bytes(b"x" * 10)
    os.utime(orphan, (time.time() - 7 * 86400,) * 2)
    gc = zr(zenrunner, "--gc")
    assert gc.ret == 0 and not orphan.exists(), gc.stdout + gc.stderr
    gc.stdout.fnmatch_lines(["gc: removed 1 artifact(s), 10 bytes"])
    next((root / "art").glob("*/*.bin")).unlink()
    broken = zr(zenrunner, "--store-check")
    assert broken.ret == 1, broken.stdout
    broken.stdout.fnmatch_lines(
        ["  artifacts: 4 recorded, 1 missing*", "  MISSING artifact *: output 'output' of step *"]
    )
    # the plugin's store is not one zenrun repairs: a usage error that says so
    repair = zr(zenrunner, "--store-repair")
    assert repair.ret == 4
    assert "docjsonl://" in repair.stderr and "is kept by a plugin (its own server or files)" in repair.stderr
    # -x stops after the first failed pipeline, the orchestrator's failures are the steps'
    stop = zr(zenrunner, "-x", "-n", "2", "pipeline_demo.py::failing", "pipeline_demo.py::demo")
    assert stop.ret == 1
    stop.stdout.fnmatch_lines(["*, orchestrator: docthreads", "*stopping after 1 failures*", "*1 failed in*"])


def test_plugins_through_the_python_api(zenrunner):
    _project(zenrunner)
    result = zenrunner.runpython(
        "import sys; sys.path.insert(0, '.')\n"
        "import zenrun\n"
        "from pipeline_demo import demo\n"
        "run = demo().run()\n"
        "print('RUN', run.status, run.artifact_store.split(':')[0], run.steps['total'].output.read())\n"
        "rerun = demo().run()\n"
        "print('RERUN', rerun.n_cached, zenrun.get_run('latest').steps['make'].output.read())\n"
        "print('RUNS', len(zenrun.get_pipeline('demo').runs))\n"
    )
    assert result.ret == 0, result.stdout + result.stderr
    result.stdout.fnmatch_lines(
        [
            "*Using orchestrator docthreads*",
            "RUN completed docdir Point(x=10.0, y=20.0)",
            "RERUN 4 Point(x=1.0, y=2.0)",
            "RUNS 2",
        ]
    )


def test_the_plugin_stores_pass_the_conformance_kit(zenrunner):
    _project(zenrunner)
    zenrunner.makepyfile(test_kit=KIT)
    env = {**os.environ, "PYTHONPATH": str(zenrunner.path)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "test_kit.py"],
        cwd=zenrunner.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "39 passed, 1 skipped" in done.stdout, done.stdout


def test_option_keys_and_blocking(zenrunner):
    _project(zenrunner)
    out = zr(zenrunner, "--help")
    out.stdout.fnmatch_lines(["*--docgreet NAME*", "*docgreet_style ('plain' | 'loud'):*"])
    assert "docthreads" in out.stdout.split("--no-cache")[0]  # among --orchestrator's names
    # zenrun_backend_names of the stores: --help names the schemes they open too
    text = " ".join(out.stdout.split())
    assert "env ZENRUN_STORE; plugins here also open docjsonl://" in text, text
    assert "env ZENRUN_ARTIFACT_STORE; plugins here also open docdir://" in text, text
    times = zr(
        zenrunner,
        "-q",
        "-k",
        "nothing",
        "--docgreet",
        "ann",
        "-o",
        "docgreet_times=2",
        "-p",
        "no:doc_steplines",
    )
    assert times.stdout.count("hello ann") == 0  # -q shows no header
    header = zr(zenrunner, "-k", "nothing", "--docgreet", "ann", "-o", "docgreet_times=2")
    assert header.stdout.count("hello ann") == 2, header.stdout
    bad = zr(zenrunner, "-o", "docgreet_style=shout", "-k", "nothing")
    assert bad.ret == 4, bad.stdout + bad.stderr
    # the conftest implements doc_ownhooks' own hook: with that plugin blocked, a collection error
    blocked = zr(zenrunner, "-p", "no:doc_ownhooks")
    assert blocked.ret == 2, blocked.stdout + blocked.stderr
    blocked.stdout.fnmatch_lines(["*ERROR collecting conftest.py*", "unknown hook 'zenrun_docown_label'*"])


def test_gc_through_a_url_store_keeps_what_the_local_store_needs(zenrunner):
    """A store given by URL without an artifact store of its own keeps its artifacts in the
    project's ``.zenrun/artifacts``, beside the local runs': its --gc keeps theirs."""
    zenrunner.makepyfile(
        doc_jsonl=DOC_JSONL,
        conftest='zenrun_plugins = ["doc_jsonl"]\n',
        pipeline_big="from zenrun import pipeline, step\n\n\n@step\ndef big() -> str:\n"
        '    return "local " * 20000\n\n\n@pipeline\ndef g():\n    big()\n',
    )
    zenrunner.maketoml('pythonpath = ["."]\n')
    assert zr(zenrunner, "-o", "inline_artifacts=0").ret == 0
    [local] = (zenrunner.path / ".zenrun" / "artifacts").glob("??/*")
    os.utime(local, (time.time() - 7 * 86400,) * 2)
    gc = zr(zenrunner, "--store", f"docjsonl://{zenrunner.path}/st", "--gc")
    assert gc.ret == 0, gc.stdout + gc.stderr
    gc.stdout.fnmatch_lines(["gc: removed 0 artifact(s), 0 bytes"])
    assert local.exists()
    again = zr(zenrunner, "-v")
    again.stdout.fnmatch_lines(["*Using cached version of big*"])
