"""``zenrun.skip()``, ``zenrun.fail()``, ``zenrun.xfail()``: end a pipeline item from inside.

As pytest's outcomes they derive from ``BaseException``, so a user's
``except Exception`` does not swallow them. Called in a pipeline body or a
fixture they decide the item's outcome; called in a step they fail (or skip)
that step.
"""

from __future__ import annotations

from typing import NoReturn

__all__ = ["Failed", "OutcomeException", "Skipped", "XFailed", "fail", "skip", "xfail"]


class OutcomeException(BaseException):
    """Base of the outcome exceptions; ``msg`` is what the report shows."""

    def __init__(self, msg: str | None = None, pytrace: bool = True) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pytrace = pytrace

    def __str__(self) -> str:
        return self.msg or f"<{type(self).__name__} instance>"


class Skipped(OutcomeException):
    """Raised by :func:`skip`."""

    def __init__(
        self, msg: str | None = None, pytrace: bool = True, allow_module_level: bool = False
    ) -> None:
        super().__init__(msg, pytrace)
        self.allow_module_level = allow_module_level


class Failed(OutcomeException):
    """Raised by :func:`fail`, and for misuse found while collecting (``pytrace=False``)."""


class XFailed(Failed):
    """Raised by :func:`xfail`: the item is an expected failure."""


def skip(reason: str = "", *, allow_module_level: bool = False) -> NoReturn:
    """Skip the current pipeline item (or, with ``allow_module_level``, the whole module)."""
    raise Skipped(reason, allow_module_level=allow_module_level)


def fail(reason: str = "", pytrace: bool = True) -> NoReturn:
    """Fail the current pipeline item with ``reason``."""
    raise Failed(reason, pytrace)


def xfail(reason: str = "") -> NoReturn:
    """Mark the current pipeline item as an expected failure and stop it."""
    raise XFailed(reason)
