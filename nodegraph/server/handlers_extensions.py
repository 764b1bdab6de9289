"""Editor extensions of ComfyUI custom node packs (their WEB_DIRECTORY): listed by GET /extensions as ComfyUI's
frontends expect, served from /extensions/<pack>/<file>; nothing outside a pack's web folder is reachable."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .bodies import fail
from .state import STATE


def _web_dirs(request: web.Request) -> dict[str, Path]:
    return request.app[STATE].registry.web_dirs


async def list_extensions(request: web.Request) -> web.Response:
    """Every .js file of every pack's web folder, as the URL the frontend imports it from."""
    scripts = []
    for name, folder in sorted(_web_dirs(request).items()):
        for path in sorted(Path(folder).rglob("*.js")):
            if path.is_file() and _inside(Path(folder), path):
                scripts.append(f"/extensions/{name}/{path.relative_to(folder).as_posix()}")
    return web.json_response(scripts)


def _inside(root: Path, path: Path) -> bool:
    resolved, base = path.resolve(), root.resolve()
    return resolved == base or base in resolved.parents


async def extension_file(request: web.Request) -> web.StreamResponse:
    name, relative = request.match_info["pack"], request.match_info["path"]
    folder = _web_dirs(request).get(name)
    if folder is None:
        fail(404, "not_found", f"no pack named {name!r} serves editor extensions")
    path = Path(folder) / relative
    if "\x00" in relative or Path(relative).is_absolute() or not _inside(Path(folder), path) or not path.is_file():
        fail(404, "not_found", f"{name} has no extension file {relative!r}")
    content_type = "application/javascript" if path.suffix == ".js" else None
    return web.FileResponse(path, headers={"Content-Type": content_type} if content_type else None)
