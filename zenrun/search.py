"""Search spaces and intermediate values: ``zenrun.search.float(1e-4, 1e-1, log=True)``,
``zenrun.report(loss, step=epoch)``.

The distributions are plain data, so ``import zenrun`` and collecting a
pipeline marked ``@zenrun.mark.search(space, ...)`` import no Optuna; the
session's ``study`` plugin turns them into Optuna distributions when a study
runs. :func:`report` talks to the study from wherever the step runs (the
driver, a worker process, a Dask worker on this machine): the trial's handle
travels with the step's task, and the study's storage (a journal file in the
store, or ``--search-storage URL``) is shared by all of them.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenrun.outcomes import OutcomeException
from zenrun.stepcontext import TRIAL_SETTING as TRIAL_SETTING  # its home; still importable here
from zenrun.stepcontext import running_step

__all__ = [
    "Categorical",
    "Float",
    "Int",
    "Pruned",
    "SearchSpaceError",
    "TrialHandle",
    "categorical",
    "float",
    "int",
    "report",
]

#: Sampler names ``sampler=`` takes (or an Optuna sampler object).
SAMPLERS = ("tpe", "random", "gp", "cmaes", "nsga2", "qmc", "grid")
#: Pruner names ``pruner=`` takes (or an Optuna pruner object, or None).
PRUNERS = ("median", "hyperband", "successive_halving", "percentile", "none")
#: The status of a trial (its steps, its run, its item) stopped by its pruner.
PRUNED = "pruned"
#: Where a study's trials are kept inside the store unless ``--search-storage`` says otherwise.
JOURNAL_NAME = "studies.journal"


class SearchSpaceError(ValueError):
    """A search space, or an argument of ``@zenrun.mark.search``, is wrong: the message says which."""


class Pruned(OutcomeException):
    """Raised by :func:`report` when the trial's pruner stops it; the step (and its run)
    end ``pruned``. It derives from ``BaseException``: ``except Exception`` does not catch it."""


@dataclass(frozen=True)
class Float:
    """A float between ``low`` and ``high`` (inclusive), sampled on a log scale with ``log``."""

    low: builtins.float
    high: builtins.float
    log: bool = False
    step: builtins.float | None = None

    def check(self, where: str) -> None:
        if not all(isinstance(v, (builtins.int, builtins.float)) for v in (self.low, self.high)):
            raise SearchSpaceError(
                f"{where}: float() bounds must be numbers, got {self.low!r}, {self.high!r}"
            )
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise SearchSpaceError(f"{where}: float() bounds must be finite, got {self.low!r}, {self.high!r}")
        if self.low > self.high:
            raise SearchSpaceError(f"{where}: float(low={self.low!r}, high={self.high!r}) has low > high")
        if self.log and self.low <= 0:
            raise SearchSpaceError(f"{where}: float(log=True) needs low > 0, got low={self.low!r}")
        if self.log and self.step is not None:
            raise SearchSpaceError(f"{where}: float() takes either log=True or step=, not both")
        if self.step is not None and not (
            isinstance(self.step, (builtins.int, builtins.float))
            and not isinstance(self.step, bool)
            and math.isfinite(self.step)
            and self.step > 0
        ):
            raise SearchSpaceError(f"{where}: float() needs step > 0, got step={self.step!r}")


@dataclass(frozen=True)
class Int:
    """An integer between ``low`` and ``high`` (inclusive)."""

    low: builtins.int
    high: builtins.int
    log: bool = False
    step: builtins.int = 1

    def check(self, where: str) -> None:
        if not all(isinstance(v, builtins.int) and not isinstance(v, bool) for v in (self.low, self.high)):
            raise SearchSpaceError(f"{where}: int() bounds must be integers, got {self.low!r}, {self.high!r}")
        if self.low > self.high:
            raise SearchSpaceError(f"{where}: int(low={self.low!r}, high={self.high!r}) has low > high")
        if self.log and self.low <= 0:
            raise SearchSpaceError(f"{where}: int(log=True) needs low > 0, got low={self.low!r}")
        if self.step < 1:
            raise SearchSpaceError(f"{where}: int() needs step >= 1, got step={self.step!r}")


@dataclass(frozen=True)
class Categorical:
    """One of ``choices`` (None, bool, int, float or str values)."""

    choices: tuple[Any, ...] = field(default_factory=tuple)

    def check(self, where: str) -> None:
        if not self.choices:
            raise SearchSpaceError(f"{where}: categorical() needs at least one choice")
        for choice in self.choices:
            if choice is not None and not isinstance(choice, (bool, builtins.int, builtins.float, str)):
                raise SearchSpaceError(
                    f"{where}: categorical() choices must be None, bool, int, float or str, got {choice!r}"
                )


Distribution = Float | Int | Categorical


def _float(
    low: builtins.float, high: builtins.float, *, log: bool = False, step: builtins.float | None = None
) -> Float:
    """A float parameter in ``[low, high]``; ``log=True`` samples on a log scale."""
    return Float(low, high, log, step)


def _int(low: builtins.int, high: builtins.int, *, log: bool = False, step: builtins.int = 1) -> Int:
    """An integer parameter in ``[low, high]`` (both included)."""
    return Int(low, high, log, step)


def categorical(choices: Sequence[Any]) -> Categorical:
    """A parameter taking one of ``choices``."""
    if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
        raise SearchSpaceError(f"categorical() takes a list of choices, got {choices!r}")
    return Categorical(tuple(choices))


float = _float
int = _int


def check_space(space: object, where: str) -> dict[str, Any]:
    """``space`` as a dict of checked distributions, or a :class:`SearchSpaceError` naming ``where``
    and the parameter. Optuna distributions are accepted as they are."""
    if not isinstance(space, Mapping):
        raise SearchSpaceError(
            f"{where}: the search space must be a dict of parameter name -> distribution, got {space!r}"
        )
    if not space:
        raise SearchSpaceError(f"{where}: the search space is empty; name at least one parameter")
    checked: dict[str, Any] = {}
    for name, dist in space.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise SearchSpaceError(f"{where}: parameter names must be identifiers, got {name!r}")
        at = f"{where}, parameter {name!r}"
        if isinstance(dist, (Float, Int, Categorical)):
            dist.check(at)
        elif type(dist).__module__.startswith("optuna."):
            pass  # Optuna checked it when it was made
        elif isinstance(dist, (list, tuple)):
            dist = categorical(dist)
            dist.check(at)
        else:
            raise SearchSpaceError(
                f"{at}: {dist!r} is not a distribution; use zenrun.search.float(), .int(), "
                ".categorical() or an Optuna distribution"
            )
        checked[name] = dist
    return checked


def to_optuna(dist: Any) -> Any:
    """The Optuna distribution of ``dist`` (imports Optuna)."""
    import optuna.distributions as d

    if isinstance(dist, Float):
        return d.FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, Int):
        return d.IntDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, Categorical):
        return d.CategoricalDistribution(list(dist.choices))
    return dist


#: The most points a grid search lists: a bigger grid is refused before it is made (a float's
#: step of 1e-7 times a million integers would fill the machine's memory).
GRID_MAX_POINTS = 1_000_000


def grid_size(dist: Any) -> builtins.int | None:
    """How many values a grid search walks for ``dist`` (None: not a finite set), counted
    without listing them."""
    if isinstance(dist, Categorical):
        return len(dist.choices)
    if isinstance(dist, Int):
        return len(range(dist.low, dist.high + 1, dist.step))
    if isinstance(dist, Float) and dist.step is not None:
        return round((dist.high - dist.low) / dist.step) + 1
    return None


def grid_values(dist: Any, where: str) -> list[Any]:
    """The values a grid search walks for ``dist``: every int, every choice; a float needs ``step``."""
    size = grid_size(dist)
    if size is not None and size > GRID_MAX_POINTS:
        raise SearchSpaceError(
            f"{where}: sampler='grid' would walk {size:,} values of it, more than the "
            f"{GRID_MAX_POINTS:,} a grid lists: a coarser step, or another sampler"
        )
    dist = to_optuna(dist)
    import optuna.distributions as d

    if isinstance(dist, d.CategoricalDistribution):
        return list(dist.choices)
    if isinstance(dist, d.IntDistribution):
        return list(range(dist.low, dist.high + 1, dist.step))
    if isinstance(dist, d.FloatDistribution) and dist.step is not None:
        count = round((dist.high - dist.low) / dist.step)
        return [dist.low + i * dist.step for i in range(count + 1)]
    raise SearchSpaceError(
        f"{where}: sampler='grid' needs a finite set of values: give float() a step=, "
        "or use int() or categorical()"
    )


# -- the trial a running step belongs to ----------------------------------------------------


@dataclass(frozen=True)
class TrialHandle:
    """What a step of a trial needs to report to its study; travels with the step's task."""

    storage: str
    study: str
    trial_id: builtins.int
    number: builtins.int
    pruner: Any = None  # a name from PRUNERS, an Optuna pruner object, or None

    def report(self, value: builtins.float, step: builtins.int) -> bool:
        """Record ``value`` at ``step``; whether the pruner says the trial should stop."""
        import optuna

        study = _load_study(self.storage, self.study, self.pruner)
        trial = optuna.trial.Trial(study, self.trial_id)
        trial.report(value, step)
        return self.pruner is not None and bool(trial.should_prune())


_studies: dict[tuple[str, str, str], Any] = {}
_storages: dict[str, Any] = {}
_lock = threading.Lock()


def open_storage(url: str) -> Any:
    """The Optuna storage at ``url``, one per process: a journal file (a path, or
    ``journal:PATH``), or an Optuna storage URL (``sqlite:///...``, ``postgresql://...``)."""
    with _lock:
        storage = _storages.get(url)
        if storage is None:
            import optuna

            if "://" in url and not url.startswith("journal:"):
                storage = optuna.storages.RDBStorage(url)
            else:
                path = Path(url.removeprefix("journal:"))
                path.parent.mkdir(parents=True, exist_ok=True)
                storage = optuna.storages.JournalStorage(_journal_backend(path))
            _storages[url] = storage
        return storage


def _journal_backend(path: Path) -> Any:
    """Optuna's journal file, with a cheaper lock and no fsync per line.

    Optuna fsyncs each appended line and takes its lock by creating a file (an ask with
    two parameters is five lines: 30 ms on a plain disk). A line written without fsync
    survives a killed process (it is in the page cache), as the store's SQLite commits
    do; the lock here is a ``lockf`` record lock on ``PATH.lock``, taken by every process
    that writes to the journal (the driver, ``-n`` workers, Dask workers on this machine).
    """
    import fcntl

    from optuna.storages.journal import JournalFileBackend
    from optuna.storages.journal._file import BaseJournalFileLock  # the base its locks share

    class Lock(BaseJournalFileLock):
        """A POSIX record lock (``lockf``): held per process, never inherited by a fork."""

        def __init__(self, lock_path: str) -> None:
            self.lock_path = lock_path
            self.fd: builtins.int | None = None
            self.pid = os.getpid()

        def acquire(self) -> bool:
            if self.fd is None or self.pid != os.getpid():
                self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                self.pid = os.getpid()
            fcntl.lockf(self.fd, fcntl.LOCK_EX)
            return True

        def release(self) -> None:
            if self.fd is not None:
                fcntl.lockf(self.fd, fcntl.LOCK_UN)

    class Backend(JournalFileBackend):
        def read_logs(self, log_number_from: builtins.int) -> Generator[dict[str, Any], None, None]:
            # Optuna reads the journal before every storage call: without a new line since
            # the last read (the file ends where that line would start), skip opening it.
            offset = self._log_number_offset.get(log_number_from)
            if offset is not None:
                try:
                    if os.stat(self._file_path).st_size == offset:
                        return
                except OSError:
                    pass
            yield from super().read_logs(log_number_from)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            self._lock.acquire()
            try:
                with open(self._file_path, "ab") as f:
                    f.write(text.encode("utf-8"))
            finally:
                self._lock.release()

    return Backend(str(path), lock_obj=Lock(f"{path}.lock"))


def default_storage(store_root: Path) -> str:
    """The journal file of the studies of the store at ``store_root``."""
    return f"journal:{Path(store_root) / 'search' / JOURNAL_NAME}"


def make_pruner(spec: Any) -> Any:
    """The Optuna pruner ``spec`` names (an object is returned as it is; None: no pruning)."""
    import optuna

    if spec is None or spec == "none":
        return optuna.pruners.NopPruner()
    if not isinstance(spec, str):
        return spec
    made: dict[str, Callable[[], Any]] = {
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
        "hyperband": optuna.pruners.HyperbandPruner,
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
        "percentile": lambda: optuna.pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=1),
    }
    return made[spec]()


def _load_study(storage: str, name: str, pruner: Any) -> Any:
    import optuna

    key = (storage, name, repr(pruner))
    with _lock:
        study = _studies.get(key)
    if study is None:
        study = optuna.load_study(
            study_name=name,
            storage=open_storage(storage),
            pruner=make_pruner(pruner),
            sampler=optuna.samplers.RandomSampler(),  # a step only reports: no sampling here
        )
        with _lock:
            _studies[key] = study
    return study


def report(value: builtins.float, step: builtins.int) -> None:
    """Report an intermediate objective ``value`` at ``step`` (an epoch, an iteration).

    Inside a trial of a study with a pruner, raises :class:`Pruned` when the
    pruner stops the trial: the step ends ``pruned``, what completed before it
    stays cached. The values are logged with the step as ``intermediate``.
    Outside a study it only logs them, so the same step runs without search.
    """
    context = running_step("report")
    try:
        number = builtins.float(value)
        at = builtins.int(step)
    except (TypeError, ValueError):
        raise TypeError(
            f"step {context.step_id!r}: zenrun.report(value, step) takes a number and an integer step, "
            f"got {value!r}, {step!r}"
        ) from None
    history = context.metadata.setdefault("intermediate", {})
    assert isinstance(history, dict)
    history[str(at)] = number
    handle = context.trial
    if isinstance(handle, TrialHandle) and handle.report(number, at):
        raise Pruned(f"trial {handle.number} of study {handle.study} pruned at step {at} (value {number:g})")


class StudyView:
    """A study as stored (``zenrun.get_study("hpo[iris]")``): its trials and its best one.

    ``optuna`` is the Optuna study itself, for Optuna's own visualisations.
    """

    def __init__(self, study: Any, storage: str) -> None:
        self.optuna = study
        self.storage = storage
        self.name: str = study.study_name

    @property
    def metrics(self) -> list[str]:
        names = self.optuna.user_attrs.get("zenrun_metrics")
        return list(names) if names else [f"value{i}" for i in range(len(self.optuna.directions))]

    @property
    def trials(self) -> list[Any]:
        """Every trial (Optuna ``FrozenTrial``), in the order they were asked."""
        return list(self.optuna.trials)

    @property
    def best_trial(self) -> Any:
        """The best complete trial (single objective)."""
        return self.optuna.best_trial

    @property
    def best_trials(self) -> list[Any]:
        """The Pareto front (multi-objective), or the best trial in a list."""
        return list(self.optuna.best_trials)

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of the best trial (single objective)."""
        return dict(self.optuna.best_params)

    @property
    def best_value(self) -> builtins.float:
        value: builtins.float = self.optuna.best_value
        return value

    def to_pandas(self) -> Any:
        """One row per trial: number, slot, state, ``params_*``, the metrics, durations."""
        frame = self.optuna.trials_dataframe()
        values = [c for c in frame.columns if c == "value" or c.startswith("values_")]
        frame = frame.rename(columns=dict(zip(values, self.metrics, strict=False)))
        slot_column = "user_attrs_zenrun_slot"
        if slot_column in frame.columns:
            frame = frame.rename(columns={slot_column: "slot"})
        return frame

    def __repr__(self) -> str:
        return f"<StudyView {self.name} ({len(self.optuna.trials)} trials)>"


def load_study(name: str, storage: str) -> StudyView:
    """The study ``name`` in ``storage``; a KeyError naming both when there is none."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if storage.startswith("journal:") and not Path(storage.removeprefix("journal:")).exists():
        raise KeyError(f"no study {name!r}: no studies in {storage.removeprefix('journal:')}")
    opened = open_storage(storage)
    names = optuna.study.get_all_study_names(opened)
    if name not in names:
        known = ", ".join(sorted(names)) or "none"
        raise KeyError(f"no study {name!r} in {storage.removeprefix('journal:')} (studies: {known})")
    return StudyView(optuna.load_study(study_name=name, storage=opened), storage)
