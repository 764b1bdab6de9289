"""ComfyUI V3 extensions: a pack without NODE_CLASS_MAPPINGS exports `comfy_entrypoint()` (sync or async),
which returns a ComfyExtension whose `get_node_list()` gives its io.ComfyNode classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.awaiting import resolve
from ..core.errors import PluginError


def extension_nodes(entrypoint: Callable[[], Any]) -> list[type]:
    extension = resolve(entrypoint())
    if not hasattr(extension, "get_node_list"):
        raise PluginError(f"comfy_entrypoint() returned {type(extension).__name__}, not a ComfyExtension")
    if hasattr(extension, "on_load"):
        resolve(extension.on_load())
    return list(resolve(extension.get_node_list()))
