"""What a step reads: the files it opens, the folders it lists, what it declares.

While a step function runs, one process-wide audit hook (``sys.addaudithook``,
installed on first use in each process that runs steps: the driver, ``-n``
workers, Dask workers) sees the ``open`` calls that read, the folders listed
(``os.listdir``, ``os.scandir``, ``os.walk``), the patterns globbed
(``glob.glob``, ``Path.glob``), the SQLite databases connected to
(``sqlite3.connect``), the project classes an unpickling named
(``pickle.find_class``: a model file's class, whose code the caller checks)
and the network connections made
(``socket.connect``, ``http.client.connect``) by the step's thread, through
whatever library makes them. Outside a step the hook returns at its first
test. What it records is checked at the next cache lookup (``datacheck``).

Never dependencies: the standard library and installed packages, Python
source and bytecode, zenrun's store and zenrun itself, temporary folders and
system folders (``/dev``, ``/proc``, ``/sys``, ``/etc``, ``/usr/share``)
unless the rootdir is inside them, and what ``[tool.zenrun] data_ignore``
matches. Files a step opens are stat'ed when first opened and again when it
ends: a file that changed meanwhile makes the result uncacheable.

Each file is recorded with its size, modification and change times, inode
and a content digest (sha256, 128 bits): on the next lookup the same
``stat`` means the same content, except for a file modified within
:data:`RACY_NS` of when it was hashed (git's "racily clean" rule), which is
hashed again.
"""

from __future__ import annotations

import contextvars
import os
import re
import stat as statmod
import sys
import threading
from typing import Any

from zenrun import remotedata
from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.deferred import dataclass
from zenrun.stepcontext import current_step

#: Where a step's data record lives in its cache entry.
DATA_KEY = "@data"
RECORD_VERSION = 1
#: Timestamp granularity assumed: a file modified this close to when it was
#: hashed may have changed again within the same tick; it is hashed at every
#: check until a hash is taken later than that.
RACY_NS = 2_000_000_000
DIGEST_CHARS = 32  # sha256, 128 bits
_CHUNK = 1 << 20
#: Files the import system and tracebacks read: code, followed by fingerprints.
_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi", ".pyw", ".so", ".pyd")
_SYSTEM_DIRS = ("/dev", "/proc", "/sys", "/etc", "/usr/share", "/usr/lib", "/usr/lib64", "/run", "/var/run")
#: Where the OS mounts the user's disks and shares inside those system folders: removable
#: drives (udisks2: /run/media/USER/LABEL) and GVFS mounts of network shares (/run/user/UID/gvfs).
#: Data read there is data like any other, not the system's run-time state.
_MOUNT_DIRS = ("/run/media", "/var/run/media", "/run/user/{uid}/gvfs", "/var/run/user/{uid}/gvfs")
#: How many hashes this process computed (benchmarks and tests read it).
STATS = {"hashed": 0}


# ---------------------------------------------------------------------------
# Settings travelling with a task
# ---------------------------------------------------------------------------


@dataclass
class Tracking:
    """What to record for one step task; pickled with it to a worker.

    ``reads`` are the step's declared dependencies (patterns under the
    rootdir, or fsspec URLs); ``exclude`` folders are never dependencies (the
    store); ``known`` is an earlier record of the step whose digests may be
    reused for files whose ``stat`` is unchanged.
    """

    rootdir: str
    auto: bool = True
    reads: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    known: dict[str, Any] | None = None
    #: Files of ``known`` the cache lookup just found unchanged (absolute paths): opened,
    #: they are not ``stat``-ed; at the step's end their ``stat`` must still be the recorded
    #: one, which proves they did not change since they were recorded, hence while the step
    #: ran; any other ``stat`` makes the result uncacheable.
    trusted: frozenset[str] = frozenset()


class Ignore:
    """``data_ignore`` patterns: shell-style, matched against the path under the rootdir
    (absolute outside it); a pattern without ``/`` also matches a file name in any
    folder; ``logs/`` and ``logs/**`` ignore the folder and everything in it."""

    def __init__(self, patterns: tuple[str, ...] | list[str] = ()) -> None:
        import fnmatch

        full: list[str] = []
        names: list[str] = []
        for pattern in patterns:
            if pattern.endswith("/"):
                pattern += "**"
            if pattern.endswith("/**"):
                full.append(fnmatch.translate(pattern[:-3]))
            (full if "/" in pattern else names).append(fnmatch.translate(pattern))
        self._full = re.compile("|".join(full)).match if full else None
        self._names = re.compile("|".join(names)).match if names else None
        self.patterns = tuple(patterns)

    def __call__(self, path: str) -> bool:
        if self._full is not None and self._full(path):
            return True
        return self._names is not None and self._names(path.rpartition("/")[2]) is not None

    def __bool__(self) -> bool:
        return bool(self.patterns)


# ---------------------------------------------------------------------------
# Where a path lies
# ---------------------------------------------------------------------------


def _library_dirs() -> tuple[str, ...]:
    import sysconfig

    dirs = {os.path.dirname(os.path.abspath(__file__))}  # zenrun itself
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        dirs.add(prefix)
    for scheme_vars in (None, {"base": sys.base_prefix, "platbase": sys.base_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars)
        dirs.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    try:
        import site

        dirs.update(site.getsitepackages())
        dirs.add(site.getusersitepackages())
    except Exception:  # pragma: no cover - embedded interpreters
        pass
    for entry in sys.path:  # any other site-packages on the path (a --target install)
        if entry.endswith(("site-packages", "dist-packages")):
            dirs.add(entry)
    return _prefixes(d for d in dirs if d)


def _prefixes(dirs: Any) -> tuple[str, ...]:
    """Each folder (and its resolved form) with a trailing separator, for ``startswith``."""
    out = set()
    for d in dirs:
        for form in (os.path.abspath(d), os.path.realpath(d)):
            out.add(form.rstrip(os.sep) + os.sep)
    return tuple(sorted(out))


_LIBRARY_DIRS: tuple[str, ...] | None = None
_OUTSIDE_DIRS: tuple[str, ...] | None = None
_MOUNTED_DIRS: tuple[str, ...] | None = None


def prepare() -> None:
    """Find now where libraries and temporary files lie (what the first step's tracking
    would find): as a session starts, not in its first run."""
    _library_and_outside()


def _library_and_outside() -> tuple[tuple[str, ...], tuple[str, ...]]:
    global _LIBRARY_DIRS, _OUTSIDE_DIRS
    if _LIBRARY_DIRS is None or _OUTSIDE_DIRS is None:
        import tempfile

        _LIBRARY_DIRS = _library_dirs()
        temps = {tempfile.gettempdir(), "/tmp", "/var/tmp"}
        _OUTSIDE_DIRS = _prefixes([*temps, *_SYSTEM_DIRS])
    return _LIBRARY_DIRS, _OUTSIDE_DIRS


def _mounted() -> tuple[str, ...]:
    """The mount folders within the system folders (:data:`_MOUNT_DIRS`, for this user)."""
    global _MOUNTED_DIRS
    if _MOUNTED_DIRS is None:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        _MOUNTED_DIRS = _prefixes(d.format(uid=uid) for d in _MOUNT_DIRS)
    return _MOUNTED_DIRS


class Places:
    """Which absolute paths are dependencies, and their names in records.

    Order: the ``exclude`` folders (the store) and libraries are never
    dependencies; else anything under the rootdir or a mount folder
    (``/run/media``) is one; else anything but temporary and system folders.
    """

    def __init__(self, rootdir: str, exclude: tuple[str, ...] = (), ignore: Ignore | None = None) -> None:
        self.rootdir = os.path.abspath(rootdir)
        self.real_rootdir = os.path.realpath(self.rootdir)
        libraries, outside = _library_and_outside()
        self.roots = tuple({self.rootdir + os.sep, self.real_rootdir + os.sep})
        #: Followed even inside the temporary and system folders: the project, mounted disks.
        self.inside = self.roots + _mounted()
        # A project inside a library folder (a venv made in the project directory, or /usr
        # holding /usr/src/app): that folder does not hide the project's files, only the
        # library folders within it (its site-packages) do.
        libraries = tuple(d for d in libraries if not any(root.startswith(d) for root in self.roots))
        self.skip = _prefixes(exclude) + libraries
        self.root_prefix = self.rootdir + os.sep
        self.outside = outside
        self.ignore = ignore or Ignore()

    def wanted(self, path: str) -> bool:
        """Whether the absolute, normalized ``path`` may be a dependency (``data_ignore`` aside)."""
        # (with a separator: the store's folder itself is not a dependency either; listed, its
        # entries change with every run: ``reads=["."]`` missed each time, ".zenrun/ gained 1 file")
        if f"{path}{os.sep}".startswith(self.skip) or path.endswith(_CODE_SUFFIXES):
            return False
        if path.startswith(self.inside) or path == self.rootdir:
            return True
        return not path.startswith(self.outside)

    def in_project(self, path: str) -> bool:
        """Whether the absolute ``path`` is the project's: not in a library's or the system's
        folders (:meth:`Recorder.add_file` asks the same, inline: it runs at every read)."""
        return not (
            path.startswith(self.skip) or (path.startswith(self.outside) and not path.startswith(self.inside))
        )

    def name(self, path: str) -> str:
        """``path`` relative to the rootdir (``/``-separated) when inside it, else absolute."""
        for root in self.roots:
            if path.startswith(root):
                rel = path[len(root) :]
                return rel.replace(os.sep, "/") if os.sep != "/" else rel
        if path == self.rootdir or path == self.real_rootdir:
            return "."
        return path

    def path(self, name: str) -> str:
        """The absolute path a record's ``name`` stands for (under this rootdir)."""
        if name == ".":
            return self.rootdir
        if os.path.isabs(name):
            return name
        return (
            os.path.join(self.rootdir, name.replace("/", os.sep))
            if os.sep != "/"
            else f"{self.rootdir}/{name}"
        )


_places: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Places] = {}


def places_for(rootdir: str, exclude: tuple[str, ...], ignore: tuple[str, ...]) -> Places:
    """A :class:`Places` for these settings, made once per process."""
    key = (rootdir, tuple(exclude), tuple(ignore))
    places = _places.get(key)
    if places is None:
        if len(_places) > 64:
            _places.clear()
        places = _places[key] = Places(rootdir, tuple(exclude), Ignore(tuple(ignore)))
    return places


# ---------------------------------------------------------------------------
# Content digests
# ---------------------------------------------------------------------------

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode

#: absolute path -> (signature, digest, racy): hashes this process made or checked
_digests: dict[str, tuple[Signature, str, bool]] = {}
_DIGEST_MEMO_LIMIT = 300_000


def signature(st: os.stat_result) -> Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def is_racy(sig: Signature, hashed_at_ns: int) -> bool:
    """Modified so close to when it was hashed that the same ``stat`` proves nothing."""
    return max(sig[1], sig[2]) >= hashed_at_ns - RACY_NS


def hash_file(path: str) -> tuple[Signature, str, bool] | None:
    """``(signature, digest, racy)`` of the file at ``path``; None if it changed while read.

    Raises ``OSError`` (``FileNotFoundError`` when it does not exist).
    """
    import hashlib  # here, not at zenrun's start-up: only a step that reads files needs it

    hashed_at = time.time_ns()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        before = os.fstat(fd)
        digest = hashlib.sha256()
        size = before.st_size
        if size < _CHUNK:
            chunk = os.read(fd, size + 1)
            digest.update(chunk)
            more = len(chunk) > size
        else:
            more = True
        if more:
            buffer = bytearray(_CHUNK)
            view = memoryview(buffer)
            while True:
                count = os.readv(fd, [buffer])
                if not count:
                    break
                digest.update(view[:count])
        after = os.fstat(fd)
    finally:
        os.close(fd)
    STATS["hashed"] += 1
    sig = signature(before)
    if signature(after) != sig:
        return None
    result = (sig, digest.hexdigest()[:DIGEST_CHARS], is_racy(sig, hashed_at))
    if len(_digests) > _DIGEST_MEMO_LIMIT:
        _digests.clear()
    _digests[path] = result
    return result


#: Hashing is spread over threads (reading and sha256 release the GIL) when there is this
#: much to read: for small files the threads' contention for the GIL costs more than it saves.
PARALLEL_HASHING_BYTES = 32 << 20
HASH_THREADS = 4


def hash_files(paths: list[str], total_bytes: int = 0) -> list[tuple[Signature, str, bool] | OSError | None]:
    """:func:`hash_file` of each path, in order; an ``OSError`` in place of a file that is gone.

    ``total_bytes`` (what the files are expected to weigh) decides whether threads help.
    """
    if total_bytes < PARALLEL_HASHING_BYTES or len(paths) < 2:
        return _each(hash_file, paths)
    threads = min(HASH_THREADS, os.cpu_count() or 1, len(paths))
    if threads < 2:
        return _each(hash_file, paths)
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(paths) // threads)
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    with ThreadPoolExecutor(len(chunks), thread_name_prefix="zenrun-data") as pool:
        return [result for part in pool.map(_each, [hash_file] * len(chunks), chunks) for result in part]


def stat_files(paths: list[str]) -> list[os.stat_result | OSError]:
    """``os.stat`` of each path, in order; an ``OSError`` in place of a file that is gone.

    In one thread: a ``stat`` holds the GIL for a third of its time, and threads
    contending for it made 10,000 of them slower, not faster (2 CPUs).
    """
    return _each(os.stat, paths)


def _each(function: Any, paths: list[str]) -> list[Any]:
    out: list[Any] = []
    append = out.append
    for path in paths:
        try:
            append(function(path))
        except OSError as exc:
            append(exc)
    return out


def listing_digest(names: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()[:DIGEST_CHARS]


def list_dir(path: str, name: str, ignore: Ignore) -> list[str]:
    """The sorted entries of the folder ``path`` (recorded as ``name``), ignored ones left out."""
    entries = os.listdir(path)
    if ignore:
        prefix = "" if name == "." else name.rstrip("/") + "/"
        entries = [e for e in entries if not ignore(prefix + e)]
    entries.sort()
    return entries


# ---------------------------------------------------------------------------
# Durations (cache_expires)
# ---------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# compiled on first use (re caches it): zenrun --help does not need it
_DURATION = r"(\d+(?:\.\d+)?)\s*([smhdw])"


def parse_duration(value: Any) -> float:
    """Seconds in ``value``: a number of seconds, a ``timedelta``, or ``"90s"``, ``"15m"``,
    ``"6h"``, ``"2d"``, ``"1w"``, ``"1h30m"``. Raises ``ValueError`` saying what is expected."""
    import datetime

    expected = "a duration such as 90s, 15m, 6h, 2d, 1w or 1h30m (or a number of seconds)"
    if isinstance(value, bool):
        raise ValueError(f"expected {expected}")
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            parts = re.findall(_DURATION, text)
            if not parts or re.sub(_DURATION, "", text).strip():
                raise ValueError(f"expected {expected}") from None
            seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    else:
        raise ValueError(f"expected {expected}")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"expected a positive duration, such as 6h ({expected})")
    return seconds


def format_size(size: int) -> str:
    """``512 B``, ``1.5 KiB``, ``3.2 MiB``, ``1.0 GiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def format_duration(seconds: float) -> str:
    """``6h``, ``1h30m``, ``2d``, ``45s``, ``1.5s``: to the second (a tenth under 10 s)."""
    if seconds < 10:
        return f"{seconds:.1f}".rstrip("0").rstrip(".") + "s"
    seconds = round(seconds)
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts[:2]) or "0s"


# ---------------------------------------------------------------------------
# The recorder and the audit hook
# ---------------------------------------------------------------------------

_current: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "zenrun_data_recorder", default=None
)
#: Recorders running in this process: the hook's first (and, outside steps, only) test.
_active = 0
_installed = False
_install_lock = threading.Lock()


_isabs = (lambda path: path[:1] == "/") if os.sep == "/" else os.path.isabs
#: The first ``stat`` of a trusted file (``Tracking.trusted``): none taken.
_TRUSTED = (-1, -1, -1)
_DOT, _DOUBLE = f"{os.sep}.", os.sep * 2


def _normalize(path: str) -> str:
    """``os.path.normpath`` of an absolute path, except that ``..`` goes up from where the
    folder before it really is, as the OS resolves it: ``data/../x.csv`` with ``data`` a
    link to ``disk/data`` is ``disk/x.csv``, not ``x.csv`` (the part after the last ``..``
    keeps its links, so that a retargeted link is still seen)."""
    parts = path.split(os.sep)
    if ".." not in parts:
        return os.path.normpath(path)
    last = len(parts) - 1 - parts[::-1].index("..")
    head = os.path.realpath(os.sep.join(parts[: last + 1]) or os.sep)
    rest = os.sep.join(parts[last + 1 :])
    return os.path.normpath(os.path.join(head, rest)) if rest else head


def _is_ip(host: str) -> bool:
    return bool(host) and (host.replace(".", "").isdigit() or ":" in host)


class Recorder:
    """What one step invocation read, in the process and thread where it runs."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking
        self.places = places_for(tracking.rootdir, tracking.exclude, tracking.ignore)
        self.auto = tracking.auto
        #: Only while the step function itself runs: not while zenrun loads its inputs.
        self.armed = False
        self.started = time.time()
        #: absolute path -> (size, mtime_ns, inode) when first opened, or None if missing then
        self.files: dict[str, tuple[int, int, int] | None] = {}
        #: absolute folder -> (mtime_ns, inode) when first listed, or None if missing then
        self.dirs: dict[str, tuple[int, int] | None] = {}
        self.globs: dict[tuple[str, str, str, bool], None] = {}  # (kind, base, pattern, recursive)
        self.urls: dict[str, dict[str, Any]] = {}  # url -> fingerprint when first declared
        self.network: dict[str, None] = {}
        #: (module, name) of the globals an unpickling in the step looked up (``pickle.load``
        #: of a model file): the project's among them are recorded (see ``_finish``).
        self.unpickled: dict[tuple[str, str], None] = {}
        self._lookups: dict[Any, str] = {}  # port -> the host name last resolved for it
        self._seen: set[Any] = set()  # raw paths already handled
        self._cwd: str | None = None
        #: Whether a path was resolved against the working directory (``open("data.txt")``):
        #: the record then names the directory the step started in (see ``_finish``).
        self._relative = False
        self._first_cwd: str | None = None  # the working directory before the step's first chdir
        self.failure: str | None = None
        self._token: Any = None
        self._trusted = tracking.trusted

    # -- activation ----------------------------------------------------------------
    def __enter__(self) -> Recorder:
        global _active
        install()
        self._token = _current.set(self)
        with _install_lock:
            _active += 1
        for declared in self.tracking.reads:
            try:
                self.declare(declared, self.places.rootdir)
            except Exception as exc:
                self.fail(f"reads={declared!r}", exc)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        global _active
        if self._token is None:
            return
        _current.reset(self._token)
        self._token = None
        with _install_lock:
            _active -= 1

    def fail(self, what: str, exc: BaseException) -> None:
        if self.failure is None:
            self.failure = f"zenrun could not follow what the step read ({what}: {type(exc).__name__}: {exc})"

    # -- paths -------------------------------------------------------------------------
    def _absolute(self, path: str) -> str:
        if not _isabs(path):
            if self._cwd is None:
                self._cwd = os.getcwd()
            self._relative = True
            path = f"{self._cwd}{os.sep}{path}"
        if _DOT in path or _DOUBLE in path:
            path = _normalize(path)
        return path

    def add_file(self, raw: Any, code_as_data: bool = False) -> None:
        """Record the file ``raw`` (a path as the step gave it) with its ``stat`` now.

        The audit hook's hot path: the first ``open`` of each path in a step comes here.
        The ``stat``, taken before the file is opened, is the evidence that what the step
        read is what the record says: the end of the step compares it with another.
        A code file (``.py``, ``.pyc``, ...) is recorded only with ``code_as_data``: when it
        was declared, or opened by something else than the import system and tracebacks
        (``runpy.run_path``, ``exec(open(...).read())``), whose reads the code fingerprint
        does not follow.
        """
        self._seen.add(raw)
        path = raw if type(raw) is str else os.fsdecode(os.fspath(raw))
        if not _isabs(path):
            self._relative = True
            path = f"{self._cwd or self._cwd_now()}{os.sep}{path}"
        if _DOT in path or _DOUBLE in path:
            path = _normalize(path)
        files = self.files
        places = self.places
        if (
            path in files
            or path.startswith(places.skip)
            or (path.endswith(_CODE_SUFFIXES) and not code_as_data)
            or (path.startswith(places.outside) and not path.startswith(places.inside))
        ):
            return
        if path in self._trusted:  # checked at the step's end against its record instead
            files[path] = _TRUSTED
            return
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            files[path] = None
            return
        if st.st_mode & 0o170000 == 0o100000:  # a regular file (stat.S_ISREG, without the call)
            files[path] = (st.st_size, st.st_mtime_ns, st.st_ino)

    def add_dir(self, raw: Any) -> None:
        key = ("dir", raw)
        if key in self._seen:
            return
        self._seen.add(key)
        path = self._absolute(
            "." if raw is None else raw if type(raw) is str else os.fsdecode(os.fspath(raw))
        )
        if path in self.dirs or not self.places.wanted(path):
            return
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            self.dirs[path] = None
            return
        if statmod.S_ISDIR(st.st_mode):
            self.dirs[path] = (st.st_mtime_ns, st.st_ino)

    def add_glob(self, kind: str, base: Any, pattern: Any, recursive: bool) -> None:
        pattern = os.fsdecode(os.fspath(pattern))
        if os.path.isabs(pattern):
            base_path = ""
        else:
            base_path = self._absolute("." if base is None else os.fsdecode(os.fspath(base)))
            if not self.places.wanted(base_path):
                return
        self.globs[(kind, base_path, pattern, bool(recursive))] = None

    def add_network(self, address: Any) -> None:
        if isinstance(address, tuple) and len(address) >= 2:
            host, port = address[0], address[1]
            if isinstance(host, bytes):
                host = host.decode("ascii", "replace")
            host = str(host)
            if _is_ip(host):
                host = self._lookups.get(port, host)
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        elif isinstance(address, (str, bytes)):
            where = f"unix:{os.fsdecode(address)}"
        else:
            where = repr(address)
        self.network[where] = None

    def resolved(self, host: Any, port: Any) -> None:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if isinstance(host, str) and host and not _is_ip(host):
            self._lookups[port] = host
            if isinstance(port, str) and port.isdigit():
                self._lookups[int(port)] = host

    # -- declared dependencies ---------------------------------------------------------------
    def declare(self, target: Any, base: str | None = None) -> None:
        """``reads=[...]`` (relative to the rootdir) or ``zenrun.track(...)`` (relative to
        the working directory): a path, a folder, a glob pattern or an fsspec URL."""
        token = _current.set(None)  # what zenrun itself opens and lists is not the step's
        try:
            self._declare(os.fsdecode(os.fspath(target)), base)
        finally:
            _current.reset(token)

    def _declare(self, text: str, base: str | None) -> None:
        import glob as globmod

        if remotedata.is_url(text):
            url = remotedata.normalize(text)
            if url not in self.urls:
                self.urls[url] = remotedata.fingerprint(url)
            return
        if text.startswith("file://"):
            text = text[len("file://") :]
        path = text if os.path.isabs(text) else os.path.join(base or self._cwd_now(), text)
        if globmod.has_magic(path):
            base_dir, pattern = _split_pattern(path)
            self.globs[("glob", base_dir, pattern, True)] = None
            for match in globmod.glob(pattern, root_dir=base_dir, recursive=True):
                self._declare_path(os.path.join(base_dir, match))
        else:
            self._declare_path(path, folder=text.endswith(("/", os.sep)))

    def _cwd_now(self) -> str:
        if self._cwd is None:
            self._cwd = os.getcwd()
        self._relative = True
        return self._cwd

    def _declare_path(self, path: str, folder: bool = False) -> None:
        path = _normalize(path)
        if folder or os.path.isdir(path):
            for top, dirnames, filenames in os.walk(path):
                self.add_dir(top)
                dirnames.sort()
                for name in filenames:
                    self.add_file(os.path.join(top, name), code_as_data=True)
            if not os.path.isdir(path):
                self.add_dir(path)  # recorded as a missing folder
        else:
            self.add_file(path, code_as_data=True)

    # -- the end -------------------------------------------------------------------------
    def finish(self) -> dict[str, Any]:
        """Stop recording; ``{"record": ..., "unsafe": reason or None}`` for the task result.

        ``unsafe`` says why the result must not be cached: something the step
        read changed while it ran, or zenrun could not follow what it read.
        """
        self.stop()
        if self.failure is not None:
            return {"record": None, "unsafe": self.failure}
        try:
            return self._finish()
        except Exception as exc:  # never a record zenrun is not sure of
            return {"record": None, "unsafe": f"zenrun could not record what the step read: {exc}"}

    def _unpickled_code(self) -> list[str]:
        """The project functions and classes the step's unpicklings named, as ``module:qualname``.

        A pickle names a class by module and name: a model file loaded with ``pickle.load``
        or ``joblib.load`` is the same bytes after the class's code changed, while what the
        step computes with it is not. Their code is checked at the next lookup (the caller
        fingerprints them). Known once the step ran: its unpicklings imported the modules.
        """
        found = set()
        skip = self.places.skip
        for module, name in self.unpickled:
            loaded = sys.modules.get(module)
            where = getattr(loaded, "__file__", None)
            if isinstance(where, str) and not os.path.abspath(where).startswith(skip):  # not a library
                found.add(f"{module}:{name}")
        return sorted(found)

    def _finish(self) -> dict[str, Any]:
        code = self._unpickled_code()
        if not (self.files or self.dirs or self.globs or self.urls or self.network or code):
            return {"record": {"v": RECORD_VERSION, "at": self.started}, "unsafe": None}
        places = self.places
        ignore = places.ignore
        known = self.tracking.known or {}
        known_files = known.get("files") or {}
        record: dict[str, Any] = {"v": RECORD_VERSION, "at": self.started}
        files: dict[str, dict[str, list[Any]]] = {}
        missing: list[str] = []
        changed: list[str] = []
        # One pass in the order the step opened them (files of a folder together), then
        # one ``stat`` each, or a hash whose ``fstat`` is that stat for files never seen.
        to_hash: list[tuple[str, str, tuple[int, int, int], str, str]] = []
        to_stat: list[tuple[str, str, tuple[int, int, int], str, str, Any]] = []
        last_folder: str | None = None
        known_in_folder: dict[str, Any] = {}
        remembered = _digests.get
        root = places.root_prefix
        cut = len(root)
        ignoring = bool(ignore)
        for path, first in self.files.items():
            name = path[cut:] if path.startswith(root) else places.name(path)
            if ignoring and ignore(name):
                continue
            if first is None:
                if os.path.lexists(path):
                    changed.append(f"{name} appeared")
                else:
                    missing.append(name)
                continue
            folder, _, filename = name.rpartition("/")
            if not folder and name[:1] == "/":
                folder = "/"
            if folder != last_folder:
                last_folder = folder
                known_in_folder = known_files.get(folder) or {}
            entry = known_in_folder.get(filename)
            if first is _TRUSTED:
                to_stat.append((path, name, first, folder, filename, entry))
            elif entry is None and path not in _digests:  # hashed below: its fstat is the end's stat
                to_hash.append((path, name, first, folder, filename))
            else:
                to_stat.append((path, name, first, folder, filename, entry))
        in_folder: dict[str, list[Any]] = {}
        last_folder = None
        for (path, name, first, folder, filename, entry), st in zip(
            to_stat, stat_files([item[0] for item in to_stat]), strict=True
        ):
            if type(st) is not os.stat_result:
                changed.append(f"{name} was deleted")
                continue
            size, mtime, ino = st.st_size, st.st_mtime_ns, st.st_ino
            ctime = st.st_ctime_ns
            if first is _TRUSTED:  # not stat-ed when opened: its record's stat is the evidence
                if (
                    entry is None
                    or entry[5]
                    or entry[1] != mtime
                    or entry[0] != size
                    or entry[2] != ctime
                    or entry[3] != ino
                ):
                    changed.append(f"{name} changed")
                    continue
            elif size != first[0] or mtime != first[1] or ino != first[2]:
                changed.append(f"{name} changed")
                continue
            if folder != last_folder:
                last_folder = folder
                in_folder = files.setdefault(folder, {})
            if (
                entry is not None
                and entry[1] == mtime
                and entry[0] == size
                and entry[2] == ctime
                and entry[3] == ino
                and not entry[5]
            ):
                in_folder[filename] = [size, mtime, ctime, ino, entry[4], 0]
                continue
            memo = remembered(path)
            if memo is not None and memo[0] == (size, mtime, ctime, ino) and not memo[2]:
                in_folder[filename] = [size, mtime, ctime, ino, memo[1], 0]
            else:
                to_hash.append((path, name, first, folder, filename))
        for (_, name, first, folder, filename), hashed in zip(
            to_hash,
            hash_files([item[0] for item in to_hash], sum(item[2][0] for item in to_hash)),
            strict=True,
        ):
            if isinstance(hashed, OSError):
                changed.append(f"{name} was deleted")
                continue
            if hashed is None or (hashed[0][0], hashed[0][1], hashed[0][3]) != first:
                changed.append(f"{name} changed")
                continue
            files.setdefault(folder, {})[filename] = [*hashed[0], hashed[1], int(hashed[2])]
        files = {folder: entries for folder, entries in files.items() if entries}
        dirs: dict[str, list[Any]] = {}
        for path, first_listed in self.dirs.items():
            name = places.name(path)
            if ignore and ignore(name + "/"):
                continue
            listed_at = time.time_ns()
            dir_st: os.stat_result | None
            try:
                dir_st = os.stat(path)
                entries = list_dir(path, name, ignore)
            except OSError:
                dir_st = None
            if first_listed is None or dir_st is None:
                if first_listed is None and dir_st is None:
                    missing.append(name.rstrip("/") + "/")
                else:
                    changed.append(f"{name}/ {'was deleted' if dir_st is None else 'appeared'}")
                continue
            if (dir_st.st_mtime_ns, dir_st.st_ino) != first_listed:
                changed.append(f"{name}/ changed")
                continue
            sig = signature(dir_st)
            dirs[name] = [*sig, int(is_racy(sig, listed_at)), entries, listing_digest(entries)]
        globs: dict[str, list[Any]] = {}
        for kind, base, pattern, recursive in self.globs:
            label, base_name, matches = evaluate_glob(places, kind, base, pattern, recursive)
            if not (ignore and ignore(label)):
                globs[label] = [kind, base_name, pattern, recursive, matches]
        urls: dict[str, dict[str, Any]] = {}
        if self.urls:
            for url, first_fp in self.urls.items():
                now = remotedata.fingerprint(url)
                if now != first_fp:
                    changed.append(f"{url} changed")
                urls[url] = now
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            return {"record": None, "unsafe": f"{shown} while the step ran"}
        for key, value in (
            ("files", files),
            ("missing", sorted(missing)),
            ("dirs", dirs),
            ("globs", globs),
            ("urls", urls),
            ("net", list(self.network)),
            ("code", code),
        ):
            if value:
                record[key] = value
        if self._relative and len(record) > 2:  # a relative path named what it read: from where
            record["cwd"] = places.name(self._first_cwd or self._cwd or os.getcwd())
        return {"record": record, "unsafe": None}


def _split_pattern(path: str) -> tuple[str, str]:
    """An absolute glob pattern as (the folder before its first magic part, the rest)."""
    import glob as globmod

    parts = path.split(os.sep)
    for index, part in enumerate(parts):
        if globmod.has_magic(part):
            return os.sep.join(parts[:index]) or os.sep, os.sep.join(parts[index:])
    return os.path.dirname(path), os.path.basename(path)


def evaluate_glob(
    places: Places, kind: str, base: str, pattern: str, recursive: bool
) -> tuple[str, str, list[str]]:
    """``(label, base as recorded, sorted matches)`` of a glob the step made.

    ``base`` is an absolute folder (``""`` for an absolute pattern); the label
    is the pattern as a path under the rootdir where it lies inside it.
    """
    import glob as globmod

    if not base:
        base, pattern = _split_pattern(pattern)
    if kind == "path":
        from pathlib import Path

        root = Path(base)
        matches = sorted(str(p.relative_to(root)) for p in root.glob(pattern))
    else:
        matches = sorted(globmod.glob(pattern, root_dir=base, recursive=recursive))
    base_name = places.name(base)
    label = pattern if base_name == "." else f"{base_name.rstrip('/')}/{pattern}"
    return label, base_name, matches


def install() -> None:
    """Add the audit hook to this process, once (audit hooks cannot be removed)."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)
            _follow_import_module()
            _follow_threads()
            _installed = True


def _follow_threads() -> None:
    """A thread a step starts reads for the step (``ThreadPoolExecutor().map(pd.read_csv,
    files)``): its reads were nobody's, as the recorder lives in a context variable a new
    thread does not inherit, and an edit of such a file was a stale hit. The thread records
    into the recorder of the step that started it, while that step runs."""
    import functools

    original = threading.Thread.start

    @functools.wraps(original)
    def start(self: threading.Thread) -> None:
        recorder = _current.get() if _active else None
        if recorder is not None and recorder.armed:
            run = self.run

            def run_for_the_step() -> None:
                _current.set(recorder)
                run()

            self.run = run_for_the_step  # type: ignore[method-assign]
        original(self)

    threading.Thread.start = start  # type: ignore[method-assign]

    # A pool made before the step (a module-level ``ThreadPoolExecutor``) has threads that
    # another step started, or none: a task reads for the step that submitted it.
    from concurrent.futures import ThreadPoolExecutor

    submit: Any = ThreadPoolExecutor.submit

    @functools.wraps(submit)
    def submit_for_the_step(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        recorder = _current.get() if _active else None
        if recorder is not None and recorder.armed:
            task = fn

            def fn(*args: Any, **kwargs: Any) -> Any:
                token = _current.set(recorder)
                try:
                    return task(*args, **kwargs)
                finally:
                    _current.reset(token)

        return submit(self, fn, *args, **kwargs)

    ThreadPoolExecutor.submit = submit_for_the_step  # type: ignore[method-assign,assignment]


def _follow_import_module() -> None:
    """``importlib.import_module(name)`` in a step reads the module it returns as data:
    the name is a value the code fingerprint cannot follow. Recorded at every call, the
    first (which opens the file) and the later ones (which find it in ``sys.modules``)."""
    import functools
    import importlib

    original = importlib.import_module

    @functools.wraps(original)
    def import_module(name: str, package: str | None = None) -> Any:
        module = original(name, package)
        if _active:
            recorder = _current.get()
            path = getattr(module, "__file__", None)
            if recorder is not None and recorder.armed and recorder.auto and isinstance(path, str):
                try:
                    recorder.add_file(_source_of(path), code_as_data=True)
                    package = getattr(module, "__package__", None) or None
                    _add_imported_modules(recorder, _source_of(path), package, {module.__name__})
                except Exception as exc:  # never break the step's own call
                    recorder.fail("import_module", exc)
        return module

    importlib.import_module = import_module


#: Per source file and package: its ``(size, mtime_ns)`` and the modules its ``import``
#: statements name.
_imports_of: dict[tuple[str, str | None], tuple[tuple[int, int], tuple[str, ...]]] = {}


def _add_imported_modules(recorder: Recorder, source: str, package: str | None, seen: set[str]) -> None:
    """Record as data the project modules that code read as data imports.

    The code fingerprint follows none of a module loaded by a run-time name
    (``importlib.import_module(name)``, ``exec_module``, ``runpy``), so the modules its
    ``import`` statements load (``import layers``, ``from .consts import DEPTH``) are data
    as it is: recording only its own file made an edit of ``layers.py`` a stale hit. They
    are read from its source (the import system opens them only the first time, not for a
    step finding the module in ``sys.modules``, and an import inside a function only when
    it runs), transitively, as far as the project goes: a library's module (pandas asks
    ``import_module`` for its optional dependencies at every call) is not read at all.
    """
    if not recorder.places.in_project(source):
        return
    for name in _imported_names(source, package):
        if name in seen:
            continue
        seen.add(name)
        file = _module_file(name)
        if file is None or not recorder.places.in_project(file):
            continue  # a library or a system module: not the project's
        recorder.add_file(file, code_as_data=True)
        if file.endswith(".py"):
            _add_imported_modules(
                recorder, file, name if file.endswith("__init__.py") else name.rpartition(".")[0], seen
            )


def _module_file(name: str) -> str | None:
    """The source file of module ``name``: where it was loaded from, else where the import
    system would find it (looked up package by package, importing nothing)."""
    module = sys.modules.get(name)
    if module is not None:
        file = getattr(module, "__file__", None)
        return _source_of(os.path.abspath(file)) if isinstance(file, str) else None
    import importlib.machinery

    path: Any = None
    spec: Any = None
    parts = name.split(".")
    for i in range(len(parts)):
        prefix = ".".join(parts[: i + 1])
        loaded = sys.modules.get(prefix)
        if loaded is not None and i < len(parts) - 1:
            path = getattr(loaded, "__path__", None)
        else:
            try:
                spec = importlib.machinery.PathFinder.find_spec(prefix, path)
            except (ImportError, ValueError):
                return None
            if spec is None:
                return None
            path = spec.submodule_search_locations
        if path is None and i < len(parts) - 1:
            return None  # not a package: ``name`` is an attribute, not a module
    origin = spec.origin if spec is not None and spec.has_location else None
    return _source_of(os.path.abspath(origin)) if isinstance(origin, str) else None


def _imported_names(source: str, package: str | None) -> tuple[str, ...]:
    """The absolute module names the ``import`` statements of ``source`` may load (for
    ``from m import x``, ``m`` and ``m.x``: ``x`` may be a submodule); cached per file."""
    import ast
    import importlib.util

    try:
        st = os.stat(source)
    except OSError:
        return ()
    stamp = (st.st_size, st.st_mtime_ns)
    cached = _imports_of.get((source, package))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(source, "rb") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):  # a sourceless or unreadable module
        return ()
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                try:
                    base = importlib.util.resolve_name("." * node.level + base, package)
                except (ImportError, ValueError):
                    continue
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    # (``import a.b`` runs ``a/__init__.py`` too)
    found = tuple(dict.fromkeys(n.rsplit(".", i)[0] for n in names for i in range(n.count(".") + 1)))
    _imports_of[source, package] = (stamp, found)
    return found


def _source_of(path: str) -> str:
    """The source file of a cached bytecode file (``__pycache__/m.cpython-311.pyc`` ->
    ``m.py``) when it is there, else ``path``: an edit changes the source, not the cache."""
    if not path.endswith(".pyc"):
        return path
    import importlib.util

    try:
        source = importlib.util.source_from_cache(path)
    except ValueError:  # not a PEP 3147 cache path (a sourceless .pyc)
        return path
    return source if os.path.exists(source) else path


_NOT_READING = os.O_TRUNC | os.O_APPEND | getattr(os, "O_EXCL", 0)


#: Where the package metadata readers live (``importlib.metadata``, its backport). Looking
#: up packages, they list every folder on ``sys.path`` (the project's too): what such a
#: lookup depends on is which package metadata folders are there, not every file name.
_METADATA_READERS = (f"{os.sep}importlib{os.sep}metadata{os.sep}", f"{os.sep}importlib_metadata{os.sep}")
_METADATA_DEPTH = 4  # frames looked up from the audited call
#: What a metadata lookup's listing of a folder depends on: its packages' metadata folders.
_METADATA_PATTERNS = ("*.dist-info", "*.egg-info")


def _by_metadata_reader(frame: Any) -> bool:
    for _ in range(_METADATA_DEPTH):
        if frame is None:
            return False
        if any(reader in frame.f_code.co_filename for reader in _METADATA_READERS):
            return True
        frame = frame.f_back
    return False


def _on_open(recorder: Recorder, args: tuple[Any, ...]) -> None:
    path, mode, flags = args
    if not recorder.auto or isinstance(path, int):
        return
    if flags:
        access = flags & os.O_ACCMODE
        if access == os.O_WRONLY or (access == os.O_RDWR and flags & _NOT_READING):
            return
    elif isinstance(mode, str) and "r" not in mode:
        return
    # (what importlib.metadata opens too: a project's own package data)
    as_data = _code_read_as_data(path)
    if as_data and type(path) is str and path.endswith(".pyc"):
        path = _source_of(path)  # the loader read the cache of a source it only stat'ed
    recorder.add_file(path, code_as_data=as_data)
    if as_data and type(path) is str and path.endswith(".py"):
        _add_imported_modules(recorder, path, None, set())  # (relative imports: no package known)


#: Who opens code files as code, which the code fingerprint follows: the import system
#: (importlib, zipimport) and ``linecache`` (through ``tokenize.open``: tracebacks,
#: ``inspect.getsource``, warnings). Not ``runpy``, frozen too: what it runs is data.
_CODE_READERS = (f"{os.sep}linecache.py", f"{os.sep}tokenize.py")
_FROZEN_CODE_READERS = ("<frozen importlib.", "<frozen zipimport>")


def _code_read_as_data(path: Any) -> bool:
    """Whether a code file (``.py``, ``.pyc``, ...) being opened is read as data.

    ``runpy.run_path("settings.py")`` or ``exec(open("params.py").read())`` reads a file
    the code fingerprint never sees: it is a data dependency as any other file.
    """
    if type(path) is not str:
        try:
            path = os.fsdecode(os.fspath(path))
        except TypeError:
            return False
    if not path.endswith(_CODE_SUFFIXES):
        return False
    try:
        frame: Any = sys._getframe(3)  # _code_read_as_data < _on_open < _audit < caller
    except ValueError:  # opened from C with no Python caller: not the import system
        return True
    caller = frame.f_code.co_filename
    if caller.endswith(_CODE_READERS):
        return False
    if not caller.startswith(_FROZEN_CODE_READERS):
        return True
    # The import system: an ``import`` statement names its module in the code, which the
    # code fingerprint follows. A module loaded by a name made at run time
    # (``importlib.import_module(name)``) or a loader run on a file
    # (``spec_from_file_location`` + ``exec_module``) is one no name in the code leads to: data.
    by_statement = False
    while frame is not None and frame.f_code.co_filename.startswith(_FROZEN_CODE_READERS):
        by_statement = by_statement or frame.f_code.co_name == "_find_and_load"
        frame = frame.f_back
    if frame is not None and frame.f_code.co_name == "import_module":
        return True  # importlib.import_module: the name is a value, not code
    return not by_statement


#: Listings made by the import system, by glob (recorded as the pattern) and by rmtree.
_LISTING_CALLERS_SKIPPED = {"_rmtree_safe_fd", "_rmtree_unsafe", "rmtree", "_fill_cache"}


def _on_list(recorder: Recorder, args: tuple[Any, ...]) -> None:
    path = args[0] if args else None
    if isinstance(path, int) or not recorder.auto:
        return
    caller = sys._getframe(2).f_code  # the code that called os.listdir / os.scandir
    filename = caller.co_filename
    if (
        filename.startswith("<frozen")
        or caller.co_name in _LISTING_CALLERS_SKIPPED
        or filename.endswith(f"{os.sep}glob.py")
        or (filename.endswith(f"{os.sep}pathlib.py") and caller.co_name != "iterdir")
    ):
        return
    if _by_metadata_reader(sys._getframe(2)):  # a package lookup: the metadata folders only
        for pattern in _METADATA_PATTERNS:
            recorder.add_glob("glob", path or ".", pattern, False)
        return
    recorder.add_dir(path)


def _on_glob(recorder: Recorder, args: tuple[Any, ...]) -> None:
    pattern, recursive, root_dir, dir_fd = args[:4]
    if dir_fd is None and recorder.auto:
        recorder.add_glob("glob", root_dir, pattern, recursive)


def _on_path_glob(recorder: Recorder, args: tuple[Any, ...]) -> None:
    if recorder.auto:
        recorder.add_glob("path", args[0], args[1], True)


def _on_path_rglob(recorder: Recorder, args: tuple[Any, ...]) -> None:
    if recorder.auto:
        recorder.add_glob("path", args[0], f"**/{args[1]}", True)


def _on_chdir(recorder: Recorder, args: tuple[Any, ...]) -> None:
    if recorder._first_cwd is None:  # (the hook runs before the chdir: where the step started)
        recorder._first_cwd = os.getcwd()
    recorder._cwd = None  # found again at the next relative path, once the chdir is done
    # A relative path already seen names another file from the new directory: forget what
    # was seen (files and folders are recorded by absolute path, so nothing is recorded twice).
    recorder._seen = set()


#: SQLite's write-ahead-log mode, as the database header says (bytes 18 and 19 are 2).
_SQLITE_WAL_HEADER = b"\x02\x02"


def _on_sqlite(recorder: Recorder, args: tuple[Any, ...]) -> None:
    """A SQLite database the step connected to (``sqlite3.connect``).

    SQLite's C code opens the file, which raises no ``open`` event: without this a step
    querying ``data/db.sqlite`` was a hit after the rows changed. A database that does not
    exist yet is made by the step (nothing read from it); an in-memory one has no file.
    In write-ahead-log mode committed rows may wait in ``<file>-wal`` while the main file
    is unchanged: that file is recorded too (absent or not).
    """
    if not recorder.auto or isinstance(args[0], int):
        return
    filename = _sqlite_file(os.fsdecode(os.fspath(args[0])))
    if filename is None:
        return
    recorder.add_file(filename)
    try:
        with open(filename, "rb") as f:  # (its own ``open`` event finds the file recorded)
            header = f.read(20)
    except OSError:
        return
    if header[18:20] == _SQLITE_WAL_HEADER:
        recorder.add_file(f"{filename}-wal")


def _sqlite_file(database: str) -> str | None:
    """The existing file ``sqlite3.connect(database)`` opens, or None (in memory, or new).

    The event does not say whether ``uri=True`` was passed: a ``file:`` name is taken as a
    URI (``file:data/db.sqlite?mode=ro``) when that file exists, else as a plain name.
    """
    if database in ("", ":memory:"):
        return None
    candidates = [database]
    if database.startswith("file:"):
        from urllib.parse import parse_qs, unquote

        rest, _, query = database[len("file:") :].partition("?")
        rest = rest.partition("#")[0]
        if rest.startswith("//"):  # file://host/path: SQLite takes only "" or localhost
            host, slash, path = rest[2:].partition("/")
            rest = slash + path if host in ("", "localhost") else ""
        if "memory" in parse_qs(query.partition("#")[0]).get("mode", []):
            return None
        if rest:
            candidates.insert(0, unquote(rest))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return None


def _on_find_class(recorder: Recorder, args: tuple[Any, ...]) -> None:
    """An unpickling looked up ``module.name`` (before importing it: filtered at the end)."""
    if recorder.auto and len(recorder.unpickled) < _UNPICKLED_MAX:
        recorder.unpickled[(str(args[0]), str(args[1]))] = None


#: The most globals recorded from a step's unpicklings (a pickle names few; bounded all the same).
_UNPICKLED_MAX = 1000


def _on_connect(recorder: Recorder, args: tuple[Any, ...]) -> None:
    recorder.add_network(args[1])


def _on_http_connect(recorder: Recorder, args: tuple[Any, ...]) -> None:
    recorder.add_network((args[1], args[2]))


def _on_getaddrinfo(recorder: Recorder, args: tuple[Any, ...]) -> None:
    recorder.resolved(args[0], args[1])


_HANDLERS = {
    "open": _on_open,
    "os.listdir": _on_list,
    "os.scandir": _on_list,
    "glob.glob/2": _on_glob,
    "pathlib.Path.glob": _on_path_glob,
    "pathlib.Path.rglob": _on_path_rglob,
    "os.chdir": _on_chdir,
    "socket.connect": _on_connect,
    "http.client.connect": _on_http_connect,
    "socket.getaddrinfo": _on_getaddrinfo,
    "sqlite3.connect": _on_sqlite,
    "pickle.find_class": _on_find_class,
}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Every audited call of the process comes here, inside steps too: ``id()``, which
    # ``copy.deepcopy`` makes twice an object, ``sys._getframe`` at each log record. The
    # events no handler follows are turned away first, with one lookup.
    if not _active:  # no step running in this process
        return
    handler = _HANDLERS.get(event)
    if handler is None:
        return
    recorder = _current.get()
    if recorder is None or not recorder.armed:
        return
    try:
        if handler is _on_open and args[0] in recorder._seen:  # a file already seen: one lookup
            return
        handler(recorder, args)
    except Exception as exc:  # never break the step's own call
        recorder.fail(event, exc)


def recording(tracking: Tracking | None) -> Recorder | None:
    """A recorder for ``tracking`` (enter it around the step call), or None."""
    return Recorder(tracking) if tracking is not None else None


def current() -> Recorder | None:
    """The recorder of the step running in this thread, if any."""
    return _current.get()


def track(target: str | os.PathLike[str]) -> None:
    """Make ``target`` a data dependency of the running step: a file, a folder (everything
    in it), a glob pattern, or an fsspec URL (``s3://bucket/key``, fingerprinted by its
    ETag, version or size and time, never downloaded). Relative paths are relative to the
    working directory, as ``open`` takes them. For what zenrun cannot see by itself:
    files opened by C code (pyarrow), a subprocess or a database."""
    recorder = _current.get()
    if recorder is None:
        if current_step() is None:
            raise RuntimeError(
                "zenrun.track() was called outside a running step; call it inside a @step function"
            )
        return  # a step run without tracking (a plugin's executor): nothing to add to
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"zenrun.track() takes a path or URL, not {type(target).__name__}")
    text = os.fsdecode(os.fspath(target))
    # Else recorded as a local path that never exists: a change of the data meant is no miss.
    if "\0" in text:
        raise ValueError(f"zenrun.track({text!r}): a path cannot hold a NUL character")
    if text.strip().endswith("://"):
        raise ValueError(f"zenrun.track({text!r}): a URL names a bucket or host")
    try:
        recorder.declare(target)
    except Exception as exc:
        recorder.fail(f"zenrun.track({target!r})", exc)
