"""Exceptions nobody handled, given as warnings: one raised in a thread a step or fixture
started (``threading.excepthook``) and one Python can only ignore, as in a ``__del__``
(``sys.unraisablehook``).

Python prints them to stderr and goes on, so a pipeline whose background thread died
passes unnoticed. zenrun collects them while a session runs and gives each as a warning
(:class:`~zenrun.ZenrunUnhandledThreadExceptionWarning`,
:class:`~zenrun.ZenrunUnraisableExceptionWarning`) at the end of the step that ran when
it happened, else at the end of its pipeline: it shows in the warnings summary under the
pipeline's id, and a filter turning it into an error (``-W error::...``) fails the step.
"""

from __future__ import annotations

import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from zenrun.errors import ZenrunUnhandledThreadExceptionWarning, ZenrunUnraisableExceptionWarning

__all__ = ["install", "installed", "warn_unhandled"]

#: The warnings collected and not given yet (appended from any thread: list.append is atomic)
_pending: list[Warning] = []


def _format(exc_type: type[BaseException], value: BaseException | None, tb: Any) -> str:
    return "".join(traceback.format_exception(exc_type, value, tb))


def _thread_hook(args: Any) -> None:
    if args.exc_type is SystemExit:  # as Python's own hook: a thread's sys.exit() is quiet
        return
    name = args.thread.name if args.thread is not None else "<unknown>"
    text = _format(args.exc_type, args.exc_value, args.exc_traceback)
    _pending.append(ZenrunUnhandledThreadExceptionWarning(f"Exception in thread {name}\n\n{text}"))


def _unraisable_hook(unraisable: Any) -> None:
    err_msg = unraisable.err_msg if unraisable.err_msg is not None else "Exception ignored in"
    try:
        summary = f"{err_msg}: {unraisable.object!r}"
    except BaseException:  # a broken __repr__ must not hide the exception itself
        summary = f"{err_msg}: <object repr() failed>"
    text = _format(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback)
    _pending.append(ZenrunUnraisableExceptionWarning(f"{summary}\n\n{text}"))


def installed() -> bool:
    """Whether this process collects unhandled exceptions."""
    return threading.excepthook is _thread_hook


def install() -> Callable[[], None]:
    """Collect unhandled exceptions of this process; returns what restores the hooks
    found (each restored only if still ours: a hook installed later is left alone)."""
    previous_thread, previous_unraisable = threading.excepthook, sys.unraisablehook
    threading.excepthook, sys.unraisablehook = _thread_hook, _unraisable_hook

    def restore() -> None:
        if threading.excepthook is _thread_hook:
            threading.excepthook = previous_thread
        if sys.unraisablehook is _unraisable_hook:
            sys.unraisablehook = previous_unraisable

    return restore


def warn_unhandled() -> None:
    """Give the unhandled exceptions collected so far as warnings, here. A filter that
    makes one an error raises it, after the others were given."""
    if not _pending:
        return
    collected = list(_pending)
    del _pending[: len(collected)]
    raised: Warning | None = None
    for warning in collected:
        try:  # from here: the summary shows the exception, not where it was given
            warnings.warn(warning, stacklevel=1)
        except Warning as exc:  # an "error" filter
            raised = raised or exc
    if raised is not None:
        raise raised
