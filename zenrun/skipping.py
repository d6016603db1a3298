"""``skip`` / ``skipif`` / ``xfail`` marks: evaluated as pytest evaluates them.

A string condition is Python evaluated with the pipeline module's globals,
``os``, ``sys``, ``platform`` and ``config``; a non-string condition needs a
``reason``. An error while evaluating is an error of the item, not a crash.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable
from typing import Any

import zenrun
from zenrun import outcomes
from zenrun.config import hook_for
from zenrun.hookspec import hookimpl
from zenrun.marks import Mark
from zenrun.outcomes import Failed


class Xfail:
    """An applicable ``xfail`` mark."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints it.
    __slots__ = ("raises", "reason", "run", "strict")

    def __init__(self, reason: str, run: bool, strict: bool, raises: Any) -> None:
        self.reason = reason
        self.run = run
        self.strict = strict
        self.raises = raises


def _evaluate(mark: Mark, condition: Any, namespace: dict[str, Any]) -> tuple[bool, str]:
    if isinstance(condition, str):
        try:
            code = compile(condition, f"<{mark.name} condition>", "eval")
            result = eval(code, dict(namespace))
        except SyntaxError as exc:
            marker = " " * (exc.offset or 0) + "^"  # as pytest
            raise Failed(
                f"Error evaluating {mark.name!r} condition\n    {condition}\n    {marker}\n"
                f"SyntaxError: invalid syntax",
                pytrace=False,
            ) from None
        except Exception as exc:
            raise Failed(
                f"Error evaluating {mark.name!r} condition\n    {condition}\n"
                f"{''.join(traceback.format_exception_only(type(exc), exc)).strip()}",
                pytrace=False,
            ) from None
    else:
        try:
            result = bool(condition)
        except Exception as exc:
            raise Failed(
                f"Error evaluating {mark.name!r} condition as a boolean\n{type(exc).__name__}: {exc}",
                pytrace=False,
            ) from None
    reason = mark.kwargs.get("reason")
    if reason is None:
        if isinstance(condition, str):
            reason = "condition: " + condition
        else:
            raise Failed(
                f"Error evaluating {mark.name!r}: you need to specify reason=STRING when "
                "using booleans as conditions.",
                pytrace=False,
            )
    return bool(result), reason


def _conditions(mark: Mark) -> tuple[Any, ...]:
    if "condition" in mark.kwargs:
        return (mark.kwargs["condition"],)
    return mark.args


def namespace(item: Any, config: Any) -> dict[str, Any]:
    """What a string condition sees, as pytest: ``os``, ``sys``, ``platform``, ``config``,
    then the ``zenrun_markeval_namespace`` dicts (nearer conftests win), then the
    pipeline module's globals."""
    import platform  # here: 1 ms that `zenrun --help` and runs without a condition skip
    from collections.abc import Mapping
    from pathlib import Path

    space: dict[str, Any] = {"os": os, "sys": sys, "platform": platform, "config": config}
    module_path = getattr(item, "module_path", None)
    if module_path is not None:
        hook = hook_for(config, Path(module_path).parent)
    else:
        hook = config.hook
    for dictionary in reversed(hook.zenrun_markeval_namespace(config=config)):
        if not isinstance(dictionary, Mapping):
            raise ValueError(f"zenrun_markeval_namespace() needs to return a dict, got {dictionary!r}")
        space.update(dictionary)
    module = getattr(item, "module", None)
    if module is not None:
        space.update(vars(module))
    return space


def evaluate_skip(marks: Iterable[Mark], item: Any, config: Any) -> str | None:
    """The skip reason of the first applicable ``skipif`` mark, then ``skip`` mark (as
    pytest evaluates them), else None."""
    marks = list(marks)
    for mark in marks:
        if mark.name != "skipif":
            continue
        conditions = _conditions(mark)
        if not conditions:
            return str(mark.kwargs.get("reason", ""))
        for condition in conditions:
            hit, reason = _evaluate(mark, condition, namespace(item, config))
            if hit:
                return reason
    for mark in marks:
        if mark.name == "skip":
            try:
                return _skip_reason(*mark.args, **mark.kwargs)
            except TypeError as exc:
                raise TypeError(f"{exc} - maybe you meant zenrun.mark.skipif?") from None
    return None


def _skip_reason(reason: str = "unconditional skip") -> str:
    return str(reason)


def _strict_default(config: Any) -> bool:
    """``strict_xfail`` (or its older name ``xfail_strict``), else ``strict``."""
    for name in ("strict_xfail", "xfail_strict", "strict"):
        if name in config.ini:
            value = config.getini(name)
            if value is not None:
                return bool(value)
    return False


def evaluate_xfail(marks: Iterable[Mark], item: Any, config: Any) -> Xfail | None:
    """The first applicable ``xfail`` mark, else None (always None with ``--runxfail``)."""
    if config.getoption("runxfail", False):
        return None
    for mark in marks:
        if mark.name != "xfail":
            continue
        run = mark.kwargs.get("run", True)
        strict = mark.kwargs.get("strict")
        if strict is None:
            strict = _strict_default(config)
        raises = mark.kwargs.get("raises")
        conditions = _conditions(mark)
        if not conditions:
            return Xfail(str(mark.kwargs.get("reason", "")), run, strict, raises)
        for condition in conditions:
            hit, reason = _evaluate(mark, condition, namespace(item, config))
            if hit:
                return Xfail(reason, run, strict, raises)
    return None


def raised_matches(raises: Any, error_text: str) -> bool:
    """Whether a step's recorded error (its traceback text) is of an expected type."""
    if raises is None:
        return True
    kinds = raises if isinstance(raises, tuple) else (raises,)
    last = error_text.strip().splitlines()[-1] if error_text.strip() else ""
    name = last.split(":", 1)[0].strip().rsplit(".", 1)[-1]
    return any(name == k.__name__ or name in {c.__name__ for c in k.__subclasses__()} for k in kinds)


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("general").addoption(
        "--runxfail",
        action="store_true",
        dest="runxfail",
        default=False,
        help="report the results of xfail pipelines as if they were not marked",
    )
    parser.addini(
        "strict_xfail",
        "default for xfail(strict=...): an unexpected pass fails (also: xfail_strict)",
        type="bool",
        default=None,
    )
    parser.addini(
        "strict", "enable the strict options (strict_xfail, strict_markers)", type="bool", default=None
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    if config.getoption("runxfail", False):  # as pytest: zenrun.xfail() does nothing
        old = outcomes.xfail

        def nop(*args: Any, **kwargs: Any) -> None:
            pass

        nop.Exception = outcomes.XFailed  # type: ignore[attr-defined]
        outcomes.xfail = nop  # type: ignore[assignment,unused-ignore]
        zenrun.xfail = nop  # type: ignore[attr-defined,assignment,unused-ignore]

        def restore() -> None:
            outcomes.xfail = old  # type: ignore[assignment]
            zenrun.xfail = old  # type: ignore[attr-defined]

        config.add_cleanup(restore)
