"""``zenrun.skip()``, ``zenrun.fail()``, ``zenrun.xfail()``: end a pipeline item from inside.

As pytest's outcomes they derive from ``BaseException``, so a user's
``except Exception`` does not swallow them. Called in a pipeline body or a
fixture they decide the item's outcome; called in a step they fail (or skip)
that step.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = [
    "Exit",
    "Failed",
    "OutcomeException",
    "Skipped",
    "XFailed",
    "exit",
    "fail",
    "from_pytest",
    "importorskip",
    "skip",
    "xfail",
]


class OutcomeException(BaseException):
    """Base of the outcome exceptions; ``msg`` is what the report shows."""

    def __init__(self, msg: str | None = None, pytrace: bool = True) -> None:
        if msg is not None and not isinstance(msg, str):  # ``@zenrun.skip`` used as a decorator
            raise TypeError(
                f"{type(self).__name__} expected string as 'msg' parameter, got "
                f"'{type(msg).__name__}' instead.\nPerhaps you meant to use a mark?"
            )
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


class Exit(Exception):
    """Raised by :func:`exit`: the session ends (as pytest's ``pytest.exit.Exception``)."""

    def __init__(self, msg: str = "unknown reason", returncode: int | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.returncode = returncode

    def __str__(self) -> str:
        return self.msg


def exit(reason: str = "", returncode: int | None = None) -> NoReturn:
    """End the whole session now: from a pipeline body, a fixture, a module being
    collected or a hook. Exit code ``returncode``, or 2 (interrupted)."""
    raise Exit(reason, returncode)


def from_pytest(exc: BaseException) -> BaseException:
    """pytest's ``skip`` / ``fail`` / ``xfail`` / ``exit`` as zenrun's own (its traceback
    kept), else ``exc`` itself: a pytest user's ``pytest.skip()`` in a pipeline, fixture
    or step, or the ``Failed`` of ``pytest.raises``, decides the item as zenrun's does.
    Asked of pytest's module only once something imported it: never imported for this."""
    import sys

    pytest_outcomes: Any = sys.modules.get("_pytest.outcomes")
    if pytest_outcomes is None:
        return exc
    msg = getattr(exc, "msg", None)
    msg = msg if isinstance(msg, str) else None
    found: BaseException
    if isinstance(exc, pytest_outcomes.Exit):
        found = Exit(msg or "unknown reason", getattr(exc, "returncode", None))
    elif isinstance(exc, pytest_outcomes.XFailed):
        found = XFailed(msg)
    elif isinstance(exc, pytest_outcomes.Skipped):
        found = Skipped(msg, allow_module_level=bool(getattr(exc, "allow_module_level", False)))
    elif isinstance(exc, pytest_outcomes.Failed):
        found = Failed(msg, bool(getattr(exc, "pytrace", True)))
    else:
        return exc
    found.__cause__, found.__context__ = exc.__cause__, exc.__context__
    return found.with_traceback(exc.__traceback__)


def skip(reason: str = "", *, allow_module_level: bool = False) -> NoReturn:
    """Skip the current pipeline item (or, with ``allow_module_level``, the whole module)."""
    raise Skipped(reason, allow_module_level=allow_module_level)


def fail(reason: str = "", pytrace: bool = True) -> NoReturn:
    """Fail the current pipeline item with ``reason``."""
    raise Failed(reason, pytrace)


def xfail(reason: str = "") -> NoReturn:
    """Mark the current pipeline item as an expected failure and stop it."""
    raise XFailed(reason)


def importorskip(
    modname: str,
    minversion: str | None = None,
    reason: str | None = None,
    *,
    exc_type: type[ImportError] | None = None,
) -> Any:
    """Import and return the module ``modname``; skip the pipeline (or, at module level,
    the module) if it is not installed or is older than ``minversion``.

    As pytest 9: a module that is installed but raises ``ImportError`` when imported (a
    broken dependency) is an error, not a skip; ``exc_type=ImportError`` skips it too.
    """
    import sys
    import warnings

    compile(modname, "", "eval")  # a bad name is a SyntaxError, not a skip
    skipped: type[ImportError] = exc_type or ModuleNotFoundError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            __import__(modname)
        except skipped as exc:
            if reason is None:
                reason = f"could not import {modname!r}: {exc}"
            raise Skipped(reason, allow_module_level=True) from None
    module = sys.modules[modname]
    if minversion is None:
        return module
    version = getattr(module, "__version__", None)
    try:
        from packaging.version import Version

        too_old = version is None or Version(version) < Version(minversion)
    except Exception:
        too_old = version is None or str(version) < str(minversion)
    if too_old:
        raise Skipped(
            f"module {modname!r} has __version__ {version!r}, required is: {minversion!r}",
            allow_module_level=True,
        )
    return module


# As pytest: ``zenrun.skip.Exception`` and friends name the exception each raises.
skip.Exception = Skipped  # type: ignore[attr-defined]
fail.Exception = Failed  # type: ignore[attr-defined]
xfail.Exception = XFailed  # type: ignore[attr-defined]
exit.Exception = Exit  # type: ignore[attr-defined]
