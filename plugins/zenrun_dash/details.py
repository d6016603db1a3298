"""The detail panel of a step and the code panel, as readable sections (Dash components).

Sections: status (duration, cache decision and key), the call with its
literal arguments, config, inputs and outputs, data read, logged metadata,
captured output and the traceback; the raw JSON is one click away (a
``<details>`` element). Values are formatted (numbers to 4 significant
digits, the full value in the cell's title); the cache key and paths have
copy buttons. Every value is a text node: Dash escapes it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from dash import dcc, html

from zenrun_dash.code import call_text, qualified_name, step_source
from zenrun_dash.lineage import STATE_GLYPHS, step_text_sections

_SECTION = {"margin": "6px 0", "padding": "4px 6px", "borderLeft": "3px solid var(--zr-accent, #0072b2)"}
_KEY = {"fontWeight": "bold", "paddingRight": "10px", "verticalAlign": "top", "whiteSpace": "nowrap"}
_TEXT_LIMIT = 2_000


def formatted(value: Any) -> tuple[str, str | None]:
    """The shown text of a value and its full form (a title) when the text shortens it."""
    if isinstance(value, float):
        return f"{value:.4g}", repr(value)
    if value is None:
        return "—", None
    if isinstance(value, (str, int, bool)):
        text = str(value)
    else:
        text = json.dumps(value, default=str, sort_keys=False)
    if len(text) > _TEXT_LIMIT:
        return text[: _TEXT_LIMIT - 1] + "…", None
    return text, None


def _copy(content: str, what: str) -> dcc.Clipboard:
    return dcc.Clipboard(
        content=content,
        title=f"copy {what}",
        className="zr-copy",
        style={"display": "inline-block", "marginLeft": "6px", "cursor": "pointer", "fontSize": "13px"},
    )


def table(rows: list[tuple[str, Any]], copy: Collection[str] = ()) -> html.Table:
    body = []
    for key, value in rows:
        text, full = formatted(value)
        cell: list[Any] = [html.Span(text, title=full)] if full else [text]
        if key in copy and value:
            cell.append(_copy(str(value), key))
        body.append(html.Tr([html.Td(key, style=_KEY), html.Td(cell, className="zr-value")]))
    return html.Table(html.Tbody(body), style={"borderCollapse": "collapse"})


def section(title: str, *children: Any, name: str) -> html.Section:
    return html.Section(
        [html.H4(title, style={"margin": "2px 0"}), *children],
        className=f"zr-section zr-{name}",
        style=_SECTION,
    )


def step_panel(run: Any, step_id: str, info: dict[str, Any], previewer: Any) -> list[Any]:
    """The readable panel of step ``step_id`` of ``run`` (``info``: :func:`lineage.step_details`)."""
    step = run.steps.get(step_id)
    state = info["state"]
    head = html.Div(
        [html.B(f"step {step_id}"), f"  {STATE_GLYPHS.get(state, '')} {state}"],
        className="zr-title",
        style={"fontSize": "14px"},
    )
    blocks: list[Any] = [head]
    if step is None:
        blocks.append(
            section(
                "Status",
                table([("state", state), ("runs after", ", ".join(info["upstream"]))]),
                name="status",
            )
        )
    else:
        cache = info["cache"]
        blocks.append(
            section(
                "Status",
                table(
                    [
                        ("function", step.name),
                        ("started", info["started"]),
                        ("duration", info["duration"]),
                        ("cache", cache["decision"]),
                        ("reason", cache["reason"]),
                        ("cache key", cache["key"]),
                    ],
                    copy={"cache key"},
                ),
                name="status",
            )
        )
        blocks.append(
            section("Call", html.Code(call_text(step), className="zr-call"), name="call"),
        )
        if step.config:
            blocks.append(section("Config", table(list(step.config.items())), name="config"))
        inputs = [(name, ", ".join(f"{s}.{o}" for s, o, _ in srcs)) for name, srcs in step.inputs.items()]
        outputs = []
        for name, ref in step.outputs.items():
            where = previewer.location(ref)
            outputs.append(
                html.Tr(
                    [
                        html.Td(name, style=_KEY),
                        html.Td(
                            [
                                f"{ref.type_name}  {ref.size:,} bytes  ",
                                html.Code(where),
                                _copy(where, "path"),
                            ],
                            className="zr-value",
                        ),
                    ]
                )
            )
        io: list[Any] = []
        if inputs:
            io += [html.Div("inputs", style={"fontStyle": "italic"}), table(inputs)]
        if outputs:
            io += [
                html.Div("outputs", style={"fontStyle": "italic"}),
                html.Table(html.Tbody(outputs), style={"borderCollapse": "collapse"}),
            ]
        if io:
            blocks.append(section("Inputs and outputs", *io, name="io"))
        deps = step.data_deps
        if deps:
            items = [
                html.Li([line, _copy(str(dep.get("path")), "path")])
                for dep, line in zip(deps, info["data read"], strict=True)
            ]
            blocks.append(section("Data dependencies", html.Ul(items, style={"margin": 0}), name="data"))
        if info.get("metadata"):
            blocks.append(section("Metadata", table(list(info["metadata"].items())), name="metadata"))
        for title, text in step_text_sections(step):
            blocks.append(
                section(title.capitalize(), html.Pre(text, className="zr-pre"), name=title.split()[-1])
            )
    blocks.append(
        html.Details(
            [
                html.Summary("raw JSON", className="zr-raw-toggle"),
                html.Pre(json.dumps(info, indent=2, default=str), className="zr-raw"),
            ],
            style={"marginTop": "6px"},
        )
    )
    return blocks


def code_panel(run: Any, step_id: str, root: Path) -> list[Any]:
    """The step's source (file, line, text) and the call it was recorded with."""
    step = run.steps.get(step_id)
    if step is None:
        return [html.B(f"step {step_id}"), html.Div("not run: no recorded call", className="zr-muted")]
    found = step_source(root, qualified_name(step))
    item_file = (run.item_id or "").split("::", 1)[0]
    if found is None and item_file.endswith(".py"):  # not run: no key parts; look in the item's file
        found = step_source(root, item_file[: -len(".py")].replace("/", ".") + "." + step.name)
    call = html.Pre(call_text(step), className="zr-call")
    if found is None:
        where = qualified_name(step) or step.name
        return [
            html.B("code"),
            call,
            html.Div(f"{where}: source file not found under {root}", className="zr-muted"),
        ]
    return [
        html.Div(
            [
                html.B("code  "),
                html.Code(f"{found.file}:{found.line}", className="zr-where"),
                _copy(f"{found.file}:{found.line}", "file and line"),
            ]
        ),
        call,
        html.Pre(
            [html.Span(f"{found.line + k:>4}  {line}\n") for k, line in enumerate(found.text.splitlines())],
            className="zr-source",
        ),
    ]
