"""The plugin contract: the typed protocols of every swappable part of zenrun.

A plugin author reads this module and can build an orchestrator, an artifact
store, a metadata store, a cache or a materializer without reading zenrun's
code. Each protocol is :func:`typing.runtime_checkable`: at start-up zenrun
checks the object a ``zenrun_make_*`` factory returned and names the missing
methods of one that does not fit (a usage error, exit 4: the plugin is
mis-wired, nothing ran).

Every member zenrun calls on a store is listed here. The members a store can
derive from others have default implementations in the protocol class: a
store that subclasses the protocol (``class MyStore(zenrun.MetadataStore)``)
inherits them and writes only the core members (marked *required*); it may
override any default with a faster one. A store that does not subclass its
protocol gets the defaults it lacks at start-up (:func:`fill_defaults`). ``zenrun.testing`` has conformance
test classes that check a store against this contract.

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

import datetime
import functools
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

if TYPE_CHECKING:
    from zenrun.config import Config
    from zenrun.metadata.records import PipelineRun, StepRun
    from zenrun.runner import StepTask, TaskResult

__all__ = [
    "ANY_ITEM",
    "AmbiguousRunError",
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
    "fill_defaults",
    "item_named",
    "later_run_name",
    "missing_members",
    "required_members",
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


class AmbiguousRunError(LookupError):
    """A run reference (a prefix of run names, an item id) matches several runs or items.

    Raised by :meth:`MetadataStore.find_run` and :meth:`MetadataStore.resolve_item`;
    ``--show`` and the Python API print its message.
    """


def step_record_rows(
    run_id: Any, step_run: StepRun, dumps: Callable[..., str | None]
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows a SQL metadata store writes for ``step_run`` of run ``run_id``: its ``steps``
    row, its ``step_io`` rows (outputs, then inputs by position) and its ``artifacts`` rows,
    in the column order of zenrun's schema (SQLite and the PostgreSQL plugin share it).
    ``dumps(value, ordered=False)`` is the store's JSON encoder (None for None); logged
    metadata keeps its logging order (``ordered=True``). The key parts are written as
    ``json.dumps(parts, sort_keys=True, default=str)`` writes them, from the run's template
    of their text when it has one."""
    s = step_run
    parts, template = s.cache_parts, s._parts_text
    parts_text = None if template is None or parts is None else template.text(parts)
    row = (
        run_id,
        s.id,
        s.name,
        s.status,
        s.started,
        s.finished,
        None if s.config is None else dumps(s.config),  # (dumps(None) is None: without the call)
        s.cache_key,
        dumps(parts) if parts_text is None else parts_text,
        storable_text(s.cache_reason),
        None if s.error is None else storable_text(s.error),
        _json_list(s.upstream),
        dumps(s.metadata, ordered=True) if s.metadata else None,
        dumps(s.captured) if s.captured else None,
        dumps(s.plugin_metadata) if s.plugin_metadata else None,
    )
    io_rows: list[tuple[Any, ...]] = []
    artifacts: list[tuple[Any, ...]] = []
    for name, ref in s.outputs.items():
        artifacts.append((ref.digest, ref.size, ref.materializer, ref.type_name, storable_text(ref.preview)))
        io_rows.append((run_id, s.id, "out", name, None, ref.digest, None, None))
    for name, sources in s.inputs.items():
        for position, (source_step, source_output, source) in enumerate(sources):
            io_rows.append(
                (
                    run_id,
                    s.id,
                    "in",
                    name,
                    position,
                    source.digest if source else None,
                    source_step,
                    source_output,
                )
            )
    return row, io_rows, artifacts


def storable_text(text: str | None) -> str | None:
    """``text`` as a database stores it: characters UTF-8 cannot encode (the surrogates
    Python gives a file name that is not UTF-8) and NUL, which PostgreSQL refuses, written
    as escapes (``\\udce9``, ``\\x00``); other text unchanged."""
    if text is None or (text.isascii() and "\x00" not in text):
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")


def _json_list(values: list[Any]) -> str:
    """``json.dumps(values)``: a list of step ids without the cost of an encoder per call."""
    if not values:
        return "[]"
    if all(type(v) is str for v in values):
        return "[" + ", ".join(map(encode_basestring_ascii, values)) + "]"
    return json.dumps(values)


#: The time part of a run's name: ``<pipeline>-05_Dec_26-14_30_12_345678``.
RUN_TIME_FORMAT = "%d_%b_%y-%H_%M_%S_%f"


def later_run_name(name: str) -> str:
    """The name of a run started a microsecond after the run named ``name``: for a store's
    ``create_run`` when another process's run took that name (processes starting runs of
    one pipeline in the same microsecond make the same name)."""
    head, day, clock = [*name.rsplit("-", 2), "", ""][:3]
    try:
        moment = datetime.datetime.strptime(f"{day}-{clock}", RUN_TIME_FORMAT)
    except ValueError:  # not zenrun's form: a suffix makes it another name
        return f"{name}_1"
    return f"{head}-{(moment + datetime.timedelta(microseconds=1)).strftime(RUN_TIME_FORMAT)}"


def item_named(name: str, item_ids: Iterable[str]) -> str | None:
    """The one of ``item_ids`` whose part after ``::`` is ``name`` (``hpo[iris]`` names
    ``pipeline_hpo.py::hpo[iris]``), or None; a ``name`` with ``::`` is a whole id and names
    none of them. Raises :class:`AmbiguousRunError` when several match. For stores'
    ``resolve_item`` once the exact id was not found."""
    if "::" in name.split("[", 1)[0]:  # a module path before it (a "::" in a parameter id is not)
        return None
    # The name is what follows the module's path: a parameter id may hold "::" too.
    matches = [i for i in item_ids if i.split("::", 1)[-1] == name]
    if len(matches) > 1:
        raise AmbiguousRunError(f"item {name!r} is ambiguous: {', '.join(matches)}")
    return matches[0] if matches else None


class _AnyItem:
    """``previous_step(..., item_id=ANY_ITEM)``: the runs of any item count."""

    def __repr__(self) -> str:
        return "ANY_ITEM"


#: ``MetadataStore.previous_step(..., item_id=ANY_ITEM)``: runs of any item count.
ANY_ITEM: Final[Any] = _AnyItem()

_ACTIVE = ("completed", "cached")


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

    name: str
    """Unique name, stored with each artifact so the right loader is found."""
    version: str
    """Format version of the bytes ``dumps`` writes, recorded with each cache entry of an
    output this materializer saved: a hit needs the same one, so bump it when they change."""

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
        """``name:version`` of every materializer, in priority order: what a session's
        materializers are (not part of cache keys: each cache entry records the
        materializer of each output, and a hit needs the same one)."""
        ...


@runtime_checkable
class ArtifactStore(Protocol):
    """Content-addressed bytes: the outputs of steps.

    Made once per session by ``zenrun_make_artifact_store(config)``. It is
    pickled and shipped to worker processes, so keep its state small and
    reopen resources lazily after unpickling. Every method may be called
    from several threads at once.

    Required: :meth:`put`, :meth:`get`, :meth:`exists`, :meth:`verify`,
    :meth:`sync`. The other members have defaults (inherit them by
    subclassing this protocol).

    Optional, used when the store has it: ``verify_many(refs) -> dict[str,
    bool]``, :meth:`verify` of a batch of ``(digest, size)`` pairs at once, by
    digest. A rerun asks it for the outputs of the cache hits it looks up
    ahead, in batches, before they are used; a digest it answers True for is not verified again, one it
    answers False for (or leaves out) is asked of :meth:`verify`. A store whose
    round trips cost (a database, an object store) answers it in one.
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

        A store whose :meth:`checkpoint` returns a number also accepts
        ``sync(since=number)``: wait only for the writes made after that
        checkpoint (each pipeline run syncs its own writes).
        """
        ...

    url: str | None = None
    """Where the store is, as a URL; recorded with each run (``run.artifact_store``). The Python API
    reads a run's artifacts from the store its run recorded, even when its own session is configured
    with another: it reopens that store through the ``zenrun_open_artifact_store`` hook (fsspec URLs
    zenrun opens itself). None (default): nothing is recorded and the API reads the session's store.
    Shown by ``--store-check`` and ``--show``: never put a password in it.
    """
    identity: Any = None
    """Names this store in cache entries (an entry made with another store is a miss); a string, or a
    method returning one. None (default): a store with a ``root`` :class:`~pathlib.Path` gets a
    random id kept in ``root / ".zenrun-store-id"``, any other is named by its type and :attr:`url`.
    """

    def uri(self, digest: str) -> str:
        """Where the artifact ``digest`` is (``ArtifactRef.uri``): a path or a URL.

        Called only with a valid digest. Default: ``<url>/<digest>`` when the
        store has a :attr:`url`; a store without one raises
        :class:`NotImplementedError` (``ref.uri`` then names the store).
        """
        if self.url is None:
            raise NotImplementedError(f"{type(self).__qualname__} has no url: it cannot locate artifacts")
        return f"{self.url.rstrip('/')}/{digest}"

    def checkpoint(self) -> int | None:
        """A marker of the writes so far, for ``sync(since=...)``; None (default): no markers."""
        return None

    def collect(self, keep: set[str], older_than: float, dry_run: bool = False) -> tuple[int, int]:
        """Garbage collection (``--gc``): remove the artifacts not in ``keep`` last
        written before ``older_than`` (a Unix time); return ``(count, bytes)`` removed
        (or that would be, with ``dry_run``).

        An artifact written (or written again) at or after ``older_than`` must
        survive: a live run may be about to record it. Default:
        :class:`NotImplementedError`, and ``--gc`` removes no artifact and says so.
        """
        reason = f"{type(self).__qualname__} cannot remove artifacts"
        raise NotImplementedError(reason)


# ---------------------------------------------------------------------------
# Where records and cache entries live (driver only)
# ---------------------------------------------------------------------------


@runtime_checkable
class MetadataStore(Protocol):
    """Runs and step records, read back by ``--runs``, ``--show``, ``--gc``, the
    Python API and the viewer.

    Made once per session by ``zenrun_make_metadata_store(config)`` and used
    only in the driver process: from the scheduling thread, and ``flush``
    also from the background flush thread (guard shared state with a lock).
    A viewer may read from its own threads while a run writes.

    Required: :meth:`create_run`, :meth:`record_step`, :meth:`flush`,
    :meth:`finish_run`, :meth:`get_runs`, :meth:`get_run`. Every other member
    has a default built on :meth:`get_runs` (correct, and as slow as reading
    every run): subclass this protocol to inherit them, and override the
    queries with indexed ones when the store grows large.

    Liveness: a run whose owner process died stays ``running`` in the
    records until a store tells it apart (:meth:`dead_runs`); every reader
    then shows it ``failed``.
    """

    read_only: bool = False
    """True when nothing can be recorded (a read-only file or database user): zenrun then refuses to
    run and ``--gc`` refuses to remove, with a usage error.
    """

    flushes_apart: bool = False
    """True when :meth:`flush` takes no lock, connection or file that the cache uses, and
    calls ``before_commit`` holding none of its own that the cache needs. When both this
    store and the :class:`Cache` say so, zenrun flushes the cache from inside this store's
    ``before_commit``: both write their rows while the artifacts are made durable, and the
    cache still commits first. The built-in SQLite stores (a file each) say so.
    """

    def create_run(self, run: PipelineRun) -> None:
        """*Required.* Persist ``run`` (status ``running``) at once and set ``run.id``
        to an integer that orders runs by creation, unique in the store (several
        processes, on several hosts, may create runs at the same time)."""
        ...

    def record_step(self, run: PipelineRun, step_run: StepRun) -> None:
        """*Required.* Note ``step_run`` as it is now; may be buffered until :meth:`flush`.

        Called when a step finishes, and, while it runs, before the first :meth:`flush`
        after it started (a step that ends before that flush is recorded once, as it
        ended); a later record of the same ``(run.id, step_run.id)`` replaces an earlier
        one. Keep what the record holds when called: the object may change after.
        """
        ...

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        """*Required.* Commit buffered records; call ``before_commit()`` before the commit
        (it returns once the artifacts the records point at are durable), and drop the
        records if it raises."""
        ...

    def finish_run(self, run: PipelineRun) -> None:
        """*Required.* Flush, then persist ``run.status``, ``run.finished``,
        ``run.metrics``, ``run.n_steps`` and ``run.n_cached``."""
        ...

    def get_runs(self, pipeline: str | None = None) -> list[PipelineRun]:
        """*Required.* Recorded runs, oldest first, of ``pipeline`` or of all pipelines.

        ``run.steps`` of a returned run holds (or loads on first access) its
        step records with their ``inputs`` and ``outputs``; ``run.artifact_store``
        is the URL recorded with it.
        """
        ...

    def get_run(self, name: str) -> PipelineRun | None:
        """*Required.* The run called ``name`` (``"latest"``: the newest), or None."""
        ...

    # -- queries with defaults ---------------------------------------------------
    def previous_step(
        self, pipeline: str, step_id: str, before_run: int | None, item_id: Any = ANY_ITEM
    ) -> StepRun | None:
        """The newest completed or cached record of ``step_id`` in ``pipeline``
        from a run older than ``before_run`` (any run when None); its
        ``cache_parts`` explain a cache miss.

        Given ``item_id`` (a string, or None for runs made through the Python
        API), only runs of that item count: ``hpo[iris]`` is compared with
        ``hpo[iris]``. :data:`ANY_ITEM`: runs of any item.
        """
        for run in reversed(self.get_runs(pipeline)):
            if before_run is not None and (run.id is None or run.id >= before_run):
                continue
            if item_id is not ANY_ITEM and run.item_id != item_id:
                continue
            step = run.steps.get(step_id)
            if step is not None and step.status in _ACTIVE:
                return step
        return None

    def last_computed(self, pipeline: str, step_id: str) -> StepRun | None:
        """The newest ``completed`` record of ``step_id`` in ``pipeline`` (any item), with
        its ``started``, ``finished`` and ``cache_parts``, or None: how long the step took
        when it last ran (``-n`` runs steps known to be quick in the driver)."""
        for run in reversed(self.get_runs(pipeline)):
            step = run.steps.get(step_id)
            if step is not None and step.status == "completed":
                return step
        return None

    def logged_metadata(self, cache_key: str) -> dict[str, Any] | None:
        """What the step run that computed ``cache_key`` logged (the newest
        ``completed`` record with that key and non-empty ``metadata``), or None.

        A cache hit shows the values its computing step logged. Called for
        every hit: index it in a large store. When :meth:`delete_runs` removed
        that record, what it logged is still the answer (a cache hit's record
        holds a copy): keep it when deleting runs.
        """
        runs = list(reversed(self.get_runs()))
        for status in ("completed", "cached"):
            for run in runs:
                for step in run.steps.values():
                    if step.cache_key == cache_key and step.status == status and step.metadata:
                        return dict(step.metadata)
        return None

    def logged_metadata_many(self, cache_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """:meth:`logged_metadata` of each of ``cache_keys``, for those that have some.

        A rerun asks it for a batch of cache hits at once. Default: one
        :meth:`logged_metadata` call per key; a store answers it in one query.
        """
        found = {}
        for key in dict.fromkeys(cache_keys):
            metadata = self.logged_metadata(key)
            if metadata:
                found[key] = metadata
        return found

    def copy_cached_steps(
        self,
        run: PipelineRun,
        source: tuple[Any, str],
        step_ids: Sequence[str],
        when: float,
        proceed: Callable[[], bool] | None = None,
    ) -> bool:
        """Record the steps ``step_ids`` of the running ``run`` as cache hits, copied from
        their records in the completed run ``source`` (its ``id`` and ``name``): the
        same config, cache key, key parts, inputs, outputs and logged metadata, status
        ``cached``, cache reason ``cache hit``, started and finished at ``when``, no
        error, captured output or plugin metadata.

        A large item's fully cached rerun is served whole from the cache's replay
        record of ``source`` and asks for its records this way, from a background
        thread, while it checks the record: call ``proceed()`` once the rows are
        written and commit them only if it returns True. All or nothing: return
        False, with nothing written, unless ``source`` is there, completed, with
        exactly those steps (completed or cached) and ``proceed()`` said yes.
        Default: False (zenrun then records each step with :meth:`record_step`).
        """
        return False

    def recent_runs(
        self,
        limit: int | None = None,
        match: Callable[[str | None, str], bool] | None = None,
        pipeline: str | None = None,
    ) -> list[PipelineRun]:
        """Runs newest first, at most ``limit`` of them (``--runs``, ``runs_table``).

        ``match(item_id, pipeline_name)`` keeps a run when true; ``pipeline``
        keeps that pipeline's runs. A returned run need not carry its
        ``graph``; its ``steps`` load on access.
        """
        runs = [
            r for r in reversed(self.get_runs(pipeline)) if match is None or match(r.item_id, r.pipeline_name)
        ]
        return runs if limit is None else runs[:limit]

    def find_runs(self, text: str | None = None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Run summaries newest first, a page of ``limit`` from ``offset`` (the viewer's picker).

        ``text`` keeps runs in which each of its words is part of the name,
        pipeline, item id or status (case-insensitive). A summary is a dict
        with ``name``, ``pipeline``, ``item_id``, ``status``, ``started``,
        ``finished``.
        """
        words = (text or "").lower().split()
        rows = []
        for r in reversed(self.get_runs()):
            row = {
                "name": r.name,
                "pipeline": r.pipeline_name,
                "item_id": r.item_id,
                "status": r.status,
                "started": r.started,
                "finished": r.finished,
            }
            fields = [str(row[k] or "").lower() for k in ("name", "pipeline", "item_id", "status")]
            if all(any(w in f for f in fields) for w in words):
                rows.append(row)
        return rows[offset : offset + limit]

    def pipeline_names(self) -> list[str]:
        """The names of the pipelines with recorded runs, sorted."""
        return sorted({r.pipeline_name for r in self.get_runs()})

    def item_ids(self, pipeline: str | None = None) -> list[str]:
        """The item ids of recorded runs (of ``pipeline``), in the order of their first run."""
        return list(dict.fromkeys(r.item_id for r in self.get_runs(pipeline) if r.item_id is not None))

    def resolve_item(self, item: str) -> str | None:
        """The recorded item id ``item`` names: itself, or the one whose part after
        ``::`` is ``item`` (``hpo[iris]`` for ``pipeline_hpo.py::hpo[iris]``), or None.
        Raises :class:`AmbiguousRunError` when several items match."""
        ids = self.item_ids()
        return item if item in ids else item_named(item, ids)

    def item_runs(self, item_id: str) -> list[PipelineRun]:
        """The runs of the item ``item_id``, oldest first."""
        return [r for r in self.get_runs() if r.item_id == item_id]

    def latest_item_runs(self, pipeline: str) -> list[PipelineRun]:
        """The newest run of each item of ``pipeline`` (a grid's current state), by item id."""
        latest: dict[str, PipelineRun] = {}
        for run in self.get_runs(pipeline):  # oldest first: later runs replace earlier ones
            latest[run.item_id or ""] = run
        return [latest[k] for k in sorted(latest)]

    def find_run(self, ref: str) -> PipelineRun:
        """The run ``ref`` names (``--show``, ``zenrun.get_run``): ``latest``, a run
        name, an item id or its short form (that item's newest run), or a unique
        prefix of a run name.

        Raises :class:`AmbiguousRunError` when it names several runs or items
        (a parametrized pipeline's name included), :class:`LookupError` when none.
        """
        if ref == "latest":
            run = self.get_run("latest")
            if run is None:
                raise LookupError("no runs recorded")
            return run
        run = self.get_run(ref)
        if run is not None:
            return run
        item = self.resolve_item(ref)
        if item is not None:
            return self.item_runs(item)[-1]
        items = self.item_ids(ref)
        if len(items) > 1:  # a parametrized pipeline's name: which item is meant?
            names = ", ".join(i.rpartition("::")[2] for i in items[:5]) + (", ..." if len(items) > 5 else "")
            raise AmbiguousRunError(f"{ref!r} is a pipeline with several items: {names}")
        found = [r for r in reversed(self.get_runs()) if r.name.startswith(ref)]
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(r.name for r in found[:5]) + (", ..." if len(found) > 5 else "")
            raise AmbiguousRunError(f"{ref!r} matches several runs: {names}")
        raise LookupError(f"no run, item or run-name prefix matches {ref!r}")

    # -- liveness and maintenance ---------------------------------------------------
    def dead_runs(self) -> list[str]:
        """Names of the runs recorded ``running`` whose owner process has died.

        Must answer for runs of any process on any host sharing the store
        (a lock, a lease or heartbeat renewed by the owner). Read-only: safe
        on a read-only store. Default: none (the store cannot tell).
        """
        return []

    def fail_dead_runs(self) -> list[str]:
        """Record the :meth:`dead_runs` ``failed`` (their ``running`` steps too); their names.

        zenrun calls it before ``--gc`` and when a viewer refreshes. Default:
        nothing recorded, the names of :meth:`dead_runs`.
        """
        return self.dead_runs()

    def referenced_digests(self) -> set[str]:
        """The digests of every artifact a recorded step used or produced (``--gc`` keeps them)."""
        digests: set[str] = set()
        for run in self.get_runs():
            for step in run.steps.values():
                digests.update(ref.digest for ref in step.outputs.values())
                digests.update(ref.digest for sources in step.inputs.values() for *_, ref in sources if ref)
        return digests

    def delete_runs(self, names: Sequence[str]) -> None:
        """Forget the runs called ``names`` and their step records (``--gc --keep N``),
        keeping what their computing records logged for :meth:`logged_metadata`.

        zenrun never passes a ``running`` run. Default: :class:`NotImplementedError`
        (``--gc --keep`` then says the store cannot delete runs).
        """
        reason = f"{type(self).__qualname__} cannot delete runs"
        raise NotImplementedError(reason)

    def close(self) -> None:
        """Release connections (register it with ``config.add_cleanup``). Default: nothing."""
        return None


@runtime_checkable
class Cache(Protocol):
    """Cache key -> the artifacts of a step's outputs.

    Made by ``zenrun_make_cache(config)``; driver process only. An entry
    maps each output name to ``{"digest", "size", "materializer", "type"}``
    (and more keys zenrun adds; store the entry as given); its ``"@data"``
    key holds what the step read (``zenrun.datadeps``), not an output.

    Required: :meth:`lookup`, :meth:`put`, :meth:`clear`; the other members
    have defaults (subclass this protocol to inherit them).
    """

    flushes_apart: bool = False
    """True when :meth:`flush` takes no lock, connection or file that the metadata store
    uses (see :attr:`MetadataStore.flushes_apart`)."""

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        """*Required.* The entry stored under ``key`` (including unflushed ones), or None."""
        ...

    def lookup_many(self, keys: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """The entries stored under those of ``keys`` that have one (unflushed ones
        included), as :meth:`lookup` finds them. A rerun looks its cache hits up in
        batches. Default: one :meth:`lookup` per key; a store answers it in one query."""
        found = {}
        for key in dict.fromkeys(keys):
            entry = self.lookup(key)
            if entry is not None:
                found[key] = entry
        return found

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        """*Required.* Store an entry. A cache that keeps its entries past the process buffers
        it until :meth:`flush` commits it: written at once, an entry may point at an artifact
        whose write then fails (``before_commit`` raising), and another process would take it
        as a hit (the conformance kit checks that such an entry is dropped). :meth:`lookup`
        finds it meanwhile. A later entry under the same key replaces the earlier one."""
        ...

    def clear(self) -> None:
        """*Required.* Forget every entry (``--cache-clear``)."""
        ...

    def flush(self, before_commit: Callable[[], None] | None = None) -> None:
        """Commit what :meth:`put` buffered; called every 0.2 s from a background
        thread and at the end of each run. Call ``before_commit()`` (it returns once
        the artifacts the entries point at are durable) before the commit, and drop
        the buffered entries if it raises.
        Default: only ``before_commit()`` is called, for a cache that commits nothing (its
        entries live in this process only)."""
        if before_commit is not None:
            before_commit()

    def entries(self) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """Every ``(key, entry)`` stored, the ones ``put`` buffered and ``flush`` has not
        written yet included, as :meth:`lookup` finds them (for ``--gc`` and copying
        between stores).

        Default: :class:`NotImplementedError` (``--gc`` then removes no artifact, since
        it cannot tell which ones the cache needs)."""
        reason = f"{type(self).__qualname__} cannot list its entries"
        raise NotImplementedError(reason)

    def referenced_digests(self) -> set[str]:
        """The digests of the artifacts the entries point at (``--gc`` keeps them).
        Default: read from :meth:`entries`."""
        digests: set[str] = set()
        for _key, entry in self.entries():
            for name, ref in entry.items():
                if name != "@data" and isinstance(ref, dict) and isinstance(ref.get("digest"), str):
                    digests.add(ref["digest"])
        return digests

    def replay_mark(self) -> Any:
        """Taken when the run of a large item (10,000 steps or more) starts; given back to
        :meth:`record_replay` at its end. Default: None (the cache keeps no replay
        records: every rerun goes step by step)."""
        return None

    def replay(self, item: str) -> dict[str, Any] | None:
        """The replay record :meth:`record_replay` stored for ``item``, if it still holds:
        None once any entry under one of its keys was written or removed since.
        Default: None."""
        return None

    def record_replay(self, item: str, keys: Sequence[str], record: dict[str, Any], mark: Any) -> bool:
        """Store ``record`` (JSON-able) as ``item``'s replay record, relying on the
        entries under ``keys``, replacing the item's earlier one, but only if nothing
        but this object wrote the cache since ``mark`` (:meth:`replay_mark`); else
        drop the item's record. Whether it was stored. Default: False.

        zenrun's SQLite cache keeps records beside its entries, and triggers drop a
        record when an entry it relies on changes, whoever writes it.
        """
        return False

    def close(self) -> None:
        """Release connections (register it with ``config.add_cleanup``). Default: nothing."""
        return None


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

    run: PipelineRun
    """The run record (``run.name``, ``run.pipeline_name``, ``run.steps``)."""
    order: list[str]
    """Step ids in a topological order."""
    upstream: dict[str, list[str]]
    """Step id -> the ids of the steps it waits for: every step id of :attr:`order` is a key
    (an empty list for a step that waits for none). A step may be prepared as soon as those
    are completed, cached or skipped, while the tasks of other steps still run elsewhere:
    the tasks run concurrently, the calls on the execution stay on the run's thread."""
    artifact_store: ArtifactStore
    """Where the steps' outputs go (pass it to ``execute_task``)."""
    materializers: MaterializerRegistry
    """How values become bytes and back (pass it to ``execute_task``)."""
    config: Config
    """The session's configuration (``config.getoption``, ``config.getini``)."""

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

    Optional members, used when the object has them:

    - ``check(composed) -> str | None``: called for each item before its run
      starts; a text (why it cannot run here, e.g. a value that cannot reach a
      worker: :func:`zenrun.remote.unsendable_invocation`) makes the item an
      error with that message, and nothing of it runs.
    - ``warm_up() -> None``: called once, before the first item is prepared:
      start workers booting while zenrun composes the pipelines.
    - ``run_many(executions, *, exitfirst, maxfail, on_finish, feed=None)``:
      run the steps of all the session's items together instead of calling
      :meth:`run` per item; it returns an object whose ``stopped`` says why
      launching stopped early (None if it did not). Subclass
      :class:`zenrun.remote.SchedulingOrchestrator` rather than writing it.
    """

    name: str
    """Shown in the header and stored with each run (``run.orchestrator``)."""

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


#: The members a store must write itself; the protocol class gives the others defaults.
_REQUIRED: dict[type[Any], frozenset[str]] = {
    ArtifactStore: frozenset({"put", "get", "exists", "verify", "sync"}),
    MetadataStore: frozenset({"create_run", "record_step", "flush", "finish_run", "get_runs", "get_run"}),
    Cache: frozenset({"lookup", "put", "clear"}),
}


def required_members(protocol: type[Any]) -> frozenset[str]:
    """The members of ``protocol`` without a default (every member, for the protocols
    that give none): what a class subclassing ``protocol`` must define."""
    return _REQUIRED.get(protocol) or frozenset(_members(protocol))


def fill_defaults(obj: object, protocol: type[Any]) -> None:
    """Give ``obj`` the defaults of the members of ``protocol`` it lacks.

    For a store written to an earlier, smaller protocol that does not subclass
    it: zenrun calls this on what a ``zenrun_make_*`` factory returned, so every
    member exists afterwards. The defaults go in the instance's ``__dict__``
    as picklable values (a method as a :func:`functools.partial` of the
    protocol's function); an object that takes no attributes keeps lacking
    them and :func:`missing_members` names them.
    """
    required = required_members(protocol)
    for name in missing_members(obj, protocol):
        if name in required:
            continue
        value = inspect.getattr_static(protocol, name)
        if inspect.isfunction(value):
            value = functools.partial(value, obj)
        try:
            setattr(obj, name, value)
        except (AttributeError, TypeError):
            pass


def missing_members(obj: object, protocol: type[Any]) -> list[str]:
    """The members of ``protocol`` that ``obj`` lacks (empty when it fits)."""
    return sorted(n for n in _members(protocol) if not hasattr(obj, n))


def _members(protocol: type[Any]) -> list[str]:
    return list(getattr(protocol, "__protocol_attrs__", None) or _protocol_attrs(protocol))


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
