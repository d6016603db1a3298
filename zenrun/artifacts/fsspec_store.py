"""An artifact store on any fsspec filesystem: ``s3://bucket/prefix``, ``memory://``, ``file://``.

Selected with ``--artifact-store URL``, ``$ZENRUN_ARTIFACT_STORE`` or
``artifact_store`` in ``[tool.zenrun]``; without one, the local store in
``<store>/artifacts`` is used. The store pickles as its URL and options, so a
worker process or a cluster node opens its own connection to the same place.
fsspec is imported only when such a store is used.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

from zenrun.artifacts.store import VERIFY_ON_HIT, ArtifactError, check_digest
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl

#: Filesystems whose single-object write is atomic: readers see all of it or nothing.
ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
ENV_VAR = "ZENRUN_ARTIFACT_STORE"


class FsspecArtifactStore:
    """Content-addressed artifacts under ``url``: ``<url>/<digest[:2]>/<digest[2:]>``.

    Writes are atomic: a single PUT on object stores, a temporary object
    renamed into place elsewhere. Every read is checked against the digest.
    """

    def __init__(
        self, url: str, storage_options: dict[str, Any] | None = None, verify_on_hit: int = VERIFY_ON_HIT
    ) -> None:
        self.url = url.rstrip("/")
        self.storage_options = dict(storage_options or {})
        self.verify_on_hit = verify_on_hit
        self._fs: Any = None
        self._root = ""

    def __getstate__(self) -> dict[str, Any]:  # a live filesystem does not travel
        return {"url": self.url, "storage_options": self.storage_options, "verify_on_hit": self.verify_on_hit}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"<FsspecArtifactStore {self.url}>"

    @property
    def fs(self) -> Any:
        """The fsspec filesystem, opened on first use."""
        if self._fs is None:
            from fsspec.core import url_to_fs

            self._fs, self._root = url_to_fs(self.url, **self.storage_options)
            self._root = self._root.rstrip("/")
        return self._fs

    def path(self, digest: str) -> str:
        """Where ``digest`` lives on the filesystem (without the protocol)."""
        check_digest(digest)  # digests come from editable databases: never a path outside the store
        _ = self.fs  # sets _root
        return f"{self._root}/{digest[:2]}/{digest[2:]}" if self._root else f"{digest[:2]}/{digest[2:]}"

    def _atomic_put(self) -> bool:
        protocols = self.fs.protocol
        protocols = (protocols,) if isinstance(protocols, str) else protocols
        return any(p in ATOMIC_PUT_PROTOCOLS for p in protocols)

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; returns ``(sha256 hex digest, size)``."""
        digest = hashlib.sha256(data).hexdigest()
        if self.exists(digest, len(data)):
            return digest, len(data)
        target = self.path(digest)
        fs = self.fs
        if self._atomic_put():
            fs.pipe_file(target, data)
            return digest, len(data)
        parent = target.rsplit("/", 1)[0]
        fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/.tmp-{os.getpid()}-{uuid.uuid4().hex}"
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
            except (OSError, FileNotFoundError):
                pass
            raise
        return digest, len(data)

    def sync(self) -> None:
        """Writes are synchronous: nothing to wait for."""

    def exists(self, digest: str, size: int | None = None) -> bool:
        """Whether ``digest`` is stored (with ``size`` bytes); an object of another size is removed."""
        target = self.path(digest)
        try:
            info = self.fs.info(target)
        except FileNotFoundError:
            return False
        if size is not None and info.get("size") != size:
            self._remove(target)
            return False
        return True

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
        target = self.path(digest)
        try:
            data = self.fs.cat_file(target)
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
            self.fs.rm_file(target)
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """Nothing is buffered; the filesystem object is fsspec's to cache."""


def configured_url(config: Any) -> str | None:
    """``--artifact-store``, else ``$ZENRUN_ARTIFACT_STORE``, else ``artifact_store`` in the ini."""
    return (
        config.getoption("artifact_store", None)
        or os.environ.get(ENV_VAR)
        or config.getini("artifact_store")
        or None
    )


def check_url(url: str) -> None:
    """Raise a UsageError unless fsspec and the filesystem for ``url``'s protocol are installed."""
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
        raise UsageError(f"artifact store {url}: {exc}") from None


def open_artifact_store(url: str, verify_on_hit: int = VERIFY_ON_HIT) -> FsspecArtifactStore:
    """The store at ``url``; a UsageError for an unknown or uninstalled protocol."""
    check_url(url)
    return FsspecArtifactStore(url, verify_on_hit=verify_on_hit)


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
    parser.addini(
        "artifact_store", "fsspec URL of the artifact store (default: <store>/artifacts)", default=None
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    url = configured_url(config)
    if url:  # a typo in the URL is a usage error before anything runs
        check_url(url)


@hookimpl(tryfirst=True)
def zenrun_make_artifact_store(config: Any) -> FsspecArtifactStore | None:
    url = configured_url(config)
    if not url:
        return None
    return open_artifact_store(url, int(config.getini("verify_on_hit")))
