"""ComfyUI's /userdata routes: saved workflows and settings files under the user folder (user/default/).

Names arrive URL-encoded ("workflows%2Fname.json"); each must stay inside user/default, so the queue's
database next to it (user/) is never reachable.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from aiohttp import web

from ..runtime.files import InvalidName, UnsafePath, walk, write_atomic
from .bodies import fail
from .state import STATE, State

USER = "default"


def _root(state: State) -> Path:
    root = state.folders.root("user") / USER
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def _path(state: State, name: str) -> Path:
    if not name:
        fail(400, "invalid_request", "a file name is required")
    try:
        path = state.folders.resolve("user", name, USER)
    except InvalidName as exc:
        fail(400, "invalid_name", "That is not a valid file name", str(exc))
    except UnsafePath as exc:
        fail(403, "unsafe_path", "That path is outside the user folder", str(exc))
    root = _root(state)
    if path == root or root not in path.parents:
        fail(403, "unsafe_path", "That path is outside the user folder", name)
    return path


def _flag(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    return default if value is None else value.lower() in ("true", "1")


def _info(path: Path, root: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": path.relative_to(root).as_posix(), "size": stat.st_size, "modified": stat.st_mtime}


async def list_userdata(request: web.Request) -> web.Response:
    """GET /userdata?dir=workflows[&recurse=true][&full_info=true][&split=true], paths relative to dir."""
    state = request.app[STATE]
    folder = _path(state, request.query.get("dir", ""))
    if not folder.is_dir():
        fail(404, "not_found", f"no user folder {request.query.get('dir')!r}")
    # Links out of the user folder are never listed (nor their size and time), and never followed.
    files = sorted(walk(folder, recursive=_flag(request, "recurse", False)))
    if _flag(request, "full_info", False):
        return web.json_response([_info(p, folder) for p in files])
    names = [p.relative_to(folder).as_posix() for p in files]
    if _flag(request, "split", False):
        return web.json_response([[name, *name.split("/")] for name in names])
    return web.json_response(names)


async def get_userdata(request: web.Request) -> web.StreamResponse:
    path = _path(request.app[STATE], request.match_info["file"])
    if not path.is_file():
        fail(404, "not_found", f"{request.match_info['file']} not found")
    return web.FileResponse(path, headers={"Content-Type": "application/json" if path.suffix == ".json"
                                           else "application/octet-stream"})


async def post_userdata(request: web.Request) -> web.Response:
    """Write the raw body (bounded by client_max_size); 409 if it exists and overwrite=false."""
    state = request.app[STATE]
    path = _path(state, request.match_info["file"])
    if path.exists() and not _flag(request, "overwrite", True):
        fail(409, "exists", f"{request.match_info['file']} already exists")
    if path.is_dir():
        fail(400, "invalid_request", "that name is a folder")
    data = await request.read()
    path.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(write_atomic, path, data)
    root = _root(state)
    if _flag(request, "full_info", False):
        return web.json_response(_info(path, root))
    return web.json_response(path.relative_to(root).as_posix())


async def delete_userdata(request: web.Request) -> web.Response:
    path = _path(request.app[STATE], request.match_info["file"])
    if not path.is_file():
        fail(404, "not_found", f"{request.match_info['file']} not found")
    path.unlink()
    return web.Response(status=204)


async def move_userdata(request: web.Request) -> web.Response:
    state = request.app[STATE]
    source = _path(state, request.match_info["file"])
    dest = _path(state, request.match_info["dest"])
    if not source.is_file():
        fail(404, "not_found", f"{request.match_info['file']} not found")
    if dest.exists() and not _flag(request, "overwrite", False):
        fail(409, "exists", f"{request.match_info['dest']} already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, dest)
    return web.json_response(dest.relative_to(_root(state)).as_posix())
