"""``--durations``: the slowest steps of the session, as pytest's slowest tests.

A built-in plugin of its own: ``-p no:results`` leaves out the results table, not this.
"""

from __future__ import annotations

from typing import Any

from zenrun.config.argparsing import non_negative_int
from zenrun.hookspec import hookimpl
from zenrun.metadata.records import COMPLETED, FAILED, PipelineRun

DURATIONS_MIN = 0.005  # seconds, as pytest's --durations-min


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    reporting = parser.getgroup("reporting")
    reporting.addoption(
        "--durations",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="show the N slowest steps (N=0 for all)",
    )
    reporting.addoption(
        "--durations-min",
        dest="durations_min",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"shortest step duration --durations shows (default {DURATIONS_MIN}, or 0 with -vv)",
    )


@hookimpl(trylast=True)  # after the results table
def zenrun_terminal_summary(terminalreporter: Any, config: Any) -> None:
    durations = config.getoption("durations", None)
    runs = [r.run for r in getattr(terminalreporter, "reports", []) if r.run is not None]
    if durations is None or not runs:
        return
    verbosity = getattr(terminalreporter, "verbosity", 0)
    for line in durations_lines(runs, durations, config.getoption("durations_min", None), verbosity):
        if line.startswith("="):
            terminalreporter.tw.sep("=", line.strip("= "))
        else:
            terminalreporter.tw.line(line)


def durations_lines(runs: list[PipelineRun], count: int, minimum: float | None, verbosity: int) -> list[str]:
    """pytest's ``--durations``: the slowest executed steps, slowest first; those shorter
    than ``minimum`` (``--durations-min``; by default 0.005s, none with ``-vv``) hidden."""
    timed = [
        (s.duration, f"{r.item_id or r.pipeline_name}::{s.id}", s.status)
        for r in runs
        for s in r.steps.values()
        if s.duration is not None and s.status in (COMPLETED, FAILED)
    ]
    timed.sort(key=lambda t: t[0], reverse=True)
    title = "slowest durations" if count == 0 else f"slowest {count} durations"
    lines = [f"= {title} ="]
    shown = timed if count == 0 else timed[:count]
    shortest = minimum if minimum is not None else DURATIONS_MIN if verbosity < 2 else 0.0
    hidden = 0
    for duration, name, status in shown:
        if duration < shortest:
            hidden += 1
            continue
        lines.append(f"{duration:.2f}s {status:<9} {name}")
    if hidden:
        # as pytest: -vv shows them only when no --durations-min was given
        hint = "  Use -vv to show these durations." if minimum is None else ""
        lines.append(f"\n({hidden} durations < {shortest:g}s hidden.{hint})")
    return lines
