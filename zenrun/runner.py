"""One step: load its inputs, call it, materialize and store its outputs.

Everything here runs where the step runs (in-process, in a thread, or on a
Dask worker); it touches only the artifact store, never the metadata store.
The step function is called through the ``zenrun_step_call`` hook, so
plugins can wrap it where it runs; this module is the (essential) ``runner``
plugin whose implementation makes the call.

Blame: an exception raised by the step function fails the step with a
traceback trimmed to the user's code. An exception raised by plugin code
(the artifact store, a materializer's ``loads``, a step-call wrapper) is an
internal error of that plugin, reported with its frames (``TaskResult.internal``).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import linecache
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from zenrun import datadeps, heap, randomstate
from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.artifacts.materializers import (
    STREAM_MIN_BYTES,
    JsonMaterializer,
    NumpyMaterializer,
    PickleMaterializer,
    stream_to_store,
)
from zenrun.artifacts.preview import preview
from zenrun.assertion import AssertionSettings
from zenrun.assertion import explain as explain_assertion
from zenrun.blame import OUR_DIRS, PluginFault, hidden_frame, plugin_traceback
from zenrun.cache import Fingerprinter, pickle_references
from zenrun.capture import CaptureFixture, CaptureSettings, capturing, fixture_capturing, unpark
from zenrun.config import PluginManager, hook_for
from zenrun.deferred import dataclass
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.metadata.records import ArtifactRef, StepRun
from zenrun.outcomes import Exit, Failed, OutcomeException, Skipped, XFailed, from_pytest
from zenrun.protocols import ArtifactError, ArtifactStoreError
from zenrun.stepcontext import GATHERED_INPUT, TRIAL_SETTING, call_with_gathered, current_step, step_context
from zenrun.tbstyle import NOTRACE_HEADER, exception_chain, exception_only, exception_text, saferepr
from zenrun.unhandled import warn_unhandled

if TYPE_CHECKING:
    from types import TracebackType

    from zenrun.protocols import ArtifactStore, Materializer, MaterializerRegistry
    from zenrun.stepconfig import StepConfig
    from zenrun.steps import Step

logger = logging.getLogger("zenrun")


class _NoValue:
    """The "not loaded yet" marker; pickles by name so it survives a trip to a worker."""

    def __reduce__(self) -> str:
        return "_NOVALUE"

    def __repr__(self) -> str:
        return "<no value>"


_NOVALUE: Any = _NoValue()


class InputArtifactError(Exception):
    """A cached upstream artifact could not be loaded (missing or corrupt)."""

    def __init__(self, producer: str, message: str) -> None:
        super().__init__(producer, message)
        self.producer = producer

    def __str__(self) -> str:
        return str(self.args[1])


#: This process's id, kept up to date at forks: read several times per step, and a system
#: call each (a step's own fork is checked with the system's, in ``zenrun_step_call``).
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def current_pid() -> int:
    """This process's id (kept up to date at forks: no system call)."""
    return _pid


@dataclass
class InputSource:
    """Where one input value comes from: a value in memory, or an artifact."""

    producer: str
    output: str
    ref: ArtifactRef | None = None
    value: Any = field(default=_NOVALUE, repr=False)


class StepCallHooks:
    """The ``zenrun_step_call`` implementations of plugins, travelling with each task.

    In the driver it calls the session's hook directly. Pickled (to a worker
    process) it keeps only ``(plugin name, function)`` pairs; the worker
    registers them on a plugin manager of its own, so wrappers run where the
    step runs. Functions of project modules (conftest files) are shipped by
    value by :func:`zenrun.remote.ship_project_code`; those of installed
    plugins are imported on the worker.
    """

    def __init__(
        self,
        caller: Callable[..., Any] | None = None,
        impls: list[tuple[str, Callable[..., Any]]] | None = None,
    ) -> None:
        self._caller = caller
        self.impls = list(impls or [])

    def __getstate__(self) -> dict[str, Any]:
        return {"impls": self.impls}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._caller, self.impls = None, state["impls"]

    def functions(self) -> list[Callable[..., Any]]:
        return [function for _, function in self.impls]

    def __call__(self, step_run: StepRun | None, call: StepCall) -> object:
        if self._caller is None:
            self._caller = _worker_caller(self.impls)
        return self._caller(step_run=step_run, call=call)


_worker_callers: dict[tuple[Any, ...], Callable[..., Any]] = {}
_worker_lock = threading.Lock()


def _worker_caller(impls: list[tuple[str, Callable[..., Any]]]) -> Callable[..., Any]:
    """A ``zenrun_step_call`` caller for a process without the driver's plugin manager."""
    import types

    key = tuple((name, getattr(f, "__module__", None), getattr(f, "__qualname__", None)) for name, f in impls)
    with _worker_lock:
        caller = _worker_callers.get(key)
        if caller is None:
            pm = PluginManager()
            pm.register(sys.modules[__name__], "runner")
            for name, function in impls:
                pm.register(types.SimpleNamespace(zenrun_step_call=function), name)
            caller = _worker_callers[key] = pm.hook.zenrun_step_call
    return caller


@dataclass
class StepTask:
    """Everything needed to run one invocation; picklable for remote workers.

    ``step_run`` is the step's record as the hooks see it (a copy, on a
    worker); ``hooks`` the plugins' ``zenrun_step_call`` wrappers (None: none).
    """

    step: Step
    step_id: str
    pipeline_name: str
    config: StepConfig | None
    literals: dict[str, Any]
    wired: dict[str, InputSource | list[InputSource]]
    step_run: StepRun | None = field(default=None, repr=False)
    hooks: StepCallHooks | None = field(default=None, repr=False)
    attempt: int = 1  # > 1 when re-run after its worker process died
    capture: CaptureSettings | None = None  # None: output is not captured
    #: The environment variables conftests and fixtures set (a value) or removed (None) for
    #: this step's item, and the process they were taken in: a step run in another process
    #: sees them for its duration, as the step would in the driver.
    environ: dict[str, str | None] | None = None
    origin_pid: int = field(default_factory=lambda: _pid)
    #: The digests of the plain values the step's code reads (module constants), as its
    #: cache key saw them in the driver: checked where the step runs in another process.
    code_values: dict[str, str] | None = None
    #: The rootdir project modules are named under in those names (``pkg.mod.CONST``).
    rootdir: str | None = None
    data: datadeps.Tracking | None = None  # what to record of the files it reads (None: nothing)
    #: The global random generators as the item's conftests and fixtures seeded them (None:
    #: they seeded none): each attempt of the step starts from them, in any process.
    random_states: dict[str, Any] | None = field(default=None, repr=False)
    #: The session's verbosity (``-v``: 1): how much a failing ``assert`` explains.
    verbosity: int = 0
    #: How a failing ``assert`` is explained (``--assert``, the limits, the item's
    #: ``zenrun_assertrepr_compare`` hooks); None: at ``verbosity``, zenrun's own way.
    assertion: AssertionSettings | None = None


@dataclass
class TaskResult:
    """The outcome of :func:`execute_task`: artifact references, or the error.

    ``error`` is the step's trimmed traceback when ``ok`` is false;
    ``internal`` names the plugin code at fault when the failure was not the
    step's (``error`` then holds that code's full traceback), and
    ``internal_module`` the module it lives in, when known.
    """

    step_id: str
    ok: bool
    started: float
    finished: float
    outputs: dict[str, ArtifactRef] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    error: str | None = None
    internal: str | None = None
    internal_module: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # zenrun.log_metadata(...)
    #: What plugins logged, by plugin name (``zenrun.log_plugin_metadata``).
    plugin_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    captured: dict[str, str] = field(default_factory=dict)  # "stdout", "stderr", "log"
    #: zenrun's own warnings about the step (retries, a dropped return value), and the
    #: process that gave them: the driver repeats those given in another process
    warnings: list[str] = field(default_factory=list)
    pid: int = field(default_factory=lambda: _pid)
    #: What the step read (``datadeps.Recorder.finish``): its record, or why it is uncacheable.
    data: dict[str, Any] | None = None
    #: The step's study pruned its trial (``zenrun.report``): not ``ok``, yet not a failure.
    pruned: bool = False
    #: The step called ``zenrun.skip`` (``"skipped"``), ``zenrun.xfail`` (``"xfailed"``) or
    #: ``zenrun.exit`` (``"exit"``): the item's outcome, as if its body had; ``error`` says why.
    outcome: str | None = None
    #: ``zenrun.exit(returncode=...)`` of a step: the session's exit code.
    returncode: int | None = None
    #: ``(file, line)`` of the user's code that raised the outcome (a skip's, for ``-rs``).
    raised_at: tuple[str, int | None] | None = None


@dataclass
class StepCall:
    """The call of a step function, as ``zenrun_step_call`` implementations see it.

    The ``runner`` plugin's implementation (trylast) calls
    ``function(**kwargs)`` and stores the return value in ``result``;
    wrappers run around it and may read ``result`` after their ``yield``.
    """

    task: StepTask
    function: Callable[..., Any]
    kwargs: dict[str, Any]
    result: Any = None
    raised: BaseException | None = field(default=None, repr=False)


@hookimpl(trylast=True)
def zenrun_step_call(call: StepCall) -> bool:
    pid = _pid  # this process's; whether the step forked a child is asked of the system
    recorder = datadeps.current()  # records what the step function reads, not its wrappers
    if recorder is not None:
        recorder.armed = True
    context = current_step()  # what it logs is the user's; what wrappers log, their plugins'
    if context is not None:
        context.in_step = True
    try:
        call.result = call.function(**call.kwargs)
        # A thread it started died, a __del__ raised: a warning of this step (an error
        # filter fails it), given here while the step's warnings are still its own.
        warn_unhandled()
    except BaseException as exc:
        if os.getpid() != pid:
            _end_forked_child(exc)
        call.raised = exc  # the step's own exception, as opposed to a wrapper's
        raise
    finally:
        if recorder is not None:
            recorder.armed = False
        if context is not None:
            context.in_step = False
    if os.getpid() != pid:
        _end_forked_child(None)
    return True


def _end_forked_child(exc: BaseException | None) -> NoReturn:
    """End a child the step forked (``os.fork``) that returned or raised out of the step.

    The child holds a copy of zenrun: were it to go on, it would report,
    record and run later steps a second time. It never does: it ends here,
    with ``sys.exit``'s code, 1 for an exception, 0 for a return.
    """
    code = 0
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    elif exc is not None:
        code = 1
        try:
            traceback.print_exception(exc, file=sys.__stderr__)
        except BaseException:
            pass
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            pass
    os._exit(code)


class StepRaised(Exception):
    """The step function itself raised ``exc``: the step failed."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(exc)
        self.exc = exc


def _qualname(obj: object) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


@dataclass
class StoredValue:
    """An output held as its stored bytes: each consumer decodes a copy of its own."""

    materializer: Materializer
    data: bytes = field(repr=False)


_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), range)


def _immutable(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind in _IMMUTABLE:
        return True
    if kind in (tuple, frozenset) and depth < 20:
        return all(_immutable(v, depth + 1) for v in value)
    return False


def _is_array(value: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and type(value) is np.ndarray


def _read_only(value: Any) -> Any:
    """``value``, or for a numpy array a read-only view of it (no copy)."""
    if _is_array(value):
        value = value.view()
        value.flags.writeable = False
    return value


def _references_in_loop() -> int:
    """What ``sys.getrefcount`` gives, in :func:`materialize`'s loop, for a value that only
    the outputs' dict holds: measured with the same code, as the interpreter counts."""
    values = {"output": object()}
    for _name, value in values.items():
        return sys.getrefcount(value)
    raise AssertionError("unreachable")  # pragma: no cover


#: See :func:`_references_in_loop`.
_OWN_REFERENCES = _references_in_loop()


def _references_of_a_base() -> int:
    """What ``sys.getrefcount`` gives, in :func:`_memory_held_elsewhere`'s loop, for an
    array's base that only the array (its ``.base``) holds: measured with the same code."""

    class View:
        base: Any = None

    array = View()
    array.base = object()
    base = array.base
    while base is not None:
        return sys.getrefcount(base)
    raise AssertionError("unreachable")  # pragma: no cover


#: See :func:`_references_of_a_base`.
_BASE_REFERENCES = _references_of_a_base()


def _memory_held_elsewhere(array: Any, references: int) -> bool:
    """Whether anything but the step's outputs can reach ``array``'s memory, which has
    ``references`` references counted in :func:`materialize`'s loop: a module's memo, a
    global, a view kept by the step, the object an array was made from."""
    if references > _OWN_REFERENCES:
        return True
    base = array.base
    while base is not None:  # a view: the arrays it is a view of must be held by it alone
        if type(base) is bytes:  # (np.frombuffer of bytes: memory nothing can change)
            return False
        if not _is_array(base) or sys.getrefcount(base) > _BASE_REFERENCES:
            return True
        base = base.base
    return False


def handoff(value: Any, materializer: Materializer, data: bytes, shared: bool = False) -> Any:
    """How an output reaches the consumers in this process: as stored, never shared mutable.

    Immutable values are shared; a numpy array (stored as ``.npy``, which keeps it
    exactly) as a read-only view, when nothing else holds its memory (``shared``
    false): a memo or a global holding it could change it after it was stored, so its
    consumers get a read-only copy made as it was stored. Anything else is decoded from
    the stored bytes for each consumer, as a cached run would load it.
    """
    if isinstance(materializer, (JsonMaterializer, PickleMaterializer)) and _immutable(value):
        return value
    if isinstance(materializer, NumpyMaterializer) and _is_array(value):
        if not shared:
            return _read_only(value)
        copied = value.copy()  # as it was stored, once for all its consumers (not read back)
        copied.flags.writeable = False
        return copied
    return StoredValue(materializer, data)


def private_copy(value: Any) -> Any:
    """A literal input for one step: immutable values shared, else a copy (an array's
    read-only), made as the step starts: the pipeline's own value, which its module or a
    step running meanwhile may change, is never the step's."""
    if _immutable(value):
        return value
    if _is_array(value):
        copied = value.copy()
        copied.flags.writeable = False
        return copied
    try:
        return copy.deepcopy(value)
    except Exception:  # not copyable (a lock, a client): the step gets the object itself
        return value


def load_input(
    source: InputSource, artifact_store: ArtifactStore, materializers: MaterializerRegistry
) -> Any:
    value = source.value
    if isinstance(value, StoredValue):
        return _decode(value.materializer, value.data)
    if value is not _NOVALUE:
        return value
    ref = source.ref
    assert ref is not None, f"input {source.producer}.{source.output} has neither a value nor an artifact"
    materializer = materializers.get(ref.materializer)
    streams = isinstance(materializer, NumpyMaterializer) and ref.size >= STREAM_MIN_BYTES
    try:
        if streams and hasattr(artifact_store, "verified_path"):  # read into the array, no bytes copy
            path = artifact_store.verified_path(ref.digest)
        else:
            path, data = None, artifact_store.get(ref.digest)
    except ArtifactError as exc:
        raise InputArtifactError(source.producer, str(exc)) from None
    except ArtifactStoreError:  # the store is out of reach: this step fails, with its message
        raise
    except Exception as exc:
        raise PluginFault(
            f"the artifact store {_qualname(artifact_store)} (get)", exc, type(artifact_store).__module__
        ) from exc
    if path is not None and isinstance(materializer, NumpyMaterializer):
        with open(path, "rb") as file:
            return _read_only(materializer.load(file))
    return _decode(materializer, data)


def _decode(materializer: Materializer, data: bytes) -> Any:
    try:
        return _read_only(materializer.loads(data))
    except Exception as exc:
        raise PluginFault(
            f"the materializer {materializer.name!r} ({_qualname(materializer)}, loads)",
            exc,
            type(materializer).__module__,
        ) from exc


def load_inputs(task: StepTask, artifact_store: ArtifactStore, materializers: MaterializerRegistry) -> None:
    """Replace artifact references in ``task.wired`` by their values, in place."""
    unloaded = [
        source
        for sources in task.wired.values()
        for source in (sources if isinstance(sources, list) else [sources])
        if source.value is _NOVALUE or isinstance(source.value, StoredValue)
    ]
    if not unloaded:  # loaded already (the driver loads them before the step's call asks)
        return
    with heap.user_code():  # the values are the user's: not frozen as zenrun's while they load
        for source in unloaded:
            if source.value is _NOVALUE or isinstance(source.value, StoredValue):  # (listed twice)
                source.value = load_input(source, artifact_store, materializers)


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` from the step function down, without zenrun's frames, in
    Python's format: with the exceptions it was chained to (its cause, or the one being
    handled when it was raised) before it, as Python and pytest show them.

    Frames above the step call (zenrun, pluggy, plugins' step-call wrappers)
    are left out: the traceback points at the step.
    """
    parts = []
    for error, message in exception_chain(exc):
        parts.append(_one_traceback(error))
        if message is not None:
            parts.append(f"\n{message}\n\n")
    return "".join(parts)


def _one_traceback(exc: BaseException) -> str:
    tb = exc.__traceback__
    start = tb
    while tb is not None:
        if tb.tb_frame.f_code is zenrun_step_call.__code__:
            start = tb.tb_next  # the frames the runner's call leads to: the step's
        tb = tb.tb_next
    frames = [
        f
        for f in _frame_summaries(start, with_locals=bool(_SHOWLOCALS))
        if not f.filename.startswith(OUR_DIRS)
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.StackSummary.from_list(frames).format()]
    if exc.__traceback__ is None or (not frames and start is not exc.__traceback__):
        lines = []  # never raised, or only zenrun's frames: the exception alone (as Python)
    lines += exception_only(exc)
    return "".join(lines)


#: ``-l`` / ``--showlocals``: tracebacks of steps run in this process list each frame's locals
_SHOWLOCALS: dict[str, bool] = {}


def set_showlocals(flag: bool) -> None:
    """List the local variables of each frame in the tracebacks of steps run here."""
    _SHOWLOCALS.clear()
    if flag:
        _SHOWLOCALS["on"] = True


def _frame_summaries(tb: TracebackType | None, with_locals: bool = False) -> list[traceback.FrameSummary]:
    """``traceback.extract_tb`` that knows where code pickled by value came from, without
    the frames of helpers that hide themselves (``__tracebackhide__ = True``).

    cloudpickle names the code of functions it ships by value
    ``<dynamic-code>``; their globals keep the module's ``__file__``, which
    points back at the user's source (readable wherever the file is).
    """
    summaries = []
    walked = []
    while tb is not None:
        walked.append(tb)
        tb = tb.tb_next
    shown = [entry for entry in walked if not hidden_frame(entry.tb_frame)]
    for entry in shown or walked:  # every frame hidden: all of them, rather than none
        frame, lineno = entry.tb_frame, entry.tb_lineno
        code = frame.f_code
        filename = code.co_filename
        if filename == "<dynamic-code>":  # cloudpickle's name only: exec'd or generated code
            module_file = frame.f_globals.get("__file__")  # (a dataclass's __init__) keeps its own
            if isinstance(module_file, str) and module_file.endswith(".py"):
                filename = module_file
        linecache.checkcache(filename)
        local_values = (
            {k: saferepr(v) for k, v in frame.f_locals.items() if not k.startswith("__")}
            if with_locals
            else None
        )
        # The failing expression's position, as Python's own tracebacks and pytest's mark it
        # with ``^`` under the line (tb_lasti is the instruction's byte offset: 2 a unit).
        positions = list(code.co_positions())
        _, end_lineno, colno, end_colno = (
            positions[entry.tb_lasti // 2] if 0 <= entry.tb_lasti // 2 < len(positions) else (None,) * 4
        )
        if end_lineno != lineno:  # an expression on several lines: pytest marks none
            colno = end_colno = None
        summary = traceback.FrameSummary(
            filename,
            lineno,
            code.co_name,
            lookup_line=True,
            end_lineno=end_lineno,
            colno=colno,
            end_colno=end_colno,
        )
        summary.locals = local_values  # already repr'd (truncated, as pytest's saferepr)
        summaries.append(summary)
    return summaries


class StepOutputError(Exception):
    """A step's return value does not fit its declared outputs or cannot be stored."""


def _call(task: StepTask, artifact_store: ArtifactStore, materializers: MaterializerRegistry) -> Any:
    step = task.step
    load_inputs(task, artifact_store, materializers)
    kwargs = dict(task.literals)
    # A gathering step that matched no step still gathers (an empty list).
    gathered: dict[str, dict[str, Any]] | None = {} if kwargs.pop(GATHERED_INPUT, None) == [] else None
    for name, sources in task.wired.items():
        if name == GATHERED_INPUT:
            gathered = {}
            for source in sources:  # type: ignore[union-attr]
                gathered.setdefault(source.producer, {})[source.output] = source.value
            continue
        kwargs[name] = [s.value for s in sources] if isinstance(sources, list) else sources.value
    if step.config_param is not None:
        kwargs[step.config_param] = task.config
    function = step.fn
    if gathered is not None:

        def function(**kwargs: Any) -> Any:
            return call_with_gathered(step.fn, gathered, kwargs)

    call = StepCall(task, function, kwargs)
    # A capture fixture given to the step (capsys) captures while it runs, on its thread.
    given = [v for v in task.literals.values() if isinstance(v, CaptureFixture)] if task.literals else None
    if task.random_states:
        # The item's seeded state, set as late as it can be: the inputs' loading came first,
        # and on a Dask worker it talks to other workers, which draws from ``random``.
        randomstate.restore(task.random_states)
    try:
        if given:
            with fixture_capturing(fixtures=given):
                _call_hooks(task, call)
        else:
            _call_hooks(task, call)
    except KeyboardInterrupt as exc:  # stops the run; with --pdb, as pytest, the step's failure
        if exc is call.raised and "debugger" in _POST_MORTEM:  # (to debug, where it came)
            raise StepRaised(exc) from None
        raise
    except BaseException as exc:
        if exc is call.raised:  # whatever the step raised (as pytest: a BaseException too) fails it
            raise StepRaised(from_pytest(exc)) from None
        if isinstance(exc, (Exception, SystemExit, OutcomeException)):
            raise PluginFault(_wrapper_at_fault(task.hooks, exc), exc) from exc  # names its plugin
        raise
    return call.result


def _call_hooks(task: StepTask, call: StepCall) -> None:
    if task.hooks is None:  # no plugin wraps steps: no hook machinery per call
        zenrun_step_call(call)
    else:
        task.hooks(step_run=task.step_run, call=call)


def _item_outcome(exc: BaseException) -> str | None:
    """What a step's ``zenrun.skip`` / ``xfail`` / ``exit`` means for its item, else None."""
    if isinstance(exc, Skipped):
        return "skipped"
    if isinstance(exc, XFailed):
        return "xfailed"
    if isinstance(exc, Exit):
        return "exit"
    return None


def _raised_at(exc: BaseException) -> tuple[str, int | None] | None:
    frames = [f for f in _frame_summaries(exc.__traceback__) if not f.filename.startswith(OUR_DIRS)]
    return (frames[-1].filename, frames[-1].lineno) if frames else None


def _outcome_text(exc: BaseException) -> str:
    """The step's error: its traceback, or, for a skip, xfail or exit (as pytest shows
    them), ``Type: message`` alone."""
    if isinstance(exc, (Skipped, XFailed, Exit)):
        return f"{type(exc).__name__}: {getattr(exc, 'msg', None) or ''}\n"
    if isinstance(exc, Failed) and not exc.pytrace:  # where it was raised, shown as its message
        text = _one_traceback(exc)
        header = "Traceback (most recent call last):"  # as _one_traceback writes it
        return text.replace(header, NOTRACE_HEADER, 1) if text.startswith(header) else text
    return user_traceback(exc)


def _is_pruned(exc: BaseException) -> bool:
    """``zenrun.report`` stopped the trial (or the step raised Optuna's ``TrialPruned``)."""
    # imported here, on a step's failure: zenrun --help does not need the search spaces
    from zenrun.search import Pruned

    return isinstance(exc, Pruned) or type(exc).__name__ == "TrialPruned"


def _wrapper_at_fault(hooks: StepCallHooks | None, exc: BaseException) -> str:
    """The plugin whose ``zenrun_step_call`` wrapper raised ``exc`` (innermost first)."""
    if hooks is None:
        return "zenrun"
    codes = {getattr(getattr(f, "__func__", f), "__code__", None): name for name, f in hooks.impls}
    tb, name = exc.__traceback__, None
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code, name)
        tb = tb.tb_next
    return f"the zenrun_step_call hook of plugin {name!r}" if name else "a zenrun_step_call hook"


def split_outputs(task: StepTask, returned: Any) -> dict[str, Any]:
    names = task.step.output_names
    if not names:
        if returned is not None:
            logger.warning(
                "step %r is annotated '-> None' but returned %s; the value is dropped "
                "(annotate its return type to keep it)",
                task.step_id,
                type(returned).__name__,
            )
        return {}
    if len(names) == 1:
        return {names[0]: returned}
    if not isinstance(returned, (tuple, list)) or len(returned) != len(names):
        got = f"{len(returned)} values" if isinstance(returned, (tuple, list)) else type(returned).__name__
        raise StepOutputError(
            f"step {task.step_id!r} returned {got}; expected a tuple of "
            f"{len(names)} outputs ({', '.join(names)})"
        )
    return dict(zip(names, returned, strict=True))


def materialize(
    task: StepTask,
    values: dict[str, Any],
    artifact_store: ArtifactStore,
    materializers: MaterializerRegistry,
    handoffs: dict[str, Any] | None = None,
) -> dict[str, ArtifactRef]:
    """Store ``values``; fills ``handoffs`` with what in-process consumers get (:func:`handoff`)."""
    refs = {}
    for name, value in values.items():
        references = sys.getrefcount(value)  # before anything of ours holds it (see handoff)
        try:
            materializer = materializers.for_value(value)
        except Exception as exc:  # a plugin's can_save raised
            raise PluginFault("a materializer's can_save", exc) from exc
        streamed = isinstance(materializer, NumpyMaterializer) and _is_array(value)  # no copy as bytes
        data = b""
        try:
            stored = stream_to_store(artifact_store, materializer, value) if streamed else None
            if stored is None:
                data = materializer.dumps(value)
        except (ArtifactStoreError, KeyboardInterrupt):
            raise
        except BaseException as exc:  # its __reduce__ is the user's: SystemExit there fails this step
            raise StepOutputError(
                f"step {task.step_id!r}: output {name!r} of type {type(value).__module__}."
                f"{type(value).__qualname__} cannot be serialised by the {materializer.name} "
                f"materializer: {type(exc).__name__}: {exception_text(exc)}"
            ) from None
        try:
            digest, size = stored if stored is not None else artifact_store.put(data)
        except ArtifactStoreError:
            raise
        except Exception as exc:
            raise PluginFault(
                f"the artifact store {_qualname(artifact_store)} (put)", exc, type(artifact_store).__module__
            ) from exc
        if handoffs is not None:
            shared = _is_array(value) and _memory_held_elsewhere(value, references)
            handoffs[name] = handoff(value, materializer, data, shared)
        refs[name] = ArtifactRef(
            digest,
            size,
            materializer.name,
            f"{type(value).__module__}.{type(value).__qualname__}",
            preview(value),
            uses=tuple(pickle_references(data)) if materializer.name == PickleMaterializer.name else (),
        )
    return refs


def execute_task(
    task: StepTask,
    artifact_store: ArtifactStore,
    materializers: MaterializerRegistry,
    keep_values: bool = True,
) -> TaskResult:
    """Run ``task``: call the step (with its retries) and store its outputs.

    Call it where the step should run (any process, any thread). A failure
    is returned, not raised: the step's own exception with the user's
    traceback, or a plugin's with ``TaskResult.internal`` naming it. Only an
    :class:`InputArtifactError` propagates, so the caller can rerun the
    producer of a broken cached artifact (``execution.load_inputs(task)``).
    With ``keep_values=False`` the result carries no in-memory values (a
    worker's result travels back without them). Output is captured here,
    where the step runs, and returned with the result.
    """
    with heap.user_code():
        return _execute_task(task, artifact_store, materializers, keep_values)


def _execute_task(
    task: StepTask, artifact_store: ArtifactStore, materializers: MaterializerRegistry, keep_values: bool
) -> TaskResult:
    given = _warnings_given.collect()
    elsewhere = _pid != task.origin_pid
    differing = _values_differing(task, materializers) if elsewhere and task.code_values else None
    if differing:
        return TaskResult(task.step_id, False, time.time(), time.time(), error=differing)
    restore = _apply_item_environ(task) if task.environ and elsewhere else None
    generators = randomstate.current(task.random_states) if task.random_states else None
    try:
        with capturing(task.capture) as capture:
            result = _execute(task, artifact_store, materializers, keep_values)
    finally:
        _warnings_given.stop(given)
        if restore is not None:
            _set_environ(restore)
        if generators is not None:  # the steps after it start from the item's state too
            randomstate.restore(generators)
    result.warnings = given
    if capture is not None:
        result.captured = capture.texts()
    failure = _POST_MORTEM.pop("exception", None)
    if failure is not None and _POST_MORTEM.get("debugger"):  # --pdb, after capture ended
        unpark()  # the user's terminal: not the spools a next step would take over
        _POST_MORTEM["debugger"](failure, result)
    return result


def _values_differing(task: StepTask, materializers: Any) -> str | None:
    """Why the step must not run here: a value its code reads differs from the one its cache
    key was computed with in the driver (e.g. a module constant a fixture changed there, which
    a worker process that imported the module afresh does not see); None when all agree."""
    here = Fingerprinter(materializers, rootdir=task.rootdir).fingerprint(task.step.fn).values
    names = sorted(n for n, digest in (task.code_values or {}).items() if here.get(n) != digest)
    if not names:
        return None
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"step {task.step_id!r} reads {listed}, whose value in this worker process (pid "
        f"{os.getpid()}) differs from the driver's, where its cache key was computed: something "
        "changed it in the driver after import (a fixture or conftest, e.g. a session fixture "
        "setting a module constant), and worker processes import the module afresh.\n"
        "Set the value at import time (from the environment or a file), pass it to the step "
        "as a config or an input, or run this pipeline in one process (without -n, or with "
        "--dist threads).\n"
    )


#: As pytest's ``PYTEST_CURRENT_TEST``: the item the zenrun process is setting up, running or
#: tearing down (``zenrun.main`` sets it). The session's, not an item's environment: never
#: among the variables an item's fixtures changed, which its steps are given elsewhere.
CURRENT_TEST_VAR = "ZENRUN_CURRENT_TEST"


def _apply_item_environ(task: StepTask) -> dict[str, str | None]:
    """Give ``os.environ`` the item's changes; returns what undoes them."""
    changes = task.environ or {}
    undo = {name: os.environ.get(name) for name in changes}
    _set_environ(changes)
    return undo


def _set_environ(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        elif os.environ.get(name) != value:
            os.environ[name] = value


class _WarningsOfThisThread(logging.Handler):
    """On the ``zenrun`` logger: collects the warnings given by a thread while it runs a
    task (each task running on it, when one runs another). One handler for all tasks: a
    handler per task costs a lock and two walks of the logger's handlers at every step."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.local = threading.local()  # .lists: the messages of the tasks running on it

    def collect(self) -> list[str]:
        """Collect this thread's warnings into the list returned, until :meth:`stop`."""
        if self not in logger.handlers:  # installed once; again if something removed it
            logger.addHandler(self)
        lists: list[list[str]] | None = getattr(self.local, "lists", None)
        if lists is None:
            lists = self.local.lists = []
        messages: list[str] = []
        lists.append(messages)
        return messages

    def stop(self, messages: list[str]) -> None:
        lists = self.local.lists
        for i in range(len(lists) - 1, -1, -1):  # the last, unless tasks ended out of order
            if lists[i] is messages:
                del lists[i]
                return

    def emit(self, record: logging.LogRecord) -> None:
        lists = getattr(self.local, "lists", None)
        if lists:
            message = record.getMessage()
            for messages in lists:
                messages.append(message)


_warnings_given = _WarningsOfThisThread()


#: ``--pdb``: {"debugger": callable(exc, result)} while a session with an in-process
#: orchestrator runs
_POST_MORTEM: dict[str, Any] = {}


def post_mortem(exc: BaseException, error: str, captured: dict[str, str]) -> None:
    """``--pdb`` on a failure outside a step (a pipeline module that failed to import):
    ``error`` is its report, ``captured`` what it printed."""
    debugger = _POST_MORTEM.get("debugger")
    if debugger is not None:
        debugger(exc, TaskResult("", False, 0.0, 0.0, error=error, captured=captured))


def set_post_mortem(debugger: Callable[[BaseException, TaskResult], object] | None) -> None:
    """Call ``debugger(exception, result)`` when a step raises in this process (``result``:
    its :class:`TaskResult`, the traceback text and captured output; None: stop)."""
    _POST_MORTEM.clear()
    if debugger is not None:
        _POST_MORTEM["debugger"] = debugger


def _execute(
    task: StepTask, artifact_store: ArtifactStore, materializers: MaterializerRegistry, keep_values: bool
) -> TaskResult:
    started = time.time()
    attempts = task.step.retries + 1
    for attempt in range(task.attempt, attempts + 1):
        recorder = datadeps.Recorder(task.data) if task.data is not None else None
        trial = task.step_run.settings.get(TRIAL_SETTING) if task.step_run is not None else None
        with step_context(task.step_id, trial) as context, recorder or contextlib.nullcontext():
            try:
                returned = _call(task, artifact_store, materializers)
                data = recorder.finish() if recorder is not None else None
                values = split_outputs(task, returned)
                del returned  # the outputs' dict holds them alone: handoff counts who else does
                handoffs: dict[str, Any] | None = {} if keep_values else None
                refs = materialize(task, values, artifact_store, materializers, handoffs)
            except InputArtifactError:
                raise
            except (StepOutputError, ArtifactStoreError) as exc:  # one line says it all
                return TaskResult(
                    task.step_id,
                    False,
                    started,
                    time.time(),
                    error=str(exc) + "\n",
                    metadata=context.metadata,
                    plugin_metadata=context.plugins,
                )
            except PluginFault as fault:  # not the step's fault: no retry, the plugin's frames
                return TaskResult(
                    task.step_id,
                    False,
                    started,
                    time.time(),
                    error=plugin_traceback(fault.exc),
                    internal=fault.who,
                    internal_module=fault.module,
                    metadata=context.metadata,
                    plugin_metadata=context.plugins,
                )
            except StepRaised as raised:  # sys.exit(), zenrun.fail(): the step fails
                step_exc = raised.exc
                # while its frames are alive: what the assert compared
                explain_assertion(step_exc, task.verbosity, task.assertion)
                outcome = _item_outcome(step_exc)  # zenrun.skip / xfail / exit: the item's, never retried
                if outcome is None and _is_pruned(step_exc):  # its study's pruner stopped it: not a failure
                    return TaskResult(
                        task.step_id,
                        False,
                        started,
                        time.time(),
                        error=f"{step_exc}\n",
                        metadata=context.metadata,
                        pruned=True,
                    )
                if outcome is None and "debugger" in _POST_MORTEM and attempt >= attempts:
                    _POST_MORTEM["exception"] = step_exc
                if outcome is None and attempt < attempts:
                    logger.warning(
                        "Step %s failed (attempt %d of %d), retrying: %s: %s",
                        task.step_id,
                        attempt,
                        attempts,
                        type(step_exc).__name__,
                        step_exc,
                    )
                    continue
                return TaskResult(
                    task.step_id,
                    False,
                    started,
                    time.time(),
                    error=_outcome_text(step_exc),
                    metadata=context.metadata,
                    plugin_metadata=context.plugins,
                    outcome=outcome,
                    returncode=getattr(step_exc, "returncode", None) if outcome else None,
                    raised_at=_raised_at(step_exc) if outcome else None,
                )
            except Exception as exc:  # zenrun's own fault
                return TaskResult(
                    task.step_id,
                    False,
                    started,
                    time.time(),
                    error=plugin_traceback(exc),
                    internal="zenrun",
                    metadata=context.metadata,
                    plugin_metadata=context.plugins,
                )
        return TaskResult(
            task.step_id,
            True,
            started,
            time.time(),
            outputs=refs,
            values=handoffs or {},
            metadata=context.metadata,
            plugin_metadata=context.plugins,
            data=data,
        )
    raise AssertionError("unreachable")  # pragma: no cover


#: pytest's default limits of a comparison's explanation without ``-vv``.
_TRUNCATION_DEFAULTS = {"truncation_limit_lines": 8, "truncation_limit_chars": 640}
_TEXT_DIFF_STYLES = ("ndiff", "block")


def assertion_settings(config: Any, directory: Path | None) -> AssertionSettings:
    """How a failing ``assert`` of an item in ``directory`` (None: anywhere) is explained:
    the session's ``--assert``, verbosity, truncation limits and text diff style, and the
    ``zenrun_assertrepr_compare`` implementations of the plugins and of the conftests
    that apply there. A bad value in the configuration is a usage error."""
    session: AssertionSettings | None = config.stash.get("assertion_settings")
    if session is None:
        session = config.stash["assertion_settings"] = _session_assertion_settings(config)
    if not config.hook.zenrun_assertrepr_compare.get_hookimpls():  # the usual case: no proxy
        return session
    hook = config.hook if directory is None else hook_for(config, directory)
    # pluggy's order (the last registered first: conftests before plugins); called where the
    # assert failed, a worker process too, as plain functions: a wrapper has no place there
    impls = reversed(hook.zenrun_assertrepr_compare.get_hookimpls())
    hooks = tuple(i.function for i in impls if not (i.hookwrapper or getattr(i, "wrapper", False)))
    return dataclasses.replace(session, hooks=hooks)


def _session_assertion_settings(config: Any) -> AssertionSettings:
    limits = {}
    for name, default in _TRUNCATION_DEFAULTS.items():
        value = config.getini(name)
        try:
            limits[name] = default if value is None or value == "" else int(value)
        except (TypeError, ValueError):
            raise UsageError(
                f"{config.inipath}: config option {name!r} expects a whole number, got {value!r}"
            ) from None
        if limits[name] < 0:
            raise UsageError(f"{config.inipath}: config option {name!r} expects 0 or more, got {value!r}")
    style = config.getini("assertion_text_diff_style") or "ndiff"
    if style not in _TEXT_DIFF_STYLES:  # pytest's words
        raise UsageError(
            f"{config.inipath}: config option 'assertion_text_diff_style' expects one of "
            f"{' | '.join(repr(s) for s in _TEXT_DIFF_STYLES)}, got {style!r}"
        )
    return AssertionSettings(
        # pytest's ``verbosity_assertions`` key: a failing assert's own level (``auto``: -v's)
        verbosity=config.get_verbosity(config.VERBOSITY_ASSERTIONS),
        plain=config.getoption("assertmode", "rewrite") == "plain",
        max_lines=limits["truncation_limit_lines"],
        max_chars=limits["truncation_limit_chars"],
        text_diff_style=style,
        config=config,
    )
