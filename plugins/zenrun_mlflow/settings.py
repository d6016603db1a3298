"""The ``mlflow`` step settings namespace: ``@step(settings={"mlflow": {...}})``."""

from __future__ import annotations

import pydantic


class MlflowSettings(pydantic.BaseModel):
    """Per-step MLflow settings, validated by zenrun before a run starts."""

    model_config = pydantic.ConfigDict(extra="forbid")

    #: Log this step as a nested MLflow run (False: leave it out).
    log: bool = True
    #: Log the step's config fields as MLflow params.
    log_config: bool = True
    #: Extra tags on the step's MLflow run.
    tags: dict[str, str] = {}
