"""The prompt being run, plus nodes that expanding nodes add to it while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .limits import over_limit
from .prompt import as_link, is_link


@dataclass
class LiveGraph:
    nodes: dict[str, dict[str, Any]]
    parent: dict[str, str] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    _links: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    max_nodes: int | None = None  # the prompt's node limit, which expansion may not grow it past

    def links(self, node_id: str) -> list[tuple[str, str, int]]:
        """(input name, source node, slot) for each linked input; parsed once per node per prompt."""
        found = self._links.get(node_id)
        if found is None:
            found = [(name, *as_link(value)) for name, value in self.nodes[node_id]["inputs"].items()
                     if is_link(value)]
            self._links[node_id] = found
        return found

    def display_id(self, node_id: str) -> str:
        return self.display.get(node_id, node_id)

    def real_id(self, node_id: str) -> str:
        """The original prompt node an ephemeral node descends from (it is itself for prompt nodes)."""
        while node_id in self.parent:
            node_id = self.parent[node_id]
        return node_id

    # ComfyUI's DynamicPrompt methods: nodes declaring the hidden input DYNPROMPT receive this graph.
    def get_node(self, node_id: str) -> dict[str, Any]:
        if node_id not in self.nodes:
            raise KeyError(f"node {node_id!r} is not in the prompt")
        return self.nodes[node_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self.nodes

    def all_node_ids(self) -> set[str]:
        return set(self.nodes)

    def get_real_node_id(self, node_id: str) -> str:
        return self.real_id(node_id)

    def get_parent_node_id(self, node_id: str) -> str | None:
        return self.parent.get(node_id)

    def get_display_node_id(self, node_id: str) -> str:
        return self.display_id(node_id)

    def add_expansion(self, parent_id: str, subgraph: dict[str, Any]) -> list[str]:
        if self.max_nodes is not None and len(self.nodes) + len(subgraph) > self.max_nodes:
            raise over_limit("prompt_too_large", f"node {parent_id}'s expansion adds {len(subgraph):,} nodes to "
                             f"the {len(self.nodes):,} the prompt has", self.max_nodes, "max_prompt_nodes")
        added = []
        for node_id, node in subgraph.items():
            node_id = str(node_id)
            if node_id in self.nodes:
                raise ValueError(f"expansion of node {parent_id} reuses existing node id {node_id!r}")
            if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
                raise ValueError(f"expansion of node {parent_id}: node {node_id!r} has no class_type")
            self.nodes[node_id] = {"class_type": node["class_type"], "inputs": dict(node.get("inputs", {}))}
            self.parent[node_id] = parent_id
            override = node.get("override_display_id")
            self.display[node_id] = str(override) if override else self.display_id(parent_id)
            added.append(node_id)
        return added
