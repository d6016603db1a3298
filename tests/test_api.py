"""Steps, pipelines and the Python API (issue 2, SPEC §2, §3): composition and ``.run()``."""

from __future__ import annotations

import re
import textwrap

import pytest

import zenrun
from zenrun import Output, StepConfig, pipeline, step
from zenrun.compose import ComposeError, OutputHandle

# ---------------------------------------------------------------------------
# composition (in-process, nothing runs)
# ---------------------------------------------------------------------------


class TrainerConfig(StepConfig):
    gamma: float = 0.001
    C: float = 1.0


@step
def loader() -> Output(X=list, y=list):
    return [1, 2], [0, 1]


@step
def trainer(config: TrainerConfig, X: list, y: list) -> float:
    return config.gamma * sum(X)


@step
def evaluate(model: float, threshold: float = 0.5) -> float:
    return model


@step
def combine(scores: list) -> float:
    return max(scores)


def compose(pipe, **params):
    return pipe.compose(params) if hasattr(pipe, "fn") else pipe.compose()


def test_dir_lists_the_api_and_not_the_modules_own_helpers():
    listed = dir(zenrun)
    assert set(zenrun.__all__) <= set(listed)
    assert "__version__" in listed
    assert not {"Any", "TYPE_CHECKING", "annotations", "importlib"} & set(listed)


def test_step_analysis():
    assert trainer.config_param == "config" and trainer.config_class is TrainerConfig
    assert trainer.input_names == ["X", "y"]
    assert loader.output_names == ["X", "y"]
    assert evaluate.output_names == ["output"]
    assert evaluate.defaults == {"threshold": 0.5}
    assert trainer.entrypoint(TrainerConfig(gamma=2.0), [1, 2], [0]) == 6.0
    assert trainer.fn is trainer.entrypoint.__self__.fn
    assert zenrun.BaseStepConfig is StepConfig


def test_configured_instances_outside_a_pipeline():
    a = trainer(TrainerConfig(gamma=0.01))
    assert a.config == TrainerConfig(gamma=0.01) and a.step is trainer
    b = trainer.with_config(gamma=0.02)
    assert b.config == {"gamma": 0.02}
    named = trainer.with_config(gamma=0.03).configure(name="trainer_3")
    assert named.id == "trainer_3"
    with pytest.raises(TypeError, match="entrypoint"):
        evaluate(1.0)
    with pytest.raises(TypeError):
        loader.with_config(gamma=1)


def test_graph_ids_fan_in_and_gather():
    @pipeline
    def search():
        X, y = loader()
        scores = []
        for gamma in (0.1, 0.2, 0.3):
            model = trainer(X, y, config=TrainerConfig(gamma=gamma))
            scores.append(evaluate(model))
        evaluate(trainer(X, y), id="evaluate_default")
        combine(scores, id="best")
        combine(zenrun.gather(prefix="evaluate"), id="gathered")
        combine(zenrun.gather(names=["evaluate", "evaluate_3"]), id="named")

    composed = search.compose({})
    ids = list(composed.invocations)
    assert ids == [
        "loader",
        "trainer",
        "evaluate",
        "trainer_2",
        "evaluate_2",
        "trainer_3",
        "evaluate_3",
        "trainer_4",
        "evaluate_default",
        "best",
        "gathered",
        "named",
    ]
    assert composed.invocations["trainer_2"].config.gamma == 0.2
    assert composed.invocations["trainer_4"].config == TrainerConfig()
    graph = composed.graph
    import networkx as nx

    assert isinstance(graph, nx.DiGraph)
    assert graph.has_edge("loader", "trainer") and graph.edges["loader", "trainer"]["input"] in ("X", "y")
    assert sorted(graph.predecessors("best")) == ["evaluate", "evaluate_2", "evaluate_3"]
    assert sorted(graph.predecessors("gathered")) == [
        "evaluate",
        "evaluate_2",
        "evaluate_3",
        "evaluate_default",
    ]
    assert sorted(graph.predecessors("named")) == ["evaluate", "evaluate_3"]
    # gathered outputs are real inputs, in order
    assert composed.invocations["best"].inputs["scores"] == [
        OutputHandle("evaluate", "output"),
        OutputHandle("evaluate_2", "output"),
        OutputHandle("evaluate_3", "output"),
    ]
    assert nx.is_directed_acyclic_graph(graph)


def test_compose_errors():
    @pipeline
    def duplicate_id():
        loader(id="x")
        loader(id="x")

    with pytest.raises(ComposeError, match="used twice"):
        duplicate_id.compose({})

    @pipeline
    def bad_id():
        loader(id="has space")

    with pytest.raises(ComposeError, match="invalid step id"):
        bad_id.compose({})

    @pipeline
    def tuple_input():
        evaluate(loader())

    with pytest.raises(ComposeError, match="unpack"):
        tuple_input.compose({})

    with pytest.raises(ComposeError):
        zenrun.gather(prefix="x")


def test_a_body_testing_a_steps_output_is_told_the_value_comes_later():
    @step
    def accuracy() -> float:
        return 0.5

    @pipeline
    def compares():
        assert accuracy() > 0.9

    @pipeline
    def branches():
        if accuracy():
            pass

    for body in (compares, branches):
        with pytest.raises(
            TypeError, match="output of step 'accuracy' has no value while the pipeline body runs"
        ):
            body.compose({})


def test_a_body_that_calls_no_step_is_an_empty_run_as_a_test_doing_nothing_passes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    @pipeline
    def empty():
        pass

    assert empty.compose({}).invocations == {}
    run = empty().run()
    assert run.status == "completed"
    assert run.steps == {}
    assert zenrun.get_pipeline("empty").runs[-1].status == "completed"


def test_step_ids_take_letters_of_any_script_as_python_names_do():
    # "def étape" gives the id étape: name="étape" and id="名前_2" are as valid
    from zenrun.steps import StepDefinitionError

    @step(name="schritt_ß")
    def etape() -> int:
        return 1

    @pipeline
    def unicode_ids():
        etape()
        etape(id="名前_2")

    composed = unicode_ids.compose({})
    assert sorted(composed.invocations) == ["schritt_ß", "名前_2"]

    def spaced() -> int:
        return 1

    with pytest.raises(StepDefinitionError, match="a step id holds only"):
        step(name="has space")(spaced)


def test_seed_style_pipeline_with_steps_as_parameters():
    @pipeline
    def first_pipeline(step_1, step_2):
        X, y = step_1()
        step_2(X, y)

    instance = first_pipeline(step_1=loader(), step_2=trainer(TrainerConfig(gamma=0.5)))
    composed = instance.compose()
    assert list(composed.invocations) == ["loader", "trainer"]
    assert composed.invocations["trainer"].config.gamma == 0.5
    renamed = first_pipeline(
        step_1=loader().configure(name="load_it"), step_2=trainer.with_config(C=3.0).configure(name="fit")
    )
    composed = renamed.compose()
    assert list(composed.invocations) == ["load_it", "fit"]
    assert composed.invocations["fit"].config == TrainerConfig(C=3.0)


# ---------------------------------------------------------------------------
# .run() in a script
# ---------------------------------------------------------------------------

SCRIPT = """
import numpy as np
import zenrun
from zenrun import step, pipeline, Output, StepConfig

class SVCConfig(StepConfig):
    gamma: float = 0.001

@step
def load() -> Output(X=np.ndarray, y=np.ndarray):
    return np.arange(8.0).reshape(4, 2), np.array([0, 1, 0, 1])

@step
def svc_trainer(config: SVCConfig, X: np.ndarray, y: np.ndarray) -> float:
    return float(X.sum() * config.gamma)

@step
def best(scores: list) -> float:
    return max(scores)

@pipeline
def first_pipeline(step_1, step_2):
    X, y = step_1()
    step_2(X, y)

@pipeline
def sweep():
    X, y = load()
    for gamma in (0.1, 0.2):
        svc_trainer(X, y, config=SVCConfig(gamma=gamma))
    svc_trainer(X, y, config=SVCConfig(gamma=0.3), id="svc_big")
    best(zenrun.gather(prefix="svc_"), id="winner")

if __name__ == "__main__":
    instance = first_pipeline(step_1=load(), step_2=svc_trainer.with_config(gamma=0.5))
    run = instance.run()
    print("RESULT", run.name, run.status, run.steps["svc_trainer"].output.read())
    print("GET_STEP", run.get_step(name="svc_trainer").output.read())  # ZenML's keyword
    run = instance.run()
    print("STATUSES", sorted((k, s.status) for k, s in run.steps.items()))
    run = sweep().run()
    print("SWEEP", list(run.steps), run.steps["winner"].output.read())
    print("RUNS", [r.name for r in instance.get_runs()])
"""


def test_run_in_a_script(zenrunner):
    result = zenrunner.runpython(textwrap.dedent(SCRIPT))
    assert result.ret == 0, result.stdout + result.stderr
    # the seed's log lines show in the Python API without any option
    result.fnmatch_lines(
        [
            "Creating run for pipeline: first_pipeline",
            "Cache enabled for pipeline first_pipeline",
            "Using orchestrator local to run pipeline first_pipeline...",
            "Step load has started.",
            "Step load has finished in *s.",
            "Step svc_trainer has started.",
            "Step svc_trainer has finished in *s.",
            "Pipeline run first_pipeline-* has finished in *s.",
            "RESULT first_pipeline-* completed 14.0",
            "GET_STEP 14.0",
            "Using cached version of load.",
        ]
    )
    assert "STATUSES [('load', 'cached'), ('svc_trainer', 'cached')]" in result.stdout
    assert "SWEEP ['load', 'svc_trainer', 'svc_trainer_2', 'svc_big', 'winner'] 8.4" in result.stdout
    runs = re.search(r"RUNS \[(.*)\]", result.stdout).group(1)
    names = [n.strip(" '") for n in runs.split(",")]
    assert len(names) == 2
    for name in names:
        assert re.fullmatch(r"first_pipeline-\d{2}_[A-Z][a-z]{2}_\d{2}-\d{2}_\d{2}_\d{2}_\d{6}", name)
    # the store is in the rootdir found from the current directory
    assert (zenrunner.path / ".zenrun" / "metadata.db").exists()


def test_run_with_config_changes(zenrunner):
    """``with_config`` values reach the step and are part of the key."""
    script = SCRIPT.split('if __name__ == "__main__":')[0] + textwrap.dedent("""
        if __name__ == "__main__":
            import sys
            gamma = float(sys.argv[1])
            run = first_pipeline(step_1=load(), step_2=svc_trainer.with_config(gamma=gamma)).run()
            step = run.steps["svc_trainer"]
            print("TRAINER", step.status, step.config, step.output.read())
    """)
    path = zenrunner.makepyfile(run_it=script)
    result = zenrunner.runpython(path, "0.5")
    result.fnmatch_lines(["TRAINER completed {'gamma': 0.5} 14.0"])
    result = zenrunner.runpython(path, "0.25")
    result.fnmatch_lines(["TRAINER completed {'gamma': 0.25} 7.0"])
    result = zenrunner.runpython(path, "0.5")
    result.fnmatch_lines(["TRAINER cached {'gamma': 0.5} 14.0"])


MODULE = (
    SCRIPT.split('if __name__ == "__main__":')[0]
    + """
seed_instance = first_pipeline(step_1=load(), step_2=svc_trainer())
"""
)


def test_instance_collected_instead_of_unresolvable_function(zenrunner):
    zenrunner.makepyfile(pipeline_fan=MODULE)
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["pipeline_fan.py::sweep", "pipeline_fan.py::seed_instance"])
    result.no_fnmatch_line("*::first_pipeline*")
    result = zenrunner.run("-k", "seed_instance", "-v")
    assert result.ret == 0
    result.fnmatch_lines(["*Creating run for pipeline: first_pipeline*"])


def test_fan_in_through_the_cli_is_recorded_as_lineage(zenrunner):
    zenrunner.makepyfile(pipeline_fan=MODULE)
    result = zenrunner.run("-k", "sweep")
    assert result.ret == 0, result.stdout
    from zenrun.testing import read_store

    run = read_store(zenrunner.store).get_runs()[-1]
    winner = run.steps["winner"]
    assert sorted(step for step, _, _ in winner.inputs["scores"]) == [
        "svc_big",
        "svc_trainer",
        "svc_trainer_2",
    ]
    assert sorted(winner.upstream) == ["svc_big", "svc_trainer", "svc_trainer_2"]
    assert run.graph["winner"] == winner.upstream


def test_gather_is_part_of_the_cache_key(zenrunner):
    source = MODULE
    zenrunner.makepyfile(pipeline_fan=source)
    zenrunner.run("-k", "sweep")
    zenrunner.makepyfile(pipeline_fan=source.replace("(0.1, 0.2)", "(0.1, 0.2, 0.9)"))
    result = zenrunner.run("-k", "sweep", "-v")
    assert result.ret == 0
    from zenrun.testing import read_store

    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["svc_trainer"].status == "cached"
    assert run.steps["svc_trainer_3"].status == "completed"
    assert run.steps["winner"].status == "completed"
    result.fnmatch_lines(["*Step winner: cache miss: input scores changed*"])


def test_run_outside_a_project_uses_cwd_store(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "solo.py"
    script.write_text(
        textwrap.dedent("""
        from zenrun import step, pipeline

        @step
        def one() -> int:
            return 1

        @pipeline
        def solo():
            one()

        if __name__ == "__main__":
            print("STATUS", solo().run().status)
    """)
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "ZENRUN_STORE"}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "STATUS completed" in proc.stdout
    assert (tmp_path / ".zenrun" / "metadata.db").exists()


def test_the_api_reads_an_artifact_whose_class_lives_in_a_pipeline_module(zenrunner):
    zenrunner.makepyfile(
        **{
            "pipelines/pipeline_model": """
            from zenrun import pipeline, step

            class Model:
                def __init__(self, k):
                    self.k = k

                def predict(self, x):
                    return x * self.k

            @step
            def train() -> Model:
                return Model(3)

            @pipeline
            def modelled():
                train()
        """
        }
    )
    assert zenrunner.run("pipelines").ret == 0
    script = """
        import zenrun
        model = zenrun.get_pipeline("modelled").last_run.steps["train"].output.read()
        print("PREDICTED", type(model).__module__, model.predict(5))
    """
    result = zenrunner.runpython(textwrap.dedent(script))
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["PREDICTED pipeline_model 15"])


def test_a_step_output_held_in_a_container_literal_is_refused(zenrunner):
    """Inside a dict, a set, a tuple with literals or a list of lists, a step output would
    reach the step as its handle, not its value: refused where it is written."""
    zenrunner.makepyfile(
        pipeline_nested="""
        from zenrun import pipeline, step

        @step
        def make() -> int:
            return 7

        @step
        def show(x) -> str:
            return repr(x)

        @pipeline
        def in_dict():
            show({"k": make()})

        @pipeline
        def in_set():
            show({make()})

        @pipeline
        def in_tuple():
            show((make(), 1))

        @pipeline
        def in_nested_list():
            show(x=[[make()]])

        @pipeline
        def flat_list():
            show([make(), make()])
        """
    )
    result = zenrunner.run("-q", "-rA")
    assert result.ret == 1, result.stdout
    for pipeline_name, container in [
        ("in_dict", "dict"),
        ("in_set", "set"),
        ("in_tuple", "tuple"),
        ("in_nested_list", "list"),
    ]:
        result.fnmatch_lines(
            [
                f"pipeline '{pipeline_name}', step 'show': input 'x' holds the output of step 'make' "
                f"inside a {container}; pass step outputs as inputs themselves, or several as a flat list"
            ]
        )
    result.fnmatch_lines(["*4 error*"])
    from zenrun.testing import read_store

    (run,) = read_store(zenrunner.store).get_runs()
    assert run.pipeline_name == "flat_list" and run.steps["show"].output.read() == "[7, 7]"


def test_after_of_a_step_or_an_output_names_what_it_takes(zenrunner):
    """``.after()`` orders after a called step instance; a step or a step's output is refused
    with the pipeline and step named (it was an AttributeError on ``.id``)."""
    zenrunner.makepyfile(
        pipeline_after="""
        from zenrun import pipeline, step

        @step
        def first() -> int:
            return 1

        @step
        def second() -> int:
            return 2

        @pipeline
        def after_a_step():
            first()
            second.configure(name="then").after(first)()

        @pipeline
        def after_an_output():
            value = first()
            second.configure(name="then").after(value)()

        @pipeline
        def after_an_instance():
            one = first.configure(name="one")
            one()
            second.configure(name="then").after(one)()
        """
    )
    result = zenrunner.run("-q", "-rA")
    assert result.ret == 1, result.stdout
    for pipeline_name, got in [("after_a_step", "<step first>"), ("after_an_output", "OutputHandle(*)")]:
        result.fnmatch_lines(
            [
                f"pipeline '{pipeline_name}', step 'then': .after() takes a step instance that the "
                f"pipeline calls, e.g. first = step.configure(name='first'); first(); then .after(first); "
                f"got {got}"
            ]
        )
    result.no_fnmatch_line("*AttributeError*")
    from zenrun.testing import read_store

    (run,) = read_store(zenrunner.store).get_runs()
    assert run.pipeline_name == "after_an_instance" and run.graph["then"] == ["one"]
    assert run.steps["then"].output.read() == 2


def test_a_step_output_kept_from_another_pipeline_is_refused_even_when_the_id_exists_here(zenrunner):
    """A handle a pipeline body kept (in a module global) names a step of *that* composition:
    wired into another pipeline that has a step of the same id, it would silently read the
    other step's value. Refused, naming pipeline, step and the handle's step."""
    zenrunner.makepyfile(
        pipeline_kept="""
        from zenrun import pipeline, step

        kept = []

        @step
        def make(value: int) -> int:
            return value

        @step
        def show(x: int) -> int:
            return x

        @pipeline
        def a_first():
            kept.append(make(1))

        @pipeline
        def b_second():
            make(2)
            show(kept[0])

        @pipeline
        def c_list():
            make(3)
            show.configure(name="many")(x=[kept[0]])
        """
    )
    result = zenrunner.run("-q", "-rA")
    assert result.ret == 1, result.stdout
    result.fnmatch_lines(["*pipeline 'b_second', step 'show': output of step 'make' from another pipeline*"])
    result.fnmatch_lines(["*pipeline 'c_list', step 'many': output of step 'make' from another pipeline*"])
    from zenrun.testing import read_store

    (run,) = read_store(zenrunner.store).get_runs()
    assert run.pipeline_name == "a_first" and run.steps["make"].output.read() == 1
