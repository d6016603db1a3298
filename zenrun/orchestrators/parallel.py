"""``-n N``: independent steps at once, on a pool of N threads in this process.

Scheduling (cache lookups, records, hooks) stays on the calling thread;
only step functions and their artifact writes run on the pool, which suits
numpy / scikit-learn steps that release the GIL.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from zenrun.hookspec import hookimpl
from zenrun.orchestrators import ReadySteps
from zenrun.runner import StepTask, execute_task


class ParallelOrchestrator:
    """Runs every step whose upstream steps are done, up to ``workers`` at a time."""

    name = "parallel"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(self, execution: Any) -> None:
        steps = ReadySteps(execution)
        running: dict[Future[Any], StepTask] = {}
        with ThreadPoolExecutor(self.workers, thread_name_prefix="zenrun-step") as pool:
            def submit(task: StepTask) -> None:
                running[pool.submit(execute_task, task, execution.artifact_store,
                                    execution.materializers)] = task

            steps.start(submit)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    execution.complete(task, future.result())
                    steps.done(task.step_id)
                steps.start(submit)


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("running").addoption(
        "-n", "--numprocesses", dest="numprocesses", type=int, default=None, metavar="N",
        help="run up to N independent steps at once (the parallel orchestrator)")


@hookimpl
def zenrun_make_orchestrator(config: Any, name: str) -> ParallelOrchestrator | None:
    if name != "parallel":
        return None
    return ParallelOrchestrator(config.getoption("numprocesses", None) or 2)


@hookimpl
def zenrun_configure(config: Any) -> None:
    if config.getoption("numprocesses", None) and not config.getoption("orchestrator", None):
        config.option.orchestrator = "parallel"


@hookimpl
def zenrun_backend_names(kind: str) -> list[str] | None:
    return ["parallel"] if kind == "orchestrator" else None
