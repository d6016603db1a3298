"""``-n N``: independent steps at once, on a pool of N threads in this process.

Scheduling (cache lookups, records, hooks) stays on the calling thread;
only step functions and their artifact writes run on the pool, which suits
numpy / scikit-learn steps that release the GIL.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from zenrun.hookspec import hookimpl
from zenrun.runner import StepTask, execute_task


class ParallelOrchestrator:
    """Runs every step whose upstream steps are done, up to ``workers`` at a time."""

    name = "parallel"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(self, execution: Any) -> None:
        waiting = {i: set(execution.upstream[i]) for i in execution.order}
        downstream: dict[str, list[str]] = {i: [] for i in execution.order}
        for step_id, upstream in waiting.items():
            for u in upstream:
                downstream[u].append(step_id)
        ready = [i for i in execution.order if not waiting[i]]
        running: dict[Future[Any], StepTask] = {}

        def done(step_id: str) -> None:
            for d in downstream[step_id]:
                waiting[d].discard(step_id)
                if not waiting[d]:
                    ready.append(d)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="zenrun-step") as pool:
            while ready or running:
                while ready:
                    step_id = ready.pop(0)
                    if execution.blocked(step_id):
                        execution.skip(step_id)
                        done(step_id)
                        continue
                    task = execution.prepare(step_id)
                    if task is None:
                        done(step_id)
                        continue
                    future = pool.submit(execute_task, task, execution.artifact_store,
                                         execution.materializers)
                    running[future] = task
                if not running:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    execution.complete(task, future.result())
                    done(task.step_id)


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
