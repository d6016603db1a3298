"""The post-execution API: ``get_pipeline(name).runs[-1].steps[id].output.read()``."""

from __future__ import annotations

import datetime
import importlib
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun.artifacts.fsspec_store import open_artifact_store
from zenrun.artifacts.store import check_digest
from zenrun.config import api_config
from zenrun.metadata.queries import store_queries
from zenrun.metadata.records import (
    ArtifactRef,
    ItemView,
    PipelineRun,
    PipelineView,
    run_params,
    set_artifact_access,
    varying_fields,
)
from zenrun.protocols import ArtifactError

if TYPE_CHECKING:
    import pandas

    from zenrun.config import Config
    from zenrun.protocols import ArtifactStore


def _config() -> Config:
    return api_config()


def get_pipeline(name: str) -> PipelineView:
    """The pipeline ``name`` as recorded in the store, with its runs oldest first."""
    store = _config().metadata_store
    runs = store.get_runs(name)
    if not runs:
        known = store_queries(store).pipeline_names()
        raise KeyError(
            f"no runs of pipeline {name!r} in {_where()}; recorded pipelines: {', '.join(known) or 'none'}"
        )
    return PipelineView(name, runs)


def get_run(name: str) -> PipelineRun:
    """The run called ``name``: a run name, ``"latest"``, an item id (its newest run) or a
    unique prefix of a run name, as ``zenrun --show`` accepts."""
    store = _config().metadata_store
    find = getattr(store, "find_run", None)
    if find is None:  # a plugin's store with names only
        run = store.get_run(name)
        if run is None:
            raise KeyError(f"no run named {name!r} in {_where()}")
        return run
    try:
        found: PipelineRun = find(name)
        return found
    except LookupError as exc:
        raise KeyError(f"{exc} in {_where()}") from None


def get_item(item_id: str) -> ItemView:
    """The runs of one item, e.g. ``get_item("hpo[iris]")`` (or its full id with the file)."""
    store = store_queries(_config().metadata_store)
    resolved = store.resolve_item(item_id)
    if resolved is None:
        known = [i.rsplit("::", 1)[-1] for i in store.item_ids()]
        raise KeyError(
            f"no runs of item {item_id!r} in {_where()}; recorded items: {', '.join(known) or 'none'}"
        )
    return ItemView(resolved, store.item_runs(resolved))


class RunsTable(list[dict[str, Any]]):
    """A list of dicts, one per run; ``.to_pandas()`` makes a DataFrame of it."""

    def to_pandas(self) -> pandas.DataFrame:
        """The rows as a ``pandas.DataFrame`` (pandas must be installed)."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(
                f"RunsTable.to_pandas() needs pandas ({exc}); install it with: pip install pandas"
            ) from None
        return pandas.DataFrame(list(self))


def latest_item_runs(store: Any, pipeline: str) -> list[PipelineRun]:
    """The newest run of each item of ``pipeline`` (a store without the query is read whole)."""
    query = getattr(store, "latest_item_runs", None)
    if query is not None:
        return list(query(pipeline))
    latest: dict[str, PipelineRun] = {}
    for run in store.get_runs(pipeline):  # oldest first: later runs replace earlier ones
        latest[run.item_id or ""] = run
    return list(latest.values())


def item_params(runs: list[PipelineRun], store: Any = None) -> list[dict[str, Any]]:
    """The params of each of ``runs``: what configures its item.

    Its parametrize arguments, fixture parameters and run-config overrides
    (``run.params``), then the step-config fields (``train.max_depth``) whose
    values differ across its pipeline: among ``runs`` and the newest run of
    each of the pipeline's items in ``store`` (default: the project's).
    """
    store = store if store is not None else _config().metadata_store
    varying: dict[str, list[str]] = {}
    for pipeline in dict.fromkeys(r.pipeline_name for r in runs):
        shown = [r for r in runs if r.pipeline_name == pipeline]
        varying[pipeline] = varying_fields([*latest_item_runs(store, pipeline), *shown])
    return [run_params(run, varying[run.pipeline_name]) for run in runs]


def run_row(run: PipelineRun, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """One flat row of a run: names, status, counts, ``params.X`` (``params``, default
    ``run.params``), ``overrides`` (the params ``--set``/``--config`` set) and ``metrics.Y``."""
    row: dict[str, Any] = {
        "run": run.name,
        "pipeline": run.pipeline_name,
        "item": run.short_item_id,
        "status": run.status,
        "started": datetime.datetime.fromtimestamp(run.started) if run.started else None,
        "duration": run.duration,
        "steps": run.n_steps,
        "cached": run.n_cached,
        "overrides": list(run.overrides),
    }
    row.update({f"params.{k}": v for k, v in (run.params if params is None else params).items()})
    row.update({f"metrics.{k}": v for k, v in run.metrics.items()})
    return row


def runs_table(
    pipeline: str | None = None, *, item: str | None = None, last: int | None = None, latest: bool = False
) -> RunsTable:
    """A flat table of runs (oldest first) with their parameters and metrics, for notebooks.

    ``pipeline`` and ``item`` select; ``latest=True`` keeps the newest run of each item
    (a grid's current state); ``last`` keeps the newest N.
    """
    store = store_queries(_config().metadata_store)
    if latest:
        runs = _latest_runs(store, pipeline, item)
        runs = runs[-last:] if last else runs
        return RunsTable(
            run_row(run, params) for run, params in zip(runs, item_params(runs, store), strict=True)
        )
    match = None
    if item is not None:
        resolved = store.resolve_item(item)
        if resolved is None:
            raise KeyError(f"no runs of item {item!r} in {_where()}")
        match = lambda item_id, _pipeline: item_id == resolved  # noqa: E731
    runs = list(reversed(store.recent_runs(last, match=match, pipeline=pipeline)))
    return RunsTable(run_row(run, params) for run, params in zip(runs, item_params(runs, store), strict=True))


def _latest_runs(store: Any, pipeline: str | None, item: str | None) -> list[PipelineRun]:
    """The newest run of each item (of ``pipeline``, or ``item`` alone), oldest first."""
    if item is not None:
        resolved = store.resolve_item(item)
        if resolved is None:
            raise KeyError(f"no runs of item {item!r} in {_where()}")
        runs: list[PipelineRun] = store.item_runs(resolved)
        return runs[-1:]
    if pipeline is not None:
        pipelines = [pipeline]
    else:
        names = getattr(store, "pipeline_names", None)  # not in the store protocol
        pipelines = (
            list(names()) if names is not None else sorted({r.pipeline_name for r in store.get_runs()})
        )
    runs = [run for name in pipelines for run in latest_item_runs(store, name)]
    return sorted(runs, key=lambda r: (r.id is None, r.id or 0, r.started or 0))


def _where() -> str:
    """The store, for messages: its path, or its URL with the password hidden."""
    config = _config()
    return str(getattr(config, "store_location", None) or config.store_path)


#: ``ArtifactRef.store_url`` of an artifact on one machine's local disk: ``local://HOST/PATH``
#: (a team store records it for runs that kept their artifacts on the machine that ran them).
LOCAL_PREFIX = "local://"


def _store_for(ref: ArtifactRef, config: Config) -> ArtifactStore:
    """The artifact store ``ref`` was written to: this store's, or the one its run recorded."""
    store = config.artifact_store
    if ref.store_url and ref.store_url.startswith(LOCAL_PREFIX):  # a machine's own disk (team stores)
        host, _, path = ref.store_url[len(LOCAL_PREFIX) :].partition("/")
        if host != socket.gethostname() or not os.path.isdir("/" + path):
            raise ArtifactError(
                f"artifact {ref.digest[:12]} is on the local disk of machine {host} (/{path}), "
                "which this machine cannot read: the run that made it kept its artifacts there. "
                "Share artifacts with --artifact-store s3://..., or run zenrun --store-push there"
            )
        local = getattr(store, "root", None)
        if local is not None and os.path.realpath(str(local)) == os.path.realpath("/" + path):
            return store
        return open_artifact_store("file:///" + path)
    if ref.store_url and ref.store_url != getattr(store, "url", None):
        store = open_artifact_store(ref.store_url)  # where the run wrote it
    return store


def artifact_uri(ref: ArtifactRef, config: Config | None = None) -> str:
    """Where ``ref`` is stored: the store's ``uri(digest)``, else its path (with the URL's
    protocol for a remote store)."""
    check_digest(ref.digest)  # before any store, a plugin's too, turns it into a path
    store = _store_for(ref, config or _config())
    uri = getattr(store, "uri", None)
    if uri is not None:
        return str(uri(ref.digest))
    path_of = getattr(store, "path", None)
    if path_of is None:
        raise AttributeError(
            f"the artifact store {type(store).__module__}.{type(store).__qualname__} has neither "
            f"uri(digest) nor path(digest): it cannot tell where artifact {ref.digest} is"
        )
    path = str(path_of(ref.digest))
    url = getattr(store, "url", None) or ""
    if "://" in url and "://" not in path and not url.startswith("file://"):
        return f"{url.split('://', 1)[0]}://{path}"
    return path


def load_artifact(ref: ArtifactRef, config: Config | None = None) -> Any:
    """Load the value of ``ref`` from the artifact store, verifying its hash.

    A value whose class lives in a pipeline module or conftest (``pipeline_x.Model``) is
    loaded after importing that module from the project the way collection imports it,
    when the caller has not.
    """
    config = config or _config()
    check_digest(ref.digest)
    data = _store_for(ref, config).get(ref.digest)
    materializer = config.materializers.get(ref.materializer)
    tried: set[str] = set()
    while True:
        try:
            return materializer.loads(data)
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").split(".")[0]
            if not missing or missing in tried or not _import_project_module(missing, config):
                raise
            tried.add(missing)


_NOT_PROJECT_DIRS = {"node_modules", "site-packages", "__pycache__", "build", "dist"}


def _import_project_module(name: str, config: Config) -> bool:
    """Import the project's top-level module ``name`` (``name.py`` or a package) found under
    the rootdir, with its directory first on ``sys.path`` as collection does; False when the
    project has no such module or more than one."""
    rootdir = Path(getattr(config, "rootpath", None) or Path.cwd())
    found: list[Path] = []
    for visited, (directory, subdirs, files) in enumerate(os.walk(rootdir)):
        if visited > 20_000:  # not a project directory: give up rather than walk a disk
            return False
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in _NOT_PROJECT_DIRS)
        here = Path(directory)
        if f"{name}.py" in files and not (here / "__init__.py").exists():
            found.append(here)
        if name in subdirs and (here / name / "__init__.py").exists() and not (here / "__init__.py").exists():
            found.append(here)
        if len(found) > 1:
            return False
    if len(found) != 1:
        return False
    if str(found[0]) not in sys.path:
        sys.path.insert(0, str(found[0]))
    importlib.invalidate_caches()
    importlib.import_module(name)
    return True


# ``ref.read()`` and ``ref.uri`` of any record: through this API's config (the active
# session's, else the current directory's), as the functions above.
set_artifact_access(load_artifact, artifact_uri)
