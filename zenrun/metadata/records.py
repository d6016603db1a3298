"""Records of runs, steps and artifacts: what hooks receive and the post-execution API returns.

A leaf: every layer imports these records and they import nothing of zenrun.
Reading an artifact (:meth:`ArtifactRef.read`, :attr:`ArtifactRef.uri`) needs
a configured session to find the artifact store; the Python API
(:mod:`zenrun.metadata.api`) provides that through :func:`set_artifact_access`
when it is imported, which every session does (collection imports it).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import Any

from zenrun.deferred import dataclass

RUNNING, COMPLETED, CACHED, FAILED, SKIPPED = "running", "completed", "cached", "failed", "skipped"
#: A step (and its run) stopped early by its study's pruner (``zenrun.report``): not a failure.
PRUNED = "pruned"
STATUSES = (RUNNING, COMPLETED, CACHED, FAILED, SKIPPED)
_SCALAR_TYPE_NAMES = {
    "bool",
    "int",
    "float",
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
}


_access: dict[str, Callable[[ArtifactRef], Any]] = {}


def set_artifact_access(load: Callable[[ArtifactRef], Any], uri: Callable[[ArtifactRef], str]) -> None:
    """How a ref without a loader of its own is read (``load``) and located (``uri``)."""
    _access.update(load=load, uri=uri)


def _artifact_access(what: str) -> Callable[[ArtifactRef], Any]:
    try:
        return _access[what]
    except KeyError:
        raise RuntimeError(
            "reading an artifact needs the Python API's session: import zenrun.metadata.api"
        ) from None


@dataclass
class ArtifactRef:
    """One stored artifact: its content hash, size, materializer and value type."""

    digest: str
    size: int
    materializer: str
    type_name: str
    preview: str | None = None  # a short text; JSON of the value for scalar outputs
    _loader: Callable[[ArtifactRef], Any] | None = field(default=None, repr=False, compare=False)
    store_url: str | None = field(default=None, repr=False, compare=False)
    """URL of the artifact store it was written to (its run's ``artifact_store``), if known."""
    uses: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """The project functions and classes its pickle names (``module:qualname``): their code is not in
    the bytes, so it goes into the cache keys of the steps that consume it.
    """

    def read(self) -> Any:
        """Load the value from the artifact store (verified against its hash)."""
        if self._loader is None:
            return _artifact_access("load")(self)
        return self._loader(self)

    def as_dict(self) -> dict[str, Any]:
        """What a metadata store keeps of this ref, as a JSON-able dict: ``digest``, ``size``,
        ``materializer``, ``type`` (:attr:`type_name`) and ``preview``.

        :meth:`from_dict` makes the ref again. ``store_url`` is the run's
        ``artifact_store`` (stored once with the run); ``uses`` matters only to the cache
        entry, which keeps it itself.
        """
        return {
            "digest": self.digest,
            "size": self.size,
            "materializer": self.materializer,
            "type": self.type_name,
            "preview": self.preview,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], store_url: str | None = None) -> ArtifactRef:
        """The ref :meth:`as_dict` gave ``data`` for, read from the artifact store at ``store_url``
        (the run's ``artifact_store``; None: the session's store)."""
        return cls(
            digest=data["digest"],
            size=data["size"],
            materializer=data["materializer"],
            type_name=data["type"],
            preview=data.get("preview"),
            store_url=store_url,
        )

    @property
    def value(self) -> bool | int | float | None:
        """The value of a scalar output (bool, int, float) without loading it; else None."""
        if self.preview is None or self.type_name.rsplit(".", 1)[-1] not in _SCALAR_TYPE_NAMES:
            return None
        try:
            value = json.loads(self.preview)
        except ValueError:
            return None
        return value if isinstance(value, (bool, int, float)) else None

    @property
    def uri(self) -> str:
        """Where the artifact is stored: a path or URL of the artifact store."""
        return str(_artifact_access("uri")(self))


def _duration(record: StepRun | PipelineRun) -> float | None:
    if record.started is None or record.finished is None:
        return None
    return record.finished - record.started


@dataclass(repr=False)  # its own __repr__ below: dataclass's would be compiled for nothing
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
    metadata: dict[str, Any] = field(default_factory=dict)  # zenrun.log_metadata(...)
    captured: dict[str, str] = field(default_factory=dict)  # "stdout", "stderr", "log"
    plugin_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What plugins logged about this step run, by plugin name (``zenrun.log_plugin_metadata``); never
    part of ``metadata`` or the run's metrics.
    """
    settings: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Plugin settings by namespace (validated model instances); not stored."""
    #: The run's template of the text of ``cache_parts`` for the steps of this step function
    #: (:class:`zenrun.canonical.PartsText`), which stores write instead of encoding it whole.
    _parts_text: Any = field(default=None, repr=False, compare=False)

    duration = property(_duration, doc="Seconds from start to finish, or None.")

    @property
    def data_deps(self) -> list[dict[str, Any]]:
        """What the step read (files, folders, URLs, hosts): one dict per dependency with
        ``path`` and, as known, ``size``, ``mtime``, ``digest``, ``files``, ``missing``,
        ``network`` (see ``zenrun.datacheck.describe``)."""
        return list((self.cache_parts or {}).get("data") or [])

    @property
    def output(self) -> ArtifactRef:
        """The single output of this step."""
        if len(self.outputs) != 1:
            raise AttributeError(f"step {self.id!r} has outputs {list(self.outputs)}; use .outputs[name]")
        return next(iter(self.outputs.values()))

    def as_dict(self) -> dict[str, Any]:
        """The fields a metadata store keeps of this step run, as a JSON-able dict (artifact
        refs as :meth:`ArtifactRef.as_dict`, inputs as lists); :meth:`from_dict` reads it back.

        ``settings`` is left out: it is not stored.
        """
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "config": self.config,
            "cache_key": self.cache_key,
            "cache_parts": self.cache_parts,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "outputs": {name: ref.as_dict() for name, ref in self.outputs.items()},
            "inputs": {
                name: [
                    [step, output, None if ref is None else ref.as_dict()] for step, output, ref in sources
                ]
                for name, sources in self.inputs.items()
            },
            "upstream": list(self.upstream),
            "run_name": self.run_name,
            "pipeline_name": self.pipeline_name,
            "cache_reason": self.cache_reason,
            "metadata": self.metadata,
            "captured": self.captured,
            "plugin_metadata": self.plugin_metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], store_url: str | None = None) -> StepRun:
        """The step run :meth:`as_dict` gave ``data`` for (also after a JSON round trip); its
        artifact refs read from the artifact store at ``store_url`` (the run's
        ``artifact_store``)."""

        def ref(value: dict[str, Any] | None) -> ArtifactRef | None:
            return None if value is None else ArtifactRef.from_dict(value, store_url)

        return cls(
            id=data["id"],
            name=data["name"],
            status=data.get("status", RUNNING),
            config=data.get("config"),
            cache_key=data.get("cache_key"),
            cache_parts=data.get("cache_parts"),
            started=data.get("started"),
            finished=data.get("finished"),
            error=data.get("error"),
            outputs={
                name: ArtifactRef.from_dict(value, store_url)
                for name, value in (data.get("outputs") or {}).items()
            },
            inputs={
                name: [(step, output, ref(value)) for step, output, value in sources]
                for name, sources in (data.get("inputs") or {}).items()
            },
            upstream=list(data.get("upstream") or []),
            run_name=data.get("run_name"),
            pipeline_name=data.get("pipeline_name"),
            cache_reason=data.get("cache_reason"),
            metadata=dict(data.get("metadata") or {}),
            captured=dict(data.get("captured") or {}),
            plugin_metadata=dict(data.get("plugin_metadata") or {}),
        )

    def __repr__(self) -> str:
        return f"<StepRun {self.id} {self.status}>"


@dataclass(repr=False)  # its own __repr__ below: dataclass's would be compiled for nothing
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
    artifact_store: str | None = None
    """URL of the artifact store the run wrote to (its ``url``); None: a store without one."""
    error: str | None = None  # why the run failed when no step did (not stored)
    params: dict[str, Any] = field(default_factory=dict)  # what distinguishes the item
    config_params: dict[str, Any] = field(default_factory=dict)
    """Every field of every step config, flattened: ``{"train.max_depth": 3}``."""
    overrides: list[str] = field(default_factory=list)
    """The names in ``params`` set by the run config (``--set`` / ``--config``)."""
    n_steps: int | None = None
    n_cached: int | None = None
    _metrics: dict[str, Any] | None = field(default=None, repr=False)
    internal_error: str | None = field(default=None, repr=False)  # a plugin's fault (not stored)
    #: A step's ``zenrun.skip`` / ``xfail`` / ``exit``, the first (not stored): ``(outcome,
    #: step id, message, exit code, (file, line) that raised it)``; the item's outcome.
    step_outcome: tuple[str, str, str, int | None, tuple[str, int | None] | None] | None = field(
        default=None, repr=False
    )
    _steps: dict[str, StepRun] | None = field(default=None, repr=False)
    _steps_loader: Callable[[PipelineRun], dict[str, StepRun]] | None = field(default=None, repr=False)

    duration = property(_duration, doc="Seconds from start to finish, or None.")

    @property
    def steps(self) -> dict[str, StepRun]:
        if self._steps is None:
            self._steps = self._steps_loader(self) if self._steps_loader else {}
        return self._steps

    @property
    def metrics(self) -> dict[str, Any]:
        """The scalar values its steps logged (later steps in graph order win), or else the
        scalar outputs of its final steps."""
        if self._metrics is None:
            self._metrics = compute_metrics(self)
        return self._metrics

    @metrics.setter
    def metrics(self, value: dict[str, Any] | None) -> None:
        """Set as stored (a metadata store reading a run back); None: computed from its steps."""
        self._metrics = value

    @property
    def short_item_id(self) -> str | None:
        """The item id without its file, e.g. ``hpo[iris]``."""
        return self.item_id.split("::", 1)[-1] if self.item_id else None

    def with_steps(self, steps: dict[str, StepRun]) -> PipelineRun:
        """A copy of this record whose ``steps`` are ``steps`` (in their order): what a
        metadata store that keeps records in memory returns from ``get_runs``."""
        return dataclasses.replace(self, _steps=dict(steps), _steps_loader=None)

    def with_steps_loader(self, loader: Callable[[PipelineRun], dict[str, StepRun]]) -> PipelineRun:
        """This record, its ``steps`` read by ``loader(run)`` when first asked for: what a
        metadata store returns from ``get_runs`` without reading every run's steps."""
        self._steps, self._steps_loader = None, loader
        return self

    def as_dict(self) -> dict[str, Any]:
        """The fields a metadata store keeps of this run, without its steps, as a JSON-able
        dict (``metrics`` included once the run is finished); :meth:`from_dict` reads it back.

        Left out, as they are not stored: ``error``, ``internal_error`` and ``step_outcome``
        (what the session reports about an item, not part of the record).
        """
        return {
            "name": self.name,
            "pipeline_name": self.pipeline_name,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "item_id": self.item_id,
            "enable_cache": self.enable_cache,
            "orchestrator": self.orchestrator,
            "graph": {step: list(upstream) for step, upstream in self.graph.items()},
            "id": self.id,
            "artifact_store": self.artifact_store,
            "params": self.params,
            "config_params": self.config_params,
            "overrides": list(self.overrides),
            "n_steps": self.n_steps,
            "n_cached": self.n_cached,
            "metrics": self._metrics if self.status == RUNNING else self.metrics,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], steps: dict[str, StepRun] | None = None) -> PipelineRun:
        """The run :meth:`as_dict` gave ``data`` for (also after a JSON round trip), with
        ``steps`` (by step id, in the order they ran) when given; else give its steps with
        :meth:`with_steps_loader`. A ``metrics`` of None is computed from the steps."""
        run = cls(
            name=data["name"],
            pipeline_name=data["pipeline_name"],
            status=data.get("status", RUNNING),
            started=data.get("started"),
            finished=data.get("finished"),
            item_id=data.get("item_id"),
            enable_cache=data.get("enable_cache"),
            orchestrator=data.get("orchestrator"),
            graph={step: list(upstream) for step, upstream in (data.get("graph") or {}).items()},
            id=data.get("id"),
            artifact_store=data.get("artifact_store"),
            params=dict(data.get("params") or {}),
            config_params=dict(data.get("config_params") or {}),
            overrides=list(data.get("overrides") or []),
            n_steps=data.get("n_steps"),
            n_cached=data.get("n_cached"),
        )
        run.metrics = data.get("metrics")
        return run if steps is None else run.with_steps(steps)

    def get_step(self, name: str) -> StepRun:
        """The run of step ``name`` (its id), as ZenML's ``run.get_step(name=...)``."""
        try:
            return self.steps[name]
        except KeyError:
            raise KeyError(
                f"run {self.name!r} has no step {name!r}; steps: {', '.join(self.steps)}"
            ) from None

    def __repr__(self) -> str:
        item = f" {self.short_item_id}" if self.item_id else ""
        return f"<PipelineRun {self.name}{item} {self.status}>"


def flatten(values: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    if not isinstance(values, dict) or (not values and prefix):
        return {prefix: values} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in values.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


_MISSING = object()


def varying_fields(runs: Iterable[PipelineRun]) -> list[str]:
    """The step-config fields (``train.max_depth``) whose values differ among ``runs``, in
    the order they first appear; a field some runs lack differs too."""
    runs = list(runs)
    names = list(dict.fromkeys(k for r in runs for k in r.config_params))
    return [
        name
        for name in names
        if len({json.dumps(r.config_params.get(name, _MISSING), sort_keys=True, default=repr) for r in runs})
        > 1
    ]


def run_params(run: PipelineRun, varying: Iterable[str] = ()) -> dict[str, Any]:
    """What configures ``run``'s item: its parametrize arguments, fixture parameters and
    run-config overrides, then those of its step-config fields named in ``varying``."""
    params = dict(run.params)
    for name in varying:
        if name in run.config_params and name not in params:
            params[name] = run.config_params[name]
    return params


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def compute_metrics(run: PipelineRun) -> dict[str, Any]:
    """See :attr:`PipelineRun.metrics`."""
    steps = run.steps
    if steps.keys() == run.graph.keys():  # every step of the graph recorded: the usual case
        order = list(run.graph)
    else:
        order = [s for s in run.graph if s in steps] + [s for s in steps if s not in run.graph]
    metrics: dict[str, Any] = {}
    for step_id in order:
        for key, value in steps[step_id].metadata.items():
            if _is_scalar(value):
                metrics.pop(key, None)  # the later value is also the later column
                metrics[key] = value
    if metrics:
        return metrics
    consumed = {u for upstream in run.graph.values() for u in upstream}
    for step_id in order:
        if step_id in consumed:
            continue
        outputs = steps[step_id].outputs
        for name, ref in outputs.items():
            value = ref.value
            if value is not None:
                metrics[step_id if len(outputs) == 1 else f"{step_id}.{name}"] = value
    return metrics


@dataclass(repr=False)  # its own __repr__ below: dataclass's would be compiled for nothing
class ItemView:
    """One collected item (``hpo[iris]``) as recorded: its runs, oldest first."""

    id: str  # the full item id, with its file
    runs: list[PipelineRun]

    @property
    def name(self) -> str:
        """The item id without its file, e.g. ``hpo[iris]``."""
        return self.id.split("::", 1)[-1]

    @property
    def last_run(self) -> PipelineRun:
        if not self.runs:
            raise LookupError(f"item {self.id!r} has no recorded runs")
        return self.runs[-1]

    def __repr__(self) -> str:
        return f"<ItemView {self.name}: {_count(self.runs, 'run')}{_last_status(self.runs)}>"


@dataclass(repr=False)  # its own __repr__ below: dataclass's would be compiled for nothing
class PipelineView:
    """A pipeline as recorded in the store: its name and runs, oldest first."""

    name: str
    runs: list[PipelineRun]

    @property
    def items(self) -> dict[str, ItemView]:
        """Its items by id without the file (``"hpo[iris]"``), each with its runs."""
        by_id: dict[str, list[PipelineRun]] = {}
        for run in self.runs:
            if run.item_id is not None:
                by_id.setdefault(run.item_id, []).append(run)
        return {ItemView(i, r).name: ItemView(i, r) for i, r in by_id.items()}

    @property
    def last_run(self) -> PipelineRun:
        if not self.runs:
            raise LookupError(f"pipeline {self.name!r} has no recorded runs")
        return self.runs[-1]

    def latest_items(self) -> list[PipelineRun]:
        """The newest run of each item, in the order the items first ran: a grid's current
        state. Runs made from Python without an item count as one item, the pipeline."""
        latest: dict[str, PipelineRun] = {}
        for run in self.runs:  # oldest first: a later run of an item replaces the earlier
            latest[run.item_id or ""] = run
        return list(latest.values())

    def __repr__(self) -> str:
        items = len({r.item_id or "" for r in self.runs})
        return (
            f"<PipelineView {self.name}: {_count(self.runs, 'run')}, "
            f"{items} item{'s' if items != 1 else ''}{_last_status(self.runs)}>"
        )


def _count(runs: list[PipelineRun], noun: str) -> str:
    return f"{len(runs)} {noun}{'s' if len(runs) != 1 else ''}"


def _last_status(runs: list[PipelineRun]) -> str:
    return f", last {runs[-1].status}" if runs else ""
