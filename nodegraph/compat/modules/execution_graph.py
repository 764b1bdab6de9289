"""ComfyUI's `comfy_execution.graph`: ExecutionBlocker (nodegraph's class itself), the DynamicPrompt a node gets
through the hidden DYNPROMPT input (nodegraph's live graph, with ComfyUI's methods), and get_input_info."""

from __future__ import annotations

from typing import Any

from ...core.graph import LiveGraph
from ...core.results import ExecutionBlocker

__all__ = ["ExecutionBlocker", "DynamicPrompt", "get_input_info"]

DynamicPrompt = LiveGraph


def get_input_info(class_def: Any, input_name: str,
                   valid_inputs: dict[str, Any] | None = None) -> tuple[Any, str | None, dict[str, Any] | None]:
    """(type, "required"|"optional"|"hidden", options) of a V1 node class's input; Nones when undeclared."""
    declared = valid_inputs if valid_inputs is not None else class_def.INPUT_TYPES()
    for category in ("required", "optional", "hidden"):
        entry = (declared.get(category) or {}).get(input_name)
        if entry is None:
            continue
        if category == "hidden" or not isinstance(entry, (tuple, list)):
            return entry, category, None
        options = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else None
        return entry[0], category, options
    return None, None, None
