"""Parses a UI workflow (versions 0.4 and 1, with subgraph definitions) into checked, typed objects.

Everything downstream works on these objects, so a malformed file fails here, once, with a message that
says where (which node, which link) instead of as a KeyError deep inside the conversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import WorkflowError

# Subgraph definitions wire their boundary through these two pseudo node ids (ComfyUI frontend).
SUBGRAPH_INPUT_ID = "-10"
SUBGRAPH_OUTPUT_ID = "-20"

MODE_ALWAYS, MODE_NEVER, MODE_BYPASS = 0, 2, 4


@dataclass
class UIInput:
    name: str
    type: str
    link: int | None
    widget: str | None  # the widget this socket stands for, when it is a widget input


@dataclass
class UIOutput:
    name: str
    type: str


@dataclass
class UINode:
    id: str
    type: str
    mode: int
    title: str | None
    inputs: list[UIInput]
    outputs: list[UIOutput]
    widgets_values: list[Any] | dict[str, Any] | None
    properties: dict[str, Any]

    def label(self) -> str:
        titled = f" '{self.title}'" if self.title and self.title != self.type else ""
        return f"node {self.id} ({self.type}{titled})"


@dataclass
class UILink:
    id: int
    origin_id: str
    origin_slot: int
    target_id: str
    target_slot: int
    type: str


@dataclass
class UISlot:
    """One input or output of a subgraph definition."""

    name: str
    type: str
    link_ids: list[int]


@dataclass
class UIGraph:
    name: str
    nodes: dict[str, UINode]
    links: dict[int, UILink]
    inputs: list[UISlot] = field(default_factory=list)
    outputs: list[UISlot] = field(default_factory=list)

    @cached_property
    def _into_outputs(self) -> dict[int, UILink]:
        found: dict[int, UILink] = {}
        for link in self.links.values():
            if link.target_id == SUBGRAPH_OUTPUT_ID:
                found.setdefault(link.target_slot, link)
        return found

    def output_link(self, slot: int) -> UILink | None:
        """The link feeding a subgraph definition's output `slot` (its links are the truth, linkIds a fallback)."""
        if slot in self._into_outputs:
            return self._into_outputs[slot]
        if slot < len(self.outputs):
            return next((self.links[i] for i in self.outputs[slot].link_ids if i in self.links), None)
        return None


@dataclass
class UIWorkflow:
    graph: UIGraph
    subgraphs: dict[str, UIGraph]


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or int(value) != value:
        raise WorkflowError(f"{what} must be an integer, got {value!r}")
    return int(value)


def _slot(value: Any, what: str) -> int:
    slot = _int(value, what)
    if slot < 0:
        raise WorkflowError(f"{what} must not be negative, got {slot}")
    return slot


def _node_id(value: Any, what: str) -> str:
    if isinstance(value, str) and value:
        return value
    return str(_int(value, what))


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WorkflowError(f"{what} must be a list, got {type(value).__name__}")
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WorkflowError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _type_name(value: Any) -> str:
    # Links and slots sometimes carry 0 or null as the type of an untyped ("*") socket.
    return value if isinstance(value, str) and value else "*"


def parse_input(raw: Any, where: str) -> UIInput:
    raw = _dict(raw, where)
    name = raw.get("name")
    if not isinstance(name, str):  # Reroute inputs are named ""
        raise WorkflowError(f"{where} has no name")
    link = raw.get("link")
    widget = raw.get("widget")
    widget_name = widget.get("name") if isinstance(widget, dict) else None
    return UIInput(name, _type_name(raw.get("type")),
                   None if link is None else _int(link, f"{where} ('{name}') link"),
                   widget_name if isinstance(widget_name, str) else None)


def parse_node(raw: Any, where: str) -> UINode:
    raw = _dict(raw, where)
    if "id" not in raw:
        raise WorkflowError(f"{where} has no id")
    node_id = _node_id(raw["id"], f"{where} id")
    where = f"node {node_id}"
    node_type = raw.get("type")
    if not isinstance(node_type, str) or not node_type:
        raise WorkflowError(f"{where} has no type (the node class name)", node_id=node_id)
    where = f"node {node_id} ({node_type})"
    title = raw.get("title")
    values = raw.get("widgets_values")
    if values is not None and not isinstance(values, (list, dict)):
        raise WorkflowError(f"{where}: widgets_values must be a list or an object, got {type(values).__name__}",
                            node_id=node_id, node_type=node_type)
    inputs = [parse_input(item, f"{where} input {i}") for i, item in enumerate(_list(raw.get("inputs"),
                                                                                    f"{where} inputs"))]
    outputs = []
    for i, item in enumerate(_list(raw.get("outputs"), f"{where} outputs")):
        item = _dict(item, f"{where} output {i}")
        outputs.append(UIOutput(str(item.get("name", "")), _type_name(item.get("type"))))
    properties = raw.get("properties")
    return UINode(node_id, node_type, _int(raw.get("mode", MODE_ALWAYS), f"{where} mode"),
                  title if isinstance(title, str) else None, inputs, outputs, values,
                  properties if isinstance(properties, dict) else {})


def parse_link(raw: Any, where: str) -> UILink:
    """A link in either form: 0.4's array or version 1's object."""
    if isinstance(raw, list):
        if len(raw) < 5:
            raise WorkflowError(f"{where} must be [id, origin_id, origin_slot, target_id, target_slot, type], "
                                f"got {raw!r}")
        link_id, origin, origin_slot, target, target_slot = raw[:5]
        link_type = raw[5] if len(raw) > 5 else "*"
    elif isinstance(raw, dict):
        missing = [k for k in ("id", "origin_id", "origin_slot", "target_id", "target_slot") if k not in raw]
        if missing:
            raise WorkflowError(f"{where} lacks {', '.join(missing)}")
        link_id, origin, origin_slot = raw["id"], raw["origin_id"], raw["origin_slot"]
        target, target_slot, link_type = raw["target_id"], raw["target_slot"], raw.get("type")
    else:
        raise WorkflowError(f"{where} must be an array or an object, got {type(raw).__name__}")
    link_id = _int(link_id, f"{where} id")
    where = f"link {link_id}"
    return UILink(link_id, _node_id(origin, f"{where} origin_id"), _slot(origin_slot, f"{where} origin_slot"),
                  _node_id(target, f"{where} target_id"), _slot(target_slot, f"{where} target_slot"),
                  _type_name(link_type))


def _slots(raw: Any, where: str) -> list[UISlot]:
    slots = []
    for i, item in enumerate(_list(raw, where)):
        item = _dict(item, f"{where} {i}")
        ids = [_int(x, f"{where} {i} linkIds") for x in _list(item.get("linkIds"), f"{where} {i} linkIds")]
        slots.append(UISlot(str(item.get("name", "")), _type_name(item.get("type")), ids))
    return slots


def parse_graph(raw: Any, name: str) -> UIGraph:
    raw = _dict(raw, name)
    if not isinstance(raw.get("nodes"), list):
        raise WorkflowError(f"{name} has no 'nodes' list")
    if not isinstance(raw.get("links"), list):
        raise WorkflowError(f"{name} has no 'links' list")
    nodes: dict[str, UINode] = {}
    for i, item in enumerate(raw["nodes"]):
        node = parse_node(item, f"{name} nodes[{i}]")
        if node.id in nodes:
            raise WorkflowError(f"{name}: node id {node.id} is used twice", node_id=node.id)
        nodes[node.id] = node
    links: dict[int, UILink] = {}
    for i, item in enumerate(raw["links"]):
        if item is None:  # editors leave holes in the array after deleting links
            continue
        link = parse_link(item, f"{name} links[{i}]")
        links[link.id] = link
    return UIGraph(name, nodes, links, _slots(raw.get("inputs"), f"{name} inputs"),
                   _slots(raw.get("outputs"), f"{name} outputs"))


def parse_workflow(raw: Any) -> UIWorkflow:
    if not isinstance(raw, dict):
        raise WorkflowError(f"a UI workflow must be a JSON object, got {type(raw).__name__}")
    graph = parse_graph(raw, "workflow")
    definitions = raw.get("definitions")
    definitions = {} if definitions is None else definitions
    if not isinstance(definitions, dict):
        raise WorkflowError("workflow: definitions must be an object")
    subgraphs: dict[str, UIGraph] = {}
    for i, item in enumerate(_list(definitions.get("subgraphs"), "workflow definitions.subgraphs")):
        item = _dict(item, f"subgraph definition {i}")
        uuid = item.get("id")
        if not isinstance(uuid, str) or not uuid:
            raise WorkflowError(f"subgraph definition {i} has no id")
        label = f"subgraph '{item.get('name') or uuid}'"
        subgraphs[uuid] = parse_graph(item, label)
    return UIWorkflow(graph, subgraphs)
