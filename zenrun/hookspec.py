"""Every extension point of zenrun, by phase.

Hooks are called with keyword arguments only. Built-in plugins (the local
orchestrator, the filesystem artifact store, the SQLite metadata store, the
cache and the terminal reporter) implement these hooks exactly as a
third-party plugin would, so each one can be replaced or blocked with
``-p no:NAME``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from zenrun.artifacts.materializers import MaterializerRegistry
    from zenrun.collect import Item, Session
    from zenrun.config import Config, Parser
    from zenrun.metadata.records import PipelineRun, StepRun

hookspec = pluggy.HookspecMarker("zenrun")
hookimpl = pluggy.HookimplMarker("zenrun")


# -------------------------------------------------------------------------
# Options and configuration
# -------------------------------------------------------------------------


@hookspec(historic=True)
def zenrun_addoption(parser: Parser, pluginmanager: pluggy.PluginManager) -> None:
    """Register command-line options and ``[tool.zenrun]`` keys.

    ``parser.addoption("--name", action=..., default=..., help=...)`` as in
    pytest; ``parser.addini(name, help, type=..., default=...)`` for
    configuration-file keys. Called once for every plugin, including plugins
    registered later (conftest files found before option parsing).
    """


@hookspec(historic=True)
def zenrun_configure(config: Config) -> None:
    """Perform initial configuration after options are parsed.

    A plugin may register further plugins here with
    ``config.pluginmanager.register(...)``.
    """


@hookspec
def zenrun_unconfigure(config: Config) -> None:
    """Called before the process exits; undo what ``zenrun_configure`` did."""


@hookspec(firstresult=True)
def zenrun_cmdline_main(config: Config) -> int | None:
    """Run the main command; the first non-None exit code wins.

    Plugins use it for commands that replace the run (``--runs``,
    ``--show``, ``--fixtures``, ``--view``).
    """


# -------------------------------------------------------------------------
# Collection
# -------------------------------------------------------------------------


@hookspec
def zenrun_sessionstart(session: Session) -> None:
    """Called after the Session is created, before collection."""


@hookspec
def zenrun_collect_file(file_path: Any, session: Session) -> list[Item] | None:
    """Return the items of ``file_path`` (a :class:`pathlib.Path`), or None.

    The built-in ``collect`` plugin handles files matching ``python_files``.
    Raise :class:`zenrun.collect.CollectError` for a file that cannot be
    collected; it is reported as a collection error.
    """


@hookspec
def zenrun_generate_tests(metafunc: Any) -> None:
    """Parametrize a pipeline function, as pytest's ``pytest_generate_tests``:
    ``metafunc.parametrize(argnames, argvalues, indirect=, ids=, scope=)``;
    ``metafunc.fixturenames``, ``.function``, ``.module``, ``.config``. A
    pipeline module may define it too (for its own pipelines); a conftest's
    applies to the modules below it."""


@hookspec(firstresult=True)
def zenrun_make_parametrize_id(config: Config, val: Any, argname: str) -> str | None:
    """The id of parameter value ``val`` of ``argname``, or None for the default."""


@hookspec
def zenrun_collection_modifyitems(session: Session, config: Config, items: list[Item]) -> None:
    """Filter or re-order ``items`` in place (``-k`` and ``-m`` do it here)."""


@hookspec
def zenrun_deselected(items: list[Item]) -> None:
    """Called with items deselected by ``-k``, ``-m`` or a plugin."""


@hookspec
def zenrun_collection_finish(session: Session) -> None:
    """Called when collection is finished and ``session.items`` is final."""


# -------------------------------------------------------------------------
# Backends: the first plugin returning an object wins
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def zenrun_make_orchestrator(config: Config, name: str) -> Any:
    """Return the orchestrator called ``name`` (``--orchestrator``), or None.

    An orchestrator has one method, ``run(execution)``, which executes the
    steps of a :class:`zenrun.execution.PipelineExecution`.
    """


@hookspec(firstresult=True)
def zenrun_make_artifact_store(config: Config) -> Any:
    """Return the artifact store (``put(data) -> digest``, ``get(digest)``,
    ``exists(digest, size)``, ``path(digest)``)."""


@hookspec(firstresult=True)
def zenrun_make_metadata_store(config: Config) -> Any:
    """Return the metadata store recording runs, steps and artifacts."""


@hookspec(firstresult=True)
def zenrun_make_cache(config: Config) -> Any:
    """Return the step cache (``lookup(key)``, ``put(key, outputs)``,
    ``clear()``, and optionally ``flush(before_commit=None)`` to commit
    buffered entries after calling ``before_commit()``)."""


@hookspec
def zenrun_register_materializers(registry: MaterializerRegistry) -> None:
    """Add materializers with ``registry.register(materializer)``."""


# -------------------------------------------------------------------------
# Running
# -------------------------------------------------------------------------


@hookspec
def zenrun_item_start(item: Item) -> None:
    """Called before an item's fixtures are set up and its pipeline composed."""


@hookspec
def zenrun_item_report(report: Any) -> None:
    """Called with the :class:`zenrun.main.ItemReport` of a finished item."""


@hookspec
def zenrun_pipeline_run_start(run: PipelineRun) -> None:
    """Called when a run record is created, before any step runs."""


@hookspec
def zenrun_pipeline_run_finish(run: PipelineRun) -> None:
    """Called when a run has its final status (completed or failed)."""


@hookspec
def zenrun_step_start(step_run: StepRun) -> None:
    """Called when a step invocation starts (before its cache lookup)."""


@hookspec
def zenrun_step_finish(step_run: StepRun) -> None:
    """Called when a step invocation is completed, cached, failed or skipped."""


@hookspec
def zenrun_sessionfinish(session: Session, exitstatus: int) -> None:
    """Called after all items ran, before the terminal summary."""


# -------------------------------------------------------------------------
# Reporting
# -------------------------------------------------------------------------


@hookspec
def zenrun_report_header(config: Config) -> list[str] | str | None:
    """Return lines to show in the session header."""


@hookspec
def zenrun_terminal_summary(terminalreporter: Any, exitstatus: int, config: Config) -> None:
    """Add a section to the terminal summary."""


@hookspec(firstresult=True)
def zenrun_visualize(run: PipelineRun, config: Config | None) -> Any:
    """Show ``run`` (a recorded run) to the user; the viewer plugin serves it."""
