"""``@step``, ``StepConfig``, ``Output`` and configured step instances.

Steps know nothing of graphs: a step called inside a pipeline body hands the
call to the composer in :data:`composing`, which :mod:`zenrun.compose` sets.
"""

from __future__ import annotations

import contextvars
import inspect
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

from zenrun.datadeps import parse_duration
from zenrun.errors import ComposeError
from zenrun.settings import check_settings, merge_settings

#: The composer of the pipeline body running in this context, or None. A
#: :class:`zenrun.compose.Composer` sets it while the body runs; a step called
#: then adds a node to its graph instead of refusing to run outside a pipeline.
composing: contextvars.ContextVar[Any] = contextvars.ContextVar("zenrun_composer", default=None)

#: What a step id may hold: letters and digits (any script, as in the Python names a step
#: id comes from by default: ``def étape``), and ``_ - . [ ] =``.
STEP_ID = re.compile(r"[\w\-.\[\]=]+")


def check_step_id(step_id: object) -> str:
    if not isinstance(step_id, str) or not STEP_ID.fullmatch(step_id):
        raise ComposeError(f"invalid step id {step_id!r}: use letters, digits and _ - . [ ] =")
    return step_id


if TYPE_CHECKING:
    from typing import TypedDict, TypeGuard, Unpack

    from zenrun.stepconfig import StepConfig

    class ConfigureArgs(TypedDict, total=False):
        """The keyword arguments of :meth:`StepInstance.configure`."""

        name: str | None
        enable_cache: bool | None
        settings: dict[str, dict[str, Any]] | None


class Output:
    """Named outputs of a step: ``-> Output(X_train=np.ndarray, y_train=np.ndarray)``.

    A tuple returned by the step is mapped onto the names in order.
    """

    def __init__(self, **outputs: object) -> None:
        if not outputs:
            raise TypeError("Output() needs at least one name=type")
        self.outputs: dict[str, object] = dict(outputs)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in self.outputs.items())
        return f"Output({inner})"


SINGLE_OUTPUT = "output"


def __getattr__(name: str) -> Any:
    # StepConfig was defined here; it has its own module now (importing it imports pydantic)
    if name in ("StepConfig", "BaseStepConfig"):
        from zenrun import stepconfig

        return getattr(stepconfig, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def loaded_step_config() -> type[StepConfig] | None:
    """:class:`~zenrun.StepConfig` if its module is imported, else None.

    Importing it imports pydantic; until something has, no value can be a config,
    so "is this a config?" needs no import.
    """
    module = sys.modules.get("zenrun.stepconfig")
    return getattr(module, "StepConfig", None)


def is_step_config(value: object) -> TypeGuard[StepConfig]:
    """Whether ``value`` is a :class:`~zenrun.StepConfig` instance (without importing pydantic)."""
    base = loaded_step_config()
    return base is not None and isinstance(value, base)


def _is_config_class(annotation: object) -> TypeGuard[type[StepConfig]]:
    base = loaded_step_config()
    return base is not None and inspect.isclass(annotation) and issubclass(annotation, base)


class Step:
    """A step: a plain function whose calls inside a pipeline body add graph nodes.

    Outside a pipeline, calling it with only a config (or nothing) returns a
    configured :class:`StepInstance`; ``step.entrypoint(...)`` calls the
    function itself.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        enable_cache: bool | None = None,
        retries: int = 0,
        cache_version: str | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
        reads: list[str] | tuple[str, ...] | str | None = None,
        track_reads: bool = True,
        cache_expires: str | float | None = None,
    ) -> None:
        _check_settings(
            fn, name=name, enable_cache=enable_cache, retries=retries, cache_version=cache_version
        )
        problems = []
        reads = [reads] if isinstance(reads, str) else list(reads or [])
        if not all(isinstance(r, str) and r.strip() for r in reads):
            problems.append(f"reads={reads!r}: must be a list of paths, glob patterns or URLs")
        else:  # each was recorded as a path that never exists: its data changed unseen
            problems += [f"reads=[{r!r}]: a path cannot hold a NUL character" for r in reads if "\0" in r]
            problems += [
                f"reads=[{r!r}]: a URL names a bucket or host" for r in reads if r.strip().endswith("://")
            ]
        if not isinstance(track_reads, bool):
            problems.append(f"track_reads={track_reads!r}: must be True or False")
        expires = None
        if cache_expires is not None:
            try:
                expires = parse_duration(cache_expires)
            except ValueError as exc:
                problems.append(f"cache_expires={cache_expires!r}: {exc}")
        if problems:
            label = getattr(fn, "__qualname__", repr(fn))
            raise StepDefinitionError(f"@step() of step {label!r}: " + "; ".join(problems))
        #: Declared data dependencies; whether the files it opens are followed; the oldest hit.
        self.reads: tuple[str, ...] = tuple(r.strip() for r in reads)
        self.track_reads = track_reads
        self.cache_expires: float | None = expires

        self.fn = fn
        self.name = name or fn.__name__
        self.enable_cache = enable_cache
        try:
            self.settings = check_settings(settings, f"@step(settings=...) of {self.name}")
        except ValueError as exc:
            raise StepDefinitionError(str(exc)) from None
        self.retries = retries
        self.cache_version = cache_version
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__wrapped__ = fn
        self._analyse()

    def _analyse(self) -> None:
        try:
            hints = inspect.get_annotations(self.fn, eval_str=True)
        except Exception:  # unresolvable forward references: fall back to raw
            hints = inspect.get_annotations(self.fn)
        if inspect.iscoroutinefunction(self.fn) or inspect.isasyncgenfunction(self.fn):
            raise TypeError(
                f"step {self.name!r} is an async function: a step is a plain function "
                "(run a coroutine inside it with asyncio.run())"
            )
        if inspect.isgeneratorfunction(self.fn):
            raise TypeError(
                f"step {self.name!r} is a generator function: a step returns its outputs "
                "(return a list of what it would yield)"
            )
        signature = inspect.signature(self.fn)
        self.config_param: str | None = None
        self.config_class: type[StepConfig] | None = None
        self.input_names: list[str] = []
        self.defaults: dict[str, Any] = {}
        for param in signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"step {self.name!r}: *args/**kwargs are not supported")
            annotation = hints.get(param.name)
            if _is_config_class(annotation):
                if self.config_class is not None:
                    raise TypeError(f"step {self.name!r} has more than one StepConfig parameter")
                self.config_param, self.config_class = param.name, annotation
                continue
            self.input_names.append(param.name)
            if param.default is not param.empty:
                self.defaults[param.name] = param.default
        returns = hints.get("return", inspect.Signature.empty)
        if isinstance(returns, Output):
            self.output_types = dict(returns.outputs)
        elif returns is inspect.Signature.empty or returns is None:
            self.output_types = {SINGLE_OUTPUT: Any} if returns is inspect.Signature.empty else {}
        else:
            self.output_types = {SINGLE_OUTPUT: returns}
        self.output_names = list(self.output_types)
        self.input_set = frozenset(self.input_names)  # what a call's keywords are checked against

    # -- calling -------------------------------------------------------------
    def entrypoint(self, *args: Any, **kwargs: Any) -> Any:
        """Call the plain function (for unit tests of a step)."""
        return self.fn(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        composer = composing.get()
        if composer is not None:  # in a pipeline body: a node, with no instance made for it
            return composer.add_call(self, None, args, kwargs)
        return StepInstance(self)(*args, **kwargs)

    def with_config(self, config: StepConfig | dict[str, Any] | None = None, **fields: Any) -> StepInstance:
        """A configured instance: ``svc_trainer.with_config(gamma=0.01)``."""
        return StepInstance(self).with_config(config, **fields)

    def configure(self, **settings: Unpack[ConfigureArgs]) -> StepInstance:
        """A configured instance with ``name=`` or ``enable_cache=`` set."""
        return StepInstance(self).configure(**settings)

    def __repr__(self) -> str:
        return f"<step {self.name}>"

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # A worker process that imports the project (``-n``) gets the step from its module,
        # with the module's own globals (a lock, a connection, a big constant), instead of a
        # copy of the function and every global it reads pickled into each task. By value
        # still when the module is shipped by value (Dask) or the step is not reachable.
        found = _module_attribute(self.__module__, self.__qualname__)
        if found is self and self.__module__ not in _pickled_by_value():
            return _step_by_reference, (self.__module__, self.__qualname__)
        return object.__reduce_ex__(self, protocol)


def _module_attribute(module_name: str, qualname: str) -> object:
    module = sys.modules.get(module_name)
    if module is None or module_name == "__main__" or "<locals>" in qualname:
        return None
    value: object = module
    for part in qualname.split("."):
        value = getattr(value, part, None)
    return value


def _pickled_by_value() -> set[str]:
    cloudpickle = sys.modules.get("cloudpickle")  # not imported: nothing is registered
    return set(cloudpickle.list_registry_pickle_by_value()) if cloudpickle else set()


def _step_by_reference(module_name: str, qualname: str) -> Step:
    import importlib

    value: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        value = getattr(value, part)
    step: Step = value
    return step


class StepInstance:
    """A step with its config and settings, ready to be called in a pipeline body."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.config: StepConfig | dict[str, Any] | None = None
        self.name: str | None = None
        self.enable_cache: bool | None = None
        self.settings: dict[str, dict[str, Any]] = {}
        self.upstream: list[StepInstance] = []

    @property
    def id(self) -> str:
        return self.name or self.step.name

    def with_config(self, config: StepConfig | dict[str, Any] | None = None, **fields: Any) -> StepInstance:
        """Set the config (an instance, a dict, or fields); validated at compose time."""
        if config is not None and fields:
            raise TypeError("pass a config object or fields, not both")
        if self.step.config_class is None:
            raise TypeError(f"step {self.step.name!r} has no StepConfig parameter")
        self.config = config if config is not None else dict(fields)
        return self

    def configure(
        self,
        *,
        name: str | None = None,
        enable_cache: bool | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> StepInstance:
        """Rename this invocation (``name=``), set its caching or plugin ``settings``; returns self."""
        _check_settings(self.step.fn, name=name, enable_cache=enable_cache, what=".configure()")
        if settings is not None:
            try:
                checked = check_settings(settings, f"configure(settings=...) of {self.step.name}")
            except ValueError as exc:
                raise StepDefinitionError(str(exc)) from None
            self.settings = merge_settings(self.settings, checked)
        if name is not None:
            self.name = name
        if enable_cache is not None:
            self.enable_cache = enable_cache
        return self

    def after(self, other: StepInstance) -> StepInstance:
        """Run this step after ``other`` (an ordering edge, no data)."""
        if not isinstance(other, StepInstance):
            composer = composing.get()
            where = f"pipeline {composer.pipeline_name!r}, " if composer is not None else ""
            raise ComposeError(
                f"{where}step {self.id!r}: .after() takes a step instance that the pipeline calls, "
                f"e.g. first = step.configure(name='first'); first(); then .after(first); got {other!r}"
            )
        self.upstream.append(other)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        composer = composing.get()
        if composer is not None:
            return composer.add_call(self.step, self, args, kwargs)
        config_only = (
            not kwargs and len(args) == 1 and (is_step_config(args[0]) or isinstance(args[0], dict))
        ) or (not args and set(kwargs) <= {self.step.config_param, "config"})
        if not args and not kwargs:
            return self._copy()
        if config_only and self.step.config_class is not None:
            config = args[0] if args else next(iter(kwargs.values()))
            return self._copy().with_config(config)
        raise TypeError(
            f"step {self.step.name!r} was called with inputs outside a pipeline; "
            f"call {self.step.name}.entrypoint(...) to run the function directly"
        )

    def _copy(self) -> StepInstance:
        clone = StepInstance(self.step)
        clone.config, clone.name, clone.enable_cache = self.config, self.name, self.enable_cache
        clone.settings = self.settings
        clone.upstream = list(self.upstream)
        return clone

    def __repr__(self) -> str:
        return f"<step instance {self.id}>"


class StepDefinitionError(TypeError):
    """A ``@step(...)`` or ``.configure(...)`` argument of the wrong type or value."""


def _check_settings(
    fn: object,
    *,
    name: object = None,
    enable_cache: object = None,
    retries: object = 0,
    cache_version: object = None,
    what: str = "@step()",
) -> None:
    """Reject bad decorator arguments where they are written, naming step and field."""
    label = getattr(fn, "__qualname__", repr(fn))
    problems = []
    if name is not None:
        try:
            check_step_id(name)
        except ComposeError:
            problems.append(f"name={name!r}: a step id holds only letters, digits and _ - . [ ] =")
    if enable_cache is not None and not isinstance(enable_cache, bool):
        problems.append(f"enable_cache={enable_cache!r}: must be True, False or None")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        problems.append(f"retries={retries!r}: must be an integer >= 0")
    if cache_version is not None and not isinstance(cache_version, (str, int)):
        problems.append(f"cache_version={cache_version!r}: must be a string (or None)")
    if problems:
        raise StepDefinitionError(f"{what} of step {label!r}: " + "; ".join(problems))


@overload
def step(fn: Callable[..., Any]) -> Step: ...
@overload
def step(
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    retries: int = 0,
    cache_version: str | None = None,
    settings: dict[str, dict[str, Any]] | None = None,
    reads: list[str] | tuple[str, ...] | str | None = None,
    track_reads: bool = True,
    cache_expires: str | float | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    retries: int = 0,
    cache_version: str | None = None,
    settings: dict[str, dict[str, Any]] | None = None,
    reads: list[str] | tuple[str, ...] | str | None = None,
    track_reads: bool = True,
    cache_expires: str | float | None = None,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Make a function a pipeline step: ``@step`` or ``@step(enable_cache=False, ...)``.

    ``settings={"namespace": {...}}`` carries per-step settings for the plugin
    owning that namespace (see :mod:`zenrun.settings`). The files a step opens
    and the folders it lists are part of its cache validity; ``reads=[...]``
    declares what zenrun cannot see (paths and glob patterns under the rootdir,
    fsspec URLs), ``track_reads=False`` stops following what it opens, and
    ``cache_expires="6h"`` bounds how old a cache hit may be.
    """
    if fn is not None and not callable(fn):
        raise StepDefinitionError(
            f"@step({fn!r}): the step's settings are keyword arguments, e.g. @step(name={fn!r})"
        )

    def decorate(func: Callable[..., Any]) -> Step:
        if not inspect.isfunction(func):
            # Its code is what the cache fingerprints and what tracebacks point at.
            kind = f"{type(func).__module__}.{type(func).__qualname__}"
            raise StepDefinitionError(
                f"step({func!r:.100}): a step must be a function defined with 'def' (got {kind}); "
                "define one that calls it, e.g.\n\n    @step\n    def my_step(x):\n        return f(x, k=3)"
            )
        return Step(
            func,
            name=name,
            enable_cache=enable_cache,
            retries=retries,
            cache_version=cache_version,
            settings=settings,
            reads=reads,
            track_reads=track_reads,
            cache_expires=cache_expires,
        )

    return decorate(fn) if fn is not None else decorate
