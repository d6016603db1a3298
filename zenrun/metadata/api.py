"""The post-execution API: ``get_pipeline(name).runs[-1].steps[id].output.read()``."""

from __future__ import annotations

from typing import Any

from zenrun.metadata.records import ArtifactRef, PipelineRun, PipelineView


def _config() -> Any:
    from zenrun.config import api_config

    return api_config()


def get_pipeline(name: str) -> PipelineView:
    """The pipeline ``name`` as recorded in the store, with its runs oldest first."""
    store = _config().metadata_store
    runs = store.get_runs(name)
    if not runs:
        known = store.pipeline_names()
        raise KeyError(f"no runs of pipeline {name!r} in {_config().store_path}; "
                       f"recorded pipelines: {', '.join(known) or 'none'}")
    return PipelineView(name, runs)


def get_run(name: str) -> PipelineRun:
    """The run called ``name`` (``"latest"`` for the newest)."""
    run = _config().metadata_store.get_run(name)
    if run is None:
        raise KeyError(f"no run named {name!r} in {_config().store_path}")
    return run


def load_artifact(ref: ArtifactRef, config: Any = None) -> Any:
    """Load the value of ``ref`` from the artifact store, verifying its hash."""
    config = config or _config()
    store = config.artifact_store
    if ref.store_url and ref.store_url != getattr(store, "url", None):
        from zenrun.artifacts.fsspec_store import open_artifact_store

        store = open_artifact_store(ref.store_url)  # where the run wrote it
    data = store.get(ref.digest)
    return config.materializers.get(ref.materializer).loads(data)
