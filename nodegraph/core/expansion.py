"""Node expansion: the sub-graph a node returns joins the running prompt, and the node finishes once the
sub-graph's nodes its outputs link to (and the sub-graph's output nodes) are done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .graph import LiveGraph
from .prompt import as_link, is_link
from .registry import Registry
from .scheduler import Scheduler


class Expansions:
    """Part of the executor's run; the attributes below are the run's own."""

    graph: LiveGraph
    registry: Registry
    sched: Scheduler
    values: dict[str, list[list[Any]]]
    pending_expansion: dict[str, list[tuple[Any, ...]]]
    expansion_ui: dict[str, dict[str, Any]]
    key: Callable[[str], str]
    add: Callable[[str], None]
    _store: Callable[[str, list[list[Any]], dict[str, Any]], None]

    def _expand(self, node: str, results: list[Any], ui: dict[str, Any]) -> None:
        added: list[str] = []
        for result in results:
            if result.expand:
                added += self.graph.add_expansion(node, result.expand)
        for new in added:
            class_type = self.graph.nodes[new]["class_type"]
            if class_type not in self.registry:
                raise RuntimeError(f"expansion created node {new} of unknown type {class_type!r}")
        for new in added:
            self.key(new)
        self.pending_expansion[node] = [tuple(r.values or ()) for r in results]
        self.expansion_ui[node] = ui
        self.sched.schedule(node)
        targets = {as_link(v)[0] for row in self.pending_expansion[node] for v in row if is_link(v)}
        targets |= {n for n in added if self.registry[self.graph.nodes[n]["class_type"]].output_node}
        missing = [t for t in targets if t not in self.values]
        for target in missing:
            self.sched.wait(node, target)
        for target in missing:
            self.add(target)
        self.sched.release_if_free(node)

    def _finish_expansion(self, node: str) -> None:
        rows = self.pending_expansion.pop(node)
        spec = self.registry[self.graph.nodes[node]["class_type"]]
        merged: list[list[Any]] = [[] for _ in spec.outputs]
        for row in rows:
            for slot in range(len(spec.outputs)):
                value = row[slot] if slot < len(row) else None
                if is_link(value):
                    source, source_slot = as_link(value)
                    merged[slot].extend(self.values[source][source_slot])
                else:
                    merged[slot].append(value)
        self._store(node, merged, self.expansion_ui.pop(node, {}))
