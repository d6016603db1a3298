"""zenrun: run machine-learning pipelines the way pytest runs tests.

Public names are re-exported from their modules on first use, so that
``import zenrun`` (and ``zenrun --help``) stays fast: pydantic is imported
only when a step or config is defined.
"""

from __future__ import annotations

import importlib

from zenrun.heap import paused_collector

# ``typing`` is not imported at run time: a tenth of what ``import zenrun`` would cost.
# Type checkers read this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The marker ``zenrun.hookspec`` shares its name with the module of the hook specifications.
# The module is imported now (it imports no third-party package) so that the import
# system binds the name to it now, once, and the binding is undone here: the markers,
# pluggy's, are then made on first use by ``__getattr__``, and pluggy imported with them.
importlib.import_module("zenrun.hookspec")
del globals()["hookspec"]

__version__ = "0.1.0"
version_tuple: tuple[int | str, ...] = tuple(
    int(part) if part.isdigit() else part for part in __version__.split(".")
)
"""``__version__`` as a tuple, as ``pytest.version_tuple``: ``(0, 1, 0)``; a part that is not a
number stays a string (``"1.2.dev3"``: ``(1, 2, "dev3")``)."""

_EXPORTS = {
    # The plugin contract (docs/plugins.md).
    "hookimpl": "zenrun.hookspec",
    "hookspec": "zenrun.hookspec",
    "AmbiguousRunError": "zenrun.protocols",
    "ArtifactError": "zenrun.protocols",
    "ArtifactStoreError": "zenrun.protocols",
    "ArtifactStore": "zenrun.protocols",
    "Cache": "zenrun.protocols",
    "Execution": "zenrun.protocols",
    "InputArtifactError": "zenrun.remote",
    "Materializer": "zenrun.protocols",
    "MaterializerRegistry": "zenrun.protocols",
    "MetadataStore": "zenrun.protocols",
    "Orchestrator": "zenrun.protocols",
    "ProtocolError": "zenrun.protocols",
    "StepTask": "zenrun.remote",
    "TaskResult": "zenrun.remote",
    "execute_task": "zenrun.remote",
    "pack_task": "zenrun.remote",
    "run_packed_task": "zenrun.remote",
    "run_task": "zenrun.remote",
    "ship_project_code": "zenrun.remote",
    # Records, and reading artifacts with a given config (what plugins show or log).
    "ArtifactRef": "zenrun.metadata.records",
    "Item": "zenrun.collect",
    "ItemReport": "zenrun.reports",
    "PipelineRun": "zenrun.metadata.records",
    "StepRun": "zenrun.metadata.records",
    "api_config": "zenrun.config",
    "redact_url": "zenrun.config",
    "artifact_uri": "zenrun.metadata.api",
    "load_artifact": "zenrun.metadata.api",
    # Writing and running pipelines.
    "BaseStepConfig": "zenrun.stepconfig",
    "ComposeError": "zenrun.errors",
    "DynamicPipeline": "zenrun.dynamic",
    "ExitCode": "zenrun.errors",
    "GatherStepsParameters": "zenrun.stepconfig",
    "Output": "zenrun.steps",
    "OutputParameters": "zenrun.dynamic",
    "StepConfig": "zenrun.stepconfig",
    "UsageError": "zenrun.errors",
    "ZenrunCacheWarning": "zenrun.errors",
    "ZenrunConfigWarning": "zenrun.errors",
    "ZenrunUnhandledThreadExceptionWarning": "zenrun.errors",
    "ZenrunUnknownMarkWarning": "zenrun.errors",
    "ZenrunUnraisableExceptionWarning": "zenrun.errors",
    "ZenrunWarning": "zenrun.errors",
    "fixture": "zenrun.fixtures",
    "FixtureLookupError": "zenrun.fixtures",
    # The built-in fixtures' classes (for annotations: ``def p(monkeypatch: zenrun.MonkeyPatch)``).
    "CacheValues": "zenrun.lastfailed",
    "CaptureFixture": "zenrun.capture",
    "CaptureResult": "zenrun.capture",
    "LogCaptureFixture": "zenrun.logcapture",
    "MonkeyPatch": "zenrun.monkeypatch",
    # A plugin's state on the config and items (``config.stash[key]``), as pytest's.
    "Stash": "zenrun.stash",
    "StashKey": "zenrun.stash",
    "TempPathFactory": "zenrun.tmpdir",
    "WarningsRecorder": "zenrun.recwarn",
    "gather": "zenrun.compose",
    "exit": "zenrun.outcomes",
    "fail": "zenrun.outcomes",
    "get_item": "zenrun.metadata.api",
    "get_pipeline": "zenrun.metadata.api",
    "get_run": "zenrun.metadata.api",
    "importorskip": "zenrun.outcomes",
    "item_params": "zenrun.metadata.api",
    "log_metadata": "zenrun.stepcontext",
    "log_plugin_metadata": "zenrun.stepcontext",
    "report": "zenrun.search",
    "get_study": "zenrun.metadata.api",
    "track": "zenrun.datadeps",
    "main": "zenrun.main",
    "mark": "zenrun.marks",
    "param": "zenrun.marks",
    "HIDDEN_PARAM": "zenrun.marks",
    "pipeline": "zenrun.pipelines",
    "runs_table": "zenrun.metadata.api",
    "set_trace": "zenrun.debugging",
    "skip": "zenrun.outcomes",
    "xfail": "zenrun.outcomes",
    "step": "zenrun.steps",
}

__all__ = [
    "HIDDEN_PARAM",
    "AmbiguousRunError",
    "ArtifactError",
    "ArtifactRef",
    "ArtifactStore",
    "ArtifactStoreError",
    "BaseStepConfig",
    "Cache",
    "CacheValues",
    "CaptureFixture",
    "CaptureResult",
    "ComposeError",
    "DynamicPipeline",
    "Execution",
    "ExitCode",
    "FixtureLookupError",
    "GatherStepsParameters",
    "InputArtifactError",
    "Item",
    "ItemReport",
    "LogCaptureFixture",
    "Materializer",
    "MaterializerRegistry",
    "MetadataStore",
    "MonkeyPatch",
    "Orchestrator",
    "Output",
    "OutputParameters",
    "PipelineRun",
    "ProtocolError",
    "Stash",
    "StashKey",
    "StepConfig",
    "StepRun",
    "StepTask",
    "TaskResult",
    "TempPathFactory",
    "UsageError",
    "WarningsRecorder",
    "ZenrunCacheWarning",
    "ZenrunConfigWarning",
    "ZenrunUnhandledThreadExceptionWarning",
    "ZenrunUnknownMarkWarning",
    "ZenrunUnraisableExceptionWarning",
    "ZenrunWarning",
    "api_config",
    "artifact_uri",
    "execute_task",
    "exit",
    "fail",
    "fixture",
    "gather",
    "get_item",
    "get_pipeline",
    "get_run",
    "get_study",
    "hookimpl",
    "hookspec",
    "importorskip",
    "item_params",
    "load_artifact",
    "log_metadata",
    "log_plugin_metadata",
    "main",
    "mark",
    "pack_task",
    "param",
    "pipeline",
    "redact_url",
    "report",
    "run_packed_task",
    "run_task",
    "runs_table",
    "search",
    "set_trace",
    "ship_project_code",
    "skip",
    "step",
    "track",
    "version_tuple",
    "xfail",
]


#: pytest's assertion helpers, for checks written as pytest users write them: pytest's own
#: (imported on first use; pytest is not a dependency of zenrun's).
_PYTEST_HELPERS = ("approx", "deprecated_call", "raises", "warns")


def _import(module: str) -> Any:
    # Importing zenrun's modules (and pydantic with them) creates tens of thousands of
    # objects and no garbage; in a process that imported scikit-learn or pandas first,
    # the collector would walk that whole heap once or twice meanwhile (zenrun/heap.py).
    with paused_collector():
        return importlib.import_module(module)


def __getattr__(name: str) -> Any:
    if name == "search":  # zenrun.search.float(...): the module of search spaces
        value = _import("zenrun.search")
        globals()[name] = value
        return value
    if name in _PYTEST_HELPERS:
        try:
            value = getattr(_import("pytest"), name)
        except ImportError:
            raise AttributeError(
                f"zenrun.{name} is pytest's {name}: install pytest to use it (pip install pytest)"
            ) from None
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zenrun' has no attribute {name!r}")
    value = getattr(_import(module), name)
    globals()[name] = value
    return value


#: Names this module binds for its own use, not part of zenrun's API.
_MODULE_HELPERS = frozenset({"annotations", "Any", "importlib", "TYPE_CHECKING"})


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_PYTEST_HELPERS, "search"} - _MODULE_HELPERS)


if TYPE_CHECKING:
    from pytest import approx as approx
    from pytest import deprecated_call as deprecated_call
    from pytest import raises as raises
    from pytest import warns as warns

    from zenrun.capture import CaptureFixture, CaptureResult
    from zenrun.collect import Item
    from zenrun.compose import gather
    from zenrun.config import api_config, redact_url
    from zenrun.datadeps import track
    from zenrun.debugging import set_trace
    from zenrun.dynamic import DynamicPipeline, OutputParameters
    from zenrun.errors import (
        ComposeError,
        ExitCode,
        UsageError,
        ZenrunCacheWarning,
        ZenrunConfigWarning,
        ZenrunUnhandledThreadExceptionWarning,
        ZenrunUnknownMarkWarning,
        ZenrunUnraisableExceptionWarning,
        ZenrunWarning,
    )
    from zenrun.fixtures import FixtureLookupError, fixture
    from zenrun.hookspec import hookimpl, hookspec
    from zenrun.lastfailed import CacheValues
    from zenrun.logcapture import LogCaptureFixture
    from zenrun.main import main
    from zenrun.marks import HIDDEN_PARAM, mark, param
    from zenrun.metadata.api import (
        artifact_uri,
        get_item,
        get_pipeline,
        get_run,
        get_study,
        item_params,
        load_artifact,
        runs_table,
    )
    from zenrun.metadata.records import ArtifactRef, PipelineRun, StepRun
    from zenrun.monkeypatch import MonkeyPatch
    from zenrun.outcomes import exit, fail, importorskip, skip, xfail
    from zenrun.pipelines import pipeline
    from zenrun.protocols import (
        AmbiguousRunError,
        ArtifactError,
        ArtifactStore,
        ArtifactStoreError,
        Cache,
        Execution,
        Materializer,
        MaterializerRegistry,
        MetadataStore,
        Orchestrator,
        ProtocolError,
    )
    from zenrun.recwarn import WarningsRecorder
    from zenrun.remote import (
        InputArtifactError,
        StepTask,
        TaskResult,
        execute_task,
        pack_task,
        run_packed_task,
        run_task,
        ship_project_code,
    )
    from zenrun.reports import ItemReport
    from zenrun.search import report
    from zenrun.stepconfig import BaseStepConfig, GatherStepsParameters, StepConfig
    from zenrun.stepcontext import log_metadata, log_plugin_metadata
    from zenrun.steps import Output, step
    from zenrun.tmpdir import TempPathFactory
