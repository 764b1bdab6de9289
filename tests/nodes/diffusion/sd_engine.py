"""Test helpers for the diffusion family: an engine over real services, and the shipped graphs' builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nodegraph
from nodegraph.config import Config
from nodegraph.core.executor import Executor, RunResult
from nodegraph.core.validate import validate
from nodegraph.runtime.context import Context

ROOT = Path(__file__).resolve().parents[3]


class Engine:
    """Validate and run API prompts through the real executor, keeping the events."""

    def __init__(self, registry: Any, config: Config) -> None:
        self.engine = nodegraph.Engine(config, registry=registry)
        self.registry, self.services = registry, self.engine.services
        self.executor = self.engine.executor
        self.events: list[Any] = []
        self.on_event = None

    @property
    def models(self) -> Any:
        return self.services.models

    def sink(self, event: Any) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def check(self, prompt: dict[str, Any]) -> Any:
        self.registry.bind(self.services)  # tests share one registry between engines of several model folders
        return validate(prompt, self.registry, None)

    def run(self, prompt: dict[str, Any], fresh: bool = True, extra_data: dict[str, Any] | None = None) -> RunResult:
        checked = self.check(prompt)
        assert checked.ok, checked.body()
        if fresh:  # a new executor: nothing cached, so every node really runs again
            self.executor = Executor(self.registry, None, self.services, Context)
        self.events = []
        return self.executor.run(checked.prompt, list(checked.prompt), sink=self.sink, extra_data=extra_data)

    def progress(self, node: str) -> list[Any]:
        return [e for e in self.events if e.type == "progress" and e.node == node]


def make_engine(registry: Any, models_root: Path, base_dir: Path, **config: Any) -> Engine:
    return Engine(registry, Config(base_dir=base_dir, models_dirs=(models_root,), **config))


def assert_failure(result: RunResult, node: str, input_name: str, *words: str) -> None:
    """The run failed at `node` with a NodeError on `input_name` whose message has every one of `words`."""
    assert result.status == "error"
    error = result.error
    assert (error.node_id, error.input_name, error.exception_type) == (node, input_name, "NodeError"), error
    for word in words:
        assert word in error.exception_message, error.exception_message
