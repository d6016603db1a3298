"""The compare page's charts, drawn here as SVG: no chart library in the browser.

A ranking of the items by a metric (best first, the winner starred), and the
metric against the parameters: a scatter for one parameter, parallel
coordinates (one polyline per item) for several. Labels show numbers to 4
significant digits; every point and line has a ``<title>``, the browser's
tooltip, with the item and its values at full precision. Colours are CSS
variables (:data:`STYLE`), defined for the light and the dark theme.

The viewer shows a chart in an ``<iframe srcdoc>`` (:func:`document`, which
follows the viewer's theme); the static site (``--view-build``) inlines it.
Pure Python: no Dash, no plotly.
"""

from __future__ import annotations

import html
import math
import sys
from dataclasses import dataclass
from typing import Any

#: The charts' colours, both themes: the browser's (prefers-color-scheme) unless the
#: viewer's theme button picked one (``data-theme`` on the root element).
_LIGHT = "--zc-bg: #ffffff; --zc-fg: #1d1d1d; --zc-muted: #666666; --zc-grid: #dddddd; --zc-point: #0072b2;"
_DARK = "--zc-bg: #16181d; --zc-fg: #e6e6e6; --zc-muted: #a8a8a8; --zc-grid: #3a3e46; --zc-point: #56b4e9;"
STYLE = f"""
:root {{ {_LIGHT} --zc-best: #e69f00; }}
@media (prefers-color-scheme: dark) {{ :root:not([data-theme="light"]) {{ {_DARK} }} }}
:root[data-theme="dark"] {{ {_DARK} }}
svg.zc {{ font-family: sans-serif; font-size: 11px; max-width: 100%; height: auto; }}
svg.zc text {{ fill: var(--zc-fg); }}
svg.zc text.zc-muted {{ fill: var(--zc-muted); }}
svg.zc .zc-grid {{ stroke: var(--zc-grid); stroke-width: 1; }}
svg.zc .zc-axis {{ stroke: var(--zc-muted); stroke-width: 1; }}
svg.zc .point {{ fill: var(--zc-point); stroke: var(--zc-bg); stroke-width: 1; }}
svg.zc .best {{ fill: var(--zc-best); stroke: var(--zc-fg); stroke-width: 0.8; }}
svg.zc .line {{ fill: none; stroke-width: 1.6; stroke-opacity: 0.85; }}
svg.zc .line.best-line {{ stroke: var(--zc-best); stroke-width: 3.5; stroke-opacity: 1; }}
svg.zc g.item:hover .point, svg.zc g.item:hover .best {{ stroke: var(--zc-fg); stroke-width: 2.5; }}
svg.zc g.item:hover .line {{ stroke-width: 4; stroke-opacity: 1; }}
"""

#: Keeps a chart shown in an iframe on the viewer's theme (the iframe is of the same origin).
_FOLLOW_THEME = (
    "(function(){var r=document.documentElement;function s(){try{var t=parent.document.documentElement"
    ".dataset.theme;if(t){r.dataset.theme=t}else{delete r.dataset.theme}}catch(e){}}s();try{"
    "new MutationObserver(s).observe(parent.document.documentElement,{attributes:true,"
    'attributeFilter:["data-theme"]})}catch(e){}})();'
)

#: Viridis from a quarter to 85 %, the lines' scale in parallel coordinates (low to high
#: metric): its ends would vanish on one theme's background or the other's.
_VIRIDIS = ["#3b528b", "#21918c", "#5ec962", "#addc30"]
WIDTH = 900
#: The ranking draws at most this many items (the best ones; the table lists them all).
MAX_RANKED = 60


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its title (text), the SVG (``""`` when there is nothing to draw)
    and its height in pixels."""

    title: str
    svg: str
    height: int


def short(value: Any) -> str:
    """A value as a label: numbers to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def full(value: Any) -> str:
    """A value at full precision (a tooltip's)."""
    return repr(value) if isinstance(value, float) else "" if value is None else str(value)


def number(value: Any) -> bool:
    """A finite int or float (not a bool; an int beyond a float's range is not)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int of more than 308 digits
        return False


def document(chart: Chart) -> str:
    """A page showing ``chart`` alone, on the viewer's theme (for an iframe's ``srcdoc``)."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<style>{STYLE} html, body {{ margin: 0; background: var(--zc-bg); }}</style>"
        f"<script>{_FOLLOW_THEME}</script></head><body>{chart.svg}</body></html>"
    )


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values between ``lo`` and ``hi`` (about ``count`` of them) for an axis."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    if raw == math.inf:  # the width overflows between values near the float's limits
        raw = hi / count - lo / count
    if not 0 < raw < math.inf:  # the range of subnormal numbers
        return [lo]
    magnitude = 10.0 ** math.floor(math.log10(raw))
    if magnitude == 0:
        return [lo]
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    limit = min(hi + step * 1e-9, sys.float_info.max)  # (near the float's limit it would be inf)
    ticks: list[float] = []
    for k in range(2 * count + 2):  # about count of them, whatever the rounding of large values
        tick = first + k * step
        if not tick <= limit:
            break
        if not ticks or round(tick, 12) != ticks[-1]:
            ticks.append(round(tick, 12))
    return ticks


def _span(values: list[float]) -> tuple[float, float]:
    """An axis's range: the values' with a margin (a single value gets one around it)."""
    lo, hi = min(values), max(values)
    if hi == lo:
        pad = abs(lo) * 0.05 or 0.5
    else:
        pad = (hi / 2 - lo / 2) * 0.12  # (hi - lo) * 0.06, which may overflow
    return max(lo - pad, -sys.float_info.max), min(hi + pad, sys.float_info.max)


def _scale(lo: float, hi: float, start: float, end: float) -> Any:
    """The linear map of ``[lo, hi]`` onto ``[start, end]`` (pixels)."""
    if not hi > lo:
        return lambda v: (start + end) / 2
    if hi - lo < math.inf:
        return lambda v: start + (v - lo) / (hi - lo) * (end - start)
    half = hi / 2 - lo / 2  # the width overflows: both halved
    return lambda v: start + (v / 2 - lo / 2) / half * (end - start)


def _star(x: float, y: float, radius: float = 10) -> str:
    """A five-pointed star centred on ``(x, y)``: the best item's marker."""
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.45
        angle = math.pi / 2 + k * math.pi / 5
        points.append(f"{x + r * math.cos(angle):.1f},{y - r * math.sin(angle):.1f}")
    return f"<polygon class='best' points='{' '.join(points)}'/>"


def _colour(t: float) -> str:
    """Viridis at ``t`` in [0, 1]."""
    t = min(max(t, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    k = min(int(t), len(_VIRIDIS) - 2)
    a, b = _VIRIDIS[k], _VIRIDIS[k + 1]
    mix = [round(int(a[i : i + 2], 16) * (1 - (t - k)) + int(b[i : i + 2], 16) * (t - k)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def _svg(height: int, body: list[str], label: str) -> str:
    return (
        f"<svg class='zc' xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' role='img' aria-label='{_esc(label)}'>{''.join(body)}</svg>"
    )


def _text_width(text: str) -> float:
    return len(text) * 6.2  # 11px sans-serif, about


def ranking(rows: list[dict[str, Any]], labels: list[str], metric: str, lowest: bool = False) -> Chart:
    """``metric`` of each row (labelled ``labels``), best first as a dot per item, the winner
    starred. Rows without a finite numeric value are left out."""
    scored: list[tuple[str, Any]] = [
        (label, row.get(f"metric:{metric}")) for row, label in zip(rows, labels, strict=True)
    ]
    scored = [(label, v) for label, v in scored if number(v)]
    if not scored:
        return Chart(f"no numeric {metric} to rank", "", 0)
    scored.sort(key=lambda s: s[1], reverse=not lowest)
    title = f"{metric} per item, best first — best: {scored[0][0]} ({short(scored[0][1])})"
    drawn = scored[:MAX_RANKED]
    left = min(max(_text_width(label) for label, _ in drawn) + 16, 320)
    top, row_height, right = 28, 22, 70
    height = top + row_height * len(drawn) + (22 if len(scored) > len(drawn) else 8)
    lo, hi = _span([v for _, v in scored])
    x = _scale(lo, hi, left, WIDTH - right)
    body = []
    for tick in _ticks(lo, hi):
        body.append(
            f"<line class='zc-grid' x1='{x(tick):.1f}' x2='{x(tick):.1f}' y1='{top - 6}' "
            f"y2='{top + row_height * len(drawn)}'/>"
            f"<text class='zc-muted' x='{x(tick):.1f}' y='{top - 10}' text-anchor='middle'>{short(tick)}</text>"
        )
    for k, (label, value) in enumerate(drawn):
        y = top + row_height * k + row_height / 2
        best = k == 0
        marker = (
            _star(x(value), y)
            if best
            else f"<circle class='point' cx='{x(value):.1f}' cy='{y:.1f}' r='5.5'/>"
        )
        body.append(
            f"<g class='item{' best-item' if best else ''}' data-item='{_esc(label)}' data-value='{full(value)}'>"
            f"<title>{'best: ' if best else ''}{_esc(label)}\n{_esc(metric)} = {full(value)}</title>"
            f"<rect x='0' y='{y - row_height / 2:.1f}' width='{WIDTH}' height='{row_height}' fill='transparent'/>"
            f"<line class='zc-grid' x1='{left}' x2='{x(value):.1f}' y1='{y:.1f}' y2='{y:.1f}'/>"
            f"<text x='{left - 8}' y='{y + 4:.1f}' text-anchor='end'>{_esc(label)}</text>"
            f"{marker}"
            f"<text x='{x(value) + 12:.1f}' y='{y + 4:.1f}'>{short(value)}{' ★ best' if best else ''}</text></g>"
        )
    if len(scored) > len(drawn):
        body.append(
            f"<text class='zc-muted' x='{left}' y='{height - 6}'>… and {len(scored) - len(drawn)} more "
            f"items (the table lists them all)</text>"
        )
    return Chart(title, _svg(height, body, title), height)


def _axis_values(values: list[Any]) -> tuple[list[float], list[str] | None]:
    """Positions of ``values`` on an axis: themselves when all are numbers, else the index of
    their text among the sorted distinct texts (returned as the axis's category names)."""
    if values and all(number(v) for v in values):
        return [float(v) for v in values], None
    names = sorted({full(v) for v in values})
    return [float(names.index(full(v))) for v in values], names


def by_params(
    rows: list[dict[str, Any]], labels: list[str], params: list[str], metric: str, lowest: bool = False
) -> Chart:
    """``metric`` against the parameters: a scatter for one (or none: against the item),
    parallel coordinates for several; the best row starred."""
    kept = [
        (row, label) for row, label in zip(rows, labels, strict=True) if number(row.get(f"metric:{metric}"))
    ]
    if not kept:
        return Chart(f"no numeric {metric} to chart", "", 0)
    pick = min if lowest else max
    best = pick(range(len(kept)), key=lambda k: kept[k][0][f"metric:{metric}"])
    best_text = f" — best: {kept[best][1]} ({short(kept[best][0][f'metric:{metric}'])})"
    left_out = len(rows) - len(kept)
    note = f" ({left_out} without a numeric {metric} left out)" if left_out else ""
    if len(params) >= 2:
        title = f"{metric} by {', '.join(params)}{best_text}{note}"
        return Chart(title, _parallel(kept, params, metric, best, title), 380)
    param = params[0] if params else "item"
    title = f"{metric} by {param}{best_text}{note}"
    return Chart(title, _scatter(kept, param if params else None, metric, best, title), 360)


def _scatter(
    kept: list[tuple[dict[str, Any], str]], param: str | None, metric: str, best: int, title: str
) -> str:
    height, left, right, top = 360, 80, 30, 16
    raw = [row.get(f"param:{param}") if param else label for row, label in kept]
    xs, names = _axis_values(raw)
    ys = [float(row[f"metric:{metric}"]) for row, _ in kept]
    slanted = names is not None and (len(names) > 8 or max(map(len, names)) * len(names) * 6.2 > WIDTH - left)
    bottom = 90 if slanted else 46
    if names is None:
        xlo, xhi = _span(xs)
    else:
        xlo, xhi = -0.5, len(names) - 0.5
    ylo, yhi = _span(ys)
    x = _scale(xlo, xhi, left, WIDTH - right)
    y = _scale(ylo, yhi, height - bottom, top)
    body = []
    for tick in _ticks(ylo, yhi):
        body.append(
            f"<line class='zc-grid' x1='{left}' x2='{WIDTH - right}' y1='{y(tick):.1f}' y2='{y(tick):.1f}'/>"
            f"<text class='zc-muted' x='{left - 6}' y='{y(tick) + 4:.1f}' text-anchor='end'>{short(tick)}</text>"
        )
    xticks = (
        [(float(k), name) for k, name in enumerate(names)]
        if names
        else [(t, short(t)) for t in _ticks(xlo, xhi)]
    )
    for tick, name in xticks:
        anchor = (
            f"text-anchor='end' transform='rotate(-30 {x(tick):.1f} {height - bottom + 16})'"
            if slanted
            else "text-anchor='middle'"
        )
        body.append(
            f"<line class='zc-grid' x1='{x(tick):.1f}' x2='{x(tick):.1f}' y1='{top}' y2='{height - bottom}'/>"
            f"<text class='zc-muted' x='{x(tick):.1f}' y='{height - bottom + 16}' {anchor}>{_esc(name)}</text>"
        )
    body.append(
        f"<line class='zc-axis' x1='{left}' x2='{WIDTH - right}' y1='{height - bottom}' y2='{height - bottom}'/>"
        f"<line class='zc-axis' x1='{left}' x2='{left}' y1='{top}' y2='{height - bottom}'/>"
        f"<text x='{(left + WIDTH - right) / 2}' y='{height - 8}' text-anchor='middle'>{_esc(param or 'item')}</text>"
        f"<text x='14' y='{(top + height - bottom) / 2}' text-anchor='middle' "
        f"transform='rotate(-90 14 {(top + height - bottom) / 2})'>{_esc(metric)}</text>"
    )
    order = [k for k in range(len(kept)) if k != best] + [best]  # the winner on top
    for k in order:
        row, label = kept[k]
        px, py = x(xs[k]), y(ys[k])
        marker = (
            _star(px, py, 12) if k == best else f"<circle class='point' cx='{px:.1f}' cy='{py:.1f}' r='6'/>"
        )
        along = f"\n{_esc(param)} = {_esc(full(raw[k]))}" if param else ""
        body.append(
            f"<g class='item{' best-item' if k == best else ''}' data-item='{_esc(label)}'>"
            f"<title>{'best: ' if k == best else ''}{_esc(label)}{along}\n{_esc(metric)} = "
            f"{full(row[f'metric:{metric}'])}</title>{marker}</g>"
        )
    return _svg(height, body, title)


def _parallel(
    kept: list[tuple[dict[str, Any], str]], params: list[str], metric: str, best: int, title: str
) -> str:
    height, left, right, top, bottom = 380, 70, 90, 40, 24
    dims = [*(f"param:{p}" for p in params), f"metric:{metric}"]
    names = [*params, metric]
    gap = (WIDTH - left - right) / (len(dims) - 1)
    body = []
    axes = []  # per dimension: its positions' map to pixels and each row's position
    for d, (dim, name) in enumerate(zip(dims, names, strict=True)):
        ax = left + gap * d
        raw = [row.get(dim) for row, _ in kept]
        positions, categories = _axis_values(raw)
        if categories is None:
            lo, hi = _span(positions)
            ticks = [(t, short(t)) for t in _ticks(lo, hi, 4)]
        else:
            lo, hi = -0.5, len(categories) - 0.5
            ticks = [(float(k), c) for k, c in enumerate(categories)]
        y = _scale(lo, hi, height - bottom, top)
        axes.append((ax, y, positions))
        body.append(
            f"<line class='zc-axis' x1='{ax:.1f}' x2='{ax:.1f}' y1='{top}' y2='{height - bottom}'/>"
            f"<text x='{ax:.1f}' y='{top - 16}' text-anchor='middle' font-weight='bold'>{_esc(name)}</text>"
        )
        for tick, label in ticks:
            body.append(
                f"<line class='zc-axis' x1='{ax - 3:.1f}' x2='{ax:.1f}' y1='{y(tick):.1f}' y2='{y(tick):.1f}'/>"
                f"<text class='zc-muted' x='{ax - 5:.1f}' y='{y(tick) + 4:.1f}' text-anchor='end'>"
                f"{_esc(label)}</text>"
            )
    values = axes[-1][2]
    shade = _scale(min(values), max(values), 0.0, 1.0)  # 0.5 for all-equal values
    order = [k for k in range(len(kept)) if k != best] + [best]  # the winner on top
    for k in order:
        row, label = kept[k]
        points = " ".join(f"{ax:.1f},{y(positions[k]):.1f}" for ax, y, positions in axes)
        colour = _colour(shade(values[k]))
        lines = "".join(
            f"\n{_esc(n)} = {_esc(full(row.get(dim)))}" for dim, n in zip(dims, names, strict=True)
        )
        is_best = k == best
        ax, y, _ = axes[-1]
        body.append(
            f"<g class='item{' best-item' if is_best else ''}' data-item='{_esc(label)}'>"
            f"<title>{'best: ' if is_best else ''}{_esc(label)}{lines}</title>"
            f"<polyline class='line{' best-line' if is_best else ''}' points='{points}'"
            f"{'' if is_best else f' stroke={chr(39)}{colour}{chr(39)}'}/>"
            + (_star(ax, y(values[k]), 11) if is_best else "")
            + "</g>"
        )
    ax, y, _ = axes[-1]
    body.append(f"<text x='{ax + 14:.1f}' y='{y(values[best]) + 4:.1f}'>★ best {short(values[best])}</text>")
    return _svg(height, body, title)
