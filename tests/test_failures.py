"""Failures and bad input (issue 2, item 8): what fails, what still runs, what is recorded."""

from __future__ import annotations

import pytest

from zenrun.testing import read_store


def final_state(zenrunner):
    """Every run is finished (no ``running``) and no temporary artifact file is left."""
    runs = read_store(zenrunner.store).get_runs()
    for run in runs:
        assert run.status in ("completed", "failed"), run
        assert "running" not in {s.status for s in run.steps.values()}, run.steps
    leftovers = list((zenrunner.store / "artifacts").rglob(".tmp*")) if zenrunner.store.exists() else []
    assert leftovers == []
    return runs


BRANCHES = """
from zenrun import step, pipeline

@step
def source() -> int:
    return 1

@step
def explode(x: int) -> int:
    raise ZeroDivisionError("division by zero in explode")

@step
def after_explode(x: int) -> int:
    return x

@step
def last(a: int, b: int) -> int:
    return a + b

@step
def side(x: int) -> int:
    return x * 10

@step
def side_more(x: int) -> int:
    return x + 1

@pipeline
def branches():
    x = source()
    a = after_explode(explode(x))
    b = side_more(side(x))
    last(a, b)

@pipeline
def healthy():
    side(source())
"""


def test_failing_step_skips_downstream_and_finishes_independent_branch(zenrunner):
    zenrunner.makepyfile(pipeline_branches=BRANCHES)
    result = zenrunner.run("-v")
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "*Step explode has failed after *",
            "*Step after_explode was skipped: upstream step explode failed.*",
            "pipeline_branches.py::branches FAILED*",
            "pipeline_branches.py::healthy PASSED*",
            "*ZeroDivisionError: division by zero in explode*",
            "*1 failed, 1 passed in *",
        ]
    )
    runs = final_state(zenrunner)
    branches = [r for r in runs if r.pipeline_name == "branches"][-1]
    assert branches.status == "failed"
    assert {k: s.status for k, s in branches.steps.items()} == {
        "source": "completed",
        "explode": "failed",
        "after_explode": "skipped",
        "side": "completed",
        "side_more": "completed",
        "last": "skipped",
    }
    assert branches.steps["side_more"].output.size > 0
    assert [r.status for r in runs if r.pipeline_name == "healthy"] == ["completed"]


def test_failure_section_points_at_the_user_step(zenrunner):
    zenrunner.makepyfile(
        helpers_mod="""
        def divide(a, b):
            return a / b
    """,
        pipeline_deep="""
        from zenrun import step, pipeline
        from helpers_mod import divide

        @step
        def compute() -> float:
            return divide(1, 0)

        @pipeline
        def deep():
            compute()
    """,
    )
    result = zenrunner.run("--tb=native")
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "=*FAILURES*=",
            "*step 'compute' failed*",
            "Traceback (most recent call last):",
            '  File "*pipeline_deep.py", line 6, in compute',
            "    return divide(1, 0)",
            '  File "*helpers_mod.py", line 2, in divide',
            "    return a / b",
            "ZeroDivisionError: division by zero",
        ]
    )
    section = result.stdout[result.stdout.index("FAILURES") :]
    assert "zenrun/runner.py" not in section and "zenrun/execution.py" not in section
    assert "pluggy" not in section


CHAINED = """
from zenrun import step, pipeline, fixture

def helper():
    raise KeyError("inner")

@step
def caused() -> int:
    try:
        helper()
    except KeyError as e:
        raise RuntimeError("outer") from e

@step
def handling() -> int:
    try:
        {}["x"]
    except KeyError:
        raise ValueError("while handling")

@step
def suppressed() -> int:
    try:
        {}["x"]
    except KeyError:
        raise ValueError("alone") from None

@pipeline
def p_caused():
    caused()

@pipeline
def p_handling():
    handling()

@pipeline
def p_suppressed():
    suppressed()
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_a_chained_exception_shows_every_exception_of_the_chain(zenrunner, args):
    zenrunner.makepyfile(pipeline_chained=CHAINED)
    result = zenrunner.run("--tb=short", "-p", "no:results", *args)
    result.assert_outcomes(failed=3)
    result.fnmatch_lines(  # as Python and pytest: the cause first, then what it caused
        [
            "*step 'caused' failed:",
            "pipeline_chained.py:*: in helper",
            "E   KeyError: 'inner'",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "pipeline_chained.py:*: in caused",
            '    raise RuntimeError("outer") from e',
            "E   RuntimeError: outer",
        ]
    )
    result.fnmatch_lines(
        [
            "*step 'handling' failed:",
            "E   KeyError: 'x'",
            "",
            "During handling of the above exception, another exception occurred:",
            "",
            "pipeline_chained.py:*: in handling",
            "E   ValueError: while handling",
        ]
    )
    text = result.stdout
    alone = (
        text[text.index("step 'suppressed' failed") :].split("_____")[0].split("short pipeline summary")[0]
    )
    assert "ValueError: alone" in alone and "KeyError" not in alone  # `from None` hides it
    result.fnmatch_lines(["FAILED pipeline_chained.py::p_caused - step 'caused': RuntimeError: outer"])
    native = zenrunner.run("--tb=native", "-p", "no:results", *args)
    native.fnmatch_lines(
        [
            "Traceback (most recent call last):",
            '  File "*pipeline_chained.py", line *, in helper',
            "KeyError: 'inner'",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            '  File "*pipeline_chained.py", line *, in caused',
            "RuntimeError: outer",
        ]
    )
    assert "zenrun/runner.py" not in native.stdout


def test_failed_step_is_not_cached(zenrunner):
    zenrunner.makepyfile(pipeline_branches=BRANCHES)
    zenrunner.run()
    zenrunner.run()
    runs = final_state(zenrunner)
    last = [r for r in runs if r.pipeline_name == "branches"][-1]
    assert last.steps["explode"].status == "failed"
    assert last.steps["source"].status == "cached"


@pytest.mark.parametrize(
    "body, message",
    [
        ("import not_a_module_zz\n", "ModuleNotFoundError: No module named 'not_a_module_zz'"),
        ("def broken(:\n    pass\n", "SyntaxError*"),
        ("raise RuntimeError('refusing to import')\n", "RuntimeError: refusing to import"),
    ],
)
def test_module_that_does_not_import_is_a_collection_error(zenrunner, body, message):
    zenrunner.makepyfile(pipeline_ok=BRANCHES, pipeline_bad=body)
    result = zenrunner.run()
    assert result.ret == 2
    result.fnmatch_lines(
        [
            "*ERROR collecting pipeline_bad.py*",
            f"*{message}*",
            "*Interrupted: 1 error during collection*",
        ]
    )
    assert "Using cached" not in result.stdout
    assert read_store(zenrunner.store).get_runs() == []


def test_conftest_error_is_a_usage_error_or_a_collection_error(zenrunner):
    # As pytest: a conftest loaded at start-up that fails is reported on stderr, exit 4.
    zenrunner.makeconftest("raise ValueError('bad conftest')\n")
    zenrunner.makepyfile(pipeline_ok=BRANCHES)
    result = zenrunner.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["ImportError while loading conftest '*conftest.py'.", "*ValueError: bad conftest*"]
    )
    assert not (zenrunner.store / "metadata.db").exists()
    # One found while collecting (below the arguments) is a collection error, exit 2.
    (zenrunner.path / "conftest.py").unlink()
    zenrunner.makeconftest("raise ValueError('bad sub conftest')\n", directory="sub")
    zenrunner.makepyfile(**{"sub/pipeline_sub": BRANCHES})
    result = zenrunner.run()
    assert result.ret == 2
    result.fnmatch_lines(["*ERROR collecting sub/conftest.py*", "*ValueError: bad sub conftest*"])


def test_a_conftest_failing_while_collecting_fails_its_directory(zenrunner):
    # As pytest: nothing below a conftest that failed to import is collected, even with
    # --continue-on-collection-errors (its pipelines would run without its fixtures and hooks).
    zenrunner.makeconftest("raise ImportError('nope')\n", directory="c")
    zenrunner.makepyfile(
        **{
            "c/pipeline_w": "from zenrun import pipeline\n\n@pipeline\ndef w():\n    pass\n",
            "c/d/pipeline_v": "from zenrun import pipeline\n\n@pipeline\ndef v():\n    pass\n",
            "pipeline_ok": "from zenrun import pipeline\n\n@pipeline\ndef ok():\n    pass\n",
        }
    )
    result = zenrunner.run("-rA", "--continue-on-collection-errors", inprocess=True)
    result.fnmatch_lines(["*ERROR collecting c/conftest.py*", "*ImportError: nope*"])
    result.assert_outcomes(passed=1, errors=1)
    assert "pipeline_w.py" not in result.stdout.str() and "pipeline_v.py" not in result.stdout.str()
    result = zenrunner.run(inprocess=True)
    assert result.ret == 2
    result.assert_outcomes(errors=1)


def test_a_failed_conftest_fails_its_directory_whichever_argument_reaches_it(zenrunner):
    """Its error is reported once, and no file below it is collected when a second argument
    reaches its directory again (it was collected then, and run without the conftest)."""
    zenrunner.makeconftest("raise ImportError('nope')\n", directory="sub/c")
    zenrunner.makepyfile(
        **{
            "sub/c/pipeline_a": "from zenrun import pipeline\n\n@pipeline\ndef a():\n    pass\n",
            "sub/pipeline_ok": "from zenrun import pipeline\n\n@pipeline\ndef ok():\n    pass\n",
        }
    )
    result = zenrunner.run(
        "sub", "sub", "--keep-duplicates", "--continue-on-collection-errors", inprocess=True
    )
    result.assert_outcomes(passed=2, errors=1)
    assert "pipeline_a.py" not in result.stdout.str(), result.stdout.str()


def test_a_conftest_skipping_while_collecting_skips_its_directory(zenrunner):
    # As pytest: importorskip / skip(allow_module_level=True) in a conftest met while
    # collecting skips the directory, reported once at the conftest's line.
    zenrunner.makeconftest("import zenrun\nzenrun.importorskip('zenrun_no_such_module')\n", directory="gpu")
    zenrunner.makepyfile(
        **{
            "gpu/pipeline_w": "from zenrun import pipeline\n\n@pipeline\ndef w():\n    raise ValueError\n",
            "gpu/d/pipeline_v": "from zenrun import pipeline\n\n@pipeline\ndef v():\n    raise ValueError\n",
            "pipeline_ok": "from zenrun import pipeline\n\n@pipeline\ndef ok():\n    pass\n",
        }
    )
    result = zenrunner.run("-rs", inprocess=True)
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=1)
    result.fnmatch_lines(["SKIPPED ?1? gpu/conftest.py:2: could not import 'zenrun_no_such_module'*"])


def test_tracebacks_mark_the_failing_expression_as_pytest(zenrunner):
    # As pytest 9 (Python's positions): "^" under the expression that raised, in the long
    # and the short style, in a body and a step; none when it is the whole line.
    zenrunner.makepyfile(
        pipeline_carets="""
        from zenrun import pipeline, step

        def helper():
            return 1 + undefined_name

        @step
        def divide(x: int) -> float:
            return x / 0

        @pipeline
        def body():
            y = helper()

        @pipeline
        def in_step():
            divide(1)

        @pipeline
        def multi():
            y = helper(
            )
        """
    )
    result = zenrunner.run(inprocess=True)
    result.stdout.fnmatch_lines(
        [">       y = helper()", "            ^^^^^^^^", "", "pipeline_carets.py:12: "], consecutive=True
    )
    result.stdout.fnmatch_lines(
        [">       return 1 + undefined_name", "                   ^^^^^^^^^^^^^^", "E       NameError: *"],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [">       return x / 0", "               ^^^^^", "E       ZeroDivisionError: *"], consecutive=True
    )
    result = zenrunner.run("--tb=short", inprocess=True)
    result.stdout.fnmatch_lines(
        [
            "pipeline_carets.py:4: in helper",
            "    return 1 + undefined_name",
            "               ^^^^^^^^^^^^^^",
            "E   NameError: *",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        ["pipeline_carets.py:12: in body", "    y = helper()", "        ^^^^^^^^"], consecutive=True
    )
    # an expression on several lines: no marks (Python would mark its first line to the end)
    result.stdout.fnmatch_lines(
        ["pipeline_carets.py:20: in multi", "    y = helper(", "pipeline_carets.py:4: in helper"],
        consecutive=True,
    )


def test_importing_a_pipeline_module_runs_nothing(zenrunner):
    zenrunner.makepyfile(
        pipeline_guarded="""
        from zenrun import step, pipeline

        @step
        def one() -> int:
            return 1

        @pipeline
        def guarded():
            one()

        if __name__ == "__main__":
            guarded().run()
    """
    )
    result = zenrunner.run("--collect-only")
    assert result.ret == 0
    assert not (zenrunner.store / "metadata.db").exists() or read_store(zenrunner.store).get_runs() == []


INVALID_CONFIG = """
from zenrun import step, pipeline, StepConfig

class TrainerConfig(StepConfig):
    gamma: float = 0.1

@step
def ran_first() -> int:
    return 1

@step
def trainer(config: TrainerConfig, x: int) -> float:
    return x * config.gamma

@pipeline
def invalid_cfg():
    trainer(ran_first(), config=CONFIG)
"""


@pytest.mark.parametrize(
    "config", ['{"gamma": "not-a-number"}', 'trainer.with_config(gamma="not-a-number").config']
)
def test_invalid_config_value_names_pipeline_step_field_value(zenrunner, config):
    zenrunner.makepyfile(pipeline_cfg=INVALID_CONFIG.replace("CONFIG", config))
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(["*invalid_cfg*trainer*", "*gamma*not-a-number*"])
    out = result.stdout
    assert "pipeline 'invalid_cfg'" in out and "step 'trainer'" in out
    assert "'gamma'" in out and "'not-a-number'" in out
    result.assert_outcomes(errors=1)
    # nothing ran: not even the step before the invalid one
    assert [r for r in read_store(zenrunner.store).get_runs() if r.pipeline_name == "invalid_cfg"] == []


def test_invalid_config_from_a_fixture(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def config():
            return {"gamma": "lots"}
    """)
    zenrunner.makepyfile(pipeline_cfg=INVALID_CONFIG.replace(", config=CONFIG", ""))
    result = zenrunner.run()
    assert result.ret == 1
    assert "gamma" in result.stdout and "'lots'" in result.stdout
    assert read_store(zenrunner.store).get_runs() == []


def test_unknown_config_field_is_an_error(zenrunner):
    zenrunner.makepyfile(pipeline_cfg=INVALID_CONFIG.replace("CONFIG", '{"gama": 0.2}'))
    result = zenrunner.run()
    assert result.ret == 1
    assert "gama" in result.stdout
    result.assert_outcomes(errors=1)


@pytest.mark.parametrize(
    "value, type_name",
    [
        ("(i for i in range(3))", "builtins.generator"),
        ("threading.Lock()", "_thread.lock"),
    ],
)
def test_unserialisable_output_fails_the_step(zenrunner, value, type_name):
    zenrunner.makepyfile(
        pipeline_unser=f"""
        import threading
        from zenrun import step, pipeline

        @step
        def make() -> object:
            return {value}

        @step
        def use(x: object) -> int:
            return 1

        @step
        def other() -> int:
            return 2

        @pipeline
        def unser():
            use(make())
            other()
    """
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines([f"*step 'make'*output 'output'*{type_name}*"])
    runs = final_state(zenrunner)
    assert {k: s.status for k, s in runs[-1].steps.items()} == {
        "make": "failed",
        "use": "skipped",
        "other": "completed",
    }
    assert type_name in runs[-1].steps["make"].error


def test_wrong_number_of_outputs_fails_the_step(zenrunner):
    zenrunner.makepyfile(
        pipeline_outs="""
        from zenrun import step, pipeline, Output

        @step
        def pair() -> Output(a=int, b=int):
            return 1, 2, 3

        @pipeline
        def outs():
            a, b = pair()
    """
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(["*step 'pair' returned 3 values; expected a tuple of 2 outputs (a, b)*"])
    final_state(zenrunner)


def test_compose_error_is_reported_as_an_error(zenrunner):
    zenrunner.makepyfile(
        pipeline_wiring="""
        from zenrun import step, pipeline

        @step
        def one() -> int:
            return 1

        @step
        def add(x: int) -> int:
            return x + 1

        @pipeline
        def wiring():
            add(one(), y=3)

        @pipeline
        def fine():
            one()
    """
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(["*pipeline 'wiring', step 'add': unexpected input 'y'*"])
    result.assert_outcomes(errors=1, passed=1)


def test_retries(zenrunner):
    counter = zenrunner.path / "attempts.txt"
    zenrunner.makepyfile(
        pipeline_retry=f"""
        from pathlib import Path
        from zenrun import step, pipeline

        @step(retries=2)
        def flaky() -> int:
            path = Path({str(counter)!r})
            n = int(path.read_text()) if path.exists() else 0
            path.write_text(str(n + 1))
            if n < 2:
                raise ConnectionError("try again")
            return n

        @pipeline
        def retry():
            flaky()
    """
    )
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout
    assert counter.read_text() == "3"
    result.fnmatch_lines(["*flaky failed (attempt 1 of 3), retrying*"])


def test_sys_exit_in_a_step_fails_that_step_only(zenrunner):
    zenrunner.makepyfile(
        pipeline_exit="""
        import sys
        from zenrun import pipeline, step

        @step
        def quits() -> int:
            sys.exit(0)

        @step
        def fine() -> int:
            return 1

        @pipeline
        def exits():
            quits()

        @pipeline
        def other():
            fine()
    """
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.fnmatch_lines(["*step 'quits' failed:*", "*SystemExit*"])


def test_config_field_without_json_form_is_an_error_of_that_pipeline(zenrunner):
    zenrunner.makepyfile(
        pipeline_arr="""
        import numpy as np
        from pydantic import ConfigDict
        from zenrun import StepConfig, pipeline, step

        class Weights(StepConfig):
            model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")
            weights: np.ndarray = np.zeros(3)

        @step
        def weigh(config: Weights) -> float:
            return float(config.weights.sum())

        @step
        def one() -> int:
            return 1

        @pipeline
        def arrays():
            weigh()

        @pipeline
        def unrelated():
            one()
    """
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.assert_outcomes(passed=1, errors=1)
    result.fnmatch_lines(
        ["*pipeline 'arrays', step 'weigh': config field 'weights' (numpy.ndarray) has no JSON form*"]
    )
    result.no_fnmatch_line("*INTERNALERROR*")


@pytest.mark.parametrize(
    "scope, body",
    [
        ("module", "raise RuntimeError('teardown broke')"),
        ("session", "sys.exit(3)"),
    ],
)
def test_module_and_session_teardown_errors_are_errors(zenrunner, scope, body):
    """As pytest: the pipeline keeps its pass, the teardown adds an error, the session exits 1."""
    zenrunner.makeconftest(f"""
        import sys
        import zenrun

        @zenrun.fixture(scope="{scope}")
        def resource():
            yield 1
            {body}
    """)
    zenrunner.makepyfile(
        pipeline_td="""
        from zenrun import pipeline, step

        @step
        def use(x: int) -> int:
            return x

        @pipeline
        def first(resource):
            use(resource)

        @pipeline
        def second(resource):
            use(resource)
    """
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 1, result.stdout
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of second*",
            f"*error in {scope} fixture teardown*",
            "*RuntimeError: teardown broke*" if scope == "module" else "*sys.exit(3)*",
        ]
    )
    assert "warnings summary" not in result.stdout


def test_failure_text_tells_steps_blocked_by_a_failure_from_steps_never_started():
    # After Ctrl-C or -x a step can be skipped with nothing failed upstream of it.
    from zenrun.main import failure_text
    from zenrun.metadata.records import PipelineRun, StepRun

    run = PipelineRun(
        name="r", pipeline_name="p", status="failed", graph={"a": [], "b": ["a"], "c": ["b"], "d": []}
    )
    run._steps = {
        "a": StepRun("a", "a", status="failed", error="ValueError: x\n"),
        "b": StepRun("b", "b", status="skipped"),
        "c": StepRun("c", "c", status="skipped"),
        "d": StepRun("d", "d", status="skipped"),
    }
    text = failure_text(run)
    assert "skipped because of the failure: b, c" in text
    assert "not started: d" in text


@pytest.mark.parametrize("orchestrator_args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_a_value_returned_by_a_step_annotated_none_is_a_warning(zenrunner, orchestrator_args):
    zenrunner.makepyfile(
        pipeline_none="""
        from zenrun import pipeline, step

        @step
        def forgets() -> None:
            return 5

        @pipeline
        def dropped():
            forgets()
    """
    )
    result = zenrunner.run(*orchestrator_args)
    assert result.ret == 0
    result.fnmatch_lines(
        [
            "*warnings summary*",
            "*step 'forgets' is annotated '-> None' but returned int; the value is dropped*",
            "*1 passed, 1 warning*",
        ]
    )


def test_an_async_pipeline_fails_saying_why(zenrunner):
    # as pytest (8.4 on) fails an async def test no plugin runs; it used to skip it
    zenrunner.makepyfile(
        pipeline_async="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        async def eventually():
            one()
    """
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "async def functions are not natively supported*",  # (the message alone, as pytest's)
            "FAILED pipeline_async.py::eventually - *async def*",
            "*1 failed*",
        ]
    )


OUTCOMES_IN_STEPS = """
import zenrun
from zenrun import pipeline, step

@step
def skipping() -> int:
    zenrun.skip("no data today")

@step
def after(x: int) -> int:
    return x

@step
def expected() -> int:
    zenrun.xfail("known bug")

@step
def quiet() -> int:
    zenrun.fail("plain message", pytrace=False)

@step
def fine() -> int:
    return 1

@pipeline
def p_skip():
    after(skipping())

@pipeline
def p_xfail():
    expected()

@pipeline
def p_quiet():
    quiet()

@pipeline
def p_fine():
    fine()
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_skip_xfail_and_fail_in_a_step_are_the_items_outcome_as_in_its_body(zenrunner, args):
    zenrunner.makepyfile(pipeline_outcomes=OUTCOMES_IN_STEPS)
    result = zenrunner.run("-rA", "-p", "no:results", *args)
    result.assert_outcomes(passed=1, skipped=1, xfailed=1, failed=1)
    line = next(
        n
        for n, text in enumerate((zenrunner.path / "pipeline_outcomes.py").read_text().splitlines(), 1)
        if "zenrun.skip(" in text
    )
    result.fnmatch_lines(
        [
            f"SKIPPED [1] pipeline_outcomes.py:{line}: no data today",
            "XFAIL pipeline_outcomes.py::p_xfail - known bug",
            "FAILED pipeline_outcomes.py::p_quiet - step 'quiet': Failed: plain message",
        ]
    )
    steps = {s.id: s.status for s in read_store(zenrunner.store).get_runs("p_skip")[-1].steps.values()}
    assert steps == {"skipping": "skipped", "after": "skipped"}
    again = zenrunner.run("-p", "no:results", *args)  # a skip is not cached: asked again
    again.assert_outcomes(passed=1, skipped=1, xfailed=1, failed=1)


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_exit_in_a_step_ends_the_session_with_its_code(zenrunner, args):
    zenrunner.makepyfile(
        pipeline_a_exit="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def leave() -> int:
            zenrun.exit("bye", 99)

        @pipeline
        def p_exit():
            leave()
        """,
        pipeline_b_later="""
        from zenrun import pipeline, step

        @step
        def later() -> int:
            return 1

        @pipeline
        def p_later():
            later()
        """,
    )
    result = zenrunner.run("-p", "no:results", *args)
    assert result.ret == 99
    result.fnmatch_lines(["*!!! zenrun.outcomes.Exit: bye !!!*"])
    assert "p_exit" not in result.stdout.split("Exit: bye")[0].split("collected")[1]  # not reported
    if not args:  # one at a time: nothing after it runs
        assert "p_later" not in [r.pipeline_name for r in read_store(zenrunner.store).get_runs()]


def test_showlocals_survives_a_repr_raising_a_base_exception(zenrunner):
    zenrunner.makepyfile(
        pipeline_badrepr="""
        from zenrun import pipeline, step

        class Stop(BaseException):
            pass

        class Bad:
            def __repr__(self):
                raise Stop()

        @step
        def fails() -> int:
            thing = Bad()
            assert 0

        @step
        def fine() -> int:
            return 1

        @pipeline
        def p_bad():
            fails()

        @pipeline
        def p_after():
            fine()
        """
    )
    result = zenrunner.run("--showlocals", "-p", "no:results")
    result.assert_outcomes(failed=1, passed=1)  # the next pipeline ran: no internal error
    result.fnmatch_lines(["*thing*= <[[]Stop() raised in repr()] Bad object at 0x*>"])


def test_an_exception_whose_str_raises_a_base_exception_is_a_failure(zenrunner):
    """A message that cannot be made (its ``__str__`` raises a BaseException of the user's)
    is named as Python names it; the pipeline fails, the session goes on (was: INTERNALERROR)."""
    zenrunner.makepyfile(
        pipeline_a="""
        from zenrun import pipeline, step

        class Stop(BaseException):
            pass

        class Bad:
            def __repr__(self):
                raise Stop()

        @step
        def fails() -> int:
            assert 0, Bad()

        @step
        def fine() -> int:
            return 1

        @pipeline
        def p_bad():
            fails()

        @pipeline
        def p_after():
            fine()
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(failed=1, passed=1)
    result.fnmatch_lines(["E       AssertionError: <exception str() failed>"])


def test_a_teardown_error_after_x_is_charged_to_the_pipeline_that_ran_last(zenrunner):
    """As pytest (#11706): -x stops the session; the module fixture's failing teardown is
    an error of the last pipeline that ran, not of one never reached."""
    zenrunner.makepyfile(
        pipeline_teardown="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def ok() -> int:
            return 1

        @zenrun.fixture(scope="module")
        def resource():
            yield
            zenrun.fail("This is a failing teardown")

        @pipeline
        def p_first(resource):
            zenrun.fail("This is a failing pipeline")
            ok()

        @pipeline
        def p_never():
            ok()
        """
    )
    result = zenrunner.run("-x", "-p", "no:results")
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "*ERROR at teardown of p_first*",
            "error in module fixture teardown:",
            "ERROR pipeline_teardown.py::p_first - Failed: This is a failing teardown",
        ]
    )
    assert "p_never" not in result.stdout


def test_a_frame_of_generated_code_is_not_shown_as_a_line_of_the_module(zenrunner):
    zenrunner.makepyfile(
        pipeline_frozen="""
        import dataclasses
        from zenrun import pipeline, step

        @dataclasses.dataclass(frozen=True)
        class Point:
            x: int

        @step
        def move() -> int:
            point = Point(1)
            point.x = 2
            return 1

        @pipeline
        def frozen():
            move()
        """
    )
    result = zenrunner.run("--tb=short", "-p", "no:results")
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(
        ["pipeline_frozen.py:*: in move", "<string>:*: in __setattr__", "E   *FrozenInstanceError*"]
    )
    assert "@dataclasses.dataclass" not in result.stdout.split("FAILURES")[1]


ASSERTS = """
from zenrun import pipeline, step

class Model:
    accuracy = 0.42

def calls():
    calls.count = getattr(calls, "count", 0) + 1
    return calls.count

@step
def threshold() -> int:
    acc = 0.42
    assert acc > 0.9

@step
def lists() -> int:
    assert [1, 2, 3] == [1, 2, 4, 5]

@step
def dicts() -> int:
    assert {"a": 1, "b": 2} == {"a": 1, "b": 3, "d": 4}

@step
def attribute() -> int:
    model = Model()
    assert model.accuracy >= 0.5

@step
def called() -> int:
    assert calls() == 2  # never called again to explain it

@step
def with_message() -> int:
    assert 1 == 2, "my own message"

@pipeline
def asserts():
    threshold(); lists(); dicts(); attribute(); called(); with_message()
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_a_failing_assert_says_what_it_compared(zenrunner, args):
    """As pytest's rewritten asserts: the values compared, and where sequences and dicts differ."""
    zenrunner.makepyfile(pipeline_asserts=ASSERTS)
    result = zenrunner.run("-p", "no:results", *args)
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(["*step 'threshold' failed:*", "E       assert 0.42 > 0.9"])
    result.fnmatch_lines(
        [
            "E       assert [[]1, 2, 3[]] == [[]1, 2, 4, 5[]]",
            "E         At index 2 diff: 3 != 4",
            "E         Right contains one more item: 5",
        ]
    )
    result.fnmatch_lines(["E         Differing items:", "E         {'b': 2} != {'b': 3}"])
    result.fnmatch_lines(
        [
            "E       assert 0.42 >= 0.5",
            "E        +  where 0.42 = <pipeline_asserts.Model object at 0x*>.accuracy",
        ]
    )
    result.fnmatch_lines(["E       assert calls() == 2"])  # the call's text: not made again
    result.fnmatch_lines(["E       AssertionError: my own message"])


def test_tb_line_shows_a_fixture_error_on_one_line(zenrunner):
    zenrunner.makeconftest(
        "import zenrun\n@zenrun.fixture\ndef broken():\n    raise LookupError('fixture broke')\n"
    )
    zenrunner.makepyfile(pipeline_fx="from zenrun import pipeline\n@pipeline\ndef uses(broken):\n    pass\n")
    result = zenrunner.run("--tb=line", "-p", "no:results")
    result.assert_outcomes(errors=1)
    result.fnmatch_lines(["E   LookupError: fixture broke"])  # as pytest's, for an error
    assert "Traceback" not in result.stdout
    assert "conftest.py:4" not in result.stdout


BASE_EXCEPTIONS = """
import asyncio

import zenrun
from zenrun import pipeline, step


class Abort(BaseException):
    pass


@zenrun.fixture
def broken():
    raise Abort("in a fixture")


@step
def aborts() -> int:
    raise Abort("in a step")


@step
def cancelled() -> int:
    raise asyncio.CancelledError()


@step
def fine() -> int:
    return 1


@pipeline
def p_step():
    aborts()


@pipeline
def p_cancelled():
    cancelled()


@pipeline
def p_body():
    fine()
    raise Abort("in a body")


@pipeline
def p_fixture(broken):
    fine()


@pipeline
def p_fine():
    fine()
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_a_base_exception_of_user_code_is_the_items_failure_not_the_sessions(zenrunner, args):
    """As pytest: any exception a step, a body or a fixture raises (a ``BaseException``
    subclass, ``asyncio.CancelledError``) fails that item; the session goes on."""
    zenrunner.makepyfile(pipeline_base=BASE_EXCEPTIONS)
    result = zenrunner.run("-rA", "-p", "no:results", *args)
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    result.assert_outcomes(passed=1, failed=3, errors=1)
    for line in (
        "FAILED pipeline_base.py::p_body - pipeline_base.Abort: in a body",
        "ERROR pipeline_base.py::p_fixture - pipeline_base.Abort: in a fixture",
        "FAILED pipeline_base.py::p_step - step 'aborts': pipeline_base.Abort: in a step",
        "FAILED pipeline_base.py::p_cancelled - *CancelledError",
    ):
        result.fnmatch_lines([line])


PYTEST_HELPERS = """
import warnings

import pytest

import zenrun
from zenrun import pipeline, step


def require(flag):
    __tracebackhide__ = True  # pytest's convention: the caller's line is where it failed
    if not flag:
        pytest.skip("no gpu here")


@step
def gpu() -> int:
    require(False)
    return 1


@step
def checks() -> float:
    with zenrun.raises(ValueError, match="bad"):
        raise ValueError("bad value")
    with zenrun.warns(UserWarning):
        warnings.warn("careful")
    assert 0.1 + 0.2 == zenrun.approx(0.3)
    return 0.3


@step
def does_not_raise() -> int:
    with zenrun.raises(KeyError):
        pass
    return 1


@step
def known() -> int:
    pytest.xfail("known bug")


@pipeline
def p_gpu():
    gpu()


@pipeline
def p_checks():
    checks()


@pipeline
def p_no_raise():
    does_not_raise()


@pipeline
def p_known():
    known()


@pipeline
def p_body_skip():
    pytest.skip("skipped in the body")
    checks()


@pipeline
def p_exit():
    pytest.exit("enough", returncode=7)
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_pytest_helpers_and_outcomes_in_pipelines_act_as_zenruns(zenrunner, args):
    """``zenrun.raises`` / ``warns`` / ``approx`` are pytest's; ``pytest.skip()``,
    ``xfail()``, ``exit()`` and the ``Failed`` of ``pytest.raises`` decide the item as
    zenrun's own do, and a ``__tracebackhide__`` helper is not where a skip is reported."""
    zenrunner.makepyfile(pipeline_helpers=PYTEST_HELPERS)
    source = (zenrunner.path / "pipeline_helpers.py").read_text().splitlines()
    caller = next(n for n, text in enumerate(source, 1) if "require(False)" in text)
    body = next(n for n, text in enumerate(source, 1) if 'pytest.skip("skipped in the body")' in text)
    result = zenrunner.run("-rA", "-p", "no:results", "-k", "not p_exit", *args)
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    result.assert_outcomes(passed=1, failed=1, skipped=2, xfailed=1, deselected=1)
    for line in (
        f"SKIPPED [1] pipeline_helpers.py:{caller}: no gpu here",
        f"SKIPPED [1] pipeline_helpers.py:{body}: skipped in the body",
        "XFAIL pipeline_helpers.py::p_known - known bug",
        "FAILED pipeline_helpers.py::p_no_raise - *Failed: DID NOT RAISE *KeyError*",
    ):
        result.fnmatch_lines([line])
    leaving = zenrunner.run("-p", "no:results", "-k", "p_exit", *args)
    assert leaving.ret == 7, leaving.stdout


def test_pytest_helpers_name_pytest_when_it_is_missing(zenrunner):
    zenrunner.makepyfile(
        pipeline_missing="""
        import sys

        sys.modules["pytest"] = None  # as if not installed

        import zenrun
        from zenrun import pipeline, step

        @step
        def check() -> int:
            with zenrun.raises(ValueError):
                raise ValueError
            return 1

        @pipeline
        def p():
            check()
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(["*zenrun.raises is pytest's raises: install pytest to use it*"])


def test_pytest_skip_at_module_level_skips_the_module(zenrunner):
    zenrunner.makepyfile(
        pipeline_gpu="""
        import pytest

        pytest.skip("no gpu on this machine", allow_module_level=True)
        """,
        pipeline_gone="""
        import pytest

        pytest.importorskip("a_module_nobody_installed")
        """,
    )
    result = zenrunner.run("-rs", "-p", "no:results")
    result.assert_outcomes(skipped=2)
    result.fnmatch_lines(["SKIPPED [[]1] pipeline_gpu.py:3: no gpu on this machine"])


def test_fail_without_trace_in_a_fixture_teardown_shows_the_message_alone(zenrunner):
    """As pytest: ``zenrun.fail(msg, pytrace=False)`` tearing down a fixture reports ``msg``,
    not the fixture's source and an ``E   Failed:`` line."""
    zenrunner.makepyfile(
        pipeline_a="""
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def resource():
            yield
            zenrun.fail("world", pytrace=False)

        @step
        def work() -> int:
            return 1

        @pipeline
        def p(resource):
            work()
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(passed=1, errors=1)
    result.fnmatch_lines(["*ERROR at teardown of p*", "error in pipeline fixture teardown:", "world"])
    assert "def resource" not in result.stdout


def test_tb_line_shows_the_first_line_of_a_multi_line_message(zenrunner):
    """As pytest's crash line: an assert's explanation (``+  where`` lines) and a message
    of several lines give their first line, not their last."""
    zenrunner.makepyfile(
        pipeline_a="""
        from zenrun import pipeline, step

        class Model:
            accuracy = 0.42

        @step
        def attribute() -> None:
            model = Model()
            assert model.accuracy >= 0.5

        @step
        def lines() -> None:
            raise ValueError("first\\nsecond")

        @pipeline
        def p_attribute():
            attribute()

        @pipeline
        def p_lines():
            lines()
        """
    )
    result = zenrunner.run("--tb=line", "-p", "no:results")
    result.assert_outcomes(failed=2)
    result.fnmatch_lines(["pipeline_a.py:9: assert 0.42 >= 0.5", "pipeline_a.py:13: ValueError: first"])


def test_tb_line_shows_the_error_lines_before_the_crash_line(zenrunner):
    """As pytest 9's --tb=line: each failure's exception (``E   first line``, the rest
    indented), what it printed, then its ``path:line: message`` line."""
    zenrunner.makepyfile(
        pipeline_a="""
        from zenrun import pipeline, step

        @step
        def lines() -> None:
            print("out")
            raise ValueError("first\\nsecond")

        @pipeline
        def p_lines():
            lines()
        """
    )
    result = zenrunner.run("--tb=line", "-p", "no:results")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "E   ValueError: first",
            "    second",
            "*Captured stdout*",
            "out",
            "pipeline_a.py:6: ValueError: first",
        ],
        consecutive=True,
    )


def test_tb_line_of_a_body_failure_ends_with_its_crash_line(zenrunner):
    """As pytest's --tb=line for a test function: the pipeline body's exception, what the
    body printed, then ``path:line: message`` of the innermost frame (it was the item's id)."""
    zenrunner.makepyfile(
        pipeline_b="""
        import sys
        import zenrun
        from zenrun import pipeline

        def check(n):
            zenrun.fail(f"not ready: {n}")

        @pipeline
        def raises():
            print("out")
            raise ValueError("x")

        @pipeline
        def fails():
            check(1)

        @pipeline
        def exits():
            sys.exit(3)

        @pipeline
        def asserts():
            assert 1 == 2

        @pipeline
        def fails_quietly():
            zenrun.fail("nope", pytrace=False)
        """
    )
    result = zenrunner.run("--tb=line", "-p", "no:results")
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines(["E   assert 1 == 2", "pipeline_b.py:23: assert 1 == 2"], consecutive=True)
    result.stdout.fnmatch_lines(["nope", "pipeline_b.py:27: Failed: nope"], consecutive=True)
    result.stdout.fnmatch_lines(
        ["E   ValueError: x", "*Captured stdout call*", "out", "pipeline_b.py:11: ValueError: x"],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        ["E   Failed: not ready: 1", "pipeline_b.py:6: Failed: not ready: 1"], consecutive=True
    )
    result.stdout.fnmatch_lines(["E   SystemExit: 3", "pipeline_b.py:19: SystemExit: 3"], consecutive=True)


def test_a_skip_tearing_down_a_fixture_skips_the_pipeline_without_an_error(zenrunner):
    """As pytest (#13537): ``zenrun.skip()`` in a fixture's teardown adds a skip of the item
    (the reasons of all its fixtures, ``A; B``), not an error; the exit code stays 0."""
    zenrunner.makepyfile(
        pipeline_a="""
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def fix_a():
            yield
            zenrun.skip("A")

        @zenrun.fixture
        def fix_b():
            yield
            zenrun.skip("B")

        @zenrun.fixture(scope="module")
        def fix_module():
            yield
            zenrun.skip("M")

        @step
        def work() -> int:
            return 1

        @pipeline
        def p_two(fix_a, fix_b):
            work()

        @pipeline
        def p_module(fix_module):
            work()
        """
    )
    result = zenrunner.run("-p", "no:results", "-rs")
    result.assert_outcomes(passed=2, skipped=2)
    assert result.ret == 0
    result.fnmatch_lines(["SKIPPED [[]1[]] pipeline_a.py:*: A; B", "SKIPPED [[]1[]] pipeline_a.py:*: M"])
    assert "ERROR" not in result.stdout


def test_user_objects_raising_while_zenrun_stores_or_keys_them_fail_their_pipeline_only(zenrunner):
    """An output whose ``shape`` raises gets a preview all the same; a ``__reduce_ex__``
    raising a ``BaseException`` (``SystemExit`` too) fails the step that returns it, or makes
    the step reading it as a global uncacheable: never an INTERNALERROR ending the session."""
    zenrunner.makepyfile(
        pipeline_hostile="""
        from zenrun import pipeline, step

        class Stop(BaseException):
            pass

        class LazyTable:
            @property
            def shape(self):
                raise RuntimeError("not loaded yet")

        class StopReduce:
            def __reduce_ex__(self, protocol):
                raise Stop("no pickling")

        class ExitReduce:
            def __reduce_ex__(self, protocol):
                raise SystemExit(7)

        SETTING = ExitReduce()

        @step
        def lazy() -> LazyTable:
            return LazyTable()

        @step
        def unstorable():
            return StopReduce()

        @step
        def reads_setting() -> int:
            return 1 if SETTING else 0

        @pipeline
        def a_lazy():
            lazy()

        @pipeline
        def b_unstorable():
            unstorable()

        @pipeline
        def c_setting():
            reads_setting()
        """
    )
    result = zenrunner.run("-v", "-p", "no:results")
    assert result.ret == 1, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr
    for line in [
        "*::a_lazy PASSED*",
        "*::b_unstorable FAILED*",
        "*::c_setting PASSED*",
        "*output 'output' of type pipeline_hostile.StopReduce cannot be serialised*Stop: no pickling*",
        "*Step reads_setting: cache miss: not cacheable in this run: *SETTING*SystemExit: 7*",
    ]:
        result.fnmatch_lines([line])


def test_a_user_exception_whose_str_raises_while_zenrun_stores_keys_or_sends_a_value(zenrunner):
    """An output's ``__reduce__`` raising an exception whose ``__str__`` raises fails its step
    (was an INTERNALERROR of the session: the message said the exception with ``{exc}``); as an
    input it is uncacheable, and under ``-n`` it is a value that cannot be sent, each named as
    Python names such an exception."""
    zenrunner.makepyfile(
        pipeline_badstr="""
        from zenrun import pipeline, step

        class BadStr(Exception):
            def __str__(self):
                raise RuntimeError("str broke")

        class BadReduce:
            def __reduce__(self):
                raise BadStr("nope")

        @step
        def badreduce() -> object:
            return BadReduce()

        @step
        def consume(x: object) -> int:
            return 1

        @pipeline
        def a_output():
            badreduce()

        @pipeline
        def b_input():
            consume(BadReduce())
        """
    )
    result = zenrunner.run("-v", "-p", "no:results")
    assert result.ret == 1, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert "str broke" not in result.stdout + result.stderr
    for line in [
        "*::a_output FAILED*",
        "*::b_input PASSED*",
        "*output 'output' of type pipeline_badstr.BadReduce cannot be serialised by the cloudpickle "
        "materializer: BadStr: <exception str() failed>*",
        "*Step consume: cache miss: not cacheable in this run: *BadStr: <exception str() failed>*",
    ]:
        result.fnmatch_lines([line])
    sent = zenrunner.run("-n", "2", "-k", "b_input", "-p", "no:results")
    assert "INTERNALERROR" not in sent.stdout + sent.stderr
    sent.fnmatch_lines(
        [
            "*input 'x' of type pipeline_badstr.BadReduce cannot be sent to a worker process "
            "(BadStr: <exception str() failed>)*"
        ]
    )


def test_a_teardown_error_report_has_what_was_captured(zenrunner):
    """As pytest's teardown report: a fixture's teardown error's report has the item's
    captured output (setting up, its steps, tearing down) as ``capstdout`` / ``capstderr``."""
    zenrunner.makepyfile(
        pipeline_td="""
        import sys
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def fix():
            print("setup out")
            yield
            print("teardown out")
            sys.stderr.write("teardown err\\n")
            raise ValueError("td")

        @step
        def work() -> None:
            print("step out")

        @pipeline
        def p(fix):
            work()
        """
    )
    rec = zenrunner.inline_run("--no-cache")
    item, teardown = rec.getreports("zenrun_item_report")
    assert (item.outcome, teardown.outcome, teardown.when) == ("passed", "error", "teardown")
    assert teardown.capstdout == "setup out\nstep out\nteardown out\n"
    assert teardown.capstderr == "teardown err\n"


ASSERT_LISTS = """
from zenrun import pipeline, step

@step
def compare():
    left = ["banana", "apple", "grapes"]
    right = ["banana", "apple", "orange"]
    assert left == right

@pipeline
def fruits():
    compare()
"""


@pytest.mark.parametrize(
    ("ini", "args", "full"),
    [("2", (), True), ("auto", (), False), ("auto", ("-v",), True), ("0", ("-v",), False)],
)
def test_verbosity_assertions_sets_the_explanation_verbosity(zenrunner, ini, args, full):
    """pytest's ``verbosity_assertions`` key: a failing assert's explanation at its own
    level, the session's (-v) when ``auto``."""
    zenrunner.makepyfile(pipeline_fruits=ASSERT_LISTS)
    zenrunner.makeini(f"[zenrun]\nverbosity_assertions = {ini}\n")
    result = zenrunner.runzenrun_inprocess(*args)
    assert result.ret == 1
    assert "Unknown config option" not in result.stdout.str()
    if full:
        result.stdout.fnmatch_lines(["E         Full diff: *"])
    else:
        result.stdout.fnmatch_lines(["E         Use -v to get more diff"])


def test_verbosity_assertions_not_a_number_is_a_usage_error(zenrunner):
    zenrunner.makepyfile(pipeline_fruits=ASSERT_LISTS)
    zenrunner.makeini("[zenrun]\nverbosity_assertions = loud\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*config option 'verbosity_assertions' expects a whole number or 'auto', got 'loud'"]
    )


def test_full_diff_wraps_a_long_string_item_as_pytest(zenrunner):
    """A long string in a compared container is cut after whitespace in the full diff, as
    pytest's PrettyPrinter lays it out: the diff marks the piece that differs."""
    zenrunner.makepyfile(
        pipeline_text="""
        from zenrun import pipeline, step

        @step
        def compare():
            left = ["the quick brown fox jumps over the lazy dog " * 3]
            right = ["the quick brown fox jumps over the lazy cat " * 3]
            assert left == right

        @pipeline
        def text():
            compare()
        """
    )
    result = zenrunner.runzenrun_inprocess("-vv")
    result.stdout.fnmatch_lines(
        [
            "E         Full diff: (-: missing in left side, +: extra in left side)",
            "E           [",
            "E         -     'the quick brown fox jumps over the lazy cat the quick brown fox jumps '",
            "E         ?                                              ^^^",
            "E         +     'the quick brown fox jumps over the lazy dog the quick brown fox jumps '",
            "E         ?                                              ^^^",
            "E         -     'over the lazy cat the quick brown fox jumps over the lazy cat ',",
            "E         ?                    ^^^                                         ^^^",
            "E         +     'over the lazy dog the quick brown fox jumps over the lazy dog ',",
            "E         ?                    ^^^                                         ^^^",
            "E           ]",
        ],
        consecutive=True,
    )


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        (
            "left = list(range(60))\n    right = [i + 1 for i in range(60)]",
            ["E         +     0,", "E               59,", "E         -     60,"],
        ),
        (
            "left = '\\n'.join(map(str, range(60)))\n    right = '\\n'.join(str(i + 1) for i in range(60))",
            ["E         + 0", "E           58", "E         - 60"],
        ),
    ],
    ids=["list", "text"],
)
def test_vv_shows_the_whole_diff(zenrunner, body, lines):
    """``-vv`` shows a failing comparison's diff whole, as pytest's (it stopped after 40
    lines with ``... (N more lines)``)."""
    zenrunner.makepyfile(
        pipeline_long=f"""
from zenrun import pipeline, step

@step
def compare():
    {body}
    assert left == right

@pipeline
def long():
    compare()
"""
    )
    result = zenrunner.runzenrun_inprocess("-vv")
    assert result.ret == 1
    result.stdout.no_fnmatch_line("*more lines)*")
    result.stdout.fnmatch_lines(lines)
