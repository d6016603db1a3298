"""What an item's outcome is, as the reporters see it: :class:`ItemReport` and the outcome words.

A leaf below collection and the session, so that both make reports (collection makes
the report of a module skipped while it is imported).
"""

from __future__ import annotations

import linecache
import time
import traceback
from collections.abc import Container
from dataclasses import field
from typing import Any

from zenrun.blame import ZENRUN_DIR, hidden_frame
from zenrun.capture import step_section_title
from zenrun.deferred import dataclass
from zenrun.metadata.records import FAILED, PRUNED, PipelineRun
from zenrun.tbstyle import exception_only, format_traceback, short_assertion

PASSED, FAILED_OUTCOME, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
XFAILED, XPASSED = "xfailed", "xpassed"
PRUNED_OUTCOME = PRUNED  # a trial its study's pruner stopped: counted apart, not a failure


@dataclass
class ItemReport:
    """The outcome of one item: passed, failed (a step failed), error (before running), skipped,
    xfailed or xpassed."""

    nodeid: str
    outcome: str
    #: Seconds from the item's start (its setup) to its end (its teardown done), measured in
    #: the driver (with ``-n``, waiting for a worker included).
    duration: float = 0.0
    run: PipelineRun | None = None
    longrepr: str = ""
    keywords: dict[str, Any] = field(default_factory=dict)
    #: The item's ``user_properties`` as it ended, as in pytest's report.
    user_properties: list[tuple[str, object]] = field(default_factory=list)
    internal: bool = False  # a plugin (or zenrun) failed, not the pipeline: exit 3
    sections: list[tuple[str, str]] = field(default_factory=list)  # captured fixture output
    #: Which report of the item, as pytest's: "setup" when setting it up skipped or failed it
    #: (a mark, a fixture), "call" otherwise; "teardown" for an error tearing down its
    #: fixtures, reported after it; "collect" for a module skipped as it was collected.
    when: str = "call"
    #: Where a skip came from (``-rs`` folds by it); with ``--tb=line``, where a failure of
    #: the pipeline body was raised.
    location: tuple[str, int | None] | None = None
    phase: str = "call"  # where the outcome was decided: "setup" (marks, fixtures), "call", "teardown"
    #: ``Type: message`` of the exception that made the outcome, when one did: the short
    #: summary's text whatever the ``--tb`` style (as pytest's crash message).
    crash: str | None = None
    #: The whole message of that exception (an ``assert``'s explanation after its message),
    #: as pytest's ``<failure message>`` and ``-vv`` short summary give it.
    crash_whole: str | None = None
    #: ``--pdb``'s debugger showed this failure (its traceback and output) as it happened.
    pdbshown: bool = False
    #: The failure an xfail mark covered when the pipeline's body or a fixture raised it
    #: (``longrepr`` is then the mark's reason, for the short summary): what ``--xfail-tb``'s
    #: XFAILURES section shows, as a failed step's traceback is shown from :attr:`run`.
    xfail_longrepr: str = ""
    #: When the item started and ended (``time.time()``, seconds since the epoch), as
    #: pytest's report's ``start`` / ``stop``: ``stop - start`` is about ``duration``. A
    #: report of no item's run (a collection error, a teardown error) starts and stops
    #: when it is made.
    start: float = field(default_factory=time.time)
    stop: float = field(default_factory=time.time)

    @property
    def crash_text(self) -> str:
        """:attr:`summary` with a failed step's whole message (an ``assert``'s ``+  where``
        lines too): what the short summary shows with ``-vv`` or on CI, as pytest's."""
        if self.run is not None:
            for step in self.run.steps.values():
                if step.status == FAILED and step.error:
                    return f"step {step.id!r}: {exception_message(step.error)}"
        return self.crash_whole or self.summary

    @property
    def summary(self) -> str:
        """One line for the short summary: the failed step and its error, or the error."""
        if self.run is not None:
            for step in self.run.steps.values():
                if step.status == FAILED and step.error:
                    return f"step {step.id!r}: {exception_line(step.error)}"
        if self.crash is not None:
            return self.crash
        lines = text_before_output(self).strip().splitlines()
        marked = [line[1:].strip() for line in lines if line.startswith("E ")]  # pytest's "E   error"
        if marked:
            return marked[0]
        if len(lines) > 1:  # the first line names pipeline and step, the last one what is wrong
            return f"{lines[0].rstrip(':')}: {lines[-1].strip()}"
        return lines[0] if lines else ""

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    # pytest's report properties, for plugins written against pytest's TestReport.

    @property
    def failed(self) -> bool:
        """A step failed, or setting up / tearing down failed (pytest's failed report)."""
        return self.outcome in (FAILED_OUTCOME, ERROR)

    @property
    def skipped(self) -> bool:
        """Skipped, or xfailed (pytest reports an xfail as skipped, with ``wasxfail``)."""
        return self.outcome in (SKIPPED, XFAILED)

    @property
    def wasxfail(self) -> str:
        """The reason of an xfailed or xpassed item's xfail (``[NOTRUN] ...`` when it did not
        run), as pytest's ``wasxfail``; absent otherwise, as there:
        ``hasattr(report, "wasxfail")`` tells an expected failure."""
        if self.outcome in (XFAILED, XPASSED):
            return self.longrepr
        raise AttributeError(f"{type(self).__name__!r} object has no attribute 'wasxfail'")

    @property
    def longreprtext(self) -> str:
        """The failure or skip text as the report shows it (pytest's ``longreprtext``)."""
        return self.longrepr

    @property
    def head_line(self) -> str:
        """The item's name without its module path, as a failure's section title gives it
        (``pipeline_x.py::train[a]`` -> ``train[a]``; pytest's ``head_line``)."""
        return self.nodeid.split("::", 1)[1] if "::" in self.nodeid else self.nodeid

    def _captured(self, stream: str) -> str:
        """What the fixtures and the steps printed to ``stream`` ("stdout", "stderr", "log"):
        setting up, then the steps, then tearing down (pytest's setup, call, teardown)."""
        fixtures = [(title, text) for title, text in self.sections if f"Captured {stream} " in title]
        late = [text for title, text in fixtures if f"Captured {stream} teardown " in title]
        parts = [text for title, text in fixtures if f"Captured {stream} teardown " not in title]
        for step in self.run.steps.values() if self.run is not None else ():
            if step.captured.get(stream):
                parts.append(step.captured[stream])
        return "".join(parts + late)

    @property
    def capstdout(self) -> str:
        """What was captured on stdout (pytest's ``capstdout``)."""
        return self._captured("stdout")

    @property
    def capstderr(self) -> str:
        """What was captured on stderr (pytest's ``capstderr``)."""
        return self._captured("stderr")

    @property
    def caplog(self) -> str:
        """The captured log lines (pytest's ``caplog``)."""
        return self._captured("log")


def raised_at(exc: BaseException) -> tuple[str, int | None] | None:
    """The user's line that raised ``exc`` (zenrun's own frames and hidden helpers'
    left out: ``pytest.skip()`` is at its caller's line)."""
    found = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if not frame.f_code.co_filename.startswith(ZENRUN_DIR) and not hidden_frame(frame):
            found = (frame.f_code.co_filename, lineno)
    return found


def format_warning(w: Any) -> str:
    """A warning for the summary: ``path:line: Category: message`` and its source line."""
    text = f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n"  # as pytest: the path as given
    source = linecache.getline(str(w.filename), w.lineno).strip()
    if source:
        text += f"  {source}\n"
    if getattr(w, "source", None) is not None:  # a ResourceWarning's object, as pytest's
        import tracemalloc

        tb = tracemalloc.get_object_traceback(w.source)
        if tb is not None:
            text += "\nObject allocated at:\n" + "\n".join(tb.format()) + "\n"
        else:
            text += "Enable tracemalloc to get traceback where the object was allocated.\n"
            text += "See https://docs.python.org/3/library/tracemalloc.html for more info.\n"
    # As pytest: each line indented, a message's own lines (a traceback) too.
    return "\n".join("  " + line for line in text.splitlines()) + "\n"


def failure_text(
    run: PipelineRun,
    style: str = "native",
    shown: set[str] | None = None,
    setup_sections: list[tuple[str, str]] | None = None,
) -> str:
    """The failure report of ``run``: its failed steps' tracebacks in ``--tb`` style ``style``
    and what was printed (the streams in ``shown``; default all): while the fixtures were
    set up (``setup_sections``), then by the failed steps, in that order (as pytest's setup
    and call sections)."""
    parts = []
    captured = [f"{title}\n{text.rstrip()}" for title, text in setup_sections or []]
    for step in run.steps.values():
        if step.status == FAILED and step.error:
            parts.append(f"step {step.id!r} failed:\n{format_traceback(step.error, style).rstrip()}")
            for stream, text in step.captured.items():
                if shown is None or stream in shown:
                    captured.append(f"{step_section_title(stream, step.id)}\n{text.rstrip()}")
    parts += captured
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


def crash_message(exc: BaseException) -> str:
    """``Type: first line of the message`` of ``exc``, as :func:`exception_line` reads it
    from a traceback's text."""
    only = "".join(exception_only(exc))  # a SyntaxError's lines too
    return exception_line(f"Traceback (most recent call last):\n{only}")


def whole_crash_message(exc: BaseException) -> str:
    """``Type: message`` of ``exc`` with every line of its message, a failed ``assert``
    written as pytest writes it (``assert 1 == 2``, without its type)."""
    return short_assertion("".join(exception_only(exc)).strip())


def exception_message(error: str) -> str:
    """:func:`exception_line` and the lines of the message after it (a message of several
    lines whole)."""
    first = exception_line(error)
    lines = error.strip().splitlines()
    index = max((i for i, line in enumerate(lines) if line == first), default=len(lines) - 1)
    return "\n".join([first, *lines[index + 1 :]])


def error_phase(report: ItemReport) -> str:
    """Where an ``error`` report's error happened, as its title and JUnit XML say it:
    ``teardown``, ``call`` (a plugin's fault while the pipeline ran) or ``setup``."""
    if report.phase == "teardown":
        return "teardown"
    return "call" if report.phase == "call" and report.internal else "setup"


def step_sections(
    run: PipelineRun | None, *, failed_only: bool = False, streams: Container[str] | None = None
) -> list[tuple[str, str]]:
    """What ``run``'s steps printed, as report sections ``(title, text)``: each step's
    non-blank streams (those in ``streams`` when given), of its failed steps only with
    ``failed_only``."""
    if run is None:
        return []
    return [
        (step_section_title(stream, step.id), text)
        for step in run.steps.values()
        if not failed_only or step.status == FAILED
        for stream, text in step.captured.items()
        if text.strip() and (streams is None or stream in streams)
    ]


def text_before_output(report: ItemReport) -> str:
    """``report.longrepr`` without the captured output appended to it (its sections, each
    under its title): the failure's own text."""
    text = report.longrepr
    for title, _ in report.sections:
        text = text.split(f"\n{title}\n", 1)[0]
    return text


def exception_line(error: str) -> str:
    """The ``Type: first line of the message`` of a traceback's text (its last exception, as
    pytest's crash message); a text that is no traceback: its last line."""
    lines = error.strip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if not starts:
        return lines[-1] if lines else ""
    for line in lines[starts[-1] + 1 :]:
        if line and not line.startswith(" "):  # past the frames (indented): the exception
            return line
    return lines[-1]
