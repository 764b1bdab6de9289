"""What a node's run method may return besides plain values: UI output, sub-graphs, blockers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ExecutionBlocker:
    """An output value that stops every consumer from running.

    With a message the prompt fails with "Execution Blocked: <message>"; without one the consumers
    are skipped silently (ComfyUI's contract, used by switch and gate nodes).
    """

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"ExecutionBlocker({self.message!r})"


@dataclass
class Result:
    """A node's full answer: output values, UI data for the editor, and an optional sub-graph.

    `expand` is an API-format prompt; output values may then be links `[node_id, slot]` into it.
    """

    values: tuple[Any, ...] = ()
    ui: dict[str, list[Any]] | None = None
    expand: dict[str, Any] | None = None


@dataclass
class Normalized:
    values: tuple[Any, ...] | None
    ui: dict[str, list[Any]] | None = None
    expand: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def normalize(raw: Any, n_outputs: int) -> Normalized:
    """Accept every return shape the contracts allow and give one canonical form."""
    if isinstance(raw, Result):
        return Normalized(tuple(raw.values) if raw.values is not None else None, raw.ui, raw.expand)
    if isinstance(raw, ExecutionBlocker):
        return Normalized(tuple(raw for _ in range(max(n_outputs, 1))))
    if isinstance(raw, dict) and ({"result", "ui", "expand"} & raw.keys()) and set(raw) <= {
        "result", "ui", "expand"
    }:
        result = raw.get("result")
        if isinstance(result, ExecutionBlocker):
            result = tuple(result for _ in range(max(n_outputs, 1)))
        values = tuple(result) if result is not None else (None,) * n_outputs
        return Normalized(values, raw.get("ui"), raw.get("expand"))
    if isinstance(raw, tuple):
        return Normalized(raw)
    if raw is None and n_outputs == 0:
        return Normalized(())
    if n_outputs == 1:
        return Normalized((raw,))
    if isinstance(raw, list) and len(raw) == n_outputs:
        return Normalized(tuple(raw))
    raise TypeError(f"node returned {type(raw).__name__}, expected a tuple of {n_outputs} values")
