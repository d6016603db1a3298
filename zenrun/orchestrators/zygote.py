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
the platform is not Linux; the pool then uses the forkserver. When every
step will go to a worker (a store's first run), the driver forks a second
zygote after collection if it still runs no other thread (``late``): that
one has the project's libraries imported already, and the driver's open
files blinded (see :func:`_blind_inherited`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.abc
import importlib.machinery
import os
import pickle
import select
import signal
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for
from typing import Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.deferred import make_all
from zenrun.orchestrators.workerproto import (
    apply_environ,
    descriptors_silenced,
    ignore_interrupt,
    process_alive,
    worker_main,
)
from zenrun.sources import real_path

_PID = struct.Struct("q")
_EXIT = struct.Struct("i")

#: Seconds the driver waits for a stopped zygote (SIGSTOP, a debugger) to answer a fork
#: request, or to report a worker's exit status, before it gives up on it: workers then
#: come from the forkserver.
STOPPED_TIMEOUT = 3.0
#: Seconds the driver waits for a zygote that runs but does not answer (busy importing a
#: large library for the workers, or stuck) before it gives up on it.
BUSY_TIMEOUT = 60.0


def _process_state(pid: int) -> str | None:
    """The state ``ps`` shows (``R``, ``S``, ``T`` stopped, ``Z``...), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _stopped(state: str | None) -> bool:
    return state in ("T", "t")


def _wait_for_zygote(zygote_pid: int, ready: Any, write: bool = False) -> str | None:
    """Wait until ``ready`` (a descriptor) is readable (``write``: writable); None then,
    else why it never will be.

    A zygote seen stopped for :data:`STOPPED_TIMEOUT` seconds, gone, or running without an
    answer for :data:`BUSY_TIMEOUT` seconds is given up on. Stopped is measured from when
    it is first seen so (a Ctrl-Z that stopped the driver with it stops neither clock).
    """
    start = time.monotonic()
    stopped_since: float | None = None
    while True:
        if select.select([], [ready], [], 0.1)[1] if write else wait_for([ready], 0.1):
            return None
        now = time.monotonic()
        state = _process_state(zygote_pid)
        if state is None or state in ("Z", "X"):
            return f"the zygote process (pid {zygote_pid}) has ended"
        if _stopped(state):
            stopped_since = now if stopped_since is None else stopped_since
            if now - stopped_since >= STOPPED_TIMEOUT:
                return (
                    f"the zygote process (pid {zygote_pid}) is stopped (SIGSTOP or a "
                    f"debugger) and has not answered for {now - stopped_since:.0f}s"
                )
        else:
            stopped_since = None
            if now - start >= BUSY_TIMEOUT:
                return f"the zygote process (pid {zygote_pid}) has not answered for {now - start:.0f}s"


class ZygoteGone(Exception):
    """The zygote process is not there any more: workers must come from elsewhere."""


class ForkedProcess:
    """A worker forked by the zygote: the parts of ``multiprocessing.Process`` the pool uses.

    It is the zygote's child, not the driver's. Its ``sentinel`` is a pidfd
    (Linux 5.3+), readable once the worker has exited whatever becomes of the
    zygote; its exit status comes through a pipe the zygote writes once it has
    reaped the worker. Without pidfds that pipe is the sentinel too.
    """

    def __init__(self, pid: int, status: int, zygote_pid: int) -> None:
        self.pid = pid
        self.zygote_pid = zygote_pid
        self.exitcode: int | None = None
        #: Why it ended when its exit code cannot tell (its zygote ended first).
        self.ended_because: str | None = None
        self._status = status
        self._ended = False
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):  # an old kernel, or it is already gone
            self._pidfd = None
        self.sentinel = self._pidfd if self._pidfd is not None else status

    def join(self, timeout: float | None = None) -> None:
        """Wait up to ``timeout`` seconds for the worker to end; then ``exitcode`` is set."""
        if self._ended or not wait_for([self.sentinel], timeout):
            return
        # Ended (or, without a pidfd, the zygote spoke or died). The zygote reaps it at once,
        # unless it is stopped or stuck: then the status is not waited for beyond a bound.
        why = _wait_for_zygote(self.zygote_pid, self._status)
        data = os.read(self._status, _EXIT.size) if why is None else b""
        if len(data) == _EXIT.size:
            self.exitcode = _EXIT.unpack(data)[0]
        else:
            why = why or f"the zygote process (pid {self.zygote_pid}) that forked it had ended"
            self.ended_because = f"its exit status is unknown: {why}"
            if self._pidfd is None and process_alive(self.pid):
                # Without a pidfd nobody could tell its end any more: it ends now (its step
                # is failed, or retried in a worker from elsewhere).
                self.ended_because = f"the zygote process (pid {self.zygote_pid}) that forked it ended"
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
        self._ended = True
        for fd in {self._status, self.sentinel}:
            os.close(fd)

    def is_alive(self) -> bool:
        self.join(0)
        return not self._ended

    def _signal(self, signum: int) -> None:
        if not self.is_alive():  # reaped: its pid may be another process's by now
            return
        with contextlib.suppress(ProcessLookupError):
            if self._pidfd is not None:  # names this process, never a later one with its pid
                signal.pidfd_send_signal(self._pidfd, signum)
            else:
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM: the step unwinds)."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop it now (SIGKILL)."""
        self._signal(signal.SIGKILL)


class Zygote:
    """A fork of the driver, serving requests for worker processes over a socket."""

    def __init__(self, pid: int, control: socket.socket) -> None:
        self.pid = pid
        self._control = control
        self._lock = threading.RLock()  # the import relay may re-enter while a request is sent
        self._gone = False  # it cannot fork workers any more
        self._gone_why = "the zygote has ended"  # why, said again by later requests
        self._closed = False
        self._pending = 0  # fork requests sent whose replies were not read yet
        self._unfreeze = False  # gc.freeze() was ours to undo
        self._relay: _ImportRelay | None = None
        #: Libraries the driver imported, kept for :meth:`preload` instead of being imported
        #: at once (None: imported at once, while the driver collects).
        self.deferred: list[str] | None = None

    @classmethod
    def start(cls, modules: Sequence[str] = (), late: str | None = None) -> Zygote | None:
        """Import ``modules`` and fork the zygote from this process now; None where that is
        not safe here.

        ``late`` (the project's root directory): forked after collection, with every library
        the pipelines import already imported (its workers import none again). The
        project's own modules are forgotten there (workers import them, as they would
        from a zygote forked earlier), and the driver's open files (its stores, its
        capture files) are pointed at ``/dev/null``, so that nothing it or its workers do
        can touch them.
        """
        if not sys.platform.startswith("linux") or threading.active_count() > 1:
            return None
        for name in modules:
            importlib.import_module(name)
        make_all()  # zenrun's records' classes: made once here, not by each worker's first step
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
                if late is not None:
                    _blind_inherited(theirs.fileno())
                    _forget_modules_under(late)
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

    def stop_following(self) -> None:
        """Collection is done: the zygote stops following the driver's imports."""
        self._stop_relay()

    def _stop_relay(self) -> None:
        if self._relay is not None and self._relay in sys.meta_path:
            sys.meta_path.remove(self._relay)
        self._relay = None

    def import_libraries(self, names: list[str]) -> None:
        """Let the zygote import the installed packages ``names`` now (it does not wait),
        with the driver's environment as it is now (a conftest may have set variables the
        library reads on import)."""
        if self.deferred is not None:
            self.deferred.extend(n for n in names if n not in self.deferred)
            return
        with self._lock:
            try:
                self._send(("import", names, dict(os.environ)))
            except ZygoteGone:
                pass  # spawn() reports it

    def _send(self, request: tuple[Any, ...]) -> None:
        if self._gone:
            raise ZygoteGone(self._gone_why)
        payload = pickle.dumps(request)
        # Framed as Connection.send_bytes does (the zygote reads with recv_bytes), and sent
        # as the socket takes it: a stopped zygote that reads nothing fills the socket, and
        # the driver must not wait for it beyond the bounds of _wait_for_zygote.
        size = len(payload)
        header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
        data = memoryview(header + payload)
        try:
            while data:
                why = _wait_for_zygote(self.pid, self._control, write=True)
                if why is not None:
                    self._gone, self._gone_why = True, why  # a request may be cut short
                    raise ZygoteGone(why)
                try:
                    data = data[self._control.send(data, socket.MSG_DONTWAIT) :]
                except BlockingIOError:  # taken by another request meanwhile: wait again
                    time.sleep(0.005)
        except OSError as exc:
            self._gone, self._gone_why = True, f"the zygote has ended: {exc}"
            raise ZygoteGone(self._gone_why) from None

    def preload(self, bootstrap: Any) -> None:
        """Let the zygote import the project's libraries now (it does not wait for that).

        Called once collection is done: the zygote stops following the driver's imports.
        """
        self._stop_relay()
        deferred, self.deferred = self.deferred, None
        if deferred:
            self.import_libraries(deferred)
        with self._lock:
            try:
                self._send(("preload", bootstrap))
            except ZygoteGone:
                pass  # spawn() reports it

    def prefork(self, count: int) -> None:
        """Have ``count`` workers forked now, ahead of the first step (it does not wait):
        :meth:`spawn` hands them out first."""
        with self._lock:
            for _ in range(count):
                try:
                    self._send(("fork",))
                except ZygoteGone:
                    return  # spawn() reports it
                self._pending += 1

    def spawn(self, bootstrap: Any, shared: bytes) -> tuple[ForkedProcess, Connection]:
        """A worker running ``worker_main`` for ``bootstrap`` and ``shared``; the driver's
        end of its connection.

        Raises :class:`ZygoteGone` when workers must come from elsewhere from now on, and
        ``OSError`` when this one could not be forked (out of processes or descriptors).
        """
        with self._lock:
            if not self._pending:
                self._send(("fork",))
                self._pending += 1
            why = _wait_for_zygote(self.pid, self._control)
            if why is not None:  # a reply may still come: the next one would be off
                self._gone, self._gone_why = True, why
                raise ZygoteGone(why)
            try:
                message, fds, _flags, _address = socket.recv_fds(self._control, _PID.size, 2)
            except BaseException as exc:  # a reply may still come: the next one would be off
                self._gone = True
                if isinstance(exc, OSError):
                    raise ZygoteGone(f"the zygote did not answer: {exc}") from None
                raise
            self._pending -= 1
            for fd in fds:
                os.set_inheritable(fd, False)
            (pid,) = _PID.unpack(message) if len(message) == _PID.size else (None,)
            if pid is None or pid == 0 or (pid > 0 and len(fds) != 2):
                for fd in fds:
                    os.close(fd)
                self._gone = True
                why = (
                    "it closed its socket"
                    if pid is None
                    else "it runs threads now (a library started one)"
                    if pid == 0
                    else "no descriptors came"
                )
                raise ZygoteGone(f"the zygote cannot fork workers: {why}")
            if pid < 0:
                raise OSError(-pid, f"the zygote could not fork a worker: {os.strerror(-pid)}")
        process, conn = ForkedProcess(pid, fds[1], self.pid), Connection(fds[0])
        try:  # what it serves: its first message
            conn.send_bytes(pickle.dumps((bootstrap, shared)))
        except OSError:  # died already: the pool finds out from its sentinel
            pass
        return process, conn

    def close(self) -> None:
        """End the zygote and reap it. Its workers are the pool's to stop, first.

        It holds nothing to save, so it is killed rather than asked: it may be busy
        importing a library for workers that a fully cached run never needed.
        """
        if self._closed:
            return
        self._closed = self._gone = True
        self._stop_relay()
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
    signal.signal(signal.SIGINT, ignore_interrupt)  # Ctrl-C is the driver's to handle
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
            apply_environ(request[2])
            _import_all(request[1])
        elif request[0] == "fork":
            if threading.active_count() > 1:  # a library started one: forking is unsafe now
                socket.send_fds(control, [_PID.pack(0)], [])
                continue
            try:
                pid, fds = _fork_worker(statuses, zygote_fds)
            except OSError as exc:  # out of processes or descriptors: this worker only
                socket.send_fds(control, [_PID.pack(-(exc.errno or 1))], [])
                continue
            try:
                socket.send_fds(control, [_PID.pack(pid)], fds)
            finally:
                for fd in fds:
                    os.close(fd)


def _blind_inherited(keep: int) -> None:
    """Point every descriptor but the standard streams and ``keep`` at ``/dev/null``: the
    numbers stay taken (an object of the driver's closing its own later closes that, not
    a file opened here since), and the files behind them (a store's database, its locks)
    are released here."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        fds = []
    for fd in fds:
        if fd > 2 and fd not in (keep, null):
            with contextlib.suppress(OSError):
                os.dup2(null, fd, inheritable=False)
    os.close(null)


def _forget_modules_under(root: str) -> None:
    """Drop the modules loaded from ``root`` (the project's) from ``sys.modules``; installed
    packages stay, a virtualenv inside the project's directory included."""
    prefix = os.path.join(os.path.realpath(root), "")
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", None) or ()), None)
        if not isinstance(where, str):
            continue
        path = real_path(where)  # each folder resolved once: 13 ms, not 45, with scikit-learn
        parts = path.split(os.sep)
        if path.startswith(prefix) and "site-packages" not in parts and "dist-packages" not in parts:
            del sys.modules[name]


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
    """Import ``names`` here, silently: what they print or warn on import, the driver
    printed (or captured) already."""
    with descriptors_silenced():
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:  # the worker that needs it reports the error
                pass


def _fork_worker(statuses: dict[int, int], zygote_fds: tuple[int, ...]) -> tuple[int, list[int]]:
    """Fork a worker; returns its pid and, for the driver, its socket end and status pipe."""
    ours, theirs = socket.socketpair()
    status_r, status_w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        os.close(status_r)
        os.close(status_w)
        raise
    if pid == 0:  # the worker
        code = 0
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (*statuses.values(), *zygote_fds, status_r, status_w):
                os.close(fd)
            ours.close()
            _set_process_name("zenrun-worker")
            worker_main(Connection(theirs.detach()))  # told what it serves by its first message
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
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
    statuses[pid] = status_w
    return pid, [ours.detach(), status_r]
