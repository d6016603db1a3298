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
import contextlib
import json
import math
import os
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time is not ours
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

        try:
            study = _load_study(self.storage, self.study, self.pruner)
            trial = optuna.trial.Trial(study, self.trial_id)
            trial.report(value, step)
            return self.pruner is not None and bool(trial.should_prune())
        except KeyError:
            # The study was deleted meanwhile (another session's --search-restart): there is
            # nothing left to prune against; the step goes on and its run is recorded (the
            # trial's end says the study is gone).
            return False


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


class JournalDamagedError(Exception):
    """A line of a study journal is no record and more follow it: Optuna cannot read past it
    (a line torn by a crash or a full disk, then written after; a hand edit)."""

    def __init__(self, path: str, line: builtins.int, problem: str) -> None:
        super().__init__(f"the search journal {path} is damaged at line {line} ({problem})")
        self.path = path
        self.line = line
        self.problem = problem


def _parse_record(line: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The journal record ``line`` (with its newline) holds, or None and why it holds none."""
    try:
        record = json.loads(line)
    except ValueError as exc:  # (JSONDecodeError, and UnicodeDecodeError of bytes not UTF-8)
        return None, f"not a JSON record: {exc}"
    return (record, None) if isinstance(record, dict) else (None, "not a JSON record: no object")


def _record_problem(line: bytes) -> str | None:
    """Why ``line`` (with its newline) is not a journal record, or None."""
    return _parse_record(line)[1]


def journal_damage(path: Path) -> tuple[builtins.int, str] | None:
    """The first damaged line of the journal ``path`` (its number from 1, and what is wrong),
    or None: a line that is no record with more after it. A partial last line (a write cut
    short) is none: readers skip it, and the next write drops it."""
    bad: tuple[builtins.int, str] | None = None
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            if bad is not None:
                return bad
            if line.endswith(b"\n"):
                problem = _record_problem(line)
                if problem is not None:
                    bad = (number, problem)
    return None


@contextlib.contextmanager
def _journal_locked(path: Path) -> Generator[None, None, None]:
    """The lock every zenrun process takes to write the journal ``path`` (see :func:`_journal_backend`)."""
    import fcntl

    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (releases the lock)


def salvage_journal(path: Path) -> tuple[Path, builtins.int, str, builtins.int] | None:
    """Set the damaged journal ``path`` aside as ``PATH.corrupt-<time>`` and put in its place
    the records before its first damaged line: ``(aside, damaged line, what is wrong with it,
    lines dropped)``; None when it is not damaged. The records after a damaged line are dropped
    too: each was written by a process that read the journal up to it, and Optuna numbers
    trials in the order they were made, so they would be read as other trials'."""
    with _journal_locked(path):
        found = journal_damage(path)
        if found is None:
            return None
        line, problem = found
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        again = 1
        while aside.exists():  # (one set aside this second already: both are kept)
            aside, again = path.with_name(f"{path.name}.corrupt-{stamp}-{again}"), again + 1
        rebuilt = path.with_name(f"{path.name}.repairing")
        total = 0
        with open(path, "rb") as src, open(rebuilt, "wb") as dst:
            for number, text in enumerate(src, start=1):
                total = number
                if number < line:
                    dst.write(text)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(path, aside)
        os.replace(rebuilt, path)
        _fsync_dir(path.parent)
    with _lock:  # a storage of it read the damaged file: opened again
        for url in [u for u in _storages if Path(u.removeprefix("journal:")) == path]:
            del _storages[url]
        for key in [k for k in _studies if Path(k[0].removeprefix("journal:")) == path]:
            del _studies[key]
    return aside, line, problem, total - line + 1


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mend_tail(fd: builtins.int, path: str) -> None:
    """Make the journal open at ``fd`` end with a whole record before a write (under its lock).

    A crash or a full disk can leave a partial last line; written after, it and the next
    record would be one line nobody can read, and every read of the journal fails from then
    on. A partial line that is a whole record but its newline gets it; any other is cut off,
    as is a last line that is no record: neither can be a write in progress (every writer
    holds the lock), and neither is a record a reader took (readers skip them).
    """
    size = os.fstat(fd).st_size
    end = size
    while end > 0:
        start, tail = _last_line(fd, end)
        whole = tail.endswith(b"\n")
        if not whole and _record_problem(tail) is None:
            os.pwrite(fd, b"\n", end)  # (the file ends at end: nothing cut yet)
            return
        if whole and _record_problem(tail) is None:
            break
        end = start
    if end != size:
        os.ftruncate(fd, end)
        import logging

        logging.getLogger("zenrun").warning(
            "the search journal %s ended in %d byte(s) that are no whole record (a write cut "
            "short by a crash or a full disk): cut off before writing after them",
            path,
            size - end,
        )


def _last_line(fd: builtins.int, end: builtins.int, chunk: builtins.int = 4096) -> tuple[builtins.int, bytes]:
    """Where the last line of the first ``end`` bytes of ``fd`` starts, and that line (with
    its newline, if it has one)."""
    pos = end - 1  # (the line's own newline is not the one before it)
    while pos > 0:
        low = max(0, pos - chunk)
        found = os.pread(fd, pos - low, low).rfind(b"\n")
        if found >= 0:
            start = low + found + 1
            return start, os.pread(fd, end - start, start)
        pos = low
    return 0, os.pread(fd, end, 0)


def _journal_backend(path: Path) -> Any:
    """Optuna's journal file, with a cheaper lock, and a write that never follows a cut one.

    Optuna takes its lock by creating a file; the lock here is a ``lockf`` record lock on
    ``PATH.lock`` (and a thread lock: ``lockf`` is held per process), taken by every process
    that writes to the journal (the driver, ``-n`` workers, Dask workers on this machine).
    No fsync per write, unlike Optuna's (an ask with two parameters is five lines: 30 ms on
    a plain disk): a line written survives a killed process (it is in the page cache), as the
    store's SQLite commits do; a power cut may lose the last lines, whose trials then run
    again. A write first mends a partial last line a crash left (:func:`_mend_tail`); a read
    names the file and line of a damaged journal (:class:`JournalDamagedError`).
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
            self.threads = threading.Lock()

        def acquire(self) -> bool:
            if self.fd is None or self.pid != os.getpid():
                self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                self.pid = os.getpid()
                self.threads = threading.Lock()  # (a fork's copy may be held by no thread of it)
            self.threads.acquire()
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX)
            except BaseException:
                self.threads.release()
                raise
            return True

        def release(self) -> None:
            if self.fd is not None:
                try:
                    fcntl.lockf(self.fd, fcntl.LOCK_UN)
                finally:
                    self.threads.release()

    class Backend(JournalFileBackend):
        def read_logs(self, log_number_from: builtins.int) -> Generator[dict[str, Any], None, None]:
            # Optuna's reading, naming the line of a damaged journal. Optuna reads the journal
            # before every storage call: without a new line since the last read (the file ends
            # where that line would start), the file is not opened.
            offsets = self._log_number_offset
            start = offsets.get(log_number_from)
            if start is not None:
                try:
                    if os.stat(self._file_path).st_size == start:
                        return
                except OSError:
                    pass
            with open(self._file_path, "rb") as f:
                remaining = os.fstat(f.fileno()).st_size  # a line written meanwhile: the next read's
                first = 0
                if start is not None:
                    f.seek(start)
                    first, remaining = log_number_from, remaining - start
                bad: str | None = None
                for number, line in enumerate(f, start=first):
                    remaining -= len(line)
                    if remaining < 0:
                        break
                    if bad is not None:
                        raise JournalDamagedError(self._file_path, number, bad)
                    if not line.endswith(b"\n"):
                        break  # a partial last line: skipped, as Optuna does
                    log, bad = _parse_record(line)
                    if log is None:
                        continue
                    if number + 1 not in offsets:
                        offsets[number + 1] = offsets[number] + len(line)
                    if number >= log_number_from:
                        yield log

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            self._lock.acquire()
            try:
                fd = os.open(self._file_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    _mend_tail(fd, self._file_path)
                    data = text.encode("utf-8")
                    while data:
                        data = data[os.write(fd, data) :]
                finally:
                    os.close(fd)
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
