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

import importlib
import random
import sys
from typing import Any

# hashlib and pickle are imported in the functions using them: `zenrun --help`
# loads this module and needs none of that (tests/test_cli.py checks it).

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


def numpy_seeded() -> bool:
    """Whether numpy's global ``RandomState`` was seeded with a value in this process
    (False when nothing imported numpy)."""
    np_random = _numpy_random()
    return np_random is not None and _numpy_seeded(np_random)


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


#: How far ahead of the start-up state a drawn-from state is looked for, in 32-bit words:
#: libraries draw a few at import (rich's style ids), fixtures rarely more.
_DRAWN_WORDS = 624 * 32


def _drawn_from(state: Any, start: Any) -> bool:
    """Whether ``random``'s ``state`` is ``start`` after some draws (no seed in between):
    such a state comes from the process's own entropy, so it is no input of a step."""
    try:
        index, start_index = state[1][-1], start[1][-1]
        walker = random.Random()
        walker.setstate(start)
    except (TypeError, ValueError, IndexError):
        return False
    words = (index - start_index) % 624
    if words:
        walker.getrandbits(32 * words)
    while words <= _DRAWN_WORDS:
        if walker.getstate()[1] == state[1]:
            return True
        walker.getrandbits(32 * 624)
        words += 624
    return False


def cache_digest(states: dict[str, Any] | None, since: dict[str, Any] | None) -> str | None:
    """A digest of the generators' ``states`` that a fixture SEEDED, for the cache keys of the
    steps starting from them: a fixture seeding differently must never be served a value drawn
    from the old seed. A state only drawn from since start-up (by a library at import, or a
    fixture drawing unseeded) is the process's own entropy, different at every run: it is
    carried to the steps but kept out of keys, or no step would ever be a hit."""
    import hashlib
    import pickle

    if not states:
        return None
    seeded: list[tuple[str, Any]] = []
    if RANDOM in states and not (since and RANDOM in since and _drawn_from(states[RANDOM], since[RANDOM])):
        seeded.append((RANDOM, states[RANDOM]))
    np_random = _numpy_random()
    if NUMPY in states and np_random is not None and _numpy_seeded(np_random):
        seeded.append((NUMPY, states[NUMPY]))
    if not seeded:
        return None
    return hashlib.sha256(pickle.dumps(seeded, protocol=4)).hexdigest()[:16]
