"""The set of node classes the engine can run, keyed by class name, and what failed to load."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .schema import NodeSpec


@dataclass(frozen=True)
class LoadFailure:
    source: str
    error: str
    traceback: str = ""  # the full traceback of a plugin that failed to import, for the log and `nodegraph nodes`


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, NodeSpec] = {}
        self.failures: list[LoadFailure] = []
        self.loaded_sources: list[str] = []
        # Pack name -> folder of editor extensions it ships (ComfyUI's WEB_DIRECTORY), served at /extensions/.
        self.web_dirs: dict[str, Any] = {}
        self.env: Any = None  # what choice callables read: the owning engine's services

    def bind(self, env: Any) -> None:
        """Tie every choice list to `env` (the engine's services), now and for nodes added later."""
        self.env = env
        for spec in self._specs.values():
            self._bind(spec)

    def _bind(self, spec: NodeSpec) -> None:
        spec.env = self.env
        spec.inputs = {name: decl.bound(self.env) for name, decl in spec.inputs.items()}

    def add(self, spec: NodeSpec, *, replace: bool = False) -> bool:
        """Register a node; like ComfyUI, a later plugin may not take over an existing name."""
        if spec.name in self._specs and not replace:
            self.failures.append(LoadFailure(spec.python_module, f"node {spec.name!r} is already registered"))
            return False
        if self.env is not None:
            self._bind(spec)
        self._specs[spec.name] = spec
        return True

    def get(self, name: str) -> NodeSpec | None:
        return self._specs.get(name)

    def __getitem__(self, name: str) -> NodeSpec:
        return self._specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[NodeSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        return list(self._specs)
