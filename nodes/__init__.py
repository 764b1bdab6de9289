"""nodegraph's built-in nodes, loaded through the plugin registry exactly as a third-party pack is."""

from __future__ import annotations

from importlib import import_module

# Each family is its own subpackage exporting NODES; one failing family (say, a missing optional
# dependency) must not take the others down, so each is imported on its own.
FAMILIES = ["basic", "image", "autoregressive", "text", "diffusion", "controlnet", "inpaint", "mask", "hybrid"]

NODES: list[type] = []
LOAD_ERRORS: dict[str, str] = {}

for _family in FAMILIES:
    try:
        NODES += import_module(f".{_family}", __name__).NODES
    except Exception as _exc:  # noqa: BLE001 - surfaced through LOAD_ERRORS by the registry
        LOAD_ERRORS[_family] = f"{type(_exc).__name__}: {_exc}"
