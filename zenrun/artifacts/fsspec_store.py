"""An artifact store on any fsspec filesystem: ``s3://bucket/prefix``, ``memory://``, ``file://``.

Selected with ``--artifact-store URL``, ``$ZENRUN_ARTIFACT_STORE`` or
``artifact_store`` in ``[tool.zenrun]``; without one, the local store in
``<store>/artifacts`` is used. The store pickles as its URL and options, so a
worker process or a cluster node opens its own connection to the same place.
fsspec is imported only when such a store is used.

Every request to an object store is bounded: ``--artifact-store-timeout``
seconds to connect and for each read (default 10), ``--artifact-store-retries``
retries with backoff (default 2). An operation that still fails raises
:class:`~zenrun.protocols.ArtifactStoreError`, one line naming the object's
URL and the operation; the step that needed it fails with that line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from zenrun.artifacts.store import VERIFY_ON_HIT, ArtifactError, check_digest
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.protocols import ArtifactStore, ArtifactStoreError

#: Filesystems whose single-object write is atomic: readers see all of it or nothing.
ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
ENV_VAR = "ZENRUN_ARTIFACT_STORE"
TIMEOUT_ENV_VAR = "ZENRUN_ARTIFACT_STORE_TIMEOUT"
RETRIES_ENV_VAR = "ZENRUN_ARTIFACT_STORE_RETRIES"
#: Seconds to connect, and to wait for each read of a response, per request.
DEFAULT_TIMEOUT = 10.0
#: Retries of a request that timed out, lost its connection or got a 5xx/throttling answer.
DEFAULT_RETRIES = 2
#: Protocols served by s3fs (S3 and S3-compatible endpoints): bounded through botocore's config.
S3_PROTOCOLS = frozenset({"s3", "s3a"})
#: Packages whose exceptions mean "the filesystem or the network failed", not a bug of ours.
_IO_PACKAGES = (
    "botocore",
    "aiobotocore",
    "aiohttp",
    "urllib3",
    "requests",
    "fsspec",
    "s3fs",
    "gcsfs",
    "adlfs",
)


class FsspecArtifactStore(ArtifactStore):
    """Content-addressed artifacts under ``url``: ``<url>/<digest[:2]>/<digest[2:]>``.

    Writes are atomic: a single PUT on object stores, a temporary object
    renamed into place elsewhere. Every read is checked against the digest.
    """

    url: str

    def __init__(
        self,
        url: str,
        storage_options: dict[str, Any] | None = None,
        verify_on_hit: int = VERIFY_ON_HIT,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.storage_options = dict(storage_options or {})
        self.verify_on_hit = verify_on_hit
        if timeout is None or retries is None:
            env_timeout, env_retries = bounds_from_env()
            timeout = env_timeout if timeout is None else timeout
            retries = env_retries if retries is None else retries
        self.timeout = float(timeout)
        self.retries = int(retries)
        self._fs: Any = None
        self._root = ""

    def __getstate__(self) -> dict[str, Any]:  # a live filesystem does not travel
        return {
            "url": self.url,
            "storage_options": self.storage_options,
            "verify_on_hit": self.verify_on_hit,
            "timeout": self.timeout,
            "retries": self.retries,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"<FsspecArtifactStore {self.url}>"

    @property
    def fs(self) -> Any:
        """The fsspec filesystem, opened on first use."""
        if self._fs is None:
            from fsspec.core import split_protocol, url_to_fs

            protocol = split_protocol(self.url)[0] or "file"
            bounded = protocol in S3_PROTOCOLS
            options = self._s3_options() if bounded else self.storage_options
            fs, root = url_to_fs(self.url, **options)
            if bounded:  # botocore retries; s3fs's own loop would multiply them (5 x 3 attempts)
                fs.retries = 1
            self._fs, self._root = fs, root.rstrip("/")
        return self._fs

    def _s3_options(self) -> dict[str, Any]:
        """The storage options, with botocore's timeouts and retries bounded (unless given)."""
        options = dict(self.storage_options)
        options["config_kwargs"] = {
            "connect_timeout": self.timeout,
            "read_timeout": self.timeout,
            "retries": {"total_max_attempts": self.retries + 1, "mode": "standard"},
            **(options.get("config_kwargs") or {}),
        }
        options["skip_instance_cache"] = True  # an instance of our own: `fs` sets its retries
        return options

    def _call(self, operation: str, target: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)``, a failure of the filesystem or network as an :class:`ArtifactStoreError`.

        ``FileNotFoundError`` passes through when looking up, reading or removing: a
        missing object is an answer. Writing, it means a missing bucket or folder.
        """
        try:
            return fn(*args)
        except FileNotFoundError as exc:
            if operation != "write":
                raise
            raise ArtifactStoreError(self._describe(operation, target, exc)) from exc
        except Exception as exc:
            if not _io_failure(exc):
                raise
            raise ArtifactStoreError(self._describe(operation, target, exc)) from exc

    def _describe(self, operation: str, target: str, exc: BaseException) -> str:
        """One line: the store, the operation, the object's URL, the last error, the bounds."""
        lines = str(exc).strip().splitlines()
        reason = f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__
        if len(reason) > 300:
            reason = reason[:297] + "..."
        protocol = self.url.split("://", 1)[0] if "://" in self.url else ""
        where = f"{protocol}://{target}" if protocol and "://" not in target else target
        bounds = f" (timeout {self.timeout:g}s, {self.retries} retries)" if protocol in S3_PROTOCOLS else ""
        return f"artifact store {self.url}: could not {operation} {where}: {reason}{bounds}"

    def path(self, digest: str) -> str:
        """Where ``digest`` lives on the filesystem (without the protocol)."""
        check_digest(digest)  # digests come from editable databases: never a path outside the store
        _ = self.fs  # sets _root
        return f"{self._root}/{digest[:2]}/{digest[2:]}" if self._root else f"{digest[:2]}/{digest[2:]}"

    def uri(self, digest: str) -> str:
        """The artifact's path, with the store's protocol for a remote store (``s3://b/k``)."""
        path = self.path(digest)
        if "://" in self.url and "://" not in path and not self.url.startswith("file://"):
            return f"{self.url.split('://', 1)[0]}://{path}"
        return path

    def _atomic_put(self) -> bool:
        protocols = self.fs.protocol
        protocols = (protocols,) if isinstance(protocols, str) else protocols
        return any(p in ATOMIC_PUT_PROTOCOLS for p in protocols)

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; returns ``(sha256 hex digest, size)``."""
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        if self.exists(digest, len(data)):
            return digest, len(data)
        target = self.path(digest)
        fs = self.fs
        if self._atomic_put():
            self._call("write", target, fs.pipe_file, target, data)
            return digest, len(data)
        parent = target.rsplit("/", 1)[0]
        self._call("write", target, self._write_renamed, fs, parent, target, data)
        return digest, len(data)

    @staticmethod
    def _write_renamed(fs: Any, parent: str, target: str, data: bytes) -> None:
        fs.makedirs(parent, exist_ok=True)
        # (not uuid: it imports platform, 2 ms at the start of every session)
        tmp = f"{parent}/.tmp-{os.getpid()}-{os.urandom(16).hex()}"
        try:
            with fs.open(tmp, "wb") as fh:
                fh.write(data)
                if hasattr(fh, "flush"):
                    fh.flush()
                fileno = getattr(fh, "fileno", None)
                if fileno is not None:  # a local file: durable before it gets its name
                    try:
                        os.fsync(fileno())
                    except (OSError, ValueError, AttributeError, NotImplementedError):
                        pass
            fs.mv(tmp, target)
        except BaseException:
            try:
                fs.rm_file(tmp)
            except Exception:  # the write's error is the one to report
                pass
            raise

    def sync(self) -> None:
        """Writes are synchronous: nothing to wait for."""

    def exists(self, digest: str, size: int | None = None) -> bool:
        """Whether ``digest`` is stored (with ``size`` bytes); an object of another size is
        removed, unless it matches its hash (then ``size`` is what is wrong: a damaged record)."""
        target = self.path(digest)
        try:
            info = self._call("look up", target, self.fs.info, target)
        except FileNotFoundError:
            return False
        if size is not None and info.get("size") != size:
            if not self._matches_digest(target, digest):
                self._remove(target)  # truncated: put() would otherwise keep skipping it
            return False
        return True

    def _matches_digest(self, target: str, digest: str) -> bool:
        """Whether the object at ``target`` hashes to ``digest`` (read in blocks: any size)."""
        import hashlib

        def read() -> bool:
            with self.fs.open(target, "rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest() == digest

        try:
            return bool(self._call("read", target, read))
        except FileNotFoundError:
            return False

    def verify(self, digest: str, size: int) -> bool:
        """:meth:`exists`, plus a hash check for artifacts up to ``verify_on_hit`` bytes."""
        if not self.exists(digest, size):
            return False
        if size > self.verify_on_hit:
            return True
        try:
            self.get(digest)
        except ArtifactError:
            return False
        return True

    def get(self, digest: str) -> bytes:
        """The bytes of ``digest``, verified against it."""
        import hashlib

        target = self.path(digest)
        try:
            data: bytes = self._call("read", target, self.fs.cat_file, target)
        except FileNotFoundError:
            raise ArtifactError(f"artifact {digest[:12]} is missing from {self.url}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            self._remove(target)  # put() skips stored digests: let the producer write it again
            raise ArtifactError(
                f"artifact {digest[:12]} in {self.url} does not match its hash (it was modified or corrupted)"
            )
        return data

    def _remove(self, target: str) -> None:
        try:
            self._call("remove", target, self.fs.rm_file, target)
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """Nothing is buffered; the filesystem object is fsspec's to cache."""


def _io_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the filesystem's or the network's failure (not a bug in zenrun)."""
    if isinstance(exc, OSError):  # timeouts, resets, refused connections; s3fs's translated errors
        return True
    return any(
        (getattr(cls, "__module__", "") or "").split(".", 1)[0] in _IO_PACKAGES for cls in type(exc).__mro__
    )


def bounds_from_env() -> tuple[float, int]:
    """``(timeout, retries)`` from ``$ZENRUN_ARTIFACT_STORE_TIMEOUT`` and ``_RETRIES``, else the defaults."""
    return (
        _timeout(os.environ.get(TIMEOUT_ENV_VAR) or DEFAULT_TIMEOUT, f"${TIMEOUT_ENV_VAR}"),
        _retries(os.environ.get(RETRIES_ENV_VAR) or DEFAULT_RETRIES, f"${RETRIES_ENV_VAR}"),
    )


def _timeout(value: Any, source: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0 or isinstance(value, bool):
        raise UsageError(
            f"{source}: the artifact store timeout must be a number of seconds > 0, not {value!r}"
        )
    return seconds


def _retries(value: Any, source: str) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0 or isinstance(value, (bool, float)):
        raise UsageError(f"{source}: the artifact store retries must be an integer >= 0, not {value!r}")
    return count


def configured_bounds(config: Any) -> tuple[float, int]:
    """``(timeout, retries)``: the command line, else the environment, else ``[tool.zenrun]``."""
    env_timeout, env_retries = os.environ.get(TIMEOUT_ENV_VAR), os.environ.get(RETRIES_ENV_VAR)
    timeout = config.getoption("artifact_store_timeout", None)
    if timeout is not None:
        timeout = _timeout(timeout, "--artifact-store-timeout")
    elif env_timeout:
        timeout = _timeout(env_timeout, f"${TIMEOUT_ENV_VAR}")
    else:
        timeout = _timeout(
            config.getini("artifact_store_timeout"), f"{config.inipath}: artifact_store_timeout"
        )
    retries = config.getoption("artifact_store_retries", None)
    if retries is not None:
        retries = _retries(retries, "--artifact-store-retries")
    elif env_retries:
        retries = _retries(env_retries, f"${RETRIES_ENV_VAR}")
    else:
        retries = _retries(
            config.getini("artifact_store_retries"), f"{config.inipath}: artifact_store_retries"
        )
    return timeout, retries


def configured_url(config: Any) -> str | None:
    """``config.artifact_store_url`` when zenrun opens it (fsspec), None when it is unset
    or a plugin claims its scheme (``zenrun_backend_names(kind="artifact_store")``)."""
    url: str | None = config.artifact_store_url
    if url is None or config.claimed_artifact_store_url():
        return None
    return url


def check_url(url: str, plugin_schemes: Sequence[str] | None = None) -> None:
    """Raise a UsageError unless fsspec and the filesystem for ``url``'s protocol are installed;
    for an unknown protocol it names ``plugin_schemes``, those the session's plugins open."""
    try:
        import fsspec
    except ImportError as exc:
        raise UsageError(
            f"artifact store {url}: needs fsspec ({exc}); install it with: pip install 'zenrun[fsspec]'"
        ) from None
    protocol = fsspec.core.split_protocol(url)[0] or "file"
    try:
        fsspec.get_filesystem_class(protocol)
    except (ImportError, ValueError) as exc:
        hint = ""
        if plugin_schemes is not None and isinstance(exc, ValueError):  # not fsspec's, nor a plugin's
            known = ", ".join(f"{scheme}://" for scheme in plugin_schemes)
            hint = (
                f"; no installed plugin opens {protocol}:// either"
                + (f": plugins here open {known}" if known else "")
                + " (is its plugin installed, or blocked with -p no:NAME?)"
            )
        raise UsageError(f"artifact store {url}: {exc}{hint}") from None
    if protocol in ("file", "local"):  # a file where its directory goes: said once, here
        path = fsspec.core.strip_protocol(url)
        if os.path.exists(path) and not os.path.isdir(path):
            raise UsageError(f"artifact store {url}: {path} is a file, not a directory")


def open_artifact_store(
    url: str, verify_on_hit: int = VERIFY_ON_HIT, timeout: float | None = None, retries: int | None = None
) -> FsspecArtifactStore:
    """The store at ``url``; a UsageError for an unknown or uninstalled protocol.

    ``timeout`` and ``retries`` default to the environment's, else to
    :data:`DEFAULT_TIMEOUT` and :data:`DEFAULT_RETRIES`.
    """
    check_url(url)
    return FsspecArtifactStore(url, verify_on_hit=verify_on_hit, timeout=timeout, retries=retries)


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("store").addoption(
        "--artifact-store",
        dest="artifact_store",
        default=None,
        metavar="URL",
        help="keep artifacts at this fsspec URL (s3://bucket/prefix, file:///path, memory://...) "
        f"instead of <store>/artifacts; env {ENV_VAR}",
    )
    parser.getgroup("store").addoption(
        "--artifact-store-timeout",
        dest="artifact_store_timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="an object store (s3://) request gives up after this long without connecting or "
        f"without an answer (default {DEFAULT_TIMEOUT:g}); env {TIMEOUT_ENV_VAR}",
    )
    parser.getgroup("store").addoption(
        "--artifact-store-retries",
        dest="artifact_store_retries",
        type=int,
        default=None,
        metavar="N",
        help="retries of an object store request that timed out, lost its connection or got an "
        f"error answer (default {DEFAULT_RETRIES}); env {RETRIES_ENV_VAR}",
    )
    parser.addini(
        "artifact_store", "fsspec URL of the artifact store (default: <store>/artifacts)", type="string"
    )
    parser.addini(
        "artifact_store_timeout",
        f"seconds an object store request waits to connect or for an answer (default {DEFAULT_TIMEOUT:g})",
        default=DEFAULT_TIMEOUT,
    )
    parser.addini(
        "artifact_store_retries",
        f"retries of a failed object store request (default {DEFAULT_RETRIES})",
        type="int",
        default=DEFAULT_RETRIES,
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    url = configured_url(config)
    if url:  # a typo in the URL or a bad bound is a usage error before anything runs
        check_url(url, config.backend_names("artifact_store"))
        configured_bounds(config)


@hookimpl(trylast=True)
def zenrun_open_artifact_store(config: Any, url: str) -> FsspecArtifactStore | None:
    """Any URL fsspec can open (``file://``, ``s3://``, ...), with the session's bounds."""
    try:
        check_url(url)
    except UsageError:
        return None
    timeout, retries = configured_bounds(config)
    return open_artifact_store(url, int(config.getini("verify_on_hit")), timeout, retries)


@hookimpl(tryfirst=True)
def zenrun_make_artifact_store(config: Any) -> FsspecArtifactStore | None:
    url = configured_url(config)
    if not url:
        return None
    timeout, retries = configured_bounds(config)
    return open_artifact_store(url, int(config.getini("verify_on_hit")), timeout, retries)
