"""Finds node plugins (the built-in nodes/ folder, extra folders such as custom_nodes, entry points) and fills
a Registry.

A plugin that fails to import is recorded with its error and traceback and skipped; loading never dies from one.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import re
import sys
import traceback
import types
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .compat.adapt import is_comfy_node, spec_from_comfy
from .compat.packs import extension_nodes
from .core.errors import PluginError
from .core.native import spec_from_native
from .core.node import Node
from .core.registry import LoadFailure, Registry
from .core.schema import NodeSpec

ENTRY_POINT_GROUP = "nodegraph.nodes"
COMFY_ENTRY_POINT_GROUP = "comfyui_legacy.custom_nodes"
PLUGIN_PACKAGE = "nodegraph_plugins"
# The repository's nodes/ folder, installed under a name that shadows nothing (see pyproject.toml).
BUILTIN_PACKAGE = "nodegraph_nodes"


def spec_for(obj: Any, name: str | None = None, display_name: str | None = None, module: str = "",
             host: Any = None) -> NodeSpec:
    if inspect.isclass(obj) and issubclass(obj, Node):
        return spec_from_native(obj, name, display_name, module)
    if is_comfy_node(obj):
        return spec_from_comfy(obj, name, display_name, module, host)
    raise PluginError(f"{name or obj!r} is neither a nodegraph Node nor a ComfyUI node class")


def register_module(module: Any, registry: Registry, label: str, host: Any = None) -> int:
    """Register what a plugin module exports: `NODES` (native classes), `NODE_CLASS_MAPPINGS` (ComfyUI V1 or V3
    classes) or, without a mapping, ComfyUI's V3 `comfy_entrypoint()` extension."""
    count = 0
    for part, problem in (getattr(module, "LOAD_ERRORS", {}) or {}).items():
        registry.failures.append(LoadFailure(f"{label}.{part}", problem))
    names = dict(getattr(module, "NODE_DISPLAY_NAME_MAPPINGS", {}) or {})
    exported: list[tuple[str | None, Any]] = [(None, cls) for cls in getattr(module, "NODES", [])]
    mappings = getattr(module, "NODE_CLASS_MAPPINGS", None)
    exported += list((mappings or {}).items())
    if mappings is None and callable(getattr(module, "comfy_entrypoint", None)):
        exported += [(None, cls) for cls in extension_nodes(module.comfy_entrypoint)]
    for name, cls in exported:
        try:
            spec = spec_for(cls, name, names.get(name) if name else None, label, host)
        except Exception as exc:  # one bad class must not hide its siblings
            registry.failures.append(LoadFailure(f"{label}:{name or getattr(cls, '__name__', cls)}", str(exc)))
            continue
        count += registry.add(spec)
    return count


def _import_path(path: Path, module_name: str) -> types.ModuleType:
    if path.is_dir():
        init = path / "__init__.py"
        spec = importlib.util.spec_from_file_location(module_name, init, submodule_search_locations=[str(path)])
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot import {path}")
    # A pack loaded again (by another engine) is a fresh copy: its submodules too, bound to this engine.
    for stale in [n for n in sys.modules if n == module_name or n.startswith(module_name + ".")]:
        del sys.modules[stale]
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _module_name(path: Path) -> str:
    if PLUGIN_PACKAGE not in sys.modules:
        package = types.ModuleType(PLUGIN_PACKAGE)
        package.__path__ = []
        sys.modules[PLUGIN_PACKAGE] = package
    return f"{PLUGIN_PACKAGE}.{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}"


def _failure(source: str, exc: BaseException) -> LoadFailure:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return LoadFailure(source, detail, "".join(traceback.format_exception(exc)))


def load_path(path: Path, registry: Registry, label: str | None = None, host: Any = None,
              module_name: str | None = None) -> None:
    """Load one plugin: a .py file or a package folder (ComfyUI's custom node layout). With a ComfyHost, the
    ComfyUI modules it imports are served while it loads; a failure is recorded with its traceback."""
    label = label or path.stem
    try:
        # What a pack prints while it loads ("My Nodes: Loaded") is log output, not the command's output:
        # `nodegraph nodes --json` and `nodegraph run` keep a clean stdout.
        with host.active() if host is not None else contextlib.nullcontext(), \
                contextlib.redirect_stdout(sys.stderr):
            module = _import_path(path, module_name or _module_name(path))
            register_module(module, registry, label, host)
        web = getattr(module, "WEB_DIRECTORY", None)
        folder = path if path.is_dir() else path.parent  # a single-file pack's web folder sits beside it
        if isinstance(web, str) and (folder / web).is_dir():
            registry.web_dirs[path.stem] = (folder / web).resolve()
        registry.loaded_sources.append(str(path))
    except Exception as exc:  # noqa: BLE001 - reported, then skipped
        registry.failures.append(_failure(str(path), exc))


def load_module(name: str, registry: Registry, label: str) -> None:
    """Load an installed plugin package by its import name (imported once: Python's module cache holds it)."""
    try:
        register_module(importlib.import_module(name), registry, label)
        registry.loaded_sources.append(name)
    except Exception as exc:  # noqa: BLE001 - reported, then skipped
        registry.failures.append(_failure(name, exc))


def plugin_paths(folder: Path) -> list[Path]:
    """The entries of a plugin folder, as ComfyUI's custom_nodes: .py files and packages."""
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")) or entry.name.endswith(".disabled"):
            continue
        if entry.is_dir() and (entry / "__init__.py").exists() or entry.suffix == ".py":
            found.append(entry)
    return found


def load_entry_points(registry: Registry) -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
            if callable(target) and not inspect.isclass(target) and not isinstance(target, types.ModuleType):
                target = types.SimpleNamespace(NODES=list(target()))
            register_module(target, registry, ep.value)
            registry.loaded_sources.append(f"entry point {ep.name}")
        except Exception as exc:  # noqa: BLE001
            registry.failures.append(_failure(f"entry point {ep.name}", exc))


def load_comfy_entry_points(registry: Registry, host: Any) -> None:
    """ComfyUI packs installed with pip (entry point group `comfyui_legacy.custom_nodes`, whose value names the
    pack's package): each is loaded from its folder as a custom_nodes folder is, under its own import name."""
    for ep in entry_points(group=COMFY_ENTRY_POINT_GROUP):
        package = ep.value.split(":", 1)[0].strip()
        try:
            found = importlib.util.find_spec(package)
            if found is None or not (found.submodule_search_locations or found.origin):
                raise PluginError(f"entry point {ep.name}: package {package!r} is not installed")
            location = Path(next(iter(found.submodule_search_locations or []), found.origin or ""))
        except Exception as exc:  # noqa: BLE001 - reported, then skipped
            registry.failures.append(_failure(f"entry point {ep.name}", exc))
            continue
        load_path(location, registry, f"custom_nodes.{ep.name}", host, module_name=package)


def build_registry(extra_dirs: Iterable[Path] = (), *, builtin: bool = True, use_entry_points: bool = True,
                   host: Any = None, comfy_packs: bool = True) -> Registry:
    """Built-in nodes, then each folder's plugins (ComfyUI custom node packs among them), then installed
    entry points. With a ComfyHost (the engine's), packs get ComfyUI's modules bound to that engine."""
    registry = Registry()
    if host is not None:
        host.registry = registry
    if builtin:
        load_module(BUILTIN_PACKAGE, registry, "nodes")
    for folder in extra_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            registry.failures.append(LoadFailure(str(folder), "nodes folder does not exist"))
            continue
        for path in plugin_paths(folder):
            load_path(path, registry, f"custom_nodes.{path.stem}", host)
    if use_entry_points:
        load_entry_points(registry)
        if host is not None and comfy_packs:
            load_comfy_entry_points(registry, host)
    return registry
