"""Tells which of ComfyUI's two workflow formats a parsed JSON value is."""

from __future__ import annotations

from typing import Any, Literal

Kind = Literal["api", "ui"]


def kind(obj: Any) -> Kind | None:
    """"ui" for an editor workflow, "api" for a prompt, None for anything else.

    A UI workflow is an object with a "nodes" list and a "links" list (both versions 0.4 and 1). An
    API prompt is an object of node objects carrying "class_type". A prompt with a few malformed nodes
    still counts as "api" so the validator, not this guess, reports what is wrong with them.
    """
    if not isinstance(obj, dict) or not obj:
        return None
    if isinstance(obj.get("nodes"), list) and isinstance(obj.get("links"), list):
        return "ui"
    if any(isinstance(node, dict) and "class_type" in node for node in obj.values()):
        return "api"
    return None
