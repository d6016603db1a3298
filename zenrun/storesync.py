"""``--store-push URL`` and ``--store-pull URL``: copy runs, cache entries and artifacts between stores.

Work done offline in the local store joins a team store's history with a
push; a pull brings a team store's runs and cache home. Both go through the
store protocols only (any plugin's store), and both are idempotent: a run
already in the destination (same name) is skipped, a cache entry is written
again with the same content, an artifact already there is not copied.

Artifacts: each run's artifacts are read where that run recorded them (its
``artifact_store`` URL, else the source's local ``artifacts/``) and copied to
the destination's artifact store: the session's ``--artifact-store`` for a
push (without one, a directory store's own ``artifacts/``; a team store's
records keep pointing at this machine's disk, with a warning), the session's
artifact store for a pull. Cache entries are rewritten to name the
destination's artifact store, so they are hits there.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from types import ModuleType
from typing import Any

from zenrun.artifacts.store import LocalArtifactStore
from zenrun.cache import store_identity
from zenrun.config import Config, create_config, redact_url
from zenrun.errors import ExitCode, UsageError
from zenrun.hookspec import hookimpl
from zenrun.metadata.records import RUNNING, PipelineRun
from zenrun.metadata.sqlite import hostname
from zenrun.protocols import ArtifactError

LOCAL_PREFIX = "local://"


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("store")
    group.addoption(
        "--store-push",
        dest="store_push",
        default=None,
        metavar="URL",
        help="copy this store's runs, cache entries and artifacts (to --artifact-store) into the "
        "store at URL (a team store), skipping what is there already, and exit",
    )
    group.addoption(
        "--store-pull",
        dest="store_pull",
        default=None,
        metavar="URL",
        help="copy the runs, cache entries and artifacts of the store at URL into this store, "
        "skipping what is here already, and exit",
    )


@hookimpl(tryfirst=True)
def zenrun_cmdline_main(config: Config) -> int | None:
    push, pull = config.getoption("store_push", None), config.getoption("store_pull", None)
    if push and pull:
        raise UsageError("--store-push and --store-pull go one at a time")
    if not (push or pull):
        return None
    other = _other_config(config, push or pull)
    try:
        if push:
            # --artifact-store, $ZENRUN_ARTIFACT_STORE or the artifact_store key: one setting.
            target = config.artifact_store_url
            # A directory (embedded) store keeps the artifacts it records: they go there.
            destination = (
                config.artifact_store if target else None if other.store_url else other.artifact_store
            )
            copied = copy_store(config, other, destination)
            where = redact_url(push)
            if destination is None and copied["runs"]:
                copied["warnings"].insert(
                    0,
                    "the artifacts were not copied: the runs pushed point at this machine's disk "
                    "(--artifact-store URL copies them to a shared artifact store)",
                )
        else:
            copied = copy_store(other, config, config.artifact_store)
            where = config.store_location
        print(
            f"{'pushed' if push else 'pulled'} {copied['runs']} runs ({copied['skipped']} already there), "
            f"{copied['entries']} cache entries and {copied['artifacts']} artifacts "
            f"{'to' if push else 'into'} {where}"
        )
        for warning in copied["warnings"][:10]:
            print(f"warning: {warning}")
    finally:
        other._ensure_unconfigure()
    return ExitCode.OK


def _other_config(config: Config, url: str) -> Config:
    """A config of the same project whose store is ``url`` (its plugins make the stores).

    It has this session's plugins, not only the installed ones: the modules loaded by ``-p``,
    by conftests (``zenrun_plugins``) and the conftests themselves come along, or a store only
    such a plugin opens would be unknown there; what this session blocked stays blocked."""
    pm = config.pluginmanager
    installed = {id(plugin) for plugin, _ in pm.list_plugin_distinfo()}
    loaded = [
        plugin
        for _, plugin in pm.list_name_plugin()
        if isinstance(plugin, ModuleType)
        and id(plugin) not in installed
        and not plugin.__name__.startswith("zenrun.")
    ]
    blocked = [
        arg for name, plugin in pm.list_name_plugin() if plugin is None for arg in ("-p", f"no:{name}")
    ]
    other = create_config(["--store", url, *blocked], loaded, load_conftests=False)
    other.hook.zenrun_configure.call_historic(kwargs=dict(config=other))
    return other


def _source_artifacts(run: PipelineRun, source: Config, opened: dict[str, Any]) -> Any:
    """The artifact store ``run`` wrote to (None when it is another machine's disk)."""
    url = run.artifact_store
    if url and url.startswith(LOCAL_PREFIX):
        host, _, path = url[len(LOCAL_PREFIX) :].partition("/")
        if host != hostname() or not Path("/" + path).is_dir():
            return None
        url = "file:///" + path
    if not url:  # the source store's own artifacts/ directory
        url = "local"
        if url not in opened:
            opened[url] = LocalArtifactStore(source.store_path / "artifacts")
        return opened[url]
    if url not in opened:
        store = source.hook.zenrun_open_artifact_store(config=source, url=url)
        if store is None:
            raise UsageError(f"run {run.name}: no installed plugin opens its artifact store {url}")
        opened[url] = store
    return opened[url]


def _recorded(url: str | None) -> str | None:
    """A run's artifact store URL as a team store records it: a directory names its machine."""
    if url and url.startswith("file://"):
        return f"{LOCAL_PREFIX}{hostname()}{urllib.parse.unquote(url[len('file://') :])}"
    return url


def _location(store: Any) -> str | None:
    """How a run records ``store``: its URL, or ``local://HOST/PATH`` for a local directory."""
    url = str(getattr(store, "url", None) or "")
    if url:
        return _recorded(url)
    root = getattr(store, "root", None)
    if isinstance(store, LocalArtifactStore) or root is not None:
        return f"{LOCAL_PREFIX}{hostname()}{Path(str(root)).resolve()}"
    return None


def copy_store(source: Config, dest: Config, dest_artifacts: Any | None) -> dict[str, Any]:
    """Copy runs, cache entries and artifacts from ``source``'s stores to ``dest``'s."""
    counts: dict[str, Any] = {"runs": 0, "skipped": 0, "entries": 0, "artifacts": 0, "warnings": []}
    src_meta, dst_meta = source.metadata_store, dest.metadata_store
    opened: dict[str, Any] = {}
    copied: set[str] = set()

    def copy_artifact(digest: str, size: int, src: Any) -> bool:
        if dest_artifacts is None or digest in copied:
            return True
        if src is dest_artifacts or dest_artifacts.exists(digest, size):
            copied.add(digest)
            return True
        if src is None:
            return False
        try:
            dest_artifacts.put(src.get(digest))
        except ArtifactError as exc:
            counts["warnings"].append(str(exc))
            return False
        copied.add(digest)
        counts["artifacts"] += 1
        return True

    dest_location = _location(dest_artifacts) if dest_artifacts is not None else None
    if dest_artifacts is not None:
        store_identity(dest_artifacts)  # named before anything is copied into it
    for run in src_meta.get_runs():
        if run.status == RUNNING:
            continue  # still being written: the next push takes it
        if dst_meta.get_run(run.name) is not None:
            counts["skipped"] += 1
            continue
        src_store = _source_artifacts(run, source, opened)
        steps = run.steps
        complete = all(
            copy_artifact(ref.digest, ref.size, src_store)
            for step in steps.values()
            for ref in step.outputs.values()
        )
        if not complete:
            counts["warnings"].append(
                f"run {run.name}: some artifacts are on another machine's disk ({run.artifact_store}); "
                "its records are copied, those artifacts are not"
            )
        record = PipelineRun(
            name=run.name,
            pipeline_name=run.pipeline_name,
            status=run.status,
            started=run.started,
            finished=run.finished,
            item_id=run.item_id,
            enable_cache=run.enable_cache,
            orchestrator=run.orchestrator,
            graph=run.graph,
            artifact_store=dest_location
            if dest_location and complete
            else _recorded(run.artifact_store) or _location(src_store),
            error=run.error,
            params=run.params,
            config_params=run.config_params,
            overrides=run.overrides,
            n_steps=run.n_steps,
            n_cached=run.n_cached,
        )
        record.metrics = run.metrics
        if dest_artifacts is not None:
            dest_artifacts.sync()
        dst_meta.create_run(record)
        for step in steps.values():
            dst_meta.record_step(record, step)
        dst_meta.finish_run(record)
        counts["runs"] += 1
    counts["entries"] = _copy_cache(source, dest, dest_artifacts, copy_artifact, opened)
    if dest_artifacts is not None:
        dest_artifacts.sync()
    flush = getattr(dest.cache, "flush", None)
    if flush is not None:
        flush()
    return counts


def _copy_cache(
    source: Config, dest: Config, dest_artifacts: Any | None, copy_artifact: Any, opened: dict[str, Any]
) -> int:
    """Copy the cache entries whose artifacts reached the destination; returns how many."""
    entries = getattr(source.cache, "entries", None)
    if entries is None or dest_artifacts is None:
        return 0
    opened.setdefault("local", LocalArtifactStore(source.store_path / "artifacts"))
    by_id = {store_identity(store): store for store in opened.values()}
    dst_id = store_identity(dest_artifacts)
    copied = 0
    for key, entry in entries():
        outputs = {name: output for name, output in entry.items() if not name.startswith("@")}
        ids = {output.get("store") for output in outputs.values()}
        src_store = by_id.get(ids.pop()) if len(ids) == 1 else None
        if src_store is None:
            continue  # made with an artifact store no copied run used: nothing to read it from
        if not all(copy_artifact(o["digest"], o["size"], src_store) for o in outputs.values()):
            continue
        dest.cache.put(key, {**entry, **{n: {**o, "store": dst_id} for n, o in outputs.items()}})
        copied += 1
    return copied
