"""The default orchestrator: every step in this process, one after another."""

from __future__ import annotations

from typing import Any

from zenrun.capture import back_to_back
from zenrun.hookspec import hookimpl
from zenrun.runner import execute_task


class LocalOrchestrator:
    """Runs steps sequentially, in topological order, in the calling process."""

    name = "local"

    def run(self, execution: Any) -> None:
        with back_to_back():  # descriptor capture hands over from one step to the next
            for step_id in execution.order:
                if execution.blocked(step_id):
                    execution.skip(step_id)
                    continue
                task = execution.prepare(step_id)
                if task is not None:
                    result = execute_task(task, execution.artifact_store, execution.materializers)
                    execution.complete(task, result)


@hookimpl(trylast=True)
def zenrun_make_orchestrator(config: Any, name: str) -> LocalOrchestrator | None:
    return LocalOrchestrator() if name == "local" else None


@hookimpl
def zenrun_backend_names(kind: str) -> list[str] | None:
    return ["local"] if kind == "orchestrator" else None
