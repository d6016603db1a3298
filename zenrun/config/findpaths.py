"""Find the rootdir and the ``[tool.zenrun]`` table, as pytest finds its rootdir."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zenrun.errors import UsageError


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None


def load_config_file(path: Path) -> dict[str, Any] | None:
    """The zenrun table of ``path``: all of ``zenrun.toml``, ``[tool.zenrun]`` of pyproject."""
    if path.name == "zenrun.toml":
        data = _read_toml(path)
        table = _table(path, data, "tool").get("zenrun", data)
    elif path.name == "pyproject.toml":
        table = _table(path, _read_toml(path), "tool").get("zenrun")
    else:
        return None
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{path}: tool.zenrun must be a table, not {table!r}")
    return table


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UsageError(f"{path}: {key} must be a table, not {value!r}")
    return value


def common_ancestor(paths: Sequence[Path]) -> Path:
    existing = [p if p.is_dir() else p.parent for p in paths if p.exists()]
    if not existing:
        return Path.cwd()
    return Path(os.path.commonpath([str(p) for p in existing]))


def determine_rootdir(
    args: Sequence[str], cwd: Path | None = None
) -> tuple[Path, Path | None, dict[str, Any]]:
    """Return ``(rootdir, configfile or None, zenrun table)``.

    Like pytest: from the common ancestor of the path arguments, walk up to
    the first ``zenrun.toml`` or ``pyproject.toml`` with a ``[tool.zenrun]``
    table; failing that, the first directory with a ``pyproject.toml``,
    ``setup.py`` or ``.git``; failing that, the common ancestor.
    """
    cwd = cwd or Path.cwd()
    paths = [(cwd / a.split("::")[0]).resolve() for a in args if not a.startswith("-")]
    ancestor = common_ancestor(paths) if any(p.exists() for p in paths) else cwd.resolve()
    for directory in [ancestor, *ancestor.parents]:
        for name in ("zenrun.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file():
                table = load_config_file(candidate)
                if table is not None:
                    return directory, candidate, table
    for directory in [ancestor, *ancestor.parents]:
        if any((directory / marker).exists() for marker in ("pyproject.toml", "setup.py", ".git")):
            return directory, None, {}
    return ancestor, None, {}
