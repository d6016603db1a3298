"""Declared URLs as data dependencies: ``@step(reads=["s3://bucket/raw/"])``.

An fsspec URL is fingerprinted by what its filesystem reports cheaply, never
by downloading it: ``fs.info`` of an object (its version id, ETag or
checksum where the filesystem has one, else its size and modification
time), ``fs.find`` of a folder (each object's fingerprint), ``fs.glob`` of a
pattern. Listings are read fresh (``invalidate_cache``), not from the
filesystem's cache.
"""

from __future__ import annotations

import datetime
from typing import Any

#: Keys that change with an object's content or version, in the order preferred.
_CONTENT_KEYS = (
    "VersionId",
    "version_id",
    "versionId",
    "generation",
    "ETag",
    "etag",
    "e_tag",
    "md5Hash",
    "md5",
    "content_md5",
    "checksum",
    "crc32c",
    "sha256",
)
#: Else: when it was last written.
_TIME_KEYS = ("LastModified", "last_modified", "mtime", "updated", "modified", "timeCreated", "created")


def is_url(text: str) -> bool:
    """Whether ``text`` is an fsspec URL other than a local file (``file://``)."""
    protocol, sep, rest = text.partition("://")
    return bool(sep and rest) and protocol not in ("file", "local") and protocol.replace("+", "").isalnum()


def normalize(url: str) -> str:
    return url.strip()


def _text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def object_fingerprint(info: dict[str, Any]) -> str:
    """``size=...;ETag=...``: what identifies an object's content without reading it."""
    parts = [f"size={info.get('size')}"]
    content = [f"{k}={_text(info[k])}" for k in _CONTENT_KEYS if info.get(k) not in (None, "")]
    if content:
        parts += content
    else:
        parts += [f"{k}={_text(info[k])}" for k in _TIME_KEYS if info.get(k) not in (None, "")][:1]
    return ";".join(parts)


def fingerprint(url: str) -> dict[str, Any]:
    """``{"kind": "file", "size", "fp"}``, ``{"kind": "dir" | "glob", "entries": {name: fp}}``
    or ``{"kind": "missing"}``. Raises what the filesystem raises otherwise (no access, no
    network): the caller turns that into a miss or an uncacheable result, with the reason."""
    try:
        import fsspec
    except ImportError:
        raise RuntimeError(f"{url}: reading URLs needs fsspec (pip install 'zenrun[fsspec]')") from None
    fs, path = fsspec.core.url_to_fs(url)
    folder = url.endswith("/")
    path = path.rstrip("/") if folder else path
    try:
        fs.invalidate_cache(path)
    except Exception:  # a filesystem without a listings cache
        pass
    try:
        import glob

        if glob.has_magic(path):
            found = fs.glob(path, detail=True)
            return {"kind": "glob", "entries": _entries(found, "")}
        info = None if folder else fs.info(path)
        if info is not None and info.get("type") != "directory":
            return {"kind": "file", "size": info.get("size"), "fp": object_fingerprint(info)}
        found = fs.find(path, detail=True, withdirs=False)
    except FileNotFoundError:
        return {"kind": "missing"}
    if not found and not fs.exists(path):
        return {"kind": "missing"}
    return {"kind": "dir", "entries": _entries(found, path.rstrip("/") + "/")}


def _entries(found: Any, prefix: str) -> dict[str, str]:
    items = found.items() if isinstance(found, dict) else ((name, {"name": name}) for name in found)
    entries = {}
    for name, info in items:
        if info.get("type") == "directory":
            continue
        entries[name[len(prefix) :] if prefix and name.startswith(prefix) else name] = object_fingerprint(
            info
        )
    return dict(sorted(entries.items()))


def compare(url: str, old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why ``url`` is not what it was (``changed``, ``no longer exists``, ``gained 2 files``), or None."""
    if old == new:
        return None
    if new.get("kind") == "missing":
        return f"{url} no longer exists"
    if old.get("kind") == "missing":
        return f"{url} now exists"
    if old.get("kind") in ("dir", "glob") and new.get("kind") == old.get("kind"):
        before, after = old.get("entries") or {}, new.get("entries") or {}
        gained = len(set(after) - set(before))
        lost = len(set(before) - set(after))
        modified = sum(1 for k in set(after) & set(before) if after[k] != before[k])
        return f"{url} {describe_listing_change(gained, lost, modified)}"
    return f"{url} changed"


def describe_listing_change(gained: int, lost: int, changed: int = 0) -> str:
    """``gained 2 files, lost 1`` (and ``1 changed``)."""
    parts = []
    if gained:
        parts.append(f"gained {gained} file{'s' if gained != 1 else ''}")
    if lost:
        parts.append(f"lost {lost}" if parts else f"lost {lost} file{'s' if lost != 1 else ''}")
    if changed:
        parts.append(
            f"{changed} changed" if parts else f"{changed} file{'s' if changed != 1 else ''} changed"
        )
    return ", ".join(parts) or "changed"
