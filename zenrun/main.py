"""The session: collect -> compose -> orchestrate -> report, and the ``zenrun`` command."""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import sys
import traceback
import types
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zenrun import __version__
from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.assertion import explain as explain_assertion
from zenrun.blame import describe_fault
from zenrun.cache import store_identity
from zenrun.capture import capturing, fixture_capturing, section_title, silence_stdout
from zenrun.collect import Item, Session, asserts_off_warned
from zenrun.config import StartupError, create_config, reset_active_config, set_active_config
from zenrun.config.argparsing import non_negative_int
from zenrun.debugging import QUITTING, check_orchestrator, expect_failure, take_quit_request, take_shown
from zenrun.errors import ComposeError, ConftestImportFailure, ExitCode, UsageError
from zenrun.fixtures import FixtureLookupError, SetupState
from zenrun.heap import freeze_for_exit, freeze_heap, freeze_made_since, paused_collector, startup_imports
from zenrun.hookspec import hookimpl
from zenrun.lastfailed import cacheshow
from zenrun.marks import get_marks
from zenrun.metadata.records import FAILED, PRUNED
from zenrun.outcomes import Exit, Failed, OutcomeException, Skipped, XFailed, from_pytest
from zenrun.reports import (
    ERROR,
    FAILED_OUTCOME,
    PASSED,
    PRUNED_OUTCOME,
    SKIPPED,
    XFAILED,
    XPASSED,
    ItemReport,
    crash_message,
    exception_line,
    failure_text,
    format_warning,
    raised_at,
    step_sections,
    whole_crash_message,
)
from zenrun.runconfig import SharedSteps
from zenrun.runner import CURRENT_TEST_VAR, assertion_settings, post_mortem, user_traceback
from zenrun.skipping import evaluate_skip, evaluate_xfail, raised_matches
from zenrun.sources import real_function
from zenrun.stepcontext import item_phase, to_json_value
from zenrun.tbstyle import format_traceback, saferepr, short_assertion
from zenrun.tbstyle import parse as parse_traceback
from zenrun.unhandled import install as install_unhandled_hooks
from zenrun.unhandled import warn_unhandled
from zenrun.warnfilters import apply_session_filters, parse_warning_filter

if TYPE_CHECKING:
    from zenrun.capture import StepCapture
    from zenrun.compose import ComposedPipeline
    from zenrun.config import Config, Parser
    from zenrun.execution import PipelineExecution
    from zenrun.orchestrators.scheduler import SchedulingOrchestrator
    from zenrun.protocols import Orchestrator
    from zenrun.skipping import Xfail


class _MoreQuiet(argparse.Action):
    """``-q``: one more ``quiet`` and one less ``verbose``, as pytest counts them (a plugin's
    ``config.getoption("verbose")`` is -1 under ``-q``, 0 under ``-v -q``)."""

    def __init__(self, option_strings: Sequence[str], dest: str, default: int = 0, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, getattr(namespace, self.dest, 0) + 1)
        namespace.verbose = getattr(namespace, "verbose", 0) - 1


def _directory(value: str) -> str:
    """An option's ``type``: an existing directory (as pytest's ``--confcutdir``)."""
    if not os.path.isdir(os.path.expanduser(value)):
        raise argparse.ArgumentTypeError(f"must be a directory, given: {value}")
    return value


class _ExitFirst(argparse.Action):
    """``-x``: ``--maxfail 1``; the later of the two wins, as in pytest (where they share
    ``maxfail``)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        namespace.exitfirst, namespace.maxfail = True, 1


class _MaxFail(argparse.Action):
    """``--maxfail N``: after ``-x``, it wins (``-x --maxfail 2`` stops after two)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        namespace.exitfirst, namespace.maxfail = False, values


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    general = parser.getgroup("general")
    general.addoption("-h", "--help", action="store_true", default=False, help="show this help and exit")
    general.addoption(
        "-V",
        "--version",
        action="count",
        default=0,
        help="show the version and exit; given twice, also where zenrun is imported from and the plugins",
    )
    general.addoption(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more output: every step's lines, and why it hit or missed the cache",
    )
    general.addoption("-q", "--quiet", action=_MoreQuiet, default=0, help="less output")
    general.addoption(
        "--trace-config",
        "--traceconfig",  # pytest's older spelling, which it still takes
        dest="traceconfig",
        action="store_true",
        default=False,
        help="list every registered plugin (zenrun's own too) and where it comes from, in the header",
    )
    general.addoption(
        "--assert",
        dest="assertmode",
        choices=("rewrite", "plain"),
        default="rewrite",
        metavar="MODE",
        help="how a failing assert is explained: 'rewrite' (default) shows the values it compared, "
        "'plain' the bare AssertionError",
    )
    parser.addini(
        "truncation_limit_lines",
        "lines of a failing comparison's explanation shown without -vv (default 8, 0: no limit)",
        default=None,
    )
    parser.addini(
        "verbosity_assertions",
        "the verbosity of failing asserts' explanations, as -v's count ('auto', the default: the session's)",
        default="auto",
    )
    parser.addini(
        "assertion_text_diff_style",
        "how two unequal strings are shown: 'ndiff' (default, a line diff) or 'block' (each whole)",
        default="ndiff",
    )
    parser.addini(
        "truncation_limit_chars",
        "characters of a failing comparison's explanation shown without -vv (default 640, 0: no limit)",
        default=None,
    )
    general.addoption(
        "-x", "--exitfirst", action=_ExitFirst, help="stop after the first failed pipeline (--maxfail 1)"
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
        action=_MaxFail,
        type=non_negative_int,
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
    collection = parser.getgroup("collection")
    collection.addoption(
        "--continue-on-collection-errors",
        action="store_true",
        default=False,
        dest="continue_on_collection_errors",
        help="run the pipelines that were collected even when collection errors occurred",
    )
    collection.addoption(
        "--pyargs",
        action="store_true",
        default=False,
        help="try to interpret all arguments as Python packages or modules (pkg.mod::name)",
    )
    collection.addoption(
        "--keep-duplicates",
        action="store_true",
        default=False,
        dest="keepduplicates",
        help="keep duplicate paths and node ids given on the command line",
    )
    collection.addoption(
        "--ignore",
        action="append",
        default=[],
        metavar="PATH",
        help="ignore PATH while collecting (may be given several times)",
    )
    collection.addoption(
        "--ignore-glob",
        action="append",
        default=[],
        dest="ignore_glob",
        metavar="GLOB",
        help="ignore paths matching the glob pattern (may be given several times)",
    )
    collection.addoption(
        "--confcutdir",
        default=None,
        type=_directory,
        metavar="DIR",
        help="only load conftest.py files at or below DIR (default: the config file's directory)",
    )
    collection.addoption(
        "--noconftest",
        action="store_true",
        default=False,
        dest="noconftest",
        help="do not load any conftest.py files",
    )
    collection.addoption(
        "--collect-in-virtualenv",
        action="store_true",
        default=False,
        dest="collect_in_virtualenv",
        help="collect in a virtual environment's directory too (left out by default)",
    )
    collection.addoption(
        "--rootdir",
        default=None,
        metavar="DIR",
        help="the rootdir: node ids, conftests and the default store are relative to it",
    )
    collection.addoption(
        "-c",
        "--config-file",
        dest="inifilename",
        default=None,
        metavar="FILE",
        help="read [tool.zenrun] keys from FILE instead of finding a config file",
    )
    collection.addoption(
        "-o",
        "--override-ini",
        dest="override_ini",
        action="append",
        metavar="NAME=VALUE",
        help="override a [tool.zenrun] key, e.g. -o xfail_strict=true (may be given several times)",
    )
    collection.addoption(
        "--strict",
        dest="strict_mode",
        action="store_true",
        default=False,
        help="enable the strict options (as -o strict=true: strict_markers, strict_xfail, ...)",
    )
    parser.addini("minversion", "the oldest zenrun version this project runs with (as pytest's)")
    parser.addini(
        "required_plugins",
        "plugins that must be installed for zenrun to run, with optional version specifiers "
        "(name>=1.0); a missing one is a usage error",
        type="args",
        default=[],
    )
    parser.addini(
        "norecursedirs",
        "directory patterns not to recurse into while collecting",
        type="args",
        default=["*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"],
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
        "where runs and artifacts are kept: a directory (relative to the config file), "
        "sqlite:///PATH or a team store postgresql://... (default: .zenrun)",
        default=None,
    )
    general.addoption(
        "-W",
        "--pythonwarnings",
        dest="pythonwarnings",
        action="append",
        default=[],
        metavar="PYTHONWARNINGS",
        help="set which warnings to report (action:message:category:module:line, as python -W)",
    )
    general.addoption(
        "--strict-config",
        dest="strict_config",
        action="store_true",
        default=False,
        help="an unknown key in [tool.zenrun] is an error (else a warning)",
    )
    parser.addini(
        "strict_config",
        "an unknown key in [tool.zenrun] is an error, as --strict-config (also set by strict = true)",
        type="bool",
        default=False,
    )
    parser.addini(
        "pythonpath",
        "directories put first on sys.path for the session (relative to the config file)",
        type="paths",
        default=[],
    )
    parser.addini(
        "filterwarnings",
        "warning filters applied while each pipeline runs, one per line (as python -W, the message "
        "and module as regular expressions)",
        type="linelist",
        default=[],
    )


@hookimpl
def zenrun_configure(config: Config) -> None:
    unknown = config.unknown_ini_keys()
    if unknown and _strict_config(config):  # as pytest's: the first one, in pytest's words
        where = config.inipath or "-o/--override-ini"  # (-o sets keys without a config file too)
        raise UsageError(f"Unknown config option: {unknown[0]}\n  (in {where})")
    assertion_settings(config, None)  # a bad truncation limit or diff style: a usage error now
    # A wrong filter is a usage error (exit 4) before anything runs, not an error per pipeline.
    for arg in config.getini("filterwarnings"):
        try:
            parse_warning_filter(arg, escape=False)
        except ImportError:
            pass  # warned about when applied, as pytest
    for arg in config.getoption("pythonwarnings", None) or []:
        try:
            parse_warning_filter(arg, escape=True)
        except ImportError:
            pass


def _strict_config(config: Config) -> bool:
    """``--strict-config``, or ``strict_config`` / ``strict`` in ``[tool.zenrun]`` (as pytest 9)."""
    if config.getoption("strict_config", False) or config.getini("strict_config"):
        return True
    return "strict" in config.parser.inis and bool(config.getini("strict"))


@hookimpl(trylast=True)
def zenrun_cmdline_main(config: Config) -> int:
    if config.getoption("cacheshow", None) and not config.getoption("help", False):
        return wrap_session(config, cacheshow)  # --cache-show: what the store holds
    return wrap_session(config, _main)


@hookimpl(wrapper=True, trylast=True)  # the innermost wrapper: before the summary is written
def zenrun_sessionfinish(session: Session) -> Generator[None, Any, Any]:
    """The warnings given as the session finishes (a value the store could not take) go to
    the warnings summary, under where they were given, as pytest's."""
    with warnings.catch_warnings(record=True) as recorded:
        apply_session_filters(session.config)
        try:
            return (yield)
        finally:
            for message in recorded:
                session.warn(
                    f"{session.relpath(Path(message.filename))}:{message.lineno}\n{format_warning(message)}"
                )


def wrap_session(config: Config, doit: Callable[[Config, Session], int]) -> int:
    """Run ``doit(config, session)`` between ``zenrun_sessionstart`` and
    ``zenrun_sessionfinish``, turning what escapes into an exit code as pytest does."""
    session = Session(config)
    token = set_active_config(config)
    status: int = ExitCode.OK
    started = False
    try:
        config.hook.zenrun_sessionstart(session=session)
        started = True
        status = doit(config, session)
    except UsageError as exc:
        print(exc.report(), file=sys.stderr)
        status = ExitCode.USAGE_ERROR
    except KeyboardInterrupt as interrupt:
        session.shouldstop = "KeyboardInterrupt"
        session.interrupt = interrupt  # where it came (the summary's last lines)
        status = ExitCode.INTERRUPTED
    except Exit as exc:  # zenrun.exit(): the session ends here
        status = exc.returncode if exc.returncode is not None else ExitCode.INTERRUPTED
        session.exit_message = f"zenrun.outcomes.Exit: {exc.msg}"
        if not started:  # as pytest: said on stderr, and (no summary follows) as the terminal's banner
            print(f"Exit: {exc.msg}", file=sys.stderr)
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.tw.sep("!", session.exit_message, red=True)
    except BaseException as exc:  # as pytest: anything else is an internal error (SystemExit too)
        status = ExitCode.INTERNAL_ERROR
        try:
            notify_exception(config, exc, "running the session")
        except Exit as exit_exc:  # a zenrun_internalerror hook called zenrun.exit()
            if exit_exc.returncode is not None:
                status = exit_exc.returncode
            print(f"Exit: {exit_exc.msg}", file=sys.stderr)
        else:
            if isinstance(exc, SystemExit):
                print("mainloop: caught unexpected SystemExit!", file=sys.stderr)
            else:
                post_mortem(exc, "", {})  # --pdb: the debugger where zenrun or a plugin failed
    finally:
        # Charged to the item that ran last (a session stopped by -x never reached the others);
        # its module's fixtures first, then the session's, as pytest.
        reported = {r.nodeid for r in session.reports}
        last = next((i for i in reversed(session.items) if i.nodeid in reported), None)
        errors = teardown_scope(session, last, "module") if last is not None else []
        errors += teardown_scope(session, last or (session.items[-1] if session.items else None), "session")
        if any(not isinstance(e, Skipped) for e in errors) and status == ExitCode.OK:
            status = ExitCode.PIPELINES_FAILED  # (a skip tearing down is no failure)
        session.exitstatus = status
        try:  # as pytest: the session finishes where it started (a hook or step may chdir)
            os.chdir(session.startpath)
        except OSError:
            pass
        if not started and getattr(session, "interrupt", None) is not None:  # Ctrl-C in sessionstart
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_keyboard_interrupt(session)
        if started:  # as pytest: no summary when zenrun_sessionstart failed
            try:  # the terminal reporter writes the summary and closing line even so
                config.hook.zenrun_sessionfinish(session=session, exitstatus=status)
            except Exit as exc:
                if exc.returncode is not None:
                    session.exitstatus = exc.returncode
                print(f"Exit: {exc.msg}", file=sys.stderr)
            except Exception as exc:
                _print_internal_error(config, exc, "finishing the session")
                session.exitstatus = ExitCode.INTERNAL_ERROR
        if token is not None:
            reset_active_config(token)
    return session.exitstatus


def notify_exception(config: Any, exc: BaseException, what: str) -> None:
    """Report an internal error: through ``zenrun_internalerror`` (the terminal reporter
    writes it to the terminal), else on stderr."""
    text = _fault_text(config, exc, what)
    handled = config.hook.zenrun_internalerror(excrepr=text, excinfo=exc)
    if not any(handled):
        print("INTERNALERROR> " + text.replace("\n", "\nINTERNALERROR> "), file=sys.stderr)


def teardown_scope(session: Session, item: Item | None, scope: str) -> list[BaseException]:
    """Tear down the ``scope`` (module or session) fixtures after ``item``; what they print
    is captured and shown with the item's report (``-rP``) and their errors."""
    if not hasattr(session, "setup_state"):
        return []
    set_current_test(item, "teardown")  # as pytest: the last item's teardown
    try:
        with capturing(session.config.stash.get("capture")) as capture:
            if scope == "session":
                errors = session.setup_state.teardown_all()
            else:
                errors = session.setup_state.teardown(scope, item)
    finally:
        set_current_test(None)
    sections = captured_sections("teardown", capture)
    last = next((r for r in reversed(session.reports) if item is not None and r.nodeid == item.nodeid), None)
    if last is not None:
        last.sections += sections
    report_teardown_errors(session, item, scope, errors, sections=sections)
    return errors


def report_teardown_errors(
    session: Session,
    item: Item | None,
    scope: str,
    errors: list[BaseException],
    xfail: Any = None,
    sections: list[tuple[str, str]] | None = None,
) -> None:
    """Errors tearing down ``scope`` fixtures are one error of their own, as in pytest.

    The item that ran last keeps its outcome; the errors (newest first) add an
    ``error`` report ("1 passed, 1 error"), so the session exits 1. The captured
    output ``sections`` (the teardown's; for a pipeline's, the item's whole) are shown with it.
    """
    if not errors:
        return
    if all(isinstance(exc, Skipped) for exc in errors):  # as pytest (#13537): skipping while
        # tearing down skips the item (one report, the reasons of all the fixtures), no error
        reasons = dict.fromkeys(exc.msg or "Skipped" for exc in reversed(errors) if isinstance(exc, Skipped))
        where = raised_at(errors[0]) if len(errors) == 1 else _item_location(item) if item else None
        skipped = ItemReport(
            item.nodeid if item is not None else "<session>",
            SKIPPED,
            when="teardown",
            longrepr="; ".join(reasons),
            phase="teardown",
            location=where,
        )
        session.reports.append(skipped)
        deliver_report(session, skipped)
        return
    text = "\n".join(
        f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else _error_text(exc, session.config)
        for exc in reversed(errors)
    )
    shown = _shown_streams(session.config)
    for title, captured in sections or []:
        if any(f"Captured {stream}" in title for stream in shown):
            text += f"\n{title}\n{captured.rstrip()}"
    report = ItemReport(
        item.nodeid if item is not None else "<session>",
        ERROR,
        when="teardown",
        longrepr=f"error in {scope} fixture teardown:\n{text}",
        phase="teardown",
        crash=None if isinstance(errors[-1], SystemExit) else crash_message(errors[-1]),
        # as pytest's teardown report: its capstdout / capstderr are what was captured
        sections=list(sections or []),
    )
    if xfail is not None and all(xfail.raises is None or isinstance(e, xfail.raises) for e in errors):
        report.outcome, report.longrepr = XFAILED, xfail.reason  # as pytest: xfail covers teardown
    session.reports.append(report)
    deliver_report(session, report)


def _list_orchestrators(config: Config) -> None:
    """``--help`` names the orchestrators the loaded plugins offer, not only zenrun's own, and
    the URL schemes of the stores and artifact stores they open (``zenrun_backend_names``
    promises its names to ``--help`` for every kind, not only orchestrators)."""
    names = [name for name in config.backend_names("orchestrator") if name != "local"]
    schemes = {
        "--store": config.backend_names("store"),
        "--artifact-store": config.backend_names("artifact_store"),
    }
    for group in config.parser.groups:
        for index, (opts, attrs) in enumerate(group.options):
            if "--orchestrator" in opts:
                listed = ", ".join(["local (default)", *names])
                group.options[index] = (opts, {**attrs, "help": f"orchestrator to run steps with: {listed}"})
            for option, known in schemes.items():
                help_text = str(attrs.get("help") or "")
                # Only the schemes the built-in help does not name already (postgresql://).
                extra = [f"{scheme}://" for scheme in known if f"{scheme}://" not in help_text]
                if option in opts and extra:
                    help_text += f"; plugins here also open {', '.join(extra)}"
                    group.options[index] = (opts, {**attrs, "help": help_text})


def deliver_report(session: Session, report: ItemReport) -> None:
    """Give ``report`` to the ``zenrun_item_report`` hook. A plugin raising there fails
    reporting, not the session: its INTERNALERROR is shown, the other pipelines run, and
    the session exits 3."""
    if report.when == "call" and report.phase == "setup" and report.outcome != PASSED:
        report.when = "setup"  # as pytest's: a mark's skip, a fixture's error
    try:
        session.config.hook.zenrun_item_report(report=report)
    except Exception as exc:
        if isinstance(exc, (Exit, UsageError)):
            raise
        session.report_faults += 1  # (the report itself stays as it was given)
        notify_exception(session.config, exc, f"reporting {report.nodeid}")


def _fault_text(config: Config | StartupError, exc: BaseException, what: str) -> str:
    """The INTERNALERROR report: Python's traceback, as pytest's; with ``--fulltrace``, its
    frames in the long style (each function's source, ``>`` at the line that raised)."""
    text = describe_fault(config.pluginmanager, exc, what).rstrip("\n")
    if getattr(getattr(config, "option", None), "fulltrace", False):
        head, _, trace = text.partition("\n")
        text = head + "\n" + format_traceback(trace + "\n", "long").rstrip("\n")
    return text


def _print_internal_error(config: Config | StartupError, exc: BaseException, what: str) -> None:
    text = _fault_text(config, exc, what)
    print("INTERNALERROR> " + text.replace("\n", "\nINTERNALERROR> "), file=sys.stderr)


def _main(config: Config, session: Session) -> int:
    config.add_cleanup(freeze_heap())  # zenrun's and the plugins' modules are no garbage (zenrun/heap.py)
    with paused_collector():  # nor what importing the pipeline modules creates: frozen after it
        session.collect()
    if take_quit_request():  # --pdb's debugger, on a module that failed to import, left with quit
        raise Exit(QUITTING)
    take_shown()  # (a collection error the debugger showed is not a pipeline's failure)
    if session.shouldfail:  # --maxfail reached by collection errors: as pytest, exit 1
        return ExitCode.PIPELINES_FAILED
    if session.collection_errors and not config.getoption("continue_on_collection_errors", False):
        errors = len(session.collection_errors)
        session.shouldstop = f"{errors} error{'s' if errors != 1 else ''} during collection"
        return ExitCode.INTERRUPTED
    if config.getoption("showfixtures") or config.getoption("show_fixtures_per_test", False):
        return ExitCode.OK
    if config.getoption("collectonly"):
        if session.collection_errors:
            return ExitCode.PIPELINES_FAILED
        return ExitCode.OK if session.items else ExitCode.NO_PIPELINES_COLLECTED
    if not session.items:
        if session.collection_errors:
            return ExitCode.PIPELINES_FAILED
        return ExitCode.NO_PIPELINES_COLLECTED
    if config.metadata_store.read_only:  # opened now: errors are usage errors
        raise UsageError(
            f"the store {config.store_location} is read-only: it can be listed "
            "(--runs, --show) but runs cannot be recorded; use --store elsewhere"
        )
    orchestrator = _set_up_runs(config, session)
    # What that made (the orchestrator, the stores, the modules a run uses) lives as long as
    # the session, as what collection made: frozen too, so that the first run's young
    # generation holds that run's objects only (zenrun/heap.py). The collector stays on
    # meanwhile: a worker process forked there would inherit it off.
    freeze_made_since()
    if hasattr(orchestrator, "run_many"):  # -n, dask: the steps of all items together
        global _one_item_at_a_time
        _one_item_at_a_time = False
        try:
            run_items_together(session, orchestrator)  # type: ignore[arg-type]  # it has run_many
        finally:
            _one_item_at_a_time = True
    for index, item in enumerate([] if hasattr(orchestrator, "run_many") else session.items):
        report = run_item(session, item, orchestrator)
        session.reports.append(report)
        if take_quit_request():  # --pdb's debugger left with quit: as pytest, the session ends
            raise Exit(QUITTING)
        following = session.items[index + 1] if index + 1 < len(session.items) else None
        if following is None or following.module_path != item.module_path:
            teardown_scope(session, item, "module")
        maxfail = 1 if config.getoption("exitfirst") else config.getoption("maxfail")
        failures = _failures(session)
        if maxfail and failures >= maxfail and session.shouldfail is None:
            session.shouldfail = f"stopping after {failures} failures"
        if session.shouldfail or session.shouldstop:
            break
    if session.shouldfail is None and session.shouldstop is None:
        _check_run_config_steps(config, session)
    if session.report_faults or any(r.internal for r in session.reports):
        return ExitCode.INTERNAL_ERROR
    if session.shouldstop and not session.shouldfail:  # a plugin (--sw) interrupted the session
        return ExitCode.INTERRUPTED
    if any(r.outcome in (FAILED_OUTCOME, ERROR) for r in session.reports) or session.collection_errors:
        return ExitCode.PIPELINES_FAILED
    return ExitCode.OK


def _set_up_runs(config: Config, session: Session) -> Orchestrator:
    """Make the orchestrator and get the stores ready for the session's runs."""
    if config.getoption("cache_clear"):
        config.cache.clear()
    orchestrator: Orchestrator = config.make_orchestrator()
    config.add_cleanup(install_unhandled_hooks())  # a thread that died: a warning of its pipeline
    if config.getoption("usepdb") or config.getoption("trace", False):
        check_orchestrator(config, orchestrator)
    for backend in ("artifact_store", "metadata_store", "cache", "materializers"):  # misfits fail here
        getattr(config, backend)
    if getattr(orchestrator, "name", None) == "local":  # the steps run here: the store is ready for them
        open_ahead = getattr(config.artifact_store, "open_ahead", None)
        if open_ahead is not None:  # a local store
            store_identity(config.artifact_store)  # a new store's id is made with it, not in a step
            open_ahead()  # the inline pack, opened while the items set up, not during the first steps
        from zenrun.execution import start_flusher  # here: pydantic, see _run_item

        start_flusher()  # the thread that commits the runs' records, started before the first run
        progress = config.pluginmanager.get_plugin("progress-view")
        if progress is not None:  # so is the progress view's
            progress.start_thread()
    from zenrun.execution import prepare_paths, prepare_runs  # here: pydantic, see _run_item

    prepare_runs()  # as the session starts: the first run's time is its steps'
    prepare_paths(config)
    session.setup_state = SetupState(config, session.fixturemanager, session)
    session.run_config_steps = _run_config_steps(config, session.items)
    warm_up = getattr(orchestrator, "warm_up", None)  # optional: start workers booting now
    if warm_up is not None:
        warm_up()
    return orchestrator


def _failures(session: Session) -> int:
    """Failed and errored items, collection errors included (what ``--maxfail`` counts)."""
    return sum(r.outcome in (FAILED_OUTCOME, ERROR) for r in session.reports) + len(session.collection_errors)


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


def _outcome_exception(
    report: ItemReport, exc: BaseException, where: str, item: Item | None = None, config: Config | None = None
) -> None:
    """``zenrun.skip()`` / ``fail()`` / ``xfail()`` / ``sys.exit()`` before the run: the item's
    outcome. With ``config``, a failure or an exit shows its traceback, as pytest's."""
    if isinstance(exc, Skipped):
        report.outcome, report.longrepr = SKIPPED, exc.msg or "Skipped"  # pytest's word for no reason
        # As pytest: a skip by a mark or a fixture is reported at the item; one in its body or
        # a zenrun_runtest_setup hook where raised.
        report.location = _item_location(item) if where == "setup" and item is not None else raised_at(exc)
    elif isinstance(exc, XFailed):
        report.outcome, report.longrepr = XFAILED, exc.msg or ""
    elif isinstance(exc, Failed):
        report.outcome = FAILED_OUTCOME if where == "compose" else ERROR
        report.longrepr = (
            _error_text(exc, config)  # (``pytrace=False``: the message alone, as pytest's)
            if config is not None
            else f"{where} of {report.nodeid} failed: {exc.msg or ''}"
        )
        report.crash = f"Failed: {exc.msg or ''}"  # as pytest's summary says it
    else:  # SystemExit: this item only, never the session; in the body it fails it, as pytest's
        report.outcome = FAILED_OUTCOME if where == "compose" else ERROR
        report.longrepr = (
            _error_text(exc, config)
            if config is not None
            else f"{where} of {report.nodeid}: sys.exit({getattr(exc, 'code', '')!r}) called"
        )
        report.crash = crash_message(exc)
    if config is not None and where == "compose" and report.outcome == FAILED_OUTCOME:
        report.location = _raised_at(exc, config)


def _raised_at(exc: BaseException, config: Config) -> tuple[str, int | None] | None:
    """Where a failure of the body was raised (its innermost frame): ``--tb=line`` ends with
    its ``path:lineno: message``, as pytest's. None with another style."""
    if config.getoption("tbstyle", "auto") != "line":
        return None
    parsed = parse_traceback(user_traceback(exc))
    return (parsed[0][-1].path, parsed[0][-1].lineno) if parsed is not None else None


def _item_location(item: Item) -> tuple[str, int | None]:
    """Where ``item`` is defined: its function's first line (decorators included)."""
    code = getattr(real_function(getattr(item.target, "fn", None)), "__code__", None)
    if code is None:
        return str(item.module_path), None
    return str(item.module_path), code.co_firstlineno


def _defined_at(item: Item) -> tuple[str, int | None]:
    """Where ``item``'s skip mark points: its definition; a ``skip`` mark that does not come
    from the function itself (a module's ``zenrunmark``) folds per file, as pytest folds it."""
    own = get_marks(item.target) if hasattr(item.target, "fn") else []
    own = [*own, *(item.callspec.marks if item.callspec is not None else ())]  # its parameter set's
    if any(True for _ in item.iter_markers("skip")) and not any(m.name == "skip" for m in own):
        return str(item.module_path), None
    return _item_location(item)


#: Whether items run one at a time, each setting ``$ZENRUN_CURRENT_TEST`` (not while
#: :func:`run_items_together` runs them all at once: no one item is the current one).
_one_item_at_a_time = True


def set_current_test(item: Item | None, when: str | None = None) -> None:
    """Set ``$ZENRUN_CURRENT_TEST`` (pytest's ``PYTEST_CURRENT_TEST``) to ``item``'s id and
    phase (``setup``, ``call``, ``teardown``), ``"<nodeid> (<when>)"``, for code that wants
    to know (a fixture, a helper, a diagnostic dump); or unset it (``item`` None)."""
    if not _one_item_at_a_time:
        return
    if item is None or when is None:
        os.environ.pop(CURRENT_TEST_VAR, None)
    else:  # as pytest: an environment value cannot hold a null byte
        os.environ[CURRENT_TEST_VAR] = f"{item.nodeid} ({when})".replace("\x00", "(null)")


def run_item(session: Session, item: Item, orchestrator: Orchestrator) -> ItemReport:
    """Set up the item's fixtures, compose its pipeline, run it, tear down; warnings given
    meanwhile go to the warnings summary under the item's id (as pytest)."""
    with recording_warnings(session, item):
        return _run_item(session, item, orchestrator)


@contextlib.contextmanager
def recording_warnings(session: Session, item: Item) -> Iterator[None]:
    """Record the warnings ``item`` gives (in fixtures, its body, steps run in this process)
    for the warnings summary, as pytest's ``catch_warnings_for_item``."""
    with warnings.catch_warnings(record=True) as recorded:
        apply_session_filters(session.config)
        # As pytest: in the order of the item's marks (its own, then its module's, the session's).
        for mark in list(item.iter_markers("filterwarnings")):
            for arg in mark.args:
                try:
                    warnings.filterwarnings(*parse_warning_filter(str(arg), escape=False))
                except UsageError as exc:  # exit 4, naming the pipeline whose mark is wrong
                    raise UsageError(f"{item.nodeid}: zenrun.mark.filterwarnings: {exc}") from None
        try:
            yield
        finally:
            for message in recorded:
                session.warn(f"{item.nodeid}\n{format_warning(message)}")


def _checked(orchestrator: Orchestrator, composed: ComposedPipeline | None, report: ItemReport) -> Any:
    """``composed``, or None when the orchestrator's optional ``check`` says why it cannot
    run it (then ``report`` is that error)."""
    check = getattr(orchestrator, "check", None)
    problem = composed is not None and check is not None and check(composed)
    if problem:
        report.outcome, report.longrepr = ERROR, problem
        return None
    return composed


def _run_item(session: Session, item: Item, orchestrator: Orchestrator) -> ItemReport:
    report, composed, xfail, started = prepare_item(session, item)
    composed = _checked(orchestrator, composed, report)
    if composed is not None:
        # Here: execution imports pydantic (through compose and steps), which `zenrun --help`
        # and `--collect-only` do not need.
        from zenrun.execution import run_pipeline

        expect_failure(xfail is not None)
        set_current_test(item, "call")
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
        finally:
            expect_failure(False)
    return finish_item(session, item, report, xfail, started)


def prepare_item(
    session: Session, item: Item
) -> tuple[ItemReport, ComposedPipeline | None, Xfail | None, float]:
    """Start ``item``: its skip and xfail marks, fixtures and composed pipeline.

    Returns ``(report, composed or None, xfail or None, start time)``; without
    a composed pipeline, ``report`` says why (skipped, error, xfailed).
    """
    config = session.config
    started = time.perf_counter()
    report = ItemReport(item.nodeid, PASSED, phase="setup", start=time.time())
    set_current_test(item, "setup")
    try:
        config.hook.zenrun_item_start(item=item)
    except (Exit, UsageError):  # a usage error stops the session (exit 4), as everywhere
        raise
    except (OutcomeException, SystemExit) as exc:  # zenrun.skip() in the hook: this item is skipped
        _outcome_exception(report, exc, "zenrun_item_start")
        return report, None, None, started
    except Exception as exc:  # a plugin's fault: this item errors, the session goes on
        report.outcome, report.internal = ERROR, True
        report.longrepr = describe_fault(config.pluginmanager, exc, f"zenrun_item_start of {item.nodeid}")
        return report, None, None, started
    setup = session.setup_state
    xfail = None
    try:  # as pytest: the marks first, then the zenrun_runtest_setup hooks
        reason = evaluate_skip(item.iter_markers(), item, config)
        xfail = evaluate_xfail(item.iter_markers(), item, config) if reason is None else None
    except Exit:
        raise
    except (OutcomeException, SystemExit) as exc:
        _outcome_exception(report, exc, "setup", item, config)
        return report, None, xfail, started
    except Exception as exc:  # a skip mark misused, a zenrun_markeval_namespace hook
        report.outcome = ERROR
        report.longrepr = f"error while setting up {item.nodeid}:\n{_error_text(exc, config)}"
        report.crash = crash_message(exc)
        return report, None, xfail, started
    if reason is not None:
        report.outcome, report.longrepr = SKIPPED, reason
        report.location = _defined_at(item)
        return report, None, xfail, started
    if xfail is not None and not xfail.run:
        report.outcome, report.longrepr = XFAILED, f"[NOTRUN] {xfail.reason}".rstrip()
        return report, None, xfail, started
    hook_capture = None
    try:
        with capturing(config.stash.get("capture")) as hook_capture:  # as a fixture's output
            item.ihook.zenrun_runtest_setup(item=item)  # the conftests above the item only
    except Exit:
        raise
    except (OutcomeException, SystemExit) as exc:
        _outcome_exception(report, exc, "zenrun_runtest_setup", item, config)
        if report.outcome == ERROR:
            xfail = _xfail_of_error(item, config, xfail, exc, report)
        report.sections += captured_sections("setup", hook_capture)
        return report, None, xfail, started
    except Exception as exc:
        report.outcome = ERROR
        report.longrepr = f"error while setting up {item.nodeid}:\n{_error_text(exc, config)}"
        report.crash = crash_message(exc)
        xfail = _xfail_of_error(item, config, xfail, exc, report)
        report.sections += captured_sections("setup", hook_capture)
        return report, None, xfail, started
    report.sections += captured_sections("setup", hook_capture)
    where = "setup"
    capture = config.stash.get("capture")
    call_capture = None  # what the pipeline body printed: pytest's "call" section
    try:
        # Fixture output, as a step's; a capture fixture (capsys) captures until the body ends.
        with capturing(capture) as setup_capture, fixture_capturing(item.stash):
            if item.missing:
                raise session.fixturemanager.missing_error(item)
            direct = _direct_argnames(item)
            eager = [
                n
                for n in [
                    *session.fixturemanager.autouse(item.module_path),
                    *config.getini("usefixtures"),
                    *(n for m in item.iter_markers("usefixtures") for n in m.args),
                ]
                if n not in item.params
            ]  # a parametrized name shadows the fixture
            values = {}
            # As pytest: the whole closure, in its order (higher scopes first), then the rest.
            for name in dict.fromkeys(
                [
                    *(n for n in item.fixturenames if n not in item.params or setup.show_setup),
                    *eager,
                    *(["request"] if "request" in direct else []),
                ]
            ):
                if name in item.params:  # shown only: its value is the item's, not a fixture's
                    setup.show_param(name, item)
                    continue
                value = setup.getfixturevalue(name, item)
                if name in direct:
                    values[name] = value
            if setup.show_setup:
                setup.show_item(item)
            if config.getoption("setuponly", False) or config.getoption("setupplan", False):
                # As pytest: fixtures set up (or, with --setup-plan, only shown), nothing run.
                report.phase = "call"
                report.sections += captured_sections("setup", setup_capture)
                return report, None, xfail, started
            run_config = config.stash.get("run_config")

            def fixture_lookup(name: str) -> object:
                if session.fixturemanager.get(name, item.module_path) is None:
                    return None
                return setup.getfixturevalue(name, item)

            where = "compose"
            report.phase = "call"
            if xfail is None:  # a fixture may have added one (request.applymarker)
                xfail = evaluate_xfail(item.iter_markers(), item, config)
                if xfail is not None and not xfail.run:
                    report.outcome, report.longrepr = XFAILED, f"[NOTRUN] {xfail.reason}".rstrip()
                    report.sections += captured_sections("setup", setup_capture)
                    return report, None, xfail, started
            steps = getattr(session, "run_config_steps", run_config.steps if run_config else None)
            phase = item_phase.set("call")
            set_current_test(item, "call")
            try:
                with capturing(capture) as call_capture:
                    composed = item.compose(
                        values, run_config=steps, fixture_lookup=fixture_lookup, item_id=item.nodeid
                    )
            finally:
                item_phase.reset(phase)
    except (Exit, KeyboardInterrupt):
        raise
    except (ComposeError, FixtureLookupError) as exc:
        # A fixture the body asks for (request.getfixturevalue) fails the item, as in a test's body.
        body_request = where == "compose" and isinstance(exc, FixtureLookupError)
        report.outcome, report.longrepr = FAILED_OUTCOME if body_request else ERROR, str(exc)
        xfail = _xfail_of_error(item, config, xfail, exc, report)
    except BaseException as raised:  # as pytest: any exception of the user's code is the item's
        outcome = from_pytest(raised)  # pytest.skip() and friends, as zenrun's
        if isinstance(outcome, Exit):
            raise outcome from None
        if isinstance(outcome, (OutcomeException, SystemExit)):
            _outcome_exception(report, outcome, where, item, config)
            if report.outcome in (ERROR, FAILED_OUTCOME):
                xfail = _xfail_of_error(item, config, xfail, outcome, report)
        elif where == "compose":  # the pipeline body is the item's own code, as a test function is
            report.outcome, report.longrepr = FAILED_OUTCOME, _error_text(outcome, config)
            report.crash, report.crash_whole = crash_message(outcome), whole_crash_message(outcome)
            report.location = _raised_at(outcome, config)
            xfail = _xfail_of_error(item, config, xfail, outcome, report)
        else:
            report.outcome = ERROR
            report.longrepr = _error_text(outcome, config)  # as pytest's: the fixture's traceback
            report.crash = crash_message(outcome)
            xfail = _xfail_of_error(item, config, xfail, outcome, report)
    else:
        report.sections += captured_sections("setup", setup_capture)
        report.sections += captured_sections("call", call_capture)
        return report, composed, xfail, started
    report.sections += captured_sections("setup", setup_capture)
    report.sections += captured_sections("call", call_capture)
    return report, None, xfail, started


def _error_text(exc: BaseException, config: Config) -> str:
    """An exception raised setting up or composing an item, in ``--tb`` style (pytest's
    ``E   Error: message`` lines)."""
    if isinstance(exc, Failed) and not exc.pytrace:  # zenrun.fail(..., pytrace=False): the message
        return exc.msg or ""
    explain_assertion(exc, settings=assertion_settings(config, None))  # a failing assert in a fixture or body
    text = user_traceback(exc)
    style = config.getoption("tbstyle", "auto")
    if config.getoption("fulltrace", False):  # as pytest: nothing cut, zenrun's frames too, long
        text, style = "".join(traceback.format_exception(exc)), "long"
    if style == "native":
        return text
    if style == "line":  # as pytest's: what was raised, its first line on an E line
        parsed = parse_traceback(text)
        lines = short_assertion("\n".join(parsed[1])).splitlines() if parsed is not None else []
        if not lines:
            return f"E   {exception_line(text)}"
        return "\n".join([f"E   {lines[0]}", *(f"    {line}" for line in lines[1:])])
    if parse_traceback(text) is None:  # no user frame left: the exception alone
        return "\n".join(
            f"E   {line}" for line in traceback.format_exception_only(type(exc), exc)[-1:]
        ).rstrip()
    return format_traceback(text, style).rstrip()


def _xfail_of_error(
    item: Item, config: Config, xfail: Xfail | None, exc: BaseException, report: ItemReport
) -> Xfail | None:
    """An error while setting up or composing ``item``: xfailed when an xfail mark covers it
    (as pytest, one added while composing counts; ``raises=`` must match the exception)."""
    if xfail is None and report.phase == "call":
        try:
            xfail = evaluate_xfail(item.iter_markers(), item, config)
        except Failed:
            return None
    if xfail is not None and (xfail.raises is None or isinstance(exc, xfail.raises)):
        # (the traceback kept for --xfail-tb: the short summary shows the reason)
        report.xfail_longrepr = report.longrepr
        report.outcome, report.longrepr = XFAILED, xfail.reason
    return xfail


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
    shown = _shown_streams(session.config)
    setup_shown = [(t, x) for t, x in report.sections if any(f"Captured {s}" in t for s in shown)]
    setup_in_text = False
    if run is not None and run.status == FAILED and report.outcome == PASSED:
        report.outcome = FAILED_OUTCOME
        report.longrepr = failure_text(run, session.config.getoption("tbstyle", "native"), shown, setup_shown)
        setup_in_text = True
    elif run is not None and run.status == PRUNED and report.outcome == PASSED:
        report.outcome = PRUNED_OUTCOME
        report.longrepr = next((s.error or "" for s in run.steps.values() if s.status == PRUNED), "").strip()
    stopped = run.step_outcome if run is not None else None
    if stopped is not None and run is not None:  # a step's zenrun.skip / xfail, as its body's
        kind, _, message, _, where = stopped
        failed = [s for s in run.steps.values() if s.status == FAILED]
        if kind == "skipped" and report.outcome == PASSED:
            report.outcome, report.longrepr = SKIPPED, message or "Skipped"
            report.location = where
        elif kind == "xfailed" and report.outcome == FAILED_OUTCOME and len(failed) == 1:
            report.outcome, report.longrepr = XFAILED, message
            xfail = None  # imperative: the mark's strictness does not apply (as pytest)
    if run is not None and run.internal_error is not None:  # a plugin failed a step
        report.outcome, report.internal = ERROR, True
    if xfail is None and report.phase == "call" and report.outcome in (FAILED_OUTCOME, PASSED):
        try:  # as pytest: the pipeline may have added one while it ran (request.node.add_marker)
            xfail = evaluate_xfail(item.iter_markers(), item, session.config)
        except Failed:
            xfail = None
    if xfail is not None and report.outcome in (FAILED_OUTCOME, PASSED) and report.run is not None:
        _apply_xfail(report, xfail, raised_matches)
    set_current_test(item, "teardown")
    with capturing(session.config.stash.get("capture")) as teardown_capture, fixture_capturing(item.stash):
        teardown_errors = session.setup_state.teardown("pipeline", item)
        try:
            item.ihook.zenrun_runtest_teardown(item=item)
        except Exception as exc:
            teardown_errors.append(exc)
    setup_and_call = list(report.sections)
    teardown_sections = captured_sections("teardown", teardown_capture)
    report.sections += teardown_sections
    report.sections += [(f"Captured {key} {when}", text) for when, key, text in item._report_sections]
    if report.outcome in (FAILED_OUTCOME, ERROR):  # fixture output belongs to the failure
        for title, text in report.sections:
            if (title, text) in setup_shown and setup_in_text:
                continue  # already shown, before the steps' output
            if any(f"Captured {stream}" in title for stream in shown):
                report.longrepr += f"\n{title}\n{text.rstrip()}"
    report.duration = time.perf_counter() - started
    report.stop = report.start + report.duration  # one clock's span: stop - start is duration
    report.keywords = dict(item.keywords)
    report.user_properties = list(item.user_properties)
    if stopped is not None and stopped[0] == "exit":  # a step's zenrun.exit(): as the body's, the
        session.setup_state.flush_shown()  # session ends here, the item not reported
        set_current_test(None)
        raise Exit(stopped[2], stopped[3])
    _warn_unhandled(report)
    report.pdbshown = take_shown() and report.outcome == FAILED_OUTCOME
    deliver_report(session, report)
    session.setup_state.flush_shown()
    if teardown_errors:  # as pytest's teardown report: what the item printed setting up and
        # running (its body, then its steps), then tearing down
        added = report.sections[len(setup_and_call) + len(teardown_sections) :]  # add_report_section's
        sections = setup_and_call + step_sections(run) + added + teardown_sections
        report_teardown_errors(session, item, "pipeline", teardown_errors, xfail, sections)
    set_current_test(None)
    return report


def _warn_unhandled(report: ItemReport) -> None:
    """The unhandled exceptions of the item's fixtures (and of its steps' threads that died
    after their step ended) as warnings of the item; one an error filter raises fails it."""
    try:
        warn_unhandled()
    except Warning as exc:
        if report.outcome == PASSED:
            report.outcome = FAILED_OUTCOME
            report.longrepr = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


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
    from zenrun.execution import FixtureStates, PipelineExecution  # here: pydantic, see run_item

    config = session.config
    left_in_module = collections.Counter(item.module_path for item in session.items)
    waiting: dict[int, tuple[Item, ItemReport, Xfail | None, float]] = {}
    executions: list[PipelineExecution] = []
    fixture_states = FixtureStates()  # what each item's fixtures left bound (see keep_fixture_state)
    maxfail = 1 if config.getoption("exitfirst") else config.getoption("maxfail")
    if config.getoption("stepwise", False):  # --sw stops at the first failure (--sw-skip: second)
        stop = 2 if config.getoption("stepwise_skip", False) else 1
        maxfail = min(maxfail, stop) if maxfail else stop

    def failures() -> int:
        return _failures(session)

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
            teardown_scope(session, item, "module")
        if maxfail and failures() >= maxfail and not session.shouldstop:
            session.shouldfail = session.shouldfail or stop_reason()

    def start(item: Item) -> PipelineExecution | None:
        """Prepare ``item`` and make its execution; None when it ended before running."""
        with recording_warnings(session, item):
            report, composed, xfail, started = prepare_item(session, item)
        composed = _checked(orchestrator, composed, report)
        if composed is None:
            end(item, report, xfail, started)
            return None
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
            return None
        waiting[id(execution)] = (item, report, xfail, started)
        execution.keep_fixture_state(fixture_states)
        return execution

    for item in session.items:
        if session.shouldstop or session.shouldfail:
            break
        if item.lazy:  # a study's trial: prepared when a slot is free for it (see feed)
            continue
        execution = start(item)
        if execution is not None:
            executions.append(execution)
    lazy = iter([item for item in session.items if item.lazy])

    def feed() -> PipelineExecution | None:
        for item in lazy:
            if session.shouldstop or session.shouldfail:
                return None
            execution = start(item)
            if execution is not None:
                return execution
        return None

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

    has_lazy = any(item.lazy for item in session.items)
    if (executions or has_lazy) and not (session.shouldstop or session.shouldfail):
        # Items that failed before their run count towards --maxfail too.
        scheduler = orchestrator.run_many(
            executions,
            exitfirst=config.getoption("exitfirst"),
            maxfail=maxfail and maxfail - failures(),
            on_finish=on_finish,
            **({"feed": feed} if has_lazy else {}),
        )
        if scheduler.stopped and waiting:
            broken = getattr(scheduler, "broken", None)  # the orchestrator lost its cluster
            reason = broken or (scheduler.stopped if config.getoption("exitfirst") else stop_reason())
            if session.shouldstop:  # --sw
                session.shouldstop += f" ({len(waiting)} pipeline(s) not started)"
            else:
                session.shouldfail = f"{reason}; {len(waiting)} pipeline(s) not started"


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
            # (a repr that raises is named, as in a traceback: not an INTERNALERROR of the item)
            params[name] = (
                dump(mode="json", exclude_defaults=True) if dump else saferepr(value, maxsize=sys.maxsize)
            )
    return params


def _direct_argnames(item: Item) -> set[str]:
    target = item.target
    if hasattr(target, "argnames"):
        return set(target.argnames)
    pipeline = getattr(target, "pipeline", None)
    if pipeline is not None:
        return {n for n in pipeline.argnames if n not in getattr(target, "kwargs", {})}
    return set()


def _shown_streams(config: Config) -> set[str]:
    """``--show-capture``: the captured streams shown with a failure."""
    choice = config.getoption("showcapture", "all")
    return {"stdout", "stderr", "log"} if choice == "all" else set() if choice == "no" else {choice}


#: The end of ``--help``, as pytest's: where the lists the help leaves out are.
_HELP_FOOTER = """
to see available markers type: zenrun --markers
to see available fixtures type: zenrun --fixtures
(shown according to specified file_or_dir or current dir if not specified; fixtures with leading '_' are only shown with the '-v' option)"""


def _show_version(config: Config) -> None:
    """``--version``; given twice, as pytest's: where zenrun is imported from, then the
    plugins registered through the ``zenrun`` entry-point group (what a bug report needs)."""
    if config.getoption("version") < 2:
        print(f"zenrun {__version__}")
        return
    import zenrun

    print(f"This is zenrun version {__version__}, imported from {zenrun.__file__}")
    dists = config.pluginmanager.plugin_dists
    if dists:
        print("registered third-party plugins:")
        for name, dist in dists:
            plugin = config.pluginmanager.get_plugin(name)
            where = getattr(plugin, "__file__", None) or repr(plugin)
            # named as the header's "plugins:" line names them (several may share one distribution)
            print(f"  {name}-{dist.version if dist else '?'} at {where}")


def main(args: Sequence[str] | os.PathLike[str] | None = None, plugins: Sequence[object] = ()) -> int:
    """Run zenrun with ``args`` (default: ``sys.argv[1:]``); returns the exit code.

    ``args`` is a list of strings (a path alone is taken as ``[path]``); ``plugins`` are
    plugin objects, or module names to import and register."""
    return _command(args, plugins)


#: As pytest's ``PYTEST_VERSION``: set to zenrun's version while :func:`main` runs, so that code
#: can tell it runs under zenrun (and which); the previous value is put back afterwards.
VERSION_VAR = "ZENRUN_VERSION"


def _command(
    args: Sequence[str] | os.PathLike[str] | None, plugins: Sequence[object], console: bool = False
) -> int:
    """:func:`main`; ``console``: the ``zenrun`` command's own process (see :func:`console_main`)."""
    previous = os.environ.get(VERSION_VAR)
    os.environ[VERSION_VAR] = __version__
    try:
        return _session_command(args, plugins, console)
    finally:
        if previous is None:
            os.environ.pop(VERSION_VAR, None)
        else:
            os.environ[VERSION_VAR] = previous


def _session_command(
    args: Sequence[str] | os.PathLike[str] | None, plugins: Sequence[object], console: bool
) -> int:
    """:func:`_command` while ``$ZENRUN_VERSION`` is set."""
    if args is None:
        args = sys.argv[1:]
    elif isinstance(args, os.PathLike):
        args = [os.fspath(args)]
    elif isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        # a string would be read as a list of one-letter arguments
        raise TypeError(
            f"`args` parameter expected to be a list of strings, got: {args!r} (type: {type(args)})"
        )
    args = list(args)
    if args in (["--version"], ["-V"]):  # no plugin to load, no option to parse: print it at once
        print(f"zenrun {__version__}")
        return ExitCode.OK
    try:
        # The command's own process: the plugins and conftests it imports while the config is
        # built make objects, next to no garbage, and no collection meanwhile (zenrun/heap.py).
        with startup_imports() if console else contextlib.nullcontext():
            config = create_config(args, plugins)
    except UsageError as exc:
        print(exc.report(), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except ConftestImportFailure as exc:  # as pytest: on stderr, a usage error
        print(exc.report(), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except StartupError as exc:
        _print_internal_error(exc, exc.__cause__ or exc, "starting up")
        return ExitCode.INTERNAL_ERROR
    try:
        status = _configured_main(config)
    finally:
        try:
            config._ensure_unconfigure()
        except Exception as exc:  # a plugin's zenrun_unconfigure: its INTERNALERROR, exit 3
            _print_internal_error(config, exc, "unconfiguring the session")
            status = ExitCode.INTERNAL_ERROR
    return status


def _configured_main(config: Config) -> int:
    """:func:`main` once the configuration is made: ``--help``, ``--version``, or the
    session (``zenrun_configure``, then ``zenrun_cmdline_main``); its exit code."""
    try:
        if config.getoption("help"):
            _list_orchestrators(config)
            print(config.parser.format_help())
            asserts_off = asserts_off_warned(config)  # as pytest's -h under python -O
            for warning in [*config.stash.get("help_warnings", []), *([asserts_off] if asserts_off else [])]:
                print(f"warning : {warning}")
            print(_HELP_FOOTER)
            return ExitCode.OK
        if config.getoption("version"):
            _show_version(config)
            return ExitCode.OK
        config.hook.zenrun_configure.call_historic(kwargs=dict(config=config))
        code: int = config.hook.zenrun_cmdline_main(config=config)
        return code
    except UsageError as exc:
        print(exc.report(), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except BrokenPipeError:  # the reader of our output went away: console_main ends quietly
        raise
    except Exit as exc:  # zenrun.exit() in zenrun_configure: as pytest, said on stderr
        print(f"Exit: {exc.msg}", file=sys.stderr)
        return exc.returncode if exc.returncode is not None else ExitCode.INTERRUPTED
    except Exception as exc:  # zenrun_configure or a plugin's zenrun_cmdline_main
        _print_internal_error(config, exc, "configuring the session")
        return ExitCode.INTERNAL_ERROR


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
        code = _command(None, (), console=True)
        sys.stdout.flush()
        freeze_for_exit()  # the process ends here: no last collection over the heap (zenrun/heap.py)
    except KeyboardInterrupt:  # while starting up or cleaning up: nothing to report
        print("\n!!! KeyboardInterrupt !!!", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        silence_stdout()
        return 1  # as Python (and pytest) exit on EPIPE
    return int(code)


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`main`: importing ``zenrun.main`` (the module) sets
    the package's ``main`` attribute to it, after which ``zenrun.main([...])`` must still
    run a session, as ``pytest.main([...])`` does."""

    def __call__(
        self, args: Sequence[str] | os.PathLike[str] | None = None, plugins: Sequence[object] = ()
    ) -> int:
        return main(args, plugins)


sys.modules[__name__].__class__ = _CallableModule
