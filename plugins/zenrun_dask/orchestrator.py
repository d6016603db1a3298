"""The Dask orchestrator: the steps of every item of the session on one cluster.

Built on zenrun's public scheduling API: :class:`SchedulingOrchestrator`
keeps cache decisions, records and hooks in the driver and hands ready step
tasks to a :class:`DaskExecutor`, which submits them to the cluster.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Hashable, Iterator
from typing import Any

from zenrun import api_config
from zenrun.remote import (
    SchedulingOrchestrator,
    StepTask,
    TaskResult,
    run_task,
    ship_project_code,
    unsendable,
    unsendable_invocation,
    usable_cpus,
)

#: Seconds between two looks at how many worker threads the cluster has.
_SLOTS_REFRESH = 1.0
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


class DaskExecutor:
    """Runs step tasks on a ``distributed.Client``; one task per worker thread at a time.

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
        self._futures: dict[Any, Hashable] = {}
        self._tasks: dict[Any, StepTask] = {}
        self._slots = 0
        self._slots_checked = 0.0
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

    def free_slots(self) -> int:
        if not self._connected():
            return 0
        now = time.monotonic()
        if not self._slots or now - self._slots_checked > _SLOTS_REFRESH:
            # One task per worker thread: a step is prepared (and says it started) only when
            # a thread is free for it, never while it waits in the cluster's queue.
            try:
                self._slots = max(1, sum(self.client.nthreads().values()))
            except Exception as exc:
                if not _connection_lost(exc):
                    raise
                self._lose_scheduler()
                return 0
            self._slots_checked = now
        return self._slots - len(self._futures)

    def submit(self, key: Hashable, task: StepTask, execution: Any) -> None:
        if not self._connected():
            raise RuntimeError(self.broken)
        ship_project_code(task)  # workers lack the driver's sys.path
        try:
            future = self.client.submit(
                run_task,
                task,
                self.artifact_store,
                self.materializers,
                pure=False,
                key=f"zenrun-{task.step_id}-{uuid.uuid4().hex}",
            )
        except Exception as exc:
            # Shipped by value, a step reading a module-level lock cannot travel: name it.
            reason = unsendable(task.step_id, task.step, task.config, task.literals)
            raise RuntimeError(reason or f"{type(exc).__name__}: {exc}") from None
        self._futures[future] = key
        self._tasks[future] = task

    def wait(self, timeout: float | None) -> list[tuple[Hashable, Any]]:
        from distributed import wait

        if not self._futures:
            return []
        if not self._connected():
            return self._fail_running()
        try:
            done, _ = wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        except Exception as exc:
            if not _connection_lost(exc):
                if type(exc).__name__ != "FuturesCancelledError":
                    raise
                done = {f for f in self._futures if f.status == "cancelled"}  # say which ones
                return [(self._pop(f), RuntimeError(f"the cluster cancelled the step: {exc}")) for f in done]
            self._lose_scheduler()
            return self._fail_running()
        finished = []
        for future in done:
            key = self._pop(future)
            if future.status == "finished":
                finished.append((key, future.result()))
            else:
                finished.append((key, future.exception()))
        return finished

    def _pop(self, future: Any) -> Hashable:
        self._tasks.pop(future, None)
        return self._futures.pop(future)

    def _fail_running(self) -> list[tuple[Hashable, Any]]:
        """Every running task, failed with :attr:`broken`: their results cannot come back."""
        now = time.time()
        failed = []
        for future in list(self._futures):
            task = self._tasks.get(future)
            key = self._pop(future)
            started = getattr(getattr(task, "step_run", None), "started", None) or now
            step_id = task.step_id if task is not None else str(key)
            failed.append((key, TaskResult(step_id, False, started, now, error=f"{self.broken}\n")))
        return failed

    def cancel(self, keys: list[Hashable]) -> None:
        futures = [f for f, k in self._futures.items() if k in keys]
        for future in futures:
            self._pop(future)
        if self._connected():
            self.client.cancel(futures, force=True)


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
            from distributed import Client, LocalCluster

            if self.address:
                self._client = Client(self.address)
            else:
                try:
                    import bokeh  # noqa: F401  (the dashboard needs it)

                    dashboard = True
                except ImportError:
                    dashboard = False
                processes, threads = cluster_shape(self.n_workers)
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
