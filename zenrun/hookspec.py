"""Every extension point of zenrun, by phase.

Hooks are called with keyword arguments only; an implementation may accept
any subset of a hook's arguments, by name (a name the spec lacks is an error
at start-up). Built-in plugins (the local orchestrator, the filesystem
artifact store, the SQLite metadata store, the cache and the terminal
reporter) implement these hooks exactly as a third-party plugin would, so
each one can be replaced or blocked with ``-p no:NAME``. The objects the
backend factories return are typed by :mod:`zenrun.protocols`.

Unless a hook says otherwise it is called in the driver process (the one
running ``zenrun`` or ``.run()``), on its main thread. An exception raised by
a hook implementation is reported as an internal error of its plugin
(exit 3). ``docs/plugins.md`` has a runnable example per plugin kind.
"""

from __future__ import annotations

# ``typing`` is not imported at run time: ``import zenrun`` imports this module and stays
# light. Type checkers read this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from pdb import Pdb
    from typing import Any, TypeVar

    import pluggy
    from pydantic import BaseModel

    from zenrun.collect import Item, Session
    from zenrun.config import Config, Parser
    from zenrun.metadata.records import PipelineRun, StepRun
    from zenrun.metafunc import Metafunc
    from zenrun.protocols import (
        ArtifactStore,
        Cache,
        MaterializerRegistry,
        MetadataStore,
        Orchestrator,
    )
    from zenrun.reports import ItemReport
    from zenrun.runner import StepCall
    from zenrun.terminal import TerminalReporter

if TYPE_CHECKING:
    _Hook = TypeVar("_Hook", bound=Callable[..., Any])


def _spec(*, firstresult: bool = False, historic: bool = False) -> Callable[[_Hook], _Hook]:
    """Mark a function a hook specification, as ``@hookspec(...)`` does, without pluggy.

    The specifications below are marked with this rather than with pluggy's marker so that
    ``import zenrun`` does not import pluggy (with it ``inspect``, ``ast`` and ``dis``: most
    of what the import would cost); the options are pluggy's own (``pluggy.HookspecOpts``),
    which its ``PluginManager`` reads.
    """

    def mark(func: _Hook) -> _Hook:
        opts = {
            "firstresult": firstresult,
            "historic": historic,
            "warn_on_impl": None,
            "warn_on_impl_args": None,
        }
        setattr(func, "zenrun_spec", opts)  # noqa: B010 - a function type has no such attribute
        return func

    return mark


if TYPE_CHECKING:
    hookspec = pluggy.HookspecMarker("zenrun")
    hookimpl = pluggy.HookimplMarker("zenrun")


def __getattr__(name: str) -> Any:
    # ``hookspec`` and ``hookimpl``, pluggy's markers for the project "zenrun", are made on
    # first use: a plugin's module asks for them, and pluggy is imported then.
    if name in ("hookspec", "hookimpl"):
        import pluggy

        globals()["hookspec"] = pluggy.HookspecMarker("zenrun")
        globals()["hookimpl"] = pluggy.HookimplMarker("zenrun")
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -------------------------------------------------------------------------
# Options and configuration
# -------------------------------------------------------------------------


@_spec(historic=True)
def zenrun_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add a plugin's own hook specifications: ``pluginmanager.add_hookspecs(module)``
    (pytest's ``pytest_addhooks``). Historic: called when the plugin is registered,
    before its other hooks are checked, so it may implement the hooks it adds."""


@_spec(historic=True)
def zenrun_addoption(parser: Parser, pluginmanager: pluggy.PluginManager) -> None:
    """Register command-line options and ``[tool.zenrun]`` keys.

    ``parser.addoption("--name", action=..., default=..., help=...)`` as in
    pytest (``parser.getgroup(name, description)`` for a help section);
    ``parser.addini(name, help, type=..., default=...)`` for
    configuration-file keys. Historic: called once for every plugin,
    including plugins registered later (conftest files found before option
    parsing). Returns nothing.
    """


@_spec(historic=True)
def zenrun_configure(config: Config) -> None:
    """Perform initial configuration after options are parsed.

    Historic: plugins registered later get it too. A plugin may register
    further plugins here with ``config.pluginmanager.register(...)`` (the
    terminal reporter is registered so, as ``"terminalreporter"``). Also
    called for the Python API's config (``config.stash["api"]`` is True).
    """


@_spec()
def zenrun_load_initial_conftests(early_config: Config, parser: Parser, args: list[str]) -> None:
    """Load the ``conftest.py`` files above the path arguments ``args`` (the
    current directory's when none exists), as pytest's hook of the same name.

    Called once while the config is built, after ``zenrun_addoption`` and
    before the command line is parsed, so the options those conftests add are
    known; ``early_config`` has its rootdir and ``[tool.zenrun]`` values but no
    parsed options yet. The built-in ``collect`` plugin implements it. Returns
    nothing.
    """


@_spec()
def zenrun_unconfigure(config: Config) -> None:
    """Called once at the end of the command (after ``zenrun_sessionfinish``),
    before ``config.add_cleanup`` functions; undo what ``zenrun_configure`` did."""


@_spec(firstresult=True)
def zenrun_cmdline_main(config: Config) -> int | None:
    """Run the main command; firstresult: the first non-None exit code wins.

    Plugins use it for commands that replace the run (``--runs``,
    ``--show``, ``--view``); the built-in ``main`` plugin (trylast) runs
    the session. Return an :class:`zenrun.ExitCode` (or int), or None to let
    the next implementation handle the command. The session's stores are
    ``config.metadata_store``, ``config.cache`` and ``config.artifact_store``.
    """


# -------------------------------------------------------------------------
# Collection
# -------------------------------------------------------------------------


@_spec()
def zenrun_sessionstart(session: Session) -> None:
    """Called after the Session is created, before collection (the terminal
    reporter prints the header here)."""


@_spec(firstresult=True)
def zenrun_ignore_collect(collection_path: Path, config: Config) -> bool | None:
    """Return True to leave ``collection_path`` (a file or directory) out of
    collection, False to collect it even if ``--ignore``, ``collect_ignore`` or
    ``norecursedirs`` would leave it out; None to let others decide.

    firstresult. A conftest's implementation applies to the paths below it
    (as pytest's ``pytest_ignore_collect``).
    """


@_spec()
def zenrun_collect_file(file_path: Path, session: Session) -> list[Item] | None:
    """Return the items of ``file_path``, or None when the file is not yours.

    Called for every file under the collected paths; the items of all
    implementations are concatenated. The built-in ``collect`` plugin
    handles files matching ``python_files``. Call ``zenrun.fail(message)``
    for a file that cannot be collected: the message is reported as its
    collection error (exit 2). ``zenrun.skip(reason)`` skips the directory
    being collected, as pytest (one skip; its other files and subdirectories
    are not collected), or the file alone when it was given as an argument.

    An item is a :class:`zenrun.Item`: ``zenrun.Item(nodeid=..., name=...,
    module_path=file_path, target=zenrun.pipeline(function))``, its ``nodeid``
    the file's path relative to ``session.config.rootpath`` (as ``/``-separated
    text), ``::`` and its name. zenrun sets its ``session``.
    """


@_spec()
def zenrun_generate_tests(metafunc: Metafunc) -> None:
    """Parametrize a pipeline function, as pytest's ``pytest_generate_tests``:
    ``metafunc.parametrize(argnames, argvalues, indirect=, ids=, scope=)``;
    ``metafunc.fixturenames``, ``.function``, ``.module``, ``.config``. A
    pipeline module may define it too (for its own pipelines); a conftest's
    applies to the modules below it."""


@_spec(firstresult=True)
def zenrun_make_parametrize_id(config: Config, val: object, argname: str) -> str | None:
    """The id of parameter value ``val`` of ``argname``, or None for the default.

    firstresult: the first non-None id wins. Called at collection, in the driver.
    """


@_spec()
def zenrun_collection_modifyitems(session: Session, config: Config, items: list[Item]) -> None:
    """Filter or re-order ``items`` in place (``-k`` and ``-m`` do it here);
    report removed items with ``config.hook.zenrun_deselected(items=...)``."""


@_spec()
def zenrun_deselected(items: list[Item]) -> None:
    """Called with items deselected by ``-k``, ``-m`` or a plugin."""


@_spec()
def zenrun_collection_finish(session: Session) -> None:
    """Called when collection is finished and ``session.items`` is final
    (also with ``--collect-only``)."""


# -------------------------------------------------------------------------
# Backends: the first plugin returning an object wins
# -------------------------------------------------------------------------


@_spec(firstresult=True)
def zenrun_make_orchestrator(config: Config, name: str) -> Orchestrator | None:
    """Return the :class:`~zenrun.protocols.Orchestrator` called ``name``, or None.

    ``name`` is ``--orchestrator`` (``parallel`` with ``-n``; default
    ``local``). Called once per session, before the first item runs (and by
    ``.run()`` in the Python API). firstresult: the first non-None object
    wins, so return None for names that are not yours; ``tryfirst=True``
    takes precedence over the built-ins. The object is checked against the
    protocol (a misfit is a usage error naming the missing members, exit 4);
    no plugin answering is a usage error listing the known names.
    """


@_spec()
def zenrun_backend_names(config: Config, kind: str) -> list[str] | None:
    """Return the names your factory answers to for ``kind``: ``"orchestrator"``,
    ``"store"`` for the URL schemes of the stores you make (``["postgresql"]``), or
    ``"artifact_store"`` for the schemes of ``--artifact-store`` URLs your
    ``zenrun_make_artifact_store`` opens (read the URL from ``config.artifact_store_url``).

    Used to list the available choices in ``--help`` and in the error for an
    unknown name (``--orchestrator nope``, ``--store mysql://...``). Return None
    for other kinds.
    """


@_spec(firstresult=True)
def zenrun_make_artifact_store(config: Config) -> ArtifactStore | None:
    """Return the session's :class:`~zenrun.protocols.ArtifactStore`.

    Called once, lazily, before the first item runs. firstresult; the
    built-in store (``artifacts`` plugin: files under ``config.store_path /
    "artifacts"``) answers last. ``put(data)`` returns ``(digest, size)``;
    ``get``, ``exists``, ``verify`` and ``sync`` complete the protocol. The
    store is pickled to worker processes. Register its ``close`` with
    ``config.add_cleanup``.
    """


@_spec(firstresult=True)
def zenrun_open_artifact_store(config: Config, url: str) -> ArtifactStore | None:
    """Return the artifact store at ``url`` (a run's recorded ``run.artifact_store``), or None.

    The Python API and ``--show`` read a run's artifacts from the store that
    wrote them when the session's own store lacks them: a plugin whose store
    has a :attr:`~zenrun.protocols.ArtifactStore.url` reopens it here from
    that URL. firstresult; fsspec URLs are opened by the built-in fsspec
    store, which answers last.
    """


@_spec(firstresult=True)
def zenrun_make_metadata_store(config: Config) -> MetadataStore | None:
    """Return the session's :class:`~zenrun.protocols.MetadataStore`.

    Called once, lazily (the first run, or ``--runs`` / ``--show`` / the
    Python API). firstresult; the built-in SQLite store answers last, and only
    when ``config.store_url`` is None (a path or ``sqlite:///``).

    A store chosen by URL (``--store scheme://...``, ``ZENRUN_STORE``,
    ``[tool.zenrun] store``): answer when ``config.store_url`` has your scheme
    (and make the cache in :func:`zenrun_make_cache` likewise), list the scheme
    in :func:`zenrun_backend_names` for ``kind="store"``, and show the URL only
    through ``zenrun.redact_url`` (it may hold a password). A URL no plugin
    answers is a usage error naming the schemes known.
    """


@_spec(firstresult=True)
def zenrun_make_cache(config: Config) -> Cache | None:
    """Return the session's step :class:`~zenrun.protocols.Cache`.

    Called once, lazily. firstresult; when no plugin answers (``-p
    no:cache``) nothing is ever a hit. ``lookup(key)``, ``put(key,
    outputs)`` and ``clear()`` are required; the other members of the
    protocol have defaults (subclass :class:`~zenrun.protocols.Cache`).
    """


@_spec()
def zenrun_register_materializers(registry: MaterializerRegistry) -> None:
    """Add :class:`~zenrun.protocols.Materializer` objects with
    ``registry.register(materializer)``.

    Called once per session, lazily, in the driver; the registry (with your
    materializers) is pickled to worker processes, so materializers must be
    picklable. Later registrations are tried first.
    """


# -------------------------------------------------------------------------
# Running
# -------------------------------------------------------------------------


@_spec()
def zenrun_item_start(item: Item) -> None:
    """Called before an item's fixtures are set up and its pipeline composed.

    ``zenrun.skip(reason)`` here skips the item (``zenrun.fail`` / ``xfail``
    as in a fixture); any other exception is an error of this item blamed on
    the plugin that raised it, and the session goes on with the next item.
    """


@_spec()
def zenrun_collectreport(report: ItemReport) -> None:
    """A module's collection ended in a way worth reporting: ``report.outcome`` is
    ``"skipped"`` (``zenrun.skip(allow_module_level=True)``) or ``"error"`` (it could not be
    collected: ``report.failed``, its message in ``report.longrepr``); ``report.nodeid`` is
    its path, ``report.when`` ``"collect"``."""


@_spec()
def zenrun_runtest_setup(item: Item) -> None:
    """Called before ``item``'s fixtures are set up (as pytest's ``pytest_runtest_setup``):
    raise, or call ``zenrun.skip()`` / ``zenrun.xfail()``, to end the item here."""


@_spec()
def zenrun_runtest_teardown(item: Item) -> None:
    """Called after ``item``'s pipeline-scoped fixtures are torn down; an exception is
    an error at teardown of the item."""


@_spec()
def zenrun_item_report(report: ItemReport) -> None:
    """Called with the :class:`zenrun.ItemReport` of a finished item: one report per item,
    and one more for an error tearing down its fixtures (``.when == "teardown"``; ``.when``
    is ``"setup"`` when setting the item up skipped or failed it, ``"call"`` otherwise)
    (``report.nodeid``, ``.outcome``: passed / failed / error / skipped / xfailed /
    xpassed, ``.phase``: where the outcome was decided, setup / call / teardown,
    ``.run``: the :class:`zenrun.PipelineRun` or None, ``.duration`` and, as pytest's,
    ``.start`` / ``.stop``: epoch times of the item's start and end; pytest's ``.passed``,
    ``.failed``, ``.skipped`` (an xfail too), ``.wasxfail``, ``.longreprtext``,
    ``.capstdout``, ``.capstderr``)."""


@_spec()
def zenrun_enter_pdb(config: Config, pdb: Pdb) -> None:
    """Called when the debugger starts: ``--pdb`` in a failing step, ``--trace`` at a
    step's start, ``breakpoint()`` / ``pdb.set_trace()`` / ``zenrun.set_trace()`` in a
    step (``pdb``: the debugger; capture is suspended meanwhile), as pytest's
    ``pytest_enter_pdb``."""


@_spec()
def zenrun_leave_pdb(config: Config, pdb: Pdb) -> None:
    """Called when the user leaves the debugger (``continue``), capture resumed next."""


@_spec()
def zenrun_pipeline_run_start(run: PipelineRun) -> None:
    """Called when a run record is created (``run.id`` set), before any step runs."""


@_spec()
def zenrun_pipeline_run_finish(run: PipelineRun) -> None:
    """Called when a run has its final status (completed or failed), after
    its records are committed, also when the run was interrupted."""


@_spec()
def zenrun_step_start(step_run: StepRun) -> None:
    """Called in the driver when a step invocation starts, before its cache
    lookup (``step_run.status`` is ``running``; ``step_run.config`` and
    ``step_run.settings`` are set). With a parallel orchestrator it is called
    from the scheduling thread, never from workers."""


@_spec()
def zenrun_step_finish(step_run: StepRun) -> None:
    """Called in the driver when a step invocation is completed, cached,
    failed or skipped (``step_run.status``, ``.outputs``, ``.error``,
    ``.cache_reason``, ``.duration`` are final; ``.metadata`` holds what the
    step logged with ``zenrun.log_metadata``, ``.captured`` its captured
    ``stdout`` / ``stderr`` / ``log`` text)."""


@_spec(firstresult=True)
def zenrun_step_call(step_run: StepRun, call: StepCall) -> bool | None:
    """Call the step function; called where the step runs.

    That is the driver for ``local`` and thread orchestrators, and the
    worker process for process and Dask orchestrators: there zenrun
    registers your implementation on the worker's own plugin manager (it is
    pickled with each task, so it must be a module-level function or a
    method of a picklable object; functions of conftest files travel by
    value). ``step_run`` is the step's record (a copy on a worker: changes
    do not come back) with ``step_run.settings``; ``call.function``,
    ``call.kwargs`` and ``call.task`` describe the call.

    Wrap it with ``@hookimpl(wrapper=True)`` and ``result = yield`` (the
    step's exception is raised at the ``yield``; ``call.result`` holds its
    return value afterwards); return ``result``. firstresult: the built-in
    ``runner`` plugin (trylast) performs the call, stores
    ``call.result`` and returns True; a non-wrapper implementation that
    returns non-None replaces it. An exception raised by your code (not
    re-raised from the step) is an internal error of your plugin (exit 3),
    not a failure of the step. Called once per attempt (``retries``).
    """


@_spec()
def zenrun_step_settings(config: Config) -> dict[str, type[BaseModel] | str] | None:
    """Return ``{namespace: pydantic model class}`` for the step settings you own.

    The model may be given by its import path, ``"package.module:Model"``: it is
    imported only when a step sets the namespace or a hook first reads its
    defaults, so installing your plugin costs a run that does neither nothing
    (not even importing pydantic).

    ``@step(settings={"ns": {...}})``, ``instance.configure(settings=...)``
    and the run config's ``steps.<id>.settings.ns.<key>`` are validated with
    the model before a run starts (an error names pipeline, step, field and
    value) and hooks see the model instance in ``step_run.settings["ns"]``
    (defaults when a step sets nothing, if the model allows it: one instance
    that the steps of a run setting nothing share, so read it, never change
    it). Called once per session. Two plugins owning one namespace is a usage error.
    """


@_spec()
def zenrun_sessionfinish(session: Session, exitstatus: int) -> None:
    """Called after all items ran (or the session stopped: ``exitstatus``
    says why). The terminal reporter writes its summary here, calling
    ``zenrun_terminal_summary``."""


# -------------------------------------------------------------------------
# Reporting
# -------------------------------------------------------------------------


@_spec()
def zenrun_report_header(config: Config, start_path: Path) -> list[str] | str | None:
    """Return a line or lines to show in the session header (not with ``-q``);
    ``start_path`` is the directory zenrun was started in."""


@_spec()
def zenrun_internalerror(excrepr: str, excinfo: BaseException) -> bool | None:
    """An internal error: ``excrepr`` is its report (who is at fault and the
    traceback), ``excinfo`` the exception. Return True when you showed it (the
    terminal reporter does); may call ``zenrun.exit()`` to choose the exit code."""


@_spec()
def zenrun_report_collectionfinish(
    config: Config, start_path: Path, items: list[Item]
) -> list[str] | str | None:
    """Return a line or lines to show after the "collected ..." line (not with ``-q``):
    ``--lf`` and ``--sw`` say here what they rerun or skip."""


@_spec()
def zenrun_markeval_namespace(config: Config) -> dict[str, object]:
    """Return names available to the string conditions of ``skipif`` / ``xfail``
    marks (as pytest's ``pytest_markeval_namespace``). A conftest's implementation
    applies to the pipelines below it; nearer conftests override farther ones."""
    raise NotImplementedError  # a specification: the implementations answer


@_spec()
def zenrun_terminal_summary(terminalreporter: TerminalReporter, exitstatus: int, config: Config) -> None:
    """Add a section to the terminal summary, before the closing line.

    Write with ``terminalreporter.section(title)``, ``.write_line(text)``,
    ``.write_sep("=", title)`` and ``.write(text)`` (markup keywords as
    pytest's: ``green=True``, ``bold=True``...). ``terminalreporter.stats``
    holds the session's reports by outcome, as pytest's (``stats.get("failed",
    [])``: the :class:`zenrun.ItemReport` of each failed item). An exception
    here is reported as an internal error of your plugin; the closing line
    still prints.
    """


@_spec()
def zenrun_assertrepr_compare(
    config: Config | None, op: str, left: object, right: object
) -> list[str] | None:
    """Explain a failing ``assert left <op> right`` (pytest's ``pytest_assertrepr_compare``):
    return its lines, the first a summary (shown after ``assert``), or None to leave it to
    the next plugin and then zenrun. The first non-empty answer is used; a conftest's
    applies to the pipelines below it. Called where the ``assert`` failed: in a worker
    process (``-n``) ``config`` is None.
    """


@_spec(firstresult=True)
def zenrun_visualize(run: PipelineRun, config: Config | None) -> object | None:
    """Show ``run`` (a recorded run) to the user; firstresult: return a
    non-None value (e.g. the app) when you did. The viewer plugin serves it;
    ``PipelineRunLineageVisualizer().visualize(run)`` calls this hook."""
