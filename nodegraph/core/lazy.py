"""Lazy inputs: what a node's check hook sees, and which of its requests the executor must satisfy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .prompt import as_link, is_link
from .schema import NodeSpec


def lazy_value(lists: dict[str, Any], spec: NodeSpec) -> dict[str, Any]:
    """Available values for the check hook; lazy inputs not yet evaluated are None."""
    if spec.input_is_list:
        return dict(lists)
    return {name: (values[0] if values else None) if values is not None else None
            for name, values in lists.items() if name in spec.inputs}


def lazy_requests(names: Iterable[str] | None, inputs: dict[str, Any], spec: NodeSpec,
                  values: dict[str, Any], strong: set[tuple[str, str]], node: str) -> list[str]:
    """The requested names that are linked, not yet evaluated and not already requested."""
    wanted = []
    for name in names or ():
        value = inputs.get(name)
        if not is_link(value) or (node, name) in strong:
            continue
        decl = spec.inputs.get(name)
        if decl is None or not decl.lazy:
            continue
        if as_link(value)[0] not in values:
            wanted.append(name)
    return wanted
