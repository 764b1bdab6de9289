"""ComfyUI's `progress_state` messages, kept linear: each carries the node whose state changed and the nodes
still running (a handful, however large the graph), never every node of the prompt.

ComfyUI sends the state of every node seen so far with each update, which grows quadratically with the
graph (DESIGN.md section 6). A client that merges the entries it receives, or one that replaces its map
with them, still sees every running node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .events import Event, ProgressState
from .graph import LiveGraph


class NodeStates:
    def __init__(self, prompt_id: str, graph: LiveGraph, emit: Callable[[Event], None]) -> None:
        self.prompt_id = prompt_id
        self.graph = graph
        self.emit = emit
        self.running: dict[str, dict[str, Any]] = {}

    def start(self, node: str) -> None:
        parent = self.graph.parent.get(node)
        state = {"value": 0, "max": 1, "state": "running", "node_id": node, "prompt_id": self.prompt_id,
                 "display_node_id": self.graph.display_id(node), "parent_node_id": parent,
                 "real_node_id": self.graph.real_id(node)}
        self.running[node] = state
        self._send(node, state)

    def progress(self, node: str, value: float, total: float) -> None:
        state = self.running.get(node)
        if state is not None:
            state["value"], state["max"] = value, total
            self._send(node, state)

    def finish(self, node: str, outcome: str = "finished") -> None:
        state = self.running.pop(node, None)
        if state is not None:
            state["state"] = outcome
            if outcome == "finished":
                state["value"] = state["max"]
            self._send(node, state)

    def _send(self, node: str, state: dict[str, Any]) -> None:
        # Copies: the transport may serialise the message after later updates changed these dicts.
        nodes = {n: dict(s) for n, s in self.running.items()}
        nodes[node] = dict(state)
        self.emit(ProgressState(self.prompt_id, nodes))
