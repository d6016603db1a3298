"""The ``faulthandler`` plugin: a crash prints the Python traceback of every thread, and
``faulthandler_timeout`` dumps them when a pipeline runs too long, as pytest's.

While the session runs, :mod:`faulthandler` writes to a copy of the standard error's
descriptor made at configure time: a step's captured output (descriptor 2 redirected to
a file) would die with the crashing process. At the end the handler found is given back
(``python -X faulthandler``: on again, so a crash at interpreter shutdown is still shown);
one that was off stays off. ``-p no:faulthandler`` leaves :mod:`faulthandler` alone.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from typing import TYPE_CHECKING, Any

from zenrun.hookspec import hookimpl

if TYPE_CHECKING:
    from zenrun.config import Config
    from zenrun.config.argparsing import Parser

__all__ = ["get_stderr_fileno"]

#: The config.stash keys: the descriptor faulthandler writes to, the one it wrote to before
_STDERR_COPY = "faulthandler_stderr_copy"
_ORIGINAL_FD = "faulthandler_original_fd"


def zenrun_addoption(parser: Parser) -> None:
    parser.addini(
        "faulthandler_timeout",
        "dump the traceback of all threads if a pipeline takes more than this many "
        "seconds to run (default 0: never)",
        type="float",
        default=0.0,
    )
    parser.addini(
        "faulthandler_exit_on_timeout",
        "exit the zenrun process when a pipeline takes more than faulthandler_timeout "
        "seconds (default false)",
        type="bool",
        default=False,
    )


def get_stderr_fileno() -> int:
    """The descriptor of the standard error: ``sys.stderr``'s, else (replaced by an object
    with no descriptor, or an invalid one) the process's original ``sys.__stderr__``'s."""
    try:
        fileno = sys.stderr.fileno()
        if fileno == -1:  # a logging stream that is no file (Twisted's LoggingFile)
            raise AttributeError(fileno)
        return fileno
    except (AttributeError, ValueError, OSError):
        if sys.__stderr__ is None:  # no standard error at all (pythonw): descriptor 2
            return 2
        return sys.__stderr__.fileno()


@hookimpl
def zenrun_configure(config: Config) -> None:
    fileno = get_stderr_fileno()
    if faulthandler.is_enabled():  # faulthandler has no API that tells where it wrote
        config.stash[_ORIGINAL_FD] = fileno
    copy = os.dup(fileno)
    config.stash[_STDERR_COPY] = copy
    faulthandler.enable(file=copy)


@hookimpl
def zenrun_unconfigure(config: Config) -> None:
    faulthandler.disable()
    copy = config.stash.pop(_STDERR_COPY, None)
    if copy is not None:
        os.close(copy)
    original = config.stash.pop(_ORIGINAL_FD, None)
    if original is not None:
        faulthandler.enable(file=original)


def _timeout(config: Any) -> float:
    value = config.getini("faulthandler_timeout")
    return float(value or 0.0)


@hookimpl(trylast=True)
def zenrun_item_start(item: Any) -> None:
    config = item.config
    timeout = _timeout(config)
    copy = config.stash.get(_STDERR_COPY)
    if timeout > 0 and copy is not None:
        exit_on_timeout = bool(config.getini("faulthandler_exit_on_timeout"))
        faulthandler.dump_traceback_later(timeout, file=copy, exit=exit_on_timeout)


@hookimpl(tryfirst=True)
def zenrun_item_report(report: Any) -> None:
    faulthandler.cancel_dump_traceback_later()


@hookimpl(tryfirst=True)
def zenrun_enter_pdb() -> None:
    """No traceback dump while the user debugs: the debugger waits for them."""
    faulthandler.cancel_dump_traceback_later()
