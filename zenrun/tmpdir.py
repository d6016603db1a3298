"""``tmp_path`` / ``tmp_path_factory``: temporary directories, as pytest's.

Each session gets a numbered base directory (``{tmp}/zenrun-of-{user}/zenrun-N``, or
``--basetemp DIR``, emptied first); ``tmp_path`` is a fresh numbered directory under it per
pipeline item. The last ``tmp_path_retention_count`` (3) base directories are kept.

Cache rule: the directory's path is new in every session, and a step's cache key includes its
path inputs, so a step given ``tmp_path`` (or a path under it) as an argument is never served
the result of an earlier session (whose files are gone); within one session a step is reused
only for the same path.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun.errors import UsageError
from zenrun.fixtures import fixture
from zenrun.hookspec import hookimpl

if TYPE_CHECKING:
    from collections.abc import Iterator

    from zenrun.collect import Session
    from zenrun.config import Config, Parser
    from zenrun.fixtures import FixtureRequest

__all__ = ["TempPathFactory"]

_LOCK = ".lock"


class TempPathFactory:
    """Temporary directories under the session's base temporary directory
    (``tmp_path_factory``, session scope)."""

    def __init__(self, given_basetemp: Path | None, retention_count: int, retention_policy: str) -> None:
        self._given_basetemp = Path(os.path.abspath(given_basetemp)) if given_basetemp else None
        self._retention_count = retention_count
        self._retention_policy = retention_policy
        self._basetemp: Path | None = None
        self._root: Path | None = None  # the numbered base directories' parent (no --basetemp)
        self._item_paths: dict[str, Path] = {}  # each item's tmp_path

    @classmethod
    def from_config(cls, config: Config) -> TempPathFactory:
        where = f"{config.inipath}: " if getattr(config, "inipath", None) else ""
        raw = config.getini("tmp_path_retention_count")
        try:
            count = int(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{where}tmp_path_retention_count must be an integer, got {raw!r}") from None
        if count < 0:
            raise UsageError(f"tmp_path_retention_count must be >= 0. Current input: {count}.")
        policy = config.getini("tmp_path_retention_policy")
        if policy not in ("all", "failed", "none"):
            raise UsageError(
                f"{where}config option 'tmp_path_retention_policy' expects one of "
                f"'all' | 'failed' | 'none', got {policy!r}"
            )
        return cls(config.getoption("basetemp", None), count, policy)

    def _ensure_relative_to_basetemp(self, basename: str) -> str:
        basename = os.path.normpath(basename)
        if (self.getbasetemp() / basename).resolve().parent != self.getbasetemp():
            raise ValueError(f"{basename} is not a normalized and relative path")
        return basename

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        """A new directory under the base temporary directory: ``basename`` followed by the
        next free number (``foo0``, ``foo1``, ...), or exactly ``basename`` if not ``numbered``."""
        basename = self._ensure_relative_to_basetemp(basename)
        if not numbered:
            path = self.getbasetemp() / basename
            path.mkdir(mode=0o700)
            return path
        return _make_numbered_dir(self.getbasetemp(), basename)

    def getbasetemp(self) -> Path:
        """The base temporary directory of the session, created on first use."""
        import tempfile

        if self._basetemp is not None:
            return self._basetemp
        if self._given_basetemp is not None:
            basetemp = self._given_basetemp
            if basetemp.exists():
                _rm_rf(basetemp)
            basetemp.mkdir(mode=0o700, parents=True)
            basetemp = basetemp.resolve()
        else:
            temproot = Path(os.environ.get("ZENRUN_DEBUG_TEMPROOT") or tempfile.gettempdir()).resolve()
            rootdir = temproot / f"zenrun-of-{_get_user() or 'unknown'}"
            try:
                rootdir.mkdir(mode=0o700, exist_ok=True)
            except OSError:  # a user name the file system does not take
                rootdir = temproot / "zenrun-of-unknown"
                rootdir.mkdir(mode=0o700, exist_ok=True)
            _check_private(rootdir)
            basetemp = _make_numbered_dir(rootdir, "zenrun-")
            (basetemp / _LOCK).write_text(str(os.getpid()))
            self._root = rootdir
        self._basetemp = basetemp
        return basetemp

    def finish(self, exitstatus: int, failed: set[str]) -> None:
        """At the session's end, as pytest: the policy ``failed`` removes the directories of
        the items that did not fail (``failed``: their node ids), and the base directory of a
        session that passed; then only the newest ``tmp_path_retention_count`` base
        directories are kept (none with the policy ``none``)."""
        basetemp = self._basetemp
        if basetemp is None:
            return
        if self._retention_policy == "failed":
            for nodeid, path in self._item_paths.items():
                if nodeid not in failed:
                    _rm_rf(path)
            _cleanup_dead_symlinks(basetemp)
        if self._given_basetemp is not None or self._root is None:
            return
        (basetemp / _LOCK).unlink(missing_ok=True)
        if exitstatus == 0 and self._retention_policy == "failed":
            _rm_rf(basetemp)
        keep = 0 if self._retention_policy == "none" else self._retention_count
        _cleanup_numbered_dirs(self._root, "zenrun-", keep=keep)


def _check_private(rootdir: Path) -> None:
    """As pytest: the shared per-user directory must be ours, no symbolic link (it could
    point anywhere), and not readable by others (fixed up if it is)."""
    uid = getattr(os, "getuid", lambda: None)()
    if uid is None or uid == -1:  # as pytest: -1 is a real user id that could not be determined
        return
    st = rootdir.stat(follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        raise OSError(f"The temporary directory {rootdir} is a symbolic link. Fix this and try again.")
    if st.st_uid != uid:
        raise OSError(
            f"The temporary directory {rootdir} is not owned by the current user. Fix this and try again."
        )
    if st.st_mode & 0o077:
        rootdir.chmod(st.st_mode & ~0o077)


def _rm_rf(path: Path) -> None:
    """Remove a tree, also files and directories without write or execute permission."""

    def retry(func: Any, failed: str, *_: Any) -> None:
        for parent in [Path(failed).parent, Path(failed)]:
            try:
                parent.chmod(parent.stat().st_mode | stat.S_IRWXU)
            except OSError:
                pass
        try:
            func(failed)
        except OSError:
            pass

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=retry)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _get_user() -> str | None:
    try:
        import getpass

        return getpass.getuser()
    except (ImportError, OSError, KeyError):
        return None


def _numbers(root: Path, prefix: str) -> dict[int, Path]:
    found = {}
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    for entry in root.iterdir():
        match = pattern.match(entry.name)
        if match:
            found[int(match.group(1))] = entry
    return found


def _make_numbered_dir(root: Path, prefix: str) -> Path:
    """``root/prefixN`` with N one more than the largest present (as pytest), made atomically."""
    for _ in range(10):
        number = max(_numbers(root, prefix), default=-1) + 1
        path = root / f"{prefix}{number}"
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        _force_symlink(root / f"{prefix}current", path)
        return path
    raise OSError(f"could not create a numbered directory in {root} with prefix {prefix!r}")


def _force_symlink(link: Path, target: Path) -> None:
    """``link`` (``zenrun-current``, ``<name>current``) points to ``target``, the newest
    numbered directory, as pytest's ``pytest-current``: where to look at the last session's
    files. Best effort: sessions racing for it, or a file system without symbolic links,
    leave it as it is."""
    try:
        link.unlink()
    except OSError:
        pass
    try:
        link.symlink_to(target)
    except OSError:
        pass


def _cleanup_dead_symlinks(root: Path) -> None:
    """Remove the ``...current`` links whose directory was removed (as pytest)."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink() and not entry.exists():
            entry.unlink(missing_ok=True)


def _cleanup_numbered_dirs(root: Path, prefix: str, keep: int) -> None:
    """Remove all but the ``keep`` newest numbered directories; never one a live session
    holds (its lock names a running process)."""
    numbered = _numbers(root, prefix)
    newest = sorted(numbered)
    for number in newest[: max(0, len(newest) - keep)]:
        path = numbered[number]
        if not _locked(path):
            _rm_rf(path)
    _cleanup_dead_symlinks(root)


def _locked(path: Path) -> bool:
    try:
        pid = int((path / _LOCK).read_text())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    parser.getgroup("general").addoption(
        "--basetemp",
        dest="basetemp",
        default=None,
        type=_validate_basetemp,
        metavar="DIR",
        help="base temporary directory of tmp_path (emptied first; default: a new numbered "
        "directory under the system's temporary directory)",
    )
    parser.addini(
        "tmp_path_retention_count",
        "how many sessions' tmp_path directories to keep (default 3)",
        default="3",
    )
    parser.addini(
        "tmp_path_retention_policy",
        "which tmp_path directories to keep: all (default), failed (only of failing sessions), none",
        type="string",
        default="all",
    )


def _validate_basetemp(path: str) -> str:
    # As pytest: not empty, not the current directory nor one of its parents.
    msg = "basetemp must not be empty, the current working directory or any parent directory of it"
    if not path:
        raise argparse.ArgumentTypeError(msg)

    def is_ancestor(base: Path, query: Path) -> bool:
        return base == query or query in base.parents

    cwd = Path.cwd()
    if is_ancestor(cwd, Path(path).absolute()) or is_ancestor(cwd.resolve(), Path(path).resolve()):
        raise argparse.ArgumentTypeError(msg)
    return path


@hookimpl
def zenrun_configure(config: Config) -> None:
    config.stash["tmp_path_factory"] = TempPathFactory.from_config(config)


@hookimpl
def zenrun_sessionfinish(session: Session, exitstatus: int) -> None:
    factory = session.config.stash.get("tmp_path_factory")
    if isinstance(factory, TempPathFactory):
        factory.finish(
            int(exitstatus), {r.nodeid for r in session.reports if r.outcome in ("failed", "error")}
        )


@fixture(scope="session")
def tmp_path_factory(request: FixtureRequest) -> TempPathFactory:
    """A ``TempPathFactory`` for the session: ``mktemp(name)`` makes a new directory,
    ``getbasetemp()`` is the session's base temporary directory."""
    factory: Any = request.config.stash.get("tmp_path_factory")
    if not isinstance(factory, TempPathFactory):  # configured without the hook (Python API)
        factory = request.config.stash["tmp_path_factory"] = TempPathFactory.from_config(request.config)
    return factory  # type: ignore[no-any-return]


@fixture
def tmp_path(request: FixtureRequest, tmp_path_factory: TempPathFactory) -> Iterator[Path]:
    """A new empty directory (a ``pathlib.Path``) for each pipeline item, under the session's
    base temporary directory. A step given it as an argument always runs (its path is new in
    every session)."""
    name = re.sub(r"[\W]", "_", str(request.node.name))[:30]
    path = tmp_path_factory.mktemp(name, numbered=True)
    tmp_path_factory._item_paths[str(getattr(request.node, "nodeid", name))] = path
    yield path
