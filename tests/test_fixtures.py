"""Fixtures: scopes, params, yield teardown, override order, --fixtures, lookup errors."""

import os
from pathlib import Path

import pytest

import zenrun
from zenrun.testing import read_store

LOG_HELPERS = """
import zenrun

def log(event):
    with open("log.txt", "a") as f:
        f.write(event + "\\n")
"""

STEPS = """
from zenrun import StepConfig, pipeline, step
import zenrun

@step
def emit(value) -> str:
    return repr(value)
"""


def events(zenrunner):
    path = Path(zenrunner.path, "log.txt")
    return path.read_text().splitlines() if path.exists() else []


def test_scopes_counted_by_side_effects(zenrunner):
    zenrunner.makeconftest(
        LOG_HELPERS
        + """
@zenrun.fixture(scope="session")
def sess():
    log("session")
    return "S"

@zenrun.fixture(scope="module")
def mod(request):
    log("module " + request.node.module_path.name)
    return "M"

@zenrun.fixture
def per(sess, mod):
    log("pipeline")
    return sess + mod
"""
    )
    body = (
        STEPS
        + """
@pipeline
def first(per, sess):
    emit(per + sess)

@zenrun.mark.parametrize("n", [1, 2])
@pipeline
def second(per, mod, n):
    emit(per + mod + str(n))
"""
    )
    zenrunner.makepyfile(pipeline_a=body)
    zenrunner.makepyfile(**{"sub/pipeline_b": body})
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=6)
    log = events(zenrunner)
    assert log.count("session") == 1, log
    assert log.count("module pipeline_a.py") == 1, log
    assert log.count("module pipeline_b.py") == 1, log
    assert log.count("pipeline") == 6, log
    # A second invocation computes the session fixture again (once more).
    zenrunner.run("-q", "-k", "first").assert_outcomes(passed=2, deselected=4)
    assert events(zenrunner).count("session") == 2


def test_session_fixture_once_for_many_pipelines(zenrunner):
    zenrunner.makeconftest(
        LOG_HELPERS
        + """
@zenrun.fixture(scope="session")
def expensive():
    log("computed")
    return 41
"""
    )
    for index in range(4):
        zenrunner.makepyfile(
            **{
                f"pipeline_m{index}": STEPS
                + f"""
@pipeline
def p{index}(expensive):
    emit(expensive + 1)
"""
            }
        )
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=4)
    assert events(zenrunner) == ["computed"]


def test_fixture_params_expand_every_pipeline_using_it(zenrunner):
    zenrunner.makeconftest(
        LOG_HELPERS
        + """
@zenrun.fixture(params=["iris", "digits"])
def dataset(request):
    log("dataset " + request.param)
    return request.param.upper()

@zenrun.fixture(params=[1, 2], ids=["one", "two"])
def seed(request):
    return request.param

@zenrun.fixture
def loader(dataset):
    return "load " + dataset
"""
    )
    zenrunner.makepyfile(
        pipeline_fp=STEPS
        + """
@pipeline
def direct(dataset):
    emit(dataset)

@pipeline
def indirect(loader):
    emit(loader)

@pipeline
def product(dataset, seed):
    emit((dataset, seed))

@pipeline
def unrelated():
    emit(0)
"""
    )
    result = zenrunner.run("--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == [
        "pipeline_fp.py::direct[iris]",
        "pipeline_fp.py::direct[digits]",
        "pipeline_fp.py::indirect[iris]",
        "pipeline_fp.py::indirect[digits]",
        "pipeline_fp.py::product[iris-one]",
        "pipeline_fp.py::product[iris-two]",
        "pipeline_fp.py::product[digits-one]",
        "pipeline_fp.py::product[digits-two]",
        "pipeline_fp.py::unrelated",
    ]
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=9)
    log = events(zenrunner)
    assert log.count("dataset iris") == 4 and log.count("dataset digits") == 4, log


def test_yield_fixture_teardown_after_the_pipeline_even_when_it_failed(zenrunner):
    zenrunner.makeconftest(
        LOG_HELPERS
        + """
@zenrun.fixture
def resource(request):
    log("setup " + request.node.name)
    yield "R"
    log("teardown " + request.node.name)

@zenrun.fixture(scope="session")
def connection():
    log("connect")
    yield "C"
    log("disconnect")
"""
    )
    zenrunner.makepyfile(
        pipeline_y=LOG_HELPERS
        + """
from zenrun import pipeline, step

@step
def work(value) -> str:
    log("step work " + value)
    return value

@step
def explode(value) -> str:
    log("step explode")
    raise RuntimeError("boom")

@pipeline
def good(resource, connection):
    work(resource + connection)

@pipeline
def bad(resource, connection):
    explode(resource)
"""
    )
    result = zenrunner.run("-q")
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.fnmatch_lines(["*RuntimeError: boom*"])
    assert events(zenrunner) == [
        "connect",
        "setup good",
        "step work RC",
        "teardown good",  # higher scopes first
        "setup bad",
        "step explode",
        "teardown bad",
        "disconnect",
    ]


def test_yield_fixture_teardown_when_composing_fails(zenrunner):
    zenrunner.makeconftest(
        LOG_HELPERS
        + """
@zenrun.fixture
def resource():
    log("setup")
    yield 1
    log("teardown")
"""
    )
    zenrunner.makepyfile(
        pipeline_c=STEPS
        + """
@pipeline
def broken(resource):
    raise ValueError("bad body")
"""
    )
    result = zenrunner.run("-q")
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(["*ValueError: bad body*"])
    assert events(zenrunner) == ["setup", "teardown"]


def test_override_order_module_over_nearer_over_farther_conftest(zenrunner, monkeypatch):
    fixture = """
import zenrun

@zenrun.fixture
def where():
    return "{}"
"""
    zenrunner.makeconftest(fixture.format("root"))
    zenrunner.makeconftest(fixture.format("near"), directory="a/b")
    body = (
        STEPS
        + """
@pipeline
def which(where):
    emit(where)
"""
    )
    zenrunner.makepyfile(
        **{
            "a/pipeline_mid": body,  # only the root conftest applies
            "a/b/pipeline_near": body,  # the nearer conftest wins
            "a/b/pipeline_own": body + fixture.format("module"),  # the module's own wins
            "c/pipeline_sibling": body,  # a/b's conftest does not leak here
        }
    )
    zenrunner.run("-q").assert_outcomes(passed=4)
    from zenrun.testing import read_store

    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    got = {run.item_id: run.steps["emit"].output.read() for run in read_store(zenrunner.store).get_runs()}
    assert got == {
        "a/pipeline_mid.py::which": "'root'",
        "a/b/pipeline_near.py::which": "'near'",
        "a/b/pipeline_own.py::which": "'module'",
        "c/pipeline_sibling.py::which": "'root'",
    }


def test_fixtures_option_lists_docstrings_and_locations(zenrunner):
    zenrunner.makeconftest('''
import zenrun

@zenrun.fixture(scope="session")
def database():
    """A shared database connection."""
    return 1

@zenrun.fixture
def undocumented():
    return 2
''')
    zenrunner.makepyfile(
        pipeline_f=STEPS
        + '''
@zenrun.fixture(params=[1, 2])
def local_one(request):
    """Defined in the module itself."""
    return request.param

@pipeline
def uses(database, local_one):
    emit(database)
'''
    )
    result = zenrunner.run("--fixtures")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "database [[]session scope[]] -- conftest.py:4",
            "    A shared database connection.",
        ]
    )
    result.fnmatch_lines(["local_one* -- pipeline_f.py:*", "    Defined in the module itself."])
    result.fnmatch_lines(["undocumented -- conftest.py:9", "    no docstring available"])
    result.no_fnmatch_line("*PASSED*")  # --fixtures runs nothing
    result.fnmatch_lines(["*no pipelines ran*"])


def test_fixture_not_found_lists_available_ones(zenrunner):
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def alpha():
    return 1

@zenrun.fixture
def beta():
    return 2
""")
    zenrunner.makepyfile(
        pipeline_nf=STEPS
        + """
@pipeline
def needs(alpha, gamma):
    emit(alpha)
"""
    )
    result = zenrunner.run("-q")
    assert result.ret == 1  # an error of that item at setup, as pytest
    result.fnmatch_lines(
        [
            "*def needs(alpha, gamma):",
            "E       fixture 'gamma' not found",
            "*available fixtures: alpha, beta*",
            "*zenrun --fixtures*",
        ]
    )


def test_fixture_injected_into_step_config_parameter(zenrunner, monkeypatch):
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def trainer_config():
    return {"gamma": 0.5}
""")
    zenrunner.makepyfile(
        pipeline_cfg="""
from zenrun import StepConfig, pipeline, step

class TrainerConfig(StepConfig):
    gamma: float = 0.001
    C: float = 1.0

@step
def train(trainer_config: TrainerConfig) -> float:
    return trainer_config.gamma * trainer_config.C

@pipeline
def from_fixture():
    train()

@pipeline
def from_code():
    train(trainer_config=TrainerConfig(gamma=2.0))
"""
    )
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=2)
    from zenrun.testing import read_store

    runs = {run.pipeline_name: run for run in read_store(zenrunner.store).get_runs()}
    assert runs["from_fixture"].steps["train"].config == {"gamma": 0.5, "C": 1.0}
    assert runs["from_code"].steps["train"].config == {"gamma": 2.0, "C": 1.0}


def test_config_fixture_of_another_class_is_an_error_not_the_defaults(zenrunner):
    """A fixture named like a step's config parameter that gives neither that config class
    nor a dict is an error naming both: the step never runs on the defaults in its place."""
    zenrunner.makeconftest("""
import zenrun
from zenrun import StepConfig

class OtherConfig(StepConfig):
    factor: int = 5

@zenrun.fixture
def scale_config():
    return OtherConfig(factor=2)

@zenrun.fixture
def nothing_config():
    return None

@zenrun.fixture
def proxy_config():
    import types
    return types.MappingProxyType({"factor": 7})
""")
    zenrunner.makepyfile(
        pipeline_cfg="""
from zenrun import StepConfig, pipeline, step

class ScaleConfig(StepConfig):
    factor: int = 3

@step
def scale(scale_config: ScaleConfig) -> int:
    return scale_config.factor

@step
def plain(nothing_config: ScaleConfig) -> int:
    return nothing_config.factor

@pipeline
def wrong_class():
    scale()

@pipeline
def none_given():
    plain()

@step
def proxied(proxy_config: ScaleConfig) -> int:
    assert proxy_config.factor == 7
    return proxy_config.factor

@pipeline
def from_a_mapping():
    proxied()

@step
def named(config: ScaleConfig) -> int:
    assert config.factor == 3
    return config.factor

@pipeline
def own_parameter(config="small"):  # the pipeline's, not a config for the step
    named()
"""
    )
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=3, errors=1)
    result.fnmatch_lines(
        [
            "*pipeline 'wrong_class', step 'scale': 'scale_config' (a fixture*) is a OtherConfig "
            "config; the step's config is a ScaleConfig or a dict of its fields*"
        ]
    )


def test_fixtures_using_fixtures_and_recursion_error(zenrunner):
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def a(b):
    return 1

@zenrun.fixture
def b(a):
    return 2
""")
    zenrunner.makepyfile(
        pipeline_r=STEPS
        + """
@pipeline
def loop(a):
    emit(a)
"""
    )
    result = zenrunner.run("-q")
    result.assert_outcomes(errors=1)
    result.fnmatch_lines(["*recursive dependency involving fixture*detected*"])


def test_fixtures_option_shows_the_visible_definition_unless_verbose(zenrunner):
    zenrunner.makeconftest('''
        import zenrun

        @zenrun.fixture
        def threshold():
            """Farther definition."""
            return 1
    ''')
    zenrunner.makepyfile(
        pipeline_near='''
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def threshold():
            """Nearest definition."""
            return 2

        @step
        def use(t: int) -> int:
            return t

        @pipeline
        def near(threshold):
            use(threshold)
    '''
    )
    result = zenrunner.run("--fixtures")
    assert result.ret == 0
    result.fnmatch_lines(["threshold -- pipeline_near.py:*", "    Nearest definition."])
    result.no_fnmatch_line("*Farther definition.*")
    verbose = zenrunner.run("--fixtures", "-v")
    verbose.fnmatch_lines(
        ["threshold -- conftest.py:*", "    Farther definition.", "threshold -- pipeline_near.py:*"]
    )


def test_setup_only_and_setup_plan_run_no_pipeline_and_count_none(zenrunner):
    zenrunner.makepyfile(
        pipeline_s="""
        import zenrun
        from zenrun import step, pipeline

        @zenrun.fixture
        def fx():
            return 1

        @step
        def s() -> int:
            return 1

        @pipeline
        def p(fx):
            s()
        """
    )
    for option in ("--setup-only", "--setup-plan"):
        result = zenrunner.run(option, "-rA")
        assert result.ret == 0, result.stdout
        result.fnmatch_lines(["*no pipelines ran in *"])  # as pytest: "no tests ran"
        assert "PASSED" not in result.stdout and "passed" not in result.stdout


def test_fixtures_shows_a_docstrings_first_paragraph_unless_verbose(zenrunner):
    zenrunner.makeconftest('''
        import zenrun

        @zenrun.fixture
        def documented():
            """Doc line one.

            Second paragraph.
            """
            return 1
    ''')
    zenrunner.makepyfile(
        pipeline_a="""
        from zenrun import step, pipeline

        @step
        def s() -> int:
            return 1

        @pipeline
        def p(documented):
            s()
        """
    )
    short = zenrunner.run("--fixtures")
    short.fnmatch_lines(["documented -- conftest.py:*", "    Doc line one.", ""])  # as pytest
    assert "Second paragraph" not in short.stdout
    verbose = zenrunner.run("--fixtures", "-v")
    verbose.fnmatch_lines(["documented -- conftest.py:*", "    Doc line one.", "*", "    Second paragraph."])


def test_arguments_of_mock_patch_decorators_are_not_fixtures(zenrunner):
    """As pytest: the leading arguments ``@mock.patch`` passes are not looked up."""
    zenrunner.makepyfile(
        pipeline_mocked="""
        import os
        from unittest import mock
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def suffix():
            return "!"

        @step
        def value(text: str) -> str:
            return text

        @pipeline
        @mock.patch("os.path.abspath")
        def mocked(abspath, suffix):
            abspath.return_value = "/mocked"
            value(os.path.abspath("x") + suffix)
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(passed=1)
    run = read_store(zenrunner.store).get_runs("mocked")[-1]
    assert run.steps["value"].output.read() == "/mocked!"


def test_a_fixture_built_on_a_parametrized_one_is_made_again_for_its_next_parameter(zenrunner):
    """Module- and session-scoped fixtures on a parametrized one: when its parameter changes,
    they are torn down and made again from the new one, whichever the pipeline asks first
    (as pytest: a fixture resolves what it depends on before it reuses its instance)."""
    for scope in ("module", "session"):
        zenrunner.makepyfile(
            **{
                f"pipeline_{scope}": f"""
import zenrun

@zenrun.fixture(params=[1, 2], scope="{scope}")
def p(request):
    return request.param

@zenrun.fixture(scope="{scope}")
def a(p):
    return f"a{{p}}"

@zenrun.fixture(scope="{scope}")
def b(p):
    return f"b{{p}}"

@zenrun.pipeline
def use_{scope}(a, b):
    assert a[1:] == b[1:], (a, b)
    print("used", a, b)
"""
            }
        )
        result = zenrunner.run("-s", "-q", "-p", "no:results", f"pipeline_{scope}.py")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["*used a1 b1*", "*used a2 b2*"])


def test_getfixturevalue_of_an_unknown_fixture_raises_the_public_lookup_error(zenrunner):
    zenrunner.makepyfile(
        pipeline_lookup="""
import zenrun

@zenrun.pipeline
def asks(request):
    try:
        request.getfixturevalue("nope")
    except zenrun.FixtureLookupError as exc:
        assert "fixture 'nope' not found" in str(exc)
        print("CAUGHT")
    else:
        raise AssertionError("no error")
"""
    )
    result = zenrunner.run("-s", "-q", "-p", "no:results")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*CAUGHT*"])


def test_a_wider_fixture_asking_for_a_parametrized_argument(zenrunner):
    """As pytest: a module fixture asking for a parametrized argument of the pipeline's scope
    is a ScopeMismatch (it was made once from the first item's value and kept for the
    others); one widened with parametrize(..., scope="module") is made again per value."""
    zenrunner.makeconftest(
        """
import zenrun

@zenrun.fixture(scope="module")
def train_config(lr):
    return {"lr": lr}
"""
    )
    zenrunner.makepyfile(
        pipeline_narrow="""
import zenrun

@zenrun.mark.parametrize("lr", [0.1, 0.5])
@zenrun.pipeline
def grid(train_config):
    pass
""",
        pipeline_wide="""
import zenrun

@zenrun.mark.parametrize("lr", [0.1, 0.5], scope="module")
@zenrun.pipeline
def grid(train_config, lr):
    assert train_config == {"lr": lr}, (train_config, lr)
""",
    )
    narrow = zenrunner.run("-p", "no:results", "pipeline_narrow.py")
    narrow.assert_outcomes(errors=2)
    narrow.stdout.fnmatch_lines(
        ["*ScopeMismatch: You tried to access the pipeline scoped fixture lr with a module scoped request*"]
    )
    zenrunner.run("-p", "no:results", "pipeline_wide.py").assert_outcomes(passed=2)


def test_current_test_variable_names_the_item_and_its_phase(zenrunner, monkeypatch):
    """$ZENRUN_CURRENT_TEST, pytest's PYTEST_CURRENT_TEST: a step running in the zenrun process
    sees its item's call; a module fixture torn down after the last item sees its teardown."""
    monkeypatch.delenv("ZENRUN_CURRENT_TEST", raising=False)
    zenrunner.makepyfile(
        pipeline_cur="""
        import os
        import zenrun
        from zenrun import pipeline, step

        seen = []

        @zenrun.fixture(scope="module")
        def mod():
            seen.append(("setup", os.environ["ZENRUN_CURRENT_TEST"]))
            yield
            seen.append(("teardown", os.environ["ZENRUN_CURRENT_TEST"]))
            print("SEEN", seen)

        @step
        def look() -> None:
            seen.append(("step", os.environ["ZENRUN_CURRENT_TEST"]))

        @pipeline
        def first(mod):
            look()

        @pipeline
        def second(mod):
            look()
        """
    )
    result = zenrunner.runzenrun_inprocess("-s", "--no-cache", "-p", "no:results")
    assert result.ret == 0
    assert (
        "SEEN [('setup', 'pipeline_cur.py::first (setup)'), "
        "('step', 'pipeline_cur.py::first (call)'), ('step', 'pipeline_cur.py::second (call)'), "
        "('teardown', 'pipeline_cur.py::second (teardown)')]"
    ) in result.stdout.str()
    assert "ZENRUN_CURRENT_TEST" not in os.environ


def test_current_test_variable_is_not_set_while_items_run_together(zenrunner, monkeypatch):
    """With items run together (``--dist threads``) no one item is the current one: the
    variable is not set (it named whichever item was set up last, and the first item torn
    down unset it under the others), and it is no change of the items' environment."""
    monkeypatch.delenv("ZENRUN_CURRENT_TEST", raising=False)
    zenrunner.makepyfile(
        pipeline_together="""
        import os
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def seen_in_setup():
            return os.environ.get("ZENRUN_CURRENT_TEST")

        @step
        def look(at_setup) -> None:
            print("SEEN", at_setup, os.environ.get("ZENRUN_CURRENT_TEST"))

        @pipeline
        @zenrun.mark.parametrize("n", [1, 2, 3])
        def p(n, seen_in_setup):
            look(seen_in_setup)
        """
    )
    result = zenrunner.runzenrun_inprocess(
        "-s", "--no-cache", "-n", "2", "--dist", "threads", "-p", "no:results"
    )
    assert result.ret == 0, result.stdout.str()
    assert result.stdout.str().count("SEEN None None") == 3, result.stdout.str()
    assert "ZENRUN_CURRENT_TEST" not in os.environ


def test_a_fixture_value_given_to_a_step_is_freed_when_its_item_is_done(zenrunner):
    """As pytest's test_fixture_values_leak, with the value an input of a step: the next
    item does not find it alive (the flushing thread held the finished run, and with it its
    steps' inputs, one interval longer: two items' datasets in memory at once)."""
    zenrunner.makepyfile(
        pipeline_leak="""
        import gc
        import sys
        import weakref
        import zenrun
        from zenrun import pipeline, step

        class Big:
            pass

        @zenrun.fixture
        def data():
            obj = Big()
            sys.zenrun_test_big = weakref.ref(obj)
            return obj

        @step
        def use(b: Big) -> int:
            return 1

        @step
        def check(freed: bool) -> None:
            assert freed, "the first item's fixture value is still alive"

        @pipeline
        def first(data):
            use(data)

        @pipeline
        def second():
            gc.collect()
            check(sys.zenrun_test_big() is None)
        """
    )
    result = zenrunner.runzenrun_inprocess("--no-cache", "-p", "no:results")
    result.assert_outcomes(passed=2)


def test_plugin_fixture_extends_another_plugins_of_the_same_name(zenrunner):
    """Two plugins' fixtures of one name extend each other in loading order, as pytest's
    (they shared the anchor as their ``baseid``: the second replaced the first, and its
    ``foo(foo)`` was a recursive dependency)."""
    zenrunner.makepyfile(
        plugin0="import zenrun\n@zenrun.fixture\ndef foo():\n    return 7\n",
        plugin1="import zenrun\n@zenrun.fixture\ndef foo(foo):\n    return foo + 7\n",
    )
    zenrunner.syspathinsert()
    zenrunner.makepyfile(
        pipeline_foo=STEPS
        + """
zenrun_plugins = ["plugin0", "plugin1"]

@pipeline
def p(foo):
    assert foo == 14
    emit(foo)
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_indirect_parametrize_scope_does_not_narrow_who_may_depend(zenrunner):
    """A session fixture parametrized indirectly with ``scope="function"`` may still be
    asked for by another session fixture, as in pytest (#13248): the ``scope=`` of
    ``parametrize`` says how long its instances live (it was a ScopeMismatch error)."""
    zenrunner.makepyfile(
        pipeline_scoped=STEPS
        + """
@zenrun.fixture(scope="session")
def my_fixture(request):
    return getattr(request, "param", None)

@zenrun.fixture(scope="session")
def another_fixture(my_fixture):
    return my_fixture

@zenrun.mark.parametrize("my_fixture", ["a", "b"], indirect=True, scope="function")
@pipeline
def p(another_fixture, my_fixture):
    assert another_fixture == my_fixture
    emit(another_fixture)
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)


def test_items_grouped_by_equal_parameter_values_across_parametrize_calls(zenrunner):
    """Items parametrized by separate ``parametrize`` calls share a session-scoped instance
    when the values are equal (pytest #8914): they are grouped, one setup per value (they
    were grouped by the value's index in its call: three setups)."""
    zenrunner.makepyfile(
        pipeline_grouped=STEPS
        + """
@zenrun.fixture(scope="session")
def prepare(request):
    return request.param

@zenrun.mark.parametrize("prepare", ["dina"], indirect=True, scope="session")
@pipeline
def p1(prepare):
    emit(prepare)

@zenrun.mark.parametrize("prepare", ["more"], indirect=True, scope="session")
@pipeline
def p2(prepare):
    emit(prepare)

@zenrun.mark.parametrize("prepare", ["dina", (1, 2)], indirect=True, scope="session")
@pipeline
def p3(prepare):
    emit(prepare)
"""
    )
    result = zenrunner.runzenrun_inprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "pipeline_grouped.py::p1[dina]",
            "pipeline_grouped.py::p3[dina]",
            "pipeline_grouped.py::p2[more]",
            "pipeline_grouped.py::p3[prepare1]",
        ],
        consecutive=True,
    )


def test_a_session_parameter_whose_hash_raises_is_grouped_by_its_position(zenrunner):
    """A value whose ``__hash__`` raises something else than ``TypeError`` is grouped as an
    unhashable one, by its index (it crashed the items' ordering)."""
    zenrunner.makepyfile(
        pipeline_badhash=STEPS
        + """
class Odd:
    def __hash__(self):
        raise ValueError("no hash for you")

    def __repr__(self):
        return "Odd()"

@zenrun.fixture(scope="session")
def prepare(request):
    return request.param

@zenrun.mark.parametrize("prepare", [Odd(), "b"], indirect=True, scope="session")
@pipeline
def p(prepare):
    emit(str(prepare))
"""
    )
    result = zenrunner.runzenrun_inprocess("--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["pipeline_badhash.py::p[prepare0]", "pipeline_badhash.py::p[b]"])


def test_request_fixturenames_lists_what_getfixturevalue_set_up(zenrunner):
    """``request.fixturenames`` has the fixtures asked for with ``getfixturevalue``, after the
    item's closure, as pytest's (they were left out)."""
    zenrunner.makepyfile(
        pipeline_names=STEPS
        + """
@zenrun.fixture
def dynamic():
    pass

@zenrun.fixture
def a(request):
    request.getfixturevalue("dynamic")

@pipeline
def p(a, request):
    assert request.fixturenames == ["a", "request", "dynamic"], request.fixturenames
    emit(1)
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_class_scoped_request_has_cls(zenrunner):
    """A fixture declared ``scope="class"`` has ``request.cls`` (``None``), as pytest's
    class-scoped request of a function test; no ``request.function`` (an AttributeError:
    ``cls`` was one too, as for a module-scoped fixture)."""
    zenrunner.makepyfile(
        pipeline_cls=STEPS
        + """
@zenrun.fixture(scope="class")
def arg(request):
    assert request.cls is None
    assert request.module is not None
    assert not hasattr(request, "function")

@pipeline
def p(arg):
    emit(1)
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_getfixturevalue_in_teardown_of_a_fixture_not_set_up_is_an_error(zenrunner):
    """A teardown asking for a fixture that is not set up is an error at teardown, as
    pytest's (it was set up then, with no scope left to tear it down); one that is set up
    is served."""
    zenrunner.makepyfile(
        pipeline_late=STEPS
        + """
@zenrun.fixture
def fix(request, tmp_path):
    yield
    assert request.getfixturevalue("tmp_path") == tmp_path
    request.getfixturevalue("monkeypatch")

@pipeline
def p(fix):
    emit(1)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ['*The fixture value for "monkeypatch" is not available during teardown because it was not*']
    )


def test_tmp_path_factory_when_the_user_id_is_unknown(tmp_path, monkeypatch):
    """``os.getuid()`` of -1 is a user id that could not be determined (pytest's
    ``get_user_id``): the per-user directory is not checked against it, as pytest's is not."""
    monkeypatch.setenv("ZENRUN_DEBUG_TEMPROOT", str(tmp_path))
    zenrun.TempPathFactory(None, 3, "all").getbasetemp()  # the directory, made by this user
    monkeypatch.setattr("os.getuid", lambda: -1)
    basetemp = zenrun.TempPathFactory(None, 3, "all").getbasetemp()
    assert basetemp.is_dir() and basetemp.parent.name.startswith("zenrun-of-")


def test_monkeypatch_setenv_of_a_non_string_warns_a_zenrun_warning():
    """As pytest's ``PytestWarning``: the warning is zenrun's, which ``-W ...::zenrun.ZenrunWarning``
    filters as every warning zenrun gives."""
    monkeypatch = zenrun.MonkeyPatch()
    try:
        with pytest.warns(zenrun.ZenrunWarning, match="converted to str implicitly"):
            monkeypatch.setenv("ZENRUN_TEST_NOT_A_STR", 2)  # type: ignore[arg-type]
    finally:
        monkeypatch.undo()
    assert "ZENRUN_TEST_NOT_A_STR" not in os.environ


def test_tmp_path_current_links_to_the_newest_directories(zenrunner, tmp_path_factory, monkeypatch):
    """As pytest's ``pytest-current``: ``zenrun-current`` is the newest session's base
    directory, ``<name>current`` in it a pipeline's newest ``tmp_path``; a link whose
    directory the retention removed goes with it."""
    temproot = tmp_path_factory.mktemp("temproot")
    monkeypatch.setenv("ZENRUN_DEBUG_TEMPROOT", str(temproot))
    zenrunner.makepyfile(
        pipeline_tmp="""
from zenrun import pipeline

@pipeline
def keeps(tmp_path):
    (tmp_path / "out.txt").write_text("hello")
"""
    )
    for _ in range(2):
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
    (root,) = temproot.iterdir()
    current = root / "zenrun-current"
    assert current.is_symlink() and current.resolve() == root / "zenrun-1"
    assert (current / "keepscurrent" / "out.txt").read_text() == "hello"
    zenrunner.maketoml('tmp_path_retention_policy = "none"')
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
    assert sorted(p.name for p in root.iterdir()) == []  # the dangling link is removed
