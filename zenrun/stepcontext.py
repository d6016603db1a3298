"""What a running step records about itself: ``zenrun.log_metadata(accuracy=0.95)``.

The values are kept where the step runs (in-process, a worker thread, a
worker process or a Dask worker) and travel back with the task result, so
the driver records them with the step run; nothing goes through a global of
the driver process.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

#: None, bool, int, float, str, and lists / str-keyed dicts of them.
JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"


@dataclass
class StepContext:
    """The step invocation running in this thread, and the metadata it logged so far."""

    step_id: str
    metadata: dict[str, JSONValue] = field(default_factory=dict)
    #: The study trial the step belongs to (``zenrun.search.TrialHandle``), for ``zenrun.report``.
    trial: Any = None


_current: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar(
    "zenrun_step_context", default=None
)


@contextmanager
def step_context(step_id: str, trial: Any = None) -> Iterator[StepContext]:
    """Make ``step_id`` the running step of this thread while the block runs."""
    context = StepContext(step_id, trial=trial)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current_step() -> StepContext | None:
    """The context of the step running in this thread (or task), or None outside one."""
    return _current.get()


def log_metadata(metadata: Mapping[str, object] | None = None, /, **values: object) -> None:
    """Attach values to the running step's record: ``log_metadata(accuracy=0.95, f1=0.9)``.

    Values must be JSON-like: numbers, booleans, strings, None, and lists or
    string-keyed dicts of them (numpy scalars and arrays are converted).
    Logging a name again replaces its value. Numbers become the step's (and
    its run's) metrics: shown in the results table, ``--runs``, ``--show``,
    ``run.metrics`` and ``step.metadata``.
    """
    context = _current.get()
    if context is None:
        raise RuntimeError(
            "zenrun.log_metadata() was called outside a running step; call it inside a @step function"
        )
    merged = {**(metadata or {}), **values}
    converted = {}
    for key, value in merged.items():
        if not isinstance(key, str) or not key:
            raise TypeError(
                f"step {context.step_id!r}: log_metadata() names must be non-empty strings, got {key!r}"
            )
        converted[key] = to_json_value(value, f"step {context.step_id!r}: log_metadata({key}=...)")
    context.metadata.update(converted)


def to_json_value(value: object, where: str) -> JSONValue:
    """``value`` as plain JSON-able Python, or a TypeError naming ``where`` and the type."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    module = type(value).__module__
    if (module == "numpy" or module.startswith("numpy.")) and hasattr(value, "tolist"):
        # numpy scalars and arrays
        return to_json_value(value.tolist(), where)
    if isinstance(value, (list, tuple)):
        return [to_json_value(v, where) for v in value]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: dict keys must be strings, got {k!r}")
            out[k] = to_json_value(v, where)
        return out
    raise TypeError(
        f"{where}: cannot record a value of type {module}.{type(value).__qualname__}; "
        "log numbers, strings, booleans, None, or lists/dicts of them"
    )


SCALAR_TYPES = (bool, int, float)


def scalar_value(value: object) -> bool | int | float | None:
    """The value of a scalar step output (Python or numpy bool/int/float), else None."""
    if isinstance(value, SCALAR_TYPES):
        return value
    module = type(value).__module__
    if module == "numpy" and getattr(value, "shape", None) == () and hasattr(value, "item"):
        item = value.item()
        return item if isinstance(item, SCALAR_TYPES) else None
    return None


# -- what a gathering step receives -------------------------------------------------------

#: The input under which the outputs a gathering config selects reach its step
#: (wired by :mod:`zenrun.compose`, handed over by :mod:`zenrun.runner`).
GATHERED_INPUT = "__gathered__"

_gathered_values: contextvars.ContextVar[dict[str, dict[str, Any]]] = contextvars.ContextVar(
    "zenrun_gathered"
)


def call_with_gathered(
    fn: Callable[..., Any], gathered: dict[str, dict[str, Any]], kwargs: dict[str, Any]
) -> Any:
    """Call a step function with gathered outputs visible to ``OutputParameters.gather``."""
    token = _gathered_values.set(gathered)
    try:
        return fn(**kwargs)
    finally:
        _gathered_values.reset(token)


def gathered_outputs() -> dict[str, dict[str, Any]] | None:
    """Step id -> output name -> value, of the outputs the running gathering step received
    (None outside :func:`call_with_gathered`)."""
    return _gathered_values.get(None)
