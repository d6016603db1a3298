"""zenrun: run machine-learning pipelines the way pytest runs tests.

Public names are re-exported from their modules on first use, so that
``import zenrun`` (and ``zenrun --help``) stays fast: pydantic is imported
only when a step or config is defined.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The markers share their name with the module that defines them, so they are
# bound eagerly: a lazy lookup would find the submodule once it is imported.
from zenrun.hookspec import hookimpl, hookspec

__version__ = "0.1.0"

_EXPORTS = {
    "BaseStepConfig": "zenrun.steps",
    "ComposeError": "zenrun.compose",
    "DynamicPipeline": "zenrun.dynamic",
    "ExitCode": "zenrun.config",
    "GatherStepsParameters": "zenrun.dynamic",
    "Output": "zenrun.steps",
    "OutputParameters": "zenrun.dynamic",
    "StepConfig": "zenrun.steps",
    "UsageError": "zenrun.config",
    "fixture": "zenrun.fixtures",
    "gather": "zenrun.compose",
    "fail": "zenrun.outcomes",
    "get_pipeline": "zenrun.metadata.api",
    "get_run": "zenrun.metadata.api",
    "main": "zenrun.main",
    "mark": "zenrun.marks",
    "param": "zenrun.marks",
    "pipeline": "zenrun.pipelines",
    "skip": "zenrun.outcomes",
    "xfail": "zenrun.outcomes",
    "step": "zenrun.steps",
}

__all__ = sorted([*_EXPORTS, "hookimpl", "hookspec"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zenrun' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from zenrun.compose import ComposeError, gather
    from zenrun.config import ExitCode, UsageError
    from zenrun.dynamic import DynamicPipeline, GatherStepsParameters, OutputParameters
    from zenrun.fixtures import fixture
    from zenrun.main import main
    from zenrun.marks import mark, param
    from zenrun.metadata.api import get_pipeline, get_run
    from zenrun.outcomes import fail, skip, xfail
    from zenrun.pipelines import pipeline
    from zenrun.steps import BaseStepConfig, Output, StepConfig, step
