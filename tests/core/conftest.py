"""Fixtures for engine tests: the real registry with a classic ComfyUI-style test pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nodegraph.core.executor import Executor, RunResult
from nodegraph.core.limits import Limits
from nodegraph.core.validate import validate
from nodegraph.plugins import build_registry

FIXTURES = Path(__file__).parent / "fixtures"
LIMITS = Limits(max_prompt_nodes=100_000)  # executor tests run chains past the default node limit


@pytest.fixture(scope="session")
def registry():
    return build_registry([FIXTURES])


@pytest.fixture()
def calls():
    import nodegraph_plugins.testing_pack as pack

    pack.CALLS.clear()
    return pack.CALLS


class Engine:
    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self.executor = Executor(registry)
        self.events: list[Any] = []

    def run(self, prompt: dict[str, Any], targets: list[str] | None = None) -> RunResult:
        checked = validate(prompt, self.registry, targets, LIMITS)
        assert checked.ok, checked.body()
        self.events = []
        return self.executor.run(checked.prompt, checked.outputs, sink=self.events.append)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


@pytest.fixture()
def engine(registry):
    return Engine(registry)
