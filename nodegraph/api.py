"""The Python API behind `nodegraph.run` and `nodegraph.validate`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core.errors import NodeGraphError
from .core.events import Sink, discard
from .core.executor import RunResult
from .core.validate import Validated
from .engine import Engine


class RunError(NodeGraphError):
    """A node failed or the run was interrupted; `event` is the execution_error/interrupted event."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class RunOutputs:
    prompt_id: str
    ui: dict[str, dict[str, Any]]
    images: list[Path]
    result: RunResult = field(repr=False)
    files: list[Path] = field(default_factory=list)  # every saved file, images included

    def __getitem__(self, node_id: str) -> dict[str, Any]:
        return self.ui[node_id]

    def value(self, node_id: str, slot: int = 0) -> Any:
        """The value a node produced on an output slot (first item of its list)."""
        return self.result.output(node_id, slot)


def _paths(engine: Engine, ui: Mapping[str, Mapping[str, Any]], keys: tuple[str, ...] | None) -> list[Path]:
    files = engine.services.files
    return [files.resolve(item["type"], item["filename"], item.get("subfolder", ""))
            for entry in ui.values() for key, items in entry.items() if keys is None or key in keys
            if isinstance(items, list)
            for item in items if isinstance(item, dict) and {"filename", "type"} <= item.keys()]


def image_paths(engine: Engine, ui: Mapping[str, Mapping[str, Any]]) -> list[Path]:
    return _paths(engine, ui, ("images",))


def saved_paths(engine: Engine, ui: Mapping[str, Mapping[str, Any]]) -> list[Path]:
    """Every file a run's nodes report ({"filename", "subfolder", "type"} under any ui key: images,
    checkpoints...), as ComfyUI's output nodes report them."""
    return _paths(engine, ui, None)


def describe_failure(result: RunResult) -> str:
    if result.error is not None:
        err = result.error
        where = f"node {err.node_id} ({err.node_type})"
        if err.input_name:
            where += f", input '{err.input_name}'"
        return f"{where}: {err.exception_message}"
    if result.interrupted is not None:
        return f"interrupted at node {result.interrupted.node_id}"
    return result.status


def run(workflow: Any, overrides: Mapping[str, Any] | None = None, *, engine: Engine | None = None,
        sink: Sink = discard, targets: list[str] | None = None) -> RunOutputs:
    """Run on `engine` (pass one to keep models and cached outputs between runs; without one, a new
    engine is built from the default configuration for this run alone)."""
    engine = engine or Engine()
    result = engine.execute(workflow, overrides, sink=sink, targets=targets)
    if result.status != "success":
        raise RunError(describe_failure(result), result)
    return RunOutputs(result.prompt_id, result.ui, image_paths(engine, result.ui), result,
                      saved_paths(engine, result.ui))


def validate(workflow: Any, *, engine: Engine | None = None, targets: list[str] | None = None) -> Validated:
    engine = engine or Engine()
    prompt, _ = engine.load(workflow)
    return engine.validate(prompt, targets)
