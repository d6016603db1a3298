"""The installed distributions: which of them provides a top-level module, and versions.

:func:`importlib.metadata.packages_distributions` answers the first question
by turning every line of every distribution's ``RECORD`` into a ``pathlib``
object and every ``METADATA`` file into an e-mail message: ~0.2 s with two
hundred distributions installed, paid by the first step of a session whose
cache entry records package versions (a numpy array, a scikit-learn model).
:func:`packages_distributions` gives the same mapping from the same files, read
as text, on Python 3.11 (later versions infer a distribution's modules from its
files differently: there, importlib's answer).
"""

from __future__ import annotations

import atexit
import functools
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when first asked: 13 ms, which `zenrun --help` need not pay
    import importlib.metadata


_index_lock = threading.Lock()
#: Seconds a process exiting waits for the background build (it takes tens of milliseconds).
_EXIT_WAIT = 10.0
_index: Mapping[str, list[str]] | None = None


def packages_distributions() -> Mapping[str, list[str]]:
    """Each top-level module or package name, with the names of the distributions that
    install it: :func:`importlib.metadata.packages_distributions`, the same mapping (a
    distribution whose files cannot be read, for which importlib raises, is left out).
    Built once per process; a caller asking while :func:`build_in_background` builds it
    waits for that build rather than making another."""
    global _index
    index = _index
    if index is None:
        with _index_lock:
            index = _index
            if index is None:
                index = _index = _read_index()
    return index


def _forget_index() -> None:  # for tests: read the files again at the next call
    global _index
    with _index_lock:
        _index = None


def build_in_background() -> None:
    """Build :func:`packages_distributions`' mapping on a daemon thread, unless built.

    For a driver whose first steps run in worker processes: the first step to finish
    records the versions of the packages its outputs come from, which needs the mapping
    (tens of milliseconds of reading files), and would build it while the workers wait
    for their next steps. Built meanwhile, it is ready by then.
    """
    if _index is None:
        thread = threading.Thread(target=_build_quietly, name="zenrun-installed-index", daemon=True)
        thread.start()
        # A session shorter than the build (a -x stop) must not exit while the thread still
        # imports and reads files: a daemon thread in Python code as the interpreter shuts
        # down can crash it. Waited for at exit, before the modules are torn down.
        atexit.register(thread.join, _EXIT_WAIT)


def _build_quietly() -> None:
    try:
        packages_distributions()
    except Exception:  # the step that needs it builds it again, and says what is wrong
        pass


def _read_index() -> Mapping[str, list[str]]:
    import importlib.metadata

    if sys.version_info[:2] != (3, 11):  # how modules are inferred from files changed in 3.12, 3.13
        return importlib.metadata.packages_distributions()
    by_module: dict[str, list[str]] = {}
    for dist in importlib.metadata.distributions():
        try:
            roots = (dist.read_text("top_level.txt") or "").split() or _inferred_roots(dist)
            name = _name(dist) if roots else None
        except Exception:  # a damaged distribution (importlib raises): it provides nothing known
            continue
        for root in roots:
            by_module.setdefault(root, []).append(name)  # type: ignore[arg-type]
    return by_module


@functools.lru_cache(maxsize=512)
def distribution_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None."""
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _inferred_roots(dist: importlib.metadata.Distribution) -> Iterable[str]:
    """The top-level names of a distribution's ``.py`` files, as ``dist.files`` lists them
    (``RECORD``, else an egg's ``installed-files.txt`` or ``SOURCES.txt``)."""
    paths = _record_paths(dist)
    if paths is None:  # no RECORD: an egg's lists, read as importlib reads them
        return {
            f.parts[0] if len(f.parts) > 1 else f.with_suffix("").name
            for f in dist.files or ()
            if f.suffix == ".py"
        }
    roots = set()
    for path in paths:
        if path[:1] in ("/", ".", "") or "//" in path or "/./" in path or path.endswith("/"):
            f = PurePosixPath(path)  # parsed as importlib parses it
            if f.suffix == ".py":
                roots.add(f.parts[0] if len(f.parts) > 1 else f.with_suffix("").name)
        elif path.endswith(".py") and not path.endswith("/.py"):  # (".py" alone has no suffix)
            roots.add(path.split("/", 1)[0] if "/" in path else path[:-3])
    return roots


def _record_paths(dist: importlib.metadata.Distribution) -> list[str] | None:
    """The paths ``RECORD`` lists (its first CSV column), or None without one."""
    import csv

    text = dist.read_text("RECORD")
    if not text:
        return None
    lines = text.splitlines()
    if '"' in text:  # quoted fields (a comma in a path): read as CSV, as importlib reads it
        return [row[0] for row in csv.reader(lines) if row]
    return [line.partition(",")[0] for line in lines if line]


def _name(dist: importlib.metadata.Distribution) -> str | None:
    """``dist.metadata["Name"]``, from the header of the metadata file when it has the
    plain form (``Name: x`` before the first blank line); else parsed as importlib does."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if text:
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if not line:
                break
            field, colon, value = line.partition(":")
            if colon and field.lower() == "name":
                folded = index + 1 < len(lines) and lines[index + 1][:1] in (" ", "\t")
                if value.strip() and not folded:
                    return value.lstrip(" \t")  # (the e-mail parser keeps trailing blanks)
                break
    try:
        return dist.metadata["Name"]  # type: ignore[no-any-return]
    except KeyError:  # the importlib_metadata backport's distributions raise for a missing field
        return None
