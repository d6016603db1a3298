"""Port of pytest's ``testing/test_runner_xunit.py`` (pytest-dev/pytest): the module-level cases.

xunit-style ``setup_module(module)`` / ``teardown_module(module)`` and
``setup_function(function)`` / ``teardown_function(function)`` written as
pytest's suite writes them (plain functions, their argument optional): zenrun
calls them around each module's pipelines and each pipeline, as pytest does.
Test sources are turned into pipelines by ``porting.pipelines`` (the assertion
runs in the ``check`` step). pytest's ``reprec.matchreport`` / ``getcalls``
checks are ported as a run's outcomes and a value the module recorded.

Not applicable: the cases on test classes (``setup_class``, ``setup_method``:
``test_class_setup``, ``test_class_setup_failure_no_teardown``,
``test_method_setup``, ``test_method_setup_failure_no_teardown``,
``test_method_setup_uses_fresh_instances``); the class parts of
``test_module_and_function_setup`` and
``test_setup_teardown_function_level_with_optional_argument`` are left out.

Deliberate difference: an error in ``setup_module`` / ``setup_function`` is an
error at setup (``errors=N``), where pytest's ``inline_run`` counts a setup
error as ``failed`` (its ``runpytest`` says ``N errors``, as zenrun).
"""

from __future__ import annotations

import sys
import textwrap

import pytest
from porting import pipelines


def write(zenrunner, src: str):
    return zenrunner.makepyfile(pipelines(src))


def test_module_and_function_setup(zenrunner) -> None:
    write(
        zenrunner,
        """
        modlevel = []
        def setup_module(module):
            assert not modlevel
            module.modlevel.append(42)

        def teardown_module(module):
            modlevel.pop()

        def setup_function(function):
            function.answer = 17

        def teardown_function(function):
            del function.answer

        def test_modlevel():
            assert modlevel[0] == 42
            assert test_modlevel.answer == 17

        def test_module():
            assert modlevel[0] == 42
            assert not hasattr(test_modlevel, 'answer')
        """,
    )
    result = zenrunner.runzenrun_inprocess("-v")
    result.stdout.fnmatch_lines(["*::test_modlevel PASSED*", "*::test_module PASSED*"])
    result.assert_outcomes(passed=2)


RECORD = """
import os, json

def record(value):
    with open(os.path.join(os.environ["XUNIT_OUT"]), "a") as f:
        f.write(json.dumps(value) + "\\n")
"""


def _recorded(zenrunner) -> list:
    import json

    path = zenrunner.path / "recorded.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_module_setup_failure_no_teardown(zenrunner, monkeypatch) -> None:
    # pytest inspects ``item.module.values`` after the run; here the module writes them out.
    monkeypatch.setenv("XUNIT_OUT", str(zenrunner.path / "recorded.jsonl"))
    write(
        zenrunner,
        RECORD
        + textwrap.dedent(
            """
        values = []
        def setup_module(module):
            values.append(1)
            record(values)
            0/0

        def test_nothing():
            pass

        def teardown_module(module):
            values.append(2)
            record(values)
        """
        ),
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    assert _recorded(zenrunner) == [[1]]


def test_setup_function_failure_no_teardown(zenrunner, monkeypatch) -> None:
    monkeypatch.setenv("XUNIT_OUT", str(zenrunner.path / "recorded.jsonl"))
    write(
        zenrunner,
        RECORD
        + textwrap.dedent(
            """
        modlevel = []
        def setup_function(function):
            modlevel.append(1)
            record(modlevel)
            0/0

        def teardown_function(module):
            modlevel.append(2)
            record(modlevel)

        def test_func():
            pass
        """
        ),
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(errors=1)
    assert _recorded(zenrunner) == [[1]]


def test_setup_that_skips_calledagain(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        def setup_module(mod):
            pytest.skip("x")
        def test_function1():
            pass
        def test_function2():
            pass
        """,
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(skipped=2)


def test_setup_fails_again_on_all_tests(zenrunner) -> None:
    write(
        zenrunner,
        """
        import pytest
        def setup_module(mod):
            raise ValueError(42)
        def test_function1():
            pass
        def test_function2():
            pass
        """,
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(errors=2)


def test_setup_funcarg_setup_when_outer_scope_fails(zenrunner) -> None:
    p = write(
        zenrunner,
        """
        import pytest
        def setup_module(mod):
            raise ValueError(42)
        @pytest.fixture
        def hello(request):
            raise ValueError("xyz43")
        def test_function1(hello):
            pass
        def test_function2(hello):
            pass
        """,
    )
    result = zenrunner.runzenrun_inprocess(str(p))
    result.stdout.fnmatch_lines(
        [
            "*function1*",
            "*ValueError*42*",
            "*function2*",
            "*ValueError*42*",
            "*2 errors*",
        ]
    )
    result.stdout.no_fnmatch_line("*xyz43*")


@pytest.mark.parametrize("arg", ["", "arg"])
def test_setup_teardown_function_level_with_optional_argument(zenrunner, monkeypatch, arg: str) -> None:
    """Parameter to setup/teardown xunit-style functions parameter is now optional (#1728)."""
    trace_setups_teardowns: list[str] = []
    monkeypatch.setattr(sys, "trace_setups_teardowns", trace_setups_teardowns, raising=False)
    p = write(
        zenrunner,
        f"""
        import pytest
        import sys

        trace = sys.trace_setups_teardowns.append

        def setup_module({arg}): trace('setup_module')
        def teardown_module({arg}): trace('teardown_module')

        def setup_function({arg}): trace('setup_function')
        def teardown_function({arg}): trace('teardown_function')

        def test_function_1(): pass
        def test_function_2(): pass
        """,
    )
    result = zenrunner.runzenrun_inprocess(str(p))
    result.assert_outcomes(passed=2)

    expected = [
        "setup_module",
        "setup_function",
        "teardown_function",
        "setup_function",
        "teardown_function",
        "teardown_module",
    ]
    assert trace_setups_teardowns == expected


def test_xunit_functions_run_before_the_modules_autouse_fixtures(zenrunner) -> None:
    """zenrun's: pytest registers the xunit fixtures before the module's own, so
    ``setup_module`` / ``setup_function`` run before autouse fixtures of the same scope (and
    their teardowns after them)."""
    write(
        zenrunner,
        """
        import pytest

        @pytest.fixture(scope="module", autouse=True)
        def auto_mod():
            pass

        def setup_module(module):
            pass

        @pytest.fixture(autouse=True)
        def auto_fn():
            pass

        def setup_function(function):
            pass

        def test_p():
            pass
        """,
    )
    result = zenrunner.runzenrun_inprocess("--setup-show", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*SETUP    M _xunit_setup_module_fixture_*",
            "*SETUP    M auto_mod",
            "*SETUP    F _xunit_setup_function_fixture_*",
            "*SETUP    F auto_fn",
            "*TEARDOWN F auto_fn",
            "*TEARDOWN F _xunit_setup_function_fixture_*",
            "*TEARDOWN M auto_mod",
            "*TEARDOWN M _xunit_setup_module_fixture_*",
        ]
    )
