"""``-n N``: the steps of all selected pipelines at once, on N worker processes (or threads).

Scheduling (cache lookups, records, hooks) stays in the driver; only step
functions and their artifact writes run on the workers. Worker processes
(the default) load their inputs from the artifact store and return only
references; ``--dist threads`` keeps values in memory and suits steps that
release the GIL (numpy, scikit-learn).
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.capture import prepare_descriptor_capture
from zenrun.config import api_config
from zenrun.config.argparsing import non_negative_int
from zenrun.hookspec import hookimpl
from zenrun.orchestrators.scheduler import SchedulingOrchestrator
from zenrun.remote import refuse_process_local_store, run_task, unsendable, unsendable_invocation, usable_cpus
from zenrun.runner import StepTask, TaskResult, execute_task
from zenrun.threads import SIGNAL_CHECK_INTERVAL

if TYPE_CHECKING:
    import queue

    from zenrun.orchestrators.zygote import Zygote


def _run_in_worker(artifact_store: Any, materializers: Any, task: StepTask) -> TaskResult:
    # The pool sends the store and the materializers once per worker, as leading arguments.
    return run_task(task, artifact_store, materializers)


class ProcessExecutor:
    """Steps on a :class:`~zenrun.orchestrators.workers.WorkerPool` of ``size`` processes."""

    remote = True

    def __init__(
        self,
        size: int,
        artifact_store: Any,
        materializers: Any,
        rootdir: str | None = None,
        zygote: Zygote | None = None,
        driver_budget: float = 0.0,
    ) -> None:
        self.size = size
        self.artifact_store = artifact_store
        self.materializers = materializers
        self.rootdir = rootdir
        self.zygote = zygote
        #: Seconds of steps known to be quick the driver may run before starting workers
        #: (see :meth:`Scheduler._here <zenrun.orchestrators.scheduler.Scheduler._here>`);
        #: 0: every step runs in a worker.
        self.driver_budget = driver_budget
        self._pool: Any = None

    @property
    def started(self) -> bool:
        """Whether a worker was started (or is being started) in this session."""
        return self._pool is not None

    def run_here(self, task: StepTask) -> TaskResult:
        """Run ``task`` in the driver, as a worker would: outputs written, references returned."""
        return run_task(task, self.artifact_store, self.materializers)

    @property
    def pool(self) -> Any:
        """Made at the first step a worker runs (a fully cached run makes none), so that
        workers see the driver as fixtures left it: ``sys.path``, modules, environment."""
        if self._pool is None:
            # Here: the pool imports cloudpickle, which `zenrun --help` and local runs skip.
            from zenrun.orchestrators.workers import Bootstrap, WorkerPool

            bootstrap = Bootstrap.from_driver(self.rootdir)
            if self.zygote is not None and self.zygote.deferred is not None:  # see warm_up
                self.zygote.preload(bootstrap)
                self.zygote.prefork(min(self.size, PREFORK_MAX))
            self._pool = WorkerPool(
                self.size,
                (self.artifact_store, self.materializers),
                bootstrap=bootstrap,
                zygote=self.zygote,
            )
        return self._pool

    def free_slots(self) -> int:
        return self.size if self._pool is None else self._pool.free

    def submit(self, key: Hashable, task: StepTask, execution: Any) -> None:
        try:
            self.pool.submit(key, _run_in_worker, task)
        except Exception as exc:
            values = {
                **task.literals,
                **{
                    n: [s.value for s in v] if isinstance(v, list) else v.value for n, v in task.wired.items()
                },
            }
            reason = unsendable(task.step_id, task.step, task.config, values)
            raise RuntimeError(reason or f"{type(exc).__name__}: {exc}") from None

    def wait(self, timeout: float | None) -> list[tuple[Hashable, Any]]:
        if self._pool is None:  # nothing was ever submitted
            return []
        return [(key, value) for key, _ok, value in self._pool.wait(timeout)]

    def cancel(self, keys: list[Hashable]) -> None:
        if self._pool is not None:
            self._pool.terminate(keys)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


class ThreadExecutor:
    """Steps on daemon threads of the driver: values stay in memory.

    Daemon threads, so that a step that never returns cannot keep the
    process alive after Ctrl-C (Python cannot stop a thread).
    """

    remote = False

    def __init__(self, size: int, artifact_store: Any, materializers: Any) -> None:
        import queue

        self.size = size
        self.artifact_store = artifact_store
        self.materializers = materializers
        self._results: queue.Queue[tuple[Hashable, Any]] = queue.Queue()
        self._running: set[Hashable] = set()

    def free_slots(self) -> int:
        return self.size - len(self._running)

    def _work(self, key: Hashable, task: StepTask) -> None:
        try:
            outcome: Any = execute_task(task, self.artifact_store, self.materializers)
        except BaseException as exc:
            outcome = exc
        self._results.put((key, outcome))

    def submit(self, key: Hashable, task: StepTask, execution: Any) -> None:
        self._running.add(key)
        threading.Thread(
            target=self._work, args=(key, task), daemon=True, name=f"zenrun-step-{task.step_id}"
        ).start()

    def wait(self, timeout: float | None) -> list[tuple[Hashable, Any]]:
        import queue

        finished = []
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:  # in slices: a Ctrl-C another thread took is seen at the end of one
                left = SIGNAL_CHECK_INTERVAL if deadline is None else deadline - time.monotonic()
                try:
                    finished.append(self._results.get(timeout=max(0.0, min(left, SIGNAL_CHECK_INTERVAL))))
                    break
                except queue.Empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise
            while True:
                finished.append(self._results.get_nowait())
        except queue.Empty:
            pass
        finished = [(k, o) for k, o in finished if k in self._running]  # not cancelled
        for key, _ in finished:
            self._running.discard(key)
        return finished

    def cancel(self, keys: list[Hashable]) -> None:
        self._running.difference_update(keys)  # abandoned: their results are dropped


#: ``--driver-budget`` where ``auto`` cannot be measured (the Python API): about what
#: starting workers costs (a fork, and the project's libraries imported again:
#: scikit-learn takes ~1 s of CPU).
DRIVER_BUDGET = 1.0
#: ``--driver-budget auto`` is at least this.
MIN_DRIVER_BUDGET = 0.1
#: ``config.stash`` key of when the parallel plugin was configured (``time.monotonic()``).
CONFIGURED_KEY = "parallel.configured"

#: Workers forked ahead of the first step at most (more are forked when needed).
PREFORK_MAX = 16


class ParallelOrchestrator(SchedulingOrchestrator):
    """Runs every step whose upstream steps are done, up to ``workers`` at a time."""

    name = "parallel"

    def __init__(
        self,
        workers: int,
        config: Any = None,
        dist: str = "processes",
        driver_budget: float | None = DRIVER_BUDGET,
    ) -> None:
        super().__init__()
        self.workers = max(1, workers)
        self.config = config
        self.dist = dist
        #: ``--driver-budget`` (see the scheduler); None: ``auto``, what collection took.
        self.driver_budget = driver_budget

    def make_executor(self) -> Any:
        config = self.config or api_config()
        if self.dist == "threads":
            return ThreadExecutor(self.workers, config.artifact_store, config.materializers)
        return ProcessExecutor(
            self.workers,
            config.artifact_store,
            config.materializers,
            str(config.rootpath),
            self.zygote,
            DRIVER_BUDGET if self.driver_budget is None else self.driver_budget,
        )

    def check(self, composed: Any) -> str | None:
        return None if self.dist == "threads" else unsendable_invocation(composed)

    @property
    def zygote(self) -> Zygote | None:
        """The :class:`~zenrun.orchestrators.zygote.Zygote` started while configuring, if any."""
        return self.config.stash.get(ZYGOTE_KEY) if self.config is not None else None

    def warm_up(self) -> None:
        """Prepare what workers are forked from while the driver composes the pipelines.

        With a driver budget and a store that has seen runs, the zygote waits instead: it
        imports the project's libraries and forks workers when the first step goes to a
        worker, so that a run whose steps all run in the driver (or are cached) does not
        import them twice. Else (every step goes to a worker) the zygote is forked again
        now, with the libraries collection imported (see :meth:`_refork`).
        """
        if self.dist != "threads":
            # Here: the pool imports cloudpickle, which `zenrun --help` and local runs skip.
            from zenrun.orchestrators.workers import Bootstrap, boot_forkserver

            config = self.config or api_config()
            started = config.stash.get(CONFIGURED_KEY) if self.config is not None else None
            if self.driver_budget is None and started is not None:
                # auto: starting workers costs about what collection did (the zygote imports
                # the libraries collection imported), whatever the machine's load
                self.driver_budget = max(MIN_DRIVER_BUDGET, time.monotonic() - started)
            if self.zygote is not None and self.config.stash.get(REFORK_KEY):
                self._refork()
            elif self.zygote is not None and self.zygote.deferred is not None:
                self.zygote.stop_following()
                return
            bootstrap = Bootstrap.from_driver(str(config.rootpath))
            if self.zygote is not None:
                self.zygote.preload(bootstrap)
                # Forked while the pipelines are composed; told what they serve when the
                # first steps are sent. A fully cached run closes them unused.
                self.zygote.prefork(min(self.workers, PREFORK_MAX))
            else:
                boot_forkserver(bootstrap)

    def _refork(self) -> None:
        """Replace the zygote forked while configuring by one forked now, which has every
        library collection imported (the first has imported none of them): its workers
        import nothing again. Only while the driver runs no other thread (a fixture may
        have started one): else the first zygote imports them now."""
        assert self.config is not None
        early = self.config.stash[ZYGOTE_KEY]
        if threading.active_count() > 1:
            return
        early.close()
        late = type(early).start(late=str(self.config.rootpath))
        if late is None:  # out of processes: the forkserver may still manage
            del self.config.stash[ZYGOTE_KEY]
        else:
            self.config.stash[ZYGOTE_KEY] = late


def _seconds(value: str) -> float | None:
    if value == "auto":
        return None
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number of seconds, not {value!r}") from None
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"expects a number of seconds >= 0, not {value}")
    return number


def _numprocesses(value: str) -> int:
    if value == "auto":
        return usable_cpus()
    if not value.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"expects a number or 'auto', not {value!r}")
    return non_negative_int(value)


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("running")
    group.addoption(
        "-n",
        "--numprocesses",
        dest="numprocesses",
        type=_numprocesses,
        default=None,
        metavar="N",
        help="run up to N steps at once, of all selected pipelines, in worker processes "
        "('auto': one per CPU; 0: run locally)",
    )
    group.addoption(
        "--driver-budget",
        dest="driver_budget",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="with -n: steps the store has seen finish quickly run in the driver, up to this "
        "many seconds of them before the first worker starts (0: every step in a worker; "
        "default auto: as long as collecting took)",
    )
    group.addoption(
        "--dist",
        dest="dist",
        choices=("processes", "threads"),
        default="processes",
        help="with -n: worker processes (default), or threads for steps that release the GIL",
    )


@hookimpl
def zenrun_make_orchestrator(config: Any, name: str) -> ParallelOrchestrator | None:
    if name != "parallel":
        return None
    if config.getoption("dist", "processes") != "threads":
        refuse_process_local_store(config, f"-n {config.getoption('numprocesses', None) or 2}")
    orchestrator = ParallelOrchestrator(
        config.getoption("numprocesses", None) or 2,
        config,
        config.getoption("dist", "processes"),
        config.getoption("driver_budget", None),
    )
    config.add_cleanup(orchestrator.close)
    return orchestrator


#: ``config.stash`` key of the zygote that forks worker processes.
ZYGOTE_KEY = "parallel.zygote"
#: ``config.stash`` key: the zygote is forked again after collection (see warm_up).
REFORK_KEY = "parallel.refork"


@hookimpl(tryfirst=True)  # before any plugin opens a store: the zygote must not inherit one
def zenrun_configure(config: Any) -> None:
    config.stash[CONFIGURED_KEY] = time.monotonic()
    if config.getoption("numprocesses", None) and not config.getoption("orchestrator", None):
        config.option.orchestrator = "parallel"
    runs_nothing = any(
        config.getoption(name, None)
        for name in (  # no worker will be needed
            "collectonly",
            "showfixtures",
            "runs",
            "show",
            "store_check",
            "store_repair",
            "gc",
        )
    )
    if (
        config.getoption("orchestrator", None) == "parallel"
        and not config.stash.get("api")
        and config.getoption("dist", "processes") != "threads"
        and not runs_nothing
        and not os.environ.get("ZENRUN_NO_ZYGOTE")
    ):
        # Here: the zygote imports cloudpickle (its workers' loop), which `zenrun --help` skips.
        from zenrun.orchestrators.zygote import Zygote

        prepare_descriptor_capture()
        # What workers run, imported before the fork (the driver needs it later anyway):
        # the zygote's children then import nothing of zenrun.
        zygote = Zygote.start(
            ["zenrun.steps", "zenrun.execution", "zenrun.remote", "zenrun.orchestrators.workers"]
        )
        if zygote is not None:
            # Its imports wait (see warm_up): with a driver budget and a store that has seen
            # runs, for the first step a worker runs; else (every step will go to a worker)
            # the zygote is forked again once collection has imported them.
            zygote.deferred = []
            if config.getoption("driver_budget", None) == 0 or not _store_has_runs(config):
                config.stash[REFORK_KEY] = True
            config.stash[ZYGOTE_KEY] = zygote
            config.add_cleanup(lambda: _close_zygote(config))


def _close_zygote(config: Any) -> None:
    zygote = config.stash.get(ZYGOTE_KEY)
    if zygote is not None:
        zygote.close()


def _store_has_runs(config: Any) -> bool:
    """Whether the store may know how long steps take, checked before it is opened: a
    first run's steps all go to workers, which the zygote then prepares while the driver
    collects. A plugin's store (a team's) is taken to have runs."""
    if config.store_url is not None:
        return True
    try:
        return bool((config.store_path / "metadata.db").exists())  # the SQLite store's file
    except Exception:  # a store setting the run reports as a usage error
        return False


@hookimpl
def zenrun_backend_names(kind: str) -> list[str] | None:
    return ["parallel"] if kind == "orchestrator" else None
