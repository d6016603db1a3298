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


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system: not a path
        return False


def _rootdir_arg(cwd: Path, value: str) -> Path:
    path = Path(os.path.abspath(cwd / os.path.expandvars(value)))
    if not path.is_dir():
        raise UsageError(f"Directory '{path}' not found. Check your '--rootdir' option.")
    return path


def common_ancestor(paths: Sequence[Path]) -> Path:
    existing = [p if p.is_dir() else p.parent for p in paths if p.exists()]
    if not existing:
        return Path.cwd()
    return Path(os.path.commonpath([str(p) for p in existing]))


def determine_rootdir(
    args: Sequence[str],
    cwd: Path | None = None,
    rootdir_arg: str | None = None,
    inifile: str | None = None,
) -> tuple[Path, Path | None, dict[str, Any]]:
    """Return ``(rootdir, configfile or None, zenrun table)``.

    Like pytest: from the common ancestor of the path arguments, walk up to
    the first ``zenrun.toml`` or ``pyproject.toml`` with a ``[tool.zenrun]``
    table; failing that, the first directory with a ``pyproject.toml``,
    ``setup.py`` or ``.git``; failing that, the common ancestor.
    """
    cwd = cwd or Path.cwd()
    paths = [Path(os.path.abspath(cwd / a.split("::")[0])) for a in args if not a.startswith("-")]
    paths = [p for p in paths if _exists(p)]
    ancestor = common_ancestor(paths) if paths else cwd.resolve()
    if inifile:  # -c FILE: that file's table, whatever it holds
        path = Path(os.path.abspath(cwd / inifile))
        if not path.is_file():
            raise UsageError(f"could not load config file {inifile}: not found")
        table = load_config_file(path)
        rootdir = _rootdir_arg(cwd, rootdir_arg) if rootdir_arg else path.parent
        return rootdir, path, table or {}
    if rootdir_arg:  # --rootdir: the rootdir; the config file is still looked for
        rootdir = _rootdir_arg(cwd, rootdir_arg)
        for directory in [ancestor, *ancestor.parents]:
            for name in ("zenrun.toml", "pyproject.toml"):
                candidate = directory / name
                if candidate.is_file():
                    table = load_config_file(candidate)
                    if table is not None:
                        return rootdir, candidate, table
        return rootdir, None, {}
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
