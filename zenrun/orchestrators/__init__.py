"""Orchestrators: when and where each step of a run executes.

``local`` runs steps one after another; ``parallel`` (and the Dask plugin)
start every step whose upstream steps are done, using :class:`ReadySteps`,
and run the steps of all the session's runs together with
:class:`zenrun.orchestrators.scheduler.Scheduler`.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any


class ReadySteps:
    """Tracks which steps of an execution may start: all their upstream steps are done."""

    def __init__(self, execution: Any) -> None:
        self.execution = execution
        self._waiting = {i: set(execution.upstream[i]) for i in execution.order}
        self._downstream: dict[str, list[str]] = {i: [] for i in execution.order}
        for step_id, upstream in self._waiting.items():
            for u in upstream:
                self._downstream[u].append(step_id)
        # A deque: a list's pop(0) moves every step behind it, O(n^2) for a fan-out of n.
        self._ready = collections.deque(i for i in execution.order if not self._waiting[i])

    def done(self, step_id: str) -> None:
        """``step_id`` finished (whatever its status): release the steps waiting on it."""
        for d in self._downstream[step_id]:
            self._waiting[d].discard(step_id)
            if not self._waiting[d]:
                self._ready.append(d)

    def pop(self) -> str | None:
        """The next step that may start, or None: launch it, then call :meth:`done` when it ends."""
        return self._ready.popleft() if self._ready else None

    def start(self, submit: Callable[[Any], None], *, load: bool = True) -> None:
        """Start every ready step: skip it, take it from the cache, or ``submit(task)``."""
        execution = self.execution
        while self._ready:
            step_id = self._ready.popleft()
            if execution.blocked(step_id):
                execution.skip(step_id)
                self.done(step_id)
                continue
            task = execution.prepare(step_id, load=load)
            if task is None:
                self.done(step_id)
                continue
            submit(task)
