"""Worker processes under faults: a stopped zygote, and steps that start processes themselves."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest


def _children(pid: int) -> dict[int, str]:
    """The child processes of ``pid``, with the name ``ps -o comm`` shows."""
    out = subprocess.run(
        ["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return {int(p): name for p, name in (line.split(None, 1) for line in out.splitlines() if line.strip())}


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _wait_until(condition, proc, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.communicate()[0] if proc.poll() is not None else ""
            raise AssertionError(f"never happened: {what}\n{out}")
        time.sleep(0.02)


def _find_zygote(proc) -> int:
    found: list[int] = []

    def seen() -> bool:
        found[:] = [p for p, name in _children(proc.pid).items() if name.strip() == "zenrun-zygote"]
        return bool(found)

    _wait_until(seen, proc, what="a zenrun-zygote child of the driver")
    return found[0]


def _release(pid: int | None) -> None:
    """SIGCONT and SIGKILL a process the test stopped, whatever became of it."""
    if pid is None:
        return
    for signum in (signal.SIGCONT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


STOPPED_BEFORE_THE_FIRST_STEP = """
    import os, threading, time
    from pathlib import Path
    from zenrun import pipeline, step

    # A thread runs in the driver (as a fixture's might): the zygote forked at start-up
    # serves the workers, not one forked after collection.
    threading.Thread(target=threading.Event().wait, daemon=True).start()

    # Collection waits here: the test stops the zygote meanwhile, then says go.
    deadline = time.monotonic() + 60
    while not Path("go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never told to go")
        time.sleep(0.01)

    # Installed packages imported now are relayed to the zygote, with the environment (a
    # large one here): more than its socket holds, which a stopped zygote never reads.
    import relayed_0, relayed_1, relayed_2, relayed_3, relayed_4, relayed_5, relayed_6, relayed_7

    @step(enable_cache=False)
    def first() -> int:
        return os.getppid()

    @step(enable_cache=False)
    def second(parent: int) -> list:
        return [parent, os.getppid()]

    @pipeline
    def stopped():
        second(first())
"""


def test_a_stopped_zygote_costs_seconds_then_workers_come_from_the_forkserver(zenrunner, tmp_path):
    """The driver waits a bounded time for a SIGSTOPped zygote to take its requests and to
    fork, then uses the forkserver."""
    site = tmp_path / "libs" / "site-packages"
    for index in range(8):
        (site / f"relayed_{index}").mkdir(parents=True)
        (site / f"relayed_{index}" / "__init__.py").write_text("")
    zenrunner.makepyfile(pipeline_stopped=STOPPED_BEFORE_THE_FIRST_STEP)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "2"],
        cwd=zenrunner.path,
        env=zenrunner.env(PYTHONPATH=str(site), LARGE="x" * 100_000),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    zygote = None
    try:
        zygote = _find_zygote(proc)
        os.kill(zygote, signal.SIGSTOP)
        _wait_until(lambda: _state(zygote) == "T", proc, what="the zygote stopped")
        (zenrunner.path / "go").touch()
        out, _ = proc.communicate(timeout=120)
        assert _state(zygote) in (None, "Z"), "the stopped zygote outlived its session"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        _release(zygote)
    assert proc.returncode == 0, out
    assert "1 passed" in out.splitlines()[-1], out
    assert f"the zygote process (pid {zygote}) is stopped" in out, out
    assert "forkserver from now on" in out, out
    assert "had ended" not in out, out
    script = """
        import json
        from zenrun import get_pipeline
        run = get_pipeline("stopped").last_run
        print(json.dumps([run.status, run.steps["second"].output.read()]))
    """
    status, parents = json.loads(zenrunner.runpython(script).outlines[-1])
    assert status == "completed"
    assert zygote not in parents  # both steps ran in workers of the forkserver


DIES_WHILE_THE_ZYGOTE_IS_STOPPED = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step(retries=1, enable_cache=False)
    def victim() -> list:
        marker = Path("victim.pid")
        if not marker.exists():  # the first attempt waits to be killed by the test
            marker.write_text(f"{os.getpid()} {os.getppid()}")
            time.sleep(120)
            raise TimeoutError("never killed")
        return [os.getpid(), os.getppid()]

    @step(enable_cache=False)
    def after(seen: list) -> list:
        return seen

    @pipeline
    def retried():
        after(victim())
"""


def test_a_worker_dying_under_a_stopped_zygote_is_retried_with_true_messages(zenrunner):
    """The zygote is stopped, then the worker it forked is killed (``retries=1``): the death is
    reported as it is (the zygote is stopped, not ended), and the retry runs in a forkserver
    worker instead of waiting for the zygote forever."""
    zenrunner.makepyfile(pipeline_retried=DIES_WHILE_THE_ZYGOTE_IS_STOPPED)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "1", "-v"],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    zygote = worker = None
    try:
        marker = zenrunner.path / "victim.pid"
        _wait_until(lambda: marker.exists() and marker.read_text(), proc, what="the first attempt")
        worker, parent = map(int, marker.read_text().split())
        zygote = _find_zygote(proc)
        assert parent == zygote
        os.kill(zygote, signal.SIGSTOP)
        _wait_until(lambda: _state(zygote) == "T", proc, what="the zygote stopped")
        os.kill(worker, signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
        assert _state(zygote) in (None, "Z"), "the stopped zygote outlived its session"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        _release(zygote)
        _release(worker)
    assert proc.returncode == 0, out
    assert "1 passed" in out.splitlines()[-1], out
    died = [line for line in out.splitlines() if "retrying in a fresh worker" in line]
    assert len(died) == 1, out
    assert f"worker process (pid {worker}) died" in died[0]
    assert f"the zygote process (pid {zygote}) is stopped" in died[0]
    assert "had ended" not in out and "still running" not in out, out
    script = """
        import json
        from zenrun import get_pipeline
        run = get_pipeline("retried").last_run
        print(json.dumps([{i: s.status for i, s in run.steps.items()}, run.steps["after"].output.read()]))
    """
    statuses, (pid, parent) = json.loads(zenrunner.runpython(script).outlines[-1])
    assert statuses == {"victim": "completed", "after": "completed"}
    assert pid != worker and parent != zygote


POOL_IN_A_STEP = """
    import multiprocessing, os
    from zenrun import pipeline, step

    def square(x):
        return x * x

    def child_pid(_):
        return os.getpid()

    @step(enable_cache=False)
    def pooled() -> dict:
        with multiprocessing.Pool(2) as pool:
            squares = pool.map(square, range(6))
            pids = set(pool.map(child_pid, range(6)))
        return {
            "squares": squares,
            "children_elsewhere": os.getpid() not in pids,
            "daemon": multiprocessing.current_process().daemon,
            "start_method": multiprocessing.get_start_method(),
        }

    @pipeline
    def pool_in_step():
        pooled()
"""


@pytest.mark.parametrize("kind", ["zygote", "forkserver", "local"])
def test_a_multiprocessing_pool_in_a_step_works_on_every_worker_kind(zenrunner, kind):
    zenrunner.makepyfile(pipeline_pool=POOL_IN_A_STEP)
    args = [] if kind == "local" else ["-n", "2"]
    env = {"ZENRUN_NO_ZYGOTE": "1"} if kind == "forkserver" else {}
    result = zenrunner.run(*args, env=env, timeout=180)
    assert result.ret == 0, result.stdout
    result.assert_outcomes(passed=1)
    script = """
        import json, multiprocessing
        from zenrun import get_pipeline
        run = get_pipeline("pool_in_step").last_run
        print(json.dumps([run.steps["pooled"].output.read(), multiprocessing.get_start_method()]))
    """
    seen, driver_method = json.loads(zenrunner.runpython(script).outlines[-1])
    assert seen == {
        "squares": [0, 1, 4, 9, 16, 25],
        "children_elsewhere": True,
        "daemon": False,
        "start_method": driver_method,  # as in the driver, whoever forked the worker
    }


FORKING_STEP = """
    import os, signal, time
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def forks() -> list:
        seen = []
        pid = os.fork()
        if pid == 0:  # the child: how it starts, as a multiprocessing pool's worker starts
            os._exit(0 if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else 3)
        seen.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        pid = os.fork()
        if pid == 0:
            try:
                time.sleep(30)
            finally:
                os._exit(7)
        os.kill(pid, signal.SIGTERM)  # as pool.terminate(), maybe before the child ran at all
        seen.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        return seen

    @pipeline
    def forking():
        forks()
"""


@pytest.mark.parametrize("kind", ["zygote", "forkserver"])
def test_a_process_a_step_forks_in_a_worker_starts_with_sigterm_as_default(zenrunner, kind):
    # A child inheriting the worker's SIGTERM handler lost a SIGTERM sent before it first
    # ran (CPython clears the signals caught before its at-fork step): pool.terminate() then
    # waited for ever on a child blocked on a lock the pool holds.
    zenrunner.makepyfile(pipeline_forking=FORKING_STEP)
    env = {"ZENRUN_NO_ZYGOTE": "1"} if kind == "forkserver" else {}
    result = zenrunner.run("-n", "2", env=env, timeout=120)
    assert result.ret == 0, result.stdout
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("forking").last_run.steps["forks"].output.read())
    """
    assert zenrunner.runpython(script).outlines[-1] == f"[0, {-signal.SIGTERM}]"


ENDLESS_WITH_POOL = """
    import multiprocessing, os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def endless() -> int:
        with multiprocessing.Pool(1) as pool:  # possible: the worker is not daemonic
            pool.map(abs, [1])
        Path(f"endless-{os.getpid()}.pid").touch()
        time.sleep(300)
        return 0

    @pipeline
    def forever():
        endless()
"""


def test_a_forkserver_worker_that_may_have_children_still_ends_with_its_driver(zenrunner):
    """Clearing the daemon flag in the worker keeps it from outliving a killed driver."""
    zenrunner.makepyfile(pipeline_forever=ENDLESS_WITH_POOL)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "-n", "2"],
        cwd=zenrunner.path,
        env=zenrunner.env(ZENRUN_NO_ZYGOTE="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = None
    try:
        _wait_until(lambda: list(zenrunner.path.glob("endless-*.pid")), proc, what="the step")
        worker = int(next(zenrunner.path.glob("endless-*.pid")).name.split("-")[1].split(".")[0])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 120
        while _state(worker) not in (None, "Z", "X"):
            assert time.monotonic() < deadline, f"worker {worker} still runs after its driver was killed"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        _release(worker)
