"""The ``-k`` / ``-m`` expression language, as pytest's::

    expression: expr? EOF
    expr:       and_expr ('or' and_expr)*
    and_expr:   not_expr ('and' not_expr)*
    not_expr:   'not' not_expr | '(' expr ')' | ident kwargs?
    ident:      (\\w|:|\\+|-|\\.|\\[|\\]|\\\\|/)+
    kwargs:     '(' name '=' value (',' name '=' value)* ')'
    value:      a quoted string, an integer, True, False or None

An empty expression is false (callers treat "no expression" as "select all").
A syntax error is an :class:`ExpressionError`, which is both a ``SyntaxError``
(with ``offset``, the 1-based column, and ``msg``) and a usage error.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from typing import Any

from zenrun.errors import UsageError

__all__ = ["Expression", "ExpressionError"]

# compiled on first use (re caches it): zenrun --help does not need it
_IDENT = r"(?:\w|:|\+|-|\.|\[|\]|\\|/)+"
_KEYWORDS = {"and", "or", "not"}
_NAMES = {
    "(": "left parenthesis",
    ")": "right parenthesis",
    "=": "=",
    ",": ",",
    "ident": "identifier",
    "string": "string literal",
    "eof": "end of input",
}


class ExpressionError(SyntaxError, UsageError):
    """A malformed ``-k`` / ``-m`` expression: where (``offset``) and what (``msg``)."""

    def __init__(self, text: str, column: int, message: str) -> None:
        super().__init__(message, (None, 1, column, text))
        self.text_expression = text

    def __str__(self) -> str:
        return (
            f"wrong expression passed to '-k'/'-m': {self.text_expression}: at column "
            f"{self.offset}: {self.msg}"
        )


class _Token:
    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a token.
    __slots__ = ("kind", "pos", "value")

    def __init__(self, kind: str, value: str, pos: int) -> None:
        self.kind = kind  # "(", ")", "=", ",", "and", "or", "not", "ident", "string", "eof"
        self.value = value
        self.pos = pos


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        char = text[pos]
        if char in " \t":
            pos += 1
        elif char in "(),=":
            tokens.append(_Token(char, char, pos))
            pos += 1
        elif char in "'\"":
            end = text.find(char, pos + 1)
            if end == -1:
                raise ExpressionError(text, pos + 1, f'closing quote "{char}" is missing')
            value = text[pos + 1 : end]
            if "\\" in value:
                raise ExpressionError(
                    text, pos + 1, 'escaping with "\\\\" not supported in marker expression'
                )
            tokens.append(_Token("string", value, pos))
            pos = end + 1
        else:
            match = re.compile(_IDENT).match(text, pos)
            if match is None:
                raise ExpressionError(text, pos + 1, f'unexpected character "{char}"')
            value = match.group()
            tokens.append(_Token(value if value in _KEYWORDS else "ident", value, pos))
            pos = match.end()
    tokens.append(_Token("eof", "", pos))
    return tokens


class Expression:
    """A compiled expression; ``evaluate(matcher)`` calls ``matcher(ident, **kwargs)``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens = _tokenize(text)
        self._pos = 0
        if self._peek().kind == "eof":
            self.tree: tuple[Any, ...] = ("false",)
        else:
            try:
                self.tree = self._expr()
            except RecursionError:  # thousands of parentheses: an error, not an INTERNALERROR
                raise ExpressionError(text, self._peek().pos + 1, "parentheses nested too deeply") from None
        self._expect("eof")

    @classmethod
    def compile(cls, text: str) -> Expression:
        return cls(text)

    # -- parsing ------------------------------------------------------------------
    def _peek(self) -> _Token:
        return self._tokens[self._pos]

    def _accept(self, kind: str) -> _Token | None:
        token = self._peek()
        if token.kind == kind:
            self._pos += 1
            return token
        return None

    def _expect(self, *kinds: str) -> _Token:
        token = self._peek()
        if token.kind in kinds:
            self._pos += 1
            return token
        wanted = " OR ".join(_NAMES.get(k, k) for k in kinds)
        raise ExpressionError(
            self.text, token.pos + 1, f"expected {wanted}; got {_NAMES.get(token.kind, token.kind)}"
        )

    # A chain of operands is one node, and a run of `not`s one `not` or none: the tree is as
    # deep as the parentheses only, so a generated `-k "a or b or ..."` naming thousands of
    # items is evaluated without reaching Python's recursion limit.
    def _expr(self) -> tuple[Any, ...]:
        operands = [self._and()]
        while self._accept("or"):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else ("or", *operands)

    def _and(self) -> tuple[Any, ...]:
        operands = [self._not()]
        while self._accept("and"):
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else ("and", *operands)

    def _not(self) -> tuple[Any, ...]:
        negations = 0
        while self._accept("not"):
            negations += 1
        node = self._operand()
        return ("not", node) if negations % 2 else node

    def _operand(self) -> tuple[Any, ...]:
        if self._accept("("):
            node = self._expr()
            self._expect(")")
            return node
        token = self._expect("not", "(", "ident")
        kwargs: dict[str, Any] = {}
        if self._accept("("):
            kwargs = self._kwargs()
        return ("ident", token.value, kwargs)

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        while True:
            name = self._expect("ident")
            if not name.value.isidentifier():
                raise ExpressionError(self.text, name.pos + 1, f"not a valid python identifier {name.value}")
            if keyword.iskeyword(name.value):
                raise ExpressionError(
                    self.text, name.pos + 1, f"unexpected reserved python keyword `{name.value}`"
                )
            self._expect("=")
            string = self._accept("string")
            kwargs[name.value] = string.value if string else self._literal(self._expect("ident"))
            if self._accept(")"):
                return kwargs
            self._expect(",")

    def _literal(self, token: _Token) -> Any:
        constants = {"True": True, "False": False, "None": None}
        if token.value in constants:
            return constants[token.value]
        if re.fullmatch(r"[+-]?\d+", token.value):
            return int(token.value)
        raise ExpressionError(self.text, token.pos + 1, f'unexpected character/s "{token.value}"')

    # -- evaluation ---------------------------------------------------------------
    def evaluate(self, matcher: Callable[..., bool]) -> bool:
        def ev(node: tuple[Any, ...]) -> bool:
            kind = node[0]
            if kind == "false":
                return False
            if kind == "ident":
                return bool(matcher(node[1], **node[2]))
            if kind == "not":
                return not ev(node[1])
            if kind == "and":
                return all(ev(operand) for operand in node[1:])
            return any(ev(operand) for operand in node[1:])

        return ev(self.tree)

    @property
    def idents(self) -> list[tuple[str, dict[str, Any]]]:
        """Every identifier with its arguments (for ``--strict-markers`` on ``-m``)."""
        found: list[tuple[str, dict[str, Any]]] = []

        def walk(node: tuple[Any, ...]) -> None:
            if node[0] == "ident":
                found.append((node[1], node[2]))
            for child in node[1:]:
                if isinstance(child, tuple):
                    walk(child)

        walk(self.tree)
        return found
