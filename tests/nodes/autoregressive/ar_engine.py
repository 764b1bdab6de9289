"""Runs API prompts through the real validator and executor for the AR and hybrid tests, keeping events
and what the Capture test nodes received."""

from __future__ import annotations

from typing import Any

import nodegraph
from nodegraph.core.executor import Executor, RunResult
from nodegraph.core.validate import validate
from nodegraph.runtime.context import Context


def captured() -> dict[str, Any]:
    """Values the Capture nodes of the last run received, by label."""
    import nodegraph_plugins.ar_capture as capture

    return capture.CAPTURED


class Engine:
    """Validate and run API prompts through the real executor, keeping the events."""

    def __init__(self, engine: nodegraph.Engine) -> None:
        self.engine = engine
        self.registry, self.services = engine.registry, engine.services
        self.executor = self.engine.executor
        self.events: list[Any] = []
        self.on_event = None

    def sink(self, event: Any) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def run(self, prompt: dict[str, Any], fresh: bool = True) -> RunResult:
        # Model combos list this engine's folders; several engines (tiny, shipped) share one registry.
        self.registry.bind(self.services)
        checked = validate(prompt, self.registry, None)
        assert checked.ok, checked.body()
        if fresh:  # a new executor: nothing cached, so the nodes really run again
            self.executor = Executor(self.registry, None, self.services, Context)
        self.events = []
        captured().clear()
        return self.executor.run(checked.prompt, checked.outputs, sink=self.sink)

    def progress(self, node: str) -> list[Any]:
        return [e for e in self.events if e.type == "progress" and e.node == node]
