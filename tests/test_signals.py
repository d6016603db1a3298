"""Ctrl-C is the main thread's: zenrun's helper threads block SIGINT and SIGTERM, so the kernel
never hands the signal to a thread where Python would only set a flag while the main thread
waits for a worker."""

from __future__ import annotations

import json
import signal

from zenrun.threads import MAIN_THREAD_SIGNALS, background_thread

INSPECTS_THREADS = """
import json, threading
from pathlib import Path
from zenrun import step, pipeline

@step
def big() -> bytes:
    return bytes(300_000)  # above the inline size: written by the fsync pool

@step
def inspect(data: bytes) -> int:
    blocked = {}
    for thread in threading.enumerate():
        if thread.name.startswith("zenrun-") and thread.native_id is not None:
            status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
            mask = int(next(l for l in status.splitlines() if l.startswith("SigBlk:")).split()[1], 16)
            blocked[thread.name] = [bool(mask & (1 << (s - 1))) for s in (2, 15)]
    Path("threads.json").write_text(json.dumps(blocked))
    return len(data)

@pipeline
def threads():
    inspect(big())
"""


def _blocked_here() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_a_background_thread_blocks_the_stop_signals_and_the_caller_keeps_them():
    seen: list[set[int]] = []
    thread = background_thread(lambda: seen.append(_blocked_here()), name="zenrun-test")
    thread.start()
    thread.join(60)
    assert seen and seen[0] >= MAIN_THREAD_SIGNALS
    assert not MAIN_THREAD_SIGNALS & _blocked_here()
    assert thread.daemon


def test_zenruns_helper_threads_in_a_run_leave_ctrl_c_to_the_main_thread(zenrunner):
    zenrunner.makepyfile(pipeline_threads=INSPECTS_THREADS)
    result = zenrunner.run()
    assert result.ret == 0, result.stdout
    blocked = json.loads((zenrunner.path / "threads.json").read_text())
    assert any(name == "zenrun-flush" for name in blocked), blocked
    assert any(name.startswith("zenrun-fsync") for name in blocked), blocked
    assert all(sigint and sigterm for sigint, sigterm in blocked.values()), blocked
