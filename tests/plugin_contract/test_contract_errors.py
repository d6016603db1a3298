"""Plugin faults: clear errors at start-up (exit 4) and blame at run time (exit 3)."""

from __future__ import annotations

import textwrap
from pathlib import Path

PIPELINES = """
from zenrun import pipeline, step


@step
def thirteen() -> int:
    return 13


@step
def one() -> int:
    return 1


@step
def add(x: int) -> int:
    return x + 1


@pipeline
def alpha():
    add(thirteen())


@pipeline
def beta():
    add(one())
"""


def make_distribution(
    root: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]
) -> Path:
    """An installed distribution in ``root`` (a dist-info directory and modules), as pip
    would leave it; ``root`` goes on PYTHONPATH."""
    root.mkdir(parents=True, exist_ok=True)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        "[zenrun]\n" + "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    )
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


def test_installed_plugin_is_listed_in_the_header(zenrunner, tmp_path):
    site = make_distribution(
        tmp_path / "site",
        "zenrun-hello",
        "2.3",
        {"hello": "zenrun_hello"},
        {"zenrun_hello": "def zenrun_report_header():\n    return 'HELLO'\n"},
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "beta", env={"PYTHONPATH": str(site)})
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["rootdir: *", "plugins: *hello-2.3*", "*HELLO*"])
    assert "viewer-" in result.stdout  # ours too, with zenrun's version
    result = zenrunner.run("-k", "beta", "-p", "no:hello", env={"PYTHONPATH": str(site)})
    assert "hello-2.3" not in result.stdout and "HELLO" not in result.stdout


def test_plugin_that_fails_to_import_is_one_clear_usage_error(zenrunner, tmp_path):
    site = make_distribution(
        tmp_path / "site",
        "zenrun-broken",
        "1.0",
        {"broken": "zenrun_broken"},
        {"zenrun_broken": "import not_installed_anywhere\n"},
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    env = {"PYTHONPATH": str(site)}
    for args in (["-k", "beta"], ["--help"]):
        result = zenrunner.run(*args, env=env)
        assert result.ret == 4, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        result.fnmatch_lines(
            [
                "ERROR: plugin 'broken' failed to import: ModuleNotFoundError: *not_installed_anywhere*",
                "*entry point 'broken = zenrun_broken' of distribution zenrun-broken 1.0",
                "*-p no:broken*ZENRUN_DISABLE_PLUGIN_AUTOLOAD=1*",
                # as pytest: where the import failed, in the plugin's own code
                "*zenrun_broken*.py:1: in <module>",
                "    import not_installed_anywhere",
                "E   ModuleNotFoundError: *not_installed_anywhere*",
            ],
            stderr=True,
        )
    assert zenrunner.run("-k", "beta", "-p", "no:broken", env=env).ret == 0
    result = zenrunner.run("--help", env={**env, "ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.ret == 0 and "--dask-address" not in result.stdout


def test_hookimpl_with_a_wrong_argument_is_a_usage_error(zenrunner, tmp_path):
    site = make_distribution(
        tmp_path / "site",
        "zenrun-wrong",
        "0.1",
        {"wrong": "zenrun_wrong"},
        {"zenrun_wrong": "def zenrun_step_finish(step):\n    pass\n"},
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run(env={"PYTHONPATH": str(site)})
    assert result.ret == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    result.fnmatch_lines(
        [
            "ERROR: plugin 'wrong' (entry point 'wrong = zenrun_wrong' of distribution "
            "zenrun-wrong 0.1) is invalid: *zenrun_step_finish*",
            "*step*",
            "*-p no:wrong*",
        ],
        stderr=True,
    )
    # -p NAME of a module: the same kind of error
    zenrunner.makepyfile(misspelled="def zenrun_step_finsh(step_run):\n    pass\n")
    result = zenrunner.run("-p", "misspelled")
    assert result.ret == 4 and "zenrun_step_finsh" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_fault_at_start_up_is_an_internal_error_of_that_plugin(zenrunner, tmp_path):
    """zenrun_addoption (while the config is built) and zenrun_configure raising: exit 3,
    blamed on the plugin, no bare traceback."""
    site = make_distribution(
        tmp_path / "site",
        "zenrun-early",
        "0.2",
        {"early": "zenrun_early"},
        {
            "zenrun_early": """
            import os

            def zenrun_addoption(parser):
                if os.environ.get("EARLY") == "addoption":
                    raise RuntimeError("addoption bug")

            def zenrun_configure(config):
                if os.environ.get("EARLY") == "configure":
                    raise RuntimeError("configure bug")
        """
        },
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    for phase, what in (("addoption", "starting up"), ("configure", "configuring the session")):
        result = zenrunner.run("-k", "beta", env={"PYTHONPATH": str(site), "EARLY": phase})
        assert result.ret == 3, result.stdout + result.stderr
        result.fnmatch_lines(
            [
                f"INTERNALERROR> INTERNALERROR in plugin 'early' while {what}:",
                "INTERNALERROR> *zenrun_early.py*in zenrun_*",
                f"INTERNALERROR> RuntimeError: {phase} bug",
            ],
            stderr=True,
        )
        assert "\nTraceback" not in result.stderr  # every line is an INTERNALERROR> line


def test_unknown_orchestrator_lists_the_available_ones_and_help_shows_core_first(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("--orchestrator", "nope")
    assert result.ret == 4
    result.fnmatch_lines(
        ["ERROR: no orchestrator named 'nope'; available: local, parallel, dask*"], stderr=True
    )
    help_text = zenrunner.run("--help").stdout
    groups = [
        line.rstrip(":") for line in help_text.splitlines() if line.endswith(":") and not line.startswith(" ")
    ]
    assert groups[:4] == ["general", "selection", "running", "store"] or groups.index(
        "general"
    ) < groups.index("dask")
    assert groups.index("store") < groups.index("dask") and groups.index("running") < groups.index("viewer")


BROKEN_STORE = """
import hashlib
import zenrun


class FlakyStore:
    \"\"\"Stores in memory; refuses the bytes of 13.\"\"\"

    def __init__(self):
        self.data = {}

    def put(self, data):
        if data == b"13":
            raise OSError("bucket is read-only")
        digest = hashlib.sha256(data).hexdigest()
        self.data[digest] = data
        return digest, len(data)

    def get(self, digest):
        return self.data[digest]

    def exists(self, digest, size=None):
        return digest in self.data

    def verify(self, digest, size):
        return digest in self.data

    def sync(self):
        pass


@zenrun.hookimpl(tryfirst=True)
def zenrun_make_artifact_store(config):
    return FlakyStore()
"""


def test_a_broken_store_is_blamed_not_the_step(zenrunner):
    zenrunner.makepyfile(flaky_store=BROKEN_STORE)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-p", "flaky_store")
    assert result.ret == 3, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*INTERNALERROR in plugin 'flaky_store' (the artifact store flaky_store.FlakyStore (put))*",
            "*flaky_store.py*in put*",
            "*OSError: bucket is read-only*",
        ]
    )
    result.fnmatch_lines(["ERROR pipeline_demo.py::alpha*", "*1 passed, 1 error*"])


def test_a_materializer_failing_to_load_in_the_driver_is_blamed_on_its_plugin(zenrunner):
    """The local orchestrator loads inputs in the driver: the fault is still the plugin's."""
    zenrunner.makepyfile(
        odd_materializer="""
        import zenrun


        class OddMaterializer:
            name = "odd"
            version = "1"

            def can_save(self, value):
                return value == 14

            def dumps(self, value):
                return b"14"

            def loads(self, data):
                raise ValueError("cannot read my own bytes")


        @zenrun.hookimpl
        def zenrun_register_materializers(registry):
            registry.register(OddMaterializer())
    """
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES.replace("add(thirteen())", "add(add(thirteen()))"))
    result = zenrunner.run("-p", "odd_materializer", "-k", "alpha")
    assert result.ret == 3, result.stdout + result.stderr
    result.stdout.fnmatch_lines(
        [
            "*INTERNALERROR in plugin 'odd_materializer' (the materializer 'odd' "
            "(odd_materializer.OddMaterializer, loads)) while running pipeline_demo.py::alpha*",
            "*odd_materializer.py*in loads*",
            "*ValueError: cannot read my own bytes",
        ]
    )


def test_orchestrator_and_reporter_faults_are_internal_errors_of_their_plugin(zenrunner):
    zenrunner.makepyfile(
        shaky="""
        import zenrun
        from zenrun.orchestrators.local import LocalOrchestrator


        class Shaky(LocalOrchestrator):
            name = "shaky"

            def run(self, execution):
                if execution.run.pipeline_name == "alpha":
                    raise RuntimeError("scheduler lost")
                super().run(execution)


        @zenrun.hookimpl
        def zenrun_make_orchestrator(name):
            return Shaky() if name == "shaky" else None
    """
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-p", "shaky", "--orchestrator", "shaky")
    assert result.ret == 3, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*INTERNALERROR in plugin 'shaky' while running pipeline_demo.py::alpha*",
            "*shaky.py*in run*",
            "*RuntimeError: scheduler lost*",
            "*1 passed, 1 error*",
        ]
    )

    zenrunner.makeconftest("""
        def zenrun_step_finish(step_run):
            if step_run.id == "add" and step_run.pipeline_name == "alpha":
                raise KeyError("reporter bug")
    """)
    result = zenrunner.run()
    assert result.ret == 3, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*INTERNALERROR in plugin *conftest.py* while running pipeline_demo.py::alpha*",
            "*conftest.py*in zenrun_step_finish*",
            "*1 passed, 1 error*",
        ]
    )


def test_terminal_summary_failure_keeps_the_closing_line(zenrunner):
    zenrunner.makeconftest("""
        def zenrun_terminal_summary(terminalreporter):
            terminalreporter.section("mine")
            terminalreporter.write_line("MY LINE")
            raise ValueError("summary bug")
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "beta")
    assert result.ret == 3, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "=*= mine =*=",
            "MY LINE",
            "INTERNALERROR> INTERNALERROR in plugin *conftest.py* while running zenrun_terminal_summary:*",
            "INTERNALERROR> *ValueError: summary bug",
            "=*= 1 passed, 1 deselected in *s =*=",
        ]
    )


def test_a_failing_step_call_wrapper_is_blamed_not_the_step(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl(wrapper=True)
        def zenrun_step_call(step_run):
            result = yield
            if step_run.id == "thirteen":
                raise RuntimeError("tracker offline")
            return result
    """)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run()
    assert result.ret == 3, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*INTERNALERROR in the zenrun_step_call hook of plugin *conftest.py*",
            "*RuntimeError: tracker offline*",
            "*1 passed, 1 error*",
        ]
    )


ITEM_START_PIPELINES = """
from zenrun import pipeline, step


@step
def one() -> int:
    return 1


@step
def add(x: int) -> int:
    return x + 41


@pipeline
def skipped_one():
    one()


@pipeline
def broken_one():
    one()


@pipeline
def fine():
    add(one())
"""

ITEM_START_HOOK = """
import zenrun


@zenrun.hookimpl
def zenrun_item_start(item):
    if item.name == "skipped_one":
        zenrun.skip("not on this machine")
    if item.name == "broken_one":
        raise RuntimeError("the hook broke")
"""


def test_skip_or_an_exception_in_zenrun_item_start_ends_that_item_only(zenrunner):
    zenrunner.makeconftest(ITEM_START_HOOK)
    zenrunner.makepyfile(pipeline_demo=ITEM_START_PIPELINES)
    for args in ([], ["-n", "2"]):
        result = zenrunner.run("-rs", *args)
        assert result.ret == 3, result.stdout + result.stderr  # an internal error of a plugin
        result.assert_outcomes(passed=1, skipped=1, errors=1)
        result.fnmatch_lines(
            [
                "*INTERNALERROR in plugin *conftest.py* while zenrun_item_start of pipeline_demo.py::broken_one*",
                "*RuntimeError: the hook broke*",
            ]
        )
        result.fnmatch_lines(["SKIPPED * conftest.py:*: not on this machine"])
        assert "INTERNALERROR>" not in result.stdout + result.stderr
    out = zenrunner.runpython(
        "import zenrun; print('VALUE', zenrun.get_pipeline('fine').last_run.steps['add'].output.read())"
    )
    out.fnmatch_lines(["VALUE 42"])


def test_p_names_the_module_of_an_installed_plugin(zenrunner, tmp_path):
    site = make_distribution(
        tmp_path / "site",
        "zenrun-hello",
        "2.3",
        {"hello": "zenrun_hello"},
        {"zenrun_hello": "def zenrun_report_header():\n    return 'HELLO'\n"},
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    for args in (["-p", "zenrun_hello"], ["-p", "zenrun_dash.plugin"]):
        result = zenrunner.run("-k", "beta", *args, env={"PYTHONPATH": str(site)})
        assert result.ret == 0, result.stdout + result.stderr
        assert "INTERNALERROR" not in result.stdout + result.stderr
        assert result.stdout.count("HELLO") == 1  # registered once
        result.fnmatch_lines(["plugins: *hello-2.3*", "*1 passed*"])


def test_a_pytest_hook_name_is_answered_with_the_zenrun_hook_doing_its_job(zenrunner, tmp_path):
    """An installed plugin ported from pytest implements ``zenrun_runtest_logreport``: the
    error names the zenrun hook that does that job, not the nearest spelling."""
    site = make_distribution(
        tmp_path / "site",
        "zenrun-ported",
        "0.1",
        {"ported": "zenrun_ported"},
        {
            "zenrun_ported": (
                "import zenrun\n\n@zenrun.hookimpl\ndef zenrun_runtest_logreport(report):\n    pass\n"
            )
        },
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run(env={"PYTHONPATH": str(site)})
    assert result.ret == 4, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*plugin 'ported' (entry point 'ported = zenrun_ported' of distribution zenrun-ported 0.1) is invalid: "
            "unknown hook 'zenrun_runtest_logreport' (pytest's pytest_runtest_logreport is"
            " zenrun_item_report in zenrun); the hooks are listed in zenrun.hookspec*"
        ],
        stderr=True,
    )


FIXTURE_PLUGIN = """
import zenrun


@zenrun.fixture
def greeting(request):
    \"\"\"A greeting with the session's --name.\"\"\"
    return "hello " + request.config.getoption("greet_name")


@zenrun.fixture(scope="session")
def punctuation():
    return "!"


def zenrun_addoption(parser):
    parser.addoption("--greet-name", default="world")
"""

GREETING_PIPELINE = """
import zenrun
from zenrun import pipeline, step


@step
def shout(text: str) -> str:
    zenrun.log_metadata(shout=text.upper())
    return text.upper()


@pipeline
def greet(greeting, punctuation):
    shout(greeting + punctuation)
"""


def test_an_installed_plugins_fixtures_serve_every_pipeline(zenrunner, tmp_path):
    """As pytest's: the fixtures of an installed plugin (or of a ``-p`` module) are available to
    every pipeline, listed by ``--fixtures``; a conftest's fixture of the same name wins."""
    site = make_distribution(
        tmp_path / "site", "zenrun-greet", "1.0", {"greet": "zenrun_greet"}, {"zenrun_greet": FIXTURE_PLUGIN}
    )
    env = {"PYTHONPATH": str(site)}
    zenrunner.makepyfile(pipeline_greet=GREETING_PIPELINE)
    result = zenrunner.run("--greet-name", "you", env=env)
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*shout=HELLO YOU!*", "*1 passed*"])
    result = zenrunner.run("--fixtures", env=env)
    result.fnmatch_lines(["*fixtures defined from zenrun_greet*", "greeting -- *zenrun_greet.py:*"])
    # -p MODULE, with installed plugins not loaded
    result = zenrunner.run("-p", "zenrun_greet", env={**env, "ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*shout=HELLO WORLD!*"])
    # the project's own fixture of that name wins
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def punctuation():
            return "?"
    """)
    result = zenrunner.run(env=env)
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*shout=HELLO WORLD?*"])


SCHEME_STORE = """
import zenrun


@zenrun.hookimpl
def zenrun_backend_names(kind):
    return ["vault"] if kind == "artifact_store" else None


@zenrun.hookimpl(tryfirst=True)
def zenrun_make_artifact_store(config):
    return None  # (a real plugin opens vault:// URLs here)
"""


def test_an_unknown_artifact_store_scheme_names_those_plugins_open(zenrunner, tmp_path):
    """``--artifact-store`` with a scheme neither fsspec nor a plugin knows: the usage error says
    so and lists the schemes the installed plugins claim (``zenrun_backend_names``)."""
    site = make_distribution(
        tmp_path / "site", "zenrun-vault", "0.1", {"vault": "zenrun_vault"}, {"zenrun_vault": SCHEME_STORE}
    )
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("--artifact-store", "valt://bucket", env={"PYTHONPATH": str(site)})
    assert result.ret == 4, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*artifact store valt://bucket: Protocol not known: valt; no installed plugin opens valt://"
            " either: plugins here open vault:// (is its plugin installed, or blocked with -p no:NAME?)"
        ],
        stderr=True,
    )
