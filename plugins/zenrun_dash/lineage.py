"""A recorded run as cytoscape elements: plain data, no dash import.

The viewer reads only serialized records from the metadata store, never
live objects, so it can draw runs of other processes while they run.

:func:`build_model` turns a run into steps, artifacts, layers and fan-out
groups; :func:`model_elements` draws a model with some groups expanded (or
artifacts hidden); :func:`diff_elements` is what a live refresh sends.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Colours by state; the stylesheet and the legend use these. Okabe and Ito's palette,
#: told apart under the common colour-vision deficiencies (failed, vermillion, and cached,
#: bluish green, stay far apart under deuteranopia); each state also has a glyph.
STATE_COLOURS = {
    "completed": "#0072b2",  # blue
    "cached": "#009e73",  # bluish green
    "running": "#56b4e9",  # sky blue: running, not slow yet
    "slow": "#f0e442",  # yellow: running for longer than ``slow_after`` seconds
    "failed": "#d55e00",  # vermillion
    "skipped": "#bbbbbb",  # grey
    "pending": "#ffffff",  # white: not started yet
    "pruned": "#cc79a7",  # reddish purple: a trial its study's pruner stopped
}
#: What tells states apart without colour: a glyph in the label and a border pattern.
STATE_GLYPHS = {
    "completed": "✓",
    "cached": "↺",
    "running": "▶",
    "slow": "◔",
    "failed": "✗",
    "skipped": "⊘",
    "pending": "…",
    "pruned": "✂",
}
STATE_BORDERS = {  # (style, width, colour)
    "completed": ("solid", 2, "#333333"),
    "cached": ("double", 7, "#1b5e20"),
    "running": ("solid", 4, "#0d47a1"),
    "slow": ("solid", 5, "#7a5c00"),
    "failed": ("dashed", 5, "#000000"),
    "skipped": ("dotted", 3, "#424242"),
    "pending": ("dotted", 2, "#777777"),
    "pruned": ("dashed", 3, "#5b2245"),
}
#: Each state's glyph drawn inside its node as an SVG shape: it scales with the node, so
#: the state reads without colour at every zoom (labels vanish when zoomed out).
_ICON_SHAPES = {
    "completed": '<path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="#fff" stroke-width="3.2"/>',
    "cached": '<path d="M17.5 8A7 7 0 1 0 19 13" fill="none" stroke="#fff" stroke-width="2.8"/>'
    '<path d="M19.5 3.5v6h-6z" fill="#fff"/>',
    "running": '<path d="M8 5.5v13l11-6.5z" fill="#fff"/>',
    "slow": '<circle cx="12" cy="12" r="7.5" fill="none" stroke="#333" stroke-width="2.2"/>'
    '<path d="M12 12V4.5A7.5 7.5 0 0 1 19.5 12z" fill="#333"/>',
    "failed": '<path d="M6 6l12 12M18 6L6 18" stroke="#fff" stroke-width="3.4"/>',
    "skipped": '<circle cx="12" cy="12" r="7" fill="none" stroke="#333" stroke-width="2.2"/>'
    '<path d="M7 17L17 7" stroke="#333" stroke-width="2.2"/>',
    "pending": '<g fill="#555"><circle cx="6" cy="12" r="1.8"/><circle cx="12" cy="12" r="1.8"/>'
    '<circle cx="18" cy="12" r="1.8"/></g>',
    "pruned": '<path d="M4 12h16" stroke="#fff" stroke-width="3.2"/>'
    '<path d="M16 7l4 5-4 5" fill="none" stroke="#fff" stroke-width="2.6"/>',
}


def state_icon(state: str) -> str:
    """The data URI of ``state``'s glyph, an SVG drawn inside step and group nodes."""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">{_ICON_SHAPES[state]}</svg>'
    return "data:image/svg+xml;utf8," + urllib.parse.quote(svg)


ARTIFACT_COLOUR = "#ff9f43"
DEFAULT_OUTPUT = "output"  # the name of a step's single, unnamed output
#: An expanded group of more members than this draws its steps without their outputs
#: (listed in each step's details), their edges to the rest of the graph as one edge
#: from or to the group's box: a third of the elements, drawn in a fraction of the time.
CROWD = 200
#: A fan-out of more members than this is drawn as one group node.
GROUP_MIN = 12
#: Severity when one state stands for many (a group): the first present wins.
_GROUP_PRECEDENCE = ("failed", "slow", "running", "pending", "pruned", "completed", "cached", "skipped")

_SUFFIX = re.compile(r"^(.*?[A-Za-z_.\-\]\[=])[_\-.]?\d+$")


def step_node_id(step_id: str) -> str:
    return f"step:{step_id}"


def artifact_node_id(step_id: str, output: str) -> str:
    return f"artifact:{step_id}:{output}"


def step_state(step: Any, now: float | None = None, slow_after: float = 5.0) -> str:
    """The drawn state of a step record: its status, with ``running`` split by age."""
    if step is None:
        return "pending"
    if step.status == "running":
        now = now or time.time()
        started = step.started or now
        return "slow" if now - started > slow_after else "running"
    return step.status


def group_prefix(step_id: str) -> str:
    """``work_12`` and ``work-3`` -> ``work``; ids without a number are their own prefix."""
    match = _SUFFIX.match(step_id)
    return match.group(1).rstrip("_-.") if match else step_id


@dataclass
class Group:
    """A fan-out drawn as one node: members share a prefix (or a gather) and a layer."""

    id: str
    name: str
    members: list[str]

    def counts(self, states: dict[str, str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for member in self.members:
            counts[states[member]] = counts.get(states[member], 0) + 1
        return counts


@dataclass
class RunModel:
    """What the viewer draws of a run, independent of what is expanded."""

    run_name: str
    status: str
    steps: list[str]  # recorded steps, then pending ones
    functions: dict[str, str]  # step id -> function name
    states: dict[str, str]  # step id -> drawn state
    outputs: dict[str, list[str]]  # step id -> output names (recorded steps)
    artifact_types: dict[tuple[str, str], str]
    inputs: dict[str, list[tuple[str, str]]]  # consumer -> [(producer, output)]
    order: dict[str, list[str]]  # step -> upstream steps (steps without recorded inputs)
    layers: dict[str, int]
    groups: dict[str, Group] = field(default_factory=dict)
    group_of: dict[str, str] = field(default_factory=dict)

    def first_failed(self) -> str | None:
        return next((s for s in self.steps if self.states[s] == "failed"), None)


def _layers(steps: list[str], upstream: dict[str, set[str]]) -> dict[str, int]:
    """Longest-path layer of each step: every dependency sits in an earlier layer."""
    layers: dict[str, int] = {}
    for root in steps:
        if root in layers:
            continue
        stack = [(root, False)]
        while stack:  # iterative: a 5,000-step chain must not hit the recursion limit
            node, ready = stack.pop()
            if node in layers:
                continue
            parents = [p for p in upstream.get(node, ()) if p in upstream]
            if ready:
                layers[node] = 1 + max((layers.get(p, 0) for p in parents), default=-1)
                continue
            stack.append((node, True))
            stack.extend((p, False) for p in parents if p not in layers)
    return layers


def build_model(run: Any, slow_after: float = 5.0, now: float | None = None) -> RunModel:
    """Steps, artifacts, layers and fan-out groups of ``run`` (a :class:`PipelineRun`)."""
    now = now or time.time()
    records = run.steps
    graph = run.graph or {}
    steps = list(records) + [s for s in graph if s not in records]
    functions, states, outputs, types, inputs, order = {}, {}, {}, {}, {}, {}
    upstream: dict[str, set[str]] = {}
    for step_id in steps:
        record = records.get(step_id)
        functions[step_id] = record.name if record else step_id
        states[step_id] = step_state(record, now, slow_after)
        ups = upstream.setdefault(step_id, set())
        if record is not None:
            outputs[step_id] = list(record.outputs)
            for output, ref in record.outputs.items():
                types[(step_id, output)] = ref.type_name
            wired = list(
                dict.fromkeys(
                    (source_step, source_output)  # a gather has thousands
                    for sources in record.inputs.values()
                    for source_step, source_output, _ in sources
                )
            )
            ups.update(source_step for source_step, _ in wired)
            if wired:
                inputs[step_id] = wired
                continue
        # Not run (yet): draw the dependency from the recorded graph.
        order[step_id] = [u for u in graph.get(step_id, []) if u != step_id]
        ups.update(order[step_id])
    for step_id in steps:  # inputs from steps missing in the records and the graph
        for up in list(upstream[step_id]):
            upstream.setdefault(up, set())
    layers = _layers(steps, upstream)
    model = RunModel(run.name, run.status, steps, functions, states, outputs, types, inputs, order, layers)
    _find_groups(model)
    return model


def _find_groups(model: RunModel) -> None:
    """Fan-outs of more than ``GROUP_MIN`` steps: same prefix and layer, or one gather's inputs."""
    buckets: dict[tuple[str, int], list[str]] = {}
    for step_id in model.steps:
        buckets.setdefault((group_prefix(step_id), model.layers[step_id]), []).append(step_id)
    by_prefix: dict[str, int] = {}
    for prefix, _ in buckets:
        by_prefix[prefix] = by_prefix.get(prefix, 0) + 1
    for (prefix, layer), members in buckets.items():
        if len(members) > GROUP_MIN:
            name = prefix if by_prefix[prefix] == 1 else f"{prefix}@{layer}"
            _add_group(model, Group(f"group:{name}", name, members))
    for consumer, sources in model.inputs.items():
        producers = list(dict.fromkeys(p for p, _ in sources if p not in model.group_of))
        by_layer: dict[int, list[str]] = {}
        for producer in producers:
            if producer in model.layers:
                by_layer.setdefault(model.layers[producer], []).append(producer)
        for layer, members in by_layer.items():
            if len(members) > GROUP_MIN:
                name = f"inputs of {consumer}" + (f"@{layer}" if len(by_layer) > 1 else "")
                _add_group(model, Group(f"group:{name}", name, members))


def _add_group(model: RunModel, group: Group) -> None:
    model.groups[group.id] = group
    for member in group.members:
        model.group_of[member] = group.id


def group_state(counts: dict[str, int]) -> str:
    present = [s for s in _GROUP_PRECEDENCE if counts.get(s)]
    if not present:
        return "pending"
    if present[0] in ("completed", "cached") and "completed" in present:
        return "completed"  # some ran, some were cached: it ran
    return present[0]


def group_label(group: Group, counts: dict[str, int]) -> str:
    parts = [f"{counts[s]} {s}" for s in _GROUP_PRECEDENCE if counts.get(s)]
    return f"{group.name} ×{len(group.members)}\n" + ", ".join(parts)


def _artifact_labels(model: RunModel, visible: dict[str, str]) -> dict[tuple[str, str], str]:
    """Output names; ``producer.output`` where several drawn artifacts share a name
    and for a single unnamed output."""
    seen: dict[str, int] = {}
    drawn = {(visible[s], o) for s in model.outputs for o in model.outputs[s]}
    for _, output in drawn:
        seen[output] = seen.get(output, 0) + 1
    labels = {}
    for node, output in drawn:
        producer = model.groups[node].name if node in model.groups else node
        named = seen[output] == 1 and output != DEFAULT_OUTPUT
        labels[(node, output)] = output if named else f"{producer}.{output}"
    return labels


def model_elements(
    model: RunModel, expanded: Iterable[str] = (), hide_artifacts: bool = False, crowd: int = CROWD
) -> list[dict[str, Any]]:
    """Nodes and edges of ``model``, groups not in ``expanded`` drawn collapsed.

    The members of an expanded group of more than ``crowd`` steps are drawn without
    their outputs; what they read and what reads them is linked to the group's box,
    once, not to each member (edges between members are drawn straight: class ``crowd``).
    """
    expanded = set(expanded)
    crowded = {
        m
        for g in expanded
        if g in model.groups and len(model.groups[g].members) > crowd
        for m in model.groups[g].members
    }
    crowd_box = {step_node_id(m): f"box:{model.group_of[m]}" for m in crowded}
    visible = {
        s: (model.group_of[s] if model.group_of.get(s) and model.group_of[s] not in expanded else s)
        for s in model.steps
    }
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}

    def node_id(step_or_group: str) -> str:
        return step_or_group if step_or_group in model.groups else step_node_id(step_or_group)

    def edge(source: str, target: str, kind: str = "data") -> None:
        if source != target:
            key = f"{source}->{target}"
            if source in crowd_box and target in crowd_box:
                kind += " crowd"
            elif source in crowd_box or target in crowd_box:
                # to or from the group's box, once, for all its members
                source, target = crowd_box.get(source, source), crowd_box.get(target, target)
                key = f"{source}->{target}"
            edges.setdefault(key, {"data": {"id": key, "source": source, "target": target}, "classes": kind})

    for group_id in model.groups:
        if group_id in expanded:
            group = model.groups[group_id]
            counts = group.counts(model.states)
            nodes[f"box:{group_id}"] = {
                "data": {
                    "id": f"box:{group_id}",
                    "kind": "group-box",
                    "group": group_id,
                    "label": group_label(group, counts).replace("\n", ": ")
                    + ("  (outputs: in each step's details)" if len(group.members) > crowd else "")
                    + "  (click here to collapse)",
                    "states": "",
                    "search": "",
                    # Sized around its members in the browser once they are placed: a plain
                    # node drawn under them, not a compound parent, whose bounds Cytoscape
                    # would recompute on every change of a thousand members.
                    "w": 1,
                    "h": 1,
                },
                "classes": "group-box",
                "grabbable": False,
            }
    for step_id in model.steps:
        shown = visible[step_id]
        if shown in model.groups:
            if shown not in nodes:
                group = model.groups[shown]
                counts = group.counts(model.states)
                state = group_state(counts)
                failed = next((m for m in group.members if model.states[m] == "failed"), None)
                nodes[shown] = {
                    "data": {
                        "id": shown,
                        "kind": "group",
                        "label": f"{STATE_GLYPHS[state]} " + group_label(group, counts),
                        "name": group.name,
                        "state": state,
                        "states": " ".join(sorted(counts)),
                        "size": len(group.members),
                        "failed": failed,
                        "search": " ".join(
                            group.members + sorted({model.functions[m] for m in group.members})
                        ),
                    },
                    "classes": f"group {state}",
                }
            continue
        state = model.states[step_id]
        nodes[step_node_id(step_id)] = {
            "data": {
                "id": step_node_id(step_id),
                "kind": "step",
                "label": f"{STATE_GLYPHS[state]} {step_id}",
                "name": step_id,
                "function": model.functions[step_id],
                "state": state,
                "states": state,
                "search": f"{step_id} {model.functions[step_id]}",
                "group": model.group_of.get(step_id),
            },
            "classes": f"step {state}",
        }
        if model.group_of.get(step_id) in expanded:
            nodes[step_node_id(step_id)]["data"]["box"] = f"box:{model.group_of[step_id]}"
    labels = {} if hide_artifacts else _artifact_labels(model, visible)
    for step_id in model.steps:
        shown = visible[step_id]
        for output in model.outputs.get(step_id, []):
            if hide_artifacts or step_id in crowded:
                continue
            art = artifact_node_id(shown, output)
            if art not in nodes:
                data: dict[str, Any] = {
                    "id": art,
                    "kind": "artifact",
                    "label": labels[(shown, output)],
                    "name": labels[(shown, output)],
                    "step": step_id,
                    "output": output,
                    "type": model.artifact_types.get((step_id, output)),
                    "states": "",
                    "search": f"{labels[(shown, output)]} {output}",
                }
                if shown in model.groups:
                    count = sum(output in model.outputs.get(m, ()) for m in model.groups[shown].members)
                    data.update(
                        kind="artifact-group",
                        step=None,
                        size=count,
                        label=f"{labels[(shown, output)]} ×{count}",
                    )
                if model.group_of.get(shown) in expanded:
                    data["box"] = f"box:{model.group_of[shown]}"
                nodes[art] = {
                    "data": data,
                    "classes": "artifact" + (" artifact-group" if shown in model.groups else ""),
                }
            edge(node_id(shown), art)
    for consumer, sources in model.inputs.items():
        target = node_id(visible[consumer])
        for producer, output in sources:
            if producer not in visible:
                continue
            if hide_artifacts or producer in crowded:
                edge(node_id(visible[producer]), target)
            elif output in model.outputs.get(producer, []):
                edge(artifact_node_id(visible[producer], output), target)
    for step_id, ups in model.order.items():
        for up in ups:
            if up not in visible:
                continue
            # A pending step: from the upstream's outputs, what it will consume. A skipped one
            # read nothing: it runs after its upstream steps, an edge from each step.
            skipped = model.states[step_id] == "skipped"
            outputs = [] if hide_artifacts or skipped or up in crowded else model.outputs.get(up, [])
            for source in [artifact_node_id(visible[up], o) for o in outputs] or [node_id(visible[up])]:
                edge(source, node_id(visible[step_id]), "order")
    return list(nodes.values()) + list(edges.values())


def run_elements(
    run: Any, slow_after: float = 5.0, now: float | None = None, expanded: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Nodes (steps, artifacts) and edges (step -> artifact -> consumer) of ``run``.

    Fan-out groups are drawn collapsed unless their ids are in ``expanded``;
    pass ``expanded=None`` to draw every step.
    """
    model = build_model(run, slow_after, now)
    return model_elements(model, model.groups if expanded is None else expanded)


def diff_elements(
    before: dict[str, tuple[str, str]], elements: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """What changed since ``before`` (id -> (classes, label)): updated, added, removed elements."""
    after = {e["data"]["id"]: (e.get("classes", ""), e["data"].get("label", "")) for e in elements}
    data = {e["data"]["id"]: e["data"] for e in elements}
    update = {
        i: {
            "classes": c,
            "data": {k: data[i].get(k) for k in ("label", "state", "states", "failed") if k in data[i]},
        }
        for i, (c, label) in after.items()
        if i in before and tuple(before[i]) != (c, label)
    }
    add = [e for e in elements if e["data"]["id"] not in before]
    add.sort(key=lambda e: "source" in e["data"])  # nodes before the edges that need them
    remove = [i for i in before if i not in after]
    return {"update": update, "add": add, "remove": remove}, after


def stylesheet() -> list[dict[str, Any]]:
    """The cytoscape stylesheet: state colours, border patterns, highlights."""
    rules: list[dict[str, Any]] = [
        {
            "selector": "node",
            "style": {
                "label": "data(label)",
                "font-size": "11px",
                "text-valign": "bottom",
                "text-margin-y": "3px",
                "text-wrap": "wrap",
                "text-max-width": "180px",
                "min-zoomed-font-size": 7,
            },
        },
        {
            "selector": ".step",
            "style": {"shape": "ellipse", "width": 30, "height": 30, "background-color": "#ffffff"},
        },
        {
            "selector": ".group",
            "style": {"shape": "round-rectangle", "width": 64, "height": 34, "font-weight": "bold"},
        },
        {
            "selector": ".artifact",
            "style": {
                "shape": "rectangle",
                "width": 16,
                "height": 16,
                "background-color": ARTIFACT_COLOUR,
                "font-size": "10px",
                "color": "#6b3e00",
                "border-width": 1,
                "border-color": "#b36200",
            },
        },
        {
            "selector": ".artifact-group",
            "style": {"width": 26, "height": 26, "border-width": 3, "border-style": "double"},
        },
        {
            "selector": ".group-box",
            "style": {
                "shape": "rectangle",
                "width": "data(w)",
                "height": "data(h)",
                "z-compound-depth": "bottom",
                "background-color": "#f4f4f4",
                "border-style": "dashed",
                "border-width": 1,
                "border-color": "#888888",
                "text-valign": "top",
                "text-halign": "center",
                "text-margin-y": "-4px",
                "text-max-width": "600px",
                "font-size": "12px",
            },
        },
        {
            "selector": "edge",
            "style": {
                "curve-style": "bezier",
                "target-arrow-shape": "triangle",
                "width": 1.5,
                "line-color": "#9e9e9e",
                "target-arrow-color": "#9e9e9e",
                "arrow-scale": 0.8,
            },
        },
        {"selector": "edge.order", "style": {"line-style": "dashed"}},
        # Edges between members of a big expanded group: straight, no arrow.
        {"selector": "edge.crowd", "style": {"curve-style": "haystack", "haystack-radius": 0}},
        {"selector": ".bend", "style": {"width": 1, "height": 1, "opacity": 0, "events": "no"}},
        {"selector": "edge.hop", "style": {"target-arrow-shape": "none"}},
        # Big (server-laid-out) graphs: right-angled edges turning between columns, never across nodes.
        {
            "selector": "edge.taxi",
            "style": {
                "curve-style": "taxi",
                "taxi-direction": "rightward",
                "taxi-turn": "50%",
                "taxi-turn-min-distance": "8px",
            },
        },
        {"selector": ".faded", "style": {"opacity": 0.18}},
        {"selector": ".dimmed", "style": {"opacity": 0.12}},
        {
            "selector": "edge.lineage",
            "style": {"line-color": "#000000", "target-arrow-color": "#000000", "width": 2.5},
        },
        {
            "selector": ".match",
            "style": {
                "underlay-color": "#ffd400",
                "underlay-opacity": 0.7,
                "underlay-padding": 8,
                "underlay-shape": "ellipse",
            },
        },
        {
            "selector": ":selected",
            "style": {"overlay-color": "#000000", "overlay-opacity": 0.15, "overlay-padding": 6},
        },
    ]
    for state, colour in STATE_COLOURS.items():
        style, width, border = STATE_BORDERS[state]
        rules.append(
            {
                "selector": f".step.{state}, .group.{state}",
                "style": {
                    "background-color": colour,
                    "border-style": style,
                    "border-width": width,
                    "border-color": border,
                    "background-image": state_icon(state),
                    "background-fit": "contain",
                    "background-width": "62%",
                    "background-height": "62%",
                    "background-clip": "none",
                },
            }
        )
    return rules


# -- the detail panel and the JSON export ----------------------------------------


def _when(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp).isoformat(sep=" ", timespec="seconds") if timestamp else None


def step_details(run: Any, step_id: str, slow_after: float = 5.0) -> dict[str, Any]:
    """What the detail panel shows of one step."""
    step = run.steps.get(step_id)
    if step is None:
        return {"step": step_id, "state": "pending", "upstream": run.graph.get(step_id, [])}
    state = step_state(step, slow_after=slow_after)
    duration: str | None
    if state in ("running", "slow") and step.started:
        duration = f"{time.time() - step.started:.1f}s so far"
    else:
        duration = f"{step.duration:.3f}s" if step.duration is not None else None
    info: dict[str, Any] = {
        "step": step_id,
        "function": step.name,
        "state": state,
        "started": _when(step.started),
        "duration": duration,
        "cache": {
            "decision": {
                "cached": "hit: output reused",
                "completed": "miss: ran",
                "failed": "miss: ran and failed",
            }.get(step.status, step.status),
            "reason": step.cache_reason,
            "key": step.cache_key,
        },
        "config": step.config,
        "inputs": {name: [f"{s}.{o}" for s, o, _ in sources] for name, sources in step.inputs.items()},
        "outputs": {name: ref.type_name for name, ref in step.outputs.items()},
    }
    if getattr(step, "metadata", None):  # zenrun.log_metadata(...)
        info["metadata"] = step.metadata
    if getattr(step, "data_deps", None):  # the files, folders and URLs it read
        info["data read"] = [_data_line(dep) for dep in step.data_deps]
    return info


def _data_line(dep: dict[str, Any]) -> str:
    """``data/customers.csv  12 KiB  3f2a9c1b4e5d``: one data dependency, for the panel."""
    if dep.get("network"):
        return f"{dep['path']}  (network)"
    if dep.get("missing"):
        return f"{dep['path']}  (absent)"
    size = f"{dep['size']} B" if isinstance(dep.get("size"), int) else f"{dep.get('files', 0)} entries"
    return f"{dep['path']}  {size}  {str(dep.get('digest') or '')[:12]}".rstrip()


def step_text_sections(step: Any) -> list[tuple[str, str]]:
    """Long text of a step shown under the details: captured output, then the traceback."""
    sections = []
    captured = getattr(step, "captured", None) or {}
    for stream in ("stdout", "stderr", "log"):
        if captured.get(stream):
            sections.append((f"captured {stream}", captured[stream]))
    if step is not None and step.error:
        sections.append(("traceback", step.error))
    return sections


def run_record(run: Any) -> dict[str, Any]:
    """The run and its steps as plain JSON-able data (the viewer's JSON export)."""
    steps = {}
    for step_id, step in run.steps.items():
        record = {
            "function": step.name,
            "status": step.status,
            "started": step.started,
            "finished": step.finished,
            "duration": step.duration,
            "config": step.config,
            "cache_key": step.cache_key,
            "cache_reason": step.cache_reason,
            "error": step.error,
            "inputs": {
                name: [
                    {"step": s, "output": o, "digest": ref.digest if ref else None} for s, o, ref in sources
                ]
                for name, sources in step.inputs.items()
            },
            "outputs": {name: ref.as_dict() for name, ref in step.outputs.items()},
        }
        for name in ("metadata", "captured"):
            if getattr(step, name, None):
                record[name] = getattr(step, name)
        if getattr(step, "data_deps", None):
            record["data"] = step.data_deps
        steps[step_id] = record
    return {
        "name": run.name,
        "pipeline": run.pipeline_name,
        "item_id": run.item_id,
        "status": run.status,
        "started": run.started,
        "finished": run.finished,
        "duration": run.duration,
        "params": getattr(run, "params", None),
        "graph": run.graph,
        "steps": steps,
    }
