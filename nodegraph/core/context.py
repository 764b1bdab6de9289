"""The narrow object a node receives as `ctx`: who it is, progress, interrupt, and runtime services."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import Interrupted
from .events import Progress
from .previews import resolve


class InterruptFlag:
    """Set from any thread; checked by the executor between nodes and by nodes at each progress report."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()


@dataclass
class NodeContext:
    prompt_id: str
    node_id: str
    display_node_id: str
    class_type: str
    emit: Callable[[Any], None]
    interrupt: InterruptFlag
    services: Any = None  # the engine's runtime services (folders, models); opaque to the core
    prompt: Mapping[str, Any] = field(default_factory=dict)
    extra_data: Mapping[str, Any] = field(default_factory=dict)
    call_index: int = 0  # which call of the node's list semantics is running
    graphs_built: int = 0  # sub-graphs built during this call (each gets its own id prefix)

    def check_interrupted(self) -> None:
        if self.interrupt.is_set():
            raise Interrupted(f"interrupted at node {self.node_id} ({self.class_type})")

    @property
    def preview_method(self) -> str:
        """How this run wants progress previews drawn; "none" means make none (they would be dropped).
        The server decides per prompt; a run from the Python API or CLI that names none gets "auto"."""
        return resolve(self.extra_data, "auto")

    def progress(self, value: float, total: float, preview: Any = None) -> None:
        """Report progress; raises Interrupted if the user asked to stop, so long loops stay stoppable."""
        self.check_interrupted()
        self.emit(Progress(self.prompt_id, self.display_node_id, value, total, preview))

    def expansion_prefix(self) -> str:
        """A node-id prefix for a sub-graph this call expands into, unique within the prompt and the same on
        every run (ComfyUI's GraphBuilder default: "{node}.{call}.{graph}.")."""
        prefix = f"{self.node_id}.{self.call_index}.{self.graphs_built}."
        self.graphs_built += 1
        return prefix

    def service(self, name: str) -> Any:
        value = getattr(self.services, name, None)
        if value is None:
            raise LookupError(f"runtime service {name!r} is not available to node {self.node_id}")
        return value


_current: contextvars.ContextVar[NodeContext | None] = contextvars.ContextVar("nodegraph_ctx", default=None)


def current() -> NodeContext | None:
    """The context of the node running now; lets classic ComfyUI nodes report progress without a ctx."""
    return _current.get()


def bind(ctx: NodeContext | None) -> contextvars.Token:
    return _current.set(ctx)


def unbind(token: contextvars.Token) -> None:
    _current.reset(token)


async def within(ctx: NodeContext, awaitable: Awaitable[Any]) -> Any:
    """Await a node's coroutine with its context bound, so `current()` finds it inside async node code."""
    token = bind(ctx)
    try:
        return await awaitable
    finally:
        unbind(token)
