"""Find the rootdir and the ``[tool.zenrun]`` table, as pytest finds its rootdir."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun.errors import UsageError

if TYPE_CHECKING:
    import configparser


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 (a file saved as Latin-1, UTF-16)
        raise UsageError(
            f"{path}: invalid TOML: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    except OSError as exc:  # a folder of that name, a file that cannot be read
        raise UsageError(f"{path}: cannot read it: {exc.strerror or exc}") from None


#: The configuration files looked for in each directory, in this order (as pytest's
#: ``pytest.toml``, ``pytest.ini``, ``pyproject.toml``, ``tox.ini``, ``setup.cfg``).
CONFIG_NAMES = ("zenrun.toml", "zenrun.ini", ".zenrun.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def _read_ini(path: Path) -> configparser.RawConfigParser:
    """``path`` parsed as pytest reads ``pytest.ini``: no interpolation, keys as written,
    a value continued on indented lines."""
    import configparser  # (only where a project keeps an INI file)

    parser = configparser.RawConfigParser(strict=False, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except configparser.MissingSectionHeaderError as exc:
        raise UsageError(
            f"{path}:{exc.lineno}: invalid INI: {exc.line.strip()!r} comes before any [section]"
        ) from None
    except configparser.ParsingError as exc:
        lineno, shown = exc.errors[0]  # (the line as its repr)
        raise UsageError(f"{path}:{lineno}: invalid INI: neither a [section] nor a key: {shown}") from None
    except configparser.Error as exc:
        raise UsageError(f"{path}: invalid INI: {exc.message.splitlines()[0]}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot read it: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    return parser


def _ini_table(path: Path, section: str, *, always: bool) -> dict[str, Any] | None:
    """The ``[section]`` of an INI file as a table of strings (each typed as ``getini``
    reads it); ``always``: an empty table when the file has no such section."""
    parser = _read_ini(path)
    if not parser.has_section(section):
        if path.name == "setup.cfg" and parser.has_section("zenrun"):
            raise UsageError(f"{path}: [zenrun] in setup.cfg is not read: name the section [tool:zenrun]")
        return {} if always else None
    return {key: value.strip() for key, value in parser.items(section)}


def load_config_file(path: Path) -> dict[str, Any] | None:
    """The zenrun table of ``path``, None when it holds none: all of ``zenrun.toml``,
    ``[tool.zenrun]`` of pyproject, ``[zenrun]`` of ``zenrun.ini`` (even without one) or
    ``tox.ini``, ``[tool:zenrun]`` of ``setup.cfg``. Of another file (``-c FILE``): a TOML
    file's ``[tool.zenrun]`` else all of it, a ``.cfg`` file's ``[tool:zenrun]`` (as
    pytest's ``[tool:pytest]``) else its ``[zenrun]``, an INI file's ``[zenrun]``."""
    if path.name == "zenrun.toml" or (path.suffix == ".toml" and path.name != "pyproject.toml"):
        data = _read_toml(path)
        table = _table(path, data, "tool").get("zenrun", data)
    elif path.name == "pyproject.toml":
        table = _table(path, _read_toml(path), "tool").get("zenrun")
    elif path.name == "setup.cfg":
        return _ini_table(path, "tool:zenrun", always=False)
    elif path.suffix == ".cfg" and _read_ini(path).has_section("tool:zenrun"):
        return _ini_table(path, "tool:zenrun", always=False)  # -c FILE.cfg: as setup.cfg (pytest)
    elif path.name in ("zenrun.ini", ".zenrun.ini") or path.suffix in (".ini", ".cfg"):
        return _ini_table(path, "zenrun", always=path.name in ("zenrun.ini", ".zenrun.ini"))
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
    """Return ``(rootdir, configfile or None, zenrun table)``, as pytest finds them.

    From the common ancestor of the path arguments (the current directory
    without any), walk up to the first configuration file with a zenrun table
    (:data:`CONFIG_NAMES`, in that order in each directory); failing that, the first ``pyproject.toml``
    met on the way; failing that, the first directory with a ``setup.py``;
    failing that, the same search from each argument; failing that, the
    common ancestor of the current directory and the arguments.
    """
    cwd = cwd or Path.cwd()
    paths = [Path(os.path.abspath(cwd / a.split("::")[0])) for a in args if not a.startswith("-")]
    paths = [p for p in paths if _exists(p)]
    ancestor = common_ancestor(paths) if paths else cwd.resolve()
    if inifile:  # -c FILE: that file's table, whatever it holds
        path = Path(os.path.abspath(cwd / inifile))
        if path.is_dir():
            raise UsageError(f"could not load config file {inifile}: it is a directory")
        if not path.exists():
            raise UsageError(f"could not load config file {inifile}: not found")
        if not path.is_file():  # -c /dev/null, pytest's way to say "no config file"
            rootdir = (
                _rootdir_arg(cwd, rootdir_arg) if rootdir_arg else _rootdir_of_args(cwd, paths, ancestor)
            )
            return rootdir, path, {}
        if path.suffix not in (".toml", ".ini", ".cfg"):  # it would be ignored
            raise UsageError(
                f"could not load config file {inifile}: unsupported format "
                "(zenrun reads a .toml file, or the [zenrun] section of an .ini file)"
            )
        table = load_config_file(path)
        rootdir = _rootdir_arg(cwd, rootdir_arg) if rootdir_arg else path.parent
        return rootdir, path, table or {}
    found = _locate_config([ancestor])
    if rootdir_arg:  # --rootdir: the rootdir; the config file is still looked for
        rootdir = _rootdir_arg(cwd, rootdir_arg)
        return (rootdir, found[1], found[2]) if found else (rootdir, None, {})
    if found:
        return found
    for directory in [ancestor, *ancestor.parents]:
        if (directory / "setup.py").is_file():
            return directory, None, {}
    dirs = list(dict.fromkeys(p if p.is_dir() else p.parent for p in paths))
    if dirs and dirs != [ancestor]:
        found = _locate_config(dirs)
        if found:
            return found
    return _rootdir_of_args(cwd, paths, ancestor), None, {}


def _rootdir_of_args(cwd: Path, paths: Sequence[Path], ancestor: Path) -> Path:
    """The rootdir without a config file: the common ancestor of the current directory
    and the arguments (the arguments' own when that is the file system's root)."""
    rootdir = common_ancestor([cwd.resolve(), ancestor])
    if rootdir == Path(rootdir.anchor):  # nothing in common but the file system's root
        rootdir = ancestor
    return rootdir


def _locate_config(starts: Sequence[Path]) -> tuple[Path, Path, dict[str, Any]] | None:
    """The nearest configuration file (:data:`CONFIG_NAMES`) with a zenrun table above
    each of ``starts`` in turn, as ``(its directory, its path, the table)``; else the
    first ``pyproject.toml`` met, with an empty table; else None."""
    first_pyproject: Path | None = None
    for start in starts:
        for directory in [start, *start.parents]:
            for name in CONFIG_NAMES:
                candidate = directory / name
                if not candidate.is_file():
                    continue
                if name == "pyproject.toml" and first_pyproject is None:
                    first_pyproject = candidate
                table = load_config_file(candidate)
                if table is not None:
                    return directory, candidate, table
    if first_pyproject is not None:
        return first_pyproject.parent, first_pyproject, {}
    return None
