"""The plugin system (issue 2, SPEC §8): hookspecs, conftest plugins, options, factories."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points

import pluggy
import pytest

import zenrun
from zenrun.config import BUILTIN_PLUGINS, create_config
from zenrun.testing import read_store

# zenrun.hookspec the module (zenrun.hookspec the attribute is the marker)
hookspec_module = importlib.import_module("zenrun.hookspec")

PIPELINES = """
from zenrun import step, pipeline

@step
def one() -> int:
    return 1

@step
def add(x: int) -> int:
    return x + 1

@pipeline
def alpha():
    add(one())

@pipeline
def beta():
    one()
"""

SPEC_HOOKS = [
    "zenrun_addoption",
    "zenrun_configure",
    "zenrun_unconfigure",
    "zenrun_collect_file",
    "zenrun_collection_modifyitems",
    "zenrun_collection_finish",
    "zenrun_make_orchestrator",
    "zenrun_make_artifact_store",
    "zenrun_make_metadata_store",
    "zenrun_make_cache",
    "zenrun_pipeline_run_start",
    "zenrun_pipeline_run_finish",
    "zenrun_step_start",
    "zenrun_step_finish",
    "zenrun_report_header",
    "zenrun_terminal_summary",
    "zenrun_register_materializers",
    "zenrun_visualize",
]


def test_hookspecs_exist_with_docstrings():
    for name in SPEC_HOOKS:
        function = getattr(hookspec_module, name)
        assert inspect.getdoc(function), name
        assert hasattr(function, "zenrun_spec"), name
    for name in (
        "zenrun_make_orchestrator",
        "zenrun_make_artifact_store",
        "zenrun_make_metadata_store",
        "zenrun_make_cache",
    ):
        assert getattr(hookspec_module, name).zenrun_spec["firstresult"], name
    assert isinstance(zenrun.hookimpl, pluggy.HookimplMarker)
    assert isinstance(zenrun.hookspec, pluggy.HookspecMarker)
    assert zenrun.hookimpl.project_name == "zenrun"


def test_plugin_manager_and_builtin_plugins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = create_config([], load_conftests=False)
    pm = config.pluginmanager
    assert isinstance(pm, pluggy.PluginManager) and pm.project_name == "zenrun"
    pm.check_pending()
    for name in BUILTIN_PLUGINS:
        assert pm.get_plugin(name) is not None, name
    for name in ("local", "artifacts", "metadata", "cache", "terminal"):
        assert name in BUILTIN_PLUGINS
    for ep in entry_points(group="zenrun"):
        assert pm.get_plugin(ep.name) is not None, ep.name
    config._ensure_unconfigure()


def test_blocked_plugin_is_not_registered(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = create_config(["-p", "no:cache", "-p", "no:terminal"], load_conftests=False)
    assert config.pluginmanager.get_plugin("cache") is None
    assert config.pluginmanager.is_blocked("terminal")
    from zenrun.cache import NullCache

    assert isinstance(config.cache, NullCache)
    config._ensure_unconfigure()


def test_conftest_plugin_with_lifecycle_hooks_and_options(zenrunner):
    zenrunner.makeconftest(
        """
        import zenrun

        @zenrun.hookimpl
        def zenrun_addoption(parser):
            parser.addoption("--shout", action="store_true", default=False, help="shout step names")
            parser.addoption("--tag", default="none", help="a tag")

        @zenrun.hookimpl
        def zenrun_configure(config):
            config.stash["shout"] = config.getoption("shout")
            config.stash["tag"] = config.getoption("--tag")

        @zenrun.hookimpl
        def zenrun_report_header(config):
            return [f"tag is {config.stash['tag']}"]

        @zenrun.hookimpl
        def zenrun_pipeline_run_start(run):
            print(f"HOOK start {run.name} {run.status}")

        @zenrun.hookimpl
        def zenrun_step_start(step_run):
            print(f"HOOK step_start {step_run.id} {step_run.status}")

        @zenrun.hookimpl
        def zenrun_step_finish(step_run):
            assert step_run.duration is not None and step_run.duration >= 0
            text = f"HOOK step_finish {step_run.id} {step_run.status}"
            print(text.upper() if zenrun_step_finish.config_shout else text)

        @zenrun.hookimpl
        def zenrun_pipeline_run_finish(run):
            print(f"HOOK finish {run.name} {run.status} {sorted(run.steps)}")

        @zenrun.hookimpl
        def zenrun_terminal_summary(terminalreporter, exitstatus, config):
            terminalreporter.tw.sep("-", "my summary")
            terminalreporter.tw.line(f"exit status {exitstatus}")
    """.replace(
            "zenrun_step_finish.config_shout", "__import__('zenrun').config.api_config().stash.get('shout')"
        )
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "alpha", "--tag", "blue", "-v")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "tag is blue",
            "*HOOK start alpha-* running*",
            "*HOOK step_start one running*",
            "*HOOK step_finish one completed*",
            "*HOOK step_start add running*",
            "*HOOK step_finish add completed*",
            "*HOOK finish alpha-* completed [[]'add', 'one']*",
            "*my summary*",
            "exit status 0",
        ]
    )
    result = zenrunner.run("-k", "alpha", "--shout")
    result.fnmatch_lines(["*HOOK STEP_FINISH ONE CACHED*"])
    # the option shows in --help
    result = zenrunner.run("--help")
    result.fnmatch_lines(["*--shout*shout step names*"])


def test_an_option_added_once_the_command_line_was_parsed_reads_as_its_default(zenrunner):
    # As pytest's: a conftest below the rootdir, or a plugin a pipeline module names, adds its
    # options during collection; getoption gives their defaults (it raised "no option named").
    zenrunner.makepyfile(
        late_plugin="""
        import zenrun

        @zenrun.hookimpl
        def zenrun_addoption(parser):
            parser.addoption("--late-flag", action="store_true", help="a late plugin's flag")
            parser.addoption("--late-off", action="store_false", dest="late_on")

        @zenrun.hookimpl
        def zenrun_configure(config):
            config.stash["late"] = (config.getoption("late_flag"), config.getoption("late_on"))
        """,
        pipeline_top="""
        zenrun_plugins = ["late_plugin"]
        import zenrun
        from zenrun import pipeline

        @pipeline
        def top(request):
            assert zenrun.config.api_config().stash["late"] == (False, True)
        """,
    )
    zenrunner.syspathinsert()
    zenrunner.mkdir("sub")
    zenrunner.makeconftest(
        """
        import zenrun

        @zenrun.hookimpl
        def zenrun_addoption(parser):
            parser.addoption("--depth", default="shallow", help="a sub-folder conftest's option")
            parser.addoption("--tag", help="no default")

        @zenrun.fixture
        def depth(request):
            return request.config.getoption("depth"), request.config.getoption("--tag")
        """,
        directory="sub",
    )
    (zenrunner.path / "sub" / "pipeline_sub.py").write_text(
        "from zenrun import pipeline\n\n@pipeline\ndef deep(depth):\n    assert depth == ('shallow', None), depth\n"
    )
    result = zenrunner.run("-q", "-p", "no:results")
    assert result.ret == 0, result.stdout + result.stderr
    result.assert_outcomes(passed=2)


def test_step_hooks_keep_pluggy_order_and_wrappers(zenrunner):
    """The per-step hooks are called without pluggy's machinery when no implementation wraps
    them: still every implementation, in pluggy's order (tryfirst first, then the latest
    registered), with or without the ``step_run`` argument; a wrapper still wraps them all."""
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_step_start(step_run):
            print(f"FIRST start {step_run.id} {step_run.status}")

        @zenrun.hookimpl
        def zenrun_step_finish():
            print("NOARGS finish")

        class Late:
            @zenrun.hookimpl
            def zenrun_step_finish(self, step_run):
                print(f"LATE finish {step_run.id} {step_run.status}")

        class Wrapper:
            @zenrun.hookimpl(wrapper=True)
            def zenrun_step_start(self, step_run):
                print(f"WRAP before {step_run.id}")
                result = yield
                print(f"WRAP after {step_run.id}")
                return result

        @zenrun.hookimpl
        def zenrun_configure(config):
            config.pluginmanager.register(Late(), "late")
            if config.getoption("verbose") > 0:
                config.pluginmanager.register(Wrapper(), "wrapper")
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "alpha", "-s")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*FIRST start one running*",
            "*LATE finish one completed*",
            "*NOARGS finish*",
            "*FIRST start add running*",
            "*LATE finish add completed*",
            "*NOARGS finish*",
        ]
    )
    assert "WRAP" not in result.stdout
    result = zenrunner.run("-k", "alpha", "-s", "-v")  # cached, and with a wrapper
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*WRAP before one*",
            "*FIRST start one running*",
            "*WRAP after one*",
            "*LATE finish one cached*",
            "*NOARGS finish*",
            "*WRAP before add*",
            "*FIRST start add running*",
            "*WRAP after add*",
            "*LATE finish add cached*",
        ]
    )


def test_unmarked_hook_functions_in_conftest(zenrunner):
    """As ``pytest_*`` functions in a conftest, ``zenrun_*`` functions are hooks without the marker."""
    zenrunner.makeconftest("""
        def zenrun_step_finish(step_run):
            print(f"UNMARKED {step_run.id} {step_run.status}")
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "beta")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*UNMARKED one completed*"])


def test_misspelled_hook_is_reported(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl
        def zenrun_step_finsh(step_run):
            pass
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run()
    assert result.ret == 2  # a conftest's hook errors are collection errors, as wrong arguments
    result.fnmatch_lines(
        [
            "*ERROR collecting conftest.py*",
            "*unknown hook 'zenrun_step_finsh' (did you mean 'zenrun_step_finish'?)*",
        ]
    )
    assert "Traceback" not in result.stderr
    assert read_store(zenrunner.store).get_runs() == [] if zenrunner.store.exists() else True


def test_zenrun_plugins_list_in_conftest(zenrunner):
    zenrunner.makepyfile(
        counting_plugin="""
        import zenrun

        @zenrun.hookimpl
        def zenrun_collection_modifyitems(session, config, items):
            items.reverse()

        @zenrun.hookimpl
        def zenrun_step_finish(step_run):
            print(f"COUNTING {step_run.pipeline_name}:{step_run.id}")
    """
    )
    zenrunner.makeconftest('zenrun_plugins = ["counting_plugin"]\n')
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    # reversed by the plugin: beta first
    result.fnmatch_lines(
        [
            "*COUNTING beta:one*",
            "pipeline_demo.py::beta PASSED*",
            "*COUNTING alpha:one*",
            "pipeline_demo.py::alpha PASSED*",
        ]
    )


ORCHESTRATOR_PLUGIN = """
import zenrun
from zenrun.runner import execute_task


class ReportingOrchestrator:
    name = "reporting"

    def run(self, execution):
        print(f"REPORTING ORCHESTRATOR runs {execution.order}")
        for step_id in execution.order:
            if execution.blocked(step_id):
                execution.skip(step_id)
                continue
            task = execution.prepare(step_id)
            if task is not None:
                print(f"REPORTING executes {step_id}")
                execution.complete(task, execute_task(task, execution.artifact_store,
                                                      execution.materializers))


@zenrun.hookimpl(tryfirst=True)
def zenrun_make_orchestrator(config, name):
    if name == "reporting" or config.getoption("always_reporting"):
        return ReportingOrchestrator()
    return None


@zenrun.hookimpl
def zenrun_addoption(parser):
    parser.addoption("--always-reporting", action="store_true", default=False)
"""


def test_plugin_replaces_the_orchestrator(zenrunner):
    zenrunner.makeconftest(ORCHESTRATOR_PLUGIN)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("--orchestrator", "reporting", "-k", "alpha")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*orchestrator: reporting*",
            "*REPORTING ORCHESTRATOR runs [[]'one', 'add']*",
            "*REPORTING executes one*",
            "*REPORTING executes add*",
        ]
    )
    runs = read_store(zenrunner.store).get_runs()
    assert runs[-1].orchestrator == "reporting"
    assert {s.status for s in runs[-1].steps.values()} == {"completed"}
    # the default stays local
    result = zenrunner.run("-k", "alpha")
    assert "REPORTING" not in result.stdout
    assert read_store(zenrunner.store).get_runs()[-1].orchestrator == "local"
    # a plugin may take over the default too (tryfirst)
    result = zenrunner.run("-k", "beta", "--always-reporting", "--no-cache")
    result.fnmatch_lines(["*REPORTING executes one*"])
    # an unknown orchestrator is a usage error
    result = zenrunner.run("--orchestrator", "nope")
    assert result.ret == 4
    assert "nope" in result.stderr


def test_an_orchestrator_that_returns_before_every_step_ran_fails_the_pipeline(zenrunner):
    zenrunner.makeconftest("""
        import zenrun
        from zenrun.runner import execute_task

        class FirstOnly:
            name = "firstonly"

            def run(self, execution):
                first = execution.order[0]
                task = execution.prepare(first)
                if task is not None:
                    execution.complete(
                        task, execute_task(task, execution.artifact_store, execution.materializers)
                    )

        @zenrun.hookimpl
        def zenrun_make_orchestrator(config, name):
            return FirstOnly() if name == "firstonly" else None

        @zenrun.hookimpl
        def zenrun_backend_names(kind):
            return ["firstonly"] if kind == "orchestrator" else None
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    help_text = " ".join(zenrunner.run("--help").stdout.split())
    assert "orchestrator to run steps with: local (default), parallel, " in help_text
    assert "firstonly --no-cache" in help_text
    result = zenrunner.run("--orchestrator", "firstonly", "-k", "alpha")
    assert result.ret == 3, result.stdout + result.stderr  # the plugin's fault, not the pipeline's
    result.fnmatch_lines(["*orchestrator 'firstonly' returned without running step(s) add*"])
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.status == "failed"
    assert run.steps["one"].status == "completed"
    assert run.steps["add"].status == "skipped"
    assert "returned without running" in (run.steps["add"].cache_reason or "")
    # the same through the Python API: a failed run, never a completed one
    proc = zenrunner.runpython("""
        import pipeline_demo
        run = pipeline_demo.alpha().run(orchestrator="firstonly", enable_cache=False)
        print("STATUS", run.status)
    """)
    assert "STATUS failed" in proc.stdout, proc.stdout + proc.stderr


def test_plugin_provides_the_cache(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        class ForgetfulCache:
            def lookup(self, key):
                print(f"LOOKUP {key[:8]}")
                return None
            def put(self, key, outputs):
                print(f"PUT {key[:8]} {sorted(outputs)}")
            def clear(self):
                pass

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_make_cache(config):
            return ForgetfulCache()
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    zenrunner.run("-k", "beta")
    result = zenrunner.run("-k", "beta")
    result.fnmatch_lines(["*LOOKUP *", "*PUT * [[]'@data', 'output']*"])  # what it read, and its output
    assert read_store(zenrunner.store).get_runs()[-1].steps["one"].status == "completed"
    assert not (zenrunner.store / "cache.db").exists()


def test_plugin_registered_from_configure(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        class Late:
            @zenrun.hookimpl
            def zenrun_pipeline_run_finish(self, run):
                print(f"LATE {run.pipeline_name} {run.status}")

        @zenrun.hookimpl
        def zenrun_configure(config):
            config.pluginmanager.register(Late(), "late")
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "beta")
    result.fnmatch_lines(["*LATE beta completed*"])


def test_nested_conftest_plugins_load(zenrunner):
    zenrunner.makeconftest(
        """
        import zenrun

        @zenrun.hookimpl
        def zenrun_step_finish(step_run):
            print(f"NESTED {step_run.pipeline_name}")
    """,
        directory="sub",
    )
    zenrunner.makepyfile(**{"sub/pipeline_demo": PIPELINES})
    result = zenrunner.run("sub", "-k", "beta")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*NESTED beta*"])


WRONG_ARGUMENTS = """
    import zenrun

    @zenrun.hookimpl
    def zenrun_step_finish(step):
        pass
"""


def test_hook_with_wrong_arguments_in_a_conftest_met_while_collecting_is_a_collection_error(zenrunner):
    zenrunner.makeconftest(WRONG_ARGUMENTS, "sub")
    zenrunner.makepyfile(**{"sub/pipeline_demo": PIPELINES})
    result = zenrunner.run(".")
    assert result.ret == 2
    result.fnmatch_lines(["*ERROR collecting sub/conftest.py*", "*zenrun_step_finish*", "*step*"])
    assert "Traceback" not in result.stderr


def test_hook_with_wrong_arguments_in_an_initial_conftest_is_a_usage_error(zenrunner):
    """As pytest fails at start-up (as a plugin's wrong hook is, and the conftest's import
    errors are): on stderr, exit 4, nothing collected."""
    zenrunner.makeconftest(WRONG_ARGUMENTS)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run()
    assert result.ret == 4
    assert result.stdout == ""
    result.fnmatch_lines(
        [
            "ERROR: *conftest.py: error while registering conftest as a plugin:",
            "*zenrun_step_finish*",
            "*step*",
        ],
        stderr=True,
    )
    assert "Traceback" not in result.stderr


def test_a_collector_plugin_reports_a_file_it_cannot_collect_with_zenrun_fail(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl
        def zenrun_collect_file(file_path, session):
            if file_path.suffix == ".yml":
                zenrun.fail(f"{file_path.name}: no pipeline key")
            return None
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    (zenrunner.path / "broken.yml").write_text("steps: []\n")
    result = zenrunner.run()
    assert result.ret == 2, result.stdout + result.stderr
    result.fnmatch_lines(["*ERROR collecting broken.yml*", "*broken.yml: no pipeline key*"])
    assert "INTERNALERROR" not in result.stdout


def test_terminal_summary_reads_the_reports_by_outcome_from_stats(zenrunner):
    """``terminalreporter.stats``, as pytest's: the reports of each outcome, the deselected
    items; an outcome no item had is absent."""
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl
        def zenrun_terminal_summary(terminalreporter):
            stats = terminalreporter.stats
            terminalreporter.section("by outcome")
            for outcome in sorted(stats):
                ids = sorted(getattr(r, "nodeid", None) or r.name for r in stats[outcome])
                terminalreporter.write_line(f"{outcome}: {' '.join(ids)}")
    """)
    zenrunner.makepyfile(
        pipeline_mixed="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @step
        def boom() -> int:
            raise ValueError("no")

        @pipeline
        def good():
            one()

        @pipeline
        def bad():
            boom()

        @zenrun.mark.skip(reason="later")
        @pipeline
        def later():
            one()

        @pipeline
        def other():
            one()
        """
    )
    result = zenrunner.run("--deselect", "pipeline_mixed.py::other")
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*= by outcome =*",
            "deselected: pipeline_mixed.py::other",
            "failed: pipeline_mixed.py::bad",
            "passed: pipeline_mixed.py::good",
            "skipped: pipeline_mixed.py::later",
        ]
    )
    assert "error:" not in result.stdout and "xfailed:" not in result.stdout


def test_a_collector_plugin_makes_items_as_its_hook_says(zenrunner):
    """A plugin collects ``*.nums`` files: each is a pipeline summing its numbers. The items it
    makes, as ``zenrun_collect_file``'s documentation says, run and report as any other."""
    zenrunner.makeconftest("""
        import zenrun
        from zenrun import pipeline, step

        @step
        def sum_numbers(numbers: list) -> int:
            return sum(numbers)

        @zenrun.hookimpl
        def zenrun_collect_file(file_path, session):
            if file_path.suffix != ".nums":
                return None
            numbers = [int(x) for x in file_path.read_text().split()]

            def nums():
                sum_numbers(numbers)

            nums.__name__ = file_path.stem
            nodeid = file_path.relative_to(session.config.rootpath).as_posix() + "::" + file_path.stem
            return [zenrun.Item(nodeid=nodeid, name=file_path.stem, module_path=file_path, target=pipeline(nums))]
    """)
    (zenrunner.path / "ten.nums").write_text("1 2 3 4\n")
    result = zenrunner.run("-v")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*ten.nums::ten PASSED*", "*sum_numbers=10*", "*1 passed*"])


ONE_STEP = """
from zenrun import pipeline, step

@step
def one() -> int:
    return 1

@pipeline
def p():
    one()
"""


def test_ini_values_are_read_as_pytest_reads_each_type(zenrunner):
    """A string is a line per entry for ``linelist``, shell words for ``paths`` and
    ``args``; ``paths`` are paths relative to the config file's directory; bool words are
    bools; unset list keys are empty lists; a wrong type names the file and key."""
    zenrunner.makepyfile(
        conftest="""
        def zenrun_addoption(parser):
            parser.addini("lines", "l", type="linelist")
            parser.addini("words", "a", type="args")
            parser.addini("dirs", "p", type="paths")
            parser.addini("unset_lines", "u", type="linelist")
            parser.addini("flag", "b", type="bool", default=False)
            parser.addini("label", "s", type="string")

        def zenrun_configure(config):
            config.stash["seen"] = {
                name: config.getini(name) for name in ("lines", "words", "dirs", "unset_lines", "flag")
            }

        def zenrun_sessionfinish(session):
            print("SEEN", session.config.stash["seen"])
        """,
        pipeline_one=ONE_STEP,
    )
    (zenrunner.path / "zenrun.toml").write_text(
        'lines = """\\n  first line  \\n\\nsecond line\\n"""\n'
        "words = \"-a 'b c'\"\n"
        'dirs = "x y"\n'
        'flag = "yes"\n'
        'label = "ok"\n'
    )
    result = zenrunner.run("-s", "-p", "no:results")
    assert result.ret == 0, result.stdout
    dirs = [zenrunner.path / "x", zenrunner.path / "y"]
    assert (
        f"SEEN {{'lines': ['first line', 'second line'], 'words': ['-a', 'b c'], 'dirs': {dirs!r}, "
        "'unset_lines': [], 'flag': True}"
    ) in result.stdout
    overridden = zenrunner.run(
        "-s", "-p", "no:results", "-o", "lines=one entry with spaces", "-o", "flag=off"
    )
    assert "SEEN {'lines': ['one entry with spaces']," in overridden.stdout
    assert "'flag': False}" in overridden.stdout
    (zenrunner.path / "zenrun.toml").write_text("label = 3\n")
    wrong = zenrunner.run("-p", "no:results")
    assert wrong.ret == 4
    assert "zenrun.toml: label must be a string, not 3" in wrong.stderr


def test_p_in_addopts_and_the_environment_loads_and_blocks_plugins(zenrunner, monkeypatch):
    zenrunner.makepyfile(
        myplugin="""
        def zenrun_sessionfinish(session):
            print("MYPLUGIN WAS HERE")
        """,
        pipeline_one=ONE_STEP,
    )
    monkeypatch.syspath_prepend(str(zenrunner.path))
    plain = zenrunner.run("-s")
    assert "= results =" in plain.stdout and "MYPLUGIN" not in plain.stdout
    (zenrunner.path / "zenrun.toml").write_text('addopts = "-p no:results -p myplugin"\n')
    configured = zenrunner.run("-s")
    assert configured.ret == 0
    assert "= results =" not in configured.stdout and "MYPLUGIN WAS HERE" in configured.stdout
    assert "= results =" in zenrunner.run("-p", "results").stdout  # the command line wins
    (zenrunner.path / "zenrun.toml").write_text("")
    monkeypatch.setenv("ZENRUN_ADDOPTS", "-p no:results")
    assert "= results =" not in zenrunner.run().stdout
    monkeypatch.setenv("ZENRUN_ADDOPTS", '-k "unclosed')
    broken = zenrunner.run()
    assert broken.ret == 4
    assert "ZENRUN_ADDOPTS: No closing quotation" in broken.stderr


def test_hooks_stopping_or_failing_the_session_as_in_pytest(zenrunner):
    """zenrun.exit in zenrun_configure; a collector's skip or error; a chdir before the
    session finishes."""
    zenrunner.makepyfile(
        pipeline_one="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def p():
            one()
        """
    )
    zenrunner.makeconftest("import zenrun\ndef zenrun_configure(config):\n    zenrun.exit('oh noes')\n")
    result = zenrunner.run()
    assert result.ret == 2 and "Exit: oh noes" in result.stderr and "INTERNALERROR" not in result.stderr
    zenrunner.makeconftest(
        "import zenrun\n"
        "def zenrun_collect_file(file_path, session):\n"
        "    if file_path.name == 'pipeline_one.py':\n"
        "        zenrun.skip('intentional')\n"
    )
    result = zenrunner.run("-rs")
    assert result.ret == 5
    result.fnmatch_lines(["*SKIPPED [[]1[]] *intentional*"])
    zenrunner.makeconftest(
        "def zenrun_collect_file(file_path, session):\n"
        "    if file_path.name == 'pipeline_one.py':\n"
        "        raise ValueError('boom')\n"
    )
    result = zenrunner.run()
    assert result.ret == 2 and "INTERNALERROR" not in result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*ERROR collecting pipeline_one.py*",
            "E   ValueError: boom",
            "ERROR pipeline_one.py - ValueError: boom",
        ]
    )
    assert "pluggy/" not in result.stdout  # its frames left out
    zenrunner.makeconftest(
        "import os\n"
        "START = os.getcwd()\n"
        "def zenrun_sessionstart(session):\n"
        "    os.chdir('..')\n"
        "def zenrun_sessionfinish(session):\n"
        "    assert os.getcwd() == START\n"
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr


def test_a_report_hook_raising_fails_reporting_not_the_session(zenrunner):
    """A plugin's ``zenrun_item_report`` raising is its INTERNALERROR: the other pipelines
    still run and are reported, and the session exits 3."""
    zenrunner.makepyfile(
        pipeline_three="""
        from zenrun import pipeline

        @pipeline
        def a():
            pass

        @pipeline
        def b():
            pass

        @pipeline
        def c():
            pass
        """
    )
    zenrunner.makeconftest(
        "def zenrun_item_report(report):\n"
        "    if report.nodeid.endswith('::a'):\n"
        "        raise RuntimeError('the reporter broke')\n"
    )
    result = zenrunner.run("-p", "no:results")
    assert result.ret == 3
    output = result.stdout + result.stderr
    assert "INTERNALERROR" in output and "while reporting pipeline_three.py::a" in output
    assert "RuntimeError: the reporter broke" in output
    result.fnmatch_lines(["*3 passed*"])  # the report itself is as it was given


def test_a_plugins_fault_while_the_pipeline_runs_is_an_error_at_call(zenrunner):
    """A plugin raising while the pipeline runs (a step hook) is an error at call, in the
    terminal and in JUnit XML; a missing fixture stays an error at setup."""
    zenrunner.makepyfile(
        pipeline_faults="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def running():
            one()

        @pipeline
        def unset(missing_fixture):
            pass
        """
    )
    zenrunner.makeconftest("def zenrun_step_finish(step_run):\n    raise RuntimeError('finish hook broke')\n")
    result = zenrunner.run("-p", "no:results", "--junitxml", "out.xml")
    assert result.ret == 3
    result.fnmatch_lines(["*_ ERROR at call of running _*", "*_ ERROR at setup of unset _*"])
    xml = (zenrunner.path / "out.xml").read_text()
    assert 'message="failed on call with' in xml and 'message="failed on setup with' in xml


def test_a_plugin_raising_in_zenrun_unconfigure_is_its_internal_error(zenrunner):
    """Reported as any other hook's fault (INTERNALERROR naming the plugin, exit 3), and
    the stores are closed all the same: the run's records are there."""
    zenrunner.makepyfile(
        raiser="def zenrun_unconfigure(config):\n    raise ValueError('unconfigure broke')\n",
        pipeline_one=ONE_STEP,
    )
    zenrunner.syspathinsert()
    result = zenrunner.run("-q", "-p", "raiser", "-p", "no:results")
    assert result.ret == 3, result.stdout + result.stderr
    result.stdout.fnmatch_lines(["*1 passed*"])
    assert "INTERNALERROR in plugin 'raiser' while unconfiguring the session" in result.stderr
    assert "ValueError: unconfigure broke" in result.stderr
    assert [run.status for run in read_store(zenrunner.store).get_runs()] == ["completed"]


def test_zenrun_plugins_in_a_conftest_may_be_a_string(zenrunner, monkeypatch):
    zenrunner.makepyfile(
        plug_one="def zenrun_sessionfinish(session):\n    print('PLUG ONE')\n",
        plug_two="def zenrun_sessionfinish(session):\n    print('PLUG TWO')\n",
        pipeline_one=ONE_STEP,
    )
    monkeypatch.syspath_prepend(str(zenrunner.path))
    zenrunner.makeconftest('zenrun_plugins = "plug_one, plug_two"\n')
    result = zenrunner.run("-s")
    assert result.ret == 0, result.stdout + result.stderr
    assert "PLUG ONE" in result.stdout and "PLUG TWO" in result.stdout


def test_a_pytest_hook_without_counterpart_is_named_so_and_suggestions_are_close(zenrunner):
    """``zenrun_plugin_registered`` (pytest's has no counterpart) is said to have none, not
    "close" to an unrelated hook; a real misspelling still gets its suggestion."""
    zenrunner.makeconftest("""
        def zenrun_plugin_registered(plugin, manager):
            pass

        def zenrun_configur(config):
            pass

        def zenrun_fancy_new_thing():
            pass
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run()
    assert result.ret == 2
    result.fnmatch_lines(
        [
            "*unknown hook 'zenrun_configur' (did you mean 'zenrun_configure'?), 'zenrun_fancy_new_thing', "
            "'zenrun_plugin_registered' (pytest's pytest_plugin_registered has no counterpart in zenrun); *"
        ]
    )


def test_trace_config_lists_every_registered_plugin_in_the_header(zenrunner):
    """``--trace-config``, as pytest's: zenrun's own plugins and a conftest, by name."""
    zenrunner.makeconftest("def zenrun_configure(config):\n    pass\n")
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("--trace-config", "--co")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        ["using: zenrun-*", "active plugins:", "    runner * : *zenrun*runner.py", "*conftest.py"]
    )
    assert "active plugins:" not in zenrunner.run("--co").stdout
    zenrunner.run("--traceconfig", "--co").fnmatch_lines(["active plugins:"])  # pytest's spelling too
    assert zenrunner.run("-p", "no:terminal", "--trace-config", "--co").ret == 0  # a core option


def test_the_terminal_reporter_is_reached_as_in_pytest(zenrunner):
    """``config.pluginmanager.getplugin("terminalreporter")`` (pytest's spelling of pluggy's
    ``get_plugin``) gives the terminal reporter, whose ``write_line`` a conftest uses."""
    zenrunner.makeconftest(
        "def zenrun_sessionfinish(session):\n"
        "    reporter = session.config.pluginmanager.getplugin('terminalreporter')\n"
        "    reporter.write_line('REPORTED BY CONFTEST')\n"
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["REPORTED BY CONFTEST"])


def test_two_plugins_declaring_one_option_is_a_usage_error_naming_both(zenrunner):
    zenrunner.makepyfile(
        plug_a="def zenrun_addoption(parser):\n    parser.addoption('--same-opt')\n",
        plug_b="def zenrun_addoption(parser):\n    parser.addoption('--same-opt')\n",
        pipeline_one=ONE_STEP,
    )
    zenrunner.syspathinsert()
    result = zenrunner.run("-q", "-p", "plug_a", "-p", "plug_b")
    assert result.ret == 4, result.stdout + result.stderr
    assert "option names ['--same-opt'] already added" in result.stderr
    assert "plug_a" in result.stderr and "plug_b" in result.stderr
    assert "INTERNALERROR" not in result.stderr


def test_pytest_spellings_plugins_use(zenrunner):
    """``config.getvalue``, ``item.get_closest_marker(name, default)``, a mark decorator's
    ``args`` / ``kwargs`` and the terminal reporter's ``_tw``, as pytest's plugins use them."""
    zenrunner.makeconftest(
        """
import zenrun

def zenrun_configure(config):
    assert config.getvalue("verbose") == config.getoption("verbose")

def zenrun_runtest_setup(item):
    default = zenrun.mark.nothing_here("fallback").mark
    assert item.get_closest_marker("nothing_here", default) is default
    decorator = zenrun.mark.foo(1, three=3)
    assert (decorator.args, dict(decorator.kwargs)) == ((1,), {"three": 3})

def zenrun_terminal_summary(terminalreporter):
    terminalreporter._tw.line("WRITTEN THROUGH _TW")
"""
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["WRITTEN THROUGH _TW"])


def test_a_plugin_that_cannot_be_imported_is_a_usage_error_and_an_import_error(zenrunner):
    """As pytest's: -p of a module that is not there raises an ImportError from the config;
    on the command line it stays a usage error (exit 4, one ERROR line)."""
    from zenrun import UsageError

    with pytest.raises(ImportError) as excinfo:
        zenrunner.parseconfig("-p", "nqweotexistent")
    assert isinstance(excinfo.value, UsageError)
    result = zenrunner.runzenrun_inprocess("-p", "nqweotexistent")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: plugin 'nqweotexistent' (-p nqweotexistent) could not be imported*"])
