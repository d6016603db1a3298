"""Port of pytest's ``testing/test_skipping.py`` (pytest-dev/pytest), the whole file.

``skip`` / ``skipif`` / ``xfail`` marks, ``zenrun.skip()`` / ``xfail()``,
``--runxfail``, ``-r`` summaries. Test sources are written as pytest writes
them and turned into pipelines by ``porting.pipelines`` (the assertion runs in
the ``check`` step). pytest's unit cases (``getitem`` + ``evaluate_skip_marks``
/ ``runtestprotocol``) are ported as runs whose outcome and ``-r`` line show
the same decision. xunit ``setup_function`` / ``teardown_function`` become
autouse fixtures; ``pytest_runtest_setup`` / ``_teardown`` are
``zenrun_runtest_setup`` / ``_teardown``; ``pytest_markeval_namespace`` is
``zenrun_markeval_namespace``.

Deliberate differences kept in the expected lines:

- a failure's traceback is the failing step's (``def check(...)``), not the
  pipeline function's, and its short-summary message names the step;
- an error evaluating a condition shows zenrun's message without pytest's
  chained "During handling of the above exception" traceback.
"""

from __future__ import annotations

import textwrap

import pytest
from porting import PRE, module_name, pipelines


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


def line_of(path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


RAISE = """
@step
def raise_(kind: str) -> None:
    import builtins
    raise getattr(builtins, kind)()
"""


class TestEvaluation:
    """pytest evaluates the marks of an item; here, a run shows the decision."""

    def test_no_marker(self, zenrunner) -> None:
        write(zenrunner, "def test_func(): pass")
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_marked_xfail_no_args(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rX")
        result.assert_outcomes(xpassed=1)  # it ran (run=True), with the reason ""
        result.stdout.fnmatch_lines([f"XPASS {module_name(zenrunner)}.py::test_func"])

    def test_marked_skipif_no_args(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif
            def test_func():
                pass
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=1)

    def test_marked_one_arg(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif("hasattr(os, 'sep')")
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: condition: hasattr(os, 'sep')"])

    def test_marked_one_arg_with_reason(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif("hasattr(os, 'sep')", attr=2, reason="hello world")
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: hello world"])

    @pytest.mark.parametrize("i", [0, 1])
    def test_marked_one_arg_twice(self, zenrunner, i: int) -> None:
        lines = [
            """@pytest.mark.skipif("not hasattr(os, 'murks')")""",
            """@pytest.mark.skipif(condition="hasattr(os, 'murks')")""",
        ]
        write(
            zenrunner,
            f"""
import pytest
{lines[i]}
{lines[(i + 1) % 2]}
def test_func():
    pass
""",
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: condition: not hasattr(os, 'murks')"])

    def test_marked_one_arg_twice2(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif("hasattr(os, 'murks')")
            @pytest.mark.skipif("not hasattr(os, 'murks')")
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: condition: not hasattr(os, 'murks')"])

    def test_marked_skipif_with_boolean_without_reason(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif(False)
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            [
                "*Error evaluating 'skipif': you need to specify reason=STRING when using booleans as conditions."
            ]
        )

    def test_marked_skipif_with_invalid_boolean(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest

            class InvalidBool:
                def __bool__(self):
                    raise TypeError("INVALID")

            @pytest.mark.skipif(InvalidBool(), reason="xxx")
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*Error evaluating 'skipif' condition as a boolean*", "*INVALID*"])

    def test_skipif_class(self, zenrunner) -> None:
        """pytest: a class's ``pytestmark``; here the module's ``zenrunmark``."""
        zenrunner.makeconftest(
            """
            def zenrun_configure(config):
                config._hackxyz = 3
            """
        )
        write(
            zenrunner,
            """
            import pytest
            zenrunmark = pytest.mark.skipif("config._hackxyz")
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: condition: config._hackxyz"])

    def test_skipif_markeval_namespace(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_markeval_namespace():
                return {"color": "green"}
            """
        )
        p = write(
            zenrunner,
            """
            import pytest

            @pytest.mark.skipif("color == 'green'")
            def test_1():
                assert True

            @pytest.mark.skipif("color == 'red'")
            def test_2():
                assert True
            """,
        )
        res = zenrunner.runzenrun_inprocess(p)
        assert res.ret == 0
        res.stdout.fnmatch_lines(["*1 skipped*"])
        res.stdout.fnmatch_lines(["*1 passed*"])

    def test_skipif_markeval_namespace_multiple(self, zenrunner) -> None:
        """Keys of ``zenrun_markeval_namespace()`` in nested conftests override outer ones."""
        root = zenrunner.path / "root"
        for sub, arg in (("", "root"), ("foo", "foo"), ("bar", "bar")):
            directory = root / sub if sub else root
            directory.mkdir(parents=True, exist_ok=True)
            directory.joinpath("__init__.py").touch()
            directory.joinpath("conftest.py").write_text(
                textwrap.dedent(
                    f"""\
                    def zenrun_markeval_namespace():
                        return {{"arg": "{arg}"}}
                    """
                )
            )
            directory.joinpath(f"pipeline_{arg}.py").write_text(
                pipelines(
                    f"""
                    import pytest

                    @pytest.mark.skipif("arg == '{arg}'")
                    def test_{arg}():
                        assert False
                    """
                )
            )
        result = zenrunner.runzenrun_inprocess("-vs", "--capture=no")
        result.assert_outcomes(skipped=3)

    def test_skipif_markeval_namespace_ValueError(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_markeval_namespace():
                return True
            """
        )
        p = write(
            zenrunner,
            """
            import pytest

            @pytest.mark.skipif("color == 'green'")
            def test_1():
                assert True
            """,
        )
        res = zenrunner.runzenrun_inprocess(p)
        assert res.ret == 1
        res.stdout.fnmatch_lines(
            ["*ValueError: zenrun_markeval_namespace() needs to return a dict, got True*"]
        )


class TestXFail:
    @pytest.mark.parametrize("strict", [True, False])
    def test_xfail_simple(self, zenrunner, strict: bool) -> None:
        write(
            zenrunner,
            f"""
            import pytest
            @pytest.mark.xfail(strict={strict})
            def test_func():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rx")
        result.assert_outcomes(xfailed=1)
        result.stdout.fnmatch_lines([f"XFAIL {module_name(zenrunner)}.py::test_func"])  # reason ""

    def test_xfail_xpassed(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(reason="this is an xfail")
            def test_func():
                assert 1
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rX")
        result.assert_outcomes(xpassed=1)
        result.stdout.fnmatch_lines(["XPASS *::test_func - this is an xfail"])

    def test_xfail_using_platform(self, zenrunner) -> None:
        """Verify that platform can be used with xfail statements."""
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail("platform.platform() == platform.platform()")
            def test_func():
                assert 0
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(xfailed=1)

    def test_xfail_xpassed_strict(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(strict=True, reason="nope")
            def test_func():
                assert 1
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["[[]XPASS(strict)[]] nope"])

    def test_xfail_run_anyway(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail
            def test_func():
                assert 0
            def test_func2():
                pytest.xfail("hello")
            """,
        )
        result = zenrunner.runzenrun_inprocess("--runxfail")
        # pytest shows the test function's source; zenrun the failing step's
        result.stdout.fnmatch_lines(["*def check(*", "*assert 0*", "*1 failed*1 pass*"])

    @pytest.mark.parametrize("test_input", [["-rs"], ["-rs", "--runxfail"]])
    def test_xfail_run_with_skip_mark(self, zenrunner, test_input) -> None:
        p = write(
            zenrunner,
            pipeline_sample="""
            import pytest
            @pytest.mark.skip
            def test_skip_location() -> None:
                assert 0
            """,
        )
        line = line_of(p, "@zenrun.mark.skip")
        result = zenrunner.runzenrun_inprocess(*test_input)
        result.stdout.fnmatch_lines(
            [f"SKIPPED [[]1[]] pipeline_sample.py:{line}: unconditional skip", "*1 skipped*"]
        )

    def test_xfail_evalfalse_but_fails(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail('False')
            def test_func():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.assert_outcomes(failed=1)
        # "xfail" is among the item's keywords
        zenrunner.runzenrun_inprocess("-k", "xfail").assert_outcomes(failed=1)

    def test_xfail_not_report_default(self, zenrunner) -> None:
        p = write(
            zenrunner,
            pipeline_one="""
            import pytest
            @pytest.mark.xfail
            def test_this():
                assert 0
            """,
        )
        zenrunner.runzenrun_inprocess(p, "-v")

    def test_xfail_not_run_xfail_reporting(self, zenrunner) -> None:
        p = write(
            zenrunner,
            pipeline_one="""
            import pytest
            @pytest.mark.xfail(run=False, reason="noway")
            def test_this():
                assert 0
            @pytest.mark.xfail("True", run=False)
            def test_this_true():
                assert 0
            @pytest.mark.xfail("False", run=False, reason="huh")
            def test_this_false():
                assert 1
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rx")
        result.stdout.fnmatch_lines(
            [
                "*pipeline_one*test_this - *NOTRUN* noway",
                "*pipeline_one*test_this_true - *NOTRUN* condition: True",
                "*1 passed*",
            ]
        )

    def test_xfail_not_run_no_setup_run(self, zenrunner) -> None:
        """pytest's ``setup_module`` raising: a module-scoped autouse fixture."""
        p = write(
            zenrunner,
            pipeline_one="""
            import pytest
            @pytest.mark.xfail(run=False, reason="hello")
            def test_this():
                assert 0
            @pytest.fixture(scope="module", autouse=True)
            def setup_module():
                raise ValueError(42)
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rx")
        result.stdout.fnmatch_lines(["*pipeline_one*test_this*NOTRUN*hello", "*1 xfailed*"])

    def test_xfail_xpass(self, zenrunner) -> None:
        p = write(
            zenrunner,
            pipeline_one="""
            import pytest
            @pytest.mark.xfail
            def test_that():
                assert 1
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rX")
        result.stdout.fnmatch_lines(["*XPASS*test_that*", "*1 xpassed*"])
        assert result.ret == 0

    def test_xfail_imperative(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
            import pytest
            def test_this():
                pytest.xfail("hello")
            """,
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(["*1 xfailed*"])
        result = zenrunner.runzenrun_inprocess(p, "-rx")
        result.stdout.fnmatch_lines(["*XFAIL*test_this*hello*"])
        result = zenrunner.runzenrun_inprocess(p, "--runxfail")
        result.stdout.fnmatch_lines(["*1 pass*"])

    def test_xfail_imperative_in_setup_function(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
            import pytest
            @pytest.fixture(autouse=True)
            def setup_function():
                pytest.xfail("hello")

            def test_this():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(["*1 xfailed*"])
        result = zenrunner.runzenrun_inprocess(p, "-rx")
        result.stdout.fnmatch_lines(["*XFAIL*test_this*hello*"])
        result = zenrunner.runzenrun_inprocess(p, "--runxfail")
        result.stdout.fnmatch_lines(["*def check*", "*1 fail*"])  # the failing step's source

    def test_dynamic_xfail_no_run(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
            import pytest
            @pytest.fixture
            def arg(request):
                request.applymarker(pytest.mark.xfail(run=False))
            def test_this(arg):
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rxX")
        result.stdout.fnmatch_lines(["*XFAIL*test_this*NOTRUN*"])

    def test_dynamic_xfail_set_during_funcarg_setup(self, zenrunner) -> None:
        p = write(
            zenrunner,
            """
            import pytest
            @pytest.fixture
            def arg(request):
                request.applymarker(pytest.mark.xfail)
            def test_this2(arg):
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines(["*1 xfailed*"])

    def test_dynamic_xfail_set_during_runtest_failed(self, zenrunner) -> None:
        # Issue #7486.
        p = write(
            zenrunner,
            """
            import pytest
            def test_this(request):
                request.node.add_marker(pytest.mark.xfail(reason="xfail"))
                assert 0
            """,
        )
        zenrunner.runzenrun_inprocess(p).assert_outcomes(xfailed=1)

    def test_dynamic_xfail_set_during_runtest_passed_strict(self, zenrunner) -> None:
        # Issue #7486.
        p = write(
            zenrunner,
            """
            import pytest
            def test_this(request):
                request.node.add_marker(pytest.mark.xfail(reason="xfail", strict=True))
            """,
        )
        zenrunner.runzenrun_inprocess(p).assert_outcomes(failed=1)

    @pytest.mark.parametrize(
        "expected, actual, matchline",
        [
            ("TypeError", "TypeError", "*1 xfailed*"),
            ("(AttributeError, TypeError)", "TypeError", "*1 xfailed*"),
            ("TypeError", "IndexError", "*1 failed*"),
            ("(AttributeError, TypeError)", "IndexError", "*1 failed*"),
        ],
    )
    def test_xfail_raises(self, expected, actual, matchline, zenrunner) -> None:
        p = zenrunner.makepyfile(
            PRE
            + RAISE
            + f"""
@zenrun.mark.xfail(raises={expected})
@pipeline
def test_raises():
    raise_("{actual}")
"""
        )
        result = zenrunner.runzenrun_inprocess(p)
        result.stdout.fnmatch_lines([matchline])

    def test_xfail_raises_in_the_pipeline_body(self, zenrunner) -> None:
        """The same decision when the pipeline body itself raises, as a test function's."""
        p = zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.xfail(raises=TypeError)
@pipeline
def test_raises():
    raise TypeError()

@zenrun.mark.xfail(raises=TypeError)
@pipeline
def test_raises_other():
    raise IndexError()
"""
        )
        zenrunner.runzenrun_inprocess(p).assert_outcomes(xfailed=1, failed=1)

    def test_strict_sanity(self, zenrunner) -> None:
        """xfail(strict=True): a failing pipeline behaves exactly like a normal xfail."""
        p = write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(reason='unsupported feature', strict=True)
            def test_foo():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rxX")
        result.stdout.fnmatch_lines(["*XFAIL*unsupported feature*"])
        assert result.ret == 0

    @pytest.mark.parametrize("strict", [True, False])
    def test_strict_xfail(self, zenrunner, strict: bool) -> None:
        p = write(
            zenrunner,
            pipeline_strict_xfail=f"""
            import pytest

            @pytest.mark.xfail(reason='unsupported feature', strict={strict})
            def test_foo():
                with open('foo_executed', 'w', encoding='utf-8'):
                    pass  # make sure the pipeline executes
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rxX")
        if strict:
            result.stdout.fnmatch_lines(["*test_foo*", "*XPASS(strict)*unsupported feature*"])
        else:
            result.stdout.fnmatch_lines(
                ["*pipeline_strict_xfail*", "XPASS pipeline_strict_xfail.py::test_foo - unsupported feature"]
            )
        assert result.ret == (1 if strict else 0)
        assert zenrunner.path.joinpath("foo_executed").exists()

    @pytest.mark.parametrize("strict", [True, False])
    def test_strict_xfail_condition(self, zenrunner, strict: bool) -> None:
        p = write(
            zenrunner,
            f"""
            import pytest

            @pytest.mark.xfail(False, reason='unsupported feature', strict={strict})
            def test_foo():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rxX")
        result.stdout.fnmatch_lines(["*1 passed*"])
        assert result.ret == 0

    @pytest.mark.parametrize("strict", [True, False])
    def test_xfail_condition_keyword(self, zenrunner, strict: bool) -> None:
        p = write(
            zenrunner,
            f"""
            import pytest

            @pytest.mark.xfail(condition=False, reason='unsupported feature', strict={strict})
            def test_foo():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rxX")
        result.stdout.fnmatch_lines(["*1 passed*"])
        assert result.ret == 0

    @pytest.mark.parametrize("strict_val", ["true", "false"])
    @pytest.mark.parametrize("option_name", ["strict_xfail", "strict"])
    def test_strict_xfail_default_from_file(self, zenrunner, strict_val: str, option_name: str) -> None:
        zenrunner.maketoml(f"{option_name} = {strict_val}\n")
        p = write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(reason='unsupported feature')
            def test_foo():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-rxX")
        strict = strict_val == "true"
        result.stdout.fnmatch_lines(["*1 failed*" if strict else "*1 xpassed*"])
        assert result.ret == (1 if strict else 0)

    def test_xfail_markeval_namespace(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_markeval_namespace():
                return {"color": "green"}
            """
        )
        p = write(
            zenrunner,
            """
            import pytest

            @pytest.mark.xfail("color == 'green'")
            def test_1():
                assert False

            @pytest.mark.xfail("color == 'red'")
            def test_2():
                assert False
            """,
        )
        res = zenrunner.runzenrun_inprocess(p)
        assert res.ret == 1
        res.stdout.fnmatch_lines(["*1 failed*"])
        res.stdout.fnmatch_lines(["*1 xfailed*"])


class TestXFailwithSetupTeardown:
    def test_failing_setup_issue9(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.fixture(autouse=True)
            def setup_function():
                assert 0

            @pytest.mark.xfail
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*1 xfail*"])

    def test_failing_teardown_issue9(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.fixture(autouse=True)
            def teardown_function():
                yield
                assert 0

            @pytest.mark.xfail
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*1 xfail*"])

    def test_xfail_call_and_teardown_reports_show_phase(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_case="""
            import pytest

            @pytest.fixture
            def my_fix():
                yield
                raise Exception("teardown")

            @pytest.mark.xfail(reason="Some reason")
            def test_func(my_fix):
                raise Exception("call")
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rx")
        result.stdout.fnmatch_lines(
            [
                "*XFAIL*pipeline_case.py::test_func*",
                "*XFAIL at teardown of*pipeline_case.py::test_func*",
            ]
        )

    def test_xfail_setup_report_shows_phase(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_case="""
            import pytest

            @pytest.fixture
            def my_fix():
                raise Exception("setup")

            @pytest.mark.xfail(reason="Some reason")
            def test_func(my_fix):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rx")
        result.stdout.fnmatch_lines(["*XFAIL at setup of*pipeline_case.py::test_func*"])


class TestSkip:
    def test_skip_class(self, zenrunner) -> None:
        """pytest: a skip-marked class; here a module whose ``zenrunmark`` skips."""
        write(
            zenrunner,
            pipeline_something="""
            import pytest
            zenrunmark = pytest.mark.skip
            def test_foo():
                pass
            def test_bar():
                pass
            """,
            pipeline_other="def test_baz(): pass",
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=2, passed=1)

    def test_skips_on_false_string(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip('False')
            def test_foo():
                pass
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=1)

    def test_arg_as_reason(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip('testing stuff')
            def test_bar():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["*testing stuff*", "*1 skipped*"])

    def test_skip_no_reason(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip
            def test_foo():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["*unconditional skip*", "*1 skipped*"])

    def test_skip_with_reason(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip(reason="for lolz")
            def test_bar():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["*for lolz*", "*1 skipped*"])

    def test_only_skips_marked_test(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip
            def test_foo():
                pass
            @pytest.mark.skip(reason="nothing in particular")
            def test_bar():
                pass
            def test_baz():
                assert True
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["*nothing in particular*", "*1 passed*2 skipped*"])

    def test_strict_and_skip(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip
            def test_hello():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs", "--strict-markers")
        result.stdout.fnmatch_lines(["*unconditional skip*", "*1 skipped*"])

    def test_wrong_skip_usage(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip(False, reason="I thought this was skipif")
            def test_hello():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*TypeError: *() got multiple values for argument 'reason' - maybe you meant zenrun.mark.skipif?"
            ]
        )


class TestSkipif:
    def test_skipif_conditional(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif("hasattr(os, 'sep')")
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["SKIPPED *: condition: hasattr(os, 'sep')"])

    @pytest.mark.parametrize("params", ["\"hasattr(sys, 'platform')\"", 'True, reason="invalid platform"'])
    def test_skipif_reporting(self, zenrunner, params) -> None:
        p = write(
            zenrunner,
            pipeline_foo=f"""
            import pytest
            @pytest.mark.skipif({params})
            def test_that():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(p, "-s", "-rs")
        result.stdout.fnmatch_lines(["*SKIP*1*pipeline_foo.py*platform*", "*1 skipped*"])
        assert result.ret == 0

    def test_skipif_using_platform(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif("platform.platform() == platform.platform()")
            def test_func():
                pass
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=1)

    @pytest.mark.parametrize(
        "marker, msg1, msg2", [("skipif", "SKIP", "skipped"), ("xfail", "XPASS", "xpassed")]
    )
    def test_skipif_reporting_multiple(self, zenrunner, marker, msg1, msg2) -> None:
        write(
            zenrunner,
            pipeline_foo=f"""
            import pytest
            @pytest.mark.{marker}(False, reason='first_condition')
            @pytest.mark.{marker}(True, reason='second_condition')
            def test_foobar():
                assert 1
            """,
        )
        result = zenrunner.runzenrun_inprocess("-s", "-rsxX")
        result.stdout.fnmatch_lines([f"*{msg1}*pipeline_foo.py*second_condition*", f"*1 {msg2}*"])
        assert result.ret == 0


def test_skip_not_report_default(zenrunner) -> None:
    p = write(
        zenrunner,
        pipeline_one="""
        import pytest
        def test_this():
            pytest.skip("hello")
        """,
    )
    result = zenrunner.runzenrun_inprocess(p, "-v")
    result.stdout.fnmatch_lines(["*1 skipped*"])


def test_skipif_class(zenrunner) -> None:
    """pytest: a class's ``pytestmark``; here the module's ``zenrunmark``."""
    p = write(
        zenrunner,
        """
        import pytest
        zenrunmark = pytest.mark.skipif("True")
        def test_that():
            assert 0
        def test_though():
            assert 0
        """,
    )
    result = zenrunner.runzenrun_inprocess(p)
    result.stdout.fnmatch_lines(["*2 skipped*"])


def test_skipped_reasons_functional(zenrunner) -> None:
    """Skips while setting up are reported at the item; in the body where raised.
    (pytest's class method ``test_method`` is a pipeline of the module here.)"""
    p = write(
        zenrunner,
        pipeline_one="""
            import pytest
            from helpers import doskip

            @pytest.fixture
            def setup_function():
                doskip("setup function")

            def test_func(setup_function):
                pass

            def test_method():
                doskip("test method")

            @pytest.mark.skip("via_decorator")
            def test_deco():
                assert 0
        """,
    )
    zenrunner.makepyfile(
        helpers="""
            import zenrun, sys
            def doskip(reason):
                assert sys._getframe().f_lineno == 3
                zenrun.skip(reason)  # LINE 4
        """
    )
    result = zenrunner.runzenrun_inprocess("-rs")
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED [[]1[]] pipeline_one.py:{line_of(p, 'def test_func') - 1}: setup function",
            "SKIPPED [[]1[]] helpers.py:4: test method",
            f"SKIPPED [[]1[]] pipeline_one.py:{line_of(p, 'via_decorator')}: via_decorator",
        ]
    )
    assert result.ret == 0


def test_skipped_folding(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_one="""
            import pytest
            zenrunmark = pytest.mark.skip("Folding")
            @pytest.fixture(autouse=True)
            def setup_function():
                pass
            def test_func():
                pass
            def test_method():
                pass
        """,
    )
    result = zenrunner.runzenrun_inprocess("-rs")
    result.stdout.fnmatch_lines(["*SKIP*2*pipeline_one.py: Folding"])
    assert result.ret == 0


def test_reportchars(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        def test_1():
            assert 0
        @pytest.mark.xfail
        def test_2():
            assert 0
        @pytest.mark.xfail
        def test_3():
            pass
        def test_4():
            pytest.skip("four")
        """,
    )
    result = zenrunner.runzenrun_inprocess("-rfxXs")
    result.stdout.fnmatch_lines(["FAIL*test_1*", "XFAIL*test_2*", "XPASS*test_3*", "SKIP*four*"])


def test_reportchars_error(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_runtest_teardown():
            assert 0
        """
    )
    write(zenrunner, pipeline_simple="def test_foo(): pass")
    result = zenrunner.runzenrun_inprocess("-rE")
    result.stdout.fnmatch_lines(["ERROR*test_foo*"])


def test_reportchars_all(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        def test_1():
            assert 0
        @pytest.mark.xfail
        def test_2():
            assert 0
        @pytest.mark.xfail
        def test_3():
            pass
        def test_4():
            pytest.skip("four")
        @pytest.fixture
        def fail():
            assert 0
        def test_5(fail):
            pass
        """,
    )
    result = zenrunner.runzenrun_inprocess("-ra")
    result.stdout.fnmatch_lines(
        ["SKIP*four*", "XFAIL*test_2*", "XPASS*test_3*", "ERROR*test_5*", "FAIL*test_1*"]
    )


def test_reportchars_all_error(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_runtest_teardown():
            assert 0
        """
    )
    write(zenrunner, pipeline_simple="def test_foo(): pass")
    result = zenrunner.runzenrun_inprocess("-ra")
    result.stdout.fnmatch_lines(["ERROR*test_foo*"])


def test_errors_in_xfail_skip_expressions(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.skipif("asd")
        def test_nameerror():
            pass
        @pytest.mark.xfail("syntax error")
        def test_syntax():
            pass

        def test_func():
            pass
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            "*ERROR*test_nameerror*",
            "*evaluating*skipif*condition*",
            "*asd*",
            "*ERROR*test_syntax*",
            "*evaluating*xfail*condition*",
            "    syntax error",
            "            ^",
            "SyntaxError: invalid syntax",
            "*1 pass*2 errors*",
        ]
    )


def test_xfail_skipif_with_globals(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        x = 3
        @pytest.mark.skipif("x == 3")
        def test_skip1():
            pass
        @pytest.mark.xfail("x == 3")
        def test_boolean():
            assert 0
        """,
    )
    result = zenrunner.runzenrun_inprocess("-rsx")
    result.stdout.fnmatch_lines(["*SKIP*x == 3*", "*XFAIL*test_boolean*x == 3*"])


def test_default_markers(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--markers")
    result.stdout.fnmatch_lines(
        [
            "*skipif(condition, ..., [*], reason=...)*skip*",
            "*xfail(condition, ..., [*], reason=..., run=True, raises=None, strict=strict_xfail)*expected failure*",
        ]
    )


def test_xfail_test_setup_exception(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_runtest_setup():
            0 / 0
        """
    )
    p = write(
        zenrunner,
        """
        import pytest
        @pytest.mark.xfail
        def test_func():
            assert 0
        """,
    )
    result = zenrunner.runzenrun_inprocess(p)
    assert result.ret == 0
    assert "xfailed" in result.stdout.str()
    result.stdout.no_fnmatch_line("*xpassed*")


def test_imperativeskip_on_xfail_test(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.xfail
        def test_that_fails():
            assert 0

        @pytest.mark.skipif("True")
        def test_hello():
            pass
        """,
    )
    zenrunner.makeconftest(
        """
        import zenrun
        def zenrun_runtest_setup(item):
            zenrun.skip("abc")
        """
    )
    result = zenrunner.runzenrun_inprocess("-rsxX")
    out = result.stdout.str()
    assert "SKIPPED" in out and "abc" in out
    assert "condition: True" in out
    result.stdout.fnmatch_lines(["*2 skipped*"])


class TestBooleanCondition:
    def test_skipif(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif(True, reason="True123")
            def test_func1():
                pass
            @pytest.mark.skipif(False, reason="True123")
            def test_func2():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*1 passed*1 skipped*"])

    def test_skipif_noreason(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skipif(True)
            def test_func():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rs")
        result.stdout.fnmatch_lines(["*1 error*"])

    def test_xfail(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(True, reason="True123")
            def test_func():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess("-rxs")
        result.stdout.fnmatch_lines(["*XFAIL*True123*", "*1 xfail*"])


def test_xfail_item(zenrunner) -> None:
    """pytest: ``pytest.xfail`` in a custom (non-Python) item's runtest; here in the
    pipeline body."""
    write(
        zenrunner,
        """
        import pytest
        def test_foo():
            pytest.xfail("Expected Failure")
        """,
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(xfailed=1)


def test_module_level_skip_error(zenrunner) -> None:
    """zenrun.skip at module level without allow_module_level is a collection error."""
    write(
        zenrunner,
        """
        import pytest
        pytest.skip("skip_module_level")

        def test_func():
            assert True
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*Using zenrun.skip outside of a pipeline will skip the entire module*"])


def test_module_level_skip_with_allow_module_level(zenrunner) -> None:
    """zenrun.skip(allow_module_level=True) is allowed."""
    write(
        zenrunner,
        """
        import pytest
        pytest.skip("skip_module_level", allow_module_level=True)

        def test_func():
            assert 0
        """,
    )
    result = zenrunner.runzenrun_inprocess("-rxs")
    result.stdout.fnmatch_lines(["*SKIP*skip_module_level"])


def test_invalid_skip_keyword_parameter(zenrunner) -> None:
    """zenrun.skip() with an unknown parameter is an error."""
    write(
        zenrunner,
        """
        import pytest
        pytest.skip("skip_module_level", unknown=1)

        def test_func():
            assert 0
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*TypeError:*unknown*"])


def test_mark_xfail_item(zenrunner) -> None:
    """pytest: xfail marks added in a custom item's setup; here in a fixture."""
    write(
        zenrunner,
        """
        import pytest
        @pytest.fixture(autouse=True)
        def setup(request):
            request.node.add_marker(pytest.mark.xfail("1 == 2", reason="Expected failure - false"))
            request.node.add_marker(pytest.mark.xfail(True, reason="Expected failure - true"))
        def test_foo():
            assert False
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(xfailed=1)


def test_summary_list_after_errors(zenrunner) -> None:
    """The list of errors/fails/xfails/skips appears after tracebacks."""
    write(
        zenrunner,
        pipeline_summary_list_after_errors="""
        import pytest
        def test_fail():
            assert 0
        """,
    )
    result = zenrunner.runzenrun_inprocess("-ra")
    result.stdout.fnmatch_lines(
        [
            "=* FAILURES *=",
            "*= short pipeline summary info =*",
            "FAILED pipeline_summary_list_after_errors.py::test_fail - *assert 0",
        ]
    )


def test_importorskip() -> None:
    import zenrun

    with pytest.raises(zenrun.skip.Exception, match=r"^could not import 'doesnotexist': No module named .*"):
        zenrun.importorskip("doesnotexist")


def test_relpath_rootdir(zenrunner) -> None:
    p = write(
        zenrunner,
        **{
            "pipelines/pipeline_1": """
            import pytest
            @pytest.mark.skip()
            def test_pass():
                pass
            """,
        },
    )
    result = zenrunner.runzenrun_inprocess("-rs", "pipelines/pipeline_1.py", "--rootdir=pipelines")
    result.stdout.fnmatch_lines(
        [f"SKIPPED [[]1[]] pipelines/pipeline_1.py:{line_of(p, '@zenrun.mark.skip')}: unconditional skip"]
    )


def test_skip_from_fixture(zenrunner) -> None:
    p = write(
        zenrunner,
        **{
            "pipelines/pipeline_1": """
            import pytest
            def test_pass(arg):
                pass
            @pytest.fixture
            def arg():
                condition = True
                if condition:
                    pytest.skip("Fixture conditional skip")
            """,
        },
    )
    result = zenrunner.runzenrun_inprocess("-rs", "pipelines/pipeline_1.py", "--rootdir=pipelines")
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED [[]1[]] pipelines/pipeline_1.py:{line_of(p, 'def test_pass') - 1}: Fixture conditional skip"
        ]
    )


def test_skip_using_reason_works_ok(zenrunner) -> None:
    p = write(
        zenrunner,
        """
        import pytest

        def test_skipping_reason():
            pytest.skip(reason="skippedreason")
        """,
    )
    result = zenrunner.runzenrun_inprocess(p)
    result.stdout.no_fnmatch_line("*DeprecationWarning*")
    result.assert_outcomes(skipped=1)


def test_fail_using_reason_works_ok(zenrunner) -> None:
    """pytest's failing body is a failed pipeline: ``zenrun.fail()`` in the body."""
    p = write(
        zenrunner,
        """
        import pytest

        def test_failing_reason():
            pytest.fail(reason="failedreason")
        """,
    )
    result = zenrunner.runzenrun_inprocess(p)
    result.stdout.no_fnmatch_line("*DeprecationWarning*")
    result.assert_outcomes(failed=1)


def test_exit_with_reason_works_ok(zenrunner) -> None:
    p = write(
        zenrunner,
        """
        import pytest

        def test_exit_reason_only():
            pytest.exit(reason="foo")
        """,
    )
    result = zenrunner.runzenrun_inprocess(p)
    result.stdout.fnmatch_lines("*zenrun.outcomes.Exit: foo*")


def test_importorskip_a_broken_module_is_an_error_unless_exc_type_says_skip(tmp_path, monkeypatch) -> None:
    """pytest 9: installed but raising ImportError on import is an error, not a skip."""
    import zenrun

    (tmp_path / "broken_dependency_zz.py").write_text("raise ImportError('its own dependency is missing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match="its own dependency is missing"):
        zenrun.importorskip("broken_dependency_zz")
    with pytest.raises(zenrun.skip.Exception, match="its own dependency is missing"):
        zenrun.importorskip("broken_dependency_zz", exc_type=ImportError)


def test_skip_used_as_a_decorator_says_to_use_a_mark() -> None:
    import zenrun

    with pytest.raises(TypeError, match="Perhaps you meant to use a mark"):

        @zenrun.skip  # type: ignore[arg-type]
        def forgot_the_mark() -> None:
            pass
