"""What a failing ``assert`` compared, as pytest's assertion messages show it.

pytest rewrites ``assert`` statements at import to keep every intermediate
value. zenrun does not rewrite code (steps run as written, in any process, and a
step's cache key is its source): when an ``assert`` fails, the frame it failed in
is still alive in the exception's traceback, and the parts of its expression are
evaluated there once more, when that is free of side effects: names, attributes,
subscripts, constants and arithmetic on them (``len()`` of a built-in container,
a dict's views). A call is never made again; its text is shown instead, and so
is a name the ``assert`` itself assigns with ``:=`` (its value changed since).

``explain(exc, verbosity, settings)`` gives the :class:`AssertionError` the
explanation pytest's rewritten assert would: ``assert 0.42 > 0.9``, its
``+  where`` lines, ``(True and False)``; for a failing comparison, the lines of a
``zenrun_assertrepr_compare`` hook, else pytest's on where two sequences, dicts,
sets, strings or dataclasses differ, as much of them as pytest shows at that
verbosity (``-v``: the full diff, ``-vv``: the identical items too, nothing cut).
An ``assert``'s message comes first, the explanation on the lines after it.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import inspect
import linecache
import operator
import os
import re
import reprlib
import sys
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import field
from types import FrameType, TracebackType
from typing import Any

from zenrun.deferred import dataclass
from zenrun.outcomes import Exit
from zenrun.tbstyle import saferepr

__all__ = ["AssertionSettings", "explain", "truncate"]

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
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}
_UNARY = {ast.Not: "not ", ast.Invert: "~", ast.USub: "-", ast.UAdd: "+"}
_UNARY_FUNCS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_BINOP_FUNCS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
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
#: The built-in functions called again on plain values: they run no code of the user's.
_PURE = frozenset(
    {
        abs,
        all,
        any,
        bool,
        dict,
        divmod,
        enumerate,
        float,
        frozenset,
        int,
        len,
        list,
        max,
        min,
        range,
        repr,
        reversed,
        round,
        set,
        sorted,
        str,
        sum,
        tuple,
        zip,
    }
)
#: The nodes a comprehension's element and conditions may have to be made again.
_SAFE_INSIDE = (
    *_SAFE,
    ast.Compare,
    ast.cmpop,
    ast.BoolOp,
    ast.boolop,
    ast.IfExp,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.comprehension,
    ast.Store,
)
_SCALARS = (int, float, complex, bool, str, bytes, type(None), range)
_PLAIN_ITEMS = 10_000  # items a value may have to be called on again
_DICT_VIEWS = ("items", "keys", "values")
_REPR = 240  # characters of a value shown (pytest's DEFAULT_REPR_MAX_SIZE)
_TRUNCATION_MSG = "...Full output truncated, use '-vv' to show"


@dataclass(frozen=True)
class AssertionSettings:
    """How a failing ``assert`` is explained, as the session's options set it (picklable:
    it travels with each step to the process that runs it).

    ``verbosity`` is ``-v``'s count; ``plain`` is ``--assert=plain`` (no explanation);
    ``max_lines`` / ``max_chars`` cut a long comparison explanation (``0``: no limit;
    none at ``-vv`` or on CI); ``hooks`` are the ``zenrun_assertrepr_compare``
    implementations that apply, called with ``config`` where it is known (None in a worker
    process); ``text_diff_style`` is how two strings are shown: ``"ndiff"`` (pytest's line
    diff) or ``"block"`` (each whole, under ``Left:`` / ``Right:``)."""

    verbosity: int = 0
    plain: bool = False
    max_lines: int = 0
    max_chars: int = 0
    text_diff_style: str = "ndiff"
    hooks: tuple[Callable[..., Any], ...] = ()
    config: Any = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "config": None}  # the session's config stays in its process

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


#: Between two lines of an ``assert``'s message: the later ones indented under the first, as
#: pytest shows them (the message's line breaks, and those escaped in a value's repr).
_CONTINUED = "\n  "


def explain(exc: BaseException, verbosity: int = 0, settings: AssertionSettings | None = None) -> None:
    """Give ``exc``, an ``AssertionError`` raised by an ``assert``, the explanation of what
    it compared (as pytest's at ``verbosity``: 1 for ``-v``); an ``assert`` with a message
    keeps it, the explanation on the lines after it. Anything else is left as it is.
    ``settings`` (when given) carries the verbosity, the limits and the hooks."""
    if settings is None:
        settings = AssertionSettings(verbosity=verbosity)
    if type(exc) is not AssertionError or settings.plain or len(exc.args) > 1:
        return
    frame, lineno = _failing_frame(exc.__traceback__)
    if frame is None:
        return
    try:
        node = _assert_at(frame.f_code.co_filename, lineno, frame.f_globals)
        if node is None or (node.msg is None) != (not exc.args):
            return
        text = _Explainer(frame, node.test, settings).explain()
        if exc.args:
            message = exc.args[0]
            if isinstance(message, str):
                message = message.replace("\n", _CONTINUED)
            else:
                repr(message)  # one that cannot be made: the message stays as Python names it
                message = _saferepr(message, _maxsize(settings.verbosity), escape=False)
                message = message.replace("\n", _CONTINUED).replace("\\n", _CONTINUED)
            text = f"{message}\n{text}"
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # never worse than the bare AssertionError
        return
    if text:
        exc.args = (text,)


def truncate(lines: list[str], max_lines: int, max_chars: int) -> list[str]:
    """pytest's ``_truncate_explanation``: ``lines`` cut to ``max_lines`` lines or
    ``max_chars`` characters (0: no limit of that kind), and a line saying so."""
    footer_chars = len("...") + len(_TRUNCATION_MSG)
    tolerable_chars = max_chars + footer_chars
    if max_lines == 0 or len(lines) <= max_lines + 2:
        if max_chars == 0 or sum(map(len, lines)) <= tolerable_chars:
            return lines
        cut = list(lines)
    else:
        cut = lines[:max_lines]
    if max_chars > 0 and sum(map(len, cut)) > tolerable_chars:
        count = index = 0
        while index < len(cut) - 1 and count + len(cut[index]) <= max_chars:
            count += len(cut[index])
            index += 1
        cut = [*cut[:index], cut[index][: max_chars - count]]
    cut[-1] += "..."
    return [*cut, "", _TRUNCATION_MSG]


def _maxsize(verbosity: int) -> int | None:
    """pytest's ``_get_maxsize_for_saferepr``: -v shows ten times more, -vv all of it."""
    return _REPR if verbosity <= 0 else _REPR * 10 if verbosity == 1 else None


class _SafeRepr(reprlib.Repr):
    """pytest's ``SafeRepr``: reprlib's (six items of a container, nested levels cut)
    with strings and other objects up to ``maxsize`` characters."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxstring = self.maxother = maxsize
        self.maxsize = maxsize

    def repr(self, x: Any) -> str:
        return _cut(self._repr(x), self.maxsize)

    def _repr(self, x: Any) -> str:
        try:
            return super().repr(x)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # as pytest's: named, never raising
            return saferepr(x, self.maxsize)

    def repr_instance(self, x: Any, level: int) -> str:
        return saferepr(x, self.maxsize)


def _cut(text: str, maxsize: int) -> str:
    if len(text) > maxsize:
        half = max(0, (maxsize - 3) // 2)
        text = text[:half] + "..." + text[len(text) - (maxsize - 3 - half) :]
    return text


def _saferepr(value: Any, maxsize: int | None, *, escape: bool = True, ascii_only: bool = False) -> str:
    """A value as pytest's assertion rewriting shows it: cut to ``maxsize`` (None: all of
    it), its line breaks escaped (an explanation's lines are its own); ``ascii_only``: a
    text as ``ascii()`` spells it."""
    if ascii_only and isinstance(value, str):
        text = ascii(value)
        text = text if maxsize is None else _cut(text, maxsize)
    else:
        text = saferepr(value, sys.maxsize) if maxsize is None else _SafeRepr(maxsize).repr(value)
    return text.replace("\n", "\\n") if escape else text


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


_Where = list[tuple[int, str]]  # (depth, "value = expression") lines under the assert


class _Explainer:
    """pytest's rewritten explanation of an ``assert``'s test, made from the frame it
    failed in: a part whose value can be read again (names, attributes, subscripts,
    constants and arithmetic on them) is shown by its value, anything else (a call) by
    its source. A name the test assigns with ``:=`` is not read again: its value changed."""

    def __init__(self, frame: FrameType, test: ast.expr, settings: AssertionSettings) -> None:
        self.frame = frame
        self.test = test
        self.settings = settings
        self.maxsize = _maxsize(settings.verbosity)
        self.seen: dict[int, tuple[str, bool, Any, _Where]] = {}  # by id of the node (of one tree)
        #: The ids of values made of plain ones here (a generator over a plain list): plain too.
        self.made: set[int] = set()
        self.keep: list[Any] = []
        self.assigned = {
            n.target.id
            for n in ast.walk(test)
            if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name)
        }

    def explain(self) -> str:
        test = self.test
        if isinstance(test, ast.Compare):
            custom = self._compare(test)
            if custom is not None:
                return "assert " + "\n".join([custom[0], *(f"  {line}" for line in custom[1:])])
        text, _, _, where = self.visit(test)
        return "assert " + text + "".join(f"\n +  {'  ' * depth}where {line}" for depth, line in where)

    def repr(self, value: Any) -> str:
        return _saferepr(value, self.maxsize)

    def value(self, node: ast.expr) -> tuple[bool, Any]:
        """``(True, value)`` of ``node`` evaluated in the frame when that is safe."""
        if not all(isinstance(n, _SAFE) for n in ast.walk(node)):
            return False, None
        if any(isinstance(n, ast.Name) and n.id in self.assigned for n in ast.walk(node)):
            return False, None
        try:
            code = compile(ast.Expression(body=node), "<assert>", "eval")
            return True, eval(code, self.frame.f_globals, self.frame.f_locals)
        except Exception:
            return False, None

    def visit(self, node: ast.expr) -> tuple[str, bool, Any, _Where]:
        """``node`` as the explanation shows it: its text, whether its value is known, the
        value, and its ``where`` lines."""
        seen = self.seen.get(id(node))  # each part is evaluated once: a property runs once more
        if seen is not None:
            return seen
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is not None:
            seen = method(node)
        else:
            known, value = self.value(node)
            seen = (self.repr(value) if known else ast.unparse(node)), known, value, []
        self.seen[id(node)] = seen
        return seen

    def visit_Name(self, node: ast.Name) -> tuple[str, bool, Any, _Where]:
        known, value = self.value(node)
        if not known:
            return node.id, False, None, []
        # as pytest's: a global function, class or module is shown by its name
        local = node.id in self.frame.f_locals
        return (self.repr(value) if local or _should_repr_global(value) else node.id), True, value, []

    def visit_NamedExpr(self, node: ast.NamedExpr) -> tuple[str, bool, Any, _Where]:
        _, known, value, where = self.visit(node.value)
        return (self.repr(value) if known else ast.unparse(node)), known, value, where

    def visit_Attribute(self, node: ast.Attribute) -> tuple[str, bool, Any, _Where]:
        base, base_known, base_value, base_where = self.visit(node.value)
        if not base_known:
            return ast.unparse(node), False, None, []
        try:  # read once, on the value already known (a property runs once more, not twice)
            value = getattr(base_value, node.attr)
        except Exception:
            return ast.unparse(node), False, None, []
        shown = self.repr(value)
        return (
            shown,
            True,
            value,
            [(0, f"{shown} = {base}.{node.attr}"), *((d + 1, w) for d, w in base_where)],
        )

    def visit_UnaryOp(self, node: ast.UnaryOp) -> tuple[str, bool, Any, _Where]:
        text, known, value, where = self.visit(node.operand)
        return _UNARY[type(node.op)] + text, *_apply(_UNARY_FUNCS[type(node.op)], known, value), where

    def visit_BinOp(self, node: ast.BinOp) -> tuple[str, bool, Any, _Where]:
        left, left_known, left_value, left_where = self.visit(node.left)
        right, right_known, right_value, right_where = self.visit(node.right)
        function = _BINOP_FUNCS[type(node.op)]
        known, result = _apply(lambda a: function(*a), left_known and right_known, (left_value, right_value))
        return f"({left} {_BINOPS[type(node.op)]} {right})", known, result, left_where + right_where

    def visit_BoolOp(self, node: ast.BoolOp) -> tuple[str, bool, Any, _Where]:
        is_and = isinstance(node.op, ast.And)
        shown, where = [], []
        known, value = False, None
        for operand in node.values:
            text, known, value, operand_where = self.visit(operand)
            shown.append(text)
            where += operand_where
            if not known or bool(value) != is_and:  # short-circuited here (or cannot tell)
                break
        return "(" + (" and " if is_and else " or ").join(shown) + ")", known, value, where

    def visit_Call(self, node: ast.Call) -> tuple[str, bool, Any, _Where]:
        # A call is never made again, but a pure built-in (len, sorted, range, ...) of plain
        # values (numbers, strings, built-in containers of them) runs no code of the user's.
        function = self._builtin(node.func)
        if function is not None and not any(isinstance(a, ast.Starred) for a in node.args):
            args = [self.visit(a) for a in node.args]
            keywords = [(k.arg, self.visit(k.value)) for k in node.keywords]
            values = [a[2] for a in args] + [k[1][2] for k in keywords]
            plain = all(_plain(v) or id(v) in self.made for v in values)
            if all(a[1] for a in args) and all(k[0] and k[1][1] for k in keywords) and plain:
                try:
                    result = function(*(a[2] for a in args), **{str(k[0]): k[1][2] for k in keywords})
                except Exception:
                    return ast.unparse(node), False, None, []
                shown = self.repr(result)
                texts = [a[0] for a in args] + [f"{k[0]}={k[1][0]}" for k in keywords]
                where = [w for a in [*args, *(k[1] for k in keywords)] for w in a[3]]
                call = f"{ast.unparse(node.func)}({', '.join(texts)})"
                return shown, True, result, [(0, f"{shown} = {call}"), *((d + 1, w) for d, w in where)]
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in _DICT_VIEWS
            and not (node.args or node.keywords)
        ):
            base, known, value, where = self.visit(node.func.value)
            if known and type(value) is dict:  # a dict's view: no code of the user's runs
                result = getattr(value, node.func.attr)()
                shown = self.repr(result)
                return shown, True, result, [(0, f"{shown} = {base}.{node.func.attr}()"), *where]
        return ast.unparse(node), False, None, []

    def visit_ListComp(self, node: ast.expr) -> tuple[str, bool, Any, _Where]:
        return self._comprehension(node)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def _comprehension(self, node: ast.expr) -> tuple[str, bool, Any, _Where]:
        """A comprehension over plain values (each ``for``'s iterable one, read before the
        loop), its element and conditions of the safe kind: made again, as its value."""
        generators: list[ast.comprehension] = getattr(node, "generators", [])
        targets = {n.id for g in generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        parts = [p for g in generators for p in g.ifs] + [
            getattr(node, name) for name in ("elt", "key", "value") if hasattr(node, name)
        ]
        unknown: tuple[str, bool, Any, _Where] = (ast.unparse(node), False, None, [])
        for generator in generators:
            if generator.is_async or any(
                isinstance(n, ast.Name) and n.id in targets for n in ast.walk(generator.iter)
            ):
                return unknown
            _, known, value, _ = self.visit(generator.iter)
            if not (known and (_plain(value) or id(value) in self.made)):
                return unknown
        names = {n.id for p in parts for n in ast.walk(p) if isinstance(n, ast.Name)}
        if names & self.assigned or not all(isinstance(n, _SAFE_INSIDE) for p in parts for n in ast.walk(p)):
            return unknown
        try:  # one namespace: a comprehension's own scope sees the frame's locals too
            namespace = {**self.frame.f_globals, **self.frame.f_locals}
            value = eval(compile(ast.Expression(body=node), "<assert>", "eval"), namespace)
        except Exception:
            return unknown
        self.made.add(id(value))
        self.keep.append(value)  # its id stays its own while the explanation is made
        return self.repr(value), True, value, []

    def _builtin(self, func: ast.expr) -> Callable[..., Any] | None:
        """The pure built-in ``func`` names (not shadowed by a name of the frame's), else None."""
        if not isinstance(func, ast.Name) or func.id in self.assigned:
            return None
        frame = self.frame
        value = frame.f_locals.get(func.id, frame.f_globals.get(func.id, getattr(builtins, func.id, None)))
        try:
            return value if value in _PURE else None  # type: ignore[no-any-return]
        except TypeError:  # an unhashable value
            return None

    def visit_Compare(self, node: ast.Compare) -> tuple[str, bool, Any, _Where]:
        left, op, right, holds = self._failing_pair(node)
        return f"{left[0]} {_OPS[type(op)]} {right[0]}", holds is not None, holds, left[3] + right[3]

    def _failing_pair(self, node: ast.Compare) -> tuple[Any, ast.cmpop, Any, bool | None]:
        """The pair of a comparison (chain) that is false, each side as ``visit`` gives it,
        and the chain's value; the first pair not known (value None) when one of its sides
        cannot be read again."""
        left = self._operand(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self._operand(comparator)
            if not (left[1] and right[1]):
                return left, op, right, None
            try:
                holds = bool(_COMPARE[type(op)](left[2], right[2]))
            except Exception:
                return left, op, right, None
            if not holds:
                return left, op, right, False
            if comparator is not node.comparators[-1]:
                left = right
        return left, node.ops[-1], right, True

    def _operand(self, node: ast.expr) -> tuple[str, bool, Any, _Where]:
        text, known, value, where = self.visit(node)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            text = f"({text})"
        return text, known, value, where

    def _compare(self, node: ast.Compare) -> list[str] | None:
        """The lines a plugin's ``zenrun_assertrepr_compare``, else zenrun's own, give the
        failing pair of ``node`` (None: no more than its summary), cut to the limits."""
        left, op, right, holds = self._failing_pair(node)
        if holds is None:
            return None
        symbol = _OPS[type(op)]
        lines = self._hook_lines(symbol, left[2], right[2])
        if lines is None:
            lines = _assertrepr_compare(
                symbol, left[2], right[2], self.settings.verbosity, self.settings.text_diff_style
            )
        if lines is None:
            return None
        settings = self.settings
        if settings.verbosity < 2 and not _on_ci() and (settings.max_lines > 0 or settings.max_chars > 0):
            lines = truncate(lines, settings.max_lines, settings.max_chars)
        return lines

    def _hook_lines(self, op: str, left: Any, right: Any) -> list[str] | None:
        arguments = {"config": self.settings.config, "op": op, "left": left, "right": right}
        for function in self.settings.hooks:
            names = inspect.signature(function).parameters
            result = function(**{name: arguments[name] for name in names if name in arguments})
            lines = [str(line) for line in result] if result else []
            if lines:
                return lines
        return None


def _apply(function: Callable[[Any], Any], known: bool, value: Any) -> tuple[bool, Any]:
    """``(True, function(value))`` when ``value`` is known and ``function`` does not raise."""
    if not known:
        return False, None
    try:
        return True, function(value)
    except Exception:
        return False, None


def _plain(value: Any, budget: list[int] | None = None) -> bool:
    """Whether ``value`` is made of numbers, strings, bytes, None and built-in containers
    of them only (no code of the user's runs when a built-in reads it): up to
    ``_PLAIN_ITEMS`` items looked at, more is not plain."""
    budget = [_PLAIN_ITEMS] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        return False
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind in (list, tuple, set, frozenset):
        return all(_plain(v, budget) for v in value)
    if kind is dict:
        return all(_plain(k, budget) and _plain(v, budget) for k, v in value.items())
    return False


def _should_repr_global(value: Any) -> bool:
    """pytest's ``_should_repr_global_name``: not a function, class or module; a fixture's
    function is (its name alone would look like the fixture's value)."""
    if callable(value):
        return isinstance(getattr(value, "_zenrun_fixture", None), dict)
    try:
        return not hasattr(value, "__name__")
    except Exception:
        return True


def _on_ci() -> bool:
    """As pytest: no truncation on CI (``CI`` or ``BUILD_NUMBER`` set and not empty)."""
    return bool(os.environ.get("CI") or os.environ.get("BUILD_NUMBER"))


def _assertrepr_compare(
    op: str, left: Any, right: Any, verbosity: int, style: str = "ndiff"
) -> list[str] | None:
    """pytest's ``assertrepr_compare``: a summary of the two values, then the lines on where
    they differ (None when there is nothing to add to the summary)."""
    details: list[str] = []
    try:
        if op == "==":
            details = _differences(left, right, verbosity, style)
        elif op == "not in" and isinstance(left, str) and isinstance(right, str):
            details = _notin_text(left, right, verbosity)
        elif isinstance(left, AbstractSet) and isinstance(right, AbstractSet):
            details = _set_compare(op, left, right)
    except (KeyboardInterrupt, SystemExit, Exit):  # (zenrun.exit() in an __eq__: the session's)
        raise
    except Exception as exc:  # as pytest's: the values' own code (__eq__, __iter__) failed
        frame, lineno = _failing_frame(exc.__traceback__)
        where = f"{frame.f_code.co_filename}:{lineno}: " if frame is not None else ""
        details = [
            f"(zenrun: representation of details failed: {where}{type(exc).__name__}: {exc}.",
            " Probably an object has a faulty __repr__.)",
        ]
    if not details:
        return None
    maxsize = (80 - 15 - len(op) - 2) // 2 if verbosity < 2 else None
    # As pytest: two texts that differ only in how their characters are composed (NFC, NFD)
    # look alike; shown with ascii() they do not.
    ascii_only = isinstance(left, str) and isinstance(right, str) and _same_when_normalized(left, right)
    summary = f"{_saferepr(left, maxsize, escape=False, ascii_only=ascii_only)} {op} " + _saferepr(
        right, maxsize, escape=False, ascii_only=ascii_only
    )
    if details[0]:  # as pytest's: a blank line after the summary
        details = ["", *details]
    return [summary, *details]


def _same_when_normalized(left: str, right: str) -> bool:
    import unicodedata

    return unicodedata.normalize("NFD", left) == unicodedata.normalize("NFD", right)


def _set_compare(op: str, left: AbstractSet[Any], right: AbstractSet[Any]) -> list[str]:
    """pytest's ``_compare_gte_set`` and its kin: the items one side lacks."""
    if op in ("!=",) or (op in (">", "<") and left == right):
        return ["Both sets are equal"] if left == right else []
    if op in (">=", ">"):
        return _one_sided("right", right, left)
    if op in ("<=", "<"):
        return _one_sided("left", left, right)
    return []


def _one_sided(side: str, one: AbstractSet[Any], other: AbstractSet[Any]) -> list[str]:
    extra = [item for item in one if item not in other]
    return [f"Extra items in the {side} set:", *(saferepr(v, _REPR) for v in extra)] if extra else []


def _differences(left: Any, right: Any, verbosity: int = 0, style: str = "ndiff") -> list[str]:
    """pytest's lines on where two unequal values differ (``_compare_eq_any``)."""
    if isinstance(left, str) and isinstance(right, str):
        if style == "block":  # pytest's ``_diff_text_block``: each text whole
            return ["Left:", *(f"  {line}" for line in left.split("\n")), "", "Right:"] + [
                f"  {line}" for line in right.split("\n")
            ]
        return _text_diff(left, right, verbosity)
    lines: list[str] = []
    if type(left) is type(right) and _fields(left) is not None:
        lines = _class_diff(left, right, verbosity, style)
    elif _is_sequence(left) and _is_sequence(right):  # as pytest's: of any two kinds, bytes too
        lines = _sequence_diff(left, right)
    elif isinstance(left, AbstractSet) and isinstance(right, AbstractSet):  # dict.keys() too
        if left - right:
            lines += ["Extra items in the left set:", *(saferepr(v, _REPR) for v in left - right)]
        if right - left:
            lines += ["Extra items in the right set:", *(saferepr(v, _REPR) for v in right - left)]
    elif isinstance(left, Mapping) and isinstance(right, Mapping):
        lines = _dict_diff(left, right, verbosity)
    if _is_iterable(left) and _is_iterable(right):  # (a namedtuple: its items after its fields)
        lines += _full_diff(left, right, verbosity)
    return lines


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _is_iterable(value: Any) -> bool:
    """pytest's ``isiterable``: ``iter()`` takes it, and it is no text."""
    try:
        iter(value)
    except Exception:
        return False
    return not isinstance(value, str)


def _default_eq(value: Any) -> bool:
    """pytest's ``has_default_eq``: the ``__eq__`` a dataclass or attrs class generated,
    not one of its own (whose reasons the fields would not tell)."""
    code = getattr(getattr(type(value), "__eq__", None), "__code__", None)
    if code is None:
        return True
    if hasattr(type(value), "__attrs_attrs__"):
        return "attrs generated" in code.co_filename
    return code.co_filename == "<string>"


def _fields(value: Any) -> list[str] | None:
    """The fields ``==`` compares of a dataclass, attrs class or namedtuple instance (None
    for anything else, or a class with its own ``__eq__``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not value.__dataclass_params__.eq or not _default_eq(value):  # type: ignore[attr-defined]
            return None
        return [f.name for f in dataclasses.fields(value) if f.compare]
    attrs = getattr(type(value), "__attrs_attrs__", None)
    if attrs is not None:
        if not _default_eq(value):
            return None
        return [a.name for a in attrs if getattr(a, "eq", True)]
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return list(type(value)._fields)  # type: ignore[attr-defined]  # a namedtuple's
    return None


def _class_diff(left: Any, right: Any, verbosity: int, style: str = "ndiff") -> list[str]:
    """pytest's ``_compare_eq_cls``: the attributes that match and differ, and each
    differing one drilled down into."""
    import pprint

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
            lines += [f"  {line}" for line in _differences(a, b, verbosity, style)]
    return lines


def _full_diff(left: Any, right: Any, verbosity: int) -> list[str]:
    """pytest's ``_compare_eq_iterable``: with ``-v``, an ``ndiff`` of both values laid out
    one item a line (``-`` the expected right side, ``+`` the left); else a hint."""
    import difflib

    if verbosity <= 0 and not _on_ci():  # as pytest: on CI the whole diff, even without -v
        return ["Use -v to get more diff"]
    diff = [line.rstrip() for line in difflib.ndiff(_layout(right), _layout(left))]
    # Whole, as pytest's: without -vv the truncation limits cut it (with the hint to use -vv)
    return ["", "Full diff: (-: missing in left side, +: extra in left side)", *diff]


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
    if type(value) is bytes and len(value) > 4 and not indent:  # as pytest's PrettyPrinter
        return [f"({saferepr(value, _REPR)})"]
    if isinstance(value, str) and type(value).__repr__ is str.__repr__ and indent:
        return [indent + chunk for chunk in _wrapped_str(value, len(indent))]
    return [indent + saferepr(value, _REPR)]


_WIDTH = 80  # the width pytest's PrettyPrinter lays a diff's sides out in


def _wrapped_str(value: str, indent: int) -> list[str]:
    """A string item of a container ``indent`` columns in, as pytest's ``PrettyPrinter``
    (the standard ``pprint``'s way) shows it: the reprs of its lines, a line too long for
    the width cut after whitespace into reprs that fit (the last one leaving room for its
    comma); so a long string differing in one word shows that piece in the diff."""
    chunks: list[str] = []
    lines = value.splitlines(True)
    max_width1 = max_width = _WIDTH - indent
    for i, line in enumerate(lines):
        rep = repr(line)
        if i == len(lines) - 1:
            max_width1 -= 1  # the comma after the item
        if len(rep) <= max_width1:
            chunks.append(rep)
            continue
        parts = re.findall(r"\S*\s*", line)[:-1]  # (non-space, space) runs; the last is ""
        max_width2, current = max_width, ""
        for j, part in enumerate(parts):
            candidate = current + part
            if j == len(parts) - 1 and i == len(lines) - 1:
                max_width2 -= 1
            if len(repr(candidate)) > max_width2:
                if current:
                    chunks.append(repr(current))
                current = part
            else:
                current = candidate
        if current:
            chunks.append(repr(current))
    if len(chunks) <= 1:
        return [saferepr(value, _REPR)]
    return chunks


def _sequence_diff(left: Sequence[Any], right: Sequence[Any]) -> list[str]:
    lines = []
    both_bytes = isinstance(left, bytes) and isinstance(right, bytes)
    for index in range(min(len(left), len(right))):  # by index, as pytest's (not __iter__)
        a, b = left[index], right[index]
        if a != b:
            if both_bytes:  # as pytest's: b'f', not 102
                a, b = left[index : index + 1], right[index : index + 1]
            lines.append(f"At index {index} diff: {saferepr(a, _REPR)} != {saferepr(b, _REPR)}")
            break
    if both_bytes:  # (which side is longer tells nothing more of bytes)
        return lines
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


def _dict_diff(left: Mapping[Any, Any], right: Mapping[Any, Any], verbosity: int = 0) -> list[str]:
    import pprint

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
    import difflib

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
    return lines + diff  # whole, as pytest's: the truncation limits cut it without -vv


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
