"""Handlers for the websocket, node definitions, the machine (stats, free, features) and model listings."""

from __future__ import annotations

import asyncio
import logging
import platform
import re
import sys
from pathlib import Path
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import psutil
from aiohttp import web

from .. import __version__
from ..core.object_info import object_info as render
from .bodies import fail, read_json
from .state import STATE, State

log = logging.getLogger(__name__)
PLAIN_NAME = re.compile(r"^[\w][\w .+-]*$")


async def websocket(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    assert state.hub is not None and state.worker is not None
    worker = state.worker

    def executing_for(sid: str) -> dict[str, Any] | None:
        """A client reconnecting mid-prompt learns which node is running, as in ComfyUI."""
        running = worker.running
        if running is None or running.client_id != sid or running.node is None:
            return None
        return {"node": running.node, "display_node": running.node, "prompt_id": running.prompt_id}

    return await state.hub.handle(request, executing_for)


def _all_object_info(state: State) -> dict[str, Any]:
    info = {}
    for spec in state.registry:
        try:
            info[spec.name] = render(spec)
        except Exception:  # one node with a broken option list must not hide every other node
            log.exception("object_info failed for %s", spec.name)
    return info


async def object_info(request: web.Request) -> web.Response:
    # Option lists (files, models) are read on each call, off the event loop.
    info = await asyncio.to_thread(_all_object_info, request.app[STATE])
    return web.json_response(info)


async def object_info_one(request: web.Request) -> web.Response:
    spec = request.app[STATE].registry.get(request.match_info["node_class"])
    if spec is None:
        return web.json_response({})
    return web.json_response({spec.name: await asyncio.to_thread(render, spec)})


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


async def system_stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    memory = psutil.virtual_memory()
    stats: dict[str, Any] = {
        "system": {
            "os": sys.platform, "ram_total": memory.total, "ram_free": memory.available,
            "comfyui_version": __version__, "nodegraph_version": __version__,
            "python_version": sys.version, "pytorch_version": _package_version("torch"),
            "embedded_python": False, "argv": sys.argv, "machine": platform.machine(),
        },
        "devices": [{"name": state.config.device, "type": "cpu" if state.config.device in ("auto", "cpu")
                     else state.config.device.split(":")[0], "index": 0,
                     "vram_total": memory.total, "vram_free": memory.available,
                     "torch_vram_total": 0, "torch_vram_free": 0}],
    }
    stats["models"] = state.services.models.loaded()
    if state.worker is not None and (workers := state.worker.remote_workers()):  # --ray: where prompts run
        stats["ray_workers"] = workers
    stats["queue"] = state.queue_health()
    return web.json_response(stats)


async def free(request: web.Request) -> web.Response:
    """Flags applied by the worker between prompts (never while a prompt uses the models)."""
    state = request.app[STATE]
    assert state.worker is not None
    body = await read_json(request, allow_empty=True)
    state.worker.request_free(bool(body.get("unload_models")), bool(body.get("free_memory")))
    return web.Response(status=200)


async def features(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].server_flags())


async def empty_list(request: web.Request) -> web.Response:
    return web.json_response([])


def model_kinds(state: State) -> dict[str, list[Path]]:
    """Each model kind with the folders that hold it, in search order: ComfyUI's folder names that have a
    folder (their aliases and extra_model_paths.yaml folders included), then any other sub-folder of a
    models folder."""
    kinds = {name: [p for p in paths if p.is_dir()] for name, paths in state.services.models.folder_map().items()}
    kinds = {name: paths for name, paths in kinds.items() if paths}
    for root in state.config.models_dirs:
        if root.is_dir():
            for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
                if folder not in kinds.setdefault(folder.name, []):
                    kinds[folder.name].append(folder)
    return kinds


async def model_folders(request: web.Request) -> web.Response:
    """Model kinds: ComfyUI's folder names that have a folder, then the other sub-folders of every models folder."""
    return web.json_response(list(model_kinds(request.app[STATE])))


async def model_files(request: web.Request) -> web.Response:
    state = request.app[STATE]
    kind = request.match_info["folder"]
    if not PLAIN_NAME.match(kind):
        fail(400, "invalid_request", f"{kind!r} is not a model folder name")
    names = state.services.models.list(kind)
    if not names and not any(root.is_dir() for root in state.services.models.roots(kind)):
        fail(404, "not_found", f"no model folder named {kind!r}")
    return web.json_response(names)
