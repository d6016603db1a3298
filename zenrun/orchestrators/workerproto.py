"""The worker protocol: what a worker process runs, whoever forked it.

A worker serves one task at a time over a pipe. Its first message may be
``(bootstrap, shared)`` (a worker forked ahead of time learns then what it
serves); then each request is ``(fn, args)``, pickled with cloudpickle, and
each reply ``(ok, result | error)``. :class:`~zenrun.orchestrators.workers.WorkerPool`
starts workers running :func:`worker_main` from a forkserver, and the
:class:`~zenrun.orchestrators.zygote.Zygote` from its own forks; both use the
process helpers here (:func:`process_alive`, :func:`apply_environ`,
:func:`descriptors_silenced`, :func:`ignore_interrupt`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import cloudpickle

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.capture import CaptureSettings, capturing, report_crashes_to_stderr
from zenrun.unhandled import install as install_unhandled_hooks

if TYPE_CHECKING:
    from zenrun.orchestrators.workers import Bootstrap

#: Seconds between a worker's checks that its driver process is still there.
DRIVER_CHECK_INTERVAL = 0.5


class TaskNotSent(Exception):
    """A task could not be pickled for a worker process."""


def apply_environ(environ: dict[str, str]) -> None:
    """Make ``os.environ`` equal to ``environ``."""
    for name in [n for n in os.environ if n not in environ]:
        del os.environ[name]
    for name, value in environ.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


#: The worker process whose SIGTERM :func:`_interrupt` turns into a KeyboardInterrupt.
_worker_pid: int | None = None


class Terminated(KeyboardInterrupt):
    """The worker's SIGTERM, as an exception that unwinds the step: told apart from a
    ``KeyboardInterrupt`` the step raised itself, which goes back to the driver."""


def _interrupt(signum: int, frame: Any) -> None:
    if os.getpid() != _worker_pid:  # a process a step forked: ends as SIGTERM ends it by default
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated(f"terminated by the driver (signal {signum})")


_default_while_forking = False


def _sigterm_default_while_forking() -> None:
    """Before a step's code forks (a multiprocessing pool starting its workers): SIGTERM back
    to its default, so that the child starts with it. A child that inherits a Python handler
    loses a SIGTERM that comes before its interpreter runs again (CPython clears the signals
    that arrived meanwhile): ``pool.terminate()`` of a child not yet scheduled then left it
    waiting for a lock the pool holds, and the step's ``with Pool()`` waited for ever."""
    global _default_while_forking
    if (
        os.getpid() == _worker_pid
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is _interrupt
    ):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _default_while_forking = True


def _sigterm_handled_again() -> None:
    global _default_while_forking
    if _default_while_forking:
        _default_while_forking = False
        signal.signal(signal.SIGTERM, _interrupt)


def ignore_interrupt(signum: int, frame: Any) -> None:
    """SIGINT handler of processes whose Ctrl-C is the driver's to handle.

    A handler rather than ``SIG_IGN``: an ignored signal stays ignored in the
    programs a step starts (``exec`` keeps it), which Ctrl-C could then not stop.
    """


class _NoStdin:
    """``sys.stdin`` of a worker: its output is captured and nobody would see a prompt."""

    def read(self, *args: Any) -> str:
        raise OSError(
            "zenrun: reading from stdin in a worker process: a step under -n cannot "
            "prompt; run it without -n, and with -s"
        )

    readline = read
    readlines = read

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> str:
        return self.read()

    def fileno(self) -> int:
        import io

        raise io.UnsupportedOperation("zenrun: a worker process's stdin has no descriptor")

    def isatty(self) -> bool:
        return False

    def close(self) -> None:
        pass

    encoding = "utf-8"
    closed = False


def worker_main(conn: Connection, bootstrap: Bootstrap | None = None, shared: bytes | None = None) -> None:
    """The worker loop: receive ``(fn, args)``, send back ``(ok, result | error)``.

    Without ``bootstrap``, the first message brings ``(bootstrap, shared)``: a worker
    forked ahead of time is told what it serves only when the pool adopts it.
    """
    global _worker_pid
    _worker_pid = os.getpid()
    signal.signal(signal.SIGINT, ignore_interrupt)  # Ctrl-C is the driver's to handle
    signal.signal(signal.SIGTERM, _interrupt)
    os.register_at_fork(before=_sigterm_default_while_forking, after_in_parent=_sigterm_handled_again)
    sys.stdin = _NoStdin()
    report_crashes_to_stderr(replace=True)  # the worker's, whatever it inherited
    install_unhandled_hooks()  # a thread a step starts that dies: a warning of the step
    if bootstrap is None:
        try:
            bootstrap, shared = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError, KeyboardInterrupt):  # never adopted
            return
    bootstrap.apply()
    _same_multiprocessing_on_every_worker_kind(bootstrap.start_method)
    threading.Thread(
        target=_exit_with_driver, args=(bootstrap.driver_pid,), daemon=True, name="zenrun-driver-watch"
    ).start()
    shared_args: list[Any] = []
    terminated = False
    try:
        _serve(conn, shared or b"", shared_args)
    except KeyboardInterrupt:  # SIGTERM: from the driver, or from anyone else
        terminated = True
    finally:
        # A store that writes in the background finishes its writes: no temporaries left.
        for value in shared_args:
            try:
                getattr(value, "close", lambda: None)()
            except BaseException:
                pass
    if terminated:  # end as killed by SIGTERM, so that the driver reports that, not "exit 0"
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _same_multiprocessing_on_every_worker_kind(start_method: str | None) -> None:
    """A step sees the same ``multiprocessing`` in a worker forked by the zygote, by a
    forkserver or spawned: a process that may have children, the driver's start method.

    A forkserver worker is a daemonic ``multiprocessing.Process`` (the driver's exit ends
    it), and a daemonic process may not start children: a step's ``multiprocessing.Pool``
    would fail there ("daemonic processes are not allowed to have children") and work in
    a zygote's worker. The flag is cleared here, in the worker only: the driver still
    holds it daemonic, and a worker also ends with its driver (``_exit_with_driver``).
    A forkserver child also takes ``forkserver`` as its default start method; the
    driver's is restored so that a step's pool starts its processes as in the driver.
    """
    multiprocessing.current_process()._config.pop("daemon", None)  # type: ignore[attr-defined]
    with contextlib.suppress(ValueError, RuntimeError):
        multiprocessing.set_start_method(start_method, force=True)


def _exit_with_driver(driver_pid: int, interval: float = DRIVER_CHECK_INTERVAL) -> None:
    """End this worker when the driver is gone (``kill -9``): nobody would read its result,
    and a training step could otherwise run on for hours. The store stays consistent: the
    driver's run is found dead by its lock, and stale temporaries are swept."""
    while True:
        time.sleep(interval)
        if not process_alive(driver_pid):
            os._exit(70)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed driver not yet reaped by its parent is a zombie: dead all the same
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


@contextlib.contextmanager
def descriptors_silenced() -> Any:
    """Descriptors 1 and 2 point at ``/dev/null`` in the block (what C code, a subprocess
    or Python writes while a module is imported; the driver showed it, or captured it,
    already). Silenced at the descriptors, not by swapping ``sys.stdout``: a library that
    keeps the stream it finds at import (a logging handler, a sink) must keep a working one."""
    saved = []
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    _flush_python_streams()
    try:
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                copy = os.dup(fd)
                os.dup2(null, fd)
                saved.append((fd, copy))
        yield
    finally:
        _flush_python_streams()
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _serve(conn: Connection, shared: bytes, shared_args: list[Any]) -> None:
    worker_pid = os.getpid()
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        # Loading a task imports its project modules: what they print on import, the
        # driver printed (or captured) at collection already. Captured here, not sent to a
        # throw-away stream, so that a handler a module makes on import keeps working.
        printed = None
        reply: tuple[bool, Any]
        try:
            with capturing(CaptureSettings()) as printed, descriptors_silenced():
                if not shared_args:
                    shared_args.extend(cloudpickle.loads(shared))
                fn, args = cloudpickle.loads(payload)
        except Exception as exc:  # e.g. a project module that does not import here
            output = "".join(printed.texts().values()).strip() if printed else ""
            reply = (
                False,
                TaskNotSent(
                    (f"output while loading it:\n{output[-4000:]}\n" if output else "")
                    + "could not be loaded in the worker process: "
                    f"{''.join(traceback.format_exception_only(type(exc), exc)).strip()}"
                ),
            )
        else:
            try:
                reply = (True, fn(*shared_args, *args))
            except Terminated:
                raise
            except (Exception, KeyboardInterrupt) as exc:  # a step's own KeyboardInterrupt: the
                reply = (False, exc)  # driver's session is interrupted, as when it runs there
            if os.getpid() != worker_pid:  # a step forked and its child returned: not ours to say
                os._exit(0)
        try:
            data = cloudpickle.dumps(reply)
        except Exception as exc:
            data = cloudpickle.dumps((False, RuntimeError(f"result could not be sent back: {exc}")))
        try:
            conn.send_bytes(data)
        except OSError:
            return
