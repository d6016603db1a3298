"""Parametrize marks: ids, products, zenrun.param, shadowing, StepConfig ids, -k on ids."""

import subprocess
import sys

STEPS = """
from zenrun import StepConfig, pipeline, step
import zenrun

@step
def emit(value) -> str:
    return repr(value)
"""


def collected(result):
    return [line for line in result.outlines if "::" in line]


def test_argnames_comma_string_and_list(zenrunner):
    zenrunner.makepyfile(
        pipeline_ab=STEPS
        + """
@zenrun.mark.parametrize("a, b", [(1, "x"), (2, "y")])
@pipeline
def as_string(a, b):
    emit((a, b))

@zenrun.mark.parametrize(["a", "b"], [(3, "z")])
@pipeline
def as_list(a, b):
    emit((a, b))
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stderr
    assert collected(result) == [
        "pipeline_ab.py::as_string[1-x]",
        "pipeline_ab.py::as_string[2-y]",
        "pipeline_ab.py::as_list[3-z]",
    ]
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=3)


def test_a_trailing_comma_unpacks_one_name_as_the_tuple_form(zenrunner):
    """As pytest (its issue #719): ``"arg,"`` is ``("arg",)``, each value a tuple to unpack;
    ``"arg"`` passes each tuple whole."""
    zenrunner.makepyfile(
        pipeline_comma="""
import zenrun
from zenrun import pipeline

scenarios = [("a",), ("b",)]

@zenrun.mark.parametrize("arg,", scenarios)
@pipeline
def trailing(arg):
    assert arg in ("a", "b"), arg

@zenrun.mark.parametrize("arg", scenarios)
@pipeline
def whole(arg):
    assert arg in (("a",), ("b",)), arg
"""
    )
    result = zenrunner.run("--collect-only", "-q", inprocess=True)
    assert collected(result) == [
        "pipeline_comma.py::trailing[a]",
        "pipeline_comma.py::trailing[b]",
        "pipeline_comma.py::whole[arg0]",
        "pipeline_comma.py::whole[arg1]",
    ]
    zenrunner.run(inprocess=True).assert_outcomes(passed=4)


def test_stacked_marks_make_the_product_in_pytest_order(zenrunner):
    # As pytest (checked against pytest 8): the id of the mark nearest the
    # function comes first, and the outermost mark varies fastest.
    zenrunner.makepyfile(
        pipeline_grid=STEPS
        + """
@zenrun.mark.parametrize("y", ["a", "b", "c"])
@zenrun.mark.parametrize("x", [0, 1])
@pipeline
def grid(x, y):
    emit((x, y))
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == [
        "pipeline_grid.py::grid[0-a]",
        "pipeline_grid.py::grid[0-b]",
        "pipeline_grid.py::grid[0-c]",
        "pipeline_grid.py::grid[1-a]",
        "pipeline_grid.py::grid[1-b]",
        "pipeline_grid.py::grid[1-c]",
    ]
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=6)


def test_param_with_id_and_marks(zenrunner):
    zenrunner.maketoml('markers = ["slow: takes long"]')
    zenrunner.makepyfile(
        pipeline_p=STEPS
        + """
@zenrun.mark.parametrize("n", [
    1,
    zenrun.param(2, id="two"),
    zenrun.param(3, marks=zenrun.mark.skip(reason="not three")),
    zenrun.param(4, id="four", marks=[zenrun.mark.slow]),
])
@pipeline
def numbers(n):
    emit(n)
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == [
        "pipeline_p.py::numbers[1]",
        "pipeline_p.py::numbers[two]",
        "pipeline_p.py::numbers[3]",
        "pipeline_p.py::numbers[four]",
    ]
    result = zenrunner.run("-v")
    result.assert_outcomes(passed=3, skipped=1)
    result.fnmatch_lines(["*numbers[[]3[]]*SKIP*"])
    result = zenrunner.run("-q", "-m", "slow")
    result.assert_outcomes(passed=1, deselected=3)
    result = zenrunner.run("-q", "-m", "not slow")
    result.assert_outcomes(passed=2, skipped=1, deselected=1)


def test_ids_list_and_callable(zenrunner):
    zenrunner.makepyfile(
        pipeline_i=STEPS
        + """
@zenrun.mark.parametrize("n", [10, 20], ids=["ten", "twenty"])
@pipeline
def listed(n):
    emit(n)

@zenrun.mark.parametrize("n", [10, 20], ids=lambda v: f"n{v // 10}")
@pipeline
def called(n):
    emit(n)

@zenrun.mark.parametrize("n", [object(), object()])
@pipeline
def opaque(n):
    emit(1)

@zenrun.mark.parametrize("s", ["dup", "dup", 1.5, True, None])
@pipeline
def scalars(s):
    emit(s)
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    assert collected(result) == [
        "pipeline_i.py::listed[ten]",
        "pipeline_i.py::listed[twenty]",
        "pipeline_i.py::called[n1]",
        "pipeline_i.py::called[n2]",
        "pipeline_i.py::opaque[n0]",
        "pipeline_i.py::opaque[n1]",
        "pipeline_i.py::scalars[dup0]",
        "pipeline_i.py::scalars[dup1]",
        "pipeline_i.py::scalars[1.5]",
        "pipeline_i.py::scalars[True]",
        "pipeline_i.py::scalars[None]",
    ]


def test_string_argvalues_and_ids_are_iterated(zenrunner):
    """As pytest: a string is an iterable of values (and of ids), one item per character."""
    zenrunner.makepyfile(
        pipeline_s=STEPS
        + """
@zenrun.mark.parametrize("ch", "<&'", ids="abc")
@pipeline
def chars(ch):
    emit(ch)

@zenrun.mark.parametrize("b", b"xy")
@pipeline
def octets(b):
    emit(b)
"""
    )
    result = zenrunner.run("--collect-only", "-q", inprocess=True)
    assert result.ret == 0, result.stdout + result.stderr
    assert collected(result) == [
        "pipeline_s.py::chars[a]",
        "pipeline_s.py::chars[b]",
        "pipeline_s.py::chars[c]",
        "pipeline_s.py::octets[120]",
        "pipeline_s.py::octets[121]",
    ]


def test_parametrized_name_shadows_a_fixture(zenrunner, monkeypatch):
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def size():
    return "from-fixture"
""")
    zenrunner.makepyfile(
        pipeline_s=STEPS
        + """
@zenrun.mark.parametrize("size", ["small", "large"])
@pipeline
def shadowed(size):
    emit(size)

@pipeline
def unshadowed(size):
    emit(size)
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == [
        "pipeline_s.py::shadowed[small]",
        "pipeline_s.py::shadowed[large]",
        "pipeline_s.py::unshadowed",
    ]
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=3)
    from zenrun.testing import read_store

    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where .read() loads artifacts
    store = read_store(zenrunner.store)
    seen = sorted(step.output.read() for run in store.get_runs() for step in run.steps.values())
    assert seen == ["'from-fixture'", "'large'", "'small'"]


def test_step_config_values_get_ids_from_non_default_fields(zenrunner):
    zenrunner.makepyfile(
        pipeline_cfg="""
from zenrun import StepConfig, pipeline, step
import zenrun

class ForestConfig(StepConfig):
    n_estimators: int = 10
    max_depth: int = 2
    criterion: str = "gini"

@step
def fit(config: ForestConfig) -> int:
    return config.n_estimators * config.max_depth

@zenrun.mark.parametrize("cfg", [
    ForestConfig(n_estimators=20, max_depth=4),
    ForestConfig(criterion="entropy"),
    ForestConfig(),
])
@pipeline
def forest(cfg):
    fit(config=cfg)
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == [
        "pipeline_cfg.py::forest[n_estimators=20-max_depth=4]",
        "pipeline_cfg.py::forest[criterion=entropy]",
        "pipeline_cfg.py::forest[cfg2]",
    ]
    result = zenrunner.run("-q", "-k", "20 and max_depth")
    result.assert_outcomes(passed=1, deselected=2)


def test_k_matches_ids_by_substring(zenrunner):
    zenrunner.makepyfile(
        pipeline_hpo=STEPS
        + """
@zenrun.mark.parametrize("model", ["forest", "svc"])
@zenrun.mark.parametrize("dataset", ["iris", "breast_cancer"])
@pipeline
def search(dataset, model):
    emit((dataset, model))
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == [
        "pipeline_hpo.py::search[iris-forest]",
        "pipeline_hpo.py::search[iris-svc]",
        "pipeline_hpo.py::search[breast_cancer-forest]",
        "pipeline_hpo.py::search[breast_cancer-svc]",
    ]
    result = zenrunner.run("-v", "-k", "iris")
    result.assert_outcomes(passed=2, deselected=2)
    result.fnmatch_lines(["*search[[]iris-forest[]] PASSED*", "*search[[]iris-svc[]] PASSED*"])
    result.no_fnmatch_line("*breast_cancer*PASSED*")
    result = zenrunner.run("-q", "-k", "CANCER and not svc")  # case-insensitive
    result.assert_outcomes(passed=1, deselected=3)
    result = zenrunner.run("-q", "-k", "rest")  # a substring of an id part
    result.assert_outcomes(passed=2, deselected=2)
    result = zenrunner.run("-q", "-k", "nomatch")
    assert result.ret == 5
    result.assert_outcomes(deselected=4)


def test_select_one_parametrized_item_by_node_id(zenrunner):
    zenrunner.makepyfile(
        pipeline_one=STEPS
        + """
@zenrun.mark.parametrize("dataset", ["iris", "breast_cancer"])
@pipeline
def hpo(dataset):
    emit(dataset)
"""
    )
    result = zenrunner.run("-v", "pipeline_one.py::hpo[breast_cancer]")
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["*hpo[[]breast_cancer[]] PASSED*"])
    result = zenrunner.run("-q", "pipeline_one.py::hpo")
    result.assert_outcomes(passed=2)


def test_parametrize_errors(zenrunner):
    zenrunner.makepyfile(
        pipeline_bad=STEPS
        + """
@zenrun.mark.parametrize("nope", [1])
@pipeline
def bad(x=1):
    emit(x)
"""
    )
    result = zenrunner.run("-q")
    assert result.ret == 2
    result.fnmatch_lines(["*In bad: function uses no argument 'nope'*"])


def test_an_unsupported_id_names_the_pipeline_by_its_id(zenrunner):
    """As pytest: ``In <module>::<name>: ids contains unsupported value ...``."""
    zenrunner.makepyfile(
        pipeline_ids=STEPS
        + """
@zenrun.mark.parametrize("x", [1, 2], ids=["one", OSError()])
@pipeline
def bad_id(x):
    emit(x)
"""
    )
    result = zenrunner.run("-q", inprocess=True)
    assert result.ret == 2
    result.fnmatch_lines(
        [
            "*In pipeline_ids.py::bad_id: ids contains unsupported value OSError() (type: <class 'OSError'>) at index 1.*"
        ]
    )


def test_indirect_and_later_arguments_are_keyword_only(zenrunner):
    """As pytest 9's: a third positional argument is a collection error."""
    zenrunner.makepyfile(
        pipeline_pos=STEPS
        + """
@zenrun.mark.parametrize("a", [1], False)
@pipeline
def positional(a):
    emit(a)
"""
    )
    result = zenrunner.run(inprocess=True)
    assert result.ret == 2
    result.fnmatch_lines(["*TypeError*positional argument*"])
    result.assert_outcomes(errors=1)


def test_a_fixture_may_ask_for_a_parametrized_argument(zenrunner, monkeypatch):
    """As pytest: a name parametrized on the pipeline is a fixture the conftest's fixtures use."""
    zenrunner.makeconftest(
        """
        import zenrun

        @zenrun.fixture
        def train_config(model, level):
            return {"model": model, "level": level}
        """
    )
    zenrunner.makepyfile(
        pipeline_grid="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def train(config: dict) -> str:
            return f"{config['model']}-{config['level']}"

        @zenrun.mark.parametrize("model", ["rf", "logreg"])
        @zenrun.mark.parametrize("level", [1, 2, 3])
        @pipeline
        def grid(train_config):
            train(train_config)
        """
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout
    result.assert_outcomes(passed=6)
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where output.read() looks
    from zenrun.testing import read_store

    produced = {
        run.short_item_id: run.steps["train"].output.read() for run in read_store(zenrunner.store).get_runs()
    }
    assert produced == {
        f"grid[{level}-{model}]": f"{model}-{level}" for level in (1, 2, 3) for model in ("rf", "logreg")
    }


def test_an_empty_parameter_set_is_skipped_as_pytest_8_reports_it(zenrunner):
    zenrunner.makepyfile(
        pipeline_e="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s(a: int) -> int:
            return a

        @zenrun.mark.parametrize("a,b", [])
        @pipeline
        def empty(a, b):
            s(a)
        """
    )
    collected = zenrunner.run("--co", "-q")
    collected.fnmatch_lines(["pipeline_e.py::empty[[]NOTSET[]]"])
    result = zenrunner.run("-rs")
    assert result.ret == 0
    # the line of its first decorator, as pytest's getfslineno gives it
    result.fnmatch_lines(["SKIPPED [[]1[]] pipeline_e.py:8: got empty parameter set for (a, b)"])


def test_a_parametrized_name_configures_the_steps_whose_config_parameter_it_names(zenrunner):
    # As a fixture of that name would, and over one: the step runs each item's value, never
    # the shadowed fixture's (nor, without a fixture, the config class's defaults).
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def train_config():
    return {"lr": 0.9}
""")
    zenrunner.makepyfile(
        pipeline_shadow="""
import zenrun
from zenrun import StepConfig, pipeline, step

class TrainConfig(StepConfig):
    lr: float = 0.1

@step
def train(train_config: TrainConfig) -> float:
    return train_config.lr

@step
def evaluate(eval_config: TrainConfig) -> float:
    return eval_config.lr

@pipeline
def from_fixture():
    train()

@zenrun.mark.parametrize("train_config", [TrainConfig(lr=3.0), {"lr": 4.0}])
@pipeline
def from_parametrize(train_config):
    train()

@zenrun.mark.parametrize("eval_config", [{"lr": 5.0}])
@pipeline
def without_fixture(eval_config):
    evaluate()

@zenrun.mark.parametrize("train_config", [{"lr": 6.0}])
@pipeline
def passed_by_the_body(train_config):
    train(train_config=TrainConfig(lr=7.0))

@pipeline
def given(train_config):
    train()

instance = given(train_config={"lr": 8.0})

@pipeline
def by_default(eval_config={"lr": 9.0}):
    evaluate()
"""
    )
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=8)
    from zenrun.testing import read_store

    store = read_store(zenrunner.store)
    used = sorted(step.config["lr"] for run in store.get_runs() for step in run.steps.values())
    # (``given`` itself is collected too: its parameter from the fixture)
    assert used == [0.9, 0.9, 3.0, 4.0, 5.0, 7.0, 8.0, 9.0]
    # The Python API: what the pipeline is given under a step's config parameter's name
    script = zenrunner.path / "api_run.py"
    script.write_text(
        "import pipeline_shadow as m\n"
        "run = m.given(train_config={'lr': 2.5}).run()\n"
        "print('USED', run.steps['train'].config['lr'])\n"
    )
    env = zenrunner.env(ZENRUN_STORE=str(zenrunner.path / "api-store"), PYTHONPATH=str(zenrunner.path))
    api = subprocess.run(
        [sys.executable, str(script)], cwd=zenrunner.path, capture_output=True, text=True, env=env
    )
    assert "USED 2.5" in api.stdout, api.stdout + api.stderr


def test_hidden_param_leaves_its_parameter_set_out_of_the_name(zenrunner):
    # As pytest 8.4's pytest.HIDDEN_PARAM (testing/python/metafunc.py::TestHiddenParam).
    zenrunner.makepyfile(
        pipeline_hidden=STEPS
        + """
@zenrun.mark.parametrize(("foo", "bar"), [("a", "x"), ("b", "y"), ("c", "z")],
                         ids=["paramset1", zenrun.HIDDEN_PARAM, "paramset3"])
@pipeline
def by_ids(foo, bar):
    emit((foo, bar))

@zenrun.mark.parametrize(("foo", "bar"), [zenrun.param("a", "x", id="paramset1"),
                                          zenrun.param("b", "y", id=zenrun.HIDDEN_PARAM), ("c", "z")])
@pipeline
def by_param(foo, bar):
    emit((foo, bar))

@zenrun.mark.parametrize("bar", ["x", "y"])
@zenrun.mark.parametrize("foo", ["a", "b"], ids=["a", zenrun.HIDDEN_PARAM])
@pipeline
def stacked(foo, bar):
    emit((foo, bar))

@zenrun.fixture(params=[1, 2], ids=[zenrun.HIDDEN_PARAM, "two"])
def size(request):
    return request.param

@pipeline
def with_fixture(size):
    emit(size)
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stderr
    assert collected(result) == [
        "pipeline_hidden.py::by_ids[paramset1]",
        "pipeline_hidden.py::by_ids",
        "pipeline_hidden.py::by_ids[paramset3]",
        "pipeline_hidden.py::by_param[paramset1]",
        "pipeline_hidden.py::by_param",
        "pipeline_hidden.py::by_param[c-z]",
        "pipeline_hidden.py::stacked[a-x]",
        "pipeline_hidden.py::stacked[a-y]",
        "pipeline_hidden.py::stacked[x]",
        "pipeline_hidden.py::stacked[y]",
        "pipeline_hidden.py::with_fixture",
        "pipeline_hidden.py::with_fixture[two]",
    ]
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=12)
    # the hidden set's item is selected by its name, its id is no keyword of it
    result = zenrunner.run("--collect-only", "-q", "pipeline_hidden.py::by_param")
    assert len(collected(result)) == 3
    result = zenrunner.run("--collect-only", "-q", "-k", "by_param and not paramset1 and not c-z")
    assert collected(result) == ["pipeline_hidden.py::by_param"]


def test_hidden_param_twice_in_one_parametrize_is_a_collection_error(zenrunner):
    zenrunner.makepyfile(
        pipeline_twice=STEPS
        + """
@zenrun.mark.parametrize("foo", ["a", "b"], ids=[zenrun.HIDDEN_PARAM, zenrun.HIDDEN_PARAM])
@pipeline
def twice(foo):
    emit(foo)
"""
    )
    result = zenrunner.run("--collect-only")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting pipeline_twice.py*",
            "In pipeline_twice.py::twice: multiple instances of HIDDEN_PARAM cannot be used in the same "
            "parametrize call, because the pipelines' names need to be unique.",
        ]
    )
    # strict_parametrization_ids: the duplicate error first, the hidden ids shown as <hidden>
    zenrunner.makeini("[zenrun]\nstrict_parametrization_ids = true\n")
    result = zenrunner.run("--collect-only")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["IDs:            <hidden>, <hidden>", "Duplicates:     <hidden>"])


def test_param_id_is_a_string_or_hidden_param():
    import pytest

    import zenrun

    assert zenrun.param(1, id=zenrun.HIDDEN_PARAM).id is zenrun.HIDDEN_PARAM
    assert "HIDDEN_PARAM" in zenrun.__all__
    with pytest.raises(TypeError, match=r"Expected id to be a string or a `zenrun\.HIDDEN_PARAM` sentinel"):
        zenrun.param(1, id=3)  # type: ignore[arg-type]


def test_metafunc_function_is_the_pipeline_its_module_binds(zenrunner):
    """As pytest's ``metafunc.function`` is the test function: the pipeline object, so an
    attribute set on it after its definition picks its parameters (pytest's issue 634), and
    one a decorator below ``@pipeline`` set on the function is seen too."""
    zenrunner.makepyfile(
        pipeline_attrs="""
import zenrun
from zenrun import pipeline

def tagged(fn):
    fn.tag = "inner"
    return fn

def zenrun_generate_tests(metafunc):
    assert metafunc.function is globals()[metafunc.function.__name__]
    assert metafunc.function.tag == "inner"
    metafunc.parametrize("n", getattr(metafunc.function, "params", (1, 2, 3)))

@pipeline
@tagged
def default(n):
    pass

@pipeline
@tagged
def own(n):
    pass

own.params = (7,)
"""
    )
    result = zenrunner.run("--collect-only", "-q", inprocess=True)
    assert collected(result) == [
        "pipeline_attrs.py::default[1]",
        "pipeline_attrs.py::default[2]",
        "pipeline_attrs.py::default[3]",
        "pipeline_attrs.py::own[7]",
    ]
