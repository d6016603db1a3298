"""Helpers of the ports: pytest's test sources written as pipeline modules.

``pipelines(src)`` turns a pytest test module as pytest's suite writes it
(``def test_1(): assert 0``) into a pipeline module: ``pytest`` becomes
``zenrun``, each top-level ``def test*`` becomes a ``@pipeline`` (marks above
it stay above it), and an ``assert EXPR`` / ``pass`` in its body becomes a
call of the ``check`` step (``check(EXPR)`` / ``check(True)``), so that the
assertion runs in a step as a pipeline's work does; each body ends with
``check(True)`` (a pipeline calls at least one step, as a test that does
nothing else passes). ``check``'s failure message is the assertion as pytest
prints it (``assert EXPR``).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

PRE = """\
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "assert False"):
    assert ok, message
"""

_DEF = re.compile(r"^(async\s+)?def\s+(test\w*)\s*\((.*)\)\s*(->\s*[^:]+)?:\s*(.*)$")


def _statement(body: str, indent: str) -> str:
    body = body.strip()
    if body == "pass" or body == "...":
        return f"{indent}check(True)"
    if body.startswith("assert "):
        import ast

        try:
            node = ast.parse(body).body[0]
        except SyntaxError:
            node = None
        if isinstance(node, ast.Assert):
            test = ast.get_source_segment(body, node.test)
            if node.msg is not None:  # ``assert x, msg``: the message, as Python's
                return f"{indent}check({test}, {ast.get_source_segment(body, node.msg)})"
            return f"{indent}check({test}, {('assert ' + test)!r})"
        expr = body[len("assert ") :].strip()
        return f"{indent}check({expr}, {('assert ' + expr)!r})"
    return f"{indent}{body}"


def pipelines(src: str, *, pre: bool = True) -> str:
    """pytest test module source -> zenrun pipeline module source."""
    src = textwrap.dedent(src).strip("\n")
    src = re.sub(r"^import pytest$", "import zenrun", src, flags=re.M)
    src = src.replace("pytest.", "zenrun.")
    out: list[str] = []
    in_test = False

    def end_test() -> None:
        # A pipeline calls at least one step: a test that does nothing else passes.
        while out and not out[-1].strip():
            out.pop()
        out.append("    check(True)")
        out.append("")

    for line in src.splitlines():
        match = _DEF.match(line)
        if match:
            if in_test:
                end_test()
            is_async, name, args, returns, body = match.groups()
            out.append("@pipeline")
            out.append(f"{is_async or ''}def {name}({args}){(' ' + returns) if returns else ''}:")
            if body.strip():
                out.append(_statement(body, "    "))
                end_test()
                in_test = False
            else:
                in_test = True
            continue
        if in_test and line.strip() and not line.startswith((" ", "\t")):
            end_test()
            in_test = False
        if in_test and line.strip():
            indent = line[: len(line) - len(line.lstrip())]
            out.append(_statement(line, indent))
        else:
            out.append(line)
    if in_test:
        end_test()
    text = "\n".join(out) + "\n"
    return (PRE + "\n" + text) if pre else text


def bodies(src: str) -> str:
    """pytest test module source -> zenrun pipeline module source whose pipeline bodies are
    the test functions' bodies as written (a pipeline body is the item's own code, as a test
    function's: an exception it raises fails the item, and it needs to call no step):
    ``pytest`` becomes ``zenrun`` and each top-level ``def test*`` a ``@pipeline``."""
    src = textwrap.dedent(src).strip("\n")
    src = re.sub(r"^import pytest$", "import zenrun", src, flags=re.M)
    src = src.replace("pytest.", "zenrun.")
    src = re.sub(r"^((async\s+)?def\s+test)", r"@pipeline\n\1", src, flags=re.M)
    return "import zenrun\nfrom zenrun import pipeline, step\n\n" + src + "\n"


def store_value(zenrunner: Any, key: str, default: Any = None) -> Any:
    """A value zenrun keeps in the store (pytest's ``config.cache.get(key)``)."""
    path = Path(zenrunner.store) / "v" / key
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def module_name(zenrunner: Any) -> str:
    """The name ``makepyfile(src)`` gives a module (pytest: the test's name)."""
    return str(zenrunner.default_name)


def step_pipelines(src: str) -> str:
    """pytest's test module as a pipeline module whose asserts run in steps, as written:
    each top-level ``def test_NAME()`` becomes a step ``s_NAME`` and a pipeline
    ``test_NAME`` calling it (the rest of the module is kept)."""
    src = textwrap.dedent(src)
    src = re.sub(r"^def test_?(\w*)\(\):", lambda m: f"@step\ndef s_{m.group(1)}():", src, flags=re.M)
    names = re.findall(r"^def s_(\w*)\(\):", src, flags=re.M)
    calls = "".join(f"\n\n@pipeline\ndef test_{name}():\n    s_{name}()\n" for name in names)
    return "from zenrun import pipeline, step\n" + src + calls
