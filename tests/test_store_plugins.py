"""Stores from plugins, through the store protocols only: an artifact store chosen by a
command-line option is recorded with each run (the Python API and --show read from it),
and --store-check and --gc work on it."""

from __future__ import annotations

import os
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "plugin_contract"))
from test_contract_errors import make_distribution

ZOPT = '''
"""Artifacts compressed with zlib in --zdir DIR, written atomically; can be garbage-collected."""

import hashlib
import os
import tempfile
import zlib
from pathlib import Path

import zenrun


class ZlibStore(zenrun.ArtifactStore):
    def __init__(self, root):
        self.root = Path(root).absolute()
        self.url = "zlib://" + str(self.root)

    def _path(self, digest):
        return self.root / digest[:2] / digest[2:]

    def put(self, data):
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(zlib.compress(data))
        os.replace(tmp, path)
        return digest, len(data)

    def get(self, digest):
        try:
            data = zlib.decompress(self._path(digest).read_bytes())
        except (FileNotFoundError, zlib.error) as exc:
            raise zenrun.ArtifactError(f"artifact {digest[:12]} is unreadable: {exc}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise zenrun.ArtifactError(f"artifact {digest[:12]} does not match its hash")
        return data

    def exists(self, digest, size=None):
        return self._path(digest).exists()

    def verify(self, digest, size):
        try:
            return len(self.get(digest)) == size
        except zenrun.ArtifactError:
            return False

    def sync(self):
        pass

    def uri(self, digest):
        return str(self._path(digest))

    def collect(self, keep, older_than, dry_run=False):
        count = size = 0
        for path in self.root.glob("??/*"):
            digest = path.parent.name + path.name
            if digest in keep or path.stat().st_mtime >= older_than:
                continue
            count, size = count + 1, size + path.stat().st_size
            if not dry_run:
                path.unlink()
        return count, size


@zenrun.hookimpl
def zenrun_addoption(parser):
    parser.getgroup("zopt").addoption("--zdir", default=None, help="keep artifacts zlib-compressed here")


@zenrun.hookimpl(tryfirst=True)
def zenrun_make_artifact_store(config):
    where = config.getoption("zdir")
    return ZlibStore(where) if where else None


@zenrun.hookimpl
def zenrun_open_artifact_store(config, url):
    return ZlibStore(url.removeprefix("zlib://")) if url.startswith("zlib://") else None
'''

#: A pipeline of one step, ``p``.
ONE_STEP = """
from zenrun import pipeline, step


@step
def one() -> int:
    return 1


@pipeline
def p():
    one()
"""

PIPELINE = """
from zenrun import pipeline, step


@step
def numbers() -> list:
    return [1, 2, 3]


@step
def total(values: list) -> int:
    return sum(values)


@pipeline
def sums():
    total(numbers())
"""


def _project(zenrunner, tmp_path):
    site = make_distribution(
        tmp_path / "site", "zenrun-zopt", "1.0", {"zopt": "zenrun_zopt"}, {"zenrun_zopt": ZOPT}
    )
    zenrunner.makepyfile(pipeline_sums=PIPELINE)
    return {"PYTHONPATH": str(site)}


def test_an_artifact_store_chosen_by_an_option_is_recorded_and_read_back(zenrunner, tmp_path):
    env = _project(zenrunner, tmp_path)
    zdir = tmp_path / "zdir"
    result = zenrunner.run("--zdir", str(zdir), env=env)
    assert result.ret == 0, result.stdout + result.stderr
    assert len(list(zdir.glob("??/*"))) == 2
    assert not list((zenrunner.store / "artifacts").glob("??/*"))  # nothing in the default store
    # the API runs without --zdir: it reads from the store the run recorded
    out = zenrunner.runpython(
        "import zenrun\n"
        "run = zenrun.get_pipeline('sums').last_run\n"
        "print('STORE', run.artifact_store)\n"
        "print('VALUES', run.steps['numbers'].output.read(), run.steps['total'].output.read())\n"
        "print('URI', run.steps['total'].output.uri)",
        env=env,
    )
    assert out.ret == 0, out.stdout + out.stderr
    out.fnmatch_lines([f"STORE zlib://{zdir}", "VALUES [1, 2, 3] 6", f"URI {zdir}/*"])
    shown = zenrunner.run("--show", "sums", env=env)
    shown.fnmatch_lines(["output output: builtins.int*", f"    {zdir}/*"])


def test_store_check_and_gc_work_on_a_plugins_store(zenrunner, tmp_path):
    env = _project(zenrunner, tmp_path)
    zdir = tmp_path / "zdir"
    assert zenrunner.run("--zdir", str(zdir), env=env).ret == 0
    check = zenrunner.run("--zdir", str(zdir), "--store-check", "--verify", env=env)
    assert check.ret == 0, check.stdout + check.stderr
    check.fnmatch_lines(
        [
            f"artifact store: zenrun_zopt.ZlibStore (zlib://{zdir})",
            "  runs: 1, steps: 2",
            "  artifacts: 2 recorded, 0 missing, 0 corrupt (contents hashed)",
        ]
    )
    # an orphan written long ago is collected; what the records and the cache use is kept
    orphan = zdir / "ab" / ("c" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x" * 100)
    old = time.time() - 10 * 24 * 3600
    for path in zdir.glob("??/*"):
        os.utime(path, (old, old))
    gc = zenrunner.run("--zdir", str(zdir), "--gc", env=env)
    assert gc.ret == 0, gc.stdout + gc.stderr
    gc.fnmatch_lines(["gc: removed 1 artifact(s), 100 bytes"])
    assert not orphan.exists() and len(list(zdir.glob("??/*"))) == 2
    rerun = zenrunner.run("--zdir", str(zdir), "-v", env=env)
    assert rerun.ret == 0
    rerun.fnmatch_lines(["*Using cached version of total*"])
    # a recorded artifact damaged: --store-check --verify finds it (exit 1)
    [total] = [p for p in zdir.glob("??/*") if b"6" in zlib.decompress(p.read_bytes())]
    total.write_bytes(zlib.compress(b"7"))
    damaged = zenrunner.run("--zdir", str(zdir), "--store-check", "--verify", env=env)
    assert damaged.ret == 1, damaged.stdout
    damaged.fnmatch_lines(
        [
            "  artifacts: 2 recorded, 0 missing, 1 corrupt (contents hashed)",
            "  CORRUPT artifact *: output 'output' of step total of pipeline sums (latest run sums-*",
        ]
    )
    # a recorded artifact gone: damage too, found without --verify, named by its step output
    [numbers] = [p for p in zdir.glob("??/*") if p != total]
    numbers.unlink()
    missing = zenrunner.run("--zdir", str(zdir), "--store-check", env=env)
    assert missing.ret == 1, missing.stdout
    missing.fnmatch_lines(
        [
            "  artifacts: 2 recorded, 1 missing (contents not hashed: --verify hashes them)",
            "  MISSING artifact *: output 'output' of step numbers of pipeline sums (latest run sums-*",
        ]
    )


# A metadata store with only the required members, not subclassing the protocol (written
# for the earlier, smaller protocol): zenrun gives it the defaults of the rest.
PICKLE_STORE = """
import copy
import itertools
import pickle
import threading

import zenrun


class PickleMetadataStore:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.pending = []
        self.runs = pickle.loads(path.read_bytes()) if path.exists() else {}

    def _save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(pickle.dumps(self.runs))

    def create_run(self, run):
        with self.lock:
            run.id = max((r.id for r in self.runs.values()), default=0) + 1
            self.runs[run.name] = copy.copy(run).with_steps({})
            self._save()

    def record_step(self, run, step_run):
        with self.lock:
            self.pending.append((run.name, copy.deepcopy(step_run)))

    def flush(self, before_commit=None):
        with self.lock:
            pending, self.pending = self.pending, []
            if not pending:
                return
            if before_commit is not None:
                before_commit()
            for name, step_run in pending:
                self.runs[name].steps[step_run.id] = step_run
            self._save()

    def finish_run(self, run):
        self.flush()
        with self.lock:
            self.runs[run.name] = run.with_steps(self.runs[run.name].steps)
            self._save()

    def get_runs(self, pipeline=None):
        with self.lock:
            runs = sorted(self.runs.values(), key=lambda r: r.id)
        return [r for r in runs if pipeline is None or r.pipeline_name == pipeline]

    def get_run(self, name):
        runs = self.get_runs()
        if name == "latest":
            return runs[-1] if runs else None
        return self.runs.get(name)


@zenrun.hookimpl(tryfirst=True)
def zenrun_make_metadata_store(config):
    return PickleMetadataStore(config.store_path / "runs.pickle")
"""

GRID = """
import zenrun
from zenrun import StepConfig, pipeline, step


class TrainConfig(StepConfig):
    gamma: float = 0.5


@step
def load() -> list:
    return [1.0, 2.0, 3.0]


@step
def train(data: list, rate: float, config: TrainConfig) -> float:
    zenrun.log_metadata(accuracy=rate * config.gamma)
    return sum(data) * rate


@pipeline
@zenrun.mark.parametrize("rate", [0.5, 1.0])
def grid(rate):
    train(load(), rate, config=TrainConfig(gamma=0.5))
"""


def test_a_store_with_only_the_required_members_works_everywhere(zenrunner, tmp_path):
    """--show, cached metrics, miss reasons per item, --runs and the API on a plugin's
    metadata store that defines only the protocol's required members."""
    site = make_distribution(tmp_path / "site", "zenrun-pickle", "1.0", {"pickle-store": "zenrun_pickle"}, {})
    (site / "zenrun_pickle.py").write_text(PICKLE_STORE)
    env = {"PYTHONPATH": str(site)}
    grid = zenrunner.makepyfile(pipeline_grid=GRID)
    first = zenrunner.run("--sort-by", "accuracy", env=env)
    assert first.ret == 0, first.stdout + first.stderr
    assert (zenrunner.store / "runs.pickle").exists() and not (zenrunner.store / "metadata.db").exists()
    second = zenrunner.run("--sort-by", "accuracy", "-v", env=env)
    assert second.ret == 0, second.stdout + second.stderr
    # cached steps show the metrics their computing run logged
    second.fnmatch_lines(["*grid*rate*accuracy*", "*1.0*0.5*", "*0.5*0.25*"])
    grid.write_text(grid.read_text().replace("TrainConfig(gamma=0.5)", "TrainConfig(gamma=0.25)"))
    third = zenrunner.run("-v", env=env)
    assert third.ret == 0
    third.fnmatch_lines(["*Step train: cache miss: config gamma changed (0.5 -> 0.25)*"])
    shown = zenrunner.run("--show", "grid[1.0]", env=env)
    assert shown.ret == 0, shown.stdout + shown.stderr
    shown.fnmatch_lines(
        ["item: pipeline_grid.py::grid[1.0]", "metrics: accuracy=0.25", "metadata: accuracy=0.25"]
    )
    runs = zenrunner.run("--runs", env=env)
    assert runs.ret == 0 and runs.stdout.count("grid[") == 6
    out = zenrunner.runpython(
        "import zenrun\n"
        "print('ITEMS', [r.metrics['accuracy'] for r in zenrun.get_item('grid[0.5]').runs])\n"
        "print('VALUE', zenrun.get_run('grid[1.0]').steps['train'].output.read())",
        env=env,
    )
    out.fnmatch_lines(["ITEMS [0.25, 0.25, 0.125]", "VALUE 6.0"])


def test_a_plugin_claims_an_artifact_store_url_scheme(zenrunner, tmp_path):
    """--artifact-store with a scheme a plugin names (zenrun_backend_names, kind
    "artifact_store") goes to that plugin's zenrun_make_artifact_store, not to fsspec."""
    target = tmp_path / "dir-artifacts"
    zenrunner.makeconftest(
        """
        from pathlib import Path
        import zenrun
        from zenrun.artifacts.store import LocalArtifactStore

        def zenrun_backend_names(config, kind):
            return ["dirstore"] if kind == "artifact_store" else None

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_artifact_store(config):
            url = config.artifact_store_url
            if url is None or not url.startswith("dirstore://"):
                return None
            store = LocalArtifactStore(Path(url[len("dirstore://"):]))
            config.add_cleanup(store.close)
            return store
        """
    )
    zenrunner.makepyfile(pipeline_one=ONE_STEP)
    result = zenrunner.run("--artifact-store", f"dirstore://{target}")
    assert result.ret == 0, result.stdout + result.stderr
    assert [p for p in target.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_a_store_plugin_without_a_cache_says_so_in_each_steps_reason(zenrunner):
    """Every lookup misses when no plugin makes a cache: a step's reason says which of the
    two it is, a store plugin without one or ``-p no:cache`` (not a cleared entry)."""
    zenrunner.makeconftest("""
        import zenrun
        from zenrun.metadata.sqlite import SqliteMetadataStore

        @zenrun.hookimpl
        def zenrun_backend_names(config, kind):
            return ["mem"] if kind == "store" else None

        @zenrun.hookimpl
        def zenrun_make_metadata_store(config):
            if not (config.store_url or "").startswith("mem://"):
                return None
            store = SqliteMetadataStore(config.store_path / "mem.db")
            config.add_cleanup(store.close)
            return store
    """)
    zenrunner.makepyfile(
        pipeline_m="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def m():
            one()
        """
    )
    for _ in range(2):
        result = zenrunner.run("--store", "mem://x", "-v")
        assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*Step one: cache miss: no plugin provides a cache for this store*"])
    assert "-p no:cache" not in result.stdout


def test_a_store_wrapping_the_default_one_named_as_it_keeps_the_cache(zenrunner, monkeypatch):
    """As the plugin guide says: a wrapper store named as the inner one
    (``identity = functools.partial(store_identity, inner)``) keeps every cache hit whether
    it is on or off; unnamed, it is another store (every step misses once)."""
    zenrunner.makeconftest("""
        import functools
        import os

        import zenrun
        from zenrun.cache import store_identity

        class Counting(zenrun.ArtifactStore):
            def __init__(self, inner):
                self.inner, self.url, self.calls = inner, inner.url, 0
                if os.environ.get("NAMED") == "1":
                    self.identity = functools.partial(store_identity, inner)

            def put(self, data):
                self.calls += 1
                return self.inner.put(data)

            def get(self, digest):
                self.calls += 1
                return self.inner.get(digest)

            def exists(self, digest, size=None):
                return self.inner.exists(digest, size)

            def verify(self, digest, size):
                return self.inner.verify(digest, size)

            def sync(self):
                self.inner.sync()

        @zenrun.hookimpl(wrapper=True)
        def zenrun_make_artifact_store(config):
            inner = yield
            return Counting(inner) if os.environ.get("WRAP") == "1" and inner is not None else inner
        """)
    zenrunner.makepyfile(pipeline_one=ONE_STEP)

    def cached(**environ):
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        result = zenrunner.run("-v")
        assert result.ret == 0, result.stdout + result.stderr
        return "Using cached version of one" in result.stdout

    assert not cached(WRAP="0", NAMED="0")
    assert cached(WRAP="1", NAMED="1") and cached(WRAP="0")
    assert not cached(WRAP="1", NAMED="0")  # unnamed: the outputs are in "another" store
