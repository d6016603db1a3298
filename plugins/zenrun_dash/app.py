"""The Dash app: run picker, lineage graph, search and filters, details, live refresh.

The graph is laid out once per drawing (dagre, left to right) in the browser;
a live refresh sends only the nodes whose state changed (a patch applied by
``assets/zenrun_viewer.js``), so the layout, zoom, pan and selection stay.
The URL (``?run=NAME&step=ID``) names what is shown, so a view can be shared.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, TypedDict, cast
from urllib.parse import parse_qs, urlencode, urlparse

import dash
import dash_cytoscape as cyto
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from zenrun_dash import compare, compress, sidebar, studies
from zenrun_dash.checks import guard
from zenrun_dash.details import code_panel, section, step_panel, table
from zenrun_dash.layout import BROWSER_LAYOUT_MAX, layered_positions, split_long_edges
from zenrun_dash.lineage import (
    ARTIFACT_COLOUR,
    CROWD,
    STATE_BORDERS,
    STATE_COLOURS,
    STATE_GLYPHS,
    diff_elements,
    group_label,
    model_elements,
    run_record,
    step_details,
    step_node_id,
    stylesheet,
)
from zenrun_dash.preview import Previewer
from zenrun_dash.source import PAGE_SIZE, RunSource, item_label, option_label

ASSETS = Path(__file__).parent / "assets"
LAYOUT = {
    "name": "dagre",
    "rankDir": "LR",
    "nodeSep": 14,
    "rankSep": 46,
    "edgeSep": 8,
    "nodeDimensionsIncludeLabels": True,
    "fit": True,
    "padding": 24,
    "animate": False,
}
STATE_FILTER = [
    {"label": "failed", "value": "failed"},
    {"label": "ran", "value": "completed"},
    {"label": "cached", "value": "cached"},
    {"label": "running", "value": "running,slow"},
    {"label": "skipped", "value": "skipped"},
    {"label": "pruned", "value": "pruned"},
    {"label": "pending", "value": "pending"},
]
#: Live patches of one drawing remembered (what the page has after each): enough for a page
#: whose answers come several refreshes late.
PATCH_VERSIONS = 16
_BUTTON = {"marginRight": "4px", "padding": "2px 8px"}
_CODE_STYLE = {"flex": "1 1 45%", "padding": "8px", "fontSize": "12px", "minWidth": 0, "overflowX": "auto"}


class Drawn(TypedDict):
    """What ``draw`` keeps in the page (``drawn.data``) about the graph it sent."""

    run: str
    status: str
    token: str
    expanded: list[str]
    hide: bool
    split: bool


class _Node(TypedDict):
    id: str


class Tapped(_Node, total=False):
    """The data of a tapped graph node (``lineage.tapNodeData``): the fields read here.

    (Its required ``id`` comes from a base class: ``Required[...]`` is not seen in a
    string annotation before Python 3.13.)"""

    kind: str
    group: str | None
    failed: str | None


def _swatch(background: str, border: str, shape: str = "50%") -> html.Span:
    return html.Span(
        style={
            "display": "inline-block",
            "width": "16px",
            "height": "16px",
            "borderRadius": shape,
            "background": background,
            "border": border,
            "marginRight": "4px",
            "verticalAlign": "middle",
            "boxSizing": "border-box",
        }
    )


def _legend() -> html.Div:
    """Every state and edge style drawn, with its colour, border pattern and glyph."""
    items = []
    for state, colour in STATE_COLOURS.items():
        style, width, border = STATE_BORDERS[state]
        swatch = _swatch(colour, f"{min(width, 4)}px {style} {border}")
        items.append(
            html.Span(
                [swatch, f"{STATE_GLYPHS[state]} {state}"],
                className="legend-item",
                style={"marginRight": "12px"},
            )
        )
    items += [
        html.Span(
            [_swatch(ARTIFACT_COLOUR, "1px solid #b36200", "0"), "artifact"], style={"marginRight": "12px"}
        ),
        html.Span(
            [_swatch("#dddddd", "2px solid #333", "4px"), "group of steps (click: expand)"],
            style={"marginRight": "12px"},
        ),
        html.Span("⟶ data", style={"marginRight": "12px"}),
        html.Span("⇢ order (step not run yet)", style={"marginRight": "12px"}),
        html.Span([_swatch("#ffd400", "none"), "search match"], style={"marginRight": "12px"}),
    ]
    return html.Div(items, id="legend", style={"fontSize": "12px", "margin": "6px 0"})


def _straight_edges(before: dict[str, Any], elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``elements`` to follow a drawing whose long edges bent through bend nodes.

    The bend nodes go, and with them the bent edges, whose last hop has the id of
    the edge it bends: those edges come back straight under a new id (an edge's ends
    cannot change in place), so that only the change is sent.
    """
    bent = {i[len("bend:") : i.rindex(":")] for i in before if i.startswith("bend:")}
    return [
        {**e, "data": {**e["data"], "id": e["data"]["id"] + "~"}}
        if "source" in e["data"] and e["data"]["id"] in bent
        else e
        for e in elements
    ]


def _query(run: str | None, node: str | None = None) -> str:
    params: dict[str, str] = {"run": run} if run else {}
    if node:
        if node.startswith("step:"):
            params["step"] = node[len("step:") :]
        else:
            params["node"] = node
    return "?" + urlencode(params) if params else ""


def _summary(run: Any, model: Any) -> str:
    counts: dict[str, int] = {}
    for state in model.states.values():
        counts[state] = counts.get(state, 0) + 1
    duration = f" in {run.duration:.2f}s" if run.duration is not None else ""
    item = item_label({"item_id": run.item_id, "pipeline": run.pipeline_name})
    return f"{item} · {run.name}: {run.status}{duration} — " + ", ".join(
        f"{n} {s}" for s, n in sorted(counts.items())
    )


def _layout(refresh_ms: int, comparing: dict[str, dict[str, Any]] | None = None) -> html.Div:
    """The page; ``comparing``: the page was asked for at ``/compare``, whose content comes with it,
    drawn (:func:`compare.first_view`: no round trips before it shows)."""
    link = {"marginRight": "14px", "fontWeight": "bold"}
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            html.Nav(
                [
                    dcc.Link("Lineage", href="/", id="nav-lineage", style=link),
                    dcc.Link("Compare items", href="/compare", id="nav-compare", style=link),
                    html.Button(
                        "◐ theme",
                        id="theme-toggle",
                        title="switch between the light and the dark theme (default: the browser's)",
                        style={**_BUTTON, "float": "right"},
                    ),
                ],
                style={"marginBottom": "6px"},
            ),
            html.Div(
                # The graph first in the tab order, the sidebar first on the screen.
                [html.Div(_lineage_page(), style={"flex": "1 1 auto", "minWidth": 0}), sidebar.layout()],
                id="lineage-page",
                style={"display": "none"} if comparing is not None else {"display": "flex", "gap": "10px"},
            ),
            compare.layout(comparing is not None, comparing),
            dcc.Store(id="drawn"),
            dcc.Store(id="selected"),
            dcc.Store(id="patch"),
            dcc.Store(id="details-state"),
            dcc.Store(id="zoom-level"),
            dcc.Store(id="layout-noted"),
            dcc.Store(id="png-exported"),
            dcc.Store(id="place-group"),
            dcc.Store(id="group-placed"),
            dcc.Store(id="graph-drawn"),  # set once the first graph is painted (zenrun_viewer.js)
            dcc.Store(id="runs-offset", data=0),
            dcc.Download(id="download-json"),
            dcc.Interval(id="refresh", interval=refresh_ms),
        ],
        style={"fontFamily": "sans-serif", "margin": "10px"},
    )


def _lineage_page() -> list[Any]:
    return [
        html.Div(
            [
                html.Label("Run", htmlFor="run-picker", style={"marginRight": "8px"}),
                dcc.Dropdown(
                    id="run-picker",
                    options=[],
                    value=None,
                    clearable=False,
                    searchable=True,
                    placeholder="type to search runs (pipeline, item, status, name)",
                    style={"width": "640px", "display": "inline-block", "verticalAlign": "middle"},
                ),
                html.Button("‹ newer", id="runs-newer", style=_BUTTON),
                html.Button("older ›", id="runs-older", style=_BUTTON),
                html.Span(id="runs-page", style={"fontSize": "12px", "color": "#555"}),
            ],
            style={"display": "flex", "alignItems": "center", "gap": "4px"},
        ),
        html.Div(id="run-summary", style={"margin": "6px 0", "fontFamily": "monospace"}),
        html.Div(
            [
                dcc.Input(
                    id="search",
                    type="search",
                    placeholder="find a step, function or artifact",
                    debounce=False,
                    style={"width": "260px", "marginRight": "6px"},
                ),
                html.Span("show only:", style={"fontSize": "12px", "marginRight": "4px"}),
                dcc.Checklist(
                    id="state-filter",
                    options=STATE_FILTER,
                    value=[],
                    inline=True,
                    inputStyle={"marginRight": "3px"},
                    labelStyle={"marginRight": "8px"},
                    style={"display": "inline-block", "fontSize": "13px"},
                ),
                html.Span(id="search-status", style={"margin": "0 10px", "fontSize": "12px"}),
                dcc.Checklist(
                    id="hide-artifacts",
                    options=[{"label": " hide artifacts", "value": "hide"}],
                    value=[],
                    inline=True,
                    style={"display": "inline-block", "marginRight": "10px"},
                ),
                html.Button("+", id="zoom-in", title="zoom in", style=_BUTTON),
                html.Button("−", id="zoom-out", title="zoom out", style=_BUTTON),
                html.Button("fit", id="zoom-fit", title="fit the graph", style=_BUTTON),
                html.Span("export:", style={"margin": "0 4px 0 12px", "fontSize": "12px"}),
                html.Button("PNG", id="export-png", style=_BUTTON),
                html.Button("SVG", id="export-svg", style=_BUTTON),
                html.Button("JSON", id="export-json", style=_BUTTON),
            ],
            style={"display": "flex", "alignItems": "center", "flexWrap": "wrap"},
        ),
        _legend(),
        html.Div(
            [
                cyto.Cytoscape(
                    id="lineage",
                    elements=[],
                    stylesheet=stylesheet(),
                    layout={"name": "preset"},
                    autoRefreshLayout=False,
                    minZoom=0.02,
                    maxZoom=3,
                    wheelSensitivity=0.2,
                    boxSelectionEnabled=False,
                    style={"width": "100%", "height": "560px", "border": "1px solid #ddd"},
                ),
                html.Div(
                    [
                        html.Canvas(width=220, height=140),
                        html.Div(
                            className="viewport",
                            style={
                                "position": "absolute",
                                "border": "2px solid #e53935",
                                "pointerEvents": "none",
                            },
                        ),
                    ],
                    id="minimap",
                    title="overview: click to move there",
                    style={
                        "position": "absolute",
                        "right": "8px",
                        "bottom": "8px",
                        "display": "none",
                        "background": "#fff",
                        "border": "1px solid #999",
                        "cursor": "pointer",
                        "lineHeight": 0,
                    },
                ),
            ],
            style={"position": "relative"},
        ),
        html.Div(
            [
                html.Div(
                    "Click a step (circle), a group (rounded box) or an artifact (square).",
                    id="details",
                    className="zr-panel",
                    style={"flex": "1 1 55%", "padding": "8px", "fontSize": "12px", "minWidth": 0},
                ),
                html.Div(id="code-panel", className="zr-panel", style={**_CODE_STYLE, "display": "none"}),
            ],
            style={"display": "flex", "gap": "8px", "alignItems": "flex-start"},
        ),
    ]


class SentVersions:
    """What the page has of each drawing (its token): the elements drawn (version ``""``),
    and what each live patch made of them (version: the patch's ``seq``), the last
    :data:`PATCH_VERSIONS` of each, for the last 256 drawings.

    A live patch is diffed against what the page *applied*, which the page says (its
    ``patch`` store holds the last patch it got): Dash drops the answer of a refresh that the
    next refresh overtook, so the last patch sent is not always the last applied, and a diff
    against it lost the dropped patch's changes for good (a step shown running long after it
    finished, when the server answered slowly)."""

    def __init__(self) -> None:
        self._drawings: OrderedDict[str, OrderedDict[str, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, token: str, version: str, after: dict[str, Any]) -> None:
        """``after`` is what drawing ``token`` is in the page once ``version`` reached it."""
        with self._lock:
            versions = self._drawings.setdefault(token, OrderedDict())
            versions[version] = after
            self._drawings.move_to_end(token)
            while len(versions) > PATCH_VERSIONS:
                del versions[next(key for key in versions if key != "")]  # (the drawing stays)
            while len(self._drawings) > 256:
                self._drawings.popitem(last=False)

    def acknowledged(self, token: str, last_patch: Any) -> dict[str, Any] | None:
        """What the page has of drawing ``token``, given the last patch it applied (None: a
        drawing not known here)."""
        applied = ""
        if isinstance(last_patch, dict) and last_patch.get("token") == token:  # (a page's: any shape)
            seq = last_patch.get("seq")
            applied = seq if isinstance(seq, str) else ""
        with self._lock:
            versions = self._drawings.get(token)
            if versions is None:
                return None
            if applied in versions:
                return versions[applied]
            return next(reversed(versions.values()))  # (forgotten: the newest known)


def make_app(
    config: Any, initial_run: str | None = None, refresh_ms: int = 1000, slow_after: float = 5.0
) -> dash.Dash:
    """Build the viewer for the store of ``config``; ``initial_run`` is shown when the URL names none."""
    cyto.load_extra_layouts()  # dagre, served from the package like every other asset
    source = RunSource(config, slow_after=slow_after)
    previewer = Previewer(config)
    sent = SentVersions()  # what the page has of each drawing
    # The comparison page's components enter the layout when it is first shown (compare.layout).
    app = dash.Dash(
        "zenrun_dash",
        title="zenrun lineage",
        assets_folder=str(ASSETS),
        update_title=None,  # type: ignore[arg-type]  # None: no "Updating..." title (dash's docs)
        suppress_callback_exceptions=True,
    )

    def page_layout() -> html.Div:
        # Dash asks for the layout (``/_dash-layout``) from the page: its address is the referrer.
        from flask import has_request_context, request

        referrer = urlparse((request.referrer if has_request_context() else None) or "")
        first = compare.first_view(source, referrer.query) if referrer.path == "/compare" else None
        return _layout(refresh_ms, comparing=first)

    app.layout = page_layout
    guard(app)  # every callback below: a value of the wrong type is a 400, not a 500
    compress.install(app.server)

    @app.server.before_request
    def prefetch() -> None:
        # The page itself was asked for: read its run while the browser loads the scripts.
        from flask import request

        if request.path == "/":
            source.prefetch(request.args.get("run") or initial_run)

    def remember(token: str, elements: list[dict[str, Any]]) -> None:
        """Keep ``elements`` as what drawing ``token`` is in the page (as drawn)."""
        sent.keep(token, "", diff_elements({}, elements)[1])

    def picker_page(text: str | None, offset: int, current: str | None) -> tuple[list[Any], str]:
        rows = source.page(text, offset)
        options = [{"label": option_label(r), "value": r["name"]} for r in rows]
        if current and current not in {r["name"] for r in rows}:
            # The dropdown drops a value missing from its options: keep the shown run in.
            options.insert(0, {"label": current, "value": current})
        page = f"runs {offset + 1}–{offset + len(rows)}, newest first" if rows else "no runs found"
        return options, page

    @app.callback(
        Output("run-picker", "options"),
        Output("run-picker", "value"),
        Output("url", "search"),
        Output("selected", "data"),
        Output("runs-offset", "data"),
        Output("runs-page", "children"),
        Input("url", "search"),
        Input("run-picker", "value"),
        Input("lineage", "tapNodeData"),
        Input("run-picker", "search_value"),
        Input("runs-newer", "n_clicks"),
        Input("runs-older", "n_clicks"),
        State("selected", "data"),
        State("runs-offset", "data"),
        State("url", "pathname"),
    )
    def route(
        search: str | None,
        picked: str | None,
        tapped: Tapped | None,
        text: str | None,
        _newer: Any,
        _older: Any,
        selected: str | None,
        offset: int | None,
        path: str | None,
    ) -> Any:
        """The URL, the run picker (a page of runs) and the selected node, kept in step."""
        fired = [t["prop_id"] for t in ctx.triggered] if ctx.triggered_id else ["url.search"]
        # Picking a run also resets the search text: the pick wins.
        prop = "run-picker.value" if "run-picker.value" in fired else fired[0]
        unchanged = (no_update,) * 6
        offset = offset or 0
        if prop == "run-picker.value":
            if picked is None:
                raise PreventUpdate
            return no_update, no_update, _query(picked), None, no_update, no_update
        if prop == "lineage.tapNodeData":
            if not tapped or tapped.get("kind") in ("group", "group-box"):
                raise PreventUpdate  # a group expands or collapses (see draw)
            return no_update, no_update, _query(picked, tapped["id"]), tapped["id"], no_update, no_update
        if prop in ("run-picker.search_value", "runs-newer.n_clicks", "runs-older.n_clicks"):
            if prop == "runs-older.n_clicks":
                if not source.page(text, offset + PAGE_SIZE, limit=1):
                    raise PreventUpdate  # no older runs
                offset += PAGE_SIZE
            else:
                offset = max(0, offset - PAGE_SIZE) if prop == "runs-newer.n_clicks" else 0
            options, page = picker_page(text, offset, picked)
            return options, no_update, no_update, no_update, offset, page
        if path == "/compare":
            raise PreventUpdate  # the comparison page's query is not a run's
        params = parse_qs((search or "").lstrip("?"))
        run = _first(params, "run") or initial_run or source.newest()
        step = _first(params, "step")
        node = step_node_id(step) if step else _first(params, "node")
        if run == picked and node == selected:
            return unchanged
        options, page = picker_page(None, 0, run)
        return options, run, no_update, node, 0, page

    # Its own callback: a tick must not cancel a pending pick or tap in route().
    @app.callback(
        Output("run-picker", "options", allow_duplicate=True),
        Output("run-picker", "value", allow_duplicate=True),
        Output("url", "search", allow_duplicate=True),
        Output("runs-page", "children", allow_duplicate=True),
        Input("refresh", "n_intervals"),
        State("run-picker", "value"),
        prevent_initial_call=True,
    )
    def follow_newest(_: Any, picked: str | None) -> Any:
        newest = source.newest() if picked is None else None
        if newest is None:
            raise PreventUpdate  # only an empty page follows a run recorded later
        options, page = picker_page(None, 0, newest)
        return options, newest, _query(newest), page

    @app.callback(
        Output("lineage", "elements"),
        Output("lineage", "layout"),
        Output("run-summary", "children"),
        Output("drawn", "data"),
        Output("selected", "data", allow_duplicate=True),
        Output("refresh", "disabled"),
        Output("place-group", "data"),
        Output("graph-drawn", "data"),
        Input("run-picker", "value"),
        Input("hide-artifacts", "value"),
        Input("lineage", "tapNodeData"),
        State("drawn", "data"),
        State("selected", "data"),
        State("patch", "data"),
        prevent_initial_call="initial_duplicate",
    )  # an empty store says so at once
    def draw(
        run_name: str | None,
        hide: list[str] | None,
        tapped: Tapped | None,
        drawn: Drawn | None,
        selected: str | None,
        last_patch: Any = None,
    ) -> Any:
        trigger = ctx.triggered_id
        if run_name is None:
            # (The page's first call, before route() picks a run: the tree waits for the graph.)
            empty: Any = 0 if source.newest() is None else no_update
            return [], {"name": "preset"}, "no runs recorded yet", None, no_update, False, no_update, empty
        run, model = source.model(run_name)
        if run is None or model is None:
            return [], {"name": "preset"}, f"no run named {run_name}", None, no_update, False, no_update, 0
        drawn = drawn or cast(Drawn, {})
        same_run = drawn.get("run") == run_name
        expanded = list(drawn.get("expanded", [])) if same_run else []
        focus: str | None = None
        new_selected: Any = no_update
        local: dict[str, Any] | None = None  # a group expanded or collapsed: laid out in place
        if trigger == "lineage":
            if not tapped or tapped.get("kind") not in ("group", "group-box"):
                raise PreventUpdate
            group_id = tapped.get("group") if tapped.get("kind") == "group-box" else tapped["id"]
            if group_id in expanded:
                expanded.remove(group_id)
                focus = group_id
                local = {"zenrunCollapse": group_id}
            elif group_id in model.groups:
                expanded.append(group_id)
                member = tapped.get("failed") or model.groups[group_id].members[0]
                focus = step_node_id(member)
                local = {"zenrunExpand": group_id}
        elif trigger == "run-picker" or not same_run:
            if selected and selected.startswith("step:"):
                group_id = model.group_of.get(selected[len("step:") :])
                if group_id:
                    expanded.append(group_id)  # a shared link to a member shows it
                focus = selected
            else:
                failed = model.first_failed()
                if failed:
                    focus = model.group_of.get(failed) or step_node_id(failed)
                    new_selected = step_node_id(failed)
        elements = model_elements(model, expanded, hide_artifacts=bool(hide))
        token = uuid.uuid4().hex
        layout = {**LAYOUT, "zenrunFocus": focus, "zenrunNonce": token}
        place: Any = no_update
        partial = False  # only the change is sent (in ``place``), not the elements
        if local is not None:
            # Nothing drawn moves and no layout runs (a preset layout of thousands of nodes
            # takes seconds): the browser keeps every node where it is and places only the
            # group's members, or the collapsed group, at the group's place
            # (assets/zenrun_viewer.js, place). Long edges are drawn straight.
            place = {**local, **layout_marks(focus, token)}
            before = sent.acknowledged(drawn.get("token", ""), last_patch)
            if before is not None:
                if drawn.get("split"):
                    elements = _straight_edges(before, elements)
                # Only what changed goes to the browser (the group's members, or the group):
                # it adds them, placed, to the elements it has (``placeElements``), so the
                # graph component neither receives nor compares the whole list again.
                change, _ = diff_elements(before, elements)
                place.update(change)
                partial = True
        elif sum("source" not in e["data"] for e in elements) <= BROWSER_LAYOUT_MAX and not any(
            len(model.groups[g].members) > CROWD for g in expanded if g in model.groups
        ):  # (dagre would not see a big group's members through their box's edges)
            elements = split_long_edges(elements)
        else:
            positions = layered_positions(elements)
            for element in elements:
                if element["data"]["id"] in positions:
                    element["position"] = positions[element["data"]["id"]]
                elif "source" in element["data"]:
                    element["classes"] += " taxi"
            layout = {"name": "preset", "fit": True, "padding": 24, **layout_marks(focus, token)}
        remember(token, elements)
        state = {
            "run": run_name,
            "status": run.status,
            "token": token,
            "expanded": expanded,
            "hide": bool(hide),
            # bend nodes: a refresh draws them too
            "split": local is None and any(e["data"].get("kind") == "bend" for e in elements),
        }
        sent_layout: Any = no_update if local is not None else layout
        return (
            no_update if partial else elements,
            sent_layout,
            _summary(run, model),
            state,
            new_selected,
            run.status != "running",
            place,
            no_update,
        )

    @app.callback(
        Output("patch", "data"),
        Output("run-summary", "children", allow_duplicate=True),
        Output("drawn", "data", allow_duplicate=True),
        Output("refresh", "disabled", allow_duplicate=True),
        Output("run-picker", "options", allow_duplicate=True),
        Input("refresh", "n_intervals"),
        State("drawn", "data"),
        State("run-picker", "search_value"),
        State("runs-offset", "data"),
        State("run-picker", "value"),
        State("patch", "data"),
        prevent_initial_call=True,
    )
    def refresh(
        _: Any,
        drawn: Drawn | None,
        text: str | None,
        offset: int | None,
        picked: str | None,
        last_patch: Any = None,
    ) -> Any:
        if not drawn or drawn.get("status") != "running":
            raise PreventUpdate
        run, model = source.model(drawn["run"])
        if run is None or model is None:
            raise PreventUpdate
        elements = model_elements(model, drawn["expanded"], drawn["hide"])
        if drawn.get("split"):
            elements = split_long_edges(elements)
        before = sent.acknowledged(drawn["token"], last_patch) or {}
        patch, after = diff_elements(before, elements)
        changed = any(patch.values())
        if not changed and run.status == drawn["status"]:
            raise PreventUpdate  # nothing to send
        patch["seq"], patch["token"] = uuid.uuid4().hex, drawn["token"]
        sent.keep(drawn["token"], patch["seq"], after)
        status_changed = run.status != drawn["status"]
        return (
            patch if changed else no_update,
            _summary(run, model),
            {**drawn, "status": run.status} if status_changed else no_update,
            run.status != "running",
            # The picker's label of the run says how it ended, not "running".
            picker_page(text, offset or 0, picked)[0] if status_changed else no_update,
        )

    def describe(node: str | None, run_name: str | None) -> tuple[Any, dict[str, Any] | None]:
        """The detail panel for ``node`` and what it showed (node and state)."""
        if not node:
            return "Click a step (circle), a group (rounded box) or an artifact (square).", None
        run, model = source.model(run_name)
        if run is None or model is None:
            raise PreventUpdate
        if node.startswith("artifact:"):
            return _artifact_details(run, model, node, previewer), None
        if node.startswith("group:") and node in model.groups:
            group = model.groups[node]
            return (
                f"group {group.name}\n{group_label(group, group.counts(model.states))}\n\n"
                + "\n".join(f"{model.states[m]:>10}  {m}" for m in group.members[:200])
            ), None
        step_id = node[len("step:") :]
        info = step_details(run, step_id, slow_after=source.slow_after)
        return step_panel(run, step_id, info, previewer), {"node": node, "state": info["state"]}

    @app.callback(
        Output("details", "children"),
        Output("details-state", "data"),
        Input("selected", "data"),
        State("run-picker", "value"),
    )
    def details(node: str | None, run_name: str | None) -> Any:
        return describe(node, run_name)

    @app.callback(
        Output("code-panel", "children"),
        Output("code-panel", "style"),
        Input("selected", "data"),
        State("run-picker", "value"),
    )
    def code(node: str | None, run_name: str | None) -> Any:
        if not node or not node.startswith("step:"):
            return [], {**_CODE_STYLE, "display": "none"}
        run = source.run(run_name)
        if run is None:
            raise PreventUpdate
        return code_panel(run, node[len("step:") :], Path(str(config.rootpath))), _CODE_STYLE

    # A separate callback: a tick must not cancel a selection's pending request.
    @app.callback(
        Output("details", "children", allow_duplicate=True),
        Output("details-state", "data", allow_duplicate=True),
        Input("refresh", "n_intervals"),
        State("selected", "data"),
        State("run-picker", "value"),
        State("details-state", "data"),
        prevent_initial_call=True,
    )
    def details_refresh(_: Any, node: str | None, run_name: str | None, shown: dict[str, Any] | None) -> Any:
        live = ("running", "slow", "pending")
        if not node or not shown or shown.get("node") != node or shown.get("state") not in live:
            raise PreventUpdate  # only a running step's details change (and once when it ends)
        return describe(node, run_name)

    @app.callback(
        Output("lineage", "generateImage"),
        Input("export-svg", "n_clicks"),
        State("run-picker", "value"),
        prevent_initial_call=True,
    )
    def export_svg(_svg: Any, run_name: str | None) -> Any:
        options = {"full": True, "bg": "#ffffff"}
        return {"type": "svg", "action": "download", "filename": run_name or "lineage", "options": options}

    @app.callback(
        Output("download-json", "data"),
        Input("export-json", "n_clicks"),
        State("run-picker", "value"),
        prevent_initial_call=True,
    )
    def export_json(_: Any, run_name: str | None) -> Any:
        run = source.run(run_name)
        if run is None:
            raise PreventUpdate
        return {
            "content": json.dumps(run_record(run), indent=2, default=str),
            "filename": f"{run.name}.json",
            "type": "application/json",
            "base64": False,
        }

    @app.callback(
        Output("lineage-page", "style"),
        Output("compare-page", "style"),
        Output("compare-page", "children"),
        Input("url", "pathname"),
        State("compare-page", "children"),
        State("url", "search"),
    )
    def page(path: str | None, shown: Any, search: str | None) -> Any:
        comparing = path == "/compare"
        children = (
            compare.page_children(compare.first_view(source, search))
            if comparing and not shown
            else no_update
        )
        return (
            {"display": "none"} if comparing else {"display": "flex", "gap": "10px"},
            {"display": "block" if comparing else "none"},
            children,
        )

    compare.register(app, source)
    sidebar.register(app, source, Path(str(config.rootpath)))
    studies.register(app, source)
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "noteLayout"),
        Output("layout-noted", "data"),
        Input("lineage", "layout"),
    )
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "placeElements"),
        Output("lineage", "elements", allow_duplicate=True),
        Input("place-group", "data"),
        State("lineage", "elements"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "place"),
        Output("group-placed", "data"),
        Input("place-group", "data"),
        prevent_initial_call=True,
    )
    # PNG in the browser: its scale depends on the drawn graph's size (see exportPng).
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "exportPng"),
        Output("png-exported", "data"),
        Input("export-png", "n_clicks"),
        State("run-picker", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "patch"),
        Output("lineage", "elements", allow_duplicate=True),
        Input("patch", "data"),
        State("lineage", "elements"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "search"),
        Output("search-status", "children"),
        Input("search", "value"),
        Input("state-filter", "value"),
    )
    app.clientside_callback(
        dash.ClientsideFunction("zenrun", "zoom"),
        Output("zoom-level", "data"),
        Input("zoom-in", "n_clicks"),
        Input("zoom-out", "n_clicks"),
        Input("zoom-fit", "n_clicks"),
        prevent_initial_call=True,
    )
    return app


def _artifact_details(run: Any, model: Any, node: str, previewer: Previewer) -> Any:
    _, step_id, output = node.split(":", 2)
    if step_id in model.groups:
        group = model.groups[step_id]
        return (
            f"artifacts {output} of group {group.name} ({len(group.members)} steps): "
            "expand the group to inspect one"
        )
    step = run.steps.get(step_id)
    ref = step.outputs.get(output) if step else None
    if ref is None:
        return f"artifact {step_id}.{output}: not recorded"
    consumers = [c for c, sources in model.inputs.items() if (step_id, output) in sources]
    info = {
        "artifact": f"{step_id}.{output}",
        "type": ref.type_name,
        "materializer": ref.materializer,
        "size": f"{ref.size:,} bytes",
        "digest": ref.digest,
        "location": previewer.location(ref),
        "produced by": step_id,
        "consumed by": consumers,
    }
    rows = [(k, ", ".join(v) if isinstance(v, list) else v) for k, v in info.items() if k != "artifact"]
    return [
        html.B(f"artifact {step_id}.{output}"),
        section("Artifact", table(rows, copy={"location", "digest"}), name="artifact"),
        section("Preview", html.Pre(previewer.preview(ref), className="zr-pre"), name="preview"),
        html.Details(
            [html.Summary("raw JSON"), html.Pre(json.dumps(info, indent=2), className="zr-raw")],
            style={"marginTop": "6px"},
        ),
    ]


def layout_marks(focus: str | None, token: str) -> dict[str, Any]:
    """What the browser reads from a layout's options when it stops: the node to focus and
    the drawing's token (see ``afterLayout`` in assets/zenrun_viewer.js)."""
    return {"zenrunFocus": focus, "zenrunNonce": token}


def _first(query: dict[str, list[str]], key: str) -> str | None:
    """The first value of ``key`` in a parsed query string, or None."""
    values = query.get(key)
    return values[0] if values else None
