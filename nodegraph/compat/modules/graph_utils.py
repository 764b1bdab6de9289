"""ComfyUI's `comfy_execution.graph_utils`: GraphBuilder for nodes that expand into sub-graphs, the link test,
and ExecutionBlocker (nodegraph's own class: one object, whichever name a pack imports it by)."""

from __future__ import annotations

import uuid
from typing import Any

from ...core.context import current
from ...core.prompt import is_link
from ...core.results import ExecutionBlocker

__all__ = ["GraphBuilder", "Node", "is_link", "add_graph_prefix", "ExecutionBlocker"]


class Node:
    """One node of a sub-graph under construction; `out(i)` is a link to its output i."""

    def __init__(self, id: str, class_type: str, inputs: dict[str, Any]) -> None:  # noqa: A002 - ComfyUI's name
        self.id = id
        self.class_type = class_type
        self.inputs = inputs
        self.override_display_id: str | None = None

    def out(self, index: int) -> list[Any]:
        return [self.id, index]

    def set_input(self, key: str, value: Any) -> None:
        if value is None:
            self.inputs.pop(key, None)
        else:
            self.inputs[key] = value

    def get_input(self, key: str) -> Any:
        return self.inputs.get(key)

    def set_override_display_id(self, override_display_id: str) -> None:
        self.override_display_id = override_display_id

    def serialize(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"class_type": self.class_type, "inputs": self.inputs}
        if self.override_display_id is not None:
            entry["override_display_id"] = self.override_display_id
        return entry


class GraphBuilder:
    """Builds an API-format sub-graph whose node ids share a prefix, so expansions never clash. The default
    prefix is "{node}.{call}.{n}." of the node running now (the same on every run of the prompt)."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix if prefix is not None else self.alloc_prefix()
        self.nodes: dict[str, Node] = {}
        self.id_gen = 1

    @classmethod
    def alloc_prefix(cls, root: str | None = None, call_index: int | None = None,
                     graph_index: int | None = None) -> str:
        if root is not None:
            return f"{root}.{call_index or 0}.{graph_index or 0}."
        ctx = current()
        return ctx.expansion_prefix() if ctx is not None else f"{uuid.uuid4().hex[:8]}."

    def node(self, class_type: str, id: str | None = None, **kwargs: Any) -> Node:  # noqa: A002
        if id is None:
            id = str(self.id_gen)  # noqa: A001
            self.id_gen += 1
        full = self.prefix + id
        if full not in self.nodes:
            self.nodes[full] = Node(full, class_type, kwargs)
        return self.nodes[full]

    def lookup_node(self, id: str) -> Node | None:  # noqa: A002
        return self.nodes.get(self.prefix + id)

    def remove_node(self, id: str) -> None:  # noqa: A002
        self.nodes.pop(self.prefix + id, None)

    def replace_node_output(self, node_id: str, index: int, new_value: Any) -> None:
        """Every input linked to output `index` of `node_id` now holds new_value (a link or a literal)."""
        full = self.prefix + node_id
        for node in self.nodes.values():
            for key, value in list(node.inputs.items()):
                if is_link(value) and value[0] == full and value[1] == index:
                    node.set_input(key, new_value)

    def finalize(self) -> dict[str, Any]:
        return {node_id: node.serialize() for node_id, node in self.nodes.items()}


def add_graph_prefix(graph: dict[str, Any], outputs: list[Any], prefix: str) -> tuple[dict[str, Any], list[Any]]:
    """The graph with every node id (and every link inside it and in outputs) prefixed."""

    def shift(value: Any) -> Any:
        return [prefix + value[0], value[1]] if is_link(value) and value[0] in graph else value

    renamed = {prefix + node_id: {**node, "inputs": {k: shift(v) for k, v in node.get("inputs", {}).items()}}
               for node_id, node in graph.items()}
    return renamed, [shift(value) for value in outputs]
