"""A step's source for the code panel: its file, line and text, and the call it was recorded with.

A step record names its function as ``module.qualname`` (the module named by
its file under the project's rootdir, see the cache key's ``step`` part); the
file is found under the rootdir and parsed, never imported. Only ``.py`` files
inside the rootdir are read, and at most ``MAX_BYTES`` of them: the viewer
serves no other file.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BYTES = 2_000_000
MAX_LINES = 400


@dataclass
class StepSource:
    """Where a step's function is defined and its text (``None`` when not found)."""

    file: str  # relative to the rootdir
    line: int
    text: str


def qualified_name(step: Any) -> str | None:
    """``module.qualname`` of the step's function, from its record's cache key parts."""
    parts = getattr(step, "cache_parts", None) or {}
    name = parts.get("step")
    return name if isinstance(name, str) and name else None


def literal_arguments(step: Any) -> dict[str, Any]:
    """The literal (not wired) arguments the step was called with, as recorded for its key."""
    parts = getattr(step, "cache_parts", None) or {}
    params = parts.get("params")
    if not isinstance(params, dict):
        return {}
    return {name: _decoded(value) for name, value in params.items()}


class _Opaque(str):
    """A literal with no JSON form (a function, an object): shown by its fingerprint."""

    def __repr__(self) -> str:
        return f"<{self}>"


def _decoded(value: Any) -> Any:
    """A recorded literal: its canonical JSON text, or ``fingerprint:…`` for other objects."""
    if not isinstance(value, str):
        return value
    if value.startswith("fingerprint:"):
        return _Opaque(f"object {value[len('fingerprint:') :][:12]}")
    try:
        return json.loads(value)
    except ValueError:
        return value


def _literal(value: Any) -> str:
    """A recorded (canonical JSON) value as Python source: ``"iris"``, ``3``, ``[1, 2]``."""
    if isinstance(value, _Opaque):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def call_text(step: Any, function: str | None = None, limit: int = 400) -> str:
    """``load_data(name="iris")``: the call as written, upstream outputs as ``step.output``."""
    args = [f"{k}={_literal(v)}" for k, v in literal_arguments(step).items()]
    for name, sources in (getattr(step, "inputs", None) or {}).items():
        wired = [f"{s}.{o}" for s, o, _ in sources]
        shown = wired[0] if len(wired) == 1 else f"[{', '.join(wired[:3])}{', …' if len(wired) > 3 else ''}]"
        args.append(f"{name}={shown}")
    text = f"{function or getattr(step, 'name', '?')}({', '.join(args)})"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _candidates(root: Path, module: str) -> list[Path]:
    base = root.joinpath(*module.split("."))
    return [base.with_suffix(".py"), base / "__init__.py"]


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _find_def(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    scope: list[ast.stmt] = tree.body
    found: Any = None
    for part in qualname.split("."):
        if part == "<locals>":
            continue
        found = next(
            (
                node
                for node in scope
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.name == part
            ),
            None,
        )
        if found is None:
            return None
        scope = found.body
    return found if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def step_source(root: Path, qualified: str | None) -> StepSource | None:
    """The file, first line (its decorators included) and text of ``module.qualname``."""
    if not qualified:
        return None
    names = qualified.split(".")
    for cut in range(len(names) - 1, 0, -1):  # the longest module prefix that is a file
        module, qualname = ".".join(names[:cut]), ".".join(names[cut:])
        for path in _candidates(root, module):
            if not path.is_file() or not _inside(root, path) or path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                tree = ast.parse(text)
            except SyntaxError:
                return None
            node = _find_def(tree, qualname)
            if node is None:
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            last = node.end_lineno or node.lineno
            lines = text.splitlines()[first - 1 : min(last, first + MAX_LINES - 1)]
            return StepSource(path.resolve().relative_to(root.resolve()).as_posix(), first, "\n".join(lines))
    return None
