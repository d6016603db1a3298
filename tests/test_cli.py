"""The ``zenrun`` command: options, exit codes and pytest-like output (issue 2, SPEC §6)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import zenrun
from zenrun.testing import read_store

ZENRUN_DIR = str(Path(zenrun.__file__).parent)

PIPELINES = """
from zenrun import step, pipeline

@step
def one() -> int:
    return 1

@step
def add(x: int, y: int = 1) -> int:
    return x + y

@step
def explode(x: int) -> int:
    raise ValueError(f"kaboom {x}")

@pipeline
def alpha():
    add(one())

@pipeline
def beta():
    add(add(one()))

@pipeline
def gamma_train():
    add(one(), y=5)
"""

FAILING = """
from zenrun import step, pipeline

@step
def one() -> int:
    return 1

@step
def explode(x: int) -> int:
    raise ValueError(f"kaboom {x}")

@step
def add(x: int) -> int:
    return x + 1

@pipeline
def broken():
    x = one()
    add(explode(x))
"""

RUN_NAME = re.compile(r"^(?P<pipeline>\w+)-\d{2}_[A-Z][a-z]{2}_\d{2}-\d{2}_\d{2}_\d{2}_\d{6}$")


# ---------------------------------------------------------------------------
# exit codes
# ---------------------------------------------------------------------------


def test_all_pass_exit_0_and_pytest_like_output(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run()
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "=*zenrun session starts*=",
            "platform * -- Python *, zenrun-*",
            f"rootdir: {zenrunner.path}*",
            "collected 3 pipelines",
            "pipeline_demo.py ...*[[]100%]",
            "=*results*=",
            "pipeline*duration*cached*metrics",
            "alpha*s*0/2*add=2",
            "=* 3 passed in *s =*",
        ]
    )
    # without -v, no step lines
    result.no_fnmatch_line("*Step one has started.*")
    result.assert_outcomes(passed=3)


def test_failure_exit_1_and_failure_section(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES, pipeline_fail=FAILING)
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "pipeline_demo.py ...*",
            "pipeline_fail.py F*",
            "=*FAILURES*=",
            "_* broken *_",  # as pytest: the section title is the name
            "*explode*",
            "    def explode(x: int) -> int:",  # --tb=auto: the step's source, as pytest's long style
            '>       raise ValueError(f"kaboom {x}")',
            "E       ValueError: kaboom 1",
            "",
            "pipeline_fail.py:*: ValueError",
            "=*short pipeline summary info*=",
            "FAILED pipeline_fail.py::broken - *",
            "=* 1 failed, 3 passed in *",
        ]
    )
    result.assert_outcomes(passed=3, failed=1)
    # the traceback shows the user's frames only
    start = result.stdout.index("FAILURES")
    section = result.stdout[start : result.stdout.index("short pipeline summary")]
    assert ZENRUN_DIR not in section
    assert "runner.py" not in section and "execution.py" not in section


def test_short_summary_names_the_exception(zenrunner):
    zenrunner.makepyfile(pipeline_fail=FAILING)
    result = zenrunner.run()
    result.fnmatch_lines(["FAILED pipeline_fail.py::broken - *ValueError: kaboom 1*"])


def test_progress_line_not_broken_by_step_failure(zenrunner):
    """Without -v the progress line of a module stays one line, like pytest's."""
    zenrunner.makepyfile(pipeline_fail=FAILING + "\n@pipeline\ndef fine():\n    one()\n")
    result = zenrunner.run()
    result.fnmatch_lines(["pipeline_fail.py F. *[[]100%]"])


def test_collection_error_exit_2_runs_nothing(zenrunner):
    zenrunner.makepyfile(pipeline_ok=PIPELINES, pipeline_bad="import no_such_module_zenrun_xyz\n")
    result = zenrunner.run()
    assert result.ret == 2
    result.fnmatch_lines(
        [
            "collected 3 pipelines / 1 error",
            "=*ERRORS*=",
            "*ERROR collecting pipeline_bad.py*",
            "*ModuleNotFoundError: No module named 'no_such_module_zenrun_xyz'*",
            "!*Interrupted: 1 error during collection*!",
            "=* 1 error in *",
        ]
    )
    store = read_store(zenrunner.store)
    assert store.get_runs() == []


def test_nothing_collected_exit_5(zenrunner):
    zenrunner.makepyfile(helper="x = 1\n")
    result = zenrunner.run()
    assert result.ret == 5
    result.fnmatch_lines(["collected 0 pipelines", "*no pipelines ran in *"])


def test_all_deselected_exit_5(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", "nomatch")
    assert result.ret == 5
    result.assert_outcomes(deselected=3)


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["-k", "alpha and"],
        ["-k", "(alpha"],
        ["does_not_exist.py"],
        ["--show", "no-such-run"],
    ],
)
def test_usage_errors_exit_4(zenrunner, args):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    zenrunner.run("-q")
    result = zenrunner.run(*args)
    assert result.ret == 4, result.stdout + result.stderr
    assert "ERROR:" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------


def test_paths_and_node_ids(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES, **{"sub/pipeline_other": FAILING})
    result = zenrunner.run("pipeline_demo.py")
    assert result.ret == 0
    result.assert_outcomes(passed=3)
    result = zenrunner.run("sub")
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(["sub/pipeline_other.py F*"])
    result = zenrunner.run("pipeline_demo.py::beta", "-v")
    assert result.ret == 0
    result.fnmatch_lines(["pipeline_demo.py::beta PASSED*"])
    result.no_fnmatch_line("*::alpha*")
    result.assert_outcomes(passed=1)
    # two selectors of the same file
    result = zenrunner.run("pipeline_demo.py::beta", "pipeline_demo.py::alpha", "--collect-only", "-q")
    result.fnmatch_lines(["pipeline_demo.py::beta", "pipeline_demo.py::alpha"])


def test_unknown_node_id_is_an_error(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("pipeline_demo.py::nope")
    assert result.ret in (2, 4)
    assert "nope" in result.stdout + result.stderr
    assert read_store(zenrunner.store).get_runs() == []


@pytest.mark.parametrize(
    "expr, selected",
    [
        ("alpha", ["alpha"]),
        ("ALPHA", ["alpha"]),
        ("alpha or beta", ["alpha", "beta"]),
        ("not alpha", ["beta", "gamma_train"]),
        ("pipeline_demo and not (beta or gamma)", ["alpha"]),
        ("a and not gamma", ["alpha", "beta"]),
    ],
)
def test_keyword_expressions(zenrunner, expr, selected):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-k", expr, "--collect-only", "-q")
    assert result.ret == 0, result.stdout + result.stderr
    listed = [line.split("::")[1] for line in result.outlines if line.startswith("pipeline_demo.py::")]
    assert listed == selected


def test_deselected_in_closing_line(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES, pipeline_fail=FAILING)
    result = zenrunner.run("-k", "not beta and not gamma")
    assert result.ret == 1
    result.fnmatch_lines(["*1 failed, 1 passed, 2 deselected in *"])
    result.assert_outcomes(passed=1, failed=1, deselected=2)


def test_collect_only_runs_nothing(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("--collect-only", "-q")
    assert result.ret == 0
    result.fnmatch_lines(
        [
            "pipeline_demo.py::alpha",
            "pipeline_demo.py::beta",
            "pipeline_demo.py::gamma_train",
            "3 pipelines collected in *",
        ]
    )
    result = zenrunner.run("--collect-only")  # as pytest: the collection tree
    result.fnmatch_lines(
        [
            "collected 3 pipelines",
            "",
            "<Dir *>",
            "  <Module pipeline_demo.py>",
            "    <Pipeline alpha>",
            "    <Pipeline beta>",
            "    <Pipeline gamma_train>",
            "*3 pipelines collected in *",
        ]
    )
    assert not (zenrunner.store / "metadata.db").exists() or read_store(zenrunner.store).get_runs() == []


def test_exitfirst_stops_after_first_failure(zenrunner):
    zenrunner.makepyfile(pipeline_a=FAILING, pipeline_b=PIPELINES)
    result = zenrunner.run("-x")
    assert result.ret == 1
    result.fnmatch_lines(["*stopping after 1 failure*", "*1 failed in *"])
    assert [r.pipeline_name for r in read_store(zenrunner.store).get_runs()] == ["broken"]
    # without -x the other pipelines run
    result = zenrunner.run()
    result.assert_outcomes(failed=1, passed=3)


# ---------------------------------------------------------------------------
# verbosity and log lines
# ---------------------------------------------------------------------------


def test_verbose_prints_the_seed_log_lines(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-v", "-k", "alpha")
    result.fnmatch_lines(
        [
            "*Creating run for pipeline: alpha",
            "*Cache enabled for pipeline alpha",
            "*Step one has started.",
            "*Step one has finished in *s.",
            "*Step add has started.",
            "*Step add has finished in *s.",
            "*Pipeline run alpha-* has finished in *s.",
            "pipeline_demo.py::alpha PASSED*[[]100%]",
        ]
    )
    result = zenrunner.run("-v", "-k", "alpha")
    result.fnmatch_lines(
        [
            "*Step one has started.",
            "*Using cached version of one.",
            "*Step one has finished in *s.",
            "*Using cached version of add.",
        ]
    )
    names = re.findall(r"Pipeline run (\S+) has finished", result.stdout)
    assert len(names) == 1
    match = RUN_NAME.match(names[0])
    assert match and match.group("pipeline") == "alpha"


def test_run_names_follow_the_format(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    zenrunner.run()
    runs = read_store(zenrunner.store).get_runs()
    assert len(runs) == 3
    for run in runs:
        match = RUN_NAME.match(run.name)
        assert match, run.name
        assert match.group("pipeline") == run.pipeline_name
    assert len({r.name for r in runs}) == 3


def test_quiet_has_no_header(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    result = zenrunner.run("-q")
    assert result.ret == 0
    result.no_fnmatch_line("*zenrun session starts*")
    result.no_fnmatch_line("*Step one*")
    result.fnmatch_lines(["*3 passed in *"])


@pytest.mark.parametrize(
    ("args", "verbose"),
    [((), 0), (("-q",), -1), (("-qq",), -2), (("-v", "-q"), 0), (("-vv",), 2), (("--verbosity=-1",), -1)],
)
def test_quiet_lowers_verbose_as_in_pytest(zenrunner, args, verbose):
    # plugins read config.getoption("verbose") (and get_verbosity()) as pytest's give it
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.hookimpl
        def zenrun_configure(config):
            print("VERBOSE", config.getoption("verbose"), config.get_verbosity())
    """)
    zenrunner.makepyfile(
        pipeline_demo="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def one() -> int:
            return 1

        @zenrun.mark.skipif("config.getoption('verbose') < 0", reason="quiet")
        @pipeline
        def alpha():
            one()
        """
    )
    result = zenrunner.run("-s", "-rs", *args)
    assert f"VERBOSE {verbose} {verbose}" in result.stdout, result.stdout
    assert ("SKIPPED [1] pipeline_demo.py:8: quiet" in result.stdout) is (verbose < 0), result.stdout


# ---------------------------------------------------------------------------
# caching options
# ---------------------------------------------------------------------------


def _statuses(store_path, pipeline):
    run = [r for r in read_store(store_path).get_runs() if r.pipeline_name == pipeline][-1]
    return {sid: s.status for sid, s in run.steps.items()}


def test_no_cache_and_cache_clear(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    assert zenrunner.run("-k", "alpha").ret == 0
    assert _statuses(zenrunner.store, "alpha") == {"one": "completed", "add": "completed"}
    zenrunner.run("-k", "alpha")
    assert _statuses(zenrunner.store, "alpha") == {"one": "cached", "add": "cached"}

    result = zenrunner.run("-k", "alpha", "--no-cache", "-v")
    assert _statuses(zenrunner.store, "alpha") == {"one": "completed", "add": "completed"}
    result.fnmatch_lines(
        [
            "*Runtime configuration overwriting the pipeline cache settings to "
            "enable_cache=False for this pipeline run. The default caching strategy "
            "is retained for future pipeline runs."
        ]
    )
    # --no-cache does not disable caching for later runs
    zenrunner.run("-k", "alpha")
    assert _statuses(zenrunner.store, "alpha") == {"one": "cached", "add": "cached"}

    zenrunner.run("-k", "alpha", "--cache-clear")
    assert _statuses(zenrunner.store, "alpha") == {"one": "completed", "add": "completed"}
    zenrunner.run("-k", "alpha")
    assert _statuses(zenrunner.store, "alpha") == {"one": "cached", "add": "cached"}


# ---------------------------------------------------------------------------
# store location
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["loop", "missing"])
def test_a_store_behind_a_link_to_nowhere_is_a_usage_error_naming_the_link(zenrunner, target):
    """A ``.zenrun`` that is a symbolic link to itself or to nothing: exit 4 naming the link
    and where it points, for every command (it was an internal error for a loop, and "cannot
    create ...: File exists" for a missing target); a ``--store`` through a loop too."""
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    link = zenrunner.path / ".zenrun"
    link.symlink_to(".zenrun" if target == "loop" else zenrunner.path / "gone" / "store")
    what = "loops back on itself" if target == "loop" else "points at nothing"
    for args in ([], ["--runs"], ["--store-check"]):
        result = zenrunner.run(*args)
        assert result.ret == 4, (args, result.stdout, result.stderr)
        assert "INTERNALERROR" not in result.stdout + result.stderr and "Traceback" not in result.stderr
        assert f"{link} is a symbolic link to" in result.stderr and what in result.stderr, result.stderr
    if target == "loop":
        result = zenrunner.run("--store", str(link / "sub"), "--runs")
        assert result.ret == 4 and "symbolic link loops back on itself" in result.stderr, result.stderr


def test_store_option_and_env(zenrunner, tmp_path_factory):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "store"
    result = zenrunner.run("-k", "alpha", "--store", str(elsewhere))
    assert result.ret == 0
    result.fnmatch_lines([f"store: {elsewhere}*"])
    assert not zenrunner.store.exists()
    assert [r.pipeline_name for r in read_store(elsewhere).get_runs()] == ["alpha"]
    # ids stay relative to the rootdir even when --store names an existing directory
    result = zenrunner.run("-k", "alpha", "--store", str(elsewhere), "--collect-only", "-q")
    result.fnmatch_lines(["pipeline_demo.py::alpha"])

    env_store = tmp_path_factory.mktemp("env") / "store"
    result = zenrunner.run("-k", "beta", env={"ZENRUN_STORE": str(env_store)})
    assert result.ret == 0
    assert [r.pipeline_name for r in read_store(env_store).get_runs()] == ["beta"]
    assert not zenrunner.store.exists()
    # --store wins over ZENRUN_STORE
    zenrunner.run("-k", "gamma", "--store", str(elsewhere), env={"ZENRUN_STORE": str(env_store)})
    assert [r.pipeline_name for r in read_store(elsewhere).get_runs()] == ["alpha", "gamma_train"]
    # a cache in the env store: a run there is a hit
    zenrunner.run("-k", "beta", env={"ZENRUN_STORE": str(env_store)})
    assert set(_statuses(env_store, "beta").values()) == {"cached"}


def test_sqlite_store_urls_read_as_sqlalchemy_reads_them_and_bad_stores_are_usage_errors(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    # sqlite:///rel is relative to the current directory, sqlite:////abs absolute
    assert zenrunner.run("-k", "alpha", "--store", "sqlite:///relstore").ret == 0
    assert [r.pipeline_name for r in read_store(zenrunner.path / "relstore").get_runs()] == ["alpha"]
    absolute = zenrunner.path / "absstore"
    assert zenrunner.run("-k", "alpha", env={"ZENRUN_STORE": f"sqlite:///{absolute}"}).ret == 0
    assert (absolute / "metadata.db").exists()
    for env, message in [
        ({"ZENRUN_STORE": "sqlite:///"}, "ZENRUN_STORE sqlite:///: the URL names no path"),
        ({"ZENRUN_STORE": "/proc/zenrun-store"}, "cannot create the store directory /proc/zenrun-store"),
    ]:
        result = zenrunner.run("-k", "alpha", env=env)
        assert result.ret == 4, result.stdout + result.stderr
        assert message in result.stderr and "INTERNALERROR" not in result.stdout + result.stderr
    zenrunner.maketoml("store = 7")
    result = zenrunner.run("-k", "alpha")
    assert result.ret == 4
    assert "zenrun.toml: store must be a directory or a URL, not 7" in result.stderr


@pytest.mark.parametrize("key", ["pythonpath", "pipelinepaths"])
@pytest.mark.parametrize("value", ["3", "true", "[1, 2]"])
def test_keys_read_while_the_initial_conftests_load_are_type_checked_first(zenrunner, key, value):
    # pythonpath and pipelinepaths are read before the rest of [tool.zenrun] was checked
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    zenrunner.maketoml(f"{key} = {value}")
    result = zenrunner.run("-k", "alpha")
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.ret == 4
    assert f"zenrun.toml: {key} must be a string or a list of strings, not " in result.stderr


@pytest.mark.parametrize("key", ["store", "artifact_store", "pythonpath"])
def test_a_nul_character_in_a_config_value_is_a_usage_error(zenrunner, key):
    # TOML spells it "\u0000": no path or URL holds one (it crashed deep in os / fsspec)
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    zenrunner.maketoml(f'{key} = "a\\u0000b"')
    result = zenrunner.run("-k", "alpha")
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.ret == 4
    assert f"zenrun.toml: {key} holds a NUL character" in result.stderr


def test_default_store_is_in_rootdir_not_cwd(zenrunner):
    zenrunner.makepyfile(**{"sub/pipeline_demo": PIPELINES})
    result = zenrunner.run("-k", "alpha", cwd=zenrunner.path / "sub")
    assert result.ret == 0
    assert (zenrunner.path / ".zenrun" / "metadata.db").exists()
    assert not (zenrunner.path / "sub" / ".zenrun").exists()


# ---------------------------------------------------------------------------
# --runs / --show
# ---------------------------------------------------------------------------


def test_runs_and_show(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES, pipeline_fail=FAILING)
    result = zenrunner.run("--runs")
    assert result.ret == 0
    result.fnmatch_lines(["no runs recorded*"])
    zenrunner.run("-k", "alpha or broken")
    zenrunner.run("-k", "alpha")
    result = zenrunner.run("--runs")
    assert result.ret == 0
    result.fnmatch_lines(
        [  # newest first
            "started*item*status*steps*cached*duration*metrics",
            "*alpha*completed*2*2*add=2",
            "*broken*failed*3*0*",
            "*alpha*completed*2*0*add=2",
        ]
    )
    result = zenrunner.run("--show", "latest")
    assert result.ret == 0
    result.fnmatch_lines(
        [
            "run alpha-* of pipeline alpha: completed*",
            "*_ one _*",
            "status: cached*; cache hit",
            "*_ add _*",
            "status: cached*",
            "output output: builtins.int, * 2",
            f"    *{zenrunner.store}*",
        ]
    )
    broken = next(r for r in read_store(zenrunner.store).get_runs() if r.pipeline_name == "broken")
    result = zenrunner.run("--show", broken.name)
    assert result.ret == 0
    result.fnmatch_lines(
        [
            f"run {broken.name} of pipeline broken: failed*",
            "*_ explode _*",
            "status: failed*",
            "*ValueError: kaboom 1*",
            "*_ add _*",
            "status: skipped*",
        ]
    )


# ---------------------------------------------------------------------------
# plugins on the command line
# ---------------------------------------------------------------------------


def test_p_loads_a_module_plugin(zenrunner):
    zenrunner.makepyfile(
        pipeline_demo=PIPELINES,
        myplugin="""
        import zenrun

        @zenrun.hookimpl
        def zenrun_report_header(config):
            return "myplugin says hello"

        @zenrun.hookimpl
        def zenrun_step_finish(step_run):
            print(f"MYPLUGIN {step_run.id} {step_run.status}")
    """,
    )
    result = zenrunner.run("-p", "myplugin", "-k", "alpha")
    assert result.ret == 0, result.stderr
    result.fnmatch_lines(["myplugin says hello", "*MYPLUGIN one completed*", "*MYPLUGIN add completed*"])
    result = zenrunner.run("-k", "alpha")
    result.no_fnmatch_line("*myplugin*")
    result = zenrunner.run("-p", "no_such_plugin_zz")
    assert result.ret == 4
    assert "no_such_plugin_zz" in result.stderr


def test_p_no_blocks_builtin_plugins(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES)
    zenrunner.run("-k", "alpha")
    # without the cache plugin nothing is a hit
    uncached = zenrunner.run("-k", "alpha", "-p", "no:cache")
    assert _statuses(zenrunner.store, "alpha") == {"one": "completed", "add": "completed"}
    uncached.fnmatch_lines(["WARNING: No installed plugin provides a cache for the store *every step runs*"])
    # each step says why it missed: not a change since the run it would have reused
    uncached = zenrunner.run("-k", "alpha", "-p", "no:cache", "-v")
    uncached.fnmatch_lines(["*Step one: cache miss: no cache plugin is loaded (-p no:cache)*"])
    uncached.no_fnmatch_line("*cleared or its artifacts are gone*")
    # without the terminal reporter nothing is printed, the exit code stays
    result = zenrunner.run("-p", "no:terminal")
    assert result.ret == 0
    assert result.stdout.strip() == ""
    # without the local orchestrator there is none to run with
    result = zenrunner.run("-p", "no:local")
    assert result.ret == 4
    assert "orchestrator" in result.stderr
    # essential plugins cannot be blocked
    result = zenrunner.run("-p", "no:main")
    assert result.ret == 4


# ---------------------------------------------------------------------------
# --help, --version and import cost
# ---------------------------------------------------------------------------


def test_help_lists_options():
    proc = subprocess.run([sys.executable, "-m", "zenrun", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for option in (
        "-k",
        "--no-cache",
        "--cache-clear",
        "-x",
        "--collect-only",
        "--store",
        "--runs",
        "--show",
        "-p",
        "-v",
        "-q",
    ):
        assert option in proc.stdout


HEAVY = ("dash", "dask", "distributed", "sklearn", "optuna")


@pytest.mark.parametrize(
    "code",
    [
        "import zenrun",
        "import zenrun; zenrun.search.float(1e-4, 1e-1, log=True); zenrun.search.categorical(['a'])",
        "import sys; from zenrun.main import main; sys.argv = ['zenrun', '--help']; main()",
    ],
)
def test_import_and_help_stay_light(code, tmp_path):
    script = (
        f"{code}\nimport sys\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout, proc.stdout


def test_import_zenrun_imports_neither_pluggy_nor_typing(tmp_path):
    """``import zenrun`` imports no third-party package and not ``typing``: pluggy (with
    ``inspect``, ``ast`` and ``dis``) is imported when a plugin asks for ``zenrun.hookimpl``,
    and the markers are pluggy's then, whichever way they are reached."""
    script = (
        "import sys\nbefore = set(sys.modules)\nimport zenrun\n"
        "print('NEW', sorted(m for m in {'pluggy', 'typing', 'inspect', 'pydantic'} if m in sys.modules))\n"
        "from zenrun import hookimpl\nimport pluggy\n"
        "import zenrun.hookspec\nfrom zenrun.hookspec import hookspec\n"
        "print('MARKERS', isinstance(hookimpl, pluggy.HookimplMarker),"
        " zenrun.hookimpl is hookimpl, zenrun.hookspec is hookspec,"
        " isinstance(hookspec, pluggy.HookspecMarker), hookimpl.project_name)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "NEW []" in proc.stdout, proc.stdout
    assert "MARKERS True True True True zenrun" in proc.stdout, proc.stdout


def test_hook_specifications_carry_the_options_pluggys_marker_gives():
    """The specifications are marked without pluggy; each carries what pluggy's own
    ``HookspecMarker("zenrun")`` would have set, so pluggy reads them as its own."""
    import importlib

    import pluggy

    module = importlib.import_module("zenrun.hookspec")
    marker = pluggy.HookspecMarker("zenrun")
    specs = [getattr(module, name) for name in dir(module) if name.startswith("zenrun_")]
    assert len(specs) > 30
    for spec in specs:
        opts = spec.zenrun_spec

        def same() -> None: ...

        marker(firstresult=opts["firstresult"], historic=opts["historic"])(same)
        assert opts == same.zenrun_spec, spec.__name__
    assert module.zenrun_addhooks.zenrun_spec["historic"]
    assert module.zenrun_make_cache.zenrun_spec["firstresult"]


#: Standard library modules only a run needs (stores, digests, reports), not ``--help``.
RUN_ONLY = {
    "socket",
    "platform",
    "uuid",
    "sqlite3",
    "hashlib",
    "_hashlib",
    "pickle",
    "difflib",
    "pprint",
    "tempfile",
    "concurrent.futures",
    "queue",
    "csv",
    "sysconfig",
    "zenrun.search",  # the search spaces: a study's check, run or table imports them
}


def test_console_script_help_stays_light(tmp_path):
    """``zenrun --help`` through the console entry point (plugins autoloaded) imports no heavy
    package, nor the standard library's modules only a run needs (the host name, the header's
    platform, random names, SQLite, hashing, pickling, diffs, thread pools, and zenrun's search
    spaces: 1-4 ms each of the 0.1 s ``--help`` may take)."""
    script = (
        "import sys, runpy\nat_start = set(sys.modules)\nsys.argv = ['zenrun', '--help']\n"
        "from zenrun.main import console_main\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = console_main()\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print('HEAVY', heavy, code)\n"
        f"print('RUN-ONLY', sorted({RUN_ONLY!r} & (set(sys.modules) - at_start)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY [] 0" in proc.stdout, proc.stdout
    assert "RUN-ONLY []" in proc.stdout, proc.stdout


def test_the_options_parser_is_built_again_when_the_options_change():
    """Start-up parses the arguments twice (before and after the initial conftests), then
    ``--help`` names the orchestrators in one option's help: the argparse parser is built
    once when nothing else was declared in between, and again once an option is added or
    changed otherwise, or the required options are made optional (``-h``)."""
    from zenrun.config import UsageError
    from zenrun.config.argparsing import Parser

    parser = Parser()
    parser.addoption("--colour", default="red", help="a colour")
    assert parser.parse_known(["--colour", "blue"]).colour == "blue"
    assert parser._build() is parser._build()  # nothing declared since: the same parser
    parser.getgroup("more").addoption("--size", type=int, default=1, help="a size")
    assert parser.parse(["--size", "3"]).size == 3
    group = parser.getgroup("more")
    opts, attrs = group.options[0]
    built = parser._build()
    group.options[0] = (opts, {**attrs, "help": "a size, in metres"})
    assert "a size, in metres" in parser.format_help()
    assert parser._build() is built  # a new help alone: the same parser, told it
    group.options[0] = (opts, {**attrs, "default": 2})
    assert parser.parse([]).size == 2
    parser.addoption("--must", required=True, help="a required option")
    with pytest.raises(UsageError, match="required: --must"):
        parser.parse([])
    parser.ignore_required = True
    assert parser.parse([]).must is None


def test_progress_of_steps_on_a_terminal(zenrunner, run_on_a_terminal):
    """On a TTY the current pipeline's step count shows until it finishes; not in logs."""
    zenrunner.makepyfile(
        pipeline_long="""
        from zenrun import pipeline, step

        @step
        def tick(i: int) -> int:
            return i

        @pipeline
        def long():
            for i in range(3):
                tick(i)
    """
    )
    returncode, output, _ = run_on_a_terminal()
    assert returncode == 0, output
    assert re.search(r"\[3/3\] tick_3 \d+\.\ds", output), output  # done/total, step, elapsed
    assert "pipeline_long.py ." in output.replace("\x1b[K", "")

    plain = zenrunner.run("--no-cache")
    plain.no_fnmatch_line("*[[]3/3]*")


def test_unknown_item_selector_is_a_usage_error(zenrunner):
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
    result = zenrunner.run("pipeline_one.py::nope")
    assert result.ret == 4
    result.fnmatch_lines(["ERROR: not found: pipeline_one.py::nope"], stderr=True)


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_a_reader_that_goes_away_ends_zenrun_quietly(zenrunner, option):
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", option],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        proc.stdout.close()  # as `zenrun --help | true`: nobody reads
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"INTERNALERROR" not in err, err.decode()
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode == 1


@pytest.mark.parametrize("style", ["auto", "no", "line", "native", "short", "long"])
def test_the_short_summary_names_the_exception_whatever_the_tb_style(zenrunner, style):
    # as pytest's crash message: "ExceptionType: message", "Failed: message"
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def bad():
            raise RuntimeError("broken fixture")

        @zenrun.fixture
        def torn():
            yield 1
            raise ValueError("broken teardown")
    """)
    zenrunner.makepyfile(
        pipeline_a="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s() -> int:
            return 1

        @pipeline
        def uses_bad(bad):
            s()

        @pipeline
        def fails():
            zenrun.fail("imperative")

        @pipeline
        def uses_torn(torn):
            s()
        """
    )
    result = zenrunner.run("-q", f"--tb={style}")
    assert result.ret == 1
    summary = [line for line in result.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    assert sorted(summary) == [
        "ERROR pipeline_a.py::uses_bad - RuntimeError: broken fixture",
        "ERROR pipeline_a.py::uses_torn - ValueError: broken teardown",
        "FAILED pipeline_a.py::fails - Failed: imperative",
    ], result.stdout


def test_collect_only_quiet_and_a_skip_without_reason_read_as_pytest_prints_them(zenrunner):
    zenrunner.makepyfile(
        pipeline_q="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s() -> int:
            return 1

        @pipeline
        def skipping():
            zenrun.skip()

        @pipeline
        def running():
            s()
        """
    )
    collected = zenrunner.run("--co", "-q")
    assert collected.stdout.splitlines()[-3:] == [
        "pipeline_q.py::running",
        "",
        "2 pipelines collected in " + collected.stdout.splitlines()[-1].split(" in ")[-1],
    ]
    result = zenrunner.run("-q", "-rs")
    result.fnmatch_lines(["SKIPPED [[]1[]] pipeline_q.py:10: Skipped"])  # where zenrun.skip() was called


def test_the_short_summary_of_a_failed_step_is_its_exception_and_first_line_as_pytest(zenrunner):
    zenrunner.makepyfile(
        pipeline_m="""
        from zenrun import step, pipeline

        @step
        def boom() -> int:
            raise ValueError("line1\\nline2")

        @step
        def raising() -> int:
            raise AssertionError("boom msg")

        @pipeline
        def multi():
            boom()

        @pipeline
        def asserting():
            raising()
        """
    )
    result = zenrunner.run("-q", "--tb=no")
    assert result.ret == 1
    summary = sorted(line for line in result.stdout.splitlines() if line.startswith("FAILED "))
    assert summary == [
        "FAILED pipeline_m.py::asserting - step 'raising': AssertionError: boom msg",
        "FAILED pipeline_m.py::multi - step 'boom': ValueError: line1",
    ], result.stdout


def test_a_blank_line_follows_the_progress_and_a_stopped_session_shows_no_percentage(zenrunner):
    zenrunner.makepyfile(pipeline_demo=PIPELINES, pipeline_fail=FAILING)
    result = zenrunner.run("--tb=no", "-k", "alpha or broken")
    lines = result.stdout.splitlines()
    progress = [i for i, line in enumerate(lines) if line.startswith("pipeline_") and "[" in line]
    assert lines[progress[-1] + 1] == "", result.stdout  # as pytest, before the summaries
    stopped = zenrunner.run("--tb=no", "-x")
    line = next(line for line in stopped.stdout.splitlines() if line.startswith("pipeline_fail.py"))
    assert "%]" not in line, stopped.stdout  # as pytest: the session stopped, no percentage


@pytest.mark.parametrize("verbosity", ["-q", ""], ids=["quiet", "normal"])
def test_the_last_pipelines_teardown_error_goes_on_the_progress_line(zenrunner, verbosity):
    """As pytest (its 100% waits for the last item's teardown): the last pipeline's teardown
    error puts its E before the percentage, with -q too; -x stopping at the last one shows
    no percentage."""
    zenrunner.makepyfile(
        pipeline_td="""
        import zenrun
        from zenrun import pipeline

        @zenrun.fixture
        def bad_td():
            yield 1
            raise RuntimeError("td")

        @pipeline
        def ok():
            pass

        @pipeline
        def last(bad_td):
            pass
        """
    )
    args = [a for a in (verbosity,) if a]
    result = zenrunner.runzenrun_inprocess(*args, "-p", "no:results", "--tb=no")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.re_match_lines([r"(pipeline_td\.py )?\.\.E +\[100%\]$"])
    result.stdout.no_re_match_line(r"^E$")
    zenrunner.makepyfile(
        pipeline_td="from zenrun import pipeline\n@pipeline\ndef ok(): pass\n@pipeline\ndef last(): assert 0\n"
    )
    stopped = zenrunner.runzenrun_inprocess(*args, "-p", "no:results", "--tb=no", "-x")
    stopped.stdout.re_match_lines([r"(pipeline_td\.py )?\.F$"])


def test_the_warnings_summary_groups_a_warning_given_by_several_pipelines(zenrunner):
    zenrunner.makepyfile(
        pipeline_w="""
        import warnings
        import zenrun
        from zenrun import step, pipeline

        @step(enable_cache=False)
        def s(i: int) -> int:
            warnings.warn("user warn", UserWarning)
            return i

        @zenrun.mark.parametrize("i", range(12))
        @pipeline
        def many(i):
            s(i)

        @pipeline
        def few():
            s(0)
        """
    )
    result = zenrunner.run("-q", "-k", "few or many[0] or many[1]")
    text = result.stdout
    assert text.count("UserWarning: user warn") == 1, text  # as pytest: once, under the ids
    result.fnmatch_lines(
        [
            "pipeline_w.py::many[[]0[]]",
            "pipeline_w.py::many[[]1[]]",
            "pipeline_w.py::few",
            "  *UserWarning: user warn",
        ]
    )
    result = zenrunner.run("-q")
    result.fnmatch_lines(["pipeline_w.py: 13 warnings", "  *UserWarning: user warn"])  # ten or more: per file


def test_the_short_summary_of_a_fixture_error_is_its_exception_and_first_line(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def fx():
            raise ValueError("fx1\\nfx2")
    """)
    zenrunner.makepyfile(pipeline_f=PIPELINES.replace("def alpha():", "def alpha(fx):"))
    result = zenrunner.run("-q", "--tb=no", "-k", "alpha")
    result.fnmatch_lines(["ERROR pipeline_f.py::alpha - ValueError: fx1"])


def test_a_terminal_that_cannot_encode_the_report_gets_it_escaped_whole(zenrunner, monkeypatch):
    """As pytest: what the output's encoding cannot show is escaped; nothing is cut short."""
    zenrunner.makepyfile(
        pipeline_unicode="""
        from zenrun import pipeline, step

        @step
        def shout() -> int:
            print("\\u00e4 \\u263a")
            assert 0, "\\u00e4 \\u263a fails"

        @pipeline
        def unicode_pipeline():
            shout()
        """
    )
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    result = zenrunner.run("-p", "no:results")  # a process of its own, its stdout ASCII
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "E       AssertionError: \\xe4 \\u263a fails",
            "*Captured stdout (shout)*",
            "\\xe4 \\u263a",
            "FAILED pipeline_unicode.py::unicode_pipeline - *AssertionError: \\xe4 \\u263a fails",
            "*= 1 failed in *",
        ]
    )


def test_paths_may_follow_options(zenrunner):
    """As pytest: ``zenrun a.py -q b.py`` collects both files."""
    body = """
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def {name}():
            one()
        """
    zenrunner.makepyfile(pipeline_a=body.format(name="pa"), pipeline_b=body.format(name="pb"))
    result = zenrunner.run("pipeline_a.py", "-q", "-p", "no:results", "pipeline_b.py")
    result.assert_outcomes(passed=2)
    selected = zenrunner.run("pipeline_a.py", "-k", "pb", "pipeline_b.py", inprocess=True)
    selected.assert_outcomes(passed=1, deselected=1)


def test_option_values_out_of_range_are_usage_errors(zenrunner):
    zenrunner.makepyfile(pipeline_a=PIPELINES)
    for args, message in (
        (["--maxfail", "-1"], "argument --maxfail: expects a number >= 0, not -1"),
        (["--durations", "-1"], "argument --durations: expects a number >= 0, not -1"),
        (["--store="], "--store needs a directory or a URL, not an empty value"),
        (
            ["--confcutdir", "pipeline_a.py"],
            "argument --confcutdir: must be a directory, given: pipeline_a.py",
        ),
    ):
        result = zenrunner.run(*args)
        assert result.ret == 4, args
        assert message in result.stderr, (args, result.stderr)


def test_x_and_maxfail_the_later_wins(zenrunner):
    zenrunner.makepyfile(
        pipeline_failing="""
        from zenrun import pipeline, step

        @step
        def bad() -> int:
            assert 0

        @pipeline
        def f1():
            bad()

        @pipeline
        def f2():
            bad()

        @pipeline
        def f3():
            bad()
        """
    )
    zenrunner.run("-x", "--maxfail=2", "-p", "no:results").assert_outcomes(failed=2)
    zenrunner.run("--maxfail=2", "-x", "-p", "no:results").assert_outcomes(failed=1)


def test_version_loads_no_session_module(tmp_path):
    """``zenrun --version`` answers before the session's modules load (most of its time)."""
    script = (
        "import sys, io, contextlib\nsys.argv = ['zenrun', '--version']\n"
        "from zenrun.__main__ import console_main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = console_main()\n"
        "loaded = sorted(m for m in ('zenrun.main', 'zenrun.config', 'zenrun.collect') if m in sys.modules)\n"
        "print('LOADED', loaded, code, repr(out.getvalue()))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    from zenrun import __version__

    assert f"LOADED [] 0 'zenrun {__version__}\\n'" in proc.stdout, proc.stdout


def test_minversion_and_required_plugins_stop_a_run_that_lacks_them(zenrunner):
    """As pytest's ini keys: a project asking for a newer zenrun, or a plugin that is not
    installed, stops at once with a usage error naming what is missing."""
    zenrunner.maketoml('minversion = "99.0"\n')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *zenrun.toml: 'minversion' requires zenrun-99.0, actual zenrun-*"])

    zenrunner.maketoml(
        f'minversion = "{zenrun.__version__}"\nrequired_plugins = ["zenrun-nosuchplugin", "dask"]\n'
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: Missing required plugins: zenrun-nosuchplugin"])

    zenrunner.maketoml('required_plugins = ["dask", "zenrun>=0.0.1"]\n')  # an entry point's, a distribution's
    assert zenrunner.runzenrun_inprocess().ret == 5


def test_version_variable_set_while_zenrun_runs_and_restored(zenrunner, monkeypatch):
    """$ZENRUN_VERSION, as pytest's PYTEST_VERSION: the version in a conftest and a step, the
    caller's value back afterwards."""
    monkeypatch.setenv("ZENRUN_VERSION", "old version")
    zenrunner.makeconftest(
        """
        import os
        import zenrun

        def zenrun_configure(config):
            assert os.environ["ZENRUN_VERSION"] == zenrun.__version__
        """
    )
    zenrunner.makepyfile(
        pipeline_v="""
        import os
        import zenrun
        from zenrun import pipeline, step

        @step
        def version() -> None:
            assert os.environ.get("ZENRUN_VERSION") == zenrun.__version__

        @pipeline
        def p():
            version()
        """
    )
    result = zenrunner.runzenrun_inprocess("--no-cache")
    assert result.ret == 0
    assert os.environ["ZENRUN_VERSION"] == "old version"


def test_vv_keeps_a_long_id_and_its_word_on_one_line_and_wraps_only_a_reason(zenrunner):
    """As pytest's ``wrap_write``: under ``-vv`` only a skip reason is wrapped (with a margin
    of 8 for the progress); ``id PASSED`` stays one line however long the id (the word went
    to a line of its own once the line passed the width less 8)."""
    name = "a_pipeline_whose_name_is_long_enough_to_pass_the_margin"
    zenrunner.makepyfile(
        pipeline_long=f"""
import zenrun
from zenrun import pipeline

@pipeline
def {name}():
    pass

@zenrun.mark.skip(reason="word " * 30)
@pipeline
def skipped():
    pass
"""
    )
    result = zenrunner.run("-vv", "-p", "no:results", env={"COLUMNS": "80"}, inprocess=True)
    result.stdout.fnmatch_lines([f"pipeline_long.py::{name} PASSED*"])
    lines = result.stdout.lines
    start = next(
        i for i, line in enumerate(lines) if line.startswith("pipeline_long.py::skipped SKIPPED (word")
    )
    reason_lines = lines[start : start + 3]  # the last one ends with the progress
    assert all(len(line) <= 72 for line in reason_lines[:2]), reason_lines
    assert reason_lines[2].endswith("word)" + " " * 28 + "[100%]"), reason_lines
    assert " ".join(reason_lines).count("word") == 30


def test_help_under_python_O_ends_with_the_asserts_off_warning(zenrunner):
    """As pytest's ``-h``: under ``python -O`` (no ``assert`` runs) the help ends with the
    config warning a run gives in its warnings summary; without -O, no such line."""
    for flags, shown in ((["-OO"], True), ([], False)):
        proc = subprocess.run(
            [sys.executable, *flags, "-m", "zenrun", "-h"],
            cwd=zenrunner.path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        line = "ZenrunConfigWarning: ASSERTIONS ARE NOT EXECUTED and FAILING PIPELINES WILL PASS."
        warned = [text for text in proc.stdout.splitlines() if text.startswith("warning : ") and line in text]
        assert bool(warned) is shown, proc.stdout[-2000:]
