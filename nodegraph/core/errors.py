"""Named errors and ComfyUI's structured error dicts."""

from __future__ import annotations

from typing import Any


class NodeGraphError(Exception):
    """Base of every error the engine raises on purpose."""


class PluginError(NodeGraphError):
    """A node class or plugin that cannot be registered."""


class Interrupted(NodeGraphError):
    """Raised inside a node when the user interrupts the prompt."""


class NodeError(NodeGraphError):
    """A node failed in a way it can explain: names the input and what was expected.

    Nodes raise it (`raise NodeError("mask", "expected a 64x64 mask, got 32x32")`) so the user gets a
    message instead of a traceback.
    """

    def __init__(self, input_name: str | None, message: str) -> None:
        super().__init__(f"input '{input_name}': {message}" if input_name else message)
        self.input_name = input_name


class CycleError(NodeGraphError):
    def __init__(self, cycle: list[str], blame: str | None = None) -> None:
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle
        self.blame = blame


class PromptError(NodeGraphError):
    """A prompt that failed validation; carries ComfyUI's `{error, node_errors}` body."""

    def __init__(self, body: dict[str, Any]) -> None:
        error_ = body.get("error") or {}
        details = error_.get("details") or ""
        super().__init__(f"{error_.get('message', 'invalid prompt')}" + (f":\n{details}" if details else ""))
        self.body = body


def error(type_: str, message: str, details: str = "", **extra_info: Any) -> dict[str, Any]:
    return {"type": type_, "message": message, "details": details, "extra_info": extra_info}


def node_errors_entry(class_type: str, errors: list[dict[str, Any]],
                      dependent_outputs: list[str] | None = None) -> dict[str, Any]:
    """One node's value in ComfyUI's `node_errors` map, which editors read to outline the node at fault."""
    return {"errors": list(errors), "dependent_outputs": list(dependent_outputs or []), "class_type": class_type}
