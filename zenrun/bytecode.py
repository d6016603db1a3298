"""The operations of a code object and their arguments, read straight from its bytes.

``dis.get_instructions`` makes a named tuple for each instruction, with its source
positions, jump labels and a ``repr`` of every constant: about 2 µs an instruction.
Fingerprinting reads every instruction of each project function a step reaches (a
400-instruction function cost a millisecond), and needs none of that: :func:`operations`
gives the name of each operation and the value of its argument, as ``dis`` gives them, for
a tenth of the time. ``tests/test_bytecode.py`` checks both agree on the code of the
standard library.
"""

from __future__ import annotations

import dis
import sys
import types
from typing import Any

#: What an operation's argument stands for (``dis`` resolves the same ones).
_RAW, _CONST, _NAME, _GLOBAL, _VARIABLE, _UNKNOWN = range(6)
_INT_OVERFLOW = 2**31  # an oparg is a signed 32-bit integer: EXTENDED_ARG wraps past it

#: The inline cache entries (two bytes each) after each operation: CPython 3.11's layout.
_CACHES: list[int] | None = getattr(dis, "_inline_cache_entries", None)
_FAST = sys.version_info[:2] == (3, 11) and _CACHES is not None
_UNKNOWN_VALUE: Any = getattr(dis, "UNKNOWN", None)  # what dis gives for KW_NAMES's argument


def _kinds() -> list[int]:
    kinds = [_RAW] * 256
    for op in dis.hasconst:
        kinds[op] = _CONST if op == dis.opmap["LOAD_CONST"] else _UNKNOWN
    for op in dis.hasname:
        kinds[op] = _NAME
    if "LOAD_GLOBAL" in dis.opmap:  # (3.11: its argument is the name's index times two)
        kinds[dis.opmap["LOAD_GLOBAL"]] = _GLOBAL
    for op in (*dis.haslocal, *dis.hasfree):
        if kinds[op] == _RAW:  # as dis: a constant or a name first
            kinds[op] = _VARIABLE
    return kinds


_KIND = _kinds()


def operations(code: types.CodeType) -> list[tuple[str, Any]]:
    """``(opname, argval)`` of each instruction of ``code`` (not the code nested in it), as
    ``dis.get_instructions(code)`` gives them: the argument's value for operations that name
    a constant (``LOAD_CONST``), a name or a variable; the raw argument for the others
    (``dis`` gives jump targets and comparisons their own values); None without one."""
    if not _FAST:  # another interpreter's layout: dis reads it
        return [(ins.opname, ins.argval) for ins in dis.get_instructions(code)]
    raw = code.co_code  # the bytecode as compiled, not its specialized (quickened) form
    names, consts = code.co_names, code.co_consts
    variable = code._varname_from_oparg  # type: ignore[attr-defined]
    opname, kinds, caches = dis.opname, _KIND, _CACHES
    have_argument, extended_arg = dis.HAVE_ARGUMENT, dis.EXTENDED_ARG
    result: list[tuple[str, Any]] = []
    extended = 0
    offset, end = 0, len(raw)
    while offset < end:
        op = raw[offset]
        argval: Any = None
        if op >= have_argument:
            arg = raw[offset + 1] | extended
            extended = (arg << 8) if op == extended_arg else 0
            if extended >= _INT_OVERFLOW:
                extended -= 2 * _INT_OVERFLOW
            kind = kinds[op]
            if kind == _RAW:
                argval = arg
            elif kind == _NAME:
                argval = names[arg]
            elif kind == _GLOBAL:
                argval = names[arg >> 1]
            elif kind == _VARIABLE:
                argval = variable(arg)
            elif kind == _CONST:
                argval = consts[arg]
            else:
                argval = _UNKNOWN_VALUE
        else:
            extended = 0
        result.append((opname[op], argval))
        offset += 2 + 2 * caches[op]  # type: ignore[index]
    return result
