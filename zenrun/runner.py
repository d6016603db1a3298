"""One step: load its inputs, call it, materialize and store its outputs.

Everything here runs where the step runs (in-process, in a thread, or on a
Dask worker); it touches only the artifact store, never the metadata store.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenrun.artifacts.store import ArtifactError
from zenrun.metadata.records import ArtifactRef

logger = logging.getLogger("zenrun")
_ZENRUN_DIR = str(Path(__file__).parent)


class _NoValue:
    """The "not loaded yet" marker; pickles by name so it survives a trip to a worker."""

    def __reduce__(self) -> str:
        return "_NOVALUE"

    def __repr__(self) -> str:
        return "<no value>"


_NOVALUE: Any = _NoValue()
GATHERED_INPUT = "__gathered__"


class InputArtifactError(Exception):
    """A cached upstream artifact could not be loaded (missing or corrupt)."""

    def __init__(self, producer: str, message: str) -> None:
        super().__init__(producer, message)
        self.producer = producer

    def __str__(self) -> str:
        return str(self.args[1])


@dataclass
class InputSource:
    """Where one input value comes from: a value in memory, or an artifact."""

    producer: str
    output: str
    ref: ArtifactRef | None = None
    value: Any = field(default=_NOVALUE, repr=False)


@dataclass
class StepTask:
    """Everything needed to run one invocation; picklable for remote workers."""

    step: Any
    step_id: str
    pipeline_name: str
    config: Any
    literals: dict[str, Any]
    wired: dict[str, InputSource | list[InputSource]]


@dataclass
class TaskResult:
    step_id: str
    ok: bool
    started: float
    finished: float
    outputs: dict[str, ArtifactRef] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    error: str | None = None


@dataclass
class StoredValue:
    """An output held as its stored bytes: each consumer decodes a copy of its own."""

    materializer: Any
    data: bytes = field(repr=False)


_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), range)


def _immutable(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind in _IMMUTABLE:
        return True
    if kind in (tuple, frozenset) and depth < 20:
        return all(_immutable(v, depth + 1) for v in value)
    return False


def _is_array(value: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and type(value) is np.ndarray


def _read_only(value: Any) -> Any:
    """``value``, or for a numpy array a read-only view of it (no copy)."""
    if _is_array(value):
        value = value.view()
        value.flags.writeable = False
    return value


def handoff(value: Any, materializer: Any, data: bytes) -> Any:
    """How an output reaches the consumers in this process: as stored, never shared mutable.

    Immutable values are shared; numpy arrays (stored as ``.npy``, which keeps
    them exactly) as read-only views; anything else is decoded from the stored
    bytes for each consumer, as a cached run would load it.
    """
    from zenrun.artifacts.materializers import (
        JsonMaterializer, NumpyMaterializer, PickleMaterializer,
    )

    if isinstance(materializer, (JsonMaterializer, PickleMaterializer)) and _immutable(value):
        return value
    if isinstance(materializer, NumpyMaterializer) and _is_array(value):
        return _read_only(value)
    return StoredValue(materializer, data)


def private_copy(value: Any) -> Any:
    """A literal input for one step: immutable values shared, arrays read-only, else a deep copy."""
    if _immutable(value):
        return value
    if _is_array(value):
        return _read_only(value)
    try:
        return copy.deepcopy(value)
    except Exception:  # not copyable (a lock, a client): the step gets the object itself
        return value


def load_input(source: InputSource, artifact_store: Any, materializers: Any) -> Any:
    value = source.value
    if isinstance(value, StoredValue):
        return _read_only(value.materializer.loads(value.data))
    if value is not _NOVALUE:
        return value
    ref = source.ref
    try:
        data = artifact_store.get(ref.digest)
        return _read_only(materializers.get(ref.materializer).loads(data))
    except ArtifactError as exc:
        raise InputArtifactError(source.producer, str(exc)) from None


def load_inputs(task: StepTask, artifact_store: Any, materializers: Any) -> None:
    """Replace artifact references in ``task.wired`` by their values, in place."""
    for sources in task.wired.values():
        for source in sources if isinstance(sources, list) else [sources]:
            if source.value is _NOVALUE or isinstance(source.value, StoredValue):
                source.value = load_input(source, artifact_store, materializers)


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without zenrun's own frames: it points at the step."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_ZENRUN_DIR)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


class StepOutputError(Exception):
    """A step's return value does not fit its declared outputs or cannot be stored."""


def _call(task: StepTask, artifact_store: Any, materializers: Any) -> Any:
    step = task.step
    load_inputs(task, artifact_store, materializers)
    kwargs = dict(task.literals)
    # A gathering step that matched no step still gathers (an empty list).
    gathered: dict[str, dict[str, Any]] | None = {} if kwargs.pop(GATHERED_INPUT, None) == [] else None
    for name, sources in task.wired.items():
        if name == GATHERED_INPUT:
            gathered = {}
            for source in sources:  # type: ignore[union-attr]
                gathered.setdefault(source.producer, {})[source.output] = source.value
            continue
        kwargs[name] = [s.value for s in sources] if isinstance(sources, list) else sources.value
    if step.config_param is not None:
        kwargs[step.config_param] = task.config
    if gathered is not None:
        from zenrun.dynamic import call_with_gathered

        return call_with_gathered(step.fn, gathered, kwargs)
    return step.fn(**kwargs)


def split_outputs(task: StepTask, returned: Any) -> dict[str, Any]:
    names = task.step.output_names
    if not names:
        return {}
    if len(names) == 1:
        return {names[0]: returned}
    if not isinstance(returned, (tuple, list)) or len(returned) != len(names):
        got = f"{len(returned)} values" if isinstance(returned, (tuple, list)) else type(returned).__name__
        raise StepOutputError(f"step {task.step_id!r} returned {got}; expected a tuple of "
                              f"{len(names)} outputs ({', '.join(names)})")
    return dict(zip(names, returned))


def materialize(task: StepTask, values: dict[str, Any], artifact_store: Any,
                materializers: Any, handoffs: dict[str, Any] | None = None) -> dict[str, ArtifactRef]:
    """Store ``values``; fills ``handoffs`` with what in-process consumers get (:func:`handoff`)."""
    refs = {}
    for name, value in values.items():
        materializer = materializers.for_value(value)
        try:
            data = materializer.dumps(value)
        except Exception as exc:
            raise StepOutputError(
                f"step {task.step_id!r}: output {name!r} of type {type(value).__module__}."
                f"{type(value).__qualname__} cannot be serialised by the {materializer.name} "
                f"materializer: {type(exc).__name__}: {exc}") from None
        digest, size = artifact_store.put(data)
        if handoffs is not None:
            handoffs[name] = handoff(value, materializer, data)
        refs[name] = ArtifactRef(digest, size, materializer.name,
                                 f"{type(value).__module__}.{type(value).__qualname__}")
    return refs


def execute_task(task: StepTask, artifact_store: Any, materializers: Any,
                 keep_values: bool = True) -> TaskResult:
    """Run ``task``: call the step (with its retries) and store its outputs.

    A failure is returned, not raised, with the user's traceback; only an
    :class:`InputArtifactError` propagates, so the caller can rerun the
    producer of a broken cached artifact.
    """
    started = time.time()
    attempts = task.step.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            returned = _call(task, artifact_store, materializers)
            values = split_outputs(task, returned)
            handoffs: dict[str, Any] | None = {} if keep_values else None
            refs = materialize(task, values, artifact_store, materializers, handoffs)
        except InputArtifactError:
            raise
        except StepOutputError as exc:
            return TaskResult(task.step_id, False, started, time.time(), error=str(exc) + "\n")
        except (Exception, SystemExit) as exc:  # sys.exit() in a step fails the step, as in pytest
            if attempt < attempts:
                logger.warning("Step %s failed (attempt %d of %d), retrying: %s: %s",
                               task.step_id, attempt, attempts, type(exc).__name__, exc)
                continue
            return TaskResult(task.step_id, False, started, time.time(), error=user_traceback(exc))
        return TaskResult(task.step_id, True, started, time.time(), outputs=refs,
                          values=handoffs or {})
    raise AssertionError("unreachable")  # pragma: no cover
