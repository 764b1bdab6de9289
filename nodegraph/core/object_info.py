"""Renders a NodeSpec as ComfyUI's `/object_info` entry, which the editor and ComfyUI clients read."""

from __future__ import annotations

from typing import Any

from .schema import NodeSpec


def object_info(spec: NodeSpec) -> dict[str, Any]:
    required = {n: i.comfy_entry() for n, i in spec.inputs.items() if not i.optional}
    optional = {n: i.comfy_entry() for n, i in spec.inputs.items() if i.optional}
    section: dict[str, Any] = {"required": required}
    if optional:
        section["optional"] = optional
    if spec.hidden:
        section["hidden"] = dict(spec.hidden)
    info: dict[str, Any] = {
        "input": section,
        "input_order": {"required": list(required), **({"optional": list(optional)} if optional else {})},
        "output": [o.type for o in spec.outputs],
        "output_is_list": [o.is_list for o in spec.outputs],
        "output_name": [o.name or o.type for o in spec.outputs],
        "name": spec.name,
        "display_name": spec.display_name,
        "description": spec.description,
        "python_module": spec.python_module,
        "category": spec.category,
        "output_node": spec.output_node,
        "version": spec.version,
    }
    if any(o.tooltip for o in spec.outputs):
        info["output_tooltips"] = [o.tooltip for o in spec.outputs]
    if spec.deprecated:
        info["deprecated"] = True
    if spec.experimental:
        info["experimental"] = True
    return info
