"""The engine of one process, built in one place: configuration, node registry, runtime services, output
cache and executor. The CLI, the Python API and the server all construct it here and nowhere else."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .compat.host import ComfyHost
from .config import Config, load_config
from .core.cache import OutputCache
from .core.errors import PromptError
from .core.events import Sink, discard
from .core.executor import Executor, RunResult
from .core.object_info import object_info
from .core.registry import Registry
from .core.validate import Validated, validate
from .plugins import build_registry
from .runtime.context import Context
from .runtime.services import Services, make_services


def literal_strings(prompt: Any) -> list[str]:
    """The string values a prompt's nodes are given (file names among them); the prompt is not validated yet."""
    nodes = prompt.values() if isinstance(prompt, dict) else ()
    return [value for node in nodes if isinstance(node, dict) and isinstance(node.get("inputs"), dict)
            for value in node["inputs"].values() if isinstance(value, str)]


class Engine:
    """Long-lived: loaded models and cached outputs are kept between runs of the same engine."""

    def __init__(self, config: Config | None = None, *, registry: Registry | None = None) -> None:
        self.config = config or load_config()
        self.services: Services = make_services(self.config)
        # ComfyUI's modules (folder_paths, server, nodes, comfy.*) as this engine's packs see them.
        self.comfy = ComfyHost(self.services)
        if registry is None:
            registry = build_registry(self.plugin_dirs(), host=self.comfy, comfy_packs=self.config.custom_nodes)
        self.registry = self.comfy.registry = registry
        # Choice lists (input files, installed models) are read from this engine's folders.
        self.registry.bind(self.services)
        self.cache = OutputCache(self.config.cache_entries, self.config.cache_bytes)
        self.executor = Executor(self.registry, self.cache, self.services, Context,
                                 max_nodes=self.config.max_prompt_nodes)
        self.comfy.interrupt = self.executor.interrupt

    def plugin_dirs(self) -> list[Path]:
        """The configured plugin folders, extra_model_paths.yaml's custom_nodes folders, and the base folder's
        custom_nodes/ (as ComfyUI's) when it exists; only the configured ones with custom nodes disabled."""
        if not self.config.custom_nodes:
            return list(dict.fromkeys(self.config.nodes_dirs))
        dirs = list(dict.fromkeys((*self.config.nodes_dirs, *self.services.models.extra_paths.custom_nodes)))
        custom = self.config.base_dir / "custom_nodes"
        if custom.is_dir() and custom not in dirs:
            dirs.append(custom)
        return dirs

    def load(self, workflow: Any, overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """(API prompt, UI workflow or None) from any accepted workflow source."""
        from .workflow import apply_overrides, load_workflow

        loaded = load_workflow(workflow, self.registry, self.config.limits)
        prompt = apply_overrides(loaded.prompt, dict(overrides)) if overrides else loaded.prompt
        self.services.files.provide_examples(literal_strings(prompt))
        return prompt, loaded.workflow

    def validate(self, prompt: Any, targets: list[str] | None = None) -> Validated:
        return validate(prompt, self.registry, targets, self.config.limits)

    def object_info(self) -> dict[str, Any]:
        """ComfyUI's /object_info for every registered node, choice lists read now."""
        return {spec.name: object_info(spec) for spec in self.registry}

    def execute(self, workflow: Any, overrides: Mapping[str, Any] | None = None, *, sink: Sink = discard,
                targets: list[str] | None = None, prompt_id: str | None = None) -> RunResult:
        """Load, validate and run; raises PromptError (with ComfyUI's error body) when invalid."""
        prompt, ui_workflow = self.load(workflow, overrides)
        return self.run_prompt(prompt, ui_workflow, sink=sink, targets=targets, prompt_id=prompt_id)

    def run_prompt(self, prompt: Any, ui_workflow: Any = None, *, sink: Sink = discard,
                   targets: list[str] | None = None, prompt_id: str | None = None) -> RunResult:
        checked = self.validate(prompt, targets).whole()
        if not checked.ok:
            raise PromptError(checked.body())
        return self.run_checked(checked, ui_workflow, sink=sink, prompt_id=prompt_id)

    def run_checked(self, checked: Validated, ui_workflow: Any = None, *, sink: Sink = discard,
                    prompt_id: str | None = None) -> RunResult:
        """Run a prompt `validate` accepted."""
        extra: dict[str, Any] = {"extra_pnginfo": {"workflow": ui_workflow}} if ui_workflow else {}
        return self.executor.run(checked.prompt, checked.outputs, prompt_id=prompt_id or uuid.uuid4().hex,
                                 sink=sink, extra_data=extra)
