"""The modules node packs import by ComfyUI's names, written for nodegraph from ComfyUI's documented behaviour.

Each file implements one ComfyUI module. A file with `bind(host)` is built per engine (its functions read
that engine's folders, registry and server); the others are the same for every engine and export `__all__`.
"""
