"""The terminal reporter: header, progress per module, failures, runs table, closing line."""

from __future__ import annotations

import dataclasses
import datetime
import errno
import logging
import os
import re
import shutil
import sys
import threading
import traceback
from typing import Any, TextIO

import pluggy

from zenrun import __version__, capture
from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.blame import describe_fault
from zenrun.capture import silence_stdout, terminal_stream, unwrap
from zenrun.collect import confcutdir
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.logformat import color_captured_log
from zenrun.outcomes import Exit
from zenrun.reports import (
    error_phase,
    exception_line,
    failure_text,
    format_warning,
    raised_at,
    step_sections,
    text_before_output,
)
from zenrun.runner import set_showlocals
from zenrun.tbstyle import NOTRACE_HEADER, format_traceback, location, relpath, short_assertion
from zenrun.tbstyle import parse as parse_traceback

#: The ``when`` of an item's own report (not its teardown error's, not a collection's).
_ITEM_REPORTS = ("setup", "call")

_OUTCOME_CHAR = {
    "passed": ".",
    "failed": "F",
    "error": "E",
    "skipped": "s",
    "xfailed": "x",
    "xpassed": "X",
    "pruned": "p",
}
_OUTCOME_WORD = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "skipped": "SKIPPED",
    "xfailed": "XFAIL",
    "xpassed": "XPASS",
    "pruned": "PRUNED",
}


#: ANSI codes of the markup names, as pytest's TerminalWriter spells them.
_ESCAPES = {
    "black": 30,
    "red": 31,
    "green": 32,
    "yellow": 33,
    "blue": 34,
    "purple": 35,
    "cyan": 36,
    "white": 37,
    "bold": 1,
    "light": 2,
    "blink": 5,
    "invert": 7,
}
# compiled on first use (re caches it): zenrun --help does not need it
_ANSI = r"\x1b\[[\d;]*m"
#: The colour of each outcome: its progress letter, its word, its count in the closing line.
_OUTCOME_COLOR = {"passed": "green", "failed": "red", "error": "red", "warnings": "yellow"}


def visible_len(text: str) -> int:
    """The width of ``text`` on a terminal: its colour codes take none."""
    return len(re.sub(_ANSI, "", text)) if "\x1b" in text else len(text)


def should_color(option: str, isatty: bool) -> bool:
    """``--color``: yes, no, or auto (a terminal, unless ``NO_COLOR`` is set or ``TERM`` is
    dumb); ``PY_COLORS=1`` / ``0`` and ``FORCE_COLOR`` win over auto, as in pytest."""
    if option == "yes":
        return True
    if option == "no":
        return False
    py_colors = os.environ.get("PY_COLORS")
    if py_colors in ("0", "1"):
        return py_colors == "1"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return isatty and os.environ.get("TERM") != "dumb"


class TerminalWriter:
    def __init__(self, file: TextIO | None = None, color: str = "auto") -> None:
        self.file = unwrap(file or sys.stdout)
        self.width = max(40, shutil.get_terminal_size((80, 24)).columns)
        self.column = 0
        self.current_line = ""
        self.isatty = hasattr(self.file, "isatty") and self.file.isatty()
        self.hasmarkup = should_color(color, self.isatty)
        self.code_highlight = True  # --code-highlight
        self._status = False
        self.closed = False  # the reader went away: write nothing more, keep running
        self.lock = threading.RLock()  # the progress ticker writes from its own thread

    def _emit(self, text: str) -> None:
        if self.closed:
            return
        try:
            with terminal_stream(self.file) as target:  # never into a step's captured output
                try:
                    target.write(text)
                except UnicodeEncodeError:  # as pytest: what the stream cannot encode, escaped
                    encoding = getattr(target, "encoding", None) or "utf-8"
                    target.write(text.encode(encoding, "backslashreplace").decode(encoding))
                target.flush()
        except (BrokenPipeError, ValueError):  # ValueError: the file was closed
            self._close()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            self._close()

    def _close(self) -> None:
        self.closed = True
        if self.file is sys.stdout or self.file is sys.__stdout__:
            silence_stdout()

    def highlight(self, lines: list[str]) -> list[str]:
        """Python source ``lines`` highlighted as pytest's ``--code-highlight`` does (pygments'
        terminal colours; ``PYTEST_THEME`` / ``PYTEST_THEME_MODE`` pick the style), when the
        output is coloured and pygments is installed; else as they are."""
        if not (self.hasmarkup and self.code_highlight and lines):
            return lines
        try:
            import pygments
            from pygments.formatters.terminal import TerminalFormatter
            from pygments.lexers.python import PythonLexer
        except ImportError:
            return lines
        source = "\n".join(lines)
        try:
            formatter = TerminalFormatter(
                bg=os.environ.get("PYTEST_THEME_MODE", "dark"), style=os.environ.get("PYTEST_THEME")
            )
        except Exception:  # an unknown theme: plain source, not a failed report
            return lines
        highlighted: str = pygments.highlight(source, PythonLexer(), formatter)
        if highlighted.endswith("\n") and not source.endswith("\n"):
            highlighted = highlighted[:-1]
        # (a lexer may not set the first colour: reset first, as pytest does)
        new = ("\x1b[0m" + highlighted).splitlines()
        return new if len(new) == len(lines) else lines

    def markup(self, text: str, **markup: bool) -> str:
        """``text`` in the colours and styles named (``red=True, bold=True``), when the
        terminal shows them; else as it is."""
        if not self.hasmarkup or not text:
            return text
        codes = "".join(f"\x1b[{_ESCAPES[name]}m" for name, on in markup.items() if on and name in _ESCAPES)
        return f"{codes}{text}\x1b[0m" if codes else text

    def write(self, text: str, **markup: bool) -> None:
        if not text:
            return
        if markup:
            text = self.markup(text, **markup)
        with self.lock:
            self.clear_status()
            self._emit(text)
            last_newline = text.rfind("\n")
            self.current_line = text[last_newline + 1 :] if last_newline >= 0 else self.current_line + text
            self.column = visible_len(self.current_line)

    def status(self, text: str) -> None:
        """On a terminal, show ``text`` after the current line until the next write."""
        if not self.isatty:
            return
        with self.lock:
            room = self.width - self.column - 1
            self._emit("\r" + self.current_line + text[: max(room, 0)] + "\x1b[K")
            self._status = True

    def clear_status(self) -> None:
        with self.lock:
            if self._status:
                self._status = False
                self._emit("\r" + self.current_line + "\x1b[K")

    def interject(self, text: str) -> None:
        """Write a line above the progress line, then continue the progress line."""
        with self.lock:
            current = self.current_line
            if self.column:
                self.write("\n")
            self.write(text + "\n")
            if current:
                self.write(current)

    def line(self, text: str = "", **markup: bool) -> None:
        if self.column:
            self.write("\n")
        self.write((self.markup(text, **markup) if markup else text) + "\n")

    def sep(self, char: str, title: str = "", **markup: bool) -> None:
        """A full-width line of ``char`` with ``title`` centred (``title`` may hold colours)."""
        width = visible_len(title)
        if title:
            side = max(1, (self.width - width - 2) // (2 * len(char)))
            text = f"{char * side} {title} {char * side}"
            if width + 2 + 2 * side < self.width:
                text += char * (self.width - width - 2 - 2 * side)
        else:
            text = char * self.width
        if width == len(title):  # (cut only plain text: a code cut in two would colour the rest)
            text = text[: max(self.width, width + 4)]
        self.line(text, **markup)


class _StepLogHandler(logging.Handler):
    def __init__(self, reporter: TerminalReporter) -> None:
        super().__init__()
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        self.reporter.log_line(record)


def format_session_duration(seconds: float) -> str:
    """``12.34s``, or ``75.12s (0:01:15)`` from a minute on, as pytest writes it."""
    if seconds < 60:
        return f"{seconds:.2f}s"
    return f"{seconds:.2f}s ({datetime.timedelta(seconds=int(seconds))})"


class TerminalReporter:
    """Writes the session to the terminal the way pytest does."""

    @property
    def _tw(self) -> TerminalWriter:
        """pytest's name of the terminal writer, which many of its plugins use: :attr:`tw`."""
        return self.tw

    def __init__(self, config: Any) -> None:
        self.config = config
        # --json: the results are stdout's; the session's report goes to stderr.
        self.tw = TerminalWriter(
            sys.stderr if config.getoption("json_output", False) else None, config.getoption("color", "auto")
        )
        self.tw.code_highlight = config.getoption("code_highlight", "yes") == "yes"
        self.verbosity = config.get_verbosity()
        self.started = time.perf_counter()
        self.current_module: str | None = None
        self._items_in_flight = 0  # > 1 when -n runs items together
        self.done = 0
        self.total = 0
        self.reports: list[Any] = []
        self._item_header: str | None = None  # -v: an item's block starts with its id
        self._id_written: str | None = None  # -s -v: the id written as its pipeline started
        #: -s -v, pipelines run one at a time (no -n, no Dask): an item's id is written as it
        #: starts, as pytest's (with several at once, their output would follow the wrong id)
        self._ids_first = (
            config.getoption("capture", "fd") == "no"
            and not config.getoption("numprocesses", None)
            and (config.getoption("orchestrator", None) or "local") == "local"
        )
        #: Live logs on (``--log-cli-level``, ``log_cli``): as pytest, one line per pipeline
        #: (``id `` ... ``PASSED [ 50%]``) with its records under ``live log <phase>`` headers.
        self.live_log = False
        self._live_phase_shown: str | None = None
        #: Live log records of a pipeline's teardown and finish (``zenrun_item_report``
        #: implementations called before this one's), with their phase: written after its
        #: outcome (as pytest's).
        self._held_teardown_logs: list[tuple[str, str]] = []
        self._live_item: str | None = None  # the pipeline whose line is open
        self._session: Any = None
        self._outcomes_seen: set[str] = set()  # (kept as reports come: the progress colour)
        self.deselected = 0
        self._deselected_items: list[Any] = []  # stats["deselected"]
        self.logged_warnings: list[str] = []
        self.progress_style = _progress_style(config)
        # --setup-only / --setup-plan: nothing ran, so a passed item has no letter (as pytest)
        self._setup_only = bool(config.getoption("setuponly", False) or config.getoption("setupplan", False))
        self._unreported_duration = 0.0  # console_output_style=times: the current module's
        self.no_summary = bool(config.getoption("no_summary", False))
        self.no_header = bool(config.getoption("no_header", False))
        self.handler = _StepLogHandler(self)
        logger = logging.getLogger("zenrun")
        self._old_logger = (logger.level, logger.propagate)
        logger.addHandler(self.handler)
        logger.setLevel(logging.DEBUG if self.verbosity > 0 else logging.WARNING)
        logger.propagate = False

    def close(self) -> None:
        logger = logging.getLogger("zenrun")
        logger.removeHandler(self.handler)
        logger.setLevel(self._old_logger[0])
        logger.propagate = self._old_logger[1]

    def log_line(self, record: logging.LogRecord) -> None:
        if self.verbosity <= 0:  # keep the progress line intact: warnings go to the summary
            self.logged_warnings.append(f"{record.levelname}: {record.getMessage()}")
            return
        prefix = "" if record.levelno <= logging.INFO else f"{record.levelname}: "
        item = getattr(record, "zenrun_item", None)
        if item and self._items_in_flight > 1:  # -n: interleaved lines say whose they are
            prefix = f"{item.rpartition('::')[2]}: {prefix}"
        if self._item_header:
            self.tw.line(self._item_header)
            self._item_header = None
        if self.tw.column:
            self.tw.write("\n")
        self.tw.write(f"    {prefix}{record.getMessage()}\n")

    # -- session ----------------------------------------------------------------------
    @hookimpl(trylast=True)  # as pytest: after the conftests' zenrun_sessionstart
    def zenrun_sessionstart(self, session: Any) -> None:
        self._session = session  # its warnings colour the progress
        if self.verbosity < 0:
            return
        config = self.config
        self.tw.sep("=", "zenrun session starts", bold=True)
        if self.no_header:
            return

        import platform  # here: `zenrun --help` and `-q` print no header

        line = (
            f"platform {sys.platform} -- Python {platform.python_version()}, "
            f"zenrun-{__version__}, pluggy-{pluggy.__version__}"
        )
        if self.verbosity > 0:
            line += f" -- {sys.executable}"
        self.tw.line(line)
        for text in self._own_header_lines(session):
            self.tw.line(text)
        lines = config.hook.zenrun_report_header(
            config=config, start_path=getattr(session, "startpath", None)
        )
        for line_or_lines in reversed(lines):  # as pytest: earlier plugins' lines first
            for text in [line_or_lines] if isinstance(line_or_lines, str) else line_or_lines or []:
                self.tw.line(text)

    def _own_header_lines(self, session: Any) -> list[str]:
        """``rootdir:``, ``configfile:``, ``pipelinepaths:`` (when they are what runs), the
        installed plugins, then zenrun's store and orchestrator."""
        config = self.config
        lines = [f"rootdir: {config.rootpath}"]
        if config.inipath:
            # As pytest's bestrelpath: relative to the rootdir, also above it (``../x.toml``).
            configfile = str(config.inipath)
            if config.inipath.is_file():  # not -c /dev/null
                configfile = os.path.relpath(config.inipath, config.rootpath).replace(os.sep, "/")
            lines.append(f"configfile: {configfile}")
        configured = config.getini("pipelinepaths") if "pipelinepaths" in config.ini else []
        start = getattr(session, "startpath", None)
        at_root = start is not None and start.resolve() == config.rootpath.resolve()
        if configured and not config.getoption("paths") and at_root:
            lines.append("pipelinepaths: " + ", ".join(str(p) for p in configured))
        dists = getattr(config.pluginmanager, "plugin_dists", [])
        if dists:  # as pytest: installed plugins and their versions
            lines.append(
                "plugins: " + ", ".join(f"{name}-{dist.version if dist else '?'}" for name, dist in dists)
            )
        lines.append(
            f"store: {config.store_location}, orchestrator: {config.getoption('orchestrator', None) or 'local'}"
        )
        if config.getoption("no_cache", False):
            lines.append("cache: disabled for this run (--no-cache)")
        if config.getoption("traceconfig", False):  # as pytest's: each plugin, by name
            lines.append(f"using: zenrun-{__version__}")
            lines.append("active plugins:")
            for name, plugin in config.pluginmanager.list_name_plugin():
                where = getattr(plugin, "__file__", None) or repr(plugin)
                lines.append(f"    {name:<20}: {where}")
        return lines

    @hookimpl
    def zenrun_deselected(self, items: list[Any]) -> None:
        self.deselected += len(items)
        self._deselected_items.extend(items)

    @hookimpl
    def zenrun_collection_finish(self, session: Any) -> None:
        self.total = len(session.items)
        if self.verbosity >= 0:
            errors = len(session.collection_errors)
            text = f"collected {self.total + self.deselected} pipeline{'s' if self.total + self.deselected != 1 else ''}"
            skipped = sum(1 for r in self.reports if r.when == "collect" and r.outcome == "skipped")
            if errors:
                text += f" / {errors} error{'s' if errors != 1 else ''}"
            if self.deselected:
                text += f" / {self.deselected} deselected"
            if skipped:
                text += f" / {skipped} skipped"
            if self.deselected:
                text += f" / {self.total} selected"
            if self.verbosity > 0:  # as pytest's -v without a terminal to rewrite the line on
                text = f"collecting ... {text}"
            self.tw.line(text)
        lines = self.config.hook.zenrun_report_collectionfinish(
            config=self.config, start_path=getattr(session, "startpath", None), items=session.items
        )
        for line_or_lines in reversed(lines):  # as pytest: earlier plugins' lines first
            for text in [line_or_lines] if isinstance(line_or_lines, str) else line_or_lines or []:
                self.tw.line(text)
        if self.config.getoption("collectonly"):
            if session.items and self.verbosity > -1:
                self.tw.line()
            self._print_collected_items(session.items)
        if self.config.getoption("showfixtures"):
            self.tw.line()
            for line in session.fixturemanager.show(
                session.collected_modules, self.config.rootpath, verbose=self.verbosity > 0
            ):
                self.tw.line(self._colored_fixture_line(line))
        elif self.config.getoption("show_fixtures_per_test", False):
            for kind, text in session.fixturemanager.show_per_item(
                session.items, self.config.rootpath, verbose=self.verbosity > 0
            ):
                if kind == "sep":
                    self.tw.sep("-", text)
                else:
                    self.tw.line(self._colored_fixture_line(text))
        elif self.verbosity >= 0:
            self.tw.line()

    def _colored_fixture_line(self, line: str) -> str:
        """``name -- where``: the name green, where yellow; ``no docstring available``
        red (as pytest's ``--fixtures``)."""
        if not self.tw.hasmarkup:
            return line
        if line.strip() == "no docstring available":
            return self.tw.markup(line, red=True)
        name, separator, where = line.partition(" -- ")
        if not separator or line.startswith(" "):
            return line
        return self.tw.markup(name, green=True) + self.tw.markup(f" -- {where}", yellow=True)

    def _print_collected_items(self, items: list[Any]) -> None:
        """``--co``: the collection tree as pytest prints it (``<Dir>``, ``<Package>``,
        ``<Module>``, then ``<Pipeline name>``); with ``-q`` the ids, with ``-qq`` the
        count per file."""
        if self.verbosity < -1:
            counts: dict[str, int] = {}
            for item in items:
                path = item.nodeid.split("::", 1)[0]
                counts[path] = counts.get(path, 0) + 1
            for name, count in sorted(counts.items()):
                self.tw.line(f"{name}: {count}")
            return
        if self.verbosity < 0:
            for item in items:
                self.tw.line(item.nodeid)
            return
        stack: list[tuple[str, int]] = []
        for item in items:
            chain = _collector_chain(self.config, item)
            # The module node is the file's collection (a file collected twice is two nodes).
            needed = [
                *((node, 0) for node in chain[:-1]),
                (chain[-1], getattr(item, "collection_id", 0)),
                (f"<Pipeline {item.name}>", id(item)),
            ]
            while stack and stack != needed[: len(stack)]:
                stack.pop()
            for node, _ in needed[len(stack) :]:
                stack.append(needed[len(stack)])
                self.tw.line(f"{'  ' * (len(stack) - 1)}{node}")
            if self.verbosity >= 1:
                doc = getattr(getattr(item.target, "fn", None), "__doc__", None)
                if doc:
                    import inspect

                    for line in inspect.cleandoc(doc).splitlines():
                        self.tw.line(f"{'  ' * len(stack)}{line}")

    @hookimpl(tryfirst=True)  # before plugins' (which may raise): the counts stay right
    def zenrun_item_start(self, item: Any) -> None:
        self._items_in_flight += 1
        if self._items_in_flight > 1:  # -n runs items together: their lines interleave
            self._item_header = None
            return
        self._item_header = item.nodeid if self.verbosity > 0 else None
        self._live_phase_shown = None
        if self._item_header and self._ids_first:
            # -s -v: what the pipeline prints reaches the terminal as it runs, after its id
            # (as pytest writes a test's id first, and its outcome after what it printed)
            with self.tw.lock:
                if self.tw.column:
                    self.tw.write("\n")
                self.tw.write(f"{self._item_header} ")
            self._id_written, self._item_header = self._item_header, None
        if self.live_log and self.verbosity == 0:  # (-q: the progress line; -v: its own)
            self._end_progress_line()
            self.current_module = None
            with self.tw.lock:
                if self.tw.column:
                    self.tw.write("\n")
                self.tw.write(f"{item.nodeid} ")
            self._live_item = item.nodeid
            return
        self._module_header(item.nodeid)

    def write_live_log(self, text: str, phase: str | None) -> None:
        """Write a live log record: under a ``live log <phase>`` header the first time a
        phase logs, or above the progress line while -n runs several pipelines."""
        if self.verbosity < 0 or self._items_in_flight > 1 or (self._items_in_flight and not self.live_log):
            self.tw.interject(text)  # -q, or -n: above the progress line
            return
        if phase in ("teardown", "finish") and self._items_in_flight == 1:  # the outcome first
            self._held_teardown_logs.append((text, phase))
            return
        with self.tw.lock:
            if self._item_header:  # -v: the pipeline's id first
                self.tw.line(self._item_header)
                self._item_header = None
            if self.tw.column:
                self.tw.write("\n")
            if phase is not None and phase != self._live_phase_shown:
                self.tw.sep("-", f"live log {phase}", bold=True)
                self._live_phase_shown = phase
            self.tw.write(text + "\n")

    def _module_header(self, nodeid: str) -> None:
        module = nodeid.split("::")[0]
        if self.verbosity <= 0 and module != self.current_module:
            self._end_progress_line()
            self.current_module = module
            if self.verbosity == 0:
                self.tw.write(f"{module} ")

    @hookimpl
    def zenrun_collectreport(self, report: Any) -> None:
        if report.outcome != "skipped":
            return  # a collection error: the session's errors show and count it
        self.reports.append(report)  # a skipped module: counted, not in the progress line
        self._outcomes_seen.add(report.outcome)

    @hookimpl
    def zenrun_item_report(self, report: Any) -> None:
        self._item_header = None
        self._items_in_flight = max(0, self._items_in_flight - 1)
        live_line = self._live_item is not None and self._live_item == report.nodeid
        self._live_item = None
        if not live_line:
            self._module_header(report.nodeid)  # items finishing out of order (-n)
        self.reports.append(report)
        self._outcomes_seen.add(report.outcome)
        if report.when in _ITEM_REPORTS:  # a teardown error adds an E, not an item
            self.done += 1
        self._unreported_duration += getattr(report, "duration", 0.0) or 0.0
        if self.verbosity > 0:
            self._verbose_line(report)
        elif live_line:  # after its id, or at the start of a line after its records (as pytest's)
            self.tw.write(_OUTCOME_WORD[report.outcome], **self._outcome_markup(report.outcome))
            self._end_progress_line(force=True)
        else:
            if not (self._setup_only and report.outcome == "passed"):
                self.tw.write(_OUTCOME_CHAR[report.outcome], **self._outcome_markup(report.outcome))
            # (-q: the line after the last one ends at the session's end: see zenrun_sessionfinish)
            last_quiet = self.verbosity < 0 and self.done >= self.total
            if self.progress_style and report.when in _ITEM_REPORTS and not last_quiet:
                # As pytest: a line about to pass the terminal's edge ends with the progress.
                length = len(f" [{self.total}/{self.total}]") if self.progress_style == "count" else 7
                if self.tw.column + length + 1 >= self.tw.width:
                    self.tw.write(self._suffix(), **{self._main_color(): True})
                    self.tw.write("\n")
        if report.when in _ITEM_REPORTS:
            self._write_held_teardown_logs()

    def _write_held_teardown_logs(self) -> None:
        """The live log records of a pipeline's teardown and finish, held until its outcome
        was written."""
        held, self._held_teardown_logs = self._held_teardown_logs, []
        for text, phase in held:
            self.write_live_log(text, phase)

    def _verbose_line(self, report: Any) -> None:
        """``id WORD (reason)`` and the progress, as pytest -v writes a pipeline's line."""
        word = _OUTCOME_WORD[report.outcome]
        id_written, self._id_written = self._id_written, None
        # -s -v: its id was written as it started, and zenrun wrote nothing since (its -v step
        # lines end a line): the word after it, or after what the pipeline printed, as pytest's
        alone = id_written is not None and id_written == report.nodeid and self.tw.column > 0
        line = word if alone else f"{report.nodeid} {word}"
        if self.tw.hasmarkup:  # the word in its outcome's colour
            colored = self.tw.markup(word, **self._outcome_markup(report.outcome))
            line = line[: len(line) - len(word)] + colored
        self.tw.write(line if alone else ("\n" if self.tw.column else "") + line)
        if report.outcome in ("skipped", "xfailed", "xpassed"):
            reason = _raw_skip_reason(report)
            if self.verbosity < 2:
                available = self.tw.width - self.tw.column - len(" [100%]") - 1
                formatted = _format_trimmed(" ({})", reason, available)
            else:
                formatted = f" ({reason})"
            if reason and formatted is not None:
                self.tw.write(self._wrapped(formatted))
        self._end_progress_line(force=True)

    def _wrapped(self, content: str) -> str:
        """``content`` to write after what the line holds, wrapped with a margin of 8 for the
        progress, as pytest's ``wrap_write``: only a reason is wrapped, never the id and its
        word (``id PASSED`` stays one line, whatever the id's length)."""
        import textwrap

        column = self.tw.column
        lines = textwrap.wrap(
            " " * column + content, width=self.tw.width - 8, drop_whitespace=True, replace_whitespace=False
        )
        return "\n".join(lines)[column:]

    def _outcome_markup(self, outcome: str) -> dict[str, bool]:
        return {_OUTCOME_COLOR.get(outcome, "yellow"): True}

    def _main_color(self) -> str:
        """The session's colour so far (:func:`_session_color`)."""
        warned = bool(self.logged_warnings or getattr(self._session, "warnings", None))
        return _session_color(self._outcomes_seen, warned, more_to_come=self.done < self.total)

    def _suffix(self) -> str:
        """The progress after a module's results: `` [ 50%]``, `` [10/20]`` or its duration."""
        if self.progress_style == "progress":
            return f" [{100 * self.done // max(self.total, 1):3d}%]"
        if self.progress_style == "count":
            return f" [{self.done:{len(str(self.total))}d}/{self.total}]"
        if self.progress_style == "times":
            duration, self._unreported_duration = self._unreported_duration, 0.0
            return format_node_duration(duration)
        return ""

    def _percent(self) -> str:
        return self._suffix().lstrip()

    def _end_progress_line(self, force: bool = False) -> None:
        if self.tw.column and (force or (self.verbosity == 0 and self.current_module)):
            fill = self.tw.width - self.tw.column - 1
            suffix = self._suffix()
            self.tw.write(suffix.rjust(fill) if suffix else "", **{self._main_color(): True})
            self.tw.write("\n")

    # -- the write API for plugins (as pytest's TerminalReporter) ----------------------
    def write(self, content: str, **markup: bool) -> None:
        """Write ``content``; ``markup`` (``red=True``, ``bold=True``, ...) colours it when
        the output is coloured (``--color``)."""
        self.tw.write(content, **markup)

    def ensure_newline(self) -> None:
        """End the current line if something was written on it."""
        if self.tw.column:
            self.tw.write("\n")

    def write_line(self, line: str, **markup: bool) -> None:
        """Write ``line`` on a line of its own."""
        self.tw.line(line, **markup)

    def line(self, msg: str = "", **markup: bool) -> None:
        """Same as :meth:`write_line` (pytest has both)."""
        self.tw.line(msg, **markup)

    def write_sep(self, sep: str, title: str | None = None, **markup: bool) -> None:
        """A full-width separator line of ``sep`` characters, with ``title`` centred."""
        self.tw.sep(sep, title or "", **markup)

    def section(self, title: str, sep: str = "=", **markup: bool) -> None:
        """Start a summary section: ``==== title ====``."""
        self.tw.sep(sep, title, **markup)

    @property
    def stats(self) -> dict[str, list[Any]]:
        """The session's reports by outcome so far, as pytest's ``terminalreporter.stats``:
        ``"passed"``, ``"failed"``, ``"error"``, ``"skipped"``, ``"xfailed"``, ``"xpassed"``
        map to lists of :class:`zenrun.ItemReport` (a module skipped at collection
        included), ``"deselected"`` to the deselected items; an outcome no item had is
        absent. A new dict each time: read it, changing it changes nothing."""
        stats: dict[str, list[Any]] = {}
        for report in self.reports:
            stats.setdefault(report.outcome, []).append(report)
        if self._deselected_items:
            stats["deselected"] = list(self._deselected_items)
        return stats

    @hookimpl
    def zenrun_internalerror(self, excrepr: str) -> bool:
        self.ensure_newline()
        for line in excrepr.splitlines():
            self.tw.line(f"INTERNALERROR> {line}")
        return True

    def _internal_error(self, session: Any, exc: BaseException, what: str) -> None:
        self.ensure_newline()
        for line in describe_fault(self.config.pluginmanager, exc, what).rstrip("\n").splitlines():
            self.tw.line(f"INTERNALERROR> {line}")
        session.exitstatus = 3  # ExitCode.INTERNAL_ERROR

    @hookimpl(wrapper=True)
    def zenrun_sessionfinish(self, session: Any, exitstatus: int) -> Any:
        self._items_in_flight = 0  # (an interrupted pipeline never reported)
        self._write_held_teardown_logs()
        try:  # other plugins' sessionfinish first; the summary is written even if one fails
            yield
        except Exit:  # zenrun.exit() in a zenrun_sessionfinish: as pytest, no summary
            raise
        except Exception as exc:
            self._internal_error(session, exc, "running zenrun_sessionfinish")
        if not (session.shouldfail or session.shouldstop):  # as pytest: no percentage once stopped
            # -q: the progress after the last pipeline, once its teardown is done too (as
            # pytest's logfinish), so that a teardown error's E still goes on the line
            self._end_progress_line(force=self.verbosity < 0)
        if self.tw.column:
            self.tw.write("\n")
        if self.verbosity >= 0 and self.reports and not self.config.getoption("collectonly"):
            self.tw.line()  # as pytest: a blank line between the progress and the summaries
        tbstyle = self.config.getoption("tbstyle", "auto")
        chars = report_chars(self.config)
        session.warnings.extend(self.logged_warnings)
        if not self.no_summary:  # --no-summary: zenrun's own sections left out, plugins' kept
            self._summary_errors_and_failures(session, tbstyle)
            if self.config.getoption("xfail_tb", False) and tbstyle != "no":
                self._summary_xfailures(tbstyle)
            self._summary_warnings(session.warnings)
            if "P" in chars and tbstyle != "no":
                self._summary_passes()
            if "X" in chars and tbstyle != "no":
                self._summary_passes("xpassed", "XPASSES")
        import warnings as _warnings

        with _warnings.catch_warnings(record=True) as late:  # as pytest's "(final)" warnings
            _warnings.simplefilter("default")
            try:
                self.config.hook.zenrun_terminal_summary(
                    terminalreporter=self, exitstatus=exitstatus, config=self.config
                )
            except Exception as exc:  # the closing line still follows
                self._internal_error(session, exc, "running zenrun_terminal_summary")
        final = [format_warning(w) for w in late]
        session.warnings.extend(final)
        if not self.no_summary:
            summary = self._short_summary(chars, session)
            if summary:  # at every verbosity, as pytest's short test summary
                self.tw.sep("=", "short pipeline summary info", cyan=True, bold=True)
                for line in summary:
                    self.tw.line(self._colored_summary_word(line))
            self._summary_warnings(final, title="warnings summary (final)")
        if getattr(session, "shouldfail", None):
            self.tw.sep("!", session.shouldfail, red=True)
        # zenrun.exit(): as pytest, before the closing line when the session is interrupted
        # (exit code 2), after it when exit() chose its own code
        exit_after = bool(getattr(session, "exit_message", None)) and exitstatus != 2
        if getattr(session, "exit_message", None):
            if not exit_after:
                self.tw.sep("!", session.exit_message, red=True)
        elif session.shouldstop == "KeyboardInterrupt":
            self.write_keyboard_interrupt(session)
        elif session.shouldstop and exitstatus == 2:  # the session was interrupted
            self.tw.sep("!", f"Interrupted: {session.shouldstop}", red=True)
        elif session.shouldstop:
            self.tw.sep("!", str(session.shouldstop), red=True)
        # As pytest: the closing line between separators; with -q a plain line; -qq none.
        if self.verbosity >= 0:
            text, color = self._colored_closing_line(session)
            self.tw.sep("=", text, **{color: True})
        elif self.verbosity == -1:
            if self.config.getoption("collectonly") and session.items:
                self.tw.line()  # as pytest: a blank line after the ids
            text, color = self._colored_closing_line(session)
            self.tw.line(text.removesuffix(f"\x1b[{_ESCAPES[color]}m"), **{color: True})
        if exit_after:
            self.tw.sep("!", session.exit_message, red=True)
        return None

    def write_keyboard_interrupt(self, session: Any) -> None:
        """The ``!!! KeyboardInterrupt !!!`` banner, where it came and how to see more (as
        pytest's); with ``--full-trace``, its whole traceback."""
        self.tw.sep("!", "KeyboardInterrupt", red=True)
        interrupt = getattr(session, "interrupt", None)
        where = raised_at(interrupt) if interrupt is not None else None
        fulltrace = interrupt is not None and self.config.getoption("fulltrace", False)
        if fulltrace:
            self.tw.line("".join(traceback.format_exception(interrupt)).rstrip())
        if where is not None:  # with --full-trace too: pytest's long traceback ends with it
            self.tw.line(f"{relpath(where[0])}:{where[1]}: KeyboardInterrupt")
        if not fulltrace:
            self.tw.line("(to show a full traceback on KeyboardInterrupt use --full-trace)")

    def _summary_errors_and_failures(self, session: Any, tbstyle: str) -> None:
        errors = [r for r in self.reports if r.outcome == "error"]
        # (as pytest: a failure --pdb's debugger showed is not shown again)
        failed = [r for r in self.reports if r.outcome == "failed" and not r.pdbshown]
        if tbstyle != "no" and (session.collection_errors or errors):  # as pytest: errors first
            self.tw.sep("=", "ERRORS")
            for path, message in session.collection_errors:
                self.tw.sep("_", f"ERROR collecting {path}", red=True, bold=True)
                self.tw.line(self._colored_traceback(message.rstrip()))
            for report in errors:
                phase = error_phase(report)
                self.tw.sep("_", f"ERROR at {phase} of {_headline(report.nodeid)}", red=True, bold=True)
                self.tw.line(self._colored_traceback(report.longrepr.rstrip()))
        if failed and tbstyle == "line":  # as pytest 9 --tb=line: the error's E lines, what was
            self.tw.sep("=", "FAILURES")  # captured, then the crash line
            for report in failed:
                for line in _error_lines_of(report):
                    self.tw.line(line)
                for title, text in _captured_of(report, self.config):  # as pytest: --tb=line keeps them
                    self.tw.sep("-", title.strip("- "))
                    self.tw.line(
                        self._colored_log(text.rstrip()) if _stream_of(title) == "log" else text.rstrip()
                    )
                self.tw.line(_line_of(report))
        elif failed and tbstyle != "no":
            self.tw.sep("=", "FAILURES")
            for report in failed:
                self.tw.sep("_", _headline(report.nodeid), red=True, bold=True)
                self.tw.line(self._colored_traceback(report.longrepr.rstrip()))

    def _summary_xfailures(self, tbstyle: str) -> None:
        """``--xfail-tb``: the tracebacks of xfailed pipelines, as pytest's XFAILURES."""
        # A failure of a step is in the report's run; one of the body or a fixture (raised
        # before there was a run) in its ``xfail_longrepr``: both are shown, as pytest's.
        xfailed = [
            r for r in self.reports if r.outcome == "xfailed" and (r.run is not None or r.xfail_longrepr)
        ]
        if not xfailed:
            return
        self.tw.sep("=", "XFAILURES")
        for report in xfailed:
            if report.run is None:  # the body's traceback in the place a failure's is read from
                report = dataclasses.replace(report, longrepr=report.xfail_longrepr)
            if tbstyle == "line":  # as FAILURES: the E lines, then the crash line
                for line in _error_lines_of(report):
                    self.tw.line(line)
                self.tw.line(_line_of(report))
                continue
            self.tw.sep("_", _headline(report.nodeid), red=True, bold=True)
            text = failure_text(report.run, tbstyle) if report.run is not None else report.longrepr
            self.tw.line(self._colored_traceback(text.rstrip()))

    def _summary_warnings(self, warnings: list[str], title: str = "warnings summary") -> None:
        # --disable-warnings: as pytest's, no section (the closing line still counts them)
        if self.config.getoption("disable_warnings", False):
            return
        if warnings and self.verbosity >= -1:  # as pytest: -q keeps it, -qq hides it
            self.tw.sep("=", title, yellow=True)
            for warning in _grouped_warnings(warnings):
                self.tw.line(warning)

    def _short_summary(self, chars: str, session: Any = None) -> list[str]:
        """The short summary's lines, as pytest's: grouped in the order of ``-r`` characters."""
        lines: list[str] = []
        for char in chars:
            outcome = {"f": "failed", "E": "error", "p": "passed", "x": "xfailed", "X": "xpassed"}.get(char)
            if char == "s":
                lines += self._folded_skips()
            if char == "E" and session is not None:  # collection errors first, as pytest
                crashes = getattr(session, "collection_crashes", {})
                for path, message in session.collection_errors:
                    marked = [line[1:].strip() for line in message.splitlines() if line.startswith("E ")]
                    text = (
                        crashes[path]
                        if path in crashes
                        else ""
                        if message.startswith("ImportError while importing")
                        or not marked
                        or marked[0].startswith("SyntaxError")
                        else marked[0]
                    )
                    lines.append(f"ERROR {path}" + (f" - {text}" if text else ""))
            for report in self.reports if outcome else ():
                if report.outcome != outcome or (outcome == "passed" and self._setup_only):
                    continue
                text = (
                    report.crash_text  # its first line unless -vv or on CI (_crash_message)
                    if outcome in ("failed", "error")
                    else ""
                    if outcome == "passed"
                    else (report.longrepr.strip().splitlines() or [""])[0]
                )
                where = report.nodeid
                if outcome == "xfailed" and getattr(report, "phase", "call") in ("setup", "teardown"):
                    where = f"at {report.phase} of {report.nodeid}"  # as pytest
                line = f"{_OUTCOME_WORD[report.outcome]} {where}"
                if text and outcome in ("failed", "error"):
                    line += self._crash_message(line, text)
                elif text:
                    line += f" - {text}"
                lines.append(line)
        return lines

    def _crash_message(self, line: str, message: str) -> str:
        """`` - message`` after a failure's summary line: whole on CI (``$CI``) or with -vv,
        else its first line, cut to the terminal's width (as pytest; the failed step's name
        is left out first). ``AssertionError:`` is left out before an ``assert ...``
        explanation whose ``repr`` quotes it with single quotes, as pytest leaves it out."""
        step = re.match(r"step '[^']*': ", message)
        head = step.group() if step else ""
        message = head + short_assertion(message[len(head) :])
        if (os.environ.get("CI") or os.environ.get("BUILD_NUMBER") or self.verbosity >= 2) and not (
            self.config.getoption("force_short_summary", False)
        ):
            return f" - {message}"
        available = self.tw.width - len(line)
        first = message.split("\n", 1)[0]
        if len(" - ") + len(first) > available:
            first = re.sub(r"^step '[^']*': ", "", first)
        return _format_trimmed(" - {}", first, available) or ""

    def hasopt(self, char: str) -> bool:
        """Whether ``-r`` asks for ``char`` (``skipped`` and ``xfailed`` spelled out too)."""
        char = {"xfailed": "x", "skipped": "s"}.get(char, char)
        return char in report_chars(self.config)

    def _folded_skips(self) -> list[str]:
        """``SKIPPED [N] path:lineno: reason``: skips of one place and reason folded, as pytest
        (``--no-fold-skipped``: one ``SKIPPED id - Skipped: reason`` line each)."""
        if not self.config.getoption("fold_skipped", True):
            return [
                f"SKIPPED {r.nodeid} - Skipped{'' if reason == 'Skipped' else f': {reason}'}"
                for r in self.reports
                if r.outcome == "skipped"
                for reason in [_skip_reason(r)]
            ]
        folded: dict[tuple[str, int | None, str], int] = {}
        for report in self.reports:
            if report.outcome == "skipped":
                key = (*_skip_location(report), _skip_reason(report))
                folded[key] = folded.get(key, 0) + 1
        return [
            f"SKIPPED [{count}] {path}{'' if lineno is None else f':{lineno}'}: {reason}"
            for (path, lineno, reason), count in folded.items()
        ]

    def _summary_passes(self, outcome: str = "passed", title: str = "PASSES") -> None:
        """``-rP``: the captured output of passed pipelines, as pytest's PASSES section
        (``-rX``: of xpassed ones, XPASSES)."""
        passes = []
        reports = [report for report in self.reports if report.outcome == outcome]
        if not reports:
            return
        self.tw.sep("=", title)  # as pytest's: with passed pipelines, even none with output
        # As pytest's: what a failed teardown wrote is its error's (ERRORS shows it), not the pass's.
        torn = {r.nodeid for r in self.reports if r.outcome == "error" and r.when == "teardown"}
        for report in reports:
            sections = [
                (title, text)
                for title, text in report.sections
                if text.strip() and not (report.nodeid in torn and " teardown " in title)
            ]
            sections += step_sections(report.run)
            if sections:
                passes.append((report.nodeid, sections))
        for nodeid, sections in passes:
            self.tw.sep("_", _headline(nodeid), green=True, bold=True)  # pytest's colours
            for title, text in sections:
                self.tw.line(title)
                self.tw.line(
                    self._colored_log(text.rstrip()) if _stream_of(title) == "log" else text.rstrip()
                )

    def _colored_log(self, text: str) -> str:
        """A captured log section's text with its level names in their colours, as pytest's
        ``ColoredLevelFormatter`` writes them (the text is kept without colours)."""
        return color_captured_log(text, self.config, self.tw)

    def _colored_traceback(self, text: str) -> str:
        """A failure's text with pytest's colours: ``E`` lines and the ``path:line:`` of
        each frame in bold red, the source lines highlighted (``--code-highlight``, with
        pygments installed); the captured output after it as it is, but the level names of
        its log sections (:meth:`_colored_log`)."""
        if not self.tw.hasmarkup:
            return text
        lines = text.split("\n")
        end = next((i for i, line in enumerate(lines) if re.match(_CAPTURED_SECTION, line)), len(lines))
        block: list[int] = []  # the source lines of one frame: highlighted together
        for index in range(end + 1):
            line = lines[index] if index < end else ""
            if index < end and line.startswith(("    ", ">   ")) and line.strip():
                block.append(index)
                continue
            if block:
                for at, new in zip(block, self.tw.highlight([lines[i][4:] for i in block]), strict=False):
                    lines[at] = lines[at][:4] + new
                block = []
            if index == end:
                break
            if line.startswith("E ") or line == "E":
                lines[index] = self.tw.markup(line, bold=True, red=True)
            else:
                found = re.match(_FRAME_LOCATION, line)
                if found:
                    lines[index] = self.tw.markup(found.group(1), bold=True, red=True) + line[found.end(1) :]
        start = None  # the first line of a log section's text
        for index in range(end, len(lines) + 1):
            if index == len(lines) or re.match(_CAPTURED_SECTION, lines[index]):
                if start is not None:
                    lines[start:index] = self._colored_log("\n".join(lines[start:index])).split("\n")
                start = index + 1 if index < len(lines) and _stream_of(lines[index]) == "log" else None
        return "\n".join(lines)

    def _colored_summary_word(self, line: str) -> str:
        word, _, rest = line.partition(" ")
        outcome = next((o for o, w in _OUTCOME_WORD.items() if w == word), None)
        if outcome is None or not self.tw.hasmarkup:
            return line
        return f"{self.tw.markup(word, **self._outcome_markup(outcome))} {rest}"

    def _colored_closing_line(self, session: Any) -> tuple[str, str]:
        """The closing line with each count in its colour (bold in the session's), and the
        session's colour (:func:`_session_color`)."""
        parts, elapsed = self._closing_parts(session)
        collectonly = self.config.getoption("collectonly")
        # --co: what was collected green (yellow when nothing was), its errors red
        collected = "green" if session.items else "yellow"
        if collectonly:
            main = "red" if any(outcome == "error" for _, outcome in parts) else collected
        else:
            main = _session_color({outcome for _, outcome in parts}, warned=False, more_to_come=False)
        if not self.tw.hasmarkup:
            return f"{', '.join(text for text, _ in parts)} in {elapsed}", main
        colored = []
        for text, outcome in parts:
            if collectonly or not outcome:  # as pytest's: "N collected" and "no ... ran" not bold
                color = "red" if outcome == "error" else collected if collectonly else "yellow"
                colored.append(self.tw.markup(text, **{color: True}))
                continue
            color = _OUTCOME_COLOR.get(outcome, "yellow")
            colored.append(self.tw.markup(text, **{color: True, "bold": color == main}))
        # As pytest: the separator after the counts in the main colour again (its reset ends the line).
        reopen = f"\x1b[{_ESCAPES[main]}m"
        return ", ".join(colored) + self.tw.markup(f" in {elapsed}", **{main: True}) + reopen, main

    def closing_line(self, session: Any) -> str:
        """pytest's summary stats line: counts in pytest's order, then the duration."""
        parts, elapsed = self._closing_parts(session)
        return f"{', '.join(text for text, _ in parts)} in {elapsed}"

    def _closing_parts(self, session: Any) -> tuple[list[tuple[str, str]], str]:
        """The closing line's counts, each with the outcome it counts (``""``: none ran;
        with ``--co`` one part, ``"error"`` or ``"collected"``), and the session's duration."""
        counts: dict[str, int] = {}
        for report in self.reports:
            counts[report.outcome] = counts.get(report.outcome, 0) + 1
        if self._setup_only:  # as pytest: set up, not run; "no pipelines ran"
            counts.pop("passed", None)
        counts["deselected"] = self.deselected
        counts["warnings"] = len(session.warnings)
        counts["error"] = counts.get("error", 0) + len(session.collection_errors)
        elapsed = format_session_duration(time.perf_counter() - self.started)
        if self.config.getoption("collectonly"):  # as pytest's: the errors a part of their own
            parts = [(self._collect_only_stats(session), "collected")]
            if counts["error"]:
                parts.append((f"{counts['error']} {_plural(counts['error'], 'error')}", "error"))
            return parts, elapsed
        parts = [
            (f"{counts[outcome]} {_plural(counts[outcome], outcome)}", outcome)
            for outcome in (
                "failed",
                "passed",
                "pruned",  # trials their study's pruner stopped: not failures
                "skipped",
                "deselected",
                "xfailed",
                "xpassed",
                "warnings",
                "error",
            )
            if counts.get(outcome, 0)
        ]
        return parts or [("no pipelines ran", "")], elapsed

    def _collect_only_stats(self, session: Any) -> str:
        collected = len(session.items) + self.deselected
        deselected = self.deselected
        if collected == 0:
            text = "no pipelines collected"
        elif deselected == 0:
            text = f"{collected} {_plural(collected, 'pipeline')} collected"
        elif collected == deselected:
            text = f"no pipelines collected ({deselected} deselected)"
        else:
            text = f"{collected - deselected}/{collected} pipelines collected ({deselected} deselected)"
        return text


#: ``path.py:12:`` at the start of a traceback's line: where a frame is (shown bold red).
# compiled on first use (re caches them): zenrun --help needs neither
_FRAME_LOCATION = r"^([^\s:][^:]*\.py):\d+:"
#: The title of a captured-output section after a traceback (``--- Captured stdout (step) ---``).
_CAPTURED_SECTION = r"^-+ Captured "


def _session_color(outcomes: set[str], warned: bool, more_to_come: bool) -> str:
    """The session's colour, as pytest's: red after a failure or error; yellow with
    warnings, an xpass or an outcome of zenrun's own (pruned); green once one passed (or
    while more are to come); else yellow (only skips, nothing ran)."""
    if outcomes & {"failed", "error"}:
        return "red"
    if warned or outcomes - {"passed", "skipped", "xfailed", "deselected", ""}:
        return "yellow"
    return "green" if "passed" in outcomes or more_to_come else "yellow"


def _headline(nodeid: str) -> str:
    """A report's section title as pytest's ``head_line``: the item's name, without its
    module path (``pipeline_x.py::train[a]`` -> ``train[a]``)."""
    return nodeid.split("::", 1)[1] if "::" in nodeid else nodeid


def _collector_chain(config: Any, item: Any) -> list[str]:
    """The collectors above ``item`` as pytest names them: ``<Dir rootdir>``, then
    ``<Dir name>`` or ``<Package name>`` (with ``__init__.py``) down to ``<Module file>``."""
    from pathlib import Path

    path = Path(item.module_path)
    top = confcutdir(config) or config.rootpath
    directories = [d for d in reversed(path.parents) if d == top or top in d.parents]
    if not directories:
        directories = [path.parent]
    chain = [
        f"<Package {d.name}>" if (d / "__init__.py").is_file() else f"<Dir {d.name}>" for d in directories
    ]
    return [*chain, f"<Module {path.name}>"]


CONSOLE_OUTPUT_STYLES = ("classic", "progress", "count", "times", "progress-even-when-capture-no")


def _progress_style(config: Any) -> str | None:
    """What follows a module's results: pytest's ``console_output_style`` (no progress
    with ``-s``, unless ``progress-even-when-capture-no``)."""
    style = config.getini("console_output_style") or "progress"
    if config.getoption("capture", "fd") == "no" and style != "progress-even-when-capture-no":
        return None
    if any(config.getoption(name, False) for name in ("setupshow", "setuponly", "setupplan")):
        return None  # as pytest: no progress among the fixtures' SETUP / TEARDOWN lines
    return {"progress": "progress", "progress-even-when-capture-no": "progress", "count": "count"}.get(
        style, "times" if style == "times" else None
    )


def format_node_duration(seconds: float) -> str:
    """A duration in the progress (``console_output_style = times``), as pytest writes it."""
    if seconds < 0.00001:
        return f" {seconds * 1000000:.3f}us"
    if seconds < 0.0001:
        return f" {seconds * 1000000:.2f}us"
    if seconds < 0.001:
        return f" {seconds * 1000000:.1f}us"
    if seconds < 0.01:
        return f" {seconds * 1000:.3f}ms"
    if seconds < 0.1:
        return f" {seconds * 1000:.2f}ms"
    if seconds < 1:
        return f" {seconds * 1000:.1f}ms"
    if seconds < 60:
        return f" {seconds:.3f}s"
    if seconds < 3600:
        return f" {seconds // 60:.0f}m {seconds % 60:.0f}s"
    return f" {seconds // 3600:.0f}h {(seconds % 3600) // 60:.0f}m"


def _skip_reason(report: Any) -> str:
    """A skip's reason in the ``-rs`` summary; ``Skipped`` when it was given none, as pytest
    shows its ``Skipped`` exception's message (``SKIPPED [1] x.py:2: Skipped``, and
    ``SKIPPED id - Skipped`` with ``--no-fold-skipped``)."""
    return (report.longrepr or "").strip().removeprefix("Skipped: ") or "Skipped"


def _raw_skip_reason(report: Any) -> str:
    """The reason shown after ``SKIPPED`` / ``XFAIL`` / ``XPASS`` with ``-v``."""
    reason = (report.longrepr or "").strip()
    if report.outcome == "skipped":
        reason = reason.removeprefix("Skipped: ")
        if reason in ("Skipped", "skipped"):
            reason = ""
    return reason.removeprefix("reason: ")


def _format_trimmed(format: str, msg: str, available_width: int) -> str | None:
    """``format`` with ``msg``, ellipsized to fit ``available_width``; None if not even the
    ellipsis fits (pytest's ``_format_trimmed``)."""
    msg = msg.split("\n", 1)[0]
    ellipsis = "..."
    format_width = len(format.format(""))
    if format_width + len(ellipsis) > available_width:
        return None
    if format_width + len(msg) > available_width:
        available_width -= len(ellipsis)
        msg = msg[: max(available_width - format_width, 0)] + ellipsis
    return format.format(msg)


def _captured_of(report: Any, config: Any) -> list[tuple[str, str]]:
    """The captured output sections of a failed report (its steps' and fixtures')."""
    shown = show_capture(config)
    sections = [(t, x) for t, x in report.sections if _stream_of(t) in shown and x.strip()]
    return sections + step_sections(report.run, failed_only=True, streams=shown)


def _stream_of(title: str) -> str:
    return next((s for s in ("stdout", "stderr", "log") if f"Captured {s}" in title), "")


def show_capture(config: Any) -> set[str]:
    """The streams ``--show-capture`` shows with a failure: stdout, stderr and log by default."""
    choice = config.getoption("showcapture", "all") if config is not None else "all"
    return {"stdout", "stderr", "log"} if choice == "all" else set() if choice == "no" else {choice}


def _plural(count: int, noun: str) -> str:
    """pytest's ``pluralize``: ``1 error`` / ``2 errors``, ``1 warning`` / ``2 warnings``."""
    if noun in ("error", "warnings", "pipeline"):
        noun = noun.rstrip("s")
        return noun if count == 1 else noun + "s"
    return noun


def report_chars(config: Any) -> str:
    """``-r CHARS`` normalised as pytest does: ``a`` is ``sxXEf``, ``A`` is ``PpsxXEf``, ``N`` none."""
    chars = ""
    for char in config.getoption("reportchars", "fE"):
        char = char.lower() if char in "FS" else char  # pytest's old aliases
        if char == "a":
            chars = "sxXEf"
        elif char == "A":
            chars = "PpsxXEf"
        elif char == "N":
            chars = ""
        elif char not in chars:
            chars += char
    return chars


def _error_lines_of(report: Any) -> list[str]:
    """``--tb=line``: the failing step's exception as pytest's line style writes it before the
    crash line (``E   first line``, the rest indented); a ``pytrace=False`` message as it is;
    a failure of the body: its ``E`` line."""
    if report.run is None and report.location is not None:  # the body's: its text, output apart
        return text_before_output(report).rstrip("\n").splitlines()
    for step in report.run.steps.values() if report.run is not None else ():
        if step.status != "failed" or not step.error:
            continue
        parsed = parse_traceback(step.error)
        if parsed is None:
            return []
        if step.error.startswith(NOTRACE_HEADER):
            return format_traceback(step.error, "line").rstrip("\n").splitlines()
        lines = short_assertion("\n".join(parsed[1])).splitlines()
        return [f"E   {lines[0]}", *(f"    {line}" for line in lines[1:])] if lines else []
    return []


def _line_of(report: Any) -> str:
    """``--tb=line``: ``path:lineno: exception`` of the failing step or body (as pytest), else
    the summary.

    The exception is pytest's crash message: its type and the first line of its message (an
    assert's explanation continues on ``+  where`` lines, which say nothing alone)."""
    for step in report.run.steps.values() if report.run is not None else ():
        where = location(step.error) if step.status == "failed" and step.error else None
        if where:
            return f"{where}: {short_assertion(exception_line(step.error))}"
    if report.run is None and report.location is not None and report.location[1] is not None and report.crash:
        return f"{relpath(report.location[0])}:{report.location[1]}: {short_assertion(report.crash)}"
    return f"{report.nodeid}: {report.summary}"


def _skip_location(report: Any) -> tuple[str, int | None]:
    path, lineno = report.location or (report.nodeid.split("::")[0], None)
    return relpath(path), lineno


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    reporting = parser.getgroup("reporting")
    reporting.addoption(
        "--color",
        dest="color",
        default="auto",
        choices=("yes", "no", "auto"),
        help="colour the output: yes, no, or auto (default: on a terminal, unless NO_COLOR is set; "
        "PY_COLORS=1 or FORCE_COLOR forces it)",
    )
    reporting.addoption(
        "--code-highlight",
        dest="code_highlight",
        default="yes",
        choices=("yes", "no"),
        help="highlight the source lines of tracebacks when the output is coloured (needs pygments)",
    )
    reporting.addoption(
        "--no-summary", dest="no_summary", action="store_true", default=False, help="disable the summary"
    )
    reporting.addoption(
        "--no-header", dest="no_header", action="store_true", default=False, help="disable the header"
    )
    reporting.addoption(
        "--full-trace",
        "--fulltrace",
        dest="fulltrace",
        action="store_true",
        default=False,
        help="show the whole traceback of a KeyboardInterrupt, zenrun's frames included, and collection "
        "errors and errors at setup in the long style (setup: zenrun's frames too)",
    )
    reporting.addoption(
        "-l",
        "--showlocals",
        dest="showlocals",
        action="store_true",
        default=False,
        help="show local variables in tracebacks (of steps run in this process)",
    )
    reporting.addoption(
        "--no-showlocals",
        dest="showlocals",
        action="store_false",
        help="hide local variables in tracebacks (negates --showlocals passed through addopts)",
    )
    reporting.addoption(
        "--show-capture",
        dest="showcapture",
        choices=["no", "stdout", "stderr", "log", "all"],
        default="all",
        help="captured output shown with a failure: stdout, stderr, log, all (default) or no",
    )
    reporting.addoption(
        "--no-fold-skipped",
        dest="fold_skipped",
        action="store_false",
        default=True,
        help="do not fold skipped pipelines in the short summary",
    )
    reporting.addoption(
        "--force-short-summary",
        dest="force_short_summary",
        action="store_true",
        default=False,
        help="cut failure messages in the short summary even with -vv or on CI",
    )
    reporting.addoption(
        "--xfail-tb",
        dest="xfail_tb",
        action="store_true",
        default=False,
        help="show the tracebacks of xfailed pipelines (XFAILURES)",
    )
    reporting.addoption(  # pytest's: a common addopts entry, which must not be a usage error
        "--disable-warnings",
        "--disable-pytest-warnings",
        dest="disable_warnings",
        action="store_true",
        default=False,
        help="disable the warnings summary (the closing line still counts the warnings)",
    )
    reporting.addoption(
        "--verbosity", dest="verbose", type=int, default=0, metavar="N", help="set verbosity (default 0)"
    )
    parser.addini(
        "console_output_style",
        "progress after each module's results: classic, progress (default), count, times, "
        "progress-even-when-capture-no",
        type="string",
        default="progress",
    )
    parser.getgroup("general").addoption(
        "--tb",
        dest="tbstyle",
        default="auto",
        metavar="STYLE",
        choices=["auto", "long", "short", "line", "native", "no"],
        help="traceback print mode (auto/long/short/line/native/no): long shows each frame's "
        "source, short one line per frame, native Python's format; auto is long for the "
        "first and last frame, short between",
    )
    parser.getgroup("general").addoption(
        "-r",
        "--report-chars",
        dest="reportchars",
        default="fE",
        metavar="CHARS",
        help="outcomes in the short summary: f failed, E error, s skipped, x xfailed, "
        "X xpassed, p passed, P passed with output, a all but passed, A all, N none "
        "(default fE)",
    )


def check_code_theme() -> None:
    """pytest's usage errors for a ``PYTEST_THEME`` / ``PYTEST_THEME_MODE`` pygments does not
    know, raised before the session runs (pytest's when it first highlights; a report that
    then quietly showed plain source hid the typo). pygments is imported only when one is set."""
    theme, mode = os.environ.get("PYTEST_THEME"), os.environ.get("PYTEST_THEME_MODE", "dark")
    if "PYTEST_THEME" not in os.environ and "PYTEST_THEME_MODE" not in os.environ:
        return
    try:
        import pygments.util
        from pygments.formatters.terminal import TerminalFormatter
    except ImportError:  # no highlighting without pygments: nothing to check
        return
    try:
        TerminalFormatter(bg=mode, style=theme)
    except pygments.util.ClassNotFound as exc:
        raise UsageError(
            f"PYTEST_THEME environment variable has an invalid value: '{theme}'. "
            "Hint: See available pygments styles with `pygmentize -L styles`."
        ) from exc
    except pygments.util.OptionError as exc:
        raise UsageError(
            f"PYTEST_THEME_MODE environment variable has an invalid value: '{mode}'. "
            "The allowed values are 'dark' (default) and 'light'."
        ) from exc


@hookimpl(tryfirst=True)
def zenrun_configure(config: Any) -> None:
    if config.stash.get("api"):
        return
    style = config.getini("console_output_style")
    if style not in CONSOLE_OUTPUT_STYLES:
        raise UsageError(
            "config option 'console_output_style' expects one of "
            + " | ".join(repr(s) for s in CONSOLE_OUTPUT_STYLES)
            + f", got {style!r}"
        )
    if config.getoption("showlocals", False):
        set_showlocals(True)
        config.add_cleanup(lambda: set_showlocals(False))
    reporter = TerminalReporter(config)
    if reporter.tw.hasmarkup and reporter.tw.code_highlight:
        check_code_theme()
    config.pluginmanager.register(reporter, "terminalreporter")
    config.add_cleanup(reporter.close)

    capture.before_passthrough = reporter.tw.clear_status  # -s: a step's print keeps its line
    config.add_cleanup(lambda: setattr(capture, "before_passthrough", None))


def _grouped_warnings(warnings: list[str]) -> list[str]:
    """The warnings summary's entries as pytest groups them: a warning given by several
    pipelines is shown once, under their ids (fewer than ten), else under a count per file
    (``pipeline_x.py: 12 warnings``). An entry is ``"<id>\n  <warning>"``; others stay as
    they are, in their place."""
    groups: dict[str, list[str]] = {}
    order: list[tuple[str, str]] = []  # ("group", body) or ("plain", text)
    for warning in warnings:
        where, sep, body = warning.partition("\n")
        if sep and body.startswith("  ") and where and not where.startswith(" "):
            if body not in groups:
                groups[body] = []
                order.append(("group", body))
            groups[body].append(where)
        else:
            order.append(("plain", warning))
    out = []
    for kind, text in order:
        if kind == "plain":
            out.append(text)
            continue
        locations = groups[text]
        if len(locations) < 10:
            head = "\n".join(locations)
        else:
            counts: dict[str, int] = {}
            for location in locations:
                path = location.split("::", 1)[0]
                counts[path] = counts.get(path, 0) + 1
            head = "\n".join(f"{path}: {n} warning{'s' if n > 1 else ''}" for path, n in counts.items())
        out.append(f"{head}\n{text}")
    return out
