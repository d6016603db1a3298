"""Run config: ``--config FILE.yaml`` (the seed's format), ``--set``, precedence and errors."""

import pytest

from zenrun.testing import read_store

PIPELINES = """
from zenrun import StepConfig, pipeline, step
import zenrun

class TrainerConfig(StepConfig):
    gamma: float = 0.001
    C: float = 1.0

def log(event):
    with open("log.txt", "a") as f:
        f.write(event + "\\n")

@step
def load() -> int:
    log("load")
    return 3

@step
def train(trainer_config: TrainerConfig, x: int) -> float:
    log("train")
    return trainer_config.gamma * trainer_config.C * x
"""


def configs(zenrunner, step="train"):
    """{item id: the step's recorded config} of the latest run of each item."""
    latest = {}
    for run in read_store(zenrunner.store).get_runs():
        latest[run.item_id] = run.steps[step].config if step in run.steps else None
    return latest


def log(zenrunner):
    path = zenrunner.path / "log.txt"
    events = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return events


@pytest.fixture
def project(zenrunner):
    zenrunner.makepyfile(
        pipeline_prec=PIPELINES
        + """
@zenrun.fixture
def trainer_config():
    return {"gamma": 0.5, "C": 5.0}

@pipeline
def with_fixture():
    train(load())

@pipeline
def with_code():
    train(load(), trainer_config=TrainerConfig(gamma=2.0))
"""
    )
    zenrunner.makepyfile(
        pipeline_plain=PIPELINES
        + """
@pipeline
def plain():
    train(load())
"""
    )
    return zenrunner


def test_precedence_run_config_over_code_over_fixture_over_defaults(project):
    project.run("-q").assert_outcomes(passed=3)
    assert configs(project) == {
        "pipeline_plain.py::plain": {"gamma": 0.001, "C": 1.0},  # defaults
        "pipeline_prec.py::with_fixture": {"gamma": 0.5, "C": 5.0},  # fixture
        "pipeline_prec.py::with_code": {"gamma": 2.0, "C": 1.0},  # code over fixture
    }
    (project.path / "run.yaml").write_text("steps:\n  train:\n    parameters:\n      C: 9\n")
    project.run("-q", "--config", "run.yaml").assert_outcomes(passed=3)
    assert configs(project) == {  # run config over all
        "pipeline_plain.py::plain": {"gamma": 0.001, "C": 9.0},
        "pipeline_prec.py::with_fixture": {"gamma": 0.5, "C": 9.0},
        "pipeline_prec.py::with_code": {"gamma": 2.0, "C": 9.0},
    }
    # --set over the file.
    project.run(
        "-q", "--config", "run.yaml", "--set", "train.C=7", "--set", "train.gamma=0.25", "-k", "plain"
    ).assert_outcomes(passed=1, deselected=2)
    assert configs(project)["pipeline_plain.py::plain"] == {"gamma": 0.25, "C": 7.0}


def test_seed_yaml_format_enable_cache(project):
    project.run("-q", "-k", "plain").assert_outcomes(passed=1, deselected=2)
    assert log(project) == ["load", "train"]
    project.run("-q", "-k", "plain").assert_outcomes(passed=1, deselected=2)
    assert log(project) == []  # everything cached

    # Run-wide: nothing cached, and the run says so.
    (project.path / "off.yaml").write_text("enable_cache: false\n")
    result = project.run("-v", "-k", "plain", "--config", "off.yaml")
    result.assert_outcomes(passed=1, deselected=2)
    result.fnmatch_lines(
        [
            "*Runtime configuration overwriting the pipeline cache settings to "
            "enable_cache=False for this pipeline run.*"
        ]
    )
    assert log(project) == ["load", "train"]

    # One step, the seed's way: under parameters.
    (project.path / "seed.yaml").write_text("steps:\n  load:\n    parameters:\n      enable_cache: false\n")
    project.run("-q", "-k", "plain", "--config", "seed.yaml").assert_outcomes(passed=1, deselected=2)
    assert log(project) == ["load"]  # train's inputs are identical: still cached

    # One step, directly.
    (project.path / "step.yaml").write_text("steps:\n  train:\n    enable_cache: false\n")
    project.run("-q", "-k", "plain", "--config", "step.yaml").assert_outcomes(passed=1, deselected=2)
    assert log(project) == ["train"]

    # And with --set.
    project.run("-q", "-k", "plain", "--set", "load.enable_cache=false").assert_outcomes(
        passed=1, deselected=2
    )
    assert log(project) == ["load"]


def test_run_config_parameters_change_the_cache_key(project):
    project.run("-q", "-k", "plain").assert_outcomes(passed=1, deselected=2)
    log(project)
    result = project.run("-v", "-k", "plain", "--set", "train.gamma=0.5")
    assert log(project) == ["train"]
    result.fnmatch_lines(["*train*config*"])


def test_yaml_seed_example_file(zenrunner):
    """The seed's config file: run-wide and per-step caching plus step parameters together."""
    zenrunner.makepyfile(
        pipeline_seed=PIPELINES
        + """
@pipeline
def seed():
    train(load())
"""
    )
    (zenrunner.path / "config.yaml").write_text(
        "enable_cache: true\n"
        "steps:\n"
        "  train:\n"
        "    parameters:\n"
        "      gamma: 0.01\n"
        "      enable_cache: false\n"
    )
    zenrunner.run("-q", "--config", "config.yaml").assert_outcomes(passed=1)
    assert log(zenrunner) == ["load", "train"]
    zenrunner.run("-q", "--config", "config.yaml").assert_outcomes(passed=1)
    assert log(zenrunner) == ["train"]
    assert configs(zenrunner) == {"pipeline_seed.py::seed": {"gamma": 0.01, "C": 1.0}}


def test_unknown_step_id_with_one_pipeline_names_it_and_lists_steps(project):
    result = project.run("pipeline_plain.py", "--set", "trian.gamma=0.1")
    assert result.ret == 1
    result.assert_outcomes(errors=1)
    result.fnmatch_lines(["*pipeline 'plain'*unknown step(s) trian*steps are: load, train*"])
    assert log(project) == []  # nothing ran


def test_step_ids_shared_by_several_pipelines(zenrunner):
    zenrunner.makepyfile(
        pipeline_two=PIPELINES
        + """
@step
def extra(x: int) -> int:
    return x

@pipeline
def first():
    train(load())

@pipeline
def second():
    x = load()
    train(x)
    extra(x, id="only_here")
"""
    )
    # An id only some pipelines have applies to those; the others ignore it.
    result = zenrunner.run("-q", "--set", "only_here.enable_cache=false", "--set", "train.C=2")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    assert configs(zenrunner) == {
        "pipeline_two.py::first": {"gamma": 0.001, "C": 2.0},
        "pipeline_two.py::second": {"gamma": 0.001, "C": 2.0},
    }
    # An id no selected pipeline has is a usage error after the session, listing the steps.
    result = zenrunner.run("-q", "--set", "nowhere.C=2")
    assert result.ret == 4
    result.assert_outcomes(passed=2)
    result.fnmatch_lines(
        [
            "ERROR: --set: no selected pipeline has step(s) nowhere; steps are:",
            "  pipeline_two.py::first: load, train",
            "  pipeline_two.py::second: load, train, only_here",
        ],
        stderr=True,
    )
    # Selecting one pipeline makes the id an error of that pipeline.
    result = zenrunner.run("-q", "-k", "first", "--set", "only_here.enable_cache=false")
    assert result.ret == 1
    result.fnmatch_lines(["*pipeline 'first'*unknown step(s) only_here*steps are: load, train*"])


def test_unknown_field_names_pipeline_step_and_fields(project):
    result = project.run("-k", "plain", "--set", "train.gama=0.1")
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "*pipeline 'plain', step 'train': run config sets unknown field(s) gama of TrainerConfig;"
            " its fields are: gamma, C*"
        ]
    )
    (project.path / "bad.yaml").write_text("steps:\n  load:\n    parameters:\n      size: 3\n")
    result = project.run("-k", "plain", "--config", "bad.yaml")
    assert result.ret == 1
    result.fnmatch_lines(["*step 'load'*has no StepConfig parameter*"])


def test_invalid_value_names_field_and_value(project):
    result = project.run("-k", "plain", "--set", "train.gamma=fast")
    assert result.ret == 1
    result.fnmatch_lines(["*pipeline 'plain', step 'train': invalid config*", "*field 'gamma'*(got 'fast')*"])
    assert log(project) == []  # fails before any step runs


def test_malformed_yaml_names_file_and_line(project):
    (project.path / "broken.yaml").write_text("steps:\n  train:\n    parameters:\n  gamma: [1, 2\n")
    result = project.run("--config", "broken.yaml")
    assert result.ret == 4
    result.fnmatch_lines(["ERROR: broken.yaml:*malformed YAML*"], stderr=True)
    line = result.errlines[0].split("broken.yaml:")[1].split(":")[0]
    assert line.isdigit() and 3 <= int(line) <= 5, result.stderr
    assert log(project) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("enable_cach: false\n", "*unknown key(s)*enable_cach*"),
        ("steps:\n  train:\n    parameter:\n      gamma: 1\n", "*steps.train: expected keys*"),
        ("enable_cache: maybe\n", "*enable_cache must be true or false*"),
        ("- a\n- b\n", "*a run config is a mapping*"),
        (
            "steps:\n  load:\n    parameters: [1, 2]\n",
            "*steps.load.parameters: expected a mapping*got list ?1, 2?",
        ),
    ],
)
def test_structure_errors(zenrunner, text, message):
    zenrunner.makepyfile(pipeline_s=PIPELINES + "\n@pipeline\ndef s():\n    load()\n")
    (zenrunner.path / "c.yaml").write_text(text)
    result = zenrunner.run("--config", "c.yaml")
    assert result.ret == 4
    result.fnmatch_lines([message], stderr=True)


def test_missing_config_file_and_bad_set_syntax(zenrunner):
    zenrunner.makepyfile(pipeline_s=PIPELINES + "\n@pipeline\ndef s():\n    load()\n")
    result = zenrunner.run("--config", "nope.yaml")
    assert result.ret == 4
    result.fnmatch_lines(["*cannot read run config nope.yaml*"], stderr=True)
    result = zenrunner.run("--set", "gamma=1")
    assert result.ret == 4
    result.fnmatch_lines(["*expected STEP.FIELD=VALUE*"], stderr=True)


def test_set_values_are_converted_to_the_field_type(zenrunner):
    zenrunner.makepyfile(
        pipeline_types="""
        from zenrun import StepConfig, pipeline, step

        class Labels(StepConfig):
            label: str = "x"
            count: int = 0
            ratio: float = 0.5
            flag: bool = False
            sizes: list[int] = []
            limit: int | None = 3

        @step
        def show(config: Labels) -> dict:
            return config.model_dump()

        @pipeline
        def types():
            show()
    """
    )
    result = zenrunner.run(
        "--set",
        "show.label=123",
        "--set",
        "show.count=7",
        "--set",
        "show.ratio=1e-3",
        "--set",
        "show.flag=yes",
        "--set",
        "show.sizes=[1, 2]",
        "--set",
        "show.limit=null",
    )
    assert result.ret == 0, result.stdout
    script = """
        import json
        from zenrun import get_pipeline
        print(json.dumps(get_pipeline("types").last_run.steps["show"].output.read()))
    """
    import json

    assert json.loads(zenrunner.runpython(script).outlines[-1]) == {
        "label": "123",
        "count": 7,
        "ratio": 0.001,
        "flag": True,
        "sizes": [1, 2],
        "limit": None,
    }


def test_pythonpath_and_unknown_config_keys_as_pytest(zenrunner):
    (zenrunner.path / "sub").mkdir()
    (zenrunner.path / "sub" / "helper_mod.py").write_text("def seven():\n    return 7\n")
    zenrunner.makepyfile(
        pipeline_uses_helper="""
        from helper_mod import seven
        from zenrun import pipeline, step

        @step
        def value() -> int:
            return seven()

        @pipeline
        def uses_helper():
            value()
        """
    )
    zenrunner.maketoml('pythonpath = ["sub"]\npipelinepath = ["typo"]\n')
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(passed=1)
    assert result.parseoutcomes().get("warnings") == 1
    result.fnmatch_lines(["*zenrun.toml", "  ZenrunConfigWarning: Unknown config option: pipelinepath"])
    strict = zenrunner.run("--strict-config")
    assert strict.ret == 4
    assert "Unknown config option: pipelinepath" in strict.stderr


def test_c_reads_the_zenrun_table_of_any_toml_file(zenrunner):
    (zenrunner.path / "custom.toml").write_text(
        '[tool.zenrun]\nmarkers = ["custom_mark: from custom.toml"]\n'
    )
    result = zenrunner.run("-c", "custom.toml", "--markers")
    assert result.ret == 0
    result.fnmatch_lines(["@zenrun.mark.custom_mark: from custom.toml"])
    (zenrunner.path / "broken.toml").write_text("[tool.zenrun\n")
    broken = zenrunner.run("-c", "broken.toml")
    assert broken.ret == 4
    assert "broken.toml: invalid TOML" in broken.stderr
