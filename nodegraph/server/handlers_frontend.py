"""The remaining routes ComfyUI's official frontend calls: custom-node translations (/i18n), model folders
and files (/experiment/models), saved global subgraphs, and the server's log and folder panels (/internal)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .bodies import fail, read_json
from .handlers_system import PLAIN_NAME, model_kinds
from .state import STATE, State


async def i18n(request: web.Request) -> web.Response:
    """Translations custom node packs ship ({locale: {...}}); nodegraph's plugins ship none."""
    return web.json_response({})


async def global_subgraphs(request: web.Request) -> web.Response:
    """Subgraph blueprints installed server-side ({id: {source, name, info}}); there are none."""
    return web.json_response({})


async def global_subgraph(request: web.Request) -> web.Response:
    fail(404, "not_found", f"no global subgraph {request.match_info['id']!r}")


async def model_folders(request: web.Request) -> web.Response:
    """ComfyUI's [{name, folders}]: one entry per model kind."""
    kinds = await asyncio.to_thread(model_kinds, request.app[STATE])
    return web.json_response([{"name": name, "folders": [str(p) for p in folders]} for name, folders in kinds.items()])


def _model_files(state: State, kind: str) -> list[dict[str, Any]]:
    folders = state.config.models_dirs
    files = []
    for name in state.services.models.list(kind):
        index = next(i for i, root in enumerate(folders) if (root / kind / name).exists())
        stat = (folders[index] / kind / name).stat()
        files.append({"name": name, "pathIndex": index, "modified": stat.st_mtime * 1000,
                      "created": stat.st_ctime * 1000, "size": stat.st_size})
    return files


async def model_files(request: web.Request) -> web.Response:
    """ComfyUI's [{name, pathIndex, modified, created, size}] for one kind; a model may be a folder."""
    state = request.app[STATE]
    kind = request.match_info["folder"]
    if not PLAIN_NAME.match(kind):
        fail(400, "invalid_request", f"{kind!r} is not a model folder name")
    if not any((root / kind).is_dir() for root in state.config.models_dirs):
        fail(404, "not_found", f"no model folder named {kind!r}")
    return web.json_response(await asyncio.to_thread(_model_files, state, kind))


async def logs(request: web.Request) -> web.Response:
    """The recent log as one string, as ComfyUI's terminal panel reads it."""
    return web.json_response(request.app[STATE].logs.text())


async def logs_raw(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].logs.raw())


async def logs_subscribe(request: web.Request) -> web.Response:
    """Accepted so the panel opens; lines are not pushed over the websocket (the panel re-reads /logs)."""
    await read_json(request, allow_empty=True)
    return web.Response(status=200)


async def folder_paths(request: web.Request) -> web.Response:
    """{kind: [folders]} for the models, plus the input, output, temp and user folders, as ComfyUI's."""
    state = request.app[STATE]
    paths = {name: [str(p) for p in folders] for name, folders in (await asyncio.to_thread(model_kinds, state)).items()}
    for kind in ("input", "output", "temp", "user"):
        paths[kind] = [str(state.folders.root(kind))]
    return web.json_response(paths)


async def folder_files(request: web.Request) -> web.Response:
    """GET /internal/files/{input|output|temp}: the folder's files, newest first, as ComfyUI lists them."""
    state = request.app[STATE]
    kind = request.match_info["kind"]
    if kind not in ("input", "output", "temp"):
        fail(404, "not_found", f"no folder {kind!r}; expected input, output or temp")

    def newest_first() -> list[str]:
        root = state.folders.root(kind)
        names = state.folders.list_files(kind)
        return sorted(names, key=lambda name: (root / name).stat().st_mtime, reverse=True)

    return web.json_response(await asyncio.to_thread(newest_first))
