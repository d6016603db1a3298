"""Running a step in another process: the public API of orchestrators with workers.

The driver prepares a task (``execution.prepare(step_id, load=False)``),
makes its project code travel (:func:`ship_project_code`) and sends it, with
the artifact store and the materializers, to a worker; the worker calls
:func:`run_task`; the driver records the result (``execution.complete``)::

    task = execution.prepare(step_id, load=False)
    if task is not None:
        ship_project_code(task)
        future = pool.submit(run_task, task, execution.artifact_store,
                             execution.materializers)
        ...
        try:
            result = future.result()
        except InputArtifactError:     # a cached input is broken: repair it here
            execution.load_inputs(task)
            result = execute_task(task, execution.artifact_store, execution.materializers)
        execution.complete(task, result)

Everything a task holds is picklable with cloudpickle once its project
modules are shipped by value. Executors that pickle with the standard
``pickle`` (``concurrent.futures.ProcessPoolExecutor``) send
``pack_task(task, store, materializers)`` bytes to :func:`run_packed_task`.

An orchestrator that runs the steps of all the session's items together
subclasses :class:`SchedulingOrchestrator` and implements ``make_executor``
(a :class:`StepExecutor`: slots, submit, wait, cancel), as the ``parallel``
orchestrator and the Dask plugin do. :func:`unsendable_invocation` (in
``check``) and :func:`unsendable` name what cannot travel to a worker;
:func:`refuse_process_local_store` rejects an artifact store workers cannot
share; :func:`usable_cpus` sizes a local pool. A plugin that shows or checks
artifacts uses :func:`bounded_repr` (a preview bounded in time and memory,
whatever the value) and :func:`hash_file` (an artifact file's digest).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from zenrun.artifacts.preview import bounded_repr
from zenrun.artifacts.store import hash_file
from zenrun.cache import is_project_code
from zenrun.errors import UsageError
from zenrun.installed import packages_distributions
from zenrun.orchestrators.scheduler import SchedulingOrchestrator, StepExecutor
from zenrun.protocols import ArtifactStore, MaterializerRegistry
from zenrun.runner import InputArtifactError, StepTask, TaskResult, execute_task
from zenrun.tbstyle import exception_text

__all__ = [
    "InputArtifactError",
    "SchedulingOrchestrator",
    "StepExecutor",
    "StepTask",
    "TaskResult",
    "bounded_repr",
    "execute_task",
    "hash_file",
    "pack_task",
    "refuse_process_local_store",
    "run_packed_task",
    "run_task",
    "ship_project_code",
    "unsendable",
    "unsendable_invocation",
    "usable_cpus",
]

_shipped: set[str] = set()
_lock = threading.Lock()


def ship_project_code(task: StepTask) -> None:
    """Pickle the project modules ``task`` needs by value, not by reference.

    Workers usually lack the driver's ``sys.path`` (the project directory,
    conftest files), so the modules of the step function, of its config
    class and of the ``zenrun_step_call`` hooks the task carries are
    registered with :func:`cloudpickle.register_pickle_by_value`. Modules of
    installed distributions (editable installs included) are left alone:
    workers import those. Call it in the
    driver before pickling the task; it is cheap to call again.
    """
    import cloudpickle

    hooks = task.hooks.functions() if task.hooks is not None else []
    if task.assertion is not None:  # the zenrun_assertrepr_compare hooks of conftests too
        hooks = [*hooks, *task.assertion.hooks]
    for obj in (task.step.fn, type(task.config), *hooks):
        module_name = getattr(obj, "__module__", None)
        module = sys.modules.get(module_name or "")
        if module is None or module_name == "__main__":  # __main__ is pickled by value anyway
            continue
        with _lock:
            if module_name in _shipped:
                continue
            if is_project_code(module) and not _installed(module_name):  # type: ignore[arg-type]
                cloudpickle.register_pickle_by_value(module)
            _shipped.add(module_name)  # type: ignore[arg-type]


_distributions: dict[str, list[str]] | None = None


def _installed(module_name: str) -> bool:
    """Whether ``module_name`` belongs to an installed distribution (an editable install
    too, whose files live outside site-packages): workers import it by name, and its
    module state (locks, clients) must not be pickled by value."""
    global _distributions
    if _distributions is None:
        try:
            _distributions = dict(packages_distributions())
        except Exception:  # a broken dist-info elsewhere: ship by value, as before
            _distributions = {}
    return module_name.split(".")[0] in _distributions


def run_task(
    task: StepTask, artifact_store: ArtifactStore, materializers: MaterializerRegistry
) -> TaskResult:
    """Worker side: run ``task`` and make its artifacts durable before returning.

    The result carries artifact references, not values (the driver loads
    what it needs from the store). A step's failure is returned in the
    result; :class:`InputArtifactError` (a broken cached input) propagates so
    the driver can repair it with ``execution.load_inputs(task)``.
    """
    result = execute_task(task, artifact_store, materializers, keep_values=False)
    artifact_store.sync()
    return result


def pack_task(task: StepTask, artifact_store: ArtifactStore, materializers: MaterializerRegistry) -> bytes:
    """``task`` with the store and materializers as bytes for :func:`run_packed_task`.

    Ships the project code by value first; use it with executors that pickle
    with the standard library (a process pool), which cannot send functions
    of modules the worker cannot import.
    """
    import cloudpickle

    ship_project_code(task)
    payload: bytes = cloudpickle.dumps((task, artifact_store, materializers))
    return payload


def run_packed_task(payload: bytes) -> TaskResult:
    """Worker side of :func:`pack_task`: unpack and :func:`run_task`."""
    import pickle

    task, artifact_store, materializers = pickle.loads(payload)
    return run_task(task, artifact_store, materializers)


# -- what may travel to a worker ------------------------------------------------------


def unsendable(step_id: str, step: Any, config: Any, values: dict[str, Any]) -> str | None:
    """Why a step cannot be pickled for a worker process, naming the value and its type; or None."""
    import cloudpickle

    candidates = [("the step function", step), ("its config", config)]
    candidates += [(f"input {name!r}", value) for name, value in values.items()]
    for what, value in candidates:
        try:
            cloudpickle.dumps(value)
        except Exception as exc:
            kind = type(value)
            return (
                f"step {step_id!r}: {what} of type {kind.__module__}.{kind.__qualname__} cannot "
                f"be sent to a worker process ({type(exc).__name__}: {exception_text(exc)}); use --dist "
                "threads, or make it a fixture value the step can rebuild"
            )
    return None


def unsendable_invocation(composed: Any) -> str | None:
    """Why a step of ``composed`` cannot be sent to a worker process (its function, config or a
    literal input), or None; checked before the run starts."""
    # Here, not at the top: compose imports pydantic, which `zenrun --help` does not need
    # (a composed pipeline has it imported already).
    from zenrun.compose import OutputHandle

    checked: set[int] = set()  # a step called 1,000 times is pickled once
    for step_id, invocation in composed.invocations.items():
        literals = {
            n: v
            for n, v in invocation.inputs.items()
            if not isinstance(v, OutputHandle)
            and not (isinstance(v, list) and v and isinstance(v[0], OutputHandle))
        }
        step = None if id(invocation.step) in checked else invocation.step
        checked.add(id(invocation.step))
        reason = unsendable(step_id, step, invocation.config, literals)
        if reason is not None:
            return f"pipeline {composed.name}: {reason}"
    return None


def refuse_process_local_store(config: Any, what: str) -> None:
    """A ``memory://`` artifact store lives in one process: workers could not share it."""
    url = getattr(config.artifact_store, "url", None) or ""
    if url.startswith("memory:"):
        raise UsageError(
            f"{what}: the artifact store {url} lives in this process's memory, "
            "which worker processes cannot share; use --dist threads, or a file:// "
            "or object-store URL"
        )


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
