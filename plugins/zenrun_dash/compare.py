"""The comparison page (``/compare?pipeline=NAME``): a parametrized pipeline's items side by side.

A sortable table of each item's latest run with its parameters and metrics,
a ranking of the items by a metric and a chart of the metric against the
parameters (parallel coordinates when there are several), drawn as SVG by
:mod:`zenrun_dash.charts` (no plotly.js: the page paints sooner), links to
each run's lineage, and a side-by-side diff of two runs (``&a=RUN&b=RUN``):
parameters, metrics, and per step its status, cache decision, config and
metadata, changed steps first.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Input, Output, State, dash_table, dcc, html
from dash.exceptions import PreventUpdate

from zenrun_dash import charts, studies
from zenrun_dash.charts import Chart
from zenrun_dash.source import RunSource, item_label

#: A table cell: what :func:`_cell` makes of a value (and all a table row may hold).
Cell = str | int | float | bool | None


def _cell(value: Any) -> Any:
    """Table cells are scalars: numbers stay numbers (they sort), the rest becomes text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, default=str)


def grid(source: RunSource, pipeline: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Parameter names, metric names and one row per item: its latest run.

    Params are named as in every report (``train.max_depth`` for a config field
    that varies across the items); a run's ``overrides`` column lists those the
    run config set.
    """
    params: list[str] = []
    metrics: list[str] = []
    rows = []
    runs = source.latest_per_item(pipeline)
    for run, run_params in zip(runs, source.params_of(runs), strict=True):
        run_metrics = run.metrics or {}
        params += [p for p in run_params if p not in params]
        metrics += [m for m in run_metrics if m not in metrics]
        plain = item_label({"item_id": run.item_id, "pipeline": run.pipeline_name})
        label = plain.replace("[", "\\[").replace("]", "\\]")  # markdown link text
        rows.append(
            {
                "item": f"[{label}](/?{urlencode({'run': run.name})})",
                "label": plain,
                "run": run.name,
                "status": run.status,
                "duration": round(run.duration, 3) if run.duration is not None else None,
                "overrides": ", ".join(getattr(run, "overrides", None) or []),
                **{f"param:{k}": _cell(v) for k, v in run_params.items()},
                **{f"metric:{k}": _cell(v) for k, v in run_metrics.items()},
            }
        )
    return params, metrics, rows


def _numeric(rows: list[dict[str, Any]], column: str) -> bool:
    values = [r.get(column) for r in rows if r.get(column) is not None]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def objective(config: Any) -> tuple[str, bool] | None:
    """``(metric, lowest_is_best)`` of ``--sort-by``, else ``[tool.zenrun] objective``, else None."""
    chosen = config.getoption("sort_by", None) if config is not None else None
    if not chosen and config is not None:
        try:
            chosen = config.getini("objective")
        except ValueError:  # a config without the results plugin's ini keys
            chosen = None
    if not chosen:
        return None
    name, _, direction = str(chosen).partition(":")
    return name.removeprefix("metrics."), direction == "min"


def best_row(rows: list[dict[str, Any]], metric: str | None, lowest: bool = False) -> dict[str, Any] | None:
    """The row with the best numeric value of ``metric`` (highest, or lowest), or None."""
    scored = [r for r in rows if charts.number(r.get(f"metric:{metric}"))]  # as the charts rank them
    if not scored:
        return None
    pick = min if lowest else max
    return pick(scored, key=lambda r: r[f"metric:{metric}"])


def short(value: Any) -> Any:
    """A number to 4 significant digits for display (full precision stays in the data)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value


def figure(rows: list[dict[str, Any]], params: list[str], metric: str | None, lowest: bool = False) -> Chart:
    """Metric against parameter: a scatter for one parameter, parallel coordinates for
    several; the best row (highest ``metric``, or lowest) is marked with a star."""
    if not rows or not metric:
        return Chart("no metrics logged (zenrun.log_metadata) in these runs", "", 0)
    return charts.by_params(rows, [_plain_item(r) for r in rows], params, metric, lowest)


def _plain_item(row: dict[str, Any]) -> str:
    """The item's label of a table row (its markdown link's text)."""
    return str(row.get("label") or row.get("run"))


def ranking(rows: list[dict[str, Any]], metric: str | None, lowest: bool = False) -> Chart:
    """``metric`` of each item, best first, the winner starred: which configuration won."""
    if not rows or not metric:
        return Chart("", "", 0)
    return charts.ranking(rows, [_plain_item(r) for r in rows], metric, lowest)


def chart_view(chart: Chart) -> list[Any]:
    """A chart on the page: its title, then the drawing in a frame of its own (its points'
    tooltips give the full values; it follows the viewer's theme)."""
    title = html.Div(
        chart.title, className="zr-chart-title", style={"fontSize": "14px", "margin": "10px 0 2px"}
    )
    if not chart.svg:
        return [title]
    frame = html.Iframe(
        srcDoc=charts.document(chart),
        title=chart.title,
        className="zr-chart",
        style={"width": "100%", "height": f"{chart.height + 4}px", "border": "0", "display": "block"},
    )
    return [title, frame]


def run_diff(a: Any, b: Any, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What differs between runs ``a`` and ``b``: parameters (``params``: theirs as
    ``zenrun.item_params`` gives them; default ``run.params``), metrics, and each step."""

    def differing(x: dict[str, Any], y: dict[str, Any]) -> dict[str, list[Any]]:
        return {k: [x.get(k), y.get(k)] for k in list(dict.fromkeys([*x, *y])) if x.get(k) != y.get(k)}

    steps = []
    for step_id in dict.fromkeys([*a.steps, *b.steps]):
        sa, sb = a.steps.get(step_id), b.steps.get(step_id)
        row = {
            "step": step_id,
            "status": [sa.status if sa else "-", sb.status if sb else "-"],
            "cache": [sa.cache_reason if sa else None, sb.cache_reason if sb else None],
            "config": differing((sa and sa.config) or {}, (sb and sb.config) or {}),
            "metadata": differing((sa and sa.metadata) or {}, (sb and sb.metadata) or {}),
        }
        row["changed"] = (
            sa is None
            or sb is None
            or sa.cache_key != sb.cache_key
            or bool(row["config"])
            or bool(row["metadata"])
        )
        steps.append(row)
    steps.sort(key=lambda r: not r["changed"])  # changed steps first, otherwise in run order
    return {
        "runs": [a.name, b.name],
        "items": [a.short_item_id or a.pipeline_name, b.short_item_id or b.pipeline_name],
        "status": [a.status, b.status],
        "params": differing(*(params or [a.params or {}, b.params or {}])),
        "metrics": {
            k: [(a.metrics or {}).get(k), (b.metrics or {}).get(k)]
            for k in dict.fromkeys([*(a.metrics or {}), *(b.metrics or {})])
        },
        "steps": steps,
    }


def _diff_view(diff: dict[str, Any]) -> html.Div:
    head = html.Tr(
        [
            html.Th(""),
            *(
                html.Th(
                    [
                        item,
                        html.Br(),
                        html.Small(run, style={"fontWeight": "normal", "color": "var(--zr-muted)"}),
                    ]
                )
                for item, run in zip(diff.get("items") or diff["runs"], diff["runs"], strict=True)
            ),
        ]
    )

    def table(title: str, rows: list[tuple[str, Any, Any]], changed: set[str]) -> html.Div:
        cell = {"padding": "2px 10px", "borderBottom": "1px solid var(--zr-border)"}
        body = [
            html.Tr(
                [
                    html.Td(k, style=cell),
                    *(html.Td(_text(v), title=_full(v), style=cell) for v in (x, y)),
                ],
                className="changed" if k in changed else "",
                style={"background": "var(--zr-best)"} if k in changed else {},
            )
            for k, x, y in rows
        ]
        return html.Div(
            [
                html.H4(title, style={"margin": "10px 0 4px"}),
                html.Table(
                    [html.Thead(head), html.Tbody(body)],
                    className="diff-table",
                    style={"borderCollapse": "collapse", "fontSize": "13px"},
                ),
            ]
        )

    metrics = diff["metrics"]
    changed_steps = [s for s in diff["steps"] if s["changed"]]
    step_rows = [
        (s["step"], f"{s['status'][0]} · {s['cache'][0] or ''}", f"{s['status'][1]} · {s['cache'][1] or ''}")
        for s in diff["steps"]
    ]
    details = [
        html.Li(f"{s['step']}: config {s['config'] or 'same'}; metadata {s['metadata'] or 'same'}")
        for s in changed_steps
    ]
    return html.Div(
        [
            html.P(
                f"{len(changed_steps)} of {len(diff['steps'])} steps changed (cache key, config or metadata)",
                id="diff-summary",
            ),
            table(
                "parameters",
                [(k, *v) for k, v in diff["params"].items()] or [("(same)", "", "")],
                set(diff["params"]),
            ),
            table(
                "metrics",
                [(k, *v) for k, v in metrics.items()],
                {k for k, v in metrics.items() if v[0] != v[1]},
            ),
            table("steps (changed first)", step_rows, {s["step"] for s in changed_steps}),
            html.Ul(details, style={"fontSize": "12px"}),
        ],
        id="diff-view",
    )


def _text(value: Any) -> str:
    """A diff cell: numbers to 4 significant digits (the full value is its title)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)


def _full(value: Any) -> str | None:
    return repr(value) if isinstance(value, float) else None


def layout(shown: bool = False, first: dict[str, dict[str, Any]] | None = None) -> html.Div:
    """The comparison page: hidden and empty unless the page was asked for at ``/compare``.

    Its table and graph are filled in by :func:`page_children` when the page is first shown:
    rendered on the lineage page, they would make the browser fetch the table's scripts,
    and Dash waits for those before it runs the first callbacks. ``first``: the content
    (:func:`first_view`) it opens with.
    """
    if shown:
        return html.Div(page_children(first), id="compare-page", style={"display": "block"})
    return html.Div(id="compare-page", style={"display": "none"})


def page_children(first: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    """The comparison page's content; ``first``: each component's first properties (by id),
    as :func:`first_view` computes them, so the page is drawn before its callbacks answer
    (they compute the same)."""
    first = first or {}
    return [
        html.Div(
            [
                html.Label("Pipeline", htmlFor="compare-pipeline", style={"marginRight": "8px"}),
                dcc.Dropdown(
                    id="compare-pipeline",
                    **{"options": [], "value": None, **first.get("compare-pipeline", {})},
                    clearable=False,
                    style={"width": "360px", "display": "inline-block", "verticalAlign": "middle"},
                ),
                html.Label("metric", htmlFor="compare-metric", style={"margin": "0 8px 0 16px"}),
                dcc.Dropdown(
                    id="compare-metric",
                    **{"options": [], "value": None, **first.get("compare-metric", {})},
                    clearable=False,
                    style={"width": "260px", "display": "inline-block", "verticalAlign": "middle"},
                ),
            ],
            style={"display": "flex", "alignItems": "center"},
        ),
        html.P(
            id="compare-best", style={"margin": "6px 0", "fontSize": "13px"}, **first.get("compare-best", {})
        ),
        dash_table.DataTable(  # type: ignore[attr-defined]  # made at import by dash
            id="compare-table",
            **{
                "columns": [],
                "data": [],
                "selected_rows": [],
                "style_data_conditional": [FAILED_ROW],
                **first.get("compare-table", {}),
            },
            sort_action="native",
            filter_action="native",
            row_selectable="multi",
            page_size=50,
            export_format="csv",  # the data: numbers at full precision
            tooltip_delay=0,
            tooltip_duration=None,
            markdown_options={"link_target": "_self"},
            # The viewer's theme (its CSS variables), light or dark.
            style_cell={
                "fontFamily": "monospace",
                "fontSize": "12px",
                "padding": "4px",
                "backgroundColor": "var(--zr-bg)",
                "color": "var(--zr-fg)",
                "borderColor": "var(--zr-border)",
            },
            style_header={"backgroundColor": "var(--zr-panel)"},
            style_filter={"backgroundColor": "var(--zr-bg)"},
            css=[{"selector": "table", "rule": "--text-color: var(--zr-fg); --hover: var(--zr-panel);"}],
        ),
        html.Div(id="compare-ranking", **first.get("compare-ranking", {})),
        html.Div(id="compare-graph", **first.get("compare-graph", {})),
        *studies.children(),
        html.H3("Diff of two runs", style={"margin": "8px 0 4px"}),
        html.P(
            "Select two rows above, or put both run names in the URL (&a=RUN&b=RUN).",
            style={"fontSize": "12px", "color": "var(--zr-muted)"},
        ),
        html.Div(id="compare-diff"),
    ]


FAILED_ROW = {"if": {"filter_query": "{status} = failed"}, "color": "#d55e00"}
NUMBER_FORMAT = {"specifier": ".4~g"}  # 4 significant digits; the full value on hover


def _columns(params: list[str], metrics: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's columns: the run's, its params, its metrics (numbers to 4 digits)."""
    # A name that is both a param and a metric is told apart, as in the results table.
    both = set(params) & set(metrics)
    columns: list[dict[str, Any]] = [
        {"name": ["run", "item"], "id": "item", "presentation": "markdown"},
        {"name": ["run", "run"], "id": "run"},
        {"name": ["run", "status"], "id": "status"},
        {"name": ["run", "duration (s)"], "id": "duration", "type": "numeric", "format": NUMBER_FORMAT},
    ]
    if any(r["overrides"] for r in rows):
        columns.append({"name": ["run", "overrides"], "id": "overrides"})
    for group, prefix, names in (("parameters", "param", params), ("metrics", "metric", metrics)):
        for name in names:
            column: dict[str, Any] = {
                "name": [
                    group,
                    f"{'params' if prefix == 'param' else 'metrics'}.{name}" if name in both else name,
                ],
                "id": f"{prefix}:{name}",
            }
            if prefix == "metric" or _numeric(rows, f"{prefix}:{name}"):
                column.update(type="numeric", format=NUMBER_FORMAT)
            columns.append(column)
    return columns


def _tooltips(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each fractional number's full value, shown on hover."""
    return [
        {k: {"value": repr(v), "type": "text"} for k, v in row.items() if isinstance(v, float)}
        for row in rows
    ]


Goal = tuple[str, bool] | None


def pick_pipeline(source: RunSource, search: str | None) -> tuple[list[str], str | None]:
    """The pipelines, and the one the URL names (default: the newest parametrized one)."""
    names = source.pipeline_names()
    wanted = _first(parse_qs((search or "").lstrip("?")), "pipeline")
    if wanted not in names:  # default: the newest parametrized pipeline, else the newest
        recent = source.page(limit=200)
        items = [r for r in recent if "[" in (r.get("item_id") or "")] or recent
        wanted = items[0]["pipeline"] if items else None
    return names, wanted


def fill(source: RunSource, goal: Goal, pipeline: str, search: str | None) -> tuple[Any, ...]:
    """The table of ``pipeline`` (columns, rows best first, tooltips), the metrics, the one
    charted (the URL's, else the objective, else the first that tells the items apart) and
    the rows of the URL's two runs (``a``, ``b``)."""
    params, metrics, rows = grid(source, pipeline)
    query = parse_qs((search or "").lstrip("?"))
    chosen = [_first(query, k) for k in ("a", "b")]
    wanted = _first(query, "metric")
    metric: str | None
    if wanted in metrics:
        metric = wanted
    elif goal is not None and goal[0] in metrics:  # the objective
        metric = goal[0]
    else:  # else the first metric that tells the items apart
        varying = [
            m
            for m in metrics
            if _numeric(rows, f"metric:{m}") and len({r.get(f"metric:{m}") for r in rows}) > 1
        ]
        metric = next(iter(varying or metrics), None)
    # Best first: the table opens sorted by the metric it charts, as its ranking (the rows
    # without a finite number last: a NaN would break the order of the others).
    lowest = goal is not None and goal == (metric, True)
    rows.sort(
        key=lambda r: (
            (False, (1 if lowest else -1) * r[f"metric:{metric}"])
            if charts.number(r.get(f"metric:{metric}"))
            else (True, 0)
        )
    )
    selected = [i for i, r in enumerate(rows) if r["run"] in chosen]
    return _columns(params, metrics, rows), rows, _tooltips(rows), metrics, metric, selected


def mark_best(goal: Goal, metric: str | None, rows: list[dict[str, Any]] | None) -> tuple[Any, Any]:
    """The table's row styles (the best row marked) and the line naming the best item."""
    lowest = goal is not None and goal == (metric, True)
    best = best_row(rows or [], metric, lowest)
    if best is None:
        return [FAILED_ROW], ""
    style = {
        "if": {"filter_query": f'{{run}} = "{best["run"]}"'},
        "backgroundColor": "var(--zr-best)",
        "fontWeight": "bold",
    }
    text = [
        "★ best ",
        html.B(metric),
        f" ({'lowest' if lowest else 'highest'}): ",
        html.B(_plain_item(best), id="compare-best-item"),
        f" = {short(best[f'metric:{metric}'])}",
        html.Span(" (objective)" if goal is not None and goal[0] == metric else ""),
    ]
    return [FAILED_ROW, style], text


def draw(
    goal: Goal, metric: str | None, rows: list[dict[str, Any]] | None, columns: list[dict[str, Any]] | None
) -> tuple[list[Any], list[Any]]:
    """The ranking and the chart of ``metric`` against the params, of the table's ``rows``."""
    params = [c["id"][len("param:") :] for c in columns or [] if c["id"].startswith("param:")]
    lowest = goal is not None and goal == (metric, True)
    return (
        chart_view(ranking(rows or [], metric, lowest)),
        chart_view(figure(rows or [], params, metric, lowest)),
    )


def first_view(source: RunSource, search: str | None) -> dict[str, dict[str, Any]]:
    """What the page's callbacks show first for the address's query ``search``, by component
    id: the page opens drawn (its callbacks then answer the same)."""
    goal = objective(getattr(source, "config", None))
    names, pipeline = pick_pipeline(source, search)
    first: dict[str, dict[str, Any]] = {"compare-pipeline": {"options": names, "value": pipeline}}
    if not pipeline:
        return first
    columns, rows, tooltips, metrics, metric, selected = fill(source, goal, pipeline, search)
    styles, best = mark_best(goal, metric, rows)
    ranked, charted = draw(goal, metric, rows, columns)
    first["compare-table"] = {
        "columns": columns,
        "data": rows,
        "tooltip_data": tooltips,
        "selected_rows": selected,
        "style_data_conditional": styles,
    }
    first["compare-metric"] = {"options": metrics, "value": metric}
    first["compare-best"] = {"children": best}
    first["compare-ranking"] = {"children": ranked}
    first["compare-graph"] = {"children": charted}
    return first


def register(app: Any, source: RunSource) -> None:
    """The comparison page's callbacks."""
    goal = objective(getattr(source, "config", None))

    @app.callback(
        Output("compare-pipeline", "options"),
        Output("compare-pipeline", "value"),
        Input("url", "pathname"),
        State("url", "search"),
        prevent_initial_call=True,  # the page comes filled in (first_view), then follows the address
    )
    def pick(path: str | None, search: str | None) -> Any:
        if path != "/compare":
            raise PreventUpdate
        return pick_pipeline(source, search)

    @app.callback(
        Output("compare-table", "columns"),
        Output("compare-table", "data"),
        Output("compare-table", "tooltip_data"),
        Output("compare-metric", "options"),
        Output("compare-metric", "value"),
        Output("compare-table", "selected_rows"),
        Input("compare-pipeline", "value"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def table(pipeline: str | None, search: str | None) -> Any:
        if not pipeline:
            raise PreventUpdate
        return fill(source, goal, pipeline, search)

    @app.callback(
        Output("compare-table", "style_data_conditional"),
        Output("compare-best", "children"),
        Input("compare-metric", "value"),
        Input("compare-table", "derived_virtual_data"),
    )
    def best(metric: str | None, rows: list[dict[str, Any]] | None) -> Any:
        return mark_best(goal, metric, rows)

    @app.callback(
        Output("compare-ranking", "children"),
        Output("compare-graph", "children"),
        Input("compare-metric", "value"),
        Input("compare-table", "derived_virtual_data"),
        State("compare-table", "columns"),
    )
    def chart(
        metric: str | None, rows: list[dict[str, Any]] | None, columns: list[dict[str, Any]] | None
    ) -> Any:
        # The rows the table's filter leaves, in its order.
        return draw(goal, metric, rows, columns)

    @app.callback(
        Output("compare-diff", "children"),
        Input("compare-table", "selected_rows"),
        Input("compare-table", "data"),
        State("url", "search"),
    )
    def diff(selected: list[int] | None, rows: list[dict[str, Cell]] | None, search: str | None) -> Any:
        query = parse_qs((search or "").lstrip("?"))
        picked = [rows[i].get("run") for i in (selected or [])[:2] if rows and -len(rows) <= i < len(rows)]
        names: list[str] = [n for n in picked if isinstance(n, str)]
        asked = [n for n in (_first(query, "a"), _first(query, "b")) if n]
        if len(names) < 2 or set(names) == set(asked):  # the URL's a and b, in its order
            names = asked
        if len(names) < 2:
            return "Select two runs."
        a, b = source.run(names[0]), source.run(names[1])
        if a is None or b is None:
            return f"no run named {names[0] if a is None else names[1]}"
        return _diff_view(run_diff(a, b, source.params_of([a, b])))


def _first(query: dict[str, list[str]], key: str) -> str | None:
    """The first value of ``key`` in a parsed query string, or None."""
    values = query.get(key)
    return values[0] if values else None
