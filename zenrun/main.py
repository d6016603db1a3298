"""The session: collect -> compose -> orchestrate -> report, and the ``zenrun`` command."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zenrun.blame import ZENRUN_DIR, describe_fault
from zenrun.capture import capturing, section_title, silence_stdout
from zenrun.collect import Item, Session
from zenrun.config import StartupError, create_config, reset_active_config, set_active_config
from zenrun.errors import ComposeError, ExitCode, UsageError
from zenrun.fixtures import FixtureLookupError, SetupState
from zenrun.hookspec import hookimpl
from zenrun.metadata.records import FAILED, PipelineRun
from zenrun.outcomes import Failed, OutcomeException, Skipped, XFailed
from zenrun.runconfig import SharedSteps
from zenrun.runner import set_post_mortem, user_traceback
from zenrun.skipping import evaluate_skip, evaluate_xfail, raised_matches
from zenrun.stepcontext import to_json_value
from zenrun.tbstyle import format_traceback

if TYPE_CHECKING:
    from zenrun.capture import StepCapture
    from zenrun.compose import ComposedPipeline
    from zenrun.config import Config, Parser
    from zenrun.execution import PipelineExecution
    from zenrun.orchestrators.scheduler import SchedulingOrchestrator
    from zenrun.protocols import Orchestrator
    from zenrun.skipping import Xfail

PASSED, FAILED_OUTCOME, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
XFAILED, XPASSED = "xfailed", "xpassed"


@dataclass
class ItemReport:
    """The outcome of one item: passed, failed (a step failed), error (before running) or skipped."""

    nodeid: str
    outcome: str
    duration: float = 0.0
    run: PipelineRun | None = None
    longrepr: str = ""
    keywords: dict[str, Any] = field(default_factory=dict)
    internal: bool = False  # a plugin (or zenrun) failed, not the pipeline: exit 3
    sections: list[tuple[str, str]] = field(default_factory=list)  # captured fixture output
    when: str = "call"  # "teardown": an error tearing down fixtures, reported after its item
    location: tuple[str, int | None] | None = None  # where a skip came from (-rs folds by it)

    @property
    def summary(self) -> str:
        """One line for the short summary: the failed step and its error, or the error."""
        if self.run is not None:
            for step in self.run.steps.values():
                if step.status == FAILED and step.error:
                    return f"step {step.id!r}: {step.error.strip().splitlines()[-1]}"
        text = self.longrepr
        for title, _ in self.sections:  # fixture output appended to the failure: not the error
            text = text.split(f"\n{title}\n", 1)[0]
        lines = text.strip().splitlines()
        if len(lines) > 1:  # the first line names pipeline and step, the last one what is wrong
            return f"{lines[0].rstrip(':')}: {lines[-1].strip()}"
        return lines[0] if lines else ""

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    general = parser.getgroup("general")
    general.addoption("-h", "--help", action="store_true", default=False, help="show this help and exit")
    general.addoption("--version", action="store_true", default=False, help="show the version and exit")
    general.addoption(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more output: every step's lines, and why it hit or missed the cache",
    )
    general.addoption("-q", "--quiet", action="count", default=0, help="less output")
    general.addoption(
        "-x", "--exitfirst", action="store_true", default=False, help="stop after the first failed pipeline"
    )
    general.addoption(
        "--pdb",
        dest="usepdb",
        action="store_true",
        default=False,
        help="start the Python debugger in a failing step (local orchestrator)",
    )
    general.addoption(
        "--maxfail",
        type=int,
        default=0,
        metavar="N",
        help="stop after N failed pipelines (parallel runs: launch no more steps)",
    )
    parser.addini(
        "addopts",
        "extra command-line options, as if given first on the command line (also $ZENRUN_ADDOPTS)",
        default="",
    )
    general.addoption(
        "--collect-only",
        "--co",
        dest="collectonly",
        action="store_true",
        default=False,
        help="list the pipelines that would run, run nothing",
    )
    general.addoption(
        "-p",
        dest="plugins",
        action="append",
        default=[],
        metavar="NAME",
        help="load plugin NAME early; -p no:NAME blocks it",
    )
    running = parser.getgroup("running")
    running.addoption(
        "--orchestrator",
        default=None,
        metavar="NAME",
        help="orchestrator to run steps with: local (default), parallel, dask, ...",
    )
    running.addoption(
        "--no-cache",
        dest="no_cache",
        action="store_true",
        default=False,
        help="run every step; nothing is taken from the cache in this run",
    )
    running.addoption(
        "--cache-clear",
        dest="cache_clear",
        action="store_true",
        default=False,
        help="empty the cache before running",
    )
    store = parser.getgroup("store")
    store.addoption(
        "--store",
        default=None,
        metavar="PATH_OR_URL",
        help="where runs and artifacts are kept: a directory or sqlite:///PATH (default: .zenrun/ in "
        "the rootdir), or a team store URL such as postgresql://user@host/db (plugin zenrun_postgres); "
        "env ZENRUN_STORE",
    )
    parser.addini(
        "cache_check_versions",
        "a cache entry computed under other versions of the packages its step uses (or another "
        "Python, for pickles) is a miss; false serves it anyway (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "store",
        "the store: a directory (relative to the rootdir), sqlite:///PATH or postgresql://... "
        "(default: .zenrun/)",
        default=None,
    )


@hookimpl(trylast=True)
def zenrun_cmdline_main(config: Config) -> int:
    return wrap_session(config, _main)


def wrap_session(config: Config, doit: Callable[[Config, Session], int]) -> int:
    session = Session(config)
    token = set_active_config(config)
    status: int = ExitCode.OK
    try:
        config.hook.zenrun_sessionstart(session=session)
        status = doit(config, session)
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        status = ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        session.shouldstop = "KeyboardInterrupt"
        status = ExitCode.INTERRUPTED
    except Exception as exc:
        _print_internal_error(config, exc, "running the session")
        status = ExitCode.INTERNAL_ERROR
    finally:
        errors = session.setup_state.teardown_all() if hasattr(session, "setup_state") else []
        report_teardown_errors(session, session.items[-1] if session.items else None, "session", errors)
        if errors and status == ExitCode.OK:
            status = ExitCode.PIPELINES_FAILED
        session.exitstatus = status
        try:  # the terminal reporter writes the summary and closing line even so
            config.hook.zenrun_sessionfinish(session=session, exitstatus=status)
        except Exception as exc:
            _print_internal_error(config, exc, "finishing the session")
            session.exitstatus = ExitCode.INTERNAL_ERROR
        reset_active_config(token)
    return session.exitstatus


def report_teardown_errors(
    session: Session, item: Item | None, scope: str, errors: list[BaseException]
) -> None:
    """Errors tearing down ``scope`` fixtures are one error of their own, as in pytest.

    The item that ran last keeps its outcome; the errors (newest first) add an
    ``error`` report ("1 passed, 1 error"), so the session exits 1.
    """
    if not errors:
        return
    text = "\n".join(
        f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else user_traceback(exc).rstrip()
        for exc in reversed(errors)
    )
    report = ItemReport(
        item.nodeid if item is not None else "<session>",
        ERROR,
        when="teardown",
        longrepr=f"error in {scope} fixture teardown:\n{text}",
    )
    session.reports.append(report)
    session.config.hook.zenrun_item_report(report=report)


def _print_internal_error(config: Config | StartupError, exc: BaseException, what: str) -> None:
    text = describe_fault(config.pluginmanager, exc, what).rstrip("\n")
    print("INTERNALERROR> " + text.replace("\n", "\nINTERNALERROR> "), file=sys.stderr)


def _main(config: Config, session: Session) -> int:
    session.collect()
    if session.collection_errors:
        return ExitCode.INTERRUPTED
    if config.getoption("showfixtures"):
        return ExitCode.OK
    if config.getoption("collectonly"):
        return ExitCode.OK if session.items else ExitCode.NO_PIPELINES_COLLECTED
    if not session.items:
        return ExitCode.NO_PIPELINES_COLLECTED
    if config.metadata_store.read_only:  # opened now: errors are usage errors
        raise UsageError(
            f"the store {config.store_location} is read-only: it can be listed "
            "(--runs, --show) but runs cannot be recorded; use --store elsewhere"
        )
    if config.getoption("cache_clear"):
        config.cache.clear()
    orchestrator = config.make_orchestrator()
    if config.getoption("usepdb"):
        _start_debugging(config, orchestrator)
    for backend in ("artifact_store", "metadata_store", "cache", "materializers"):  # misfits fail here
        getattr(config, backend)
    session.setup_state = SetupState(config, session.fixturemanager, session)
    session.run_config_steps = _run_config_steps(config, session.items)
    if hasattr(orchestrator, "run_many"):  # -n, dask: the steps of all items together
        run_items_together(session, orchestrator)  # type: ignore[arg-type]  # it has run_many
    for index, item in enumerate([] if hasattr(orchestrator, "run_many") else session.items):
        report = run_item(session, item, orchestrator)
        session.reports.append(report)
        following = session.items[index + 1] if index + 1 < len(session.items) else None
        if following is None or following.module_path != item.module_path:
            report_teardown_errors(session, item, "module", session.setup_state.teardown("module", item))
        if config.getoption("exitfirst") and report.outcome in (FAILED_OUTCOME, ERROR):
            session.shouldstop = "stopping after 1 failure (-x)"
            break
        maxfail = config.getoption("maxfail")
        failures = sum(r.outcome in (FAILED_OUTCOME, ERROR) for r in session.reports)
        if maxfail and failures >= maxfail:
            session.shouldstop = f"stopping after {failures} failures (--maxfail={maxfail})"
            break
    if session.shouldstop is None:
        _check_run_config_steps(config, session)
    if any(r.internal for r in session.reports):
        return ExitCode.INTERNAL_ERROR
    if any(r.outcome in (FAILED_OUTCOME, ERROR) for r in session.reports):
        return ExitCode.PIPELINES_FAILED
    return ExitCode.OK


def _start_debugging(config: Config, orchestrator: Orchestrator) -> None:
    """``--pdb``: a post-mortem debugger in the failing step (in-process orchestrators only)."""
    import pdb

    if hasattr(orchestrator, "run_many"):
        raise UsageError(
            "--pdb needs an in-process orchestrator (local): the steps of "
            f"{getattr(orchestrator, 'name', orchestrator)!r} run elsewhere"
        )

    def debug(exc: BaseException) -> None:
        print(f"\n>>> entering PDB: {type(exc).__name__}: {exc}", file=sys.stdout)
        debugger = pdb.Pdb(stdin=sys.stdin, stdout=sys.stdout)
        debugger.reset()
        debugger.interaction(None, exc.__traceback__)

    set_post_mortem(debug)
    config.add_cleanup(lambda: set_post_mortem(None))


def _run_config_steps(config: Config, items: list[Item]) -> dict[str, Any] | None:
    """The run config's step settings as the items get them.

    With one item, a plain dict: an id the pipeline lacks is an error of that
    item. With several, one ``SharedSteps``: each pipeline takes the ids it has
    and ignores the others; ids no pipeline had are an error after the session.
    """
    run_config = config.stash.get("run_config")
    if run_config is None or not run_config.steps:
        return None
    if len(items) == 1:
        steps: dict[str, Any] = run_config.steps
        return steps

    return SharedSteps(run_config.steps)


def _check_run_config_steps(config: Config, session: Session) -> None:
    shared = getattr(session, "run_config_steps", None)
    matched = getattr(shared, "matched", None)
    if shared is None or matched is None:
        return
    unknown = sorted(set(shared) - matched)
    if not unknown:
        return
    source = config.stash["run_config"].source
    lines = [f"{source}: no selected pipeline has step(s) {', '.join(unknown)}; steps are:"]
    for report in session.reports:
        if report.run is not None:
            lines.append(f"  {report.nodeid}: {', '.join(report.run.steps)}")
    not_composed = [r.nodeid for r in session.reports if r.run is None]
    if not_composed:  # a skipped or broken pipeline may have had them: cannot tell
        lines.append(f"  (not composed: {', '.join(not_composed)})")
        session.warn("\n".join(lines))
        return
    raise UsageError("\n".join(lines))


def _outcome_exception(report: ItemReport, exc: BaseException, where: str) -> None:
    """``zenrun.skip()`` / ``fail()`` / ``xfail()`` / ``sys.exit()`` before the run: the item's outcome."""
    if isinstance(exc, Skipped):
        report.outcome, report.longrepr = SKIPPED, exc.msg or "skipped"
        report.location = _raised_at(exc)
    elif isinstance(exc, XFailed):
        report.outcome, report.longrepr = XFAILED, exc.msg or ""
    elif isinstance(exc, Failed):
        report.outcome = FAILED_OUTCOME if where == "compose" else ERROR
        report.longrepr = f"{where} of {report.nodeid} failed: {exc.msg or ''}"
    else:  # SystemExit: this item only, never the session (issue 6 point 10)
        report.outcome = ERROR
        report.longrepr = f"{where} of {report.nodeid}: sys.exit({getattr(exc, 'code', '')!r}) called"


def _raised_at(exc: BaseException) -> tuple[str, int | None] | None:
    """The user's line that raised ``exc`` (zenrun's own frames left out)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(ZENRUN_DIR)]
    return (frames[-1].filename, frames[-1].lineno) if frames else None


def _defined_at(item: Item) -> tuple[str, int | None]:
    """Where ``item``'s skip mark points: its definition; a ``skip`` mark folds per file (as pytest)."""
    code = getattr(getattr(item.target, "fn", None), "__code__", None)
    if code is None or any(mark.name == "skip" for mark in item.marks):
        return str(item.module_path), None
    return code.co_filename, code.co_firstlineno


def run_item(session: Session, item: Item, orchestrator: Orchestrator) -> ItemReport:
    """Set up the item's fixtures, compose its pipeline, run it, tear down."""
    report, composed, xfail, started = prepare_item(session, item)
    if composed is not None:
        # Here: execution imports pydantic (through compose and steps), which `zenrun --help`
        # and `--collect-only` do not need.
        from zenrun.execution import run_pipeline

        try:
            report.run = run_pipeline(
                composed,
                session.config,
                enable_cache=_run_enable_cache(session.config),
                orchestrator=orchestrator,
                params=item_params(item),
            )
        except ComposeError as exc:  # e.g. invalid plugin settings: no step ran
            report.outcome, report.longrepr = ERROR, str(exc)
        except UsageError:  # e.g. a damaged store: the session stops, exit 4
            raise
        except Exception as exc:  # a plugin or zenrun itself failed: this pipeline only
            report.outcome, report.internal = ERROR, True
            report.longrepr = describe_fault(session.config.pluginmanager, exc, f"running {item.nodeid}")
    return finish_item(session, item, report, xfail, started)


def prepare_item(
    session: Session, item: Item
) -> tuple[ItemReport, ComposedPipeline | None, Xfail | None, float]:
    """Start ``item``: its skip and xfail marks, fixtures and composed pipeline.

    Returns ``(report, composed or None, xfail or None, start time)``; without
    a composed pipeline, ``report`` says why (skipped, error).
    """
    config = session.config
    config.hook.zenrun_item_start(item=item)
    started = time.perf_counter()
    report = ItemReport(item.nodeid, PASSED)
    setup = session.setup_state
    xfail = None
    try:
        reason = evaluate_skip(item.marks, item, config)
        xfail = evaluate_xfail(item.marks, item, config)
    except Failed as exc:
        reason = None
        report.outcome, report.longrepr = ERROR, f"{item.nodeid}: {exc.msg}"
    if report.outcome == ERROR:
        return report, None, xfail, started
    if reason is not None:
        report.outcome, report.longrepr = SKIPPED, reason
        report.location = _defined_at(item)
        return report, None, xfail, started
    if xfail is not None and not xfail.run:
        report.outcome, report.longrepr = XFAILED, f"[NOTRUN] {xfail.reason}".rstrip()
        return report, None, xfail, started
    where = "setup"
    capture = config.stash.get("capture")
    try:
        with capturing(capture) as setup_capture:  # fixture output, as a step's
            if item.missing:
                raise session.fixturemanager.missing_error(item)
            direct = _direct_argnames(item)
            eager = [
                n
                for n in [
                    *session.fixturemanager.autouse(item.module_path),
                    *config.getini("usefixtures"),
                    *(n for m in item.marks if m.name == "usefixtures" for n in m.args),
                ]
                if n not in item.params
            ]  # a parametrized name shadows the fixture
            values = {}
            # As pytest: the whole closure, in its order (higher scopes first), then the rest.
            for name in dict.fromkeys(
                [
                    *(n for n in item.fixturenames if n not in item.params),
                    *eager,
                    *(["request"] if "request" in direct else []),
                ]
            ):
                value = setup.getfixturevalue(name, item)
                if name in direct:
                    values[name] = value
            run_config = config.stash.get("run_config")

            def fixture_lookup(name: str) -> object:
                if session.fixturemanager.get(name, item.module_path) is None:
                    return None
                return setup.getfixturevalue(name, item)

            where = "compose"
            steps = getattr(session, "run_config_steps", run_config.steps if run_config else None)
            composed = item.compose(
                values, run_config=steps, fixture_lookup=fixture_lookup, item_id=item.nodeid
            )
    except (ComposeError, FixtureLookupError) as exc:
        report.outcome, report.longrepr = ERROR, str(exc)
    except (OutcomeException, SystemExit) as exc:
        _outcome_exception(report, exc, where)
    except Exception as exc:
        report.outcome = ERROR
        report.longrepr = f"error while composing {item.nodeid}:\n{user_traceback(exc)}"
    else:
        report.sections += captured_sections("setup", setup_capture)
        return report, composed, xfail, started
    report.sections += captured_sections("setup", setup_capture)
    return report, None, xfail, started


def captured_sections(when: str, capture: StepCapture | None) -> list[tuple[str, str]]:
    """``(title, text)`` of what fixtures wrote while ``when`` ran (pytest's report sections)."""
    return [
        (section_title(stream, when), text) for stream, text in (capture.texts() if capture else {}).items()
    ]


def finish_item(
    session: Session, item: Item, report: ItemReport, xfail: Xfail | None, started: float
) -> ItemReport:
    """The outcome of ``report.run``, the xfail mark, pipeline fixture teardown; report it."""
    run = report.run
    if run is not None and run.status == FAILED and report.outcome == PASSED:
        report.outcome = FAILED_OUTCOME
        report.longrepr = failure_text(run, session.config.getoption("tbstyle", "native"))
    if run is not None and run.internal_error is not None:  # a plugin failed a step
        report.outcome, report.internal = ERROR, True
    if xfail is not None and report.outcome in (FAILED_OUTCOME, PASSED):
        _apply_xfail(report, xfail, raised_matches)
    with capturing(session.config.stash.get("capture")) as teardown_capture:
        teardown_errors = session.setup_state.teardown("pipeline", item)
    report.sections += captured_sections("teardown", teardown_capture)
    if report.outcome in (FAILED_OUTCOME, ERROR):  # fixture output belongs to the failure
        for title, text in report.sections:
            report.longrepr += f"\n{title}\n{text.rstrip()}"
    report.duration = time.perf_counter() - started
    report.keywords = dict(item.keywords)
    session.config.hook.zenrun_item_report(report=report)
    report_teardown_errors(session, item, "pipeline", teardown_errors)
    return report


def _run_enable_cache(config: Config) -> bool | None:
    """``--no-cache``, else the run config's ``enable_cache``, else None (the pipeline decides)."""
    if config.getoption("no_cache"):
        return False
    run_config = config.stash.get("run_config")
    return run_config.enable_cache if run_config is not None else None


def run_items_together(session: Session, orchestrator: SchedulingOrchestrator) -> None:
    """Compose every item in the driver, then run the steps of all of them together.

    Fixtures keep their scopes: each is set up once here, in the driver,
    and module fixtures are torn down when the last item of their module has
    finished. ``-x`` stops launching steps at the first failure, ``--maxfail=N``
    after N failed items; runs already started end failed, items not started
    are not reported (as pytest -x).
    """
    import collections

    from zenrun.execution import PipelineExecution  # here: pydantic, see run_item

    config = session.config
    left_in_module = collections.Counter(item.module_path for item in session.items)
    waiting: dict[int, tuple[Item, ItemReport, Xfail | None, float]] = {}
    executions: list[PipelineExecution] = []
    maxfail = 1 if config.getoption("exitfirst") else config.getoption("maxfail")

    def failures() -> int:
        return sum(r.outcome in (FAILED_OUTCOME, ERROR) for r in session.reports)

    def stop_reason() -> str:
        return (
            "stopping after 1 failure (-x)"
            if config.getoption("exitfirst")
            else f"stopping after {failures()} failures (--maxfail={maxfail})"
        )

    def end(item: Item, report: ItemReport, xfail: Xfail | None, started: float) -> None:
        session.reports.append(finish_item(session, item, report, xfail, started))
        left_in_module[item.module_path] -= 1
        if left_in_module[item.module_path] == 0:
            report_teardown_errors(session, item, "module", session.setup_state.teardown("module", item))
        if maxfail and failures() >= maxfail:
            session.shouldstop = session.shouldstop or stop_reason()

    warm_up = getattr(orchestrator, "warm_up", None)  # optional: start workers booting now
    if warm_up is not None:
        warm_up()
    for item in session.items:
        if session.shouldstop:
            break
        report, composed, xfail, started = prepare_item(session, item)
        check = getattr(orchestrator, "check", None)
        problem = composed is not None and check is not None and check(composed)
        if problem:
            report.outcome, report.longrepr, composed = ERROR, problem, None
        if composed is None:
            end(item, report, xfail, started)
            continue
        try:
            execution = PipelineExecution(
                composed,
                config,
                enable_cache=_run_enable_cache(config),
                orchestrator=orchestrator.name,
                params=item_params(item),
            )
        except ComposeError as exc:  # e.g. invalid plugin settings: no step runs
            report.outcome, report.longrepr = ERROR, str(exc)
            end(item, report, xfail, started)
            continue
        waiting[id(execution)] = (item, report, xfail, started)
        executions.append(execution)

    def on_finish(execution: PipelineExecution, error: str | None) -> None:
        item, report, xfail, started = waiting.pop(id(execution))
        run = execution.run
        if error is not None:
            report.outcome, report.internal = ERROR, True
            report.longrepr = (
                error
                if error.startswith("INTERNALERROR")
                else f"internal error while running {item.nodeid}:\n{error}"
            )
        elif (
            run.status == FAILED and run.error is None and all(s.status != FAILED for s in run.steps.values())
        ):  # cut short by -x
            report.outcome, report.longrepr = (
                SKIPPED,
                "stopped before it finished "
                + ("(-x)" if config.getoption("exitfirst") else f"(--maxfail={maxfail})"),
            )
        report.run = run
        end(item, report, xfail, started)

    if executions and not session.shouldstop:
        # Items that failed before their run count towards --maxfail too.
        scheduler = orchestrator.run_many(
            executions,
            exitfirst=config.getoption("exitfirst"),
            maxfail=maxfail and maxfail - failures(),
            on_finish=on_finish,
        )
        if scheduler.stopped and waiting:
            broken = getattr(scheduler, "broken", None)  # the orchestrator lost its cluster
            reason = broken or (scheduler.stopped if config.getoption("exitfirst") else stop_reason())
            session.shouldstop = f"{reason}; {len(waiting)} pipeline(s) not started"


def _apply_xfail(report: ItemReport, xfail: Xfail, raised_matches: Callable[[Any, str], bool]) -> None:
    if report.outcome == FAILED_OUTCOME:
        errors = [s.error for s in report.run.steps.values() if s.error] if report.run else []
        if all(raised_matches(xfail.raises, e) for e in errors) or not errors:
            report.outcome, report.longrepr = XFAILED, xfail.reason
    elif xfail.strict:
        report.outcome, report.longrepr = FAILED_OUTCOME, f"[XPASS(strict)] {xfail.reason}".rstrip()
    else:
        report.outcome, report.longrepr = XPASSED, xfail.reason


def item_params(item: Item) -> dict[str, Any]:
    """What distinguishes the item from its siblings: parametrize and fixture params, as JSON."""
    values = {**item.params, **{name: value for name, (_, value) in item.fixture_params.items()}}
    params: dict[str, Any] = {}
    for name, value in values.items():
        try:
            params[name] = to_json_value(value, name)
        except TypeError:  # a config object or anything else: its readable form
            dump = getattr(value, "model_dump", None)
            params[name] = dump(mode="json", exclude_defaults=True) if dump else repr(value)
    return params


def _direct_argnames(item: Item) -> set[str]:
    target = item.target
    if hasattr(target, "argnames"):
        return set(target.argnames)
    pipeline = getattr(target, "pipeline", None)
    if pipeline is not None:
        return {n for n in pipeline.argnames if n not in getattr(target, "kwargs", {})}
    return set()


def failure_text(run: PipelineRun, style: str = "native") -> str:
    """The failure report of ``run``: its failed steps' tracebacks in ``--tb`` style ``style``."""
    parts = []
    for step in run.steps.values():
        if step.status == FAILED and step.error:
            parts.append(f"step {step.id!r} failed:\n{format_traceback(step.error, style).rstrip()}")
            for stream, text in step.captured.items():
                parts.append(f"{section_title(stream, step.id)}\n{text.rstrip()}")
    if run.error:
        parts.append(run.error)
    skipped = [s.id for s in run.steps.values() if s.status == "skipped"]
    # Downstream of a failure, or never launched (Ctrl-C, -x) though nothing upstream failed.
    blocked: set[str] = set()
    in_order = [s for s in run.graph if s in skipped] + [s for s in skipped if s not in run.graph]
    for step_id in in_order:
        if any(
            u in blocked or (u in run.steps and run.steps[u].status == FAILED)
            for u in run.graph.get(step_id, [])
        ):
            blocked.add(step_id)
    if blocked:
        parts.append("skipped because of the failure: " + ", ".join(s for s in skipped if s in blocked))
    if len(blocked) < len(skipped):
        parts.append(f"not started: {', '.join(s for s in skipped if s not in blocked)}")
    return "\n\n".join(parts)


def main(args: Sequence[str] | None = None, plugins: Sequence[object] = ()) -> int:
    """Run zenrun with ``args`` (default: ``sys.argv[1:]``); returns the exit code."""
    args = list(sys.argv[1:] if args is None else args)
    try:
        config = create_config(args, plugins)
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except StartupError as exc:
        _print_internal_error(exc, exc.__cause__ or exc, "starting up")
        return ExitCode.INTERNAL_ERROR
    try:
        if config.getoption("help"):
            print(config.parser.format_help())
            return ExitCode.OK
        if config.getoption("version"):
            from importlib.metadata import version

            print(f"zenrun {version('zenrun')}")
            return ExitCode.OK
        config.hook.zenrun_configure.call_historic(kwargs=dict(config=config))
        code: int = config.hook.zenrun_cmdline_main(config=config)
        return code
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except BrokenPipeError:  # the reader of our output went away: console_main ends quietly
        raise
    except Exception as exc:  # zenrun_configure or a plugin's zenrun_cmdline_main
        _print_internal_error(config, exc, "configuring the session")
        return ExitCode.INTERNAL_ERROR
    finally:
        config._ensure_unconfigure()


def _open_standard_descriptors() -> None:
    """Descriptors 0-2 closed at start (``zenrun 2>&-``) point at ``/dev/null``: else the
    first file zenrun opens would take their number, and output meant for the terminal
    would be written into it."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, mode, closefd=False))  # noqa: SIM115 (the process's stream)


def console_main() -> int:
    """The ``zenrun`` console script."""
    _open_standard_descriptors()
    try:
        code = main()
        sys.stdout.flush()
    except KeyboardInterrupt:  # while starting up or cleaning up: nothing to report
        print("\n!!! KeyboardInterrupt !!!", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        silence_stdout()
        return 1  # as Python (and pytest) exit on EPIPE
    return int(code)
