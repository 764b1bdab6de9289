"""A long-lived engine for one process: registry, services and executor, reused across runs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from .config import Config, load_config
from .core.cache import OutputCache
from .core.errors import PromptError
from .core.events import Sink, discard
from .core.executor import Executor, RunResult
from .core.validate import Validated, validate
from .plugins import build_registry
from .runtime.services import make_services


class Session:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or load_config()
        self.registry = build_registry(self.config.nodes_dirs)
        self.services = make_services(self.config)
        self.executor = Executor(self.registry, OutputCache(self.config.cache_entries, self.config.cache_bytes),
                                 self.services)

    def load(self, workflow: Any, overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """(API prompt, UI workflow or None) from any accepted workflow source."""
        from .workflow import apply_overrides, load_workflow

        loaded = load_workflow(workflow, self.registry)
        prompt = apply_overrides(loaded.prompt, dict(overrides)) if overrides else loaded.prompt
        return prompt, loaded.workflow

    def validate(self, prompt: Any, targets: list[str] | None = None) -> Validated:
        return validate(prompt, self.registry, targets)

    def execute(self, workflow: Any, overrides: Mapping[str, Any] | None = None, *, sink: Sink = discard,
                targets: list[str] | None = None, prompt_id: str | None = None) -> RunResult:
        """Load, validate and run; raises PromptError (with ComfyUI's error body) when invalid."""
        prompt, ui_workflow = self.load(workflow, overrides)
        return self.run_prompt(prompt, ui_workflow, sink=sink, targets=targets, prompt_id=prompt_id)

    def run_prompt(self, prompt: Any, ui_workflow: Any = None, *, sink: Sink = discard,
                   targets: list[str] | None = None, prompt_id: str | None = None) -> RunResult:
        checked = self.validate(prompt, targets)
        if not checked.ok:
            raise PromptError(checked.body())
        extra: dict[str, Any] = {"extra_pnginfo": {"workflow": ui_workflow}} if ui_workflow else {}
        return self.executor.run(checked.prompt, checked.outputs, prompt_id=prompt_id or uuid.uuid4().hex,
                                 sink=sink, extra_data=extra)
