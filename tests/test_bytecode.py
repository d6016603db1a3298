"""zenrun.bytecode reads a code object's operations as dis does, without dis's cost."""

from __future__ import annotations

import dis
import functools
import importlib
import types
from pathlib import Path

import pytest

from zenrun import bytecode, cache

# A spread of code: parsers, async and generators, closures, classes, big functions whose
# arguments need EXTENDED_ARG, and zenrun's own modules.
MODULES = [
    "argparse",
    "asyncio.tasks",
    "collections",
    "dataclasses",
    "email.message",
    "inspect",
    "json.decoder",
    "logging",
    "pathlib",
    "pydoc",
    "typing",
    "unittest.mock",
    "zenrun.cache",
    "zenrun.capture",
    "zenrun.execution",
    "zenrun.main",
]


@functools.cache  # compiled when a test first asks (not at collection)
def _codes() -> list[types.CodeType]:
    found: list[types.CodeType] = []
    for name in MODULES:
        path = importlib.import_module(name).__file__
        assert path is not None
        stack = [compile(Path(path).read_text(encoding="utf-8"), path, "exec")]
        while stack:
            code = stack.pop()
            found.append(code)
            stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


def _as_dis_gives(code: types.CodeType) -> list[tuple[str, object]]:
    """``operations``' contract, read from dis: the argument's value where the operation
    names a constant, a name or a variable, else the raw argument."""
    resolved = {*dis.hasconst, *dis.hasname, *dis.haslocal, *dis.hasfree}
    return [
        (ins.opname, ins.argval if ins.opcode in resolved else ins.arg) for ins in dis.get_instructions(code)
    ]


def test_the_operations_are_those_dis_reads() -> None:
    codes = _codes()
    assert len(codes) > 2000
    extended = 0
    for code in codes:
        assert bytecode.operations(code) == _as_dis_gives(code), code
        extended += any(op == "EXTENDED_ARG" for op, _ in bytecode.operations(code))
    assert extended  # the corpus has arguments past 255: their EXTENDED_ARG prefixes are read


def test_the_attribute_chains_are_those_read_through_dis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function's fingerprint (its chains of names read) is the same as when dis read its
    code: no cache key changes with the faster reading."""
    codes = _codes()
    fast = [cache._chains(code) for code in codes]
    cache._chain_memo.clear()
    monkeypatch.setattr(
        cache, "operations", lambda code: [(i.opname, i.argval) for i in dis.get_instructions(code)]
    )
    try:
        assert [cache._chains(code) for code in codes] == fast
    finally:
        cache._chain_memo.clear()


def test_another_interpreter_layout_is_read_by_dis(monkeypatch: pytest.MonkeyPatch) -> None:
    def step(x: int) -> int:
        return len([x]) + 1

    monkeypatch.setattr(bytecode, "_FAST", False)
    assert bytecode.operations(step.__code__) == [
        (i.opname, i.argval) for i in dis.get_instructions(step.__code__)
    ]
