"""Store maintenance: ``--store-check``, ``--store-repair`` and ``--gc [--keep N] [--dry-run]``.

Garbage collection is safe while other zenrun processes use the store:

- An artifact is kept when a run record (``metadata.db``) or a cache entry
  (``cache.db``) refers to it, or when it was written or put again (the
  artifact store then refreshes its mtime) after ``cutoff``: the start of the
  oldest live run (one whose owner holds its liveness lock), or now if none,
  less :data:`GC_GRACE` for clocks that differ between hosts. A live run
  commits records only for artifacts it put while it ran, so none of those
  is ever removed.
- Removal is "rename aside, re-check, unlink": a writer that finds the file
  already there refreshes its mtime first, so if that happened before the
  rename gc sees a fresh file and puts it back (same content: it is
  content-addressed), and if it happens after, the writer finds no file and
  writes it again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.artifacts.fsspec_store import configured_url
from zenrun.artifacts.store import ArtifactError, LocalArtifactStore
from zenrun.cache import STORE_ID_FILE, NullCache, SqliteCache, read_store_id, store_id_problem
from zenrun.config.argparsing import non_negative_int
from zenrun.errors import ExitCode, UsageError
from zenrun.hookspec import hookimpl
from zenrun.metadata.records import RUNNING, PipelineRun
from zenrun.metadata.sqlite import (
    SqliteMetadataStore,
    StoreDamagedError,
    StoreNotAFileError,
    connect,
    writable,
)
from zenrun.protocols import ArtifactStore, Cache, MetadataStore

# sqlite3 is imported in the functions using it: `zenrun --help` loads this module and
# does not need it (tests/test_cli.py checks it).

if TYPE_CHECKING:
    import sqlite3

#: Artifacts modified less than this before the oldest live run started are kept.
GC_GRACE = 3600.0
#: With no run live, ``--gc`` removes temporary files not written to for this many seconds.
TMP_IDLE = 60.0

_TABLES = ("runs", "steps", "artifacts", "step_io")
#: Copied by a repair too, not counted: what the computing records of deleted runs logged.
_KEPT_TOO = ("removed_runs_metadata",)


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("store")
    group.addoption(
        "--store-check",
        dest="store_check",
        action="store_true",
        default=False,
        help="check the store's databases and artifacts, report, and exit",
    )
    group.addoption(
        "--store-repair",
        dest="store_repair",
        action="store_true",
        default=False,
        help="rebuild damaged store databases, keeping every readable record "
        "(the damaged file is kept as <name>.corrupt-<time>), and exit",
    )
    group.addoption(
        "--verify",
        dest="verify_content",
        action="store_true",
        default=False,
        help="with --store-check: also hash every stored artifact and report the corrupt "
        "ones (exit 1); with --store-repair: remove them, so that their steps run again",
    )
    group.addoption(
        "--gc",
        action="store_true",
        default=False,
        help="remove artifacts no run record or cache entry refers to, and exit",
    )
    group.addoption(
        "--keep",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="with --gc: first delete all but the newest N runs of each pipeline item",
    )
    group.addoption(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        default=False,
        help="with --gc: print what would be removed, remove nothing",
    )


@hookimpl(tryfirst=True)
def zenrun_cmdline_main(config: Any) -> int | None:
    if (config.getoption("keep") is not None or config.getoption("dry_run")) and not config.getoption("gc"):
        raise UsageError("--keep and --dry-run go with --gc")
    verify = config.getoption("verify_content", False)
    if verify and not (config.getoption("store_check") or config.getoption("store_repair")):
        raise UsageError("--verify goes with --store-check or --store-repair")
    if not any(config.getoption(name) for name in ("store_check", "store_repair", "gc")):
        return None
    with _warnings_on_stderr():  # what a store says as it reads (a damaged pack set aside)
        return _maintain(config, verify)


@contextlib.contextmanager
def _warnings_on_stderr() -> Iterator[None]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    log = logging.getLogger("zenrun")
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)


def _maintain(config: Any, verify: bool) -> int | None:
    if config.getoption("store_check"):
        if _plugin_stores(config):
            return stores_check(config, verify=verify)
        return store_check(config.store_path, verify=verify)
    if config.getoption("store_repair"):
        if config.store_url:  # it repaired the local .zenrun/ and said "nothing to repair"
            # A URL store is a plugin's: a server (postgresql://) or files in its own format.
            raise UsageError(
                f"--store-repair rebuilds the files of a store on this disk; {config.store_location} "
                "is kept by a plugin (its own server or files), which zenrun does not repair (zenrun "
                f"--store-check checks it); this project's local store: zenrun --store {config.store_path} "
                "--store-repair"
            )
        return store_repair(config.store_path, verify=verify)
    if config.getoption("gc"):
        return gc(config, keep=config.getoption("keep"), dry_run=config.getoption("dry_run"))
    return None


# ---------------------------------------------------------------------------
# check and repair
# ---------------------------------------------------------------------------


def _integrity(path: Path) -> str | None:
    """None when ``path`` is a sound SQLite database (or absent), else what is wrong."""
    import sqlite3

    if not path.exists():
        return None
    try:  # read-only, with immutable=1 on a read-only mount: a sound store there is no damage
        connection = connect(path, read_only=True)
    except (StoreDamagedError, StoreNotAFileError) as exc:
        return exc.problem
    except sqlite3.Error as exc:
        return str(exc)
    try:
        problems = [r[0] for r in connection.execute("PRAGMA integrity_check(20)")]
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        connection.close()
    return None if problems == ["ok"] else "; ".join(problems[:3])


def store_check(store: Path, verify: bool = False) -> int:
    """Report on ``store``: database integrity, records, artifacts. Exit 0 when sound, else 1.

    ``verify``: also hash every stored artifact (streamed: constant memory), and name the
    corrupt ones with the step outputs they were recorded as. Without it, artifacts are
    counted, not read: a cache hit re-hashes artifacts up to ``verify_on_hit`` bytes, and a
    larger one is checked only when a step or the Python API loads it.
    """
    print(f"store: {store}")
    bad = False
    for name in ("metadata.db", "cache.db"):
        problem = _integrity(store / name)
        if problem is None:
            print(f"  {name}: ok" if (store / name).exists() else f"  {name}: absent")
        else:
            bad = True
            if not (store / name).is_file():
                what = "move it away"
            elif name == "cache.db":
                what = "rebuilt empty on the next run"
            else:
                what = f"zenrun --store {store} --store-repair keeps what can be read"
            print(f"  {name}: DAMAGED ({problem}); {what}")
    if not bad and (store / "metadata.db").exists():
        metadata = SqliteMetadataStore(store / "metadata.db", read_only=True)
        try:
            counts = {
                t: metadata._db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("runs", "steps")
            }
            dead = metadata.dead_runs()
            damaged = metadata.damaged_values()
            artifacts = LocalArtifactStore(store / "artifacts")
            # The artifacts of runs that recorded another artifact store are not here to check.
            referenced = _metadata_digests(metadata._db, artifacts.url)
        finally:
            metadata.close()
        print(
            f"  runs: {counts['runs']}, steps: {counts['steps']}"
            + (f", {len(dead)} running with a dead owner (marked failed on the next run)" if dead else "")
        )
        if damaged:  # values SQLite cannot tell are damaged: readers take them as not recorded
            bad = True
            listed = ", ".join(
                f"{column} ({rows} row{'s' if rows > 1 else ''})" for column, rows in damaged.items()
            )
            print(f"  damaged values: {listed}; read as not recorded (the rest of their runs is kept)")
        present = {digest for digest, _ in artifacts.iter_digests()}
        missing = referenced - present
        summary = f"  artifacts: {len(present)} stored, {len(missing)} recorded but missing"
        if not verify:
            print(f"{summary} (contents not hashed: --verify hashes them)")
        else:
            corrupt = _corrupt_artifacts(artifacts)
            print(f"{summary}, {len(corrupt)} corrupt (contents hashed)")
            if corrupt:
                bad = True
                _report_artifacts(store, corrupt)
        if missing:  # a rerun recomputes them when a step needs them; reading those runs fails
            bad = True
            _report_artifacts(store, dict.fromkeys(missing, -1), what="MISSING")
    elif verify and not bad:  # no records to name them by: the files are checked all the same
        corrupt = _corrupt_artifacts(LocalArtifactStore(store / "artifacts"))
        print(f"  artifacts: {len(corrupt)} corrupt (contents hashed)")
        if corrupt:
            bad = True
            _report_artifacts(store, corrupt)
    problem = _id_file_problem(store / "artifacts")
    if problem is not None:  # every cache entry made before reads as another store's: a miss
        bad = True
        print(
            f"  artifacts/{STORE_ID_FILE}: DAMAGED ({problem}); the cache entries made before miss; "
            f"zenrun --store {store} --store-repair gives the store back the id they were made with"
        )
    if _check_journal(store):
        bad = True
    locks = store / "runs"
    if os.path.lexists(locks) and not locks.is_dir():  # every run would refuse to start
        bad = True
        print(f"  runs/: NOT A FOLDER ({locks} holds the runs' liveness locks); move that file away")
    return ExitCode.PIPELINES_FAILED if bad else ExitCode.OK


_FACTORIES = ("zenrun_make_metadata_store", "zenrun_make_cache", "zenrun_make_artifact_store")


def _plugin_stores(config: Any) -> bool:
    """Whether the session's stores are not all the built-in ones under ``config.store_path``:
    ``--store-check`` then checks them through their protocols."""
    if configured_url(config):
        return True
    builtin = [
        plugin
        for _, plugin in config.pluginmanager.list_name_plugin()
        if getattr(plugin, "__name__", "").startswith("zenrun.")
    ]
    for name in _FACTORIES:
        # Only the plugins' own factories: the session's stores would fall back to the built-in
        # ones, and opening a damaged cache index rebuilds it, empty, before the check reads it.
        plugins_only = config.pluginmanager.subset_hook_caller(name, remove_plugins=builtin)
        if not plugins_only.get_hookimpls():
            continue
        try:
            made = plugins_only(config=config)
        except (StoreDamagedError, StoreNotAFileError):  # the built-in store's file: its own check says it
            return False
        if made is not None and not isinstance(
            made, SqliteMetadataStore | SqliteCache | NullCache | LocalArtifactStore
        ):
            return True
    return False


def _describe(obj: object) -> str:
    kind = type(obj)
    url = getattr(obj, "url", None)
    return f"{kind.__module__}.{kind.__qualname__}" + (f" ({url})" if isinstance(url, str) and url else "")


def stores_check(config: Any, verify: bool = False) -> int:
    """``--store-check`` through the store protocols (any metadata store, cache and artifact
    store): records, live and dead runs, recorded artifacts present (hashed with ``verify``)."""
    metadata: MetadataStore = config.metadata_store
    cache: Cache = config.cache
    artifacts: ArtifactStore = config.artifact_store
    print(f"metadata store: {_describe(metadata)}")
    print(f"cache: {_describe(cache)}")
    print(f"artifact store: {_describe(artifacts)}")
    runs = metadata.get_runs()
    sizes: dict[str, int] = {}
    # digest -> (pipeline, step, output) -> the runs that recorded it, newest first: a missing or
    # corrupt artifact is named by the step outputs it was, as the built-in store's check does.
    uses: dict[str, dict[tuple[str, str, str], list[str]]] = {}
    n_steps = 0
    for run in reversed(runs):
        steps = run.steps
        n_steps += len(steps)
        for step in steps.values():
            for output, ref in step.outputs.items():
                sizes[ref.digest] = ref.size
                recorded = uses.setdefault(ref.digest, {})
                recorded.setdefault((run.pipeline_name, step.id, output), []).append(run.name)
    dead = metadata.dead_runs()
    print(
        f"  runs: {len(runs)}, steps: {n_steps}"
        + (f", {len(dead)} running with a dead owner (marked failed on the next run)" if dead else "")
    )
    try:
        for _key, entry in cache.entries():
            sizes.update(
                (ref["digest"], ref.get("size", -1))
                for name, ref in entry.items()
                if name != "@data" and isinstance(ref.get("digest"), str)
            )
    except NotImplementedError:
        print("  cache: its entries cannot be listed (not checked)")
    missing = [d for d in sizes if not artifacts.exists(d)]
    summary = f"  artifacts: {len(sizes)} recorded, {len(missing)} missing"
    corrupt = []
    if not verify:
        print(f"{summary} (contents not hashed: --verify hashes them)")
    else:
        for digest in sizes:
            if digest in missing:
                continue
            try:
                artifacts.get(digest)
            except ArtifactError:
                corrupt.append(digest)
        print(f"{summary}, {len(corrupt)} corrupt (contents hashed)")
    # A missing artifact is damage too (exit 1, as the built-in store's check): reading the runs
    # that recorded it fails, and a rerun recomputes it only when a step needs it.
    for what, digests in (("CORRUPT", corrupt), ("MISSING", missing)):
        for digest in sorted(digests)[:10]:
            named = list(uses.get(digest, {}).items())
            where = "; ".join(
                f"output {o!r} of step {s} of pipeline {p} (latest run {names[0]}"
                + (f", {len(names)} runs)" if len(names) > 1 else ")")
                for (p, s, o), names in named[:3]
            )
            if len(named) > 3:
                where += f"; and {len(named) - 3} more"
            print(f"  {what} artifact {digest[:12]}: {where or 'in a cache entry, recorded by no run'}")
        if len(digests) > 10:
            print(f"  ... and {len(digests) - 10} more {what.lower()} artifact(s)")
    return ExitCode.PIPELINES_FAILED if corrupt or missing else ExitCode.OK


def _corrupt_artifacts(artifacts: Any) -> dict[str, int]:
    """``{digest: size}`` of the stored artifacts whose content does not hash to their name."""
    corrupt = {}
    for digest, size in artifacts.iter_digests():
        try:
            if artifacts.check_content(digest) is False:
                corrupt[digest] = size
        except OSError as exc:  # unreadable: as good as corrupt, and said so
            print(f"  artifact {digest[:12]}: cannot be read ({exc})")
            corrupt[digest] = -1
    return corrupt


def _report_artifacts(store: Path, corrupt: dict[str, int], shown: int = 3, what: str = "CORRUPT") -> None:
    """One line per corrupt (or missing: ``what``) artifact, naming the step outputs recorded
    with it; the first ten, then how many more."""
    db = None
    if (store / "metadata.db").exists():
        db = SqliteMetadataStore(store / "metadata.db", read_only=True)
    try:
        listed = sorted(corrupt.items())
        for digest, size in listed[:10]:
            uses: dict[tuple[str, str, str], list[str]] = {}  # (pipeline, step, output) -> runs
            if db is not None:
                for pipeline, step_id, output, run in db._db.execute(
                    "SELECT r.pipeline, io.step_id, io.name, r.name FROM step_io io JOIN runs r "
                    "ON r.id = io.run_id WHERE io.kind = 'out' AND io.digest = ? ORDER BY r.id DESC",
                    (digest,),
                ):
                    uses.setdefault((pipeline, step_id, output), []).append(run)
            where = "; ".join(
                f"output {o!r} of step {s} of pipeline {p} (latest run {runs[0]}"
                + (f", {len(runs)} runs)" if len(runs) > 1 else ")")
                for (p, s, o), runs in list(uses.items())[:shown]
            )
            if len(uses) > shown:
                where += f"; and {len(uses) - shown} more"
            if what == "CORRUPT":
                print(
                    f"  CORRUPT artifact {digest[:12]} ({_size(size) if size >= 0 else 'unreadable'}): "
                    f"its content does not match its digest; {where or 'recorded by no run'}"
                )
            else:
                print(f"  {what} artifact {digest[:12]}: {where or 'recorded by no run'}")
        if len(listed) > 10:
            print(f"  ... and {len(listed) - 10} more {what.lower()} artifact(s)")
    finally:
        if db is not None:
            db.close()
    if what == "CORRUPT":
        print(
            f"  a step that loads a corrupt artifact runs its producer again; zenrun --store {store} "
            "--store-repair --verify removes them now, so their steps run again on the next run"
        )
    else:
        print(
            "  their steps run again when a pipeline needs them (their cache entries miss); "
            "the outputs of those runs cannot be read back"
        )


def store_repair(store: Path, verify: bool = False) -> int:
    """Rebuild a damaged ``metadata.db`` from its readable rows; drop a damaged ``cache.db``;
    with ``verify``, remove the artifacts whose content does not match their digest (the
    cache hits that need one are then misses: their steps run again)."""
    if not all(writable(store / name) for name in ("metadata.db", "cache.db")):
        raise UsageError(
            f"the store {store} is read-only: it cannot be repaired in place; "
            "copy it somewhere writable and repair the copy"
        )
    for name in ("metadata.db", "cache.db"):  # a folder there is the user's, not damage to remove
        if (store / name).exists() and not (store / name).is_file():
            raise StoreNotAFileError(store / name)
    repaired = False
    cache = store / "cache.db"
    path = store / "metadata.db"
    problem = _integrity(cache)
    if problem is not None or _integrity(path) is not None:
        _refuse_in_use(store)
    if problem is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cache}{suffix}").unlink(missing_ok=True)
        print(f"cache.db was damaged ({problem}): removed; the next run starts an empty one")
        repaired = True
    problem = _integrity(path)
    if problem is not None:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        kept = _rebuild_in_place(path, aside)
        print(
            f"metadata.db was damaged ({problem}); rebuilt with what could be read: "
            + ", ".join(f"{n} {table}" for table, n in kept.items())
        )
        print(f"the damaged file is kept as {aside}")
        repaired = True
    if _id_file_problem(store / "artifacts") is not None:
        _repair_id_file(store)
        repaired = True
    from zenrun.search import JOURNAL_NAME, salvage_journal  # (a run's module: --help does not load it)

    journal = store / "search" / JOURNAL_NAME
    salvaged = salvage_journal(journal) if journal.is_file() else None
    if salvaged is not None:
        aside, line, problem, dropped = salvaged
        print(
            f"search/{journal.name} was damaged at line {line} ({problem}): kept the {line - 1} "
            f"record(s) before it, dropped the {dropped} line(s) from it on (their trials run again)"
        )
        print(f"the damaged file is kept as {aside}")
        repaired = True
    if verify:
        artifacts = LocalArtifactStore(store / "artifacts")
        corrupt = _corrupt_artifacts(artifacts)
        for digest in corrupt:
            artifacts.discard(digest)
        if corrupt:
            print(
                f"removed {len(corrupt)} corrupt artifact(s) ("
                + ", ".join(d[:12] for d in sorted(corrupt))
                + "): the steps that made them run again when next needed"
            )
            repaired = True
    if not repaired:
        print(f"store {store}: nothing to repair")
    return ExitCode.OK


def _check_journal(store: Path) -> bool:
    """Report on the studies' journal of ``store`` (when it has one); whether it is damaged."""
    from zenrun.search import JOURNAL_NAME, journal_damage  # (a run's module: --help does not load it)

    journal = store / "search" / JOURNAL_NAME
    if not journal.exists():
        return False
    try:
        found = journal_damage(journal)
    except OSError as exc:
        print(f"  search/{JOURNAL_NAME}: CANNOT BE READ ({exc.strerror or exc}); move it away")
        return True
    if found is None:
        print(f"  search/{JOURNAL_NAME}: ok")
        return False
    line, problem = found
    print(
        f"  search/{JOURNAL_NAME}: DAMAGED at line {line} ({problem}); its studies cannot be read; "
        f"zenrun --store {store} --store-repair keeps the records before that line"
    )
    return True


def _id_file_problem(artifacts: Path) -> str | None:
    """What is wrong with the id file of the local artifact store ``artifacts``, or None
    (absent: the next run makes one)."""
    path = artifacts / STORE_ID_FILE
    try:
        text = read_store_id(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"it cannot be read: {exc.strerror or exc}"
    return store_id_problem(text)


def _repair_id_file(store: Path) -> None:
    """Give the local artifact store of ``store`` back the id its cache entries name (of those
    whose artifacts are here, the most of them; a new id when none does), and the entries made
    under the damaged id that id: none of them misses."""
    import uuid

    artifacts = store / "artifacts"
    path = artifacts / STORE_ID_FILE
    problem = _id_file_problem(artifacts)
    if not path.is_file():
        print(f"artifacts/{STORE_ID_FILE} is not a file ({path}): move it away")
        return
    try:
        damaged = "local:" + read_store_id(path)
    except OSError as exc:
        print(f"artifacts/{STORE_ID_FILE} cannot be read ({path}: {exc.strerror}): move it away")
        return
    found = _recorded_store_ids(store / "cache.db", LocalArtifactStore(artifacts))
    valid = {i: n for i, n in found.items() if store_id_problem(i.removeprefix("local:")) is None}
    best = max(valid, key=lambda i: valid[i], default=None)
    wanted = best or f"local:{uuid.uuid4().hex}"
    moved = _retag_entries(store / "cache.db", damaged, wanted) if found.get(damaged) else 0
    tmp = artifacts / f"{STORE_ID_FILE}.repairing"
    tmp.write_text(wanted.removeprefix("local:"))
    os.replace(tmp, path)
    said = (
        f"given back the id it had (that of {valid[wanted]} cached output(s): they hit again)"
        if best is not None
        else "no cache entry names a former id of this store: it has a new one"
    )
    if moved:
        said += f"; the {moved} cache entr{'y' if moved == 1 else 'ies'} made since the damage moved to it"
    print(f"artifacts/{STORE_ID_FILE} was damaged ({problem}): {said}")


def _recorded_store_ids(cache: Path, artifacts: LocalArtifactStore) -> dict[str, int]:
    """``{"local:id": outputs}``: the local store ids the entries of ``cache`` record, counting
    the outputs whose artifact is in ``artifacts`` (another store's are not there)."""
    counts: dict[str, int] = {}
    for _, entry in _cache_entries(cache):
        for name, ref in entry.items():
            if name == "@data" or not isinstance(ref, dict):
                continue
            recorded, digest = ref.get("store"), ref.get("digest")
            if (
                isinstance(recorded, str)
                and recorded.startswith("local:")
                and isinstance(digest, str)
                and artifacts.exists(digest)
            ):
                counts[recorded] = counts.get(recorded, 0) + 1
    return counts


def _cache_entries(cache: Path) -> list[tuple[str, dict[str, Any]]]:
    """The readable entries of the cache index ``cache`` (none when it is damaged or absent)."""
    import json
    import sqlite3

    if not cache.is_file() or _integrity(cache) is not None:
        return []
    db = connect(cache, read_only=True)
    try:
        rows = db.execute("SELECT key, outputs FROM cache").fetchall()
    except sqlite3.Error:
        return []
    finally:
        db.close()
    entries = []
    for key, text in rows:
        try:
            entry = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(entry, dict):
            entries.append((key, entry))
    return entries


def _retag_entries(cache: Path, old: str, new: str) -> int:
    """Record the outputs of the entries of ``cache`` made under store id ``old`` as ``new``'s;
    how many entries changed."""
    import json

    changed = []
    for key, entry in _cache_entries(cache):
        refs = [r for n, r in entry.items() if n != "@data" and isinstance(r, dict) and r.get("store") == old]
        for ref in refs:
            ref["store"] = new
        if refs:
            changed.append((json.dumps(entry), key))
    if changed:
        db = connect(cache)
        try:
            with db:
                db.executemany("UPDATE cache SET outputs = ? WHERE key = ?", changed)
        finally:
            db.close()
    return len(changed)


def _refuse_in_use(store: Path) -> None:
    """A usage error when another zenrun process has ``store`` open. A repair replaces
    metadata.db (rebuilt) and cache.db (removed): such a process goes on writing to the files
    it opened, and every record it makes afterwards is lost (a run that completed then shows
    failed, its steps gone)."""
    from zenrun.metadata.sqlite import held_elsewhere

    users = sorted(set(held_elsewhere(store / "runs")))  # a process holds its run's lock and a spare
    if users:
        raise UsageError(
            f"the store {store} is in use by {len(users)} zenrun process(es) (host pid: "
            f"{', '.join(users[:5])}): --store-repair replaces the files they write "
            "to, and what they record afterwards would be lost; repair it once they ended"
        )


def _rebuild_in_place(path: Path, aside: Path) -> dict[str, int]:
    """Salvage the damaged database ``path`` into a new file, keep the damaged one (with its
    WAL) as ``aside``, then put the new one in its place; returns rows kept per table.

    A repair killed at any moment leaves the damaged database where it was (repairing again
    salvages it again) or the rebuilt one: never an empty database in its place, which
    ``--store-check`` would call ok while every record it could have kept is gone.
    """
    import sqlite3

    rebuilt = path.with_name(f"{path.name}.repairing")
    for suffix in ("", "-wal", "-shm", "-journal"):  # a killed repair's half-made file
        Path(f"{rebuilt}{suffix}").unlink(missing_ok=True)
    kept = salvage(path, rebuilt)
    db = sqlite3.connect(rebuilt)
    try:  # one self-contained file, without a WAL of its own to carry along
        db.execute("PRAGMA journal_mode=DELETE").fetchone()
    finally:
        db.close()
    for suffix in ("", "-wal", "-shm"):  # the WAL belongs to its database: kept together
        if Path(f"{path}{suffix}").exists():
            try:
                os.link(f"{path}{suffix}", f"{aside}{suffix}")
            except OSError:  # a file system without hard links
                import shutil

                shutil.copy2(f"{path}{suffix}", f"{aside}{suffix}")
    for suffix in ("-wal", "-shm"):  # never to be read with the rebuilt database
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(rebuilt, path)
    return kept


def salvage(source: Path, target: Path) -> dict[str, int]:
    """Copy every readable row of ``source`` (a damaged metadata database) into a new
    store at ``target``; returns rows kept per table. Damaged pages are skipped by
    restarting the scan past the rowid where it broke."""
    import sqlite3

    SqliteMetadataStore(target).close()  # the schema
    kept = dict.fromkeys(_TABLES, 0)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        return kept  # not a database at all: nothing to keep
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        dst.execute("BEGIN")
        for table in (*_TABLES, *_KEPT_TOO):
            columns = [r[1] for r in dst.execute(f"PRAGMA table_info({table})")]
            try:
                have = {r[1] for r in src.execute(f"PRAGMA table_info({table})")}
            except sqlite3.Error:
                continue
            common = [c for c in columns if c in have]
            if not common:
                continue
            insert = (
                f"INSERT OR IGNORE INTO {table} ({', '.join(common)}) VALUES ({', '.join('?' * len(common))})"
            )
            for row in _readable_rows(src, table, common):
                rows = dst.execute(insert, row).rowcount
                if table in kept:
                    kept[table] += rows
        # records whose run was lost would be orphans nobody can reach
        dst.execute("DELETE FROM steps WHERE run_id NOT IN (SELECT id FROM runs)")
        dst.execute("DELETE FROM step_io WHERE run_id NOT IN (SELECT id FROM runs)")
        dst.execute("COMMIT")
    finally:
        dst.close()
        src.close()
    return kept


def _readable_rows(src: sqlite3.Connection, table: str, columns: list[str]) -> Any:
    import sqlite3

    query = f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid > ? ORDER BY rowid"
    last, step = 0, 1
    while step < 1 << 62:
        try:
            for row in src.execute(query, (last,)):
                last, step = row[0], 1
                yield row[1:]
            return
        except sqlite3.DatabaseError:
            last, step = last + step, step * 2  # jump over the damaged page, further each time


# ---------------------------------------------------------------------------
# gc
# ---------------------------------------------------------------------------


def _metadata_digests(db: Any, artifact_store: str | None = None) -> set[str]:
    """The digests the records name; with ``artifact_store`` (a URL), of the runs that recorded
    that artifact store (or none) only: this store as it is now, or where it was before it
    was moved (a local folder that is no longer there)."""
    if artifact_store is None:
        return {r[0] for r in db.execute("SELECT DISTINCT digest FROM step_io WHERE digest IS NOT NULL")}
    recorded = [r[0] for r in db.execute("SELECT DISTINCT artifact_store FROM runs") if r[0] is not None]
    here = [url for url in recorded if _is_this_store(url, artifact_store)]
    marks = ",".join("?" * len(here))
    query = (
        "SELECT DISTINCT io.digest FROM step_io io JOIN runs r ON r.id = io.run_id "
        f"WHERE io.digest IS NOT NULL AND (r.artifact_store IS NULL OR r.artifact_store IN ({marks or 'NULL'}))"
    )
    return {r[0] for r in db.execute(query, here)}


def _is_this_store(recorded: str, current: str) -> bool:
    """Whether artifacts a run recorded in ``recorded`` belong in the local store ``current``:
    the same URL or folder, or a local folder gone since (the store was moved with them)."""
    if recorded == current:
        return True
    prefix = "file://"
    if not (recorded.startswith(prefix) and current.startswith(prefix)):
        return False  # another kind of store (S3, a team's): its artifacts are not here
    then, now = recorded[len(prefix) :], current[len(prefix) :]
    try:
        if os.path.isdir(then):
            return os.path.samefile(then, now)
    except OSError:
        return False
    # Gone: a store moved with its artifacts (the same layout), not a deleted other store.
    return os.path.basename(then.rstrip("/")) == os.path.basename(now.rstrip("/"))


def gc(config: Any, keep: int | None = None, dry_run: bool = False) -> int:
    """Remove old runs (``keep``) and unreferenced artifacts; print what was (or would be) freed.

    Through the store protocols only, so it works on any metadata store, cache and
    artifact store; a store that cannot list or remove what gc needs is left as it is,
    and the summary says why.
    """
    metadata: MetadataStore = config.metadata_store
    if metadata.read_only:  # before the cache, which cannot open there
        raise UsageError(f"the store {config.store_location} is read-only: nothing can be removed")
    cache: Cache = config.cache
    artifacts: ArtifactStore = config.artifact_store
    verb = "would remove" if dry_run else "removed"
    now = time.time()
    metadata.fail_dead_runs()
    runs = metadata.recent_runs()  # newest first
    live = min((r.started for r in runs if r.status == RUNNING and r.started), default=None)
    cutoff = min(now, live or now) - GC_GRACE

    old_runs = _old_runs(runs, keep) if keep is not None else []
    notes: list[str] = []
    if old_runs and not dry_run:
        try:
            metadata.delete_runs([r.name for r in old_runs])
        except NotImplementedError as exc:
            raise UsageError(f"--gc --keep: the metadata store cannot delete runs ({exc})") from None
    if dry_run and old_runs:
        dropped = {r.name for r in old_runs}
        referenced: set[str] = set()
        for run in runs:
            if run.name not in dropped:
                for step in run.steps.values():
                    referenced.update(ref.digest for ref in step.outputs.values())
                    referenced.update(r.digest for sources in step.inputs.values() for *_, r in sources if r)
    else:
        referenced = metadata.referenced_digests()
    referenced |= _local_store_digests(config, artifacts)
    cache.flush()
    count = freed = 0
    try:
        referenced |= cache.referenced_digests()
    except NotImplementedError as exc:
        notes.append(f"no artifact removed: the cache cannot list the artifacts it needs ({exc})")
    else:
        try:
            count, freed = artifacts.collect(referenced, cutoff, dry_run=dry_run)
        except NotImplementedError as exc:
            notes.append(f"no artifact removed: {exc}")
    sweep = getattr(artifacts, "sweep_temp_files", None)
    if live is None and sweep is not None and not dry_run:
        # No run is writing: temporary files idle for a minute are those of writers killed
        # mid-write (a run ended by kill -9 leaves its half-written output behind).
        swept = sweep(max_age=TMP_IDLE)
        if swept:
            notes.append(f"removed {swept} temporary file(s) of writers that did not finish")
    runs_text = f"{len(old_runs)} run(s) (keeping the newest {keep} per item), " if keep is not None else ""
    print(f"gc: {verb} {runs_text}{count} artifact(s), {_size(freed)}")
    for note in notes:
        print(f"gc: {note}")
    return ExitCode.OK


def _local_store_digests(config: Any, artifacts: ArtifactStore) -> set[str]:
    """What the project's own store (``metadata.db``, ``cache.db``) refers to, when
    ``artifacts`` is its ``artifacts/`` folder but the session's records are elsewhere:
    a store given by URL (a plugin's, a team store) without ``--artifact-store`` keeps its
    artifacts in that folder too, beside the local runs', and ``--gc`` through the URL store
    must not remove what the local runs and cache still need."""
    if not config.store_url or not isinstance(artifacts, LocalArtifactStore):
        return set()
    store = Path(config.store_path)
    if artifacts.root.absolute() != (store / "artifacts").absolute():
        return set()
    digests: set[str] = set()
    if (store / "metadata.db").exists():
        local = SqliteMetadataStore(store / "metadata.db", read_only=True)
        try:
            digests |= local.referenced_digests()
        finally:
            local.close()
    if (store / "cache.db").exists():
        cache = SqliteCache(store / "cache.db")
        try:
            digests |= cache.referenced_digests()
        finally:
            cache.close()
    return digests


def _old_runs(runs: list[PipelineRun], keep: int) -> list[PipelineRun]:
    """The finished runs beyond the newest ``keep`` of each pipeline item (``runs`` newest first)."""
    seen: dict[str, int] = {}
    old = []
    for run in runs:
        item = run.item_id or run.pipeline_name
        seen[item] = seen.get(item, 0) + 1
        if seen[item] > keep and run.status != RUNNING:
            old.append(run)
    return old


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"  # pragma: no cover
