"""Long-lived worker processes: one task at a time each, over a pipe.

Why not ``concurrent.futures.ProcessPoolExecutor``: when one of its workers
dies, the whole pool is broken and every running task fails with it; here a
dead worker fails only the task it was running (the driver knows which, and
its exit code), and is replaced. Workers ignore SIGINT, so one Ctrl-C reaches
the driver only, which then terminates them (SIGTERM, which a worker turns
into KeyboardInterrupt so the step unwinds, then SIGKILL after a grace).

On Linux, workers are forked from a :class:`Zygote`: a fork of the driver
made while it is configuring, before it opens a store or starts a thread,
which imports the project's libraries once after collection. A new worker
is then a fork with everything imported, ready in milliseconds. Elsewhere,
or when the driver already runs threads at that point, workers come from a
``forkserver`` preloaded with zenrun, which boots a fresh interpreter
first (~0.2 s; see the README for the measured start times). Either way a
worker inherits no threads, locks or open stores of the driver. Each worker
gets the driver's ``sys.path`` and working directory, and a finder that
imports the driver's project modules (pipeline modules, conftests, their
helpers) from the same files under the same names, as collection did. What
a worker runs, and the process helpers the zygote shares, are in
:mod:`zenrun.orchestrators.workerproto`.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import multiprocessing
import os
import signal
import sys
import types
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for
from typing import Any

import cloudpickle

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.orchestrators.workerproto import apply_environ, worker_main
from zenrun.orchestrators.zygote import ZygoteGone
from zenrun.sources import real_path
from zenrun.threads import SIGNAL_CHECK_INTERVAL

#: Seconds a terminated worker gets to unwind before it is killed.
KILL_GRACE = 2.0


class WorkerDied(Exception):
    """The worker process running a task ended without returning its result."""

    def __init__(self, pid: int, exitcode: int | None, reason: str | None = None) -> None:
        super().__init__(pid, exitcode, reason)
        self.pid, self.exitcode, self.reason = pid, exitcode, reason

    def __str__(self) -> str:
        return f"the worker process (pid {self.pid}) died: {self.reason or describe_exit(self.exitcode)}"


def describe_exit(exitcode: int | None) -> str:
    """``killed by signal SIGKILL`` or ``exit code 3``."""
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


# -- what a worker is told (the loop it runs is in workerproto) -------------------------


@dataclass
class Bootstrap:
    """What a worker needs to import the project as the driver did."""

    sys_path: list[str]
    cwd: str
    modules: dict[str, str] = field(default_factory=dict)  # module name -> file
    #: Installed packages the project modules use: imported once by the forkserver.
    preload: list[str] = field(default_factory=list)
    #: The zenrun process the worker serves; made in the driver, so this is its pid.
    driver_pid: int = field(default_factory=os.getpid)
    #: The driver's environment (conftests and fixtures may have set variables since the
    #: workers' zygote or forkserver started).
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    #: The driver's ``multiprocessing`` start method (None: the platform's default).
    start_method: str | None = field(
        default_factory=lambda: multiprocessing.get_start_method(allow_none=True)
    )

    @classmethod
    def from_driver(cls, rootdir: str | None = None) -> Bootstrap:
        """The driver's path, directory and the project modules it imported (under ``rootdir``)."""
        modules: dict[str, str] = {}
        root = os.path.realpath(rootdir or os.getcwd())
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
        skip = tuple({*prefixes, *(os.path.realpath(p) for p in prefixes)})
        zenrun_dir = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            if (
                not path
                or name in ("__main__", "__mp_main__")
                or not path.endswith(".py")
                or "site-packages" in path
                or path.startswith(skip)
            ):  # before realpath: fast
                continue
            real = real_path(path)
            if (
                real.startswith(root + os.sep)
                and not real.startswith(skip)
                and not real.startswith(zenrun_dir + os.sep)
                and "site-packages" not in real
            ):
                modules[name] = real
        # The forkserver imports what workers will need once, not each worker: zenrun's
        # modules the driver uses (pydantic with them) and the project's libraries.
        own = sorted(
            n
            for n in sys.modules
            if n.startswith("zenrun.") and n not in ("zenrun.__main__", "zenrun.testing")
        )
        return cls(list(sys.path), os.getcwd(), modules, own + _packages_used_by(modules))

    def apply(self) -> None:
        """Make this process import and see what the driver does."""
        apply_environ(self.environ)
        for entry in reversed(self.sys_path):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        try:
            os.chdir(self.cwd)
        except OSError:
            pass
        if self.modules and not any(
            isinstance(f, _ProjectFinder) and f.modules == self.modules for f in sys.meta_path
        ):
            sys.meta_path.insert(0, _ProjectFinder(self.modules))


def _packages_used_by(modules: dict[str, str]) -> list[str]:
    """Installed modules the project modules hold in their globals (numpy, sklearn.svm...)."""
    packages: set[str] = set()
    for name in modules:
        module = sys.modules.get(name)
        for value in list(vars(module).values()) if module is not None else []:
            owner = value.__name__ if isinstance(value, type(sys)) else getattr(value, "__module__", None)
            top = owner.split(".")[0] if isinstance(owner, str) else None
            if (
                top
                and owner not in modules
                and top not in ("zenrun", "__main__", "builtins")
                and not top.startswith("_")
                and owner in sys.modules
            ):
                packages.add(owner)
    return sorted(packages)


class _ProjectFinder(importlib.abc.MetaPathFinder):
    """Imports the driver's project modules from the files the driver imported them from.

    Two ``conftest.py`` files, or modules found through a directory the driver
    put on ``sys.path`` late, would otherwise resolve to another file here.
    """

    def __init__(self, modules: dict[str, str]) -> None:
        self.modules = modules

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        file = self.modules.get(name)
        if file is None:
            return None
        if os.path.basename(file) == "__init__.py":
            return importlib.util.spec_from_file_location(
                name, file, submodule_search_locations=[os.path.dirname(file)]
            )
        return importlib.util.spec_from_file_location(name, file)


# -- the driver side -------------------------------------------------------------------


@dataclass
class _Worker:
    process: Any
    conn: Connection
    key: Hashable | None = None
    started: float = 0.0


def default_context(preload: list[str] = ()) -> Any:  # type: ignore[assignment]
    """``forkserver`` preloaded with zenrun (and ``preload``) where available, else ``spawn``."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            ["zenrun.main", "zenrun.orchestrators.workers", "zenrun.remote", *preload]
        )
        return context
    return multiprocessing.get_context("spawn")


def boot_forkserver(bootstrap: Bootstrap) -> None:
    """Start the forkserver now, without waiting for it.

    It imports zenrun and the project's libraries in its own process while the
    driver composes the pipelines, so the first worker forks at once instead of
    after that boot (~0.3 s). Unused, it costs one idle process for the session.
    """
    context = default_context(bootstrap.preload)
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with _main_module_hidden():
            forkserver.ensure_running()


@contextlib.contextmanager
def _main_module_hidden() -> Any:
    """Start a process without multiprocessing re-running ``__main__`` in it.

    Workers never need the driver's main module (cloudpickle sends what it
    defines by value), and re-running it would import everything a user's
    script imports, or run its body again if it lacks a main guard.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class WorkerPool:
    """Up to ``size`` worker processes, started on demand and kept for the session.

    ``submit(key, fn, *args)`` runs ``fn(*shared, *args)`` on an idle worker
    (``shared`` is pickled once per worker); ``wait()`` returns finished
    ``(key, ok, value)`` triples, where a dead worker gives ``(key, False,
    WorkerDied)`` and is replaced by a fresh one on the next submit.
    """

    def __init__(
        self,
        size: int,
        shared: tuple[Any, ...] = (),
        *,
        context: Any = None,
        bootstrap: Bootstrap | None = None,
        zygote: Any = None,
    ) -> None:
        self.size = max(1, size)
        self._shared = cloudpickle.dumps(tuple(shared))
        self._context = context
        self._bootstrap = bootstrap
        self._zygote = zygote  # a zenrun.orchestrators.zygote.Zygote: workers fork from it
        self._idle: list[_Worker] = []
        self._busy: dict[Hashable, _Worker] = {}

    @property
    def free(self) -> int:
        """How many more tasks can be submitted now."""
        return self.size - len(self._busy)

    @property
    def running(self) -> dict[Hashable, int]:
        """The keys of running tasks and the pids running them."""
        return {key: worker.process.pid for key, worker in self._busy.items()}

    def _prepare(self) -> None:
        if self._bootstrap is None:
            self._bootstrap = Bootstrap.from_driver()
        if self._context is None:
            self._context = default_context(self._bootstrap.preload)

    def _start_worker(self) -> _Worker:
        if self._zygote is not None:
            if self._bootstrap is None:
                self._bootstrap = Bootstrap.from_driver()
            try:
                process, conn = self._zygote.spawn(self._bootstrap, self._shared)
                return _Worker(process, conn)
            except ZygoteGone as exc:  # killed, or stopped: the forkserver takes over
                self._zygote = None
                logging.getLogger("zenrun").warning(
                    "Worker processes come from a forkserver from now on: %s.", exc
                )
        self._prepare()
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main,
            args=(theirs, self._bootstrap, self._shared),
            name="zenrun-worker",
            daemon=True,
        )
        with _main_module_hidden():
            process.start()
        theirs.close()
        return _Worker(process, ours)

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*shared, *args)`` on an idle worker; raises :class:`TaskNotSent` if unpicklable."""
        if not self.free:
            raise RuntimeError("no idle worker: wait() for one first")
        payload = cloudpickle.dumps((fn, args))  # before taking a worker: errors leave none busy
        worker = self._idle.pop() if self._idle else self._start_worker()
        worker.key, worker.started = key, time.time()
        self._busy[key] = worker
        try:
            worker.conn.send_bytes(payload)
        except OSError:  # died while idle: its sentinel reports it in wait()
            pass

    def wait(self, timeout: float | None = None) -> list[tuple[Hashable, bool, Any]]:
        """Finished tasks as ``(key, ok, value)``; empty after ``timeout`` seconds."""
        if not self._busy:
            return []
        waitables: dict[Any, _Worker] = {}
        for worker in self._busy.values():
            waitables[worker.conn] = worker
            waitables[worker.process.sentinel] = worker
        ready = _wait_noticing_signals(list(waitables), timeout)
        finished: list[tuple[Hashable, bool, Any]] = []
        for worker in {id(waitables[r]): waitables[r] for r in ready}.values():
            key = worker.key
            try:
                ok, value = (
                    cloudpickle.loads(worker.conn.recv_bytes()) if worker.conn.poll() else (None, None)
                )
            except (EOFError, OSError):
                ok, value = None, None
            except Exception as exc:  # a result type the driver cannot import
                ok, value = False, RuntimeError(f"the result could not be loaded: {exc}")
            del self._busy[key]
            if ok is None:
                worker.process.join(KILL_GRACE)
                finished.append(
                    (
                        key,
                        False,
                        WorkerDied(
                            worker.process.pid,
                            worker.process.exitcode,
                            getattr(worker.process, "ended_because", None),
                        ),
                    )
                )
                worker.conn.close()
                continue
            worker.key = None
            self._idle.append(worker)
            finished.append((key, ok, value))
        return finished

    def terminate(self, keys: list[Hashable] | None = None) -> list[Hashable]:
        """Stop the workers running ``keys`` (default: all running); returns the keys stopped."""
        keys = list(self._busy) if keys is None else [k for k in keys if k in self._busy]
        workers = [self._busy.pop(k) for k in keys]
        for worker in workers:
            if worker.process.is_alive():
                worker.process.terminate()
        deadline = time.monotonic() + KILL_GRACE
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():  # stuck in C code: SIGTERM is not enough
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        return keys

    def close(self) -> None:
        """Stop every worker: idle ones end when their pipe closes, busy ones are terminated."""
        self.terminate()
        for worker in self._idle:
            worker.conn.close()
        for worker in self._idle:
            worker.process.join(KILL_GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self._idle.clear()


def _wait_noticing_signals(waitables: list[Any], timeout: float | None) -> list[Any]:
    """``multiprocessing.connection.wait``, in slices: a Ctrl-C the kernel gave to another
    thread (a library's BLAS or OpenMP threads block no signal) only sets Python's flag, which
    the main thread sees when it next runs Python code, at the end of a slice."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SIGNAL_CHECK_INTERVAL if deadline is None else deadline - time.monotonic()
        ready = wait_for(waitables, max(0.0, min(left, SIGNAL_CHECK_INTERVAL)))
        if ready or (deadline is not None and time.monotonic() >= deadline):
            return ready
