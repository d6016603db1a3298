"""Independent port of pytest's ``testing/test_terminal.py`` (and the capture cases of
``testing/test_capture.py``) to zenrun, written from zenrun's user docs only.

Mapping:

- a test function ``def test_x(): ...`` -> a ``@pipeline`` (``porting.pipelines``): each
  ``assert EXPR`` in its body becomes a call of a ``check`` step, so a failure is the step's
  (``step 'check' failed:`` and the ``check`` step's source, where pytest shows the test's);
  a body that must run as written (``print``, ``zenrun.skip``, ``raise``) is a pipeline body
  (``porting.bodies``);
- ``test_*.py`` -> ``pipeline_*.py`` (``zenrunner.makepyfile(src)`` writes
  ``pipeline_<test name>.py``, as pytester writes ``test_<test name>.py``);
- ``pytest.ini`` / ``tox.ini`` ``[pytest]`` -> ``tox.ini`` ``[zenrun]`` (``zenrunner.makeini``),
  ``[tool.pytest.ini_options]`` -> ``[tool.zenrun]``, ``testpaths`` -> ``pipelinepaths``;
- ``pytester`` -> ``zenrunner``, ``runpytest`` -> ``runzenrun_inprocess``;
- ``pytest_*`` hooks in a conftest -> ``zenrun_*`` hooks;
- ``setup_function`` / ``teardown_function`` -> the same names (zenrun calls them);
- "collected N items" -> "collected N pipelines", "test session starts" ->
  "zenrun session starts", "short test summary info" -> "short pipeline summary info",
  ``<Function x>`` -> ``<Pipeline x>`` (the wording; the decision is the same).

Every run passes ``-p no:results`` where the line it checks would otherwise be followed by
zenrun's results table (a documented zenrun section: docs/guide/pytest-habits.md, "The
results table"), so that pytest's expected order of sections is checked as pytest's.

pytest's line numbers: ``bodies`` writes 3 lines above the module's source and a ``@pipeline``
line above each function, so a ``path:N:`` pytest expects is ``path:N+3+k:`` here (each such
place says pytest's number). Where pytest's check depends on the width of its file name (a
reason or a message cut to the terminal's width), the module is named with as many characters.

Ported with zenrun's own counterpart: ``test_summary_stats`` (pytest sets a hand-made
``TerminalReporter``'s stats) runs sessions with those outcomes and checks the coloured closing
line; ``test_collectonly_fatal``'s ``pytest_collectstart`` (no zenrun hook) is a failing
``zenrun_collection_modifyitems``; ``test_capture_early_option_parsing`` runs in a subprocess
(``-s`` writes to the process's own stdout). From ``testing/test_capture.py``: the cases run
through the command line (per-test capturing, setup / teardown output, logging and capture,
``--capture=fd|sys``, binary output); its ``CaptureManager`` / ``FDCapture`` / ``CaptureIO`` /
``StdCapture`` unit tests and the capture fixtures' cases are pytest internals or are
``test_pytest_capture.py``'s (the capture-fixture port). Added: ``--durations`` listing steps
(docs/guide/pytest-habits.md), ``-l`` in a step.

Not applicable (left out):

- ``test_plugin_nameversion``, ``test_getreportopt``,
  ``test_skip_counting_towards_summary``, ``test_skip_reasons_folding``,
  ``test_line_with_reprcrash``, ``test_format_session_duration``,
  ``test_format_node_duration``, ``test_raw_skip_reason_*``, ``test_format_trimmed``,
  ``TestTerminal.test_internalerror`` / ``test_writeline`` / ``test_show_runtest_logstart``
  / ``test_rewrite`` / ``test_isatty``: unit tests of ``_pytest.terminal``'s private
  helpers and of ``TerminalReporter`` built by hand; zenrun has no such public object.
- ``test_itemreport_subclasses_show_subclassed_file``,
  ``test_itemreport_directclasses_not_shown_as_subclasses``, the class parts of
  ``test_collectonly_simple`` / ``test_passes`` / ``test_verbose_reporting``: test classes
  (docs/guide/pytest-habits.md, "Not available: test classes").
- ``*_xdist*`` cases, ``TestProgressOutputStyle.test_xdist_*``: pytest-xdist.
- ``test_runtest_location_shown_before_test_starts``, ``test_report_collect_after_half_a_second``,
  ``test_fdopen_kept_alive_issue124``, ``test_via_exec``, ``TestTerminalProgressPlugin``:
  pexpect / a tty / the OSC 9;4 progress plugin / ``python -c`` exec of a test.
- ``test_collectonly_displays_test_description``'s YAML collector part (a custom collector),
  the docstring part is ported.
- ``test_warning_when_init_trumps_*``, ``test_no_warning_*``: ``__init__.py`` /
  rootdir-less config discovery warnings of pytest 9 (not in zenrun's docs).
- ``TestFineGrainedTestCase``: ``verbosity_test_cases`` ini key (not in zenrun's docs).
- ``TestNodeIDHandling``: Windows paths.
- ``test_capture.py``: ``test_logging_stream_ownership`` (pytest's ``capture.CaptureIO``),
  ``test_conftestlogging_is_shown`` (``-p no:capturelog``, pytest's plugin of old),
  ``test_logging_after_cap_stopped`` (live logs with a KeyboardInterrupt: the logging ports'),
  ``test_error_during_readouterr`` (monkeypatches ``_pytest.capture.FDCapture``),
  ``TestCaptureFixture`` (ported in ``test_pytest_capture.py``), ``test_close_and_capture_again``,
  ``test_global_capture_with_live_logging``, ``test_capture_with_live_logging``,
  ``test_logging_while_collecting``, ``test_libedit_workaround``, ``test_typeerror_encodedfile_write``
  and the other unit tests: not ported here.
- ``test_report_teststatus_explicit_markup``: ``pytest_report_teststatus`` has no zenrun
  counterpart (zenrun says so when a conftest defines ``zenrun_report_teststatus``; the
  hooks are docs/reference/hookspec.md's).
"""

from __future__ import annotations

import os
import sys

import pytest
from porting import bodies, pipelines

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(zenrunner, *args):
    return zenrunner.runzenrun_inprocess(*map(str, args))


# --- TestTerminal ---------------------------------------------------------------------------

PASS_SKIP_FAIL = """
    import pytest
    def test_ok():
        pass
    def test_skip():
        pytest.skip("xx")
    def test_func():
        assert 0
"""


@pytest.mark.parametrize(
    "args", [(), ("-v",), ("-q",), ("--fulltrace",)], ids=["default", "verbose", "quiet", "fulltrace"]
)
def test_pass_skip_fail(zenrunner, args):
    zenrunner.makepyfile(bodies(PASS_SKIP_FAIL))
    result = run(zenrunner, *args)
    if "-v" in args:
        result.stdout.fnmatch_lines(
            [
                "*pass_skip_fail.py::test_ok PASS*",
                "*pass_skip_fail.py::test_skip SKIP*",
                "*pass_skip_fail.py::test_func FAIL*",
            ]
        )
    elif "-q" in args:
        result.stdout.fnmatch_lines([".sF*"])
    else:
        result.stdout.fnmatch_lines(["*pass_skip_fail.py .sF*"])
    result.stdout.fnmatch_lines(["    def test_func():", ">       assert 0", "E       assert 0"])
    assert result.ret == 1


def test_console_output_style_times_with_skipped_and_passed(zenrunner):
    zenrunner.makepyfile(
        pipeline_repro=bodies("def test_hello():\n    pass\n"),
        pipeline_repro_skip='import zenrun\nzenrun.importorskip("fakepackage_does_not_exist")\n',
    )
    result = run(zenrunner, "pipeline_repro.py", "pipeline_repro_skip.py", "-o", "console_output_style=times")
    result.stdout.fnmatch_lines("* 1 passed, 1 skipped in *")
    combined = "\n".join(result.stdout.lines + result.stderr.lines)
    assert "INTERNALERROR" not in combined


@pytest.mark.parametrize("fulltrace", ["", "--fulltrace"])
def test_keyboard_interrupt(zenrunner, fulltrace):
    zenrunner.makepyfile(
        bodies(
            """
            import zenrun
            def test_foobar():
                assert 0
            def test_spamegg():
                zenrun.skip('skip me please!')
            def test_interrupt_me():
                raise KeyboardInterrupt   # simulating the user
            """
        )
    )
    result = run(zenrunner, *([fulltrace] if fulltrace else []))
    result.stdout.fnmatch_lines(
        [
            "    def test_foobar():",
            ">       assert 0",
            "E       assert 0",
            "*_keyboard_interrupt*.py:*: KeyboardInterrupt*",
        ]
    )
    if fulltrace:
        result.stdout.fnmatch_lines(["*raise KeyboardInterrupt   # simulating the user*"])
    else:
        result.stdout.fnmatch_lines(["(to show a full traceback on KeyboardInterrupt use --full-trace)"])
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert result.ret == 2


def test_keyboard_in_sessionstart(zenrunner):
    zenrunner.makeconftest("def zenrun_sessionstart():\n    raise KeyboardInterrupt\n")
    zenrunner.makepyfile(bodies("def test_foobar():\n    pass\n"))
    result = run(zenrunner)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])


def test_collect_single_item(zenrunner):
    zenrunner.makepyfile(bodies("def test_foobar():\n    pass\n"))
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["collected 1 pipeline"])


def test_verbose_skip_reason(zenrunner):
    zenrunner.makepyfile(
        pipeline_verbose_skip=bodies(
            """
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
            """
        )
    )
    m = "pipeline_verbose_skip.py"  # as long as pytest's name: the reasons are cut alike
    common_output = [
        f"{m}::test_1 SKIPPED (123) *",
        f"{m}::test_2 XPASS (456) *",
        f"{m}::test_3 XFAIL (789) *",
        f"{m}::test_4 XFAIL  *",
        f"{m}::test_5 SKIPPED (unconditional skip) *",
        f"{m}::test_6 XPASS  *",
        f"{m}::test_7 SKIPPED  *",
        f"{m}::test_8 SKIPPED (888 is great) *",
        f"{m}::test_9 XFAIL  *",
        f"{m}::test_10 XFAIL (It's 🕙 o'clock) *",
    ]
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(
        [
            *common_output,
            f"{m}::test_long_skip SKIPPED (1 cannot *...) *",
            f"{m}::test_long_xfail XFAIL (2 cannot *...) *",
        ]
    )
    result = run(zenrunner, "-vv")
    result.stdout.fnmatch_lines(
        [
            *common_output,
            f"{m}::test_long_skip SKIPPED (1 cannot do foobar",
            "because baz is missing due to I don't know what) *",
            f"{m}::test_long_xfail XFAIL (2 cannot do foobar",
            "because baz is missing due to I don't know what) *",
        ]
    )


# --- TestCollectonly ------------------------------------------------------------------------


def test_collectonly_basic(zenrunner):
    zenrunner.makepyfile(bodies("def test_func():\n    pass\n"))
    result = run(zenrunner, "--collect-only")
    result.stdout.fnmatch_lines(
        [
            f"<Dir {zenrunner.path.name}>",
            "  <Module pipeline_test_collectonly_basic.py>",
            "    <Pipeline test_func>",
        ]
    )


def test_collectonly_skipped_module(zenrunner):
    zenrunner.makepyfile('import zenrun\nzenrun.skip("hello")\n')
    result = run(zenrunner, "--collect-only", "-rs")
    result.stdout.fnmatch_lines(["*ERROR collecting*"])


def test_collectonly_displays_test_description(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            def test_with_description():
                '''  This test has a description.

                  more1.
                    more2.'''
            """
        )
    )
    result = run(zenrunner, "--collect-only", "--verbose")
    result.stdout.fnmatch_lines(
        [
            "  <Module pipeline_test_collectonly_displays_test_description.py>",
            "    <Pipeline test_with_description>",
            "      This test has a description.",
            "      ",
            "      more1.",
            "        more2.",
        ],
        consecutive=True,
    )


def test_collectonly_failed_module(zenrunner):
    zenrunner.makepyfile("raise ValueError(0)")
    result = run(zenrunner, "--collect-only")
    result.stdout.fnmatch_lines(["*raise ValueError*", "*1 error*"])


def test_collectonly_fatal(zenrunner):
    # pytest_collectstart has no zenrun counterpart: a collection hook that fails
    zenrunner.makeconftest('def zenrun_collection_modifyitems(items):\n    assert 0, "urgs"\n')
    result = run(zenrunner, "--collect-only")
    result.stdout.fnmatch_lines(["*INTERNAL*urgs*"])  # pytest: "*INTERNAL*args*", a line of pluggy's frame
    assert result.ret == 3


def test_collectonly_simple(zenrunner):
    p = zenrunner.makepyfile(bodies("def test_func1():\n    pass\n"))
    result = run(zenrunner, "--collect-only", p)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*<Module *.py>", "* <Pipeline test_func1>"])


def test_collectonly_error(zenrunner):
    p = zenrunner.makepyfile("import Errlkjqweqwe")
    result = run(zenrunner, "--collect-only", p)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*ERROR*", "*ImportError*", "*No module named *Errlk*", "*1 error*"])


def test_collectonly_missing_path(zenrunner):
    result = run(zenrunner, "--collect-only", "uhm_missing_path")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*ERROR: file or directory not found: uhm_missing_path"])


def test_collectonly_quiet(zenrunner):
    zenrunner.makepyfile(bodies("def test_foo(): pass"))
    result = run(zenrunner, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_foo*"])


def test_collectonly_more_quiet(zenrunner):
    zenrunner.makepyfile(pipeline_fun=bodies("def test_foo(): pass"))
    result = run(zenrunner, "--collect-only", "-qq")
    result.stdout.fnmatch_lines(["*pipeline_fun.py: 1*"])


def test_collect_only_summary_status(zenrunner):
    zenrunner.makepyfile(
        pipeline_collect_foo=bodies("def test_foo(): pass"),
        pipeline_collect_bar=bodies("def test_foobar(): pass\ndef test_bar(): pass\n"),
    )
    result = run(zenrunner, "--collect-only")
    result.stdout.fnmatch_lines("*== 3 pipelines collected in * ==*")
    result = run(zenrunner, "--collect-only", "pipeline_collect_foo.py")
    result.stdout.fnmatch_lines("*== 1 pipeline collected in * ==*")
    result = run(zenrunner, "--collect-only", "-k", "foo")
    result.stdout.fnmatch_lines("*== 2/3 pipelines collected (1 deselected) in * ==*")
    result = run(zenrunner, "--collect-only", "-k", "test_bar")
    result.stdout.fnmatch_lines("*== 1/3 pipelines collected (2 deselected) in * ==*")
    result = run(zenrunner, "--collect-only", "-k", "invalid")
    result.stdout.fnmatch_lines("*== no pipelines collected (3 deselected) in * ==*")
    zenrunner.mkdir("no_tests_here")
    result = run(zenrunner, "--collect-only", "no_tests_here")
    result.stdout.fnmatch_lines("*== no pipelines collected in * ==*")
    zenrunner.makepyfile(pipeline_contains_error="raise RuntimeError\n")
    result = run(zenrunner, "--collect-only")
    result.stdout.fnmatch_lines("*== 3 pipelines collected, 1 error in * ==*")
    result = run(zenrunner, "--collect-only", "-k", "foo")
    result.stdout.fnmatch_lines("*== 2/3 pipelines collected (1 deselected), 1 error in * ==*")


# --- TestFixtureReporting -------------------------------------------------------------------


def test_setup_fixture_error(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            def setup_function(function):
                print("setup func")
                assert 0
            def test_nada():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_nada*",
            "*setup_function(function):*",
            "*setup func*",
            "*assert 0*",
            "*1 error*",
        ]
    )
    assert result.ret != 0


def test_teardown_fixture_error(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            def test_nada():
                pass
            def teardown_function(function):
                print("teardown func")
                assert 0
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown*",
            "*teardown_function(function):*",
            "*assert 0*",
            "*Captured stdout*",
            "*teardown func*",
            "*1 passed*1 error*",
        ]
    )


def test_teardown_fixture_error_and_test_failure(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            def test_fail():
                assert 0, "failingfunc"

            def teardown_function(function):
                print("teardown func")
                assert False
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_fail*",
            "*teardown_function(function):*",
            "*assert False*",
            "*Captured stdout*",
            "*teardown func*",
            "*test_fail*",
            "*def test_fail():",
            "*failingfunc*",
            "*1 failed*1 error*",
        ]
    )


def test_setup_teardown_output_and_test_failure(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            def setup_function(function):
                print("setup func")

            def test_fail():
                assert 0, "failingfunc"

            def teardown_function(function):
                print("teardown func")
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            "*test_fail*",
            "*def test_fail():",
            "*failingfunc*",
            "*Captured stdout setup*",
            "*setup func*",
            "*Captured stdout teardown*",
            "*teardown func*",
            "*1 failed*",
        ]
    )


# --- TestTerminalFunctional -----------------------------------------------------------------

THREE = "def test_one():\n    pass\ndef test_two():\n    pass\ndef test_three():\n    pass\n"


def test_deselected(zenrunner):
    testpath = zenrunner.makepyfile(bodies(THREE))
    result = run(zenrunner, "-k", "test_t", testpath)
    result.stdout.fnmatch_lines(
        ["collected 3 pipelines / 1 deselected / 2 selected", "*test_deselected.py ..*"]
    )
    assert result.ret == 0


def test_deselected_with_hook_wrapper(zenrunner):
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
    testpath = zenrunner.makepyfile(bodies(THREE))
    result = run(zenrunner, testpath)
    result.stdout.fnmatch_lines(
        ["collected 3 pipelines / 1 deselected / 2 selected", "*= 2 passed, 1 deselected in*"]
    )
    assert result.ret == 0


def test_show_deselected_items_using_markexpr_before_test_execution(zenrunner):
    zenrunner.makepyfile(
        pipeline_show_deselected=bodies(
            """
            import pytest
            @pytest.mark.foo
            def test_foobar():
                pass
            @pytest.mark.bar
            def test_bar():
                pass
            def test_pass():
                pass
            """
        )
    )
    zenrunner.maketoml('markers = ["foo", "bar"]')  # unregistered marks would add warnings
    result = run(zenrunner, "-m", "not foo")
    result.stdout.fnmatch_lines(
        [
            "collected 3 pipelines / 1 deselected / 2 selected",
            "*pipeline_show_deselected.py ..*",
            "*= 2 passed, 1 deselected in * =*",
        ]
    )
    result.stdout.no_fnmatch_line("*= 1 deselected =*")
    assert result.ret == 0


def test_selected_count_with_error(zenrunner):
    zenrunner.makepyfile(
        pipeline_selected_count_3=bodies(THREE),
        pipeline_selected_count_error=bodies("5/0\ndef test_foo():\n    pass\ndef test_bar():\n    pass\n"),
    )
    result = run(zenrunner, "-k", "test_t")
    result.stdout.fnmatch_lines(
        [
            "collected 3 pipelines / 1 error / 1 deselected / 2 selected",
            "* ERROR collecting pipeline_selected_count_error.py *",
        ]
    )
    assert result.ret == 2


def test_no_skip_summary_if_failure(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            import pytest
            def test_ok():
                pass
            def test_fail():
                assert 0
            def test_skip():
                pytest.skip("dontshow")
            """
        )
    )
    result = run(zenrunner)
    assert result.stdout.str().find("skip test summary") == -1
    assert "dontshow" not in result.stdout.str()
    assert result.ret == 1


def test_passes(zenrunner):
    zenrunner.makepyfile(bodies("def test_passes():\n    pass\ndef test_method():\n    pass\n"))
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["pipeline_test_passes.py ..*", "* 2 pass*"])
    assert result.ret == 0


def test_header_trailer_info(zenrunner):
    import pluggy

    import zenrun

    zenrunner.makepyfile(bodies("def test_passes():\n    pass\n"))
    result = run(zenrunner)
    verinfo = ".".join(map(str, sys.version_info[:3]))
    result.stdout.fnmatch_lines(
        [
            "*===== zenrun session starts ====*",
            f"platform {sys.platform} -- Python {verinfo}*zenrun-{zenrun.__version__}**pluggy-{pluggy.__version__}",
            "*test_header_trailer_info.py .*",
            "=* 1 passed*in *.[0-9][0-9]s *=",
        ]
    )
    result.stdout.fnmatch_lines(["plugins: *"])


def test_no_header_trailer_info(zenrunner):
    import pluggy

    import zenrun

    zenrunner.makepyfile(bodies("def test_passes():\n    pass\n"))
    result = run(zenrunner, "--no-header")
    verinfo = ".".join(map(str, sys.version_info[:3]))
    result.stdout.no_fnmatch_line(
        f"platform {sys.platform} -- Python {verinfo}*zenrun-{zenrun.__version__}**pluggy-{pluggy.__version__}"
    )
    result.stdout.no_fnmatch_line("plugins: *")


def test_header(zenrunner):
    (zenrunner.path / "tests").mkdir()
    (zenrunner.path / "gui").mkdir()
    name = zenrunner.path.name
    # no configuration file (zenrunner's project pins the rootdir with an empty zenrun.toml)
    (zenrunner.path / "zenrun.toml").unlink()
    result = run(zenrunner)
    result.stdout.fnmatch_lines([f"rootdir: *{name}"])
    zenrunner.makeini("[zenrun]")
    result = run(zenrunner)
    result.stdout.fnmatch_lines([f"rootdir: *{name}", "configfile: tox.ini"])
    zenrunner.makeini(
        """
        [zenrun]
        pipelinepaths = tests gui
        """
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines([f"rootdir: *{name}", "configfile: tox.ini", "pipelinepaths: tests, gui"])
    result = run(zenrunner, "tests")
    result.stdout.fnmatch_lines([f"rootdir: *{name}", "configfile: tox.ini"])
    result.stdout.no_fnmatch_line("pipelinepaths: *")


def test_header_absolute_testpath(zenrunner):
    tests = zenrunner.path / "tests"
    tests.mkdir()
    zenrunner.makepyprojecttoml(f"[tool.zenrun]\npipelinepaths = ['{tests}']\n")
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [f"rootdir: *{zenrunner.path.name}", "configfile: pyproject.toml", f"pipelinepaths: {tests}"]
    )


def test_no_header(zenrunner):
    (zenrunner.path / "tests").mkdir()
    (zenrunner.path / "gui").mkdir()
    zenrunner.makeini("[zenrun]\npipelinepaths = tests gui\n")
    result = run(zenrunner, "--no-header")
    result.stdout.no_fnmatch_line("rootdir: *")
    result.stdout.no_fnmatch_line("configfile: *")
    result.stdout.no_fnmatch_line("pipelinepaths: *")
    result = run(zenrunner, "tests", "--no-header")
    result.stdout.no_fnmatch_line("rootdir: *")


def test_no_summary(zenrunner):
    p1 = zenrunner.makepyfile(bodies("def test_no_summary():\n    assert false\n"))
    result = run(zenrunner, p1, "--no-summary")
    result.stdout.no_fnmatch_line("*= FAILURES =*")


def test_no_summary_still_runs_terminal_summary_hook(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_terminal_summary(terminalreporter, exitstatus, config):
            terminalreporter.write_line("PLUGIN_TERMINAL_SUMMARY_RAN")
        """
    )
    p1 = zenrunner.makepyfile(bodies("def test_ok(): assert True"))
    result = run(zenrunner, p1, "--no-summary")
    result.stdout.fnmatch_lines(["PLUGIN_TERMINAL_SUMMARY_RAN"])
    result.stdout.no_fnmatch_line("*= FAILURES =*")


SHOWLOCALS = """
def test_showlocals():
    x = 3
    y = "x" * 5000
    assert 0
"""


def test_showlocals(zenrunner):
    p1 = zenrunner.makepyfile(bodies(SHOWLOCALS))
    result = run(zenrunner, p1, "-l")
    result.stdout.fnmatch_lines(["x* = 3", "y* = 'xxxxxx*"])


def test_showlocals_in_step(zenrunner):
    """The same, the locals being a step's (the ``check`` step's ``ok`` and ``message``)."""
    p1 = zenrunner.makepyfile(pipelines(SHOWLOCALS))
    result = run(zenrunner, p1, "-l")
    result.stdout.fnmatch_lines(["message* = 'assert 0'", "ok* = 0"])


def test_noshowlocals_addopts_override(zenrunner):
    zenrunner.makeini("[zenrun]\naddopts=--showlocals")
    p1 = zenrunner.makepyfile(bodies(SHOWLOCALS.replace("test_showlocals", "test_noshowlocals")))
    result = run(zenrunner, p1, "--no-showlocals")
    result.stdout.no_fnmatch_line("x* = 3")
    result.stdout.no_fnmatch_line("y* = 'xxxxxx*")
    result = run(zenrunner, p1)  # addopts alone: shown
    result.stdout.fnmatch_lines(["x* = 3"])


def test_showlocals_short(zenrunner):
    p1 = zenrunner.makepyfile(
        bodies(
            """
            def test_showlocals_short():
                x = 3
                y = "xxxx"
                assert 0
            """
        )
    )
    result = run(zenrunner, p1, "-l", "--tb=short")
    result.stdout.fnmatch_lines(
        [
            "pipeline_test_showlocals_short.py:*",
            "    assert 0",
            "E   assert 0",
            "        x          = 3",
            "        y          = 'xxxx'",
        ]
    )


def test_verbose_reporting(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            """
            import pytest
            def test_fail():
                raise ValueError()
            def test_pass():
                pass
            def test_skip():
                pytest.skip("hello")
            """
        )
    )
    result = run(zenrunner, p, "-v")
    result.stdout.fnmatch_lines(
        [
            "*test_verbose_reporting.py::test_fail *FAIL*",
            "*test_verbose_reporting.py::test_pass *PASS*",
            "*test_verbose_reporting.py::test_skip *SKIP*",
        ]
    )
    assert result.ret == 1


def test_quiet_reporting(zenrunner):
    p1 = zenrunner.makepyfile(bodies("def test_pass(): pass"))
    result = run(zenrunner, p1, "-q", "-p", "no:results")
    s = result.stdout.str()
    assert "session starts" not in s
    assert p1.name not in s
    assert "===" not in s
    assert "passed" in s


def test_more_quiet_reporting(zenrunner):
    p1 = zenrunner.makepyfile(bodies("def test_pass(): pass"))
    result = run(zenrunner, p1, "-qq", "-p", "no:results")
    s = result.stdout.str()
    assert "session starts" not in s
    assert p1.name not in s
    assert "===" not in s
    assert "passed" not in s


@pytest.mark.parametrize("params", [(), ("--collect-only",)], ids=["no-params", "collect-only"])
def test_report_collectionfinish_hook(zenrunner, params):
    zenrunner.makeconftest(
        """
        def zenrun_report_collectionfinish(config, start_path, items):
            return [f'hello from hook: {len(items)} items']
        """
    )
    zenrunner.makepyfile(
        bodies(
            """
            import pytest
            @pytest.mark.parametrize('i', range(3))
            def test(i):
                pass
            """
        )
    )
    result = run(zenrunner, *params)
    result.stdout.fnmatch_lines(["collected 3 pipelines", "hello from hook: 3 items"])


def test_summary_f_alias(zenrunner):
    zenrunner.makepyfile(bodies("def test():\n    assert False\n"))
    result = run(zenrunner, "-rfF")
    expected = "FAILED pipeline_test_summary_f_alias.py::test - assert False"
    result.stdout.fnmatch_lines([expected])
    assert result.stdout.lines.count(expected) == 1


def test_summary_s_alias(zenrunner):
    zenrunner.makepyfile(bodies("import pytest\n@pytest.mark.skip\ndef test():\n    pass\n"))
    result = run(zenrunner, "-rsS")
    # the line of the first decorator, as pytest's (its line 3); ``bodies`` adds 3 lines above
    expected = "SKIPPED [1] pipeline_test_summary_s_alias.py:5: unconditional skip"
    result.stdout.fnmatch_lines([expected])
    assert result.stdout.lines.count(expected) == 1


FOLDED = """
import pytest
@pytest.mark.parametrize("param", [True, False])
@pytest.mark.skip("Some reason")
def test(param):
    pass
"""


def test_summary_s_folded(zenrunner):
    zenrunner.makepyfile(bodies(FOLDED))
    result = run(zenrunner, "-rs")
    expected = "SKIPPED [2] pipeline_test_summary_s_folded.py:5: Some reason"  # pytest: :3 (3 lines added)
    result.stdout.fnmatch_lines([expected])
    assert result.stdout.lines.count(expected) == 1


def test_summary_s_unfolded(zenrunner):
    zenrunner.makepyfile(bodies(FOLDED))
    result = run(zenrunner, "-rs", "--no-fold-skipped")
    m = "pipeline_test_summary_s_unfolded.py"
    expected = [
        f"SKIPPED {m}::test[True] - Skipped: Some reason",
        f"SKIPPED {m}::test[False] - Skipped: Some reason",
    ]
    result.stdout.fnmatch_lines(expected)
    assert result.stdout.lines.count(expected[0]) == 1
    assert result.stdout.lines.count(expected[1]) == 1


@pytest.mark.parametrize(
    ("use_ci", "expected_message"),
    ((True, f"- AssertionError: {'this_failed' * 100}"), (False, "- AssertionError: this_failedt...")),
    ids=("on CI", "not on CI"),
)
def test_fail_extra_reporting(zenrunner, monkeypatch, use_ci, expected_message):
    if use_ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    # pytest's file name is test_fail_extra_reporting.py; one as long cuts the message alike
    zenrunner.makepyfile(pipeline_fail_extra_repor=bodies("def test_this(): assert 0, 'this_failed' * 100"))
    result = run(zenrunner, "-rN")
    result.stdout.no_fnmatch_line("*short pipeline summary*")
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        ["*pipeline summary*", f"FAILED pipeline_fail_extra_repor.py::test_this {expected_message}"]
    )


def test_fail_reporting_on_pass(zenrunner):
    zenrunner.makepyfile(bodies("def test_this(): assert 1"))
    result = run(zenrunner, "-rf")
    result.stdout.no_fnmatch_line("*short pipeline summary*")


def test_pass_extra_reporting(zenrunner):
    zenrunner.makepyfile(bodies("def test_this(): assert 1"))
    result = run(zenrunner)
    result.stdout.no_fnmatch_line("*short pipeline summary*")
    result = run(zenrunner, "-rp")
    result.stdout.fnmatch_lines(["*pipeline summary*", "PASS*test_pass_extra_reporting*"])


def test_pass_reporting_on_fail(zenrunner):
    zenrunner.makepyfile(bodies("def test_this(): assert 0"))
    result = run(zenrunner, "-rp")
    result.stdout.no_fnmatch_line("*short pipeline summary*")


def test_pass_output_reporting(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            def setup_module():
                print("setup_module")

            def teardown_module():
                print("teardown_module")

            def test_pass_has_output():
                print("Four score and seven years ago...")

            def test_pass_no_output():
                pass
            """
        )
    )
    result = run(zenrunner, "-p", "no:results")  # the results table names every pipeline
    s = result.stdout.str()
    assert "test_pass_has_output" not in s
    assert "Four score and seven years ago..." not in s
    assert "test_pass_no_output" not in s
    result = run(zenrunner, "-rPp", "-p", "no:results")
    m = "pipeline_test_pass_output_reporting.py"
    result.stdout.fnmatch_lines(
        [
            "*= PASSES =*",
            "*_ test_pass_has_output _*",
            "*- Captured stdout setup -*",
            "setup_module",
            "*- Captured stdout call -*",
            "Four score and seven years ago...",
            "*- Captured stdout teardown -*",
            "teardown_module",
            "*= short pipeline summary info =*",
            f"PASSED {m}::test_pass_has_output",
            f"PASSED {m}::test_pass_no_output",
            "*= 2 passed in *",
        ]
    )


RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def colored(patterns):
    """pytest's ``color_mapping.format_for_fnmatch``: ``[`` is literal in these patterns."""
    return [p.replace("[", "[[]") for p in patterns]


def test_color_yes(zenrunner):
    p1 = zenrunner.makepyfile(bodies("def fail():\n    assert 0\n\ndef test_this():\n    fail()\n"))
    result = run(zenrunner, "--color=yes", "-p", "no:results", p1)
    m = "pipeline_test_color_yes.py"
    result.stdout.fnmatch_lines(
        colored(
            [
                f"{BOLD}=*= zenrun session starts =*={RESET}",
                "collected 1 pipeline",
                "",
                f"{m} {RED}F{RESET}{RED} * [100%]{RESET}",
                "",
                "=*= FAILURES =*=",
                f"{RED}{BOLD}_*_ test_this _*_{RESET}",
                "",
                "*def*test_this*():*",
                ">       fail()*",
                "",
                f"{BOLD}{RED}{m}{RESET}:9: ",  # pytest: :5 (``bodies`` adds 4 lines above)
                "_ _ * _ _*",
                "",
                "*def*fail*():*",
                ">       *assert*0*",
                f"{BOLD}{RED}E       assert 0{RESET}",
                "",
                f"{BOLD}{RED}{m}{RESET}:5: AssertionError",
                f"{RED}=*= {RED}{BOLD}1 failed{RESET}{RED} in *s{RESET}{RED} =*={RESET}",
            ]
        )
    )
    result = run(zenrunner, "--color=yes", "--tb=short", "-p", "no:results", p1)
    result.stdout.fnmatch_lines(
        colored(
            [
                f"{BOLD}=*= zenrun session starts =*={RESET}",
                "collected 1 pipeline",
                "",
                f"{m} {RED}F{RESET}{RED} * [100%]{RESET}",
                "",
                "=*= FAILURES =*=",
                f"{RED}{BOLD}_*_ test_this _*_{RESET}",
                f"{BOLD}{RED}{m}{RESET}:9: in test_this",
                "    *fail()*",
                f"{BOLD}{RED}{m}{RESET}:5: in fail",
                "    *assert*0*",
                f"{BOLD}{RED}E   assert 0{RESET}",
                f"{RED}=*= {RED}{BOLD}1 failed{RESET}{RED} in *s{RESET}{RED} =*={RESET}",
            ]
        )
    )


def test_color_no(zenrunner):
    zenrunner.makepyfile(bodies("def test_this(): assert 1"))
    result = run(zenrunner, "--color=no")
    assert "session starts" in result.stdout.str()
    result.stdout.no_fnmatch_line("*\x1b[1m*")


@pytest.mark.parametrize("verbose", [True, False])
def test_color_yes_collection_on_non_atty(zenrunner, verbose):
    zenrunner.makepyfile(
        bodies("import pytest\n@pytest.mark.parametrize('i', range(10))\ndef test_this(i):\n    assert 1\n")
    )
    args = ["--color=yes"]
    if verbose:
        args.append("-vv")
    result = run(zenrunner, *args)
    assert "session starts" in result.stdout.str()
    assert "\x1b[1m" in result.stdout.str()
    result.stdout.no_fnmatch_line("*collecting 10 pipelines*")
    if verbose:
        assert "collecting ..." in result.stdout.str()
    assert "collected 10 pipelines" in result.stdout.str()


def test_tbstyle_short(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            """
            import pytest
            @pytest.fixture
            def arg(request):
                return 42
            def test_opt(arg):
                x = 0
                assert x
            """
        )
    )
    result = run(zenrunner, "--tb=short")
    s = result.stdout.str()
    assert "arg = 42" not in s
    assert "x = 0" not in s
    result.stdout.fnmatch_lines([f"*{p.name}:11*", "    assert x", "E   assert*"])  # pytest: :8
    result = run(zenrunner)
    s = result.stdout.str()
    assert "x = 0" in s
    assert "assert x" in s


def test_terminalreporter_reportopt_addopts(zenrunner):
    zenrunner.makeini("[zenrun]\naddopts=-rs")
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture
            def tr(request):
                tr = request.config.pluginmanager.getplugin("terminalreporter")
                return tr

            def test_opt(tr):
                assert tr.hasopt('skipped')
                assert not tr.hasopt('qwe')
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_durations_lists_steps(zenrunner):
    """``--durations`` (acceptance_test.py's ``TestDurations``): a line per step, documented
    (docs/guide/pytest-habits.md, "--durations lists steps"); the fast ones hidden. Each
    pipeline here calls ``check`` twice (``pass``, then the closing ``check(True)``): 4 steps."""
    zenrunner.makepyfile(pipelines("def test_1():\n    pass\ndef test_2():\n    pass\n"))
    result = run(zenrunner, "--durations=0", "--no-cache", "-p", "no:results")
    result.stdout.fnmatch_lines(
        ["*= slowest durations =*", "", "(4 durations < 0.005s hidden.  Use -vv to show these durations.)"]
    )
    result = run(zenrunner, "--durations=0", "--no-cache", "-vv", "-p", "no:results")
    result.stdout.fnmatch_lines(
        ["*= slowest durations =*", "*s completed *::test_1::check*", "*s completed *::test_2::check*"]
    )


def test_traceconfig(zenrunner):
    result = run(zenrunner, "--traceconfig")
    result.stdout.fnmatch_lines(["*active plugins*"])
    assert result.ret == 5


# --- TestGenericReporting -------------------------------------------------------------------

OPTIONS = [(), ("-v",), ("--tb=long", "--fulltrace")]
OPTION_IDS = ["default", "verbose", "fulltrace"]


@pytest.mark.parametrize("args", OPTIONS, ids=OPTION_IDS)
def test_collect_fail(zenrunner, args):
    zenrunner.makepyfile("import xyz\n")
    result = run(zenrunner, *args)
    result.stdout.fnmatch_lines(["ImportError while importing*", "*No module named *xyz*", "*1 error*"])


@pytest.mark.parametrize("args", OPTIONS, ids=OPTION_IDS)
def test_maxfailures(zenrunner, args):
    zenrunner.makepyfile(
        bodies("def test_1():\n    assert 0\ndef test_2():\n    assert 0\ndef test_3():\n    assert 0\n")
    )
    result = run(zenrunner, "--maxfail=2", *args)
    result.stdout.fnmatch_lines(
        ["*def test_1():*", "*def test_2():*", "*! stopping after 2 failures !*", "*2 failed*"]
    )


def test_maxfailures_with_interrupted(zenrunner):
    zenrunner.makepyfile(
        bodies('def test(request):\n    request.session.shouldstop = "session_interrupted"\n    assert 0\n')
    )
    result = run(zenrunner, "--maxfail=1", "-ra")
    result.stdout.fnmatch_lines(
        [
            "*= short pipeline summary info =*",
            "FAILED *",
            "*! stopping after 1 failures !*",
            "*! session_interrupted !*",
            "*= 1 failed in*",
        ]
    )


@pytest.mark.parametrize("args", OPTIONS[:2], ids=OPTION_IDS[:2])
def test_tb_option(zenrunner, args):
    zenrunner.makepyfile(
        bodies(
            """
            import pytest
            def g():
                raise IndexError
            def test_func():
                print(6*7)
                g()  # --calling--
            """
        )
    )
    for tbopt in ["long", "short", "no"]:
        result = run(zenrunner, "-rN", f"--tb={tbopt}", *args)
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


def test_tb_line_show_capture(zenrunner):
    output_to_capture = "help! let me out!"
    zenrunner.makepyfile(
        bodies(f"import pytest\ndef test_fail():\n    print('{output_to_capture}')\n    assert False\n")
    )
    result = run(zenrunner, "--tb=line")
    result.stdout.fnmatch_lines(["*- Captured stdout call -*", output_to_capture])


def test_tb_crashline(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            """
            import pytest
            def g():
                raise IndexError
            def test_func1():
                print(6*7)
                g()  # --calling--
            def test_func2():
                assert 0, "hello"
            """
        )
    )
    result = run(zenrunner, "--tb=line")
    bn = p.name
    # pytest: :3 and :8 (``bodies`` adds 3 lines above, and a ``@pipeline`` line above each)
    result.stdout.fnmatch_lines([f"*{bn}:6: IndexError*", f"*{bn}:13: AssertionError: hello*"])
    s = result.stdout.str()
    assert "def test_func2" not in s


def test_tb_crashline_pytrace_false(zenrunner):
    p = zenrunner.makepyfile(
        bodies("import pytest\ndef test_func1():\n    pytest.fail('test_func1', pytrace=False)\n")
    )
    result = run(zenrunner, "--tb=line")
    bn = p.name
    result.stdout.fnmatch_lines([f"*{bn}:7: Failed: test_func1"])  # pytest: :3


def test_pytest_report_header(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_sessionstart(session):
            session.config._somevalue = 42
        def zenrun_report_header(config):
            return "hello: %s" % config._somevalue
        """
    )
    zenrunner.mkdir("a").joinpath("conftest.py").write_text(
        "def zenrun_report_header(config, start_path):\n    return ['line1', str(start_path)]\n"
    )
    result = run(zenrunner, "a")
    result.stdout.fnmatch_lines(["*hello: 42*", "line1", str(zenrunner.path)])


def test_show_capture(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            import sys
            import logging
            def test_one():
                sys.stdout.write('!This is stdout!')
                sys.stderr.write('!This is stderr!')
                logging.warning('!This is a warning log msg!')
                assert False, 'Something failed'
            """
        )
    )
    result = run(zenrunner, "--tb=short")
    result.stdout.fnmatch_lines(
        ["!This is stdout!", "!This is stderr!", "*WARNING*!This is a warning log msg!"]
    )
    result = run(zenrunner, "--show-capture=all", "--tb=short")
    result.stdout.fnmatch_lines(
        ["!This is stdout!", "!This is stderr!", "*WARNING*!This is a warning log msg!"]
    )
    stdout = run(zenrunner, "--show-capture=stdout", "--tb=short").stdout.str()
    assert "!This is stderr!" not in stdout
    assert "!This is stdout!" in stdout
    assert "!This is a warning log msg!" not in stdout
    stdout = run(zenrunner, "--show-capture=stderr", "--tb=short").stdout.str()
    assert "!This is stdout!" not in stdout
    assert "!This is stderr!" in stdout
    assert "!This is a warning log msg!" not in stdout
    stdout = run(zenrunner, "--show-capture=log", "--tb=short").stdout.str()
    assert "!This is stdout!" not in stdout
    assert "!This is stderr!" not in stdout
    assert "!This is a warning log msg!" in stdout
    stdout = run(zenrunner, "--show-capture=no", "--tb=short").stdout.str()
    assert "!This is stdout!" not in stdout
    assert "!This is stderr!" not in stdout
    assert "!This is a warning log msg!" not in stdout


def test_show_capture_with_teardown_logs(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            import logging
            import sys
            import pytest

            @pytest.fixture(scope="pipeline", autouse="True")
            def hook_each_test(request):
                yield
                sys.stdout.write("!stdout!")
                sys.stderr.write("!stderr!")
                logging.warning("!log!")

            def test_func():
                assert False
            """
        )
    )
    result = run(zenrunner, "--show-capture=stdout", "--tb=short").stdout.str()
    assert "!stdout!" in result
    assert "!stderr!" not in result
    assert "!log!" not in result
    result = run(zenrunner, "--show-capture=stderr", "--tb=short").stdout.str()
    assert "!stdout!" not in result
    assert "!stderr!" in result
    assert "!log!" not in result
    result = run(zenrunner, "--show-capture=log", "--tb=short").stdout.str()
    assert "!stdout!" not in result
    assert "!stderr!" not in result
    assert "!log!" in result
    result = run(zenrunner, "--show-capture=no", "--tb=short").stdout.str()
    assert "!stdout!" not in result
    assert "!stderr!" not in result
    assert "!log!" not in result


def test_tbstyle_native_setup_error(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            import pytest
            @pytest.fixture
            def setup_error_fixture():
                raise Exception("error in exception")

            def test_error_fixture(setup_error_fixture):
                pass
            """
        )
    )
    result = run(zenrunner, "--tb=native")
    result.stdout.fnmatch_lines(
        ['*File *test_tbstyle_native_setup_error.py", line *, in setup_error_fixture*']
    )


def test_terminal_summary(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_terminal_summary(terminalreporter, exitstatus):
            w = terminalreporter
            w.section("hello")
            w.line("world")
            w.line("exitstatus: {0}".format(exitstatus))
        """
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*==== hello ====*", "world", "exitstatus: 5"])


WARNING_FAILURE = """
def test_failure():
    import warnings
    warnings.warn("warning_from_" + "test")
    assert 0
"""


def test_terminal_summary_warnings_are_displayed(zenrunner):
    zenrunner.makeconftest(
        """
        import warnings
        def zenrun_terminal_summary(terminalreporter):
            warnings.warn(UserWarning('internal warning'))
        """
    )
    zenrunner.makepyfile(bodies(WARNING_FAILURE))
    result = run(zenrunner, "-ra", "-W", "default::UserWarning")
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


def test_terminal_summary_warnings_header_once(zenrunner):
    zenrunner.makepyfile(bodies(WARNING_FAILURE))
    result = run(zenrunner, "-ra", "-W", "default::UserWarning")
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


def test_terminal_no_summary_warnings_header_once(zenrunner):
    zenrunner.makepyfile(bodies(WARNING_FAILURE))
    result = run(zenrunner, "--no-summary", "-W", "default")
    result.stdout.no_fnmatch_line("*= warnings summary =*")
    result.stdout.no_fnmatch_line("*= short pipeline summary info =*")


# --- test_summary_stats: the closing line and its colour, through runs ----------------------

GREEN, YELLOW = "\x1b[32m", "\x1b[33m"
_CODES = {"red": RED, "green": GREEN, "yellow": YELLOW, "bold": BOLD}
_SOURCES = {
    "failed": "def test_f{i}():\n    assert 0\n",
    "passed": "def test_p{i}():\n    pass\n",
    "error": "@pytest.fixture\ndef broken{i}():\n    raise ValueError\ndef test_e{i}(broken{i}):\n    pass\n",
    "skipped": "def test_s{i}():\n    pytest.skip('s')\n",
    "xfailed": "@pytest.mark.xfail\ndef test_x{i}():\n    assert 0\n",
    "xpassed": "@pytest.mark.xfail\ndef test_xp{i}():\n    pass\n",
    "deselected": "def test_deselected{i}():\n    pass\n",
    "warnings": "def test_w{i}():\n    import warnings; warnings.warn(UserWarning('w'))\n",
}


@pytest.mark.parametrize(
    "exp_color, exp_line, stats_arg",
    [
        ("red", [("1 failed", {"bold": True, "red": True})], {"failed": 1}),
        (
            "red",
            [("1 failed", {"bold": True, "red": True}), ("1 passed", {"bold": False, "green": True})],
            {"failed": 1, "passed": 1},
        ),
        ("red", [("1 error", {"bold": True, "red": True})], {"error": 1}),
        ("red", [("2 errors", {"bold": True, "red": True})], {"error": 2}),
        (
            "red",
            [("1 passed", {"bold": False, "green": True}), ("1 error", {"bold": True, "red": True})],
            {"error": 1, "passed": 1},
        ),
        (
            "yellow",
            [("1 passed", {"bold": False, "green": True}), ("1 warning", {"bold": True, "yellow": True})],
            {"warnings": 1},
        ),
        ("green", [("5 passed", {"bold": True, "green": True})], {"passed": 5}),
        ("yellow", [("1 skipped", {"bold": True, "yellow": True})], {"skipped": 1}),
        (
            "green",
            [("1 passed", {"bold": True, "green": True}), ("1 skipped", {"bold": False, "yellow": True})],
            {"skipped": 1, "passed": 1},
        ),
        ("yellow", [("1 deselected", {"bold": True, "yellow": True})], {"deselected": 1}),
        (
            "green",
            [("1 passed", {"bold": True, "green": True}), ("1 deselected", {"bold": False, "yellow": True})],
            {"deselected": 1, "passed": 1},
        ),
        ("yellow", [("1 xfailed", {"bold": True, "yellow": True})], {"xfailed": 1}),
        (
            "green",
            [("1 passed", {"bold": True, "green": True}), ("1 xfailed", {"bold": False, "yellow": True})],
            {"xfailed": 1, "passed": 1},
        ),
        ("yellow", [("1 xpassed", {"bold": True, "yellow": True})], {"xpassed": 1}),
        (
            "yellow",
            [("1 passed", {"bold": False, "green": True}), ("1 xpassed", {"bold": True, "yellow": True})],
            {"xpassed": 1, "passed": 1},
        ),
        ("yellow", [("no pipelines ran", {"yellow": True})], {}),
        (
            "red",
            [
                ("1 failed", {"bold": True, "red": True}),
                ("2 passed", {"bold": False, "green": True}),
                ("3 xfailed", {"bold": False, "yellow": True}),
            ],
            {"passed": 2, "failed": 1, "xfailed": 3},
        ),
        (
            "green",
            [
                ("1 passed", {"bold": True, "green": True}),
                ("2 skipped", {"bold": False, "yellow": True}),
                ("3 deselected", {"bold": False, "yellow": True}),
                ("2 xfailed", {"bold": False, "yellow": True}),
            ],
            {"passed": 1, "skipped": 2, "deselected": 3, "xfailed": 2},
        ),
    ],
)
def test_summary_stats(zenrunner, exp_color, exp_line, stats_arg):
    """pytest builds a ``TerminalReporter`` with made-up stats; here the run has them."""
    src = ["import pytest"]
    for outcome, count in stats_arg.items():
        if outcome == "warnings" and "passed" not in stats_arg:
            src += [_SOURCES[outcome].format(i=i) for i in range(count)]
            continue
        src += [_SOURCES[outcome].format(i=i) for i in range(count)]
    zenrunner.makepyfile(bodies("\n".join(src)))
    args = ["--color=yes", "-p", "no:results", "-W", "default::UserWarning"]
    if "deselected" in stats_arg:
        args += ["-k", "not deselected"]
    result = run(zenrunner, *args)
    main = _CODES[exp_color]
    parts = [
        # pytest's markup: the colour, then bold (its dicts compare equal in any order)
        "".join(_CODES[name] for name in sorted(markup, key=lambda n: n == "bold") if markup[name])
        + text
        + RESET
        for text, markup in exp_line
    ]
    line = f"{main}=* " + ", ".join(parts) + f"{main} in *s{RESET}{main} =*={RESET}"
    result.stdout.fnmatch_lines(colored([line]))


# --- TestClassicOutputStyle -----------------------------------------------------------------


@pytest.fixture
def classic_files(zenrunner):
    zenrunner.makepyfile(
        **{
            "pipeline_one.py": bodies("def test_one(): pass"),
            "pipeline_two.py": bodies("def test_two(): assert 0"),
            "sub/pipeline_three.py": bodies(
                "def test_three_1(): pass\ndef test_three_2(): assert 0\ndef test_three_3(): pass\n"
            ),
        }
    )


def test_classic_normal_verbosity(zenrunner, classic_files):
    result = run(zenrunner, "-o", "console_output_style=classic")
    result.stdout.fnmatch_lines(
        [
            "pipeline_one.py .",
            "pipeline_two.py F",
            f"sub{os.sep}pipeline_three.py .F.",
            "*2 failed, 3 passed in*",
        ]
    )


def test_classic_verbose(zenrunner, classic_files):
    result = run(zenrunner, "-o", "console_output_style=classic", "-v")
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


def test_classic_quiet(zenrunner, classic_files):
    result = run(zenrunner, "-o", "console_output_style=classic", "-q")
    result.stdout.fnmatch_lines([".F.F.", "*2 failed, 3 passed in*"])


def test_console_output_style_invalid(zenrunner):
    result = run(zenrunner, "-o", "console_output_style=fancy")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*ERROR: *console_output_style*fancy*"])


# --- TestProgressOutputStyle ----------------------------------------------------------------


@pytest.fixture
def many_tests_files(zenrunner):
    zenrunner.makepyfile(
        pipeline_bar=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(10))\ndef test_bar(i): pass\n"
        ),
        pipeline_foo=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foo(i): pass\n"
        ),
        pipeline_foobar=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foobar(i): pass\n"
        ),
    )


def test_progress_normal(zenrunner, many_tests_files):
    output = run(zenrunner)
    output.stdout.re_match_lines(
        [
            r"pipeline_bar.py \.{10} \s+ \[ 50%\]",
            r"pipeline_foo.py \.{5} \s+ \[ 75%\]",
            r"pipeline_foobar.py \.{5} \s+ \[100%\]",
        ]
    )


def test_colored_progress(zenrunner, monkeypatch):
    monkeypatch.setenv("PY_COLORS", "1")
    zenrunner.makepyfile(
        pipeline_axfail=bodies("import pytest\n@pytest.mark.xfail\ndef test_axfail(): assert 0\n"),
        pipeline_bar=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(10))\ndef test_bar(i): pass\n"
        ),
        pipeline_foo=bodies(
            "import pytest\nimport warnings\n@pytest.mark.parametrize('i', range(5))\ndef test_foo(i):\n"
            "    warnings.warn(DeprecationWarning('collection'))\n    pass\n"
        ),
        pipeline_foobar=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foobar(i): raise ValueError()\n"
        ),
    )
    r, g, y, x = (c.replace("[", r"\[") for c in (RED, GREEN, YELLOW, RESET))
    result = run(zenrunner, "-W", "default::DeprecationWarning")
    result.stdout.re_match_lines(
        [
            rf"pipeline_axfail.py {y}x{x}{g} \s+ \[  4%\]{x}",
            rf"pipeline_bar.py ({g}\.{x}){{10}}{g} \s+ \[ 52%\]{x}",
            rf"pipeline_foo.py ({g}\.{x}){{5}}{y} \s+ \[ 76%\]{x}",
            rf"pipeline_foobar.py ({r}F{x}){{5}}{r} \s+ \[100%\]{x}",
        ]
    )
    result = run(zenrunner, "pipeline_axfail.py", "-p", "no:results")
    b = BOLD.replace("[", r"\[")
    result.stdout.re_match_lines(
        [rf"pipeline_axfail.py {y}x{x}{y} \s+ \[100%\]{x}", rf"^{y}=+ ({y}{b}|{b}{y})1 xfailed{x}{y} in "]
    )


def _ini(zenrunner, style):
    zenrunner.makeini(f"[zenrun]\nconsole_output_style = {style}\n")


def test_progress_count(zenrunner, many_tests_files):
    _ini(zenrunner, "count")
    output = run(zenrunner)
    output.stdout.re_match_lines(
        [
            r"pipeline_bar.py \.{10} \s+ \[10/20\]",
            r"pipeline_foo.py \.{5} \s+ \[15/20\]",
            r"pipeline_foobar.py \.{5} \s+ \[20/20\]",
        ]
    )


TIME = r"\d{1,3}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$"


def test_progress_times(zenrunner, many_tests_files):
    _ini(zenrunner, "times")
    output = run(zenrunner)
    output.stdout.re_match_lines(
        [
            rf"pipeline_bar.py \.{{10}} \s+ {TIME}",
            rf"pipeline_foo.py \.{{5}} \s+ {TIME}",
            rf"pipeline_foobar.py \.{{5}} \s+ {TIME}",
        ]
    )


def test_progress_times_multiline(zenrunner, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    zenrunner.makepyfile(
        pipeline_bar=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(30))\ndef test_bar(i): pass\n"
        ),
        pipeline_foo=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_foo(i): pass\n"
        ),
    )
    _ini(zenrunner, "times")
    output = run(zenrunner)
    # pytest's "test_bar.py " is as long as ours less 4: 4 more dots fit on its first line
    output.stdout.re_match_lines(
        [
            r"pipeline_bar.py ...............",
            r"............... \s+ \d{1,4}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
            r"pipeline_foo.py \.{5} \s+ \d{1,4}[\.[a-z\ ]{1,2}\d{0,3}\w{1,2}$",
        ],
        consecutive=True,
    )


def test_progress_times_none_collected(zenrunner):
    _ini(zenrunner, "times")
    output = run(zenrunner)
    assert output.ret == 5


def test_progress_verbose(zenrunner, many_tests_files):
    output = run(zenrunner, "-v")
    output.stdout.re_match_lines(
        [
            r"pipeline_bar.py::test_bar\[0\] PASSED \s+ \[  5%\]",
            r"pipeline_foo.py::test_foo\[4\] PASSED \s+ \[ 75%\]",
            r"pipeline_foobar.py::test_foobar\[4\] PASSED \s+ \[100%\]",
        ]
    )


def test_progress_verbose_count(zenrunner, many_tests_files):
    _ini(zenrunner, "count")
    output = run(zenrunner, "-v")
    output.stdout.re_match_lines(
        [
            r"pipeline_bar.py::test_bar\[0\] PASSED \s+ \[ 1/20\]",
            r"pipeline_foo.py::test_foo\[4\] PASSED \s+ \[15/20\]",
            r"pipeline_foobar.py::test_foobar\[4\] PASSED \s+ \[20/20\]",
        ]
    )


def test_progress_verbose_times(zenrunner, many_tests_files):
    _ini(zenrunner, "times")
    output = run(zenrunner, "-v")
    output.stdout.re_match_lines(
        [
            rf"pipeline_bar.py::test_bar\[0\] PASSED \s+ {TIME}",
            rf"pipeline_foo.py::test_foo\[4\] PASSED \s+ {TIME}",
            rf"pipeline_foobar.py::test_foobar\[4\] PASSED \s+ {TIME}",
        ]
    )


def test_progress_capture_no(zenrunner, many_tests_files):
    output = run(zenrunner, "-s")
    output.stdout.re_match_lines(
        [r"pipeline_bar.py \.{10}", r"pipeline_foo.py \.{5}", r"pipeline_foobar.py \.{5}"]
    )
    output = run(zenrunner, "--capture=no")
    output.stdout.no_fnmatch_line("*%]*")


def test_progress_capture_no_progress_enabled(zenrunner, many_tests_files):
    _ini(zenrunner, "progress-even-when-capture-no")
    output = run(zenrunner, "-s")
    output.stdout.re_match_lines(
        [
            r"pipeline_bar.py \.{10} \s+ \[ 50%\]",
            r"pipeline_foo.py \.{5} \s+ \[ 75%\]",
            r"pipeline_foobar.py \.{5} \s+ \[100%\]",
        ]
    )


# --- TestProgressWithTeardown ---------------------------------------------------------------

FAIL_TEARDOWN = """
import zenrun
@zenrun.fixture
def fail_teardown():
    yield
    assert False
"""


@pytest.fixture
def many_files(zenrunner):
    zenrunner.makeconftest(FAIL_TEARDOWN)
    zenrunner.makepyfile(
        pipeline_bar=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(5))\ndef test_bar(fail_teardown, i):\n    pass\n"
        ),
        pipeline_foo=bodies(
            "import pytest\n@pytest.mark.parametrize('i', range(15))\ndef test_foo(fail_teardown, i):\n    pass\n"
        ),
    )


def test_teardown_simple(zenrunner):
    zenrunner.makeconftest(FAIL_TEARDOWN)
    zenrunner.makepyfile(bodies("def test_foo(fail_teardown):\n    pass\n"))
    output = run(zenrunner)
    output.stdout.re_match_lines([r"pipeline_test_teardown_simple.py \.E\s+\[100%\]"])


def test_teardown_with_test_also_failing(zenrunner):
    zenrunner.makeconftest(FAIL_TEARDOWN)
    zenrunner.makepyfile(
        pipeline_teardown_also_failing=bodies("def test_foo(fail_teardown):\n    assert 0\n")
    )
    output = run(zenrunner, "-rfE")
    output.stdout.re_match_lines(
        [
            r"pipeline_teardown_also_failing.py FE\s+\[100%\]",
            "FAILED pipeline_teardown_also_failing.py::test_foo - assert 0",
            "ERROR pipeline_teardown_also_failing.py::test_foo - assert False",
        ]
    )


def test_teardown_many(zenrunner, many_files):
    output = run(zenrunner)
    output.stdout.re_match_lines(
        [r"pipeline_bar.py (\.E){5}\s+\[ 25%\]", r"pipeline_foo.py (\.E){15}\s+\[100%\]"]
    )


def test_teardown_many_verbose(zenrunner, many_files):
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(
        colored(
            [
                "pipeline_bar.py::test_bar[0] PASSED  * [  5%]",
                "pipeline_bar.py::test_bar[0] ERROR   * [  5%]",
                "pipeline_bar.py::test_bar[4] PASSED  * [ 25%]",
                "pipeline_foo.py::test_foo[14] PASSED * [100%]",
                "pipeline_foo.py::test_foo[14] ERROR  * [100%]",
                "=* 20 passed, 20 errors in *",
            ]
        )
    )


# --- summaries under -vv, collection errors, code highlighting, xfail / xpass -------------------


def test_short_summary_with_verbose(zenrunner, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    n = 200
    # a file name as long as pytest's (test_short_summary_with_verbose.py): cut alike
    zenrunner.makepyfile(
        pipeline_short_summary_verbose1=bodies(
            f'def test():\n    s1 = "A" * {n}\n    s2 = "B" * {n}\n    assert s1 == s2\n'
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*short pipeline summary info*", "* assert 'AAA..."])
    result = run(zenrunner, "-vv")
    result.stdout.fnmatch_lines(["*short pipeline summary info*", f"*{'A' * n}*{'B' * n}'"])


def test_full_sequence_print_with_vv(zenrunner, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    zenrunner.makepyfile(
        bodies(
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
    result = run(zenrunner, "-vv")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*short pipeline summary info*",
            f"*{list(range(10))}*",
            f"*{dict(zip(range(10), range(10), strict=True))}*",
        ]
    )


def test_force_short_summary(zenrunner, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    zenrunner.makepyfile(pipeline_force_short_sum=bodies('def test():\n    assert "a\\n" * 10 == ""\n'))
    result = run(zenrunner, "-vv", "--force-short-summary")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*short pipeline summary info*", "*AssertionError: assert 'a\\na\\na\\na..."]
    )


def test_collecterror(zenrunner):
    p1 = zenrunner.makepyfile("raise SyntaxError()")
    result = run(zenrunner, "-ra", str(p1))
    result.stdout.fnmatch_lines(
        [
            "collected 0 pipelines / 1 error",
            "*= ERRORS =*",
            "*_ ERROR collecting pipeline_test_collecterror.py _*",
            "E   SyntaxError: *",
            "*= short pipeline summary info =*",
            "ERROR pipeline_test_collecterror.py",
            "*! Interrupted: 1 error during collection !*",
            "*= 1 error in *",
        ]
    )


def test_no_summary_collecterror(zenrunner):
    p1 = zenrunner.makepyfile("raise SyntaxError()")
    result = run(zenrunner, "-ra", "--no-summary", str(p1))
    result.stdout.no_fnmatch_line("*= ERRORS =*")


KW, HL, FUNC, NUM, END = "\x1b[94m", "\x1b[39;49;00m", "\x1b[92m", "\x1b[94m", "\x1b[90m\x1b[39;49;00m"


def test_code_highlight_simple(zenrunner):
    zenrunner.makepyfile(bodies("def test_foo():\n    assert 1 == 10\n"))
    result = run(zenrunner, "--color=yes")
    result.stdout.fnmatch_lines(
        colored(
            [
                f"    {KW}def{HL}\x1b[90m {HL}{FUNC}test_foo{HL}():{END}",
                f">       {KW}assert{HL} {NUM}1{HL} == {NUM}10{HL}{END}",
                f"{BOLD}{RED}E       assert 1 == 10{RESET}",
            ]
        )
    )


def test_code_highlight_continuation(zenrunner):
    zenrunner.makepyfile(bodies("def test_foo():\n    print('''\n    '''); assert 0\n"))
    result = run(zenrunner, "--color=yes")
    result.stdout.fnmatch_lines(
        colored(
            [
                f"    {KW}def{HL}\x1b[90m {HL}{FUNC}test_foo{HL}():{END}",
                f"        \x1b[96mprint{HL}(\x1b[33m'''{HL}\x1b[33m{HL}",
                f">   \x1b[33m    {HL}\x1b[33m'''{HL}); {KW}assert{HL} {NUM}0{HL}{END}",
                f"{BOLD}{RED}E       assert 0{RESET}",
            ]
        )
    )


def test_summary_xfail_reason(zenrunner):
    zenrunner.makepyfile(
        bodies(
            """
            import pytest
            @pytest.mark.xfail
            def test_xfail():
                assert False

            @pytest.mark.xfail(reason="foo")
            def test_xfail_reason():
                assert False
            """
        )
    )
    result = run(zenrunner, "-rx")
    expect1 = "XFAIL pipeline_test_summary_xfail_reason.py::test_xfail"
    expect2 = "XFAIL pipeline_test_summary_xfail_reason.py::test_xfail_reason - foo"
    result.stdout.fnmatch_lines([expect1, expect2])
    assert result.stdout.lines.count(expect1) == 1
    assert result.stdout.lines.count(expect2) == 1


XFAIL_FILE = """
import pytest
def test_fail():
    a, b = 1, 2
    assert a == b

@pytest.mark.xfail
def test_xfail():
    c, d = 3, 4
    assert c == d
"""


def test_xfail_tb_default(zenrunner):
    p = zenrunner.makepyfile(bodies(XFAIL_FILE))
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "*_ test_fail _*",
            "*def test_fail():*",
            "*        a, b = 1, 2*",
            "*>       assert a == b*",
            "*E       assert 1 == 2*",
        ]
    )
    result.stdout.no_fnmatch_line("*= XFAILURES =*")


def test_xfail_tb_true(zenrunner):
    p = zenrunner.makepyfile(bodies(XFAIL_FILE))
    result = run(zenrunner, p, "--xfail-tb")
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "*_ test_fail _*",
            "*def test_fail():*",
            "*        a, b = 1, 2*",
            "*>       assert a == b*",
            "*E       assert 1 == 2*",
            "*= XFAILURES =*",
            "*_ test_xfail _*",
            "*def test_xfail():*",
            "*        c, d = 3, 4*",
            "*>       assert c == d*",
            "*E       assert 3 == 4*",
            "*short pipeline summary info*",
        ]
    )


def test_xfail_tb_line(zenrunner):
    p = zenrunner.makepyfile(bodies(XFAIL_FILE))
    result = run(zenrunner, p, "--xfail-tb", "--tb=line")
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "*pipeline_test_xfail_tb_line.py:8: assert 1 == 2",  # pytest: :5 and :10
            "*= XFAILURES =*",
            "*pipeline_test_xfail_tb_line.py:14: assert 3 == 4",
            "*short pipeline summary info*",
        ]
    )


def test_summary_xpass_reason(zenrunner):
    zenrunner.makepyfile(
        bodies(
            'import pytest\n@pytest.mark.xfail\ndef test_pass():\n    ...\n@pytest.mark.xfail(reason="foo")\ndef test_reason():\n    ...\n'
        )
    )
    result = run(zenrunner, "-rX")
    expect1 = "XPASS pipeline_test_summary_xpass_reason.py::test_pass"
    expect2 = "XPASS pipeline_test_summary_xpass_reason.py::test_reason - foo"
    result.stdout.fnmatch_lines([expect1, expect2])
    assert result.stdout.lines.count(expect1) == 1
    assert result.stdout.lines.count(expect2) == 1


def test_xpass_output(zenrunner):
    zenrunner.makepyfile(
        bodies("import pytest\n@pytest.mark.xfail\ndef test_pass():\n    print('hi there')\n")
    )
    result = run(zenrunner, "-rX", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*= XPASSES =*",
            "*_ test_pass _*",
            "*- Captured stdout call -*",
            "*= short pipeline summary info =*",
            "XPASS pipeline_test_xpass_output.py::test_pass*",
            "*= 1 xpassed in * =*",
        ]
    )


# --- testing/test_capture.py: what a run captures and shows -------------------------------------


@pytest.mark.parametrize("method", ["fd", "sys"])
def test_capturing_unicode(zenrunner, method):
    obj = "'b\u00f6y'"
    zenrunner.makepyfile(
        bodies(f"def test_unicode():\n    import sys\n    print(sys.stdout)\n    print({obj})\n")
    )
    result = run(zenrunner, f"--capture={method}")
    result.stdout.fnmatch_lines(["*1 passed*"])


@pytest.mark.parametrize("method", ["fd", "sys"])
def test_capturing_bytes_in_utf8_encoding(zenrunner, method):
    zenrunner.makepyfile(bodies("def test_unicode():\n    print('b\\u00f6y')\n"))
    result = run(zenrunner, f"--capture={method}")
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_collect_capturing(zenrunner):
    p = zenrunner.makepyfile(
        'import sys\nprint("collect %s failure" % 13)\nsys.stderr.write("collect %s_stderr failure" % 13)\nimport xyz42123\n'
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(
        ["*Captured stdout*", "collect 13 failure", "*Captured stderr*", "collect 13_stderr failure"]
    )


def test_capture_and_fixtures(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            """
            def setup_module(mod):
                print("setup module")

            def setup_function(function):
                print("setup " + function.__name__)

            def test_func1():
                print("in func1")
                assert 0

            def test_func2():
                print("in func2")
                assert 0
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(
        ["setup module*", "setup test_func1*", "in func1*", "setup test_func2*", "in func2*"]
    )


def test_no_carry_over(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            'def test_func1():\n    print("in func1")\ndef test_func2():\n    print("in func2")\n    assert 0\n'
        )
    )
    result = run(zenrunner, p)
    s = result.stdout.str()
    assert "in func1" not in s
    assert "in func2" in s


def test_teardown_capturing(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            """
            def setup_function(function):
                print("setup func1")

            def teardown_function(function):
                print("teardown func1")
                assert 0

            def test_func1():
                print("in func1")
                pass
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(
        ["*teardown_function*", "*Captured stdout*", "setup func1*", "in func1*", "teardown func1*"]
    )


def test_teardown_capturing_final(zenrunner):
    p = zenrunner.makepyfile(
        bodies(
            'def teardown_module(mod):\n    print("teardown module")\n    assert 0\n\ndef test_func():\n    pass\n'
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(
        ["*def teardown_module(mod):*", "*Captured stdout*", "*teardown module*", "*1 error*"]
    )


def test_capturing_outerr(zenrunner):
    p1 = zenrunner.makepyfile(
        bodies(
            """
            import sys
            def test_capturing():
                print(42)
                sys.stderr.write(str(23))

            def test_capturing_error():
                print(1)
                sys.stderr.write(str(2))
                raise ValueError
            """
        )
    )
    result = run(zenrunner, p1)
    result.stdout.fnmatch_lines(
        [
            "*test_capturing_outerr.py .F*",
            "====* FAILURES *====",
            "____*____",
            "*test_capturing_outerr.py:14: ValueError",  # pytest: :8
            "*--- Captured stdout *call*",
            "1",
            "*--- Captured stderr *call*",
            "2",
        ]
    )


def test_capturing_outerr_in_step(zenrunner):
    """The same with the output in a step: its section is titled after the step."""
    p1 = zenrunner.makepyfile(
        """
        import sys
        from zenrun import pipeline, step

        @step
        def work():
            print(1)
            sys.stderr.write(str(2))
            raise ValueError

        @pipeline
        def test_capturing_error():
            work()
        """
    )
    result = run(zenrunner, p1)
    result.stdout.fnmatch_lines(
        [
            "====* FAILURES *====",
            "*ValueError",
            "*--- Captured stdout (work) ---*",
            "1",
            "*--- Captured stderr (work) ---*",
            "2",
        ]
    )


@pytest.mark.parametrize("optargs", [("--capture=sys",), ("--capture=fd",)])
def test_logging_and_immediate_setupteardown(zenrunner, optargs):
    p = zenrunner.makepyfile(
        bodies(
            """
            import logging
            def setup_function(function):
                logging.warning("hello1")

            def test_logging():
                logging.warning("hello2")
                assert 0

            def teardown_function(function):
                logging.warning("hello3")
                assert 0
            """
        )
    )
    result = run(zenrunner, p, *optargs)
    s = result.stdout.str()
    result.stdout.fnmatch_lines(["*WARN*hello3", "*WARN*hello1", "*WARN*hello2"])  # errors show first!
    assert "closed" not in s


@pytest.mark.parametrize("optargs", [("--capture=sys",), ("--capture=fd",)])
def test_logging_and_crossscope_fixtures(zenrunner, optargs):
    p = zenrunner.makepyfile(
        bodies(
            """
            import logging
            def setup_module(function):
                logging.warning("hello1")

            def test_logging():
                logging.warning("hello2")
                assert 0

            def teardown_module(function):
                logging.warning("hello3")
                assert 0
            """
        )
    )
    result = run(zenrunner, p, *optargs)
    s = result.stdout.str()
    result.stdout.fnmatch_lines(["*WARN*hello3", "*WARN*hello1", "*WARN*hello2"])  # errors come first
    assert "closed" not in s


def test_conftestlogging_and_test_logging(zenrunner):
    zenrunner.makeconftest("import logging\nlogging.basicConfig()\n")
    p = zenrunner.makepyfile(
        bodies('def test_hello():\n    import logging\n    logging.warning("hello433")\n    assert 0\n')
    )
    result = run(zenrunner, p)  # pytest: -p no:capturelog, a plugin of old (it disables nothing)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["WARNING*hello433*"])
    assert "operation on closed file" not in result.stderr.str()


def test_setup_failure_does_not_kill_capturing(zenrunner):
    sub1 = zenrunner.mkpydir("sub1")
    sub1.joinpath("conftest.py").write_text("def zenrun_runtest_setup(item):\n    raise ValueError(42)\n")
    sub1.joinpath("pipeline_mod.py").write_text(bodies("def test_func1(): pass"))
    result = run(zenrunner, zenrunner.path, "--traceconfig")
    result.stdout.fnmatch_lines(["*ValueError(42)*", "*1 error*"])


def test_capture_conftest_runtest_setup(zenrunner):
    zenrunner.makeconftest('def zenrun_runtest_setup():\n    print("hello19")\n')
    zenrunner.makepyfile(bodies("def test_func(): pass"))
    result = run(zenrunner)
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*hello19*")


def test_capture_badoutput_issue412(zenrunner):
    zenrunner.makepyfile(
        bodies(
            "import os\ndef test_func():\n    omg = bytearray([1,129,1])\n    os.write(1, omg)\n    assert 0\n"
        )
    )
    result = run(zenrunner, "--capture=fd")
    result.stdout.fnmatch_lines(["*def test_func*", "*assert 0*", "*Captured*", "*1 failed*"])


def test_capture_early_option_parsing(zenrunner):
    zenrunner.makeconftest('def zenrun_runtest_setup():\n    print("hello19")\n')
    zenrunner.makepyfile(bodies("def test_func(): pass"))
    result = zenrunner.runzenrun_subprocess("-vs")  # -s: the process's own stdout
    assert result.ret == 0
    assert "hello19" in result.stdout.str()


def test_capture_binary_output(zenrunner):
    zenrunner.makepyfile(
        bodies(
            r"""
            import pytest
            def test_a():
                import sys
                import subprocess
                subprocess.call([sys.executable, __file__])

            def test_foo():
                import os;os.write(1, b'\xc3')

            if __name__ == '__main__':
                test_foo.fn()
            """
        )
    )
    result = run(zenrunner, "--assert=plain")
    result.assert_outcomes(passed=2)


def test_code_highlight_custom_theme(zenrunner, monkeypatch):
    zenrunner.makepyfile(bodies("def test_foo():\n    assert 1 == 10\n"))
    monkeypatch.setenv("PYTEST_THEME", "solarized-dark")
    monkeypatch.setenv("PYTEST_THEME_MODE", "dark")
    result = run(zenrunner, "--color=yes")
    result.stdout.fnmatch_lines(
        colored(
            [
                f"    {KW}def{HL}\x1b[90m {HL}{FUNC}test_foo{HL}():{END}",
                f">       {KW}assert{HL} {NUM}1{HL} == {NUM}10{HL}{END}",
                f"{BOLD}{RED}E       assert 1 == 10{RESET}",
            ]
        )
    )


def test_code_highlight_invalid_theme(zenrunner, monkeypatch):
    zenrunner.makepyfile(bodies("def test_foo():\n    assert 1 == 10\n"))
    monkeypatch.setenv("PYTEST_THEME", "invalid")
    result = zenrunner.runzenrun_subprocess("--color=yes")
    result.stderr.fnmatch_lines(
        "ERROR: PYTEST_THEME environment variable has an invalid value: 'invalid'. "
        "Hint: See available pygments styles with `pygmentize -L styles`."
    )


def test_code_highlight_invalid_theme_mode(zenrunner, monkeypatch):
    zenrunner.makepyfile(bodies("def test_foo():\n    assert 1 == 10\n"))
    monkeypatch.setenv("PYTEST_THEME_MODE", "invalid")
    result = zenrunner.runzenrun_subprocess("--color=yes")
    result.stderr.fnmatch_lines(
        "ERROR: PYTEST_THEME_MODE environment variable has an invalid value: 'invalid'. "
        "The allowed values are 'dark' (default) and 'light'."
    )
