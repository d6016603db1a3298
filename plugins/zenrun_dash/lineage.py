"""A recorded run as cytoscape elements: plain data, no dash import.

The viewer reads only serialized records from the metadata store, never
live objects, so it can draw runs of other processes while they run.
"""

from __future__ import annotations

import json
import time
from typing import Any

#: Colours by state; the stylesheet and the README legend use these.
STATE_COLOURS = {
    "completed": "#1f77b4",  # blue
    "cached": "#2ca02c",     # green
    "slow": "#f2c80f",       # yellow: running for longer than ``slow_after`` seconds
    "running": "#aec7e8",    # light blue: running, not slow yet
    "failed": "#d62728",     # red
    "skipped": "#9e9e9e",    # grey
}
ARTIFACT_COLOUR = "#ff9f43"


def step_node_id(step_id: str) -> str:
    return f"step:{step_id}"


def artifact_node_id(step_id: str, output: str) -> str:
    return f"artifact:{step_id}:{output}"


def step_state(step: Any, now: float | None = None, slow_after: float = 5.0) -> str:
    if step.status == "running":
        started = step.started or (now or time.time())
        return "slow" if (now or time.time()) - started > slow_after else "running"
    return step.status


def run_elements(run: Any, slow_after: float = 5.0, now: float | None = None) -> list[dict[str, Any]]:
    """Nodes (steps, artifacts) and edges (step -> artifact -> consumer) of ``run``."""
    now = now or time.time()
    elements: list[dict[str, Any]] = []
    steps = run.steps
    ordered = list(steps) + [s for s in run.graph if s not in steps]
    for step_id in ordered:
        step = steps.get(step_id)
        state = step_state(step, now, slow_after) if step else "pending"
        duration = step.duration if step else None
        elements.append({"data": {"id": step_node_id(step_id), "label": step_id, "kind": "step",
                                  "state": state,
                                  "duration": round(duration, 4) if duration is not None else None},
                         "classes": f"step {state}"})
        if step is None:
            continue
        for output, ref in step.outputs.items():
            node = artifact_node_id(step_id, output)
            elements.append({"data": {"id": node, "label": output, "kind": "artifact",
                                      "step": step_id, "output": output, "type": ref.type_name,
                                      "size": ref.size, "digest": ref.digest,
                                      "materializer": ref.materializer},
                             "classes": "artifact"})
            elements.append({"data": {"id": f"{step_node_id(step_id)}->{node}",
                                      "source": step_node_id(step_id), "target": node}})
    known = {e["data"]["id"] for e in elements}
    for step_id in ordered:
        step = steps.get(step_id)
        wired: set[str] = set()
        for sources in (step.inputs.values() if step else []):
            for source_step, source_output, _ in sources:
                node = artifact_node_id(source_step, source_output)
                if node in known and node not in wired:
                    wired.add(node)
                    elements.append({"data": {"id": f"{node}->{step_node_id(step_id)}",
                                              "source": node, "target": step_node_id(step_id)}})
        if not wired:  # not run (yet): draw the dependency from the recorded graph
            for upstream in run.graph.get(step_id, []):
                elements.append({"data": {"id": f"{step_node_id(upstream)}=>{step_node_id(step_id)}",
                                          "source": step_node_id(upstream),
                                          "target": step_node_id(step_id)}, "classes": "order"})
    return elements


def stylesheet() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"selector": "node", "style": {"label": "data(label)", "font-size": "11px",
                                       "text-valign": "bottom", "text-margin-y": "4px"}},
        {"selector": ".step", "style": {"shape": "ellipse", "width": 36, "height": 36,
                                        "background-color": "#ffffff", "border-width": 2,
                                        "border-color": "#555555"}},
        {"selector": ".artifact", "style": {"shape": "rectangle", "width": 22, "height": 22,
                                            "background-color": ARTIFACT_COLOUR}},
        {"selector": "edge", "style": {"curve-style": "bezier", "target-arrow-shape": "triangle",
                                       "width": 1.5, "line-color": "#bbbbbb",
                                       "target-arrow-color": "#bbbbbb"}},
        {"selector": ".order", "style": {"line-style": "dashed"}},
        {"selector": ":selected", "style": {"border-width": 4, "border-color": "#000000"}},
    ]
    for state, colour in STATE_COLOURS.items():
        rules.append({"selector": f".step.{state}", "style": {"background-color": colour}})
    return rules


def step_details(run: Any, step_id: str) -> dict[str, Any]:
    step = run.steps.get(step_id)
    if step is None:
        return {"step": step_id, "state": "pending"}
    return {"step": step_id, "function": step.name, "state": step_state(step),
            "duration": f"{step.duration:.3f}s" if step.duration is not None else None,
            "cache key": step.cache_key, "cache": step.cache_reason,
            "config": step.config, "outputs": list(step.outputs),
            "traceback": step.error}


def preview(value: Any, limit: int = 1500) -> str:
    """A short text preview of an artifact value."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    head = f"shape={tuple(shape)} dtype={dtype}\n" if shape is not None else ""
    try:
        text = json.dumps(value, indent=2, default=repr) if isinstance(value, (dict, list)) else repr(value)
    except Exception:  # a repr that fails must not break the viewer
        text = f"<{type(value).__name__}>"
    text = head + text
    return text if len(text) <= limit else text[:limit] + " …"
