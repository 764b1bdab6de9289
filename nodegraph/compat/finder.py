"""The import hook that serves ComfyUI's module names (comfy.*, nodes, folder_paths, server, ...) to node packs,
and the clear errors a pack gets for the parts of ComfyUI's API that nodegraph does not provide.

The finder sits first on `sys.meta_path` only while one engine loads or runs pack code (`ComfyHost.active`),
so an unrelated installed package of the same name is untouched at every other time, and a pack's own
module of such a name imported relatively (`from .nodes import X`, full name `pack.nodes`) never matches.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .host import ComfyHost

DOCS = "docs/compat.md"
# Only ComfyUI's: nobody else ships these, so a clear error beats "No module named ...".
CLAIMED_ROOTS = ("comfy", "comfy_execution", "comfy_api", "comfy_extras", "comfy_api_nodes", "comfy_config",
                 "latent_preview", "node_helpers", "comfyui_version")


class MissingName(AttributeError):
    """A ComfyUI function or class the compatibility layer does not provide. An AttributeError, so packs
    that feature-test with hasattr() keep working; the message names what is missing."""


def missing_module_message(name: str) -> str:
    return (f"nodegraph's ComfyUI compatibility layer does not provide the module '{name}' "
            f"(what it provides is listed in {DOCS})")


def missing_attribute(module: str) -> Callable[[str], Any]:
    """A module `__getattr__` that names the missing function instead of a bare AttributeError."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise MissingName(f"nodegraph's ComfyUI compatibility layer does not provide {module}.{name} "
                          f"(what it provides is listed in {DOCS})")

    return __getattr__


def claimed(name: str) -> bool:
    return name.split(".", 1)[0] in CLAIMED_ROOTS


class ComfyFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the host's modules; the module objects are the host's own, built for its engine."""

    def __init__(self, host: ComfyHost) -> None:
        self.host = host

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if self.host.serves(fullname):
            return importlib.util.spec_from_loader(fullname, self, is_package=self.host.is_package(fullname))
        if claimed(fullname):
            raise ModuleNotFoundError(missing_module_message(fullname), name=fullname)
        return None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return self.host.module(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the host built the module with its engine's folders, server and registry."""
