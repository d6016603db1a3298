"""The seed's class API: ``DynamicPipeline``, ``as_template_of``, gathering parameters.

A ``DynamicPipeline`` subclass builds configured step instances in
``__init__`` and wires them in ``connect``; ``as_template_of(name)`` makes a
named subclass so one piece of logic gives many pipelines.
"""

from __future__ import annotations

import copyreg
import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from zenrun.compose import ComposedPipeline, Composer
from zenrun.errors import ComposeError
from zenrun.pipelines import Runnable
from zenrun.stepconfig import GatherStepsParameters, gathers
from zenrun.stepcontext import gathered_outputs
from zenrun.steps import Output, StepInstance

if TYPE_CHECKING:
    from typing import Self


class OutputParameters(BaseModel):
    """Declares a step's named outputs as a model.

    ``MyOutputs.as_output()`` is the matching ``Output(...)`` annotation;
    ``MyOutputs.gather(params)``, inside a gathering step, returns one
    ``MyOutputs`` per gathered step.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    def as_output(cls) -> Output:
        return Output(**{name: f.annotation for name, f in cls.model_fields.items()})

    @classmethod
    def gather(cls, params: GatherStepsParameters) -> list[Self]:
        values = gathered_outputs()
        if values is None:
            raise RuntimeError(
                f"{cls.__name__}.gather() must be called inside a step whose "
                "config is a GatherStepsParameters"
            )
        fields = set(cls.model_fields)
        return [
            cls(**{k: v for k, v in outputs.items() if k in fields})
            for step_id, outputs in values.items()
            if fields <= set(outputs) and gathers(params, step_id)
        ]


_templates: dict[tuple[str, str], type[DynamicPipeline]] = {}


class _DynamicPipelineType(type):
    """The metaclass of DynamicPipeline: pickles templates by (module, name)."""


def _template(module: str, name: str) -> type[DynamicPipeline]:
    """The template ``name`` made by ``as_template_of`` in ``module`` (imported if needed)."""
    if (module, name) not in _templates:
        importlib.import_module(module)  # importing the module makes its templates again
    try:
        return _templates[(module, name)]
    except KeyError:
        raise LookupError(f"no pipeline template {name!r} is made in module {module!r}") from None


def _reduce_pipeline_class(
    cls: type[Any],
) -> tuple[Callable[[str, str], type[DynamicPipeline]], tuple[str, str]] | str:
    # A template is found through the registry, so the module may rebind its
    # name (``iris = HPO.as_template_of("iris")(...)``); other classes by name.
    key = cls.__dict__.get("_template_key")
    return (_template, key) if key is not None else cls.__qualname__


copyreg.pickle(_DynamicPipelineType, _reduce_pipeline_class)


class DynamicPipeline(Runnable, metaclass=_DynamicPipelineType):
    """A pipeline class whose steps are built in ``__init__`` and wired in ``connect``.

    ``super().__init__(*steps, **kwargs)`` takes every configured step
    instance; ``connect(**steps)`` receives them by id and calls them.
    """

    pipeline_name: ClassVar[str | None] = None

    def __init__(self, *steps: StepInstance, enable_cache: bool | None = None, **kwargs: Any) -> None:
        self.steps: dict[str, StepInstance] = {}
        for instance in steps:
            if not isinstance(instance, StepInstance):
                raise TypeError(
                    f"{type(self).__name__}: expected configured step instances, got {instance!r}"
                )
            if instance.id in self.steps:
                raise ComposeError(
                    f"pipeline {self.name!r}: two steps are named {instance.id!r}; "
                    "rename one with .configure(name=...)"
                )
            self.steps[instance.id] = instance
        self.kwargs = kwargs
        self.enable_cache = enable_cache

    @property
    def name(self) -> str:  # type: ignore[override]
        return type(self).pipeline_name or type(self).__name__

    def connect(self, **steps: StepInstance) -> None:
        """Call the steps to wire the graph; override in a subclass."""
        raise NotImplementedError(f"{type(self).__name__} must define connect()")

    def compose(
        self,
        params: dict[str, Any] | None = None,
        *,
        run_config: dict[str, dict[str, Any]] | None = None,
        fixture_lookup: Callable[[str], object] | None = None,
        item_id: str | None = None,
    ) -> ComposedPipeline:
        with Composer(self.name, run_config=run_config, fixture_lookup=fixture_lookup) as composer:
            self.connect(**self.steps)
        return composer.finish(self.enable_cache, item_id)

    @classmethod
    def as_template_of(cls, name: str) -> type[DynamicPipeline]:
        """A new pipeline class named ``name`` with this class's logic.

        The class is registered by (calling module, ``name``) and also bound
        to ``name`` in the calling module when that name is free there, so
        pickle (and so the parallel and Dask orchestrators) can find it by
        module and name, even in another process that imports the module.
        """
        caller = sys._getframe(1).f_globals
        module = caller.get("__name__", cls.__module__)
        metaclass: Callable[..., type[DynamicPipeline]] = type(cls)
        template = metaclass(
            name,
            (cls,),
            {
                "pipeline_name": name,
                "__module__": module,
                "__qualname__": name,
                "_template_key": (module, name),
            },
        )
        _templates[(module, name)] = template
        if name not in caller:
            caller[name] = template
        return template

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pipeline {self.name} with {len(self.steps)} steps>"
