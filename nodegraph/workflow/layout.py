"""Draws an API prompt as a ComfyUI UI workflow (version 0.4), laid out left to right by graph depth.

The result opens in ComfyUI's editor (and ours) and converts back with `ui_to_api` to the same prompt.
Node ids are kept when they are integers; other ids (e.g. "sampler") are given free integers, since
the UI format only has integer ids. Widget inputs fed by a link get the schema default in
`widgets_values`, as the editor keeps a value behind every converted widget.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..core.prompt import is_link
from ..core.registry import Registry
from ..core.schema import NodeSpec
from .errors import WorkflowError
from .widgets import layout as widget_layout
from .widgets import saved_values, widget_order

COLUMN_WIDTH, ROW_GAP, LEFT, TOP = 420, 60, 50, 50
SLOT_HEIGHT, WIDGET_HEIGHT, TITLE_HEIGHT = 22, 26, 30


@dataclass
class _Node:
    """A UI node under construction."""

    api_id: str
    ui_id: int
    spec: NodeSpec
    entry: dict[str, Any]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)


def api_to_ui(prompt: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A UI workflow (0.4, array links) that draws `prompt`; raises WorkflowError if it cannot be drawn."""
    nodes = _nodes(prompt, registry)
    links = _wire(nodes)
    depth, order = _depths(nodes)
    placed = _place(nodes, depth)
    ui_nodes = [_ui_node(n, placed[n.api_id], order[n.api_id]) for n in nodes.values()]
    return {
        "last_node_id": max((n.ui_id for n in nodes.values()), default=0),
        "last_link_id": len(links),
        "nodes": ui_nodes,
        "links": links,
        "groups": [],
        "config": {},
        "extra": {"ds": {"scale": 1, "offset": [0, 0]}},
        "version": 0.4,
    }


def _nodes(prompt: Any, registry: Registry) -> dict[str, _Node]:
    if not isinstance(prompt, dict):
        raise WorkflowError(f"an API prompt must be a JSON object of nodes, got {type(prompt).__name__}")
    taken = {int(k) for k in prompt if isinstance(k, str) and k.isdigit()}
    next_free = max(taken, default=0) + 1
    nodes: dict[str, _Node] = {}
    for api_id, entry in prompt.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("class_type"), str):
            raise WorkflowError(f"node {api_id}: must be an object with a class_type string", node_id=str(api_id))
        if not isinstance(entry.get("inputs", {}), dict):
            raise WorkflowError(f"node {api_id}: inputs must be an object", node_id=str(api_id))
        spec = registry.get(entry["class_type"])
        if spec is None:
            raise WorkflowError(f"node {api_id}: unknown node type '{entry['class_type']}'",
                                node_id=str(api_id), node_type=entry["class_type"])
        if isinstance(api_id, str) and api_id.isdigit():
            ui_id = int(api_id)
        else:
            ui_id, next_free = next_free, next_free + 1
        nodes[str(api_id)] = _Node(str(api_id), ui_id, spec, entry)
    for node in nodes.values():
        _slots(node)
    return nodes


def _slots(node: _Node) -> None:
    """The node's input and output slots: sockets first, then one socket per widget, as the editor saves."""
    spec, given = node.spec, node.entry.get("inputs", {})
    widgets = widget_order(spec)
    sockets = [n for n, i in spec.inputs.items() if not i.is_widget and not i.optional]
    sockets += [n for n, i in spec.inputs.items() if not i.is_widget and i.optional]
    for name in sockets:
        if name in given and not is_link(given[name]):
            raise WorkflowError(f"node {node.api_id} ({spec.name}): input '{name}' takes a link, but the prompt "
                                f"gives it the literal {given[name]!r}, which the UI format cannot draw",
                                node_id=node.api_id, node_type=spec.name)
        node.inputs.append({"name": name, "type": spec.inputs[name].type, "link": None})
    for name in widgets:
        node.inputs.append({"name": name, "type": spec.inputs[name].type, "widget": {"name": name}, "link": None})
    for name, value in given.items():
        if name in spec.inputs:
            continue
        if not is_link(value):
            raise WorkflowError(f"node {node.api_id} ({spec.name}): '{name}' is not an input of {spec.name}",
                                node_id=node.api_id, node_type=spec.name)
        node.inputs.append({"name": name, "type": "*", "link": None})
    node.outputs = [{"name": o.name or o.type, "type": o.type, "links": [], "slot_index": i}
                    for i, o in enumerate(spec.outputs)]


def _wire(nodes: dict[str, _Node]) -> list[list[Any]]:
    links: list[list[Any]] = []
    for node in nodes.values():
        for slot, item in enumerate(node.inputs):
            value = node.entry.get("inputs", {}).get(item["name"])
            if not is_link(value):
                continue
            origin = nodes.get(value[0])
            where = f"node {node.api_id} ({node.spec.name}) input '{item['name']}'"
            if origin is None:
                raise WorkflowError(f"{where} links to node {value[0]}, which is not in the prompt",
                                    node_id=node.api_id, node_type=node.spec.name)
            origin_slot = int(value[1])
            if not 0 <= origin_slot < len(origin.outputs):
                raise WorkflowError(f"{where} links to output {origin_slot} of node {value[0]} "
                                    f"({origin.spec.name}), which has {len(origin.outputs)} outputs",
                                    node_id=node.api_id, node_type=node.spec.name)
            link_id = len(links) + 1
            link_type = origin.outputs[origin_slot]["type"]
            links.append([link_id, origin.ui_id, origin_slot, node.ui_id, slot, link_type])
            item["link"] = link_id
            if item["type"] == "*":
                item["type"] = link_type
            origin.outputs[origin_slot]["links"].append(link_id)
    return links


def _depths(nodes: dict[str, _Node]) -> tuple[dict[str, int], dict[str, int]]:
    """Each node's column (longest path from a source) and its execution order."""
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for node in nodes.values():
        for value in node.entry.get("inputs", {}).values():
            if is_link(value):
                graph.add_edge(value[0], node.api_id)
    try:
        order = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible as exc:
        raise WorkflowError("the prompt's links form a cycle, so it has no left-to-right layout") from exc
    depth: dict[str, int] = {}
    for api_id in order:
        depth[api_id] = max((depth[p] + 1 for p in graph.predecessors(api_id)), default=0)
    return depth, {api_id: i for i, api_id in enumerate(order)}


def _size(node: _Node) -> list[int]:
    widgets = len(widget_layout(node.spec))
    sockets = max(sum(1 for i in node.inputs if "widget" not in i), len(node.outputs))
    tall = any(node.spec.inputs[n].multiline for n in widget_order(node.spec))
    height = TITLE_HEIGHT + sockets * SLOT_HEIGHT + widgets * WIDGET_HEIGHT + (90 if tall else 0) + 10
    return [400 if tall else 320, height]


def _place(nodes: dict[str, _Node], depth: dict[str, int]) -> dict[str, tuple[list[int], list[int]]]:
    next_y: dict[int, int] = {}
    placed = {}
    for api_id in sorted(nodes, key=lambda k: (depth[k], nodes[k].ui_id)):
        column = depth[api_id]
        size = _size(nodes[api_id])
        y = next_y.get(column, TOP)
        placed[api_id] = ([LEFT + column * COLUMN_WIDTH, y], size)
        next_y[column] = y + size[1] + ROW_GAP
    return placed


def _ui_node(node: _Node, placement: tuple[list[int], list[int]], order: int) -> dict[str, Any]:
    spec = node.spec
    ui: dict[str, Any] = {
        "id": node.ui_id, "type": spec.name, "pos": placement[0], "size": placement[1], "flags": {},
        "order": order, "mode": 0, "inputs": node.inputs, "outputs": node.outputs,
        "properties": {"Node name for S&R": spec.name, "nodegraph_version": spec.version},
        "widgets_values": saved_values(spec, node.entry.get("inputs", {})),
    }
    meta = node.entry.get("_meta")
    title = meta.get("title") if isinstance(meta, dict) else None
    if isinstance(title, str) and title and title != spec.display_name:
        ui["title"] = title
    return ui


def write_ui_files(builders: Mapping[str, Callable[[], dict[str, Any]]], folder: Path,
                   registry: Registry) -> list[Path]:
    """Write `<name>.json` in the UI format for each API prompt builder (how workflows/ is authored)."""
    written = []
    for name, build in builders.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(api_to_ui(build(), registry), indent=1) + "\n")
        written.append(path)
    return written
