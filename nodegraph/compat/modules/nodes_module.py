"""ComfyUI's `nodes` module for one engine: NODE_CLASS_MAPPINGS (every node the engine has, as classes a pack
can call or subclass, and where a pack may register more), NODE_DISPLAY_NAME_MAPPINGS, MAX_RESOLUTION,
EXTENSION_WEB_DIRS, and ComfyUI's SaveImage/PreviewImage classes that packs subclass."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from ..adapt import is_comfy_node, spec_from_comfy
from ..finder import MissingName
from .classic_save import save_classes
from .native_view import classic_view

MAX_RESOLUTION = 16384


class _RegistryView(MutableMapping[str, Any]):
    """Keyed by the engine's node names, in registration order; nothing is ever unregistered."""

    def __init__(self, host: Any) -> None:
        self.host = host

    def __delitem__(self, name: str) -> None:
        raise TypeError("nodegraph does not unregister nodes")

    def __iter__(self) -> Iterator[str]:
        return iter(self.host.registry.names())

    def __len__(self) -> int:
        return len(self.host.registry)


class NodeClassMappings(_RegistryView):
    """A live view of the engine's registry: reading gives each node's class (nodegraph's own nodes as
    ComfyUI-style classes), writing registers a V1 or V3 class as ComfyUI's global mapping does."""

    def __init__(self, host: Any, overrides: dict[str, type]) -> None:
        super().__init__(host)
        self.overrides = overrides
        self.views: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        if name in self.overrides:
            return self.overrides[name]
        spec = self.host.registry.get(name)
        if spec is None:
            raise KeyError(name)
        if is_comfy_node(spec.source):
            return spec.source
        if name not in self.views:
            self.views[name] = classic_view(spec, self.host)
        return self.views[name]

    def __setitem__(self, name: str, cls: type) -> None:
        if not is_comfy_node(cls):
            raise TypeError(f"{name}: {cls!r} is not a ComfyUI node class")
        self.host.registry.add(spec_from_comfy(cls, name, None, getattr(cls, "__module__", ""), self.host))


class DisplayNames(_RegistryView):
    def __getitem__(self, name: str) -> str:
        spec = self.host.registry.get(name)
        if spec is None:
            raise KeyError(name)
        return spec.display_name

    def __setitem__(self, name: str, display_name: str) -> None:
        spec = self.host.registry.get(name)
        if spec is not None:
            spec.display_name = display_name


def bind(host: Any) -> dict[str, Any]:
    save, preview = save_classes(host)
    mappings = NodeClassMappings(host, {"SaveImage": save, "PreviewImage": preview})

    def before_node_execution() -> None:
        host.module("comfy.model_management").throw_exception_if_processing_interrupted()

    def interrupt_processing(value: bool = True) -> None:
        host.module("comfy.model_management").interrupt_current_processing(value)

    def __getattr__(name: str) -> Any:
        # `from nodes import LoadImage, VAEDecode`: any node the engine has, by its class name.
        if name in mappings:
            return mappings[name]
        raise MissingName(f"nodegraph's ComfyUI compatibility layer does not provide nodes.{name}: no such node "
                          f"is registered and it is no other name nodes provides (see docs/compat.md)")

    return {"NODE_CLASS_MAPPINGS": mappings, "NODE_DISPLAY_NAME_MAPPINGS": DisplayNames(host),
            "MAX_RESOLUTION": MAX_RESOLUTION, "EXTENSION_WEB_DIRS": host.registry.web_dirs, "SaveImage": save,
            "PreviewImage": preview, "before_node_execution": before_node_execution,
            "interrupt_processing": interrupt_processing, "__getattr__": __getattr__}
