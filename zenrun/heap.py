"""The garbage collector while pipelines run.

A full collection walks every object the process holds: with scikit-learn and
pandas imported that is a few hundred thousand objects, 50-80 ms a pass, and the
allocations of a run (composing, hashing, recording) trigger such passes. None of
those objects becomes garbage because a pipeline runs, so while one runs they are
moved out of the collector's sight (:func:`gc.freeze`) and given back when the
last run ends (:func:`gc.unfreeze`); what a run creates is collected as usual.
A process that froze its heap itself (a pre-fork server) keeps its own freeze.

While runs go on, the youngest generation is also collected after
:data:`RUN_THRESHOLD` new objects rather than Python's default 700: most of what a step
allocates (its task, its record's rows, its capture) is freed by reference counting
within the step, and a pass every 700 allocations walked those objects again and
again (10-30 µs per step of a chain of trivial steps). Cycles are still collected,
a little later. A threshold the process set itself is kept.

Collection (importing the pipeline modules, and with them scikit-learn, pandas, ...)
creates hundreds of thousands of objects and next to no garbage, yet the collector walks
the whole growing heap a few times meanwhile: a third of what importing such a stack costs.
The ``zenrun`` command pauses it while it collects (:func:`paused_collector`); what
collection imported is then frozen with the rest when the pipelines run. So is what setting
the runs up makes next, the orchestrator, the stores and the modules a run uses
(:func:`freeze_made_since`): the first run's young pass walked those few thousand objects
otherwise, a millisecond within its steps. ``zenrun``'s own names are imported on first use
(``from zenrun import step``), also with the collector paused: a script that imported
scikit-learn first would otherwise pay a full pass over that heap (~120 ms) while pydantic
and zenrun import. The collector is given back as it was; nothing the script made is frozen
by it.

The ``zenrun`` command also pauses it while it imports its own modules at start-up
(:func:`startup_imports`): they make some 100,000 objects and next to no garbage, and the
forty passes of the young generations meanwhile cost 5 ms of ``zenrun --help``. What they
made is moved to the oldest generation at once instead, where only a full collection looks.
So does building the session's config (importing the plugins and the initial conftest files:
seven more passes, 1 ms of ``zenrun --help``).

A replay (a large item's fully cached rerun served from its record, :mod:`zenrun.replay`)
runs no step: the collector is off while it records its steps (:func:`bookkeeping`), and
what it made is frozen with the run's heap at its end.

When the command is done, the heap is frozen once more (:func:`freeze_for_exit`): the
interpreter's last full collection, as it exits, then has nothing to walk. The memory
goes back to the system with the process; ``atexit`` handlers still run, and objects
kept alive only by reference cycles are not finalized (which Python does not promise
at exit either).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator

_lock = threading.Lock()
_depth = 0
_owned = False  # we froze it (it was not frozen by the process already)
_DEFAULT_THRESHOLD = 700  # Python's gen-0 threshold: the one we raise while runs go on
RUN_THRESHOLD = 7000
_thresholds: tuple[int, int, int] | None = None  # to restore, when we raised it


#: Whether a step's function may have run in this process since the heap was last frozen
#: (:class:`user_code`): its garbage may then sit in the older generations.
_step_code_ran = True
#: How many blocks of user code (steps' functions, fixtures) run now, in any thread: while one
#: does, what it holds or dropped may be in any generation, even after a full pass.
_user_code_running = 0
_running_lock = threading.Lock()  # never taken by the collector's callback


class user_code:
    """``with user_code():`` around user code (a step's function, a fixture, loading a step's
    inputs) run in this process: what it makes is not frozen as zenrun's own while it runs,
    nor after it until a full pass (see :func:`_after_collection`). A class, not a generator:
    entered around every step."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _step_code_ran, _user_code_running
        with _running_lock:
            _user_code_running += 1
        _step_code_ran = True  # stays so: a freeze while it runs leaves it set

    def __exit__(self, *exc: object) -> None:
        global _user_code_running
        with _running_lock:
            _user_code_running -= 1


def _after_collection(phase: str, info: dict[str, int]) -> None:
    """What survived a collection during a run is the run's own state (its graph, its
    records): frozen, so that later passes do not walk it again. Without this, a run of
    100,000 steps spends seconds walking its own records over and over.

    After a full collection the heap holds no garbage, so its survivors are frozen. After a
    younger one, the older generations may still hold garbage the next full pass would free,
    which freezing would keep until the run ends: they are frozen only when no user code (a
    step's function, a fixture) ran since the last freeze, nor runs now (in this thread, a
    full pass inside a step; in another), so that only zenrun's own bookkeeping (looking up
    and recording cache hits, which frees what it drops at once) made them. A fully cached
    run then walks each object it keeps once, not three times."""
    global _step_code_ran
    if phase != "stop":
        return
    if info.get("generation") == 2 or not _step_code_ran:
        gc.freeze()
        _step_code_ran = _user_code_running > 0


def freeze_heap() -> Callable[[], None]:
    """Freeze the objects alive now; returns the function that ends this freeze (call it
    once). The heap is unfrozen when the outermost freeze ends."""
    global _depth, _owned, _step_code_ran
    with _lock:
        if _depth == 0:
            _owned = gc.get_freeze_count() == 0
            if _owned:
                gc.callbacks.append(_after_collection)
                _raise_threshold()
                _step_code_ran = _user_code_running > 0  # what ran before is frozen just below
        if _owned:
            gc.freeze()  # nested: what the outer run created since is frozen too
        _depth += 1
    done = False

    def unfreeze() -> None:
        global _depth
        nonlocal done
        with _lock:
            if done:
                return
            done = True
            _depth -= 1
            if _depth == 0 and _owned:
                with contextlib.suppress(ValueError):
                    gc.callbacks.remove(_after_collection)
                _restore_threshold()
                gc.unfreeze()

    return unfreeze


def _raise_threshold() -> None:
    global _thresholds
    current = gc.get_threshold()
    if current[0] == _DEFAULT_THRESHOLD:
        _thresholds = current
        gc.set_threshold(RUN_THRESHOLD, current[1], current[2])


def _restore_threshold() -> None:
    global _thresholds
    if _thresholds is not None and gc.get_threshold()[0] == RUN_THRESHOLD:  # unless changed since
        gc.set_threshold(*_thresholds)
    _thresholds = None


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """:func:`freeze_heap` for the duration of a ``with`` block."""
    unfreeze = freeze_heap()
    try:
        yield
    finally:
        unfreeze()


def paused_collector() -> contextlib.AbstractContextManager[None]:
    """No automatic collection during the ``with`` block (importing modules); the
    collector is enabled again after it, unless it was disabled already. Inside a
    :func:`freeze_heap`, what the block created is frozen too (with the rest of the
    heap, also when its freeze is not ours: the ``-n`` zygote's): else the first pass
    after it would walk all of it, the garbage being only a few objects."""
    # not gc.get_freeze_count(): it walks the frozen heap (~10 ms with sklearn)
    return _collector_off(lambda: bool(_depth))


def bookkeeping() -> contextlib.AbstractContextManager[None]:
    """No automatic collection while zenrun does a block of its own bookkeeping in which no
    step runs (a replay serving every step of a run from the cache): the young passes
    walked the records it keeps, over and over (327 passes, 0.14 s of a replay of 100,000
    steps). At its end, inside a run's freeze, what the block made is frozen as a pass's
    survivors are (:func:`_after_collection`): unless a step's code ran since the last
    freeze, whose garbage would then be kept; the collector takes it as usual then."""
    return _collector_off(lambda: bool(_depth) and _owned and not _step_code_ran)


@contextlib.contextmanager
def _collector_off(freeze_after: Callable[[], bool]) -> Iterator[None]:
    """The collector off during the block, on again after it unless it was off already;
    what the block made frozen after it when ``freeze_after()`` (asked under the lock)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        with _lock:
            if freeze_after():
                gc.freeze()
        if enabled:
            gc.enable()


def freeze_made_since() -> None:
    """Inside a :func:`freeze_heap`, freeze what was made since it (or since the last
    freeze): the ``zenrun`` command calls it once its runs are set up, so that what the
    set-up made (zenrun's own state, next to no garbage) is not walked by the runs' young
    passes. Only where no user code ran since: garbage it left would be kept."""
    global _step_code_ran
    with _lock:
        if _depth:
            gc.freeze()
            _step_code_ran = _user_code_running > 0


@contextlib.contextmanager
def startup_imports() -> Iterator[None]:
    """No automatic collection while the ``zenrun`` command imports its modules; what they
    created is then moved to the oldest generation (``gc.freeze`` then ``gc.unfreeze``), not
    walked by the young generations' passes. A heap frozen already (by the process itself)
    is left as it is. For the command's own process only: a script's objects are its own."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():  # a fresh process: nothing frozen, counted at once
            gc.freeze()
            gc.unfreeze()  # into the oldest generation
        if enabled:
            gc.enable()


def freeze_for_exit() -> None:
    """The process is about to exit: spare it the final collection over the whole heap
    (which costs as much as importing a third of scikit-learn)."""
    gc.freeze()
