"""``skip`` / ``skipif`` / ``xfail`` marks: evaluated as pytest evaluates them.

A string condition is Python evaluated with the pipeline module's globals,
``os``, ``sys``, ``platform`` and ``config``; a non-string condition needs a
``reason``. An error while evaluating is an error of the item, not a crash.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zenrun.marks import Mark
from zenrun.outcomes import Failed


@dataclass
class Xfail:
    """An applicable ``xfail`` mark."""

    reason: str
    run: bool
    strict: bool
    raises: Any


def _evaluate(mark: Mark, condition: Any, namespace: dict[str, Any]) -> tuple[bool, str]:
    if isinstance(condition, str):
        try:
            code = compile(condition, f"<{mark.name} condition>", "eval")
            result = eval(code, dict(namespace))
        except SyntaxError as exc:
            marker = " " * ((exc.offset or 1) - 1) + "^"
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
    module = getattr(item, "module", None)
    space = dict(vars(module)) if module is not None else {}
    space.update(os=os, sys=sys, platform=platform, config=config)
    return space


def evaluate_skip(marks: Iterable[Mark], item: Any, config: Any) -> str | None:
    """The skip reason of the first applicable ``skip`` / ``skipif`` mark, else None."""
    for mark in marks:
        if mark.name == "skip":
            if "reason" in mark.kwargs:
                return str(mark.kwargs["reason"])
            return str(mark.args[0]) if mark.args else "unconditional skip"
        if mark.name == "skipif":
            conditions = _conditions(mark)
            if not conditions:
                return str(mark.kwargs.get("reason", ""))
            for condition in conditions:
                hit, reason = _evaluate(mark, condition, namespace(item, config))
                if hit:
                    return reason
    return None


def evaluate_xfail(marks: Iterable[Mark], item: Any, config: Any) -> Xfail | None:
    """The first applicable ``xfail`` mark, else None."""
    for mark in marks:
        if mark.name != "xfail":
            continue
        run = mark.kwargs.get("run", True)
        strict = mark.kwargs.get("strict", bool(config.getini("xfail_strict")))
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
