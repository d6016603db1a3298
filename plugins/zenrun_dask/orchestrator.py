"""The Dask orchestrator: every ready step is submitted to the cluster at once."""

from __future__ import annotations

import sys
from typing import Any

import cloudpickle

from zenrun.runner import InputArtifactError, StepTask, TaskResult, execute_task


def run_on_worker(task: StepTask, artifact_store: Any, materializers: Any) -> TaskResult:
    """Execute ``task`` on a worker; its artifacts are durable when this returns."""
    result = execute_task(task, artifact_store, materializers, keep_values=False)
    artifact_store.sync()
    return result


class DaskOrchestrator:
    """Schedules steps on a ``dask.distributed`` cluster as their inputs become ready."""

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None) -> None:
        self.address = address
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None
        self._by_value: set[str] = set()

    @property
    def client(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.address:
                self._client = Client(self.address)
            else:
                self._cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None)
                self._client = Client(self._cluster)
        return self._client

    def _ship_by_value(self, task: StepTask) -> None:
        """Pickle the project's modules by value: workers lack the driver's sys.path."""
        from zenrun.cache import _is_project_code

        for obj in (task.step.fn, type(task.config)):
            module_name = getattr(obj, "__module__", None)
            module = sys.modules.get(module_name or "")
            if module is None or module_name in self._by_value or module_name == "__main__":
                continue
            if _is_project_code(module):
                cloudpickle.register_pickle_by_value(module)
                self._by_value.add(module_name)

    def run(self, execution: Any) -> None:
        from distributed import as_completed

        from zenrun.orchestrators import ReadySteps

        client = self.client
        steps = ReadySteps(execution)
        tasks: dict[str, StepTask] = {}
        futures = as_completed()

        def submit(task: StepTask) -> None:
            self._ship_by_value(task)
            tasks[task.step_id] = task
            futures.add(client.submit(run_on_worker, task, execution.artifact_store,
                                      execution.materializers, pure=False,
                                      key=f"{execution.run.name}-{task.step_id}"))

        steps.start(submit, load=False)
        for future in futures:
            task = tasks.pop(future.key.removeprefix(f"{execution.run.name}-"))
            try:
                result = future.result()
            except InputArtifactError:
                # A broken cached artifact: recreate it on the driver, then run here.
                execution._load_with_repair(task)
                result = execute_task(task, execution.artifact_store, execution.materializers)
            execution.complete(task, result)
            steps.done(task.step_id)
            steps.start(submit, load=False)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
