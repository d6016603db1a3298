"""The zenrun plugin: options, the ``mlflow`` step settings, and the tracker on demand.

Registered through the ``zenrun`` entry-point group; it imports mlflow only
when ``--mlflow`` or ``--mlflow-tracking-uri`` is given, so installing it does
not slow down other runs.
"""

from __future__ import annotations

from typing import Any

import zenrun
from zenrun import hookimpl


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("mlflow", "MLflow tracking (plugin zenrun_mlflow)")
    group.addoption(
        "--mlflow",
        action="store_true",
        default=False,
        help="log every pipeline run to MLflow (default store: <store>/mlflow.db)",
    )
    group.addoption(
        "--mlflow-tracking-uri",
        default=None,
        metavar="URI",
        help="MLflow tracking URI to log to (implies --mlflow)",
    )
    group.addoption(
        "--mlflow-experiment",
        default=None,
        metavar="NAME",
        help="MLflow experiment for all runs (default: the pipeline's name)",
    )


@hookimpl
def zenrun_step_settings() -> dict[str, str]:
    # by path: imported (pydantic with it) only when a step sets it or the tracker reads it
    return {"mlflow": "zenrun_mlflow.settings:MlflowSettings"}


@hookimpl
def zenrun_configure(config: Any) -> None:
    uri = config.getoption("mlflow_tracking_uri", None)
    if not (config.getoption("mlflow", False) or uri):
        return
    try:
        import mlflow  # noqa: F401
    except ImportError as exc:
        raise zenrun.UsageError(
            f"--mlflow needs mlflow ({exc}); install it with: pip install 'zenrun[mlflow]'"
        ) from None
    from zenrun_mlflow.tracker import MlflowTracker

    tracker = MlflowTracker(
        uri or f"sqlite:///{config.store_path / 'mlflow.db'}",
        experiment=config.getoption("mlflow_experiment", None),
    )
    config.pluginmanager.register(tracker, "mlflow-tracker")


@hookimpl
def zenrun_report_header(config: Any) -> str | None:
    tracker = config.pluginmanager.get_plugin("mlflow-tracker")
    return f"mlflow: {tracker.tracking_uri}" if tracker is not None else None
