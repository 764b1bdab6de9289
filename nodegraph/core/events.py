"""Typed execution events. Each carries only its own node's data, so its size never grows with the graph."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Event:
    type: ClassVar[str] = ""
    prompt_id: str

    def data(self) -> dict[str, Any]:
        """The websocket `data` object ComfyUI clients expect for this event."""
        return asdict(self)


@dataclass
class ExecutionStart(Event):
    type: ClassVar[str] = "execution_start"
    timestamp: int = field(default_factory=_now_ms)


@dataclass
class ExecutionCached(Event):
    type: ClassVar[str] = "execution_cached"
    nodes: list[str] = field(default_factory=list)
    timestamp: int = field(default_factory=_now_ms)


@dataclass
class Executing(Event):
    type: ClassVar[str] = "executing"
    node: str | None = None
    display_node: str | None = None


@dataclass
class Progress(Event):
    type: ClassVar[str] = "progress"
    node: str | None = None
    value: float = 0
    max: float = 1
    # An image (PIL) the transport may encode as a binary preview frame; never part of data().
    preview: Any = None

    def data(self) -> dict[str, Any]:
        return {"value": self.value, "max": self.max, "prompt_id": self.prompt_id, "node": self.node}


@dataclass
class ProgressState(Event):
    """ComfyUI's per-node states (running, finished, error); see progress_state.py for what it carries."""

    type: ClassVar[str] = "progress_state"
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Executed(Event):
    type: ClassVar[str] = "executed"
    node: str = ""
    display_node: str = ""
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExecutionSuccess(Event):
    type: ClassVar[str] = "execution_success"
    timestamp: int = field(default_factory=_now_ms)


@dataclass
class ExecutionError(Event):
    type: ClassVar[str] = "execution_error"
    node_id: str = ""
    node_type: str = ""
    executed: list[str] = field(default_factory=list)
    exception_message: str = ""
    exception_type: str = ""
    traceback: list[str] = field(default_factory=list)
    current_inputs: dict[str, Any] = field(default_factory=dict)
    current_outputs: list[str] = field(default_factory=list)
    input_name: str | None = None
    timestamp: int = field(default_factory=_now_ms)


@dataclass
class ExecutionInterrupted(Event):
    type: ClassVar[str] = "execution_interrupted"
    node_id: str | None = None
    node_type: str | None = None
    executed: list[str] = field(default_factory=list)
    timestamp: int = field(default_factory=_now_ms)


class Sink(Protocol):
    def __call__(self, event: Event) -> None: ...


def discard(event: Event) -> None:
    """A sink for callers that only want results."""
