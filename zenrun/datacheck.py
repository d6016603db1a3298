"""Checking what a cached step read, at each cache lookup (the ``datadeps`` plugin).

A cache entry carries the record of what its step read (``datadeps``): the
files, with their ``stat`` and digest; the folders it listed and the globs it
made, with their entries; the URLs it declared, with their fingerprints; the
hosts it connected to. At a lookup each is checked in the driver:

- a file whose ``stat`` is unchanged keeps its recorded digest (unless it was
  modified within ``RACY_NS`` of being hashed); otherwise it is hashed, and
  the same content (``touch``) is still a hit, whose entry is refreshed with
  the new ``stat`` so the next check is cheap again;
- a changed, deleted or (re)appeared file, a folder or glob with other
  entries, a URL with another fingerprint is a miss naming it;
- ``cache_expires`` bounds a hit's age; a step that read from the network is
  a hit whose reason says so, and one warning line in the session summary.

``--no-data-check`` trusts the recorded digests for a run. The plugin owns
that option and the ``data_ignore`` and ``cache_expires`` ini values.
"""

from __future__ import annotations

import os
from typing import Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.datadeps import (
    DATA_KEY,
    RECORD_VERSION,
    Places,
    Tracking,
    evaluate_glob,
    format_duration,
    format_size,
    hash_file,
    is_racy,
    list_dir,
    listing_digest,
    parse_duration,
    places_for,
    signature,
)
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.remotedata import compare, describe_listing_change, fingerprint

#: At most this many changes are looked for (and named) before a lookup misses.
REASONS_SHOWN = 3
#: Dependencies listed per step in records (``--show``, the viewer); the entry keeps all.
SHOWN_IN_RECORDS = 500


class Verdict:
    """The outcome of checking a cache entry's data record."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a verdict.
    __slots__ = ("miss", "network", "record", "refreshed", "unchanged")

    def __init__(
        self,
        miss: str | None = None,
        refreshed: bool = False,
        network: list[str] | None = None,
        record: dict[str, Any] | None = None,
        unchanged: frozenset[str] = frozenset(),
    ) -> None:
        self.miss = miss  # why the entry cannot serve this run
        self.refreshed = refreshed  # the record was updated (new stat of unchanged files): put it back
        self.network = [] if network is None else network  # hosts the step read from
        self.record = record
        #: On a miss: the files (absolute paths) found unchanged since the record, whose first
        #: ``open`` in the rerun needs no ``stat`` (``Tracking.trusted``).
        self.unchanged = unchanged


def own_expiry(invocation: Any) -> Any:
    """How old a hit of ``invocation`` may be as its run config, then its ``@step``, says
    (None: neither says; the session's ``cache_expires`` then)."""
    value = getattr(invocation, "cache_expires", None)
    return value if value is not None else getattr(invocation.step, "cache_expires", None)


class DataPolicy:
    """The data settings of a session: rootdir, ignores, expiry, what is never a dependency."""

    def __init__(self, config: Any, artifact_store: Any = None) -> None:
        self.rootdir = str(config.rootpath)
        self.ignore = tuple(ini_list(config, "data_ignore"))
        self.default_expires = ini_expires(config)
        self.trust = bool(config.getoption("no_data_check", False))
        exclude = [str(config.store_path)]
        root = getattr(artifact_store, "root", None)
        if isinstance(root, (str, os.PathLike)):
            exclude.append(os.fspath(root))
        self.exclude = tuple(exclude)
        self.places = places_for(self.rootdir, self.exclude, self.ignore)  # as its steps' recorders
        self.network_warning: NetworkWarning | None = config.pluginmanager.get_plugin(
            network_warning_name(config)
        )
        #: Each step function's tracking without an earlier record (nothing changes it).
        self._plain: dict[int, tuple[Any, Tracking]] = {}

    def served_from_network(self, step_id: str, hosts: list[str]) -> None:
        """A step served from the cache read from ``hosts``: the session's warning names it."""
        if self.network_warning is not None:
            self.network_warning.add(step_id, hosts)

    def tracking(
        self, invocation: Any, known: dict[str, Any] | None = None, trusted: frozenset[str] = frozenset()
    ) -> Tracking:
        step = invocation.step
        if known is None:  # the usual case (no earlier record): one per step function and run
            made = self._plain.get(id(step))
            if made is not None and made[0] is step:
                return made[1]
        tracking = Tracking(
            self.rootdir,
            getattr(step, "track_reads", True),
            tuple(getattr(step, "reads", ())),
            self.ignore,
            self.exclude,
            known,
            trusted if known is not None else frozenset(),
        )
        if known is None:
            self._plain[id(step)] = (step, tracking)
        return tracking

    def expires(self, invocation: Any) -> float | None:
        """Run config, then ``@step``, then ``[tool.zenrun] cache_expires``."""
        value = own_expiry(invocation)
        return float(value) if value is not None else self.default_expires

    def check(self, invocation: Any, step_id: str, entry: dict[str, Any]) -> Verdict:
        """Whether ``entry`` may serve ``step_id`` as far as its data goes."""
        record = entry.get(DATA_KEY)
        if not isinstance(record, dict) or record.get("v") != RECORD_VERSION:
            return Verdict("the cache entry does not record what the step read (made by another zenrun)")
        expires = self.expires(invocation)
        if expires is not None:
            at = record.get("at")
            age = time.time() - at if isinstance(at, (int, float)) else None
            if age is None or age > expires:
                return Verdict(
                    f"the cached result is {format_duration(age) if age is not None else 'of unknown age'} "
                    f"old, older than cache_expires={format_duration(expires)}",
                    record=record,
                )
        if len(record) <= 2:  # "v" and "at": the step read nothing (most steps): nothing to check
            return Verdict(record=record)
        started_in = record.get("cwd")
        if started_in is not None:  # it named what it read relative to where it started
            here = self.places.name(os.getcwd())
            if here != started_in:
                where = {".": "the rootdir"}
                return Verdict(
                    f"the step read paths relative to the working directory, which was "
                    f"{where.get(started_in, started_in)} and is now {where.get(here, here)}",
                    record=record,
                )
        network = [str(h) for h in record.get("net") or ()]
        if self.trust:
            return Verdict(network=network, record=record)
        unchanged: set[str] = set()
        try:
            changes, refreshed = check_record(record, self.places, unchanged)
        except Exception as exc:  # never a hit zenrun is not sure of
            changes, refreshed = (
                [f"what the step read could not be checked ({type(exc).__name__}: {exc})"],
                False,
            )
            unchanged.clear()
        if changes:
            more = ", ..." if len(changes) >= REASONS_SHOWN else ""
            return Verdict(", ".join(changes) + more, record=record, unchanged=frozenset(unchanged))
        return Verdict(refreshed=refreshed, network=network, record=record)

    def store(self, entry: dict[str, Any], data: dict[str, Any] | None) -> str | None:
        """Put a task's data record into its cache entry; returns why it must not be cached."""
        if data is None:  # run without tracking (a plugin's own executor): nothing was read
            entry[DATA_KEY] = {"v": RECORD_VERSION, "at": time.time()}
            return None
        if data.get("unsafe"):
            return str(data["unsafe"])
        entry[DATA_KEY] = data["record"]
        return None


def ini_list(config: Any, name: str) -> list[str]:
    try:
        value = config.getini(name)
    except ValueError:  # the plugin is blocked: the key is not declared
        value = config.ini.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UsageError(
            f"{config.inipath or '[tool.zenrun]'}: {name} must be a list of patterns, not {value!r}"
        )
    return value


def ini_expires(config: Any) -> float | None:
    value = config.ini.get("cache_expires")
    if value is None or value == "":
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{config.inipath or '[tool.zenrun]'}: cache_expires={value!r}: {exc}") from None


# ---------------------------------------------------------------------------
# Checking a record
# ---------------------------------------------------------------------------


def check_record(
    record: dict[str, Any], places: Places, unchanged: set[str] | None = None
) -> tuple[list[str], bool]:
    """``(changes found, refreshed)``: stops after :data:`REASONS_SHOWN` changes.

    ``unchanged`` receives the absolute paths of the files checked whose ``stat`` is the
    recorded one (and not racily clean): a rerun trusts them (``Tracking.trusted``).
    """
    keep = unchanged.add if unchanged is not None else None
    changes: list[str] = []
    refreshed = False
    if len(record) <= 2:  # "v" and "at": the step read nothing
        return changes, refreshed
    for name in record.get("missing") or ():
        if os.path.lexists(places.path(name.rstrip("/") or "/")):
            changes.append(f"{name} now exists")
            if len(changes) >= REASONS_SHOWN:
                return changes, refreshed
    for name, rec in (record.get("dirs") or {}).items():
        label = "./" if name == "." else f"{name.rstrip('/')}/"
        path = places.path(name)
        try:
            st = os.stat(path)
        except OSError:
            changes.append(f"{label} no longer exists")
        else:
            sig = signature(st)
            if tuple(rec[:4]) != sig or rec[4]:
                listed_at = time.time_ns()
                entries = list_dir(path, name, places.ignore)
                old = rec[5]
                if entries == old:  # the same names: only its stat is new
                    rec[:5] = [*sig, int(is_racy(sig, listed_at))]
                    refreshed = True
                else:
                    before, after = set(old), set(entries)
                    changes.append(
                        f"{label} {describe_listing_change(len(after - before), len(before - after))}"
                    )
        if len(changes) >= REASONS_SHOWN:
            return changes, refreshed
    for label, (kind, base, pattern, recursive, matches) in (record.get("globs") or {}).items():
        _, _, now = evaluate_glob(places, kind, places.path(base), pattern, recursive)
        if now != matches:
            before, after = set(matches), set(now)
            changes.append(f"{label} {describe_listing_change(len(after - before), len(before - after))}")
            if len(changes) >= REASONS_SHOWN:
                return changes, refreshed
    for folder, entries in (record.get("files") or {}).items():
        prefix = (places.path(folder) if folder else places.rootdir).rstrip(os.sep) + os.sep
        shown = f"{folder.rstrip('/')}/" if folder else ""
        for name, rec in entries.items():
            path = prefix + name
            try:
                st = os.stat(path)
            except FileNotFoundError:
                changes.append(f"{shown}{name} no longer exists")
            except OSError as exc:
                changes.append(f"{shown}{name} cannot be read ({exc.strerror})")
            else:
                if (
                    st.st_mtime_ns == rec[1]
                    and st.st_size == rec[0]
                    and st.st_ctime_ns == rec[2]
                    and st.st_ino == rec[3]
                    and not rec[5]
                ):
                    if keep is not None:
                        keep(path)
                    continue
                if st.st_size != rec[0]:
                    changes.append(f"{shown}{name} changed")
                else:
                    try:
                        hashed = hash_file(path)
                    except OSError:
                        hashed = None
                    if hashed is None or hashed[1] != rec[4]:
                        changes.append(f"{shown}{name} changed")
                    else:  # touched, same content: still a hit
                        rec[:4] = hashed[0]
                        rec[5] = int(hashed[2])
                        refreshed = True
                        continue
            if len(changes) >= REASONS_SHOWN:
                return changes, refreshed
    urls = record.get("urls") or {}
    if urls:
        for url, old in urls.items():
            try:
                reason = compare(url, old, fingerprint(url))
            except Exception as exc:
                reason = f"{url} could not be checked ({type(exc).__name__}: {exc})"
            if reason:
                changes.append(reason)
                if len(changes) >= REASONS_SHOWN:
                    return changes, refreshed
    return changes, refreshed


# ---------------------------------------------------------------------------
# Records for people: --show, the viewer, the JSON export
# ---------------------------------------------------------------------------


def describe(record: dict[str, Any] | None, limit: int = SHOWN_IN_RECORDS) -> list[dict[str, Any]]:
    """What a step read, one dict per dependency: ``path`` and, as known, ``size``,
    ``mtime``, ``digest``, ``files`` (a folder's or a glob's entries), ``missing`` or
    ``network``."""
    if not record or len(record) <= 2:  # "v" and "at" only: nothing read
        return []
    out: list[dict[str, Any]] = []
    for name, rec in (record.get("dirs") or {}).items():
        out.append(
            {
                "path": "./" if name == "." else f"{name.rstrip('/')}/",
                "mtime": rec[1] / 1e9,
                "files": len(rec[5]),
                "digest": rec[6] if len(rec) > 6 else listing_digest(rec[5]),
            }
        )
    for label, (_, _, _, _, matches) in (record.get("globs") or {}).items():
        out.append({"path": label, "files": len(matches), "digest": listing_digest(matches)})
    for name in record.get("missing") or ():
        out.append({"path": name, "missing": True})
    for url, fp in (record.get("urls") or {}).items():
        item: dict[str, Any] = {"path": url}
        if fp.get("kind") == "missing":
            item["missing"] = True
        elif fp.get("kind") == "file":
            item.update(size=fp.get("size"), digest=listing_digest([str(fp.get("fp"))]))
        else:
            entries = fp.get("entries") or {}
            item.update(files=len(entries), digest=listing_digest([f"{k}={v}" for k, v in entries.items()]))
        out.append(item)
    files = record.get("files") or {}
    total = len(out) + sum(len(entries) for entries in files.values())
    room = limit - len(out)
    for folder, entries in files.items():  # a step may have read 100,000: only those shown are made
        if room <= 0:
            break
        shown = f"{folder.rstrip('/')}/" if folder else ""
        for name, rec in entries.items():
            out.append({"path": f"{shown}{name}", "size": rec[0], "mtime": rec[1] / 1e9, "digest": rec[4]})
            room -= 1
            if room <= 0:
                break
    out.sort(key=lambda d: d["path"])
    hidden = total - len(out)
    out += [{"path": host, "network": True} for host in record.get("net") or ()]
    if hidden > 0:
        out.append({"path": f"... and {hidden} more", "more": hidden})
    return out


def lines(deps: list[dict[str, Any]]) -> list[str]:
    """``--show``'s lines for a step's data dependencies."""
    if not deps:
        return []
    out = ["data read:"]
    for dep in deps:
        path = dep.get("path", "?")
        if dep.get("network"):
            out.append(f"    {path}  (network: not fingerprinted)")
        elif dep.get("missing"):
            out.append(f"    {path}  (absent)")
        elif dep.get("more"):
            out.append(f"    {path}")
        else:
            size = (
                f"{format_size(dep['size'])}"
                if isinstance(dep.get("size"), int)
                else f"{dep.get('files', 0)} entries"
            )
            out.append(f"    {path}  {size}  {str(dep.get('digest', ''))[:12]}")
    return out


def network_reason(step_id: str, hosts: list[str]) -> str:
    shown = ", ".join(hosts[:3]) + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else "")
    return f"cached, but step {step_id} reads from the network ({shown})"


# ---------------------------------------------------------------------------
# The plugin: options, ini values, the summary warning
# ---------------------------------------------------------------------------


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("running").addoption(
        "--no-data-check",
        dest="no_data_check",
        action="store_true",
        default=False,
        help="trust the recorded digests of the data cached steps read (no stat, no hashing) in this run",
    )
    parser.addini(
        "data_ignore",
        "patterns of files that are never data dependencies of steps (e.g. *.log logs/**)",
        type="args",
        default=[],
    )
    parser.addini(
        "cache_expires",
        "how old a cache hit may be (e.g. 6h, 2d); per step: @step(cache_expires=...)",
        default=None,
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    ini_list(config, "data_ignore")  # a wrong value is a usage error before anything runs
    ini_expires(config)
    config.pluginmanager.register(NetworkWarning(), network_warning_name(config))


def network_warning_name(config: Any) -> str:
    return f"datadeps-network-{id(config)}"


class NetworkWarning:
    """One line in the session's warnings for the cached steps that read from the network
    (told by :meth:`DataPolicy.served_from_network`: no hook call per step)."""

    def __init__(self) -> None:
        self.steps: dict[str, list[str]] = {}

    def add(self, step_id: str, hosts: list[str]) -> None:
        known = self.steps.setdefault(step_id, [])
        known.extend(h for h in hosts if h not in known)

    @hookimpl
    def zenrun_sessionfinish(self, session: Any) -> None:
        if not self.steps:
            return
        names = sorted(self.steps)
        hosts = sorted({h for found in self.steps.values() for h in found})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        where = ", ".join(hosts[:3]) + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else "")
        count = f"{len(names)} cached step{'s' if len(names) != 1 else ''}"
        session.warnings.append(
            f"data: {count} ({shown}) read from the network ({where}) and may be stale: "
            "zenrun cannot fingerprint it; use @step(cache_expires=...) or --no-cache"
        )
