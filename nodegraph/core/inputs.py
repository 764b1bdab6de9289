"""A node's call arguments: inputs gathered as lists, hidden values, and the calls list semantics make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .graph import LiveGraph
from .prompt import literal
from .results import ExecutionBlocker
from .schema import NodeSpec


def gather_inputs(graph: LiveGraph, node: str, spec: NodeSpec, values: Mapping[str, list[list[Any]]],
                  prompt: Mapping[str, Any], extra_data: Mapping[str, Any]) -> dict[str, Any]:
    """Every input as a list of values (ComfyUI's list semantics).

    As in ComfyUI, a lazy input that was not evaluated is passed as None, and links to inputs the node does
    not declare are passed by name (to a run function that takes **kwargs); undeclared literals are not.
    """
    lists: dict[str, Any] = {}
    linked = {name: (source, slot) for name, source, slot in graph.links(node)}
    for name, value in graph.nodes[node]["inputs"].items():
        decl = spec.inputs.get(name)
        link = linked.get(name)
        if decl is None and (link is None or not spec.takes_extra_links):
            continue
        if link is None:
            lists[name] = [literal(value)]
        elif decl is not None and decl.raw_link:
            lists[name] = [list(link)]
        else:
            lists[name] = values[link[0]][link[1]] if link[0] in values else [None]
    for name, token in spec.hidden.items():
        lists[name] = [hidden_value(graph, node, token, prompt, extra_data)]
    return lists


def hidden_value(graph: LiveGraph, node: str, token: str, prompt: Mapping[str, Any],
                 extra_data: Mapping[str, Any]) -> Any:
    if token == "PROMPT":
        return prompt
    if token == "EXTRA_PNGINFO":
        return extra_data.get("extra_pnginfo")
    if token == "UNIQUE_ID":
        return graph.display_id(node)
    if token == "DYNPROMPT":
        return graph
    return None


def call_arguments(spec: NodeSpec, lists: dict[str, Any]) -> list[dict[str, Any]]:
    """One kwargs dict per call: the longest list sets the count and shorter ones repeat their last item."""
    if spec.input_is_list:
        return [dict(lists)]
    if any(len(v) == 0 for v in lists.values()):
        return []
    count = max((len(v) for v in lists.values()), default=1)
    return [{k: v[min(i, len(v) - 1)] for k, v in lists.items()} for i in range(count)]


def has_blocker(lists: dict[str, Any]) -> bool:
    return any(isinstance(v, ExecutionBlocker) for values in lists.values() for v in values)


def call_blocker(kwargs: dict[str, Any], input_is_list: bool) -> ExecutionBlocker | None:
    """The ExecutionBlocker among one call's arguments: that call is skipped and yields the blocker, so a
    blocked item of a list drops only that item downstream (a list-input call is blocked by any item)."""
    for value in kwargs.values():
        for item in (value if input_is_list else (value,)):
            if isinstance(item, ExecutionBlocker):
                return item
    return None


def merge_outputs(spec: NodeSpec, rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Per output slot, the values of every call; list outputs are flattened."""
    merged: list[list[Any]] = [[] for _ in spec.outputs]
    for row in rows:
        for slot, out in enumerate(spec.outputs):
            value = row[slot] if slot < len(row) else None
            if out.is_list and isinstance(value, (list, tuple)):
                merged[slot].extend(value)
            else:
                merged[slot].append(value)
    return merged
