"""Per-step capture of stdout, stderr and ``logging`` records, as pytest captures per test.

Steps may run on several threads of one process at once, so capture is per
thread: ``sys.stdout`` and ``sys.stderr`` become proxies that send a
thread's writes to its step's buffer while the step runs, and everything
else to the real stream; a handler on the root logger does the same for
log records. Capture starts where the step runs (in a worker process or on a
Dask worker too) and the text travels back with the task result. Each stream
keeps its last :data:`MAX_CAPTURE` characters.

``--capture=fd`` (the default, as in pytest) also captures what reaches file
descriptors 1 and 2 while a step runs: output of C extensions and of
subprocesses. That is process-wide, so it applies where steps run one at a
time on a process's main thread (the local orchestrator, ``-n`` worker
processes, fixtures in the driver); steps on threads (``--dist threads``,
Dask) capture at the ``sys`` level only. The reporter meanwhile writes to a
copy of the terminal's descriptor, so progress lines are never captured.

``-s`` / ``--capture=no`` turns it off; ``--capture=sys`` captures Python's
streams only; ``--capture=tee-sys`` captures and also writes through;
``--log-cli-level`` streams log records live.

The capture fixtures (``capsys`` and its kin, :class:`CaptureFixture`) sit in front of
that: while one is active on a thread, the proxies give that thread's writes to it
first (``_local.tap``), and ``capfd`` points descriptors 1 and 2 at its own spools,
putting back what they were (a step's spools, or the terminal) when it stops.

What a step leaves running writes into no later step's capture ("stray output"):

- Python-level writes (``print``, ``sys.stdout.write``, logging) are routed by
  the thread that makes them, and only a step's own thread is captured: a
  thread a step starts writes through to the real streams, during its step
  and after it (with ``sys`` and ``fd`` capture alike).
- With ``fd`` capture, descriptors 1 and 2 point at spool files while a step
  runs, and every process the step starts (``subprocess``, ``multiprocessing``,
  a daemon) inherits them. A step during which a process was created (any
  process: the last process id the system gave out, read from
  ``/proc/sys/kernel/ns_last_pid`` or ``/proc/loadavg``, changed) therefore hands
  its spools over to the stray-output sink, and the next capture gets new ones (in
  memory: ``memfd_create``): once
  the step has ended and its spool is read, what its leftover processes write
  lands in that retired spool, which no capture reads. The last
  :data:`RETIRED_SPOOLS` retired spools are emptied as captures start (at most
  every second), so a chatty leftover process holds no more memory than it
  writes in a second or a step while zenrun runs. The spools of a step that
  created no process (most) are emptied and written into by the next capture:
  no process can hold them. (One spool reused by every step whatever it did, as
  before, put a daemon's output in the captured output of every later step.)
  Cost: a few µs per captured step, more when it started a process.
  Spools are opened for appending: a step and the processes it started share the
  file's offset, which the kernel does not serialize between processes for a memfd,
  so two writers at once would write at the same offset, one over the other.
- Between two steps of the local orchestrator (:func:`back_to_back`), descriptors 1 and 2
  stay on the last step's emptied spools, for the next step to take over (fewer system
  calls per step). What reaches them in between is passed on to the terminal as the next
  step starts; a plugin's per-step hook and the debugger run with them on the terminal
  (:func:`unpark`), and the block ends with them there.
- Not separable: a thread of the process writing to descriptors 1 or 2
  directly (C code, ``os.write``) after its step ended. Descriptors belong to
  the process, so while a later step captures them, such writes are that
  step's; between steps they reach the terminal (as the next step starts, with the
  local orchestrator). A project with such threads runs with ``--capture=sys``.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import fcntl
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, NamedTuple, TextIO, TypeVar

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.deferred import dataclass
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.logformat import (
    DEFAULT_LOG_DATE_FORMAT,
    DEFAULT_LOG_FORMAT,
    LogFormatter,
    log_level_option,
    option_or_ini,
    session_formatter,
)

_F = TypeVar("_F", bound=Callable[..., Any])

MAX_CAPTURE = 64 * 1024  # characters kept per stream and step
LOG_FORMAT = DEFAULT_LOG_FORMAT
STREAMS = ("stdout", "stderr", "log")


@dataclass(frozen=True)
class CaptureSettings:
    """How steps capture; travels to workers with each task (picklable)."""

    tee: bool = False  # also write through to the real streams
    log_level: int | None = None  # lowest level of captured records; None: the root logger's
    fd: bool = False  # also file descriptors 1 and 2, where one step runs at a time
    log_format: str = DEFAULT_LOG_FORMAT  # --log-format
    log_date_format: str = DEFAULT_LOG_DATE_FORMAT  # --log-date-format
    log_auto_indent: int = 0  # --log-auto-indent
    disabled_loggers: tuple[str, ...] = ()  # --log-disable: also where steps run in workers
    logs: bool = True  # capture log records (-p no:logging: they go to stderr, as pytest's)


class _Buffer:
    """The tail of one stream: at most ``limit`` characters, counting what was cut."""

    def __init__(self, limit: int = MAX_CAPTURE) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 2 * self.limit:
            self._trim()

    def _trim(self) -> None:
        text = "".join(self.parts)
        cut = max(0, len(text) - self.limit)
        self.dropped += cut
        self.parts, self.size = [text[cut:]], len(text) - cut

    def getvalue(self) -> str:
        if not self.parts:
            return ""
        self._trim()
        text = "".join(self.parts)
        if self.dropped:
            return f"[... {self.dropped} characters truncated ...]\n{text}"
        return text


class _Buffers(dict[str, _Buffer]):
    """The buffers of a capture by stream, each made when first written to (most steps
    write to none of the three)."""

    def __missing__(self, name: str) -> _Buffer:
        buffer = self[name] = _Buffer()
        return buffer


class StepCapture:
    """What one step (or fixture block) wrote, by stream."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self.buffers = _Buffers()
        #: While its file descriptors are captured: Python's writes go to the same files
        #: (``fd_spools``: stream -> descriptor), so that they stay in order with what C
        #: code and subprocesses write.
        self.fd_spools: dict[str, int] = {}
        self.fd_writers: dict[str, TextIO] = {}

    def fd_writer(self, name: str) -> TextIO | None:
        """The writer into ``name``'s spool while descriptors are captured (made on first use)."""
        writer = self.fd_writers.get(name)
        if writer is None and name in self.fd_spools:
            import io

            writer = self.fd_writers[name] = io.TextIOWrapper(
                io.FileIO(self.fd_spools[name], "w", closefd=False),
                encoding="utf-8",
                errors="replace",
                write_through=True,
            )
        return writer

    def texts(self) -> dict[str, str]:
        """The non-empty streams: ``{"stdout": ..., "stderr": ..., "log": ...}``."""
        buffers = self.buffers
        if not buffers:
            return {}
        return {name: text for name in STREAMS if name in buffers and (text := buffers[name].getvalue())}


_local = threading.local()  # .capture: the StepCapture of the step running in this thread
_install_lock = threading.Lock()
#: Called before a write passes through to the real stdout/stderr (the reporter clears
#: its progress line).
before_passthrough: Callable[[], None] | None = None


def _current() -> StepCapture | None:
    return getattr(_local, "capture", None)


class _ThreadStream:
    """Stands in for ``sys.stdout`` / ``sys.stderr``: dispatches each write on its thread."""

    def __init__(self, name: str, original: TextIO) -> None:
        self._name = name
        self._original = original
        self._closed = False

    def write(self, text: str) -> int:
        tap = getattr(_local, "tap", None)
        if tap is None:
            # A step's print() under descriptor capture, once its spool's writer is made: the
            # writes of a print, four for ``print("loss", x)``, each took five calls to get here.
            capture = getattr(_local, "capture", None)
            if capture is not None:
                writer = capture.fd_writers.get(self._name)
                if writer is not None:
                    return writer.write(text)
            return self._write_captured(text)
        # A capture fixture (capsys, capfd, ...) captures on this thread.
        if tap is _BYPASS:  # its disabled(): to the terminal
            self._passthrough(text)
            return len(text)
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if tap.take(self._name, text) and not tap.tee:
            return len(text)
        return self._write_captured(text)

    def _write_captured(self, text: str) -> int:
        """Where ``text`` goes without a capture fixture: the step's capture, or the terminal."""
        capture = _current()
        if capture is not None:
            writer = capture.fd_writer(self._name) if capture.fd_spools else None
            if writer is not None:
                writer.write(text)
                return len(text)
            capture.buffers[self._name].write(text)
            if not capture.settings.tee:
                return len(text)
        self._passthrough(text)
        return len(text)

    def _passthrough(self, text: str) -> None:
        if self._closed:
            return
        if before_passthrough is not None:
            before_passthrough()
        try:
            with terminal_stream(self._original) as target:
                target.write(text)
                if target is not self._original:
                    target.flush()
        except BrokenPipeError:  # nobody reads any more: the run goes on
            self._stop()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            self._stop()

    def _stop(self) -> None:
        self._closed = True
        silence_stdout()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def close(self) -> None:
        """A step closing ``sys.stdout`` closes nothing: the real stream outlives it."""

    def flush(self) -> None:
        if _current() is None and not self._closed:
            try:
                self._original.flush()
            except BrokenPipeError:  # as a write finds it (output buffered: a pipe, no -u)
                self._stop()
            except ValueError:  # closed
                self._closed = True

    def isatty(self) -> bool:
        tap = getattr(_local, "tap", None)
        if _current() is not None or (tap is not None and tap is not _BYPASS):
            return False
        return bool(self._original.isatty())

    @property
    def buffer(self) -> Any:
        """The binary stream beneath: while a capture fixture captures on this thread, one
        writing into it (``sys.stdout.buffer.write(b"...")``, as ``capsysbinary`` reads)."""
        tap = getattr(_local, "tap", None)
        if tap is not None and tap is not _BYPASS:
            return _TapBuffer(self, tap)
        return self._original.buffer

    @property
    def errors(self) -> str:
        """The error handler of the stream (a text buffer standing in for it has none)."""
        return getattr(self._original, "errors", None) or "strict"

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, buffer, ...
        return getattr(self._original, name)


class _LogHandler(logging.Handler):
    """On the root logger: a record goes to the capture of the thread that logged it."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(LogFormatter(LOG_FORMAT))
        self._formatters: dict[tuple[str, str, int], logging.Formatter] = {}

    def _formatter(self, settings: CaptureSettings) -> logging.Formatter:
        shape = (settings.log_format, settings.log_date_format, settings.log_auto_indent)
        formatter = self._formatters.get(shape)
        if formatter is None:
            formatter = self._formatters[shape] = LogFormatter(*shape)
        return formatter

    def emit(self, record: logging.LogRecord) -> None:
        capture = _current()
        if capture is None or not capture.settings.logs:
            # Outside steps (or with -s, or -p no:logging) do what logging does without
            # handlers: warnings and errors to stderr.
            if record.levelno >= logging.WARNING and all(
                handler is self or isinstance(handler, _LogFileHandler)
                for handler in logging.getLogger().handlers
            ):
                logging.lastResort.handle(record)  # type: ignore[union-attr]
            return
        level = capture.settings.log_level
        if level is not None and record.levelno < level:
            return
        try:
            capture.buffers["log"].write(self._formatter(capture.settings).format(record) + "\n")
        except Exception:
            if logging.raiseExceptions:  # as pytest's handler: a broken logging call fails the step
                raise
            self.handleError(record)


_log_handler = _LogHandler()


def install(logs: bool = True) -> None:
    """Put the dispatching proxies in place in this process (idempotent); with ``logs``, also
    the handler capturing log records on the root logger.

    Without ``logs`` the root logger is left as it is: while the initial conftests load (a
    ``logging.basicConfig()`` there configures logging, as under pytest, whose logging
    handlers come later), with ``-p no:logging`` (records go where logging sends them), and
    for the capture fixtures, which capture streams only."""
    root = logging.root  # (getLogger() without its call: at every step)
    if (
        type(sys.stdout) is _ThreadStream
        and type(sys.stderr) is _ThreadStream
        and (not logs or _log_handler in root.handlers)
    ):
        return  # as at every step: no lock to take
    with _install_lock:
        if not isinstance(sys.stdout, _ThreadStream):
            sys.stdout = _ThreadStream("stdout", sys.stdout)
        if not isinstance(sys.stderr, _ThreadStream):
            sys.stderr = _ThreadStream("stderr", sys.stderr)
        if logs and _log_handler not in root.handlers:
            root.addHandler(_log_handler)


def installed() -> bool:
    """Whether the dispatching proxies are ``sys.stdout`` and ``sys.stderr`` now."""
    return isinstance(sys.stdout, _ThreadStream) and isinstance(sys.stderr, _ThreadStream)


def unwrap(stream: Any) -> Any:
    """The real stream behind a capture proxy (the reporter writes there, never captured)."""
    return stream._original if isinstance(stream, _ThreadStream) else stream


def uninstall() -> None:
    """Restore the real streams (the CLI does at the end of the session)."""
    with _install_lock:
        if isinstance(sys.stdout, _ThreadStream):
            sys.stdout = sys.stdout._original
        if isinstance(sys.stderr, _ThreadStream):
            sys.stderr = sys.stderr._original
        logging.getLogger().removeHandler(_log_handler)


class capturing:
    """Capture this thread's output while the block runs; ``None`` settings: no capture.

    A class, not a generator: it is entered around every step, and a generator-based
    context manager (and its nested ones) costs more than the rest of the capture.
    """

    __slots__ = ("capture", "on_main_thread", "previous", "redirected", "settings")

    def __init__(self, settings: CaptureSettings | None) -> None:
        self.settings = settings
        self.redirected: tuple[bytes | None, list[_Redirected]] | None = None

    def __enter__(self) -> StepCapture | None:
        settings = self.settings
        if settings is None:
            return None
        if _parked is not None:  # the next step of a chain, usually
            taken = self._take_over_parked(settings)
            if taken is not None:
                return taken
        install(settings.logs)
        global _thread_captures
        capture, previous = StepCapture(settings), _current()
        self.capture, self.previous = capture, previous
        _local.capture = capture
        on_main_thread = self.on_main_thread = threading.get_ident() == _main_ident
        for name in settings.disabled_loggers:  # (process-wide, as in the driver: a worker's first step)
            logging.getLogger(name).disabled = True
        if settings.log_level is not None:
            root = logging.getLogger()
            if settings.log_level < root.getEffectiveLevel():
                # Process-wide, as pytest's --log-level; set once (steps on other threads
                # rely on it), in a worker process on its first step.
                root.setLevel(settings.log_level)
        # Descriptors belong to the process: captured only where steps run one at a time.
        with _install_lock:
            by_fd = (
                settings.fd
                and previous is None
                and on_main_thread
                and (not _terminal_fds or _parked is not None)  # parked: this one takes over
                and _thread_captures == 0
            )
            if not on_main_thread:
                _thread_captures += 1
        if by_fd:
            try:
                self.redirected = _redirect_fds(capture)
            except BaseException:
                self._leave()
                raise
        return capture

    def _take_over_parked(self, settings: CaptureSettings) -> StepCapture | None:
        """Start on the spools the last capture of a :func:`back_to_back` block left parked,
        when this capture is one the general path would give them to (its settings capture
        descriptors and change no logger; on the main thread; no other capture running),
        with that path's checks made once: 3-4 µs of a trivial step's 80. None, with
        nothing changed, when it does not apply."""
        if not (
            settings.fd
            and not settings.disabled_loggers
            and settings.log_level is None
            and threading.get_ident() == _main_ident
            and _thread_captures == 0
            and getattr(_local, "capture", None) is None
        ):
            return None
        install(settings.logs)  # (as at every step: returns at once)
        capture = StepCapture(settings)
        taken = _take_parked(capture)
        if taken is None:  # descriptors 1 and 2 are back on the terminal: the general path
            return None
        self.capture, self.previous, self.on_main_thread, self.redirected = capture, None, True, taken
        _local.capture = capture
        return capture

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self.settings is None:
            return
        try:
            if self.redirected is not None:
                if _back_to_back and self.on_main_thread:
                    _park_fds(self.capture, *self.redirected)
                else:
                    _restore_fds(self.capture, *self.redirected)
        finally:
            self._leave()

    def _leave(self) -> None:
        global _thread_captures
        _local.capture = self.previous
        if not self.on_main_thread:
            with _install_lock:
                _thread_captures -= 1


def suspend() -> StepCapture | None:
    """Set this thread's capture aside (a debugger in a step talks to the user): its
    writes reach the terminal, and descriptors 1 and 2 point at it again. Returns what
    :func:`resume` takes up again; None when nothing was captured."""
    capture = _current()
    if capture is None:
        return None
    with _fd_lock:
        _flush_streams()  # what the step wrote so far stays in its spool
        for fd, name in ((1, "stdout"), (2, "stderr")):
            if name in capture.fd_spools and fd in _terminal_fds:
                os.dup2(_terminal_fds[fd], fd)
    _local.capture = None
    return capture


def resume(capture: StepCapture | None) -> None:
    """Capture this thread's output into ``capture`` again (see :func:`suspend`)."""
    if capture is None:
        return
    with _fd_lock:
        _flush_streams()  # what was written meanwhile goes to the terminal, not the spool
        for fd, name in ((1, "stdout"), (2, "stderr")):
            spool = capture.fd_spools.get(name)
            if spool is not None and fd in _terminal_fds:
                os.dup2(spool, fd)
    _local.capture = capture


# -- file-descriptor capture ----------------------------------------------------------------

_fd_lock = threading.RLock()  # redirecting 1 and 2, and writing to the terminal meanwhile
#: While descriptors 1 and 2 are captured: copies of what they were (the terminal).
_terminal_fds: dict[int, int] = {}
_terminal_streams: dict[int, TextIO] = {}  # text streams on those copies, made when needed
#: Captures running on threads other than the main one: descriptors are then not captured.
_thread_captures = 0
#: Spools of ended captures that a process the step started may still write to: emptied at
#: each capture start, at most this many kept (older ones are closed: their writers, if any,
#: keep them).
RETIRED_SPOOLS = 16
#: Seconds between two emptyings of the retired spools (an fstat each: not at every step).
EMPTY_RETIRED_EVERY = 1.0
_retired: list[tuple[int, int]] = []  # (descriptor, inode number)
#: Spools of the last capture that no process can hold (none was created while it ran),
#: by stream: the next capture of this process writes into them again.
_reusable: dict[str, tuple[int, int]] = {}
_reusable_pid = 0
_pid = os.getpid()  # this process's id, kept up to date at forks (a syscall saved at each step)
_main_ident = threading.main_thread().ident  # the main thread's, kept up to date at forks too
_mark: bytes | None = None  # the last pid when the last capture of process _mark_pid ended
_mark_pid = 0
_last_pid_fd = -2  # the descriptor of _last_pid_file (-2: not opened yet, -1: unavailable)
#: Where the last pid the system gave out is read, the first of these that opens.
_LAST_PID_FILES = ("/proc/sys/kernel/ns_last_pid", "/proc/loadavg")
_last_pid_file = ""
#: Depth of :func:`back_to_back` blocks (main thread): descriptor captures that end there park.
_back_to_back = 0
#: Between two captures of a :func:`back_to_back` block: what descriptors 1 and 2 still point
#: at (the last capture's spools), the last pid when they were parked, and by which process.
_parked: list[_Redirected] | None = None
_parked_mark: bytes | None = None
_parked_pid = 0
#: ``signal.pthread_sigmask`` without the conversion of its result to enums (at every step)
_sigmask: Callable[[int, Any], Any] = getattr(sys.modules.get("_signal"), "pthread_sigmask", None) or (
    signal.pthread_sigmask
)
_retired_pid = 0
_retired_emptied = 0.0
_memfd = hasattr(os, "memfd_create")  # else temporary files
_fflush: Any = None  # C's fflush, looked up once
_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def terminal_stream(stream: Any) -> Iterator[Any]:
    """Where a write meant for ``stream`` reaches the terminal now: while file descriptors
    are captured, a copy of its descriptor.

    Holds the lock while the caller writes: the capture cannot start or end between
    choosing the target and writing to it (the text would land in a step's output).
    """
    with _fd_lock:
        if not _terminal_fds:
            yield stream
            return
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # a StringIO, a closed file
            fd = None
        if fd not in _terminal_fds:
            yield stream
            return
        copy = _terminal_streams.get(fd)
        if copy is None:
            copy = _terminal_streams[fd] = open(  # noqa: SIM115 (kept open for the session)
                _terminal_fds[fd],
                "w",
                encoding=getattr(stream, "encoding", None) or "utf-8",
                errors="replace",
                closefd=False,
                buffering=1,
            )
        yield copy


def prepare_descriptor_capture() -> None:
    """Do now what the first descriptor capture of a process would (find C's ``fflush``,
    the temporary directory): as a session with descriptor capture starts, and before forking
    workers, so that each need not."""
    if not _memfd:
        import tempfile

        tempfile.gettempdir()
    _flush_streams()


def _flush_streams(c_buffers: bool = True) -> None:
    global _fflush
    out, err = sys.stdout, sys.stderr
    if type(out) is _ThreadStream:  # (unwrap() without its call: at every step)
        out = out._original
    if type(err) is _ThreadStream:
        err = err._original
    streams = (
        (out, err)
        if out is sys.__stdout__ and err is sys.__stderr__
        else (unwrap(out), unwrap(err), sys.__stdout__, sys.__stderr__)
    )
    for stream in streams:
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass
    if not c_buffers:
        return
    if _fflush is None:  # C's stdio buffers: printf output of an extension
        try:
            import ctypes

            _fflush = ctypes.CDLL(None).fflush
        except Exception:
            _fflush = False
    if _fflush:
        _fflush(None)


def _spool() -> tuple[int, int]:
    """A new, empty spool file: its descriptor and inode number (never one another capture
    used: see the module's docstring). A bare descriptor: a Python file object around it
    costs more than the step."""
    global _memfd
    fd = -1
    if _memfd:
        try:
            fd = os.memfd_create("zenrun-capture", getattr(os, "MFD_CLOEXEC", 0))
        except OSError:  # a kernel without memfd (or a seccomp profile refusing it)
            _memfd = False
    if fd < 0:
        import tempfile

        fd, path = tempfile.mkstemp(prefix="zenrun-capture-")
        os.unlink(path)
    try:
        # Appending: the step and the processes it starts share the file's offset, and the
        # kernel does not serialize a memfd's offset between processes: two writers at once
        # write at the same offset, the later one over the other's text. With O_APPEND each
        # write goes to the end, under the file's lock.
        fcntl.fcntl(fd, fcntl.F_SETFL, os.O_APPEND)  # a new file: no other status flag set
        return fd, os.fstat(fd).st_ino
    except OSError:
        os.close(fd)
        raise


def _forked() -> None:
    global _pid, _main_ident
    _pid = os.getpid()
    _main_ident = threading.main_thread().ident  # (threading's own fork handler ran first)


os.register_at_fork(after_in_child=_forked)


def _ours(spool: tuple[int, int]) -> int | None:
    """The size of ``spool`` if its descriptor is still that spool (a step may close a
    descriptor it did not open, and the number be given to another file), else None."""
    try:
        stat = os.fstat(spool[0])
    except OSError:
        return None
    return stat.st_size if stat.st_ino == spool[1] else None


def _parked_sizes(redirected: list[_Redirected]) -> tuple[int, int] | None:
    """The sizes of the two spools of ``redirected`` (descriptors 1 and 2) if those
    descriptors still point at them (a step may have closed them, or pointed them at a file
    of its own), else None. Once per step and capture end."""
    (fd_1, _name_1, _saved_1, spool_1), (fd_2, _name_2, _saved_2, spool_2) = redirected
    try:
        stat_1, stat_2 = os.fstat(fd_1), os.fstat(fd_2)
    except OSError:
        return None
    if stat_1.st_ino != spool_1[1] or stat_2.st_ino != spool_2[1]:
        return None
    return stat_1.st_size, stat_2.st_size


def _last_pid() -> bytes | None:
    """The last process (or thread) id the system gave out, or None when unknown: a spool
    is kept for the next capture only when no process was created meanwhile, as one could
    hold it (and write on into the next step's output)."""
    global _last_pid_fd, _last_pid_file
    if _last_pid_fd == -2:
        # ns_last_pid (the pid namespace's last pid alone) costs a third of loadavg, which
        # sums the run queues of every CPU too; loadavg where the former is not readable.
        for path in _LAST_PID_FILES:
            try:
                _last_pid_fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                _last_pid_file = path
                break
            except OSError:
                _last_pid_fd = -1
    if _last_pid_fd < 0:
        return None
    try:
        data = os.pread(_last_pid_fd, 128, 0)
    except OSError:
        return None
    # Still that file, not another one that a step which closed descriptors it did not open
    # was given under that number: "12345\n", or loadavg's "0.52 0.58 0.59 2/345 12345".
    if _last_pid_file == _LAST_PID_FILES[0]:
        return data if data[-1:] == b"\n" and data[:-1].isdigit() else None
    fields = data.split()
    return fields[4] if len(fields) == 5 and b"/" in fields[3] else None


def _take_spool(name: str) -> tuple[int, int]:
    """The spool the last capture of this process left clean for ``name``, or a new one."""
    global _reusable_pid
    if _reusable_pid != _pid:  # forked: the parent's are not ours to use
        for spool in _reusable.values():
            if _ours(spool) is not None:
                os.close(spool[0])
        _reusable.clear()
        _reusable_pid = _pid
    return _reusable.pop(name, None) or _spool()


def _empty_retired() -> None:
    """Drop what leftover processes wrote into retired spools (at most every
    :data:`EMPTY_RETIRED_EVERY` seconds)."""
    global _retired_pid, _retired_emptied
    if not _retired:  # the usual case: no step left a process holding its spools
        return
    if _retired_pid != _pid:  # forked: the parent's spools are not ours to empty
        _retired.clear()
        _retired_pid = _pid
    now = time.monotonic()
    if now - _retired_emptied < EMPTY_RETIRED_EVERY:
        return
    _retired_emptied = now
    for spool in _retired:
        with contextlib.suppress(OSError, ValueError):
            if _ours(spool):
                os.ftruncate(spool[0], 0)  # appending writers go on at the new end


def _retire(spool: tuple[int, int]) -> None:
    _retired.append(spool)
    while len(_retired) > RETIRED_SPOOLS:
        oldest = _retired.pop(0)
        if _ours(oldest) is not None:
            with contextlib.suppress(OSError):
                os.close(oldest[0])


def _read_tail(fd: int, size: int, limit: int = MAX_CAPTURE) -> tuple[str, int]:
    """The last ``limit`` bytes of spool ``fd`` (``size`` bytes long) as text, and how many
    bytes came before them.

    Read with ``pread``: the file offset is shared with the processes a step left running,
    and moving it back to read would make their next write overwrite what the step wrote.
    """
    start = max(0, size - limit)
    return os.pread(fd, size - start, start).decode("utf-8", errors="replace"), start


_Redirected = tuple[int, str, int, tuple[int, int]]  # descriptor, stream, its copy, spool


def _redirect_fds(capture: StepCapture) -> tuple[bytes | None, list[_Redirected]]:
    """Point descriptors 1 and 2 at spool files, and this thread's Python writes too
    (``capture.fd_spools``); returns what :func:`_restore_fds` puts back."""
    if _parked is not None:
        taken = _take_parked(capture)
        if taken is not None:
            return taken
    redirected: list[_Redirected] = []
    with _fd_lock:
        _flush_streams(c_buffers=False)  # zenrun writes nothing through C's stdio
        _empty_retired()
        # The last pid before the spools can be inherited: as read when the last capture
        # ended (a process created since then makes the spools retire, needlessly but
        # safely), or now.
        last_pid = _mark if _mark_pid == _pid and _mark is not None else _last_pid()
        for fd, name in ((1, "stdout"), (2, "stderr")):
            try:
                saved = os.dup(fd)
            except OSError:  # closed, or out of descriptors: Python's streams only
                continue
            spool = None
            _terminal_fds[fd] = saved  # first: a Ctrl-C from here on leaves what points it back
            try:
                spool = _take_spool(name)
                os.dup2(spool[0], fd)  # without O_CLOEXEC: processes the step starts inherit it
            except OSError:
                del _terminal_fds[fd]
                os.close(saved)
                if spool is not None:
                    os.close(spool[0])
                continue
            capture.fd_spools[name] = spool[0]
            redirected.append((fd, name, saved, spool))
    return last_pid, redirected


class _signals_held:
    """Hold Ctrl-C and SIGTERM back while the block points descriptors back: they arrive
    as it ends, not in the middle. One that came just before they were blocked (raised as
    the blocking call returns) is raised as the block ends too, and the mask is restored
    however it ends (saved by the blocking call outside the block, it was left blocked for
    good then, and the descriptors not pointed back)."""

    __slots__ = ("arrived", "previous")

    def __enter__(self) -> None:
        self.arrived: BaseException | None = None
        try:
            self.previous = _sigmask(signal.SIG_BLOCK, ())  # (blocks nothing: the mask now)
        except (AttributeError, OSError, ValueError):  # no signal masks here
            self.previous = None
            return
        try:
            _sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
        except (AttributeError, OSError, ValueError):
            pass
        except BaseException as exc:  # KeyboardInterrupt: its signal came just before
            self.arrived = exc

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            _sigmask(signal.SIG_SETMASK, self.previous)
        if self.arrived is not None:  # (over an error of the block: the user's Ctrl-C first)
            raise self.arrived


def _point_back(redirected: list[_Redirected]) -> None:
    """Point each descriptor back at what it was (the terminal) and drop its copy (under
    ``_fd_lock``)."""
    for fd, _name, saved, _spool in redirected:
        os.dup2(saved, fd)
        copy = _terminal_streams.pop(fd, None)
        if copy is not None:
            copy.close()  # closefd=False: ``saved`` is closed next
        _terminal_fds.pop(fd, None)
        os.close(saved)


def _end_writes(capture: StepCapture) -> None:
    """What the step wrote goes into its spools (Python's and C's buffers flushed), and its
    Python writes no longer do (under ``_fd_lock``)."""
    _flush_streams()
    capture.fd_spools.clear()
    if capture.fd_writers:
        for writer in capture.fd_writers.values():
            writer.close()  # closefd=False: the spool stays open
        capture.fd_writers.clear()


def _restore_fds(capture: StepCapture, last_pid: bytes | None, redirected: list[_Redirected]) -> None:
    """Put descriptors 1 and 2 back, and move what the spools received to ``capture``.

    A spool is kept for the next capture (emptied) when no process was created while the
    step ran; otherwise it is retired: one of them may hold it and write on.
    """
    global _mark, _mark_pid
    with _signals_held():  # Ctrl-C arrives after this, not in the middle of putting descriptors back
        with _fd_lock:
            _end_writes(capture)
            _point_back(redirected)
        _mark, _mark_pid = _last_pid(), _pid
        clean = last_pid is not None and _mark == last_pid and _reusable_pid == _pid
        for _fd, name, _saved, spool in redirected:
            size = _ours(spool)
            if size is None:  # the step closed it: nothing to read, not ours to keep
                continue
            if size:
                _take_output(capture, name, spool[0], size)
            with _fd_lock:
                _keep_or_retire(name, spool, size, clean)


def _take_output(capture: StepCapture, name: str, fd: int, size: int) -> None:
    """Move what spool ``fd`` holds (``size`` bytes) into ``capture``'s ``name`` buffer."""
    text, dropped = _read_tail(fd, size)
    capture.buffers[name].dropped += dropped
    capture.buffers[name].write(text)


def _keep_or_retire(name: str, spool: tuple[int, int], size: int, clean: bool) -> None:
    """(Under ``_fd_lock``.) Keep ``spool`` for the next capture of ``name``, emptied, when
    ``clean`` (no process was created that could hold it) and none is kept yet; else retire
    it: processes the step started may write on (stray output)."""
    if clean and name not in _reusable:
        if size:
            os.ftruncate(spool[0], 0)
        _reusable[name] = spool
    else:
        _retire(spool)


def keeps_descriptors_parked(function: _F) -> _F:
    """Mark a per-step hook implementation that may run between two steps of a
    :func:`back_to_back` block with descriptors 1 and 2 still parked on the last step's
    spools: it starts no process and writes nothing to those descriptors itself (what it
    shows goes through zenrun's terminal writer, which writes to the terminal's own copy of
    them). Other implementations get the terminal's descriptors first (:func:`unpark`)."""
    function.keeps_descriptors_parked = True  # type: ignore[attr-defined]
    return function


def may_keep_descriptors_parked(function: Any) -> bool:
    """Whether ``function`` (a hook implementation, bound or not) was marked with
    :func:`keeps_descriptors_parked`."""
    return getattr(function, "keeps_descriptors_parked", False) is True


@contextmanager
def back_to_back() -> Iterator[None]:
    """A block in which this thread captures steps one after another (the local
    orchestrator's loop): a descriptor capture that ends here leaves descriptors 1 and 2 on
    its spools, emptied, for the next capture to take over, instead of pointing them back at
    the terminal and away again (ten system calls a step). Whatever reaches the descriptors
    between two captures is passed on to the terminal as the next one starts, or as the
    block ends; a process created in between makes the next capture start afresh, as one
    may hold the spools. The block ends with descriptors 1 and 2 as they were.

    Code between two captures that may start processes or talk to the user (a plugin's
    per-step hook, a debugger) calls :func:`unpark` first.
    """
    global _back_to_back
    on_main_thread = threading.get_ident() == _main_ident
    if not on_main_thread:
        yield
        return
    _back_to_back += 1
    # Descriptors 1 and 2 on the terminal as the block starts: they are as it ends, even
    # after a Ctrl-C that came as a capture moved them, outside its with-block.
    on_terminal = not _terminal_fds and _current() is None
    try:
        yield
    finally:
        _back_to_back -= 1
        if not _back_to_back:
            unpark()
            if on_terminal and _terminal_fds:
                _point_back_orphans()


def _point_back_orphans() -> None:
    """Point descriptors 1 and 2 back at the terminal when no capture holds them any more: a
    Ctrl-C came as a capture took them over or gave them back, between its own with-block
    and the step's (its spools are left to the process)."""
    with _signals_held(), _fd_lock:
        _flush_streams()
        _point_back([(fd, "", saved, (-1, 0)) for fd, saved in list(_terminal_fds.items())])


def _park_fds(capture: StepCapture, last_pid: bytes | None, redirected: list[_Redirected]) -> None:
    """End a capture of a :func:`back_to_back` block: move what the spools received to
    ``capture`` and leave descriptors 1 and 2 on the emptied spools (parked), or, when that
    is not safe (a process was created while the step ran, or a spool is no longer ours),
    put them back as :func:`_restore_fds` does."""
    global _parked, _parked_mark, _parked_pid, _mark, _mark_pid
    if len(redirected) != 2 or _reusable_pid != _pid:
        _restore_fds(capture, last_pid, redirected)
        return
    # Parked first: whatever interrupts what follows, unpark() finds the descriptors.
    _parked, _parked_pid = redirected, _pid
    with _fd_lock:
        _end_writes(capture)
    mark = _parked_mark = _last_pid()
    _mark, _mark_pid = mark, _pid
    # Read through descriptors 1 and 2 themselves: that they are still the spools (the step
    # may have closed them, or pointed them at a file of its own) is checked by the same call.
    sizes = _parked_sizes(redirected)
    if last_pid is None or mark != last_pid or sizes is None:
        _parked = None
        _restore_fds(capture, last_pid, redirected)
        return
    if sizes != (0, 0):  # (most steps write nothing)
        for (fd, name, _saved, _spool), size in zip(redirected, sizes, strict=True):
            if size:
                _take_output(capture, name, fd, size)
                os.ftruncate(fd, 0)


def _take_parked(capture: StepCapture) -> tuple[bytes | None, list[_Redirected]] | None:
    """Start a capture on the parked spools: None (and descriptors 1 and 2 back on the
    terminal) when they cannot be taken over, e.g. a process was created since they were
    parked."""
    global _parked
    parked = _parked
    if parked is None or _parked_pid != _pid or _back_to_back == 0:
        unpark()
        return None
    with _fd_lock:
        _flush_streams(c_buffers=False)  # what the original streams hold is the terminal's
        _empty_retired()
        # No look at the last pid here: between two steps only zenrun runs (a plugin's hook
        # unparks first), which starts no process; one started now is seen as this capture
        # ends, as one the step started.
        sizes = _parked_sizes(parked)
        if sizes is None:
            unpark()
            return None
        if sizes != (0, 0):  # written between the two captures: the terminal's
            for (fd, _name, saved, _spool), size in zip(parked, sizes, strict=True):
                if size:
                    with contextlib.suppress(OSError):  # a terminal gone (``| head``): dropped
                        _write_all(saved, os.pread(fd, size, 0))
                    os.ftruncate(fd, 0)
        _parked = None
        for _fd, name, _saved, spool in parked:
            capture.fd_spools[name] = spool[0]
    return _parked_mark, parked


def unpark() -> None:
    """Point descriptors 1 and 2 back at the terminal if a :func:`back_to_back` block left
    them parked on a capture's spools, passing on what reached them meanwhile."""
    global _parked
    if _parked is None:
        return
    # Ctrl-C arrives after this, not in the middle of putting descriptors back
    with _signals_held(), _fd_lock:
        parked, _parked = _parked, None
        if parked is None:
            return
        ours = _parked_pid == _pid  # else a forked child's copy: the parent's spools
        _flush_streams()
        _point_back(parked)
        if not ours:
            for _fd, _name, _saved, spool in parked:
                with contextlib.suppress(OSError):
                    os.close(spool[0])
            return
        clean = _parked_mark is not None and _last_pid() == _parked_mark
        for fd, name, _saved, spool in parked:
            size = _ours(spool)
            if size is None:
                continue
            if size:
                with contextlib.suppress(OSError):
                    _write_all(fd, os.pread(spool[0], size, 0))
            _keep_or_retire(name, spool, size, clean)


# -- capture fixtures: capsys, capsysbinary, capfd, capfdbinary, capteesys -----------------

#: ``_local.tap`` inside a capture fixture's ``disabled()`` block: writes reach the terminal.
_BYPASS: Any = object()
#: The key of an item's capture fixture in ``item.stash`` (one per item: two is an error).
FIXTURE_KEY = "zenrun.capture.fixture"
AnyStr = TypeVar("AnyStr", str, bytes)


class _Tap:
    """What an active capture fixture holds (pytest's ``MultiCapture`` of ``SysCapture`` or
    ``FDCapture``): what its thread writes to ``sys.stdout`` / ``sys.stderr`` and, ``fd``, what
    reaches descriptors 1 and 2 (there it also keeps Python's writes, in order with them)."""

    def __init__(self, fd: bool, binary: bool, tee: bool) -> None:
        self.fd, self.binary, self.tee = fd, binary, tee
        self.stopped = False
        self.thread = 0
        self.previous: Any = None
        self.data = {"stdout": bytearray(), "stderr": bytearray()}  # binary
        self.text: dict[str, list[str]] = {"stdout": [], "stderr": []}  # text
        self.decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name in self.text}
        self.spools: dict[str, int] = {}  # stream -> spool descriptor, while descriptors are ours
        self.redirected: list[tuple[int, str, int, tuple[int, int], bool]] = []

    def start(self) -> None:
        install(logs=False)
        self.thread = threading.get_ident()
        self.previous = getattr(_local, "tap", None)
        if self.fd:
            # Descriptors belong to the process: only where code runs one at a time (as a
            # step's own capture); elsewhere (steps on threads) Python's streams only.
            with _install_lock:
                alone = self.thread == threading.main_thread().ident and _thread_captures == 0
            if alone:
                self._redirect()
        _local.tap = self

    def stop(self) -> None:
        self.stopped = True
        if threading.get_ident() == self.thread and getattr(_local, "tap", None) is self:
            _local.tap = self.previous
        if self.redirected:
            self._restore()

    def take(self, name: str, text: str) -> bool:
        """Keep ``text`` written to stream ``name``; False once stopped (it goes on as usual)."""
        if self.stopped:
            return False
        spool = self.spools.get(name)
        if spool is not None:
            _write_all(spool, text.encode("utf-8", "replace"))
        elif self.binary:
            self.data[name] += text.encode("utf-8", "replace")
        else:
            self.text[name].append(text)
        return True

    def take_bytes(self, name: str, data: bytes) -> bool:
        """Keep ``data`` written to stream ``name``'s buffer; False once stopped."""
        if self.stopped:
            return False
        spool = self.spools.get(name)
        if spool is not None:
            _write_all(spool, data)
        else:
            self._keep(name, data)
        return True

    def _keep(self, name: str, data: bytes) -> None:
        if self.binary:
            self.data[name] += data
        else:
            self.text[name].append(self.decoders[name].decode(data))

    def read(self) -> tuple[Any, Any]:
        """What was captured since the last read (``str``, or ``bytes`` when binary), forgotten."""
        if self.spools:
            with _fd_lock:
                _flush_streams()  # what sits in Python's and C's buffers first
                for name, spool in self.spools.items():
                    with contextlib.suppress(OSError):
                        size = os.fstat(spool).st_size
                        if size:
                            data = os.pread(spool, size, 0)
                            os.ftruncate(spool, 0)  # appending writers go on at the new end
                            self._keep(name, data)
        if self.binary:
            out, err = bytes(self.data["stdout"]), bytes(self.data["stderr"])
            for buffer in self.data.values():
                buffer.clear()
            return out, err
        texts = ("".join(self.text["stdout"]), "".join(self.text["stderr"]))
        for parts in self.text.values():
            parts.clear()
        return texts

    def _redirect(self) -> None:
        unpark()
        with _fd_lock:
            _flush_streams()
            for fd, name in ((1, "stdout"), (2, "stderr")):
                try:
                    saved = os.dup(fd)
                except OSError:  # closed: Python's writes only
                    continue
                spool = None
                owns = fd not in _terminal_fds
                if owns:  # the reporter reaches the terminal through this copy meanwhile
                    _terminal_fds[fd] = saved  # (first: what points it back after a Ctrl-C)
                try:
                    spool = _spool()
                    os.dup2(spool[0], fd)
                except OSError:
                    if owns:
                        del _terminal_fds[fd]
                    os.close(saved)
                    if spool is not None:
                        os.close(spool[0])
                    continue
                self.redirected.append((fd, name, saved, spool, owns))
                self.spools[name] = spool[0]

    def _restore(self) -> None:
        """Put descriptors 1 and 2 back and keep what their spools received."""
        with _fd_lock:
            _flush_streams()
            for fd, _name, saved, _spool, owns in self.redirected:
                if owns and _terminal_fds.get(fd) != saved:  # pointed back, and closed, already:
                    continue  # by back_to_back's end, after a Ctrl-C as this capture started
                os.dup2(saved, fd)
                if owns:
                    copy = _terminal_streams.pop(fd, None)
                    if copy is not None:
                        copy.close()  # closefd=False: ``saved`` is closed next
                    _terminal_fds.pop(fd, None)
                os.close(saved)
            for _fd, name, _saved, spool, _owns in self.redirected:
                size = _ours(spool)
                if size is None:  # the code closed it: nothing to read, not ours to close
                    continue
                if size:
                    self._keep(name, os.pread(spool[0], size, 0))
                os.close(spool[0])  # a process started meanwhile keeps its own descriptor
            self.redirected.clear()
            self.spools.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _TapBuffer:
    """``sys.stdout.buffer`` while a capture fixture captures: bytes go to it."""

    def __init__(self, stream: _ThreadStream, tap: _Tap) -> None:
        self._stream, self._tap = stream, tap

    def write(self, data: Any) -> int:
        data = bytes(data)
        if not self._tap.take_bytes(self._stream._name, data) or self._tap.tee:
            self._stream._write_captured(data.decode("utf-8", "replace"))
        return len(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream._original.buffer, name)


class CaptureResult(NamedTuple, Generic[AnyStr]):
    """What ``readouterr()`` returns: ``out`` and ``err`` (pytest's ``CaptureResult``)."""

    out: AnyStr
    err: AnyStr


class CaptureFixture(Generic[AnyStr]):
    """What the ``capsys``, ``capsysbinary``, ``capfd``, ``capfdbinary`` and ``capteesys``
    fixtures give (pytest's ``CaptureFixture``): ``readouterr()`` and ``disabled()``.

    It captures what the pipeline's own code writes while its fixtures are set up and its
    body runs, while its fixtures are torn down, and inside a step it is given to, while
    that step runs. What it captured and nobody read comes back with the next
    ``readouterr()`` and also goes on to the item's captured output of that phase, shown
    with its report, as pytest's does.
    """

    def __init__(self, name: str, *, fd: bool = False, binary: bool = False, tee: bool = False) -> None:
        #: The fixture's name (``capsys``, ...).
        self.fixturename = name
        self._fd, self._binary, self._tee = fd, binary, tee
        self._capture: _Tap | None = None
        self._captured_out: AnyStr = self._empty()
        self._captured_err: AnyStr = self._empty()

    def _empty(self) -> Any:
        return b"" if self._binary else ""

    def _start(self) -> None:
        """Capture (again) on this thread."""
        if self._capture is None:
            self._capture = _Tap(self._fd, self._binary, self._tee)
            self._capture.start()

    def close(self) -> None:
        """Stop capturing. What was captured and not read is kept for ``readouterr()`` and
        written on to where it would have gone without the fixture."""
        capture, self._capture = self._capture, None
        if capture is None:
            return
        capture.stop()
        out, err = capture.read()
        self._captured_out += out
        self._captured_err += err
        if self._tee:  # it went on as it was written
            return
        for stream, text in ((sys.stdout, out), (sys.stderr, err)):
            if text and stream is not None:
                stream.write(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)

    def readouterr(self) -> CaptureResult[AnyStr]:
        """What was captured since the last call: ``(out, err)``, a named tuple of ``str``
        (``bytes`` for ``capsysbinary`` / ``capfdbinary``)."""
        out, err = self._captured_out, self._captured_err
        if self._capture is not None:
            more_out, more_err = self._capture.read()
            out += more_out
            err += more_err
        self._captured_out = self._captured_err = self._empty()
        return CaptureResult(out, err)

    @contextmanager
    def disabled(self) -> Iterator[None]:
        """What is written inside the ``with`` block is not captured (by the fixture nor by
        the item's capture): it reaches the terminal."""
        with bypassing():
            yield

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to a worker process with a step it is given to: a fixture of the same kind,
        # which captures there while the step runs.
        return (_remade, (self.fixturename, self._fd, self._binary, self._tee))

    def __repr__(self) -> str:
        return f"<CaptureFixture {self.fixturename}>"


def _remade(name: str, fd: bool, binary: bool, tee: bool) -> CaptureFixture[Any]:
    return CaptureFixture(name, fd=fd, binary=binary, tee=tee)


@contextmanager
def bypassing() -> Iterator[None]:
    """What this thread writes while the block runs reaches the terminal: no capture fixture
    and no capture of zenrun's keeps it (descriptors 1 and 2 too, where they are captured).
    Nested, the inner block changes nothing."""
    previous = getattr(_local, "tap", None)
    if previous is _BYPASS:
        yield
        return
    install(logs=False)
    _local.tap = _BYPASS
    pointed: list[tuple[int, int]] = []
    with _fd_lock:
        _flush_streams()
        for fd, terminal in list(_terminal_fds.items()):
            try:
                saved = os.dup(fd)
            except OSError:
                continue
            try:
                os.dup2(terminal, fd)
            except OSError:
                os.close(saved)
                continue
            pointed.append((fd, saved))
    try:
        yield
    finally:
        with _fd_lock:
            _flush_streams()
            for fd, saved in pointed:
                os.dup2(saved, fd)
                os.close(saved)
        _local.tap = previous


class fixture_capturing:
    """A phase of an item (its setup and body, its teardown), around which its capture fixture
    (if it has one: ``stash[FIXTURE_KEY]``) captures, as pytest's in each test phase; at the
    end, what it captured and nobody read goes on into the phase's captured output. Also
    around a step given capture fixtures (``fixtures``)."""

    __slots__ = ("fixtures", "stash")

    def __init__(self, stash: dict[Any, Any] | None = None, fixtures: Iterable[Any] = ()) -> None:
        self.stash = stash
        self.fixtures = list(fixtures)

    def _current(self) -> list[CaptureFixture[Any]]:
        found = self.stash.get(FIXTURE_KEY) if self.stash is not None else None
        return [f for f in (*self.fixtures, found) if isinstance(f, CaptureFixture)]

    def __enter__(self) -> None:
        for fixture in self._current():
            fixture._start()

    def __exit__(self, *exc_info: Any) -> None:
        for fixture in self._current():
            fixture.close()


def silence_stdout() -> None:
    """The reader of stdout went away (``| head``, quitting ``less``): send fd 1 to
    /dev/null, so that later writes and the interpreter's final flush do not fail."""
    try:
        stdout = sys.__stdout__
        if stdout is None:  # no stdout at all (pythonw): nothing to silence
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


#: The phases of an item whose captured output is titled as pytest titles it.
PHASES = ("setup", "call", "teardown")


def section_title(stream: str, when: str) -> str:
    """pytest's section header of a phase of the item: ``----- Captured stdout call -----``
    (``setup``: its fixtures; ``call``: its pipeline body; ``teardown``), ``(collect)`` as
    other places are named."""
    return f"{'-' * 8} Captured {stream} {when if when in PHASES else f'({when})'} {'-' * 8}"


def step_section_title(stream: str, step_id: str) -> str:
    """The section header of what a step wrote: ``----- Captured stdout (train) -----``."""
    return f"{'-' * 8} Captured {stream} ({step_id}) {'-' * 8}"


# -- the plugin: options and the session's settings ---------------------------------------


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("capture", "output of steps and fixtures")
    group.addoption(
        "--capture",
        default="fd",
        metavar="METHOD",
        choices=("fd", "sys", "no", "tee-sys"),
        help="per-step capture of stdout/stderr/logging: fd (default: also C "
        "extensions and subprocesses), sys (Python's streams), no, or "
        "tee-sys (capture and show)",
    )
    group.addoption("-s", dest="capture", action="store_const", const="no", help="shortcut for --capture=no")
    group.addoption(
        "--log-level",
        dest="log_level",
        default=None,
        metavar="LEVEL",
        help="lowest level of log records captured in steps (default: the root logger's, WARNING)",
    )
    group.addoption(
        "--log-cli-level",
        dest="log_cli_level",
        default=None,
        metavar="LEVEL",
        help="show log records of this level and above live, as steps log them",
    )
    group.addoption(
        "--log-format",
        dest="log_format",
        default=None,
        metavar="FORMAT",
        help=f"format of captured log records, as logging's (default {DEFAULT_LOG_FORMAT.replace('%', '%%')!r})",
    )
    group.addoption(
        "--log-date-format",
        dest="log_date_format",
        default=None,
        metavar="FORMAT",
        help="date format of %%(asctime)s in log records, as time.strftime's, also %%f "
        f"(default {DEFAULT_LOG_DATE_FORMAT.replace('%', '%%')!r})",
    )
    group.addoption(
        "--log-cli-format",
        dest="log_cli_format",
        default=None,
        metavar="FORMAT",
        help="format of live log records (default: --log-format)",
    )
    group.addoption(
        "--log-cli-date-format",
        dest="log_cli_date_format",
        default=None,
        metavar="FORMAT",
        help="date format of live log records (default: that of --log-date-format)",
    )
    group.addoption(
        "--log-file",
        dest="log_file",
        default=None,
        metavar="PATH",
        help="also write the log records of the session to PATH (relative to the current directory)",
    )
    group.addoption(
        "--log-file-level",
        dest="log_file_level",
        default=None,
        metavar="LEVEL",
        help="lowest level of the records --log-file writes (default: --log-level, else WARNING)",
    )
    group.addoption(
        "--log-file-format",
        dest="log_file_format",
        default=None,
        metavar="FORMAT",
        help="format of --log-file's records (default: --log-format)",
    )
    group.addoption(
        "--log-file-date-format",
        dest="log_file_date_format",
        default=None,
        metavar="FORMAT",
        help="date format of --log-file's records (default: --log-date-format)",
    )
    group.addoption(
        "--log-file-mode",
        dest="log_file_mode",
        default=None,
        choices=("w", "a"),
        help="w: --log-file starts empty each session (default); a: appended to",
    )
    group.addoption(
        "--log-auto-indent",
        dest="log_auto_indent",
        default=None,
        metavar="VALUE",
        help="indent the continuation lines of multi-line log messages: true/on (under the "
        "message), false/off (default), or a number of spaces",
    )
    group.addoption(
        "--log-disable",
        dest="logger_disable",
        action="append",
        default=[],
        metavar="LOGGER",
        help="disable the logger of this name, and its records (may be given several times)",
    )
    parser.addini("log_level", "the default of --log-level (also the level caplog captures at)", default=None)
    parser.addini(
        "log_cli_level",
        "the level of live logs (log_cli = true), the default of --log-cli-level",
        default=None,
    )
    parser.addini(
        "log_cli",
        "show log records live as steps log them (at log_cli_level, else log_level), as pytest's",
        type="bool",
        default=False,
    )
    for name in (
        "log_format",
        "log_date_format",
        "log_cli_format",
        "log_cli_date_format",
        "log_file",
        "log_file_level",
        "log_file_format",
        "log_file_date_format",
        "log_file_mode",
        "log_auto_indent",
    ):
        parser.addini(name, f"the default of --{name.replace('_', '-')}", default=None)


@hookimpl
def zenrun_configure(config: Any) -> None:
    if config.stash.get("api"):
        return  # a script or notebook keeps its own streams
    method = config.getoption("capture", "fd")
    captured_level = log_level_option(config, "log_level")
    file_handler = _open_log_file(config)
    levels = [
        level
        for level in (
            captured_level,
            log_level_option(config, "log_cli_level"),
            None if file_handler is None else file_handler.level or None,
        )
        if level is not None
    ]
    log_level = min(levels) if levels else None  # the root logger lets through what any shows
    formatter = session_formatter(config)
    disabled = tuple(config.getoption("logger_disable", None) or ())
    if method != "no":  # as pytest: the captured section keeps --log-level's records only
        config.stash["capture"] = CaptureSettings(
            tee=method == "tee-sys",
            log_level=captured_level,
            fd=method == "fd",
            log_format=formatter._fmt or DEFAULT_LOG_FORMAT,
            log_date_format=formatter.datefmt or DEFAULT_LOG_DATE_FORMAT,
            log_auto_indent=formatter.auto_indent,
            disabled_loggers=disabled,
            logs=not config.pluginmanager.is_blocked("logging"),
        )
    root = logging.getLogger()
    old_level = root.level
    if log_level is not None and log_level < root.getEffectiveLevel():
        root.setLevel(log_level)
    if file_handler is not None:
        root.addHandler(file_handler)
        config.add_cleanup(file_handler.close)
        config.add_cleanup(lambda: root.removeHandler(file_handler))
    for name in disabled:
        logger = logging.getLogger(name)
        config.add_cleanup(lambda logger=logger, was=logger.disabled: setattr(logger, "disabled", was))
        logger.disabled = True
    # Also with -s: passing writes clear the progress line first. With -p no:logging no
    # handler of zenrun's is on the root logger (as pytest's): a pipeline module's
    # logging.basicConfig() configures logging; but one still writes warnings to stderr
    # beside the --log-file's handler, as logging does without handlers.
    install(logs=not config.pluginmanager.is_blocked("logging") or file_handler is not None)
    config.add_cleanup(uninstall)
    if method == "fd":
        # Once per process, as the session starts (C's fflush: importing ctypes, ~1.5 ms),
        # not in the first step that captures: a run's time is its steps'.
        prepare_descriptor_capture()
    config.add_cleanup(lambda: root.setLevel(old_level))


class _LogFileHandler(logging.FileHandler):
    """``--log-file``: the session's log records, whatever step or fixture logs them."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass  # a bad logging call fails its step through the capture's handler, once


def _open_log_file(config: Any) -> _LogFileHandler | None:
    """The handler writing ``--log-file`` (None without one), at ``--log-file-level``
    (else ``--log-level``), in ``--log-file-format``; its directory is made if missing."""
    path = option_or_ini(config, "log_file")
    if path is None or str(path) == os.devnull:
        return None
    mode = option_or_ini(config, "log_file_mode") or "w"
    if mode not in ("w", "a"):
        raise UsageError(f"log_file_mode: {mode!r} is not one of 'w' (the default) or 'a'")
    path = os.path.abspath(str(path))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handler = _LogFileHandler(path, mode=mode, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--log-file {path}: cannot open it: {exc.strerror or exc}") from None
    level = log_level_option(config, "log_file_level", "log_level")
    if level is not None:
        handler.setLevel(level)
    handler.setFormatter(session_formatter(config, "file"))
    return handler


def report_crashes_to_stderr(replace: bool = False) -> Callable[[], None] | None:
    """Have a crash (segfault, abort) print its Python traceback to the real stderr, through
    a copy of descriptor 2: while a step runs, descriptor 2 points at its captured output,
    which dies with the process (a worker process's; in the session's process, the
    ``faulthandler`` plugin's work). Returns how to undo it, or None when nothing was done
    (``faulthandler`` already on, by the user or the test runner calling zenrun, and not
    ``replace``)."""
    import faulthandler

    if faulthandler.is_enabled() and not replace:
        return None
    try:
        stderr_copy = os.fdopen(os.dup(2), "w")
        faulthandler.enable(file=stderr_copy)
    except (OSError, ValueError, RuntimeError):
        return None

    def disable() -> None:
        faulthandler.disable()
        stderr_copy.close()

    return disable


def settings(config: Any) -> CaptureSettings | None:
    """The capture settings of the session, or None when steps are not captured."""
    capture: CaptureSettings | None = config.stash.get("capture")
    return capture
