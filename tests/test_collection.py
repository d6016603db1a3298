"""Discovery (issue 2, SPEC §4): rootdir, [tool.zenrun], modules, items, ids; the -k parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from zenrun.config import UsageError
from zenrun.config.findpaths import determine_rootdir
from zenrun.marks.expression import Expression
from zenrun.testing import read_store

ONE = """
from zenrun import step, pipeline

@step
def one() -> int:
    return 1

@pipeline
def NAME():
    one()
"""


def pipeline_module(name):
    return ONE.replace("NAME", name)


def collected(result):
    return [line.strip() for line in result.outlines if "::" in line and not line.startswith(("=", "_"))]


# ---------------------------------------------------------------------------
# files and directories
# ---------------------------------------------------------------------------


def test_recursive_discovery_and_python_files_pattern(zenrunner):
    zenrunner.makepyfile(
        **{
            "pipeline_top": pipeline_module("top"),
            "a/pipeline_deep": pipeline_module("deep"),
            "a/b/pipeline_deeper": pipeline_module("deeper"),
            "a/not_a_pipeline": pipeline_module("ignored"),
            ".hidden/pipeline_hidden": pipeline_module("hidden"),
            "build/pipeline_built": pipeline_module("built"),
            "node_modules/pipeline_nm": pipeline_module("nm"),
            "myenv/pipeline_env": pipeline_module("env"),
        }
    )
    (zenrunner.path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    # like pytest 8: a directory's files and sub-directories sorted together by name
    assert collected(result) == [
        "a/b/pipeline_deeper.py::deeper",
        "a/pipeline_deep.py::deep",
        "pipeline_top.py::top",
    ]


def test_python_files_and_pipelinepaths_in_zenrun_toml(zenrunner):
    zenrunner.maketoml("""
        python_files = ["flow_*.py", "pipeline_*.py"]
        pipelinepaths = ["flows"]
    """)
    zenrunner.makepyfile(
        **{
            "flows/flow_a": pipeline_module("a"),
            "flows/pipeline_b": pipeline_module("b"),
            "other/flow_c": pipeline_module("c"),
        }
    )
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    assert collected(result) == ["flows/flow_a.py::a", "flows/pipeline_b.py::b"]
    # an explicit path wins over pipelinepaths
    result = zenrunner.run("other", "--collect-only", "-q")
    assert collected(result) == ["other/flow_c.py::c"]


def test_tool_zenrun_in_pyproject(zenrunner):
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.zenrun]\npipelinepaths = ["src"]\n'
    )
    zenrunner.makepyfile(**{"src/pipeline_s": pipeline_module("s"), "pipeline_root": pipeline_module("r")})
    result = zenrunner.run("--collect-only", "-v")
    assert result.ret == 0, result.stdout
    result.fnmatch_lines([f"rootdir: {zenrunner.path}", "configfile: pyproject.toml"])
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == ["src/pipeline_s.py::s"]


def test_rootdir_found_from_a_subdirectory(zenrunner):
    zenrunner.makepyfile(**{"sub/pipeline_s": pipeline_module("s")})
    result = zenrunner.run("--collect-only", cwd=zenrunner.path / "sub")
    result.fnmatch_lines([f"rootdir: {zenrunner.path}", "configfile: zenrun.toml"])
    result = zenrunner.run("--collect-only", "-q", cwd=zenrunner.path / "sub")
    assert collected(result) == ["sub/pipeline_s.py::s"]


def test_determine_rootdir_unit(tmp_path):
    (tmp_path / "proj" / "a" / "b").mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("[tool.zenrun]\npython_files = ['x_*.py']\n")
    rootdir, inipath, ini = determine_rootdir(["a/b"], cwd=tmp_path / "proj")
    assert rootdir == tmp_path / "proj"
    assert inipath == tmp_path / "proj" / "pyproject.toml"
    assert ini == {"python_files": ["x_*.py"]}
    # a pyproject without the table is the configfile when nothing else is (as pytest 8.1+)
    (tmp_path / "other" / "deep").mkdir(parents=True)
    (tmp_path / "other" / "pyproject.toml").write_text("[project]\nname = 'o'\n")
    rootdir, inipath, ini = determine_rootdir([], cwd=tmp_path / "other" / "deep")
    assert (rootdir, inipath, ini) == (tmp_path / "other", tmp_path / "other" / "pyproject.toml", {})
    # path::name arguments
    rootdir, _, _ = determine_rootdir(["a/b/pipeline_x.py::p"], cwd=tmp_path / "proj")
    assert rootdir == tmp_path / "proj"


def test_without_a_config_file_the_rootdir_is_found_as_pytest_finds_it(tmp_path):
    bare = tmp_path / "bare"
    (bare / "d" / "e").mkdir(parents=True)
    (bare / "d" / "pipeline_b.py").write_text("")
    # no config file and no setup.py: the common ancestor of the current directory and the paths
    assert determine_rootdir(["d"], cwd=bare) == (bare, None, {})
    assert determine_rootdir(["d/pipeline_b.py"], cwd=bare) == (bare, None, {})
    assert determine_rootdir([], cwd=bare / "d") == (bare / "d", None, {})
    assert determine_rootdir(["e"], cwd=bare / "d") == (bare / "d", None, {})
    # a path outside the current directory: nothing in common but /, so the paths' ancestor
    assert determine_rootdir([str(bare / "d")], cwd=Path("/")) == (bare / "d", None, {})
    # a version-control directory marks nothing (pytest ignores .git)
    (bare / ".git").mkdir()
    assert determine_rootdir(["e"], cwd=bare / "d") == (bare / "d", None, {})
    # a setup.py above the paths marks the rootdir
    (bare / "setup.py").write_text("")
    assert determine_rootdir(["e"], cwd=bare / "d") == (bare, None, {})
    # a config file below the paths' common ancestor, above one of them, is found too
    (tmp_path / "two" / "a").mkdir(parents=True)
    (tmp_path / "two" / "b").mkdir()
    (tmp_path / "two" / "a" / "zenrun.toml").write_text("python_files = ['p_*.py']\n")
    found = determine_rootdir(["a", "b"], cwd=tmp_path / "two")
    assert found == (
        tmp_path / "two" / "a",
        tmp_path / "two" / "a" / "zenrun.toml",
        {"python_files": ["p_*.py"]},
    )


def test_invalid_toml_is_a_usage_error(zenrunner):
    zenrunner.maketoml("python_files = [unclosed\n")
    zenrunner.makepyfile(pipeline_a=pipeline_module("a"))
    result = zenrunner.run()
    assert result.ret == 4
    assert "invalid TOML" in result.stderr


def test_a_config_file_that_is_not_utf8_is_a_usage_error(zenrunner):
    # e.g. a pyproject.toml saved as Latin-1, its [project] authors naming "Jürgen"
    zenrunner.makepyfile(pipeline_a=pipeline_module("a"))
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "pyproject.toml").write_bytes(
        '[project]\nauthors = [{name = "Jürgen"}]\n\n[tool.zenrun]\n'.encode("latin-1")
    )
    result = zenrunner.run()
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.ret == 4
    assert "pyproject.toml: invalid TOML: not UTF-8 text (byte 0xfc at offset 31)" in result.stderr


# ---------------------------------------------------------------------------
# importing modules as pytest does
# ---------------------------------------------------------------------------


def test_package_modules_import_each_other_once(zenrunner):
    zenrunner.makepyfile(
        **{
            "pkg/__init__": "",
            "pkg/shared": "import itertools\nCOUNTER = itertools.count()\nVALUE = next(COUNTER)\n",
            "pkg/pipeline_one": """
            from zenrun import step, pipeline
            from pkg.shared import COUNTER
            from . import shared

            LOADED = next(COUNTER)

            @step
            def one() -> int:
                return LOADED

            @pipeline
            def first():
                one()
        """,
            "pkg/pipeline_two": """
            from zenrun import step, pipeline
            from pkg.pipeline_one import one, LOADED
            import pkg.pipeline_one

            @step
            def check() -> int:
                assert LOADED == 1, LOADED   # pipeline_one was imported once
                return LOADED

            @pipeline
            def second():
                check()
        """,
        }
    )
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    # a pipeline function imported into another module is collected only where it is defined
    assert collected(zenrunner.run("--collect-only", "-q")) == [
        "pkg/pipeline_one.py::first",
        "pkg/pipeline_two.py::second",
    ]


def test_sibling_modules_importable_as_under_pytest(zenrunner):
    zenrunner.makepyfile(
        **{
            "flows/helpers_local": "FACTOR = 3\n",
            "flows/pipeline_f": """
            from zenrun import step, pipeline
            from helpers_local import FACTOR

            @step
            def one() -> int:
                return FACTOR

            @pipeline
            def f():
                one()
        """,
        }
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr


def test_same_basename_without_packages_is_an_error(zenrunner):
    zenrunner.makepyfile(
        **{"a/pipeline_same": pipeline_module("a_pipe"), "b/pipeline_same": pipeline_module("b_pipe")}
    )
    result = zenrunner.run()
    assert result.ret == 2
    result.fnmatch_lines(["*ERROR collecting b/pipeline_same.py*", "*import file mismatch*"])
    # with packages they are distinct modules
    (zenrunner.path / "a" / "__init__.py").write_text("")
    (zenrunner.path / "b" / "__init__.py").write_text("")
    result = zenrunner.run()
    assert result.ret == 0, result.stdout
    result.assert_outcomes(passed=2)


# ---------------------------------------------------------------------------
# items
# ---------------------------------------------------------------------------

ITEMS = """
from zenrun import step, pipeline, StepConfig
import zenrun

class Cfg(StepConfig):
    n: int = 1

@step
def emit(config: Cfg) -> int:
    return config.n

@step
def plus(x: int, y: int) -> int:
    return x + y

@pipeline
def plain():
    emit()

@pipeline(name="renamed_pipe")
def with_name():
    emit()

@pipeline
def with_default(n=5):
    emit(config=Cfg(n=n))

@pipeline
def needs_fixture(number):
    emit(config=Cfg(n=number))

@pipeline
def seed_style(step_1):
    step_1()

seed_instance = seed_style(step_1=emit(Cfg(n=7)))
_private_instance = seed_style(step_1=emit(Cfg(n=8)))

def not_a_pipeline():
    pass
"""


def test_items_and_ids(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def number():
            return 42

        @zenrun.fixture
        def cfg():
            return {"n": 11}
    """)
    zenrunner.makepyfile(pipeline_items=ITEMS)
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    assert collected(result) == [
        "pipeline_items.py::plain",
        "pipeline_items.py::with_name",
        "pipeline_items.py::with_default",
        "pipeline_items.py::needs_fixture",
        "pipeline_items.py::seed_instance",
    ]
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr
    runs = {r.pipeline_name: r for r in read_store(zenrunner.store).get_runs()}
    assert set(runs) == {"plain", "renamed_pipe", "with_default", "needs_fixture", "seed_style"}
    assert runs["needs_fixture"].steps["emit"].config == {"n": 42}
    assert runs["with_default"].steps["emit"].config == {"n": 5}
    assert runs["seed_style"].steps["emit"].config == {"n": 7}
    assert runs["plain"].item_id == "pipeline_items.py::plain"
    assert runs["renamed_pipe"].item_id == "pipeline_items.py::with_name"


def test_missing_fixture_is_an_error_of_that_item_at_setup(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def available_one():
            return 1
    """)
    zenrunner.makepyfile(pipeline_items=ITEMS)
    result = zenrunner.run()
    assert result.ret == 1  # as pytest: an error at setup of that item; the others run
    result.fnmatch_lines(
        [
            "*ERROR at setup of needs_fixture*",
            "E       fixture 'number' not found",
            "*available fixtures:*available_one*",
        ]
    )
    assert result.parseoutcomes()["errors"] == 1 and result.parseoutcomes()["passed"] >= 1
    assert all(r.pipeline_name != "needs_fixture" for r in read_store(zenrunner.store).get_runs())


def test_step_config_injected_from_fixture_by_parameter_name(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def base():
            return 10

        @zenrun.fixture
        def config(base):
            return {"n": base + 1}
    """)
    zenrunner.makepyfile(
        pipeline_inject="""
        from zenrun import step, pipeline, StepConfig

        class Cfg(StepConfig):
            n: int = 1

        @step
        def emit(config: Cfg) -> int:
            return config.n

        @pipeline
        def injected():
            emit()
            emit(config=Cfg(n=3))
    """
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.steps["emit"].config == {"n": 11}
    assert run.steps["emit_2"].config == {"n": 3}


# ---------------------------------------------------------------------------
# the -k expression parser
# ---------------------------------------------------------------------------


def matcher(*names):
    lowered = [n.lower() for n in names]
    return lambda ident: any(ident.lower() in n for n in lowered)


@pytest.mark.parametrize(
    "expr, names, expected",
    [
        ("alpha", ["pipeline_a.py::alpha"], True),
        ("beta", ["pipeline_a.py::alpha"], False),
        ("not beta", ["pipeline_a.py::alpha"], True),
        ("alpha and beta", ["alpha"], False),
        ("alpha or beta", ["beta"], True),
        ("not alpha or beta", ["alpha"], False),
        ("not (alpha or beta)", ["gamma"], True),
        ("alpha and not (beta or gamma)", ["alpha", "gamma"], False),
        ("a and b or c", ["c"], True),  # and binds tighter than or
        ("a and (b or c)", ["c"], False),
        ("not not alpha", ["alpha"], True),
        ("hpo[iris]", ["p.py::hpo[iris]"], True),
        ("0.01", ["p.py::train[gamma=0.01]"], True),  # "=" is not an identifier character
        ("p.py::train", ["p.py::train[x]"], True),
        ("", ["anything"], False),  # as pytest; the CLI treats an empty -k as "no filter"
    ],
)
def test_expression_evaluation(expr, names, expected):
    assert Expression(expr).evaluate(matcher(*names)) is expected


@pytest.mark.parametrize(
    "expr",
    [
        "alpha and",
        "and alpha",
        "(alpha",
        "alpha)",
        "alpha beta",
        "not",
        "alpha or or beta",
        "alpha $ beta",
        "()",
    ],
)
def test_expression_syntax_errors(expr):
    with pytest.raises(UsageError, match="wrong expression"):
        Expression(expr)


def test_expression_calls_matcher_with_identifiers():
    seen = []
    Expression("(a or b) and not c").evaluate(lambda ident: seen.append(ident) or True)
    assert seen == ["a", "c"]  # short-circuit, like Python


def test_a_warning_of_a_start_up_conftest_is_filtered_by_the_module_that_gave_it(zenrunner):
    """Warnings of the conftests loaded at start-up reach the summary through the session's
    filters: a filter naming the module that warned (a library the conftest imports) still
    matches, and ``error`` makes any other one the conftest's error."""
    zenrunner.makepyfile(
        somelib="""
        import warnings
        warnings.warn("old api", DeprecationWarning)
        """,
        conftest="""
        import warnings
        import somelib
        warnings.warn("a conftest's own warning")
        """,
        pipeline_one="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def p():
            one()
        """,
    )
    zenrunner.syspathinsert()
    zenrunner.maketoml('filterwarnings = ["ignore::DeprecationWarning:somelib"]')
    result = zenrunner.run()
    assert result.ret == 0, result.stdout.str()
    assert "old api" not in result.stdout.str()
    result.fnmatch_lines(["*warnings summary*", "conftest.py:3", "*UserWarning: a conftest's own warning"])
    zenrunner.maketoml('filterwarnings = ["error", "ignore::DeprecationWarning:somelib"]')
    result = zenrunner.run()
    assert result.ret == 2, result.stdout.str()
    result.fnmatch_lines(["*ERROR collecting conftest.py*", "*UserWarning: a conftest's own warning"])
    assert "old api" not in result.stdout.str()


def test_what_a_module_prints_on_import_is_captured_and_shown_with_its_collection_error(zenrunner):
    """As pytest: collection output is captured; a collection error shows what its module printed."""
    zenrunner.makepyfile(
        pipeline_fine="""
        import warnings
        print("fine module loading")
        warnings.warn("the fine module is old")
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def fine():
            one()
    """,
        pipeline_broken="""
        print("broken module loading")
        raise ValueError("cannot import this")
    """,
    )
    result = zenrunner.run()
    assert result.ret == 2
    assert "fine module loading" not in result.stdout
    result.fnmatch_lines(
        [
            "*ERROR collecting pipeline_broken.py*",
            "*ValueError: cannot import this",
            "-* Captured stdout (collect) -*",
            "broken module loading",
        ]
    )
    result.fnmatch_lines(
        [
            "*= warnings summary =*",
            "pipeline_fine.py:3",  # as pytest: where, then the warning and its line
            "  */pipeline_fine.py:3: UserWarning: the fine module is old",
            "    warnings.warn*",
        ]
    )
    shown = zenrunner.run("-s", "pipeline_fine.py")
    shown.assert_outcomes(passed=1)
    assert "fine module loading" in shown.stdout


def test_collection_keeps_the_warning_filters_a_module_sets_and_shows_a_conftests_output(zenrunner):
    zenrunner.makepyfile(
        pipeline_quiet="""
        import warnings
        warnings.filterwarnings("ignore", message="noisy library warning")
        from zenrun import pipeline, step

        @step
        def noisy() -> int:
            warnings.warn("noisy library warning")
            return 1

        @pipeline
        def quiet():
            noisy()
    """
    )
    result = zenrunner.run("-rA")
    result.assert_outcomes(passed=1)
    assert "noisy library warning" not in result.stdout + result.stderr
    sub = zenrunner.path / "sub"
    sub.mkdir()
    (sub / "conftest.py").write_text('print("hint: set DATA_DIR")\nraise RuntimeError("no data")\n')
    (sub / "pipeline_sub.py").write_text("")
    broken = zenrunner.run()  # found while collecting, below the rootdir
    assert broken.ret == 2
    broken.fnmatch_lines(["*RuntimeError: no data*", "-* Captured stdout (collect) -*", "hint: set DATA_DIR"])


def test_items_offer_pytests_node_api_to_hooks_and_fixtures(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl
        def zenrun_collection_modifyitems(session, config, items):
            for item in items:
                assert item.config is config and item.session is session
                # the hooks of the conftests that apply to the item's module (pytest's fspath proxy)
                hooks = item.ihook.zenrun_collection_modifyitems.get_hookimpls()
                assert any(h.plugin_name.endswith("conftest.py") for h in hooks)
                assert item.path == item.module_path and item.path.name == "pipeline_n.py"
                assert item.originalname == "p" and item.function.__name__ == "p"
                assert item.location == ("pipeline_n.py", 7, item.name), item.location
                assert item.reportinfo()[1] == 7
                assert [m.name for node, m in item.iter_markers_with_node()] == ["parametrize"]
                item.stash["seen"] = True
                if item.name == "p[2]":
                    item.extra_keyword_matches.add("special")

        @zenrun.fixture
        def noted(request):
            node = request.node
            assert request.instance is None and node.stash["seen"] and node.own_markers
            node.user_properties.append(("answer", 42))
            node.add_report_section("call", "notes", "a note for the report")
            if node.name == "p[3]":
                request.raiseerror("no noted value for 3")
            return 1

        @zenrun.hookimpl
        def zenrun_item_report(report):
            if report.nodeid.endswith("p[2]"):
                print("PROPS", report.user_properties, report.sections[-1])
    """)
    zenrunner.makepyfile(
        pipeline_n="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s(x: int) -> int:
            return x

        @zenrun.mark.parametrize("x", [1, 2, 3])
        @pipeline
        def p(x, noted):
            s(x)
        """
    )
    result = zenrunner.run("-s", "-k", "special")  # extra_keyword_matches: -k selects by them
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*1 passed, 2 deselected*"])
    assert "PROPS [('answer', 42)] ('Captured notes call', 'a note for the report')" in result.stdout
    result = zenrunner.run("-k", "p and 3")
    assert result.ret == 1
    result.fnmatch_lines(["*no noted value for 3*"])


def test_the_short_summary_says_why_a_module_failed_to_collect_as_pytest(zenrunner):
    zenrunner.makepyfile(
        pipeline_arity="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s() -> int:
            return 1

        @zenrun.mark.parametrize("a,b", [(1,)])
        @pipeline
        def arity(a, b):
            s()
        """,
        pipeline_marked="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s() -> int:
            return 1

        @zenrun.mark.unregistered
        @pipeline
        def marked():
            s()
        """,
    )
    result = zenrunner.run("-q", "--strict-markers")
    assert result.ret == 2
    result.fnmatch_lines(
        [
            'ERROR pipeline_arity.py - Failed: pipeline_arity.py::arity: in "parametrize" the number '
            "of names (2):",
            "ERROR pipeline_marked.py - Failed: 'unregistered' not found in `markers` configuration option",
        ]
    )


def test_dunder_test_false_hides_a_pipeline_or_a_module(zenrunner):
    """As pytest's ``__test__ = False``: on a pipeline (or its function), or a module."""
    zenrunner.makepyfile(
        pipeline_some="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def hidden():
            one()

        hidden.__test__ = False

        @pipeline
        def shown():
            one()
        """,
        pipeline_none="""
        from zenrun import pipeline, step

        __test__ = False

        @step
        def two() -> int:
            return 2

        @pipeline
        def never():
            two()
        """,
    )
    result = zenrunner.run("--co", "-q")
    assert result.stdout.splitlines()[0] == "pipeline_some.py::shown"
    result.fnmatch_lines(["1 pipeline collected*"])


def test_a_decorator_above_pipeline_is_a_warning_not_a_silent_loss(zenrunner):
    zenrunner.makepyfile(
        pipeline_wrapped="""
        import functools
        from zenrun import pipeline, step

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @step
        def one() -> int:
            return 1

        @logged
        @pipeline
        def wrapped():
            one()

        @pipeline
        def plain():
            one()
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(
        ["pipeline_wrapped.py::wrapped", "  pipeline 'wrapped' is wrapped by a decorator above @pipeline*"]
    )


def test_zenrun_plugins_in_a_pipeline_module(zenrunner):
    # As pytest_plugins in a test module: the plugin is loaded, its fixtures are served.
    zenrunner.makepyfile(
        myplug="""
        import zenrun

        @zenrun.fixture
        def from_plugin():
            return 42
        """,
        pipeline_uses="""
        from zenrun import pipeline, step

        zenrun_plugins = ["myplug"]

        @step
        def check(value: int) -> None:
            assert value == 42

        @pipeline
        def uses(from_plugin):
            check(from_plugin)
        """,
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_a_wrapped_pipeline_is_located_where_it_is_defined(zenrunner):
    # As pytest's get_real_func: not in the decorator's file (helpers.py), nor its path with
    # the pipeline's line.
    zenrunner.makepyfile(
        helpers="""
        import functools

        def wrap(f):
            @functools.wraps(f)
            def wrapper(*args, **kwargs):
                return f(*args, **kwargs)
            return wrapper
        """,
        pipeline_w="""
        from zenrun import pipeline, step
        from helpers import wrap

        @step
        def s() -> None:
            pass

        @pipeline
        @wrap
        def needs(missing_fixture):
            s()
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    path = zenrunner.path / "pipeline_w.py"
    line = path.read_text().splitlines().index("@pipeline") + 1
    result.stdout.fnmatch_lines([f"file {path}, line {line}", "*fixture 'missing_fixture' not found"])


def test_a_pipeline_whose_function_is_bound_under_another_name_is_named_by_it(zenrunner):
    # As pytest names a test after the module attribute: a decorator that returns another
    # function (a lambda, a wrapper without functools.wraps) gives the item the name the
    # pipeline is bound to, as does an alias; an ordinary pipeline keeps its function's name.
    zenrunner.makepyfile(
        pipeline_bound="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        def dec(f):
            def wrapper():
                return f()
            return wrapper

        def decorated():
            one()
        decorated = pipeline(dec(decorated))

        by_lambda = pipeline(lambda: one())

        @pipeline
        def plain():
            one()
        alias = plain

        @pipeline
        def uses_nothing():
            one()
        """
    )
    result = zenrunner.run("--collect-only", "-q")
    assert collected(result) == [
        "pipeline_bound.py::decorated",
        "pipeline_bound.py::by_lambda",
        "pipeline_bound.py::plain",
        "pipeline_bound.py::alias",
        "pipeline_bound.py::uses_nothing",
    ]
    result = zenrunner.run("-q", "-k", "not uses_nothing")
    result.assert_outcomes(passed=4, deselected=1)
    # the records keep the pipeline's own name; the item id names the attribute
    runs = {(r.pipeline_name, r.item_id) for r in read_store(zenrunner.store).get_runs()}
    assert runs == {
        ("wrapper", "pipeline_bound.py::decorated"),
        ("<lambda>", "pipeline_bound.py::by_lambda"),
        ("plain", "pipeline_bound.py::plain"),
        ("plain", "pipeline_bound.py::alias"),
    }


def test_session_stop_reasons_cannot_be_unset(zenrunner):
    """As pytest (#11706): a plugin unsetting session.shouldfail / shouldstop gets a warning
    and the session still stops (and says why)."""
    zenrunner.makeconftest(
        """
        def zenrun_sessionfinish(session):
            session.shouldfail = None
            session.shouldstop = False
        """
    )
    zenrunner.makepyfile(
        pipeline_stop="""
        import zenrun
        from zenrun import pipeline

        @pipeline
        def first():
            zenrun.fail("no")

        @pipeline
        def second():
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("-x", "-p", "no:results")
    assert result.ret == 1
    result.assert_outcomes(failed=1, passed=0, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*session.shouldfail cannot be unset after it has been set; ignoring.*",
            "*stopping after 1 failures*",
        ]
    )
