"""The Dash app: a run picker, the lineage graph, a detail panel, live refresh."""

from __future__ import annotations

import json
import threading
from typing import Any

import dash
import dash_cytoscape as cyto
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from zenrun_dash.lineage import STATE_COLOURS, ARTIFACT_COLOUR, preview, run_elements, step_details, stylesheet


class RunSource:
    """Reads runs and artifacts through the configured stores; one request at a time."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self._lock = threading.Lock()

    def run_names(self) -> list[str]:
        with self._lock:
            return [r.name for r in reversed(self.config.metadata_store.get_runs())]

    def run(self, name: str | None) -> Any:
        with self._lock:
            run = self.config.metadata_store.get_run(name or "latest")
            if run is not None:
                run.steps  # load now, under the lock
            return run

    def artifact_preview(self, run: Any, step_id: str, output: str) -> str:
        from zenrun.metadata.api import load_artifact

        ref = run.steps[step_id].outputs[output]
        with self._lock:
            try:
                value = load_artifact(ref, self.config)
            except Exception as exc:  # a missing artifact is shown, not raised
                return f"<cannot load: {exc}>"
        return preview(value)


def _legend() -> html.Div:
    items = [html.Span([html.Span(style={"display": "inline-block", "width": "12px", "height": "12px",
                                         "borderRadius": "6px", "background": colour,
                                         "marginRight": "4px"}), state],
                       style={"marginRight": "14px"}) for state, colour in STATE_COLOURS.items()]
    items.append(html.Span([html.Span(style={"display": "inline-block", "width": "12px", "height": "12px",
                                             "background": ARTIFACT_COLOUR, "marginRight": "4px"}),
                            "artifact"]))
    return html.Div(items, id="legend", style={"fontSize": "12px", "margin": "6px 0"})


def make_app(config: Any, initial_run: str | None = None, refresh_ms: int = 1000,
             slow_after: float = 5.0) -> dash.Dash:
    """Build the viewer for the store of ``config``; ``initial_run`` defaults to the newest."""
    source = RunSource(config)
    names = source.run_names()
    selected = initial_run or (names[0] if names else None)
    app = dash.Dash("zenrun_dash", title="zenrun lineage")
    app.layout = html.Div([
        html.H3("zenrun — run lineage", style={"margin": "4px 0"}),
        html.Div([
            html.Label("Run", htmlFor="run-picker", style={"marginRight": "8px"}),
            dcc.Dropdown(id="run-picker", options=names, value=selected, clearable=False,
                         style={"width": "520px", "display": "inline-block", "verticalAlign": "middle"}),
        ]),
        html.Div(id="run-summary", style={"margin": "6px 0", "fontFamily": "monospace"}),
        _legend(),
        cyto.Cytoscape(id="lineage", elements=[], stylesheet=stylesheet(),
                       layout={"name": "breadthfirst", "directed": True, "spacingFactor": 1.1},
                       style={"width": "100%", "height": "520px", "border": "1px solid #ddd"}),
        html.Pre("Click a step (circle) or an artifact (square).", id="details",
                 style={"whiteSpace": "pre-wrap", "background": "#f7f7f7", "padding": "8px"}),
        dcc.Store(id="drawn"),
        dcc.Interval(id="refresh", interval=refresh_ms),
    ], style={"fontFamily": "sans-serif", "margin": "10px"})

    @app.callback(Output("run-picker", "options"), Output("run-picker", "value"),
                  Input("refresh", "n_intervals"), State("run-picker", "value"))
    def refresh_runs(_: Any, current: str | None) -> Any:
        names = source.run_names()
        # Nothing picked yet (the store was empty): follow the newest run.
        return names, current if current is not None else (names[0] if names else None)

    @app.callback(Output("lineage", "elements"), Output("run-summary", "children"),
                  Output("drawn", "data"),
                  Input("run-picker", "value"), Input("refresh", "n_intervals"), State("drawn", "data"))
    def draw(run_name: str | None, _: Any, drawn: dict[str, Any] | None) -> Any:
        if run_name is None:
            return [], "no runs recorded yet", None
        if drawn and drawn.get("run") == run_name and drawn.get("status") != "running":
            raise PreventUpdate  # a finished run does not change
        run = source.run(run_name)
        if run is None:
            return [], f"no run named {run_name}", None
        counts: dict[str, int] = {}
        for step in run.steps.values():
            counts[step.status] = counts.get(step.status, 0) + 1
        duration = f" in {run.duration:.2f}s" if run.duration is not None else ""
        summary = (f"{run.pipeline_name}: {run.status}{duration} — "
                   + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        return (run_elements(run, slow_after=slow_after), summary,
                {"run": run_name, "status": run.status})

    @app.callback(Output("details", "children"), Input("lineage", "tapNodeData"),
                  State("run-picker", "value"))
    def details(node: dict[str, Any] | None, run_name: str | None) -> str:
        if not node:
            raise PreventUpdate
        run = source.run(run_name)
        if run is None:
            raise PreventUpdate
        if node.get("kind") == "artifact":
            info = {k: node.get(k) for k in ("step", "output", "type", "size", "digest", "materializer")}
            text = json.dumps(info, indent=2)
            return f"artifact {node['step']}.{node['output']}\n{text}\n\npreview:\n" + \
                source.artifact_preview(run, node["step"], node["output"])
        info = step_details(run, node["label"])
        traceback_text = info.pop("traceback", None)
        text = json.dumps(info, indent=2, default=str)
        return f"step {node['label']}\n{text}" + (f"\n\ntraceback:\n{traceback_text}" if traceback_text else "")

    return app
