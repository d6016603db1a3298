"""Records of runs, steps and artifacts: what hooks receive and the post-execution API returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

RUNNING, COMPLETED, CACHED, FAILED, SKIPPED = "running", "completed", "cached", "failed", "skipped"
STATUSES = (RUNNING, COMPLETED, CACHED, FAILED, SKIPPED)


@dataclass
class ArtifactRef:
    """One stored artifact: its content hash, size, materializer and value type."""

    digest: str
    size: int
    materializer: str
    type_name: str
    _loader: Callable[[ArtifactRef], Any] | None = field(default=None, repr=False, compare=False)
    #: URL of the artifact store it was written to, when not the store's own ``artifacts/``.
    store_url: str | None = field(default=None, repr=False, compare=False)

    def read(self) -> Any:
        """Load the value from the artifact store (verified against its hash)."""
        if self._loader is None:
            from zenrun.metadata.api import load_artifact

            return load_artifact(self)
        return self._loader(self)

    def as_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "size": self.size, "materializer": self.materializer,
                "type": self.type_name}


def _duration(record: Any) -> float | None:
    if record.started is None or record.finished is None:
        return None
    return record.finished - record.started


@dataclass
class StepRun:
    """One invocation of a step in a run."""

    id: str
    name: str
    status: str = RUNNING
    config: dict[str, Any] | None = None
    cache_key: str | None = None
    cache_parts: dict[str, Any] | None = None
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    outputs: dict[str, ArtifactRef] = field(default_factory=dict)
    inputs: dict[str, list[tuple[str, str, ArtifactRef | None]]] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)
    run_name: str | None = None
    pipeline_name: str | None = None
    cache_reason: str | None = None
    #: Plugin settings by namespace (validated model instances); not stored.
    settings: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    duration = property(_duration, doc="Seconds from start to finish, or None.")

    @property
    def output(self) -> ArtifactRef:
        """The single output of this step."""
        if len(self.outputs) != 1:
            raise AttributeError(f"step {self.id!r} has outputs {list(self.outputs)}; "
                                 "use .outputs[name]")
        return next(iter(self.outputs.values()))

    def __repr__(self) -> str:
        return f"<StepRun {self.id} {self.status}>"


@dataclass
class PipelineRun:
    """One run of a pipeline; ``steps`` maps invocation ids to :class:`StepRun`."""

    name: str
    pipeline_name: str
    status: str = RUNNING
    started: float | None = None
    finished: float | None = None
    item_id: str | None = None
    enable_cache: bool | None = None
    orchestrator: str | None = None
    graph: dict[str, list[str]] = field(default_factory=dict)
    id: int | None = None
    #: URL of the artifact store (``--artifact-store``); None: the store's own ``artifacts/``.
    artifact_store: str | None = None
    error: str | None = None  # why the run failed when no step did (not stored)
    internal_error: str | None = field(default=None, repr=False)  # a plugin's fault (not stored)
    _steps: dict[str, StepRun] | None = field(default=None, repr=False)
    _steps_loader: Callable[[PipelineRun], dict[str, StepRun]] | None = field(default=None, repr=False)

    duration = property(_duration, doc="Seconds from start to finish, or None.")

    @property
    def steps(self) -> dict[str, StepRun]:
        if self._steps is None:
            self._steps = self._steps_loader(self) if self._steps_loader else {}
        return self._steps

    def get_step(self, step_id: str) -> StepRun:
        try:
            return self.steps[step_id]
        except KeyError:
            raise KeyError(f"run {self.name!r} has no step {step_id!r}; steps: "
                           f"{', '.join(self.steps)}") from None

    def __repr__(self) -> str:
        return f"<PipelineRun {self.name} {self.status}>"


@dataclass
class PipelineView:
    """A pipeline as recorded in the store: its name and runs, oldest first."""

    name: str
    runs: list[PipelineRun]

    @property
    def last_run(self) -> PipelineRun:
        if not self.runs:
            raise LookupError(f"pipeline {self.name!r} has no recorded runs")
        return self.runs[-1]
