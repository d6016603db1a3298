"""Port of pytest's ``testing/test_terminal.py`` (pytest-dev/pytest).

The terminal reporter: progress lines and ``console_output_style``, ``-v`` /
``-q`` / ``--verbosity``, the header (``--no-header``), ``--co`` output, the
ERRORS / FAILURES / PASSES / XPASSES sections, ``-r`` short summaries,
``--no-summary``, ``-l``, ``--show-capture``, ``--tb`` styles, warnings, the
closing line. Test sources are written as pytest writes them and turned into
pipelines by ``porting.pipelines``; xunit ``setup_function`` /
``teardown_function`` / ``setup_module`` become autouse fixtures.

Deliberate differences kept in the expected lines: a failure's traceback is
its failing step's (``step 'check' failed:`` then ``def check(...)``), not the
pipeline function's; what a step wrote is titled ``Captured stdout (<step>)``
(the pipeline's setup, body and teardown are pytest's ``setup`` / ``call`` /
``teardown``); ``-v`` prints each step's lines before the pipeline's result line;
zenrun's header ends with a ``store: ..., orchestrator: ...`` line.

Colours: ``--color``, ``--code-highlight`` and the progress, summary and traceback
colours are ported (an unknown ``PYTEST_THEME`` leaves the source plain, where pytest
stops with a usage error). Not ported (no pipeline analogue): the reporter's internal API (``rewrite``,
``write_fspath_result``, ``_folded_skips``, ``_get_line_with_reprcrash_message``,
``build_summary_stats_line``, ``getreportopt``, ``isatty``), pexpect-driven
cases (``spawn_pytest``), ``pytest-xdist`` output, test classes, custom
non-Python items, ``--traceconfig``, ``pytest_report_teststatus``,
``verbosity_test_cases`` (fine-grained verbosity), config-file precedence
warnings (``pytest.ini`` vs ``pyproject.toml``), the OSC 9;4 progress plugin.
"""

from __future__ import annotations

import os
import re
import sys

import pluggy
import pytest
from porting import module_name, pipelines, step_pipelines

import zenrun
from zenrun.terminal import format_node_duration, format_session_duration


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


@pytest.fixture(params=[0, 1, -1], ids=["default", "verbose", "quiet"])
def verbosity(request) -> int:
    return request.param


class TestTerminal:
    def test_pass_skip_fail(self, zenrunner, verbosity: int) -> None:
        write(
            zenrunner,
            pipeline_pass_skip_fail="""
            import pytest
            def test_ok():
                pass
            def test_skip():
                pytest.skip("xx")
            def test_func():
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(f"--verbosity={verbosity}")
        if verbosity > 0:
            result.stdout.fnmatch_lines(
                [
                    "*pipeline_pass_skip_fail.py::test_ok PASS*",
                    "*pipeline_pass_skip_fail.py::test_skip SKIP*",
                    "*pipeline_pass_skip_fail.py::test_func FAIL*",
                ]
            )
        elif verbosity == 0:
            result.stdout.fnmatch_lines(["*pipeline_pass_skip_fail.py .sF*"])
        else:
            result.stdout.fnmatch_lines([".sF*"])
        # the failing step's source, as pytest shows the test's
        result.stdout.fnmatch_lines(["    def check(*", ">       assert ok, message", "E       assert 0"])

    def test_console_output_style_times_with_skipped_and_passed(self, zenrunner) -> None:
        write(zenrunner, pipeline_repro="def test_hello():\n    pass\n")
        zenrunner.makepyfile(
            pipeline_repro_skip="import zenrun\nzenrun.importorskip('fakepackage_does_not_exist')\n"
        )
        result = zenrunner.runzenrun_inprocess(
            "pipeline_repro.py", "pipeline_repro_skip.py", "-o", "console_output_style=times"
        )
        result.stdout.fnmatch_lines("* 1 passed, 1 skipped in *")
        assert "INTERNALERROR" not in "\n".join(result.stdout.lines + result.stderr.lines)

    def test_internalerror(self, zenrunner) -> None:
        """pytest calls the reporter's ``pytest_internalerror``; here a plugin's error."""
        zenrunner.makeconftest("def zenrun_sessionstart():\n    raise ValueError('hello')\n")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["INTERNALERROR> *ValueError*hello*"])

    def test_keyboard_interrupt(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_keyboard_interrupt="""
            import pytest
            def test_foobar():
                assert 0
            def test_spamegg():
                pytest.skip('skip me please!')
            def test_interrupt_me():
                raise KeyboardInterrupt   # simulating the user
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(
            [
                "    def check(*",
                ">       assert ok, message",
                "E       assert 0",
                "*KeyboardInterrupt*",
                "(to show a full traceback on KeyboardInterrupt use --full-trace)",
            ]
        )

    def test_keyboard_in_sessionstart(self, zenrunner) -> None:
        zenrunner.makeconftest("def zenrun_sessionstart():\n    raise KeyboardInterrupt\n")
        write(zenrunner, "def test_foobar():\n    pass\n")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])

    def test_collect_single_item(self, zenrunner) -> None:
        """The singular 'pipeline' for a single item."""
        write(zenrunner, "def test_foobar():\n    pass\n")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 1 pipeline"])

    def test_verbose_skip_reason(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_verbose_skip_reason="""
            import pytest

            @pytest.mark.skip(reason="123")
            def test_1():
                pass

            @pytest.mark.xfail(reason="456")
            def test_2():
                pass

            @pytest.mark.xfail(reason="789")
            def test_3():
                assert False

            @pytest.mark.xfail(reason="")
            def test_4():
                assert False

            @pytest.mark.skip
            def test_5():
                pass

            @pytest.mark.xfail
            def test_6():
                pass

            def test_7():
                pytest.skip()

            def test_8():
                pytest.skip("888 is great")

            def test_9():
                pytest.xfail()

            def test_10():
                pytest.xfail("It's 🕙 o'clock")

            @pytest.mark.skip(
                reason="1 cannot do foobar because baz is missing due to I don't know what"
            )
            def test_long_skip():
                pass

            @pytest.mark.xfail(
                reason="2 cannot do foobar because baz is missing due to I don't know what"
            )
            def test_long_xfail():
                print(1 / 0)
            """,
        )
        common_output = [
            "pipeline_verbose_skip_reason.py::test_1 SKIPPED (123) *",
            "pipeline_verbose_skip_reason.py::test_2 XPASS (456) *",
            "pipeline_verbose_skip_reason.py::test_3 XFAIL (789) *",
            "pipeline_verbose_skip_reason.py::test_4 XFAIL  *",
            "pipeline_verbose_skip_reason.py::test_5 SKIPPED (unconditional skip) *",
            "pipeline_verbose_skip_reason.py::test_6 XPASS  *",
            "pipeline_verbose_skip_reason.py::test_7 SKIPPED  *",
            "pipeline_verbose_skip_reason.py::test_8 SKIPPED (888 is great) *",
            "pipeline_verbose_skip_reason.py::test_9 XFAIL  *",
            "pipeline_verbose_skip_reason.py::test_10 XFAIL (It's 🕙 o'clock) *",
        ]
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                *common_output,
                "pipeline_verbose_skip_reason.py::test_long_skip SKIPPED (1 cannot *...) *",
                "pipeline_verbose_skip_reason.py::test_long_xfail XFAIL (2 cannot *...) *",
            ]
        )
        result = zenrunner.runzenrun_inprocess("-vv")
        result.stdout.fnmatch_lines(
            [
                *common_output,
                # wrapped where pytest wraps it, a word earlier: the module name is longer
                "pipeline_verbose_skip_reason.py::test_long_skip SKIPPED (1 cannot do*",
                "*because baz is missing due to I don't know what) *",
                "pipeline_verbose_skip_reason.py::test_long_xfail XFAIL (2 cannot do*",
                "*because baz is missing due to I don't know what) *",
            ]
        )


class TestCollectonly:
    def test_collectonly_basic(self, zenrunner) -> None:
        write(zenrunner, "def test_func():\n    pass\n")
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(
            [
                f"<Dir {zenrunner.path.name}>",
                f"  <Module {module_name(zenrunner)}.py>",
                "    <Pipeline test_func>",
            ]
        )

    def test_collectonly_skipped_module(self, zenrunner) -> None:
        zenrunner.makepyfile("import zenrun\nzenrun.skip('hello')\n")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-rs")
        result.stdout.fnmatch_lines(["*ERROR collecting*"])

    def test_collectonly_displays_test_description(self, zenrunner) -> None:
        """pytest's case includes a custom YAML item; here the pipeline's docstring only."""
        write(
            zenrunner,
            pipeline_description="""
            def test_with_description():
                '''  This pipeline has a description.

                  more1.
                    more2.'''
            """,
        )
        result = zenrunner.runzenrun_inprocess("--collect-only", "--verbose")
        result.stdout.fnmatch_lines(
            [
                "  <Module pipeline_description.py>",
                "    <Pipeline test_with_description>",
                "      This pipeline has a description.",
                "      ",
                "      more1.",
                "        more2.",
            ],
            consecutive=True,
        )

    def test_collectonly_failed_module(self, zenrunner) -> None:
        zenrunner.makepyfile("raise ValueError(0)")
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*raise ValueError*", "*1 error*"])

    def test_collectonly_fatal(self, zenrunner) -> None:
        """pytest: ``pytest_collectstart`` raising, an internal error. zenrun has no such hook;
        its zenrun_collect_file raising is, as pytest_collect_file's, that file's collection
        error."""
        zenrunner.makeconftest("def zenrun_collect_file(file_path):\n    assert 0, 'urgs'\n")
        zenrunner.makepyfile(pipelines("def test_x(): pass"))
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*ERROR collecting*", "*AssertionError: urgs*"])
        assert result.ret == 2

    def test_collectonly_simple(self, zenrunner) -> None:
        p = write(zenrunner, "def test_func1():\n    pass\ndef test_func2():\n    pass\n")
        result = zenrunner.runzenrun_inprocess("--collect-only", p)
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*<Module *.py>", "* <Pipeline test_func1>", "* <Pipeline test_func2>"])

    def test_collectonly_error(self, zenrunner) -> None:
        p = zenrunner.makepyfile("import Errlkjqweqwe")
        result = zenrunner.runzenrun_inprocess("--collect-only", p)
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*ERROR*", "*ImportError*", "*No module named *Errlk*", "*1 error*"])

    def test_collectonly_missing_path(self, zenrunner) -> None:
        result = zenrunner.runzenrun_inprocess("--collect-only", "uhm_missing_path")
        assert result.ret == 4
        result.stderr.fnmatch_lines(["*ERROR: file or directory not found: uhm_missing_path"])

    def test_collectonly_quiet(self, zenrunner) -> None:
        write(zenrunner, "def test_foo(): pass")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-q")
        result.stdout.fnmatch_lines(["*test_foo*"])

    def test_collectonly_more_quiet(self, zenrunner) -> None:
        write(zenrunner, pipeline_fun="def test_foo(): pass")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-qq")
        result.stdout.fnmatch_lines(["*pipeline_fun.py: 1*"])

    def test_collect_only_summary_status(self, zenrunner) -> None:
        """The closing line of --co follows the selection (-k, -m) (#7701)."""
        write(
            zenrunner,
            pipeline_collect_foo="def test_foo(): pass",
            pipeline_collect_bar="def test_foobar(): pass\ndef test_bar(): pass\n",
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines("*== 3 pipelines collected in * ==*")
        result = zenrunner.runzenrun_inprocess("--collect-only", "pipeline_collect_foo.py")
        result.stdout.fnmatch_lines("*== 1 pipeline collected in * ==*")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-k", "foo")
        result.stdout.fnmatch_lines("*== 2/3 pipelines collected (1 deselected) in * ==*")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-k", "test_bar")
        result.stdout.fnmatch_lines("*== 1/3 pipelines collected (2 deselected) in * ==*")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-k", "invalid")
        result.stdout.fnmatch_lines("*== no pipelines collected (3 deselected) in * ==*")
        (zenrunner.path / "no_tests_here").mkdir()
        result = zenrunner.runzenrun_inprocess("--collect-only", "no_tests_here")
        result.stdout.fnmatch_lines("*== no pipelines collected in * ==*")
        zenrunner.makepyfile(pipeline_contains_error="raise RuntimeError\n")
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines("*== 3 pipelines collected, 1 error in * ==*")
        result = zenrunner.runzenrun_inprocess("--collect-only", "-k", "foo")
        result.stdout.fnmatch_lines("*== 2/3 pipelines collected (1 deselected), 1 error in * ==*")


class TestFixtureReporting:
    def test_setup_fixture_error(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.fixture(autouse=True)
            def setup_function():
                print("setup func")
                assert 0
            def test_nada():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*ERROR at setup of test_nada*",
                "*def setup_function():*",
                "*setup func*",
                "*assert 0*",
                "*1 error*",
            ]
        )
        assert result.ret != 0

    def test_teardown_fixture_error(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test_nada():
                pass
            @pytest.fixture(autouse=True)
            def teardown_function():
                yield
                print("teardown func")
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*ERROR at teardown*",
                "*teardown_function*",
                "*assert 0*",
                "*Captured stdout*",
                "*teardown func*",
                "*1 passed*1 error*",
            ]
        )

    def test_teardown_fixture_error_and_test_failure(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test_fail():
                assert 0, "failingfunc"

            @pytest.fixture(autouse=True)
            def teardown_function():
                yield
                print("teardown func")
                assert False
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*ERROR at teardown of test_fail*",
                "*teardown_function*",
                "*assert False*",
                "*Captured stdout*",
                "*teardown func*",
                "*test_fail*",
                "*def check(*",
                "*failingfunc*",
                "*1 failed*1 error*",
            ]
        )

    def test_setup_teardown_output_and_test_failure(self, zenrunner) -> None:
        """Issue #442."""
        write(
            zenrunner,
            """
            import pytest
            @pytest.fixture(autouse=True)
            def setup_function():
                print("setup func")
                yield
                print("teardown func")

            def test_fail():
                assert 0, "failingfunc"
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*test_fail*",
                "*def check(*",
                "*failingfunc*",
                "*Captured stdout setup*",
                "*setup func*",
                "*Captured stdout teardown*",
                "*teardown func*",
                "*1 failed*",
            ]
        )


class TestTerminalFunctional:
    THREE = "def test_one():\n    pass\ndef test_two():\n    pass\ndef test_three():\n    pass\n"

    def test_deselected(self, zenrunner) -> None:
        testpath = write(zenrunner, pipeline_deselected=self.THREE)
        result = zenrunner.runzenrun_inprocess("-k", "test_t", testpath)
        result.stdout.fnmatch_lines(
            ["collected 3 pipelines / 1 deselected / 2 selected", "*pipeline_deselected.py ..*"]
        )
        assert result.ret == 0

    def test_deselected_with_hook_wrapper(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            import zenrun

            @zenrun.hookimpl(wrapper=True)
            def zenrun_collection_modifyitems(config, items):
                yield
                deselected = items.pop()
                config.hook.zenrun_deselected(items=[deselected])
            """
        )
        testpath = write(zenrunner, self.THREE)
        result = zenrunner.runzenrun_inprocess(testpath)
        result.stdout.fnmatch_lines(
            ["collected 3 pipelines / 1 deselected / 2 selected", "*= 2 passed, 1 deselected in*"]
        )
        assert result.ret == 0

    def test_show_deselected_items_using_markexpr_before_test_execution(self, zenrunner) -> None:
        zenrunner.maketoml('markers = ["foo", "bar"]\n')  # (zenrun warns of unregistered marks)
        write(
            zenrunner,
            pipeline_show_deselected="""
            import pytest

            @pytest.mark.foo
            def test_foobar():
                pass

            @pytest.mark.bar
            def test_bar():
                pass

            def test_pass():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-m", "not foo")
        result.stdout.fnmatch_lines(
            [
                "collected 3 pipelines / 1 deselected / 2 selected",
                "*pipeline_show_deselected.py ..*",
                "*= 2 passed, 1 deselected in * =*",
            ]
        )
        result.stdout.no_fnmatch_line("*= 1 deselected =*")
        assert result.ret == 0

    def test_selected_count_with_error(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_selected_count_3=self.THREE,
            pipeline_selected_count_error="5/0\ndef test_foo():\n    pass\ndef test_bar():\n    pass\n",
        )
        result = zenrunner.runzenrun_inprocess("-k", "test_t")
        result.stdout.fnmatch_lines(
            [
                "collected 3 pipelines / 1 error / 1 deselected / 2 selected",
                "* ERROR collecting pipeline_selected_count_error.py *",
            ]
        )
        assert result.ret == 2

    def test_no_skip_summary_if_failure(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test_ok():
                pass
            def test_fail():
                assert 0
            def test_skip():
                pytest.skip("dontshow")
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.stdout.str().find("skip test summary") == -1
        assert result.ret == 1

    def test_passes(self, zenrunner) -> None:
        write(zenrunner, pipeline_passes="def test_passes():\n    pass\ndef test_method():\n    pass\n")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["pipeline_passes.py ..*", "* 2 pass*"])
        assert result.ret == 0

    def test_header_trailer_info(self, zenrunner) -> None:
        write(zenrunner, pipeline_header_trailer_info="def test_passes():\n    pass\n")
        result = zenrunner.runzenrun_inprocess()
        verinfo = ".".join(map(str, sys.version_info[:3]))
        result.stdout.fnmatch_lines(
            [
                "*===== zenrun session starts ====*",
                f"platform {sys.platform} -- Python {verinfo}*zenrun-{zenrun.__version__}**pluggy-{pluggy.__version__}",
                "*pipeline_header_trailer_info.py .*",
                "=* 1 passed*in *.[0-9][0-9]s *=",
            ]
        )

    def test_no_header_trailer_info(self, zenrunner) -> None:
        write(zenrunner, "def test_passes():\n    pass\n")
        result = zenrunner.runzenrun_inprocess("--no-header")
        verinfo = ".".join(map(str, sys.version_info[:3]))
        result.stdout.no_fnmatch_line(
            f"platform {sys.platform} -- Python {verinfo}*zenrun-{zenrun.__version__}**pluggy-{pluggy.__version__}"
        )
        result.stdout.no_fnmatch_line("plugins: *")

    def test_header(self, zenrunner) -> None:
        zenrunner.path.joinpath("pipelines").mkdir()
        zenrunner.path.joinpath("gui").mkdir()
        (zenrunner.path / "zenrun.toml").unlink()
        (zenrunner.path / "setup.py").write_text("")  # the rootdir, without a config file
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines([f"rootdir: *{zenrunner.path.name}"])
        result.stdout.no_fnmatch_line("configfile:*")
        # with a config file
        zenrunner.maketoml("")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines([f"rootdir: *{zenrunner.path.name}", "configfile: zenrun.toml"])
        # with pipelinepaths, and no path on the command line
        zenrunner.maketoml('pipelinepaths = ["pipelines", "gui"]\n')
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [f"rootdir: *{zenrunner.path.name}", "configfile: zenrun.toml", "pipelinepaths: pipelines, gui"]
        )
        # with pipelinepaths, and a directory on the command line: no pipelinepaths line
        result = zenrunner.runzenrun_inprocess("pipelines")
        result.stdout.fnmatch_lines([f"rootdir: *{zenrunner.path.name}", "configfile: zenrun.toml"])
        result.stdout.no_fnmatch_line("pipelinepaths:*")

    def test_header_absolute_testpath(self, zenrunner) -> None:
        """#7814."""
        tests = zenrunner.path.joinpath("pipelines")
        tests.mkdir()
        (zenrunner.path / "zenrun.toml").unlink()
        (zenrunner.path / "pyproject.toml").write_text(f"[tool.zenrun]\npipelinepaths = ['{tests}']\n")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [f"rootdir: *{zenrunner.path.name}", "configfile: pyproject.toml", f"pipelinepaths: {tests}"]
        )

    def test_no_header(self, zenrunner) -> None:
        zenrunner.path.joinpath("pipelines").mkdir()
        zenrunner.path.joinpath("gui").mkdir()
        zenrunner.maketoml('pipelinepaths = ["pipelines", "gui"]\n')
        result = zenrunner.runzenrun_inprocess("--no-header")
        result.stdout.no_fnmatch_line("rootdir: *")
        result.stdout.no_fnmatch_line("pipelinepaths:*")
        result = zenrunner.runzenrun_inprocess("pipelines", "--no-header")
        result.stdout.no_fnmatch_line("rootdir: *")

    def test_no_summary(self, zenrunner) -> None:
        p1 = write(zenrunner, "def test_no_summary():\n    assert false\n")
        result = zenrunner.runzenrun_inprocess(p1, "--no-summary")
        result.stdout.no_fnmatch_line("*= FAILURES =*")

    def test_no_summary_still_runs_terminal_summary_hook(self, zenrunner) -> None:
        """--no-summary does not skip plugins' zenrun_terminal_summary (#14724)."""
        zenrunner.makeconftest(
            """
            def zenrun_terminal_summary(terminalreporter, exitstatus, config):
                terminalreporter.write_line("PLUGIN_TERMINAL_SUMMARY_RAN")
            """
        )
        p1 = write(zenrunner, "def test_ok(): assert True")
        result = zenrunner.runzenrun_inprocess(p1, "--no-summary")
        result.stdout.fnmatch_lines(["PLUGIN_TERMINAL_SUMMARY_RAN"])
        result.stdout.no_fnmatch_line("*= FAILURES =*")

    SHOWLOCALS = """
    from zenrun import pipeline, step

    @step
    def {name}() -> None:
        x = 3
        y = {y}
        assert 0

    @pipeline
    def pipe():
        {name}()
    """

    def test_showlocals(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(self.SHOWLOCALS.format(name="test_showlocals", y='"x" * 5000'))
        result = zenrunner.runzenrun_inprocess(p1, "-l")
        result.stdout.fnmatch_lines(["x* = 3", "y* = 'xxxxxx*"])

    def test_noshowlocals_addopts_override(self, zenrunner) -> None:
        zenrunner.maketoml('addopts = "--showlocals"\n')
        p1 = zenrunner.makepyfile(self.SHOWLOCALS.format(name="test_noshowlocals", y='"x" * 5000'))
        result = zenrunner.runzenrun_inprocess(p1, "--no-showlocals")
        result.stdout.no_fnmatch_line("x* = 3")
        result.stdout.no_fnmatch_line("y* = 'xxxxxx*")

    def test_showlocals_short(self, zenrunner) -> None:
        p1 = zenrunner.makepyfile(
            pipeline_showlocals_short=self.SHOWLOCALS.format(name="test_showlocals_short", y='"xxxx"')
        )
        result = zenrunner.runzenrun_inprocess(p1, "-l", "--tb=short")
        result.stdout.fnmatch_lines(
            [
                "pipeline_showlocals_short.py:*",
                "    assert 0",
                "E   assert 0",
                "        x          = 3",
                "        y          = 'xxxx'",
            ]
        )

    VERBOSE = """
    import pytest
    def test_fail():
        raise ValueError()
    def test_pass():
        pass
    def test_skip():
        pytest.skip("hello")
    """

    def test_verbose_reporting(self, zenrunner) -> None:
        p = write(zenrunner, pipeline_verbose_reporting=self.VERBOSE)
        result = zenrunner.runzenrun_inprocess(p, "-v")
        result.stdout.fnmatch_lines(
            [
                "*pipeline_verbose_reporting.py::test_fail *FAIL*",
                "*pipeline_verbose_reporting.py::test_pass *PASS*",
                "*pipeline_verbose_reporting.py::test_skip *SKIP*",
            ]
        )
        assert result.ret == 1

    def test_quiet_reporting(self, zenrunner) -> None:
        p1 = write(zenrunner, "def test_pass(): pass")
        # zenrun's results table (a section of its own) left out: it is not pytest's output
        result = zenrunner.runzenrun_inprocess(p1, "-q", "-p", "no:results")
        s = result.stdout.str()
        assert "zenrun session starts" not in s
        assert p1.name not in s
        assert "===" not in s
        assert "passed" in s

    def test_more_quiet_reporting(self, zenrunner) -> None:
        p1 = write(zenrunner, "def test_pass(): pass")
        result = zenrunner.runzenrun_inprocess(p1, "-qq")
        s = result.stdout.str()
        assert "zenrun session starts" not in s
        assert p1.name not in s
        assert "===" not in s
        assert "passed" not in s

    @pytest.mark.parametrize("params", [(), ("--collect-only",)], ids=["no-params", "collect-only"])
    def test_report_collectionfinish_hook(self, zenrunner, params) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_report_collectionfinish(config, start_path, items):
                return [f'hello from hook: {len(items)} items']
            """
        )
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize('i', range(3))
            def test(i):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess(*params)
        result.stdout.fnmatch_lines(["collected 3 pipelines", "hello from hook: 3 items"])

    def test_summary_f_alias(self, zenrunner) -> None:
        """'f' and 'F' report chars are aliases and don't show up twice (#6334)."""
        write(zenrunner, pipeline_summary_f_alias="def test():\n    assert False\n")
        result = zenrunner.runzenrun_inprocess("-rfF")
        expected = "FAILED pipeline_summary_f_alias.py::test - step 'check': assert False"
        result.stdout.fnmatch_lines([expected])
        assert result.stdout.lines.count(expected) == 1

    def test_summary_s_alias(self, zenrunner) -> None:
        """'s' and 'S' report chars are aliases and don't show up twice."""
        p = write(
            zenrunner,
            pipeline_summary_s_alias="""
            import pytest

            @pytest.mark.skip
            def test():
                pass
            """,
        )
        line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if "@zenrun.mark.skip" in t)
        result = zenrunner.runzenrun_inprocess("-rsS")
        expected = f"SKIPPED [1] pipeline_summary_s_alias.py:{line}: unconditional skip"
        result.stdout.fnmatch_lines([expected])
        assert result.stdout.lines.count(expected) == 1

    SKIP_PARAM = """
    import pytest

    @pytest.mark.parametrize("param", [True, False])
    @pytest.mark.skip("Some reason")
    def test(param):
        pass
    """

    def test_summary_s_folded(self, zenrunner) -> None:
        """Skipped pipelines are folded."""
        p = write(zenrunner, pipeline_summary_s_folded=self.SKIP_PARAM)
        line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if "@zenrun.mark.parametrize" in t)
        result = zenrunner.runzenrun_inprocess("-rs")
        expected = f"SKIPPED [2] pipeline_summary_s_folded.py:{line}: Some reason"
        result.stdout.fnmatch_lines([expected])
        assert result.stdout.lines.count(expected) == 1

    def test_summary_s_unfolded(self, zenrunner) -> None:
        """Skipped pipelines are not folded with --no-fold-skipped."""
        write(zenrunner, pipeline_summary_s_unfolded=self.SKIP_PARAM)
        result = zenrunner.runzenrun_inprocess("-rs", "--no-fold-skipped")
        expected = [
            "SKIPPED pipeline_summary_s_unfolded.py::test[True] - Skipped: Some reason",
            "SKIPPED pipeline_summary_s_unfolded.py::test[False] - Skipped: Some reason",
        ]
        result.stdout.fnmatch_lines(expected)
        assert result.stdout.lines.count(expected[0]) == 1
        assert result.stdout.lines.count(expected[1]) == 1


@pytest.mark.parametrize(
    ("use_ci", "expected_message"),
    (
        (True, f"- step 'check': AssertionError: {'this_failed' * 100}"),
        (False, "- AssertionError: this*..."),
    ),
    ids=("on CI", "not on CI"),
)
def test_fail_extra_reporting(zenrunner, use_ci: bool, expected_message: str) -> None:
    env = {"COLUMNS": "80", **({"CI": "true"} if use_ci else {})}
    write(zenrunner, pipeline_fail_extra_reporting="def test_this(): assert 0, 'this_failed' * 100")
    result = zenrunner.runzenrun_inprocess("-rN", env=env)
    result.stdout.no_fnmatch_line("*short pipeline summary*")
    result = zenrunner.runzenrun_inprocess(env=env)
    result.stdout.fnmatch_lines(
        ["*pipeline summary*", f"FAILED pipeline_fail_extra_reporting.py::test_this {expected_message}"]
    )
    if not use_ci:  # cut to the terminal's width
        assert max(len(line) for line in result.stdout.lines if line.startswith("FAILED")) <= 80


def test_fail_reporting_on_pass(zenrunner) -> None:
    write(zenrunner, "def test_this(): assert 1")
    result = zenrunner.runzenrun_inprocess("-rf")
    result.stdout.no_fnmatch_line("*short pipeline summary*")


def test_pass_extra_reporting(zenrunner) -> None:
    write(zenrunner, pipeline_pass_extra_reporting="def test_this(): assert 1")
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*short pipeline summary*")
    result = zenrunner.runzenrun_inprocess("-rp")
    result.stdout.fnmatch_lines(["*pipeline summary*", "PASS*pipeline_pass_extra_reporting*"])


def test_pass_reporting_on_fail(zenrunner) -> None:
    write(zenrunner, "def test_this(): assert 0")
    result = zenrunner.runzenrun_inprocess("-rp")
    result.stdout.no_fnmatch_line("*short pipeline summary*")


def test_pass_output_reporting(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_pass_output_reporting="""
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture(scope="module", autouse=True)
        def setup_module():
            print("setup_module")
            yield
            print("teardown_module")

        @step(enable_cache=False)  # prints on each run, as a test does
        def talk() -> None:
            print("Four score and seven years ago...")

        @step
        def quiet() -> None:
            pass

        @pipeline
        def test_pass_has_output():
            talk()

        @pipeline
        def test_pass_no_output():
            quiet()
        """
    )
    result = zenrunner.runzenrun_inprocess()
    s = result.stdout.str()
    assert "Four score and seven years ago..." not in s
    result = zenrunner.runzenrun_inprocess("-rPp", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*= PASSES =*",
            "*_ test_pass_has_output _*",
            "*- Captured stdout setup -*",
            "setup_module",
            "*- Captured stdout (talk) -*",
            "Four score and seven years ago...",
            "*- Captured stdout teardown -*",
            "teardown_module",
            "*= short pipeline summary info =*",
            "PASSED pipeline_pass_output_reporting.py::test_pass_has_output",
            "PASSED pipeline_pass_output_reporting.py::test_pass_no_output",
            "*= 2 passed in *",
        ]
    )


def test_terminalreporter_reportopt_addopts(zenrunner) -> None:
    zenrunner.maketoml('addopts = "-rs"\n')
    write(
        zenrunner,
        """
        import pytest

        @pytest.fixture
        def tr(request):
            tr = request.config.pluginmanager.get_plugin("terminalreporter")
            return tr
        def test_opt(tr):
            assert tr.hasopt('skipped')
            assert not tr.hasopt('qwe')
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_tbstyle_short(zenrunner) -> None:
    p = zenrunner.makepyfile(
        pipeline_tbstyle_short="""
        from zenrun import pipeline, step

        @step
        def test_opt(arg: int) -> None:
            x = 0
            assert x

        @pipeline
        def pipe():
            test_opt(42)
        """
    )
    result = zenrunner.runzenrun_inprocess("--tb=short")
    s = result.stdout.str()
    assert "arg = 42" not in s
    assert "x = 0" not in s
    result.stdout.fnmatch_lines([f"*{p.name}:6*", "    assert x", "E   assert*"])
    result = zenrunner.runzenrun_inprocess()
    s = result.stdout.str()
    assert "x = 0" in s
    assert "assert x" in s


class TestGenericReporting:
    def test_collect_fail(self, zenrunner, verbosity: int) -> None:
        zenrunner.makepyfile("import xyz\n")
        result = zenrunner.runzenrun_inprocess(f"--verbosity={verbosity}")
        result.stdout.fnmatch_lines(["ImportError while importing*", "*No module named *xyz*", "*1 error*"])

    def test_maxfailures(self, zenrunner, verbosity: int) -> None:
        write(
            zenrunner,
            """
            def test_1():
                assert 0, "one"
            def test_2():
                assert 0, "two"
            def test_3():
                assert 0, "three"
            """,
        )
        result = zenrunner.runzenrun_inprocess("--maxfail=2", f"--verbosity={verbosity}")
        result.stdout.fnmatch_lines(
            ["*_ test_1 _*", "*_ test_2 _*", "*! stopping after 2 failures !*", "*2 failed*"]
        )

    def test_maxfailures_with_interrupted(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            def test(request):
                request.session.shouldstop = "session_interrupted"
                assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess("--maxfail=1", "-ra")
        result.stdout.fnmatch_lines(
            [
                "*= short pipeline summary info =*",
                "FAILED *",
                "*! stopping after 1 failures !*",
                "*! session_interrupted !*",
                "*= 1 failed in*",
            ]
        )

    TB = """
    from zenrun import pipeline, step

    def g():
        raise IndexError

    @step
    def test_func() -> None:
        print(6*7)
        g()  # --calling--

    @pipeline
    def pipe():
        test_func()
    """

    def test_tb_option(self, zenrunner, verbosity: int) -> None:
        zenrunner.makepyfile(self.TB)
        for tbopt in ["long", "short", "no"]:
            result = zenrunner.runzenrun_inprocess("-rN", f"--tb={tbopt}", f"--verbosity={verbosity}")
            s = result.stdout.str()
            if tbopt == "long":
                assert "print(6*7)" in s
            else:
                assert "print(6*7)" not in s
            if tbopt != "no":
                assert "--calling--" in s
                assert "IndexError" in s
            else:
                assert "FAILURES" not in s
                assert "--calling--" not in s
                assert "IndexError" not in s

    def test_tb_line_show_capture(self, zenrunner, verbosity: int) -> None:
        output_to_capture = "help! let me out!"
        zenrunner.makepyfile(
            f"""
            from zenrun import pipeline, step

            @step
            def fails() -> None:
                print('{output_to_capture}')
                assert False

            @pipeline
            def test_fail():
                fails()
            """
        )
        result = zenrunner.runzenrun_inprocess("--tb=line", f"--verbosity={verbosity}")
        result.stdout.fnmatch_lines(["*- Captured stdout (fails) -*", output_to_capture])

    def test_tb_crashline(self, zenrunner, verbosity: int) -> None:
        p = zenrunner.makepyfile(
            """
            from zenrun import pipeline, step
            def g():
                raise IndexError
            @step
            def one() -> None:
                print(6*7)
                g()  # --calling--
            @step
            def two() -> None:
                assert 0, "hello"
            @pipeline
            def test_func1():
                one()
            @pipeline
            def test_func2():
                two()
            """
        )
        result = zenrunner.runzenrun_inprocess("--tb=line", f"--verbosity={verbosity}")
        bn = p.name
        result.stdout.fnmatch_lines([f"*{bn}:3: IndexError*", f"*{bn}:10: AssertionError: hello*"])
        assert "def test_func2" not in result.stdout.str()

    def test_tb_crashline_pytrace_false(self, zenrunner, verbosity: int) -> None:
        """pytest: ``pytest.fail(pytrace=False)`` in the test; here in a step."""
        p = zenrunner.makepyfile(
            """
            import zenrun
            from zenrun import pipeline, step
            @step
            def one() -> None:
                zenrun.fail('test_func1', pytrace=False)
            @pipeline
            def test_func1():
                one()
            """
        )
        result = zenrunner.runzenrun_inprocess("--tb=line", f"--verbosity={verbosity}")
        result.stdout.fnmatch_lines([f"*{p.name}:5: *Failed: test_func1"])

    def test_zenrun_report_header(self, zenrunner, verbosity: int) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_sessionstart(session):
                session.config._somevalue = 42
            def zenrun_report_header(config):
                return "hello: %s" % config._somevalue
            """
        )
        (zenrunner.path / "a").mkdir()
        (zenrunner.path / "a" / "conftest.py").write_text(
            "def zenrun_report_header(config, start_path):\n    return ['line1', str(start_path)]\n"
        )
        result = zenrunner.runzenrun_inprocess("a", f"--verbosity={verbosity}")
        if verbosity >= 0:
            result.stdout.fnmatch_lines(["*hello: 42*", "line1", str(zenrunner.path)])

    SHOW_CAPTURE = """
    import sys
    import logging
    from zenrun import pipeline, step

    @step
    def one() -> None:
        sys.stdout.write('!This is stdout!')
        sys.stderr.write('!This is stderr!')
        logging.warning('!This is a warning log msg!')
        assert False, 'Something failed'

    @pipeline
    def test_one():
        one()
    """

    def test_show_capture(self, zenrunner) -> None:
        zenrunner.makepyfile(self.SHOW_CAPTURE)
        result = zenrunner.runzenrun_inprocess("--tb=short")
        result.stdout.fnmatch_lines(
            ["!This is stdout!", "!This is stderr!", "*WARNING*!This is a warning log msg!"]
        )
        result = zenrunner.runzenrun_inprocess("--show-capture=all", "--tb=short")
        result.stdout.fnmatch_lines(
            ["!This is stdout!", "!This is stderr!", "*WARNING*!This is a warning log msg!"]
        )
        stdout = zenrunner.runzenrun_inprocess("--show-capture=stdout", "--tb=short").stdout.str()
        assert "!This is stderr!" not in stdout
        assert "!This is stdout!" in stdout
        assert "!This is a warning log msg!" not in stdout
        stdout = zenrunner.runzenrun_inprocess("--show-capture=stderr", "--tb=short").stdout.str()
        assert "!This is stdout!" not in stdout
        assert "!This is stderr!" in stdout
        assert "!This is a warning log msg!" not in stdout
        stdout = zenrunner.runzenrun_inprocess("--show-capture=log", "--tb=short").stdout.str()
        assert "!This is stdout!" not in stdout
        assert "!This is stderr!" not in stdout
        assert "!This is a warning log msg!" in stdout
        stdout = zenrunner.runzenrun_inprocess("--show-capture=no", "--tb=short").stdout.str()
        assert "!This is stdout!" not in stdout
        assert "!This is stderr!" not in stdout
        assert "!This is a warning log msg!" not in stdout

    def test_show_capture_with_teardown_logs(self, zenrunner) -> None:
        """The capture of teardown output honours --show-capture."""
        write(
            zenrunner,
            """
            import logging
            import sys
            import pytest

            @pytest.fixture(scope="function", autouse="True")
            def hook_each_test(request):
                yield
                sys.stdout.write("!stdout!")
                sys.stderr.write("!stderr!")
                logging.warning("!log!")

            def test_func():
                assert False
            """,
        )
        result = zenrunner.runzenrun_inprocess("--show-capture=stdout", "--tb=short").stdout.str()
        assert "!stdout!" in result
        assert "!stderr!" not in result
        assert "!log!" not in result
        result = zenrunner.runzenrun_inprocess("--show-capture=stderr", "--tb=short").stdout.str()
        assert "!stdout!" not in result
        assert "!stderr!" in result
        assert "!log!" not in result
        result = zenrunner.runzenrun_inprocess("--show-capture=log", "--tb=short").stdout.str()
        assert "!stdout!" not in result
        assert "!stderr!" not in result
        assert "!log!" in result
        result = zenrunner.runzenrun_inprocess("--show-capture=no", "--tb=short").stdout.str()
        assert "!stdout!" not in result
        assert "!stderr!" not in result
        assert "!log!" not in result


def test_tbstyle_native_setup_error(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_tbstyle_native_setup_error="""
        import pytest
        @pytest.fixture
        def setup_error_fixture():
            raise Exception("error in exception")

        def test_error_fixture(setup_error_fixture):
            pass
        """,
    )
    result = zenrunner.runzenrun_inprocess("--tb=native")
    result.stdout.fnmatch_lines(
        ['*File *pipeline_tbstyle_native_setup_error.py", line *, in setup_error_fixture*']
    )


def test_fdopen_kept_alive_issue124(zenrunner) -> None:
    """A step opens fd 1 as a file and keeps it; a later step closes it. Run in a
    subprocess (closing fd 1 in this process would close the test run's own)."""
    zenrunner.makepyfile(
        pipeline_fdopen_kept_alive="""
        import os, sys
        from zenrun import pipeline, step

        k = []

        @step
        def open_file_and_keep_alive():
            stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8")
            k.append(stdout)

        @step
        def close_kept_alive_file():
            stdout = k.pop()
            stdout.close()

        @pipeline
        def test_open_file_and_keep_alive():
            open_file_and_keep_alive()

        @pipeline
        def test_close_kept_alive_file():
            close_kept_alive_file()
        """
    )
    result = zenrunner.run("--capture=fd")
    result.stdout.fnmatch_lines(["*2 passed*"])


def test_via_exec(zenrunner) -> None:
    """A pipeline defined by ``exec`` in its module is collected and run.

    pytest appends `` <- <string>`` under -vv (the code's file is not the module's);
    zenrun prints the id and the outcome only."""
    p1 = zenrunner.makepyfile(
        pipeline_via_exec=pipelines("pass") + "\nexec('@pipeline\\ndef test_via_exec():\\n    check(True)')\n"
    )
    result = zenrunner.runzenrun_inprocess(str(p1), "-vv")
    result.stdout.fnmatch_lines(["pipeline_via_exec.py::test_via_exec PASSED*", "*= 1 passed in *"])


def test_terminal_summary(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_terminal_summary(terminalreporter, exitstatus):
            w = terminalreporter
            w.section("hello")
            w.line("world")
            w.line("exitstatus: {0}".format(exitstatus))
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*==== hello ====*", "world", "exitstatus: 5"])


WARNS = """
import warnings
def test_failure():
    warnings.warn("warning_from_" + "test")
    assert 0
"""


def test_terminal_summary_warnings_are_displayed(zenrunner) -> None:
    """Warnings given in zenrun_terminal_summary are shown (#1305)."""
    zenrunner.makeconftest(
        """
        import warnings
        def zenrun_terminal_summary(terminalreporter):
            warnings.warn(UserWarning('internal warning'))
        """
    )
    write(zenrunner, WARNS)
    result = zenrunner.runzenrun_inprocess("-ra")
    result.stdout.fnmatch_lines(
        [
            "*= warnings summary =*",
            "*warning_from_test*",
            "*= short pipeline summary info =*",
            "*= warnings summary (final) =*",
            "*conftest.py:3:*internal warning",
            "*== 1 failed, 2 warnings in *",
        ]
    )
    result.stdout.no_fnmatch_line("*None*")
    stdout = result.stdout.str()
    assert stdout.count("warning_from_test") == 1
    assert stdout.count("=== warnings summary ") == 2


def test_terminal_summary_warnings_header_once(zenrunner) -> None:
    write(zenrunner, WARNS)
    result = zenrunner.runzenrun_inprocess("-ra")
    result.stdout.fnmatch_lines(
        [
            "*= warnings summary =*",
            "*warning_from_test*",
            "*= short pipeline summary info =*",
            "*== 1 failed, 1 warning in *",
        ]
    )
    result.stdout.no_fnmatch_line("*None*")
    stdout = result.stdout.str()
    assert stdout.count("warning_from_test") == 1
    assert stdout.count("=== warnings summary ") == 1


def test_terminal_no_summary_warnings_header_once(zenrunner) -> None:
    write(zenrunner, WARNS)
    result = zenrunner.runzenrun_inprocess("--no-summary")
    result.stdout.no_fnmatch_line("*= warnings summary =*")
    result.stdout.no_fnmatch_line("*= short pipeline summary info =*")


class TestClassicOutputStyle:
    """The classic output style (#3883)."""

    @pytest.fixture
    def test_files(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_one="def test_one(): pass",
            pipeline_two="def test_two(): assert 0",
            **{
                "sub/pipeline_three": """
                    def test_three_1(): pass
                    def test_three_2(): assert 0
                    def test_three_3(): pass
                """
            },
        )

    def test_normal_verbosity(self, zenrunner, test_files) -> None:
        result = zenrunner.runzenrun_inprocess("-o", "console_output_style=classic")
        result.stdout.fnmatch_lines(
            [
                "pipeline_one.py .",
                "pipeline_two.py F",
                f"sub{os.sep}pipeline_three.py .F.",
                "*2 failed, 3 passed in*",
            ]
        )

    def test_verbose(self, zenrunner, test_files) -> None:
        result = zenrunner.runzenrun_inprocess("-o", "console_output_style=classic", "-v")
        result.stdout.fnmatch_lines(
            [
                "pipeline_one.py::test_one PASSED",
                "pipeline_two.py::test_two FAILED",
                f"sub{os.sep}pipeline_three.py::test_three_1 PASSED",
                f"sub{os.sep}pipeline_three.py::test_three_2 FAILED",
                f"sub{os.sep}pipeline_three.py::test_three_3 PASSED",
                "*2 failed, 3 passed in*",
            ]
        )

    def test_quiet(self, zenrunner, test_files) -> None:
        result = zenrunner.runzenrun_inprocess("-o", "console_output_style=classic", "-q")
        result.stdout.fnmatch_lines([".F.F.", "*2 failed, 3 passed in*"])


def test_console_output_style_invalid(zenrunner) -> None:
    """An invalid console_output_style is a clean usage error."""
    result = zenrunner.runzenrun_inprocess("-o", "console_output_style=fancy")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*ERROR: *config option 'console_output_style' expects one of "
            "'classic' | 'progress' | 'count' | 'times' | "
            "'progress-even-when-capture-no', got 'fancy'"
        ]
    )


class TestProgressOutputStyle:
    @pytest.fixture
    def many_tests_files(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_bar="import pytest\n@pytest.mark.parametrize('i', range(10))\ndef test_bar(i): pass\n",
            pipeline_foo="import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foo(i): pass\n",
            pipeline_foobar="import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foobar(i): pass\n",
        )

    def test_normal(self, many_tests_files, zenrunner) -> None:
        output = zenrunner.runzenrun_inprocess()
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py \.{10} \s+ \[ 50%\]",
                r"pipeline_foo.py \.{5} \s+ \[ 75%\]",
                r"pipeline_foobar.py \.{5} \s+ \[100%\]",
            ]
        )

    def test_count(self, many_tests_files, zenrunner) -> None:
        zenrunner.maketoml('console_output_style = "count"\n')
        output = zenrunner.runzenrun_inprocess()
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py \.{10} \s+ \[10/20\]",
                r"pipeline_foo.py \.{5} \s+ \[15/20\]",
                r"pipeline_foobar.py \.{5} \s+ \[20/20\]",
            ]
        )

    def test_times(self, many_tests_files, zenrunner) -> None:
        zenrunner.maketoml('console_output_style = "times"\n')
        output = zenrunner.runzenrun_inprocess()
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py \.{10} \s+ \d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
                r"pipeline_foo.py \.{5} \s+ \d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
                r"pipeline_foobar.py \.{5} \s+ \d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
            ]
        )

    def test_times_multiline(self, zenrunner) -> None:
        write(
            zenrunner,
            pipeline_bar="import pytest\n@pytest.mark.parametrize('i', range(30))\ndef test_bar(i): pass\n",
            pipeline_foo="import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foo(i): pass\n",
        )
        zenrunner.maketoml('console_output_style = "times"\n')
        output = zenrunner.runzenrun_inprocess(env={"COLUMNS": "40"})
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py \.+ \s*\d{1,4}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
                r"\.+ \s+ \d{1,4}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
                r"pipeline_foo.py \.{5} \s+ \d{1,4}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
            ],
            consecutive=True,
        )

    def test_times_none_collected(self, zenrunner) -> None:
        zenrunner.maketoml('console_output_style = "times"\n')
        output = zenrunner.runzenrun_inprocess()
        assert output.ret == 5

    def test_verbose(self, many_tests_files, zenrunner) -> None:
        output = zenrunner.runzenrun_inprocess("-v")
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py::test_bar\[0\] PASSED \s+ \[  5%\]",
                r"pipeline_foo.py::test_foo\[4\] PASSED \s+ \[ 75%\]",
                r"pipeline_foobar.py::test_foobar\[4\] PASSED \s+ \[100%\]",
            ]
        )

    def test_verbose_count(self, many_tests_files, zenrunner) -> None:
        zenrunner.maketoml('console_output_style = "count"\n')
        output = zenrunner.runzenrun_inprocess("-v")
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py::test_bar\[0\] PASSED \s+ \[ 1/20\]",
                r"pipeline_foo.py::test_foo\[4\] PASSED \s+ \[15/20\]",
                r"pipeline_foobar.py::test_foobar\[4\] PASSED \s+ \[20/20\]",
            ]
        )

    def test_verbose_times(self, many_tests_files, zenrunner) -> None:
        zenrunner.maketoml('console_output_style = "times"\n')
        output = zenrunner.runzenrun_inprocess("-v")
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py::test_bar\[0\] PASSED \s+ \d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
                r"pipeline_foo.py::test_foo\[4\] PASSED \s+ \d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
                r"pipeline_foobar.py::test_foobar\[4\] PASSED \s+ \d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
            ]
        )

    def test_capture_no(self, many_tests_files, zenrunner) -> None:
        output = zenrunner.runzenrun_inprocess("-s")
        output.stdout.re_match_lines(
            [r"pipeline_bar.py \.{10}", r"pipeline_foo.py \.{5}", r"pipeline_foobar.py \.{5}"]
        )
        output = zenrunner.runzenrun_inprocess("--capture=no")
        output.stdout.no_fnmatch_line("*%]*")

    def test_capture_no_progress_enabled(self, many_tests_files, zenrunner) -> None:
        zenrunner.maketoml('console_output_style = "progress-even-when-capture-no"\n')
        output = zenrunner.runzenrun_inprocess("-s")
        output.stdout.re_match_lines(
            [
                r"pipeline_bar.py \.{10} \s+ \[ 50%\]",
                r"pipeline_foo.py \.{5} \s+ \[ 75%\]",
                r"pipeline_foobar.py \.{5} \s+ \[100%\]",
            ]
        )


class TestProgressWithTeardown:
    """The percentages of pipelines that fail during teardown (#3088)."""

    @pytest.fixture
    def contest_with_teardown_fixture(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            import zenrun

            @zenrun.fixture
            def fail_teardown():
                yield
                assert False
            """
        )

    @pytest.fixture
    def many_files(self, zenrunner, contest_with_teardown_fixture) -> None:
        write(
            zenrunner,
            pipeline_bar="import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_bar(fail_teardown, i):\n    pass\n",
            pipeline_foo="import pytest\n@pytest.mark.parametrize('i', range(15))\ndef test_foo(fail_teardown, i):\n    pass\n",
        )

    def test_teardown_simple(self, zenrunner, contest_with_teardown_fixture) -> None:
        write(zenrunner, pipeline_teardown_simple="def test_foo(fail_teardown):\n    pass\n")
        output = zenrunner.runzenrun_inprocess()
        output.stdout.re_match_lines([r"pipeline_teardown_simple.py \.E\s+\[100%\]"])

    def test_teardown_with_test_also_failing(self, zenrunner, contest_with_teardown_fixture) -> None:
        write(zenrunner, pipeline_teardown_failing="def test_foo(fail_teardown):\n    assert 0\n")
        output = zenrunner.runzenrun_inprocess("-rfE")
        output.stdout.re_match_lines(
            [
                r"pipeline_teardown_failing.py FE\s+\[100%\]",
                "FAILED pipeline_teardown_failing.py::test_foo - step 'check': assert 0",
                "ERROR pipeline_teardown_failing.py::test_foo - assert False",
            ]
        )

    def test_teardown_many(self, zenrunner, many_files) -> None:
        output = zenrunner.runzenrun_inprocess()
        output.stdout.re_match_lines(
            [r"pipeline_bar.py (\.E){5}\s+\[ 25%\]", r"pipeline_foo.py (\.E){15}\s+\[100%\]"]
        )

    def test_teardown_many_verbose(self, zenrunner, many_files) -> None:
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                "pipeline_bar.py::test_bar[[]0[]] PASSED  * [[]  5%[]]",
                "pipeline_bar.py::test_bar[[]0[]] ERROR   * [[]  5%[]]",
                "pipeline_bar.py::test_bar[[]4[]] PASSED  * [[] 25%[]]",
                "pipeline_foo.py::test_foo[[]14[]] PASSED * [[]100%[]]",
                "pipeline_foo.py::test_foo[[]14[]] ERROR  * [[]100%[]]",
                "=* 20 passed, 20 errors in *",
            ]
        )


def test_short_summary_with_verbose(zenrunner) -> None:
    """With -vv the summary info is not cut (#11777)."""
    string_length = 200
    write(
        zenrunner,
        f"""
        def test():
            s1 = "A" * {string_length}
            s2 = "B" * {string_length}
            assert s1 == s2, (s1, s2)
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        ["*short pipeline summary info*", "* - AssertionError: ('*..."]
    )  # cut: the step name first
    result = zenrunner.runzenrun_inprocess("-vv")
    result.stdout.fnmatch_lines(
        ["*short pipeline summary info*", f"*{'A' * string_length}*{'B' * string_length}')"]
    )


def test_force_short_summary(zenrunner) -> None:
    write(zenrunner, 'def test():\n    assert "a\\n" * 10 == "", "a\\n" * 10\n')
    result = zenrunner.runzenrun_inprocess("-vv", "--force-short-summary")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*short pipeline summary info*", "FAILED *::test - *AssertionError: a"])


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (10.0, "10.00s"),
        (10.34, "10.34s"),
        (59.99, "59.99s"),
        (60.55, "60.55s (0:01:00)"),
        (123.55, "123.55s (0:02:03)"),
        (60 * 60 + 0.5, "3600.50s (1:00:00)"),
    ],
)
def test_format_session_duration(seconds, expected):
    assert format_session_duration(seconds) == expected


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (3600 * 100 - 60, " 99h 59m"),
        (31 * 60 - 1, " 30m 59s"),
        (10.1236, " 10.124s"),
        (9.1236, " 9.124s"),
        (0.1236, " 123.6ms"),
        (0.01236, " 12.36ms"),
        (0.001236, " 1.236ms"),
        (0.0001236, " 123.6us"),
        (0.00001236, " 12.36us"),
        (0.000001236, " 1.236us"),
    ],
)
def test_format_node_duration(seconds: float, expected: str) -> None:
    assert format_node_duration(seconds) == expected


def test_collecterror(zenrunner) -> None:
    p1 = zenrunner.makepyfile(pipeline_collecterror="raise SyntaxError()")
    result = zenrunner.runzenrun_inprocess("-ra", str(p1))
    result.stdout.fnmatch_lines(
        [
            "collected 0 pipelines / 1 error",
            "*= ERRORS =*",
            "*_ ERROR collecting pipeline_collecterror.py _*",
            "E   SyntaxError*",
            "*= short pipeline summary info =*",
            "ERROR pipeline_collecterror.py",
            "*! Interrupted: 1 error during collection !*",
            "*= 1 error in *",
        ]
    )


def test_no_summary_collecterror(zenrunner) -> None:
    p1 = zenrunner.makepyfile("raise SyntaxError()")
    result = zenrunner.runzenrun_inprocess("-ra", "--no-summary", str(p1))
    result.stdout.no_fnmatch_line("*= ERRORS =*")


def test_summary_xfail_reason(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_summary_xfail_reason="""
        import pytest

        @pytest.mark.xfail
        def test_xfail():
            assert False

        @pytest.mark.xfail(reason="foo")
        def test_xfail_reason():
            assert False
        """,
    )
    result = zenrunner.runzenrun_inprocess("-rx")
    expect1 = "XFAIL pipeline_summary_xfail_reason.py::test_xfail"
    expect2 = "XFAIL pipeline_summary_xfail_reason.py::test_xfail_reason - foo"
    result.stdout.fnmatch_lines([expect1, expect2])
    assert result.stdout.lines.count(expect1) == 1
    assert result.stdout.lines.count(expect2) == 1


XFAIL_FILE = """
import pytest

def test_fail():
    a, b = 1, 2
    assert a == b, "assert 1 == 2"

@pytest.mark.xfail
def test_xfail():
    c, d = 3, 4
    assert c == d, "assert 3 == 4"
"""


def test_xfail_tb_default(zenrunner) -> None:
    write(zenrunner, XFAIL_FILE)
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        ["*= FAILURES =*", "*_ test_fail _*", "*def check(*", "*E       assert 1 == 2*"]
    )
    result.stdout.no_fnmatch_line("*= XFAILURES =*")


def test_xfail_tb_true(zenrunner) -> None:
    write(zenrunner, XFAIL_FILE)
    result = zenrunner.runzenrun_inprocess("--xfail-tb")
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "*_ test_fail _*",
            "*E       assert 1 == 2*",
            "*= XFAILURES =*",
            "*_ test_xfail _*",
            "*E       assert 3 == 4*",
            "*short pipeline summary info*",
        ]
    )


def test_xfail_tb_line(zenrunner) -> None:
    write(zenrunner, XFAIL_FILE)
    result = zenrunner.runzenrun_inprocess("--xfail-tb", "--tb=line")
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "E   assert 1 == 2",
            "*.py:*: assert 1 == 2",
            "*= XFAILURES =*",
            "E   assert 3 == 4",
            "*.py:*: assert 3 == 4",
            "*short pipeline summary info*",
        ]
    )


def test_summary_xpass_reason(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_summary_xpass_reason="""
        import pytest

        @pytest.mark.xfail
        def test_pass():
            ...

        @pytest.mark.xfail(reason="foo")
        def test_reason():
            ...
        """,
    )
    result = zenrunner.runzenrun_inprocess("-rX")
    expect1 = "XPASS pipeline_summary_xpass_reason.py::test_pass"
    expect2 = "XPASS pipeline_summary_xpass_reason.py::test_reason - foo"
    result.stdout.fnmatch_lines([expect1, expect2])
    assert result.stdout.lines.count(expect1) == 1
    assert result.stdout.lines.count(expect2) == 1


def test_xpass_output(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_xpass_output="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def talk() -> None:
            print('hi there')

        @zenrun.mark.xfail
        @pipeline
        def test_pass():
            talk()
        """
    )
    result = zenrunner.runzenrun_inprocess("-rX", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*= XPASSES =*",
            "*_ test_pass _*",
            "*- Captured stdout (talk) -*",
            "*= short pipeline summary info =*",
            "XPASS pipeline_xpass_output.py::test_pass*",
            "*= 1 xpassed in * =*",
        ]
    )


class TestNodeIDHandling:
    def test_nodeid_handling_windows_paths(self, zenrunner) -> None:
        """Windows-style paths with backslashes in parameter ids."""
        test_path = zenrunner.path / "pipelines" / "pipeline_foo.py"
        test_path.parent.mkdir()
        test_path.write_text(
            pipelines(
                """
                import pytest

                @pytest.mark.parametrize("a", ["x/y", "C:/path", "\\\\", "C:\\\\path", "a::b/"])
                def test_x(a):
                    assert False
                """
            )
        )
        result = zenrunner.runzenrun_inprocess("-v", cwd=test_path.parent)
        result.stdout.re_match_lines(
            [
                r".*pipeline_foo.py::test_x\[x/y\] .*FAILED.*",
                r".*pipeline_foo.py::test_x\[C:/path\] .*FAILED.*",
                r".*pipeline_foo.py::test_x\[\\\\\] .*FAILED.*",
                r".*pipeline_foo.py::test_x\[C:\\\\path\] .*FAILED.*",
                r".*pipeline_foo.py::test_x\[a::b/\] .*FAILED.*",
            ]
        )


def test_raw_skip_reason_skipped() -> None:
    from types import SimpleNamespace

    from zenrun.terminal import _raw_skip_reason

    report = SimpleNamespace(outcome="skipped", longrepr="Skipped: Just so")
    assert _raw_skip_reason(report) == "Just so"


def test_raw_skip_reason_xfail() -> None:
    from types import SimpleNamespace

    from zenrun.terminal import _raw_skip_reason

    report = SimpleNamespace(outcome="xfailed", longrepr="reason: To everything there is a season")
    assert _raw_skip_reason(report) == "To everything there is a season"


def test_format_trimmed() -> None:
    from zenrun.terminal import _format_trimmed

    msg = "unconditional skip"
    assert _format_trimmed(" ({}) ", msg, len(msg) + 4) == " (unconditional skip) "
    assert _format_trimmed(" ({}) ", msg, len(msg) + 3) == " (unconditional ...) "


# -- colours (testing/test_terminal.py: test_color_yes, test_color_no,
# test_color_yes_collection_on_non_atty, TestProgressOutputStyle::test_colored_progress) --
RED, GREEN, YELLOW, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"


def colors(lines: list[str]) -> list[str]:
    """pytest's ``color_mapping.format_for_fnmatch``: colour names to their codes."""
    names = {"red": RED, "green": GREEN, "yellow": YELLOW, "bold": BOLD, "reset": RESET}
    return [line.format(**names).replace("[", "[[]") for line in lines]


FAILING = """from zenrun import pipeline, step

@step
def fail():
    assert 0

@pipeline
def test_this():
    fail()
"""


def test_color_yes(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_color_yes=FAILING)
    result = zenrunner.run("--color=yes")
    result.stdout.fnmatch_lines(
        colors(
            [
                "{bold}=*= zenrun session starts =*={reset}",
                "collected 1 pipeline",
                "",
                "pipeline_color_yes.py {red}F{reset}{red} * [100%]{reset}",
                "",
                "=*= FAILURES =*=",
                "{red}{bold}_*_ test_this _*_{reset}",
                "*",
                "{bold}{red}E       assert 0{reset}",
                "",
                "{bold}{red}pipeline_color_yes.py{reset}:5: AssertionError",
                "{red}=*= {red}{bold}1 failed{reset}{red} in *s{reset}{red} =*={reset}",
            ]
        )
    )
    result = zenrunner.run("--color=yes", "--tb=short")
    result.stdout.fnmatch_lines(
        colors(
            [
                "{red}{bold}_*_ test_this _*_{reset}",
                "{bold}{red}pipeline_color_yes.py{reset}:5: in fail",
                "{bold}{red}E   assert 0{reset}",
                "{red}=*= {red}{bold}1 failed{reset}{red} in *s{reset}{red} =*={reset}",
            ]
        )
    )


def test_color_no(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_color_no=pipelines("def test_this(): assert 1"))
    result = zenrunner.run("--color=no", env=zenrunner.env(PY_COLORS="1"))
    assert "zenrun session starts" in result.stdout
    result.stdout.no_fnmatch_line("*\x1b[[]1m*")
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize("verbose", [True, False])
def test_color_yes_collection_on_non_atty(zenrunner, verbose: bool) -> None:
    zenrunner.makepyfile(
        pipeline_non_atty=pipelines(
            """
import pytest
@pytest.mark.parametrize('i', range(10))
def test_this(i):
    assert 1
"""
        )
    )
    result = zenrunner.run("--color=yes", *(["-vv"] if verbose else []))
    assert "zenrun session starts" in result.stdout
    assert "\x1b[1m" in result.stdout
    result.stdout.no_fnmatch_line("*collecting 10 items*")
    if verbose:
        assert "collecting ..." in result.stdout
    assert "collected 10 pipelines" in result.stdout


def test_colored_progress(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_axfail=pipelines(
            """
import pytest
@pytest.mark.xfail
def test_axfail(): assert 0
"""
        ),
        pipeline_bar=pipelines(
            """
import pytest
@pytest.mark.parametrize('i', range(10))
def test_bar(i): pass
"""
        ),
        pipeline_foo=pipelines(
            """
import pytest
import warnings
@pytest.mark.parametrize('i', range(5))
def test_foo(i):
    warnings.warn(DeprecationWarning("collection"))
    pass
"""
        ),
        pipeline_foobar=pipelines(
            """
import pytest
@pytest.mark.parametrize('i', range(5))
def test_foobar(i): assert 0
"""
        ),
    )
    env = zenrunner.env(PY_COLORS="1")
    result = zenrunner.run(env=env)
    names = {
        "red": re.escape(RED),
        "green": re.escape(GREEN),
        "yellow": re.escape(YELLOW),
        "reset": re.escape(RESET),
    }
    result.stdout.re_match_lines(
        [
            line.format(**names)
            for line in [
                r"pipeline_axfail.py {yellow}x{reset}{green} \s+ \[  4%\]{reset}",
                r"pipeline_bar.py ({green}\.{reset}){{10}}{green} \s+ \[ 52%\]{reset}",
                r"pipeline_foo.py ({green}\.{reset}){{5}}{yellow} \s+ \[ 76%\]{reset}",
                r"pipeline_foobar.py ({red}F{reset}){{5}}{red} \s+ \[100%\]{reset}",
            ]
        ]
    )
    result = zenrunner.run("pipeline_axfail.py", env=env)
    result.stdout.re_match_lines(
        [
            line.format(**names, bold=re.escape(BOLD))
            for line in [
                r"pipeline_axfail.py {yellow}x{reset}{yellow} \s+ \[100%\]{reset}",
                r"^{yellow}=+ ({yellow}{bold}|{bold}{yellow})1 xfailed{reset}{yellow} in ",
            ]
        ]
    )


def test_colors_follow_the_terminal_and_no_color(run_on_a_terminal, zenrunner) -> None:
    """Beyond pytest's cases: auto colours on a terminal; NO_COLOR turns them off there."""
    zenrunner.makepyfile(pipeline_tty=pipelines("def test_this(): assert 1"))
    _, output, _ = run_on_a_terminal(colors=True)
    assert f"{GREEN}{BOLD}1 passed{RESET}" in output
    _, output, _ = run_on_a_terminal()  # NO_COLOR=1
    assert "\x1b[32m" not in output and "1 passed" in output


# TestCodeHighlight (pygments' codes: {kw} keywords, {function} names, {number} numbers)
HL = {
    "kw": "\x1b[94m",
    "hl-reset": "\x1b[39;49;00m",
    "function": "\x1b[92m",
    "number": "\x1b[94m",
    "kwspace": "\x1b[90m \x1b[39;49;00m",
    "endline": "\x1b[90m\x1b[39;49;00m",
}
HIGHLIGHTED = """from zenrun import pipeline, step

@step
def test_foo():
    assert 1 == 10

@pipeline
def p():
    test_foo()
"""


def test_code_highlight_simple(zenrunner) -> None:
    pytest.importorskip("pygments")
    zenrunner.makepyfile(pipeline_highlight=HIGHLIGHTED)
    result = zenrunner.run("--color=yes")
    names = {"red": RED, "bold": BOLD, "reset": RESET, **HL}
    result.stdout.fnmatch_lines(
        [
            line.format(**names).replace("[", "[[]")
            for line in [
                "    {kw}def{hl-reset}{kwspace}{function}test_foo{hl-reset}():{endline}",
                ">       {kw}assert{hl-reset} {number}1{hl-reset} == {number}10{hl-reset}{endline}",
                "{bold}{red}E       assert 1 == 10{reset}",
            ]
        ]
    )
    plain = zenrunner.run("--color=yes", "--code-highlight=no")
    plain.stdout.fnmatch_lines(["    def test_foo():", ">       assert 1 == 10", "*E       assert 1 == 10*"])


def test_show_fixtures_color_yes(zenrunner) -> None:
    """testing/python/fixtures.py TestRequestBasic::test_show_fixtures_color_yes."""
    zenrunner.makepyfile(pipeline_fixtures_color=pipelines("def test_this(): assert 1"))
    result = zenrunner.run("--color=yes", "--fixtures")
    assert "\x1b[32mtmp_path" in result.stdout
    assert "\x1b[33m -- zenrun/tmpdir.py:" in result.stdout


def test_full_sequence_print_with_vv(zenrunner, monkeypatch) -> None:
    """Do not truncate sequences in summaries with -vv (#11777); the asserts in steps."""
    monkeypatch.delenv("CI", raising=False)
    zenrunner.makepyfile(
        step_pipelines(
            """
            def test_len_list():
                l = list(range(10))
                assert len(l) == 9

            def test_len_dict():
                d = dict(zip(range(10), range(10)))
                assert len(d) == 9
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-vv", "-p", "no:results")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*short pipeline summary info*",
            f"*{list(range(10))}*",
            f"*{dict(zip(range(10), range(10), strict=True))}*",
        ]
    )
