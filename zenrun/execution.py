"""One run of a composed pipeline: the state an orchestrator drives.

An orchestrator decides *when* and *where* each step runs; this module
decides what a step run means: cache lookup, the task to execute, and the
records and hooks once it is done. The protocol, for any orchestrator::

    for each step id in topological order, once its upstream steps finished:
        if execution.blocked(step_id): execution.skip(step_id)
        else:
            task = execution.prepare(step_id)      # None: cached, nothing to run
            if task: execution.complete(task, execute_task(task, ...))
"""

from __future__ import annotations

import collections
import datetime
import functools
import inspect
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, cast

from zenrun import heap, randomstate
from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.artifacts.store import ArtifactError, check_digest
from zenrun.blame import plugin_of_module
from zenrun.cache import (
    FINGERPRINTED,
    CanonicalJSONError,
    CodeFingerprint,
    Fingerprinter,
    KeyTemplate,
    NullCache,
    bound_anew,
    cache_key,
    canonical_json,
    environment,
    environment_mismatch,
    explain_miss,
    key_parts,
    qualified_name,
    sha256,
    store_identity,
)
from zenrun.cache import (
    prepare as prepare_fingerprints,
)
from zenrun.canonical import PartsText
from zenrun.capture import may_keep_descriptors_parked, unpark
from zenrun.compose import ComposedPipeline, OutputHandle
from zenrun.datacheck import DataPolicy, describe, network_reason, own_expiry
from zenrun.datadeps import DATA_KEY
from zenrun.datadeps import prepare as prepare_tracking
from zenrun.deferred import make_all
from zenrun.errors import UsageError
from zenrun.metadata.records import (
    CACHED,
    COMPLETED,
    FAILED,
    PRUNED,
    RUNNING,
    SKIPPED,
    ArtifactRef,
    PipelineRun,
    StepRun,
    compute_metrics,
    flatten,
)
from zenrun.protocols import RUN_TIME_FORMAT, ArtifactStoreError, later_run_name
from zenrun.replay import REPLAY_MIN_STEPS
from zenrun.runner import (
    CURRENT_TEST_VAR,
    InputArtifactError,
    InputSource,
    StepCallHooks,
    StepTask,
    TaskResult,
    assertion_settings,
    current_pid,
    execute_task,
    load_inputs,
    private_copy,
)
from zenrun.settings import settings_models, step_settings_kind, validate_settings
from zenrun.sources import set_rootdir
from zenrun.stepcontext import TRIAL_SETTING
from zenrun.tbstyle import exception_text
from zenrun.threads import background_thread

logger = logging.getLogger("zenrun")
OVERRIDE_MESSAGE = (
    "Runtime configuration overwriting the pipeline cache settings to "
    "enable_cache=False for this pipeline run. The default caching strategy "
    "is retained for future pipeline runs."
)
FLUSH_INTERVAL = 0.2  # seconds of step records a crash may cost at most
_last_run_name = ""
#: Most steps looked up in one batch, and steps whose inputs are not known yet passed over
#: looking for them (see ``PipelineExecution._prefetch``).
PREFETCH_MAX = 1024
PREFETCH_BLOCKED = 32
_UNKNOWN: Any = object()
_NO_TEMPLATE_YET: Any = object()  # a step function's first key of a run: made without one
_NOTHING_KNOWN: tuple[None, frozenset[str]] = (None, frozenset())  # no earlier record of what a step read


class _StepKey(NamedTuple):
    literals: dict[str, Any]
    fingerprint: CodeFingerprint
    parts: dict[str, Any]
    key: str | None
    uncacheable: str | None
    #: The run's template of the text of the parts, when the key was made from its template.
    parts_text: PartsText | None = None


class _Flusher:
    """One thread per process commits the records of every running pipeline each
    ``FLUSH_INTERVAL``, so that records are committed while a long step runs.

    A thread of its own per run cost each item a thread start and a join (two waits for
    the scheduler: milliseconds on a busy machine). This one outlives a run by one idle
    interval, so the next item of a session finds it running, then ends.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # no thread, no held lock in a child

    def _reset(self) -> None:
        self._lock = threading.Lock()  # guards _runs and _thread
        # Each run with a lock held while the thread flushes it: removing a run waits for
        # that flush only, not for the other runs' (``--dist threads`` runs several).
        self._runs: dict[int, tuple[PipelineExecution, threading.Lock]] = {}
        self._thread: threading.Thread | None = None
        self._tick = threading.Event()  # never set: its wait is the interval

    def add(self, execution: PipelineExecution) -> None:
        with self._lock:
            self._runs[id(execution)] = (execution, threading.Lock())
            self._start()

    def start(self) -> None:
        """Start the thread unless it runs."""
        with self._lock:
            self._start()

    def _start(self) -> None:  # under _lock
        if self._thread is None:
            self._thread = background_thread(self._loop, name="zenrun-flush")
            self._thread.start()

    def remove(self, execution: PipelineExecution) -> None:
        """After this, the thread does not flush ``execution`` (a flush of it under way ends first)."""
        with self._lock:
            found = self._runs.pop(id(execution), None)
        if found is not None:
            with found[1]:
                pass

    def _loop(self) -> None:
        try:
            self._flush_periodically()
        finally:  # ended, or died of an error a flush does not catch: the next run starts one
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _flush_periodically(self) -> None:
        idle = False
        while True:
            self._tick.wait(FLUSH_INTERVAL)
            with self._lock:
                runs = list(self._runs.items())
                if not runs and idle:  # a whole interval without a run: end (under the lock,
                    self._thread = None  # so that a run added now starts the next thread)
                    return
                idle = not runs
            self._flush(runs)
            # (here, between flushes, the thread holds no run: a finished one, with what its
            # steps were given, its fixtures' values, is freed at once, not an interval later)
            del runs

    def _flush(self, runs: list[tuple[int, tuple[PipelineExecution, threading.Lock]]]) -> None:
        for key, (execution, busy) in runs:
            with busy:
                with self._lock:
                    if self._runs.get(key, (None,))[0] is not execution:  # finished meanwhile
                        continue
                execution.flush()


_flusher = _Flusher()


def start_flusher() -> None:
    """Start the thread that commits the records of running pipelines now, when runs are
    about to start in this process (the command does as it opens the stores): else the
    first run starts it, waiting for the new thread to be scheduled (0.1-0.5 ms). Without a
    run within an interval or two, it ends, and the next run starts it again."""
    _flusher.start()


def new_run_name(pipeline: str) -> str:
    """``<pipeline>-%d_%b_%y-%H_%M_%S_%f``, unique within this process."""
    global _last_run_name
    name = f"{pipeline}-{datetime.datetime.now().strftime(RUN_TIME_FORMAT)}"
    while name <= _last_run_name and name.rsplit("-", 1)[0] == _last_run_name.rsplit("-", 1)[0]:
        name = later_run_name(name)
    _last_run_name = name
    return name


class PipelineExecution:
    """The state of one run: step statuses, output references and in-memory values."""

    def __init__(
        self,
        composed: ComposedPipeline,
        config: Any,
        *,
        enable_cache: bool | None = None,
        orchestrator: str = "local",
        params: dict[str, Any] | None = None,
    ) -> None:
        self.composed = composed
        self.config = config
        self.hook = config.hook
        self.artifact_store = config.artifact_store
        self.metadata_store = config.metadata_store
        self.cache = config.cache
        #: No plugin makes a cache (``-p no:cache``, or a store plugin without one): every
        #: lookup misses, which a step's reason says instead of a change.
        self._no_cache_reason = (
            None
            if type(self.cache) is not NullCache
            else "cache miss: no cache plugin is loaded (-p no:cache)"
            if config.pluginmanager.is_blocked("cache")
            else "cache miss: no plugin provides a cache for this store"
        )
        self.materializers = config.materializers
        #: The session's verbosity (``-v``: 1), given to each step: how much a failing assert explains.
        self._verbosity = int(config.getoption("verbose", 0) or 0)
        #: How a failing assert is explained: the options, and the hooks of the item's conftests.
        item_path = (composed.item_id or "").split("::")[0]
        self._assertion = assertion_settings(
            config, (Path(config.rootpath) / item_path).parent if item_path else None
        )
        self.run_override = enable_cache
        self.order = composed.order()
        self.invocations = composed.invocations
        self.upstream = {i: sorted(inv.upstream_ids()) for i, inv in self.invocations.items()}
        self.run = PipelineRun(
            name=new_run_name(composed.name),
            pipeline_name=composed.name,
            item_id=composed.item_id,
            orchestrator=orchestrator,
            enable_cache=self._pipeline_cache_enabled(),
            graph=self.upstream,
            artifact_store=self.artifact_store.url,
            params={**(params or {}), **composed.overrides},
            config_params={
                f"{step_id}.{name}": value
                for step_id, invocation in composed.invocations.items()
                if isinstance(invocation.config_data, dict)
                for name, value in flatten(invocation.config_data).items()
            },
            overrides=list(composed.overrides),
        )
        #: The run's step records (``run.steps``, without its property's call at each use).
        self._step_runs: dict[str, StepRun] = {}
        self.run._steps = self._step_runs
        # Records carry their item: under -n the lines of items running together interleave.
        self.log = logging.LoggerAdapter(logger, {"zenrun_item": composed.item_id})
        #: Whether the per-step lines are logged: asked again at each batch of lookups and
        #: after each step that ran (its code may configure logging), not for each line.
        self._info = logger.isEnabledFor(logging.INFO)
        self._tell = False  # the run's own lines are logged (set at start)
        self.refs: dict[tuple[str, str], ArtifactRef] = {}
        self.values: dict[tuple[str, str], Any] = {}
        self._consumers = dict.fromkeys(self.invocations, 0)
        for step_id in self.invocations:
            for upstream in self.upstream[step_id]:
                self._consumers[upstream] += 1
        self._flush_lock = threading.Lock()
        #: The steps started whose running record no flush has taken yet (see _hand_running):
        #: a step that ends before the next flush is recorded once, as it ended.
        self._running: dict[str, StepRun] = {}
        #: Held while a started step is finished (its record changed): a flush takes the
        #: running records under it, so never one half-way through its change.
        self._running_lock = threading.Lock()
        self.flush_error: Exception | None = None
        self._sync = self.artifact_store.sync
        #: A store whose artifacts commit while the run ends and the cache writes its rows
        #: (the local one: see flush).
        self._begin_sync: Callable[..., Callable[[], None]] | None = getattr(
            self.artifact_store, "begin_sync", None
        )
        #: Whether the cache index may be flushed inside the step records' flush (see flush).
        self._flushes_apart = getattr(self.metadata_store, "flushes_apart", False) is True and (
            getattr(self.cache, "flushes_apart", False) is True
        )
        self._force_miss: set[str] = set()
        self._released: set[str] = set()
        #: What the step functions' code read of module-level names and class attributes as
        #: the item's fixtures left them, when items run together (see keep_fixture_state).
        self._fixture_state: dict[int, list[tuple[Any, str, Any]]] | None = None
        self._items_state: FixtureStates | None = None
        # Made right after the item's fixtures ran: what they set in the environment must
        # reach its steps in worker processes too, not what the next item's fixtures set.
        startup = getattr(config, "startup_environ", None)
        self.environ_changes: dict[str, str | None] | None = None
        encoded = getattr(config, "startup_environ_data", None)
        if startup is not None and not (
            encoded is not None and getattr(os.environ, "_data", None) == encoded
        ):
            # (one comparison in C when nothing changed: the variables decoded only otherwise)
            changes: dict[str, str | None] = {k: v for k, v in os.environ.items() if startup.get(k) != v}
            changes.update({k: None for k in startup if k not in os.environ})
            changes.pop(CURRENT_TEST_VAR, None)  # the session's, not the item's fixtures'
            self.environ_changes = changes or None
        # Taken at the same moment: the random generators as the item's fixtures seeded them,
        # which each of its steps starts from, wherever it runs (zenrun.randomstate).
        startup_random = getattr(config, "startup_random", None)
        self.random_states = randomstate.changed(startup_random)
        #: Whether a step's seeding of numpy's global generator is still to be looked for:
        #: not when the item's fixtures seeded it (each step starts from their state).
        self._watch_numpy_seed = not randomstate.numpy_seeded()
        self.random_digest = randomstate.cache_digest(self.random_states, startup_random)
        # Fingerprints reflect code and values as they are in this run, each function once.
        self.fingerprints = Fingerprinter(self.materializers, rootdir=config.rootpath)
        # What steps read: checked at lookup, recorded where they run (zenrun.datacheck).
        self.data = DataPolicy(config, self.artifact_store)
        self._data_known: dict[str, Any] = {}
        self._store_id: str | None = None
        #: A cache entry computed under other package versions is a miss (``cache_check_versions``).
        self.check_versions = _ini_flag(config, "cache_check_versions", True)
        self._ranks: dict[str, tuple[Any, list[Any]]] | None = None
        self._ahead_tags: dict[str, list[str]] = {}  # name:version of those ahead of each materializer
        #: The part of a cache entry's output that its materializer decides (see _cache_entry).
        self._entry_tails: dict[str, dict[str, Any]] = {}
        # What an output of a cache entry records of where and how it was stored, for each
        # combination found fit to serve this run: the outputs of one step function share one.
        self._fit_outputs: list[tuple[Any, ...]] = []
        # The key text of each step function's steps around what differs between them (see _step_key).
        # ... and of their records' text (one pair per step function: see _key).
        self._key_templates: dict[int, tuple[tuple[Any, ...], Any]] = {}
        self._qualified_names: dict[int, tuple[Any, str]] = {}
        #: What each step function's cache entries record of the environment (see _cache_entry).
        self._environments: dict[tuple[int, tuple[str, ...]], tuple[Any, dict[str, Any]]] = {}
        # Batched lookups of a rerun (see _prefetch): keys computed ahead, the hits found.
        self._keys: dict[str, _StepKey] = {}
        self._hits: dict[str, dict[str, dict[str, Any]]] = {}
        self._hit_metadata: dict[str, dict[str, Any] | None] = {}
        self._verified: dict[str, bool] = {}  # the hits' artifacts checked in the same batch
        self._window = 1
        self._position: dict[str, int] | None = None
        #: How many of a step's upstream steps (in order) an earlier batch found done.
        self._known_upstream: dict[str, int] = {}
        # A large item's replay record (zenrun.replay): the cache's mark taken at start, and
        # for each step served or computed so far, its outputs as the record keeps them
        # (None once a step is one the record cannot vouch for).
        self._replay_mark: Any = None
        self._replay_outputs: dict[str, dict[str, list[Any]]] | None = None
        self._replay_storages: list[tuple[Any, ...]] = []
        self._replayed = False

        models = settings_models(config)
        # The defaults of the models, validated once: the steps setting nothing share them.
        defaults = validate_settings({}, models, f"pipeline {composed.name!r}") if models else {}
        # Models given by path: their defaults are built when a hook first reads them.
        pending = {ns: model for ns, model in models.items() if isinstance(model, str)}
        settings_of: Callable[[dict[str, Any]], dict[str, Any]] = (
            step_settings_kind(pending) if pending else dict
        )
        self.step_settings = {  # validated before any step starts: a bad value runs nothing
            i: settings_of(
                validate_settings(inv.settings, models, f"pipeline {composed.name!r}, step {i!r}")
                if inv.settings
                else defaults
            )
            for i, inv in self.invocations.items()
        }
        impls = [
            (impl.plugin_name, impl.function)
            for impl in self.hook.zenrun_step_call.get_hookimpls()
            if impl.plugin_name != "runner"
        ]
        monitored = getattr(config.pluginmanager, "monitors", 0) > 0  # every hook call is seen
        self.step_call_hooks = (
            StepCallHooks(self.hook.zenrun_step_call, impls) if impls or monitored else None
        )
        # The per-step hooks nothing implements are not called: a pluggy call costs several
        # microseconds, a tenth of a cached step (the plugins are registered before a run).
        self._step_start_hook = _implemented(self.hook.zenrun_step_start, monitored)
        self._step_finish_hook = _implemented(self.hook.zenrun_step_finish, monitored)

    # -- caching policy --------------------------------------------------------------
    def _pipeline_cache_enabled(self) -> bool:
        if self.run_override is not None:
            return self.run_override
        return self.composed.enable_cache is not False

    def _cache_allowed(self) -> bool:
        """What the run override, then the pipeline decorator, allow the steps."""
        if self.run_override is False:
            return False
        return not (self.composed.enable_cache is False and self.run_override is None)

    def step_cache_enabled(self, step_id: str) -> bool:
        """Run override, then pipeline decorator, then run config / ``.configure``, then ``@step``."""
        return self._cache_allowed() and _invocation_caches(self.invocations[step_id])

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        run = self.run
        self._info = logger.isEnabledFor(logging.INFO)
        run.started = time.time()
        # A body that calls no step (a test doing only its own checks) runs nothing to tell of.
        self._tell = self._info and bool(self.invocations)
        if self._tell:
            self.log.info("Creating run for pipeline: %s", run.pipeline_name)
            # As the seed: the pipeline's own setting, the orchestrator, then a run's override.
            state = "disabled" if self.composed.enable_cache is False else "enabled"
            self.log.info("Cache %s for pipeline %s", state, run.pipeline_name)
            # The seed's "Using stack default to run pipeline ..." line, in zenrun's words.
            self.log.info("Using orchestrator %s to run pipeline %s...", run.orchestrator, run.pipeline_name)
            if self.run_override is False:
                self.log.info(OVERRIDE_MESSAGE)
        if self._store_id is None and isinstance(getattr(self.artifact_store, "root", None), Path):
            # A local store is named (its id file made) before this run writes to it: an
            # artifact there without the file means the file was lost (zenrun.cache says so).
            self._store_id = store_identity(self.artifact_store)
        checkpoint = self.artifact_store.checkpoint()
        if checkpoint is not None:  # a write lost by this run fails this run only
            self._sync = functools.partial(self.artifact_store.sync, since=checkpoint)  # type: ignore[call-arg]
            if self._begin_sync is not None:
                self._begin_sync = functools.partial(self._begin_sync, since=checkpoint)
        self.metadata_store.create_run(run)
        mark = getattr(self.cache, "replay_mark", None)
        if mark is not None and len(self.order) >= REPLAY_MIN_STEPS:
            try:
                self._replay_mark = mark()
            except Exception as exc:  # (a cache it cannot write): no replay, step by step
                self.log.debug("No replay record for run %s: %s: %s", run.name, type(exc).__name__, exc)
            if self._replay_mark is not None:
                self._replay_outputs = {}
        _flusher.add(self)
        self.hook.zenrun_pipeline_run_start(run=run)

    def finish(self, interrupted: BaseException | None = None) -> PipelineRun:
        run = self.run
        # The artifacts' commit (an fsync) starts now: it runs under the run's last
        # bookkeeping and the cache index's rows (see flush).
        sync_begun = self._begin_sync() if self._begin_sync is not None else None
        with self._running_lock:
            self._running.clear()  # each is recorded here, as it ended
            for step_run in list(run.steps.values()):  # cut short by an interrupt: failed, not running
                if step_run.status == RUNNING:
                    step_run.status, step_run.finished = FAILED, time.time()
                    step_run.error = f"interrupted: {type(interrupted or RuntimeError()).__name__}"
                    self.metadata_store.record_step(run, step_run)
        steps = run.steps
        unreached = [step_id for step_id in self.order if step_id not in steps]
        abandoned = None
        if unreached and interrupted is None:  # the orchestrator returned with steps never started
            more = f" and {len(unreached) - 5} more" if len(unreached) > 5 else ""
            abandoned = (
                f"orchestrator {run.orchestrator!r} returned without running step(s) "
                f"{', '.join(unreached[:5])}{more}"
            )
        for step_id in unreached:  # anything not reached (interrupt, -x) is skipped
            reason = "the run was interrupted" if interrupted else None
            self.skip(step_id, reason=f"not run: {abandoned}" if abandoned else reason)
        if abandoned is not None:  # a plugin's fault: never a pipeline that passes without its steps
            run.error = f"{abandoned}: its run(execution) must finish every step"
            if run.internal_error is None:
                run.internal_error = abandoned
        statuses = collections.Counter([s.status for s in run.steps.values()])
        failed = interrupted is not None or statuses[FAILED] > 0 or abandoned is not None
        run.status = FAILED if failed else PRUNED if statuses[PRUNED] else COMPLETED
        run.finished = time.time()
        run.n_steps = len(run.steps)
        run.n_cached = statuses[CACHED]
        run.metrics = compute_metrics(run)
        self._stop_flusher(sync_begun)
        if self.flush_error is not None:
            self._fail_unstored(run)
        try:
            self.metadata_store.finish_run(run)
        except UsageError:  # a damaged store: the session stops, as below
            raise
        except Exception as exc:  # a full disk, as in flush: this run fails, not the session
            self._store_error(exc)
            self._fail_unstored(run)
        if isinstance(self.flush_error, UsageError):  # e.g. a damaged store: the session stops
            raise self.flush_error
        self._record_replay()
        self.hook.zenrun_pipeline_run_finish(run=run)
        if self._tell:
            self.log.info("Pipeline run %s has finished in %.3fs.", run.name, run.duration)
        return run

    # -- item replay (zenrun.replay) ---------------------------------------------------
    @property
    def _replay_item(self) -> str:
        return f"{self.run.pipeline_name}\x00{self.run.item_id or ''}"

    def _note_replay(self, step_id: str, entry: dict[str, dict[str, Any]]) -> None:
        """Keep what the replay record holds of ``step_id``'s cache entry; a step that read
        files or URLs, or whose outputs' pickles name project code, ends the record."""
        data = entry.get(DATA_KEY)
        if self._replay_outputs is None or (isinstance(data, dict) and len(data) > 2):
            self._replay_outputs = None  # ("v" and "at" only: nothing read)
            return
        storages, outputs = self._replay_storages, {}
        for name, output in entry.items():
            if name == DATA_KEY:
                continue
            if "uses" in output:
                self._replay_outputs = None
                return
            storage = _storage(output)
            if storage not in storages:  # (the outputs of one step function share one)
                storages.append(storage)
            outputs[name] = [
                output["digest"],
                output["size"],
                output["materializer"],
                output["type"],
                output.get("preview"),
            ]
        self._replay_outputs[step_id] = outputs

    def _record_replay(self) -> None:
        """Record this run for the item's next fully cached rerun, if every step of it was
        served or computed as the record can vouch for (see :mod:`zenrun.replay`)."""
        outputs, run = self._replay_outputs, self.run
        if outputs is None or self._replayed or run.status != COMPLETED or self.flush_error is not None:
            return
        if len(outputs) != len(self.order) or len(run.steps) != len(self.order):
            return
        steps = {}
        for step_id, step_run in run.steps.items():
            if step_run.status not in (COMPLETED, CACHED) or step_run.cache_key is None:
                return
            steps[step_id] = [step_run.cache_key, outputs[step_id], step_run.metadata or None]
        record = {
            "run": run.id,
            "run_name": run.name,
            "storages": [list(storage) for storage in self._replay_storages],
            "steps": steps,
        }
        try:
            self.cache.record_replay(
                self._replay_item, [s[0] for s in steps.values()], record, self._replay_mark
            )
        except Exception as exc:  # an optimisation lost: the next rerun goes step by step
            self.log.warning("Could not record run %s for replay: %s: %s", run.name, type(exc).__name__, exc)

    def _storage_fits(self, storage: Any) -> bool:
        """Whether outputs stored as ``storage`` (a cache entry's output but its digest, see
        ``_storage``) can serve this run without a look at their values: the usual case
        of :meth:`_entry_mismatch`, for the outputs of a replay record."""
        if not isinstance(storage, list) or len(storage) != 5 or not isinstance(storage[1], str):
            return False
        output = dict(
            zip(("store", "materializer", "materializer_version", "ahead", "env"), storage, strict=True)
        )
        return self._storage_mismatch("output", output) is None and output["ahead"] == self._ahead(storage[1])

    def _storage_mismatch(self, name: str, output: dict[str, Any]) -> str | None:
        """Why output ``name`` of a cache entry, stored as it says, cannot serve this run
        (another artifact store, other package versions, its materializer gone or of
        another version), or None; which materializers are ahead of it is not looked at."""
        if output.get("store") != self.store_id:
            return "the cached outputs are in another artifact store"
        chosen = output.get("materializer")
        if self.check_versions:
            other = environment_mismatch(output.get("env"), str(chosen))
            if other is not None:
                return other
        ranks = self._materializer_ranks()
        if chosen not in ranks:
            return f"materializer {chosen!r} of output {name} is not registered"
        version = str(ranks[chosen][0].version)
        if output.get("materializer_version") != version:
            return (
                f"materializer {chosen} of output {name} changed version "
                f"({output.get('materializer_version')!r} -> {version!r})"
            )
        return None

    def _ahead(self, chosen: str) -> list[str]:
        """``name:version`` of the materializers tried before ``chosen`` (registered), once a run."""
        tags = self._ahead_tags.get(chosen)
        if tags is None:
            tags = self._ahead_tags[chosen] = [
                f"{m.name}:{m.version}" for m in self._materializer_ranks()[chosen][1]
            ]
        return tags

    def replay(self) -> bool:
        """Serve every step of this run from the item's replay record, if it may (see
        :mod:`zenrun.replay`): each step is then recorded as a cache hit, as a rerun
        step by step would, and nothing is left for the orchestrator. False, with
        nothing done, when it may not: the run goes step by step."""
        if self._replay_mark is None or self._force_miss:
            return False
        if not self._every_step_cached_for_good():
            return False
        with heap.bookkeeping():  # no step runs: the collector would walk only what it keeps
            return self._replay_record()

    def _replay_record(self) -> bool:
        """:meth:`replay` once every step may be served: from the item's record, if found
        and if every key computed now is the recorded one."""
        try:
            record = self.cache.replay(self._replay_item)
        except Exception as exc:  # the record is an optimisation: step by step says what is wrong
            self.log.debug("No replay of run %s: %s: %s", self.run.name, type(exc).__name__, exc)
            return False
        if record is None:
            return False
        # The store copies the recorded run's step records (SQLite: without the GIL) while
        # this thread checks the keys and artifacts, and commits them only if they hold.
        now, decided, verdict = time.time(), threading.Event(), [False]
        copier = self._start_copy(record, now, decided, verdict)
        served = None
        try:
            served = self._replay_keys(record)
        except Exception as exc:  # a damaged record, a store out of reach: step by step says it
            self.log.debug("No replay of run %s: %s: %s", self.run.name, type(exc).__name__, exc)
        finally:
            verdict[0] = served is not None
            decided.set()
        if served is None:
            self.refs.clear()
            if copier is not None:
                copier[0].join()
            return False
        self._replay_steps(record, served, now, copier)
        return True

    def _every_step_cached_for_good(self) -> bool:
        """Whether every step has its cache on (:meth:`step_cache_enabled`) and no expiry
        (``DataPolicy.expires``): what a replay needs, asked of all steps in one pass."""
        if not self._cache_allowed() or self.data.default_expires is not None:
            return False
        for invocation in self.invocations.values():
            if not _invocation_caches(invocation) or own_expiry(invocation) is not None:
                return False
        return True

    def _start_copy(
        self, record: dict[str, Any], now: float, decided: threading.Event, verdict: list[bool]
    ) -> tuple[threading.Thread, list[Any]] | None:
        """Start copying the recorded run's step records into this run, committed once
        ``decided`` is set if ``verdict[0]``; the thread and its outcome (None: the
        metadata store cannot copy records)."""
        copy = getattr(self.metadata_store, "copy_cached_steps", None)
        if copy is None:
            return None
        run = self.run
        outcome: list[Any] = []
        source = (record.get("run"), record.get("run_name"))

        def proceed() -> bool:
            decided.wait()
            return verdict[0]

        def copy_records() -> None:
            try:
                outcome.append(copy(run, source, self.order, now, proceed))
            except Exception as exc:  # said in the run's thread, by _replay_steps
                outcome.append(exc)

        thread = background_thread(copy_records, name="zenrun-replay-records")
        thread.start()
        return thread, outcome

    def _replay_keys(self, record: dict[str, Any]) -> dict[str, tuple[_StepKey, Any, Any]] | None:
        """Each step's key, output refs and logged metadata, if every key computed now is the
        recorded one and every output still fits this run and is in the artifact store."""
        steps, storages = record["steps"], record["storages"]
        if len(steps) != len(self.order) or not all(self._storage_fits(s) for s in storages):
            return None
        refs, served, invocations, step_key = self.refs, {}, self.invocations, self._step_key
        for step_id in self.order:
            key, outputs, metadata = steps[step_id]
            made = {}
            for name, (digest, size, materializer, type_name, preview) in outputs.items():
                if not (type(digest) is type(materializer) is type(type_name) is str and type(size) is int):
                    return None
                made[name] = refs[(step_id, name)] = ArtifactRef(
                    digest, size, materializer, type_name, preview
                )
            keyed = step_key(invocations[step_id])  # from its inputs' refs just set
            if keyed.key is None or keyed.key != key or not (metadata is None or type(metadata) is dict):
                return None
            served[step_id] = (keyed, made, metadata)
        artifacts = [(ref.digest, ref.size) for ref in refs.values()]
        verify_many = getattr(self.artifact_store, "verify_many", None)
        if verify_many is not None:
            verified = verify_many(artifacts)
            sound = all(verified.get(digest) for digest, _ in artifacts)
        else:
            verify = getattr(self.artifact_store, "verify", self.artifact_store.exists)
            sound = all(verify(digest, size) for digest, size in artifacts)
        return served if sound else None  # (step by step then says which is broken)

    def _replay_steps(
        self,
        record: dict[str, Any],
        served: dict[str, tuple[_StepKey, Any, Any]],
        now: float,
        copier: tuple[threading.Thread, list[Any]] | None,
    ) -> None:
        """Record each step as the cache hit :meth:`prepare` would have made of it."""
        run, info = self.run, self._info
        start_hook, finish_hook = self._step_start_hook, self._step_finish_hook
        invocations, upstream, lineage = self.invocations, self.upstream, self._lineage
        self._replayed = True
        if self._tell:
            self.log.info("Replaying run %s: every step of it is cached.", record.get("run_name"))
        steps, settings = run.steps, self.step_settings
        run_name, pipeline_name = run.name, run.pipeline_name
        for step_id in self.order:
            keyed, outputs, metadata = served[step_id]
            invocation = invocations[step_id]
            parts = keyed.parts
            parts["data"] = []  # what it read: nothing (describe() of an empty record)
            # (positional, in the order of StepRun's fields: a hundred thousand of them)
            step_run = StepRun(
                step_id,
                invocation.step.name,
                CACHED,
                invocation.config_data,
                keyed.key,
                parts,
                now,
                now,
                None,
                outputs,
                lineage(invocation),
                upstream[step_id],
                run_name,
                pipeline_name,
                "cache hit",
                dict(metadata) if metadata else {},
                {},
                {},
                settings[step_id],
            )
            steps[step_id] = step_run
            if info:
                self.log.info("Step %s has started.", step_id)
                self.log.info("Using cached version of %s.", step_id)
                self.log.info("Step %s has finished in %.3fs.", step_id, 0.0)
            if start_hook is not None:
                step_run.status = RUNNING
                start_hook(step_run=step_run)
                step_run.status = CACHED
            if finish_hook is not None:
                finish_hook(step_run=step_run)
        self._released.update(self.order)
        outcome: list[Any] = []
        if copier is not None:
            copier[0].join()
            outcome = copier[1]
        if outcome and isinstance(outcome[0], Exception):  # e.g. a full disk: as a flush's error
            self._store_error(outcome[0])
        elif not outcome or not outcome[0]:  # (the recorded run is gone, or another store's)
            for step_run in run.steps.values():
                self.metadata_store.record_step(run, step_run)

    def flush(self, sync_begun: Callable[[], None] | None = None) -> None:
        """Commit the buffered records, each only after the artifacts it points at are durable
        (``sync_begun``: what finishes making them durable, begun by the caller)."""
        self._hand_running()
        with self._flush_lock:
            if sync_begun is None:  # begun now: the artifacts commit while the stores write rows
                sync_begun = self._begin_sync() if self._begin_sync is not None else self._sync
            durable = _Once(sync_begun)
            # The cache index commits first: should the process die before the step records
            # commit, its entries are what the next run reuses.
            if self._flushes_apart:
                self._flush_records_around_cache(durable)
            else:
                self._flush_store(self.cache, durable)
                self._flush_store(self.metadata_store, durable)

    def _flush_records_around_cache(self, durable: _Once) -> None:
        """The step records' rows written first, while the artifacts commit (an fsync on the
        artifact store's thread), then, as their ``before_commit``, the cache index flushed
        (by then its wait for the artifacts is over), then the records committed: two
        stores that say they flush apart (``flushes_apart``), each with its own file."""
        cache_flushed = False

        def cache_then_durable() -> None:
            nonlocal cache_flushed
            cache_flushed = True
            self._flush_store(self.cache, durable)
            durable()  # (done by now) raises when the artifacts are not durable: no record

        self._flush_store(self.metadata_store, cache_then_durable)
        if not cache_flushed:  # no record to write, or the store failed before its rows
            self._flush_store(self.cache, durable)

    def _flush_store(self, store: Any, before_commit: Callable[[], None]) -> None:
        try:
            store.flush(before_commit=before_commit)
        except Exception as exc:  # e.g. a full disk: the store drops those records
            self._store_error(exc)

    def _hand_running(self) -> None:
        """Give the store the record of each step started since the last flush and still
        running, as it is now, for this flush to commit (a viewer sees it running).

        A step is not recorded as it starts: most end before the next flush, whose commit
        then holds only their final record (a record the store would have copied when they
        started, and dropped unwritten). What each commit holds is as before.
        """
        if not self._running:
            return
        with self._running_lock:
            running, self._running = self._running, {}
            for step_run in running.values():
                self.metadata_store.record_step(self.run, step_run)

    def _store_error(self, exc: Exception) -> None:
        """Keep (and log) the first error storing this run's artifacts or records."""
        if self.flush_error is None:
            self.flush_error = exc
            self.log.error(
                "Could not store the artifacts or records of run %s: %s: %s",
                self.run.name,
                type(exc).__name__,
                exc,
            )

    def _fail_unstored(self, run: PipelineRun) -> None:
        run.status = FAILED
        run.error = (
            f"the artifacts or records of this run could not be stored: "
            f"{type(self.flush_error).__name__}: {self.flush_error}"
        )

    def _stop_flusher(self, sync_begun: Callable[[], None] | None = None) -> None:
        _flusher.remove(self)
        self.flush(sync_begun)

    # -- per step ---------------------------------------------------------------------
    def status(self, step_id: str) -> str | None:
        step = self._step_runs.get(step_id)
        return step.status if step else None

    def blocked(self, step_id: str) -> str | None:
        """The id of a failed or skipped upstream step, if any."""
        steps = self._step_runs
        for upstream in self.upstream[step_id]:
            step = steps.get(upstream)  # (status(), inlined: once per input of every step)
            if step is not None and step.status in (FAILED, SKIPPED, PRUNED):
                return upstream
        return None

    def skip(self, step_id: str, reason: str | None = None) -> None:
        invocation = self.invocations[step_id]
        if reason is None:
            upstream = self.blocked(step_id)
            reason = f"upstream step {upstream} {self.status(upstream)}" if upstream else "not run"
        now = time.time()
        step_run = StepRun(
            step_id,
            invocation.step.name,
            SKIPPED,
            started=now,
            finished=now,
            upstream=self.upstream[step_id],
            run_name=self.run.name,
            pipeline_name=self.run.pipeline_name,
            error=None,
            cache_reason=reason,
        )
        self.run.steps[step_id] = step_run
        self.log.info("Step %s was skipped: %s.", step_id, reason)
        self.metadata_store.record_step(self.run, step_run)
        if self._step_finish_hook is not None:
            self._step_finish_hook(step_run=step_run)

    def _input_digests(self, invocation: Any) -> tuple[dict[str, Any], str | None]:
        """The inputs' content hashes for the key, and why one has none (the inputs of plain
        artifacts, the usual case, are read by :meth:`_key_inputs` without this).

        An artifact whose pickle names project functions or classes (a
        ``FunctionTransformer(my_fn)``, a project model) behaves as their code
        is now: that code's fingerprint is part of its digest here.
        """
        digests: dict[str, Any] = {}
        errors: list[str] = []

        def digest(name: str, handle: OutputHandle) -> str:
            ref = self.refs[(handle.step_id, handle.name)]
            if not ref.uses:
                return ref.digest
            found = self.fingerprints.references_fingerprint(ref.uses)
            if found.digest is None:
                errors.append(f"input {name}: {found.error}")
            return f"{ref.digest}+code:{found.digest}"

        for name, value in invocation.inputs.items():
            if isinstance(value, OutputHandle):
                digests[name] = digest(name, value)
            elif isinstance(value, list) and value and isinstance(value[0], OutputHandle):
                digests[name] = [digest(name, h) for h in value]
        return digests, errors[0] if errors else None

    def _code_fingerprint(self, invocation: Any) -> CodeFingerprint:
        """The step's code, with its config class's (methods, bases, private attributes)."""
        fingerprint = self.fingerprints.fingerprint(invocation.step.fn)
        config_class = invocation.step.config_class
        if config_class is None or invocation.config is None:
            return fingerprint
        found = self.fingerprints.config_fingerprint(config_class, invocation.config)
        digest = (
            None
            if fingerprint.digest is None or found.digest is None
            else sha256(f"{fingerprint.digest}+config:{found.digest}")
        )
        deps = {**{f"config {k}": v for k, v in found.deps.items()}, **fingerprint.deps}
        return CodeFingerprint(digest, deps, fingerprint.error or found.error, fingerprint.values)

    def _literals(self, invocation: Any) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """The literal inputs, their canonical form for the key, and why one has none."""
        literals, canonical, error = {}, {}, None
        for name, value in invocation.inputs.items():
            if isinstance(value, OutputHandle) or (
                isinstance(value, list) and value and isinstance(value[0], OutputHandle)
            ):
                continue
            literals[name] = value
            try:
                canonical[name] = canonical_json(value, ordered=True)
            except CanonicalJSONError:  # by content, functions by their code: as globals are
                found = self.fingerprints.value_fingerprint(value, f"parameter {name}")
                canonical[name] = f"{FINGERPRINTED}{found.digest}"
                error = error or found.error
        return literals, canonical, error

    def _key_inputs(
        self, invocation: Any
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str | None, str | None]:
        """:meth:`_literals` and :meth:`_input_digests` in one pass over the inputs (once per
        step of every run): the literals, their canonical form, the inputs' digests, and why a
        literal or an input has none."""
        literals: dict[str, Any] = {}
        canonical: dict[str, Any] = {}
        digests: dict[str, Any] = {}
        refs = self.refs
        for name, value in invocation.inputs.items():
            if isinstance(value, OutputHandle):
                ref = refs[(value.step_id, value.name)]
                if ref.uses:
                    break
                digests[name] = ref.digest
            elif isinstance(value, list) and value and isinstance(value[0], OutputHandle):
                found = [refs[(h.step_id, h.name)] for h in value]
                if any(ref.uses for ref in found):
                    break
                digests[name] = [ref.digest for ref in found]
            else:
                literals[name] = value
                try:
                    canonical[name] = canonical_json(value, ordered=True)
                except CanonicalJSONError:
                    break  # the two passes below say why
        else:
            return literals, canonical, digests, None, None
        # An input whose pickle names project code, or a literal without a JSON form.
        literals, canonical, literal_error = self._literals(invocation)
        digests, input_error = self._input_digests(invocation)
        return literals, canonical, digests, literal_error, input_error

    def _step_key(self, invocation: Any) -> _StepKey:
        """The step's literal inputs, code fingerprint, key parts and cache key (None, with
        why, when some dependency has no content form: never cached, never recorded)."""
        literals, canonical_literals, input_digests, literal_error, input_error = self._key_inputs(invocation)
        fingerprint = self._code_fingerprint(invocation)
        uncacheable = fingerprint.error or literal_error or input_error
        parts = key_parts(
            invocation.step,
            invocation.config,
            canonical_literals,
            input_digests,
            fingerprint=fingerprint,
            config_data=invocation.config_data,
            config_exact=invocation.config_exact,
            qualified=self._qualified_name(invocation.step.fn),
        )
        if self.random_digest:  # the seeded generators' state is an input of every step of the item
            parts["random"] = self.random_digest
        if sys.flags.optimize:  # python -O strips asserts: other code, never the plain run's result
            parts["optimize"] = sys.flags.optimize
        if uncacheable is not None:
            return _StepKey(literals, fingerprint, parts, None, uncacheable)
        key, parts_text = self._key(invocation.step, parts)
        return _StepKey(literals, fingerprint, parts, key, None, parts_text)

    def _qualified_name(self, fn: Any) -> str:
        """The step function's part ``step`` of its keys, once per function and run."""
        known = self._qualified_names.get(id(fn))
        if known is None or known[0] is not fn:
            known = self._qualified_names[id(fn)] = (fn, qualified_name(fn))
        return known[1]

    def _key(self, step: Any, parts: dict[str, Any]) -> tuple[str, PartsText | None]:
        """:func:`cache_key` of ``parts``: of the text of the parts that the steps of one step
        function share (all but config, literals and inputs), made once per run; and the
        template of the text of their records (:class:`PartsText`), made with it."""
        if "config_exact" in parts:  # a config its JSON form does not say whole: the whole key
            return cache_key(parts), None
        shared = (step, step.fn, step.name, step.cache_version, tuple(step.output_names), parts["code"])
        known = self._key_templates.get(id(step))
        if known is None or known[0] != shared:
            # Its first step: no templates yet, whose making encodes the parts twice more (a
            # gather's thousands of inputs; a function called once never needs them).
            self._key_templates[id(step)] = (shared, _NO_TEMPLATE_YET)
            return cache_key(parts), None
        templates = known[1]
        if templates is _NO_TEMPLATE_YET:
            templates = (KeyTemplate.make(parts), PartsText.make(parts))
            self._key_templates[id(step)] = (shared, templates)
        template, parts_text = templates
        return (cache_key(parts) if template is None else template.key(parts)), parts_text

    def _prefetch(self, step_id: str) -> None:
        """Look ``step_id`` up together with the next steps whose inputs are known, while
        lookups keep hitting: a rerun asks the cache and the metadata store once per batch,
        not once per step. The batch doubles with each hit and is one step (a plain
        lookup) after a miss, so a cold run asks once per step as before. Only hits are
        kept: a step found missing is looked up again when it starts."""
        self._info = logger.isEnabledFor(logging.INFO)
        if self._window <= 1:
            return
        if self._position is None:
            self._position = {sid: index for index, sid in enumerate(self.order)}
        order, steps, done = self.order, self.run.steps, (COMPLETED, CACHED)
        status = steps.get
        batch = [step_id]
        blocked = 0  # steps passed over because an input is not known yet: bounded, not O(n) each
        index = self._position.get(step_id, len(order)) + 1
        while len(batch) < self._window and blocked < PREFETCH_BLOCKED and index < len(order):
            candidate = order[index]
            index += 1
            if candidate in steps or candidate in self._keys or candidate in self._force_miss:
                continue
            # Its inputs known: every upstream step done. Scanned on from where the last batch
            # found one not done (a gather of n steps is asked about by every batch: a scan
            # from its start each time made a rerun of n steps O(n^2 / PREFETCH_MAX)).
            upstream = self.upstream[candidate]
            known = self._known_upstream.get(candidate, 0)
            while known < len(upstream) and (s := status(upstream[known])) is not None and s.status in done:
                known += 1
            if known == len(upstream):
                if self.step_cache_enabled(candidate):
                    batch.append(candidate)
            else:
                self._known_upstream[candidate] = known
                blocked += 1
        keyed = {sid: self._step_key(self.invocations[sid]) for sid in batch}
        self._keys.update(keyed)
        keys = [k.key for k in keyed.values() if k.key is not None]
        found = self.cache.lookup_many(keys) if keys else {}
        self._hits.update(found)
        metadata = self.metadata_store.logged_metadata_many(list(found)) if found else {}
        self._hit_metadata.update({key: metadata.get(key) for key in found})
        verify_many = getattr(self.artifact_store, "verify_many", None)
        if verify_many is not None and found:  # a local store's inline pack: one query per batch
            refs = [(o["digest"], o["size"]) for e in found.values() for n, o in e.items() if n != DATA_KEY]
            self._verified = verify_many(refs)

    def _forget_prefetched(self) -> None:
        """Drop the keys computed ahead: a step runs, which may change what they depend on
        (a module constant its code sets), so each is computed again when its step starts."""
        if self._keys or self._hits or self._verified:
            self._keys.clear()
            self._hits.clear()
            self._hit_metadata.clear()
            self._verified.clear()

    def keep_fixture_state(self, items: FixtureStates) -> None:
        """Note, right after the item's fixtures ran, the module-level names and class
        attributes its steps' code reads, as they are bound now, in ``items`` (the session's,
        shared by the items set up together). Items set up together (``-n``, Dask) share the
        driver's modules: a name the items' fixtures bind to different values (a parametrized
        fixture's ``monkeypatch.setattr(helpers, "F", request.param)``) is bound to the last
        one's (or, once another item's fixtures are torn down, to what they put back). A step
        of this item reading such a name bound anew since fails, naming it, instead of being
        keyed and run with another item's value. Names no fixture varies (one a step of the
        item binds anew for the next, as a local run allows) are not checked."""
        self._items_state = items
        state: dict[int, list[tuple[Any, str, Any]]] = {}
        for invocation in self.invocations.values():
            fn = invocation.step.fn
            if id(fn) not in state:
                state[id(fn)] = bound = self.fingerprints.bound_names(fn)
                items.note(bound)
        self._fixture_state = state

    def _fixture_state_changed(self, step_id: str, invocation: Any) -> str | None:
        """Why ``invocation`` cannot run with this item's fixture state (see
        :meth:`keep_fixture_state`); None when it can."""
        assert self._fixture_state is not None and self._items_state is not None
        varied = self._items_state.varied
        if not varied:
            return None
        bound = [
            b
            for b in self._fixture_state.get(id(invocation.step.fn), ())
            if (_owner_name(b[0]), b[1]) in varied
        ]
        changed = sorted({f"{_owner_name(ns)}.{name}" for ns, name in bound_anew(bound)})
        if not changed:
            return None
        listed = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        return (
            f"step {step_id!r} reads {listed}, which the fixtures of the items running together "
            "(-n, Dask) set to different values: bound anew since this item's fixtures ran, "
            "its value now is not this item's, and neither its cache key nor its result "
            "could be.\n"
            "Pass the value to the step as a config, a parameter or an input, or run these "
            "pipelines one at a time (without -n).\n"
        )

    def prepare(self, step_id: str, *, load: bool = True) -> StepTask | None:
        """Start ``step_id``: a cache hit is recorded and returns None, else the task to run.

        None also when the artifact store could not be read to look the step
        up or load its inputs: the step is then recorded as failed.

        With ``load`` the inputs are loaded here (verifying cached artifacts
        and re-running their producer when one is broken); remote
        orchestrators pass ``load=False`` and let the worker load them.
        """
        invocation = self.invocations[step_id]
        step_run = StepRun(
            step_id,
            invocation.step.name,
            RUNNING,
            invocation.config_data,
            started=time.time(),
            upstream=self.upstream[step_id],
            run_name=self.run.name,
            pipeline_name=self.run.pipeline_name,
            settings=self.step_settings[step_id],
        )
        self._step_runs[step_id] = step_run
        if self._info:
            self.log.info("Step %s has started.", step_id)
        if self._step_start_hook is not None:
            self._step_start_hook(step_run=step_run)

        if self._fixture_state is not None:
            changed = self._fixture_state_changed(step_id, invocation)
            if changed is not None:
                step_run.status, step_run.error = FAILED, changed
                self._finish_step(step_run, {})
                return None
        enabled = self.step_cache_enabled(step_id) and step_id not in self._force_miss
        if enabled and step_id not in self._keys:
            self._prefetch(step_id)
        keyed = self._keys.pop(step_id, None)
        literals, fingerprint, parts, key, uncacheable, parts_text = keyed or self._step_key(invocation)
        step_run.cache_parts = parts
        step_run._parts_text = parts_text
        step_run.cache_key = key
        try:
            if enabled and key is not None and self._try_cache(step_run, key):
                return None
        except ArtifactStoreError as exc:  # the store is out of reach: this step fails
            self._store_failed(step_run, exc)
            return None
        if enabled and key is None:
            step_run.cache_reason = f"cache miss: not cacheable in this run: {uncacheable}"
        elif enabled and self._no_cache_reason is not None:
            step_run.cache_reason = self._no_cache_reason
        elif enabled and step_run.cache_reason is None:
            previous = self._previous_step(step_id)
            step_run.cache_reason = "cache miss: " + explain_miss(
                parts, previous.cache_parts if previous is not None else None
            )
        elif step_id in self._force_miss:
            step_run.cache_reason = "re-run: its stored output could not be read back"
        elif not enabled:
            step_run.cache_reason = "caching disabled"
        if self._info and (self.run.enable_cache or step_run.cache_reason != "caching disabled"):
            # (a logger that drops INFO drops DEBUG: one call less per step)
            self.log.debug("Step %s: %s", step_id, step_run.cache_reason)  # else said once per run
        self._forget_prefetched()  # this step runs: the keys computed ahead were computed before it

        wired: dict[str, Any] = {}
        for name, value in invocation.inputs.items():
            if isinstance(value, OutputHandle):
                wired[name] = self._source(value)
            elif isinstance(value, list) and value and isinstance(value[0], OutputHandle):
                wired[name] = [self._source(h) for h in value]
        for name in wired:
            literals.pop(name, None)
        # Each step gets literals of its own: mutating one cannot reach another step or run.
        literals = {name: private_copy(value) for name, value in literals.items()} if literals else {}
        task = StepTask(
            invocation.step,
            step_id,
            self.run.pipeline_name,
            invocation.config,
            literals,
            wired,
            step_run=step_run,
            hooks=self.step_call_hooks,
            capture=self.config.stash.get("capture"),
            environ=None if load else self.environ_changes,
            random_states=self.random_states,
            code_values=None if load else (fingerprint.values or None),
            rootdir=None if load else str(self.config.rootpath),
            data=self.data.tracking(invocation, *self._data_known.pop(step_id, _NOTHING_KNOWN)),
            verbosity=self._verbosity,
            assertion=self._assertion,
        )
        if load:
            try:
                self.load_inputs(task)
            except ArtifactStoreError as exc:
                self._store_failed(step_run, exc)
                return None
        with self._running_lock:  # recorded running by the next flush (_hand_running)
            self._running[step_id] = step_run
        return task

    def _store_failed(self, step_run: StepRun, exc: ArtifactStoreError) -> None:
        """Fail ``step_run`` because the artifact store could not be read: its one-line message."""
        step_run.status = FAILED
        step_run.error = f"{exc}\n"
        self._finish_step(step_run, {})

    def _source(self, handle: OutputHandle) -> InputSource:
        key = (handle.step_id, handle.name)
        source = InputSource(handle.step_id, handle.name, self.refs[key])
        if key in self.values:
            source.value = self.values[key]
        return source

    def load_inputs(self, task: StepTask, cause: BaseException | None = None) -> None:
        """Load ``task``'s inputs here, re-running the producer of a broken cached artifact.

        Orchestrators whose worker raised :class:`InputArtifactError` call
        this, then run the task in this process. Passed as ``cause``, the worker's
        error names what it found (a corrupt artifact: the worker removed it, so a
        load here would only find it missing) and its producer is re-run at once.
        """
        broken = cause if isinstance(cause, InputArtifactError) else None
        for _ in range(len(self.invocations) + 1):
            if broken is None:
                try:
                    load_inputs(task, self.artifact_store, self.materializers)
                    return
                except InputArtifactError as exc:
                    broken = exc
            found, broken = broken, None
            self.log.warning("%s; re-running step %s to recreate it.", found, found.producer)
            self._rerun(found.producer)
            for sources in task.wired.values():
                for source in sources if isinstance(sources, list) else [sources]:
                    if source.producer == found.producer:
                        source.ref = self.refs[(source.producer, source.output)]
                        source.value = self.values.get((source.producer, source.output), source.value)

    def _rerun(self, step_id: str) -> None:
        """Execute a cached step again because its artifact is unusable."""
        self._force_miss.add(step_id)
        task = self.prepare(step_id)
        if task is not None:
            self.complete(task, execute_task(task, self.artifact_store, self.materializers))
        if self.status(step_id) != COMPLETED:
            raise RuntimeError(f"step {step_id} could not recreate its output")

    def _previous_step(self, step_id: str) -> StepRun | None:
        """The last record of ``step_id`` in an earlier run of the same pipeline item."""
        return self.metadata_store.previous_step(
            self.run.pipeline_name, step_id, self.run.id, item_id=self.run.item_id
        )

    @property
    def store_id(self) -> str:
        if self._store_id is None:
            self._store_id = store_identity(self.artifact_store)
        return self._store_id

    def _materializer_ranks(self) -> dict[str, tuple[Any, list[Any]]]:
        """Each materializer by name, with those tried before it (the registry's order)."""
        if self._ranks is None:
            ordered = self.materializers.all
            self._ranks = {}
            for index, materializer in enumerate(ordered):
                self._ranks.setdefault(materializer.name, (materializer, ordered[:index]))
        return self._ranks

    def _cache_entry(self, outputs: dict[str, ArtifactRef], fn: Any = None) -> dict[str, dict[str, Any]]:
        """What the cache records for ``outputs``: refs, materializer versions, store id, and
        the Python and package versions they were computed with (``fn``: the step function)."""
        ranks = self._materializer_ranks()
        type_names = tuple(ref.type_name for ref in outputs.values())
        # Once per step function and output types in a run, as its code's fingerprint is.
        known = self._environments.get((id(fn), type_names))
        if known is None or known[0] is not fn:
            known = self._environments[(id(fn), type_names)] = (fn, environment(fn, list(type_names)))
        env = known[1]
        entry = {}
        for name, ref in outputs.items():
            # What an entry records of its materializer, the same for the run: made once.
            tail = self._entry_tails.get(ref.materializer)
            if tail is None:
                materializer, ahead = ranks.get(ref.materializer, (None, []))
                tail = self._entry_tails[ref.materializer] = {
                    "store": self.store_id,
                    "materializer_version": str(getattr(materializer, "version", "")),
                    "ahead": [f"{m.name}:{m.version}" for m in ahead],
                }
            entry[name] = {
                **ref.as_dict(),
                **({"uses": list(ref.uses)} if ref.uses else {}),
                **tail,
                "env": env,
            }
        return entry

    def _entry_mismatch(self, key: str, entry: dict[str, dict[str, Any]]) -> str | None:
        """Why a cache entry cannot serve this run (other store, other materializer), or None.

        The key leaves the materializers out, as which one stores an output is
        known only after the step ran; instead the entry records the one chosen
        (and its version) and the materializers tried before it. If one now
        ahead of it is new, the stored value is loaded once to ask whether it
        would claim it.
        """
        fit = self._fit_outputs
        try:
            for name, output in entry.items():  # a loop, not all(): every hit of a rerun comes here
                if name != DATA_KEY and not (_storage(output) in fit and check_digest(output.get("digest"))):
                    break
            else:  # every output stored as one an earlier entry found fit was
                return None
        except ArtifactError:
            pass  # said below
        ranks = self._materializer_ranks()
        refreshed = False
        for name, output in sorted(entry.items()):
            if name == DATA_KEY:  # what the step read, checked in _try_cache
                continue
            try:  # a tampered cache.db must not hand any store a path-like digest
                check_digest(output.get("digest"))
            except ArtifactError:
                return f"the cache entry of output {name} is damaged (invalid digest)"
            signature = _storage(output)
            mismatch = self._storage_mismatch(name, output)
            if mismatch is not None:
                return mismatch
            chosen = cast(str, output.get("materializer"))  # (registered: a name)
            materializer, ahead = ranks[chosen]
            recorded, tags = output.get("ahead"), self._ahead(chosen)
            if recorded == tags:  # the same materializers ahead as when it was stored: the usual case
                _note_fit(fit, signature)
                continue
            # (a list of tags as written; anything else, an entry edited or damaged: none known)
            before = (
                {tag for tag in recorded if isinstance(tag, str)} if isinstance(recorded, list) else set()
            )
            new = [m for m, tag in zip(ahead, tags, strict=True) if tag not in before]
            if not new:
                _note_fit(fit, signature)
                continue
            try:
                value = materializer.loads(self.artifact_store.get(output["digest"]))
            except (ArtifactError, OSError):
                continue  # the artifact check that follows reports it
            claimed = next((m for m in new if m.can_save(value)), None)
            if claimed is not None:
                return f"materializer of output {name} changed ({chosen} -> {claimed.name})"
            output["ahead"] = [f"{m.name}:{m.version}" for m in ahead]
            refreshed = True
        if refreshed:  # checked once: later runs need not load the value again
            self.cache.put(key, entry)
        return None

    def take_shared_result(self, task: StepTask, producer: StepRun) -> bool:
        """Finish the prepared ``task`` from the cache entry a step with the same key (of this
        or another run: ``producer``) has just made, instead of computing it again; False
        when that entry cannot serve it (the caller then runs ``task``)."""
        step_run = self.run.steps[task.step_id]
        key = step_run.cache_key
        if key is None or producer.status != COMPLETED or producer.cache_key != key:
            return False
        with self._running_lock:  # a flush finds it running, or recorded as it ends
            if not self._try_cache(step_run, key, producer_metadata=producer.metadata, hook=False):
                return False
            self._running.pop(task.step_id, None)
        if self._step_finish_hook is not None:  # a plugin's: not while a flush would wait
            self._step_finish_hook(step_run=step_run)
        return True

    def _note_unpickled_code(self, entry: dict[str, Any]) -> str | None:
        """Add to ``entry``'s data record the fingerprint of the project code its step's
        unpicklings named (a model file's class); returns why it must not be cached."""
        record = entry.get(DATA_KEY)
        if not isinstance(record, dict) or not record.get("code"):
            return None
        refs = record["code"]
        found = self.fingerprints.references_fingerprint(refs)
        if found.digest is None:
            return f"the code a pickle it loaded names could not be fingerprinted: {found.error}"
        record["code"] = {"refs": refs, "digest": found.digest}
        return None

    def _unpickled_code_changed(self, code: Any) -> str | None:
        """Why a cache entry whose step unpickled project classes cannot serve, if it cannot."""
        refs = code.get("refs") if isinstance(code, dict) else None
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            return "the cache entry's record of the code its pickles named is damaged"
        if self.fingerprints.references_fingerprint(refs).digest == code.get("digest"):
            return None
        names = ", ".join(r.replace(":", ".") for r in refs[:3]) + (", ..." if len(refs) > 3 else "")
        return f"source code changed of what a pickle the step loaded names ({names})"

    def _try_cache(
        self,
        step_run: StepRun,
        key: str,
        producer_metadata: dict[str, Any] | None = None,
        hook: bool = True,
    ) -> bool:
        # The entry, prefetched or looked up now, and what its computing step logged when
        # known (_UNKNOWN: the metadata store is asked on a hit).
        entry = self._hits.pop(key, None)
        if entry is None:
            entry, logged = self.cache.lookup(key), _UNKNOWN
        else:
            logged = self._hit_metadata.pop(key, None)
        window, self._window = self._window, 1  # until this is a hit: one lookup per step after a miss
        if entry is None:
            return False
        mismatch = self._entry_mismatch(key, entry)
        if mismatch is not None:
            step_run.cache_reason = f"cache miss: {mismatch}"
            return False
        data = self.data.check(self.invocations[step_run.id], step_run.id, entry)
        if data.miss is None and data.record is not None and "code" in data.record:
            data.miss = self._unpickled_code_changed(data.record["code"])
        if data.miss is not None:
            step_run.cache_reason = f"cache miss: {data.miss}"
            # its digests serve the rerun; the files found unchanged need no stat when opened
            self._data_known[step_run.id] = (data.record, data.unchanged)
            return False
        refs = {
            name: ArtifactRef(
                o["digest"], o["size"], o["materializer"], o["type"], o.get("preview"), uses=_uses(o)
            )
            for name, o in entry.items()
            if name != DATA_KEY
        }
        verify = getattr(self.artifact_store, "verify", self.artifact_store.exists)
        broken = [
            name
            for name, ref in refs.items()
            if not (self._verified.get(ref.digest) or verify(ref.digest, ref.size))
        ]
        if broken:
            self.log.warning(
                "Cached output %s of step %s is missing or corrupt in the artifact "
                "store (or its cache entry is damaged); running the step again.",
                ", ".join(broken),
                step_run.id,
            )
            step_run.cache_reason = "cache miss: cached artifacts are missing or corrupt"
            return False
        if data.refreshed:  # unchanged files with a new stat (touch): checked cheaply next time
            self.cache.put(key, entry)
        step_run.status = CACHED
        step_run.cache_reason = network_reason(step_run.id, data.network) if data.network else "cache hit"
        if step_run.cache_parts is not None:
            step_run.cache_parts["data"] = describe(data.record)
        if data.network:
            self.log.debug("Step %s: %s", step_run.id, step_run.cache_reason)
            self.data.served_from_network(step_run.id, data.network)
        # A producer that just finished may not be committed yet: its metadata comes along.
        if logged is _UNKNOWN:
            logged = self.metadata_store.logged_metadata(key)
        step_run.metadata = logged or dict(producer_metadata or {})
        self._window = min(window * 2, PREFETCH_MAX)
        # (not its truth: a StepSettings builds every plugin's defaults to say whether it is empty)
        trial = step_run.settings.get(TRIAL_SETTING) if step_run.settings is not None else None
        if trial is not None and self._pruned_on_replay(step_run, trial):
            self._finish_step(step_run, {}, hook=hook)
            return True
        step_run.outputs = refs
        if self._replay_outputs is not None:
            self._note_replay(step_run.id, entry)
        if self._info:
            self.log.info("Using cached version of %s.", step_run.id)
        self._finish_step(step_run, refs, hook=hook)
        return True

    def _pruned_on_replay(self, step_run: StepRun, trial: Any) -> bool:
        """Tell a search trial what the cached step reported when it was computed, as
        ``zenrun.report`` told the trial that computed it; True (``step_run`` made
        ``pruned``) when the trial's pruner stops it at one of these values, as it would
        have stopped the step run again. So a trial's values and pruning do not depend on
        which of its steps were cached."""
        reported = (step_run.metadata or {}).get("intermediate")
        if not isinstance(reported, dict) or not reported or trial.pruner is None:
            return False  # (without a pruner nothing depends on them: no journal lines)
        try:
            history = sorted((int(at), float(value)) for at, value in reported.items())
        except (TypeError, ValueError):  # not what zenrun.report logs: nothing to replay
            return False
        for at, value in history:
            try:
                stop = trial.report(value, at)
            except Exception as exc:  # the study's storage: this step fails, not the session
                step_run.status = FAILED
                step_run.error = (
                    f"its cached values could not be reported to trial {trial.number} of study "
                    f"{trial.study}: {type(exc).__name__}: {exception_text(exc)}\n"
                )
                return True
            if stop:
                step_run.status = PRUNED
                step_run.error = (
                    f"trial {trial.number} of study {trial.study} pruned at step {at} "
                    f"(value {value:g}, reported when the step was computed: its cached result)\n"
                )
                return True
        return False

    def complete(self, task: StepTask, result: TaskResult) -> None:
        """Record the result of a task returned by :func:`execute_task`."""
        with self._running_lock:  # a flush finds it running, or recorded as it ended
            self._running.pop(task.step_id, None)
            step_run = self._complete(task, result)
        if self._step_finish_hook is not None:  # a plugin's: not while a flush would wait
            self._step_finish_hook(step_run=step_run)

    def _complete(self, task: StepTask, result: TaskResult) -> StepRun:
        step_run = self._step_runs[task.step_id]
        self._info = logger.isEnabledFor(logging.INFO)
        if result.pid != current_pid():  # given in a worker process: the session's summary shows them too
            for message in result.warnings:
                logger.warning("%s", message)
        else:  # it ran here: the module-level names later steps' code reads may be bound anew
            self.fingerprints.code_ran()
            global _seed_warned
            if self._watch_numpy_seed and not _seed_warned and randomstate.numpy_seeded():
                self._watch_numpy_seed = False
                _seed_warned = True
                self.log.warning(
                    "Step %s seeded numpy's global random generator (numpy.random.seed): what later "
                    "steps draw from it is not part of their cache keys, and the step does not seed "
                    "it again when it is taken from the cache. Seed it in a fixture or conftest (its "
                    "state is then every step's start and part of their keys), or give each step "
                    "its own generator (numpy.random.default_rng(seed), the seed a config or input).",
                    task.step_id,
                )
        step_run.started = result.started
        step_run.metadata = result.metadata
        step_run.plugin_metadata = result.plugin_metadata
        step_run.captured = result.captured
        if result.ok and self._fixture_state is not None and result.pid == current_pid():
            # Checked when it started (prepare), and again now: the driver tears down the
            # fixtures of an item running with this one while this step runs on a thread of
            # it, putting back a value the step may have read (``helpers.F`` of another item).
            changed = self._fixture_state_changed(task.step_id, self.invocations[task.step_id])
            if changed is not None:
                step_run.status, step_run.error = FAILED, changed
                self._finish_step(step_run, {}, result.finished, hook=False)
                return step_run
        if result.ok:
            step_run.status = COMPLETED
            step_run.outputs = result.outputs
            for name, value in result.values.items():
                if self._consumers[task.step_id]:
                    self.values[(task.step_id, name)] = value
            if step_run.cache_parts is not None and result.data is not None:
                step_run.cache_parts["data"] = describe(result.data.get("record"))
            if step_run.cache_key is not None:  # with caching off too: the next cached run reuses it
                entry = self._cache_entry(result.outputs, self.invocations[task.step_id].step.fn)
                unsafe = self.data.store(entry, result.data) or self._note_unpickled_code(entry)
                if unsafe is None:
                    self.cache.put(step_run.cache_key, entry)
                    if self._replay_outputs is not None:
                        self._note_replay(task.step_id, entry)
                else:  # computed from data that moved under it: never served again
                    self.log.warning("Step %s is not cached: %s.", task.step_id, unsafe)
                    if step_run.cache_parts is not None:
                        step_run.cache_parts["uncached"] = unsafe
        elif result.outcome == "skipped":  # zenrun.skip() in the step: it and what follows it
            step_run.status = SKIPPED
            step_run.cache_reason = (result.error or "Skipped").strip()
            self._note_outcome(result)
        elif result.pruned:
            step_run.status = PRUNED
            step_run.error = result.error
        else:
            step_run.status = FAILED
            step_run.error = result.error
            if result.outcome is not None:  # zenrun.xfail() / exit() in the step
                self._note_outcome(result)
            if result.internal is not None:  # a plugin's fault, not the step's
                plugin = plugin_of_module(self.config.pluginmanager, result.internal_module)
                who = f"plugin {plugin!r} ({result.internal})" if plugin else result.internal
                step_run.error = f"INTERNALERROR in {who}:\n{result.error}"
                if self.run.internal_error is None:
                    self.run.internal_error = f"{who}, running step {task.step_id!r}"
        self._finish_step(step_run, result.outputs, result.finished, hook=False)
        return step_run

    def _note_outcome(self, result: TaskResult) -> None:
        """A step's ``zenrun.skip`` / ``xfail`` / ``exit``: its item's outcome (the first)."""
        if self.run.step_outcome is None and result.outcome is not None:
            message = (result.error or "").strip().partition(": ")[2]
            self.run.step_outcome = (
                result.outcome,
                result.step_id,
                message,
                result.returncode,
                result.raised_at,
            )

    def _lineage(self, invocation: Any) -> dict[str, list[tuple[str, str, ArtifactRef | None]]]:
        """A step run's ``inputs``: for each input, the outputs it was given (none for a literal)."""
        refs, lineage = self.refs, {}
        for name, value in invocation.inputs.items():
            if isinstance(value, OutputHandle):
                lineage[name] = [(value.step_id, value.name, refs.get((value.step_id, value.name)))]
            elif isinstance(value, list) and value and isinstance(value[0], OutputHandle):
                lineage[name] = [(h.step_id, h.name, refs.get((h.step_id, h.name))) for h in value]
            else:
                lineage[name] = []
        return lineage

    def _finish_step(
        self,
        step_run: StepRun,
        refs: dict[str, ArtifactRef],
        finished: float | None = None,
        hook: bool = True,
    ) -> None:
        """Record ``step_run`` as it ended; with ``hook``, call ``zenrun_step_finish`` (else
        the caller does, once it no longer holds the lock of running records)."""
        step_id = step_run.id
        step_run.finished = finished or time.time()
        for name, ref in refs.items():
            self.refs[(step_id, name)] = ref
        step_run.inputs.update(self._lineage(self.invocations[step_id]))
        if step_id in self._released:  # a repaired producer: keys computed from its old output go
            self._forget_prefetched()
        else:  # a repaired producer finishes twice
            self._released.add(step_id)
            for upstream in self.upstream[step_id]:  # free values nobody needs any more
                self._consumers[upstream] -= 1
                if self._consumers[upstream] == 0:
                    for name in self.invocations[upstream].step.output_names:
                        self.values.pop((upstream, name), None)
        if self._info:
            if step_run.status == FAILED:
                self.log.info("Step %s has failed after %.3fs.", step_id, step_run.duration)
            elif step_run.status == PRUNED:
                self.log.info("Step %s was pruned after %.3fs.", step_id, step_run.duration)
            elif step_run.status == SKIPPED:  # zenrun.skip() in the step
                self.log.info("Step %s was skipped: %s.", step_id, step_run.cache_reason)
            else:
                self.log.info("Step %s has finished in %.3fs.", step_id, step_run.duration)
        self.metadata_store.record_step(self.run, step_run)
        if hook and self._step_finish_hook is not None:
            self._step_finish_hook(step_run=step_run)


class _Once:
    """``call()`` the first time it is called; later calls return, or raise what it raised
    (an artifact store's ``sync`` without ``since`` raises a failure only once)."""

    __slots__ = ("call", "done", "error")

    def __init__(self, call: Callable[[], None]) -> None:
        self.call = call
        self.error: BaseException | None = None
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            try:
                self.call()
            except BaseException as exc:
                self.error = exc
        if self.error is not None:
            raise self.error


def _invocation_caches(invocation: Any) -> bool:
    """The run config / ``.configure``, then ``@step``: whether the step's cache is on."""
    if invocation.enable_cache is not None:
        return bool(invocation.enable_cache)
    return invocation.step.enable_cache is not False


def _implemented(hook: Any, monitored: bool = False) -> Callable[..., Any] | None:
    """A caller of ``hook`` taking only ``step_run``: None when no plugin implements it;
    the implementations called in pluggy's order without its machinery when none wraps
    (what pluggy does for them, at a fraction of the cost), else the hook itself. Either
    way with descriptors 1 and 2 on the terminal: between two steps of the local
    orchestrator they may still be on the last step's spools (:func:`capture.back_to_back`),
    and a plugin may start a process that writes on after the next step starts. Unless
    every implementation says it does not need them (``capture.keeps_descriptors_parked``:
    zenrun's progress view): the spools then stay parked, ten system calls a step fewer.
    ``monitored``: hook calls are monitored (:attr:`PluginManager.monitors`), the hook itself
    is called, implemented or not."""
    impls = hook.get_hookimpls()
    if not impls and not monitored:
        return None
    parked_ok = all(may_keep_descriptors_parked(impl.function) for impl in impls)
    if monitored or any(
        impl.hookwrapper or impl.wrapper or set(impl.argnames) - {"step_run"} for impl in impls
    ):

        def call_hook(step_run: Any) -> None:
            if not parked_ok:
                unpark()
            hook(step_run=step_run)

        return call_hook
    calls = [(impl.function, bool(impl.argnames)) for impl in reversed(impls)]
    if parked_ok and len(calls) == 1 and calls[0][1]:  # one, taking step_run: itself, no frame around it
        only: Callable[..., Any] = calls[0][0]
        return only

    def call(step_run: Any) -> None:
        if not parked_ok:
            unpark()
        for function, takes_step_run in calls:
            if takes_step_run:
                function(step_run)
            else:
                function()

    return call


#: The most storage combinations a run remembers as fit (each hit compares with them).
_FIT_REMEMBERED = 32


def _storage(output: dict[str, Any]) -> tuple[Any, ...]:
    """All that :meth:`PipelineExecution._entry_mismatch` checks of a cache entry's output
    but its digest: an output equal in these to one found fit is fit (compared with ``==``:
    lists and dicts as they were decoded)."""
    return (
        output.get("store"),
        output.get("materializer"),
        output.get("materializer_version"),
        output.get("ahead"),
        output.get("env"),
    )


def _note_fit(fit: list[tuple[Any, ...]], storage: tuple[Any, ...]) -> None:
    if len(fit) < _FIT_REMEMBERED and storage not in fit:
        fit.append(storage)


def _uses(output: dict[str, Any]) -> tuple[str, ...]:
    """The project names a cache entry's output recorded."""
    uses = output.get("uses", [])
    if isinstance(uses, list) and all(isinstance(u, str) for u in uses):
        return tuple(uses)
    return (":damaged",)  # names nothing: the consumers' keys cannot match a sound entry


def run_pipeline(
    composed: ComposedPipeline,
    config: Any,
    *,
    enable_cache: bool | None = None,
    orchestrator: Any = None,
    params: dict[str, Any] | None = None,
) -> PipelineRun:
    """Run ``composed`` with ``orchestrator`` and return the finished run record."""
    if config.stash.get("api"):
        ensure_api_logging()
    prepare_runs()
    orchestrator = orchestrator or config.make_orchestrator()
    execution = PipelineExecution(
        composed,
        config,
        enable_cache=enable_cache,
        orchestrator=getattr(orchestrator, "name", type(orchestrator).__name__),
        params=params,
    )
    execution.start()
    try:
        if not execution.replay():
            orchestrator.run(execution)
    except BaseException as exc:
        execution.finish(interrupted=exc)
        raise
    return execution.finish()


def prepare_paths(config: Any) -> None:
    """Resolve now the folders that the runs of the session name paths by (the project's,
    the store's, the libraries', mounted disks'), once per process: the session's first run
    resolved them among its steps (symbolic links looked up one by one, 0.3 ms)."""
    DataPolicy(config, config.artifact_store)
    set_rootdir(config.rootpath)


def prepare_runs() -> None:
    """Do what the first run of a process would otherwise do in its own time: make zenrun's
    dataclasses, import the modules a run's set-up uses, find where libraries lie. A session
    does it as it starts (and each run asks again: nothing left to do)."""
    make_all()
    import hashlib  # noqa: F401 - a run's set-up digests the seeded random states with them
    import pickle  # noqa: F401

    prepare_tracking()
    prepare_fingerprints()


def ensure_api_logging() -> None:
    """In the Python API, step lines always show: give the ``zenrun`` logger a handler."""
    if not logger.hasHandlers():  # leave a user's logging configuration alone
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    elif logger.level == logging.NOTSET:  # the user's handlers get the step lines
        logger.setLevel(logging.INFO)


#: Whether a step seeding numpy's global generator was warned about: once per process
#: (the seed stays for every later run of it).
_seed_warned = False


class FixtureStates:
    """The module-level names and class attributes that the steps of items set up together
    read, as each item's fixtures left them (:meth:`PipelineExecution.keep_fixture_state`):
    ``varied`` holds those bound to different values by different items."""

    def __init__(self) -> None:
        self._first: dict[tuple[str, str], Any] = {}
        #: ``(module or class, name)`` of the names items' fixtures bound differently (by
        #: name: a class's namespace is a new mapping proxy at each look).
        self.varied: set[tuple[str, str]] = set()

    def note(self, bindings: list[tuple[Any, str, Any]]) -> None:
        """An item's ``bindings`` (:meth:`Fingerprinter.bound_names`), as its fixtures left them."""
        for namespace, name, value in bindings:
            key = (_owner_name(namespace), name)
            first = self._first.setdefault(key, value)
            if first is not value:
                self.varied.add(key)


def _owner_name(namespace: Any) -> str:
    """The module or class whose ``__dict__`` ``namespace`` is, by name (a class's mapping
    proxy holds no name: its ``__dict__`` descriptor or a method says which class it is)."""
    if "__module__" not in namespace:  # a module's, or a function's globals
        name = namespace.get("__name__")
        return name if isinstance(name, str) else "?"
    module = namespace.get("__module__")
    for attr in ("__dict__", "__weakref__"):
        owner = getattr(namespace.get(attr), "__objclass__", None)
        if isinstance(owner, type):
            return f"{module}.{owner.__qualname__}"
    for member in namespace.values():
        qualname = getattr(member, "__qualname__", None)
        if inspect.isfunction(member) and isinstance(qualname, str) and "." in qualname:
            return f"{module}.{qualname.rpartition('.')[0]}"
    return f"{module}.<class>"


def _ini_flag(config: Any, name: str, default: bool) -> bool:
    """A boolean ``[tool.zenrun]`` value (``true``/``false`` strings too)."""
    try:
        value = config.getini(name)
    except (ValueError, AttributeError):
        return default
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)
