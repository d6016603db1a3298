"""The worker side of the Dask orchestrator: run step tasks, make their outputs durable in batches.

A worker keeps one artifact store object per store it writes to (the driver
sends it pickled; the bytes name it), so the writes of one step are still
being fsync'd while the next step runs. The driver records a step only after
:func:`settle` said that its outputs are in place and durable on the worker
that wrote them (one call per worker and batch of finished steps), so a crash
of the worker, or of the machine, never leaves a record pointing at an
artifact it lost.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import pickle
import threading
from typing import Any

from zenrun.remote import StepTask, TaskResult, execute_task

#: Stores a worker keeps open at most (a long-lived cluster serves many projects).
_MAX_STORES = 16
_stores: collections.OrderedDict[bytes, Any] = collections.OrderedDict()
_lock = threading.Lock()
#: The last failed write of each store (a sync raises it once; the steps it lost name it).
_write_errors: dict[bytes, str] = {}


def worker_store(blob: bytes) -> Any:
    """This process's artifact store object for the pickled store ``blob``."""
    with _lock:
        store = _stores.get(blob)
        if store is not None:
            _stores.move_to_end(blob)
            return store
        store = pickle.loads(blob)
        _stores[blob] = store
        evicted = _stores.popitem(last=False)[1] if len(_stores) > _MAX_STORES else None
    if evicted is not None:
        # Its writes finish; a failed one is found by settle(), which checks each artifact.
        with contextlib.suppress(Exception):
            evicted.sync()
    return store


def run_step(
    task: StepTask, store_blob: bytes, materializers: Any, durable: bool
) -> tuple[str, TaskResult, bool]:
    """Run ``task`` on this worker; returns the worker's address, the result, and whether
    its outputs are durable.

    With ``durable`` false the outputs may still be on their way to the disk
    (the driver calls :func:`settle` before it records them); else they are
    durable before it returns, as a driver waiting for this one step wants.
    """
    from distributed import get_worker

    store = worker_store(store_blob)
    result = execute_task(task, store, materializers, keep_values=False)
    if durable:
        try:
            store.sync()
        except Exception as exc:  # maybe the write of an earlier step's output: settle() tells it
            _write_errors[store_blob] = f"{type(exc).__name__}: {exc}"
            if not all(store.exists(ref.digest) for ref in result.outputs.values()):
                raise
    return get_worker().address, result, durable


async def settle(store_blob: bytes, digests: dict[str, list[str]], dask_worker: Any = None) -> dict[str, str]:
    """Wait until the artifacts this worker wrote to the store are durable and in place.

    ``digests``: the artifacts to check, by worker address. Returns the ones
    of this worker that are not stored, with the reason (a failed write).
    """
    mine = digests.get(dask_worker.address, []) if dask_worker is not None else []
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _settle, store_blob, mine)


def _settle(store_blob: bytes, digests: list[str]) -> dict[str, str]:
    store = worker_store(store_blob)
    try:
        store.sync()
    except Exception as exc:  # a failed write (a full disk): which artifacts, exists() says
        # A sync raises a failure once: an earlier call (another batch) may have seen it.
        _write_errors[store_blob] = f"{type(exc).__name__}: {exc}"
    missing = [d for d in digests if not store.exists(d)]
    error = _write_errors.get(store_blob, "missing from the artifact store")
    return dict.fromkeys(missing, error)
