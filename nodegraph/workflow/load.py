"""Loads a workflow from whatever the user has (an API prompt, a UI workflow, a .json file, a PNG) as a prompt."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import safejson
from ..core.limits import InputRefused, Limits
from ..core.registry import Registry
from ..resources import shipped_workflows
from .convert import ui_to_api
from .detect import kind
from .errors import WorkflowError
from .overrides import apply_overrides
from .png import PNG_SIGNATURE, workflow_from_png

__all__ = ["Loaded", "apply_overrides", "load_workflow"]


@dataclass
class Loaded:
    """The API prompt to run, and the UI workflow it came from when there was one (to embed in outputs)."""

    prompt: dict[str, Any]
    workflow: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def load_workflow(source: dict[str, Any] | str | Path | bytes, registry: Registry,
                  limits: Limits | None = None) -> Loaded:
    """Read `source`: a parsed workflow, JSON text, a path to a .json or .png file, or PNG bytes.

    Raises WorkflowError for what cannot be read, InputRefused for what is over a limit (`limits`).
    """
    reader = _Reader(registry, limits or Limits())
    if isinstance(source, dict):
        safejson.check(source, reader.limits, "the workflow")
        return reader.from_object(source, "the workflow")
    if isinstance(source, (bytes, bytearray)):
        if bytes(source[:8]) == PNG_SIGNATURE:
            return reader.from_png(bytes(source), "the PNG data")
        return reader.from_object(reader.parse(bytes(source), "the workflow data"), "the workflow data")
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return reader.from_object(reader.parse(source, "the workflow text"), "the workflow text")
    if isinstance(source, (str, Path)):
        return reader.from_file(Path(source))
    raise WorkflowError(f"cannot load a workflow from a {type(source).__name__}; give a dict, a path, "
                        "JSON text or PNG bytes")


@dataclass
class _Reader:
    registry: Registry
    limits: Limits

    def from_file(self, path: Path) -> Loaded:
        label = f"'{path.name}'"
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            path = _shipped(path, exc)
            data = path.read_bytes()
        except OSError as exc:
            raise WorkflowError(f"cannot read workflow file {path}: {exc.strerror or exc}") from exc
        if data.startswith(PNG_SIGNATURE):
            return self.from_png(path, label)
        return self.from_object(self.parse(data, label), label)

    def parse(self, data: bytes | str, label: str) -> Any:
        try:
            return safejson.loads(data, self.limits, label)
        except InputRefused as exc:
            if exc.setting is not None:  # over a limit: the error names the setting
                raise
            if exc.type == "invalid_json" and isinstance(data, bytes) and "UTF-8" in str(exc):
                raise WorkflowError(f"{label} is neither JSON text nor a PNG file") from None
            raise WorkflowError(str(exc)) from None

    def from_object(self, obj: Any, label: str) -> Loaded:
        found = kind(obj)
        if found == "ui":
            return Loaded(ui_to_api(obj, self.registry, self.limits), obj)
        if found == "api":
            return Loaded(copy.deepcopy(obj))
        # The body a ComfyUI client POSTs to /prompt: {"prompt": ..., "extra_data": {"extra_pnginfo": {"workflow"}}}.
        if isinstance(obj, dict) and kind(obj.get("prompt")) == "api":
            extra = obj.get("extra_data") if isinstance(obj.get("extra_data"), dict) else {}
            info = extra.get("extra_pnginfo") if isinstance(extra.get("extra_pnginfo"), dict) else {}
            workflow = info.get("workflow")
            return Loaded(copy.deepcopy(obj["prompt"]), workflow if kind(workflow) == "ui" else None)
        raise WorkflowError(f"{label} is neither an API prompt (nodes with class_type) nor a UI workflow "
                            "(an object with 'nodes' and 'links' lists)")

    def from_png(self, source: bytes | Path, label: str) -> Loaded:
        """Prefer the UI workflow (what the user drew); fall back to the API prompt chunk."""
        found = workflow_from_png(source, self.limits)
        workflow, prompt = found["workflow"], found["prompt"]
        if workflow is not None and kind(workflow) == "ui":
            try:
                return Loaded(ui_to_api(workflow, self.registry, self.limits), workflow)
            except WorkflowError as exc:
                if prompt is None or kind(prompt) != "api":
                    raise
                # e.g. a frontend-only node from an editor extension this server does not know
                return Loaded(copy.deepcopy(prompt), workflow,
                              [f"{label}: used the saved API prompt, because its UI workflow did not convert: {exc}"])
        if prompt is not None and kind(prompt) == "api":
            return Loaded(copy.deepcopy(prompt), None)
        raise WorkflowError(f"{label} carries no workflow (no 'workflow' or 'prompt' text chunk)")


def _shipped(path: Path, missing: FileNotFoundError) -> Path:
    """A bare name that is no file may be a shipped workflow's: `nodegraph run txt2img`."""
    if path.name != str(path):
        raise WorkflowError(f"workflow file {path} does not exist") from missing
    shipped = shipped_workflows()
    if path.stem in shipped and path.suffix in ("", ".json"):
        return shipped[path.stem]
    raise WorkflowError(f"workflow file {path} does not exist, and no shipped workflow has that "
                        f"name; shipped workflows: {', '.join(shipped) or 'none'}") from missing
