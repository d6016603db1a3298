"""``recwarn``: the warnings raised while a pipeline item is set up and composed, and while
its steps run in this process (pytest's ``WarningsRecorder``)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from zenrun.fixtures import fixture

__all__ = ["WarningsRecorder"]


class WarningsRecorder(warnings.catch_warnings):
    """Records every warning (all are shown: ``simplefilter("always")``) while entered."""

    def __init__(self) -> None:
        super().__init__(record=True)
        self._entered = False
        self._list: list[warnings.WarningMessage] = []

    @property
    def list(self) -> list[warnings.WarningMessage]:
        """The recorded warnings."""
        return self._list

    def __getitem__(self, i: int) -> warnings.WarningMessage:
        return self._list[i]

    def __iter__(self) -> Iterator[warnings.WarningMessage]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def pop(self, cls: type[Warning] = Warning) -> warnings.WarningMessage:
        """The first recorded warning of class ``cls`` (the closest subclass match), removed;
        an AssertionError if there is none."""
        best_idx: int | None = None
        for i, w in enumerate(self._list):
            if w.category == cls:
                return self._list.pop(i)
            if issubclass(w.category, cls) and (
                best_idx is None or not issubclass(w.category, self._list[best_idx].category)
            ):
                best_idx = i
        if best_idx is not None:
            return self._list.pop(best_idx)
        raise AssertionError(f"{cls!r} not found in warning list")

    def clear(self) -> None:
        """Forget the recorded warnings."""
        self._list[:] = []

    def __enter__(self) -> WarningsRecorder:  # type: ignore[override]
        if self._entered:
            raise RuntimeError(f"Cannot enter {self!r} twice")
        _list = super().__enter__()
        assert _list is not None
        self._list = _list
        self._entered = True
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if not self._entered:
            raise RuntimeError(f"Cannot exit {self!r} without entering first")
        super().__exit__(*exc_info)
        self._entered = False


@fixture
def recwarn() -> Iterator[WarningsRecorder]:
    """A ``WarningsRecorder`` of the warnings raised during the pipeline item: ``list``,
    ``pop(cls)``, ``clear()``, ``len()``; see Python's ``warnings`` module for the entries."""
    wrec = WarningsRecorder()
    with wrec:
        warnings.simplefilter("default")
        yield wrec
