"""``@pipeline``: a function whose body composes steps, and its runnable instances."""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from zenrun.config import api_config
from zenrun.errors import ComposeError, ZenrunWarning
from zenrun.heap import frozen_heap
from zenrun.metadata.api import get_pipeline
from zenrun.outcomes import fail
from zenrun.runconfig import load_run_config

if TYPE_CHECKING:
    from zenrun.compose import ComposedPipeline
    from zenrun.marks import Mark
    from zenrun.metadata.records import PipelineRun


class Runnable:
    """What pipeline instances and DynamicPipeline templates share: run and history."""

    name: str
    enable_cache: bool | None = None

    def compose(
        self,
        params: dict[str, Any] | None = None,
        *,
        run_config: dict[str, dict[str, Any]] | None = None,
        fixture_lookup: Callable[[str], object] | None = None,
        item_id: str | None = None,
    ) -> ComposedPipeline:
        raise NotImplementedError

    def run(
        self,
        enable_cache: bool | None = None,
        *,
        config_path: str | None = None,
        orchestrator: str | None = None,
    ) -> PipelineRun:
        """Compose and run once; returns the recorded :class:`PipelineRun`.

        ``enable_cache=False`` disables caching for this run only.
        ``config_path`` is a YAML run config (``steps.<id>.parameters...``).
        """
        with frozen_heap():  # the objects alive now are no garbage: out of the collector's passes
            # Imported here: running imports pydantic (through compose and steps), which
            # collecting pipeline modules and `zenrun --help` do not need.
            from zenrun.execution import run_pipeline

            config = api_config()
            run_config = load_run_config(config_path) if config_path else None
            if run_config and run_config.enable_cache is not None and enable_cache is None:
                enable_cache = run_config.enable_cache
            composed = self.compose(run_config=run_config.steps if run_config else None)
            return run_pipeline(
                composed,
                config,
                enable_cache=enable_cache,
                orchestrator=config.make_orchestrator(orchestrator),
            )

    def get_runs(self) -> list[PipelineRun]:
        """Recorded runs of this pipeline, oldest first."""
        return get_pipeline(self.name).runs


def _mock_patch_args(fn: Callable[..., Any]) -> int:
    """How many arguments ``@unittest.mock.patch`` decorators (or the ``mock`` package's)
    add to ``fn``'s calls: pytest's ``num_mock_patch_args``."""
    patchings = getattr(fn, "patchings", None)
    if not patchings:
        return 0
    sentinels = [getattr(sys.modules.get(name), "DEFAULT", None) for name in ("mock", "unittest.mock")]
    return sum(
        1
        for p in patchings
        if not getattr(p, "attribute_name", None)
        and any(getattr(p, "new", None) is s for s in sentinels if s)
    )


class Pipeline:
    """A pipeline definition made by ``@pipeline``; call it to get an instance."""

    def __init__(
        self, fn: Callable[..., Any], *, name: str | None = None, enable_cache: bool | None = None
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.enable_cache = enable_cache
        signature = inspect.signature(fn)
        # As pytest: the leading arguments unittest.mock's @patch decorators pass are theirs.
        mocked = _mock_patch_args(fn)
        self.signature = signature.replace(parameters=list(signature.parameters.values())[mocked:])
        self.argnames = list(self.signature.parameters)
        self.defaults = {
            n: p.default for n, p in self.signature.parameters.items() if p.default is not p.empty
        }
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__wrapped__ = fn
        # Marks applied below the @pipeline decorator sit on the function.
        self.zenrun_marks: list[Mark] = list(getattr(fn, "zenrun_marks", []))

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineInstance:
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"pipeline {self.name!r}: {exc}") from None
        return PipelineInstance(self, dict(bound.arguments))

    def compose(
        self,
        params: dict[str, Any],
        *,
        run_config: dict[str, dict[str, Any]] | None = None,
        fixture_lookup: Callable[[str], object] | None = None,
        item_id: str | None = None,
    ) -> ComposedPipeline:
        """Run the body with ``params``; returns the composed graph."""
        if inspect.iscoroutinefunction(self.fn) or inspect.isasyncgenfunction(self.fn):
            _async_fail(self.name)
        missing = [n for n in self.argnames if n not in params and n not in self.defaults]
        if missing:
            raise ComposeError(f"pipeline {self.name!r}: no value for parameter(s) {', '.join(missing)}")
        from zenrun.compose import Composer  # imports pydantic (through steps): not needed to collect

        arguments = {**self.defaults, **params}

        def config_lookup(name: str) -> object:
            # A step's config parameter named like a parameter of the pipeline gets what the
            # pipeline was given under that name (an instance's argument, a parametrized value,
            # the fixture), then a fixture of that name, then the pipeline's default.
            if name in params:
                return params[name]
            found = fixture_lookup(name) if fixture_lookup is not None else None
            return found if found is not None else self.defaults.get(name)

        with Composer(self.name, run_config=run_config, fixture_lookup=config_lookup) as composer:
            result = self.fn(**arguments)
        if hasattr(result, "__await__") or hasattr(result, "__aiter__"):
            close = getattr(result, "close", None)
            if callable(close):  # no "never awaited" warning on top of the error
                close()
            _async_fail(self.name, f"returned {type(result).__name__} {result!r}")
        elif result is not None:  # as pytest's PytestReturnNotNoneWarning
            warnings.warn(
                ZenrunWarning(
                    f"Pipeline functions should return None, but {item_id or self.name} returned "
                    f"{type(result)!r}.\nDid you mean to use `assert` instead of `return`?"
                ),
                stacklevel=1,
            )
        return composer.finish(self.enable_cache, item_id)

    def __repr__(self) -> str:
        return f"<pipeline {self.name}>"

    if not TYPE_CHECKING:  # (mypy would let any attribute of a Pipeline through)

        def __getattr__(self, name: str) -> Any:
            """An attribute the function has and the pipeline has not (one a decorator below
            ``@pipeline`` set), read through the pipeline: pytest's test function is one
            object, and ``metafunc.function`` is the pipeline as its module binds it. Not the
            dunders: ``__code__`` and its kin would make a pipeline pass for a function."""
            fn = self.__dict__.get("fn")
            if fn is None or (name.startswith("__") and name.endswith("__")):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            try:
                return getattr(fn, name)
            except AttributeError:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None


def _async_fail(name: str, what: str = "is a coroutine function") -> None:
    """As pytest fails an ``async def`` test (or one returning an awaitable) it has no plugin
    to run."""
    fail(
        f"async def functions are not natively supported: pipeline {name!r} {what}; write it "
        "as a plain def (its steps may run async code inside)",
        pytrace=False,
    )


class PipelineInstance(Runnable):
    """A pipeline with some or all of its parameters bound, ready to ``.run()``."""

    def __init__(self, pipeline: Pipeline, kwargs: dict[str, Any]) -> None:
        self.pipeline = pipeline
        self.kwargs = kwargs
        self.name = pipeline.name
        self.enable_cache = pipeline.enable_cache

    def compose(
        self,
        params: dict[str, Any] | None = None,
        *,
        run_config: dict[str, dict[str, Any]] | None = None,
        fixture_lookup: Callable[[str], object] | None = None,
        item_id: str | None = None,
    ) -> ComposedPipeline:
        return self.pipeline.compose(
            {**(params or {}), **self.kwargs},
            run_config=run_config,
            fixture_lookup=fixture_lookup,
            item_id=item_id,
        )

    def __repr__(self) -> str:
        return f"<pipeline instance {self.name}>"


@overload
def pipeline(fn: Callable[..., Any]) -> Pipeline: ...
@overload
def pipeline(
    *, name: str | None = None, enable_cache: bool | None = None
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    fn: Callable[..., Any] | None = None, *, name: str | None = None, enable_cache: bool | None = None
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make a function a pipeline: ``@pipeline`` or ``@pipeline(enable_cache=False, name=...)``."""

    def decorate(func: Callable[..., Any]) -> Pipeline:
        return Pipeline(func, name=name, enable_cache=enable_cache)

    return decorate(fn) if fn is not None else decorate
