"""The MLflow tracker: one parent MLflow run per pipeline run, one nested run per step.

Everything is logged from the driver, in the lifecycle hooks, so it works
with every orchestrator (steps in threads, processes or on Dask): the
records, metadata included, come back to the driver before
``zenrun_step_finish``. It talks to the tracking store through an
``MlflowClient``, never the fluent API's global active run, so interleaved
runs (``-n``) do not mix.

Tracking is best effort: every call waits a bounded time (MLflow's
``MLFLOW_HTTP_REQUEST_*`` variables, given the defaults in :data:`HTTP_BOUNDS`
unless set), and the first failure gives one warning and turns tracking off
for the rest of the session; the pipelines' own results are never affected.
A local SQLite store is created (or migrated) by one process at a time,
under a lock file next to it.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zenrun
from zenrun import hookimpl

if TYPE_CHECKING:
    from zenrun import PipelineRun, StepRun

_STATUS = {
    "completed": "FINISHED",
    "cached": "FINISHED",
    "failed": "FAILED",
    "skipped": "KILLED",
    "running": "RUNNING",
}
_MAX_PARAM = 6000  # MLflow's limit on a param value (characters)
_MAX_BATCH = 100  # MLflow's limit on params in one log_batch

logger = logging.getLogger("zenrun")

#: MLflow's HTTP settings while the tracker calls the tracking server, unless set in the
#: environment: seconds to connect and to wait for an answer, retries, and the backoff
#: factor (waits of 1 s, 2 s). MLflow's own defaults (120 s, 7 retries, factor 2) wait
#: minutes for a server that is gone.
HTTP_BOUNDS = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
}
#: Seconds a process waits for another to finish creating the local SQLite store.
STORE_LOCK_TIMEOUT = 120.0

_bounds_lock = threading.Lock()
_bounds_depth = 0
_bounds_set: list[str] = []
_tracking_threads: set[int] = set()


class _NotFromTracking(logging.Filter):
    """Drops urllib3's "Retrying ..." lines given while the tracker calls MLflow: its one
    warning says what failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread not in _tracking_threads


_retry_log = logging.getLogger("urllib3.connectionpool")
_retry_log.addFilter(_NotFromTracking())


@contextlib.contextmanager
def bounded_http() -> Iterator[None]:
    """:data:`HTTP_BOUNDS` in the environment (where unset) while the block runs."""
    global _bounds_depth
    thread = threading.get_ident()
    with _bounds_lock:
        if _bounds_depth == 0:
            for name, value in HTTP_BOUNDS.items():
                if name not in os.environ:
                    os.environ[name] = value
                    _bounds_set.append(name)
        _bounds_depth += 1
        _tracking_threads.add(thread)
    try:
        yield
    finally:
        with _bounds_lock:
            _tracking_threads.discard(thread)
            _bounds_depth -= 1
            if _bounds_depth == 0:
                while _bounds_set:
                    os.environ.pop(_bounds_set.pop(), None)


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI, else None."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    path = tracking_uri[len(prefix) :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


@contextlib.contextmanager
def store_lock(tracking_uri: str, timeout: float = STORE_LOCK_TIMEOUT) -> Iterator[None]:
    """For a local SQLite store: an exclusive ``fcntl`` lock on ``<db>.lock`` while the block runs.

    MLflow creates and migrates a fresh database when a client first opens it;
    two processes doing so at once break it for good (``_alembic_tmp_experiments
    already exists``). Other stores: no lock.
    """
    path = sqlite_path(tracking_uri)
    try:
        import fcntl
    except ImportError:  # not POSIX
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+b") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process has been creating the MLflow store {path} for {timeout:g}s"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


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
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self._client: Any = None
        self._experiments: dict[str, str] = {}
        self._parents: dict[str, str] = {}  # zenrun run name -> MLflow run id
        self._finished: list[tuple[PipelineRun, str]] = []  # for the params known at the end
        #: Why tracking stopped (the first failure), or None while it works.
        self.failure: str | None = None

    @property
    def client(self) -> Any:
        """The ``MlflowClient``, made on first use: a fresh local store is created under a lock."""
        if self._client is None:
            from mlflow import MlflowClient

            with store_lock(self.tracking_uri):
                self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def _best_effort(self, what: str, call: Callable[..., None], *args: Any) -> None:
        """``call(*args)`` with bounded waits; its failure is a warning and ends tracking."""
        if self.failure is not None:
            return
        try:
            with bounded_http():
                call(*args)
        except Exception as exc:
            self.failure = f"{what}: {_one_line(exc)}"
            self._parents.clear()
            logger.warning(
                "MLflow tracking to %s failed (%s); MLflow tracking is off for the rest of this "
                "session, the pipelines' results are not affected",
                self.tracking_uri,
                self.failure,
            )

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            found = self.client.get_experiment_by_name(name)
            if found is None:
                try:
                    self._experiments[name] = self.client.create_experiment(name)
                except Exception:  # another process created it first
                    found = self.client.get_experiment_by_name(name)
                    if found is None:
                        raise
            if found is not None:
                self._experiments[name] = found.experiment_id
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
        self._best_effort(f"starting the MLflow run of {run.name}", self._run_start, run)

    @hookimpl
    def zenrun_step_finish(self, step_run: StepRun) -> None:
        self._best_effort(f"logging step {step_run.id} of {step_run.run_name}", self._step_finish, step_run)

    @hookimpl
    def zenrun_pipeline_run_finish(self, run: PipelineRun) -> None:
        self._best_effort(f"ending the MLflow run of {run.name}", self._run_finish, run)

    def _run_start(self, run: PipelineRun) -> None:
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

    def _step_finish(self, step_run: StepRun) -> None:
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

    def _run_finish(self, run: PipelineRun) -> None:
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
        if finished:
            self._best_effort("logging the varying config fields", self._log_varying, finished, session)

    def _log_varying(self, finished: list[tuple[PipelineRun, str]], session: Any) -> None:
        runs = [run for run, _ in finished]
        for (run, parent), params in zip(
            finished, zenrun.item_params(runs, session.config.metadata_store), strict=True
        ):
            extra = {k: v for k, v in flatten(params).items() if k not in flatten(run.params)}
            for start in range(0, len(extra), _MAX_BATCH):
                chunk = dict(list(extra.items())[start : start + _MAX_BATCH])
                self._log(parent, chunk, {}, _ms(run.finished) or 0)
