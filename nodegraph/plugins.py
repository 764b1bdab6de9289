"""Finds node plugins (the built-in nodes/ folder, extra folders, entry points) and fills a Registry.

A plugin that fails to import is recorded with its error and skipped; loading never dies from one.
"""

from __future__ import annotations

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

from .compat.classic import is_classic, spec_from_classic
from .core.errors import PluginError
from .core.native import spec_from_native
from .core.node import Node
from .core.registry import LoadFailure, Registry
from .core.schema import NodeSpec

ENTRY_POINT_GROUP = "nodegraph.nodes"
PLUGIN_PACKAGE = "nodegraph_plugins"
# The repository's nodes/ folder, installed under a name that shadows nothing (see pyproject.toml).
BUILTIN_PACKAGE = "nodegraph_nodes"


def spec_for(obj: Any, name: str | None = None, display_name: str | None = None, module: str = "") -> NodeSpec:
    if inspect.isclass(obj) and issubclass(obj, Node):
        return spec_from_native(obj, name, display_name, module)
    if is_classic(obj):
        return spec_from_classic(obj, name or obj.__name__, display_name, module)
    raise PluginError(f"{name or obj!r} is neither a nodegraph Node nor a ComfyUI node class")


def register_module(module: Any, registry: Registry, label: str) -> int:
    """Register what a plugin module exports: `NODES` (native classes) and/or `NODE_CLASS_MAPPINGS`."""
    count = 0
    for part, problem in (getattr(module, "LOAD_ERRORS", {}) or {}).items():
        registry.failures.append(LoadFailure(f"{label}.{part}", problem))
    names = dict(getattr(module, "NODE_DISPLAY_NAME_MAPPINGS", {}) or {})
    exported: list[tuple[str | None, Any]] = [(None, cls) for cls in getattr(module, "NODES", [])]
    exported += list((getattr(module, "NODE_CLASS_MAPPINGS", {}) or {}).items())
    for name, cls in exported:
        try:
            spec = spec_for(cls, name, names.get(name) if name else None, label)
        except Exception as exc:  # one bad class must not hide its siblings
            registry.failures.append(LoadFailure(f"{label}:{name or cls}", str(exc)))
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


def load_path(path: Path, registry: Registry, label: str | None = None) -> None:
    """Load one plugin: a .py file or a package folder."""
    label = label or path.stem
    try:
        module = _import_path(path, _module_name(path))
        register_module(module, registry, label)
        registry.loaded_sources.append(str(path))
    except Exception as exc:  # noqa: BLE001 - reported, then skipped
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        registry.failures.append(LoadFailure(str(path), detail))


def load_module(name: str, registry: Registry, label: str) -> None:
    """Load an installed plugin package by its import name (imported once: Python's module cache holds it)."""
    try:
        register_module(importlib.import_module(name), registry, label)
        registry.loaded_sources.append(name)
    except Exception as exc:  # noqa: BLE001 - reported, then skipped
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        registry.failures.append(LoadFailure(name, detail))


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
            registry.failures.append(LoadFailure(f"entry point {ep.name}", str(exc)))


def build_registry(extra_dirs: Iterable[Path] = (), *, builtin: bool = True,
                   use_entry_points: bool = True) -> Registry:
    registry = Registry()
    if builtin:
        load_module(BUILTIN_PACKAGE, registry, "nodes")
    for folder in extra_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            registry.failures.append(LoadFailure(str(folder), "nodes folder does not exist"))
            continue
        for path in plugin_paths(folder):
            load_path(path, registry, f"custom_nodes.{path.stem}")
    if use_entry_points:
        load_entry_points(registry)
    return registry
