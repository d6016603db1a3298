"""The Dask orchestrator: the steps of every item of the session on one cluster.

Built on zenrun's public scheduling API: :class:`SchedulingOrchestrator`
keeps cache decisions, records and hooks in the driver and hands ready step
tasks to a :class:`DaskExecutor`, which submits them to the cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import time
from collections.abc import Hashable, Iterator
from typing import Any

from zenrun import UsageError, api_config
from zenrun.remote import (
    SchedulingOrchestrator,
    StepTask,
    TaskResult,
    ship_project_code,
    unsendable,
    unsendable_invocation,
    usable_cpus,
)
from zenrun_dask.worker import run_step, settle

#: Seconds between two looks at how many worker threads the cluster has.
_SLOTS_REFRESH = 1.0
#: Seconds of work queued per worker thread while steps are short (see DaskExecutor.depth).
_LOOKAHEAD = 0.05
#: Tasks submitted per worker thread at most.
_MAX_DEPTH = 32
#: Times a step is sent again when its worker is lost before its outputs were durable.
_RESENT = 3
#: Seconds between two looks at the connection while waiting for finished tasks.
_POLL = 1.0
#: Loggers of dask.distributed that report, with tracebacks, a client's lost connection and
#: its cancelled reconnection: zenrun says it once ("lost the Dask scheduler at ...").
_CONNECTION_LOGGERS = ("distributed.client", "distributed.utils", "distributed.core", "distributed.comm")


@contextlib.contextmanager
def _quiet(names: tuple[str, ...], level: int = logging.CRITICAL) -> Iterator[None]:
    """Raise the level of the loggers ``names`` while the block runs."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(level)
    try:
        yield
    finally:
        for log, previous in zip(loggers, levels, strict=True):
            log.setLevel(previous)


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the client lost its scheduler (killed, unreachable, restarted)."""
    if "scheduler-connection-lost" in str(exc):  # FuturesCancelledError's reason
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"CommClosedError", "StreamClosedError", "OSError"}) or (
        "not connected" in str(exc).lower()
    )


class WorkerDied(RuntimeError):
    """The worker that ran a step was lost before its outputs were durable (retried as a
    worker that died mid-step: the scheduler knows this name)."""


class DaskExecutor:
    """Runs step tasks on a ``distributed.Client``.

    One task per worker thread while the steps' durations are unknown or
    long; while they are short, a few more per thread wait in the cluster's
    queue, so that a worker finishing a step starts the next one at once
    instead of waiting for a round trip through the driver (see
    :meth:`depth`). The tasks the scheduler hands over together are
    submitted together (one ``client.map``); finished ones are collected in
    batches: one ``gather`` for their results, then one :func:`settle` per
    worker that makes their outputs durable before they are recorded.

    A worker that dies mid-step is replaced by the cluster (its nanny) and
    the scheduler runs the task again on another worker (up to the
    ``distributed.scheduler.allowed-failures`` setting).
    """

    remote = True

    def __init__(
        self, client: Any, artifact_store: Any, materializers: Any, address: str | None = None
    ) -> None:
        self.client = client
        self.artifact_store = artifact_store
        self.materializers = materializers
        self.address = address or getattr(getattr(client, "scheduler", None), "address", None) or "?"
        self._store_blob: bytes | None = None
        self._durable = True  # whether the tasks being sent make their outputs durable themselves
        #: Every task submitted and not yet returned by wait(), by key.
        self._tasks: dict[Hashable, StepTask] = {}
        self._unsent: list[tuple[Hashable, StepTask]] = []  # submitted, not yet sent to the cluster
        self._futures: dict[Any, Hashable] = {}
        self._lost: dict[Hashable, int] = {}  # times a task's worker was lost after it ran
        self._refused: list[tuple[Hashable, Any]] = []  # could not be sent: wait() returns them
        #: Futures that finished (in any state), put by their done callbacks (the client's thread).
        self._finished: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = 0
        self._threads_checked = 0.0
        #: Seconds a recently finished step took on its worker (a moving average), or None.
        self._duration: float | None = None
        #: Why nothing more can run here (the scheduler is gone), or None.
        self.broken: str | None = None

    def _lose_scheduler(self) -> None:
        if self.broken is None:
            self.broken = f"lost the Dask scheduler at {self.address}"

    def _connected(self) -> bool:
        if self.broken is None and getattr(self.client, "status", "running") not in (
            "running",
            "newly-created",
        ):
            self._lose_scheduler()  # closed, or reconnecting after losing it: its tasks are gone
        return self.broken is None

    def depth(self) -> int:
        """Tasks submitted per worker thread: 1, or more while the recent steps were short.

        A step is prepared (and says it started) when it is submitted; the
        steps queued behind a running one start within :data:`_LOOKAHEAD`
        seconds of work, so the line is early by no more than about that,
        and the start recorded is the worker's.
        """
        if self._duration is None:
            return 1
        return max(1, min(_MAX_DEPTH, int(_LOOKAHEAD / max(self._duration, 1e-6))))

    def free_slots(self) -> int:
        if not self._connected():
            return 0
        now = time.monotonic()
        if not self._threads or now - self._threads_checked > _SLOTS_REFRESH:
            try:
                self._threads = max(1, sum(self.client.nthreads().values()))
            except Exception as exc:
                if not _connection_lost(exc):
                    raise
                self._lose_scheduler()
                return 0
            self._threads_checked = now
        return max(0, self._threads * self.depth() - len(self._tasks))

    def submit(self, key: Hashable, task: StepTask, execution: Any) -> None:
        if not self._connected():
            raise RuntimeError(self.broken)
        ship_project_code(task)  # workers lack the driver's sys.path
        self._tasks[key] = task
        self._unsent.append((key, task))  # sent with the others the scheduler hands over now

    def _send(self) -> None:
        """Send the tasks submitted since the last call, in one graph."""
        if not self._unsent:
            return
        unsent, self._unsent = self._unsent, []
        if self._store_blob is None:
            import cloudpickle

            self._store_blob = cloudpickle.dumps(self.artifact_store)
        names = [f"zenrun-{task.step_id}-{os.urandom(16).hex()}" for _, task in unsent]
        tasks = [task for _, task in unsent]
        # With a task per thread or fewer the driver waits for each step: the worker makes its
        # outputs durable before it returns, saving the round trip of settle(). With more, the
        # workers run the next step meanwhile and settle() makes a batch durable at once.
        self._durable = len(self._tasks) <= self._threads
        try:
            futures = self.client.map(
                run_step,
                tasks,
                [self._store_blob] * len(tasks),
                [self.materializers] * len(tasks),
                [self._durable] * len(tasks),
                key=names,
                pure=False,
            )
        except Exception as exc:
            if _connection_lost(exc):
                raise
            futures = [
                self._send_one(key, task, name) for (key, task), name in zip(unsent, names, strict=True)
            ]
        for (key, _), future in zip(unsent, futures, strict=True):
            if future is not None:
                self._futures[future] = key
                future.add_done_callback(self._finished.put)

    def _send_one(self, key: Hashable, task: StepTask, name: str) -> Any:
        """Send one task; a task that cannot be pickled is refused, naming what cannot travel."""
        try:
            return self.client.submit(
                run_step, task, self._store_blob, self.materializers, pure=False, key=name
            )
        except Exception as exc:
            if _connection_lost(exc):
                raise
            # Shipped by value, a step reading a module-level lock cannot travel: name it.
            reason = unsendable(task.step_id, task.step, task.config, task.literals)
            error = f"step {task.step_id!r} could not be sent to a worker: {reason or f'{type(exc).__name__}: {exc}'}\n"
            now = time.time()
            self._refused.append((key, TaskResult(task.step_id, False, now, now, error=error)))
            return None

    def wait(self, timeout: float | None) -> list[tuple[Hashable, Any]]:
        if not self._tasks:
            return []
        if not self._connected():
            return self._fail_running()
        try:
            self._send()
        except Exception as exc:
            if not _connection_lost(exc):
                raise
            self._lose_scheduler()
            return self._fail_running()
        if self._refused:
            refused, self._refused = self._refused, []
            return [(key, result) for key, result in refused if self._tasks.pop(key, None) is not None]
        deadline = None if timeout is None else time.monotonic() + timeout
        done: list[Any] = []
        while not done:
            if not self._connected():
                return self._fail_running()
            left = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if left <= 0:
                return []
            try:
                first = self._finished.get(timeout=left)
            except queue.Empty:
                continue
            done = [first]
            with contextlib.suppress(queue.Empty):
                while True:
                    done.append(self._finished.get_nowait())
            done = [f for f in done if f in self._futures]  # not one cancelled meanwhile
        try:
            return self._collect(done)
        except Exception as exc:
            if not _connection_lost(exc):
                raise
            self._lose_scheduler()
            return self._fail_running()

    def _collect(self, done: list[Any]) -> list[tuple[Hashable, Any]]:
        """The outcomes of the finished futures ``done``; their outputs durable first."""
        ok = [f for f in done if f.status == "finished"]
        returned = self.client.gather(ok) if ok else []
        by_worker: dict[str, list[str]] = {}
        for address, result, durable in returned:
            for ref in [] if durable else result.outputs.values():
                by_worker.setdefault(address, []).append(ref.digest)
            if result.finished >= result.started:
                took = result.finished - result.started
                self._duration = took if self._duration is None else 0.8 * self._duration + 0.2 * took
        settled = self._settle(by_worker) if by_worker else {}
        finished: list[tuple[Hashable, Any]] = []
        for future, (address, result, durable) in zip(ok, returned, strict=True):
            outcome = {} if durable else settled.get(address, {})
            if isinstance(outcome, BaseException):
                # The worker is gone, and maybe the outputs it was writing: run the step again.
                key = self._futures.pop(future)
                task = self._tasks[key]
                self._lost[key] = self._lost.get(key, 0) + 1
                if self._lost[key] <= _RESENT:
                    self._unsent.append((key, task))
                    continue
                self._tasks.pop(key, None)
                finished.append(
                    (
                        key,
                        WorkerDied(
                            f"the Dask worker {address} was lost before the outputs of step "
                            f"{result.step_id!r} were durable ({type(outcome).__name__}: {outcome})"
                        ),
                    )
                )
                continue
            key = self._pop(future)
            lost = {
                name: outcome[ref.digest] for name, ref in result.outputs.items() if ref.digest in outcome
            }
            if lost:
                name, reason = next(iter(lost.items()))
                result = dataclasses.replace(
                    result,
                    ok=False,
                    outputs={},
                    error=f"step {result.step_id!r}: output {name!r} could not be stored by worker "
                    f"{address}: {reason}\n",
                )
            finished.append((key, result))
        for future in done:
            if future.status == "finished":
                continue
            if future.status == "cancelled":
                reason = _cancel_reason(future)
                if "scheduler-connection-lost" in reason or not self._connected():
                    self._lose_scheduler()
                    return finished + self._fail_running()
                finished.append(
                    (self._pop(future), RuntimeError(f"the cluster cancelled the step: {reason}"))
                )
                continue
            error = future.exception()
            finished.append((self._pop(future), error))
        return finished

    def _settle(self, by_worker: dict[str, list[str]]) -> dict[str, Any]:
        """:func:`settle` on each worker of ``by_worker``: its lost artifacts, or its error."""
        answers: dict[str, Any] = self.client.run(
            settle, self._store_blob, by_worker, workers=list(by_worker), on_error="return"
        )
        return {address: answers.get(address, KeyError(address)) for address in by_worker}

    def _pop(self, future: Any) -> Hashable:
        key = self._futures.pop(future)
        self._tasks.pop(key, None)
        self._lost.pop(key, None)
        return key

    def _fail_running(self) -> list[tuple[Hashable, Any]]:
        """Every running task, failed with :attr:`broken`: their results cannot come back."""
        now = time.time()
        failed = []
        for key, task in self._tasks.items():
            started = getattr(getattr(task, "step_run", None), "started", None) or now
            failed.append((key, TaskResult(task.step_id, False, started, now, error=f"{self.broken}\n")))
        self._tasks.clear()
        self._futures.clear()
        self._unsent.clear()
        self._refused.clear()
        self._lost.clear()
        return failed

    def cancel(self, keys: list[Hashable]) -> None:
        self._unsent = [(k, t) for k, t in self._unsent if k not in keys]
        futures = [f for f, k in self._futures.items() if k in keys]
        for future in futures:
            self._pop(future)
        for key in keys:
            self._tasks.pop(key, None)
        if self._connected() and futures:
            self.client.cancel(futures, force=True)


def _cancel_reason(future: Any) -> str:
    """Why the cluster cancelled ``future``, as far as it says."""
    try:
        future.result(timeout=10)  # cancelled: raises at once, without asking the scheduler
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return "cancelled"


def cluster_shape(slots: int | None) -> tuple[int, int]:
    """``(worker processes, threads each)`` for ``slots`` steps at once (default: one per CPU).

    No more processes than CPUs: each costs a second or so of CPU to start,
    and more processes than cores run CPU-bound steps no faster. Extra slots
    are threads, which suit steps that wait (I/O, sleep, a GIL-free library).
    """
    cpus = usable_cpus()
    slots = slots or cpus
    processes = max(1, min(slots, cpus))
    return processes, -(-slots // processes)


#: Run by each worker of our LocalCluster as it starts: a Ctrl-C sent to the terminal's
#: process group then reaches the driver only, which cancels the steps and closes the
#: cluster, instead of every worker printing a KeyboardInterrupt traceback.
_WORKER_PRELOAD = """
import logging
import signal
import threading


def _not_a_cancelled_step(record):
    # A step cancelled by Ctrl-C or -x: the driver reports it; the worker need not.
    return "ended with CancelledError" not in record.getMessage()


def _ignore(signum, frame):
    # A handler, not SIG_IGN: programs a step starts must still stop on Ctrl-C.
    pass


def dask_setup(worker):
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _ignore)
    logging.getLogger("distributed.worker.state_machine").addFilter(_not_a_cancelled_step)
"""


class DaskOrchestrator(SchedulingOrchestrator):
    """Schedules steps on a ``dask.distributed`` cluster as their inputs become ready.

    Without ``address``, a ``LocalCluster`` with ``n_workers`` slots (see
    :func:`cluster_shape`) is started on first use and kept for the session.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        n_workers: int | None = None,
        config: Any = None,
        announce: Any = None,
    ) -> None:
        super().__init__()
        self.address = address
        self.n_workers = n_workers
        self.config = config
        self.announce = announce or print
        self._client: Any = None
        self._cluster: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import dask
            from distributed import Client, LocalCluster

            if self.address:
                try:
                    self._client = Client(self.address)
                except OSError as exc:  # (TimeoutError too) a wrong address: said in one line
                    raise UsageError(
                        f"--dask-address {self.address}: cannot reach the Dask scheduler: {exc}"
                    ) from None
            else:
                try:
                    import bokeh  # noqa: F401  (the dashboard needs it)

                    dashboard = True
                except ImportError:
                    dashboard = False
                processes, threads = cluster_shape(self.n_workers)
                # Worker processes that may start processes of their own (a step's
                # multiprocessing Pool, scikit-learn's n_jobs): not daemonic, as a local or a
                # -n 2 run's step may. (Read by each nanny as it starts or restarts its worker.)
                dask.config.set({"distributed.worker.daemon": False})
                # A free port: a fixed one (8787) clashes with any other cluster on the host.
                self._cluster = LocalCluster(
                    n_workers=processes,
                    threads_per_worker=threads,
                    processes=True,
                    dashboard_address="127.0.0.1:0",
                    preload=[_WORKER_PRELOAD],
                )
                self._client = Client(self._cluster)
                if dashboard:
                    self.announce(f"dask dashboard: {self._client.dashboard_link}")
        return self._client

    def make_executor(self) -> DaskExecutor:
        config = self.config or api_config()
        client = self.client
        address = self.address or getattr(self._cluster, "scheduler_address", None)
        return DaskExecutor(client, config.artifact_store, config.materializers, address)

    def check(self, composed: Any) -> str | None:
        return unsendable_invocation(composed)

    def close(self) -> None:
        executor = self._executor
        lost = executor is not None and getattr(executor, "broken", None) is not None
        super().close()
        if self._client is not None:
            # A client that lost its scheduler logs the cancelled reconnection as it closes.
            with _quiet(_CONNECTION_LOGGERS) if lost else contextlib.nullcontext():
                if lost:
                    with contextlib.suppress(Exception):
                        self._client.close(timeout=10)
                else:
                    self._client.close()
            self._client = None
        if self._cluster is not None:
            # A worker still running a cancelled step is killed after the nanny's grace; the
            # nanny's warning about it would follow zenrun's closing line.
            nanny_log = logging.getLogger("distributed.nanny")
            level = nanny_log.level
            nanny_log.setLevel(logging.ERROR)
            try:
                self._cluster.close()
            finally:
                nanny_log.setLevel(level)
            self._cluster = None
