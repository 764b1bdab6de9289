"""Counts how many nodes a UI workflow flattens to and how deeply its subgraphs nest, before any of them
is converted, so that a small file whose subgraphs multiply (ten instances of a definition holding ten
instances of the next, nine levels deep: a hundred million nodes) is refused in time linear in the file's size.

Nodes are counted exactly as the conversion emits them: muted and bypassed nodes and the editor's own
nodes (reroutes, primitives, notes) add nothing, and a subgraph instance adds what its definition holds.
The walk over definitions is a loop with its own stack, so nesting of any depth is measured, not recursed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..core.limits import Limits, over_limit
from .errors import WorkflowError
from .resolve import FRONTEND_ONLY
from .ui_model import MODE_BYPASS, MODE_NEVER, UIGraph, UINode, UIWorkflow


@dataclass(frozen=True)
class Size:
    nodes: int  # executable nodes it flattens to
    depth: int  # subgraph levels, 0 for a graph without instances


def _parts(graph: UIGraph, subgraphs: dict[str, UIGraph]) -> tuple[int, list[UINode]]:
    """(its own executable nodes, the subgraph instances it enters)."""
    own, instances = 0, []
    for node in graph.nodes.values():
        if node.mode in (MODE_NEVER, MODE_BYPASS) or node.type in FRONTEND_ONLY:
            continue
        if node.type in subgraphs:
            instances.append(node)
        else:
            own += 1
    return own, instances


def _size(own: int, instances: list[UINode], sizes: dict[str, Size]) -> Size:
    return Size(own + sum(sizes[n.type].nodes for n in instances),
                max((sizes[n.type].depth for n in instances), default=-1) + 1)


def _checked(size: Size, name: str, limits: Limits, levels: int) -> Size:
    """`levels`: how deep subgraphs nest counting this graph (a definition is itself one level)."""
    if levels > limits.max_subgraph_depth:
        raise over_limit("subgraph_too_deep", f"{name} nests subgraphs {levels:,} levels deep",
                         limits.max_subgraph_depth, "max_subgraph_depth")
    if size.nodes > limits.max_prompt_nodes:
        raise over_limit("prompt_too_large", f"{name} flattens to {size.nodes:,} nodes", limits.max_prompt_nodes,
                         "max_prompt_nodes")
    return size


def check_size(workflow: UIWorkflow, limits: Limits) -> Size:
    """The flattened size of the workflow; raises InputRefused over a limit and WorkflowError for a
    definition that contains itself."""
    subgraphs = workflow.subgraphs
    parts: dict[str, tuple[int, list[UINode]]] = {}
    sizes: dict[str, Size] = {}
    visiting: set[str] = set()
    stack: list[tuple[str, Iterator[UINode]]] = []

    def enter(uuid: str) -> None:
        if uuid not in parts:
            parts[uuid] = _parts(subgraphs[uuid], subgraphs)
        visiting.add(uuid)
        stack.append((uuid, iter(parts[uuid][1])))

    own, instances = _parts(workflow.graph, subgraphs)
    for instance in instances:
        if instance.type not in sizes:
            enter(instance.type)
        while stack:
            uuid, pending = stack[-1]
            child = next((n for n in pending if n.type not in sizes), None)
            if child is None:
                size = _size(*parts[uuid], sizes)
                sizes[uuid] = _checked(size, f"{subgraphs[uuid].name} with what it holds", limits, size.depth + 1)
                visiting.discard(uuid)
                stack.pop()
            elif child.type in visiting:
                raise WorkflowError(f"{subgraphs[child.type].name} contains itself (through node {child.id} "
                                    f"of {subgraphs[uuid].name})", node_id=instance.id, node_type=instance.type)
            else:
                enter(child.type)
    size = _size(own, instances, sizes)
    return _checked(size, "the workflow", limits, size.depth)
