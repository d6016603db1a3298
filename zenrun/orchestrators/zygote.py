"""The zygote: a fork of the driver that forks the ``-n`` worker processes.

A ``forkserver`` boots a fresh interpreter and imports zenrun before it can
fork its first worker: ~0.2 s that a run of short steps waits for (measured
with ``benchmarks/bench_parallel.py``). The zygote instead is forked from
the driver while it is being configured, so it has zenrun imported already;
it forks nothing, imports nothing and opens nothing until asked to:

- :meth:`Zygote.preload`, after collection: it puts the project on its
  ``sys.path`` and imports the installed libraries the project modules use
  (numpy, scikit-learn...) once, while the driver composes the pipelines;
- :meth:`Zygote.spawn`: it forks a worker and hands the driver the
  worker's end of a socket, its pid and a sentinel, as a forkserver does.

Forking the driver is only safe while it runs no other thread and holds no
open store: :meth:`Zygote.start` is called while configuring, before any
store is opened, and declines (returns None) when another thread runs or
the platform is not Linux; the pool then uses the forkserver.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.abc
import importlib.machinery
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import traceback
from multiprocessing.connection import Connection, wait as wait_for
from typing import Any, Sequence

from zenrun.orchestrators.workers import _process_alive, _worker_main

_PID = struct.Struct("q")
_EXIT = struct.Struct("i")


class ZygoteGone(Exception):
    """The zygote process is not there any more: workers must come from elsewhere."""


class ForkedProcess:
    """A worker forked by the zygote: the parts of ``multiprocessing.Process`` the pool uses.

    It is the zygote's child, not the driver's: its exit status arrives on
    ``sentinel`` (a pipe the zygote writes once it has reaped the worker),
    which is readable from the moment the worker has exited.
    """

    def __init__(self, pid: int, sentinel: int, zygote_pid: int) -> None:
        self.pid = pid
        self.sentinel = sentinel
        self.zygote_pid = zygote_pid
        self.exitcode: int | None = None
        #: Why it ended when its exit code cannot tell (its zygote ended first).
        self.ended_because: str | None = None
        self._ended = False

    def join(self, timeout: float | None = None) -> None:
        if self._ended or not wait_for([self.sentinel], timeout):
            return
        data = os.read(self.sentinel, _EXIT.size)
        if len(data) == _EXIT.size:
            self.exitcode = _EXIT.unpack(data)[0]
        else:
            # The zygote died: nobody can report this worker's end any more, so it ends now
            # (its step is failed, or retried in a worker from elsewhere).
            self.ended_because = f"the zygote process (pid {self.zygote_pid}) that forked it ended"
            if _process_alive(self.pid):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._ended = True
        os.close(self.sentinel)

    def is_alive(self) -> bool:
        self.join(0)
        return not self._ended

    def _signal(self, signum: int) -> None:
        if not self.is_alive():  # reaped: its pid may be another process's by now
            return
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)


class Zygote:
    """A fork of the driver, serving requests for worker processes over a socket."""

    def __init__(self, pid: int, control: socket.socket) -> None:
        self.pid = pid
        self._control = control
        self._requests = Connection(os.dup(control.fileno()))
        self._lock = threading.Lock()
        self._gone = False
        self._unfreeze = False  # gc.freeze() was ours to undo
        self._relay: _ImportRelay | None = None

    @classmethod
    def start(cls, modules: Sequence[str] = ()) -> Zygote | None:
        """Import ``modules`` and fork the zygote from this process now; None where that is
        not safe here."""
        if not sys.platform.startswith("linux") or threading.active_count() > 1:
            return None
        for name in modules:
            importlib.import_module(name)
        for stream in (sys.stdout, sys.stderr):  # else the children would write it again
            try:
                stream.flush()
            except Exception:
                pass
        ours, theirs = socket.socketpair()
        # Objects alive now are left alone by later collections, here and in the zygote: a
        # collection would write to every page they share (measured: a fully cached run of
        # 1,000 steps took 25 % longer with a zygote forked without this).
        unfreeze = gc.get_freeze_count() == 0
        gc.freeze()
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: the forkserver may still manage
            ours.close()
            theirs.close()
            if unfreeze:
                gc.unfreeze()
            return None
        if pid == 0:  # the zygote: never returns into the driver's code
            code = 0
            try:
                ours.close()
                _serve(theirs)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        zygote = cls(pid, ours)
        zygote._unfreeze = unfreeze
        zygote._relay = _ImportRelay(zygote)
        sys.meta_path.insert(0, zygote._relay)
        return zygote

    def _stop_relay(self) -> None:
        if self._relay is not None and self._relay in sys.meta_path:
            sys.meta_path.remove(self._relay)
        self._relay = None

    def import_libraries(self, names: list[str]) -> None:
        """Let the zygote import the installed packages ``names`` now (it does not wait)."""
        with self._lock:
            try:
                self._send(("import", names))
            except ZygoteGone:
                pass  # spawn() reports it

    def _send(self, request: tuple[Any, ...]) -> None:
        if self._gone:
            raise ZygoteGone("the zygote has ended")
        try:
            self._requests.send_bytes(pickle.dumps(request))
        except OSError as exc:
            self._gone = True
            raise ZygoteGone(f"the zygote has ended: {exc}") from None

    def preload(self, bootstrap: Any) -> None:
        """Let the zygote import the project's libraries now (it does not wait for that).

        Called once collection is done: the zygote stops following the driver's imports.
        """
        self._stop_relay()
        with self._lock:
            try:
                self._send(("preload", bootstrap))
            except ZygoteGone:
                pass  # spawn() reports it

    def spawn(self, bootstrap: Any, shared: bytes) -> tuple[ForkedProcess, Connection]:
        """A new worker running ``_worker_main(conn, bootstrap, shared)``; the driver's end of ``conn``."""
        with self._lock:
            self._send(("fork", bootstrap, shared))
            try:
                message, fds, _flags, _address = socket.recv_fds(self._control, _PID.size, 2)
            except OSError as exc:
                message, fds = b"", []
                error: str = str(exc)
            else:
                error = "it closed its socket"
            if len(message) != _PID.size or len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                self._gone = True
                raise ZygoteGone(f"the zygote did not fork a worker: {error}")
        (pid,) = _PID.unpack(message)
        return ForkedProcess(pid, fds[1], self.pid), Connection(fds[0])

    def close(self) -> None:
        """End the zygote and reap it. Its workers are the pool's to stop, first.

        It holds nothing to save, so it is killed rather than asked: it may be busy
        importing a library for workers that a fully cached run never needed.
        """
        self._gone = True
        self._stop_relay()
        self._requests.close()
        self._control.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        if self._unfreeze:  # zenrun called in a longer-lived process (a test suite)
            self._unfreeze = False
            gc.unfreeze()


class _ImportRelay(importlib.abc.MetaPathFinder):
    """Tells the zygote each installed package the driver starts importing while it collects.

    Both then import it at the same time, on two cores: a project importing
    scikit-learn would otherwise wait for the zygote to import it again after
    collection before its first worker could start. Only installed packages
    are relayed: the zygote never runs the project's own modules.
    """

    def __init__(self, zygote: Zygote) -> None:
        self.zygote = zygote
        self.seen: set[str] = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if path is None and name not in self.seen:  # a top-level module, first time
            self.seen.add(name)
            if name not in sys.stdlib_module_names and _is_installed_package(name):
                self.zygote.import_libraries([name])
        return None  # the import itself goes on as usual


def _is_installed_package(name: str) -> bool:
    try:
        spec = importlib.machinery.PathFinder.find_spec(name)
    except Exception:
        return False
    origin = getattr(spec, "origin", None) or ""
    parts = origin.split(os.sep)
    return "site-packages" in parts or "dist-packages" in parts


# -- the zygote side --------------------------------------------------------------------


def _serve(control: socket.socket) -> None:
    """Answer ``preload`` and ``fork`` requests until the driver closes the socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _set_process_name("zenrun-zygote")
    requests = Connection(os.dup(control.fileno()))
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    statuses: dict[int, int] = {}  # worker pid -> write end of its sentinel
    zygote_fds = (control.fileno(), requests.fileno(), wake_r, wake_w)
    while True:
        ready = wait_for([requests, wake_r])
        if wake_r in ready:  # a worker ended (SIGCHLD)
            with contextlib.suppress(BlockingIOError):
                while os.read(wake_r, 512):
                    pass
            _reap(statuses)
        if requests not in ready:
            continue
        try:
            request = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        if request[0] == "preload":
            _preload(request[1])
        elif request[0] == "import":
            _import_all(request[1])
        elif request[0] == "fork":
            pid, fds = _fork_worker(request[1], request[2], statuses, zygote_fds)
            try:
                socket.send_fds(control, [_PID.pack(pid)], fds)
            finally:
                for fd in fds:
                    os.close(fd)


def _set_process_name(name: str) -> None:
    """The name ``ps -o comm`` and ``top`` show (its command line stays the driver's)."""
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(name)
    except OSError:
        pass


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = statuses.pop(pid, None)
        if fd is not None:
            os.write(fd, _EXIT.pack(os.waitstatus_to_exitcode(status)))
            os.close(fd)


def _preload(bootstrap: Any) -> None:
    """Import what every worker will need, once, here."""
    bootstrap.apply()
    _import_all(bootstrap.preload)


def _import_all(names: Sequence[str]) -> None:
    # Silently: what a package prints or warns on import, the driver printed already.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), \
            contextlib.redirect_stderr(devnull):
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:  # the worker that needs it reports the error
                pass


def _fork_worker(bootstrap: Any, shared: bytes, statuses: dict[int, int],
                 zygote_fds: tuple[int, ...]) -> tuple[int, list[int]]:
    ours, theirs = socket.socketpair()
    sentinel_r, sentinel_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (*statuses.values(), *zygote_fds, sentinel_r, sentinel_w):
                os.close(fd)
            ours.close()
            _set_process_name("zenrun-worker")
            _worker_main(Connection(theirs.detach()), bootstrap, shared)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            os._exit(code)
    theirs.close()
    statuses[pid] = sentinel_w
    return pid, [ours.detach(), sentinel_r]
