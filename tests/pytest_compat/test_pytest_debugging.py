"""Port of pytest's ``testing/test_debugging.py`` (pytest-dev/pytest): ``--pdb`` (a
post-mortem debugger in a failing step, after its captured output and traceback),
``--trace`` (the debugger at the first line of every step), ``--pdbcls``,
``breakpoint()`` / ``pdb.set_trace()`` / ``zenrun.set_trace()`` in a step with the
step's capture suspended meanwhile, ``quit`` ending the session, the
``zenrun_enter_pdb`` / ``zenrun_leave_pdb`` hooks.

pytest's test functions become steps (named as pytest's tests, so that the debugger and
tracebacks show the same ``def test_1``), each called by a pipeline: the debugger stops
where a pipeline's work runs. pytest drives pdb through a terminal (pexpect); here the
zenrun subprocess reads the same commands from its standard input
(``runzenrun_subprocess(stdin=...)``, the end of input as pexpect's ``sendeof``), and
what pexpect expects one after the other is checked in that order in the output
(``in_order``). The runs pass ``--no-cache`` (a step served from the cache does not run)
and ``-p no:results``. ``pdblist`` / ``custom_pdb_calls`` patch zenrun's
``zenrun.debugging.post_mortem`` or load a debugger class from a project module.

Not applicable: ``test_pdb_unittest_postmortem``, ``test_pdb_unittest_skip``
(unittest), ``test_pdb_interaction_doctest``, ``test_doctest_set_trace_quit``
(doctest), ``test_pdb_and_capsys``, ``test_pdb_suspends_fixture_capturing`` (capture
fixtures), ``test_pdb_with_caplog_on_pdb_invocation`` (the ``caplog`` fixture in the
failing frame: zenrun's fixtures are the pipeline's, not the step's),
``test_pdb_continue_with_recursive_debug`` and ``test_trace_after_runpytest``
(pytest's private ``pytestPDB`` class).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from zenrun import debugging

_ENVIRON_PYTHONBREAKPOINT = os.environ.get("PYTHONBREAKPOINT", "")


def pipelines(source: str, **calls: str) -> str:
    """``source`` (steps named as pytest's tests) and one pipeline per step name in
    ``calls`` (its pipeline's name: the key; its body: the value)."""
    out = "from zenrun import pipeline, step\n" + textwrap.dedent(source)
    for name, body in calls.items():
        out += f"\n\n@pipeline\ndef {name}():\n    {body}\n"
    return out


def run(zenrunner, *args: str, stdin: str = ""):
    """``spawn_pytest``: zenrun in a subprocess reading ``stdin`` (then the end of input)."""
    return zenrunner.runzenrun_subprocess("-p", "no:results", "--no-cache", *args, stdin=stdin)


def in_order(text: str, *parts: str) -> None:
    """Each of ``parts`` in ``text``, one after the other (pexpect's ``expect`` calls)."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} not found after position {at} in:\n{text}"
        at = found + len(part)


def after_last_prompt(text: str) -> str:
    """What came after the debugger's last prompt (pexpect's ``read()`` after ``sendeof``)."""
    return text.rsplit("(Pdb)", 1)[-1]


FAILING = """
@step
def test_func():
    assert 0
"""


@pytest.fixture
def pdblist(monkeypatch) -> list:
    pdblist = []

    def mypdb(*args):
        pdblist.append(args)

    monkeypatch.setattr(debugging, "post_mortem", mypdb)
    return pdblist


REPORTS = """
import json
from pathlib import Path

def zenrun_item_report(report):
    with open(Path(__file__).parent / "reports.json", "a") as file:
        file.write(json.dumps([report.nodeid, report.outcome, report.phase]) + "\\n")
"""


def runpdb_and_get_report(zenrunner, source: str):
    import json

    zenrunner.makeconftest(REPORTS)
    p = zenrunner.makepyfile(source)
    zenrunner.runzenrun_inprocess("--pdb", "--no-cache", "-p", "no:results", str(p))
    reports = [json.loads(line) for line in (zenrunner.path / "reports.json").read_text().splitlines()]
    assert len(reports) == 1, reports  # one report per pipeline
    return reports[0]


class TestPDB:
    def test_pdb_on_fail(self, zenrunner, pdblist) -> None:
        rep = runpdb_and_get_report(zenrunner, pipelines(FAILING, pipe="test_func()"))
        assert rep[1] == "failed"
        assert len(pdblist) == 1
        exc = pdblist[0][1]
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        assert tb.tb_frame.f_code.co_name == "test_func"

    def test_pdb_on_xfail(self, zenrunner, pdblist) -> None:
        rep = runpdb_and_get_report(
            zenrunner,
            "import zenrun\n"
            + pipelines(FAILING)
            + "\n@zenrun.mark.xfail\n@pipeline\ndef pipe():\n    test_func()\n",
        )
        assert rep[1] == "xfailed"
        assert not pdblist

    def test_pdb_on_skip(self, zenrunner, pdblist) -> None:
        rep = runpdb_and_get_report(
            zenrunner,
            "import zenrun\n"
            + pipelines('@step\ndef test_func():\n    zenrun.skip("hello")\n', pipe="test_func()"),
        )
        assert rep[1] == "skipped"
        assert len(pdblist) == 0

    def test_pdb_on_BdbQuit(self, zenrunner, pdblist) -> None:
        rep = runpdb_and_get_report(
            zenrunner,
            "import bdb\n"
            + pipelines("@step\ndef test_func():\n    raise bdb.BdbQuit\n", pipe="test_func()"),
        )
        assert rep[1] == "failed"
        assert len(pdblist) == 0

    def test_pdb_on_KeyboardInterrupt(self, zenrunner, pdblist) -> None:
        rep = runpdb_and_get_report(
            zenrunner, pipelines("@step\ndef test_func():\n    raise KeyboardInterrupt\n", pipe="test_func()")
        )
        assert rep[1] == "failed"
        assert len(pdblist) == 1

    def test_pdb_print_captured_stdout_and_stderr(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                @step
                def test_1():
                    import sys
                    sys.stderr.write("get\\x20rekt")
                    print("get\\x20rekt")
                    assert False

                @step
                def test_not_called_due_to_quit():
                    pass
                """,
                pipe_1="test_1()",
                pipe_2="test_not_called_due_to_quit()",
            )
        )
        result = run(zenrunner, "--pdb", str(p1))
        out = result.stdout.str()
        in_order(
            out,
            "captured stdout",
            "get rekt",
            "captured stderr",
            "get rekt",
            "traceback",
            "def test_1",
            "Pdb",
        )
        rest = after_last_prompt(out)
        assert "Exit: Quitting debugger" in rest
        assert "= 1 failed in" in rest
        assert "def test_1" not in rest
        assert "get rekt" not in rest

    def test_pdb_dont_print_empty_captured_stdout_and_stderr(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(pipelines("@step\ndef test_1():\n    assert False\n", pipe="test_1()"))
        result = run(zenrunner, "--pdb", str(p1))
        output = result.stdout.str().split("(Pdb)")[0]
        assert "Pdb" in result.stdout.str()
        assert "captured stdout" not in output
        assert "captured stderr" not in output

    @pytest.mark.parametrize("showcapture", ["all", "no", "log"])
    def test_pdb_print_captured_logs(self, zenrunner, showcapture: str) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                @step
                def test_1():
                    import logging
                    logging.warning("get " + "rekt")
                    assert False
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, f"--show-capture={showcapture}", "--pdb", str(p1))
        out = result.stdout.str()
        if showcapture in ("all", "log"):
            in_order(out, "captured log", "get rekt", "Pdb")
        else:
            assert "captured log" not in out
        assert "1 failed" in after_last_prompt(out)

    def test_pdb_print_captured_logs_nologging(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                @step
                def test_1():
                    import logging
                    logging.warning("get " + "rekt")
                    assert False
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, "--show-capture=all", "--pdb", "-p", "no:logging", str(p1))
        out = result.stdout.str() + result.stderr.str()
        assert "get rekt" in out
        assert "captured log" not in out.split("(Pdb)")[0]
        assert "1 failed" in after_last_prompt(result.stdout.str())

    def test_pdb_interaction_exception(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import zenrun
                def globalfunc():
                    pass

                @step
                def test_1():
                    zenrun.raises(ValueError, globalfunc)
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, "--pdb", str(p1), stdin="globalfunc\n")
        out = result.stdout.str()
        in_order(out, "def test_1", "zenrun.raises(ValueError, globalfunc)", "Pdb", "function", "1 failed")

    def test_pdb_interaction_on_collection_issue181(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile("import zenrun\nxxx\n")
        result = run(zenrunner, "--pdb", str(p1), stdin="c\n")
        in_order(result.stdout.str(), "Pdb", "1 error")

    def test_pdb_interaction_on_internal_error(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_collection_modifyitems(items):
                0/0
            """
        )
        p1 = zenrunner.makepyfile(pipelines("@step\ndef test_func():\n    pass\n", pipe="test_func()"))
        result = run(zenrunner, "--pdb", str(p1))
        before = result.stdout.str().split("(Pdb)")[0]
        assert "Pdb" in result.stdout.str()
        assert len([x for x in before.splitlines() if x.startswith("INTERNALERROR> Traceback")]) == 1

    def test_pdb_prevent_ConftestImportFailure_hiding_exception(self, zenrunner) -> None:
        zenrunner.makepyfile(pipelines("@step\ndef test_func():\n    pass\n", pipe="test_func()"))
        sub_dir = zenrunner.path.joinpath("ns")
        sub_dir.mkdir()
        sub_dir.joinpath("conftest.py").write_text("import unknown", "utf-8")
        sub_dir.joinpath("pipeline_file.py").write_text(
            pipelines("@step\ndef test_func():\n    pass\n", pipe="test_func()"), "utf-8"
        )
        result = run(zenrunner, "--pdb", ".")
        result.stdout.fnmatch_lines(["-> import unknown"])

    def test_pdb_interaction_capturing_simple(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import zenrun

                @step
                def test_1():
                    i = 0
                    print("hello17")
                    zenrun.set_trace()
                    i == 1
                    assert 0
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, str(p1), stdin="c\n")
        out = result.stdout.str()
        in_order(out, "test_1()", "i == 1", "Pdb")
        rest = after_last_prompt(out)
        assert "AssertionError" in rest
        assert "1 failed" in rest
        assert "def test_1" in rest
        assert "hello17" in rest  # out is captured

    def test_pdb_set_trace_kwargs(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import zenrun

                @step
                def test_1():
                    i = 0
                    print("hello17")
                    zenrun.set_trace(header="== my_header ==")
                    x = 3
                    assert 0
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, str(p1), stdin="c\n")
        out = result.stdout.str()
        in_order(out, "== my_header ==", "Pdb")
        assert "PDB set_trace" not in out.split("== my_header ==")[0]
        rest = after_last_prompt(out)
        assert "1 failed" in rest
        assert "def test_1" in rest
        assert "hello17" in rest  # out is captured

    def test_pdb_set_trace_interception(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import pdb

                @step
                def test_1():
                    pdb.set_trace()
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, str(p1), stdin="q\n")
        out = result.stdout.str()
        in_order(out, "test_1", "Pdb")
        rest = after_last_prompt(out)
        assert "no pipelines ran" in rest
        assert "reading from stdin while output" not in rest
        assert "BdbQuit" not in rest

    def test_set_trace_capturing_afterwards(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import pdb

                @step
                def test_1():
                    pdb.set_trace()

                @step
                def test_2():
                    print("hello")
                    assert 0
                """,
                pipe_1="test_1()",
                pipe_2="test_2()",
            )
        )
        result = run(zenrunner, str(p1), stdin="c\n")
        in_order(result.stdout.str(), "test_1", "test_2", "Captured", "hello")

    def test_pdb_interaction_capturing_twice(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import zenrun

                @step
                def test_1():
                    i = 0
                    print("hello17")
                    zenrun.set_trace()
                    x = 3
                    print("hello18")
                    zenrun.set_trace()
                    x = 4
                    assert 0
                """,
                pipe="test_1()",
            )
        )
        result = run(zenrunner, str(p1), stdin="c\nc\n")
        out = result.stdout.str()
        in_order(
            out,
            "PDB set_trace (IO-capturing turned off)",
            "test_1",
            "x = 3",
            "Pdb",
            "PDB continue (IO-capturing resumed)",
            "PDB set_trace (IO-capturing turned off)",
            "x = 4",
            "Pdb",
            "_ pipe _",
            "def test_1",
        )
        rest = after_last_prompt(out)
        assert "Captured stdout (test_1)" in rest  # zenrun's section title: the step's
        assert "hello17" in rest  # out is captured
        assert "hello18" in rest  # out is captured
        assert "1 failed" in rest

    def test_pdb_with_injected_do_debug(self, zenrunner) -> None:
        """Simulates pdbpp, which injects Pdb into do_debug, and uses self.__class__ in do_continue."""
        zenrunner.makepyfile(
            mytest="""
            import pdb

            count_continue = 0

            class CustomPdb(pdb.Pdb, object):
                def do_debug(self, arg):
                    import sys
                    import types

                    do_debug_func = pdb.Pdb.do_debug

                    newglobals = do_debug_func.__globals__.copy()
                    newglobals['Pdb'] = self.__class__
                    orig_do_debug = types.FunctionType(
                        do_debug_func.__code__, newglobals,
                        do_debug_func.__name__, do_debug_func.__defaults__,
                    )
                    return orig_do_debug(self, arg)
                do_debug.__doc__ = pdb.Pdb.do_debug.__doc__

                def do_continue(self, *args, **kwargs):
                    global count_continue
                    count_continue += 1
                    return super(CustomPdb, self).do_continue(*args, **kwargs)

            def foo():
                print("print_from_foo")
            """
        )
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import zenrun
                import mytest

                @step
                def test_1():
                    i = 0
                    print("hello17")
                    zenrun.set_trace()
                    x = 3
                    print("hello18")

                    assert mytest.count_continue == 2, "unexpected_failure: %d != 2" % mytest.count_continue
                    zenrun.fail("expected_failure")
                """,
                pipe="test_1()",
            )
        )
        zenrunner.syspathinsert()
        result = run(
            zenrunner, "--pdbcls=mytest:CustomPdb", str(p1), stdin="debug mytest.foo()\nc\ndebug 42\nq\nc\n"
        )
        out = result.stdout.str()
        in_order(
            out,
            "PDB set_trace (IO-capturing turned off)",
            "(Pdb",
            "ENTERING RECURSIVE DEBUGGER",
            "((Pdb",
            "print_from_foo",
            "LEAVING RECURSIVE DEBUGGER",
            "ENTERING RECURSIVE DEBUGGER",
            "LEAVING RECURSIVE DEBUGGER",
            "PDB continue (IO-capturing resumed)",
        )
        first_leave = out.index("LEAVING RECURSIVE DEBUGGER")
        assert "PDB continue" not in out[out.index("ENTERING RECURSIVE DEBUGGER") : first_leave]
        # set_debug should not raise outcomes.Exit, if used recursively.
        assert "Quitting debugger" not in out
        rest = out.split("PDB continue (IO-capturing resumed)")[-1]
        assert "hello17" in rest  # out is captured
        assert "hello18" in rest  # out is captured
        assert "1 failed" in rest
        assert "Failed: expected_failure" in rest
        assert "AssertionError: unexpected_failure" not in rest

    def test_pdb_without_capture(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines("import zenrun\n@step\ndef test_1():\n    zenrun.set_trace()\n", pipe="test_1()")
        )
        result = run(zenrunner, "-s", str(p1), stdin="c\n")
        in_order(result.stdout.str(), ">>> PDB set_trace >>>", "Pdb", ">>> PDB continue >>>", "1 passed")

    def test_pdb_used_outside_test(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            """
            import zenrun
            zenrun.set_trace()
            x = 5
            """
        )
        proc = subprocess.run(
            [sys.executable, str(p1)],
            input="",
            capture_output=True,
            text=True,
            env=zenrunner.env(),
            cwd=zenrunner.path,
            timeout=300,
        )
        in_order(proc.stdout, "x = 5", "Pdb")

    def test_pdb_used_in_generate_tests(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            import zenrun
            def zenrun_generate_tests(metafunc):
                zenrun.set_trace()
                x = 5
            """
        )
        p1 = zenrunner.makepyfile(pipelines("@step\ndef test_foo():\n    pass\n", pipe="test_foo()"))
        result = run(zenrunner, str(p1))
        in_order(result.stdout.str(), "x = 5", "Pdb")

    def test_pdb_collection_failure_is_shown(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile("xxx")
        result = run(zenrunner, "--pdb", str(p1))
        result.stdout.fnmatch_lines(["E   NameError: *xxx*", "*! *Exit: Quitting debugger !*"])  # due to EOF

    @pytest.mark.parametrize("post_mortem", (False, True))
    def test_enter_leave_pdb_hooks_are_called(self, post_mortem, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            mypdb = None

            def zenrun_configure(config):
                config.testing_verification = 'configured'

            def zenrun_enter_pdb(config, pdb):
                assert config.testing_verification == 'configured'
                print('enter_pdb_hook')

                global mypdb
                mypdb = pdb
                mypdb.set_attribute = "bar"

            def zenrun_leave_pdb(config, pdb):
                assert config.testing_verification == 'configured'
                print('leave_pdb_hook')

                global mypdb
                assert mypdb is pdb
                assert mypdb.set_attribute == "bar"
            """
        )
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                import zenrun

                @step
                def test_set_trace():
                    zenrun.set_trace()
                    assert 0

                @step
                def test_post_mortem():
                    assert 0
                """,
                pipe_set_trace="test_set_trace()",
                pipe_post_mortem="test_post_mortem()",
            )
        )
        if post_mortem:
            result = run(zenrunner, str(p1), "--pdb", "-s", "-k", "pipe_post_mortem", stdin="c\n")
        else:
            result = run(zenrunner, str(p1), "-k", "pipe_set_trace", stdin="c\n")
        out = result.stdout.str()
        if post_mortem:
            in_order(out, "enter_pdb_hook", "PDB continue")
        else:
            in_order(
                out,
                "enter_pdb_hook",
                "PDB continue (IO-capturing resumed)",
                "Captured stdout (test_set_trace)",
            )
        rest = out.split("PDB continue")[-1]
        assert "leave_pdb_hook" in rest
        assert "1 failed" in rest

    def test_pdb_custom_cls(self, zenrunner) -> None:
        zenrunner.makepyfile(mypdb=CUSTOM_PDB)
        zenrunner.syspathinsert()
        p1 = zenrunner.makepyfile("""xxx """)
        result = run(zenrunner, "--pdb", "--pdbcls=mypdb:_CustomPdb", str(p1))
        result.stdout.fnmatch_lines(["*NameError*xxx*", "*1 error*"])
        result.stdout.fnmatch_lines(["calls: ['init', 'reset', 'interaction']"])

    def test_pdb_custom_cls_in_a_step(self, zenrunner) -> None:
        """zenrun's: the same in a failing step."""
        zenrunner.makepyfile(mypdb=CUSTOM_PDB)
        zenrunner.syspathinsert()
        p1 = zenrunner.makepyfile(pipelines("@step\ndef test_1():\n    xxx\n", pipe="test_1()"))
        result = run(zenrunner, "--pdb", "--pdbcls=mypdb:_CustomPdb", str(p1))
        result.stdout.fnmatch_lines(["*NameError*xxx*", "*1 failed*"])
        result.stdout.fnmatch_lines(["calls: ['init', 'reset', 'interaction']"])

    def test_pdb_custom_cls_invalid(self, zenrunner) -> None:
        result = zenrunner.runzenrun_inprocess("--pdbcls=invalid")
        result.stderr.fnmatch_lines(
            ["*: argument --pdbcls: 'invalid' is not in the format 'modname:classname'"]
        )

    def test_pdb_validate_usepdb_cls(self):
        assert debugging._validate_usepdb_cls("os.path:dirname.__name__") == ("os.path", "dirname.__name__")
        assert debugging._validate_usepdb_cls("pdb:DoesNotExist") == ("pdb", "DoesNotExist")

    def test_pdb_custom_cls_without_pdb(self, zenrunner) -> None:
        zenrunner.makepyfile(mypdb=CUSTOM_PDB)
        zenrunner.syspathinsert()
        p1 = zenrunner.makepyfile("""xxx """)
        result = run(zenrunner, "--pdbcls=mypdb:_CustomPdb", str(p1))
        result.stdout.fnmatch_lines(["*NameError*xxx*", "*1 error*"])
        result.stdout.no_fnmatch_line("calls: *")

    def test_pdb_custom_cls_with_set_trace(self, zenrunner) -> None:
        zenrunner.makepyfile(
            custom_pdb="""
            class CustomPdb(object):
                def __init__(self, *args, **kwargs):
                    skip = kwargs.pop("skip")
                    assert skip == ["foo.*"]
                    print("__init__")
                    super(CustomPdb, self).__init__(*args, **kwargs)

                def set_trace(*args, **kwargs):
                    print('custom set_trace>')
            """
        )
        p1 = zenrunner.makepyfile(
            pipelines(
                "import zenrun\n@step\ndef test_foo():\n    zenrun.set_trace(skip=['foo.*'])\n",
                pipe="test_foo()",
            )
        )
        zenrunner.syspathinsert()
        result = run(zenrunner, "--pdbcls=custom_pdb:CustomPdb", str(p1))
        in_order(result.stdout.str(), "__init__", "custom set_trace>")


#: pytest's ``custom_pdb_calls`` class, in a project module: it prints its calls when the
#: zenrun process ends (the run is a subprocess).
CUSTOM_PDB = """
import atexit

called = []
atexit.register(lambda: print("calls:", called))

class _CustomPdb:
    quitting = False

    def __init__(self, *args, **kwargs):
        called.append("init")

    def reset(self):
        called.append("reset")

    def interaction(self, *args):
        called.append("interaction")
"""

CUSTOM_DEBUGGER = """
import atexit

called = []
atexit.register(lambda: print("calls:", called))

class _CustomDebugger:
    def __init__(self, *args, **kwargs):
        called.append("init")

    def reset(self):
        called.append("reset")

    def interaction(self, *args):
        called.append("interaction")

    def set_trace(self, frame):
        print("**CustomDebugger**")
        called.append("set_trace")
"""


class TestDebuggingBreakpoints:
    def test_supports_breakpoint_module_global(self) -> None:
        """The breakpoint() builtin exists (Python 3.7+)."""
        assert callable(breakpoint)

    @pytest.mark.parametrize("arg", ["--pdb", ""])
    def test_sys_breakpointhook_configure_and_unconfigure(self, zenrunner, arg: str) -> None:
        """sys.breakpointhook is zenrun's set_trace while the session runs, and what it was
        after (checked by a cleanup of the session)."""
        zenrunner.makeconftest(
            """
            import sys

            def zenrun_configure(config):
                config.add_cleanup(check_restored)

            def check_restored():
                assert sys.breakpointhook == sys.__breakpointhook__
                print("restored")
            """
        )
        zenrunner.makepyfile(
            pipelines(
                """
                import sys
                import zenrun

                @step
                def test_check():
                    assert sys.breakpointhook is zenrun.set_trace
                """,
                pipe="test_check()",
            )
        )
        args = (arg,) if arg else ()
        result = run(zenrunner, *args)
        result.stdout.fnmatch_lines(["*1 passed in *", "restored"])

    def test_pdb_custom_cls(self, zenrunner) -> None:
        zenrunner.makepyfile(mypdb=CUSTOM_DEBUGGER)
        zenrunner.syspathinsert()
        p1 = zenrunner.makepyfile(
            pipelines("@step\ndef test_nothing():\n    breakpoint()\n", pipe="test_nothing()")
        )
        result = run(zenrunner, "--pdb", "--pdbcls=mypdb:_CustomDebugger", str(p1))
        result.stdout.fnmatch_lines(["*CustomDebugger*", "*1 passed*", "calls: ['init', 'set_trace']"])

    @pytest.mark.parametrize("arg", ["--pdb", ""])
    def test_environ_custom_class(self, zenrunner, arg: str) -> None:
        zenrunner.makepyfile(mypdb=CUSTOM_DEBUGGER)
        zenrunner.syspathinsert()
        zenrunner.makeconftest(
            """
            import os
            import sys

            os.environ['PYTHONBREAKPOINT'] = 'mypdb._CustomDebugger.set_trace'

            def zenrun_configure(config):
                config.add_cleanup(check_restored)

            def check_restored():
                assert sys.breakpointhook == sys.__breakpointhook__
                print("restored")
            """
        )
        zenrunner.makepyfile(
            pipelines(
                """
                import sys
                import zenrun

                @step
                def test_check():
                    assert sys.breakpointhook is not zenrun.set_trace
                """,
                pipe="test_check()",
            )
        )
        args = (arg,) if arg else ()
        result = run(zenrunner, *args)
        result.stdout.fnmatch_lines(["*1 passed in *", "restored"])

    @pytest.mark.skipif(not _ENVIRON_PYTHONBREAKPOINT == "", reason="Requires breakpoint() default value")
    def test_sys_breakpoint_interception(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(pipelines("@step\ndef test_1():\n    breakpoint()\n", pipe="test_1()"))
        result = run(zenrunner, str(p1), stdin="quit\n")
        out = result.stdout.str()
        in_order(out, "test_1", "Pdb")
        rest = after_last_prompt(out)
        assert "Quitting debugger" in rest
        assert "reading from stdin while output" not in rest

    def test_pdb_not_altered(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                "import pdb\n@step\ndef test_1():\n    pdb.set_trace()\n    assert 0\n", pipe="test_1()"
            )
        )
        result = run(zenrunner, str(p1), stdin="c\n")
        out = result.stdout.str()
        in_order(out, "test_1", "Pdb")
        rest = after_last_prompt(out)
        assert "1 failed" in rest
        assert "reading from stdin while output" not in rest


class TestTraceOption:
    def test_trace_sets_breakpoint(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipelines(
                """
                @step
                def test_1():
                    assert True

                @step
                def test_2():
                    pass

                @step
                def test_3():
                    pass
                """,
                pipe_1="test_1()",
                pipe_2="test_2()",
                pipe_3="test_3()",
            )
        )
        result = run(zenrunner, "--trace", str(p1), stdin="c\nc\nq\n")
        out = result.stdout.str()
        in_order(out, "test_1", "Pdb", "test_2", "Pdb", "test_3", "Pdb", "Exit: Quitting debugger")
        rest = out.split("Exit: Quitting debugger")[-1]
        assert "= 2 passed in" in rest
        assert "reading from stdin while output" not in out
        # Only printed once - not on stderr.
        assert out.count("Exit: Quitting debugger") == 1
        assert "Exit: Quitting debugger" not in result.stderr.str()

    def test_trace_with_parametrize_handles_shared_fixtureinfo(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            """
            import zenrun
            from zenrun import pipeline, step

            @step
            def test_1(myparam):
                assert myparam in (1, 2)

            @step
            def test_func(func):
                assert func in (1, 2)

            @step
            def test_func_kw(myparam, func="func_kw"):
                assert myparam in (1, 2)
                assert func == "func_kw"

            @zenrun.mark.parametrize('myparam', [1,2])
            @pipeline
            def pipe_1(myparam, request):
                assert request.function.__name__ == "pipe_1"
                test_1(myparam)

            @zenrun.mark.parametrize('func', [1,2])
            @pipeline
            def pipe_func(func, request):
                assert request.function.__name__ == "pipe_func"
                test_func(func)

            @zenrun.mark.parametrize('myparam', [1,2])
            @pipeline
            def pipe_func_kw(myparam, request):
                assert request.function.__name__ == "pipe_func_kw"
                test_func_kw(myparam)
            """
        )
        result = run(zenrunner, "--trace", str(p1), stdin="args\nc\nargs\nc\n" * 3)
        out = result.stdout.str()
        expected = []
        for func, argname in [("test_1", "myparam"), ("test_func", "func"), ("test_func_kw", "myparam")]:
            expected += [
                "> PDB runcall (IO-capturing turned off) >",
                func,
                "Pdb",
                f"{argname} = 1\n",
                "Pdb",
                "> PDB continue (IO-capturing resumed) >",
                "> PDB runcall (IO-capturing turned off) >",
                "Pdb",
                f"{argname} = 2\n",
                "Pdb",
                "> PDB continue (IO-capturing resumed) >",
            ]
        in_order(out, *expected)
        assert "= 6 passed in" in out
        assert "reading from stdin while output" not in out
        assert "Exit: Quitting debugger" not in out


def test_quit_with_swallowed_SystemExit(zenrunner) -> None:
    p1 = zenrunner.makepyfile(
        pipelines(
            """
            def call_pdb_set_trace():
                __import__('pdb').set_trace()

            @step
            def test_1():
                try:
                    call_pdb_set_trace()
                except SystemExit:
                    pass

            @step
            def test_2():
                pass
            """,
            pipe_1="test_1()",
            pipe_2="test_2()",
        )
    )
    result = run(zenrunner, str(p1), stdin="q\n")
    out = result.stdout.str()
    in_order(out, "Pdb", "Exit: Quitting debugger")
    assert "no pipelines ran" in out.split("Exit: Quitting debugger")[-1]


def test_pdbcls_via_local_module(zenrunner) -> None:
    """It should be imported in zenrun_configure or later only."""
    zenrunner.makepyfile(
        mypdb="""
        class Wrapped:
            class MyPdb:
                def set_trace(self, *args):
                    print("set_trace_called", args)

                def runcall(self, *args, **kwds):
                    print("runcall_called", args, kwds)
        """,
    )
    p1 = zenrunner.makepyfile(
        pipelines(
            """
            @step
            def test():
                print("before_set_trace")
                __import__("pdb").set_trace()
            """,
            pipe="test()",
        )
    )
    zenrunner.syspathinsert()
    result = run(zenrunner, str(p1), "--pdbcls=really.invalid:Value")
    result.stdout.fnmatch_lines(
        ["*= FAILURES =*", "E * --pdbcls: could not import 'really.invalid:Value': No module named *really*"]
    )
    assert result.ret == 1

    result = run(zenrunner, str(p1), "--pdbcls=mypdb:Wrapped.MyPdb")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*set_trace_called*", "* 1 passed in *"])

    # Ensure that it also works with --trace.
    result = run(zenrunner, str(p1), "--pdbcls=mypdb:Wrapped.MyPdb", "--trace")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*runcall_called*", "* 1 passed in *"])


def test_raises_bdbquit_with_eoferror(zenrunner) -> None:
    """It is not guaranteed that DontReadFromInput's read is called."""
    p1 = zenrunner.makepyfile(
        pipelines(
            """
            def input_without_read(*args, **kwargs):
                raise EOFError()

            @step
            def test():
                import builtins
                builtins.input = input_without_read
                __import__('pdb').set_trace()
            """,
            pipe="test()",
        )
    )
    result = run(zenrunner, str(p1))
    result.stdout.fnmatch_lines(["E *BdbQuit", "*= 1 failed in*"])
    assert result.ret == 1


def test_pdb_wrapper_class_is_reused(zenrunner) -> None:
    zenrunner.makepyfile(
        mypdb="""
        instances = []

        class MyPdb:
            def __init__(self, *args, **kwargs):
                instances.append(self)

            def set_trace(self, *args):
                print("set_trace_called", args)
        """,
    )
    p1 = zenrunner.makepyfile(
        pipelines(
            """
            @step
            def test():
                __import__("pdb").set_trace()
                __import__("pdb").set_trace()

                import mypdb
                instances = mypdb.instances
                assert len(instances) == 2
                assert instances[0].__class__ is instances[1].__class__
            """,
            pipe="test()",
        )
    )
    zenrunner.syspathinsert()
    result = run(zenrunner, str(p1), "--pdbcls=mypdb:MyPdb")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*set_trace_called*", "*set_trace_called*", "* 1 passed in *"])
