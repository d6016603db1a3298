"""Code reached through objects is in the cache key (issue, point 2).

Each case drives the real CLI (``zenrun.main``, in this process) on a generated
project: run, edit a project file (or the environment), run again, and compare
the value produced with what a fresh store computes from the edited project.
Before the fix each edit left the old value served as ``cached``.
"""

from __future__ import annotations

import os
import sys

import pytest

import zenrun.metadata.api  # noqa: F401  (ArtifactRef.read needs the Python API's session)
from zenrun.testing import read_store


def _last_run(store):
    return read_store(store).get_runs()[-1]


def _values(store, monkeypatch, step_ids):
    monkeypatch.setenv("ZENRUN_STORE", str(store))  # where output.read() looks
    run = _last_run(store)
    return {sid: run.steps[sid].output.read() for sid in step_ids}, {
        sid: run.steps[sid].status for sid in step_ids
    }


@pytest.fixture(autouse=True)
def _no_bytecode(monkeypatch):
    """The runs are in-process: a project file edited within a second of the run before
    must not be imported from a .pyc of its old text (a subprocess run reads
    ``PYTHONDONTWRITEBYTECODE`` from zenrunner's environment)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def _run(zenrunner, store=None, args=(), **env):
    """The CLI, ``zenrun.main``, run in this process (the project's modules imported afresh
    for each run, as a new process would): sklearn and numpy are imported once, not by
    every run."""
    extra = dict(env)
    if store is not None:
        extra["ZENRUN_STORE"] = str(store)
    result = zenrunner.run("-v", *args, env=zenrunner.env(**extra), inprocess=True)
    assert result.ret == 0, result.stdout + result.stderr
    return result


def _edit(zenrunner, name, old, new):
    path = zenrunner.path / f"{name}.py"
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new))


def _check_against_fresh(zenrunner, tmp_path, monkeypatch, step_ids, expected, args=(), **env):
    """Rerun in the project's store, then in a fresh one: same values, the expected ones."""
    _run(zenrunner, args=args, **env)
    rerun, _ = _values(zenrunner.store, monkeypatch, step_ids)
    fresh_store = tmp_path / f"fresh-{len(os.listdir(tmp_path))}"
    _run(zenrunner, store=fresh_store, **env)
    fresh, statuses = _values(fresh_store, monkeypatch, step_ids)
    assert set(statuses.values()) == {"completed"}
    assert fresh == expected
    assert rerun == fresh
    return rerun


FUNCTION_TRANSFORMER = """
import numpy as np
from sklearn.preprocessing import FunctionTransformer

from zenrun import pipeline, step
from zr_fns import my_fn


@step
def make() -> FunctionTransformer:
    return FunctionTransformer(my_fn)


@step
def apply(transformer: FunctionTransformer) -> float:
    return float(transformer.transform(np.ones((1, 1)))[0][0])


@pipeline
def transformed():
    apply(make())
"""


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["in-process", "workers"])
def test_function_transformer_of_a_project_function(zenrunner, tmp_path, monkeypatch, args):
    pytest.importorskip("sklearn")
    zenrunner.makepyfile(pipeline_transformer=FUNCTION_TRANSFORMER)
    zenrunner.makepyfile(zr_fns="def my_fn(x):\n    return x * 2.0\n")
    _run(zenrunner, args=args)
    values, _ = _values(zenrunner.store, monkeypatch, ["apply"])
    assert values == {"apply": 2.0}
    # (with -n 2, in this process too: the steps ran in worker processes)
    assert _last_run(zenrunner.store).orchestrator == ("parallel" if args else "local")
    _run(zenrunner, args=args)
    assert _last_run(zenrunner.store).steps["apply"].status == "cached"  # unchanged: still a hit
    _edit(zenrunner, "zr_fns", "x * 2.0", "x * 3.0")
    assert _check_against_fresh(zenrunner, tmp_path, monkeypatch, ["apply"], {"apply": 3.0}, args=args)
    run = _last_run(zenrunner.store)  # the rerun in the project's store
    assert run.steps["apply"].status == "completed"
    assert "input transformer changed" in run.steps["apply"].cache_reason
    # the producer is a cache hit now: the consumer's key uses what its entry recorded
    _run(zenrunner, args=args)
    run = _last_run(zenrunner.store)
    assert run.steps["make"].status == "cached" and run.steps["apply"].status == "cached"
    assert run.steps["apply"].output.read() == 3.0


MODEL = """
from zenrun import pipeline, step
from zr_model import Model


@step
def train() -> Model:
    return Model(2)


@step
def predict(m) -> int:
    return m.predict(10)


@pipeline
def modelled():
    predict(train())
"""


def test_project_instance_passed_between_steps(zenrunner, tmp_path, monkeypatch):
    zenrunner.makepyfile(pipeline_model=MODEL)
    zenrunner.makepyfile(
        zr_model="""
        class Model:
            def __init__(self, w):
                self.w = w

            def predict(self, x):
                return self.w * x
        """
    )
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ["predict"])[0] == {"predict": 20}
    _edit(zenrunner, "zr_model", "return self.w * x", "return self.w * x + 1")
    _check_against_fresh(zenrunner, tmp_path, monkeypatch, ["predict"], {"predict": 21})


CONFIGS = """
from pydantic import PrivateAttr

from zenrun import StepConfig, pipeline, step
from zr_consts import SCALE


class Factored(StepConfig):
    base: int = 5

    def factor(self) -> int:
        return 2


class Private(StepConfig):
    base: int = 5
    _scale: int = PrivateAttr(default=0)

    def model_post_init(self, context) -> None:
        self._scale = SCALE


@step
def factored(config: Factored) -> int:
    return config.base * config.factor()


@step
def private(config: Private) -> int:
    return config.base * config._scale


@pipeline
def configured():
    factored.with_config(base=5)()
    private.with_config(base=5)()
"""


def test_config_class_methods_and_private_attributes(zenrunner, tmp_path, monkeypatch):
    zenrunner.makepyfile(pipeline_configs=CONFIGS, zr_consts="SCALE = 3\n")
    ids = ["factored", "private"]
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ids)[0] == {"factored": 10, "private": 15}
    _run(zenrunner)
    assert set(_values(zenrunner.store, monkeypatch, ids)[1].values()) == {"cached"}
    _edit(zenrunner, "pipeline_configs", "return 2", "return 4")
    _edit(zenrunner, "zr_consts", "SCALE = 3", "SCALE = 7")
    _check_against_fresh(zenrunner, tmp_path, monkeypatch, ids, {"factored": 20, "private": 35})


CLASS_ATTRIBUTES = """
import os

import numpy as np

from zenrun import pipeline, step


def double(x):
    return 2 * x


def triple(x):
    return 3 * x


class Helper:
    def k(self):
        return 1


class Table:
    OPS = {"a": double, "b": triple}
    HELPER = Helper()
    W = np.full(2, float(os.environ.get("ZR_W", "1")))


@step
def use_ops() -> int:
    return Table.OPS["a"](1)


@step
def use_helper() -> int:
    return Table.HELPER.k()


@step
def use_w() -> float:
    return float(Table.W.sum())


@pipeline
def attributes():
    use_ops()
    use_helper()
    use_w()
"""


def test_class_attributes_that_are_not_json_values(zenrunner, tmp_path, monkeypatch):
    zenrunner.makepyfile(pipeline_attributes=CLASS_ATTRIBUTES)
    ids = ["use_ops", "use_helper", "use_w"]
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ids)[0] == {"use_ops": 2, "use_helper": 1, "use_w": 2.0}
    _run(zenrunner)
    assert set(_values(zenrunner.store, monkeypatch, ids)[1].values()) == {"cached"}
    _edit(zenrunner, "pipeline_attributes", "return 2 * x", "return 4 * x")
    _edit(zenrunner, "pipeline_attributes", "return 1\n", "return 5\n")
    expected = {"use_ops": 4, "use_helper": 5, "use_w": 6.0}
    _check_against_fresh(zenrunner, tmp_path, monkeypatch, ids, expected, ZR_W="3")


UNFINGERPRINTABLE = """
import threading

from zenrun import pipeline, step


class Guarded:
    LOCK = threading.Lock()


@step
def guarded() -> int:
    with Guarded.LOCK:
        return 1


@pipeline
def locked():
    guarded()
"""


def test_class_attribute_without_content_form_makes_the_step_uncacheable(zenrunner, monkeypatch):
    zenrunner.makepyfile(pipeline_locked=UNFINGERPRINTABLE)
    for _ in range(2):
        result = _run(zenrunner)
        result.fnmatch_lines(["*cache miss: not cacheable in this run: *Guarded.LOCK*"])
        run = _last_run(zenrunner.store)
        assert run.steps["guarded"].status == "completed"
        assert run.steps["guarded"].cache_key is None


KINDS = """
import dataclasses
import enum
import functools
import logging
import re


class Color(enum.Enum):
    RED = 1
    BLUE = "b"


@dataclasses.dataclass
class Point:
    x: int = 1


class Misc:
    PATTERN = re.compile("a+")
    LOG = logging.getLogger("zr")

    @functools.cached_property
    def cached(self):
        return 1


def uses_them():
    return Color.RED, Point(), Misc
"""


def test_common_class_attributes_keep_the_step_cacheable(tmp_path, monkeypatch):
    from zenrun.cache import Fingerprinter

    (tmp_path / "zr_kinds.py").write_text(KINDS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zr_kinds", raising=False)  # so that teardown removes it
    import zr_kinds

    found = Fingerprinter().fingerprint(zr_kinds.uses_them)
    assert found.error is None and found.digest is not None
    assert Fingerprinter().fingerprint(zr_kinds.uses_them).digest == found.digest
    assert "zr_kinds.Misc.PATTERN" in found.deps and "zr_kinds.Color.RED" in found.deps


VECTORIZED = """
import numpy as np

from zenrun import pipeline, step


def scale(x):
    return x * 2


SCALE = np.vectorize(scale)  # keeps scale as .pyfunc, and takes its __name__


@step
def scaled() -> int:
    return int(SCALE(np.arange(3)).sum())


@pipeline
def vectorized():
    scaled()
"""


def test_a_project_function_held_by_a_library_callable_is_followed(zenrunner, tmp_path, monkeypatch):
    zenrunner.makepyfile(pipeline_vectorized=VECTORIZED)
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ["scaled"])[0] == {"scaled": 6}
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ["scaled"])[1] == {"scaled": "cached"}
    _edit(zenrunner, "pipeline_vectorized", "return x * 2", "return x * 5")
    result = _run(zenrunner)
    result.stdout.fnmatch_lines(
        ["*Step scaled: cache miss: source code changed (pipeline_vectorized.scale)*"]
    )
    assert _check_against_fresh(zenrunner, tmp_path, monkeypatch, ["scaled"], {"scaled": 15}) == {
        "scaled": 15
    }


UNPICKLED_MODEL = """
import pickle

from zenrun import pipeline, step


@step
def predict() -> int:
    with open("model.pkl", "rb") as file:
        model = pickle.load(file)  # a zr_model.Model: its code is not in the file
    return model.predict(3)


@pipeline
def served():
    predict()
"""


def test_a_model_file_unpickled_in_a_step_follows_the_code_of_its_class(zenrunner, tmp_path, monkeypatch):
    zenrunner.makepyfile(
        zr_model="""
        class Model:
            def __init__(self, w):
                self.w = w

            def predict(self, x):
                return self.w * x
        """,
        pipeline_served=UNPICKLED_MODEL,
    )
    _write_model(zenrunner)
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ["predict"])[0] == {"predict": 6}
    _run(zenrunner)
    assert _values(zenrunner.store, monkeypatch, ["predict"])[1] == {"predict": "cached"}
    _edit(zenrunner, "zr_model", "return self.w * x", "return self.w * x + 100")
    result = _run(zenrunner)  # model.pkl holds the same bytes: before, a hit serving 6
    result.stdout.fnmatch_lines(
        [
            "*Step predict: cache miss: source code changed of what a pickle the step loaded names (zr_model.Model)*"
        ]
    )
    assert _check_against_fresh(zenrunner, tmp_path, monkeypatch, ["predict"], {"predict": 106})


def _write_model(zenrunner):
    import subprocess

    subprocess.run(
        [
            sys.executable,
            "-c",
            "import pickle, zr_model; pickle.dump(zr_model.Model(2), open('model.pkl', 'wb'))",
        ],
        cwd=zenrunner.path,
        check=True,
    )
