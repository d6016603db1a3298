"""What ran and what it found: the results table, ``--runs`` and ``--show``.

A built-in plugin. At the end of a session it prints one row per item
(parameters, metrics, duration, cache counts); ``--runs`` and ``--show``
read the metadata store through queries that load only what they print.
"""

from __future__ import annotations

import datetime
import json
import math
import shutil
import sys
from collections.abc import Iterable
from typing import Any

from zenrun.artifacts.store import LocalArtifactStore
from zenrun.capture import silence_stdout, step_section_title
from zenrun.config.argparsing import non_negative_int
from zenrun.datacheck import lines as data_lines
from zenrun.datadeps import format_size as fmt_size
from zenrun.errors import ExitCode, UsageError
from zenrun.hookspec import hookimpl
from zenrun.marks.expression import Expression
from zenrun.metadata.api import artifact_uri, item_params
from zenrun.metadata.records import CACHED, COMPLETED, PipelineRun, StepRun
from zenrun.protocols import MetadataStore

MAX_CELL = 32  # characters of one table cell
OVERRIDE_MARK = " (override)"  # after a param value set by --set / --config


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    reporting = parser.getgroup("reporting")
    reporting.addoption(
        "--sort-by",
        dest="sort_by",
        default=None,
        metavar="METRIC[:min]",
        help="the objective: sort the results table and --runs by METRIC, best first (highest, "
        "or lowest with ':min'), and mark the best row (default: [tool.zenrun] objective)",
    )
    parser.addini(
        "objective",
        "the metric that ranks items (METRIC, highest best, or METRIC:min): the results table, "
        "--runs and the viewer's compare page sort by it and mark the best; --sort-by overrides it",
        type="string",
        default=None,
    )
    reporting.addoption(
        "--json",
        dest="json_output",
        action="store_true",
        default=False,
        help="print the results table, --runs or --show as JSON on stdout: one object per "
        "item or run with stable keys (the session's report goes to stderr)",
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
        type=non_negative_int,
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
    if not text.isprintable():  # a newline or tab would break the table's line: escaped
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{seconds:.2f}s"


def fmt_pairs(values: dict[str, Any], limit: int = MAX_CELL, overrides: Iterable[str] = ()) -> str:
    """``name=value, ...``; a param the run config set is marked ``(override)``."""
    marked = set(overrides)
    return ", ".join(
        f"{k}={fmt_value(v, limit)}" + (OVERRIDE_MARK if k in marked else "") for k, v in values.items()
    )


def fmt_param(run: PipelineRun, name: str, value: Any, limit: int = MAX_CELL) -> str:
    """A param cell; one the run config (``--set``/``--config``) set is marked ``(override)``."""
    return fmt_value(value, limit) + (OVERRIDE_MARK if name in run.overrides else "")


def column_names(params: list[str], metrics: list[str]) -> tuple[list[str], list[str]]:
    """Headers of param and metric columns: a name that is both is told apart as
    ``params.NAME`` and ``metrics.NAME``."""
    both = set(params) & set(metrics)
    return (
        [f"params.{p}" if p in both else p for p in params],
        [f"metrics.{m}" if m in both else m for m in metrics],
    )


def run_label(run: PipelineRun) -> str:
    """The item id without its file (``hpo[iris]``), or the pipeline name for API runs."""
    return run.short_item_id or run.pipeline_name


#: The most characters a table cell shows: a longer one (an item id of a parameter of
#: 100,000 characters) is cut, ending in ``...``.
LONGEST_CELL = 120


def format_table(rows: list[list[str]], headers: list[str]) -> list[str]:
    """A plain table as tabulate's "simple" format, with cells kept as given (no number parsing,
    leading spaces kept) up to :data:`LONGEST_CELL` characters."""
    if any(len(c) > LONGEST_CELL for row in rows for c in row):
        rows = [[c if len(c) <= LONGEST_CELL else c[: LONGEST_CELL - 3] + "..." for c in row] for row in rows]
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
    """``accuracy`` (highest best) or ``loss:min`` (lowest best) -> (metric, lowest_is_best).

    ``metrics.accuracy`` names the same metric (the column of a name that is also a param).
    """
    name, _, direction = text.partition(":")
    if direction not in ("", "min", "max") or not name:
        raise UsageError(f"--sort-by {text!r}: expected METRIC, METRIC:max or METRIC:min")
    return name.removeprefix("metrics."), direction == "min"


def objective(config: Any) -> str | None:
    """The objective, ``METRIC`` or ``METRIC:min``: ``--sort-by``, else ``[tool.zenrun] objective``."""
    chosen = config.getoption("sort_by", None)
    if chosen:
        return str(chosen)
    try:
        chosen = config.getini("objective")
    except ValueError:  # a config without this plugin's ini keys
        return None
    return str(chosen) if chosen else None


def sort_runs(runs: list[PipelineRun], sort_by: str) -> tuple[list[PipelineRun], PipelineRun | None]:
    """``runs`` best first by a metric; runs without a numeric value of it go last."""
    metric, lowest = parse_sort_by(sort_by)

    def number(run: PipelineRun) -> float | None:
        value = run.metrics.get(metric)
        if not isinstance(value, (int, float)) or value != value:
            return None
        try:
            return float(value)
        except OverflowError:  # an int beyond a float's range: past every float, on its side
            return math.inf if value > 0 else -math.inf

    scored = [r for r in runs if number(r) is not None]
    scored.sort(key=lambda r: number(r), reverse=not lowest)  # type: ignore[arg-type,return-value]
    rest = [r for r in runs if number(r) is None]
    return scored + rest, scored[0] if scored else None


# -- the results table ------------------------------------------------------------------


def results_lines(
    runs: list[PipelineRun],
    width: int,
    sort_by: str | None = None,
    params: dict[str, dict[str, Any]] | None = None,
) -> list[str]:
    """One table per pipeline, one row per item: its parameters, metrics, status when not
    all passed, duration and cached/steps. ``params`` maps run names to their params
    (:func:`zenrun.metadata.api.item_params`; default: ``run.params``)."""
    params = {r.name: r.params for r in runs} | (params or {})
    by_pipeline: dict[str, list[PipelineRun]] = {}
    for run in runs:
        by_pipeline.setdefault(run.pipeline_name, []).append(run)
    lines: list[str] = []
    singles = [r for group in by_pipeline.values() if len(group) == 1 for r in group]
    if singles:  # pipelines with one item share one table, their metrics as name=value
        lines.extend(_singles_table(singles, width, params))
    for pipeline, pipeline_runs in by_pipeline.items():
        if len(pipeline_runs) == 1:
            continue
        if lines:
            lines.append("")
        lines.extend(_pipeline_table(pipeline, pipeline_runs, width, sort_by, params))
    if sort_by:
        metric = parse_sort_by(sort_by)[0]
        if not any(metric in r.metrics for r in runs):
            known = ", ".join(_union(r.metrics for r in runs)) or "none"
            lines.append(f"(--sort-by: no run logged {metric!r}; metrics: {known})")
    return lines


def _singles_table(runs: list[PipelineRun], width: int, params: dict[str, dict[str, Any]]) -> list[str]:
    show_status = any(r.status != COMPLETED for r in runs)
    show_params = any(params[r.name] for r in runs)
    headers = [
        "pipeline",
        *(["status"] if show_status else []),
        "duration",
        "cached",
        *(["params"] if show_params else []),
        "metrics",
    ]
    rows = [
        [
            run_label(r),
            *([r.status] if show_status else []),
            fmt_duration(r.duration),
            _cached_of(r),
            *([fmt_pairs(narrow_first(params[r.name], r.overrides), 16, r.overrides)] if show_params else []),
            fmt_pairs(r.metrics, 16),
        ]
        for r in runs
    ]
    fixed = 2 if show_params else 1
    dropped = _fit_last_columns(rows, headers, width, fixed)
    return format_table(rows, headers) + _not_shown(dropped, "zenrun --show ITEM")


def _not_shown(columns: list[str], where: str) -> list[str]:
    """The note under a table that had to leave ``columns`` out to fit the terminal."""
    if not columns:
        return []
    return [f"({', '.join(columns)} not shown in this width: see {where}, or widen the terminal)"]


def _fit_last_columns(rows: list[list[str]], headers: list[str], width: int, count: int) -> list[str]:
    """Cut the last ``count`` cells of each row so the table fits ``width``; they share
    what the other columns leave. The last one (the metrics: what the runs found) is
    served whole first: a column before it left with too little room to be read is
    taken out of ``headers`` and ``rows``; returns the names of those taken out."""
    dropped: list[str] = []
    while count > 1:
        without = format_table([r[:-count] for r in rows], headers[:-count])
        room = width - max(len(line) for line in without) - 2 * count
        last = max([len(headers[-1]), *(len(r[-1]) for r in rows)])
        if room - last >= 12 * (count - 1):
            break
        index = len(headers) - count  # the first of the shared columns goes
        dropped.append(headers.pop(index))
        for row in rows:
            del row[index]
        count -= 1
    without = format_table([r[:-count] for r in rows], headers[:-count])
    room = max(10 * count, width - max(len(line) for line in without) - 2 * count)
    for index in range(len(headers) - count, len(headers)):
        # Each column gets an even share, and what a narrower one leaves goes to the next.
        left = len(headers) - index
        share = max(10, room // left)
        longest = max([len(headers[index]), *(len(r[index]) for r in rows)])
        for row in rows:
            if len(row[index]) > share:
                row[index] = row[index][: share - 3] + "..."
        room -= min(share, longest)
    return dropped


def _cached_of(run: PipelineRun) -> str:
    steps = run.n_steps if run.n_steps is not None else len(run.steps)
    cached = (
        run.n_cached if run.n_cached is not None else sum(1 for s in run.steps.values() if s.status == CACHED)
    )
    return f"{cached}/{steps}"


def _pipeline_table(
    pipeline: str,
    runs: list[PipelineRun],
    width: int,
    sort_by: str | None,
    params: dict[str, dict[str, Any]],
) -> list[str]:
    best = None
    sort_metric = parse_sort_by(sort_by)[0] if sort_by else None
    if sort_by:
        runs, best = sort_runs(runs, sort_by)
    param_names = _union(params[r.name] for r in runs)
    metric_names = _union(r.metrics for r in runs)
    if sort_metric in metric_names:  # the objective is the first metric column
        metric_names.remove(sort_metric)
        metric_names.insert(0, sort_metric)
    param_headers, metric_headers = column_names(param_names, metric_names)
    show_status = any(r.status != COMPLETED for r in runs)
    headers = [
        pipeline,
        *param_headers,
        *metric_headers,
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
                *(
                    fmt_param(run, p, params[run.name][p]) if p in params[run.name] else "-"
                    for p in param_names
                ),
                *(fmt_value(run.metrics[m]) if m in run.metrics else "-" for m in metric_names),
                *([run.status] if show_status else []),
                fmt_duration(run.duration),
                _cached_of(run),
            ]
        )
    # Too wide: parametrize and fixture params go first (the item id shows them), then
    # metrics from the last (but the first one when there is no objective), then config
    # fields (``train.max_depth``); never the objective.
    in_id = [1 + i for i, name in enumerate(param_names) if "." not in name]
    fields = [1 + i for i, name in enumerate(param_names) if "." in name]
    metrics = [1 + len(param_names) + i for i, name in enumerate(metric_names) if name != sort_metric]
    keep_longest = [*fields, *metrics] if sort_metric else [*metrics[:1], *fields, *metrics[1:]]
    lines, dropped = fit_table(rows, headers, width, [*keep_longest, *in_id])
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
    sort_by = objective(config)
    if sort_by:
        try:
            parse_sort_by(sort_by)  # a usage error before anything runs
        except UsageError:
            if config.getoption("sort_by", None):
                raise
            raise UsageError(
                f"[tool.zenrun] objective = {sort_by!r}: expected METRIC, METRIC:max or METRIC:min"
            ) from None


@hookimpl
def zenrun_terminal_summary(terminalreporter: Any, config: Any) -> None:
    reporter = terminalreporter
    runs = [r.run for r in getattr(reporter, "reports", []) if r.run is not None]
    verbosity = getattr(reporter, "verbosity", 0)
    if config.getoption("json_output", False):
        write_lines([json_dumps(session_records(getattr(reporter, "reports", []), config))])
    if runs and verbosity >= -1:
        reporter.tw.sep("=", "results")
        params = dict(zip((r.name for r in runs), session_params(runs, config), strict=True))
        for line in results_lines(runs, reporter.tw.width, objective(config), params):
            reporter.tw.line(line)


def session_params(runs: list[PipelineRun], config: Any) -> list[dict[str, Any]]:
    """The params of ``runs`` (see :func:`zenrun.metadata.api.item_params`); a store that
    cannot be read for the comparison leaves each run its own params."""
    try:
        return item_params(runs, config.metadata_store)
    except Exception:  # the table still prints what the runs know
        return [dict(r.params) for r in runs]


# -- --runs and --show --------------------------------------------------------------------


@hookimpl
def zenrun_cmdline_main(config: Any) -> int | None:
    # ``--show ""`` (an unset shell variable) is a usage error, never a run of every pipeline.
    if not (config.getoption("runs", False) or config.getoption("show", None) is not None):
        return None
    try:
        if config.getoption("json_output", False):
            lines = [json_dumps(runs_records(config) if config.getoption("runs") else show_record(config))]
        else:
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
        silence_stdout()


def _width() -> int:
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def listed_runs(config: Any) -> tuple[list[PipelineRun], int]:
    """The runs ``--runs`` lists: newest first, at most ``--last`` (returned too), ``-k`` on
    item ids and pipeline names."""
    store = config.metadata_store
    last = config.getoption("last", None)
    if last is None:
        last = max(5, shutil.get_terminal_size((100, 24)).lines - 6)
    keyword = config.getoption("keyword", "") or ""
    match = None
    if keyword:
        expression = Expression(keyword)

        def match(item_id: str | None, pipeline: str) -> bool:
            names = [n.lower() for n in (item_id, pipeline) if n]
            return expression.evaluate(lambda ident: any(ident.lower() in n for n in names))

    return recent_runs(store, last or None, match), last


def runs_listing(config: Any) -> list[str]:
    """``--runs``: newest first, at most ``--last`` rows, ``-k`` on item ids and pipeline names."""
    runs, last = listed_runs(config)
    keyword = config.getoption("keyword", "") or ""
    if not runs:
        what = f" matching -k {keyword!r}" if keyword else ""
        return [f"no runs{what} recorded in {config.store_location}"]
    verbose = config.getoption("verbose", 0) > 0
    sort_by = objective(config)
    best = None
    if sort_by:  # the newest runs, best first
        runs, best = sort_runs(runs, sort_by)
    params = session_params(runs, config)
    headers = ["started", "item", "status", "steps", "cached", "duration", "params", "metrics"]
    if verbose:
        headers.insert(2, "run")
    width = _width()
    rows = []
    for run, run_params in zip(runs, params, strict=True):
        started = (
            datetime.datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M") if run.started else "-"
        )
        label = run_label(run)
        if best is not None:
            label = ("* " if run is best else "  ") + label
        row = [
            started,
            label,
            run.status,
            _count(run.n_steps),
            _count(run.n_cached),
            fmt_duration(run.duration),
            fmt_pairs(narrow_first(run_params, run.overrides), 12, run.overrides) or "-",
            fmt_pairs(key_metrics(run.metrics, sort_by), 12),
        ]
        if verbose:
            row.insert(2, run.name)
        rows.append(row)
    # The params and metrics columns share what is left of the width.
    dropped = _fit_last_columns(rows, headers, width, 2)
    lines = format_table(rows, headers) + _not_shown(dropped, "zenrun --show ITEM|RUN")
    if len(runs) == last:
        order = f", best {parse_sort_by(sort_by)[0]} first" if sort_by else ""
        lines.append(f"(newest {last} runs{order}; --last N for more, zenrun --show ITEM|RUN for one)")
    return lines


def narrow_first(params: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Overrides, then config fields, then the params the item id already shows: what a
    narrow column should show."""
    return dict(sorted(params.items(), key=lambda kv: (kv[0] not in overrides, "." not in kv[0])))


def key_metrics(metrics: dict[str, Any], sort_by: str | None = None) -> dict[str, Any]:
    """The objective, then fractional numbers (scores, losses): what a narrow column should show."""
    first = parse_sort_by(sort_by)[0] if sort_by else None
    return dict(sorted(metrics.items(), key=lambda kv: (kv[0] != first, not isinstance(kv[1], float))))


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def recent_runs(store: MetadataStore, limit: int | None, match: Any) -> list[PipelineRun]:
    """Newest first, at most ``limit`` (all when None or 0)."""
    return store.recent_runs(limit or None, match=match)


def find_run(config: Any, ref: str) -> PipelineRun:
    """The run ``ref`` names (see ``--show``), or a usage error saying what exists."""
    store: MetadataStore = config.metadata_store
    if not ref.strip():
        raise UsageError(
            "--show needs a run name, an item id, a unique run-name prefix or 'latest'; see zenrun --runs"
        )
    try:
        return store.find_run(ref)
    except LookupError as exc:
        raise UsageError(f"{exc} in {config.store_location}; see zenrun --runs") from None


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
    params = session_params([run], config)[0]
    if params:
        lines.append(f"params: {fmt_pairs(params, 60, run.overrides)}")
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
    for plugin, values in step.plugin_metadata.items():
        lines.append(f"metadata of plugin {plugin}: {fmt_pairs(values, 60)}")
    lines.extend(data_lines(step.data_deps))
    for name, ref in step.outputs.items():
        preview = f"  {ref.preview}" if ref.preview else ""
        lines.append(f"output {name}: {ref.type_name}, {fmt_size(ref.size)}{preview}")
        lines.append(f"    {_where(ref, config)}")
    if step.error:
        lines.append("error:")
        lines.extend("    " + line for line in step.error.rstrip().splitlines())
    lines.extend(captured_lines(step))
    return lines


def _where(ref: Any, config: Any) -> str:
    """Where ``--show`` says an output is, writing nothing (it reads the store): a small
    artifact packed in a local store's ``inline.db`` is not given a file of its own."""
    store: Any = getattr(config, "artifact_store", None) if config is not None else None
    if (
        isinstance(store, LocalArtifactStore)
        and type(store).uri is LocalArtifactStore.uri  # zenrun's own layout, not a plugin's
        and ref.size <= store.inline_max
        and ref.store_url in (None, store.url)
    ):
        try:
            packed = not store.path(ref.digest).exists()
        except Exception:  # a damaged digest: said by _uri
            packed = False
        if packed:
            return f"packed in {store.root / 'inline.db'} (zenrun.artifact_uri gives it a file)"
    return _uri(ref, config)


def _uri(ref: Any, config: Any) -> str:
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
            lines.append(step_section_title(stream, step.id))
            lines.extend(text.rstrip("\n").splitlines())
    return lines


# -- --json ---------------------------------------------------------------------------------

#: The keys of every ``--json`` object, in this order (``--show`` adds ``steps``).
JSON_KEYS = (
    "item_id",
    "item",
    "outcome",
    "run",
    "pipeline",
    "status",
    "started",
    "finished",
    "duration",
    "n_steps",
    "n_cached",
    "params",
    "overrides",
    "metrics",
    "objective",
    "best",
)


def json_dumps(value: Any) -> str:
    """Strict JSON text: NaN and infinities as null, what has no JSON form as a string."""
    return json.dumps(_finite(value), indent=2, default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def json_record(
    run: PipelineRun | None,
    params: dict[str, Any] | None = None,
    *,
    sort_by: str | None = None,
    best: PipelineRun | None = None,
    item_id: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """One item or run as a JSON object with the keys of :data:`JSON_KEYS`; numbers at
    full precision, times as seconds since the epoch."""
    item_id = item_id or (run.item_id if run is not None else None)
    record: dict[str, Any] = dict.fromkeys(JSON_KEYS)
    record.update(
        item_id=item_id,
        item=item_id.split("::", 1)[-1] if item_id else (run.pipeline_name if run else None),
        outcome=outcome,
        params=params if params is not None else (dict(run.params) if run else {}),
        overrides=list(run.overrides) if run else [],
        metrics=dict(run.metrics) if run else {},
    )
    if sort_by:
        metric, lowest = parse_sort_by(sort_by)
        record["objective"] = {"metric": metric, "direction": "min" if lowest else "max"}
        record["best"] = run is not None and run is best
    if run is not None:
        record.update(
            run=run.name,
            pipeline=run.pipeline_name,
            status=run.status,
            started=run.started,
            finished=run.finished,
            duration=run.duration,
            n_steps=run.n_steps if run.n_steps is not None else len(run.steps),
            n_cached=int(_cached_of(run).split("/")[0]),
        )
    return record


def _best_by_pipeline(runs: list[PipelineRun], sort_by: str | None) -> set[int]:
    """``id()`` of the best run of each pipeline among ``runs``."""
    if not sort_by:
        return set()
    best = set()
    for pipeline in dict.fromkeys(r.pipeline_name for r in runs):
        found = sort_runs([r for r in runs if r.pipeline_name == pipeline], sort_by)[1]
        if found is not None:
            best.add(id(found))
    return best


def session_records(reports: list[Any], config: Any) -> list[dict[str, Any]]:
    """``--json`` of a session: one object per item, in the order they ran (``outcome`` is
    pytest's: passed, failed, skipped, error, xfailed, xpassed)."""
    sort_by = objective(config)
    runs = [r.run for r in reports if r.run is not None]
    params = dict(zip(map(id, runs), session_params(runs, config), strict=True))
    best = _best_by_pipeline(runs, sort_by)
    return [
        json_record(
            report.run,
            params.get(id(report.run)),
            sort_by=sort_by,
            best=report.run if id(report.run) in best else None,
            item_id=report.nodeid,
            outcome=report.outcome,
        )
        for report in reports
    ]


def runs_records(config: Any) -> list[dict[str, Any]]:
    """``--runs --json``: the runs ``--runs`` lists (best first with an objective)."""
    runs, _ = listed_runs(config)
    sort_by = objective(config)
    best = None
    if sort_by:
        runs, best = sort_runs(runs, sort_by)
    return [
        json_record(run, params, sort_by=sort_by, best=best)
        for run, params in zip(runs, session_params(runs, config), strict=True)
    ]


def show_record(config: Any) -> dict[str, Any]:
    """``--show RUN --json``: the run's object and its ``steps``, in run order."""
    run = find_run(config, config.getoption("show"))
    record = json_record(run, session_params([run], config)[0])
    record["steps"] = [
        {
            "id": step.id,
            "name": step.name,
            "status": step.status,
            "duration": step.duration,
            "cache_reason": step.cache_reason,
            "cache_key": step.cache_key,
            "config": step.config,
            "metadata": step.metadata,
            "outputs": {
                name: {**ref.as_dict(), "uri": _uri(ref, config)} for name, ref in step.outputs.items()
            },
            "upstream": step.upstream,
            "error": step.error,
        }
        for step in run.steps.values()
    ]
    return record
