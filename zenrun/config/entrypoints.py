"""The ``zenrun`` entry points of the installed distributions, found without ``importlib.metadata``.

``importlib.metadata.entry_points()`` costs about 40 ms at every start-up (importing it
pulls in the ``email`` package, and reading the name and version of a distribution parses
its whole ``METADATA`` file with it): more than the rest of ``zenrun --help``. The
entry points live in ``<dist>.dist-info/entry_points.txt`` (``.egg-info`` for older
installs) in the directories of ``sys.path``; this module reads those files directly, and
a distribution's name and version only when they are shown. It follows
``importlib.metadata``'s rules: ``sys.path`` order, the first distribution of a name
wins. A ``sys.path`` entry that is not a directory (a zip file) or a custom distribution
finder on ``sys.meta_path`` falls back to ``importlib.metadata``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from functools import cached_property
from typing import Any, NamedTuple

GROUP = "zenrun"
_SUFFIXES = (".dist-info", ".egg-info")
_STANDARD_FINDERS = ("PathFinder", "BuiltinImporter", "FrozenImporter")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


class PluginDistribution:
    """The distribution an entry point comes from: its ``name`` and ``version`` read from
    the first lines of its metadata file, only when asked."""

    def __init__(self, path: str, dirname: str) -> None:
        self.path = path
        self._dirname = dirname

    @cached_property
    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for filename in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self.path, filename), encoding="utf-8") as file:
                    for line in file:
                        if not line.strip():
                            break  # the body starts: the headers are done
                        key, sep, value = line.partition(":")
                        if sep and key in ("Name", "Version"):
                            headers.setdefault(key, value.strip())
            except OSError:
                continue
            break
        return headers

    @property
    def name(self) -> str:
        return self._headers.get("Name") or self._dirname.partition("-")[0]

    @property
    def version(self) -> str:
        return self._headers.get("Version", "")

    @property
    def metadata(self) -> dict[str, str]:
        """As ``importlib.metadata.Distribution.metadata['name']``."""
        return {"name": self.name, "version": self.version}


class EntryPoint(NamedTuple):
    """One ``name = module[:attr]`` line of the ``zenrun`` group."""

    name: str
    value: str
    dist: PluginDistribution | Any | None

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        target: Any = importlib.import_module(module.strip())
        for attr in filter(None, attrs.split("[", 1)[0].strip().split(".")):
            target = getattr(target, attr)
        return target

    @property
    def where(self) -> str:
        """``entry point 'NAME = VALUE' of distribution DIST VERSION``, for error messages."""
        dist = self.dist
        name = dist.metadata["name"] if dist is not None else "?"
        version = dist.version if dist is not None else ""
        return f"entry point '{self.name} = {self.value}' of distribution {name} {version}".rstrip()


def _group_lines(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` pairs of section ``[group]`` of an ``entry_points.txt``."""
    pairs: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            inside = line == f"[{group}]"
            continue
        if inside:
            name, sep, value = line.partition("=")
            if sep:
                pairs.append((name.strip(), value.strip()))
    return pairs


def _standard_finders_only() -> bool:
    for finder in sys.meta_path:
        if getattr(finder, "find_distributions", None) is None:
            continue
        if getattr(finder, "__name__", type(finder).__name__) not in _STANDARD_FINDERS:
            return False
    return True


def zenrun_entry_points(group: str = GROUP) -> list[EntryPoint]:
    """The entry points of ``group``, in ``sys.path`` order, the first distribution of a name
    winning (as ``importlib.metadata.entry_points(group=...)``)."""
    entries = [entry or "." for entry in sys.path if isinstance(entry, str)]
    if not all(os.path.isdir(e) or not os.path.exists(e) for e in entries) or not _standard_finders_only():
        return _from_importlib_metadata(group)
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in entries:
        try:
            names = sorted(n for n in os.listdir(entry) if n.endswith(_SUFFIXES))
        except OSError:
            continue
        for dirname in names:
            key = _normalize(dirname.rsplit(".", 1)[0].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            path = os.path.join(entry, dirname)
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as file:
                    text = file.read()
            except OSError:
                continue
            if f"[{group}]" not in text:
                continue
            dist = PluginDistribution(path, dirname)
            found.extend(EntryPoint(name, value, dist) for name, value in _group_lines(text, group))
    return found


def _from_importlib_metadata(group: str) -> list[EntryPoint]:
    from importlib.metadata import entry_points  # deferred: slow, needed only off the usual paths

    return [EntryPoint(ep.name, ep.value, ep.dist) for ep in entry_points(group=group)]
