"""Content-addressed caching through the CLI (issue 2, SPEC §5), and unit tests of the key."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from store_files import artifact_bytes, unpack

from zenrun.testing import read_store

BASE = """
from zenrun import step, pipeline, StepConfig
import helpers

class TrainConfig(StepConfig):
    gamma: float = 0.5
    kernel: str = "rbf"

def scale(x):
    return x * 2

def double_scale(x):
    return scale(scale(x))

@step
def load() -> int:
    return LOAD_VALUE

@step
def train(config: TrainConfig, x: int, bonus: int = 0) -> float:
    '''Train a model.'''
    return double_scale(x) * config.gamma + bonus + helpers.offset()

@step
def report(score: float) -> str:
    return f"score={score}"

@pipeline
def flow():
    x = load()
    score = train(x, bonus=BONUS, config=TrainConfig(gamma=GAMMA))
    report(score)
"""

HELPERS = """
def offset():
    return 1
"""


def write(zenrunner, source=BASE, *, load_value=3, bonus=0, gamma=0.5, helpers=HELPERS, **replace):
    text = (
        source.replace("LOAD_VALUE", str(load_value))
        .replace("BONUS", str(bonus))
        .replace("GAMMA", str(gamma))
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    zenrunner.makepyfile(pipeline_flow=text, helpers=helpers)


def statuses(zenrunner, pipeline="flow", store=None):
    runs = [r for r in read_store(store or zenrunner.store).get_runs() if r.pipeline_name == pipeline]
    return {sid: s.status for sid, s in runs[-1].steps.items()}


ALL_CACHED = {"load": "cached", "train": "cached", "report": "cached"}
ALL_RAN = {"load": "completed", "train": "completed", "report": "completed"}


@pytest.fixture
def warm(zenrunner, monkeypatch):
    """A project whose pipeline ran once (everything completed), then once more (all cached).

    Those two runs are in-process (the tests' own runs, after an edit, are processes of
    their own: the keys must match across processes too); no .pyc of the project is written
    by them, which a subprocess would import after an edit of the same size in the same second.
    """
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    write(zenrunner)
    result = zenrunner.run(inprocess=True)
    assert result.ret == 0, result.stdout + result.stderr
    assert statuses(zenrunner) == ALL_RAN
    result = zenrunner.run("-v", inprocess=True)
    assert statuses(zenrunner) == ALL_CACHED
    result.fnmatch_lines(
        [
            "*Using cached version of load.*",
            "*Using cached version of train.*",
            "*Using cached version of report.*",
        ]
    )
    return zenrunner


def test_step_source_change_misses(warm):
    write(warm, **{'    return f"score={score}"': '    return f"score: {score}"'})
    result = warm.run("-v")
    assert statuses(warm) == {"load": "cached", "train": "cached", "report": "completed"}
    result.fnmatch_lines(["*Step report: cache miss: source code changed*"])


def test_comment_docstring_and_decorator_formatting_keep_the_cache(warm):
    write(
        warm,
        **{
            "    '''Train a model.'''\n": "    '''Train a model, now documented at length.'''\n"
            "    # a comment that changes nothing\n",
            "@step\ndef report": "@step()\ndef report",
            '    return f"score={score}"': '    return f"score={score}"  # same code',
        },
    )
    result = warm.run("-v")
    assert result.ret == 0
    assert statuses(warm) == ALL_CACHED


def test_helper_function_change_misses_transitively(warm):
    # double_scale -> scale: changing the inner helper changes train's key
    write(warm, **{"def scale(x):\n    return x * 2": "def scale(x):\n    return x * 3"})
    result = warm.run("-v")
    assert statuses(warm) == {"load": "cached", "train": "completed", "report": "completed"}
    result.fnmatch_lines(["*Step train: cache miss: source code changed*"])


def test_helper_in_another_project_module_changes_the_key(warm):
    write(warm, helpers="def offset():\n    return 2\n")
    warm.run("-v")
    assert statuses(warm) == {"load": "cached", "train": "completed", "report": "completed"}


def test_helper_change_with_same_result_keeps_downstream_cached(warm):
    """train's code changes but its output is identical: report stays cached."""
    write(warm, **{"def scale(x):\n    return x * 2": "def scale(x):\n    return x + x"})
    warm.run()
    assert statuses(warm) == {"load": "cached", "train": "completed", "report": "cached"}


def test_config_change_misses_and_verbose_says_why(warm):
    write(warm, gamma=0.25)
    result = warm.run("-v")
    assert statuses(warm) == {"load": "cached", "train": "completed", "report": "completed"}
    result.fnmatch_lines(["*Step train: cache miss: config gamma changed (0.5 -> 0.25)*"])
    # back to the old value: the old entry is still valid
    write(warm, gamma=0.5)
    warm.run()
    assert statuses(warm) == ALL_CACHED


def test_equal_config_spelled_differently_hits(warm):
    write(warm, **{"config=TrainConfig(gamma=0.5)": "config=TrainConfig(kernel='rbf', gamma=0.5)"})
    warm.run()
    assert statuses(warm) == ALL_CACHED


def test_literal_parameter_change_misses(warm):
    write(warm, bonus=2)
    result = warm.run("-v")
    assert statuses(warm) == {"load": "cached", "train": "completed", "report": "completed"}
    result.fnmatch_lines(["*Step train: cache miss: parameter bonus changed*"])


def test_input_content_change_misses_downstream(warm):
    write(warm, load_value=4)
    result = warm.run("-v")
    assert statuses(warm) == ALL_RAN
    result.fnmatch_lines(
        ["*Step load: cache miss: source code changed*", "*Step train: cache miss: input x changed*"]
    )


def test_identical_upstream_output_keeps_downstream_cached(zenrunner):
    zenrunner.makepyfile(
        pipeline_flow="""
        import numpy as np
        from zenrun import step, pipeline

        @step(enable_cache=False)
        def load() -> np.ndarray:
            return np.arange(6, dtype=np.int64).reshape(2, 3)

        @step
        def total(a: np.ndarray) -> int:
            return int(a.sum())

        @pipeline
        def flow():
            total(load())
    """
    )
    zenrunner.run()
    assert statuses(zenrunner) == {"load": "completed", "total": "completed"}
    result = zenrunner.run("-v")
    assert statuses(zenrunner) == {"load": "completed", "total": "cached"}
    result.fnmatch_lines(["*Step load: caching disabled*", "*Using cached version of total.*"])


def test_cache_version_changes_the_key(warm):
    write(warm, **{"@step\ndef report": "@step(cache_version='2')\ndef report"})
    result = warm.run("-v")
    assert statuses(warm)["report"] == "completed"
    result.fnmatch_lines(["*Step report: cache miss: cache_version changed*"])


def test_moving_the_store_keeps_keys(warm, tmp_path_factory):
    moved = tmp_path_factory.mktemp("moved") / "store"
    shutil.copytree(warm.store, moved)
    warm.run("--store", str(moved))
    assert statuses(warm, store=moved) == ALL_CACHED
    # the same project copied elsewhere, with its store
    other = tmp_path_factory.mktemp("copy")
    shutil.copytree(warm.path, other, dirs_exist_ok=True)
    from zenrun.testing import ZenrunProject

    copy = ZenrunProject(other)
    assert copy.run().ret == 0
    assert statuses(copy) == ALL_CACHED


# ---------------------------------------------------------------------------
# overrides
# ---------------------------------------------------------------------------

OVERRIDE_MESSAGE = (
    "*Runtime configuration overwriting the pipeline cache settings to "
    "enable_cache=False for this pipeline run. The default caching strategy is "
    "retained for future pipeline runs.*"
)


def test_step_enable_cache_false(zenrunner):
    write(zenrunner, **{"@step\ndef train": "@step(enable_cache=False)\ndef train"})
    zenrunner.run()
    zenrunner.run()
    # train reruns but its output is the same, so report stays cached
    assert statuses(zenrunner) == {"load": "cached", "train": "completed", "report": "cached"}


def test_pipeline_enable_cache_false_wins_over_steps(zenrunner):
    write(zenrunner, **{"@pipeline\ndef flow": "@pipeline(enable_cache=False)\ndef flow"})
    zenrunner.run()
    result = zenrunner.run("-v")
    assert statuses(zenrunner) == ALL_RAN
    result.fnmatch_lines(["*Cache disabled for pipeline flow*"])
    assert "Using cached version" not in result.stdout


def test_run_override_in_the_python_api(zenrunner):
    write(zenrunner)
    script = """
        from pipeline_flow import flow
        if __name__ == "__main__":
            import sys
            run = flow().run(enable_cache=(sys.argv[1] == "on"))
            print("STATUSES", sorted((k, s.status) for k, s in run.steps.items()))
    """
    result = zenrunner.runpython(textwrap.dedent(script), "on")
    assert result.ret == 0, result.stderr
    result = zenrunner.runpython(textwrap.dedent(script), "off")
    assert result.ret == 0, result.stderr
    result.fnmatch_lines([OVERRIDE_MESSAGE])
    assert "('train', 'completed')" in result.stdout
    result = zenrunner.runpython(textwrap.dedent(script), "on")
    result.no_fnmatch_line(OVERRIDE_MESSAGE)
    assert "('train', 'cached')" in result.stdout


def test_no_cache_prints_the_override_message_once_per_run(warm):
    result = warm.run("--no-cache", "-v")
    assert result.stdout.count("Runtime configuration overwriting the pipeline cache settings") == 1
    assert statuses(warm) == ALL_RAN


# ---------------------------------------------------------------------------
# broken artifacts
# ---------------------------------------------------------------------------


def artifact_files(store: Path) -> list[Path]:
    unpack(store)  # the tests below damage files: small artifacts are inline rows otherwise
    # not dotfiles: temporary files, and the store's id (.zenrun-store-id)
    return [
        p
        for p in (store / "artifacts").rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.startswith("inline.db")
    ]


def output_path(zenrunner, step_id, pipeline="flow"):
    run = [r for r in read_store(zenrunner.store).get_runs() if r.pipeline_name == pipeline][-1]
    digest = run.steps[step_id].output.digest
    unpack(zenrunner.store)
    return zenrunner.store / "artifacts" / digest[:2] / digest[2:]


def test_missing_artifact_is_a_miss_with_a_warning(warm):
    for path in artifact_files(warm.store):
        path.unlink()
    result = warm.run("-v")
    assert result.ret == 0, result.stdout
    assert statuses(warm) == ALL_RAN
    result.fnmatch_lines(["*WARNING*Cached output output of step load is missing*"])
    # and the artifacts are back
    assert warm.run().ret == 0
    assert statuses(warm) == ALL_CACHED
    for step_id in ALL_RAN:
        assert output_path(warm, step_id).exists()


def test_missing_artifact_warning_shows_without_verbose(warm):
    output_path(warm, "report").unlink()
    result = warm.run()
    assert result.ret == 0
    assert "report" in result.stdout and "missing" in result.stdout
    assert statuses(warm) == {"load": "cached", "train": "cached", "report": "completed"}


def test_corrupted_artifact_is_a_miss_at_the_cache_hit(warm):
    """SPEC 5: a hit whose artifact fails its hash check is a miss, with a warning."""
    path = output_path(warm, "load")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    result = warm.run("-v")
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["*WARNING*Cached output output of step load is missing or corrupt*"])
    assert statuses(warm)["load"] == "completed"
    # rewritten whole (small: in the inline pack, the damaged file removed)
    assert artifact_bytes(warm.store, path.parent.name + path.name) != bytes(data)
    assert warm.run().ret == 0 and statuses(warm)["load"] == "cached"


def test_truncated_artifact_is_replaced(warm):
    path = output_path(warm, "load")
    path.write_bytes(path.read_bytes()[:-1])
    assert warm.run().ret == 0
    assert statuses(warm)["load"] == "completed"
    assert warm.run().ret == 0
    assert statuses(warm)["load"] == "cached"


def test_corrupted_artifact_needed_downstream_reruns_the_producer(warm):
    # Hashes of large artifacts are only checked on load: make every artifact "large".
    warm.maketoml("verify_on_hit = 0")
    path = output_path(warm, "load")
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    # train must run (its code changed) and needs load's corrupted output
    write(warm, **{"+ bonus +": "+ bonus * 1 +"})
    result = warm.run("-v")
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["*WARNING*does not match its hash*re-running step load*"])
    status = statuses(warm)
    assert status["load"] == "completed"
    assert status["train"] == "completed"
    # the artifact is whole again
    run = read_store(warm.store).get_runs()[-1]
    assert output_path(warm, "load").read_bytes() != bytes(data)
    import hashlib

    assert (
        hashlib.sha256(output_path(warm, "load").read_bytes()).hexdigest() == run.steps["load"].output.digest
    )


def test_corrupted_large_artifact_of_a_fully_cached_run_is_not_loaded(warm):
    """Large cached outputs are verified lazily: nothing runs, so nothing reads them."""
    warm.maketoml("verify_on_hit = 0")
    path = output_path(warm, "load")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    result = warm.run()
    assert result.ret == 0
    assert statuses(warm) == ALL_CACHED


# ---------------------------------------------------------------------------
# unit tests of the key
# ---------------------------------------------------------------------------


def _module(tmp_path, name, source):
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_normalized_source_ignores_docstrings_comments_decorators(tmp_path):
    from zenrun.cache import normalized_source

    a = _module(
        tmp_path,
        "zr_src_a",
        '''
        import functools

        def f(x):
            """Doc."""
            # comment
            return x + 1
    ''',
    )
    b = _module(
        tmp_path,
        "zr_src_b",
        """
        import functools

        @functools.lru_cache
        def f(x):
            return x + 1   # another comment
    """,
    )
    c = _module(
        tmp_path,
        "zr_src_c",
        '''
        def f(x):
            """Doc."""
            return x + 2
    ''',
    )
    assert normalized_source(a.f) == normalized_source(b.f.__wrapped__)
    assert normalized_source(a.f) != normalized_source(c.f)


def test_docstrings_are_dropped_wherever_a_walk_of_every_node_finds_them():
    # Only statements hold functions and classes: the walk over statements drops the
    # docstrings ast.walk found, nested under if/try/with/match, in methods and in classes,
    # and nothing else (a lone string expression in a body, a lambda's string).
    import ast
    import importlib
    import inspect

    from zenrun.cache import _drop_docstring, _drop_docstrings

    def through_every_node(tree: ast.Module) -> None:  # as it was done: ast.walk
        for node in ast.walk(tree):
            _drop_docstring(node)

    nested = textwrap.dedent(
        '''
        """Module."""
        try:
            def a():
                """A."""
                if x:
                    class B:
                        """B."""
                        async def c(self):
                            """C."""
                            "not a docstring"
                            return lambda: "nor this"
        except E:
            def d():
                """D."""
        else:
            with m:
                def e(): "E."
        finally:
            for i in y:
                pass
            else:
                def f(): "F."
        match v:
            case 1:
                def g():
                    """G."""
                    return 1
        '''
    )
    sources = [nested] + [
        textwrap.dedent(inspect.getsource(module))
        for module in map(
            importlib.import_module, ("argparse", "asyncio.tasks", "dataclasses", "zenrun.execution")
        )
    ]
    for source in sources:
        expected, tree = ast.parse(source), ast.parse(source)
        through_every_node(expected)
        _drop_docstrings(tree)
        assert ast.dump(tree) == ast.dump(expected)
    tree = ast.parse(nested)
    _drop_docstrings(tree)
    text = ast.dump(tree)
    assert all(f"'{doc}.'" not in text for doc in "ABCDEFG") and "Module." not in text
    assert "not a docstring" in text and "nor this" in text


def test_code_fingerprint_follows_project_helpers(tmp_path):
    from zenrun.cache import code_fingerprint

    one = _module(
        tmp_path,
        "zr_fp_one",
        """
        import numpy as np
        def inner(x):
            return x * 2
        def outer(x):
            return inner(x) + np.sum(x)
    """,
    )
    two = _module(
        tmp_path,
        "zr_fp_two",
        """
        import numpy as np
        def inner(x):
            return x * 3
        def outer(x):
            return inner(x) + np.sum(x)
    """,
    )
    three = _module(
        tmp_path,
        "zr_fp_three",
        """
        import numpy as np
        def inner(x):
            '''same code, documented'''
            return x * 2
        def outer(x):
            return inner(x) + np.sum(x)
    """,
    )
    assert code_fingerprint(one.outer) != code_fingerprint(two.outer)
    assert len(code_fingerprint(one.outer)) == 64
    # module names differ, so compare structure through the helper only
    from zenrun.cache import normalized_source

    assert normalized_source(one.inner) == normalized_source(three.inner)


def test_code_fingerprint_is_stable_and_ignores_third_party():
    import numpy as np

    from zenrun.cache import _is_project_code, code_fingerprint

    assert not _is_project_code(np.sum)

    def local(x):
        return np.sum(x)

    assert code_fingerprint(local) == code_fingerprint(local)


def test_canonical_json():
    from zenrun import StepConfig
    from zenrun.cache import CanonicalJSONError, canonical_json

    assert canonical_json({"b": 1, "a": [1, 2.5, None, True]}) == '{"a":[1,2.5,null,true],"b":1}'
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})
    assert canonical_json("é") == '"é"'
    # one text per value: what JSON spells alike is told apart (else a step would be served
    # the output computed for another value)
    import collections
    import enum
    from pathlib import Path

    class Level(enum.IntEnum):
        LOW = 1

    distinct = [
        (1, 2), [1, 2], {1, 2}, frozenset({1, 2}), {1: "a"}, {"1": "a"}, {"__tuple__": [1, 2]},
        Path("a"), "a", Level.LOW, 1, True, 1.0, [(1, 2)], [[1, 2]], {"x": (1,)}, {"x": [1]},
        collections.OrderedDict(a=1), {"a": 1}, (), [], {}, None,
    ]  # fmt: skip
    texts = [canonical_json(v) for v in distinct]
    assert len(set(texts)) == len(texts), texts
    assert canonical_json({2, 1, 3}) == canonical_json({3, 1, 2})  # a set's order is not its own
    assert canonical_json({2: "b", 1: "a"}) == canonical_json({1: "a", 2: "b"})
    # plain JSON values keep the text they always had (the keys of earlier runs stay valid)
    assert canonical_json([1, "a", {"b": None}]) == '[1,"a",{"b":null}]'
    # a user's dict keeps its order (a step may iterate it); zenrun's own dicts are sorted
    assert canonical_json({"b": 1, "a": 2}, ordered=True) != canonical_json({"a": 2, "b": 1}, ordered=True)
    assert canonical_json({"a": 2, "b": 1}, ordered=True) == canonical_json({"a": 2, "b": 1})
    assert canonical_json({"b": 1, "a": 2}) == canonical_json({"a": 2, "b": 1})

    class Cfg(StepConfig):
        gamma: float = 0.1

    assert canonical_json(Cfg(gamma=0.2)) == canonical_json(Cfg(gamma=0.2))
    assert canonical_json(Cfg(gamma=0.2)) != canonical_json(Cfg(gamma=0.3))
    with pytest.raises(CanonicalJSONError):
        canonical_json(object())
    # never str() of an arbitrary object
    with pytest.raises(CanonicalJSONError):
        canonical_json({"x": lambda: 1})


def test_cache_key_parts_and_explanations():
    from zenrun import StepConfig, step
    from zenrun.cache import cache_key, explain_miss, key_parts

    class Cfg(StepConfig):
        gamma: float = 0.1

    @step
    def s(config: Cfg, x: int) -> int:
        return x

    base = key_parts(s, Cfg(), {"n": "1"}, {"x": "d1"})
    assert cache_key(base) == cache_key(key_parts(s, Cfg(), {"n": "1"}, {"x": "d1"}))
    variants = {
        "config": key_parts(s, Cfg(gamma=0.2), {"n": "1"}, {"x": "d1"}),
        "params": key_parts(s, Cfg(), {"n": "2"}, {"x": "d1"}),
        "inputs": key_parts(s, Cfg(), {"n": "1"}, {"x": "d2"}),
        "version": {**base, "cache_version": "2"},
    }
    keys = {cache_key(p) for p in variants.values()}
    assert len(keys) == 4 and cache_key(base) not in keys
    assert explain_miss(variants["config"], base) == "config gamma changed (0.1 -> 0.2)"
    assert explain_miss(variants["params"], base).startswith("parameter n changed")
    # a parameter without a JSON form is keyed by a digest, which the reason does not show
    fingerprinted = key_parts(s, Cfg(), {"n": "fingerprint:" + "ab" * 32}, {"x": "d1"})
    changed = key_parts(s, Cfg(), {"n": "fingerprint:" + "cd" * 32}, {"x": "d1"})
    assert explain_miss(changed, fingerprinted) == (
        "parameter n changed (its content, or the code of yours it names)"
    )
    assert explain_miss(variants["inputs"], base) == "input x changed"
    assert explain_miss(variants["version"], base) == "cache_version changed (None -> '2')"
    # the dependency list only explains the code digest; it is not a part of its own
    assert cache_key({**base, "deps": {}}) == cache_key(base)
    assert explain_miss(base, None) == "no earlier run of this step"


def test_rerun_producer_is_recorded_once(warm):
    """A cached producer re-executed to repair its artifact has one record with one set of inputs."""
    warm.maketoml("verify_on_hit = 0")  # so that the corruption is found on load
    path = output_path(warm, "train")
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    write(warm, **{'    return f"score={score}"': '    return f"score is {score}"'})
    result = warm.run("-v")
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["*WARNING*re-running step train*"])
    run = read_store(warm.store).get_runs()[-1]
    assert {k: s.status for k, s in run.steps.items()} == {
        "load": "cached",
        "train": "completed",
        "report": "completed",
    }
    assert [src for src, _, _ in run.steps["train"].inputs["x"]] == ["load"]
    assert [src for src, _, _ in run.steps["report"].inputs["score"]] == ["train"]
    assert list(run.steps["train"].outputs) == ["output"]


def test_config_with_a_set_field_hits_across_processes(zenrunner):
    """Set order depends on the process's hash seed; the key must not."""
    zenrunner.makepyfile(
        pipeline_tags="""
        from zenrun import StepConfig, pipeline, step

        class Tags(StepConfig):
            tags: set[str] = {"alpha", "beta", "gamma", "delta", "epsilon"}

        @step
        def count(config: Tags) -> int:
            return len(config.tags)

        @pipeline
        def tagged():
            count()
    """
    )
    assert zenrunner.run(env={"PYTHONHASHSEED": "1"}).ret == 0
    result = zenrunner.run("-v", env={"PYTHONHASHSEED": "2"})
    result.fnmatch_lines(["*Using cached version of count.*"])


def test_module_constant_of_project_code_is_in_the_key(zenrunner):
    zenrunner.makepyfile(
        helpers="""
        FACTOR = 2

        def scale(x):
            return x * FACTOR
    """,
        pipeline_const="""
        import helpers
        from zenrun import pipeline, step

        OFFSET = 1

        @step
        def compute() -> int:
            return helpers.scale(10) + OFFSET

        @pipeline
        def const():
            compute()
    """,
    )
    assert zenrunner.run().ret == 0
    zenrunner.makepyfile(
        helpers="""
        FACTOR = 3

        def scale(x):
            return x * FACTOR
    """
    )
    result = zenrunner.run("-v")
    result.fnmatch_lines(["*Step compute: cache miss: source code changed*"])
    source = (zenrunner.path / "pipeline_const.py").read_text().replace("OFFSET = 1", "OFFSET = 5")
    (zenrunner.path / "pipeline_const.py").write_text(source)
    result = zenrunner.run("-v")
    result.fnmatch_lines(["*Step compute: cache miss: source code changed*"])
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("const").last_run.steps["compute"].output.read())
    """
    assert zenrunner.runpython(script).outlines[-1] == "35"


ENVIRONMENT_SCRIPT = """
    import sys
    import pluggy
    from zenrun import pipeline, step

    lib = pluggy

    @step
    def compute(k: int) -> int:
        return k + len(lib.__name__)

    @pipeline
    def envflow(k: int = 0):
        compute(k, id="a")
        compute(k + 100, id="b")

    if __name__ == "__main__":
        first = envflow(k=1).run()
        lib = sys  # the standard library: no distribution to record
        second = envflow(k=2).run()
        for run in (first, second):
            print("KEYS", run.steps["a"].cache_key, run.steps["b"].cache_key, run.steps["a"].output.read())
"""


def test_cache_entries_record_the_environment_of_each_run(zenrunner):
    """The package versions a cache entry records are found once per step function and run
    (as its code's fingerprint): every step of a run records them, and the next run looks
    again (here its function names another library)."""
    import json
    import sqlite3

    import pluggy

    result = zenrunner.runpython(textwrap.dedent(ENVIRONMENT_SCRIPT))
    assert result.ret == 0, result.stdout + result.stderr
    runs = [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("KEYS")]
    assert [values for *_keys, values in runs] == ["7", "5"]  # len("pluggy") + 1, len("sys") + 2
    db = sqlite3.connect(zenrunner.store / "cache.db")
    try:
        entries = {key: json.loads(outputs) for key, outputs in db.execute("SELECT key, outputs FROM cache")}
    finally:
        db.close()
    packages = [[entries[key]["output"]["env"]["packages"] for key in keys] for *keys, _value in runs]
    assert packages == [[{"pluggy": pluggy.__version__}] * 2, [{}, {}]]


def test_a_set_of_strings_made_again_keeps_its_readers_cached(zenrunner):
    """A set of strings iterates in an order that changes with each process's hash seed;
    the same set computed again in another process is the same artifact (sorted when
    pickled), so the steps reading it stay cached."""
    zenrunner.makepyfile(
        pipeline_labels="""
import dataclasses
from zenrun import pipeline, step

@step(enable_cache=False)
def labels() -> dict:
    return {"names": {f"tag{i}" for i in range(40)}, "pairs": frozenset({("a", 1), ("b", 2), ("c", 3)})}

@step
def count(found: dict) -> int:
    return len(found["names"]) + len(found["pairs"])

@pipeline
def p():
    count(labels())
"""
    )
    for seed in ("1", "2", "3"):
        result = zenrunner.run("-v", env=zenrunner.env(PYTHONHASHSEED=seed))
        assert result.ret == 0, result.stdout + result.stderr
    assert "Using cached version of count." in result.stdout, result.stdout
    runs = read_store(zenrunner.path / ".zenrun").get_runs()
    assert [run.steps["count"].status for run in runs] == ["completed", "cached", "cached"]
