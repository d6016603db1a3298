"""zenrun's background threads leave Ctrl-C to the main thread.

The kernel gives a signal sent to the process to any thread that does not block it. When a
background thread (the flush thread, the progress line, the fsync pool) takes SIGINT, Python
only sets a flag, and a main thread blocked waiting for a worker's result never sees it: the
run would go on after Ctrl-C. So zenrun's own helper threads block SIGINT and SIGTERM first.
Threads that run steps do not: a blocked signal stays blocked in the programs a step starts.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

#: The signals a user sends to stop a run: the main thread's to handle.
MAIN_THREAD_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
#: Longest a main thread waiting for workers goes without looking for a signal another
#: thread took (a library's BLAS or OpenMP threads block none).
SIGNAL_CHECK_INTERVAL = 0.5


def leave_signals_to_the_main_thread() -> None:
    """Block :data:`MAIN_THREAD_SIGNALS` in the calling thread (a no-op where the platform
    has no ``pthread_sigmask``); also a ``ThreadPoolExecutor`` initializer."""
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, MAIN_THREAD_SIGNALS)
    except (AttributeError, OSError, ValueError):
        pass


def _run_quietly(target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    leave_signals_to_the_main_thread()
    target(*args)


def background_thread(
    target: Callable[..., Any], *, name: str, args: tuple[Any, ...] = ()
) -> threading.Thread:
    """A daemon thread running ``target(*args)`` with Ctrl-C left to the main thread (not
    started)."""
    return threading.Thread(target=_run_quietly, args=(target, args), daemon=True, name=name)
