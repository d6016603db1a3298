"""Where plugins keep their state on the config and on items, as pytest's ``Stash``.

``config.stash`` and ``item.stash`` are :class:`Stash` objects: a plugin makes a
:class:`StashKey` once (``started = zenrun.StashKey[float]()``) and stores under
it (``config.stash[started] = time.time()``); a type checker knows the value's
type from the key. Plain string keys work too (zenrun's own plugins use them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

__all__ = ["Stash", "StashKey"]

T = TypeVar("T")
D = TypeVar("D")


class StashKey(Generic[T]):
    """A key of a :class:`Stash`, typed by the value it stores; each key is unique
    (compared by identity)."""

    __slots__ = ()


class Stash(dict[Any, Any]):
    """A dict whose :class:`StashKey` keys type their values; no attributes can be set
    on it (``stash.x = 1`` is an ``AttributeError``: use a key)."""

    __slots__ = ()

    if TYPE_CHECKING:  # dict's own methods at run time (a stash is read on every step)

        @overload
        def __getitem__(self, key: StashKey[T]) -> T: ...
        @overload
        def __getitem__(self, key: object) -> Any: ...
        def __getitem__(self, key: object) -> Any:
            return dict.__getitem__(self, key)

        @overload
        def get(self, key: StashKey[T], default: None = None, /) -> T | None: ...
        @overload
        def get(self, key: StashKey[T], default: D, /) -> T | D: ...
        @overload
        def get(self, key: object, default: object = None, /) -> Any: ...
        def get(self, key: object, default: object = None, /) -> Any:
            return dict.get(self, key, default)

        # (typed by the key first: dict's own overloads, by the default, come in the other order)
        @overload  # type: ignore[override]
        def setdefault(self, key: StashKey[T], default: T, /) -> T: ...
        @overload
        def setdefault(self, key: object, default: object = None, /) -> Any: ...
        def setdefault(self, key: object, default: object = None, /) -> Any:
            return dict.setdefault(self, key, default)
