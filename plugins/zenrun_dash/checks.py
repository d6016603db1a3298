"""Requests the viewer's callbacks accept: anything else is a 400, never a 500.

The browser sends each callback its inputs as JSON (``POST
/_dash-update-component``); a forged or stale request can send any JSON value
in place of any input. Two checks run before a callback's code:

- :func:`check_envelope`: the request is a JSON object naming a registered
  callback, with lists of ``{"id", "property", "value"}`` inputs and states;
- :func:`checked`: each value matches the callback's annotation (``str |
  None``, ``list[int]``, ``dict[str, Any]``, a ``TypedDict`` for the dicts the
  viewer stores in the page, with its required keys). Numbers are JSON's: an
  ``int`` is a whole number within ±2**53 (what a browser can send exactly).

:func:`guard` installs both on an app, for every callback registered after it
(the comparison page's too). A mismatch raises ``BadRequest``: Flask answers
400 with what was wrong, and the callback's code never sees the value.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from typing import Any, Union

from werkzeug.exceptions import BadRequest

_JSON_INT_MAX = 2**53
_UPDATE_PATH = "_dash-update-component"


def guard(app: Any) -> None:
    """Check every callback of ``app`` registered from now on, and every update request."""
    register = app.callback

    @functools.wraps(register)
    def callback(*args: Any, **kwargs: Any) -> Any:
        decorate = register(*args, **kwargs)
        return lambda fn: decorate(checked(fn))

    app.callback = callback

    @app.server.before_request
    def _envelope() -> None:
        from flask import request

        if request.method == "POST" and request.path.endswith(_UPDATE_PATH):
            check_envelope(request.get_json(silent=True), app.callback_map)

    @app.server.errorhandler(BadRequest)
    def _bad_request(error: BadRequest) -> Any:  # plain text, not Flask's HTML page
        return f"bad request: {error.description}", 400, {"Content-Type": "text/plain; charset=utf-8"}


def check_envelope(body: Any, callbacks: dict[str, Any]) -> None:
    """``BadRequest`` unless ``body`` is shaped like a Dash update request for ``callbacks``."""
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        raise BadRequest("'output' names no callback of this app")
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list):
            raise BadRequest(f"{key!r} is not a list")
        for item in items:
            if isinstance(item, list):  # a pattern-matching (ALL) input: a list of them
                entries = item
            else:
                entries = [item]
            for entry in entries:
                if (
                    not isinstance(entry, dict)
                    or not isinstance(entry.get("id"), (str, dict))
                    or not isinstance(entry.get("property"), str)
                ):
                    raise BadRequest(f"an entry of {key!r} is not an object with an id and a property")
    outputs = body.get("outputs")
    if not isinstance(outputs, (dict, list)) or (
        isinstance(outputs, list) and not all(isinstance(o, (dict, list)) for o in outputs)
    ):
        raise BadRequest("'outputs' is not an object or a list of them")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadRequest("'changedPropIds' is not a list of strings")


def checked(fn: Any) -> Any:
    """``fn``, checking its positional arguments against its annotations first."""
    hints = typing.get_type_hints(fn)
    parameters = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        if len(args) != len(parameters):
            raise BadRequest(f"{fn.__name__}: {len(parameters)} inputs expected, not {len(args)}")
        for parameter, value in zip(parameters, args, strict=True):
            problem = mismatch(value, hints.get(parameter.name, Any))
            if problem is not None:
                raise BadRequest(f"{fn.__name__}: input {parameter.name!r}: {problem}")
        return fn(*args)

    return wrapper


def mismatch(value: Any, hint: Any, depth: int = 0) -> str | None:
    """What is wrong with ``value`` for the annotation ``hint``, or None."""
    if hint is Any or depth > 20:
        return None
    if hint is None or hint is type(None):
        return None if value is None else f"expected null, got {_kind(value)}"
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        problems = [mismatch(value, option, depth) for option in typing.get_args(hint)]
        return None if any(p is None for p in problems) else f"expected {_name(hint)}, got {_kind(value)}"
    if _is_typed_dict(hint):
        if not isinstance(value, dict):
            return f"expected an object, got {_kind(value)}"
        fields = typing.get_type_hints(hint)
        for key in getattr(hint, "__required_keys__", ()):
            if key not in value:
                return f"the object lacks {key!r}"
        for key, field in fields.items():
            if key in value:
                problem = mismatch(value[key], field, depth + 1)
                if problem is not None:
                    return f"{key!r}: {problem}"
        return None
    if origin is list or hint is list:
        if not isinstance(value, list):
            return f"expected a list, got {_kind(value)}"
        (item,) = typing.get_args(hint) or (Any,)
        for index, element in enumerate(value):
            problem = mismatch(element, item, depth + 1)
            if problem is not None:
                return f"item {index}: {problem}"
        return None
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            return f"expected an object, got {_kind(value)}"
        _, item = typing.get_args(hint) or (str, Any)
        for key, element in value.items():
            problem = mismatch(element, item, depth + 1)
            if problem is not None:
                return f"{key!r}: {problem}"
        return None
    if hint is bool:
        return None if isinstance(value, bool) else f"expected a boolean, got {_kind(value)}"
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _JSON_INT_MAX:
            return None
        return f"expected a whole number, got {_kind(value)}"
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        return f"expected a number, got {_kind(value)}"
    if hint is str:
        return None if isinstance(value, str) else f"expected a string, got {_kind(value)}"
    return None  # an annotation this check does not know: the callback's own business


def _is_typed_dict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__total__")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number" if abs(value) <= _JSON_INT_MAX else "a number too large"
    return {
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _name(hint: Any) -> str:
    return " or ".join(
        "null" if a is type(None) else getattr(a, "__name__", str(a)) for a in typing.get_args(hint)
    )
