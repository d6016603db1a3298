"""``monkeypatch``: change attributes, dict items, environment variables, ``sys.path`` and the
current directory for one pipeline item, undone at its teardown (pytest's ``MonkeyPatch``).

The changes are made in the process that composes the pipeline; steps see them when they run
in that process (the ``local`` orchestrator), not in ``-n`` worker processes or on a cluster.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from zenrun.errors import ZenrunWarning
from zenrun.fixtures import fixture

__all__ = ["MonkeyPatch"]

_NOTSET: Any = object()


def _resolve(name: str) -> object:
    parts = name.split(".")
    used = parts.pop(0)
    found: object = importlib.import_module(used)
    for part in parts:
        used += "." + part
        try:
            found = getattr(found, part)
        except AttributeError:
            pass
        else:
            continue
        try:
            importlib.import_module(used)
        except ImportError as ex:
            expected = str(ex).split()[-1]
            if expected == used:
                raise
            raise ImportError(f"import error in {used}: {ex}") from ex
        found = _annotated_getattr(found, part, used)
    return found


def _annotated_getattr(obj: object, name: str, ann: str) -> object:
    try:
        return getattr(obj, name)
    except AttributeError as exc:
        raise AttributeError(f"{type(obj).__name__!r} object at {ann} has no attribute {name!r}") from exc


def _derive_importpath(import_path: str, raising: bool) -> tuple[str, object]:
    if not isinstance(import_path, str) or "." not in import_path:
        raise TypeError(f"must be absolute import path string, not {import_path!r}")
    module, attr = import_path.rsplit(".", 1)
    target = _resolve(module)
    if raising:
        _annotated_getattr(target, attr, ann=module)
    return attr, target


class MonkeyPatch:
    """Set or delete attributes, items, environment variables; every change is undone by
    :meth:`undo` (the ``monkeypatch`` fixture calls it at the item's teardown)."""

    def __init__(self) -> None:
        self._setattr: list[tuple[object, str, object]] = []
        self._setitem: list[tuple[Mapping[Any, Any], object, object]] = []
        self._cwd: str | None = None
        self._savesyspath: list[str] | None = None

    @classmethod
    @contextlib.contextmanager
    def context(cls) -> Iterator[MonkeyPatch]:
        """A ``MonkeyPatch`` undone when the ``with`` block ends."""
        m = cls()
        try:
            yield m
        finally:
            m.undo()

    def setattr(
        self,
        target: str | object,
        name: object | str = _NOTSET,
        value: object = _NOTSET,
        raising: bool = True,
    ) -> None:
        """``setattr(obj, "name", value)`` or ``setattr("package.module.name", value)``; with
        ``raising`` (default) the attribute must exist."""
        if isinstance(value, type(_NOTSET)) and value is _NOTSET:
            if not isinstance(target, str):
                raise TypeError(
                    "use setattr(target, name, value) or setattr(target, value) with target being a dotted "
                    "import string"
                )
            value = name
            name, target = _derive_importpath(target, raising)
        elif not isinstance(name, str):
            raise TypeError(
                "use setattr(target, name, value) with name being a string or "
                "setattr(target, value) with target being a dotted import string"
            )
        oldval = getattr(target, name, _NOTSET)
        if raising and oldval is _NOTSET:
            raise AttributeError(f"{target!r} has no attribute {name!r}")
        # Avoid class descriptors like staticmethod/classmethod.
        if isinstance(target, type):
            oldval = target.__dict__.get(name, _NOTSET)
        setattr(target, name, value)  # first: a target that refuses leaves nothing to undo
        self._setattr.append((target, name, oldval))

    def delattr(self, target: object | str, name: str | Any = _NOTSET, raising: bool = True) -> None:
        """Delete an attribute (``delattr(obj, "name")`` or ``delattr("module.name")``)."""
        if name is _NOTSET:
            if not isinstance(target, str):
                raise TypeError(
                    "use delattr(target, name) or delattr(target) with target being a dotted import string"
                )
            name, target = _derive_importpath(target, raising)
        if not hasattr(target, name):
            if raising:
                raise AttributeError(name)
        else:
            oldval = getattr(target, name, _NOTSET)
            if isinstance(target, type):
                oldval = target.__dict__.get(name, _NOTSET)
            delattr(target, name)
            self._setattr.append((target, name, oldval))

    def setitem(self, dic: MutableMapping[Any, Any], name: object, value: object) -> None:
        """``dic[name] = value``."""
        self._setitem.append((dic, name, dic.get(name, _NOTSET)))
        dic[name] = value

    def delitem(self, dic: MutableMapping[Any, Any], name: object, raising: bool = True) -> None:
        """``del dic[name]``; a KeyError if missing, unless ``raising=False``."""
        if name not in dic:
            if raising:
                raise KeyError(name)
        else:
            self._setitem.append((dic, name, dic.get(name, _NOTSET)))
            del dic[name]

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None:
        """Set an environment variable (``prepend``: joined before the old value with it)."""
        if not isinstance(value, str):
            warnings.warn(
                f"Value of environment variable {name} type should be str, but got "
                f"{value!r} (type: {type(value).__name__}); converted to str implicitly",
                ZenrunWarning,  # as pytest's PytestWarning: `-W error::zenrun.ZenrunWarning` catches it
                stacklevel=2,
            )
            value = str(value)
        if prepend and name in os.environ:
            value = value + prepend + os.environ[name]
        self.setitem(os.environ, name, value)

    def delenv(self, name: str, raising: bool = True) -> None:
        """Delete an environment variable; a KeyError if missing, unless ``raising=False``."""
        environ: MutableMapping[str, str] = os.environ
        self.delitem(environ, name, raising=raising)

    def syspath_prepend(self, path: str | os.PathLike[str]) -> None:
        """Put ``path`` first on ``sys.path`` (and invalidate the import caches)."""
        if self._savesyspath is None:
            self._savesyspath = sys.path[:]
        sys.path.insert(0, str(path))
        importlib.invalidate_caches()

    def chdir(self, path: str | os.PathLike[str]) -> None:
        """Change the current working directory."""
        if self._cwd is None:
            self._cwd = os.getcwd()
        os.chdir(path)

    def undo(self) -> None:
        """Undo every change, last first (a second call does nothing)."""
        for obj, name, value in reversed(self._setattr):
            if value is not _NOTSET:
                setattr(obj, name, value)
            else:
                delattr(obj, name)
        self._setattr[:] = []
        for dictionary, key, value in reversed(self._setitem):
            if value is _NOTSET:
                try:
                    del dictionary[key]  # type: ignore[attr-defined]
                except KeyError:
                    pass  # was already deleted, so we have the desired state
            else:
                dictionary[key] = value  # type: ignore[index]
        self._setitem[:] = []
        if self._savesyspath is not None:
            sys.path[:] = self._savesyspath
            self._savesyspath = None
        if self._cwd is not None:
            os.chdir(self._cwd)
            self._cwd = None


@fixture
def monkeypatch() -> Iterator[MonkeyPatch]:
    """A ``MonkeyPatch`` for the pipeline item, undone at its teardown: ``setattr``, ``delattr``,
    ``setitem``, ``delitem``, ``setenv``, ``delenv``, ``syspath_prepend``, ``chdir``,
    ``context()``."""
    mpatch = MonkeyPatch()
    yield mpatch
    mpatch.undo()
