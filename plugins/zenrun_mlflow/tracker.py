"""The MLflow tracker: one parent MLflow run per pipeline run, one nested run per step.

Everything is logged from the driver, in the lifecycle hooks, so it works
with every orchestrator (steps in threads, processes or on Dask): the
records, metadata included, come back to the driver before
``zenrun_step_finish``. It talks to the tracking store through an
``MlflowClient``, never the fluent API's global active run, so interleaved
runs (``-n``) do not mix.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import zenrun
from zenrun import hookimpl

if TYPE_CHECKING:
    from zenrun.metadata.records import PipelineRun, StepRun

_STATUS = {
    "completed": "FINISHED",
    "cached": "FINISHED",
    "failed": "FAILED",
    "skipped": "KILLED",
    "running": "RUNNING",
}
_MAX_PARAM = 6000  # MLflow's limit on a param value (characters)
_MAX_BATCH = 100  # MLflow's limit on params in one log_batch


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def flatten(values: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    if not isinstance(values, dict):
        return {prefix: values} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in values.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _metrics(metadata: dict[str, Any]) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in flatten(metadata).items()
        if isinstance(v, numbers.Real) and not isinstance(v, bool)
    }


class MlflowTracker:
    """Registered as ``mlflow-tracker`` when ``--mlflow`` is given."""

    def __init__(self, tracking_uri: str, experiment: str | None = None) -> None:
        from mlflow import MlflowClient

        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.client = MlflowClient(tracking_uri=tracking_uri)
        self._experiments: dict[str, str] = {}
        self._parents: dict[str, str] = {}  # zenrun run name -> MLflow run id
        self._finished: list[tuple[PipelineRun, str]] = []  # for the params known at the end

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            found = self.client.get_experiment_by_name(name)
            self._experiments[name] = found.experiment_id if found else self.client.create_experiment(name)
        return self._experiments[name]

    def _log(self, run_id: str, params: dict[str, Any], metrics: dict[str, float], timestamp: int) -> None:
        from mlflow.entities import Metric, Param

        self.client.log_batch(
            run_id,
            params=[Param(k, str(v)[:_MAX_PARAM]) for k, v in params.items()],
            metrics=[Metric(k, v, timestamp, 0) for k, v in metrics.items()],
        )

    @hookimpl
    def zenrun_pipeline_run_start(self, run: PipelineRun) -> None:
        experiment = self._experiment_id(self.experiment or run.pipeline_name)
        tags = {
            "zenrun.run_name": run.name,
            "zenrun.pipeline": run.pipeline_name,
            "zenrun.item": run.item_id or "",
            "zenrun.orchestrator": run.orchestrator or "",
            "zenrun.cache_enabled": str(run.enable_cache),
            "zenrun.overrides": ",".join(getattr(run, "overrides", None) or []),
        }
        created = self.client.create_run(
            experiment, start_time=_ms(run.started), tags=tags, run_name=run.name
        )
        self._parents[run.name] = created.info.run_id
        params = flatten(getattr(run, "params", None) or {})
        if params:
            self._log(created.info.run_id, params, {}, _ms(run.started) or 0)

    @hookimpl
    def zenrun_step_finish(self, step_run: StepRun) -> None:
        parent = self._parents.get(step_run.run_name or "")
        if parent is None:
            return
        settings = step_run.settings.get("mlflow")
        if settings is not None and not settings.log:
            return
        tags = {
            "mlflow.parentRunId": parent,
            "zenrun.run_name": step_run.run_name or "",
            "zenrun.step": step_run.id,
            "zenrun.step_function": step_run.name,
            "zenrun.status": step_run.status,
            "zenrun.cache_status": "hit" if step_run.status == "cached" else "miss",
            "zenrun.cache_reason": step_run.cache_reason or "",
            "zenrun.cache_key": step_run.cache_key or "",
        }
        if settings is not None:
            tags.update(settings.tags)
        experiment = self.client.get_run(parent).info.experiment_id
        child = self.client.create_run(
            experiment, start_time=_ms(step_run.started), tags=tags, run_name=step_run.id
        )
        run_id = child.info.run_id
        params = flatten(step_run.config or {}) if settings is None or settings.log_config else {}
        metrics = _metrics(step_run.metadata)
        if step_run.duration is not None:
            metrics["zenrun.duration_s"] = step_run.duration
        self._log(run_id, params, metrics, _ms(step_run.finished) or 0)
        if metrics:  # the parent carries every step's metrics, to compare pipeline runs
            self._log(
                parent, {}, {f"{step_run.id}.{k}": v for k, v in metrics.items()}, _ms(step_run.finished) or 0
            )
        self.client.set_terminated(
            run_id, _STATUS.get(step_run.status, "FINISHED"), end_time=_ms(step_run.finished)
        )

    @hookimpl
    def zenrun_pipeline_run_finish(self, run: PipelineRun) -> None:
        parent = self._parents.pop(run.name, None)
        if parent is None:
            return
        steps = list(run.steps.values())
        self.client.set_tag(parent, "zenrun.status", run.status)
        self.client.set_tag(parent, "zenrun.cached_steps", str(sum(s.status == "cached" for s in steps)))
        self.client.set_terminated(parent, _STATUS.get(run.status, "FINISHED"), end_time=_ms(run.finished))
        self._finished.append((run, parent))

    @hookimpl
    def zenrun_sessionfinish(self, session: Any) -> None:
        """Log to each parent run the step-config fields that turned out to vary across its
        pipeline's items (``train.max_depth``): known once every item has run."""
        finished, self._finished = self._finished, []
        if not finished:
            return
        runs = [run for run, _ in finished]
        for (run, parent), params in zip(
            finished, zenrun.item_params(runs, session.config.metadata_store), strict=True
        ):
            extra = {k: v for k, v in flatten(params).items() if k not in flatten(run.params)}
            for start in range(0, len(extra), _MAX_BATCH):
                chunk = dict(list(extra.items())[start : start + _MAX_BATCH])
                self._log(parent, chunk, {}, _ms(run.finished) or 0)
