"""``dataclass``, made when the class is first used rather than when its module is imported.

Python 3.11 compiles each generated method of a dataclass from source as the class is
defined: about half a millisecond a class, and zenrun's modules define a few dozen that
``zenrun --help`` and a script's ``import`` never instantiate (a tenth of ``--help``).
This decorator leaves the class as written and puts small stand-ins where
``dataclasses.dataclass`` would put ``__init__``, ``__repr__`` and ``__eq__``; the first
instance, repr, comparison, unpickling or subclass runs ``dataclasses.dataclass`` on the
class, in place, with the same options, and the stand-ins are gone. Threads that use the
class for the first time together wait for one of them to make it.

Not for ``slots=True`` (that makes a new class): use ``dataclasses.dataclass`` there.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["dataclass", "is_made", "make_all"]

_T = TypeVar("_T", bound=type)
_lock = threading.RLock()
#: class -> (the dataclass options, the names of its stand-ins); gone once made
_pending: dict[type, tuple[dict[str, Any], tuple[str, ...]]] = {}


@overload
def dataclass(cls: _T, /) -> _T: ...


@overload
def dataclass(
    *, init: bool = True, repr: bool = True, eq: bool = True, frozen: bool = False
) -> Callable[[_T], _T]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: Any = None, /, **options: Any) -> Any:
    """As ``dataclasses.dataclass(cls, **options)``, run when the class is first used."""
    if "slots" in options:
        raise TypeError("zenrun.deferred.dataclass cannot make slots: use dataclasses.dataclass")
    if cls is None:
        return lambda cls: _defer(cls, options)
    return _defer(cls, options)


def is_made(cls: type) -> bool:
    """Whether ``cls`` (a deferred dataclass) is a dataclass yet."""
    return cls not in _pending


def make_all() -> None:
    """Make every deferred dataclass defined so far: what a process that is about to run
    pipelines does once, so that its first run is not the one to pay for it."""
    while _pending:
        _make(next(iter(_pending)))


def _defer(cls: _T, options: dict[str, Any]) -> _T:
    made = {
        "__init__": options.get("init", True),
        "__repr__": options.get("repr", True),
        "__eq__": options.get("eq", True),
    }
    stand_ins = [name for name, wanted in made.items() if wanted and name not in cls.__dict__]
    if "__setstate__" not in cls.__dict__:
        stand_ins.append("__setstate__")
    if "__init_subclass__" not in cls.__dict__:
        stand_ins.append("__init_subclass__")
    _pending[cls] = (options, tuple(stand_ins))
    for name in stand_ins:
        setattr(cls, name, _STAND_INS[name](cls))
    return cls


def _make(cls: type) -> None:
    with _lock:
        found = _pending.get(cls)
        if found is None:
            return
        for base in cls.__mro__[1:]:  # a deferred base first: its fields are this class's too
            _make(base)
        options, stand_ins = found
        # From removing the stand-ins until dataclasses.dataclass has put the methods in,
        # the class has none: no other thread may run meanwhile (it would find object's
        # __init__). Python hands the GIL over only after the switch interval (or at a
        # blocking call, and making a class makes none), so the interval is made longer
        # than the making takes (a millisecond), and short enough that a thread which
        # started waiting for the GIL meanwhile, with this interval, waits little longer.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(max(interval, 0.1))
        try:
            for name in stand_ins:
                delattr(cls, name)
            dataclasses.dataclass(cls, **options)
            del _pending[cls]
        finally:
            sys.setswitchinterval(interval)


def _init(cls: Any) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _make(cls)
        cls.__init__(self, *args, **kwargs)

    return __init__


def _repr(cls: Any) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        _make(cls)
        return cls.__repr__(self)

    return __repr__


def _eq(cls: Any) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:  # NotImplemented for another class
        _make(cls)
        return cls.__eq__(self, other)

    return __eq__


def _setstate(cls: type) -> Callable[[Any, Any], None]:
    # An instance unpickled in a process that made none yet: made before it is used.
    def __setstate__(self: Any, state: Any) -> None:
        _make(cls)
        setstate = getattr(cls, "__setstate__", None)
        if setstate is not None:
            setstate(self, state)
            return
        if isinstance(state, tuple):  # (dict, slots), as copyreg gives for a class with both
            state, slots = state
            for name, value in (slots or {}).items():
                object.__setattr__(self, name, value)
        if state:
            self.__dict__.update(state)

    return __setstate__


def _init_subclass(cls: Any) -> Callable[..., None]:
    # A subclass that is a dataclass reads this class's fields: make them first.
    def __init_subclass__(subclass: Any, **kwargs: Any) -> None:
        _make(cls)
        super(cls, subclass).__init_subclass__(**kwargs)

    return classmethod(__init_subclass__)  # type: ignore[return-value]


_STAND_INS: dict[str, Callable[[type], Any]] = {
    "__init__": _init,
    "__repr__": _repr,
    "__eq__": _eq,
    "__setstate__": _setstate,
    "__init_subclass__": _init_subclass,
}
