"""Readable one-line-per-problem text for validation and execution errors (CLI and logs)."""

from __future__ import annotations

from typing import Any


def _where(node_id: str, entry: dict[str, Any], prompt: dict[str, Any] | None) -> str:
    title = ((prompt or {}).get(node_id, {}).get("_meta") or {}).get("title")
    label = f"node {node_id} ({entry.get('class_type', '?')})"
    return f"{label} '{title}'" if title and title != entry.get("class_type") else label


def validation_text(body: dict[str, Any], prompt: dict[str, Any] | None = None) -> str:
    error = body.get("error") or {}
    lines = [f"invalid workflow: {error.get('message', 'validation failed')}"]
    node_errors = body.get("node_errors") or {}
    for node_id, entry in node_errors.items():
        for err in entry.get("errors", []):
            info = err.get("extra_info") or {}
            name = info.get("input_name")
            where = _where(node_id, entry, prompt) + (f", input '{name}'" if name else "")
            detail = err.get("details") or ""
            text = err.get("message", "")
            # ComfyUI-style details often restate the message ("steps: ..."); show only what is new.
            if detail and detail != name and not detail.startswith(f"{name}:") and detail not in text:
                text = f"{text} ({detail})"
            received = info.get("received_value")
            if received is not None and name and repr(received) not in text and str(received) not in text:
                text += f"; received {received!r}"
            lines.append(f"  {where}: {text}")
    if not node_errors and error.get("details"):
        lines.append(f"  {error['details']}")
    return "\n".join(lines)
