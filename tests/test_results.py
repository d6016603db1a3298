"""Results: log_metadata, the results table, --runs / --show, the post-execution API (issue 9)."""

from __future__ import annotations

import json
import os
import re
import sqlite3

import pytest

from zenrun.testing import read_store

GRID = """
import zenrun
from zenrun import pipeline, step

@step
def train(depth: int) -> float:
    zenrun.log_metadata(train_loss=1.0 / depth)
    return depth / 10

@step
def evaluate(score: float) -> float:
    zenrun.log_metadata({"accuracy": score}, n_params=3)
    return score

@step
def flag(score: float) -> bool:
    return score > 0.25

@zenrun.mark.parametrize("depth", [2, 4, 3])
@pipeline
def grid(depth):
    evaluate(train(depth))

@pipeline
def scalars():
    flag(train(5))
"""

PLUGIN = """
import zenrun

@zenrun.hookimpl
def zenrun_step_finish(step_run):
    if step_run.metadata:
        print("HOOK", step_run.id, sorted(step_run.metadata.items()))
"""


def _runs(store, pipeline):
    return [r for r in read_store(store).get_runs() if r.pipeline_name == pipeline]


# ---------------------------------------------------------------------------
# 1. log_metadata
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "parallel"])
def test_log_metadata_recorded_with_the_step(zenrunner, args):
    zenrunner.makepyfile(pipeline_grid=GRID)
    zenrunner.makeconftest(PLUGIN)
    result = zenrunner.run("pipeline_grid.py::grid", *args)
    assert result.ret == 0, result.stdout
    result.fnmatch_lines(["*HOOK train [[]('train_loss', 0.5)[]]"])
    runs = {r.item_id: r for r in _runs(zenrunner.store, "grid")}
    run = runs["pipeline_grid.py::grid[2]"]
    assert run.params == {"depth": 2}
    assert run.steps["train"].metadata == {"train_loss": 0.5}
    assert run.steps["evaluate"].metadata == {"accuracy": 0.2, "n_params": 3}
    assert run.metrics == {"train_loss": 0.5, "accuracy": 0.2, "n_params": 3}
    assert runs["pipeline_grid.py::grid[4]"].metrics["accuracy"] == 0.4
    assert run.n_steps == 2 and run.n_cached == 0


def test_cache_hit_keeps_logged_metadata(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    zenrunner.makeconftest(PLUGIN)
    zenrunner.run("-k", "grid[4]")
    result = zenrunner.run("-k", "grid[4]")
    result.fnmatch_lines(["*HOOK evaluate [[]('accuracy', 0.4), ('n_params', 3)[]]"])
    run = _runs(zenrunner.store, "grid")[-1]
    assert run.n_cached == 2
    assert run.metrics["accuracy"] == 0.4


def test_scalar_outputs_of_final_steps_are_metrics(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID.replace("    zenrun.log_metadata(train_loss=1.0 / depth)\n", ""))
    assert zenrunner.run("-k", "scalars").ret == 0
    run = _runs(zenrunner.store, "scalars")[-1]
    assert run.metrics == {"flag": True}
    assert run.steps["train"].output.value == 0.5
    assert run.steps["train"].output.preview == "0.5"


def test_log_metadata_errors_name_the_step(zenrunner):
    zenrunner.makepyfile(
        pipeline_bad="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def bad() -> int:
            zenrun.log_metadata(model=object())
            return 1

        @pipeline
        def broken():
            bad()
    """,
        script="""
        import zenrun
        zenrun.log_metadata(x=1)
    """,
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.fnmatch_lines(
        ["*TypeError: step 'bad': log_metadata(model=...): cannot record a value of type builtins.object*"]
    )
    outside = zenrunner.runpython(zenrunner.path / "script.py")
    assert "called outside a running step" in outside.stderr


def test_old_store_is_migrated(zenrunner):
    """A store written before metadata columns existed opens, reads and records."""
    db_path = zenrunner.store / "metadata.db"
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.executescript("""
        CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, pipeline TEXT NOT NULL,
            status TEXT NOT NULL, started REAL, finished REAL, item_id TEXT, enable_cache INTEGER,
            orchestrator TEXT, graph TEXT, pid INTEGER, host TEXT);
        CREATE TABLE steps (run_id INTEGER NOT NULL, step_id TEXT NOT NULL, step_name TEXT NOT NULL,
            status TEXT NOT NULL, started REAL, finished REAL, config TEXT, cache_key TEXT,
            cache_parts TEXT, cache_reason TEXT, error TEXT, upstream TEXT,
            PRIMARY KEY (run_id, step_id));
        CREATE TABLE artifacts (digest TEXT PRIMARY KEY, size INTEGER NOT NULL,
            materializer TEXT NOT NULL, type TEXT);
        CREATE TABLE step_io (run_id INTEGER NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL,
            name TEXT NOT NULL, position INTEGER, digest TEXT, source_step TEXT, source_output TEXT);
        INSERT INTO runs VALUES (1, 'old-1', 'old', 'completed', 1.0, 2.0, NULL, 1, 'local',
            '{"a": []}', 1, 'h');
        INSERT INTO steps VALUES (1, 'a', 'a', 'completed', 1.0, 2.0, NULL, 'k', NULL, NULL,
            NULL, '[]');
    """)
    db.commit()
    db.close()
    zenrunner.makepyfile(pipeline_grid=GRID)
    assert zenrunner.run("-k", "grid[2]").ret == 0
    store = read_store(zenrunner.store)
    old = store.get_run("old-1")
    assert old.metrics == {} and old.steps["a"].metadata == {}
    assert _runs(zenrunner.store, "grid")[-1].metrics["accuracy"] == 0.2
    columns = {r[1] for r in sqlite3.connect(db_path).execute("PRAGMA table_info(steps)")}
    assert {"metadata", "captured"} <= columns
    assert json.loads(
        sqlite3.connect(db_path).execute("SELECT params FROM runs WHERE pipeline='grid'").fetchone()[0]
    ) == {"depth": 2}


# ---------------------------------------------------------------------------
# 2. the results table
# ---------------------------------------------------------------------------


def test_results_table_one_row_per_item_sorted_with_best_marked(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    result = zenrunner.run("pipeline_grid.py::grid", "--sort-by", "accuracy")
    assert result.ret == 0
    result.fnmatch_lines(
        [
            "=*results*=",
            "grid * depth*accuracy*train_loss*n_params*duration*cached",  # the objective first
            "* grid[[]4[]] * 4 * 0.4 * 0.25 * 3 * 0/2",
            "  grid[[]3[]] * 3 * 0.3 * 0.3333 * 3 * 0/2",
            "  grid[[]2[]] * 2 * 0.2 * 0.5 * 3 * 0/2",
            "=* 3 passed*",
        ]
    )
    lowest = zenrunner.run("pipeline_grid.py::grid", "--sort-by", "train_loss:min")
    lowest.fnmatch_lines(["* grid[[]4[]] *2/2", "  grid[[]3[]] *", "  grid[[]2[]] *"])
    narrow = zenrunner.run("pipeline_grid.py::grid", "--sort-by", "accuracy", env={"COLUMNS": "40"})
    narrow.fnmatch_lines(["grid * accuracy*", "*columns not shown: depth, train_loss, n_params*"])
    assert max(len(line) for line in narrow.outlines if "grid[" in line) <= 40
    bad = zenrunner.run("--sort-by", "accuracy:best")
    assert bad.ret == 4
    assert "--sort-by 'accuracy:best'" in bad.stderr


def test_quiet_levels(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    quiet = zenrunner.run("-q")
    quieter = zenrunner.run("-qq")
    assert quiet.ret == quieter.ret == 0
    quiet.fnmatch_lines(["=*results*="])
    quieter.no_fnmatch_line("*results*")
    assert len(quieter.outlines) < len(quiet.outlines)
    # As pytest: -q ends with the counts on a plain line, -qq with no closing line at all.
    assert quiet.outlines[-1].startswith("4 passed in "), quiet.outlines[-1]
    quiet.assert_outcomes(passed=4)
    assert quieter.stdout.strip().startswith("....")  # as pytest -qq: then the progress, [100%]


# ---------------------------------------------------------------------------
# 3. --runs and --show
# ---------------------------------------------------------------------------


def test_runs_newest_first_limited_and_filtered(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    assert zenrunner.run().ret == 0
    assert zenrunner.run("-k", "grid and 4").ret == 0
    everything = zenrunner.run("--runs", env={"COLUMNS": "120"})
    everything.fnmatch_lines(
        [
            "started*item*status*steps*cached*duration*params*metrics",
            "*grid[[]4[]]*completed*2*2*depth=4*accuracy=0.4*",
            "*scalars*completed*2*0*",
            "*grid[[]3[]]*",
            "*grid[[]4[]]*completed*2*0*",
            "*grid[[]2[]]*",
        ]
    )
    last = zenrunner.run("--runs", "--last", "2")
    assert sum("completed" in line for line in last.outlines) == 2
    last.fnmatch_lines(["*grid[[]4[]]*", "*scalars*", "(newest 2 runs*"])
    filtered = zenrunner.run("--runs", "-k", "not scalars and not 3", "-v")
    rows = [line for line in filtered.outlines if "completed" in line]
    assert [r.split()[2] for r in rows] == ["grid[4]", "grid[4]", "grid[2]"]
    assert all("grid-" in r for r in rows)  # -v: run names
    none = zenrunner.run("--runs", "-k", "nothing_like_this")
    assert none.ret == 0
    none.fnmatch_lines(["no runs matching -k 'nothing_like_this' recorded in *"])
    negative = zenrunner.run("--runs", "--last", "-1")  # not "no runs recorded"
    assert negative.ret == 4 and "--last: expects a number >= 0" in negative.stderr


def test_show_accepts_names_items_prefixes_and_latest(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    assert zenrunner.run("pipeline_grid.py::grid").ret == 0
    assert zenrunner.run("pipeline_grid.py::grid[2]").ret == 0
    runs = _runs(zenrunner.store, "grid")
    newest_2 = [r for r in runs if r.item_id.endswith("grid[2]")][-1]
    for ref in ("grid[2]", "pipeline_grid.py::grid[2]", "latest", newest_2.name):
        shown = zenrunner.run("--show", ref)
        assert shown.ret == 0, (ref, shown.stderr)
        shown.fnmatch_lines(
            [
                f"run {newest_2.name} of pipeline grid: completed in *",
                "item: pipeline_grid.py::grid[[]2[]]",
                "params: depth=2",
                "metrics: train_loss=0.5, accuracy=0.2, n_params=3",
                "*_ train _*",
                "status: cached in *; cache hit",
                "metadata: train_loss=0.5",
                "output output: builtins.float, * 0.2",
                f"    *{zenrunner.store}*",
                "*_ evaluate _*",
            ]
        )
    first = runs[0]
    prefix = zenrunner.run("--show", first.name[:-3])
    assert prefix.ret == 0
    prefix.fnmatch_lines([f"run {first.name} of pipeline grid*", "*cache miss: no earlier run*"])
    ambiguous = zenrunner.run("--show", "grid-")
    assert ambiguous.ret == 4
    assert "matches several runs" in ambiguous.stderr
    unknown = zenrunner.run("--show", "nope")
    assert unknown.ret == 4
    assert "no run, item or run-name prefix matches 'nope'" in unknown.stderr
    pipeline_name = zenrunner.run("--show", "grid")  # several items: name them
    assert pipeline_name.ret == 4
    assert "'grid' is a pipeline with several items: grid[" in pipeline_name.stderr
    before = len(_runs(zenrunner.store, "grid"))
    for empty in ("", " "):  # an unset shell variable: a usage error, not a session
        blank = zenrunner.run("--show", empty)
        assert blank.ret == 4 and "--show needs a run name" in blank.stderr
    assert len(_runs(zenrunner.store, "grid")) == before


# ---------------------------------------------------------------------------
# 4. the Python API
# ---------------------------------------------------------------------------


def test_python_api_items_metrics_table_and_uri(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    assert zenrunner.run().ret == 0
    assert zenrunner.run("-k", "grid and 2").ret == 0
    result = zenrunner.runpython("""
        import os
        import zenrun

        pipeline = zenrun.get_pipeline("grid")
        print("ITEMS", sorted(pipeline.items))
        item = zenrun.get_item("grid[2]")
        print("RUNS", len(item.runs), item.last_run.metrics)
        step = item.last_run.steps["evaluate"]
        print("META", step.metadata, step.output.value)
        print("URI", os.path.isfile(step.output.uri))
        print("GETRUN", zenrun.get_run("grid[2]").name == item.last_run.name)
        table = zenrun.runs_table("grid")
        print("TABLE", len(table), table[-1]["item"], table[-1]["params.depth"],
              table[-1]["metrics.accuracy"])
        frame = zenrun.runs_table(item="grid[4]").to_pandas()
        print("FRAME", list(frame["metrics.accuracy"]), frame["steps"].tolist())
        print("LAST", [r["item"] for r in zenrun.runs_table(last=2)])
        try:
            zenrun.get_item("grid[9]")
        except KeyError as exc:
            print("MISSING", exc)
    """)
    assert result.ret == 0, result.stderr
    for line in [
        "ITEMS ['grid[2]', 'grid[3]', 'grid[4]']",
        "RUNS 2 {'train_loss': 0.5, 'accuracy': 0.2, 'n_params': 3}",
        "META {'accuracy': 0.2, 'n_params': 3} 0.2",
        "URI True",
        "GETRUN True",
        "TABLE 4 grid[2] 2 0.2",
        "FRAME [0.4] [2]",
        "LAST ['scalars', 'grid[2]']",
        "recorded items: grid[2], grid[4], grid[3], scalars",
    ]:
        assert line in result.stdout, result.stdout


# ---------------------------------------------------------------------------
# 5. progress and --durations
# ---------------------------------------------------------------------------

SLOW = """
import time
from pathlib import Path
from zenrun import pipeline, step

@step
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds

@step
def quick(x: float) -> float:
    return x

@pipeline
def slow():
    quick(nap(2.5))
    quick(nap(0.3), id="quick_short")
"""


def test_durations_without_the_results_table(zenrunner):
    """``-p no:results`` leaves out the table, not ``--durations`` (its own plugin)."""
    zenrunner.makepyfile(
        pipeline_quick="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def quick():
            one()
        """
    )
    result = zenrunner.run("-p", "no:results", "--durations", "0", "--durations-min", "0")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["=*slowest durations*=", "*s completed pipeline_quick.py::quick::one"])
    assert not [line for line in result.stdout.splitlines() if line.strip("= ") == "results"]


def test_slow_step_lines_without_a_terminal_and_durations(zenrunner):
    # Durations far apart (2.5 s, 0.3 s, next to nothing) and thresholds between them, with
    # margins of more than a second: a busy machine stretches each step, never by that much.
    zenrunner.makepyfile(pipeline_slow=SLOW)
    result = zenrunner.run("--slow-after", "1.5", "--durations", "2")
    assert result.ret == 0
    result.fnmatch_lines(
        [
            "pipeline_slow.py ",
            "    still running: slow step nap (*s)",
            "pipeline_slow.py .*[[]100%]",
            "=*slowest 2 durations*=",
            "*s completed pipeline_slow.py::slow::nap",
            "*s completed pipeline_slow.py::slow::nap_2",
            "=* 1 passed*",
        ]
    )
    assert result.stdout.count("still running") == 1  # every minute after: not again
    everything = zenrunner.run("--no-cache", "--durations", "0", "--durations-min", "1.0")
    everything.fnmatch_lines(
        [
            "=*slowest durations*=",
            "*s completed *::nap",
            "(3 durations < 1s hidden.)",  # as pytest: -vv shows them only without --durations-min
        ]
    )
    everything.no_fnmatch_line("*still running*")  # below the default threshold


# ---------------------------------------------------------------------------
# 6. captured output
# ---------------------------------------------------------------------------

CAPTURE = """
import logging
import sys
import zenrun
from zenrun import pipeline, step

log = logging.getLogger("user")

@zenrun.fixture
def data():
    print("fixture says hello")
    yield 3
    print("fixture says bye")

@step
def left(n: int) -> int:
    for i in range(3):
        print(f"left line {i}")
    print("left err", file=sys.stderr)
    log.warning("left warning")
    return n

@step
def right(n: int) -> int:
    for i in range(3):
        print(f"right line {i}")
    return n

@step
def boom(a: int, b: int) -> int:
    print("about to fail")
    log.error("failing now")
    raise ValueError("boom")

@step
def chatty() -> int:
    sys.stdout.write("x" * 100_000 + "\\nlast words\\n")
    return 1

@pipeline
def branches(data):
    boom(left(data), right(data))

@pipeline
def loud():
    chatty()
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "parallel"])
def test_output_captured_per_step_and_shown_on_failure(zenrunner, args):
    zenrunner.makepyfile(pipeline_capture=CAPTURE)
    result = zenrunner.run(*args)
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "pipeline_capture.py *F*",
            "=*FAILURES*=",
            "*ValueError: boom",
            "-* Captured stdout setup -*",  # as pytest: setup, then the steps, then teardown
            "fixture says hello",
            "-* Captured stdout (boom) -*",
            "about to fail",
            "-* Captured log (boom) -*",
            "ERROR    user:pipeline_capture.py:* failing now",
            "-* Captured stdout teardown -*",
            "fixture says bye",
        ]
    )
    assert "left line" not in result.stdout and "left err" not in result.stderr
    steps = {r.pipeline_name: r for r in read_store(zenrunner.store).get_runs()}
    captured = steps["branches"].steps
    assert captured["left"].captured == {
        "stdout": "left line 0\nleft line 1\nleft line 2\n",
        "stderr": "left err\n",
        "log": captured["left"].captured["log"],
    }
    assert captured["left"].captured["log"].endswith("left warning\n")
    assert captured["right"].captured == {"stdout": "right line 0\nright line 1\nright line 2\n"}
    chatty = steps["loud"].steps["chatty"].captured["stdout"]
    assert chatty.startswith("[... ") and "characters truncated ...]" in chatty
    assert chatty.endswith("x\nlast words\n") and len(chatty) < 70 * 1024
    shown = zenrunner.run("--show", "branches")
    shown.fnmatch_lines(
        [
            "*_ left _*",
            "-* Captured stdout (left) -*",
            "left line 0",
            "-* Captured stderr (left) -*",
            "left err",
        ]
    )


FD_OUTPUT = """
    import ctypes, os, subprocess, sys
    import zenrun
    from zenrun import pipeline, step

    @zenrun.fixture
    def tool():
        subprocess.run([sys.executable, "-c", "print('fixture subprocess')"], check=True)
        return 1

    @step(enable_cache=False)
    def native(x: int) -> int:
        print("python print")
        subprocess.run([sys.executable, "-c",
                        "import sys; print('child out'); print('child err', file=sys.stderr)"],
                       check=True)
        ctypes.CDLL(None).printf(b"c printf\\n")
        os.write(2, b"raw fd 2\\n")
        return x

    @pipeline
    def beneath_python(tool):
        native(tool)
"""


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "parallel"])
def test_fd_capture_takes_subprocess_and_c_output_of_each_step(zenrunner, args):
    """pytest's default ``--capture=fd``: output that bypasses ``sys.stdout`` is the step's too."""
    zenrunner.makepyfile(pipeline_fd=FD_OUTPUT)
    result = zenrunner.run(*args)
    result.assert_outcomes(passed=1)
    for leaked in ("child out", "child err", "c printf", "raw fd 2", "fixture subprocess"):
        assert leaked not in result.stdout + result.stderr, result.stdout + result.stderr
    step = read_store(zenrunner.store).get_runs()[-1].steps["native"]
    assert step.captured["stdout"].splitlines() == ["python print", "child out", "c printf"]
    assert step.captured["stderr"].splitlines() == ["child err", "raw fd 2"]
    sys_only = zenrunner.run("--capture=sys", *args)
    sys_only.assert_outcomes(passed=1)
    assert "child out" in sys_only.stdout and "python print" not in sys_only.stdout


def test_short_summary_of_a_failing_fixture_names_its_error_not_its_output(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def noisy():
            print("fixture setup says hi")
            raise RuntimeError("fixture broke")
    """)
    zenrunner.makepyfile(
        pipeline_noisy="""
        from zenrun import pipeline, step

        @step
        def use(x: int) -> int:
            return x

        @pipeline
        def noisy_pipeline(noisy):
            use(noisy)
    """
    )
    result = zenrunner.run("-rE")
    assert result.ret == 1
    result.fnmatch_lines(
        [
            "-* Captured stdout setup -*",
            "fixture setup says hi",
            "ERROR pipeline_noisy.py::noisy_pipeline - *RuntimeError: fixture broke",
        ]
    )


def test_capture_off_with_s_and_live_logs(zenrunner):
    zenrunner.makepyfile(pipeline_capture=CAPTURE)
    result = zenrunner.run("-s", "-k", "branches")
    assert result.ret == 1
    result.fnmatch_lines(["*fixture says hello*", "*left line 0*"])
    result.fnmatch_lines(["left err"], stderr=True)
    assert read_store(zenrunner.store).get_runs()[-1].steps["left"].captured == {}
    live = zenrunner.run("--capture=no", "--log-cli-level", "WARNING", "-k", "branches", "--no-cache")
    live.fnmatch_lines(["WARNING  user:pipeline_capture.py:* left warning"])
    captured_live = zenrunner.run("--log-cli-level", "WARNING", "-k", "branches", "--no-cache")
    captured_live.fnmatch_lines(["WARNING  user:pipeline_capture.py:* left warning"])
    assert "left line 0" not in captured_live.stdout


# ---------------------------------------------------------------------------
# 7. a closed stdout, -v blocks
# ---------------------------------------------------------------------------


def test_closed_stdout_ends_the_reporter_quietly(zenrunner):
    """``zenrun -v | head -1``: the run finishes and is recorded completed."""
    import subprocess
    import sys

    zenrunner.makepyfile(
        pipeline_wait="""
        import time
        from pathlib import Path
        from zenrun import pipeline, step

        @step
        def wait_for_reader() -> int:
            flag = Path(__file__).with_name("reader-gone")
            for _ in range(600):  # the test closes the pipe, then creates the file
                if flag.exists():
                    return 1
                time.sleep(0.05)
            raise TimeoutError("the test never closed the pipe")

        @step
        def after(x: int, i: int) -> int:
            print("captured, not written")
            return x + i

        @pipeline
        def waiting():
            ready = wait_for_reader()
            for i in range(20):
                after(ready, i)
    """
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-v"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        first = proc.stdout.readline()
        assert b"zenrun session starts" in first
        proc.stdout.close()  # as `head -1` does
        (zenrunner.path / "reader-gone").touch()
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr.decode()
    assert b"BrokenPipe" not in stderr and b"Traceback" not in stderr, stderr.decode()
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.status == "completed"
    assert len(run.steps) == 21 and all(s.status == "completed" for s in run.steps.values())

    # `zenrun --runs | head -0`: the reader is gone before zenrun writes anything; with the
    # output buffered (a pipe, as on a machine without PYTHONUNBUFFERED) and unbuffered
    for unbuffered in (False, True):
        env = zenrunner.env()
        env.pop("PYTHONUNBUFFERED", None)
        if unbuffered:
            env["PYTHONUNBUFFERED"] = "1"
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", "--runs"],
            cwd=zenrunner.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        try:
            proc.stdout.close()
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert (unbuffered, proc.returncode, stderr.decode()) == (unbuffered, 0, "")


def test_verbose_item_blocks_start_with_the_item_id(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    result = zenrunner.run("-v", "--no-cache", "pipeline_grid.py::grid")
    result.fnmatch_lines(
        [
            "pipeline_grid.py::grid[[]2[]]",
            "    Creating run for pipeline: grid",
            "    Cache enabled for pipeline grid",  # the pipeline's setting, as the seed
            "    Using orchestrator local to run pipeline grid...",
            "    Runtime configuration overwriting the pipeline cache settings*",  # then the run's
            "    Step train has started.",
            "pipeline_grid.py::grid[[]2[]] PASSED*",
            "pipeline_grid.py::grid[[]4[]]",
            "    Creating run for pipeline: grid",
        ]
    )
    assert result.stdout.count("Cache enabled for pipeline grid") == 3
    assert result.stdout.count("Runtime configuration overwriting") == 3


def test_metadata_and_capture_travel_back_from_dask_workers(zenrunner):
    """Worker processes of a Dask cluster: log_metadata and output return with the result."""
    pytest.importorskip("distributed")
    zenrunner.makepyfile(
        pipeline_grid=GRID.replace(
            "    zenrun.log_metadata(train_loss=1.0 / depth)\n",
            "    zenrun.log_metadata(train_loss=1.0 / depth)\n    print('training depth', depth)\n",
        )
    )
    result = zenrunner.run("--orchestrator", "dask", "--dask-workers", "1", "pipeline_grid.py::grid[3]")
    assert result.ret == 0, result.stdout + result.stderr
    run = _runs(zenrunner.store, "grid")[-1]
    assert run.orchestrator == "dask"
    assert run.steps["train"].metadata == {"train_loss": pytest.approx(1 / 3)}
    assert run.steps["train"].captured == {"stdout": "training depth 3\n"}
    assert run.metrics["accuracy"] == pytest.approx(0.3)
    assert "training depth" not in result.stdout


def test_progress_line_on_a_terminal_is_redrawn_in_place_and_not_broken(zenrunner, run_on_a_terminal):
    """On a TTY: running step and elapsed time, a few redraws a second, step prints captured."""
    zenrunner.makepyfile(
        pipeline_tty="""
        import time
        from zenrun import pipeline, step

        @step
        def nap() -> int:
            print("a print that must not reach the terminal")
            time.sleep(2.0)
            return 1

        @step
        def after(x: int) -> int:
            return x

        @pipeline
        def tty():
            after(nap())
    """
    )
    returncode, output, elapsed = run_on_a_terminal()
    assert returncode == 0, output
    assert "a print that must not reach the terminal" not in output
    # the running step, ticking (redrawn at least once after 0.2 s, however late on a busy machine)
    assert re.search(r"\[0/2\] nap (?!0\.[01]s)\d+\.\ds", output), output
    redraws = len(re.findall(r"\r(?!\n)", output))  # not the pty's \r\n line ends
    assert 2 <= redraws <= 2 * (4 * elapsed + 4), (redraws, elapsed)  # status + clear per tick


def test_progress_line_of_many_fast_steps_is_drawn_a_few_times_a_second(zenrunner, run_on_a_terminal):
    """On a TTY, a chain of 300 fast steps redraws the line as often as slow steps do (four
    times a second at most), not once per step."""
    zenrunner.makepyfile(
        pipeline_fast="""
        from zenrun import pipeline, step

        @step(enable_cache=False)
        def start() -> int:
            return 0

        @step(enable_cache=False)
        def add(x: int) -> int:
            return x + 1

        @pipeline
        def fast():
            value = start()
            for _ in range(299):
                value = add(value)
    """
    )
    returncode, output, elapsed = run_on_a_terminal()
    assert returncode == 0, output
    assert "1 passed" in output, output
    redraws = len(re.findall(r"\r(?!\n)", output))  # not the pty's \r\n line ends
    assert redraws <= 2 * (4 * elapsed + 4), (redraws, elapsed)  # status + clear per tick


def test_progress_line_under_n_names_the_item_of_each_running_step(zenrunner, run_on_a_terminal):
    zenrunner.makepyfile(
        pipeline_naps="""
        import time
        from pathlib import Path
        import zenrun
        from zenrun import pipeline, step

        @step
        def nap(x: int) -> int:
            # Both naps run together for two seconds, however late a busy machine starts either.
            Path(f"started-{x}").touch()
            deadline = time.monotonic() + 240
            while not (Path("started-1").exists() and Path("started-2").exists()):
                if time.monotonic() > deadline:
                    raise TimeoutError("the other nap never started")
                time.sleep(0.01)
            time.sleep(2.0)
            return x

        @zenrun.mark.parametrize("x", [1, 2])
        @pipeline
        def naps(x):
            nap(x)
    """
    )
    returncode, output, _ = run_on_a_terminal("-n", "2")
    assert returncode == 0, output
    assert re.search(r"\[0/2\] naps\[[12]\]:nap, naps\[[12]\]:nap \d+\.\ds", output), output


@pytest.mark.parametrize("args", [[], ["-n", "1"]], ids=["local", "parallel"])
def test_a_closed_stderr_loses_no_output(zenrunner, args):
    """``zenrun 2>&-``: descriptor 2 must not be taken by a file zenrun opens (the capture's
    copy of stdout, the zygote's socket), or the report is written there."""
    import subprocess
    import sys

    zenrunner.makepyfile(pipeline_capture=CAPTURE)
    proc = subprocess.run(
        [sys.executable, "-m", "zenrun", "-k", "loud", *args],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.close(2),
    )
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("=") and "1 passed" in proc.stdout


def test_a_parameter_id_holding_double_colons_names_its_item_everywhere(zenrunner):
    zenrunner.makepyfile(
        pipeline_ids="""
        import zenrun
        from zenrun import step, pipeline

        @step
        def s(v: int) -> int:
            return v

        @zenrun.mark.parametrize("v", [1, 2], ids=["x::y", "plain"])
        @pipeline
        def pids(v):
            s(v)
        """
    )
    result = zenrunner.run("-q")
    assert result.ret == 0
    result.fnmatch_lines(["pids[[]x::y[]] *1*"])
    shown = zenrunner.run("--show", "pids[x::y]")
    assert shown.ret == 0, shown.stdout + shown.stderr
    shown.fnmatch_lines(["item: pipeline_ids.py::pids[[]x::y[]]", "params: v=1"])
    read = zenrunner.runpython("""
        from zenrun import get_item
        print(get_item("pids[x::y]").last_run.steps["s"].output.read())
    """)
    assert read.outlines[-1] == "1", read.stdout + read.stderr


def test_show_writes_nothing_into_the_store(zenrunner):
    """--show reads the store: a small output packed in inline.db is said to be there, not
    given a file of its own."""
    zenrunner.makepyfile(
        pipeline_small="""
        from zenrun import pipeline, step

        @step
        def small() -> int:
            return 3

        @pipeline
        def tiny():
            small()
        """
    )
    zenrunner.run().assert_outcomes(passed=1)
    artifacts = zenrunner.store / "artifacts"
    before = sorted(p.relative_to(artifacts) for p in artifacts.rglob("[!.]*") if p.is_file())
    shown = zenrunner.run("--show", "tiny")
    assert shown.ret == 0
    shown.fnmatch_lines(["output output: builtins.int, 1 B  3", "    packed in *inline.db*"])
    after = sorted(p.relative_to(artifacts) for p in artifacts.rglob("[!.]*") if p.is_file())
    assert after == before


def test_the_captured_log_keeps_log_level_while_live_logs_show_log_cli_level(zenrunner):
    """As pytest: --log-cli-level=INFO shows INFO live; --log-level=ERROR keeps the failure
    report's captured log to errors."""
    zenrunner.makepyfile(
        pipeline_logging="""
        import logging
        from zenrun import pipeline, step

        @step
        def talk() -> int:
            log = logging.getLogger("talk")
            log.info("an info")
            log.error("an error")
            assert 0

        @pipeline
        def talking():
            talk()
        """
    )
    result = zenrunner.run("-p", "no:results", "--log-cli-level=INFO", "--log-level=ERROR")
    result.assert_outcomes(failed=1)
    captured = result.stdout[result.stdout.index("Captured log") :]
    assert "an error" in captured and "an info" not in captured
    assert "an info" in result.stdout[: result.stdout.index("FAILURES")]  # shown live


def test_a_logging_call_with_bad_arguments_fails_its_step(zenrunner):
    """As pytest: a record that cannot be formatted is an error of the step that logged it."""
    zenrunner.makepyfile(
        pipeline_badlog="""
        import logging
        from zenrun import pipeline, step

        @step
        def noisy() -> int:
            logging.warning("oops", "first", 2)
            return 1

        @pipeline
        def badlog():
            noisy()
        """
    )
    result = zenrunner.run("-p", "no:results")
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(["*TypeError: not all arguments converted during string formatting"])


def test_log_cli_in_the_config_file_shows_records_live(zenrunner):
    zenrunner.makepyfile(
        pipeline_live="""
        import logging
        from zenrun import pipeline, step

        @step
        def talk() -> int:
            logging.getLogger("talk").info("live info record")
            return 1

        @pipeline
        def live():
            talk()
        """
    )
    assert "live info record" not in zenrunner.run("-p", "no:results").stdout
    zenrunner.maketoml('log_cli_level = "INFO"\n')  # alone, as pytest: no live logs
    assert "live info record" not in zenrunner.run("-p", "no:results").stdout
    zenrunner.maketoml('log_cli = true\nlog_cli_level = "INFO"\n')
    result = zenrunner.run("-p", "no:results", "--no-cache")
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["*INFO *talk:pipeline_live.py:* live info record"])


def test_a_metric_beyond_a_floats_range_sorts_past_every_float(zenrunner):
    """An int of 400 digits (JSON takes it) sorts as infinity, not an INTERNALERROR."""
    zenrunner.makepyfile(
        pipeline_huge="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def score(x: int) -> None:
            zenrun.log_metadata(acc=10**400 if x else 0.5)

        @zenrun.mark.parametrize("x", [0, 1])
        @pipeline
        def grid(x):
            score(x)
        """
    )
    result = zenrunner.run("-q", "--sort-by", "acc")
    assert result.ret == 0, result.stdout + result.stderr
    listed = zenrunner.run("--runs", "--sort-by", "acc")
    assert listed.ret == 0, listed.stdout + listed.stderr
    assert "INTERNALERROR" not in result.stderr + listed.stderr


def test_a_thread_the_step_started_logs_to_that_step(zenrunner):
    """A training loop's callback on a thread of its own logs to the step that started it:
    the one step running in the process."""
    zenrunner.makepyfile(
        pipeline_threaded="""
        import threading
        import zenrun
        from zenrun import pipeline, step

        def callback(epoch):
            zenrun.log_metadata(epoch=epoch)

        @step
        def train() -> None:
            worker = threading.Thread(target=callback, args=(3,))
            worker.start()
            worker.join()

        @pipeline
        def threaded():
            train()
        """
    )
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["threaded *epoch=3*"])
