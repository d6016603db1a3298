"""The parallel orchestrator (-n N): independent steps run at the same time."""

import json
import os
import textwrap

import pytest

from zenrun.testing import read_store

BARRIER = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def meet(name: str) -> str:
        # Each branch waits until all three have started: only concurrent steps get past.
        Path(f"started-{name}").touch()
        deadline = time.monotonic() + 240  # generous: a loaded machine starts workers slowly
        while len(list(Path(".").glob("started-*"))) < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the other branches never started")
            time.sleep(0.01)
        return name

    @step
    def join(names: list) -> str:
        return "+".join(names)

    @step
    def fail(name: str) -> str:
        raise ValueError("branch failed")

    @pipeline
    def together():
        join([meet("a"), meet("b"), meet("c")])

    @pipeline
    def partly():
        fail("x")
        join([meet("d")])
"""


def test_independent_steps_run_concurrently(zenrunner):
    zenrunner.makepyfile(pipeline_par=BARRIER)
    result = zenrunner.run("-n", "3", "pipeline_par.py::together")
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["*store: *orchestrator: parallel*"])
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("together").last_run.steps["join"].output.read())
    """
    assert zenrunner.runpython(script).outlines[-1] == "a+b+c"


def test_parallel_failure_leaves_independent_branch_completed(zenrunner):
    zenrunner.makepyfile(pipeline_par=BARRIER.replace("< 3", "< 1"))
    result = zenrunner.run("-n", "2", "pipeline_par.py::partly")
    assert result.ret == 1
    script = """
        import json
        from zenrun import get_pipeline
        run = get_pipeline("partly").last_run
        print(json.dumps({i: s.status for i, s in run.steps.items()}))
    """
    statuses = json.loads(zenrunner.runpython(script).outlines[-1])
    assert statuses == {"fail": "failed", "meet": "completed", "join": "completed"}


GRID = """
    import os, time
    from pathlib import Path
    import zenrun
    from zenrun import StepConfig, pipeline, step

    class Scale(StepConfig):
        factor: int = 1

    @zenrun.fixture(scope="module")
    def scale():
        # Set up once, in the driver: its value travels to the workers.
        with open("setups.txt", "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        return Scale(factor=10)

    @step
    def meet(i: int, config: Scale) -> dict:
        # Each item's step waits until the other item's step has started too.
        Path(f"started-{i}").touch()
        deadline = time.monotonic() + 240  # generous: a loaded machine starts workers slowly
        while len(list(Path(".").glob("started-*"))) < 2:
            if time.monotonic() > deadline:
                raise TimeoutError("the other item never started")
            time.sleep(0.01)
        return {"pid": os.getpid(), "start": time.time(), "value": i * config.factor}

    @step
    def double(record: dict) -> int:
        return record["value"] * 2

    @zenrun.mark.parametrize("i", [1, 2])
    @pipeline
    def grid(i, scale):
        double(meet(i, config=scale))
"""

GRID_REPORT = """
    import json, os
    from zenrun import get_pipeline
    runs = get_pipeline("grid").runs
    print(json.dumps({"driver": os.getpid(), "runs": [
        {"item": r.item_id, "status": r.status,
         "meet": r.steps["meet"].output.read(), "double": r.steps["double"].output.read(),
         "started": r.steps["meet"].started, "finished": r.steps["meet"].finished}
        for r in runs]}))
"""


def _grid_report(zenrunner):
    return json.loads(zenrunner.runpython(GRID_REPORT).outlines[-1])


def test_items_of_a_session_overlap_in_worker_processes(zenrunner):
    zenrunner.makepyfile(pipeline_grid=GRID)
    result = zenrunner.run("-n", "2")
    result.assert_outcomes(passed=2)
    report = _grid_report(zenrunner)
    runs = sorted(report["runs"], key=lambda r: r["item"])
    assert [r["double"] for r in runs] == [20, 40]
    pids = {r["meet"]["pid"] for r in runs}
    assert len(pids) == 2 and report["driver"] not in pids  # two worker processes
    # Each step ran within its recorded interval, and the intervals overlap.
    for r in runs:
        assert r["started"] <= r["meet"]["start"] <= r["finished"]
    assert max(r["started"] for r in runs) < min(r["finished"] for r in runs)
    # The module fixture was set up once, in the driver (not in a worker).
    setups = (zenrunner.path / "setups.txt").read_text().split()
    assert len(setups) == 1 and int(setups[0]) not in pids


def test_results_identical_to_local(zenrunner, tmp_path):
    zenrunner.makepyfile(pipeline_grid=GRID.replace("< 2", "< 1"))
    zenrunner.run("-n", "2", "--dist", "threads").assert_outcomes(passed=2)
    zenrunner.run("--no-cache").assert_outcomes(passed=2)  # local, every step run again
    zenrunner.run("-n", "2", "--no-cache").assert_outcomes(passed=2)
    script = """
        import json
        from zenrun import get_pipeline
        print(json.dumps([[r.orchestrator, r.item_id, {i: (s.status, s.output.digest) for i, s in r.steps.items()}]
                          for r in get_pipeline("grid").runs]))
    """
    runs = json.loads(zenrunner.runpython(script).outlines[-1])
    by_item: dict = {}
    for _orchestrator, item, steps in runs:
        steps["meet"][1] = None  # holds a pid and a time
        by_item.setdefault(item, []).append(steps)
    assert len(by_item) == 2
    for item, results in by_item.items():
        assert len(results) == 3 and results[0] == results[1] == results[2], item


FAULTS = """
    import os, signal, threading
    from pathlib import Path
    import zenrun
    from zenrun import pipeline, step

    @step(retries=1)
    def dies_once() -> int:
        marker = Path("died")
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()

    @step
    def dies_always() -> int:
        os._exit(3)

    @step
    def fine() -> int:
        return 7

    @pipeline
    def recovers():
        dies_once()

    @pipeline
    def broken():
        dies_always()
        fine()

    def make_step():
        lock = threading.Lock()

        @step
        def locked() -> int:
            with lock:  # a closure over a lock: the function cannot be pickled
                return 1
        return locked

    locked = make_step()

    @pipeline
    def unsendable():
        locked()
"""


def test_a_dead_worker_fails_only_its_step_and_retries_in_a_fresh_worker(zenrunner):
    zenrunner.makepyfile(pipeline_faults=FAULTS)
    result = zenrunner.run("-n", "2", "pipeline_faults.py::recovers", "pipeline_faults.py::broken")
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.fnmatch_lines(["*step 'dies_always'*died: exit code 3*"])
    script = """
        import json
        from zenrun import get_pipeline
        ok = get_pipeline("recovers").last_run
        bad = get_pipeline("broken").last_run
        print(json.dumps({"ok": ok.status, "pid": ok.steps["dies_once"].output.read(),
                          "bad": {i: s.status for i, s in bad.steps.items()}}))
    """
    report = json.loads(zenrunner.runpython(script).outlines[-1])
    assert report["ok"] == "completed"
    assert report["pid"] != int((zenrunner.path / "died").read_text())  # a fresh worker
    assert report["bad"] == {"dies_always": "failed", "fine": "completed"}


def test_a_value_that_cannot_reach_a_worker_is_an_error_before_the_run(zenrunner):
    zenrunner.makepyfile(pipeline_faults=FAULTS)
    result = zenrunner.run("-n", "2", "pipeline_faults.py::unsendable")
    assert result.ret == 1
    result.assert_outcomes(errors=1)
    result.fnmatch_lines(
        [
            "*pipeline unsendable: step 'locked': the step function of type "
            "zenrun.steps.Step cannot be sent to a worker process*_thread.lock*"
        ]
    )
    assert (
        "no runs of pipeline 'unsendable'"
        in zenrunner.runpython(
            "from zenrun import get_pipeline\ntry:\n    get_pipeline('unsendable')\n"
            "except KeyError as exc:\n    print(exc)\n"
        ).stdout
    )  # refused before the run started
    zenrunner.run("-n", "2", "--dist", "threads", "pipeline_faults.py::unsendable").assert_outcomes(passed=1)


def test_exitfirst_stops_launching(zenrunner):
    zenrunner.makepyfile(pipeline_faults=FAULTS)
    result = zenrunner.run("-n", "1", "-x", "pipeline_faults.py::broken", "pipeline_faults.py::recovers")
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    result.fnmatch_lines(["*stopping after 1 failure (-x)*1 pipeline(s) not started*"])


ENDLESS = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def quick() -> int:
        return 1

    @step
    def endless(x: int) -> int:
        Path(f"endless-{os.getpid()}.pid").touch()
        while not os.environ.get("ZENRUN_TEST_FINISH"):
            time.sleep(0.05)
        return x + 1

    @step
    def after(x: int) -> int:
        return x * 10

    @pipeline
    def forever():
        after(endless(quick()))
"""


def test_one_sigint_stops_a_parallel_run_and_the_store_stays_consistent(zenrunner):
    import os
    import signal
    import subprocess
    import sys
    import time

    zenrunner.makepyfile(pipeline_forever=ENDLESS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "2"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(zenrunner.path.glob("endless-*.pid")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        worker = int(next(zenrunner.path.glob("endless-*.pid")).name.split("-")[1].split(".")[0])
        proc.send_signal(signal.SIGINT)
        # The step never ends by itself: ending at all means the interrupt stopped it (a
        # generous bound, which only a hang exceeds, however loaded the machine).
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 2, out + err
    assert "KeyboardInterrupt" in out
    try:
        os.kill(worker, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the worker running the endless step was left behind"
    script = """
        import json, sqlite3
        db = sqlite3.connect(".zenrun/metadata.db")
        print(json.dumps({"running": db.execute("SELECT count(*) FROM runs WHERE status='running'").fetchone()[0]
                                     + db.execute("SELECT count(*) FROM steps WHERE status='running'").fetchone()[0],
                          "steps": dict(db.execute("SELECT step_id, status || ':' || coalesce(error, '') FROM steps"))}))
    """
    report = json.loads(zenrunner.runpython(script).outlines[-1])
    assert report["running"] == 0
    assert report["steps"]["quick"] == "completed:"
    assert report["steps"]["endless"].startswith("failed:interrupted")
    assert report["steps"]["after"].startswith("skipped")
    leftovers = list((zenrunner.store / "artifacts").rglob(".tmp*"))
    assert leftovers == []
    again = zenrunner.run("-n", "2", "-v", env={"ZENRUN_TEST_FINISH": "1"})
    again.assert_outcomes(passed=1)
    again.fnmatch_lines(["*Using cached version of quick.*"])


def test_workers_end_when_the_driver_is_killed(zenrunner):
    """kill -9 of the driver must not leave a worker running its step on for hours."""
    import os
    import signal
    import subprocess
    import sys
    import time

    zenrunner.makepyfile(pipeline_forever=ENDLESS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "2"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = factory = None
    try:
        deadline = time.monotonic() + 60
        while not list(zenrunner.path.glob("endless-*.pid")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        worker = int(next(zenrunner.path.glob("endless-*.pid")).name.split("-")[1].split(".")[0])
        with open(f"/proc/{worker}/stat") as fh:  # the zygote (or forkserver) it was forked from
            factory = int(fh.read().rsplit(")", 1)[1].split()[1])
        assert factory != proc.pid
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        for pid, what in ((worker, "worker"), (factory, "zygote")):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if not _process_alive(pid):
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"{what} {pid} still runs after its driver was killed")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in (worker, factory):
            if pid is not None and pid != proc.pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    listed = zenrunner.run("--runs")
    assert listed.ret == 0 and "failed" in listed.stdout, listed.stdout


def _process_alive(pid):
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


STEP_CALL = """
    import os
    import zenrun

    @zenrun.hookimpl(wrapper=True)
    def zenrun_step_call(step_run, call):
        result = yield
        with open("calls.log", "a") as fh:
            fh.write(f"{step_run.id} {os.getpid()}\\n")
        return result
"""


def test_step_call_hook_wraps_the_step_in_its_worker_process(zenrunner):
    zenrunner.makeconftest(STEP_CALL)
    zenrunner.makepyfile(pipeline_grid=GRID.replace("< 2", "< 1"))
    result = zenrunner.run("-n", "2")
    result.assert_outcomes(passed=2)
    calls = [line.split() for line in (zenrunner.path / "calls.log").read_text().splitlines()]
    assert sorted(step for step, _ in calls) == ["double", "double", "meet", "meet"]
    report = _grid_report(zenrunner)
    # The wrapper ran in the very process that ran the step (the pid the step recorded).
    assert sorted(int(pid) for step, pid in calls if step == "meet") == sorted(
        r["meet"]["pid"] for r in report["runs"]
    )
    assert report["driver"] not in {int(pid) for _, pid in calls}


def test_numprocesses_auto_zero_and_bad_values(zenrunner):
    zenrunner.makepyfile(pipeline_faults=FAULTS)
    auto = zenrunner.run("-n", "auto", "pipeline_faults.py::recovers")
    auto.assert_outcomes(passed=1)
    auto.fnmatch_lines(["*orchestrator: parallel*"])
    local = zenrunner.run("-n", "0", "pipeline_faults.py::unsendable")  # 0: no workers (as xdist)
    local.assert_outcomes(passed=1)  # in this process: the unpicklable step runs
    local.fnmatch_lines(["*orchestrator: local*"])
    bad = zenrunner.run("-n", "many")
    assert bad.ret == 4
    assert "expects a number or 'auto', not 'many'" in bad.stderr


def test_a_step_reading_module_globals_runs_in_workers_with_their_own_import(zenrunner):
    # Workers import the project: a module-level lock is not pickled into each task, and
    # the step sees the module as its worker imported it, not a copy of the driver's globals.
    zenrunner.makepyfile(
        pipeline_globals="""
        import os, threading
        from zenrun import pipeline, step

        LOCK = threading.Lock()
        IMPORTED_BY = os.getpid()

        @step(enable_cache=False)
        def guarded() -> list:
            with LOCK:
                # read past the cache key: a constant read directly that differs between the
                # driver and the worker makes the step refuse to run there
                return [globals()["IMPORTED_BY"], os.getpid()]

        @pipeline
        def globals_pipeline():
            guarded()
    """
    )
    result = zenrunner.run("-n", "2")
    result.assert_outcomes(passed=1)
    imported_by, ran_in = json.loads(
        zenrunner.runpython(
            "import json\nfrom zenrun import get_pipeline\n"
            "print(json.dumps(get_pipeline('globals_pipeline').last_run.steps['guarded'].output.read()))"
        ).outlines[-1]
    )
    assert imported_by == ran_in


@pytest.mark.parametrize("dist", [[], ["--dist", "threads"]])
def test_a_module_value_set_by_each_items_fixture_is_never_another_items(zenrunner, dist, monkeypatch):
    """Items running together are set up together in the driver: each parametrized fixture
    set ``helpers.F``, so the last one's value was every item's key and (in threads) its
    result, and a hit served it. Such an item fails, naming the value; none gets another's."""
    zenrunner.makepyfile(
        helpers="F = 2",
        pipeline_factors="""
        import zenrun, helpers
        from zenrun import pipeline, step

        @zenrun.fixture(params=[2, 3, 5])
        def factor(request, monkeypatch):
            monkeypatch.setattr(helpers, "F", request.param)
            return request.param

        @step
        def use(x: int) -> int:
            return helpers.F * 10

        @pipeline
        def p(factor):
            use(1)
        """,
    )
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where output.read() looks
    assert zenrunner.run("-q").ret == 0  # one at a time: each item its own value, cached
    for args in ([], ["--no-cache"]):
        result = zenrunner.run("-q", "-n", "2", *dist, *args)
        runs = {r.item_id: r for r in read_store(zenrunner.store).get_runs()[-3:]}
        assert len(runs) == 3
        for item_id, run in runs.items():
            factor = int(item_id.rsplit("[", 1)[1].rstrip("]"))
            step = run.steps["use"]
            if step.status in ("completed", "cached"):
                assert step.output.read() == factor * 10, (item_id, result.stdout.str())
            else:
                assert step.status == "failed"
                assert "reads helpers.F" in step.error, step.error
        assert result.parseoutcomes().get("failed", 0) >= 2, result.stdout.str()


def test_a_module_value_put_back_by_another_items_teardown_while_a_step_runs_is_not_its(
    zenrunner, monkeypatch, tmp_path
):
    """Checked when the step started, ``helpers.F`` was the item's; the items that failed
    that check were torn down while it ran on a thread of the driver, their ``monkeypatch``
    putting ``F`` back: the step read another item's value and its result was recorded and
    cached as its own (20 for ``p[5]``). It fails, naming the value."""
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    monkeypatch.setenv("TORN", str(tmp_path))
    zenrunner.makepyfile(
        helpers="F = 2",
        pipeline_torn="""
        import os, time
        import zenrun, helpers
        from zenrun import pipeline, step

        @zenrun.fixture(params=[2, 3, 5])
        def factor(request, monkeypatch):
            monkeypatch.setattr(helpers, "F", request.param)
            yield request.param
            monkeypatch.undo()
            open(os.path.join(os.environ["TORN"], str(request.param)), "w").close()

        @step
        def use(x: int) -> int:
            if x == 5:  # the last set up: wait for the first one's teardown
                for _ in range(1000):
                    if os.path.exists(os.path.join(os.environ["TORN"], "2")):
                        break
                    time.sleep(0.01)
            return helpers.F * 10

        @pipeline
        def p(factor):
            use(factor)
        """,
    )
    result = zenrunner.run("-q", "-n", "2", "--dist", "threads")
    assert (tmp_path / "2").exists()
    runs = {r.item_id: r for r in read_store(zenrunner.store).get_runs()[-3:]}
    step = runs["pipeline_torn.py::p[5]"].steps["use"]
    if step.status == "completed":
        assert step.output.read() == 50, result.stdout.str()
    else:
        assert step.status == "failed"
        assert "reads helpers.F" in step.error, step.error


def test_a_module_value_a_step_binds_anew_for_the_next_is_not_another_items(zenrunner, monkeypatch):
    """Only names the items' fixtures set to different values are checked: a ``setup`` step
    binding ``LIB`` and a class attribute for the next step, as a local run allows, runs
    under ``--dist threads`` as locally."""
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    zenrunner.makepyfile(
        pipeline_rebinding="""
        import zenrun
        from zenrun import pipeline, step

        LIB = 1

        class Model:
            loaded = None

        @step
        def setup(v: int) -> int:
            global LIB
            LIB = v
            Model.loaded = v
            return v

        @step
        def use(x: int) -> int:
            return x * LIB + Model.loaded

        @zenrun.mark.parametrize("n", [1, 2, 3, 4])
        @pipeline
        def p(n):
            use(setup(100), id="use")
        """
    )
    result = zenrunner.run("-q", "-n", "2", "--dist", "threads")
    assert result.ret == 0, result.stdout.str()
    runs = read_store(zenrunner.store).get_runs()[-4:]
    assert [r.steps["use"].output.read() for r in runs] == [10100] * 4


def test_verbose_lines_of_items_running_together_name_their_item(zenrunner):
    # Under -n the -v lines of a grid's items interleave: each says which item it is about.
    zenrunner.makepyfile(
        pipeline_pair="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def square(x: int) -> int:
            return x * x

        @zenrun.mark.parametrize("x", [1, 2])
        @pipeline
        def pair(x):
            square(x)
    """
    )
    result = zenrunner.run("-n", "2", "-v")
    result.assert_outcomes(passed=2)
    started = [line.strip() for line in result.outlines if "Step square has started" in line]
    assert sorted(started) == ["pair[1]: Step square has started.", "pair[2]: Step square has started."]
    local = zenrunner.run("-v", "--no-cache")  # one item at a time: its block, no prefixes
    local.fnmatch_lines(["pipeline_pair.py::pair[[]1[]]", "    Creating run for pipeline: pair"])


FORKED = """
    import os
    from pathlib import Path
    from zenrun import pipeline, step

    def store_files(pid):
        store = str(Path(".zenrun").resolve())
        found = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(store):
                found.append(target)
        return sorted(found)

    def process(pid):
        with open(f"/proc/{pid}/stat") as fh:
            parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read().decode().replace("\\0", " ").strip()
        return {"pid": pid, "parent": parent, "cmdline": cmdline, "store_files": store_files(pid)}

    @step(enable_cache=False)
    def where(i: int) -> dict:
        me = process(os.getpid())
        factory = process(me["parent"])
        return {"worker": me, "factory": factory, "driver": process(factory["parent"])}

    @pipeline
    def forked():
        where(1)
        where(2)
"""

FORKED_REPORT = """
    import json
    from zenrun import get_pipeline
    run = get_pipeline("forked").last_run
    print(json.dumps([s.output.read() for s in run.steps.values()]))
"""


def test_workers_fork_from_a_zygote_that_holds_no_store_open(zenrunner):
    """The zygote is a fork of the driver made before the driver opened its stores."""
    zenrunner.makepyfile(pipeline_forked=FORKED)
    zenrunner.run("-n", "2").assert_outcomes(passed=1)
    seen = json.loads(zenrunner.runpython(FORKED_REPORT).outlines[-1])
    assert len(seen) == 2 and seen[0]["worker"]["pid"] != seen[1]["worker"]["pid"]
    for where in seen:
        assert where["factory"]["pid"] == seen[0]["factory"]["pid"]  # one zygote forks them all
        # A fork of the driver (the same command line), not a forkserver's fresh interpreter.
        assert where["factory"]["cmdline"] == where["driver"]["cmdline"]
        assert "-m zenrun -n 2" in where["driver"]["cmdline"]
        assert any(f.endswith("metadata.db") for f in where["driver"]["store_files"])
        assert where["factory"]["store_files"] == [] and where["worker"]["store_files"] == []


def test_without_the_zygote_workers_come_from_a_forkserver(zenrunner):
    zenrunner.makepyfile(pipeline_forked=FORKED)
    zenrunner.run("-n", "2", env={"ZENRUN_NO_ZYGOTE": "1"}).assert_outcomes(passed=1)
    seen = json.loads(zenrunner.runpython(FORKED_REPORT).outlines[-1])
    assert len(seen) == 2
    for where in seen:
        assert "forkserver" in where["factory"]["cmdline"]
        assert where["factory"]["store_files"] == [] and where["worker"]["store_files"] == []


THREADED_PLUGIN = """
    import threading, time
    # A plugin that runs a thread from the start: forking the driver would not be safe.
    threading.Thread(target=time.sleep, args=(600,), daemon=True, name="plugin-thread").start()
"""


def test_a_driver_running_threads_is_not_forked(zenrunner):
    zenrunner.makepyfile(pipeline_forked=FORKED, threaded_plugin=THREADED_PLUGIN)
    result = zenrunner.run("-n", "2", "-p", "threaded_plugin")
    result.assert_outcomes(passed=1)
    seen = json.loads(zenrunner.runpython(FORKED_REPORT).outlines[-1])
    assert all("forkserver" in where["factory"]["cmdline"] for where in seen)


KILLS_ITS_ZYGOTE = """
    import os, signal
    from pathlib import Path
    from zenrun import pipeline, step

    @step(retries=1, enable_cache=False)
    def orphan() -> int:
        marker = Path("zygote")
        if not marker.exists():  # the first attempt kills the process it was forked from
            marker.write_text(str(os.getppid()))
            os.kill(os.getppid(), signal.SIGKILL)
            os._exit(3)
        return os.getppid()  # the retry's worker: forked ahead, or by a forkserver

    @step(enable_cache=False)
    def later(parent: int) -> int:
        return parent

    @pipeline
    def lost():
        later(orphan())
"""


def test_a_killed_zygote_fails_over_to_a_forkserver(zenrunner):
    zenrunner.makepyfile(pipeline_lost=KILLS_ITS_ZYGOTE)
    result = zenrunner.run("-n", "1", "-v")  # one worker, forked ahead: the retry needs another
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["*Step orphan*died*retrying in a fresh worker*"])
    script = """
        import json
        from zenrun import get_pipeline
        run = get_pipeline("lost").last_run
        print(json.dumps([{i: s.status for i, s in run.steps.items()},
                          run.steps["later"].output.read()]))
    """
    statuses, parent = json.loads(zenrunner.runpython(script).outlines[-1])
    assert statuses == {"orphan": "completed", "later": "completed"}
    assert parent != int((zenrunner.path / "zygote").read_text())


def test_zenrun_called_in_a_longer_lived_process_leaves_no_zygote_and_no_frozen_gc(zenrunner):
    """The zygote is reaped and ``gc.freeze()`` undone when the session ends."""
    zenrunner.makepyfile(pipeline_forked=FORKED)
    script = """
        import gc, json, os
        from zenrun.main import main
        before = gc.get_freeze_count()
        code = main(["-n", "2", "-q"])
        try:
            os.waitpid(-1, os.WNOHANG)
            children = "left"
        except ChildProcessError:
            children = "none"
        print(json.dumps([int(code), before, gc.get_freeze_count(), children]))
    """
    code, before, after, children = json.loads(zenrunner.runpython(script).outlines[-1])
    assert (code, before, after, children) == (0, 0, 0, "none")
    seen = json.loads(zenrunner.runpython(FORKED_REPORT).outlines[-1])
    assert all(w["factory"]["cmdline"] == w["driver"]["cmdline"] for w in seen)  # it had a zygote


RELAYED_PACKAGE = """
    import os
    IMPORTED_BY = os.getpid()
    with open(os.environ["RELAY_LOG"], "a") as fh:
        fh.write(f"relayed_pkg {os.getpid()}\\n")
"""

RELAY_PIPELINE = """
    import os
    import relayed_pkg  # an installed package: imported once, by the driver
    import relay_helper  # a project module: never imported by the zygote

    from zenrun import pipeline, step

    @step(enable_cache=False)
    def parent() -> list:
        return [os.getppid(), relayed_pkg.IMPORTED_BY]

    @pipeline
    def relayed():
        parent()
"""

RELAY_HELPER = """
    import os
    with open(os.environ["RELAY_LOG"], "a") as fh:
        fh.write(f"relay_helper {os.getpid()}\\n")
"""


def test_the_zygote_is_forked_after_collection_with_its_libraries(zenrunner, tmp_path):
    """With --driver-budget 0 every step goes to a worker: the zygote is forked once the
    driver has collected, and its workers have the installed packages without importing
    them again; the project's own modules they import themselves."""
    site = tmp_path / "libs" / "site-packages"
    (site / "relayed_pkg").mkdir(parents=True)
    (site / "relayed_pkg" / "__init__.py").write_text(textwrap.dedent(RELAYED_PACKAGE))
    log = tmp_path / "imports.log"
    log.write_text("")
    zenrunner.makepyfile(pipeline_relay=RELAY_PIPELINE, relay_helper=RELAY_HELPER)
    env = {"RELAY_LOG": str(log), "PYTHONPATH": str(site)}
    result = zenrunner.run("-n", "2", "--driver-budget", "0", env=env)
    result.assert_outcomes(passed=1)
    script = """
        from zenrun import get_pipeline
        print(*get_pipeline("relayed").last_run.steps["parent"].output.read())
    """
    zygote, imported_by = map(int, zenrunner.runpython(script, env=env).outlines[-1].split())
    imports = [line.split() for line in log.read_text().splitlines()]
    assert imports.count(["relayed_pkg", str(imported_by)]) == 1
    assert [name for name, _ in imports].count("relayed_pkg") == 1  # not again in the zygote
    assert imported_by != zygote
    # The project's own module ran in the driver and in the worker, never in the zygote.
    helper_pids = [pid for name, pid in imports if name == "relay_helper"]
    assert len(helper_pids) == 2 and str(imported_by) in helper_pids and str(zygote) not in helper_pids


ZYGOTE_KILLED_MID_STEP = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def waits() -> int:
        Path("zygote.pid").write_text(str(os.getppid()))
        deadline = time.monotonic() + 240
        while not Path("go").exists():  # the test kills the zygote, then says go
            if time.monotonic() > deadline:
                raise TimeoutError("never told to go")
            time.sleep(0.01)
        return os.getpid()

    @step(enable_cache=False)
    def then(pid: int) -> int:
        return pid

    @pipeline
    def orphaned():
        then(waits())
"""


def test_workers_outlive_a_killed_zygote(zenrunner):
    """A worker's end is watched through its own pidfd: losing the zygote costs no step."""
    import os
    import signal
    import subprocess
    import sys
    import time

    zenrunner.makepyfile(pipeline_orphaned=ZYGOTE_KILLED_MID_STEP)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "2"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        marker = zenrunner.path / "zygote.pid"
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        zygote = int(marker.read_text())
        os.kill(zygote, signal.SIGKILL)
        while _process_alive(zygote):
            time.sleep(0.01)
        (zenrunner.path / "go").touch()
        out, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert out.splitlines()[-1].startswith("=") and "1 passed" in out.splitlines()[-1], out


def test_what_a_module_prints_on_import_is_shown_once_not_by_every_worker(zenrunner):
    zenrunner.makepyfile(
        pipeline_loud="""
        print("loading the module")
        from zenrun import pipeline, step

        @step(enable_cache=False)
        def one(i: int) -> int:
            return i

        @pipeline
        def loud():
            one(1)
            one(2)
            one(3)
    """
    )
    result = zenrunner.run("-n", "3", "-s")  # -s: the driver's collection shows it
    result.assert_outcomes(passed=1)
    assert (result.stdout + result.stderr).count("loading the module") == 1, result.stdout


KEEPS_STDERR = """
    import os, sys
    # Read at import, as libraries do: a backend chosen by an environment variable, and the
    # stream a logging sink keeps.
    BACKEND = os.environ.get("ZENRUN_TEST_BACKEND", "unset")
    SINK = sys.stderr
"""

SEES_THE_DRIVER = """
    import os, sys
    import zenrun
    from zenrun import pipeline, step

    @zenrun.fixture
    def extra_path():
        sys.path.insert(0, os.path.abspath("extra"))  # set up after collection
        return 1

    @step(enable_cache=False)
    def look(x: int) -> dict:
        import keeps_stderr
        import extramod
        keeps_stderr.SINK.write("through the kept stream\\n")
        return {"env": os.environ.get("ZENRUN_TEST_BACKEND"), "backend": keeps_stderr.BACKEND,
                "extra": extramod.VALUE}

    @pipeline
    def seeing(extra_path):
        look(extra_path)
"""


@pytest.mark.parametrize("zygote", ["zygote", "forkserver"])
def test_workers_see_the_driver_as_conftests_and_fixtures_left_it(zenrunner, tmp_path, zygote):
    site = tmp_path / "libs" / "site-packages"
    site.mkdir(parents=True)
    (site / "keeps_stderr.py").write_text(textwrap.dedent(KEEPS_STDERR))
    zenrunner.makeconftest("""
        import os
        os.environ["ZENRUN_TEST_BACKEND"] = "chosen-in-conftest"
        import keeps_stderr  # imported by the driver while it collects, relayed to the zygote
    """)
    (zenrunner.path / "extra").mkdir()
    (zenrunner.path / "extra" / "extramod.py").write_text("VALUE = 42\n")
    zenrunner.makepyfile(pipeline_seeing=SEES_THE_DRIVER)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    if zygote == "forkserver":
        env["ZENRUN_NO_ZYGOTE"] = "1"
    result = zenrunner.run("-n", "2", "-rA", env=env)
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["-* Captured stderr (look) -*", "through the kept stream"])
    script = """
        import json
        from zenrun import get_pipeline
        print(json.dumps(get_pipeline("seeing").last_run.steps["look"].output.read()))
    """
    assert json.loads(zenrunner.runpython(script, env=env).outlines[-1]) == {
        "env": "chosen-in-conftest",
        "backend": "chosen-in-conftest",
        "extra": 42,
    }


CHILDREN = """
    import os, subprocess, sys, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def starts_a_program() -> int:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        Path(f"child-{child.pid}.pid").touch()
        child.wait()
        return 1

    @step(enable_cache=False)
    def forks() -> int:
        if os.fork() == 0:
            return 101  # the child forgot os._exit: its value must not become the step's
        time.sleep(0.5)
        return 2

    @pipeline
    def parent():
        starts_a_program()

    @pipeline
    def forking():
        forks()
"""


def test_ctrl_c_stops_the_programs_steps_start_in_workers(zenrunner):
    import signal
    import subprocess
    import sys
    import time

    zenrunner.makepyfile(pipeline_children=CHILDREN)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "2", "-k", "parent"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    child = None
    try:
        deadline = time.monotonic() + 60
        while not list(zenrunner.path.glob("child-*.pid")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        child = int(next(zenrunner.path.glob("child-*.pid")).name[6:-4])
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole process group
        out, _ = proc.communicate(timeout=240)
        deadline = time.monotonic() + 120
        while _process_alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _process_alive(child), "the step's program ignored Ctrl-C and was left behind"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        if child is not None and _process_alive(child):
            os.kill(child, signal.SIGKILL)
    assert proc.returncode == 2, out


def test_a_forked_child_of_a_step_does_not_answer_for_its_worker(zenrunner):
    zenrunner.makepyfile(pipeline_children=CHILDREN)
    zenrunner.run("-n", "2", "-k", "forking").assert_outcomes(passed=1, deselected=1)
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("forking").last_run.steps["forks"].output.read())
    """
    assert zenrunner.runpython(script).outlines[-1] == "2"


CRASHES = """
    import ctypes
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def crash() -> int:
        ctypes.string_at(0)  # a segfault, as a broken C extension would cause
        return 1

    @pipeline
    def crashing():
        crash()
"""


@pytest.mark.parametrize("args", [[], ["-n", "1"]], ids=["local", "worker"])
def test_a_crashing_step_still_shows_where_it_crashed(zenrunner, args):
    """Descriptor 2 points at the step's captured output while it runs; the crash report
    goes to the real stderr all the same."""
    zenrunner.makepyfile(pipeline_crash=CRASHES)
    result = zenrunner.run(*args)
    assert result.ret != 0
    assert "Segmentation fault" in result.stderr and "in crash" in result.stderr, result.stderr


INDEX_READS = """
    import threading
    from pathlib import Path
    from zenrun import installed

    _read = installed._read_index

    def _noted_read():  # which thread read the installed distributions' files
        with open(Path(__file__).parent / "index-reads.txt", "a") as out:
            out.write(threading.current_thread().name + "\\n")
        return _read()

    installed._read_index = _noted_read
"""


def test_the_driver_reads_the_installed_packages_while_the_first_steps_run_in_workers(zenrunner):
    # Recording a step's cache entry needs to know which distribution provides each module
    # its outputs come from. Read on a thread when the driver first waits for its workers,
    # not by the driver when the first step returns, while both workers wait for more.
    zenrunner.makeconftest(INDEX_READS)
    zenrunner.makepyfile(
        pipeline_array="""
        from zenrun import pipeline, step

        @step
        def make() -> int:
            return 3

        @step
        def double(x: int) -> int:
            return 2 * x

        @pipeline
        def array():
            double(make())
        """
    )
    reads = zenrunner.path / "index-reads.txt"
    zenrunner.run("-n", "2").assert_outcomes(passed=1)  # a fresh store: every step to a worker
    assert reads.read_text().split() == ["zenrun-installed-index"]  # once, on that thread
    reads.unlink()
    zenrunner.run("--no-cache").assert_outcomes(passed=1)
    assert not reads.exists()  # ints record no package version: nothing read locally


def test_a_keyboard_interrupt_raised_by_a_step_in_a_worker_interrupts_the_session(zenrunner):
    """As without workers (and pytest): a step that raises KeyboardInterrupt interrupts the
    session, exit 2; the worker is not reported dead ("killed by signal SIGTERM")."""
    zenrunner.makepyfile(
        pipeline_kbi="""
        from zenrun import pipeline, step

        @step
        def interrupted():
            raise KeyboardInterrupt("fake")

        @pipeline
        def p():
            interrupted()
        """
    )
    result = zenrunner.run("-n", "2", "-p", "no:results", timeout=120)
    assert result.ret == 2, result.stdout.str()
    result.fnmatch_lines(["*!!! KeyboardInterrupt !!!*"])
    assert "died" not in result.stdout.str() and "SIGTERM" not in result.stdout.str()
