"""The ``-k`` / ``-m`` expression language, as pytest's::

    expression: expr? EOF
    expr:       and_expr ('or' and_expr)*
    and_expr:   not_expr ('and' not_expr)*
    not_expr:   'not' not_expr | '(' expr ')' | ident
    ident:      (\\w|:|\\+|-|\\.|\\[|\\]|\\\\|/|=)+
"""

from __future__ import annotations

import re
from typing import Callable

from zenrun.config.argparsing import UsageError

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([\w:+\-.\[\]\\/=]+))")
_KEYWORDS = {"and", "or", "not"}


class Expression:
    """A compiled expression; ``evaluate(matcher)`` calls ``matcher(ident)`` for identifiers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.tree = self._expr() if self.tokens else ("true",)
        if self.pos != len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")

    def _fail(self, message: str) -> None:
        raise UsageError(f"wrong expression {self.text!r}: {message}")

    def _tokenize(self, text: str) -> list[str]:
        tokens, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match:
                self._fail(f"unexpected character {text[pos:].lstrip()[0]!r}")
            tokens.append(match.group(match.lastindex))
            pos = match.end()
        return tokens

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            self._fail("unexpected end of expression")
        self.pos += 1
        return token  # type: ignore[return-value]

    def _expr(self) -> tuple:
        node = self._and()
        while self._peek() == "or":
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self) -> tuple:
        node = self._not()
        while self._peek() == "and":
            self._take()
            node = ("and", node, self._not())
        return node

    def _not(self) -> tuple:
        token = self._take()
        if token == "not":
            return ("not", self._not())
        if token == "(":
            node = self._expr()
            if self._take() != ")":
                self._fail("expected ')'")
            return node
        if token in _KEYWORDS or token == ")":
            self._fail(f"unexpected {token!r}")
        return ("ident", token)

    def evaluate(self, matcher: Callable[[str], bool]) -> bool:
        def ev(node: tuple) -> bool:
            kind = node[0]
            if kind == "true":
                return True
            if kind == "ident":
                return matcher(node[1])
            if kind == "not":
                return not ev(node[1])
            if kind == "and":
                return ev(node[1]) and ev(node[2])
            return ev(node[1]) or ev(node[2])
        return ev(self.tree)
