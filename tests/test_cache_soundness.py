"""The cache never hands back a stale or wrong value (issue 6, points 1-5; SPEC §5).

Most tests run the real Python API in this process on a generated project
(fast enough for a mutation matrix); the ones that need the CLI (``-v``
reasons per pipeline item, ``-n 2``, ``--no-cache``, a conftest materializer)
use the ``zenrunner`` fixture.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from zenrun.testing import read_store

# ---------------------------------------------------------------------------
# An in-process project
# ---------------------------------------------------------------------------


class Project:
    """Files in ``path``, imported afresh for every run as a new process would."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = path
        self.monkeypatch = monkeypatch
        (path / "zenrun.toml").write_text("")
        monkeypatch.chdir(path)
        monkeypatch.syspath_prepend(str(path))
        monkeypatch.setattr(sys, "dont_write_bytecode", True)  # edits within a second stay visible
        self.use_store(path / ".zenrun")

    def use_store(self, store: Path) -> None:
        self.store = store
        self.monkeypatch.setenv("ZENRUN_STORE", str(store))

    def write(self, **files: str) -> None:
        """``write(zr_flow="...", **{"zr_utils/features": "..."})``; packages get an ``__init__``."""
        for name, source in files.items():
            target = self.path / f"{name}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            for package in target.relative_to(self.path).parents:
                if str(package) != ".":
                    init = self.path / package / "__init__.py"
                    if not init.exists():
                        init.write_text("")
            target.write_text(textwrap.dedent(source).lstrip("\n"))

    def edit(self, name: str, old: str, new: str) -> None:
        target = self.path / f"{name}.py"
        text = target.read_text()
        assert old in text, (name, old)
        target.write_text(text.replace(old, new))

    def forget(self) -> None:
        """Drop the project's modules, so that the next import reads the files again."""
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(self.path)):
                del sys.modules[name]
        importlib.invalidate_caches()

    def load(self, module: str = "zr_flow") -> object:
        self.forget()
        return importlib.import_module(module)

    def run(self, pipeline: str = "flow", module: str = "zr_flow", **kwargs: object):
        return getattr(self.load(module), pipeline)().run(**kwargs)


@pytest.fixture
def project(tmp_path, monkeypatch):
    proj = Project(tmp_path, monkeypatch)
    try:
        yield proj
    finally:
        proj.forget()


def outcome(run) -> dict[str, str]:
    return {sid: s.status for sid, s in run.steps.items()}


def value(run, step_id: str):
    return run.steps[step_id].output.read()


# ---------------------------------------------------------------------------
# The mutation matrix
# ---------------------------------------------------------------------------

FILES = {
    "zr_utils/features": """
        def transform(x):
            return x * 2
    """,
    "zr_helpers/sub": """
        import numpy as np

        FACTOR = 3
        WEIGHTS = np.array([1.0, 2.0, 3.0])
    """,
    "zr_local/impl": """
        def compute(x):
            return x + 1000
    """,
    "zr_ops": """
        import functools
        import types


        def _scale(x):
            return x * 10


        def mul_op(x):
            return _scale(x)


        OPS = {"mul": mul_op}


        def base(x):
            return x + 100


        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                return fn(*args)
            return wrapper


        @deco
        def wrapped(x):
            return base(x)


        def inner(x):
            return x - 1


        def cinner(x):
            return x - 2


        def minner(x):
            return x - 3


        class Static:
            @staticmethod
            def run(x):
                return inner(x)


        class Klass:
            @classmethod
            def run(cls, x):
                return cinner(x)


        class Plain:
            def run(self, x):
                return minner(x)


        def cbase(x):
            return x * 7


        @functools.lru_cache
        def memo(x):
            return cbase(x)


        def lit(x):
            return x * 4


        def held(x):
            return x * 13


        HOLDER = types.SimpleNamespace(fn=held)  # an object of a library class
    """,
    "zr_flow": """
        import zr_utils.features
        import zr_helpers.sub
        import zr_ops
        from zenrun import StepConfig, pipeline, step


        class Cfg(StepConfig):
            gamma: float = 0.5


        def make_scaler(k):
            @step(name="scaled")
            def scaled(x: int) -> int:
                return x * k
            return scaled


        @step
        def source() -> int:
            return 4


        @step(cache_version="1")
        def step_src(x: int) -> int:
            '''Add one.'''
            return x + 1


        @step
        def dotted(x: int) -> int:
            return zr_utils.features.transform(x)


        @step
        def subconst(x: int) -> int:
            return x * zr_helpers.sub.FACTOR


        @step
        def npconst(x: int) -> float:
            return float(zr_helpers.sub.WEIGHTS.sum()) * x


        @step
        def dictfn(x: int) -> int:
            return zr_ops.OPS["mul"](x)


        @step
        def wrappedfn(x: int) -> int:
            return zr_ops.wrapped(x)


        @step
        def statfn(x: int) -> int:
            return zr_ops.Static.run(x)


        @step
        def classfn(x: int) -> int:
            return zr_ops.Klass.run(x)


        @step
        def methfn(x: int) -> int:
            return zr_ops.Plain().run(x)


        @step
        def memofn(x: int) -> int:
            return zr_ops.memo(x)


        @step
        def apply_fn(x: int, fn) -> int:
            return fn(x)


        @step
        def localimp(x: int) -> int:
            from zr_local.impl import compute  # imported only when the step runs

            return compute(x)


        @step
        def holderfn(x: int) -> int:
            return zr_ops.HOLDER.fn(x)


        @step(name="named")
        def named_step(x: int) -> int:
            return x


        @step
        def configured(config: Cfg, x: int, n: int = 0) -> float:
            return x * config.gamma + n


        SCALER = make_scaler(2)


        @pipeline
        def flow():
            x = source()
            step_src(x)
            dotted(x)
            subconst(x)
            npconst(x)
            dictfn(x)
            wrappedfn(x)
            statfn(x)
            classfn(x)
            methfn(x)
            memofn(x)
            apply_fn(x, fn=zr_ops.lit)
            localimp(x)
            holderfn(x)
            named_step(x, id="named_inv")
            configured(x, n=1, config=Cfg(gamma=0.5))
            SCALER(x)
    """,
}
STEPS = [
    "source",
    "step_src",
    "dotted",
    "subconst",
    "npconst",
    "dictfn",
    "wrappedfn",
    "statfn",
    "classfn",
    "methfn",
    "memofn",
    "apply_fn",
    "localimp",
    "holderfn",
    "named_inv",
    "configured",
    "scaled",
]
DOWNSTREAM = {sid: "input x changed" for sid in STEPS if sid != "source"}

# (file, old, new) -> the steps that must miss, with a fragment of their reason
MUTATIONS = {
    "step_source": (
        "zr_flow",
        "return x + 1",
        "return x + 2",
        {"step_src": "source code changed (zr_flow.step_src)"},
    ),
    "helper_via_dotted_path": (
        "zr_utils/features",
        "x * 2",
        "x * 5",
        {"dotted": "source code changed (zr_utils.features.transform)"},
    ),
    "submodule_constant": (
        "zr_helpers/sub",
        "FACTOR = 3",
        "FACTOR = 4",
        {"subconst": "source code changed (zr_helpers.sub.FACTOR)"},
    ),
    "numpy_constant": (
        "zr_helpers/sub",
        "3.0])",
        "4.0])",
        {"npconst": "source code changed (zr_helpers.sub.WEIGHTS)"},
    ),
    "dict_of_functions": ("zr_ops", "x * 10", "x * 11", {"dictfn": "source code changed (zr_ops._scale)"}),
    "wrapped_helper": ("zr_ops", "x + 100", "x + 101", {"wrappedfn": "source code changed (zr_ops.base)"}),
    "staticmethod": ("zr_ops", "x - 1\n", "x - 10\n", {"statfn": "source code changed (zr_ops.inner)"}),
    "classmethod": ("zr_ops", "x - 2\n", "x - 20\n", {"classfn": "source code changed (zr_ops.cinner)"}),
    "method": ("zr_ops", "x - 3\n", "x - 30\n", {"methfn": "source code changed (zr_ops.minner)"}),
    "library_wrapper": ("zr_ops", "x * 7", "x * 8", {"memofn": "source code changed (zr_ops.cbase)"}),
    "literal_function": ("zr_ops", "x * 4", "x * 9", {"apply_fn": "parameter fn changed"}),
    "import_in_step_body": (
        "zr_local/impl",
        "x + 1000",
        "x + 2000",
        {"localimp": "source code changed (zr_local.impl.compute)"},
    ),
    "function_held_by_an_object": (
        "zr_ops",
        "x * 13",
        "x * 14",
        {"holderfn": "source code changed (zr_ops.held)"},
    ),
    "closure_value": (
        "zr_flow",
        "make_scaler(2)",
        "make_scaler(3)",
        {"scaled": "source code changed (zr_flow.make_scaler.<locals>.scaled.<closure k>)"},
    ),
    "step_name": (
        "zr_flow",
        '@step(name="named")',
        '@step(name="renamed")',
        {"named_inv": "step name changed ('named' -> 'renamed')"},
    ),
    "config": (
        "zr_flow",
        "Cfg(gamma=0.5)",
        "Cfg(gamma=0.25)",
        {"configured": "config gamma changed (0.5 -> 0.25)"},
    ),
    "literal_param": ("zr_flow", "n=1,", "n=2,", {"configured": "parameter n changed ('1' -> '2')"}),
    "input": (
        "zr_flow",
        "return 4",
        "return 6",
        {**DOWNSTREAM, "source": "source code changed (zr_flow.source)"},
    ),
    "cache_version": (
        "zr_flow",
        'cache_version="1"',
        'cache_version="2"',
        {"step_src": "cache_version changed ('1' -> '2')"},
    ),
}


@pytest.fixture
def warm(project):
    project.write(**FILES)
    first = project.run()
    assert first.status == "completed"
    assert set(outcome(first).values()) == {"completed"}
    return project


@pytest.mark.parametrize("kind", list(MUTATIONS))
def test_each_kind_of_dependency_edit_misses_with_its_reason(warm, kind):
    name, old, new, expected = MUTATIONS[kind]
    warm.edit(name, old, new)
    run = warm.run()
    assert run.status == "completed"
    missed = {sid: s.cache_reason for sid, s in run.steps.items() if s.status != "cached"}
    assert set(missed) == set(expected), missed
    for sid, fragment in expected.items():
        assert run.steps[sid].status == "completed"
        assert fragment in missed[sid], (sid, missed[sid])
        assert missed[sid].startswith("cache miss: ")


def test_edits_that_do_not_change_behaviour_keep_every_step_cached(warm):
    warm.edit("zr_flow", "    '''Add one.'''\n", "    '''Add one, documented.'''\n    # why: a comment\n")
    warm.edit(
        "zr_flow",
        "    return zr_utils.features.transform(x)",
        "    return zr_utils.features.transform(  # reformatted\n        x\n    )",
    )
    warm.edit("zr_utils/features", "def transform(x):\n", "def transform(x):\n    '''Doc.'''\n")
    warm.edit("zr_helpers/sub", "FACTOR = 3", "# the scale\nFACTOR = (\n    3\n)")
    warm.edit("zr_ops", "def base(x):\n", "\n\ndef base(x):  # moved down\n")
    run = warm.run()
    assert set(outcome(run).values()) == {"cached"}, {s.id: s.cache_reason for s in run.steps.values()}


def test_moving_the_store_directory_keeps_the_cache(warm):
    moved = warm.path / "elsewhere" / "store"
    moved.parent.mkdir()
    shutil.move(str(warm.store), str(moved))
    warm.use_store(moved)
    run = warm.run()
    assert set(outcome(run).values()) == {"cached"}


# ---------------------------------------------------------------------------
# Point 1: steps built by a factory
# ---------------------------------------------------------------------------

FACTORY = """
from zenrun import pipeline, step


def make_scaler(k):
    @step(name=f"times{k}")
    def scale(x: int) -> int:
        return x * k
    return scale


times2, times3 = make_scaler(2), make_scaler(3)


def make_plain(k):
    @step
    def plain(x: int) -> int:
        return x + k
    return plain


@pipeline
def factory():
    times2(10)
    times3(10)
    make_plain(1)(10)
    make_plain(2).configure(name="plain_two")(10)
"""


def test_factory_steps_in_one_pipeline_are_distinct(zenrunner, monkeypatch):
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where output.read() looks
    zenrunner.makepyfile(pipeline_factory=FACTORY)
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    assert outcome(run) == {
        "times2": "completed",
        "times3": "completed",
        "plain": "completed",
        "plain_two": "completed",
    }
    assert [value(run, s) for s in ("times2", "times3", "plain", "plain_two")] == [20, 30, 11, 12]
    parts = {sid: s.cache_parts for sid, s in run.steps.items()}
    assert parts["times2"]["name"] == "times2" and parts["times3"]["name"] == "times3"
    assert run.steps["times2"].cache_key != run.steps["times3"].cache_key
    result = zenrunner.run("-v")
    run = read_store(zenrunner.store).get_runs()[-1]
    assert set(outcome(run).values()) == {"cached"}
    assert [value(run, s) for s in ("times2", "times3", "plain", "plain_two")] == [20, 30, 11, 12]


REBOUND = """
from zenrun import pipeline, step

LIB = 1

@step
def setup(v: int) -> int:
    global LIB
    LIB = v  # a module-level name a later step reads, bound anew
    return v

@step
def use(x: int) -> int:
    return x * LIB

@pipeline
def rebound():
    use.configure(name="before")(9)  # fingerprints use's code while LIB is 1
    s = setup.configure(name="setup")
    s(100)
    use.configure(name="after").after(s)(9)
"""


def test_a_module_level_name_a_step_binds_anew_is_seen_by_the_later_steps_keys(zenrunner, monkeypatch):
    """A step's code read ``LIB`` when the run first keyed it (1); a later step of the same run
    sets ``LIB = 100``: the next step of that code is keyed with 100, not with the 1 its
    fingerprint first saw (that key is the first step's: a hit serving 9 for 900)."""
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where output.read() looks
    zenrunner.makepyfile(pipeline_rebound=REBOUND)
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    assert [value(run, s) for s in ("before", "after")] == [9, 900]
    assert outcome(run) == {"before": "completed", "setup": "completed", "after": "completed"}
    assert run.steps["before"].cache_key != run.steps["after"].cache_key


CLASS_REBOUND = """
from zenrun import pipeline, step

class Settings:
    FACTOR = 2

@step
def setup() -> int:
    Settings.FACTOR = 3  # a class attribute a later step reads, bound anew
    return 1

@step
def use(x: int) -> int:
    return Settings.FACTOR * 10

@pipeline
def p():
    use(setup())
"""


def test_a_class_attribute_a_step_binds_anew_is_seen_by_a_later_steps_key(zenrunner, monkeypatch):
    """``setup``'s fingerprint reads ``Settings`` (FACTOR 2) before it runs and sets it to 3:
    ``use``, keyed after, is keyed with 3; when the edit makes it 5, ``use`` misses and
    gets 50 (it was served the 30 of the key made with the class as first seen)."""
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    zenrunner.makepyfile(pipeline_classattr=CLASS_REBOUND)
    assert zenrunner.run().ret == 0
    run = read_store(zenrunner.store).get_runs()[-1]
    assert value(run, "use") == 30
    source = zenrunner.path / "pipeline_classattr.py"
    source.write_text(source.read_text().replace("FACTOR = 3", "FACTOR = 5"))
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    assert outcome(run) == {"setup": "completed", "use": "completed"}
    assert value(run, "use") == 50


def test_a_step_seeding_numpys_global_generator_is_warned_about(zenrunner):
    """What later steps draw after a ``set_seed`` step is not in their keys, and a cached
    ``set_seed`` seeds nothing: said when it happens (a fixture's seed is keyed instead)."""
    zenrunner.makepyfile(
        pipeline_seeded="""
        import numpy as np
        from zenrun import pipeline, step

        @step
        def set_seed() -> int:
            np.random.seed(0)
            return 0

        @step
        def draw(s: int) -> float:
            return float(np.random.rand())

        @pipeline
        def p():
            set_seed()
            draw(1)
        """
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout.str()
    result.fnmatch_lines(
        ["*Step set_seed seeded numpy's global random generator*not part of their cache keys*"]
    )
    zenrunner.makeconftest(
        """
        import numpy as np
        import zenrun

        @zenrun.fixture(autouse=True)
        def seeded():
            np.random.seed(0)
        """
    )
    assert "seeded numpy's global random generator" not in zenrunner.run("--cache-clear").stdout.str()


def test_an_attribute_set_on_a_function_is_part_of_the_key_of_the_steps_reading_it(zenrunner, monkeypatch):
    """``helper.factor = 1`` in a project module: a step reading it (through the helper's
    own code or directly) misses when it becomes 2, and gets 2."""
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    zenrunner.makepyfile(
        helpers="""
        def scaled():
            return scaled.factor

        scaled.factor = 1
        """,
        pipeline_attrs="""
        import helpers
        from zenrun import pipeline, step

        @step
        def through_code() -> int:
            return helpers.scaled()

        @step
        def directly() -> int:
            return helpers.scaled.factor

        @pipeline
        def p():
            through_code()
            directly()
        """,
    )
    assert zenrunner.run().ret == 0
    (zenrunner.path / "helpers.py").write_text(
        (zenrunner.path / "helpers.py").read_text().replace("factor = 1", "factor = 2")
    )
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    assert "Using cached version" not in result.stdout
    run = read_store(zenrunner.store).get_runs()[-1]
    assert [value(run, s) for s in ("through_code", "directly")] == [2, 2]


# ---------------------------------------------------------------------------
# Point 2: what cannot be fingerprinted is never silently dropped
# ---------------------------------------------------------------------------


def test_a_global_without_content_form_makes_the_step_uncacheable(project):
    project.write(
        zr_flow="""
        import threading
        from zenrun import pipeline, step

        LOCK = threading.Lock()


        @step
        def guarded() -> int:
            with LOCK:
                return 1


        @step
        def free() -> int:
            return 2


        @step
        def given(lock) -> int:
            return 3


        @pipeline
        def flow():
            guarded()
            free()
            given(threading.Lock())
    """
    )
    for _ in range(2):
        run = project.run()
        assert outcome(run)["guarded"] == "completed"
        reason = run.steps["guarded"].cache_reason
        assert "not cacheable in this run" in reason and "zr_flow.LOCK" in reason, reason
        assert "lock" in reason
        assert run.steps["guarded"].cache_key is None
    assert outcome(run)["free"] == "cached"
    assert outcome(run)["given"] == "completed"
    assert "not cacheable in this run: parameter lock (_thread.lock)" in run.steps["given"].cache_reason


def test_library_code_and_loggers_do_not_block_caching(project):
    project.write(
        zr_flow="""
        import logging
        import numpy as np
        from numpy import sum as npsum
        from zenrun import pipeline, step

        logger = logging.getLogger(__name__)


        @step
        def compute() -> float:
            logger.info("computing")
            return float(npsum(np.arange(4)) + np.pi)


        @pipeline
        def flow():
            compute()
    """
    )
    project.run()
    assert outcome(project.run()) == {"compute": "cached"}


def test_sibling_project_module_objects_hashed_by_content(project):
    """A project object used by a step: its class is followed and its state hashed."""
    project.write(
        zr_model="""
        class Scaler:
            def __init__(self, k):
                self.k = k

            def apply(self, x):
                return x * self.k


        SCALER = Scaler(2)
    """,
        zr_flow="""
        from zenrun import pipeline, step
        from zr_model import SCALER


        @step
        def scale() -> int:
            return SCALER.apply(5)


        @pipeline
        def flow():
            scale()
    """,
    )
    assert value(project.run(), "scale") == 10
    project.edit("zr_model", "Scaler(2)", "Scaler(3)")
    run = project.run()
    assert outcome(run) == {"scale": "completed"} and value(run, "scale") == 15
    project.edit("zr_model", "x * self.k", "x * self.k + 1")
    run = project.run()
    assert outcome(run) == {"scale": "completed"} and value(run, "scale") == 16
    assert "zr_model.Scaler.apply" in run.steps["scale"].cache_reason


def test_a_project_metaclass_is_followed_with_the_classes_it_makes(project):
    """A project metaclass's ``__call__`` and properties shape what its classes do."""
    project.write(
        zr_meta="""
        class Meta(type):
            def __call__(cls, *args, **kwargs):
                obj = super().__call__(*args, **kwargs)
                obj.scale = 2
                return obj

            @property
            def unit(cls):
                return 10


        class Model(metaclass=Meta):
            def value(self):
                return self.scale * type(self).unit
    """,
        zr_flow="""
        from zenrun import pipeline, step
        from zr_meta import Model


        @step
        def use() -> int:
            return Model().value()


        @pipeline
        def flow():
            use()
    """,
    )
    assert value(project.run(), "use") == 20
    assert outcome(project.run()) == {"use": "cached"}
    project.edit("zr_meta", "obj.scale = 2", "obj.scale = 3")
    run = project.run()
    assert outcome(run) == {"use": "completed"} and value(run, "use") == 30
    assert "zr_meta.Meta.__call__" in run.steps["use"].cache_reason
    project.edit("zr_meta", "return 10", "return 100")
    run = project.run()
    assert outcome(run) == {"use": "completed"} and value(run, "use") == 300
    assert outcome(project.run()) == {"use": "cached"}


# ---------------------------------------------------------------------------
# Point 3: no per-process memo that goes stale
# ---------------------------------------------------------------------------

NOTEBOOK = """
import numpy as np
from zenrun import pipeline, step

FACTOR = 2
TABLE = {"a": [1, 2]}
WEIGHTS = np.array([1, 2, 3])


@step
def scale() -> int:
    return FACTOR * sum(TABLE["a"]) * int(WEIGHTS.sum())


@pipeline
def flow():
    scale()
"""


def test_changing_module_values_between_runs_in_one_process_misses(project):
    project.write(zr_flow=NOTEBOOK)
    module = project.load()
    assert value(module.flow().run(), "scale") == 36
    assert outcome(module.flow().run()) == {"scale": "cached"}
    for change, expected in (
        (lambda: setattr(module, "FACTOR", 3), 54),
        (lambda: module.TABLE["a"].append(1), 72),
        (lambda: module.WEIGHTS.__setitem__(0, 2), 84),
    ):
        change()
        run = module.flow().run()
        assert outcome(run) == {"scale": "completed"}, run.steps["scale"].cache_reason
        assert value(run, "scale") == expected
        assert outcome(module.flow().run()) == {"scale": "cached"}


def test_redefining_a_step_in_one_process_misses(project):
    project.write(zr_flow=NOTEBOOK)
    module = project.load()
    module.flow().run()
    namespace = vars(module)
    exec(
        compile("@step\ndef scale() -> int:\n    return 7\n", str(project.path / "cell.py"), "exec"),
        namespace,
    )
    run = module.flow().run()
    assert outcome(run) == {"scale": "completed"} and value(run, "scale") == 7


# ---------------------------------------------------------------------------
# Point 4: every consumer sees an output exactly as stored
# ---------------------------------------------------------------------------

MUTATING = """
import numpy as np
from zenrun import pipeline, step


@step
def produce() -> list:
    return [1, 2, 3]


@step
def produce_array() -> np.ndarray:
    return np.arange(3)


@step(enable_cache=False)  # runs every time, on cached inputs too
def greedy(items: list) -> int:
    items.append(99)
    items[0] = -1
    return len(items)


@step(enable_cache=False)  # runs every time, on cached inputs too
def reader(items: list) -> list:
    return items


@step(enable_cache=False)  # runs every time, on cached inputs too
def bump(a: np.ndarray) -> str:
    try:
        a += 1
    except ValueError as exc:
        return "refused: " + str(exc)
    return "mutated"


@step(enable_cache=False)  # runs every time, on cached inputs too
def array_reader(a: np.ndarray) -> list:
    return a.tolist()


@step(enable_cache=False)  # runs every time, on cached inputs too
def literal_greedy(items: list) -> int:
    items.append(0)
    return len(items)


SHARED = [5]


@pipeline
def mutating():
    items = produce()
    greedy(items)
    reader(items)
    array = produce_array()
    bump(array)
    array_reader(array)
    literal_greedy(SHARED, id="lit_a")
    literal_greedy(SHARED, id="lit_b")
"""


def test_consumers_see_outputs_as_stored_cold_cached_and_parallel(zenrunner, monkeypatch):
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    zenrunner.makepyfile(pipeline_mutating=MUTATING)
    answers = []
    # cold; producers cached (consumers always run); in parallel, all over again
    for args in ((), (), ("-n", "2", "--no-cache")):
        result = zenrunner.run(*args)
        assert result.ret == 0, result.stdout + result.stderr
        run = read_store(zenrunner.store).get_runs()[-1]
        answers.append(
            {sid: value(run, sid) for sid in ("greedy", "reader", "bump", "array_reader", "lit_a", "lit_b")}
        )
    cold = answers[0]
    assert cold["reader"] == [1, 2, 3] and cold["array_reader"] == [0, 1, 2]
    assert cold["greedy"] == 4 and cold["lit_a"] == cold["lit_b"] == 2
    assert cold["bump"].startswith("refused: ") and "read-only" in cold["bump"]
    assert answers[1] == cold and answers[2] == cold


def test_consumer_mutation_in_the_python_api_leaves_the_producer_value(project):
    project.write(zr_flow=MUTATING)
    module = project.load()
    cold = module.mutating().run()
    cached = module.mutating().run()
    assert module.SHARED == [5]
    for run in (cold, cached):
        assert value(run, "reader") == [1, 2, 3] and value(run, "bump").startswith("refused")
    assert outcome(cached)["produce"] == "cached" and outcome(cached)["reader"] == "completed"


# ---------------------------------------------------------------------------
# Point 5: --no-cache records, materializers, reasons per item, store identity
# ---------------------------------------------------------------------------

SIMPLE = """
from zenrun import pipeline, step


@step
def load() -> int:
    return 3


@step
def double(x: int) -> int:
    return x * 2


@pipeline
def flow():
    double(load())
"""


def test_a_run_without_cache_records_its_outputs_for_the_next(project):
    project.write(zr_flow=SIMPLE)
    first = project.run(enable_cache=False)
    assert {s.cache_reason for s in first.steps.values()} == {"caching disabled"}
    assert outcome(project.run()) == {"load": "cached", "double": "cached"}


def test_no_cache_flag_records_outputs_through_the_cli(zenrunner):
    zenrunner.makepyfile(pipeline_flow=SIMPLE)
    assert zenrunner.run("--no-cache").ret == 0
    result = zenrunner.run("-v")
    assert result.ret == 0
    result.fnmatch_lines(["*Using cached version of load.*", "*Using cached version of double.*"])


PARAMETRIZED = """
import zenrun
from zenrun import pipeline, step


@step
def load(name: str) -> str:
    return name.upper()


@zenrun.mark.parametrize("name", ["iris", "wine"])
@pipeline
def hpo(name):
    load(name)
"""


def test_miss_reason_compares_with_the_same_pipeline_item(zenrunner):
    zenrunner.makepyfile(pipeline_hpo=PARAMETRIZED)
    assert zenrunner.run().ret == 0
    zenrunner.makepyfile(pipeline_hpo=PARAMETRIZED.replace("name.upper()", "name.title()"))
    result = zenrunner.run("-v")
    assert result.ret == 0
    runs = read_store(zenrunner.store).get_runs()[-2:]
    reasons = {run.item_id: run.steps["load"].cache_reason for run in runs}
    assert reasons == {
        "pipeline_hpo.py::hpo[iris]": "cache miss: source code changed (pipeline_hpo.load)",
        "pipeline_hpo.py::hpo[wine]": "cache miss: source code changed (pipeline_hpo.load)",
    }
    result.no_fnmatch_line("*parameter name changed*")


MATERIALIZER_CONFTEST = """
import zenrun


class Point:
    def __init__(self, x):
        self.x = x


class PointMaterializer:
    name, version = "point", "1"

    def can_save(self, value):
        return isinstance(value, Point)

    def dumps(self, value):
        return str(value.x).encode()

    def loads(self, data):
        return Point(int(data))


@zenrun.hookimpl
def zenrun_register_materializers(registry):
    registry.register(PointMaterializer())
"""


def test_an_unrelated_materializer_keeps_keys_through_the_cli(zenrunner):
    zenrunner.makepyfile(pipeline_flow=SIMPLE)
    assert zenrunner.run().ret == 0
    zenrunner.makeconftest(MATERIALIZER_CONFTEST)
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*Using cached version of load.*", "*Using cached version of double.*"])
    result = zenrunner.run("-v")  # checked once, then the entry remembers it
    result.fnmatch_lines(["*Using cached version of double.*"])


class Upper:
    """A materializer for str (it claims the outputs of ``shout``)."""

    name, version = "upper", "1"

    def can_save(self, value):
        return isinstance(value, str)

    def dumps(self, value):
        return value.upper().encode()

    def loads(self, data):
        return data.decode()


class Unrelated(Upper):
    name = "unrelated"

    def can_save(self, value):
        return isinstance(value, complex)


def test_materializer_choice_and_version_are_checked_on_a_hit(project):
    from zenrun.config import api_config

    project.write(
        zr_flow="""
        from zenrun import pipeline, step


        @step
        def shout() -> str:
            return "hey"


        @step
        def count() -> int:
            return 3


        @pipeline
        def flow():
            shout()
            count()
    """
    )
    project.run()
    registry = api_config().materializers
    registry.register(Unrelated())
    assert outcome(project.run()) == {"shout": "cached", "count": "cached"}
    upper = Upper()
    registry.register(upper)
    run = project.run()
    assert outcome(run) == {"shout": "completed", "count": "cached"}
    assert (
        run.steps["shout"].cache_reason == "cache miss: materializer of output output changed (json -> upper)"
    )
    assert run.steps["shout"].output.materializer == "upper"
    assert outcome(project.run()) == {"shout": "cached", "count": "cached"}
    upper.version = "2"
    run = project.run()
    assert outcome(run) == {"shout": "completed", "count": "cached"}
    assert (
        run.steps["shout"].cache_reason
        == "cache miss: materializer upper of output output changed version ('1' -> '2')"
    )


def test_switching_artifact_store_is_an_ordinary_miss(project, caplog):
    project.write(zr_flow=SIMPLE)
    project.run()
    other = project.path / "other"
    other.mkdir()
    for path in project.store.glob("cache.db*"):  # an index shared by two stores (with its WAL)
        shutil.copy(path, other / path.name)
    project.use_store(other)
    with caplog.at_level("WARNING", logger="zenrun"):
        run = project.run()
    assert outcome(run) == {"load": "completed", "double": "completed"}
    assert run.steps["load"].cache_reason == "cache miss: the cached outputs are in another artifact store"
    assert not [r for r in caplog.records if "missing or corrupt" in r.getMessage()]
    assert outcome(project.run()) == {"load": "cached", "double": "cached"}


def test_an_int_too_long_for_its_text_is_an_uncacheable_parameter_not_an_internal_error(zenrunner):
    """An int literal past Python's digit limit for ``str(int)`` has no canonical text: the step
    runs, uncacheable, saying which parameter (as for any value without a content form)."""
    zenrunner.makepyfile(
        pipeline_big="""
        from zenrun import pipeline, step

        BIG = 10 ** 5000

        @step
        def rest(n: int) -> int:
            return n % 97

        @pipeline
        def p():
            rest(BIG)
        """
    )
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr
    (run,) = read_store(zenrunner.store).get_runs()
    assert run.steps["rest"].output.read() == 10**5000 % 97
    assert "parameter n could not be fingerprinted" in run.steps["rest"].cache_reason


def test_an_int_output_too_long_for_its_text_gets_a_preview_not_an_internal_error(zenrunner):
    """A materializer that stores any int takes one past the digit limit of ``str(int)``: its
    record's preview is the number's short form, and the step's value goes downstream."""
    zenrunner.makeconftest(
        """
        import zenrun

        class BigIntMaterializer:
            name = "bigint"
            version = "1"

            def can_save(self, value):
                return type(value) is int

            def dumps(self, value):
                return value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True)

            def loads(self, data):
                return int.from_bytes(data, "big", signed=True)

        @zenrun.hookimpl
        def zenrun_register_materializers(registry):
            registry.register(BigIntMaterializer())
        """
    )
    zenrunner.makepyfile(
        pipeline_bigout="""
        from zenrun import pipeline, step

        @step
        def big(n: int) -> int:
            return 10 ** n

        @step
        def rest(x: int) -> int:
            return x % 97

        @pipeline
        def p():
            rest(big(5000))
        """
    )
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr
    (run,) = read_store(zenrunner.store).get_runs()
    assert run.steps["rest"].output.preview == str(10**5000 % 97)  # (read back: the conftest's materializer)
    assert run.steps["big"].output.materializer == "bigint"
    assert run.steps["big"].output.preview and len(run.steps["big"].output.preview) < 1000


def test_literals_json_spells_alike_are_different_keys(zenrunner):
    # a tuple and a list, a set, int and str dict keys: each its own computation, never
    # the output of another
    zenrunner.makepyfile(
        pipeline_lit="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def kind(x) -> str:
            return repr(x)

        @zenrun.mark.parametrize(
            "v",
            [(1, 2), [1, 2], {1, 2}, {1: "a"}, {"1": "a"}],
            ids=["tuple", "list", "set", "intkey", "strkey"],
        )
        @pipeline
        def lit(v):
            kind(v)
        """
    )
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout
    store = read_store(zenrunner.store)
    runs = {run.item_id: run for run in store.get_runs()}
    seen = {
        item: runs[f"pipeline_lit.py::lit[{item}]"].steps["kind"]
        for item in ["tuple", "list", "set", "intkey", "strkey"]
    }
    assert {item: s.status for item, s in seen.items()} == dict.fromkeys(seen, "completed")
    assert {item: s.output.read() for item, s in seen.items()} == {
        "tuple": "(1, 2)",
        "list": "[1, 2]",
        "set": "{1, 2}",
        "intkey": "{1: 'a'}",
        "strkey": "{'1': 'a'}",
    }
    assert zenrunner.run("-q").ret == 0  # and each is its own cache hit
    assert all(r.steps["kind"].status == "cached" for r in store.get_runs()[-5:])


def test_what_a_configs_json_form_leaves_out_is_part_of_its_key(zenrunner):
    # Each case's first value computes; its second, the same JSON form, must compute again.
    zenrunner.makepyfile(
        pipeline_exact="""
        import zenrun
        from typing import Any
        from pydantic import BaseModel, Field, SecretStr
        from zenrun import pipeline, step, StepConfig

        class Optim(BaseModel):
            lr: float = 0.1

        class Adam(Optim):
            beta: float = 0.9

        class Conf(StepConfig):
            optim: Optim = Optim()
            hidden: int = Field(1, exclude=True)
            secret: SecretStr = SecretStr("a")
            anything: Any = None
            table: dict = {}

        @step
        def describe(config: Conf) -> str:
            return repr((config.optim, config.hidden, config.secret.get_secret_value(),
                         config.anything, list(config.table)))

        @step
        def order(d: dict) -> list:
            return list(d)

        CASES = {
            "subclass": [Conf(optim=Adam(beta=0.9)), Conf(optim=Adam(beta=0.5))],
            "excluded": [Conf(hidden=1), Conf(hidden=2)],
            "secret": [Conf(secret=SecretStr("a")), Conf(secret=SecretStr("b"))],
            "anytype": [Conf(anything=(1, 2)), Conf(anything=[1, 2])],
            "dictorder": [Conf(table={"a": 1, "b": 2}), Conf(table={"b": 2, "a": 1})],
        }

        @zenrun.mark.parametrize("case", list(CASES))
        @zenrun.mark.parametrize("which", [0, 1])
        @pipeline
        def exact(case, which):
            describe(config=CASES[case][which])

        @zenrun.mark.parametrize("which", [0, 1])
        @pipeline
        def literal(which):
            order([{"a": 1, "b": 2}, {"b": 2, "a": 1}][which])
        """
    )
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr
    store = read_store(zenrunner.store)
    runs = {run.item_id.split("::", 1)[1]: run for run in store.get_runs()}
    for case in ("subclass", "excluded", "secret", "anytype", "dictorder"):
        first, second = (runs[f"exact[{which}-{case}]"].steps["describe"] for which in (0, 1))
        assert second.status == "completed", case  # never the value computed for the first
        assert first.output.read() != second.output.read(), case
    assert runs["literal[1]"].steps["order"].status == "completed"
    assert runs["literal[1]"].steps["order"].output.read() == ["b", "a"]
    assert "beta=0.5" in runs["exact[1-subclass]"].steps["describe"].output.read()
    # and each is its own cache hit, whatever its form: the digest is the same in every process
    assert zenrunner.run("-q").ret == 0
    assert {s.status for run in read_store(zenrunner.store).get_runs()[-12:] for s in run.steps.values()} == {
        "cached"
    }


EDITED_WHILE_RUNNING = """
import pathlib
from zenrun import pipeline, step

class Scale:
    def apply(self, x):
        return x * 10

@step
def edit_the_project() -> int:
    # What a user editing the project while a session runs does: the loaded code stays.
    path = pathlib.Path(__file__)
    text = path.read_text().replace("return x + 1\\n", "return x + 2\\n").replace("x * 10\\n", "x * 100\\n")
    path.write_text(text)
    return 0

@step
def add(x: int) -> int:
    return x + 1

@step
def scale(x: int) -> int:
    return Scale().apply(x + 3)

@pipeline
def edited():
    x = edit_the_project()
    add(x)
    scale(x)
"""


def test_a_file_edited_during_the_session_never_files_the_old_codes_result_under_the_new_source(zenrunner):
    """The session runs the code it imported; its keys must be that code's, not the file's
    new text: else the next session (the new code) would be served the old code's results."""
    zenrunner.makepyfile(pipeline_edited=EDITED_WHILE_RUNNING)
    first = zenrunner.run("-p", "no:results")
    first.assert_outcomes(passed=1)
    run = read_store(zenrunner.store).get_runs("edited")[-1]
    assert (run.steps["add"].output.value, run.steps["scale"].output.value) == (1, 30)  # the old code ran
    assert "after this session imported it" in run.steps["add"].cache_reason  # so: not cached
    second = zenrunner.run("-v", "-p", "no:results")  # the new code, from the edited file
    second.assert_outcomes(passed=1)
    run = read_store(zenrunner.store).get_runs("edited")[-1]
    assert run.steps["add"].status == "completed"
    assert (run.steps["add"].output.value, run.steps["scale"].output.value) == (2, 300)
    third = zenrunner.run("-p", "no:results")  # the code is not edited now: its steps are cached
    third.assert_outcomes(passed=1)
    run = read_store(zenrunner.store).get_runs("edited")[-1]
    assert {sid: s.status for sid, s in run.steps.items()} == {
        "edit_the_project": "completed",  # it rewrites the file it reads, as data: never cached
        "add": "cached",
        "scale": "cached",
    }
    assert "pipeline_edited.py changed while the step ran" in run.steps["edit_the_project"].cache_reason
    assert (run.steps["add"].output.value, run.steps["scale"].output.value) == (2, 300)


def test_a_result_computed_under_python_O_is_not_served_to_a_plain_run(zenrunner):
    """python -O strips asserts: a check that passed there must run again without it."""
    zenrunner.makepyfile(
        pipeline_checked="""
        from zenrun import pipeline, step

        @step
        def check() -> int:
            accuracy = 0.42
            assert accuracy > 0.9
            return 1

        @pipeline
        def checked():
            check()
        """
    )
    zenrunner.run("-p", "no:results", env={"PYTHONOPTIMIZE": "1"}).assert_outcomes(passed=1)
    plain = zenrunner.run("-v", "-p", "no:results")
    plain.assert_outcomes(failed=1)
    plain.fnmatch_lines(["*Step check: cache miss: python -O (asserts stripped) changed*"])


def test_a_lambdas_key_covers_its_argument_kinds(zenrunner):
    """``lambda *xs`` and ``lambda xs`` compile to the same instructions: not the same key."""
    zenrunner.makepyfile(
        pipeline_lambda="""
        from zenrun import pipeline, step

        count = lambda *xs: len(xs)

        @step
        def use() -> int:
            return count([1, 2, 3])

        @pipeline
        def lam():
            use()
        """
    )
    zenrunner.run("-p", "no:results").assert_outcomes(passed=1)
    assert read_store(zenrunner.store).get_runs("lam")[-1].steps["use"].output.value == 1
    path = zenrunner.path / "pipeline_lambda.py"
    path.write_text(path.read_text().replace("lambda *xs:", "lambda xs:"))
    zenrunner.run("-p", "no:results").assert_outcomes(passed=1)
    run = read_store(zenrunner.store).get_runs("lam")[-1]
    assert (run.steps["use"].status, run.steps["use"].output.value) == ("completed", 3)
    zenrunner.run("-p", "no:results").assert_outcomes(passed=1)  # and stable: a hit now
    assert read_store(zenrunner.store).get_runs("lam")[-1].steps["use"].status == "cached"


def test_a_literal_holding_a_file_name_that_is_not_utf8_is_keyed(zenrunner):
    """``os.listdir`` spells a name that is not UTF-8 with lone surrogates (``caf\\udce9``):
    passed to a step as a literal (or a param) it ended its pipeline with an INTERNALERROR
    (the key's text could not be encoded), and ``--view-build`` with another."""
    (zenrunner.path / "data").mkdir()
    (zenrunner.path / "data").joinpath(os.fsdecode(b"caf\xe9.csv")).write_text("1\n")
    (zenrunner.path / "data" / "ok.csv").write_text("2\n")
    zenrunner.makepyfile(
        pipeline_names="""
        import os
        import zenrun
        from zenrun import pipeline, step

        @step
        def load(name: str) -> str:
            return open(os.path.join("data", name)).read()

        @pipeline
        def per_file():
            for i, name in enumerate(sorted(os.listdir("data"))):
                load(name, id=f"load_{i}")

        @zenrun.mark.parametrize("name", ["x\\udcffy", "\\ud800"])
        @pipeline
        def named(name):
            load("ok.csv", id=f"load_{len(name)}")
        """
    )
    first = zenrunner.run("-q")
    assert "INTERNALERROR" not in first.stdout + first.stderr
    first.assert_outcomes(passed=3)
    runs = read_store(zenrunner.store).get_runs("per_file")
    assert runs[-1].steps["load_0"].output.read() == "1\n"
    zenrunner.run("-q").assert_outcomes(passed=3)
    steps = read_store(zenrunner.store).get_runs("per_file")[-1].steps
    assert {steps[s].status for s in ("load_0", "load_1")} == {"cached"}
    site = zenrunner.run("--view-build", str(zenrunner.path / "site"))
    assert site.ret == 0, site.stdout + site.stderr
    assert "named[x\\udcffy]" in (zenrunner.path / "site" / "index.html").read_text()


def test_what_a_builtins_subclass_holds_besides_its_items_is_part_of_the_key(project):
    """A ``defaultdict``'s factory and the attributes of a list or dict subclass are what a
    step reading the value gets: a module constant's and a literal's, not only their items."""
    project.write(
        zr_flow="""
            from collections import defaultdict
            from zenrun import pipeline, step

            class Tagged(list):
                pass

            WEIGHTS = defaultdict(lambda: 1.0, {"cat": 2.0})
            TAGGED = Tagged([1, 2])
            TAGGED.unit = "m"

            @step
            def weight_of(label: str) -> float:
                return WEIGHTS[label]

            @step
            def unit() -> str:
                return TAGGED.unit

            @step
            def lookup(table: dict, key: str) -> float:
                return table[key]

            @pipeline
            def flow():
                weight_of("dog")
                unit()
                lookup(defaultdict(lambda: 1.0), "dog")  # the literal
        """
    )
    first = project.run()
    assert [value(first, s) for s in ("weight_of", "unit", "lookup")] == [1.0, "m", 1.0]
    project.edit("zr_flow", 'lambda: 1.0, {"cat"', 'lambda: 3.0, {"cat"')
    project.edit("zr_flow", 'TAGGED.unit = "m"', 'TAGGED.unit = "km"')
    project.edit("zr_flow", "defaultdict(lambda: 1.0)", "defaultdict(lambda: 3.0)")
    second = project.run()
    assert outcome(second) == {"weight_of": "completed", "unit": "completed", "lookup": "completed"}
    assert [value(second, s) for s in ("weight_of", "unit", "lookup")] == [3.0, "km", 3.0]
    assert set(outcome(project.run()).values()) == {"cached"}


def test_an_array_subclass_keeps_its_attributes_in_keys_and_artifacts(project):
    """numpy's pickle of an ``ndarray`` subclass drops the instance's attributes: the key of a
    step reading such a constant and the artifact of a step returning it keep them."""
    pytest.importorskip("numpy")
    project.write(
        zr_flow="""
            import numpy as np
            from zenrun import pipeline, step

            class Quantity(np.ndarray):
                pass

            LIMIT = np.array([5.0]).view(Quantity)
            LIMIT.scale = 1000.0

            @step
            def limit_m() -> float:
                return float(LIMIT[0] * LIMIT.scale)

            @step
            def limit() -> Quantity:
                return LIMIT

            @step
            def scale_of(q: Quantity) -> float:
                return q.scale

            @pipeline
            def flow():
                limit_m()
                scale_of(limit())
        """
    )
    first = project.run()
    assert (value(first, "limit_m"), value(first, "scale_of")) == (5000.0, 1000.0)
    assert value(first, "limit").scale == 1000.0
    project.edit("zr_flow", "LIMIT.scale = 1000.0", "LIMIT.scale = 1.0")
    second = project.run()
    assert outcome(second)["limit_m"] == "completed"
    assert (value(second, "limit_m"), value(second, "scale_of")) == (5.0, 1.0)


def test_a_constant_nested_deeper_than_json_goes_is_named_in_bounded_length(project):
    """A list nested 3,000 deep: a change at its bottom is a miss whose reason names the
    value in a bounded number of characters (names were built level by level: 9,000)."""
    project.write(
        zr_flow="""
            from zenrun import pipeline, step

            def nested(depth):
                value = [8]
                for _ in range(depth):
                    value = [value]
                return value

            DEEP = nested(3000)

            @step
            def depth_of() -> int:
                return len(DEEP)

            @pipeline
            def flow():
                depth_of()
        """
    )
    assert outcome(project.run()) == {"depth_of": "completed"}
    assert outcome(project.run()) == {"depth_of": "cached"}
    project.edit("zr_flow", "value = [8]", "value = [9]")
    changed = project.run()
    assert outcome(changed) == {"depth_of": "completed"}
    reason = changed.steps["depth_of"].cache_reason
    assert "DEEP" in reason and len(reason) < 600, reason
