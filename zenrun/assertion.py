"""What a failing ``assert`` compared, as pytest's assertion messages show it.

pytest rewrites ``assert`` statements at import to keep every intermediate
value. zenrun does not rewrite code (steps run as written, in any process):
when an ``assert`` without a message fails, the frame it failed in is still
alive in the exception's traceback, and the operands of its expression are
evaluated there once more, when that is free of side effects: names,
attributes, subscripts, constants and arithmetic on them. A call is never
made again; its text is shown instead.

``explain(exc, verbosity)`` gives an :class:`AssertionError` without a message
the explanation as its message: ``assert 0.42 > 0.9``, and for ``==`` of
sequences, dicts, sets and strings pytest's lines on where they differ, as
much of them as pytest shows at that verbosity (``-v``: the full diff,
``-vv``: the identical items too).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import linecache
import pprint
from types import FrameType, TracebackType
from typing import Any

from zenrun.tbstyle import saferepr

__all__ = ["explain"]

_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_SAFE = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.UnaryOp,
    ast.BinOp,
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.Slice,
    ast.Load,
    ast.operator,
    ast.unaryop,
    ast.expr_context,
)
_REPR = 240  # characters of a value shown
_DIFF_LINES = 40  # lines of a full diff shown


def explain(exc: BaseException, verbosity: int = 0) -> None:
    """Give ``exc``, an ``AssertionError`` raised by an ``assert`` without a message, the
    explanation of what it compared (as pytest's at ``verbosity``: 1 for ``-v``);
    anything else is left as it is."""
    if type(exc) is not AssertionError or exc.args:
        return
    frame, lineno = _failing_frame(exc.__traceback__)
    if frame is None:
        return
    try:
        node = _assert_at(frame.f_code.co_filename, lineno, frame.f_globals)
        if node is None or node.msg is not None:
            return
        text = _explain(node.test, frame, verbosity)
    except Exception:  # never worse than the bare AssertionError
        return
    if text:
        exc.args = (text,)


def _failing_frame(tb: TracebackType | None) -> tuple[FrameType | None, int]:
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return (last.tb_frame, last.tb_lineno) if last is not None else (None, 0)


def _assert_at(filename: str, lineno: int, globals_: dict[str, Any]) -> ast.Assert | None:
    """The innermost ``assert`` statement spanning ``lineno`` in ``filename``."""
    lines = linecache.getlines(filename, globals_)
    if not lines:
        return None
    tree = ast.parse("".join(lines))
    spanning = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and node.lineno <= lineno <= (node.end_lineno or node.lineno)
    ]
    return max(spanning, key=lambda node: node.lineno, default=None)


def _safe(node: ast.AST) -> bool:
    return all(isinstance(n, _SAFE) for n in ast.walk(node))


def _value(node: ast.expr, frame: FrameType) -> tuple[bool, Any]:
    """``(True, value)`` of ``node`` evaluated in ``frame`` when that is safe, else ``(False, None)``."""
    if not _safe(node):
        return False, None
    try:
        code = compile(ast.Expression(body=node), "<assert>", "eval")
        return True, eval(code, frame.f_globals, frame.f_locals)
    except Exception:
        return False, None


def _shown(node: ast.expr, frame: FrameType) -> tuple[str, Any, bool]:
    """The operand as shown (its value's repr, else its source), the value, whether known."""
    known, value = _value(node, frame)
    return (saferepr(value, _REPR) if known else ast.unparse(node)), value, known


def _explain(test: ast.expr, frame: FrameType, verbosity: int = 0) -> str | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _OPS:
        left, left_value, left_known = _shown(test.left, frame)
        right, right_value, right_known = _shown(test.comparators[0], frame)
        op = test.ops[0]
        lines = [f"assert {left} {_OPS[type(op)]} {right}"]
        details: list[str] = []
        if isinstance(op, ast.Eq) and left_known and right_known:
            details = _differences(left_value, right_value, verbosity)
        elif isinstance(op, ast.NotIn) and isinstance(left_value, str) and isinstance(right_value, str):
            details = _notin_text(left_value, right_value, verbosity)
        if details and details[0]:  # as pytest's: a blank line after the summary
            details = ["", *details]
        lines += [f"  {line}" for line in details]
        lines += _where(test.left, left, frame) + _where(test.comparators[0], right, frame)
        return "\n".join(lines)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        shown, _, _ = _shown(test.operand, frame)
        return f"assert not {shown}" + "".join("\n" + w for w in _where(test.operand, shown, frame))
    shown, _, known = _shown(test, frame)
    if known:
        return f"assert {shown}" + "".join("\n" + w for w in _where(test, shown, frame))
    return f"assert {ast.unparse(test)}"


def _where(node: ast.expr, shown: str, frame: FrameType, depth: int = 0) -> list[str]:
    """pytest's ``+  where 0.42 = acc``: the value of a name or attribute, and what it is.

    An attribute is shown on its object's value, as pytest does
    (``where 0 = <Model object at 0x...>.acc``), then that object's own ``where``, indented
    one step further: the object is often what tells why the attribute is wrong."""
    if not isinstance(node, (ast.Attribute, ast.Subscript)):  # a name's value says it all
        return []
    indent = "  " * depth
    if isinstance(node, ast.Attribute):
        base, _, known = _shown(node.value, frame)
        if known:
            where = f" +  {indent}where {shown} = {base}.{node.attr}"
            return [where, *_where(node.value, base, frame, depth + 1)]
    source = ast.unparse(node)
    return [f" +  {indent}where {shown} = {source}"] if shown != source else []


def _differences(left: Any, right: Any, verbosity: int = 0) -> list[str]:
    """pytest's lines on where two unequal values differ (``_compare_eq_any``)."""
    if isinstance(left, str) and isinstance(right, str):
        return _text_diff(left, right, verbosity)
    lines: list[str] = []
    if type(left) is type(right) and _fields(left) is not None:
        lines = _class_diff(left, right, verbosity)
        if not isinstance(left, tuple):  # a namedtuple is also diffed item by item below
            return lines
        return lines + _full_diff(left, right, verbosity)
    if isinstance(left, dict) and isinstance(right, dict):
        lines = _dict_diff(left, right, verbosity)
    elif isinstance(left, (set, frozenset)) and isinstance(right, (set, frozenset)):
        if left - right:
            lines += ["Extra items in the left set:", *(saferepr(v, _REPR) for v in left - right)]
        if right - left:
            lines += ["Extra items in the right set:", *(saferepr(v, _REPR) for v in right - left)]
    elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and type(left) is type(right):
        lines = _sequence_diff(left, right)
    else:
        return lines
    return lines + _full_diff(left, right, verbosity)


def _fields(value: Any) -> list[str] | None:
    """The fields ``==`` compares of a dataclass, attrs class or namedtuple instance (None
    for anything else, or a class with its own ``__eq__``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not value.__dataclass_params__.eq:  # type: ignore[attr-defined]
            return None
        return [f.name for f in dataclasses.fields(value) if f.compare]
    attrs = getattr(type(value), "__attrs_attrs__", None)
    if attrs is not None:
        return [a.name for a in attrs if getattr(a, "eq", True)]
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return list(type(value)._fields)  # type: ignore[attr-defined]  # a namedtuple's
    return None


def _class_diff(left: Any, right: Any, verbosity: int) -> list[str]:
    """pytest's ``_compare_eq_cls``: the attributes that match and differ, and each
    differing one drilled down into."""
    fields = _fields(left) or []
    same = [f for f in fields if getattr(left, f) == getattr(right, f)]
    differ = [f for f in fields if f not in same]
    lines: list[str] = [""] if fields else []
    if same and verbosity < 2:
        lines.append(f"Omitting {len(same)} identical items, use -vv to show")
    elif same:
        lines += ["Matching attributes:", *pprint.pformat(same).splitlines()]
    if differ:
        lines += ["Differing attributes:", *pprint.pformat(differ).splitlines()]
        for name in differ:
            a, b = getattr(left, name), getattr(right, name)
            lines += ["", f"Drill down into differing attribute {name}:"]
            lines.append(f"  {name}: {saferepr(a, _REPR)} != {saferepr(b, _REPR)}")
            lines += [f"  {line}" for line in _differences(a, b, verbosity)]
    return lines


def _full_diff(left: Any, right: Any, verbosity: int) -> list[str]:
    """pytest's ``_compare_eq_iterable``: with ``-v``, an ``ndiff`` of both values laid out
    one item a line (``-`` the expected right side, ``+`` the left); else a hint."""
    if verbosity <= 0:
        return ["Use -v to get more diff"]
    diff = [line.rstrip() for line in difflib.ndiff(_layout(right), _layout(left))]
    lines = ["", "Full diff: (-: missing in left side, +: extra in left side)", *diff[:_DIFF_LINES]]
    if len(diff) > _DIFF_LINES:
        lines.append(f"... ({len(diff) - _DIFF_LINES} more lines)")
    return lines


def _layout(value: Any, indent: str = "") -> list[str]:
    """``value`` as pytest's ``PrettyPrinter`` lays out a diff's sides: a container's items
    one a line, four spaces in, each followed by a comma; anything else its repr."""
    inner = indent + "    "
    if isinstance(value, dict) and value:
        lines = ["{"]
        for key, item in value.items():
            head, *rest = _layout(item, inner)
            lines += [f"{inner}{saferepr(key, _REPR)}: {head.lstrip()}", *rest]
            lines[-1] += ","
        return [*lines, indent + "}"]
    brackets = {list: "[]", tuple: "()", set: "{}", frozenset: "{}"}
    kind = next((k for k in brackets if type(value) is k), None)
    if kind is not None and value:
        items = sorted(value, key=repr) if kind in (set, frozenset) else list(value)
        opening = "frozenset({" if kind is frozenset else brackets[kind][0]
        closing = "})" if kind is frozenset else brackets[kind][1]
        lines = [opening]
        for item in items:
            lines += _layout(item, inner)
            lines[-1] += ","
        return [*lines, indent + closing]
    return [indent + saferepr(value, _REPR)]


def _sequence_diff(left: list[Any] | tuple[Any, ...], right: list[Any] | tuple[Any, ...]) -> list[str]:
    lines = []
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            lines.append(f"At index {index} diff: {saferepr(a, _REPR)} != {saferepr(b, _REPR)}")
            break
    extra = len(left) - len(right)
    if extra:
        side, longer = ("Left", left) if extra > 0 else ("Right", right)
        count = abs(extra)
        first = saferepr(longer[len(longer) - count], _REPR)
        lines.append(
            f"{side} contains one more item: {first}"
            if count == 1
            else f"{side} contains {count} more items, first extra item: {first}"
        )
    return lines


def _dict_diff(left: dict[Any, Any], right: dict[Any, Any], verbosity: int = 0) -> list[str]:
    lines = []
    same = [k for k in left if k in right and left[k] == right[k]]
    if same and verbosity < 2:
        lines.append(f"Omitting {len(same)} identical items, use -vv to show")
    elif same:
        lines += ["Common items:", *pprint.pformat({k: left[k] for k in same}).splitlines()]
    differing = [k for k in left if k in right and left[k] != right[k]]
    if differing:
        lines.append("Differing items:")
        lines += [f"{saferepr({k: left[k]}, _REPR)} != {saferepr({k: right[k]}, _REPR)}" for k in differing]
    for side, one, other in (("Left", left, right), ("Right", right, left)):
        extra = {k: v for k, v in one.items() if k not in other}
        if extra:
            items = "item" if len(extra) == 1 else "items"
            lines += [f"{side} contains {len(extra)} more {items}:", saferepr(extra, _REPR)]
    return lines


def _text_diff(left: str, right: str, verbosity: int = 0) -> list[str]:
    """pytest's ``_diff_text``: an ``ndiff`` of the two texts, line by line (``-`` the
    expected right side); without ``-v``, long identical heads and tails are skipped."""
    lines: list[str] = []
    if verbosity < 1:
        i = 0
        for i in range(min(len(left), len(right))):
            if left[i] != right[i]:
                break
        if i > 42:
            i -= 10  # some context
            lines.append(f"Skipping {i} identical leading characters in diff, use -v to show")
            left, right = left[i:], right[i:]
        if len(left) == len(right):
            for i in range(1, len(left) + 1):
                if left[-i] != right[-i]:
                    break
            if i > 42:
                i -= 10
                lines.append(f"Skipping {i} identical trailing characters in diff, use -v to show")
                left, right = left[:-i], right[:-i]
    if left.isspace() or right.isspace():
        left, right = repr(left), repr(right)
        lines.append("Strings contain only whitespace, escaping them using repr()")
    diff = [line.strip("\n") for line in difflib.ndiff(right.splitlines(True), left.splitlines(True))]
    lines += diff[:_DIFF_LINES]
    if len(diff) > _DIFF_LINES:
        lines.append(f"... ({len(diff) - _DIFF_LINES} more lines)")
    return lines


def _notin_text(term: str, text: str, verbosity: int) -> list[str]:
    """pytest's ``_notin_text``: where ``term`` is in ``text``, marked under it."""
    index = text.find(term)
    correct = text[:index] + text[index + len(term) :]
    lines = [f"{saferepr(term, 42)} is contained here:"]
    for line in _text_diff(text, correct, verbosity):
        if line.startswith(("Skipping", "- ")):
            continue
        lines.append("  " + line[2:] if line.startswith("+ ") else line)
    return lines
