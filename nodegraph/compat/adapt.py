"""Which ComfyUI node API a class is written against (classic V1 or the V3 schema), and its NodeSpec."""

from __future__ import annotations

from typing import Any

from ..core.schema import NodeSpec
from .classic import is_classic, spec_from_classic
from .v3 import is_v3, spec_from_v3


def is_comfy_node(obj: Any) -> bool:
    return is_v3(obj) or is_classic(obj)


def spec_from_comfy(obj: Any, name: str | None, display_name: str | None = None, module: str = "",
                    host: Any = None) -> NodeSpec:
    """The spec of a V1 or V3 node class; with a ComfyHost its code runs with ComfyUI's modules served."""
    if is_v3(obj):
        return spec_from_v3(obj, name, display_name, module, host)
    return spec_from_classic(obj, name or obj.__name__, display_name, module, host)
