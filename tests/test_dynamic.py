"""Dynamic graphs: loops and conditions, gather, gathered inputs in graph / cache / lineage,
and the seed's class API (DynamicPipeline, as_template_of, GatherStepsParameters,
OutputParameters), including pickling templates by name."""

import textwrap

import pytest

import zenrun
from zenrun import ComposeError, StepConfig, pipeline, step
from zenrun.testing import read_store

# -- composition in-process (no store needed) ------------------------------------------


class GridConfig(StepConfig):
    size: int = 2
    with_report: bool = False


@step
def source() -> int:
    return 1


@step
def work(x: int, k: int = 0) -> int:
    return x + k


@step
def combine(values: list) -> int:
    return sum(values)


@step
def report(total: int) -> str:
    return str(total)


@pipeline
def grid(cfg):
    x = source()
    for k in range(cfg.size):
        work(x, k, id=f"work_{k}")
    total = combine(zenrun.gather(prefix="work"))
    if cfg.with_report:
        report(total)


@pytest.mark.parametrize(
    "size, with_report, expected",
    [
        (1, False, ["source", "work_0", "combine"]),
        (3, False, ["source", "work_0", "work_1", "work_2", "combine"]),
        (2, True, ["source", "work_0", "work_1", "combine", "report"]),
    ],
)
def test_loops_and_conditions_size_the_graph(size, with_report, expected):
    composed = grid.compose({"cfg": GridConfig(size=size, with_report=with_report)})
    assert list(composed.invocations) == expected
    graph = composed.graph
    assert sorted(graph.predecessors("combine")) == [f"work_{k}" for k in range(size)]
    assert all(graph.has_edge("source", f"work_{k}") for k in range(size))
    assert graph.number_of_nodes() == len(expected)
    assert composed.invocations["combine"].inputs["values"] == [
        composed.invocations["combine"].inputs["values"][k] for k in range(size)
    ]
    assert [h.step_id for h in composed.invocations["combine"].inputs["values"]] == [
        f"work_{k}" for k in range(size)
    ]


def test_gather_names_and_prefix_select_composed_so_far():
    @pipeline
    def names():
        x = source()
        work(x, 1, id="a_1")
        work(x, 2, id="b_2")
        work(x, 3, id="a_3")
        early = zenrun.gather(prefix="a_")
        work(x, 4, id="a_4")  # composed after the gather: not included
        combine(early, id="by_prefix")
        combine(zenrun.gather(names=["b_2", "a_4"]), id="by_names")
        combine(zenrun.gather(prefix="zzz"), id="nothing")

    composed = names.compose({})
    ids = lambda name: [h.step_id for h in composed.invocations[name].inputs["values"]]  # noqa: E731
    assert ids("by_prefix") == ["a_1", "a_3"]
    assert ids("by_names") == ["b_2", "a_4"]
    assert composed.invocations["nothing"].inputs["values"] == []
    assert sorted(composed.graph.predecessors("by_names")) == ["a_4", "b_2"]


def test_gather_errors():
    @pipeline
    def unknown_names():
        source()
        combine(zenrun.gather(names=["nope"]))

    with pytest.raises(ComposeError, match=r"gather\(names=...\) names unknown steps \['nope'\]"):
        unknown_names.compose({})

    @pipeline
    def both():
        combine(zenrun.gather(prefix="a", names=["b"]))

    with pytest.raises(ComposeError, match="exactly one of prefix= or names="):
        both.compose({})
    with pytest.raises(ComposeError, match="only be called inside a pipeline body"):
        zenrun.gather(prefix="x")

    @pipeline
    def one_name():
        source()
        combine(zenrun.gather(names="source"))

    with pytest.raises(
        ComposeError,
        match=r"'one_name': gather\(names=...\) takes a list of step ids, not the string 'source'",
    ):
        one_name.compose({})


def test_repeated_calls_get_numbered_ids_and_explicit_ids_are_checked():
    @pipeline
    def repeated():
        x = source()
        for _ in range(3):
            work(x)

    assert list(repeated.compose({}).invocations) == ["source", "work", "work_2", "work_3"]

    @pipeline
    def clash():
        source(id="s")
        source(id="s")

    with pytest.raises(ComposeError, match="step id 's' is used twice"):
        clash.compose({})

    @pipeline
    def bad_id():
        source(id="has space")

    with pytest.raises(ComposeError, match="invalid step id"):
        bad_id.compose({})


# -- gathered outputs through the CLI: cache key and lineage ----------------------------

GATHER_PROJECT = """
from zenrun import StepConfig, pipeline, step
import zenrun

def log(event):
    with open("log.txt", "a") as f:
        f.write(event + "\\n")

class Offset(StepConfig):
    offset: int = 0

@step
def score(config: Offset, i: int) -> int:
    log(f"score {i}")
    return i + config.offset

@step
def best(scores: list) -> int:
    log("best")
    return max(scores)

@pipeline
def search(n=3):
    for i in range(n):
        score(i, id=f"score_{i}")
    best(zenrun.gather(prefix="score"))
"""


def events(zenrunner):
    path = zenrunner.path / "log.txt"
    found = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return found


def test_gathered_outputs_are_in_the_cache_key(zenrunner):
    zenrunner.makepyfile(pipeline_gather=GATHER_PROJECT)
    zenrunner.run("-q").assert_outcomes(passed=1)
    assert events(zenrunner) == ["score 0", "score 1", "score 2", "best"]
    zenrunner.run("-q").assert_outcomes(passed=1)
    assert events(zenrunner) == []  # all cached

    # Changing what one gathered step returns invalidates the gatherer.
    result = zenrunner.run("-v", "--set", "score_1.offset=100")
    result.assert_outcomes(passed=1)
    assert events(zenrunner) == ["score 1", "best"]
    result.fnmatch_lines(["*Step best: cache miss: input scores changed*"])

    # Re-running a gathered step that returns the same value keeps the gatherer cached.
    zenrunner.run("-q", "--set", "score_1.offset=100", "--set", "score_1.enable_cache=false").assert_outcomes(
        passed=1
    )
    assert events(zenrunner) == ["score 1"]

    runs = read_store(zenrunner.store).get_runs()
    assert [r.steps["best"].status for r in runs] == ["completed", "cached", "completed", "cached"]


def test_gathered_outputs_are_in_lineage(zenrunner, monkeypatch):
    zenrunner.makepyfile(pipeline_gather=GATHER_PROJECT)
    zenrunner.run("-q").assert_outcomes(passed=1)
    run = read_store(zenrunner.store).get_runs()[-1]
    best_step = run.steps["best"]
    assert [(producer, output) for producer, output, _ in best_step.inputs["scores"]] == [
        ("score_0", "output"),
        ("score_1", "output"),
        ("score_2", "output"),
    ]
    assert sorted(best_step.upstream) == ["score_0", "score_1", "score_2"]
    digests = [ref.digest for _, _, ref in best_step.inputs["scores"]]
    assert digests == [run.steps[f"score_{i}"].outputs["output"].digest for i in range(3)]
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    assert [ref.read() for _, _, ref in best_step.inputs["scores"]] == [0, 1, 2]
    assert best_step.output.read() == 2


# -- the seed's class API ------------------------------------------------------------

CLASS_API = """
from typing import Any

from zenrun import (BaseStepConfig, DynamicPipeline, GatherStepsParameters, Output,
                    OutputParameters, step)


class TrainParams(BaseStepConfig):
    factor: int = 1


class CompareScoreParams(GatherStepsParameters):
    pick: str = "max"


class ScoreOutputs(OutputParameters):
    score: int
    factor: int


def log(event):
    with open("log.txt", "a") as f:
        f.write(event + "\\n")


@step
def load_data() -> Output(x=int, y=int):
    log("load")
    return 2, 3


@step
def train(config: TrainParams, x: int, y: int) -> int:
    log(f"train {config.factor}")
    return x * y * config.factor


@step
def evaluate(config: TrainParams, model: int) -> ScoreOutputs.as_output():
    return model % 7, config.factor


@step
def compare(config: CompareScoreParams) -> int:
    gathered = ScoreOutputs.gather(config)
    log("compare " + ",".join(f"{g.factor}:{g.score}" for g in gathered))
    chooser = max if config.pick == "max" else min
    return chooser(gathered, key=lambda g: g.score).factor


@step
def finish() -> str:
    log("finish")
    return "done"


class Tuning(DynamicPipeline):
    def __init__(self, load_step, conf_list: list, **kwargs: Any) -> None:
        self.load_step = load_step
        self.trains = [train(c).configure(name=f"train_{i}") for i, c in enumerate(conf_list)]
        self.evals = [evaluate(c).configure(name=f"evaluate_{i}") for i, c in enumerate(conf_list)]
        self.compare = compare(CompareScoreParams(output_steps_prefix="evaluate_")) \\
            .configure(name="compare_scores")
        self.finish = finish().configure(name="finish")
        self.finish.after(self.compare)
        super().__init__(self.load_step, *self.trains, *self.evals, self.compare, self.finish,
                         **kwargs)

    def connect(self, **steps: Any) -> None:
        x, y = steps["load_data"]()
        for train_step, eval_step in zip(self.trains, self.evals):
            eval_step(train_step(x, y))
        self.compare()
        self.finish()
"""


def test_dynamic_pipeline_templates_run_as_a_script(zenrunner):
    zenrunner.makepyfile(tuning=CLASS_API)
    script = textwrap.dedent("""
        from tuning import Tuning, TrainParams, load_data

        if __name__ == "__main__":
            small = Tuning.as_template_of("small_tuning")(
                load_data(), [TrainParams(factor=1), TrainParams(factor=2)])
            big = Tuning.as_template_of("big_tuning")(
                load_data(), [TrainParams(factor=f) for f in (1, 2, 3)])
            assert type(small).__name__ == "small_tuning" and small.name == "small_tuning"
            assert isinstance(small, Tuning) and type(small) is not type(big)
            r1 = small.run(enable_cache=False)
            r2 = big.run()
            print("RESULT", r1.pipeline_name, len(r1.steps), r1.status,
                  r2.pipeline_name, len(r2.steps), r2.status,
                  r1.steps["compare_scores"].output.read(), r2.steps["compare_scores"].output.read())
            print("GATHERED", sorted(r2.steps["compare_scores"].inputs))
            print("UPSTREAM", sorted(r2.steps["finish"].upstream))
            print("RUNS", len(small.get_runs()), len(big.get_runs()))
    """)
    result = zenrunner.runpython(script)
    assert result.ret == 0, result.stdout + result.stderr
    # factor 1: 6 % 7 = 6, factor 2: 12 % 7 = 5, factor 3: 18 % 7 = 4 -> max is factor 1
    result.fnmatch_lines(
        [
            "Creating run for pipeline: small_tuning",
            "*Runtime configuration overwriting the pipeline cache settings*",
            "RESULT small_tuning 7 completed big_tuning 9 completed 1 1",
            "GATHERED [[]'__gathered__'[]]",
            "UPSTREAM [[]'compare_scores'[]]",
            "RUNS 1 1",
        ]
    )
    log = (zenrunner.path / "log.txt").read_text().splitlines()
    assert log.count("compare 1:6,2:5") == 1
    assert log.count("compare 1:6,2:5,3:4") == 1


def test_module_level_templates_are_collected_as_items(zenrunner):
    zenrunner.makepyfile(tuning=CLASS_API)
    zenrunner.makepyfile(
        pipeline_templates="""
from tuning import Tuning, TrainParams, load_data

small_search = Tuning.as_template_of("small_search")(
    load_data(), [TrainParams(factor=1), TrainParams(factor=2)])
large_search = Tuning.as_template_of("large_search")(
    load_data(), [TrainParams(factor=f) for f in range(1, 5)])
_private = Tuning.as_template_of("private_search")(load_data(), [TrainParams()])
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == [
        "pipeline_templates.py::small_search",
        "pipeline_templates.py::large_search",
    ]
    result = zenrunner.run("-v", "-k", "large")
    result.assert_outcomes(passed=1, deselected=1)
    result.fnmatch_lines(["*Step train_3 has finished*", "*pipeline_templates.py::large_search PASSED*"])
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.pipeline_name == "large_search"
    assert list(run.steps) == [
        "load_data",
        "train_0",
        "evaluate_0",
        "train_1",
        "evaluate_1",
        "train_2",
        "evaluate_2",
        "train_3",
        "evaluate_3",
        "compare_scores",
        "finish",
    ]
    gathered = run.steps["compare_scores"].inputs["__gathered__"]
    assert sorted({producer for producer, _, _ in gathered}) == [f"evaluate_{i}" for i in range(4)]
    # The run config reaches template steps by their configured names.
    result = zenrunner.run("-q", "-k", "small", "--set", "compare_scores.pick=min")
    result.assert_outcomes(passed=1, deselected=1)
    assert "compare 1:6,2:5" in (zenrunner.path / "log.txt").read_text()
    assert read_store(zenrunner.store).get_runs()[-1].steps["compare_scores"].config == {
        "output_steps_prefix": "evaluate_",
        "output_steps_names": None,
        "pick": "min",
    }


def test_gather_by_names_and_gathered_changes_invalidate(zenrunner):
    zenrunner.makepyfile(tuning=CLASS_API)
    zenrunner.makepyfile(
        pipeline_named="""
from tuning import Tuning, TrainParams, CompareScoreParams, compare, load_data

class Named(Tuning):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.compare.config = CompareScoreParams(output_steps_names=["evaluate_1"])

named = Named.as_template_of("named")(load_data(), [TrainParams(factor=1), TrainParams(factor=2)])
"""
    )
    zenrunner.run("-q").assert_outcomes(passed=1)
    log = (zenrunner.path / "log.txt").read_text().splitlines()
    assert "compare 2:5" in log
    # A gathered step's new output invalidates the gathering step.
    (zenrunner.path / "log.txt").unlink()
    zenrunner.run("-q", "--set", "evaluate_1.factor=3", "--set", "train_1.factor=3").assert_outcomes(passed=1)
    log = (zenrunner.path / "log.txt").read_text().splitlines()
    assert log == ["train 3", "compare 3:4"]  # finish only depends on ordering: still cached


def test_output_parameters_as_output_and_gather_outside_a_step():
    from zenrun import GatherStepsParameters, Output, OutputParameters

    class Pair(OutputParameters):
        a: int
        b: str

    out = Pair.as_output()
    assert isinstance(out, Output) and out.outputs == {"a": int, "b": str}
    with pytest.raises(RuntimeError, match="must be called inside a step"):
        Pair.gather(GatherStepsParameters(output_steps_prefix="x"))


def test_gather_steps_parameters_needs_a_selector():
    from zenrun import DynamicPipeline, GatherStepsParameters

    @step
    def gatherer(config: GatherStepsParameters) -> int:
        return 0

    class Empty(DynamicPipeline):
        def __init__(self):
            super().__init__(gatherer(GatherStepsParameters()))

        def connect(self, **steps):
            steps["gatherer"]()

    with pytest.raises(ComposeError, match="needs output_steps_prefix or output_steps_names"):
        Empty().compose()


def test_dynamic_pipeline_rejects_duplicate_names_and_non_steps():
    from zenrun import DynamicPipeline

    class Dup(DynamicPipeline):
        def connect(self, **steps):
            pass

    with pytest.raises(ComposeError, match="two steps are named 'source'"):
        Dup(source(), source())
    assert len(Dup(source(), source().configure(name="source_b")).steps) == 2
    with pytest.raises(TypeError, match="expected configured step instances"):
        Dup(source)


def test_after_makes_an_ordering_edge_and_cycles_are_errors():
    from zenrun import DynamicPipeline

    class Ordered(DynamicPipeline):
        def __init__(self, cyclic=False):
            self.first = source().configure(name="first")
            self.second = source().configure(name="second")
            self.first.after(self.second)
            if cyclic:
                self.second.after(self.first)
            super().__init__(self.first, self.second)

        def connect(self, **steps):
            steps["first"]()
            steps["second"]()

    composed = Ordered().compose()
    assert composed.order() == ["second", "first"]
    assert composed.graph.has_edge("second", "first")
    with pytest.raises(ComposeError, match="cycle"):
        Ordered(cyclic=True).compose().order()


def test_templates_pickle_by_name_in_another_process(zenrunner):
    zenrunner.makepyfile(tuning=CLASS_API)
    zenrunner.makepyfile(
        templates_mod="""
from tuning import Tuning, TrainParams, load_data

# The module rebinds the template's name to an instance: pickle still finds the class.
iris_random_forest = Tuning.as_template_of("iris_random_forest")(load_data(), [TrainParams()])
Cancer = Tuning.as_template_of("breast_cancer_random_forest")
"""
    )
    dump = zenrunner.runpython("""
import pickle, sys
import cloudpickle
import templates_mod, tuning

with open("classes.pkl", "wb") as f:
    pickle.dump([type(templates_mod.iris_random_forest), templates_mod.Cancer, tuning.Tuning], f)
with open("instance.pkl", "wb") as f:
    cloudpickle.dump(templates_mod.iris_random_forest, f)
""")
    assert dump.ret == 0, dump.stderr
    load = zenrunner.runpython("""
import pickle

with open("classes.pkl", "rb") as f:
    iris, cancer, tuning = pickle.load(f)
print("CLASSES", iris.__module__, iris.__name__, cancer.__name__, tuning.__name__,
      issubclass(iris, tuning), iris.pipeline_name)
with open("instance.pkl", "rb") as f:
    instance = pickle.load(f)
print("INSTANCE", instance.name, list(instance.compose().invocations))
""")
    assert load.ret == 0, load.stderr
    load.fnmatch_lines(
        [
            "CLASSES templates_mod iris_random_forest breast_cancer_random_forest Tuning True "
            "iris_random_forest",
        ]
    )
    assert load.outlines[-1] == (
        "INSTANCE iris_random_forest ['load_data', 'train_0', 'evaluate_0', 'compare_scores', 'finish']"
    )
