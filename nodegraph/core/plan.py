"""The part of a prompt that must run: the ancestors of its output nodes, as a networkx DiGraph."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from .prompt import links_of


def reachable(prompt: Mapping[str, Mapping[str, Any]], roots: Iterable[str]) -> nx.DiGraph:
    """Producer -> consumer edges among the roots' ancestors, walked iteratively (any depth)."""
    graph = nx.DiGraph()
    stack = [r for r in roots if r in prompt]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        graph.add_node(node)
        inputs = prompt[node].get("inputs")
        if not isinstance(inputs, dict):
            continue
        for _name, (source, _slot) in links_of(inputs):
            if source in prompt:
                graph.add_edge(source, node)
                if source not in seen:
                    stack.append(source)
    return graph


def find_cycle(graph: nx.DiGraph) -> list[str] | None:
    """One cycle as a closed list of node ids (first == last), or None.

    nx.find_cycle alone is quadratic on long chains, so acyclicity is checked first (linear) and the
    cycle is then searched inside one strongly connected component only.
    """
    if nx.is_directed_acyclic_graph(graph):
        return None
    component = next(c for c in nx.strongly_connected_components(graph)
                     if len(c) > 1 or any(graph.has_edge(n, n) for n in c))
    edges = nx.find_cycle(graph.subgraph(component))
    nodes = [edge[0] for edge in edges]
    return nodes + [nodes[0]]
