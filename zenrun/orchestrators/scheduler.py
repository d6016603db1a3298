"""One scheduler for many runs: the steps of every execution share the executor's slots.

The driver keeps everything that touches the cache, the records and the
hooks; a :class:`StepExecutor` only runs step tasks (in worker processes,
threads, or on a cluster). A step is prepared (its cache looked up, its
``Step ... has started.`` line logged) only when a slot is free, so the
start it reports is when it really starts, and a cache hit never takes a
slot. ``-x`` stops launching; Ctrl-C also stops the running steps.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, runtime_checkable

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.blame import describe_fault
from zenrun.errors import UsageError
from zenrun.installed import build_in_background
from zenrun.orchestrators import ReadySteps
from zenrun.runner import InputArtifactError, StepTask, TaskResult

logger = logging.getLogger("zenrun")


class StopLaunching(Exception):
    """Given to ``execution.finish`` for runs cut short by ``-x``."""


@runtime_checkable
class StepExecutor(Protocol):
    """Where step tasks run; zenrun's scheduler (in the driver: it submits the tasks whose
    inputs are ready as slots free up) drives it.

    ``remote``: tasks run in another process, which loads the inputs from
    the artifact store and returns only references (``keep_values=False``).

    Optional ``broken``: why the executor can run nothing more (it lost its
    cluster), else None. The scheduler then stops launching and the
    runs it started fail with that reason; :meth:`wait` should return the
    running tasks as failed results.

    Optional ``close()``: release the workers; :meth:`SchedulingOrchestrator.close`
    calls it at the end of the session.
    """

    remote: bool

    def free_slots(self) -> int:
        """How many more tasks may be submitted now (the scheduler never exceeds it)."""

    def submit(self, key: Hashable, task: StepTask, execution: Any) -> None:
        """Start ``task``; its outcome comes back from :meth:`wait` under ``key``."""

    def wait(self, timeout: float | None) -> list[tuple[Hashable, TaskResult | BaseException]]:
        """Finished tasks: a :class:`TaskResult`, or the exception that prevented one."""

    def cancel(self, keys: list[Hashable]) -> None:
        """Stop the running tasks ``keys`` now (after Ctrl-C and its grace period)."""


#: A step the store has seen finish in less than this many seconds always runs in the
#: driver: sending it to a worker and back would cost more than running it.
QUICK_STEP = 0.005


class _Job:
    def __init__(self, execution: Any, owned: bool) -> None:
        self.execution = execution
        self.steps: ReadySteps | None = None
        self.owned = owned  # started here, so finished here
        self.remaining = len(execution.order)
        self.running = 0
        self.broken: str | None = None
        self.finished = False
        self.failed = False  # a step failed: counts once towards maxfail


class Scheduler:
    """Runs the steps of several executions together on one executor.

    ``on_finish(execution, error)`` is called when a run this scheduler
    started has its final record (``error``: an internal error's traceback).
    """

    def __init__(
        self,
        executor: StepExecutor,
        *,
        exitfirst: bool = False,
        maxfail: int = 0,
        on_finish: Callable[[Any, str | None], None] | None = None,
        grace: float = 1.0,
    ) -> None:
        self.executor = executor
        self.exitfirst = exitfirst
        self.maxfail = 1 if exitfirst else maxfail  # stop launching after this many failed runs
        self.failed_runs = 0
        self.on_finish = on_finish
        self.grace = grace
        self.stopped: str | None = None
        #: The executor's reason when it broke (say, its cluster is gone), else None.
        self.broken: str | None = None
        self._running: dict[Hashable, tuple[_Job, StepTask]] = {}
        self._counter = 0
        # Shared work once: a step whose cache key a running step already has waits for it
        # and takes its result from the cache (the data step every cell of a grid shares).
        self._computing: dict[str, int] = {}  # cache key -> id() of the task computing it
        self._waiting: dict[str, list[tuple[_Job, StepTask]]] = {}
        self._released: list[tuple[_Job, StepTask]] = []  # to run after all: slots permitting
        # Quick steps in the driver (see _here): seconds a step took, by (pipeline, step
        # name, code digest), as recorded in the store or seen in this session.
        self._took: dict[tuple[Any, ...], float | None] = {}
        self._spent_here = 0.0  # seconds of steps run in the driver before any worker started
        # Known steps that may run in the driver before any worker starts, with their
        # expected seconds: decided together once the launching round has seen them all.
        self._maybe_here: list[tuple[_Job, StepTask, float]] = []
        self._to_send: list[tuple[_Job, StepTask]] = []  # prepared, sent when a slot is free
        self._waited = False  # for results of the executor, once at least

    def stop(self, reason: str) -> None:
        """Launch nothing more; running steps finish."""
        if self.stopped is None:
            self.stopped = reason

    # -- the loop ---------------------------------------------------------------------
    def run(self, executions: Iterable[Any], feed: Callable[[], Any | None] | None = None) -> None:
        """Run ``executions`` (started or not) until every step is done or the run is stopped.

        ``feed()`` gives one more execution (None: no more), asked only when a slot is
        free and fewer of its executions are unfinished than there are slots: a study's
        next trial is sampled when a slot is free for it, after the results so far.
        """
        jobs = [_Job(e, owned=e.run.started is None) for e in executions]
        fed: list[_Job] = []
        try:
            while True:
                self._check_executor()
                while self._to_send and self.executor.free_slots():  # their slots were held
                    job, task = self._to_send.pop(0)
                    self._guarded(job, self._send, job, task)
                while self._released and self._free():
                    job, task = self._released.pop(0)
                    self._guarded(job, self._start, job, task)
                if self.stopped is None:
                    for job in jobs:
                        if not self._free():
                            break
                        self._guarded(job, self._launch, job)
                while feed is not None and self.stopped is None and self._may_feed(fed):
                    execution = feed()
                    if execution is None:
                        feed = None
                        break
                    job = _Job(execution, owned=execution.run.started is None)
                    jobs.append(job)
                    fed.append(job)
                    self._guarded(job, self._launch, job)
                    if job.remaining == 0 and job.running == 0:  # all cached, or run in the driver
                        self._finish(job)  # before the next is fed: a study samples after its result
                if self._maybe_here and self._settle_here():
                    continue  # ran in the driver: launch what they made ready
                for job in jobs:
                    if job.remaining == 0 and job.running == 0 and job.steps is not None and not job.finished:
                        self._finish(job)
                jobs = [j for j in jobs if not j.finished]
                fed = [j for j in fed if not j.finished]
                if not self._running:
                    if feed is None or self.stopped is not None:
                        break
                    if not jobs and not self.executor.free_slots():  # the executor is not ready yet
                        time.sleep(0.05)
                    continue
                if self.executor.remote and not self._waited:
                    # The driver waits for the first time: while those steps run elsewhere, it
                    # reads what the first to finish needs for its cache entry (the installed
                    # packages' versions), instead of reading it then with the workers idle.
                    self._waited = True
                    build_in_background()
                for key, outcome in self.executor.wait(None):
                    self._collect(key, outcome)
        except KeyboardInterrupt as exc:
            self._interrupt(exc, jobs)
            raise
        # Stopped by -x: runs already started end here, failed; the rest never start.
        self._check_executor()
        for job in jobs:
            if job.steps is not None and not job.finished:
                run = job.execution.run
                if self.broken is not None and not any(
                    self.broken in (s.error or "") for s in run.steps.values()
                ):
                    run.error = self.broken  # failed with the executor's reason, said once
                self._finish(job, StopLaunching(self.stopped or "stopped"))

    def _free(self) -> int:
        """Slots free for one more task: the executor's, less the tasks held in the driver."""
        return self.executor.free_slots() - len(self._maybe_here) - len(self._to_send)

    def _may_feed(self, fed: list[_Job]) -> bool:
        free = self._free()
        busy = [j for j in fed if not j.finished and (j.remaining or j.running or j.steps is None)]
        return free > 0 and len(busy) < len(self._running) + free

    def _check_executor(self) -> None:
        """Stop launching when the executor broke (it lost its cluster)."""
        broken = getattr(self.executor, "broken", None)
        if broken and self.broken is None:
            self.broken = broken
            self.stopped = broken  # takes precedence over -x: it is why the runs ended

    def _launch(self, job: _Job) -> None:
        execution = job.execution
        if job.steps is None:
            if job.owned:
                execution.start()
            job.steps = ReadySteps(execution)
        while self.stopped is None and self._free():
            step_id = job.steps.pop()
            if step_id is None:
                return
            if execution.blocked(step_id):
                execution.skip(step_id)
                self._done(job, step_id)
                continue
            task = execution.prepare(step_id, load=not self.executor.remote)
            if task is None:  # a cache hit, or failed reading the artifact store
                self._done(job, step_id)
                if execution.status(step_id) == "failed":
                    self._run_failed(job, step_id)
                continue
            self._start(job, task)

    def _start(self, job: _Job, task: StepTask) -> None:
        """Submit ``task``, or have it wait for the running step that computes its cache key."""
        key = self._shared_key(job, task)
        if key is not None and key in self._computing:
            self._waiting.setdefault(key, []).append((job, task))
            return
        if key is not None:
            self._computing[key] = id(task)
        self._submit(job, task)

    def _shared_key(self, job: _Job, task: StepTask) -> str | None:
        step_run = task.step_run
        key = step_run.cache_key if step_run is not None else None
        if key is None or not job.execution.step_cache_enabled(task.step_id):
            return None
        return str(key)

    def _release(self, task: StepTask, producer: Any) -> None:
        """The step computing a shared key ended: its waiters take its result or run."""
        key = next((k for k, t in self._computing.items() if t == id(task)), None)
        if key is None:
            return
        del self._computing[key]
        for job, waiter in self._waiting.pop(key, []):
            if job.broken is not None:
                continue
            if producer is not None and job.execution.take_shared_result(waiter, producer):
                self._done(job, waiter.step_id)
            else:
                self._released.append((job, waiter))

    def _submit(self, job: _Job, task: StepTask) -> None:
        here = self._here(job, task)
        if here is True:
            self._run_here(job, task)
            return
        if here is not False:  # expected seconds: decided with the round's others
            self._maybe_here.append((job, task, here))
            return
        self._send(job, task)

    def _send(self, job: _Job, task: StepTask) -> None:
        self._counter += 1
        key = (self._counter, task.step_id)
        self._running[key] = (job, task)
        job.running += 1
        try:
            self.executor.submit(key, task, job.execution)
        except Exception as exc:  # e.g. an input that cannot be sent to a worker process
            del self._running[key]
            job.running -= 1
            self._complete(
                job,
                task,
                _failure(job, task, f"step {task.step_id!r} could not be sent to a worker: {exc}\n"),
            )

    # -- quick steps in the driver --------------------------------------------------
    def _here(self, job: _Job, task: StepTask) -> bool | float:
        """Whether the driver runs ``task`` itself rather than a worker (executors with a
        ``driver_budget``: worker processes); a float: maybe, it is expected to take that
        many seconds (see :meth:`_settle_here`).

        Only steps whose duration is known (the newest completed record of the same step
        with the same code, in any item of the pipeline, or a run of it in this session):
        a step never seen goes to a worker. Steps known to take under :data:`QUICK_STEP`
        always run here; until the first worker is started, so may the others.
        """
        budget = getattr(self.executor, "driver_budget", 0.0)
        if not budget or task.attempt > 1:
            return False
        took = self._expected(job, task)
        if took is None:
            return False
        if took <= QUICK_STEP:
            return True
        if getattr(self.executor, "started", True) or self._spent_here + took > budget:
            return False
        return took

    def _settle_here(self) -> bool:
        """Run the round's known steps in the driver when, all together with those it ran
        before, they are expected to take less than ``driver_budget`` seconds: starting
        workers (a fork, the project's libraries imported again) costs about that, and a
        run that needs nothing else never pays it. Else (a wide round of longer steps:
        the cells of a grid) they go to workers: several steps ready together may take
        only half the budget. True when some ran here."""
        batch, self._maybe_here = self._maybe_here, []
        budget: float = getattr(self.executor, "driver_budget", 0.0)
        total = sum(took for _, _, took in batch)
        here = (
            not getattr(self.executor, "started", True)
            and self._spent_here + total <= budget
            and (len(batch) == 1 or total <= budget / 2)
        )
        if here:
            self._spent_here += total
            for job, task, _ in batch:
                self._guarded(job, self._run_here, job, task)
        else:
            self._to_send.extend((job, task) for job, task, _ in batch)
        return True

    def _duration_key(self, job: _Job, task: StepTask) -> tuple[Any, ...] | None:
        step_run = task.step_run
        code = (step_run.cache_parts or {}).get("code") if step_run is not None else None
        if step_run is None or code is None:
            return None
        return (job.execution.run.pipeline_name, step_run.name, code)

    def _expected(self, job: _Job, task: StepTask) -> float | None:
        """Seconds ``task`` is expected to take, or None when the store has not seen it."""
        key = self._duration_key(job, task)
        if key is None:
            return None
        if key not in self._took:
            store = job.execution.metadata_store
            last_computed = getattr(store, "last_computed", None)  # a protocol default
            previous = last_computed(key[0], task.step_id) if last_computed is not None else None
            known = (
                previous is not None
                and (previous.cache_parts or {}).get("code") == key[2]
                and previous.duration is not None
            )
            self._took[key] = previous.duration if known else None  # type: ignore[union-attr]
        return self._took[key]

    def _run_here(self, job: _Job, task: StepTask) -> None:
        outcome: TaskResult | BaseException
        try:
            outcome = self.executor.run_here(task)  # type: ignore[attr-defined]
        except Exception as exc:  # InputArtifactError: its producer is run again
            outcome = exc
        self._learn(job, task, outcome)
        self._outcome(job, task, outcome)

    def _learn(self, job: _Job, task: StepTask, outcome: TaskResult | BaseException) -> None:
        """Remember how long a step took (for the next items of a grid in this session)."""
        budget: float = getattr(self.executor, "driver_budget", 0.0)
        if budget and isinstance(outcome, TaskResult) and outcome.ok:
            key = self._duration_key(job, task)
            if key is not None:
                self._took[key] = outcome.finished - outcome.started

    def _collect(self, key: Hashable, outcome: TaskResult | BaseException) -> None:
        job, task = self._running.pop(key)
        job.running -= 1
        if isinstance(outcome, KeyboardInterrupt):  # a step raised it in a worker: as in the driver,
            raise outcome  # the session is interrupted (exit 2), not the worker reported dead
        self._learn(job, task, outcome)
        self._guarded(job, self._outcome, job, task, outcome)

    def _outcome(self, job: _Job, task: StepTask, outcome: TaskResult | BaseException) -> None:
        execution = job.execution
        if isinstance(outcome, TaskResult):
            self._complete(job, task, outcome)
        elif isinstance(outcome, InputArtifactError):
            # A cached input is broken: the driver re-runs its producer, then this step again.
            execution.load_inputs(task, outcome)
            self._submit(job, task)
        elif _worker_died(outcome) and task.attempt <= task.step.retries:
            logger.warning(
                "Step %s: %s (attempt %d of %d), retrying in a fresh worker.",
                task.step_id,
                outcome,
                task.attempt,
                task.step.retries + 1,
            )
            task.attempt += 1
            self._submit(job, task)
        else:
            self._complete(job, task, _failure(job, task, _describe(task, outcome)))

    def _complete(self, job: _Job, task: StepTask, result: TaskResult) -> None:
        job.execution.complete(task, result)
        self._done(job, task.step_id)
        if self._computing:
            self._release(task, job.execution.run.steps.get(task.step_id) if result.ok else None)
        if not result.ok and not result.pruned:  # a pruned trial is not a failure
            self._run_failed(job, task.step_id)

    def _run_failed(self, job: _Job, step_id: str) -> None:
        """A step of ``job`` failed: the run counts once towards ``-x`` and ``--maxfail``."""
        if job.failed:
            return
        job.failed = True
        self.failed_runs += 1
        if self.exitfirst:
            self.stop(
                f"stopping after 1 failure (-x): step {step_id} of {job.execution.run.pipeline_name} failed"
            )
        elif self.maxfail and self.failed_runs >= self.maxfail:
            self.stop(f"stopping after {self.failed_runs} failures (--maxfail={self.maxfail})")

    def _done(self, job: _Job, step_id: str) -> None:
        job.remaining -= 1
        assert job.steps is not None
        job.steps.done(step_id)

    def _guarded(self, job: _Job, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn``; an internal error fails that run only, not the session."""
        if job.broken is not None:
            return

        try:
            fn(*args)
        except (KeyboardInterrupt, UsageError):  # the session's, not this run's
            raise
        except Exception as exc:
            job.broken = describe_fault(
                job.execution.config.pluginmanager,
                exc,
                f"running {job.execution.run.item_id or job.execution.run.name}",
            )
            if job.steps is None:
                job.steps = ReadySteps(job.execution)
            job.remaining = 0
            logger.error("internal error in run %s: %s: %s", job.execution.run.name, type(exc).__name__, exc)

    def _finish(self, job: _Job, stopped: BaseException | None = None) -> None:
        execution = job.execution
        if job.owned:
            error = RuntimeError("internal error") if job.broken else stopped
            execution.finish(interrupted=error)
        job.finished = True
        if self.on_finish is not None:
            self.on_finish(execution, job.broken)

    def _interrupt(self, exc: KeyboardInterrupt, jobs: list[_Job]) -> None:
        """Ctrl-C: launch nothing, give running steps ``grace`` seconds, then stop them."""
        self.stop("KeyboardInterrupt")
        deadline = time.monotonic() + self.grace
        try:
            while self._running and time.monotonic() < deadline:
                for key, outcome in self.executor.wait(max(0.0, deadline - time.monotonic())):
                    self._collect(key, outcome)
        except KeyboardInterrupt:  # a second Ctrl-C: no more grace
            pass
        if self._running:
            names = ", ".join(task.step_id for _, task in self._running.values())
            logger.warning("Interrupted: stopping running step(s) %s.", names)
            self.executor.cancel(list(self._running))
            self._running.clear()
        for job in jobs:
            if job.steps is not None and not job.finished:
                self._finish(job, exc)


def _worker_died(outcome: BaseException) -> bool:
    return type(outcome).__name__ in ("WorkerDied", "KilledWorker")


def _describe(task: StepTask, outcome: BaseException) -> str:
    if _worker_died(outcome):
        return f"step {task.step_id!r} did not finish: {outcome}\n"
    return "".join(traceback.format_exception(type(outcome), outcome, outcome.__traceback__))


def _failure(job: _Job, task: StepTask, error: str) -> TaskResult:
    step_run = job.execution.run.steps.get(task.step_id)
    now = time.time()
    started = step_run.started if step_run is not None and step_run.started else now
    return TaskResult(task.step_id, False, started, now, error=error)


class SchedulingOrchestrator:
    """Base of orchestrators whose steps run on a :class:`StepExecutor`.

    Subclasses implement :meth:`make_executor`; the executor is made once
    and kept until :meth:`close`, so worker processes or a cluster serve the
    whole session. ``run_many`` runs the steps of many executions together
    (the CLI passes every selected item); ``run`` one (the Python API).
    """

    name = "scheduling"
    # a class default: a subclass whose __init__ does not call this one's still works
    _executor: StepExecutor | None = None

    def __init__(self) -> None:
        self._executor = None

    def make_executor(self) -> StepExecutor:
        """Required: the :class:`StepExecutor` the steps run on (worker processes, a
        cluster's client). Called once, when the first step is about to run."""
        raise NotImplementedError(f"{type(self).__qualname__} must define make_executor()")

    @property
    def executor(self) -> StepExecutor:
        """The executor :meth:`make_executor` made (made now if not yet). A subclass may
        set it (``self.executor = None`` in ``__init__``: made on first use)."""
        if self._executor is None:
            self._executor = self.make_executor()
        return self._executor

    @executor.setter
    def executor(self, executor: StepExecutor | None) -> None:
        self._executor = executor

    def check(self, composed: Any) -> str | None:
        """Why ``composed`` cannot run here (say, a value that cannot reach a worker), or None."""
        return None

    def run(self, execution: Any) -> None:
        """Run the steps of one started execution."""
        Scheduler(self.executor).run([execution])

    def run_many(
        self,
        executions: Iterable[Any],
        *,
        exitfirst: bool = False,
        maxfail: int = 0,
        on_finish: Callable[[Any, str | None], None] | None = None,
        feed: Callable[[], Any | None] | None = None,
    ) -> Scheduler:
        """Run executions that are not started yet, their steps together; returns the scheduler
        (``.stopped`` says why it stopped early). Launching stops after the first failed run
        (``exitfirst``) or after ``maxfail`` failed runs. ``feed()`` gives more executions
        as slots free up, one a call (None: no more)."""
        scheduler = Scheduler(self.executor, exitfirst=exitfirst, maxfail=maxfail, on_finish=on_finish)
        scheduler.run(executions, feed)
        return scheduler

    def close(self) -> None:
        """Close the executor (its ``close()``, when it has one) and forget it; register it
        with ``config.add_cleanup`` in ``zenrun_make_orchestrator``."""
        executor, self._executor = self._executor, None
        close = getattr(executor, "close", None)
        if close is not None:
            close()
