"""What a running step records about itself: ``zenrun.log_metadata(accuracy=0.95)``.

The values are kept where the step runs (in-process, a worker thread, a
worker process or a Dask worker) and travel back with the task result, so
the driver records them with the step run; nothing goes through a global of
the driver process.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

#: None, bool, int, float, str, and lists / str-keyed dicts of them.
JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"


#: The phase of the item running in this context where no hook marks it: ``"call"`` while its
#: pipeline body runs (live logs put its records under ``live log call``, as pytest's
#: test function's). None elsewhere.
item_phase: contextvars.ContextVar[str | None] = contextvars.ContextVar("zenrun_item_phase", default=None)


class StepContext:
    """The step invocation running in this thread, and the metadata it logged so far."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a step's context.
    __slots__ = ("in_step", "metadata", "plugins", "step_id", "trial")

    def __init__(self, step_id: str, trial: Any = None) -> None:
        self.step_id = step_id
        self.metadata: dict[str, JSONValue] = {}
        #: What plugins logged about the step, by plugin name (``log_plugin_metadata``).
        self.plugins: dict[str, dict[str, JSONValue]] = {}
        #: True while the step function itself runs (not the plugins' wrappers around it).
        self.in_step = False
        #: The study trial the step belongs to (``zenrun.search.TrialHandle``), for ``zenrun.report``.
        self.trial = trial


#: The ``step_run.settings`` key of a trial's ``zenrun.search.TrialHandle`` (set when the step
#: starts). Defined here rather than in zenrun.search, so that the runner reads it without
#: importing the search spaces (zenrun --help does not need them).
TRIAL_SETTING = "zenrun.search.trial"

_current: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar(
    "zenrun_step_context", default=None
)


class step_context:
    """Make ``step_id`` the running step of this thread while the block runs.

    A class, not a generator: entered around every step, where a generator-based context
    manager costs several times as much."""

    __slots__ = ("context", "token")

    def __init__(self, step_id: str, trial: Any = None) -> None:
        self.context = StepContext(step_id, trial=trial)
        self.token: Any = None

    def __enter__(self) -> StepContext:
        self.token = _current.set(self.context)
        _running.append(self.context)
        return self.context

    def __exit__(self, *exc: object) -> None:
        _current.reset(self.token)
        _running.remove(self.context)


#: The steps running in this process, in every thread.
_running: list[StepContext] = []


def current_step() -> StepContext | None:
    """The context of the step running in this thread (or task), or None outside one."""
    return _current.get()


def running_step(function: str) -> StepContext:
    """The step a call of ``function`` (``zenrun.log_metadata``) belongs to: the one running
    in this thread, else, from a thread a step started (a training loop's callback), the one
    step running in this process; a RuntimeError saying why otherwise."""
    context = _current.get()
    if context is not None:
        return context
    running = list(_running)
    if len(running) == 1:
        return running[0]
    if running:
        raise RuntimeError(
            f"zenrun.{function}() was called from a thread that is not a step's while "
            f"{len(running)} steps run in this process: call it in the step's own thread, or "
            "start the thread in the step's context (contextvars.copy_context().run)"
        )
    raise RuntimeError(
        f"zenrun.{function}() was called outside a running step; call it inside a @step function"
    )


def log_metadata(metadata: Mapping[str, object] | None = None, /, **values: object) -> None:
    """Attach values to the running step's record: ``log_metadata(accuracy=0.95, f1=0.9)``.

    Values must be JSON-like: numbers, booleans, strings, None, and lists or
    string-keyed dicts of them (numpy scalars and arrays are converted).
    Logging a name again replaces its value. Numbers become the step's (and
    its run's) metrics: shown in the results table, ``--runs``, ``--show``,
    ``run.metrics`` and ``step.metadata``.
    """
    context = running_step("log_metadata")
    converted = _converted(context, "log_metadata", {**(metadata or {}), **values})
    if context.in_step:
        context.metadata.update(converted)
    else:  # a plugin's zenrun_step_call wrapper: its values, not the user's metrics
        module = str(sys._getframe(1).f_globals.get("__name__") or "plugin")
        context.plugins.setdefault(module.split(".")[0], {}).update(converted)


def log_plugin_metadata(plugin: str, /, **values: object) -> None:
    """Attach values to the running step's record under the name ``plugin``.

    For plugins (a ``zenrun_step_call`` wrapper, code a plugin runs in the
    step): the values are kept apart from what the step logs with
    :func:`log_metadata`, so they never become the user's metrics. They are
    recorded with the step as ``step_run.plugin_metadata[plugin]``.
    ``zenrun.log_metadata`` called from a wrapper (outside the step function)
    lands there too, under the wrapper's top-level module name.
    """
    context = running_step("log_plugin_metadata")
    if not isinstance(plugin, str) or not plugin:
        raise TypeError(f"log_plugin_metadata() needs a plugin name, got {plugin!r}")
    context.plugins.setdefault(plugin, {}).update(_converted(context, "log_plugin_metadata", values))


def _converted(context: StepContext, function: str, values: Mapping[str, object]) -> dict[str, JSONValue]:
    converted = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise TypeError(
                f"step {context.step_id!r}: {function}() names must be non-empty strings, got {key!r}"
            )
        converted[key] = to_json_value(value, f"step {context.step_id!r}: {function}({key}=...)")
    return converted


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
