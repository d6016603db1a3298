"""A short text preview of a step output, made where the value is in memory.

Stored with the artifact record so that ``--show`` and the viewer can say
what an output holds without loading it. Scalars (bool, int, float) are
stored as JSON so that their value can be read back exactly.

Previews are bounded in time and memory whatever the value: :func:`bounded_repr`
walks it with a budget (nodes visited, items shown per container, characters
written) instead of calling ``repr`` or ``json.dumps`` on it whole. A list
holding one reference 10**7 times, or nested lists sharing one child at every
level (a few hundred bytes pickled, terabytes as text), cost what a small value
costs. Only objects zenrun does not know are asked for their own ``repr``
(numpy, pandas and scikit-learn bound theirs).
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from typing import Any

from zenrun.stepcontext import scalar_value

MAX_PREVIEW = 120
#: Values a preview visits at most (containers and their items, at any depth).
MAX_NODES = 2_000
#: Containers nested deeper than this are shown as ``...``.
MAX_DEPTH = 12


class _Full(Exception):
    """The preview's budget is spent."""


class _Walker:
    """Writes a bounded text of a value: ``repr``-like, or JSON like
    ``json.dumps(value, indent=..., default=repr)`` for the viewer."""

    def __init__(
        self,
        limit: int,
        *,
        max_items: int | None,
        max_string: int,
        max_other: int,
        max_nodes: int,
        indent: int | None,
    ) -> None:
        self.parts: list[str] = []
        self.room = limit
        self.max_items = max_items
        self.max_string = max_string
        self.max_other = max_other
        self.nodes = max_nodes
        self.indent = indent
        self.active: set[int] = set()  # containers being written: a cycle is not followed

    def write(self, text: str) -> None:
        if len(text) > self.room:
            self.parts.append(text[: self.room])
            self.room = 0
            raise _Full
        self.parts.append(text)
        self.room -= len(text)

    def visit(self) -> None:
        self.nodes -= 1
        if self.nodes < 0:
            raise _Full

    # -- repr style -------------------------------------------------------------------
    def repr(self, value: Any, depth: int = 0) -> None:
        self.visit()
        kind = type(value)
        if value is None or kind in (bool, int, float, complex):
            self.write(_number_repr(value))
        elif isinstance(value, (str, bytes, bytearray)):
            self.write(_cut_repr(value, self.max_string))
        elif id(value) in self.active:
            self.write("...")  # a cycle: repr writes [...] for lists, {...} for dicts
        elif depth >= MAX_DEPTH and _container(value):
            self.write("...")
        else:
            self.active.add(id(value))
            try:
                self._repr_container(value, depth)
            finally:
                self.active.discard(id(value))

    def _repr_container(self, value: Any, depth: int) -> None:
        kind = type(value)
        name = kind.__qualname__
        if isinstance(value, dict):
            items = ((k, v) for k, v in value.items())
            prefix, suffix = ("{", "}") if kind is dict else (f"{name}({{", "})")
            self._items(items, depth, prefix, suffix, pairs=True)
        elif isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
            self._fields(name, ((f, getattr(value, f, None)) for f in value._fields), depth)
        elif isinstance(value, (list, tuple, set, frozenset, deque)):
            if isinstance(value, (set, frozenset)):
                if not value:
                    self.write(f"{name}()")
                    return
                opening, closing = "{", "}"
            elif isinstance(value, tuple):
                opening, closing = "(", ",)" if len(value) == 1 else ")"
            else:
                opening, closing = "[", "]"
            if kind not in (list, tuple, set):  # frozenset({...}), deque([...]), subclasses
                opening, closing = f"{name}({opening}", f"{closing})"
            self._items(iter(value), depth, opening, closing)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = ((f.name, getattr(value, f.name, None)) for f in dataclasses.fields(value) if f.repr)
            self._fields(name, fields, depth)
        elif isinstance(getattr(kind, "model_fields", None), dict) and hasattr(
            value, "__pydantic_fields_set__"
        ):
            self._fields(name, ((f, getattr(value, f, None)) for f in kind.model_fields), depth)
        else:
            self.write(self._other(value))

    def _items(self, items: Any, depth: int, prefix: str, suffix: str, pairs: bool = False) -> None:
        self.write(prefix)
        for index, item in enumerate(items):
            if index:
                self.write(", ")
            if self.max_items is not None and index >= self.max_items:
                self.write("...")
                break
            if pairs:
                self.repr(item[0], depth + 1)
                self.write(": ")
                self.repr(item[1], depth + 1)
            else:
                self.repr(item, depth + 1)
        self.write(suffix)

    def _fields(self, name: str, fields: Any, depth: int) -> None:
        self.write(f"{name}(")
        for index, (field, item) in enumerate(fields):
            if index:
                self.write(", ")
            if self.max_items is not None and index >= self.max_items:
                self.write("...")
                break
            self.write(f"{field}=")
            self.repr(item, depth + 1)
        self.write(")")

    def _other(self, value: Any) -> str:
        try:
            text = repr(value)  # an object zenrun does not know: its own repr, then cut
        except Exception:  # a user's __repr__ may fail: the preview is only a hint
            kind = type(value)
            return f"<{kind.__module__}.{kind.__qualname__}>"
        if len(text) > self.max_other:
            head = max(self.max_other * 2 // 3, 1)
            tail = max(self.max_other - head - 3, 0)
            text = text[:head] + "..." + (text[-tail:] if tail else "")
        return text

    # -- JSON style -------------------------------------------------------------------
    def json(self, value: Any, depth: int = 0) -> None:
        self.visit()
        if value is None or isinstance(value, (bool, int, float)):
            try:
                self.write(json.dumps(value))
            except ValueError:  # an int too long for str()
                self.write(json.dumps(_number_repr(value)))
        elif isinstance(value, str):
            self.write(json.dumps(value[: self.room + 1]))  # cut before escaping: bounded
        elif not isinstance(value, (dict, list, tuple)):
            self.write(json.dumps(self._short_repr(value)))  # json.dumps(default=repr)
        elif id(value) in self.active:
            self.write('"<cycle>"')
        elif not value:
            self.write("{}" if isinstance(value, dict) else "[]")
        elif depth >= MAX_DEPTH:
            self.write('"..."')
        else:
            self.active.add(id(value))
            try:
                self._json_container(value, depth)
            finally:
                self.active.discard(id(value))

    def _json_container(self, value: Any, depth: int) -> None:
        pad = "\n" + " " * ((self.indent or 0) * (depth + 1)) if self.indent is not None else ""
        end = "\n" + " " * ((self.indent or 0) * depth) if self.indent is not None else ""
        is_dict = isinstance(value, dict)
        self.write("{" if is_dict else "[")
        for index, item in enumerate(value.items() if is_dict else value):
            self.write(("," if index else "") + (pad or ("" if not index else " ")))
            if is_dict:
                key = item[0]
                if isinstance(key, str):
                    key_text = key[: self.room + 1]
                elif key is None or isinstance(key, (bool, float)):
                    key_text = json.dumps(key)  # as json.dumps makes keys of them: null, true, 1.5
                elif isinstance(key, int):
                    key_text = _number_repr(key)
                else:  # json.dumps refuses these keys: their repr, as text
                    key_text = self._short_repr(key)
                self.write(json.dumps(key_text) + ": ")
                self.json(item[1], depth + 1)
            else:
                self.json(item, depth + 1)
        self.write(end + ("}" if is_dict else "]"))

    def _short_repr(self, value: Any) -> str:
        """The repr of ``value`` (a dict key, an object JSON has no form for), on this budget."""
        nodes = max(1, min(self.nodes, 200))
        inner = _Walker(
            self.max_other,
            max_items=6,
            max_string=self.max_string,
            max_other=self.max_other,
            max_nodes=nodes,
            indent=None,
        )
        text, _ = inner.run(inner.repr, value)
        self.nodes -= nodes - max(inner.nodes, 0)
        return text

    def run(self, method: Any, value: Any) -> tuple[str, bool]:
        """``(text, complete)``: complete is False when the budget ran out first."""
        try:
            method(value)
        except _Full:
            return "".join(self.parts), False
        except Exception as exc:  # a property or __eq__ of the user's that raises, a deep value
            kind = type(value)
            text = "".join(self.parts) or f"<{kind.__module__}.{kind.__qualname__}>"
            return f"{text} <preview stopped: {type(exc).__name__}>", False
        return "".join(self.parts), True


def _container(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple, set, frozenset, deque)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _number_repr(value: Any) -> str:
    try:
        return repr(value)
    except ValueError:  # an int of more digits than str() converts (sys.set_int_max_str_digits)
        return f"<int of {value.bit_length()} bits>"


def _cut_repr(value: str | bytes | bytearray, limit: int) -> str:
    """``repr`` of a string's head: ``'abc...'`` (never the whole of a long one)."""
    if len(value) <= limit:
        return repr(value)
    text = repr(value[:limit])
    close = text[-1]
    return text[:-1] + "..." + close


def bounded_repr(
    value: Any,
    limit: int = MAX_PREVIEW,
    *,
    json_indent: int | None = None,
    as_json: bool = False,
    max_items: int | None = 6,
    max_string: int = 60,
    max_other: int = 60,
    max_nodes: int = MAX_NODES,
) -> tuple[str, bool]:
    """A text of ``value`` of at most ``limit`` characters, and whether it is complete.

    ``repr``-like (``reprlib``'s style: ``max_items`` per container, then
    ``...``; strings cut at ``max_string``, other objects' own reprs at
    ``max_other``), or with ``as_json`` like ``json.dumps(value,
    indent=json_indent, default=repr)``. At most ``max_nodes`` values are
    visited; shared references count once per visit and a cycle is not followed.
    """
    walker = _Walker(
        limit,
        max_items=max_items,
        max_string=max_string,
        max_other=max_other,
        max_nodes=max_nodes,
        indent=json_indent,
    )
    return walker.run(walker.json if as_json else walker.repr, value)


def preview(value: Any) -> str:
    """JSON for a scalar; shape and dtype for arrays and frames; else a short repr."""
    scalar = scalar_value(value)
    if scalar is not None:
        try:  # (an int past the digit limit of its text: a ValueError of both)
            if type(scalar) is int:  # json.dumps's text, without making an encoder (every step of a chain)
                return int.__repr__(scalar)
            return json.dumps(scalar)
        except ValueError:
            return _number_repr(scalar)[:MAX_PREVIEW]
    try:  # (a user object's property or __getattr__ may raise anything: no preview of it then)
        shape = getattr(value, "shape", None)
        if shape is not None and isinstance(shape, tuple):
            dtype = getattr(value, "dtype", None)
            if dtype is None and hasattr(value, "dtypes"):  # pandas DataFrame
                columns, _ = bounded_repr(list(getattr(value, "columns", []))[:7])
                text = f"{type(value).__name__} shape={shape} columns={columns}"
            else:
                text = f"{type(value).__name__} shape={shape} dtype={dtype}"
            return text[:MAX_PREVIEW]
    except Exception:
        pass
    text, complete = bounded_repr(value, MAX_PREVIEW * 2)
    text = " ".join(text.split())
    if not complete and len(text) < MAX_PREVIEW:
        text += " ..."
    return text[:MAX_PREVIEW]
