"""The ``zenrunner`` fixture itself: pytester's habits and the in-process mode."""

import logging
import os
import sys
from pathlib import Path

import pytest

import zenrun
import zenrun.testing

PIPELINE = """
from zenrun import step, pipeline

@step
def one() -> int:
    return {value}

@step
def check(x: int) -> None:
    assert x == 1, f"got {{x}}"

@pipeline
def demo():
    check(one())
"""


@pytest.mark.parametrize("inprocess", [False, True], ids=["subprocess", "inprocess"])
def test_same_result_in_both_modes(zenrunner, inprocess):
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=2))
    result = zenrunner.run("-v", inprocess=inprocess)
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    assert result.parseoutcomes() == {"failed": 1}
    result.stdout.fnmatch_lines(["*Step one has started.*", "*FAILURES*", "*got 2*"])
    result.fnmatch_lines(["*1 failed in*"])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert "pipeline_demo.py::demo FAILED" in result.stdout
    assert isinstance(result.stdout.str(), str) and result.stdout.lines == result.outlines


def test_inprocess_imports_project_modules_afresh(zenrunner, tmp_path_factory):
    before_path, before_cwd = list(sys.path), os.getcwd()
    before_handlers = list(logging.getLogger("zenrun").handlers)
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=1))
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
    assert "pipeline_demo" not in sys.modules
    # Same module name, other content: the new source runs, not a cached module.
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=3))
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*got 3*"])
    other = tmp_path_factory.mktemp("other")
    (other / "zenrun.toml").write_text("")
    (other / "pipeline_demo.py").write_text(PIPELINE.format(value=1))
    from zenrun.testing import ZenrunProject

    ZenrunProject(other).runzenrun_inprocess().assert_outcomes(passed=1)
    assert sys.path == before_path and os.getcwd() == before_cwd
    assert logging.getLogger("zenrun").handlers == before_handlers
    assert "pipeline_demo" not in sys.modules


def test_inprocess_runs_a_rewritten_module_of_the_same_size_and_second(zenrunner, monkeypatch):
    """A test process that writes bytecode (no PYTHONDONTWRITEBYTECODE, as on a fresh machine):
    a project file rewritten at the same size and mtime second is imported from source in the
    next in-process run, not from the .pyc the first one would have written."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=1))
    stamp = os.stat(path).st_mtime_ns
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
    assert sys.dont_write_bytecode is False  # given back as it was
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=3))  # the same size
    os.utime(path, ns=(stamp, stamp))  # and the same second, however slow the machine
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*got 3*"])


def test_inprocess_options_env_and_exit_codes(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINE.format(value=1))
    assert zenrunner.runzenrun_inprocess("--collect-only").ret == 0
    assert zenrunner.runzenrun_inprocess("-k", "nothing").ret == 5
    assert zenrunner.runzenrun_inprocess("--no-such-option").ret == 4
    store = zenrunner.path / "elsewhere"
    result = zenrunner.runzenrun_inprocess(env={"ZENRUN_STORE": str(store)})
    assert result.ret == 0 and (store / "metadata.db").exists()
    assert "ZENRUN_STORE" not in os.environ


def test_copy_example(zenrunner, tmp_path_factory):
    examples = tmp_path_factory.mktemp("examples")
    (examples / "pipeline_copied.py").write_text(PIPELINE.format(value=1))
    (examples / "tree").mkdir()
    (examples / "tree" / "pipeline_tree.py").write_text(PIPELINE.format(value=1))
    copied = zenrunner.copy_example(examples / "pipeline_copied.py")
    assert copied == zenrunner.path / "pipeline_copied.py"
    zenrunner.copy_example(examples / "tree")
    assert (zenrunner.path / "pipeline_tree.py").exists()
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)
    with pytest.raises(LookupError, match="not found"):
        zenrunner.copy_example("no_such_example.py")


def test_pytester_api_files_folders_and_paths(zenrunner):
    """The pytester methods a port of pytest's tests reaches for, as pytester's."""
    import os

    assert Path.cwd() == zenrunner.path  # the project is the current directory, as pytester's
    one = zenrunner.makepyfile(
        "from zenrun import pipeline, step",
        "@step\ndef a() -> int:\n    return 1",
        "@pipeline\ndef joined():\n    a()",
    )
    assert one.name.startswith("pipeline_") and "def joined" in one.read_text()  # lines of one file
    first = zenrunner.makefile(".txt", notes="hello", more=b"\x00bytes")
    assert (
        first == zenrunner.path / "notes.txt" and (zenrunner.path / "more.txt").read_bytes() == b"\x00bytes"
    )
    with pytest.raises(ValueError, match=r"try \.txt instead of txt"):
        zenrunner.makefile("txt", x="y")
    assert zenrunner.maketxtfile(readme="text").name == "readme.txt"
    # a name that has the extension already gets it once, as pytester's ``with_suffix``
    named = zenrunner.makepyfile(**{"sub/pipeline_named.py": "X = 1"})
    assert named == zenrunner.path / "sub" / "pipeline_named.py" and named.read_text() == "X = 1"
    package = zenrunner.mkpydir("pkg")
    assert (package / "__init__.py").is_file() and zenrunner.mkdir("data").is_dir()
    (package / "helpers.py").write_text("VALUE = 41\n")
    zenrunner.syspathinsert()
    assert sys.path[0] == str(zenrunner.path)
    assert zenrunner.runpython_c("import pkg.helpers as h; print(h.VALUE + 1)").stdout.strip() == "42"
    os.chdir(zenrunner.mkdir("elsewhere"))
    zenrunner.chdir()
    assert Path.cwd() == zenrunner.path


def test_pytester_api_runs_results_and_config(zenrunner):
    zenrunner.makepyfile(
        pipeline_pair="""
        from zenrun import pipeline, step

        @step
        def a() -> int:
            return 1

        @pipeline
        def first():
            a()

        @pipeline
        def second():
            a()
        """
    )
    zenrunner.makepyprojecttoml("[tool.zenrun]\nmarkers = ['slow: long ones']\n")
    result = zenrunner.runzenrun("-k", "first", "-v")
    result.assert_outcomes(passed=1)  # deselected is checked only when given, as pytester's
    result.assert_outcomes(passed=1, deselected=1)
    with pytest.raises(pytest.fail.Exception):
        result.assert_outcomes(passed=1, deselected=0)
    assert result.ret == zenrun.ExitCode.OK
    result.stdout.fnmatch_lines_random(["*1 passed*", "*::first PASSED*"])
    result.stdout.re_match_lines_random([r".*1 passed, 1 deselected"])
    with pytest.raises(pytest.fail.Exception):
        result.stdout.fnmatch_lines_random(["*no such line*"])
    after = result.stdout.get_lines_after("*collected *")
    assert any("first PASSED" in line for line in after)
    assert zenrun.testing.RunResult.parse_summary_nouns(result.outlines) == {"passed": 1, "deselected": 1}
    none = zenrunner.runzenrun_subprocess("-k", "nothing_matches")
    assert none.ret == zenrun.ExitCode.NO_TESTS_COLLECTED == zenrun.ExitCode.NO_PIPELINES_COLLECTED

    config = zenrunner.parseconfig("-o", "cache_dir=elsewhere", "-k", "first")
    assert config.getoption("keyword") == "first"
    assert config.rootpath == zenrunner.path


def test_plugins_of_the_project_reach_in_process_runs(zenrunner):
    class Plugin:
        seen: list[str] = []

        @zenrun.hookimpl
        def zenrun_configure(self, config):
            self.seen.append("configured")

    zenrunner.makepyfile(
        pipeline_one="""
        from zenrun import pipeline, step

        @step
        def a() -> int:
            return 1

        @pipeline
        def one():
            a()
        """
    )
    plugin = Plugin()
    zenrunner.plugins.append(plugin)
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
    assert Plugin.seen == ["configured"]
    zenrunner.parseconfigure()
    assert Plugin.seen == ["configured", "configured"]


def test_inline_run_records_hook_calls_and_outcomes(zenrunner):
    """pytester's ``inline_run``: the run's reports through its hooks, counted as pytest
    counts them (an xfail skipped, an error failed)."""
    recorder = zenrunner.inline_runsource(
        """
        import zenrun
        from zenrun import pipeline, step

        @step
        def a() -> int:
            return 1

        @step
        def bad() -> int:
            raise ValueError("no")

        @pipeline
        def good():
            a()

        @pipeline
        def broken():
            bad()

        @zenrun.mark.skip(reason="later")
        @pipeline
        def later():
            a()

        @zenrun.mark.xfail(reason="known")
        @pipeline
        def known():
            bad()

        @zenrun.fixture
        def broken_resource():
            raise RuntimeError("in the fixture")

        @pipeline
        def setup_error(broken_resource):
            a()
        """,
        "-p",
        "no:results",
    )
    assert recorder.ret == zenrun.ExitCode.TESTS_FAILED
    recorder.assertoutcome(passed=1, skipped=2, failed=2)
    assert recorder.countoutcomes() == [1, 2, 2]
    with pytest.raises(pytest.fail.Exception):
        recorder.assertoutcome(passed=2, skipped=2, failed=1)
    assert recorder.matchreport("broken").outcome == "failed"
    assert recorder.matchreport("setup_error").outcome == "error"
    with pytest.raises(ValueError, match="could not find"):
        recorder.matchreport("nothing")
    assert [r.nodeid.split("::")[-1] for r in recorder.getfailures()] == ["broken", "setup_error"]
    assert len(recorder.getcalls("zenrun_item_report")) == 5
    assert recorder.getcall("zenrun_sessionfinish").exitstatus == 1
    deselected = zenrunner.inline_run("-k", "good")
    deselected.assertoutcome(passed=1)
    assert len(deselected.getcall("zenrun_deselected").items) == 4

    usage = zenrunner.inline_run("--no-such-option")
    assert usage.ret == zenrun.ExitCode.USAGE_ERROR and usage.getreports() == []


def test_hook_recorder_sees_the_per_step_hooks(zenrunner):
    """The per-step hooks go through pluggy while a monitor watches (the recorder of
    ``inline_run``, ``add_hookcall_monitoring``): implemented by a plugin or not."""
    zenrunner.makepyfile(
        pipeline_steps="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @step
        def two(x: int) -> int:
            return x + 1

        @pipeline
        def chain():
            two(one())
        """
    )
    recorder = zenrunner.inline_run("-p", "no:results", "--no-cache")
    recorder.assertoutcome(passed=1)
    for name in ("zenrun_step_start", "zenrun_step_finish", "zenrun_step_call"):
        assert len(recorder.getcalls(name)) == 2, name
    assert [c.step_run.id for c in recorder.getcalls("zenrun_step_finish")] == ["one", "two"]

    class Finished:
        def __init__(self):
            self.ids = []

        @zenrun.hookimpl
        def zenrun_step_finish(self, step_run):
            self.ids.append(step_run.id)

    plugin = Finished()
    recorder = zenrunner.inline_run("-p", "no:results", "--no-cache", plugins=[plugin])
    assert [c.step_run.id for c in recorder.getcalls("zenrun_step_finish")] == ["one", "two"]
    assert plugin.ids == ["one", "two"]


@pytest.mark.parametrize("label", ["plain", "with-dash"])
def test_positional_sources_make_a_file_named_after_the_test(zenrunner, label):
    """As pytester: ``makepyfile("...")`` writes the test's own module (``pipeline_<test>``),
    named after the test function, not its parameters (``-k`` would match them)."""
    path = zenrunner.makepyfile(PIPELINE.format(value=1))
    assert path.name == "pipeline_test_positional_sources_make_a_file_named_after_the_test.py"
    assert path.stem == zenrunner.default_name
    zenrunner.run("-q").assert_outcomes(passed=1)


def test_runs_start_where_the_test_is(zenrunner, monkeypatch):
    """As pytester: a test that changes directory runs zenrun there."""
    zenrunner.makepyfile(
        **{"a/pipeline_1": PIPELINE.format(value=1), "b/pipeline_2": PIPELINE.format(value=1)}
    )
    monkeypatch.chdir(zenrunner.path / "a")
    for inprocess in (False, True):
        result = zenrunner.run("--co", "-q", inprocess=inprocess)
        assert result.stdout.splitlines()[0] == "a/pipeline_1.py::demo", result.stdout


def test_a_pyproject_toml_configures_the_runs(zenrunner):
    """The empty ``zenrun.toml`` the project starts with gives way to a ``pyproject.toml``
    the test writes (as it does to ``makeini``'s ``tox.ini``)."""
    zenrunner.makepyprojecttoml('[tool.zenrun]\naddopts = ["--orchestrator", "nosuch"]\n')
    zenrunner.makepyfile(pipeline_x=PIPELINE.format(value=1))
    result = zenrunner.run("-q")
    assert result.ret == 4, result.stdout + result.stderr  # its addopts were read
    assert "nosuch" in result.stderr


@pytest.mark.parametrize("inprocess", [False, True], ids=["subprocess", "inprocess"])
def test_colours_a_test_sets_reach_its_runs(zenrunner, monkeypatch, inprocess):
    """PY_COLORS=0 is set as the test starts (as pytester), and the test may set it again."""
    zenrunner.makepyfile(pipeline_x=PIPELINE.format(value=1))
    assert "\x1b[" not in zenrunner.run(inprocess=inprocess).stdout
    monkeypatch.setenv("PY_COLORS", "1")
    assert "\x1b[32m" in zenrunner.run(inprocess=inprocess).stdout


def test_parseoutcomes_counts_every_noun_of_the_closing_line(zenrunner):
    """As pytester's: every ``N noun`` of the closing line, ``--collect-only``'s too."""
    zenrunner.makepyfile(pipeline_x=PIPELINE.format(value=1), pipeline_y=PIPELINE.format(value=2))
    result = zenrunner.runzenrun_inprocess("--collect-only")
    assert result.parseoutcomes() == {"pipelines": 2}
    result.assert_outcomes()
    result = zenrunner.runzenrun_inprocess("--collect-only", "-k", "pipeline_x")
    assert result.parseoutcomes() == {"pipelines": 2, "deselected": 1}
    assert zenrun.testing.RunResult.parse_summary_nouns(["== 1 passed, 2 reruns in 0.10s =="]) == {
        "passed": 1,
        "reruns": 2,
    }


@pytest.mark.parametrize("inprocess", [False, True], ids=["subprocess", "inprocess"])
def test_home_is_the_project(zenrunner, inprocess):
    """As pytester: $HOME is the project while the test runs (no user configuration reaches
    its runs), in its own process and in the runs it starts."""
    assert os.environ["HOME"] == str(zenrunner.path)
    zenrunner.makepyfile(
        pipeline_x=f"""
        import os
        from zenrun import pipeline

        @pipeline
        def home():
            assert os.environ["HOME"] == {str(zenrunner.path)!r}, os.environ["HOME"]
        """
    )
    result = zenrunner.run(inprocess=inprocess)
    result.assert_outcomes(passed=1)


def test_inprocess_conftest_is_not_imported_by_pytests_rewriting_hook(zenrunner):
    """In-process as in a subprocess: pytest's assertion-rewriting import hook (it takes every
    conftest.py) neither imports the project's conftest nor shows in its import error."""
    conftest = zenrunner.makeconftest(
        """
        def foo():
            import qwerty
        foo()
        """
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    assert result.stderr.lines == [
        f"ImportError while loading conftest '{conftest}'.",
        "conftest.py:3: in <module>",
        "    foo()",
        "conftest.py:2: in foo",
        "    import qwerty",
        "E   ModuleNotFoundError: No module named 'qwerty'",
    ]
