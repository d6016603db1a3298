"""A step's record reaches the metadata store as the step ends, and before that, while it
runs, with the first flush after it started: a step running across a flush is committed as
running (a viewer, or a store a killed process left, shows it running); a step that ends
before the next flush is handed to the store once, as it ended."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

COUNTING_STORE = """
    import zenrun
    from zenrun.metadata.sqlite import SqliteMetadataStore

    HANDED = []

    class CountingStore(SqliteMetadataStore):
        def record_step(self, run, step_run):
            HANDED.append([step_run.id, step_run.status])
            super().record_step(run, step_run)

    @zenrun.hookimpl(tryfirst=True)
    def zenrun_make_metadata_store(config):
        store = CountingStore(config.store_path / "metadata.db")
        config.add_cleanup(store.close)
        return store
"""

FAST_CHAIN = """
    import json
    import counting_store
    from zenrun import pipeline, step

    @step
    def inc(x: int) -> int:
        return x + 1

    @pipeline
    def chain():
        x = inc(0, id="s-0")
        for i in range(1, 50):
            x = inc(x, id=f"s-{i}")

    run = chain().run()
    print(json.dumps({"status": run.status, "handed": counting_store.HANDED}))
"""

GATED = """
    import sys, time
    from pathlib import Path
    from zenrun import pipeline, step

    GATE = Path(sys.argv[1])

    @step
    def quick() -> int:
        return 1

    @step
    def waits(x: int) -> int:
        deadline = time.monotonic() + 120
        while not GATE.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return x + 1

    @pipeline
    def gated():
        waits(quick())

    print(gated().run().status)
"""


def test_steps_ending_before_a_flush_are_handed_to_the_store_once_as_they_ended(zenrunner):
    zenrunner.makepyfile(counting_store=COUNTING_STORE)
    result = zenrunner.runpython(FAST_CHAIN, env={"ZENRUN_PLUGINS": "counting_store"})
    assert result.ret == 0, result.stdout + result.stderr
    report = json.loads(result.outlines[-1])
    assert report["status"] == "completed"
    handed = report["handed"]
    ended = [step_id for step_id, status in handed if status == "completed"]
    assert ended == [f"s-{i}" for i in range(50)]  # each once, in order
    # Only a step running when a flush came is handed running too (the 50 steps take
    # milliseconds: a flush comes every 0.2 s); each before it ended.
    running = [step_id for step_id, status in handed if status == "running"]
    assert len(running) <= 5, handed
    for step_id in running:
        assert handed.index([step_id, "running"]) < handed.index([step_id, "completed"])


def test_a_step_running_across_a_flush_is_committed_running_then_as_it_ended(zenrunner, tmp_path):
    script = zenrunner.makepyfile(gated=GATED)
    store, gate = tmp_path / "store", tmp_path / "gate"
    proc = zenrunner.popen(
        [sys.executable, str(script), str(gate)],
        stdin=subprocess.DEVNULL,
        env=zenrunner.env(ZENRUN_STORE=str(store)),
    )
    try:
        statuses: dict[str, str] = {}
        deadline = time.monotonic() + 120  # generous: a loaded machine starts Python slowly
        while statuses.get("waits") != "running":
            assert proc.poll() is None and time.monotonic() < deadline, (statuses, proc.communicate())
            time.sleep(0.05)
            try:
                with sqlite3.connect(store / "metadata.db") as db:
                    statuses = dict(db.execute("SELECT step_id, status FROM steps").fetchall())
                db.close()
            except sqlite3.OperationalError:  # not made yet
                continue
        assert statuses == {"quick": "completed", "waits": "running"}
        gate.touch()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.decode().splitlines()[-1] == "completed", err.decode()
        with sqlite3.connect(store / "metadata.db") as db:
            statuses = dict(db.execute("SELECT step_id, status FROM steps").fetchall())
        db.close()
        assert statuses == {"quick": "completed", "waits": "completed"}
    finally:
        gate.touch()
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
