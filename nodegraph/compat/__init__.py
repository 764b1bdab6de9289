"""The one place that knows ComfyUI's Python API: the classic (V1) and V3 node adapters, and the modules custom
node packs import (nodes, folder_paths, server, comfy.*, comfy_execution, comfy_api), built per engine and
served by an import hook while packs load or run (docs/compat.md)."""
