"""One engine's ComfyUI: the modules node packs import (built for this engine on first import), the
PromptServer packs talk to, and the activation that serves those modules while pack code loads or runs.

Nothing here is a module global: two engines in one process each get their own `folder_paths` (their own
folders), their own `server.PromptServer.instance` and their own `nodes.NODE_CLASS_MAPPINGS`.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from types import ModuleType
from typing import Any

from ..core.context import InterruptFlag
from ..core.registry import Registry
from .finder import DOCS, ComfyFinder, missing_attribute

log = logging.getLogger(__name__)
PACKAGE = ""
# ComfyUI's module name -> the file of nodegraph/compat/modules that implements it (PACKAGE: a namespace).
SERVED: dict[str, str] = {
    "nodes": "nodes_module",
    "folder_paths": "folder_paths",
    "server": "server",
    "protocol": "protocol",
    "comfy": PACKAGE,
    "comfy.utils": "comfy_utils",
    "comfy.model_management": "model_management",
    "comfy.comfy_types": "comfy_types",
    "comfy.comfy_types.node_typing": "comfy_types",
    "comfy.samplers": "samplers",
    "comfy.supported_models": "supported_models",
    "comfy.model_detection": "model_detection",
    "comfy_execution": PACKAGE,
    "comfy_execution.graph_utils": "graph_utils",
    "comfy_execution.graph": "execution_graph",
    "comfy_api": PACKAGE,
    "comfy_api.latest": "comfy_api",
    "comfy_api.latest._io": "v3_io",
    "comfy_api.latest._ui": "v3_ui",
    "comfy_api.v0_0_2": "comfy_api",
}
PACKAGES = {"comfy", "comfy.comfy_types", "comfy_execution", "comfy_api", "comfy_api.latest", "comfy_api.v0_0_2"}


class ComfyHost:
    """Built by the Engine; `registry` and `interrupt` are the engine's, handed over as it builds them."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.registry = Registry()
        self.interrupt = InterruptFlag()
        self.prompt_server: Any = None  # built when a pack first imports `server`
        self.transport: Any = None  # the web server's message channel, attached when it starts
        self._modules: dict[str, ModuleType] = {}
        self._finder = ComfyFinder(self)
        self._lock = threading.RLock()
        self._depth = 0
        self._saved: dict[str, ModuleType] = {}

    # -- the modules -----------------------------------------------------------------------------------

    def serves(self, name: str) -> bool:
        return name in SERVED

    def is_package(self, name: str) -> bool:
        return name in PACKAGES

    def module(self, name: str) -> ModuleType:
        """The engine's module of that ComfyUI name, built on first use."""
        with self._lock:
            found = self._modules.get(name)
            if found is None:
                found = self._modules[name] = self._build(name)
            return found

    def _build(self, name: str) -> ModuleType:
        module = ModuleType(name, f"ComfyUI's {name}, provided by nodegraph's compatibility layer ({DOCS}).")
        implementation = SERVED[name]
        if implementation == PACKAGE:
            module.__getattr__ = self._package_getattr(name)  # type: ignore[attr-defined]
        else:
            source = importlib.import_module(f"{__package__}.modules.{implementation}")
            bind = getattr(source, "bind", None)
            namespace = bind(self) if bind is not None else {k: getattr(source, k) for k in source.__all__}
            module.__dict__.update(namespace)
            module.__dict__.setdefault("__getattr__", missing_attribute(name))
        # Shown by Python in "cannot import name X from M (...)", so a missing function's error says where.
        module.__dict__.setdefault("__file__", f"<nodegraph's ComfyUI compatibility layer: see {DOCS}>")
        if name in PACKAGES:
            module.__path__ = []
        return module

    def _package_getattr(self, package: str) -> Callable[[str], Any]:
        """`import comfy` then `comfy.utils.x` works in ComfyUI (its submodules are imported at start)."""
        missing = missing_attribute(package)

        def __getattr__(attr: str) -> Any:
            if f"{package}.{attr}" in SERVED:
                return self.module(f"{package}.{attr}")
            return missing(attr)

        return __getattr__

    # -- activation ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Serve this engine's modules for the duration; nests, and restores whatever held the names before."""
        with self._lock:
            if self._depth == 0:
                self._saved = {n: sys.modules.pop(n) for n in SERVED if n in sys.modules}
                sys.meta_path.insert(0, self._finder)
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    sys.meta_path.remove(self._finder)
                    for name in SERVED:
                        if name in sys.modules and sys.modules[name] is self._modules.get(name):
                            del sys.modules[name]
                    sys.modules.update(self._saved)
                    self._saved = {}

    def guard(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function` (pack code) run with the modules served, so imports inside it at run time resolve to
        this engine's; a coroutine it returns keeps them served while it runs."""

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.active():
                result = function(*args, **kwargs)
            return self._guarded(result) if inspect.isawaitable(result) else result

        return call

    async def _guarded(self, awaitable: Awaitable[Any]) -> Any:
        with self.active():
            return await awaitable

    def on_prompt(self, body: Any) -> Any:
        """A posted prompt body through the packs' on_prompt handlers, in order (as ComfyUI's server runs them;
        a failing handler is logged and skipped)."""
        handlers = getattr(self.prompt_server, "on_prompt_handlers", None) or []
        for handler in handlers:
            try:
                with self.active():
                    body = handler(body)
            except Exception:  # third-party code must not break submissions
                log.exception("on_prompt handler %r failed", handler)
        return body
