"""The comparison page (``/compare?pipeline=NAME``): a parametrized pipeline's items side by side.

A sortable table of each item's latest run with its parameters and metrics,
a chart of a metric against the parameters (a parallel-coordinates chart when
there are several), links to each run's lineage, and a side-by-side diff of
two runs (``&a=RUN&b=RUN``): parameters, metrics, and per step its status,
cache decision, config and metadata, changed steps first.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Input, Output, State, dash_table, dcc, html
from dash.exceptions import PreventUpdate

from zenrun_dash.source import RunSource, item_label


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
        label = item_label({"item_id": run.item_id, "pipeline": run.pipeline_name})
        label = label.replace("[", "\\[").replace("]", "\\]")  # markdown link text
        rows.append(
            {
                "item": f"[{label}](/?{urlencode({'run': run.name})})",
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


def figure(rows: list[dict[str, Any]], params: list[str], metric: str | None) -> Any:
    """Metric against parameter: a scatter for one parameter, parallel coordinates for several."""
    import plotly.graph_objects as go

    if not rows or not metric:
        return go.Figure(layout={"title": "no metrics logged (zenrun.log_metadata) in these runs"})
    y = [r.get(f"metric:{metric}") for r in rows]
    numeric = [p for p in params if _numeric(rows, f"param:{p}")]
    if len(params) >= 2 and _numeric(rows, f"metric:{metric}"):
        dimensions = []
        for p in params:
            values = [r.get(f"param:{p}") for r in rows]
            if p in numeric:
                dimensions.append({"label": p, "values": values})
            else:  # categories as positions with their names as ticks
                names = sorted({str(v) for v in values})
                dimensions.append(
                    {
                        "label": p,
                        "values": [names.index(str(v)) for v in values],
                        "tickvals": list(range(len(names))),
                        "ticktext": names,
                    }
                )
        dimensions.append({"label": metric, "values": y})
        return go.Figure(
            go.Parcoords(
                line={"color": y, "colorscale": "Viridis", "showscale": True}, dimensions=dimensions
            ),
            layout={"title": f"{metric} by {', '.join(params)}", "height": 380},
        )
    param = params[0] if params else "item"
    x = [r.get(f"param:{param}") if params else r["run"] for r in rows]
    return go.Figure(
        go.Scatter(
            x=[str(v) if param not in numeric else v for v in x],
            y=y,
            mode="markers",
            marker={"size": 12},
            text=[r["run"] for r in rows],
        ),
        layout={
            "title": f"{metric} by {param}",
            "xaxis": {"title": param},
            "yaxis": {"title": metric},
            "height": 380,
        },
    )


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
        "status": [a.status, b.status],
        "params": differing(*(params or [a.params or {}, b.params or {}])),
        "metrics": {
            k: [(a.metrics or {}).get(k), (b.metrics or {}).get(k)]
            for k in dict.fromkeys([*(a.metrics or {}), *(b.metrics or {})])
        },
        "steps": steps,
    }


def _diff_view(diff: dict[str, Any]) -> html.Div:
    a, b = diff["runs"]
    head = html.Tr([html.Th(""), html.Th(a), html.Th(b)])

    def table(title: str, rows: list[tuple[str, Any, Any]], changed: set[str]) -> html.Div:
        cell = {"padding": "2px 10px", "borderBottom": "1px solid #eee"}
        body = [
            html.Tr(
                [html.Td(k, style=cell), html.Td(_text(x), style=cell), html.Td(_text(y), style=cell)],
                className="changed" if k in changed else "",
                style={"background": "#fff3cd"} if k in changed else {},
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
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)


def layout() -> html.Div:
    """The comparison page (hidden until the URL's path is ``/compare``), empty until first shown.

    Its table and graph are filled in by :func:`page_children` when the page is first shown:
    rendered on the lineage page, they would make the browser fetch plotly.js and the table's
    scripts (about 5 MB), and Dash waits for those before it runs the first callbacks.
    """
    return html.Div(id="compare-page", style={"display": "none"})


def page_children() -> list[Any]:
    """The comparison page's content."""
    return [
        html.Div(
            [
                html.Label("Pipeline", htmlFor="compare-pipeline", style={"marginRight": "8px"}),
                dcc.Dropdown(
                    id="compare-pipeline",
                    options=[],
                    value=None,
                    clearable=False,
                    style={"width": "360px", "display": "inline-block", "verticalAlign": "middle"},
                ),
                html.Label("metric", htmlFor="compare-metric", style={"margin": "0 8px 0 16px"}),
                dcc.Dropdown(
                    id="compare-metric",
                    options=[],
                    value=None,
                    clearable=False,
                    style={"width": "260px", "display": "inline-block", "verticalAlign": "middle"},
                ),
            ],
            style={"display": "flex", "alignItems": "center"},
        ),
        dash_table.DataTable(
            id="compare-table",
            columns=[],
            data=[],
            sort_action="native",
            filter_action="native",
            row_selectable="multi",
            selected_rows=[],
            page_size=50,
            markdown_options={"link_target": "_self"},
            style_cell={"fontFamily": "monospace", "fontSize": "12px", "padding": "4px"},
            style_data_conditional=[{"if": {"filter_query": "{status} = failed"}, "color": "#d62728"}],
        ),
        dcc.Graph(id="compare-graph", config={"displaylogo": False}),
        html.H3("Diff of two runs", style={"margin": "8px 0 4px"}),
        html.P(
            "Select two rows above, or put both run names in the URL (&a=RUN&b=RUN).",
            style={"fontSize": "12px", "color": "#555"},
        ),
        html.Div(id="compare-diff"),
    ]


def register(app: Any, source: RunSource) -> None:
    """The comparison page's callbacks."""

    @app.callback(
        Output("compare-pipeline", "options"),
        Output("compare-pipeline", "value"),
        Input("url", "pathname"),
        State("url", "search"),
    )
    def pick_pipeline(path: str | None, search: str | None) -> Any:
        if path != "/compare":
            raise PreventUpdate
        names = source.pipeline_names()
        wanted = (parse_qs((search or "").lstrip("?")).get("pipeline") or [None])[0]
        if wanted not in names:  # default: the newest parametrized pipeline, else the newest
            recent = source.page(limit=200)
            items = [r for r in recent if "[" in (r.get("item_id") or "")] or recent
            wanted = items[0]["pipeline"] if items else None
        return names, wanted

    @app.callback(
        Output("compare-table", "columns"),
        Output("compare-table", "data"),
        Output("compare-metric", "options"),
        Output("compare-metric", "value"),
        Output("compare-table", "selected_rows"),
        Input("compare-pipeline", "value"),
        State("url", "search"),
    )
    def fill(pipeline: str | None, search: str | None) -> Any:
        if not pipeline:
            raise PreventUpdate
        params, metrics, rows = grid(source, pipeline)
        # A name that is both a param and a metric is told apart, as in the results table.
        both = set(params) & set(metrics)
        param_names = [f"params.{p}" if p in both else p for p in params]
        metric_names = [f"metrics.{m}" if m in both else m for m in metrics]
        columns = (
            [
                {"name": "item", "id": "item", "presentation": "markdown"},
                {"name": "run", "id": "run"},
                {"name": "status", "id": "status"},
                {"name": "duration (s)", "id": "duration", "type": "numeric"},
            ]
            + ([{"name": "overrides", "id": "overrides"}] if any(r["overrides"] for r in rows) else [])
            + [
                {"name": ["parameters", name], "id": f"param:{p}"}
                for p, name in zip(params, param_names, strict=True)
            ]
            + [
                {"name": ["metrics", name], "id": f"metric:{m}", "type": "numeric"}
                for m, name in zip(metrics, metric_names, strict=True)
            ]
        )
        for column in columns:
            if isinstance(column["name"], str):
                column["name"] = ["run", column["name"]]
        query = parse_qs((search or "").lstrip("?"))
        chosen = [(query.get(k) or [None])[0] for k in ("a", "b")]
        selected = [i for i, r in enumerate(rows) if r["run"] in chosen]
        # Chart first the metric that tells the items apart.
        varying = [
            m
            for m in metrics
            if _numeric(rows, f"metric:{m}") and len({r.get(f"metric:{m}") for r in rows}) > 1
        ]
        metric = (varying or metrics or [None])[0]
        return columns, rows, metrics, metric, selected

    @app.callback(
        Output("compare-graph", "figure"),
        Input("compare-metric", "value"),
        Input("compare-table", "data"),
        State("compare-pipeline", "value"),
    )
    def chart(metric: str | None, rows: list[dict[str, Any]], pipeline: str | None) -> Any:
        params = [
            c[len("param:") :]
            for c in dict.fromkeys(k for r in rows or [] for k in r)
            if c.startswith("param:")
        ]
        return figure(rows or [], params, metric)

    @app.callback(
        Output("compare-diff", "children"),
        Input("compare-table", "selected_rows"),
        Input("compare-table", "data"),
        State("url", "search"),
    )
    def diff(selected: list[int] | None, rows: list[dict[str, Any]] | None, search: str | None) -> Any:
        query = parse_qs((search or "").lstrip("?"))
        names = [rows[i]["run"] for i in (selected or [])[:2] if rows and i < len(rows)]
        if len(names) < 2:
            names = [n for n in ((query.get("a") or [None])[0], (query.get("b") or [None])[0]) if n]
        if len(names) < 2:
            return "Select two runs."
        a, b = source.run(names[0]), source.run(names[1])
        if a is None or b is None:
            return f"no run named {names[0] if a is None else names[1]}"
        return _diff_view(run_diff(a, b, source.params_of([a, b])))
