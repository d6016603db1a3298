"""The sidebar tree: modules → pipelines → items (their latest run) → steps, with filters.

Filters by mark (the pipeline function's ``@zenrun.mark.NAME`` decorators,
read from its file as the code panel does), by module and by state (an item
stays when its run or one of its steps is in a chosen state; then only those
steps are listed). Bounded: at most ``MAX_ITEMS`` items and ``MAX_STEPS``
steps an item are listed, the rest counted.
"""

from __future__ import annotations

import ast
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from zenrun_dash.code import MAX_BYTES
from zenrun_dash.lineage import STATE_GLYPHS
from zenrun_dash.source import RunSource, item_label

MAX_ITEMS = 300
MAX_STEPS = 100
FRESH_FOR = 5.0


@dataclass
class Item:
    module: str
    pipeline: str
    label: str
    run: str
    status: str
    marks: list[str]
    steps: list[tuple[str, str]] = field(default_factory=list)  # (step id, state)


def pipeline_marks(root: Path, module_file: str, pipeline: str) -> list[str]:
    """``NAME`` of each ``@….mark.NAME`` decorating ``def pipeline`` in ``module_file``."""
    path = (root / module_file).resolve()
    try:
        path.relative_to(root.resolve())
        if path.suffix != ".py" or not path.is_file() or path.stat().st_size > MAX_BYTES:
            return []
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (ValueError, OSError, SyntaxError):
        return []
    marks: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == pipeline:
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Attribute)
                    and target.value.attr == "mark"
                ):
                    marks.append(target.attr)
    return marks


def items(source: RunSource, root: Path) -> list[Item]:
    """Every item's latest run, with its module, marks and steps (bounded)."""
    found: list[Item] = []
    marks_memo: dict[tuple[str, str], list[str]] = {}
    for pipeline in source.pipeline_names():
        for latest in source.latest_per_item(pipeline):
            if len(found) >= MAX_ITEMS:
                return found
            module = (latest.item_id or "").split("::", 1)[0] or "(no module)"
            function = pipeline
            key = (module, function)
            if key not in marks_memo:
                marks_memo[key] = pipeline_marks(root, module, function)
            run, model = source.model(latest.name)  # a finished run's model is read once
            if run is None or model is None:
                continue
            label = item_label({"item_id": run.item_id, "pipeline": run.pipeline_name})
            steps = [(sid, model.states[sid]) for sid in model.steps]
            found.append(Item(module, pipeline, label, run.name, run.status, marks_memo[key], steps))
    return found


def _data(**attributes: str) -> dict[str, Any]:
    """``data-*`` attributes of a component (what the tests and scripts select on)."""
    return {f"data-{name}": value for name, value in attributes.items()}


def _href(run: str, step: str | None = None) -> str:
    return "/?" + urlencode({"run": run, **({"step": step} if step else {})})


def tree(found: list[Item], marks: list[str], modules: list[str], states: list[str]) -> list[Any]:
    """The tree's components for the items passing the filters."""
    wanted_states = {s for value in states for s in value.split(",")}
    by_module: dict[str, dict[str, list[Any]]] = {}
    shown = 0
    for item in found:
        if marks and not set(marks) & set(item.marks):
            continue
        if modules and item.module not in modules:
            continue
        steps = item.steps
        if wanted_states:
            steps = [(s, st) for s, st in steps if st in wanted_states]
            if not steps and item.status not in wanted_states:
                continue
        shown += 1
        listed = [
            html.Li(
                dcc.Link(f"{STATE_GLYPHS.get(st, '')} {s}", href=_href(item.run, s), className="zr-tree-step")
            )
            for s, st in steps[:MAX_STEPS]
        ]
        if len(steps) > MAX_STEPS:
            listed.append(html.Li(f"… {len(steps) - MAX_STEPS} more steps", className="zr-muted"))
        node = html.Details(
            [
                html.Summary(
                    [
                        dcc.Link(
                            f"{STATE_GLYPHS.get(item.status, '')} {item.label}",
                            href=_href(item.run),
                            className="zr-tree-item",
                        )
                    ]
                ),
                html.Ul(listed),
            ],
            open=bool(wanted_states),
            **_data(run=item.run),
        )
        by_module.setdefault(item.module, {}).setdefault(item.pipeline, []).append(node)
    out: list[Any] = []
    for module in sorted(by_module):
        pipelines = [
            html.Details(
                [html.Summary(f"{name} ({len(nodes)})", className="zr-tree-pipeline"), *nodes], open=True
            )
            for name, nodes in sorted(by_module[module].items())
        ]
        out.append(
            html.Details(
                [html.Summary(module, className="zr-tree-module"), *pipelines],
                open=True,
                **_data(module=module),
            )
        )
    if not out:
        out.append(html.Div("no item matches the filters", className="zr-muted"))
    return out


def layout() -> html.Aside:
    drop = {"fontSize": "12px", "marginBottom": "4px"}
    return html.Aside(
        [
            html.B("Items"),
            dcc.Dropdown(id="tree-module", multi=True, placeholder="module", style=drop),
            dcc.Dropdown(id="tree-mark", multi=True, placeholder="mark", style=drop),
            dcc.Dropdown(
                id="tree-state",
                multi=True,
                placeholder="state",
                options=[
                    {"label": f"{STATE_GLYPHS[s]} {s}", "value": s}
                    for s in ("failed", "completed", "cached", "running", "skipped", "pending")
                ],
                style=drop,
            ),
            html.Div(id="tree", style={"fontSize": "12px"}),
        ],
        id="sidebar",
        style={
            "flex": "0 0 250px",
            "order": -1,
            "maxHeight": "860px",
            "overflowY": "auto",
            "padding": "6px",
            "fontSize": "12px",
        },
    )


def register(app: Any, source: RunSource, root: Path) -> None:
    """The tree's callback; the items are read again at most every ``FRESH_FOR`` seconds."""
    read: list[tuple[float, list[Item]]] = []
    lock = threading.Lock()

    def current() -> list[Item]:
        with lock:
            if not read or time.monotonic() - read[0][0] > FRESH_FOR:
                read[:] = [(time.monotonic(), items(source, root))]
            return read[0][1]

    @app.callback(
        Output("tree", "children"),
        Output("tree-module", "options"),
        Output("tree-mark", "options"),
        Input("tree-module", "value"),
        Input("tree-mark", "value"),
        Input("tree-state", "value"),
        Input("url", "pathname"),  # (a page load: the runs recorded since are listed)
        Input("graph-drawn", "data"),
    )
    def fill(
        modules: list[str] | None, marks: list[str] | None, states: list[str] | None, path: Any, drawn: Any
    ) -> Any:
        if drawn is None:
            # After the graph: the browser renders the tree (a long task with many items) only
            # once the graph is painted (``graph-drawn``, set by assets/zenrun_viewer.js).
            raise PreventUpdate
        found = current()
        module_names = sorted({i.module for i in found})
        mark_names = sorted({m for i in found for m in i.marks})
        return tree(found, marks or [], modules or [], states or []), module_names, mark_names
