"""The errors and exit codes of every layer: a leaf that any module may import.

``UsageError`` (exit 4: the command line, the configuration or the
installation is wrong, nothing ran) and ``ComposeError`` (a pipeline body or
a step call is wrong) are raised from the lowest layers up to the CLI, which
turns them into :class:`ExitCode` values. This module imports nothing, so
raising them never costs an import or makes a cycle. They are re-exported
where they were first defined (``zenrun.config``, ``zenrun.compose``) and
from ``zenrun``.
"""

from __future__ import annotations

import enum
from pathlib import Path

__all__ = ["ComposeError", "ConftestImportFailure", "ExitCode", "UsageError"]


class ExitCode(enum.IntEnum):
    """Exit codes, as pytest's."""

    OK = 0
    PIPELINES_FAILED = 1
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4
    NO_PIPELINES_COLLECTED = 5
    # pytest's names of the same codes (aliases), for checks written against pytest's
    TESTS_FAILED = 1
    NO_TESTS_COLLECTED = 5


class UsageError(Exception):
    """Bad command-line usage or configuration; exits with code 4. Several messages
    (``UsageError(first, second)``) are shown as an ``ERROR:`` line each, as pytest's."""

    def __str__(self) -> str:
        return "\n".join(map(str, self.args)) if len(self.args) > 1 else super().__str__()

    def report(self) -> str:
        """The error as zenrun prints it on stderr: ``ERROR: <message>`` per message."""
        return "\n".join(f"ERROR: {message}" for message in (self.args or ("",)))


class PluginImportError(UsageError, ImportError):
    """A plugin (``-p NAME``, an entry point, ``zenrun_plugins``) that could not be imported:
    a usage error (exit 4) that is also an :class:`ImportError`, what pytest raises there, for
    code catching that."""


class ZenrunWarning(UserWarning):
    """Base class of the warnings zenrun gives (filter them all with
    ``-W error::zenrun.ZenrunWarning``)."""

    __module__ = "zenrun"  # as it is shown and filtered: zenrun.ZenrunWarning


class ZenrunUnknownMarkWarning(ZenrunWarning):
    """A ``zenrun.mark.NAME`` whose name is not registered (a typo?), given where the
    mark is used; ``--strict-markers`` makes it an error."""

    __module__ = "zenrun"


class ZenrunCacheWarning(ZenrunWarning):
    """A value of the store's (``--lf``, ``--sw``, the ``cache`` fixture) could not be
    written: it is not remembered (pytest's ``PytestCacheWarning``)."""

    __module__ = "zenrun"


class ZenrunConfigWarning(ZenrunWarning):
    """A problem of the configuration (an unknown ``[tool.zenrun]`` key); silenced with
    ``filterwarnings = ["ignore::zenrun.ZenrunConfigWarning"]``, an error with
    ``--strict-config``."""

    __module__ = "zenrun"


class ZenrunUnhandledThreadExceptionWarning(ZenrunWarning):
    """An exception nobody handled in a thread a step or fixture started (Python prints it
    and goes on); given when the step or pipeline ends, with the thread's traceback."""

    __module__ = "zenrun"


class ZenrunUnraisableExceptionWarning(ZenrunWarning):
    """An exception Python could only ignore (raised in a ``__del__``, a weakref callback,
    ...) while a step or fixture ran; given when the step or pipeline ends."""

    __module__ = "zenrun"


class ComposeError(Exception):
    """A pipeline body or a step call is wrong; names the pipeline and step."""


class ConftestImportFailure(Exception):
    """A conftest loaded before the options are parsed failed to import: a usage error
    (exit 4), shown on stderr as pytest shows it. ``details`` is the failure as shown
    (its short traceback)."""

    def __init__(self, path: Path, cause: BaseException, details: str = "") -> None:
        super().__init__(f"{path}: {type(cause).__name__}: {cause}")
        self.path = path
        self.cause = cause
        self.details = details or f"{type(cause).__name__}: {cause}"

    def report(self) -> str:
        return f"ImportError while loading conftest '{self.path}'.\n{self.details.rstrip()}"
