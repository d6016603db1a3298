"""``StepConfig``: the pydantic model a step's config parameter receives.

Its own module because importing it imports pydantic (a third of a cached run's
start-up): a pipeline whose steps take no config never pays for it. Code that asks
"is this a config?" without importing pydantic uses :func:`zenrun.steps.loaded_step_config`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["BaseStepConfig", "GatherStepsParameters", "StepConfig", "gathers"]


class StepConfig(BaseModel):
    """Base class of step configs: a pydantic model passed to the step's config parameter.

    Unknown fields are rejected so that a typo in a run config is an error,
    not a silently ignored value.
    """

    model_config = ConfigDict(extra="forbid")


#: The seed's name for :class:`StepConfig`.
BaseStepConfig = StepConfig


class GatherStepsParameters(StepConfig):
    """A step config that gathers the outputs of earlier steps, by id prefix or ids.

    A step whose config is one of these receives those outputs as real
    inputs (wired in the graph, in its cache key and lineage); inside the
    step, ``MyOutputs.gather(config)`` returns them.
    """

    output_steps_prefix: str | None = None
    output_steps_names: list[str] | None = None


def gathers(params: GatherStepsParameters, step_id: str) -> bool:
    """Whether ``params`` selects the outputs of the step ``step_id``."""
    if params.output_steps_names is not None and step_id in params.output_steps_names:
        return True
    prefix = params.output_steps_prefix
    return bool(prefix and step_id.startswith(prefix))
