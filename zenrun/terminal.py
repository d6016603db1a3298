"""The terminal reporter: header, progress per module, failures, runs table, closing line."""

from __future__ import annotations

import datetime
import errno
import logging
import platform
import shutil
import sys
import threading
import time
from typing import Any, TextIO

import pluggy

from zenrun import __version__, capture
from zenrun.blame import describe_fault
from zenrun.capture import section_title, silence_stdout, terminal_stream, unwrap
from zenrun.hookspec import hookimpl
from zenrun.tbstyle import location, relpath

_OUTCOME_CHAR = {"passed": ".", "failed": "F", "error": "E", "skipped": "s", "xfailed": "x", "xpassed": "X"}
_OUTCOME_WORD = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "skipped": "SKIPPED",
    "xfailed": "XFAIL",
    "xpassed": "XPASS",
}


class TerminalWriter:
    def __init__(self, file: TextIO | None = None) -> None:
        self.file = unwrap(file or sys.stdout)
        self.width = max(40, shutil.get_terminal_size((80, 24)).columns)
        self.column = 0
        self.current_line = ""
        self.isatty = hasattr(self.file, "isatty") and self.file.isatty()
        self._status = False
        self.closed = False  # the reader went away: write nothing more, keep running
        self.lock = threading.RLock()  # the progress ticker writes from its own thread

    def _emit(self, text: str) -> None:
        if self.closed:
            return
        try:
            with terminal_stream(self.file) as target:  # never into a step's captured output
                target.write(text)
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

    def write(self, text: str) -> None:
        if not text:
            return
        with self.lock:
            self.clear_status()
            self._emit(text)
            last_newline = text.rfind("\n")
            self.current_line = text[last_newline + 1 :] if last_newline >= 0 else self.current_line + text
            self.column = len(self.current_line)

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

    def line(self, text: str = "") -> None:
        if self.column:
            self.write("\n")
        self.write(text + "\n")

    def sep(self, char: str, title: str = "") -> None:
        if title:
            side = max(1, (self.width - len(title) - 2) // (2 * len(char)))
            text = f"{char * side} {title} {char * side}"
            if len(text) < self.width:
                text += char * (self.width - len(text))
        else:
            text = char * self.width
        self.line(text[: max(self.width, len(title) + 4)])


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

    def __init__(self, config: Any) -> None:
        self.config = config
        # --json: the results are stdout's; the session's report goes to stderr.
        self.tw = TerminalWriter(sys.stderr if config.getoption("json_output", False) else None)
        self.verbosity = config.getoption("verbose") - config.getoption("quiet")
        self.started = time.perf_counter()
        self.current_module: str | None = None
        self._items_in_flight = 0  # > 1 when -n runs items together
        self.done = 0
        self.total = 0
        self.reports: list[Any] = []
        self._item_header: str | None = None  # -v: an item's block starts with its id
        self.deselected = 0
        self.logged_warnings: list[str] = []
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
    @hookimpl
    def zenrun_sessionstart(self, session: Any) -> None:
        if self.verbosity < 0:
            return
        config = self.config
        self.tw.sep("=", "zenrun session starts")

        self.tw.line(
            f"platform {sys.platform} -- Python {platform.python_version()}, "
            f"zenrun-{__version__}, pluggy-{pluggy.__version__}"
        )
        line = f"rootdir: {config.rootpath}"
        if config.inipath:
            line += f", configfile: {config.inipath.name}"
        self.tw.line(line)
        dists = getattr(config.pluginmanager, "plugin_dists", [])
        if dists:  # as pytest: installed plugins and their versions
            self.tw.line(
                "plugins: " + ", ".join(f"{name}-{dist.version if dist else '?'}" for name, dist in dists)
            )
        self.tw.line(
            f"store: {config.store_location}, orchestrator: {config.getoption('orchestrator', None) or 'local'}"
        )
        if config.getoption("no_cache", False):
            self.tw.line("cache: disabled for this run (--no-cache)")
        for lines in config.hook.zenrun_report_header(config=config):
            for text in [lines] if isinstance(lines, str) else lines or []:
                self.tw.line(text)

    @hookimpl
    def zenrun_deselected(self, items: list[Any]) -> None:
        self.deselected += len(items)

    @hookimpl
    def zenrun_collection_finish(self, session: Any) -> None:
        self.total = len(session.items)
        if self.verbosity >= 0:
            errors = len(session.collection_errors)
            text = f"collected {self.total + self.deselected} pipeline{'s' if self.total + self.deselected != 1 else ''}"
            if errors:
                text += f" / {errors} error{'s' if errors != 1 else ''}"
            if self.deselected:
                text += f" / {self.deselected} deselected / {self.total} selected"
            self.tw.line(text)
        if self.config.getoption("collectonly"):
            for item in session.items:
                self.tw.line(item.nodeid)
        if self.config.getoption("showfixtures"):
            self.tw.line()
            for line in session.fixturemanager.show(
                session.collected_modules, self.config.rootpath, verbose=self.verbosity > 0
            ):
                self.tw.line(line)
        elif self.verbosity >= 0:
            self.tw.line()

    @hookimpl
    def zenrun_item_start(self, item: Any) -> None:
        self._items_in_flight += 1
        if self._items_in_flight > 1:  # -n runs items together: their lines interleave
            self._item_header = None
            return
        self._item_header = item.nodeid if self.verbosity > 0 else None
        self._module_header(item.nodeid)

    def _module_header(self, nodeid: str) -> None:
        module = nodeid.split("::")[0]
        if self.verbosity <= 0 and module != self.current_module:
            self._end_progress_line()
            self.current_module = module
            if self.verbosity == 0:
                self.tw.write(f"{module} ")

    @hookimpl
    def zenrun_item_report(self, report: Any) -> None:
        self._item_header = None
        self._items_in_flight = max(0, self._items_in_flight - 1)
        self._module_header(report.nodeid)  # items finishing out of order (-n)
        self.reports.append(report)
        if report.when == "call":  # a teardown error adds an E, not an item
            self.done += 1
        if self.verbosity > 0:
            word = _OUTCOME_WORD[report.outcome]
            if report.outcome == "skipped" and report.longrepr:  # as pytest -v: the reason
                word += f" ({report.longrepr})"
            self.tw.line(f"{report.nodeid} {word}".ljust(self.tw.width - 7) + self._percent())
        elif self.verbosity == 0 or self.verbosity < 0:
            self.tw.write(_OUTCOME_CHAR[report.outcome])

    def _percent(self) -> str:
        return f"[{100 * self.done // max(self.total, 1):3d}%]"

    def _end_progress_line(self) -> None:
        if self.tw.column and self.verbosity == 0 and self.current_module:
            pad = self.tw.width - self.tw.column - 7
            self.tw.write(" " * max(pad, 1) + self._percent() + "\n")

    # -- the write API for plugins (as pytest's TerminalReporter) ----------------------
    def write(self, content: str, **markup: bool) -> None:
        """Write ``content`` as is (``markup`` such as ``bold=True`` is accepted, not shown)."""
        self.tw.write(content)

    def ensure_newline(self) -> None:
        """End the current line if something was written on it."""
        if self.tw.column:
            self.tw.write("\n")

    def write_line(self, line: str, **markup: bool) -> None:
        """Write ``line`` on a line of its own."""
        self.tw.line(line)

    def line(self, msg: str = "", **markup: bool) -> None:
        """Same as :meth:`write_line` (pytest has both)."""
        self.tw.line(msg)

    def write_sep(self, sep: str, title: str | None = None, **markup: bool) -> None:
        """A full-width separator line of ``sep`` characters, with ``title`` centred."""
        self.tw.sep(sep, title or "")

    def section(self, title: str, sep: str = "=", **markup: bool) -> None:
        """Start a summary section: ``==== title ====``."""
        self.tw.sep(sep, title)

    def _internal_error(self, session: Any, exc: BaseException, what: str) -> None:
        self.ensure_newline()
        for line in describe_fault(self.config.pluginmanager, exc, what).rstrip("\n").splitlines():
            self.tw.line(f"INTERNALERROR> {line}")
        session.exitstatus = 3  # ExitCode.INTERNAL_ERROR

    @hookimpl(wrapper=True)
    def zenrun_sessionfinish(self, session: Any, exitstatus: int) -> Any:
        try:  # other plugins' sessionfinish first; the summary is written even if one fails
            yield
        except Exception as exc:
            self._internal_error(session, exc, "running zenrun_sessionfinish")
        self._end_progress_line()
        if self.tw.column:
            self.tw.write("\n")
        if session.collection_errors:
            self.tw.sep("=", "ERRORS")
            for path, message in session.collection_errors:
                self.tw.sep("_", f"ERROR collecting {path}")
                self.tw.line(message.rstrip())
        failed = [r for r in self.reports if r.outcome in ("failed", "error")]
        tbstyle = self.config.getoption("tbstyle", "auto")
        if failed and tbstyle == "line":  # as pytest --tb=line: one line per failure
            self.tw.sep("=", "FAILURES")
            for report in failed:
                self.tw.line(_line_of(report))
        elif failed and tbstyle != "no":
            self.tw.sep("=", "FAILURES")
            for report in failed:
                title = (
                    report.nodeid if report.when == "call" else f"ERROR at {report.when} of {report.nodeid}"
                )  # as pytest
                self.tw.sep("_", title)
                self.tw.line(report.longrepr.rstrip())
        session.warnings.extend(self.logged_warnings)
        if session.warnings and self.verbosity >= -1:  # as pytest: -q keeps it, -qq hides it
            self.tw.sep("=", "warnings summary")
            for warning in session.warnings:
                self.tw.line(warning)
        try:
            self.config.hook.zenrun_terminal_summary(
                terminalreporter=self, exitstatus=exitstatus, config=self.config
            )
        except Exception as exc:  # the closing line still follows
            self._internal_error(session, exc, "running zenrun_terminal_summary")
        chars = report_chars(self.config)
        if "P" in chars and tbstyle != "no":
            self._summary_passes()
        summary = self._short_summary(chars)
        if summary:  # at every verbosity, as pytest's short test summary
            self.tw.sep("=", "short pipeline summary info")
            for line in summary:
                self.tw.line(line)
        if session.shouldstop and session.shouldstop != "KeyboardInterrupt":
            self.tw.sep("!", session.shouldstop)
        if session.shouldstop == "KeyboardInterrupt":
            self.tw.sep("!", "KeyboardInterrupt")
        # As pytest: the closing line between separators; with -q a plain line; -qq none.
        if self.verbosity >= 0:
            self.tw.sep("=", self.closing_line(session))
        elif self.verbosity == -1:
            self.tw.line(self.closing_line(session))
        return None

    def _short_summary(self, chars: str) -> list[str]:
        """The short summary's lines, as pytest's: grouped in the order of ``-r`` characters."""
        lines: list[str] = []
        for char in chars:
            outcome = {"f": "failed", "E": "error", "p": "passed", "x": "xfailed", "X": "xpassed"}.get(char)
            if char == "s":
                lines += self._folded_skips()
            for report in self.reports if outcome else ():
                if report.outcome != outcome:
                    continue
                text = (
                    report.summary
                    if outcome in ("failed", "error")
                    else ""
                    if outcome == "passed"
                    else (report.longrepr.strip().splitlines() or [""])[0]
                )
                lines.append(
                    f"{_OUTCOME_WORD[report.outcome]} {report.nodeid}" + (f" - {text}" if text else "")
                )
        return lines

    def _folded_skips(self) -> list[str]:
        """``SKIPPED [N] path:lineno: reason``: skips of one place and reason folded, as pytest."""
        folded: dict[tuple[str, int | None, str], int] = {}
        for report in self.reports:
            if report.outcome == "skipped":
                reason = report.longrepr.strip() or "skipped"
                reason = reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason
                key = (*_skip_location(report), reason)
                folded[key] = folded.get(key, 0) + 1
        return [
            f"SKIPPED [{count}] {path}{'' if lineno is None else f':{lineno}'}: {reason}"
            for (path, lineno, reason), count in folded.items()
        ]

    def _summary_passes(self) -> None:
        """``-rP``: the captured output of passed pipelines, as pytest's PASSES section."""
        passes = []
        for report in self.reports:
            if report.outcome != "passed":
                continue
            sections = [(title, text) for title, text in report.sections if text.strip()]
            for step in report.run.steps.values() if report.run is not None else ():
                sections += [
                    (section_title(stream, step.id), text)
                    for stream, text in step.captured.items()
                    if text.strip()
                ]
            if sections:
                passes.append((report.nodeid, sections))
        if passes:
            self.tw.sep("=", "PASSES")
        for nodeid, sections in passes:
            self.tw.sep("_", nodeid)
            for title, text in sections:
                self.tw.line(title)
                self.tw.line(text.rstrip())

    def closing_line(self, session: Any) -> str:
        counts: dict[str, int] = {}
        for report in self.reports:
            counts[report.outcome] = counts.get(report.outcome, 0) + 1
        parts = []
        for outcome in ("failed", "passed", "skipped", "xfailed", "xpassed"):
            if counts.get(outcome):
                parts.append(f"{counts[outcome]} {outcome}")
        if self.deselected:
            parts.append(f"{self.deselected} deselected")
        errors = counts.get("error", 0) + len(session.collection_errors)
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        if session.warnings:
            parts.append(f"{len(session.warnings)} warning{'s' if len(session.warnings) != 1 else ''}")
        elapsed = format_session_duration(time.perf_counter() - self.started)
        if self.config.getoption("collectonly") and not session.collection_errors:
            return f"{len(session.items)} pipeline{'s' if len(session.items) != 1 else ''} collected in {elapsed}"
        if session.collection_errors:
            return f"Interrupted: {', '.join(parts)} during collection in {elapsed}"
        return f"{', '.join(parts) or 'no pipelines ran'} in {elapsed}"


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


def _line_of(report: Any) -> str:
    """``--tb=line``: ``path:lineno: exception`` of the failing step (as pytest), else the summary."""
    for step in report.run.steps.values() if report.run is not None else ():
        where = location(step.error) if step.status == "failed" and step.error else None
        if where:
            return f"{where}: {step.error.strip().splitlines()[-1]}"
    return f"{report.nodeid}: {report.summary}"


def _skip_location(report: Any) -> tuple[str, int | None]:
    path, lineno = report.location or (report.nodeid.split("::")[0], None)
    return relpath(path), lineno


@hookimpl
def zenrun_addoption(parser: Any) -> None:
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
        dest="reportchars",
        default="fE",
        metavar="CHARS",
        help="outcomes in the short summary: f failed, E error, s skipped, x xfailed, "
        "X xpassed, p passed, P passed with output, a all but passed, A all, N none "
        "(default fE)",
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    if config.stash.get("api"):
        return
    reporter = TerminalReporter(config)
    config.pluginmanager.register(reporter, "terminalreporter")
    config.add_cleanup(reporter.close)

    capture.before_passthrough = reporter.tw.clear_status  # -s: a step's print keeps its line
    config.add_cleanup(lambda: setattr(capture, "before_passthrough", None))
