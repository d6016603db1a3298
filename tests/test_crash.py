"""A zenrun process killed mid-run leaves a consistent store; the next run reuses what completed."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

CRASHY = """
    import os, time
    from zenrun import pipeline, step

    @step
    def prepare() -> list:
        with open("prepare.count", "a") as fh:
            fh.write("x")
        return [1, 2, 3]

    @step
    def slow(values: list) -> int:
        if os.environ.get("HANG"):
            time.sleep(120)
        return sum(values)

    @pipeline
    def crashy():
        slow(prepare())
"""


def _completed_steps(db):
    if not db.exists():
        return set()
    with sqlite3.connect(db) as connection:
        try:
            return {r[0] for r in connection.execute("SELECT step_id FROM steps WHERE status='completed'")}
        except sqlite3.OperationalError:
            return set()


def test_killed_run_is_marked_failed_and_completed_steps_are_reused(zenrunner):
    zenrunner.makepyfile(pipeline_crashy=CRASHY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun"],
        cwd=zenrunner.path,
        env=zenrunner.env(HANG="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = zenrunner.store / "metadata.db"
    deadline = time.monotonic() + 60
    while "prepare" not in _completed_steps(db):
        assert time.monotonic() < deadline, "the completed step was never committed"
        assert proc.poll() is None, "zenrun ended before it was killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    result = zenrunner.run("-v")
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["*Using cached version of prepare.*"])
    assert (zenrunner.path / "prepare.count").read_text() == "x"
    with sqlite3.connect(db) as connection:
        statuses = [r[0] for r in connection.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["failed", "completed"]
    leftovers = list((zenrunner.store / "artifacts").rglob(".tmp-*"))
    assert leftovers == []


SEQUENCE = """
    import os, time
    import zenrun
    from zenrun import pipeline, step

    @zenrun.fixture
    def pause():
        time.sleep(0.6)  # longer than two flush intervals: the flush thread of the runs before ends
        return None

    @step
    def prepare(n: int) -> list:
        with open(f"prepare-{n}.count", "a") as fh:
            fh.write("x")
        return [n, n + 1]

    @step
    def slow(values: list) -> int:
        if os.environ.get("HANG") and values[0] == 2:
            time.sleep(120)
        return sum(values)

    @zenrun.mark.parametrize("n", [0, 1, 2])
    @pipeline
    def sequence(n, pause):
        slow(prepare(n))
"""


def test_records_of_later_runs_of_a_session_are_committed_while_they_run(zenrunner):
    """The process's flush thread serves each run of the session, also one that starts after
    the thread ended for want of a run: a step completed in the third item is in the store
    while that item still runs, and a kill then costs only the step that was running."""
    zenrunner.makepyfile(pipeline_sequence=SEQUENCE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun"],
        cwd=zenrunner.path,
        env=zenrunner.env(HANG="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = zenrunner.store / "metadata.db"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(sqlite3.OperationalError):
                if db.exists():
                    with sqlite3.connect(db) as connection:
                        done = connection.execute(
                            "SELECT count(*) FROM steps WHERE step_id='prepare' AND status='completed'"
                        ).fetchone()[0]
                    if done == 3:
                        break
            assert time.monotonic() < deadline, "the third item's completed step was never committed"
            assert proc.poll() is None, "zenrun ended before it was killed"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    with sqlite3.connect(db) as connection:
        statuses = [r[0] for r in connection.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses[:2] == ["completed", "completed"]
    result = zenrunner.run("-v", "-k", "2")
    result.assert_outcomes(passed=1, deselected=2)
    result.fnmatch_lines(["*Using cached version of prepare.*"])
    assert (zenrunner.path / "prepare-2.count").read_text() == "x"
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert row[0] == "completed"
