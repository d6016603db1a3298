"""The Dask orchestrator: every ready step is submitted to the cluster at once."""

from __future__ import annotations

from typing import Any

from zenrun.protocols import Execution
from zenrun.remote import InputArtifactError, StepTask, execute_task, run_task, ship_project_code


class DaskOrchestrator:
    """Schedules steps on a ``dask.distributed`` cluster as their inputs become ready."""

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None) -> None:
        self.address = address
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None

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

    def run(self, execution: Execution) -> None:
        from distributed import as_completed

        from zenrun.orchestrators import ReadySteps

        client = self.client
        steps = ReadySteps(execution)
        tasks: dict[str, StepTask] = {}
        futures = as_completed()

        def submit(task: StepTask) -> None:
            ship_project_code(task)  # workers lack the driver's sys.path
            tasks[task.step_id] = task
            futures.add(client.submit(run_task, task, execution.artifact_store,
                                      execution.materializers, pure=False,
                                      key=f"{execution.run.name}-{task.step_id}"))

        steps.start(submit, load=False)
        for future in futures:
            task = tasks.pop(future.key.removeprefix(f"{execution.run.name}-"))
            try:
                result = future.result()
            except InputArtifactError:
                # A broken cached artifact: recreate it on the driver, then run here.
                execution.load_inputs(task)
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
