"""The plugin contract: the typed protocols of every swappable part of zenrun.

A plugin author reads this module and can build an orchestrator, an artifact
store, a metadata store, a cache or a materializer without reading zenrun's
code. Each protocol is :func:`typing.runtime_checkable`: at start-up zenrun
checks the object a ``zenrun_make_*`` factory returned and names the missing
methods of one that does not fit (a usage error, exit 4: the plugin is
mis-wired, nothing ran).

Threads and processes, in short:

* The driver (the ``zenrun`` process) owns the :class:`MetadataStore`, the
  :class:`Cache` and the :class:`Execution`; their methods are called from the
  driver's scheduling thread, plus ``flush`` from one background flush thread.
* The :class:`ArtifactStore` and the :class:`Materializer` objects travel to
  wherever steps run: threads of the driver, worker processes, Dask workers.
  They must be picklable (drop open handles and threads in ``__getstate__``)
  and thread-safe.

This module imports nothing from zenrun at run time, so any layer may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from zenrun.config import Config
    from zenrun.metadata.records import PipelineRun, StepRun
    from zenrun.runner import StepTask, TaskResult

__all__ = [
    "ArtifactError",
    "ArtifactStore",
    "ArtifactStoreError",
    "Cache",
    "Execution",
    "Materializer",
    "MaterializerRegistry",
    "MetadataStore",
    "Orchestrator",
    "ProtocolError",
    "missing_members",
]


class ArtifactError(Exception):
    """An artifact is missing, does not match its hash, or its digest is not a digest.

    :meth:`ArtifactStore.get` raises it; zenrun then treats the cached
    producer of that artifact as a miss and runs it again.
    """


class ArtifactStoreError(Exception):
    """The artifact store could not carry out an operation: unreachable, timed out, refused.

    Not a statement about the artifact (that is :class:`ArtifactError`): nothing
    is re-run to recreate it. The step that needed the operation fails with
    this exception's message, which is one line naming the store's URL and the
    operation; the run is ``failed`` and what completed stays cached. Any
    method of an :class:`ArtifactStore` may raise it, after its own bounded
    retries.
    """


class ProtocolError(TypeError):
    """An object handed to zenrun does not fit its protocol; the message names
    the missing members."""


# ---------------------------------------------------------------------------
# Where step outputs live
# ---------------------------------------------------------------------------


@runtime_checkable
class Materializer(Protocol):
    """Turns values of some types into bytes and back.

    Registered with ``registry.register(m)`` in the
    ``zenrun_register_materializers`` hook; plugin materializers are tried
    before the built-in ones (npy, json, cloudpickle), the latest registered
    first. ``name`` and ``version`` are recorded with every cache entry of
    an output the materializer saved, and a hit needs the same ones: bump
    ``version`` when the bytes it writes change. Registering it changes no
    cache key; a cached output it would now claim (it comes before the one
    that stored it) is a miss. Called in whatever process the step runs in,
    possibly from several threads at once.
    """

    #: Unique name, stored with each artifact so the right loader is found.
    name: str
    #: Format version; part of cache keys.
    version: str

    def can_save(self, value: object) -> bool:
        """Whether this materializer handles ``value``. Cheap, never raises."""
        ...

    def dumps(self, value: Any) -> bytes:
        """The bytes of ``value``. An exception fails the step that returned
        ``value`` with a message naming the output and this materializer."""
        ...

    def loads(self, data: bytes) -> Any:
        """The value back from the bytes ``dumps`` wrote (possibly in another
        process or Python version). An exception here is an internal error of
        the plugin that registered this materializer."""
        ...


@runtime_checkable
class MaterializerRegistry(Protocol):
    """The materializers of a session, in priority order (``config.materializers``)."""

    def register(self, materializer: Materializer) -> None:
        """Add ``materializer``; raises :class:`ProtocolError` when it lacks a member."""
        ...

    def for_value(self, value: object) -> Materializer:
        """The first materializer whose ``can_save(value)`` is true."""
        ...

    def get(self, name: str) -> Materializer:
        """The materializer called ``name``; ``KeyError`` when none is registered."""
        ...

    def fingerprint(self) -> str:
        """``name:version`` of every materializer, for cache keys."""
        ...


@runtime_checkable
class ArtifactStore(Protocol):
    """Content-addressed bytes: the outputs of steps.

    Made once per session by ``zenrun_make_artifact_store(config)``. It is
    pickled and shipped to worker processes, so keep its state small and
    reopen resources lazily after unpickling. Every method may be called
    from several threads at once.

    Optional: ``identity`` (a string, or a method returning one) names the
    store in cache entries, so entries made with another store are misses.
    Without it, a store with a ``root`` :class:`~pathlib.Path` gets a random
    id in ``root / ".zenrun-store-id"``; any other is named by its type.
    """

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; return ``(digest, size)``.

        ``digest`` is the lowercase sha256 hex digest of ``data`` (cache keys
        and lineage use it), ``size`` is ``len(data)``. The write may finish
        in the background, but :meth:`get` and :meth:`exists` must see it at
        once in this process, and :meth:`sync` must wait for it. Storing
        the same bytes twice is cheap and harmless.
        """
        ...

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``, verified against it.

        Raise :class:`ArtifactError` when the artifact is missing or its
        content does not match ``digest`` (zenrun then reruns its producer),
        :class:`ArtifactStoreError` when the store cannot be read (the step
        fails with its message); any other exception is an internal error of
        the store's plugin.
        """
        ...

    def exists(self, digest: str, size: int | None = None) -> bool:
        """Whether ``digest`` is stored (with ``size`` bytes when given). Cheap."""
        ...

    def verify(self, digest: str, size: int) -> bool:
        """Whether a cache hit on ``digest`` may be trusted.

        Called for every cached output before it is used; at least
        :meth:`exists`, at most a full hash check. Return False (never
        raise) for a missing or corrupt artifact: the step is then a miss.
        """
        ...

    def sync(self) -> None:
        """Block until every artifact ``put`` so far (by this object) is durable.

        zenrun commits a record pointing at an artifact only after this
        returns; a worker calls it before reporting a task done. Raise when a
        write was lost (e.g. disk full); the records of that write are then
        not committed and the run fails.
        """
        ...


# ---------------------------------------------------------------------------
# Where records and cache entries live (driver only)
# ---------------------------------------------------------------------------


@runtime_checkable
class MetadataStore(Protocol):
    """Runs and step records, read back by ``--runs``, ``--show``, the Python
    API and the viewer.

    Made once per session by ``zenrun_make_metadata_store(config)`` and used
    only in the driver process: from the scheduling thread, and ``flush``
    also from the background flush thread (guard shared state with a lock).
    """

    def create_run(self, run: PipelineRun) -> None:
        """Persist ``run`` (status ``running``) at once and set ``run.id``
        to an integer that orders runs by creation."""
        ...

    def record_step(self, run: PipelineRun, step_run: StepRun) -> None:
        """Note ``step_run`` as it is now; may be buffered until :meth:`flush`.

        Called when a step starts and again when it finishes (a later
        record of the same ``(run.id, step_run.id)`` replaces an earlier one).
        """
        ...

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        """Commit buffered records; call ``before_commit()`` (the artifact
        store's ``sync``) before writing, and drop the records if it raises."""
        ...

    def finish_run(self, run: PipelineRun) -> None:
        """Flush, then persist ``run.status`` and ``run.finished``."""
        ...

    def get_runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        """Recorded runs, oldest first, of ``pipeline`` or of all pipelines.
        ``run.steps`` of a returned run loads the steps on first access."""
        ...

    def get_run(self, name: str) -> PipelineRun | None:
        """The run called ``name`` (``"latest"``: the newest), or None."""
        ...

    def previous_step(self, pipeline: str, step_id: str, before_run: int | None) -> StepRun | None:
        """The newest completed or cached record of ``step_id`` in ``pipeline``
        from a run older than ``before_run``; its ``cache_parts`` explain a miss."""
        ...


@runtime_checkable
class Cache(Protocol):
    """Cache key -> the artifacts of a step's outputs.

    Made by ``zenrun_make_cache(config)``; driver process only. An entry
    maps each output name to ``{"digest", "size", "materializer", "type"}``
    (and more keys zenrun adds; store the entry as given); its ``"@data"``
    key holds what the step read (``zenrun.datadeps``), not an output.

    Optional: ``flush(before_commit=None)``, called every 0.2 s from a
    background thread and at the end of each run, to commit what ``put``
    buffered; call ``before_commit()`` (the artifact store's ``sync``)
    first, and drop the buffered entries if it raises.
    """

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        """The entry stored under ``key`` (including unflushed ones), or None."""
        ...

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        """Store an entry; may be buffered until :meth:`flush`."""
        ...

    def clear(self) -> None:
        """Forget every entry (``--cache-clear``)."""
        ...


# ---------------------------------------------------------------------------
# Running steps
# ---------------------------------------------------------------------------


@runtime_checkable
class Execution(Protocol):
    """The handle of one pipeline run that an orchestrator drives.

    An orchestrator decides when and where each step runs; the execution
    decides what a step run means (cache lookup, records, hooks). All its
    methods are called from the thread that called ``Orchestrator.run``;
    only the :class:`~zenrun.remote.StepTask` travels to workers. The
    protocol, for any orchestrator::

        for step_id in execution.order:       # or as soon as execution.upstream[step_id] are done
            if execution.blocked(step_id):
                execution.skip(step_id)
                continue
            task = execution.prepare(step_id)  # None: a cache hit, already recorded
            if task is not None:
                result = zenrun.remote.execute_task(task, execution.artifact_store,
                                                    execution.materializers)
                execution.complete(task, result)
    """

    #: The run record (``run.name``, ``run.pipeline_name``, ``run.steps``).
    run: PipelineRun
    #: Step ids in a topological order.
    order: list[str]
    #: Step id -> the ids of the steps it waits for.
    upstream: dict[str, list[str]]
    artifact_store: ArtifactStore
    materializers: MaterializerRegistry
    config: Config

    def blocked(self, step_id: str) -> str | None:
        """The id of a failed or skipped upstream step of ``step_id``, or None."""
        ...

    def skip(self, step_id: str, reason: str | None = None) -> None:
        """Record ``step_id`` as skipped (``reason`` defaults to its blocked upstream)."""
        ...

    def prepare(self, step_id: str, *, load: bool = True) -> StepTask | None:
        """Start ``step_id``: None for a cache hit (recorded), else the task to run.

        Its upstream steps must be finished. With ``load`` the inputs are
        loaded here (repairing broken cached artifacts); an orchestrator that
        runs the task in another process passes ``load=False`` so the worker
        loads them from the artifact store.
        """
        ...

    def load_inputs(self, task: StepTask, cause: BaseException | None = None) -> None:
        """Load ``task``'s inputs in this process, re-running the producer of a
        broken cached artifact. Call it when a worker raised
        :class:`~zenrun.remote.InputArtifactError` (pass it as ``cause``: its
        producer is re-run at once, and the warning says what the worker found),
        then run the task here."""
        ...

    def complete(self, task: StepTask, result: TaskResult) -> None:
        """Record ``result`` (from :func:`~zenrun.remote.execute_task`) of ``task``."""
        ...


@runtime_checkable
class Orchestrator(Protocol):
    """Decides when and where the steps of a run execute.

    Made by ``zenrun_make_orchestrator(config, name)`` once per session and
    used for every item of it. Register ``close`` with
    ``config.add_cleanup`` to release clusters or pools at session end.
    """

    #: Shown in the header and stored with each run (``run.orchestrator``).
    name: str

    def run(self, execution: Execution) -> None:
        """Execute every step of ``execution`` (see :class:`Execution`).

        Return when each step is completed, cached, failed or skipped. A
        step's failure is not an exception here: it comes back in its
        ``TaskResult``. Raise only for an orchestrator fault: zenrun reports
        it as an internal error of the orchestrator's plugin (exit 3), marks
        the unfinished steps, and goes on with the next item.
        """
        ...


#: What a ``zenrun_make_*`` factory hook must return, by hook name.
FACTORY_PROTOCOLS: dict[str, type[Any]] = {
    "zenrun_make_orchestrator": Orchestrator,
    "zenrun_make_artifact_store": ArtifactStore,
    "zenrun_make_metadata_store": MetadataStore,
    "zenrun_make_cache": Cache,
}


def missing_members(obj: object, protocol: type[Any]) -> list[str]:
    """The members of ``protocol`` that ``obj`` lacks (empty when it fits)."""
    names = list(getattr(protocol, "__protocol_attrs__", None) or _protocol_attrs(protocol))
    return sorted(n for n in names if not hasattr(obj, n))


def _protocol_attrs(protocol: type[Any]) -> set[str]:
    # Python < 3.12 has no __protocol_attrs__.
    attrs: set[str] = set()
    for base in protocol.__mro__[:-1]:
        if base.__name__ in ("Protocol", "Generic"):
            continue
        attrs.update(
            n for n in (*base.__dict__, *getattr(base, "__annotations__", {})) if not n.startswith("_")
        )
    return attrs
