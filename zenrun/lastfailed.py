"""``--lf`` / ``--ff`` / ``--nf`` / ``--sw``: rerun what failed, as pytest's cacheprovider
and stepwise plugins.

What they remember is kept as JSON values in the store, under ``v/`` as pytest
keeps them under ``.pytest_cache/v/``: ``v/cache/lastfailed`` (the ids of the
items that failed or errored, and of the modules that failed to collect; an
item that passes later is removed), ``v/cache/nodeids`` (every item id seen,
for ``--nf``) and ``v/cache/stepwise`` (where ``--sw`` continues).
``--cache-clear`` forgets them with the cache.

The same values are pytest's ``config.cache`` for a project's own use: the ``cache``
fixture (:class:`CacheValues`: ``get``, ``set``, ``mkdir`` for directories in ``d/``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import warnings
from collections.abc import Generator, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun.deferred import dataclass
from zenrun.errors import UsageError, ZenrunCacheWarning
from zenrun.fixtures import fixture
from zenrun.hookspec import hookimpl
from zenrun.metadata.sqlite import make_store_dir

if TYPE_CHECKING:
    from zenrun.fixtures import FixtureRequest

LASTFAILED = "cache/lastfailed"
NODEIDS = "cache/nodeids"
STEPWISE = "cache/stepwise"


class CacheValues:
    """JSON values by ``/``-separated key in ``<store>/v/``, and directories in ``<store>/d/``:
    what pytest's ``config.cache`` is (``get``, ``set``, ``mkdir``). The ``cache`` fixture
    gives the session's; a hook reaches it as ``CacheValues.for_config(config)``
    (``config.cache`` is zenrun's step cache)."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = Path(store_path)
        self._dir = self.store_path / "v"

    @classmethod
    def for_config(cls, config: Any) -> CacheValues:
        """The store's values of ``config``'s session (made once per session)."""
        made: CacheValues | None = config.stash.get("values")
        if made is None:
            made = config.stash["values"] = cls(config.store_path)
        return made

    def _path(self, key: str) -> Path:
        path = (self._dir / key).resolve()
        if not path.is_relative_to(self._dir.resolve()):
            raise ValueError(f"cache key {key!r} leaves the store's values directory")
        return path

    def get(self, key: str, default: Any) -> Any:
        """The value stored under ``key``, or ``default`` (also when it cannot be read). A key
        is ``/``-separated, its first part usually your plugin's or project's name; a key
        leading out of the values directory is a ValueError."""
        path = self._path(key)
        try:
            with path.open(encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return default

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``: basic Python types, as ``json`` writes them (a
        TypeError for others); a store that cannot take it gives a ``ZenrunCacheWarning``."""
        path = self._path(key)
        data = json.dumps(value, indent=2)
        try:
            self._make_store()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(data, encoding="utf-8")
            os.replace(tmp, path)  # atomic: a crash leaves the old value
        except (OSError, UsageError) as exc:  # a read-only store: nothing remembered, as pytest's cache
            warnings.warn(ZenrunCacheWarning(f"could not create cache path {path}: {exc}"), stacklevel=2)

    def mkdir(self, name: str) -> Path:
        """The directory ``<store>/d/<name>``, made if missing: files kept between sessions
        (a database dump, downloaded data). ``name`` is one path part (no ``/``)."""
        if len(Path(name).parts) != 1 or name in (".", ".."):
            raise ValueError(f"cache directory name {name!r}: one path part, without separators")
        path = self.store_path / "d" / name
        self._make_store()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _make_store(self) -> None:
        if not self.store_path.is_dir():
            make_store_dir(self.store_path)

    def keys(self) -> list[str]:
        if not self._dir.is_dir():
            return []
        return sorted(
            p.relative_to(self._dir).as_posix()
            for p in self._dir.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def dir_files(self) -> list[tuple[str, int]]:
        """The files under the cache directories: ``(name/relative/path, size)``, sorted."""
        top = self.store_path / "d"
        if not top.is_dir():
            return []
        found = []
        for path in sorted(top.rglob("*")):
            try:
                if path.is_file():
                    found.append((path.relative_to(top).as_posix(), path.stat().st_size))
            except OSError:
                continue
        return found

    def clear(self) -> None:
        """Forget the values and the directories (``--cache-clear``)."""
        shutil.rmtree(self._dir, ignore_errors=True)
        shutil.rmtree(self.store_path / "d", ignore_errors=True)


def values(config: Any) -> CacheValues:
    """The store's values of ``config`` (made once per session)."""
    return CacheValues.for_config(config)


@fixture
def cache(request: FixtureRequest) -> CacheValues:
    """Values kept between sessions in the store (pytest's ``cache`` fixture):
    ``cache.get(key, default)``, ``cache.set(key, value)`` (JSON values, ``/``-separated
    keys whose first part names your project), ``cache.mkdir(name)`` (a directory)."""
    return CacheValues.for_config(request.config)


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("general")
    group.addoption(
        "--lf",
        "--last-failed",
        dest="last_failed",
        action="store_true",
        default=False,
        help="rerun only the pipelines that failed at the last run (or all if none failed); "
        "modules without recorded failures are not collected",
    )
    group.addoption(
        "--ff",
        "--failed-first",
        dest="failed_first",
        action="store_true",
        default=False,
        help="run all pipelines, the ones that failed at the last run first",
    )
    group.addoption(
        "--nf",
        "--new-first",
        dest="newfirst",
        action="store_true",
        default=False,
        help="run pipelines from new files first, then the rest sorted by file mtime",
    )
    group.addoption(
        "--lfnf",
        "--last-failed-no-failures",
        dest="last_failed_no_failures",
        choices=("all", "none"),
        default="all",
        help="with --lf, what to run when no failure is known: all (default) or none",
    )
    group.addoption(
        "--cache-show",
        dest="cacheshow",
        action="append",
        nargs="?",
        metavar="GLOB",
        help="show the values kept in the store (--lf, --sw, the cache fixture, ...) and the files of "
        "its cache directories, and exit; optional glob (default *)",
    )
    group.addoption(
        "--sw",
        "--stepwise",
        dest="stepwise",
        action="store_true",
        default=False,
        help="exit on a pipeline failure and continue from the last failing pipeline next time",
    )
    group.addoption(
        "--sw-skip",
        "--stepwise-skip",
        dest="stepwise_skip",
        action="store_true",
        default=False,
        help="ignore the first failing pipeline but stop on the next failing one. "
        "Implicitly enables --stepwise.",
    )
    group.addoption(
        "--sw-reset",
        "--stepwise-reset",
        dest="stepwise_reset",
        action="store_true",
        default=False,
        help="reset the stepwise state, restarting the stepwise workflow. Implicitly enables --stepwise.",
    )


@hookimpl(tryfirst=True)
def zenrun_configure(config: Any) -> None:
    if config.stash.get("api"):
        return
    option = config.option
    if config.getoption("cache_clear", False):
        values(config).clear()
    if getattr(option, "stepwise_skip", False) or getattr(option, "stepwise_reset", False):
        option.stepwise = True
    config.pluginmanager.register(LFPlugin(config), "lfplugin")
    config.pluginmanager.register(NFPlugin(config), "nfplugin")
    if config.getoption("stepwise", False):
        config.pluginmanager.register(StepwisePlugin(config), "stepwiseplugin")


def cacheshow(config: Any, session: Any) -> int:
    """``--cache-show [GLOB]``: the values kept in the store, and the files of its cache
    directories (``cache.mkdir``)."""
    import fnmatch
    from pprint import pformat

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    store = values(config)
    write(f"cachedir: {store.store_path}")
    keys = store.keys()
    files = store.dir_files()
    if not keys and not files:
        write("cache is empty")
        return 0
    glob = config.getoption("cacheshow")[0] or "*"
    if reporter is not None:
        reporter.write_sep("-", f"cache values for {glob!r}")
    dummy = object()
    for key in keys:
        if not fnmatch.fnmatch(key, glob):
            continue
        value = store.get(key, dummy)
        if value is dummy:
            write(f"{key} contains unreadable content, will be ignored")
            continue
        write(f"{key} contains:")
        for line in pformat(value).splitlines():
            write("  " + line)
    if files:
        if reporter is not None:
            reporter.write_sep("-", f"cache directories for {glob!r}")
        for name, size in files:
            if fnmatch.fnmatch(name, glob):
                write(f"d/{name} is a file of length {size}")
    return 0


def _writes_state(config: Any) -> bool:
    return not (config.getoption("cacheshow", None) or config.stash.get("api"))


def _runs_pipelines(config: Any) -> bool:
    """Whether the session runs its pipelines: ``--setup-only`` / ``--setup-plan`` only set
    up (or show) their fixtures, so a "passed" item there says nothing of its failure (as
    pytest's: such an item has no call report, which is what clears a recorded failure)."""
    return not (config.getoption("setuponly", False) or config.getoption("setupplan", False))


class LFPlugin:
    """``--lf`` / ``--ff``; records failures in every session."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.active = bool(config.getoption("last_failed", False) or config.getoption("failed_first", False))
        stored = values(config).get(LASTFAILED, {})
        self.lastfailed: dict[str, bool] = stored if isinstance(stored, dict) else {}
        self._report_status: str | None = None
        self._skipped_files = 0  # files --lf did not collect
        self._collected_at_least_one_failure = False
        self._last_failed_paths: set[Path] = (
            self.get_last_failed_paths() if config.getoption("last_failed", False) else set()
        )

    def get_last_failed_paths(self) -> set[Path]:
        """The paths of the recorded failures and their parents (existing ones)."""
        rootpath = self.config.rootpath
        result: set[Path] = set()
        for nodeid in self.lastfailed:
            path = rootpath / nodeid.split("::")[0]
            result.add(path)
            result.update(path.parents)
        return {p for p in result if p.exists()}

    # -- called by the session while it collects (--lf) ----------------------------------
    def sort_paths(self, paths: list[Path]) -> list[Path]:
        """Paths holding recorded failures first (stable)."""
        if not self._last_failed_paths:
            return paths
        return sorted(paths, key=lambda p: p not in self._last_failed_paths)

    def skip_file(self, path: Path) -> bool:
        """Whether ``--lf`` leaves the module ``path`` out: once a recorded failure was
        collected, modules without any are not imported."""
        if self._collected_at_least_one_failure and path not in self._last_failed_paths:
            self._skipped_files += 1
            return True
        return False

    def filter_items(self, path: Path, items: list[Any], initial: bool) -> list[Any]:
        """A module's items: only its recorded failures (all of them when the module
        was given as an argument, or none of its items is recorded)."""
        if path not in self._last_failed_paths:
            return items
        if not self._collected_at_least_one_failure:
            if not any(i.nodeid in self.lastfailed for i in items):
                return items
            self._collected_at_least_one_failure = True
        return [i for i in items if i.nodeid in self.lastfailed or initial]

    def collected(self, relpath: str, items: list[Any]) -> None:
        """A module collected: if it had failed to collect, its items count as failed."""
        if relpath in self.lastfailed:
            self.lastfailed.pop(relpath)
            self.lastfailed.update((item.nodeid, True) for item in items)

    # -- hooks ---------------------------------------------------------------------------
    @hookimpl
    def zenrun_report_collectionfinish(self) -> str | None:
        if self.active and self._verbosity() >= 0 and self._report_status:
            return f"run-last-failure: {self._report_status}"
        return None

    def _verbosity(self) -> int:
        return int(self.config.get_verbosity())

    @hookimpl
    def zenrun_item_report(self, report: Any) -> None:
        if report.outcome in ("failed", "error"):
            self.lastfailed[report.nodeid] = True
        elif report.when in ("setup", "call") and (
            report.outcome != "passed" or _runs_pipelines(self.config)
        ):
            self.lastfailed.pop(report.nodeid, None)

    @hookimpl(wrapper=True, tryfirst=True)
    def zenrun_collection_modifyitems(
        self, session: Any, config: Any, items: list[Any]
    ) -> Generator[None, None, None]:
        result = yield
        for path, _ in session.collection_errors:
            self.lastfailed[path] = True
        if not self.active:
            return result
        if self.lastfailed:
            previously_failed = [i for i in items if i.nodeid in self.lastfailed]
            previously_passed = [i for i in items if i.nodeid not in self.lastfailed]
            if not previously_failed:  # a subset was selected: its failures are elsewhere
                self._report_status = f"{len(self.lastfailed)} known failures not in selected pipelines"
            else:
                if config.getoption("last_failed", False):
                    items[:] = previously_failed
                    config.hook.zenrun_deselected(items=previously_passed)
                else:  # --ff
                    items[:] = previously_failed + previously_passed
                count = len(previously_failed)
                noun = "failure" if count == 1 else "failures"
                suffix = " first" if config.getoption("failed_first", False) else ""
                self._report_status = f"rerun previous {count} {noun}{suffix}"
            if self._skipped_files > 0:
                files = "file" if self._skipped_files == 1 else "files"
                self._report_status += f" (skipped {self._skipped_files} {files})"
        else:
            self._report_status = "no previously failed pipelines, "
            if config.getoption("last_failed_no_failures", "all") == "none":
                self._report_status += "deselecting all items."
                config.hook.zenrun_deselected(items=items[:])
                items[:] = []
            else:
                self._report_status += "not deselecting items."
        return result

    @hookimpl
    def zenrun_sessionfinish(self, session: Any) -> None:
        if not _writes_state(self.config):
            return
        store = values(self.config)
        if store.get(LASTFAILED, {}) != self.lastfailed:
            store.set(LASTFAILED, self.lastfailed)


class NFPlugin:
    """``--nf``: pipelines of new files first, then the rest by file mtime (newest first)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.active = bool(config.getoption("newfirst", False))
        stored = values(config).get(NODEIDS, [])
        # Only ids: another value (a hand edit) made sorting them at the session's end fail.
        self.cached_nodeids: set[str] = (
            {i for i in stored if type(i) is str} if isinstance(stored, list) else set()
        )

    @hookimpl(wrapper=True, tryfirst=True)
    def zenrun_collection_modifyitems(self, items: list[Any]) -> Generator[None, None, None]:
        result = yield
        if self.active:
            new_items = {i.nodeid: i for i in items if i.nodeid not in self.cached_nodeids}
            other_items = {i.nodeid: i for i in items if i.nodeid in self.cached_nodeids}
            items[:] = self._by_mtime(new_items.values()) + self._by_mtime(other_items.values())
            self.cached_nodeids.update(new_items)
        else:
            self.cached_nodeids.update(i.nodeid for i in items)
        return result

    @staticmethod
    def _by_mtime(items: Iterable[Any]) -> list[Any]:
        return sorted(items, key=lambda i: i.module_path.stat().st_mtime, reverse=True)

    @hookimpl
    def zenrun_sessionfinish(self) -> None:
        if not _writes_state(self.config) or self.config.getoption("collectonly", False):
            return
        values(self.config).set(NODEIDS, sorted(self.cached_nodeids))


# eq=False, repr=False: neither is used, and each generated method is compiled when zenrun
# starts (zenrun --help); a dataclass still, for dataclasses.asdict.
@dataclass(eq=False, repr=False)
class StepwiseCacheInfo:
    last_failed: str | None  # the id of the pipeline that failed last
    last_test_count: int | None  # how many were selected: a change makes the state stale
    last_cache_date_str: str

    @property
    def last_cache_date(self) -> datetime:
        return datetime.fromisoformat(self.last_cache_date_str)

    @classmethod
    def empty(cls) -> StepwiseCacheInfo:
        return cls(None, None, datetime.now().isoformat())


class StepwisePlugin:
    """``--sw``: stop at the first failure (the session is interrupted); next time,
    start from it."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.session: Any = None
        self.report_status: list[str] = []
        self.skip: bool = config.getoption("stepwise_skip", False)
        self.reset: bool = config.getoption("stepwise_reset", False)
        self.cached_info = self._load_cached_info()

    def _load_cached_info(self) -> StepwiseCacheInfo:
        cached = values(self.config).get(STEPWISE, None)
        if cached:
            try:
                info = StepwiseCacheInfo(
                    cached["last_failed"], cached["last_test_count"], cached["last_cache_date_str"]
                )
                # Values of other types (a hand edit, another tool) failed later, mid-session.
                if not isinstance(info.last_failed, str | None):
                    raise TypeError(f"last_failed is {type(info.last_failed).__name__}, not an id")
                if type(info.last_test_count) not in (int, type(None)):
                    raise TypeError(f"last_test_count is {type(info.last_test_count).__name__}, not a count")
                info.last_cache_date  # noqa: B018 - raises for a date that does not parse
                return info
            except (KeyError, TypeError, ValueError) as exc:
                self.report_status.append(f"error reading cache, discarding ({type(exc).__name__}: {exc})")
        return StepwiseCacheInfo.empty()

    @hookimpl
    def zenrun_sessionstart(self, session: Any) -> None:
        self.session = session

    @hookimpl
    def zenrun_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        last_test_count = self.cached_info.last_test_count
        self.cached_info.last_test_count = len(items)
        if self.reset:
            self.report_status.append("resetting state, not skipping.")
            self.cached_info.last_failed = None
            return
        if not self.cached_info.last_failed:
            self.report_status.append("no previously failed pipelines, not skipping.")
            return
        if last_test_count is not None and last_test_count != len(items):
            self.report_status.append(
                f"pipeline count changed, not skipping (now {len(items)} pipelines, "
                f"previously {last_test_count})."
            )
            self.cached_info.last_failed = None
            return
        ids = [item.nodeid for item in items]
        if self.cached_info.last_failed not in ids:
            self.report_status.append("previously failed pipeline not found, not skipping.")
            return
        failed_index = ids.index(self.cached_info.last_failed)
        age = datetime.now() - self.cached_info.last_cache_date
        age = timedelta(seconds=int(age.total_seconds()))
        self.report_status.append(
            f"skipping {failed_index} already passed items (cache from {age} ago, use --sw-reset to discard)."
        )
        deselected = items[:failed_index]
        del items[:failed_index]
        config.hook.zenrun_deselected(items=deselected)

    @hookimpl
    def zenrun_item_report(self, report: Any) -> None:
        if report.outcome in ("failed", "error"):
            if self.skip:  # --sw-skip: the first failure is let through
                if report.nodeid == self.cached_info.last_failed:
                    self.cached_info.last_failed = None
                self.skip = False
            else:
                self.cached_info.last_failed = report.nodeid
                if self.session is not None:
                    self.session.shouldstop = "Pipeline failed, continuing from this pipeline next run."
        elif (
            report.when in ("setup", "call")
            and report.outcome != "skipped"
            and report.nodeid == self.cached_info.last_failed
            and _runs_pipelines(self.config)
        ):
            self.cached_info.last_failed = None

    @hookimpl
    def zenrun_report_collectionfinish(self) -> list[str] | None:
        verbosity = self.config.get_verbosity()
        if verbosity >= 0 and self.report_status:
            return [f"stepwise: {line}" for line in self.report_status]
        return None

    @hookimpl
    def zenrun_sessionfinish(self) -> None:
        if not _writes_state(self.config):
            return
        self.cached_info.last_cache_date_str = datetime.now().isoformat()
        values(self.config).set(STEPWISE, dataclasses.asdict(self.cached_info))
