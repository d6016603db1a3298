"""Studies: ``@zenrun.mark.search(space, trials=N, ...)`` runs an Optuna study, one item per trial.

A pipeline marked ``search`` is parametrized, as ``parametrize`` would, with
``trials`` slots: ``hpo[iris][trial-0]``, ``hpo[iris][trial-1]``, ... Their
values are sampled (Optuna ask) when the item starts, so each trial sees the
results of those that finished before it, under ``-n`` and Dask too (the
session prepares a trial only when a worker is free for it). When the item
ends its objective is told to the study: a value a step logged
(``zenrun.log_metadata(accuracy=...)``) or the scalar output of a final step,
named by ``metric=``. ``zenrun.report`` in a step feeds the pruner; a pruned
trial ends ``pruned``.

The study lives in the store (an Optuna journal file, ``search/studies.journal``,
which survives a kill: each ask and tell is one appended, fsync'd line), or in
``--search-storage URL``. A slot whose trial completed or was pruned is not
run again; a failed or killed one is run again, with the same parameters.
Optuna is imported only when a study is opened.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import logging
import math
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun.capture import keeps_descriptors_parked
from zenrun.errors import ExitCode, UsageError
from zenrun.hookspec import hookimpl
from zenrun.marks import Mark, get_marks
from zenrun.metadata.records import PRUNED
from zenrun.outcomes import Failed
from zenrun.stepcontext import TRIAL_SETTING

# zenrun.search (the search spaces) is imported where a study is checked, opened or shown:
# zenrun --help, which loads this plugin for its options, does not need the search spaces.
if TYPE_CHECKING:
    from zenrun.collect import Item
    from zenrun.config import Config, Parser
    from zenrun.metadata.records import PipelineRun, StepRun
    from zenrun.metafunc import Metafunc
    from zenrun.reports import ItemReport
    from zenrun.search import TrialHandle

#: The user attribute of an Optuna trial naming the slot (``trial-3``) it ran for.
SLOT_ATTR = "zenrun_slot"
#: The trial attribute naming the process running it (``host:pid``): another session's live
#: trial is left running, a killed one's failed.
OWNER_ATTR = "zenrun_owner"
TOP = 10  # rows of the study table


class SearchSpec:
    """The arguments of one ``@zenrun.mark.search``, checked (never changed once made)."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.6 ms of
    # zenrun --help, frozen); nothing compares, hashes or prints a spec.
    __slots__ = ("directions", "metrics", "pruner", "sampler", "seed", "space", "trials")

    def __init__(
        self,
        space: dict[str, Any],
        trials: int,
        metrics: list[str],
        directions: list[str],
        sampler: Any,
        pruner: Any,
        seed: int | None,
    ) -> None:
        self.space = space
        self.trials = trials
        self.metrics = metrics
        self.directions = directions
        self.sampler = sampler
        self.pruner = pruner
        self.seed = seed


def _signature(
    space: Any,
    trials: int = 20,
    metric: str | list[str] = "accuracy",
    direction: str | list[str] = "maximize",
    sampler: Any = "tpe",
    pruner: Any = None,
    seed: int | None = None,
) -> None:
    """``@zenrun.mark.search``'s arguments, for binding."""


def parse_mark(mark: Mark, where: str) -> SearchSpec:
    """The checked arguments of ``mark``; a :class:`SearchSpaceError` names ``where`` and the argument."""
    from zenrun.search import (
        GRID_MAX_POINTS,
        PRUNERS,
        SAMPLERS,
        SearchSpaceError,
        check_space,
        grid_size,
        grid_values,
    )

    try:
        bound = inspect.signature(_signature).bind(*mark.args, **mark.kwargs)
    except TypeError as exc:
        raise SearchSpaceError(
            f"{where}: search({exc}); it takes (space, trials=N, metric=..., direction=..., "
            "sampler=..., pruner=..., seed=...)"
        ) from None
    bound.apply_defaults()
    args = bound.arguments
    space = check_space(args["space"], f"{where}: search(space=...)")
    trials = args["trials"]
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise SearchSpaceError(f"{where}: search(trials={trials!r}) must be a positive integer")
    metrics = [args["metric"]] if isinstance(args["metric"], str) else list(args["metric"])
    directions = [args["direction"]] if isinstance(args["direction"], str) else list(args["direction"])
    if not metrics or not all(isinstance(m, str) and m for m in metrics):
        raise SearchSpaceError(
            f"{where}: search(metric={args['metric']!r}) must name a metric or a list of them"
        )
    if len(directions) == 1 and len(metrics) > 1:
        directions = directions * len(metrics)
    if len(directions) != len(metrics) or any(d not in ("maximize", "minimize") for d in directions):
        raise SearchSpaceError(
            f"{where}: search(direction={args['direction']!r}) must be 'maximize' or 'minimize', "
            f"one per metric ({len(metrics)})"
        )
    sampler = args["sampler"]
    if isinstance(sampler, str) and sampler not in SAMPLERS:
        raise SearchSpaceError(
            f"{where}: search(sampler={sampler!r}) is not a sampler; use one of {', '.join(SAMPLERS)} "
            "or an Optuna sampler object"
        )
    if not isinstance(sampler, str) and not hasattr(sampler, "sample_independent"):
        raise SearchSpaceError(f"{where}: search(sampler={sampler!r}) is not an Optuna sampler")
    pruner = args["pruner"]
    if isinstance(pruner, str) and pruner not in PRUNERS:
        raise SearchSpaceError(
            f"{where}: search(pruner={pruner!r}) is not a pruner; use one of {', '.join(PRUNERS)}, "
            "an Optuna pruner object, or None"
        )
    if pruner is not None and not isinstance(pruner, str) and not hasattr(pruner, "prune"):
        raise SearchSpaceError(f"{where}: search(pruner={pruner!r}) is not an Optuna pruner")
    seed = args["seed"]
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise SearchSpaceError(f"{where}: search(seed={seed!r}) must be an integer or None")
    if sampler == "grid":
        sizes: list[int] = []
        for n, d in space.items():
            found = grid_size(d)
            if found is None or found > GRID_MAX_POINTS:  # (says why, naming the parameter)
                grid_values(d, f"{where}: search(space=...), parameter {n!r}")
            sizes.append(found or 0)
        size = math.prod(sizes)
        if size > GRID_MAX_POINTS:
            raise SearchSpaceError(
                f"{where}: search(sampler='grid') would walk {size:,} points, more than the "
                f"{GRID_MAX_POINTS:,} a grid lists: coarser steps, fewer values, or another sampler"
            )
        trials = min(trials, size)  # a grid has no more trials than points
    return SearchSpec(space, trials, metrics, directions, sampler, pruner, seed)


class _Slot:
    """The value of a searched parameter before its trial starts (collection, ``--co``)."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"<trial-{self.index}: sampled when it starts>"


def make_sampler(spec: SearchSpec, offset: int) -> Any:
    """The Optuna sampler ``spec`` names; a seed moves on by ``offset`` (the trials already in
    the study), so a resumed study does not draw its first points again."""
    import optuna

    from zenrun.search import grid_values

    sampler = spec.sampler
    if not isinstance(sampler, str):
        return sampler
    seed = None if spec.seed is None else spec.seed + offset
    samplers = optuna.samplers
    if sampler == "grid":
        grid = {n: grid_values(d, n) for n, d in spec.space.items()}
        return samplers.GridSampler(grid, seed=spec.seed)
    if sampler == "tpe":
        return samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    made: Any = {
        "random": samplers.RandomSampler,
        "gp": samplers.GPSampler,
        "cmaes": samplers.CmaEsSampler,
        "nsga2": samplers.NSGAIISampler,
        "qmc": samplers.QMCSampler,
    }[sampler](seed=seed)
    return made


#: Why a study stops when another session (its ``--search-restart``) deleted it meanwhile.
DELETED = (
    "it was deleted by another session (--search-restart) while this one ran it; "
    "the trials this session had not started are not run (zenrun --show {name} shows the new study)"
)


class Study:
    """One study of the session: a searched item (``hpo[iris]``) and its Optuna study."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a study.
    __slots__ = (
        "again",
        "done",
        "name",
        "pipeline",
        "ran",
        "restart",
        "spec",
        "stopped",
        "storage",
        "study",
    )

    def __init__(
        self, name: str, pipeline: str, spec: SearchSpec, storage: str, restart: bool = False
    ) -> None:
        self.name = name
        self.pipeline = pipeline
        self.spec = spec
        self.storage = storage
        self.restart = restart
        self.study: Any = None  # the Optuna study, opened at the first trial
        self.done: dict[str, Any] = {}  # slot -> completed or pruned FrozenTrial
        self.again: dict[str, dict[str, Any]] = {}  # slot -> params to run again
        self.stopped: str | None = None  # why no more trial starts (a metric no step logs)
        self.ran = 0

    def deleted(self) -> str:
        """Stop the study: another session deleted it while this one ran it (Optuna's storage
        raises ``KeyError`` for a study or trial it no longer has). Returns the reason."""
        self.stopped = DELETED.format(name=self.name)
        return self.stopped

    def open(self) -> Any:
        if self.study is None:
            try:
                self.study = self._open()
            except UsageError:
                raise
            except Exception as exc:  # an unreachable storage, a sampler's missing dependency
                from zenrun.search import JournalDamagedError

                if isinstance(exc, JournalDamagedError):
                    raise  # (the session says what to do, naming its store)
                raise UsageError(
                    f"study {self.name} of pipeline {self.pipeline} could not be opened in "
                    f"{shown_url(self.storage)}: {type(exc).__name__}: {shown_url(str(exc))}"
                ) from exc
        return self.study

    def _open(self) -> Any:
        import optuna

        from zenrun.search import JournalDamagedError, make_pruner, open_storage, salvage_journal

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            storage = open_storage(self.storage)
        except JournalDamagedError:
            if not self.restart:
                raise
            salvaged = salvage_journal(Path(self.storage.removeprefix("journal:")))
            if salvaged is not None:
                aside, line, problem, dropped = salvaged
                logging.getLogger("zenrun").warning(
                    "the search journal %s was damaged at line %d (%s): set aside as %s; the "
                    "records before that line are kept (the %d line(s) from it on are dropped), "
                    "and study %s starts afresh",
                    self.storage.removeprefix("journal:"),
                    line,
                    problem,
                    aside,
                    dropped,
                    self.name,
                )
            storage = open_storage(self.storage)
        if self.restart:
            try:
                optuna.delete_study(study_name=self.name, storage=storage)
            except KeyError:
                pass
        existing = 0
        try:
            summary = optuna.study.get_all_study_summaries(storage)
            existing = next((s.n_trials for s in summary if s.study_name == self.name), 0)
        except Exception:
            existing = 0
        study = optuna.create_study(
            study_name=self.name,
            storage=storage,
            sampler=make_sampler(self.spec, existing),
            pruner=make_pruner(self.spec.pruner),
            directions=self.spec.directions,  # type: ignore[arg-type]  # checked: maximize/minimize
            load_if_exists=True,
        )
        space = json.dumps({name: repr(dist) for name, dist in sorted(self.spec.space.items())})
        made_with = {
            "metrics": study.user_attrs.get("zenrun_metrics"),
            "space": study.user_attrs.get("zenrun_space"),
        }
        asked = {"metrics": self.spec.metrics, "space": space}
        for what, before in made_with.items():  # (a study made before zenrun kept its space: kept)
            if before is not None and before != asked[what] and study.trials:
                said = ", ".join(before) if what == "metrics" else _spaces(before)
                now = ", ".join(self.spec.metrics) if what == "metrics" else _spaces(space)
                raise UsageError(
                    f"study {self.name} in {shown_url(self.storage)} was made with {what} {said}, "
                    f"but pipeline {self.pipeline} asks for {now}: its trials would be read as "
                    "another search's; --search-restart starts the study afresh"
                )
        study.set_user_attr("zenrun_metrics", self.spec.metrics)
        study.set_user_attr("zenrun_space", space)
        wanted = [d.upper() for d in self.spec.directions]
        if [d.name for d in study.directions] != wanted:
            raise UsageError(
                f"study {self.name} in {shown_url(self.storage)} optimises "
                f"{', '.join(d.name.lower() for d in study.directions)}, but pipeline {self.pipeline} "
                f"asks for {', '.join(self.spec.directions)}; --search-restart starts the study afresh"
            )
        state = optuna.trial.TrialState
        for trial in study.get_trials(deepcopy=False):
            slot = trial.user_attrs.get(SLOT_ATTR)
            if slot is None:
                continue
            if trial.state in (state.COMPLETE, state.PRUNED):
                self.done[slot] = trial
                self.again.pop(slot, None)
            elif slot not in self.done:
                if trial.state == state.RUNNING and _alive_elsewhere(trial.user_attrs.get(OWNER_ATTR)):
                    continue  # another session runs it now (taken_elsewhere says so)
                self.again[slot] = dict(trial.params)
                if trial.state == state.RUNNING:  # its process was killed: it does not count
                    study.tell(trial.number, state=state.FAIL)
        return study

    def taken_elsewhere(self, slot: str) -> str | None:
        """Why ``slot`` is not this session's to run (another session completed it, or runs it
        now, since this one opened the study), or None. Read again as each trial starts: two
        sessions on one study each run a slot once."""
        import optuna

        state = optuna.trial.TrialState
        for trial in self.study.get_trials(
            deepcopy=False, states=(state.RUNNING, state.COMPLETE, state.PRUNED)
        ):
            if trial.user_attrs.get(SLOT_ATTR) != slot:
                continue
            if trial.state != state.RUNNING:
                self.done[slot] = trial
                return None  # (said as a completed slot is)
            owner = trial.user_attrs.get(OWNER_ATTR)
            if _alive_elsewhere(owner):
                return f"running in another session ({owner})"
        return None

    def ask(self, slot: str) -> Any:
        """A new trial for ``slot``: the parameters of its failed attempt, or sampled now."""
        from zenrun.search import to_optuna

        study = self.open()
        params = self.again.pop(slot, None)
        if params and set(params) == set(self.spec.space):
            study.enqueue_trial(params, skip_if_exists=False)
        trial = study.ask({name: to_optuna(dist) for name, dist in self.spec.space.items()})
        trial.set_user_attr(SLOT_ATTR, slot)
        trial.set_user_attr(OWNER_ATTR, f"{_host()}:{os.getpid()}")
        self.ran += 1
        return trial

    def tell(self, trial: Any, values: list[float] | None, state: str) -> None:
        import optuna

        states = optuna.trial.TrialState
        try:
            if state == "complete":
                assert values is not None
                self.study.tell(trial, values if len(values) > 1 else values[0])
            else:
                self.study.tell(trial, state=states.PRUNED if state == PRUNED else states.FAIL)
        except RuntimeError as exc:  # GridSampler calls study.stop() when the grid is done
            if "optimization loop" not in str(exc) and "inside an objective" not in str(exc):
                raise
        except KeyError:  # the study was deleted meanwhile: its run is recorded, not the trial
            import logging

            logging.getLogger("zenrun").warning(
                "study %s: trial %s: its result is not recorded in the study: %s",
                self.name,
                getattr(trial, "number", trial),
                self.deleted(),
            )
        except ValueError as exc:  # another session took it for killed and failed it meanwhile
            import logging

            logging.getLogger("zenrun").warning(
                "study %s: trial %s was ended by another session meanwhile; its result is not "
                "recorded in the study (%s)",
                self.name,
                getattr(trial, "number", trial),
                exc,
            )


class SearchSession:
    """The session's studies, their trials, and their results (a plugin object)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.studies: dict[str, Study] = {}
        self.specs: dict[str, SearchSpec] = {}  # pipeline nodeid -> its search
        self.slots: dict[str, tuple[Study, str]] = {}  # item nodeid -> (study, slot)
        self.study_modules: dict[str, str] = {}  # study name -> the module of its pipeline
        self.running: dict[str, tuple[Study, Any, TrialHandle]] = {}  # item nodeid -> trial
        self.by_run: dict[str, TrialHandle] = {}  # run name -> its trial

    @property
    def storage(self) -> str:
        from zenrun.search import default_storage

        url = self.config.getoption("search_storage", None)
        return str(url) if url else default_storage(self.config.store_path)

    # -- collection ---------------------------------------------------------------------
    @hookimpl(trylast=True)  # after other parametrizations: the trial is the id's last part
    def zenrun_generate_tests(self, metafunc: Metafunc) -> None:
        marks = [m for m in get_marks(metafunc.definition) if m.name == "search"]
        if not marks:
            return
        from zenrun.search import SearchSpaceError

        where = f"pipeline {metafunc.nodeid}"
        if len(marks) > 1:
            raise Failed(f"{where}: more than one search mark; a pipeline runs one study", pytrace=False)
        try:
            spec = parse_mark(marks[0], where)
        except SearchSpaceError as exc:
            raise Failed(str(exc), pytrace=False) from None
        if importlib.util.find_spec("optuna") is None:
            raise Failed(
                f"{where}: @zenrun.mark.search runs an Optuna study, and Optuna is not installed: "
                'pip install "zenrun[search]"',
                pytrace=False,
            )
        argnames = getattr(metafunc.definition, "argnames", [])
        used = [n for n in spec.space if n in metafunc.fixturenames or n in argnames]
        if not used:
            raise Failed(
                f"{where}: none of the searched parameters ({', '.join(spec.space)}) is an argument of "
                "the pipeline or of a fixture it uses",
                pytrace=False,
            )
        slots = [_Slot(i) for i in range(spec.trials)]
        metafunc.parametrize(
            used, [tuple(slot for _ in used) for slot in slots], ids=[f"trial-{s.index}" for s in slots]
        )
        for call in metafunc.calls:  # hpo[iris-trial-3] -> hpo[iris][trial-3]: a trial of hpo[iris]
            if len(call.idlist) > 1:
                call.idlist[:] = ["-".join(call.idlist[:-1]) + "][" + call.idlist[-1]]
        self.specs[metafunc.nodeid] = spec

    @hookimpl(tryfirst=True)
    def zenrun_collection_modifyitems(self, items: list[Item]) -> None:
        for item in items:
            self._trial_item(item)

    def _trial_item(self, item: Item) -> None:
        """A trial (``hpo[iris][trial-3]``) of study ``hpo[iris]``: prepared when a worker is free."""
        prefix = item.nodeid[: len(item.nodeid) - len(item.name)]
        spec = self.specs.get(prefix + item.name.split("[", 1)[0])
        slot = next((v for v in item.params.values() if isinstance(v, _Slot)), None)
        if spec is None or slot is None or item.nodeid in self.slots:
            return
        slot_id = f"trial-{slot.index}"
        study_name = item.name.removesuffix(f"[{slot_id}]")
        item.lazy = True
        for searched in spec.space:
            item.params.setdefault(searched, slot)
        module = prefix.split("::", 1)[0]
        first = self.study_modules.setdefault(study_name, module)
        if first != module:  # one study would hold both, each sampled in the other's space
            raise UsageError(
                f"two searched pipelines make one study {study_name!r}: {first} and {module} "
                "(a study is named by its pipeline and parameters): rename one of them"
            )
        study = self.studies.get(study_name)
        if study is None:
            study = Study(
                study_name,
                item.pipeline_name,
                spec,
                self.storage,
                restart=bool(self.config.getoption("search_restart", False)),
            )
            self.studies[study_name] = study
        self.slots[item.nodeid] = (study, slot_id)

    def _raise_damaged(self, exc: Exception) -> None:
        """A :class:`UsageError` saying what to do about ``exc`` if it is a damaged journal."""
        from zenrun.search import JournalDamagedError, default_storage

        if not isinstance(exc, JournalDamagedError):
            return
        path = Path(exc.path)
        hint = (
            f"zenrun --search-restart sets it aside as {path.name}.corrupt-<time>, keeps the records "
            "before that line and starts the selected studies afresh"
        )
        if Path(default_storage(self.config.store_path).removeprefix("journal:")) == path:
            hint = (
                "zenrun --store-repair sets it aside as "
                f"{path.name}.corrupt-<time> and keeps the records before that line; "
                "--search-restart does so too, and starts the selected studies afresh"
            )
        raise UsageError(f"{exc}, so the studies in it cannot be read: {hint}") from None

    # -- running ------------------------------------------------------------------------
    @hookimpl(tryfirst=True)
    def zenrun_item_start(self, item: Item) -> None:
        found = self.slots.get(item.nodeid)
        if found is None:
            return
        study, slot = found
        if study.stopped is not None:
            item.add_marker(Mark("skip", (), {"reason": f"study {study.name} stopped: {study.stopped}"}))
            return
        try:
            study.open()
        except Exception as exc:
            self._raise_damaged(exc)
            raise
        try:
            elsewhere = study.taken_elsewhere(slot) if slot not in study.done else None
            trial = None if elsewhere is not None or slot in study.done else study.ask(slot)
        except KeyError:
            reason = study.deleted()
            item.add_marker(Mark("skip", (), {"reason": f"study {study.name} stopped: {reason}"}))
            return
        if elsewhere is not None:
            item.add_marker(Mark("skip", (), {"reason": f"study {study.name}: {slot} is {elsewhere}"}))
            return
        if slot in study.done:
            trial = study.done[slot]
            value = ", ".join(f"{v:.6g}" for v in trial.values or [])
            what = "pruned" if trial.state.name == "PRUNED" else f"complete ({value})"
            item.add_marker(
                Mark(
                    "skip",
                    (),
                    {"reason": f"study {study.name}: {slot} is {what}; --search-restart runs it again"},
                )
            )
            return
        assert trial is not None  # neither taken elsewhere nor done: asked above
        for name in study.spec.space:
            item.params[name] = trial.params[name]
        from zenrun.search import TrialHandle

        handle = TrialHandle(self.storage, study.name, trial._trial_id, trial.number, study.spec.pruner)
        self.running[item.nodeid] = (study, trial, handle)
        manager = self.config.pluginmanager
        if manager.get_plugin(TRIAL_STEPS) is None:
            manager.register(TrialSteps(self.by_run), TRIAL_STEPS)

    @hookimpl
    def zenrun_pipeline_run_start(self, run: PipelineRun) -> None:
        found = self.running.get(run.item_id or "")
        if found is not None:
            self.by_run[run.name] = found[2]

    @hookimpl(tryfirst=True)
    def zenrun_item_report(self, report: ItemReport) -> None:
        found = self.running.pop(report.nodeid, None)
        if found is None:
            return
        study, trial, _ = found
        run = report.run
        if run is not None:
            self.by_run.pop(run.name, None)
        if report.outcome == PRUNED:
            study.tell(trial, None, PRUNED)
            return
        if report.outcome not in ("passed", "xpassed") or run is None:
            study.tell(trial, None, "fail")  # its slot runs again next time, with these params
            study.again[self.slots[report.nodeid][1]] = dict(trial.params)
            return
        metrics = run.metrics
        unusable = [m for m in study.spec.metrics if m in metrics and not _is_number(metrics[m])]
        if unusable:  # a diverged trial (a NaN loss): it fails, the study goes on, as Optuna's
            study.tell(trial, None, "fail")
            study.again[self.slots[report.nodeid][1]] = dict(trial.params)
            values = ", ".join(f"{m}={_cut(_fmt(metrics[m]))}" for m in unusable)
            report.outcome = "failed"
            report.longrepr = (
                f"trial of study {study.name} logged {values}: not a finite number, so the trial "
                "failed (the study goes on with the other trials)"
            )
            return
        missing = [m for m in study.spec.metrics if m not in metrics]
        if missing:
            study.tell(trial, None, "fail")
            logged = ", ".join(sorted(metrics)) or "none"
            study.stopped = (
                f"pipeline {study.pipeline} logs no metric {', '.join(map(repr, missing))} "
                f"(metrics of this trial: {logged}); log it with zenrun.log_metadata({missing[0]}=...) "
                "or return it as the scalar output of a final step of that name"
            )
            report.outcome = "failed"
            report.longrepr = f"study {study.name} stopped: {study.stopped}"
            return
        study.tell(trial, [float(metrics[m]) for m in study.spec.metrics], "complete")

    # -- results ------------------------------------------------------------------------
    @hookimpl(trylast=True)  # the session ends with it, after the results table
    def zenrun_terminal_summary(self, terminalreporter: Any, config: Config) -> None:
        shown = [s for s in self.studies.values() if s.study is not None]
        if not shown or getattr(terminalreporter, "verbosity", 0) < -1:
            return
        width = getattr(terminalreporter.tw, "width", 100)
        for study in shown:
            terminalreporter.tw.sep("=", f"study {study.name}")
            try:
                lines = study_lines(study.study, study.spec.metrics, width)
            except KeyError:
                lines = [DELETED.format(name=study.name)]
            for line in lines:
                terminalreporter.tw.line(line)

    @hookimpl(tryfirst=True)
    def zenrun_cmdline_main(self, config: Config) -> int | None:
        name = config.getoption("show", None)
        if not name or config.getoption("runs", False):
            return None
        name = str(name)
        head, sep, rest = name.partition("::")
        if sep and head.endswith(".py"):  # an item id with its file names the same study
            name = rest  # (a parameter id may hold "::" too: tune[::z])
        url = self.storage
        if url.startswith("journal:") and not os.path.exists(url.removeprefix("journal:")):
            return None
        import optuna

        from zenrun.search import open_storage

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            storage = open_storage(url)
            if name not in optuna.study.get_all_study_names(storage):
                return None
            study = optuna.load_study(study_name=name, storage=storage)
        except Exception as exc:  # a damaged journal, an unreachable storage
            self._raise_damaged(exc)
            raise UsageError(
                f"the studies in {shown_url(url)} could not be read: {type(exc).__name__}: "
                f"{shown_url(str(exc))}"
            ) from exc
        metrics = study.user_attrs.get("zenrun_metrics") or [
            f"value{i}" if len(study.directions) > 1 else "value" for i in range(len(study.directions))
        ]
        lines = [f"study {name} ({shown_url(url)})", *study_lines(study, metrics, _width())]
        sys.stdout.write("\n".join(lines) + "\n")
        return int(ExitCode.OK)


def shown_url(url: str) -> str:
    """``url`` as it may be printed: a journal's path, a URL without its password."""
    return re.sub(r"(://[^:/@\s]+):[^@/\s]*@", r"\1:***@", url.removeprefix("journal:"))


def _width() -> int:
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def _is_number(value: object) -> bool:
    """A finite int or float (not a bool; an int beyond a float's range is not one)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@functools.cache
def _host() -> str:
    """This machine's name (imported and asked once, when a trial first needs it)."""
    import socket

    return socket.gethostname()


def _alive_elsewhere(owner: object) -> bool:
    """Whether ``owner`` (``host:pid`` of a running trial) is a live process of this machine
    other than this one: a trial another session is running now."""
    host, _, pid = str(owner or "").rpartition(":")
    if host != _host() or not pid.isdigit() or int(pid) == os.getpid():
        return False  # another machine's cannot be told: as before, taken for killed
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _spaces(text: str) -> str:
    """A search space as kept with its study (JSON of each parameter's distribution)."""
    try:
        return ", ".join(f"{name}={dist}" for name, dist in json.loads(text).items())
    except (ValueError, AttributeError):
        return str(text)


def _cut(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def study_lines(study: Any, metrics: list[str], width: int = 100) -> list[str]:
    """The study's table: the best trials first (the best marked ``*``), then the counts."""
    import optuna

    state = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == state.COMPLETE]
    pruned = [t for t in trials if t.state == state.PRUNED]
    failed = [t for t in trials if t.state == state.FAIL]
    multi = len(study.directions) > 1
    if multi:
        best = {t.number for t in study.best_trials} if complete else set()
        ordered = sorted(complete, key=lambda t: (t.number not in best, t.number))
    else:
        sign = -1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1
        ordered = sorted(complete, key=lambda t: (sign * t.value, t.number))
        best = {ordered[0].number} if ordered else set()
    names = list(dict.fromkeys(n for t in trials for n in t.params))
    headers = ["", "trial", "number", *names, *metrics]
    rows = []
    for trial in ordered[:TOP]:
        rows.append(
            [
                "*" if trial.number in best else "",
                str(trial.user_attrs.get(SLOT_ATTR, "")),
                str(trial.number),
                *(_fmt(trial.params.get(n, "")) for n in names),
                *(_fmt(v) for v in trial.values),
            ]
        )
    lines = _table(headers, rows) if rows else ["(no trial completed)"]
    if len(ordered) > TOP:
        lines.append(f"({len(ordered) - TOP} more complete trials not shown)")
    lines.append(
        f"{len(complete)} complete, {len(pruned)} pruned, {len(failed)} failed; "
        + ("best (*): Pareto front" if multi else "best (*) first")
    )
    return [line[:width] for line in lines]


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return out


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    group = parser.getgroup("search")
    group.addoption(
        "--search-storage",
        dest="search_storage",
        default=None,
        metavar="URL",
        help="where studies are kept: an Optuna storage URL (sqlite:///..., postgresql://...) or a "
        "journal file (default: search/studies.journal in the store)",
    )
    group.addoption(
        "--search-restart",
        dest="search_restart",
        action="store_true",
        default=False,
        help="start the studies of the selected pipelines afresh (their trials so far are forgotten)",
    )


#: The plugin that hands each step of a trial's run its trial, registered with the first trial.
TRIAL_STEPS = "search-trial-steps"


class TrialSteps:
    """Gives each step of a trial's run its trial handle (``zenrun.report`` reads it).

    Its own plugin, registered when the session's first trial starts: a run with no
    study calls no hook per step for it.
    """

    def __init__(self, by_run: dict[str, TrialHandle]) -> None:
        self.by_run = by_run  # run name -> its trial: the session's, kept up to date by it

    @hookimpl
    @keeps_descriptors_parked  # bookkeeping only: no process, nothing written
    def zenrun_step_start(self, step_run: StepRun) -> None:
        handle = self.by_run.get(step_run.run_name or "")
        if handle is not None:
            settings = step_run.settings.copy()  # its own, its unread defaults still unbuilt
            settings[TRIAL_SETTING] = handle
            step_run.settings = settings


@hookimpl
def zenrun_configure(config: Config) -> None:
    config.pluginmanager.register(SearchSession(config), "search-session")
