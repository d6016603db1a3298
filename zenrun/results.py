"""What ran and what it found: the results table, ``--runs``, ``--show`` and ``--durations``.

A built-in plugin. At the end of a session it prints one row per item
(parameters, metrics, duration, cache counts); ``--runs`` and ``--show``
read the metadata store through queries that load only what they print.
"""

from __future__ import annotations

import datetime
import json
import shutil
import sys
from collections.abc import Iterable
from typing import Any

from zenrun.capture import section_title
from zenrun.config import ExitCode, UsageError
from zenrun.hookspec import hookimpl
from zenrun.metadata.records import CACHED, COMPLETED, FAILED, PipelineRun, StepRun

MAX_CELL = 32  # characters of one table cell
DURATIONS_MIN = 0.005  # seconds, as pytest's --durations-min


def _non_negative(value: str) -> int:
    import argparse

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number, not {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expects a number >= 0 (0 for all), not {number}")
    return number


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    reporting = parser.getgroup("reporting")
    reporting.addoption(
        "--sort-by",
        dest="sort_by",
        default=None,
        metavar="METRIC[:min]",
        help="sort the results table by METRIC, best first (highest, or lowest "
        "with ':min'), and mark the best row",
    )
    reporting.addoption(
        "--durations", type=int, default=None, metavar="N", help="show the N slowest steps (N=0 for all)"
    )
    reporting.addoption(
        "--durations-min",
        dest="durations_min",
        type=float,
        default=DURATIONS_MIN,
        metavar="SECONDS",
        help=f"shortest step duration --durations shows (default {DURATIONS_MIN})",
    )
    store = parser.getgroup("store")
    store.addoption(
        "--runs",
        action="store_true",
        default=False,
        help="list recorded runs, newest first (-k filters on item ids and pipeline names), and exit",
    )
    store.addoption(
        "--last",
        type=_non_negative,
        default=None,
        metavar="N",
        help="--runs lists the newest N runs (default: a screenful; 0 for all)",
    )
    store.addoption(
        "--show",
        default=None,
        metavar="RUN",
        help="show one run's steps, config, metrics and outputs and exit; RUN is a "
        "run name, a unique prefix, an item id (its newest run) or 'latest'",
    )


# -- formatting ----------------------------------------------------------------------


def fmt_value(value: Any, limit: int = MAX_CELL) -> str:
    """A metric or parameter as a short cell: 4 significant digits for floats."""
    if value is None:
        text = "None"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (bool, int, str)):
        text = str(value)
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{seconds:.2f}s"


def fmt_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def fmt_pairs(values: dict[str, Any], limit: int = MAX_CELL) -> str:
    return ", ".join(f"{k}={fmt_value(v, limit)}" for k, v in values.items())


def run_label(run: PipelineRun) -> str:
    """The item id without its file (``hpo[iris]``), or the pipeline name for API runs."""
    return run.short_item_id or run.pipeline_name


def format_table(rows: list[list[str]], headers: list[str]) -> list[str]:
    """A plain table as tabulate's "simple" format, with cells kept as given (no number parsing,
    leading spaces kept)."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines


def fit_table(
    rows: list[list[str]], headers: list[str], width: int, droppable: list[int]
) -> tuple[list[str], list[str]]:
    """A table no wider than ``width``: columns in ``droppable`` go, last first."""
    keep = list(range(len(headers)))
    dropped: list[str] = []
    while True:
        lines = format_table([[r[i] for i in keep] for r in rows], [headers[i] for i in keep])
        if max(len(line) for line in lines) <= width:
            return lines, dropped
        candidates = [i for i in reversed(droppable) if i in keep]
        if not candidates:
            return lines, dropped
        keep.remove(candidates[0])
        dropped = [h for i, h in enumerate(headers) if i not in keep]


def parse_sort_by(text: str) -> tuple[str, bool]:
    """``accuracy`` (highest best) or ``loss:min`` (lowest best) -> (metric, lowest_is_best)."""
    name, _, direction = text.partition(":")
    if direction not in ("", "min", "max") or not name:
        raise UsageError(f"--sort-by {text!r}: expected METRIC, METRIC:max or METRIC:min")
    return name, direction == "min"


def sort_runs(runs: list[PipelineRun], sort_by: str) -> tuple[list[PipelineRun], PipelineRun | None]:
    """``runs`` best first by a metric; runs without a numeric value of it go last."""
    metric, lowest = parse_sort_by(sort_by)

    def number(run: PipelineRun) -> float | None:
        value = run.metrics.get(metric)
        return float(value) if isinstance(value, (int, float)) and value == value else None

    scored = [r for r in runs if number(r) is not None]
    scored.sort(key=lambda r: number(r), reverse=not lowest)  # type: ignore[arg-type,return-value]
    rest = [r for r in runs if number(r) is None]
    return scored + rest, scored[0] if scored else None


# -- the results table ------------------------------------------------------------------


def results_lines(runs: list[PipelineRun], width: int, sort_by: str | None = None) -> list[str]:
    """One table per pipeline, one row per item: its parameters, metrics, status when not
    all passed, duration and cached/steps."""
    by_pipeline: dict[str, list[PipelineRun]] = {}
    for run in runs:
        by_pipeline.setdefault(run.pipeline_name, []).append(run)
    lines: list[str] = []
    singles = [r for group in by_pipeline.values() if len(group) == 1 for r in group]
    if singles:  # pipelines with one item share one table, their metrics as name=value
        lines.extend(_singles_table(singles, width))
    for pipeline, pipeline_runs in by_pipeline.items():
        if len(pipeline_runs) == 1:
            continue
        if lines:
            lines.append("")
        lines.extend(_pipeline_table(pipeline, pipeline_runs, width, sort_by))
    if sort_by:
        metric = parse_sort_by(sort_by)[0]
        if not any(metric in r.metrics for r in runs):
            known = ", ".join(_union(r.metrics for r in runs)) or "none"
            lines.append(f"(--sort-by: no run logged {metric!r}; metrics: {known})")
    return lines


def _singles_table(runs: list[PipelineRun], width: int) -> list[str]:
    show_status = any(r.status != COMPLETED for r in runs)
    headers = ["pipeline", *(["status"] if show_status else []), "duration", "cached", "metrics"]
    rows = [
        [
            run_label(r),
            *([r.status] if show_status else []),
            fmt_duration(r.duration),
            _cached_of(r),
            fmt_pairs(r.metrics, 16),
        ]
        for r in runs
    ]
    room = max(10, width - max(len(line) for line in format_table([r[:-1] for r in rows], headers[:-1])) - 2)
    for row in rows:
        if len(row[-1]) > room:
            row[-1] = row[-1][: room - 3] + "..."
    return format_table(rows, headers)


def _cached_of(run: PipelineRun) -> str:
    steps = run.n_steps if run.n_steps is not None else len(run.steps)
    cached = (
        run.n_cached if run.n_cached is not None else sum(1 for s in run.steps.values() if s.status == CACHED)
    )
    return f"{cached}/{steps}"


def _pipeline_table(pipeline: str, runs: list[PipelineRun], width: int, sort_by: str | None) -> list[str]:
    best = None
    sort_metric = parse_sort_by(sort_by)[0] if sort_by else None
    if sort_by:
        runs, best = sort_runs(runs, sort_by)
    param_names = _union(r.params for r in runs)
    metric_names = _union(r.metrics for r in runs)
    show_status = any(r.status != COMPLETED for r in runs)
    headers = [
        pipeline,
        *param_names,
        *metric_names,
        *(["status"] if show_status else []),
        "duration",
        "cached",
    ]
    rows = []
    for run in runs:
        label = run_label(run)
        if best is not None:
            label = ("* " if run is best else "  ") + label
        rows.append(
            [
                label,
                *(fmt_value(run.params[p]) if p in run.params else "-" for p in param_names),
                *(fmt_value(run.metrics[m]) if m in run.metrics else "-" for m in metric_names),
                *([run.status] if show_status else []),
                fmt_duration(run.duration),
                _cached_of(run),
            ]
        )
    # Too wide: parameters go first (the item id shows them), then metrics from the last.
    params = list(range(1, 1 + len(param_names)))
    metrics = [
        i
        for i in range(1 + len(param_names), 1 + len(param_names) + len(metric_names))
        if headers[i] != sort_metric
    ]
    lines, dropped = fit_table(rows, headers, width, [*metrics, *params])
    if dropped:
        lines.append(
            f"({len(dropped)} column{'s' if len(dropped) != 1 else ''} not shown: "
            f"{', '.join(dropped)}; see zenrun --show ITEM)"
        )
    return lines


def _union(dicts: Iterable[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for d in dicts:
        names.update(dict.fromkeys(d))
    return list(names)


@hookimpl
def zenrun_configure(config: Any) -> None:
    sort_by = config.getoption("sort_by", None)
    if sort_by:
        parse_sort_by(sort_by)  # a usage error before anything runs


@hookimpl
def zenrun_terminal_summary(terminalreporter: Any, config: Any) -> None:
    reporter = terminalreporter
    runs = [r.run for r in getattr(reporter, "reports", []) if r.run is not None]
    verbosity = getattr(reporter, "verbosity", 0)
    if runs and verbosity >= -1:
        reporter.tw.sep("=", "results")
        for line in results_lines(runs, reporter.tw.width, config.getoption("sort_by", None)):
            reporter.tw.line(line)
    durations = config.getoption("durations", None)
    if durations is not None and runs:
        for line in durations_lines(
            runs, durations, config.getoption("durations_min", DURATIONS_MIN), verbosity
        ):
            if line.startswith("="):
                reporter.tw.sep("=", line.strip("= "))
            else:
                reporter.tw.line(line)


def durations_lines(runs: list[PipelineRun], count: int, minimum: float, verbosity: int) -> list[str]:
    """pytest's ``--durations``: the slowest executed steps, slowest first."""
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
    hidden = 0
    for duration, name, status in shown:
        if verbosity < 2 and duration < minimum:
            hidden += 1
            continue
        lines.append(f"{duration:.2f}s {status:<9} {name}")
    if hidden:
        lines.append(f"\n({hidden} durations < {minimum:g}s hidden.  Use -vv to show these durations.)")
    return lines


# -- --runs and --show --------------------------------------------------------------------


@hookimpl
def zenrun_cmdline_main(config: Any) -> int | None:
    # ``--show ""`` (an unset shell variable) is a usage error, never a run of every pipeline.
    if not (config.getoption("runs", False) or config.getoption("show", None) is not None):
        return None
    try:
        lines = runs_listing(config) if config.getoption("runs") else show_lines(config)
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    write_lines(lines)
    return ExitCode.OK


def write_lines(lines: list[str]) -> None:
    """Print ``lines``; a reader that went away (``| head``) ends the output quietly."""
    try:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        from zenrun.terminal import silence_stdout

        silence_stdout()


def _width() -> int:
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def runs_listing(config: Any) -> list[str]:
    """``--runs``: newest first, at most ``--last`` rows, ``-k`` on item ids and pipeline names."""
    store = config.metadata_store
    last = config.getoption("last", None)
    if last is None:
        last = max(5, shutil.get_terminal_size((100, 24)).lines - 6)
    keyword = config.getoption("keyword", "") or ""
    match = None
    if keyword:
        from zenrun.marks.expression import Expression

        expression = Expression(keyword)

        def match(item_id: str | None, pipeline: str) -> bool:
            names = [n.lower() for n in (item_id, pipeline) if n]
            return expression.evaluate(lambda ident: any(ident.lower() in n for n in names))

    runs = recent_runs(store, last or None, match)
    if not runs:
        what = f" matching -k {keyword!r}" if keyword else ""
        return [f"no runs{what} recorded in {config.store_path}"]
    verbose = config.getoption("verbose", 0) > 0
    headers = ["started", "item", "status", "steps", "cached", "duration", "metrics"]
    if verbose:
        headers.insert(2, "run")
    width = _width()
    rows = []
    for run in runs:
        started = (
            datetime.datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M") if run.started else "-"
        )
        row = [
            started,
            run_label(run),
            run.status,
            _count(run.n_steps),
            _count(run.n_cached),
            fmt_duration(run.duration),
            fmt_pairs(key_metrics(run.metrics), 12),
        ]
        if verbose:
            row.insert(2, run.name)
        rows.append(row)
    # The metrics column gets what is left of the width.
    without = format_table([r[:-1] for r in rows], headers[:-1])
    room = max(10, width - max(len(line) for line in without) - 2)
    for row in rows:
        if len(row[-1]) > room:
            row[-1] = row[-1][: room - 3] + "..."
    lines = format_table(rows, headers)
    if len(runs) == last:
        lines.append(f"(newest {last} runs; --last N for more, zenrun --show ITEM|RUN for one)")
    return lines


def key_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Fractional numbers (scores, losses) first: what a narrow column should show."""
    return dict(sorted(metrics.items(), key=lambda kv: not isinstance(kv[1], float)))


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def recent_runs(store: Any, limit: int | None, match: Any) -> list[PipelineRun]:
    """Newest first; a plugin's store without the query methods is read whole."""
    if hasattr(store, "recent_runs"):
        return store.recent_runs(limit, match=match)
    runs = [r for r in reversed(store.get_runs()) if match is None or match(r.item_id, r.pipeline_name)]
    return runs[:limit] if limit else runs


def find_run(config: Any, ref: str) -> PipelineRun:
    """The run ``ref`` names (see ``--show``), or a usage error saying what exists."""
    store = config.metadata_store
    if not ref.strip():
        raise UsageError(
            "--show needs a run name, an item id, a unique run-name prefix or 'latest'; see zenrun --runs"
        )
    try:
        if not hasattr(store, "find_run"):  # a plugin's store: names and "latest" only
            run = store.get_run(ref)
            if run is None:
                raise LookupError(f"no run named {ref!r}")
            return run
        return store.find_run(ref)
    except LookupError as exc:
        raise UsageError(f"{exc} in {config.store_path}; see zenrun --runs") from None


def show_lines(config: Any) -> list[str]:
    """``--show RUN``: the run, then each step's status, cache reason, config, metadata, outputs."""
    run = find_run(config, config.getoption("show"))
    width = _width()
    lines = [
        f"run {run.name} of pipeline {run.pipeline_name}: {run.status}"
        + (f" in {fmt_duration(run.duration)}" if run.duration is not None else "")
    ]
    if run.item_id:
        lines.append(f"item: {run.item_id}")
    if run.params:
        lines.append(f"params: {fmt_pairs(run.params, 60)}")
    if run.metrics:
        lines.append(f"metrics: {fmt_pairs(run.metrics, 60)}")
    for step in run.steps.values():
        lines.append("")
        title = f" {step.id} " if step.id == step.name else f" {step.id} ({step.name}) "
        lines.append(title.center(width, "_"))
        lines.extend(step_lines(step, config))
    return lines


def step_lines(step: StepRun, config: Any) -> list[str]:
    status = step.status + (f" in {fmt_duration(step.duration)}" if step.duration is not None else "")
    lines = [f"status: {status}" + (f"; {step.cache_reason}" if step.cache_reason else "")]
    if step.config:
        lines.append(f"config: {fmt_pairs(step.config, 60)}")
    if step.metadata:
        lines.append(f"metadata: {fmt_pairs(step.metadata, 60)}")
    from zenrun.datacheck import lines as data_lines

    lines.extend(data_lines(step.data_deps))
    for name, ref in step.outputs.items():
        preview = f"  {ref.preview}" if ref.preview else ""
        lines.append(f"output {name}: {ref.type_name}, {fmt_size(ref.size)}{preview}")
        lines.append(f"    {_uri(ref, config)}")
    if step.error:
        lines.append("error:")
        lines.extend("    " + line for line in step.error.rstrip().splitlines())
    lines.extend(captured_lines(step))
    return lines


def _uri(ref: Any, config: Any) -> str:
    from zenrun.metadata.api import artifact_uri

    try:
        return artifact_uri(ref, config)
    except Exception as exc:  # a store that cannot name locations still lets --show work
        return f"<location unknown: {type(exc).__name__}>"


def captured_lines(step: StepRun) -> list[str]:
    """pytest's "Captured stdout" sections of a step, for failures and ``--show``."""
    lines = []
    for stream in ("stdout", "stderr", "log"):
        text = (step.captured or {}).get(stream)
        if text:
            lines.append(section_title(stream, step.id))
            lines.extend(text.rstrip("\n").splitlines())
    return lines
