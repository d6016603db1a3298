"""The post-execution API: ``get_pipeline(name).runs[-1].steps[id].output.read()``."""

from __future__ import annotations

import datetime
import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun.artifacts.materializers import NumpyMaterializer, load_from_store
from zenrun.artifacts.store import check_digest
from zenrun.config import api_config
from zenrun.errors import UsageError
from zenrun.metadata.records import (
    ArtifactRef,
    ItemView,
    PipelineRun,
    PipelineView,
    run_params,
    set_artifact_access,
    varying_fields,
)
from zenrun.metadata.sqlite import hostname
from zenrun.protocols import ArtifactError

if TYPE_CHECKING:
    import pandas

    from zenrun.config import Config
    from zenrun.protocols import ArtifactStore, MetadataStore
    from zenrun.search import StudyView


def _config() -> Config:
    return api_config()


def get_pipeline(name: str) -> PipelineView:
    """The pipeline ``name`` as recorded in the store, with its runs oldest first."""
    store = _config().metadata_store
    runs = store.get_runs(name)
    if not runs:
        known = store.pipeline_names()
        raise KeyError(
            f"no runs of pipeline {name!r} in {_where()}; recorded pipelines: {', '.join(known) or 'none'}"
        )
    return PipelineView(name, runs)


def get_study(item: str, storage: str | None = None) -> StudyView:
    """The study of a searched item (``"hpo[iris]"``): ``best_params``, ``best_value``,
    ``trials``, ``to_pandas()``. ``storage``: the ``--search-storage`` URL it ran with."""
    from zenrun.search import default_storage, load_study  # here: zenrun --help needs no search spaces

    return load_study(item, storage or default_storage(_config().store_path))


def get_run(name: str) -> PipelineRun:
    """The run called ``name``: a run name, ``"latest"``, an item id (its newest run) or a
    unique prefix of a run name, as ``zenrun --show`` accepts."""
    store = _config().metadata_store
    try:
        return store.find_run(name)
    except LookupError as exc:
        raise KeyError(f"{exc} in {_where()}") from None


def get_item(item_id: str) -> ItemView:
    """The runs of one item, e.g. ``get_item("hpo[iris]")`` (or its full id with the file)."""
    store = _config().metadata_store
    resolved = store.resolve_item(item_id)
    if resolved is None:
        known = [i.split("::", 1)[-1] for i in store.item_ids()]
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


def item_params(runs: list[PipelineRun], store: MetadataStore | None = None) -> list[dict[str, Any]]:
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
        varying[pipeline] = varying_fields([*store.latest_item_runs(pipeline), *shown])
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
    store = _config().metadata_store
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


def _latest_runs(store: MetadataStore, pipeline: str | None, item: str | None) -> list[PipelineRun]:
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
        pipelines = store.pipeline_names()
    runs = [run for name in pipelines for run in store.latest_item_runs(name)]
    return sorted(runs, key=lambda r: (r.id is None, r.id or 0, r.started or 0))


def _where() -> str:
    """The store, for messages: its path, or its URL with the password hidden."""
    config = _config()
    return str(getattr(config, "store_location", None) or config.store_path)


#: ``ArtifactRef.store_url`` of an artifact on one machine's local disk: ``local://HOST/PATH``
#: (a team store records it for runs that kept their artifacts on the machine that ran them).
LOCAL_PREFIX = "local://"


def _store_for(ref: ArtifactRef, config: Config) -> ArtifactStore:
    """The artifact store that holds ``ref``: the session's when it has it (artifacts are
    content-addressed: any copy is the artifact), else the one its run recorded."""
    store = config.artifact_store
    recorded = ref.store_url
    if not recorded or recorded == store.url or store.exists(ref.digest):
        return store
    if recorded.startswith(LOCAL_PREFIX):  # a machine's own disk (team stores)
        host, _, path = recorded[len(LOCAL_PREFIX) :].partition("/")
        if host != hostname() or not os.path.isdir("/" + path):
            raise ArtifactError(
                f"artifact {ref.digest[:12]} is on the local disk of machine {host} (/{path}), "
                "which this machine cannot read: the run that made it kept its artifacts there. "
                "Share artifacts with --artifact-store s3://..., or run zenrun --store-push there"
            )
        recorded = "file:///" + path
    opened: ArtifactStore | None = config.hook.zenrun_open_artifact_store(config=config, url=recorded)
    if opened is None:
        raise UsageError(
            f"artifact {ref.digest[:12]} is in the artifact store {recorded} (recorded with its run), "
            "which no installed plugin opens, and not in this session's store"
        )
    return opened


def artifact_uri(ref: ArtifactRef, config: Config | None = None) -> str:
    """Where ``ref`` is stored: its artifact store's ``uri(digest)``."""
    check_digest(ref.digest)  # before any store, a plugin's too, turns it into a path
    store = _store_for(ref, config or _config())
    try:
        return store.uri(ref.digest)
    except NotImplementedError as exc:
        raise AttributeError(
            f"the artifact store {type(store).__module__}.{type(store).__qualname__} cannot tell "
            f"where artifact {ref.digest} is: {exc}"
        ) from None


def load_artifact(ref: ArtifactRef, config: Config | None = None) -> Any:
    """Load the value of ``ref`` from the artifact store, verifying its hash.

    A value whose class lives in a pipeline module or conftest (``pipeline_x.Model``) is
    loaded after importing that module from the project the way collection imports it,
    when the caller has not.
    """
    config = config or _config()
    check_digest(ref.digest)
    store = _store_for(ref, config)
    materializer = config.materializers.get(ref.materializer)
    if isinstance(materializer, NumpyMaterializer):  # a large array: read into it, not via bytes
        return load_from_store(store, materializer, ref.digest, ref.size)
    data = store.get(ref.digest)
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
