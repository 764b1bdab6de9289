"""Helpers of the compat tests: an engine with ComfyUI-style custom node packs (V1 and V3, in
tests/compat/fixtures/custom_nodes) loaded the way ComfyUI loads them, and running prompts on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodegraph import Engine
from nodegraph.config import Config
from nodegraph.core.executor import RunResult

PACKS = Path(__file__).parent / "fixtures" / "custom_nodes"


class Packs:
    """The engine, and a run helper that keeps the events."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.events: list[Any] = []

    def run(self, prompt: dict[str, Any], **options: Any) -> RunResult:
        """Validate and run (options go to the executor, e.g. progress_state=True as the server asks)."""
        self.events = []
        checked = self.engine.validate(prompt)
        assert checked.ok, checked.body()
        return self.engine.executor.run(checked.prompt, checked.outputs, sink=self.events.append, **options)

    def errors(self, prompt: dict[str, Any]) -> dict[str, Any]:
        checked = self.engine.validate(prompt)
        return {node: [e["details"] or e["message"] for e in entry["errors"]]
                for node, entry in checked.node_errors.items()}


def packs_engine(base: Path) -> Engine:
    """ComfyUI's layout: the packs sit in the base folder's custom_nodes/."""
    custom = base / "custom_nodes"
    custom.symlink_to(PACKS, target_is_directory=True)
    return Engine(Config(base_dir=base))
