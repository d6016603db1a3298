"""A zenrun process killed mid-run leaves a consistent store; the next run reuses what completed."""

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
