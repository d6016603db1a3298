"""The global random generators as conftests and fixtures left them, for every step.

A session fixture calling ``random.seed(1234)`` or ``numpy.random.seed(1234)``
seeds the driver's generators only: a step run in a ``-n`` worker or on a Dask
worker would draw from that process's own, unseeded state, and a step's values
would depend on where it ran, and on whether the steps before it were cached.

So when conftests or fixtures changed the state of ``random``'s global
generator, or seeded ``numpy.random``'s global ``RandomState``, that state is
taken for each item right after its fixtures ran (as the environment variables
they set are), travels with each of the item's tasks, and every step of the
item starts from it, in whatever process it runs (the driver included), the
generators being put back as they were once the step ends. Each step thus
draws what a script seeded the same way would draw first, wherever it runs,
and the steps before it, run or cached, change nothing. Runs where nothing
seeded the generators are left as they were: each process draws its own.
"""

from __future__ import annotations

import hashlib
import importlib
import pickle
import random
import sys
from typing import Any

#: The generators followed, by name: the standard library's and numpy's legacy global one.
RANDOM = "random"
NUMPY = "numpy.random"


def _numpy_random() -> Any:
    """``numpy.random`` if something imported it (never imported here: numpy is heavy)."""
    return sys.modules.get(NUMPY)


def _numpy_seeded(np_random: Any) -> bool:
    """Whether numpy's global ``RandomState`` was seeded (``numpy.random.seed``): numpy
    seeds it from the OS's entropy at import, recorded in its bit generator's seed
    sequence, which a seed with a value replaces by None."""
    try:
        bit_generator = np_random.mtrand._rand._bit_generator
    except AttributeError:  # another numpy: only a change since startup is seen
        return False
    return getattr(bit_generator, "_seed_seq", False) is None


def startup() -> dict[str, Any]:
    """The states before conftests and fixtures ran (for :func:`changed`)."""
    states: dict[str, Any] = {RANDOM: random.getstate()}
    np_random = _numpy_random()
    if np_random is not None:
        states[NUMPY] = np_random.get_state()
    return states


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "shape") or hasattr(b, "shape"):  # numpy arrays in numpy's state
        try:
            return bool(a.shape == b.shape and (a == b).all())
        except AttributeError:
            return False
    return bool(a == b)


def changed(since: dict[str, Any] | None) -> dict[str, Any] | None:
    """The generators' states now, for those conftests or fixtures changed since ``since``
    (:func:`startup`); None when they changed none."""
    if since is None:
        return None
    states: dict[str, Any] = {}
    now = random.getstate()
    if now != since.get(RANDOM):
        states[RANDOM] = now
    np_random = _numpy_random()
    if np_random is not None:
        state = np_random.get_state()
        before = since.get(NUMPY)
        if (before is not None and not _same(state, before)) or (before is None and _numpy_seeded(np_random)):
            states[NUMPY] = state
    return states or None


def current(states: dict[str, Any]) -> dict[str, Any]:
    """The present states of the generators named in ``states`` (what :func:`restore` puts back)."""
    out: dict[str, Any] = {}
    for name in states:
        if name == RANDOM:
            out[name] = random.getstate()
        elif name == NUMPY:
            np_random = _numpy_random()
            out[name] = np_random.get_state() if np_random is not None else None
    return out


def restore(states: dict[str, Any]) -> None:
    """Give the generators the ``states`` (from :func:`changed` or :func:`current`)."""
    for name, state in states.items():
        if state is None:
            continue
        if name == RANDOM:
            random.setstate(state)
        elif name == NUMPY:
            np_random = _numpy_random()
            if np_random is None:  # a worker that has not imported numpy yet (a heavy import)
                np_random = importlib.import_module(NUMPY)
            np_random.set_state(state)


def digest(states: dict[str, Any]) -> str:
    """A short digest of ``states`` for the cache keys of the steps that start from them: a
    fixture seeding the generators differently must not be served a value drawn from the
    old seed."""
    return hashlib.sha256(pickle.dumps(sorted(states.items()), protocol=4)).hexdigest()[:16]
