"""The live view of a running session: which steps run and for how long.

On a terminal the current item's running steps and elapsed time are shown
after the progress line and updated in place (four times a second at most).
Without a terminal (a CI log), a line says when a step has run longer than
``--slow-after`` seconds, and again every minute after. ``--log-cli-level``
streams log records live, under a header per phase (as pytest's).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from zenrun import timing as time  # the clock as imported: a monkeypatched time.time is not ours
from zenrun.capture import keeps_descriptors_parked
from zenrun.hookspec import hookimpl
from zenrun.logformat import LogFormatter, log_level_option, session_formatter
from zenrun.stepcontext import item_phase
from zenrun.threads import background_thread

TICK = 0.25  # seconds between updates of the progress line
REPEAT = 60.0  # seconds between two "still running" lines of one step
SLOW_AFTER = 30.0


def fmt_elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class Progress:
    """Tracks the running steps of the runs in progress; a ticker thread shows them.

    Several runs are in progress at once when the orchestrator schedules the
    steps of all items together (``-n``): the line sums their steps and names
    each running step's item.
    """

    def __init__(self, reporter: Any, slow_after: float) -> None:
        self.reporter = reporter
        self.tw = reporter.tw
        self.slow_after = slow_after
        self.runs: dict[str, list[Any]] = {}  # run name -> [item label, started, done, total]
        self.running: dict[tuple[str, str], float] = {}  # (run, step id) -> start (monotonic)
        self.reported: dict[tuple[str, str], float] = {}  # -> when its last slow line was written
        self.last_step = ""
        self.drawn = 0.0  # when the line was last drawn (monotonic)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        # The line updated in place needs a terminal and the plain (not -v, not -q) output.
        self.in_place = self.tw.isatty and reporter.verbosity == 0
        self.thread = background_thread(self._tick, name="zenrun-progress")
        self.wanted = False

    def start(self) -> None:
        """Show the running steps from the first run on (before it, the driver runs no other
        thread: ``-n`` may fork its worker's parent then)."""
        self.wanted = self.reporter.verbosity >= 0

    def start_thread(self) -> None:
        """Start the thread that shows the running steps, unless it runs or is not wanted:
        as the first run starts, or earlier, as the session opens its stores for runs in
        this process (which start the thread committing records there too). Started in the
        first run instead, the new thread took 0.5 ms of a 100-step run: its start, and the
        GIL it takes and gives back meanwhile."""
        if self.wanted and not self.thread.is_alive() and not self.stop.is_set():
            self.wanted = False
            self.thread.start()

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    # -- hooks ------------------------------------------------------------------------------
    @hookimpl
    def zenrun_pipeline_run_start(self, run: Any) -> None:
        self.start_thread()
        label = run.item_id.split("::", 1)[-1] if run.item_id else run.pipeline_name
        with self.lock:
            self.runs[run.name] = [label, time.monotonic(), 0, len(run.graph)]

    @hookimpl
    def zenrun_pipeline_run_finish(self, run: Any) -> None:
        with self.lock:
            self.runs.pop(run.name, None)
            for key in [k for k in self.running if k[0] == run.name]:
                self.running.pop(key, None)
                self.reported.pop(key, None)

    # Between two steps: no process started, and the line shown goes through the terminal
    # writer, to the terminal's own descriptors: the steps' spools may stay parked.
    @hookimpl
    @keeps_descriptors_parked
    def zenrun_step_start(self, step_run: Any) -> None:
        with self.lock:
            self.running[(step_run.run_name, step_run.id)] = time.monotonic()

    @hookimpl
    @keeps_descriptors_parked
    def zenrun_step_finish(self, step_run: Any) -> None:
        key = (step_run.run_name, step_run.id)
        last = False
        with self.lock:
            self.running.pop(key, None)
            self.reported.pop(key, None)
            counts = self.runs.get(step_run.run_name)
            if counts is not None:
                counts[2] += 1
                last = counts[2] >= counts[3]
            self.last_step = step_run.id
        if self.in_place:
            now = time.monotonic()
            # A chain of fast steps: not a write to the terminal each; its last count shows.
            if last or now - self.drawn >= TICK:
                self.show(now)

    @hookimpl
    def zenrun_sessionfinish(self) -> None:
        self.close()

    # -- output -----------------------------------------------------------------------------
    def status_text(self, now: float) -> str:
        """`` [3/9] train_2, train_3 4.2s``: steps done/total, the running ones, time so far."""
        with self.lock:
            if not self.runs:
                return ""
            done = sum(r[2] for r in self.runs.values())
            total = sum(r[3] for r in self.runs.values())
            elapsed = now - min(r[1] for r in self.runs.values())
            several = len(self.runs) > 1  # -n: whose step is it? (grid[1]:train, grid[2]:train)
            running = [
                f"{self.runs[run][0]}:{step}" if several and run in self.runs else step
                for (run, step), _ in sorted(self.running.items(), key=lambda kv: kv[1])
            ]
            names = ", ".join(running[:2]) + (f" +{len(running) - 2}" if len(running) > 2 else "")
            return f" [{done}/{total}] {names or self.last_step} {fmt_elapsed(elapsed)}"

    def show(self, now: float | None = None) -> None:
        """Draw the line in place: on each tick, and as a step ends unless it was drawn less
        than a tick ago (four times a second at most) and the run has steps left."""
        if self.in_place:
            now = time.monotonic() if now is None else now
            text = self.status_text(now)
            if text:
                self.tw.status(text)
                self.drawn = now

    def slow_lines(self, now: float) -> list[str]:
        """A line for each step past the threshold, once, then every :data:`REPEAT` seconds."""
        lines = []
        with self.lock:
            for (run_name, step_id), started in self.running.items():
                elapsed = now - started
                last = self.reported.get((run_name, step_id))
                if elapsed >= self.slow_after and (last is None or now - last >= REPEAT):
                    self.reported[(run_name, step_id)] = now
                    label = self.runs[run_name][0] if run_name in self.runs else run_name
                    lines.append(f"    still running: {label} step {step_id} ({fmt_elapsed(elapsed)})")
        return lines

    def _tick(self) -> None:
        while not self.stop.wait(TICK):
            if self.tw.closed:
                return
            if self.in_place:
                self.show()
            else:
                for line in self.slow_lines(time.monotonic()):
                    self.tw.interject(line)


class LiveLogHandler(logging.Handler):
    """``--log-cli-level``: records written as they are logged, under a ``live log <phase>``
    header per phase of the session and of each pipeline (as pytest's): sessionstart,
    collection, start, setup (fixtures), call (its steps), teardown, finish, sessionfinish."""

    def __init__(self, reporter: Any, level: int, formatter: logging.Formatter | None = None) -> None:
        super().__init__(level)
        self.reporter = reporter
        self.phase: str | None = None
        self.setFormatter(formatter or LogFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            write = getattr(self.reporter, "write_live_log", None)
            if write is not None:
                write(text, item_phase.get() or self.phase)
            else:  # a reporter of a plugin's
                self.reporter.tw.interject(text)
        except Exception:
            self.handleError(record)

    @hookimpl(hookwrapper=True, tryfirst=True)
    def zenrun_sessionstart(self) -> Any:
        self.phase = "sessionstart"
        yield
        self.phase = "collection"

    @hookimpl(tryfirst=True)
    def zenrun_item_start(self) -> None:
        self.phase = "start"

    @hookimpl(tryfirst=True)
    def zenrun_runtest_setup(self) -> None:
        self.phase = "setup"

    @hookimpl(tryfirst=True)
    def zenrun_pipeline_run_start(self) -> None:
        self.phase = "call"

    @hookimpl(trylast=True)
    def zenrun_pipeline_run_finish(self) -> None:
        self.phase = "teardown"

    @hookimpl(tryfirst=True)  # what other implementations log is the item's finish
    def zenrun_item_report(self) -> None:
        self.phase = "finish"

    @hookimpl(tryfirst=True)
    def zenrun_sessionfinish(self) -> None:
        self.phase = "sessionfinish"


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("reporting").addoption(
        "--slow-after",
        dest="slow_after",
        type=float,
        default=SLOW_AFTER,
        metavar="SECONDS",
        help=f"without a terminal, report a step still running after SECONDS (default "
        f"{SLOW_AFTER:g}), then every minute",
    )


@hookimpl(trylast=True)
def zenrun_configure(config: Any) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    if reporter.verbosity >= 0:  # -q shows neither the line nor the slow steps: no hook per step
        progress = Progress(reporter, config.getoption("slow_after", SLOW_AFTER))
        config.pluginmanager.register(progress, "progress-view")
        progress.start()
        config.add_cleanup(progress.close)
    if "log_cli" not in config.parser.inis:  # -p no:capture: no logging options, no live logs
        return
    # As pytest: live logs with --log-cli-level, or log_cli = true in [tool.zenrun] (at its
    # log_cli_level, else log_level).
    if config.getoption("log_cli_level", None) is not None or config.getini("log_cli"):
        level = log_level_option(config, "log_cli_level", "log_level")
        handler = LiveLogHandler(reporter, level or 0, session_formatter(config, "cli", reporter.tw))
        root = logging.getLogger()
        root.addHandler(handler)
        config.add_cleanup(lambda: root.removeHandler(handler))
        config.pluginmanager.register(handler, "live-log")
        # A line per pipeline where pipelines run one at a time (-n runs them together).
        parallel = config.getoption("numprocesses", None) not in (None, 0, "0")
        if hasattr(reporter, "live_log"):
            reporter.live_log = not parallel and config.getoption("orchestrator", None) in (None, "local")
