"""``zenrun --view-build DIR``: a static, self-contained copy of the viewer for chosen runs.

Plain HTML files with inline CSS and SVG, no script and no server: they open
from ``file://`` and can be published as a CI artifact. ``index.html`` lists
the runs; each run has a lineage page (its graph laid out here, as the viewer
does for big graphs, with every step's details below it) and each pipeline a
compare page (its items' params and metrics, the objective's best row marked,
the viewer's charts of them).
Every text is escaped.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from zenrun_dash import charts
from zenrun_dash.details import formatted
from zenrun_dash.layout import layered_positions
from zenrun_dash.lineage import (
    ARTIFACT_COLOUR,
    STATE_BORDERS,
    STATE_COLOURS,
    STATE_GLYPHS,
    build_model,
    model_elements,
    step_details,
    step_text_sections,
)
from zenrun_dash.source import RunSource, item_label

STYLE = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d1d1d; --muted: #666; --panel: #f4f4f4;
  --line: #9e9e9e; --best: #fff3b0; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #16181d; --fg: #e6e6e6; --muted: #a0a0a0; --panel: #23262d; --line: #8a8f98;
    --best: #4d4300; }
}
body { background: var(--bg); color: var(--fg); font-family: sans-serif; margin: 12px; }
a { color: #56b4e9; }
table { border-collapse: collapse; }
td, th { border: 1px solid var(--line); padding: 2px 8px; text-align: left; font-size: 13px; }
tr.best { background: var(--best); font-weight: bold; }
section.step { background: var(--panel); margin: 8px 0; padding: 6px 10px; }
pre { white-space: pre-wrap; font-size: 12px; }
svg text { fill: var(--fg); font-size: 11px; font-family: sans-serif; }
.muted { color: var(--muted); }
"""
_SIZES = {"step": 15, "group": 17, "artifact": 8, "artifact-group": 13}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _svg(elements: list[dict[str, Any]]) -> str:
    """The lineage as an SVG: nodes where the layered layout puts them, edges as lines."""
    positions = layered_positions(elements)
    if not positions:
        return "<p class='muted'>no steps</p>"
    xs = [p["x"] for p in positions.values()]
    ys = [p["y"] for p in positions.values()]
    x0, y0 = min(xs) - 60, min(ys) - 30
    width, height = max(xs) - x0 + 120, max(ys) - y0 + 60
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='lineage' width='{width:.0f}' height='{height:.0f}' "
        f"viewBox='{x0:.0f} {y0:.0f} {width:.0f} {height:.0f}'>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' markerHeight='6' "
        "orient='auto-start-reverse'><path d='M0 0L10 5L0 10z' fill='#9e9e9e'/></marker></defs>",
    ]
    for e in elements:
        d = e["data"]
        if "source" in d and d["source"] in positions and d["target"] in positions:
            a, b = positions[d["source"]], positions[d["target"]]
            dash = " stroke-dasharray='5 3'" if "order" in e.get("classes", "") else ""
            parts.append(
                f"<line x1='{a['x']}' y1='{a['y']}' x2='{b['x']}' y2='{b['y']}' stroke='#9e9e9e' "
                f"stroke-width='1.5' marker-end='url(#arrow)'{dash}/>"
            )
    for e in elements:
        d = e["data"]
        if d["id"] not in positions:
            continue
        p, kind = positions[d["id"]], d.get("kind", "step")
        r = _SIZES.get(kind, 15)
        label = html.escape(str(d.get("label", "")).split("\n")[0])
        if kind.startswith("artifact"):
            shape = (
                f"<rect x='{p['x'] - r}' y='{p['y'] - r}' width='{2 * r}' height='{2 * r}' "
                f"fill='{ARTIFACT_COLOUR}' stroke='#b36200'/>"
            )
        else:
            state = d.get("state", "pending")
            style, bw, border = STATE_BORDERS[state]
            dash = {"dashed": " stroke-dasharray='6 3'", "dotted": " stroke-dasharray='2 2'"}.get(style, "")
            shape = (
                f"<circle cx='{p['x']}' cy='{p['y']}' r='{r}' fill='{STATE_COLOURS[state]}' "
                f"stroke='{border}' stroke-width='{min(bw, 4)}'{dash}/>"
                if kind == "step"
                else f"<rect x='{p['x'] - 2 * r}' y='{p['y'] - r}' width='{4 * r}' height='{2 * r}' rx='6' "
                f"fill='{STATE_COLOURS[state]}' stroke='{border}' stroke-width='{min(bw, 4)}'{dash}/>"
            )
        target = f"#{html.escape(d['id'])}" if kind == "step" else None
        node = (
            f"<g class='node {html.escape(kind)}' data-id='{html.escape(d['id'])}'>{shape}"
            f"<text x='{p['x']}' y='{p['y'] + r + 12}' text-anchor='middle'>{label}</text></g>"
        )
        parts.append(f"<a href='{target}'>{node}</a>" if target else node)
    parts.append("</svg>")
    return "".join(parts)


def _rows(info: dict[str, Any]) -> str:
    out = []
    for key, value in info.items():
        if isinstance(value, dict) and key in ("cache", "config", "metadata", "inputs", "outputs"):
            value = ", ".join(f"{k}={formatted(v)[0]}" for k, v in value.items())
        text, full = formatted(value)
        title = f" title='{html.escape(full)}'" if full else ""
        out.append(f"<tr><th>{html.escape(key)}</th><td{title}>{html.escape(text)}</td></tr>")
    return "<table>" + "".join(out) + "</table>"


def run_page(run: Any) -> str:
    """One run's lineage page: the graph (every step drawn) and each step's details."""
    model = build_model(run)
    elements = model_elements(model, expanded=model.groups)
    label = item_label({"item_id": run.item_id, "pipeline": run.pipeline_name})
    duration = f" in {run.duration:.2f}s" if run.duration is not None else ""
    body = [
        "<p><a href='index.html'>all runs</a></p>",
        f"<h1>{html.escape(label)}</h1>",
        f"<p class='summary'>{html.escape(run.name)}: {html.escape(run.status)}{html.escape(duration)}</p>",
        _svg(elements),
        "<h2>Steps</h2>",
    ]
    for step_id in model.steps:
        info = step_details(run, step_id)
        glyph = STATE_GLYPHS.get(info["state"], "")
        body.append(
            f"<section class='step' id='{html.escape('step:' + step_id)}'>"
            f"<h3>{html.escape(step_id)} {glyph} {html.escape(info['state'])}</h3>{_rows(info)}"
        )
        for title, text in step_text_sections(run.steps.get(step_id)):
            body.append(f"<h4>{html.escape(title)}</h4><pre>{html.escape(text[:20_000])}</pre>")
        body.append("</section>")
    return _page(f"{label} · {run.name}", "".join(body))


def compare_page(source: RunSource, pipeline: str) -> str:
    """A pipeline's items side by side: params, metrics, the objective's best row marked, and
    the viewer's charts (the ranking by the metric, the metric against the params)."""
    # Deferred: the compare module builds Dash components (dash is imported only when needed).
    from zenrun_dash.compare import best_row, grid, objective

    params, metrics, rows = grid(source, pipeline)
    goal = objective(source.config)
    metric = goal[0] if goal and goal[0] in metrics else next(iter(metrics), None)
    lowest = bool(goal and goal == (metric, True))
    best = best_row(rows, metric, lowest)
    head = ["item", "status", *[f"params.{p}" for p in params], *[f"metrics.{m}" for m in metrics]]
    out = [
        "<table class='compare'><thead><tr>",
        *(f"<th>{html.escape(h)}</th>" for h in head),
        "</tr></thead>",
    ]
    for row in rows:
        cls = " class='best'" if row is best else ""
        cells = [
            f"<td><a href='{html.escape(_run_file(row['run']))}'>{html.escape(row['label'])}</a>"
            + (" ★ best" if row is best else "")
            + "</td>",
            f"<td>{html.escape(str(row['status']))}</td>",
        ]
        for key in [f"param:{p}" for p in params] + [f"metric:{m}" for m in metrics]:
            text, full = formatted(row.get(key))
            title = f" title='{html.escape(full)}'" if full else ""
            cells.append(f"<td{title}>{html.escape(text)}</td>")
        out.append(f"<tr{cls} data-run='{html.escape(row['run'])}'>" + "".join(cells) + "</tr>")
    out.append("</table>")
    if metric:  # the viewer's charts, inline: the same drawing, tooltips and themes
        labels = [str(row["label"]) for row in rows]
        for chart in (
            charts.ranking(rows, labels, metric, lowest),
            charts.by_params(rows, labels, params, metric, lowest),
        ):
            out.append(f"<h3 class='chart'>{html.escape(chart.title)}</h3>{chart.svg}")
        out.append(f"<style>{charts.STYLE}</style>")
    objective_text = f"objective: {metric} ({'lowest' if lowest else 'highest'} is best)" if metric else ""
    body = (
        "<p><a href='index.html'>all runs</a></p>"
        f"<h1>compare {html.escape(pipeline)}</h1><p>{html.escape(objective_text)}</p>" + "".join(out)
    )
    return _page(f"compare {pipeline}", body)


def _run_file(name: str) -> str:
    return f"run-{_slug(name)}.html"


def selected_runs(source: RunSource, select: str | None) -> list[Any]:
    """The runs to build: those the run picker finds for ``select``, else each item's latest run."""
    if select:
        names = [row["name"] for row in source.page(select, limit=500)]
        return [run for run in (source.run(n) for n in names) if run is not None]
    runs = []
    for pipeline in source.pipeline_names():
        runs += [source.run(r.name) for r in source.latest_per_item(pipeline)]
    return [run for run in runs if run is not None]


def build(config: Any, directory: Path, select: str | None = None) -> list[Path]:
    """Write the site for ``config``'s store into ``directory``; the files written."""
    source = RunSource(config)
    runs = selected_runs(source, select)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    pipelines = sorted({run.pipeline_name for run in runs})
    for run in runs:
        path = directory / _run_file(run.name)
        path.write_text(run_page(run), encoding="utf-8", errors="backslashreplace")
        written.append(path)
    for pipeline in pipelines:
        path = directory / f"compare-{_slug(pipeline)}.html"
        path.write_text(compare_page(source, pipeline), encoding="utf-8", errors="backslashreplace")
        written.append(path)
    listing = ["<h1>zenrun runs</h1><table class='runs'><tr><th>item</th><th>status</th><th>run</th></tr>"]
    for run in runs:
        label = item_label({"item_id": run.item_id, "pipeline": run.pipeline_name})
        listing.append(
            f"<tr data-run='{html.escape(run.name)}'><td><a href='{html.escape(_run_file(run.name))}'>"
            f"{html.escape(label)}</a></td><td>{STATE_GLYPHS.get(run.status, '')} {html.escape(run.status)}</td>"
            f"<td>{html.escape(run.name)}</td></tr>"
        )
    listing.append("</table><h2>Compare</h2><ul>")
    listing += [
        f"<li><a href='compare-{html.escape(_slug(p))}.html'>{html.escape(p)}</a></li>" for p in pipelines
    ]
    listing.append("</ul>")
    index = directory / "index.html"
    index.write_text(_page("zenrun runs", "".join(listing)), encoding="utf-8", errors="backslashreplace")
    (directory / "runs.json").write_text(
        json.dumps(
            [
                {"name": r.name, "pipeline": r.pipeline_name, "item_id": r.item_id, "status": r.status}
                for r in runs
            ],
            indent=2,
        ),
        encoding="utf-8",
    )
    return [index, *written]
