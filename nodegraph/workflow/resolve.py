"""Follows a UI link back to the executable node output (or literal) that really feeds an input.

This is the Python twin of the ComfyUI frontend's `ExecutableNodeDTO.resolveInput/resolveOutput`:
* a bypassed node (mode 4) passes through its first input of the consumer's type (the same slot
  number first), or nothing when no input matches;
* a Reroute passes through its one input; a PrimitiveNode yields its widget value as a literal (both
  whatever their own mode, as the editor applies them before it looks at modes);
* a subgraph instance is entered through its definition's output links, and a link from a definition's
  input pseudo-node (-10) leaves through the instance's matching input (or its promoted widget value);
* a muted node (mode 2) stays the source, so the link is dropped with it afterwards; a muted subgraph
  instance is not entered, so nothing inside it runs.
Inner nodes of a subgraph get execution ids "<instance id>:<inner id>", nested as deep as they go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import WorkflowError
from .ui_model import MODE_BYPASS, MODE_NEVER, SUBGRAPH_INPUT_ID, UIGraph, UINode

REROUTE = "Reroute"
PRIMITIVE = "PrimitiveNode"
NOTES = frozenset({"Note", "MarkdownNote"})
FRONTEND_ONLY = NOTES | {REROUTE, PRIMITIVE}  # nodes the editor applies itself; none reaches the prompt


@dataclass(frozen=True)
class Source:
    """An executable node's output, by execution id."""

    node_id: str
    slot: int


@dataclass(frozen=True)
class Literal:
    value: Any


Resolved = Source | Literal | None


@dataclass
class Scope:
    """One graph level: the top workflow, or a subgraph definition as seen through one instance."""

    graph: UIGraph
    prefix: str = ""
    parent: Scope | None = None
    instance: UINode | None = None

    def exec_id(self, node_id: str) -> str:
        return self.prefix + node_id

    def enter(self, instance: UINode, graph: UIGraph) -> Scope:
        scope, chain = self, []
        while scope.instance is not None and scope.parent is not None:
            chain.append(scope.instance.type)
            scope = scope.parent
        if instance.type in chain:
            raise WorkflowError(f"{graph.name} contains itself (through {self.exec_id(instance.id)})",
                                node_id=self.exec_id(instance.id), node_type=instance.type)
        return Scope(graph, self.exec_id(instance.id) + ":", self, instance)


def primitive_value(node: UINode) -> Resolved:
    values = node.widgets_values
    if isinstance(values, list) and values:
        return Literal(values[0])
    if isinstance(values, dict) and "value" in values:
        return Literal(values["value"])
    return None


def bypass_slot(node: UINode, slot: int, wanted: str) -> int | None:
    """Which input of a bypassed node stands in for output `slot` when feeding a `wanted`-typed input."""
    inputs = node.inputs
    if wanted == "*":
        return slot if slot < len(inputs) else (0 if inputs else None)
    if slot < len(inputs) and inputs[slot].type == wanted:
        return slot
    return next((i for i, item in enumerate(inputs) if item.type == wanted), None)


@dataclass(frozen=True)
class _Step:
    """The next port to look at: input (`into`) or output `slot` of `node`, for a consumer of type `wanted`."""

    into: bool
    scope: Scope
    node: UINode
    slot: int
    wanted: str | None


class Resolver:
    """Walks link chains in a loop rather than by recursion, so a chain of any length resolves. Every port
    a walk passes is remembered with where it led, so many consumers of one long reroute chain cost one
    walk along it, not one each."""

    def __init__(self, subgraphs: dict[str, UIGraph]) -> None:
        self.subgraphs = subgraphs
        self._memo: dict[tuple[str, bool, int, str | None], Resolved] = {}

    def input(self, scope: Scope, node: UINode, index: int) -> Resolved:
        """What feeds input `index` of `node` (a Source, a Literal, or None for nothing)."""
        walked: list[tuple[str, bool, int, str | None]] = []
        seen: set[tuple[str, bool, int]] = set()
        step: _Step | Resolved = _Step(True, scope, node, index, None)
        while isinstance(step, _Step):
            exec_id = step.scope.exec_id(step.node.id)
            key = (exec_id, step.into, step.slot, step.wanted)
            if key in self._memo:
                step = self._memo[key]
                break
            if (exec_id, step.into, step.slot) in seen:
                raise WorkflowError(f"node {exec_id} ({step.node.type}): its links go round in a loop",
                                    node_id=exec_id, node_type=step.node.type)
            seen.add((exec_id, step.into, step.slot))
            walked.append(key)
            step = self._from_input(step) if step.into else self._from_output(step)
        for key in walked:
            self._memo[key] = step
        return step

    def _from_input(self, step: _Step) -> _Step | Resolved:
        scope, node = step.scope, step.node
        item = node.inputs[step.slot]
        if item.link is None:
            return None
        link = scope.graph.links.get(item.link)
        if link is None:
            raise WorkflowError(f"{_where(scope, node)}: input '{item.name}' uses link {item.link}, which "
                                f"does not exist in {scope.graph.name}'s links",
                                node_id=scope.exec_id(node.id), node_type=node.type)
        wanted = step.wanted or item.type
        if link.origin_id == SUBGRAPH_INPUT_ID and scope.instance is not None:
            return self._leave(scope, link.origin_slot, wanted)
        origin = scope.graph.nodes.get(link.origin_id)
        if origin is None:
            raise WorkflowError(f"{_where(scope, node)}: input '{item.name}' is linked (link {link.id}) from "
                                f"node {link.origin_id}, which does not exist",
                                node_id=scope.exec_id(node.id), node_type=node.type)
        return _Step(False, scope, origin, link.origin_slot, wanted)

    def _from_output(self, step: _Step) -> _Step | Resolved:
        scope, node, slot, wanted = step.scope, step.node, step.slot, step.wanted or "*"
        # The editor applies a primitive's value and follows a Reroute whatever their mode.
        if node.type == PRIMITIVE:
            return primitive_value(node)
        if node.mode == MODE_BYPASS:
            index = bypass_slot(node, slot, wanted)
            return None if index is None else _Step(True, scope, node, index, wanted)
        if node.type == REROUTE:
            return _Step(True, scope, node, 0, wanted) if node.inputs else None
        if node.mode == MODE_NEVER:
            return Source(scope.exec_id(node.id), slot)
        if node.type in self.subgraphs:
            return self._enter(scope, node, slot, wanted)
        return Source(scope.exec_id(node.id), slot)

    def _enter(self, scope: Scope, instance: UINode, slot: int, wanted: str) -> _Step | Resolved:
        """Into a subgraph instance, to what feeds its definition's output `slot`."""
        graph = self.subgraphs[instance.type]
        inner = scope.enter(instance, graph)
        link = graph.output_link(slot)
        if link is None:
            return None
        if link.origin_id == SUBGRAPH_INPUT_ID:
            return self._leave(inner, link.origin_slot, wanted)
        origin = graph.nodes.get(link.origin_id)
        if origin is None:
            raise WorkflowError(f"{graph.name}: output {slot} is linked from node {link.origin_id}, "
                                "which does not exist", node_id=scope.exec_id(instance.id), node_type=instance.type)
        return _Step(False, inner, origin, link.origin_slot, wanted)

    @staticmethod
    def _leave(scope: Scope, slot: int, wanted: str) -> _Step | Resolved:
        """Out through subgraph input `slot` to whatever feeds the instance's matching input."""
        instance, parent, graph = scope.instance, scope.parent, scope.graph
        assert instance is not None and parent is not None
        name = graph.inputs[slot].name if slot < len(graph.inputs) else None
        index = next((i for i, item in enumerate(instance.inputs) if item.name == name), None)
        if index is None and name is not None:
            # Newer editors list on an instance only the subgraph inputs it shows as sockets; one it does not
            # list is unconnected there, and the inner node keeps its own widget value (as ComfyUI's frontend).
            return None
        if index is None and slot < len(instance.inputs):
            index = slot
        if index is None:
            raise WorkflowError(f"{graph.name} reads its input {slot}, which instance "
                                f"{parent.exec_id(instance.id)} does not have",
                                node_id=parent.exec_id(instance.id), node_type=instance.type)
        if instance.inputs[index].link is None:
            return _promoted_widget(instance, index)
        return _Step(True, parent, instance, index, wanted)


def proxy_widgets(instance: UINode) -> list[tuple[str, str, Any]] | None:
    """(inner node id, widget name, value) for each widget a subgraph instance shows, or None if unsaid.

    Newer editors save `properties.proxyWidgets` as [[inner node id, widget name], ...] ("-1" naming the
    instance's own subgraph-input widgets), with the instance's `widgets_values` in the same order.
    """
    entries = instance.properties.get("proxyWidgets")
    if not isinstance(entries, list):
        return None
    values = instance.widgets_values if isinstance(instance.widgets_values, list) else []
    found = []
    for index, entry in enumerate(entries):
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry) \
                and index < len(values):
            found.append((entry[0], entry[1], values[index]))
    return found


def _promoted_widget(instance: UINode, index: int) -> Resolved:
    """The value an instance shows in the widget it promoted for an unconnected subgraph input."""
    widget = instance.inputs[index].widget
    values = instance.widgets_values
    if widget is None:
        return None
    proxies = proxy_widgets(instance)
    if proxies:
        return next((Literal(v) for node_id, name, v in proxies if node_id == "-1" and name == widget), None)
    if isinstance(values, dict):
        return Literal(values[widget]) if widget in values else None
    position = sum(1 for item in instance.inputs[:index] if item.widget)
    if isinstance(values, list) and position < len(values):
        return Literal(values[position])
    return None


def _where(scope: Scope, node: UINode) -> str:
    label = node.label()
    return label if not scope.prefix else f"{label} in {scope.graph.name} ({scope.prefix[:-1]})"
