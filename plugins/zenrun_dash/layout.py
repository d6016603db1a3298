"""A layered left-to-right layout computed in Python, for graphs too big for dagre in the browser.

Dagre (run by the browser) gives the nicer drawing and is used up to
``BROWSER_LAYOUT_MAX`` nodes; an expanded fan-out of thousands of steps takes
it tens of seconds, so beyond that the server places nodes itself: columns by
longest path (every edge points right), rows ordered by a few barycenter
sweeps, sizes from the labels so that no two labels overlap.
"""

from __future__ import annotations

import itertools
from typing import Any

BROWSER_LAYOUT_MAX = 250
_CHAR_W, _LINE_H, _GAP_Y, _GAP_X = 6.6, 14.0, 12.0, 40.0
_SIZES = {"step": 30, "group": 34, "artifact": 16, "artifact-group": 26}


def _box(data: dict[str, Any]) -> tuple[float, float, float]:
    """Width and height of a node with its label below it, and the node's own size."""
    lines = str(data.get("label", "")).split("\n")
    size = _SIZES.get(data.get("kind", "step"), 30)
    width = max(size, max(len(line) for line in lines) * _CHAR_W)
    return width, size + 4 + _LINE_H * len(lines), size


def _ranks(
    elements: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    """Drawable nodes, predecessors, successors and the column of each node."""
    nodes = [
        e["data"] for e in elements if "source" not in e["data"] and e["data"].get("kind") != "group-box"
    ]
    ids = {n["id"] for n in nodes}
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    # An edge to or from a big group's box stands for one to or from each of its members.
    members: dict[str, list[str]] = {}
    for n in nodes:
        if n.get("box"):
            members.setdefault(n["box"], []).append(n["id"])
    for e in elements:
        d = e["data"]
        if "source" not in d:
            continue
        for source in members.get(d["source"], [d["source"]]):
            for target in members.get(d["target"], [d["target"]]):
                if source in ids and target in ids:
                    preds[target].append(source)
                    succs[source].append(target)
    rank: dict[str, int] = {}
    indegree = {i: len(preds[i]) for i in ids}
    is_artifact = {n["id"]: n.get("kind", "").startswith("artifact") for n in nodes}
    ready = [n["id"] for n in nodes if indegree[n["id"]] == 0]
    while ready:  # topological order; a node's rank is one past its furthest predecessor
        node = ready.pop()
        rank[node] = 1 + max((rank[p] for p in preds[node]), default=-1)
        if rank[node] % 2 != is_artifact[node]:
            rank[node] += 1  # steps in even columns, artifacts in odd ones
        for s in succs[node]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    return nodes, preds, succs, rank


def split_long_edges(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Edges spanning several columns become chains through invisible bend nodes.

    The layout then reserves a free slot in each column an edge crosses (as
    dagre does internally, without telling cytoscape), so the drawn edge
    bends around the nodes in between instead of running through them.
    """
    nodes, _, _, rank = _ranks(elements)
    parents = {n["id"]: n.get("parent") for n in nodes}
    out = [e for e in elements if "source" not in e["data"]]
    for e in elements:
        d = e["data"]
        if "source" not in d:
            continue
        span = rank.get(d["target"], 0) - rank.get(d["source"], 0)
        if span <= 1:
            out.append(e)
            continue
        chain = [d["source"]] + [f"bend:{d['id']}:{k}" for k in range(1, span)] + [d["target"]]
        shared = parents[d["source"]] if parents[d["source"]] == parents[d["target"]] else None
        for bend in chain[1:-1]:
            data = {"id": bend, "kind": "bend", "label": "", "states": "", "search": ""}
            if shared:
                data["parent"] = shared
            out.append({"data": data, "classes": "bend", "selectable": False, "grabbable": False})
        for k, (a, b) in enumerate(itertools.pairwise(chain)):
            last = k == len(chain) - 2
            out.append(
                {
                    "data": {
                        "id": d["id"] if last else f"{d['id']}#{k}",
                        "source": a,
                        "target": b,
                        "edge": d["id"],
                    },
                    "classes": e.get("classes", "") + ("" if last else " hop"),
                }
            )
    return out


def layered_positions(elements: list[dict[str, Any]], sweeps: int = 4) -> dict[str, dict[str, float]]:
    """Positions (``{"x", "y"}`` by node id) of the drawable nodes of ``elements``."""
    nodes, preds, succs, rank = _ranks(elements)
    columns: dict[int, list[str]] = {}
    for n in nodes:
        columns.setdefault(rank.get(n["id"], 0), []).append(n["id"])
    order = {i: k for col in columns.values() for k, i in enumerate(col)}
    keys = sorted(columns)
    for sweep in range(sweeps):  # barycenter ordering, alternating directions
        forward = sweep % 2 == 0
        for r in keys[1:] if forward else keys[-2::-1]:
            near = preds if forward else succs
            col = columns[r]
            centre = {
                i: (sum(order[j] for j in near[i]) / len(near[i]) if near[i] else order[i]) for i in col
            }
            col.sort(key=lambda i: (centre[i], order[i]))
            for k, i in enumerate(col):
                order[i] = k
    boxes = {n["id"]: _box(n) for n in nodes}
    positions: dict[str, dict[str, float]] = {}
    x = 0.0
    for r in keys:
        col = columns[r]
        width = max(boxes[i][0] for i in col)
        top = float("-inf")  # where the next node of this column may start
        for i in col:
            # Level with its inputs when there is room (straight edges), else below the previous node.
            placed = [positions[p]["y"] for p in preds[i] if p in positions]
            wanted = sum(placed) / len(placed) - boxes[i][2] / 2 if placed else top
            y = max(wanted, top) if top != float("-inf") else (wanted if placed else 0.0)
            positions[i] = {"x": round(x + width / 2, 1), "y": round(y + boxes[i][2] / 2, 1)}
            top = y + boxes[i][1] + _GAP_Y
        x += width + _GAP_X
    return positions
