"""The shipped workflows as ComfyUI's core templates (/templates/...), the way its official frontend browses
them: an index (/templates/index.json), each workflow (/templates/NAME.json) and a thumbnail
(/templates/NAME-1.png) drawn from the workflow's own layout, so every template, shipped or added, has one."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image, ImageDraw

from .bodies import fail
from .state import STATE
from .static import provide_inputs

TEMPLATE_FILE = re.compile(r"^(?P<name>[\w][\w.-]*?)(?P<thumb>-\d+)?\.(?P<ext>json|png)$")
THUMB_SIZE = (320, 240)
BACKGROUND, NODE, TITLE, LINK = (32, 32, 36), (64, 66, 74), (110, 140, 190), (170, 170, 120)


def _workflow(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.json"
    if not path.is_file():
        fail(404, "not_found", f"no workflow template {name!r}")
    try:
        workflow = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        fail(404, "not_found", f"workflow template {name!r} is not readable JSON", str(exc))
    return workflow if isinstance(workflow, dict) else {}


def _entry(name: str, workflow: dict[str, Any]) -> dict[str, Any]:
    types = [n.get("type", "?") for n in workflow.get("nodes", []) if isinstance(n, dict)]
    return {"name": name, "title": name.replace("_", " "), "mediaType": "image", "mediaSubtype": "png",
            "description": f"nodegraph's shipped {name} workflow: {len(types)} nodes ({', '.join(sorted(set(types)))})",
            "tags": ["nodegraph"], "models": [], "openSource": True}


def _index(folder: Path) -> list[dict[str, Any]]:
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    templates = [_entry(name, _workflow(folder, name)) for name in names]
    return [{"moduleName": "default", "title": "nodegraph", "category": "nodegraph", "type": "image",
             "templates": templates}]


def _boxes(workflow: dict[str, Any]) -> dict[Any, tuple[float, float, float, float]]:
    boxes = {}
    for node in workflow.get("nodes", []):
        if not isinstance(node, dict):
            continue
        pos, size = node.get("pos"), node.get("size")
        if isinstance(pos, (list, dict)):
            x, y = (pos[0], pos[1]) if isinstance(pos, list) else (pos.get("0", 0), pos.get("1", 0))
            width, height = (size[0], size[1]) if isinstance(size, list) and len(size) > 1 else (200, 100)
            boxes[node.get("id")] = (float(x), float(y), float(width), float(height))
    return boxes


def _links(workflow: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(origin id, target id) of each link, in the 0.4 array form or the 1.0 object form."""
    pairs = []
    for link in workflow.get("links", []):
        if isinstance(link, list) and len(link) >= 4:
            pairs.append((link[1], link[3]))
        elif isinstance(link, dict):
            pairs.append((link.get("origin_id"), link.get("target_id")))
    return pairs


def thumbnail(workflow: dict[str, Any]) -> bytes:
    """A PNG of the workflow's graph as laid out: node boxes with title bars, links between them."""
    image = Image.new("RGB", THUMB_SIZE, BACKGROUND)
    boxes = _boxes(workflow)
    if boxes:
        left, top = min(b[0] for b in boxes.values()), min(b[1] for b in boxes.values())
        right, bottom = max(b[0] + b[2] for b in boxes.values()), max(b[1] + b[3] for b in boxes.values())
        scale = min((THUMB_SIZE[0] - 20) / max(right - left, 1), (THUMB_SIZE[1] - 20) / max(bottom - top, 1))

        def place(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
            return (10 + (box[0] - left) * scale, 10 + (box[1] - top) * scale,
                    10 + (box[0] + box[2] - left) * scale, 10 + (box[1] + box[3] - top) * scale)

        draw = ImageDraw.Draw(image)
        for origin, target in _links(workflow):
            if origin in boxes and target in boxes:
                a, b = place(boxes[origin]), place(boxes[target])
                draw.line([(a[2], (a[1] + a[3]) / 2), (b[0], (b[1] + b[3]) / 2)], fill=LINK, width=2)
        for box in boxes.values():
            x0, y0, x1, y1 = place(box)
            draw.rectangle([x0, y0, x1, y1], fill=NODE)
            draw.rectangle([x0, y0, x1, y0 + max(3, (y1 - y0) * 0.15)], fill=TITLE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def template_file(request: web.Request) -> web.StreamResponse:
    """GET /templates/{file}: index.json (and index.LOCALE.json: the same English index), index_logo.json,
    NAME.json, NAME-1.png."""
    folder = request.app[STATE].workflows_dir
    file = request.match_info["file"]
    if file == "index.json" or re.fullmatch(r"index\.[A-Za-z-]{2,10}\.json", file):
        return web.json_response(await asyncio.to_thread(_index, folder))
    if file == "index_logo.json":
        return web.json_response({})  # provider logos for partner templates: nodegraph has none
    match = TEMPLATE_FILE.match(file)
    if match is None or (match["ext"] == "json") == bool(match["thumb"]):
        fail(404, "not_found", f"no template file {file!r}")
    workflow = await asyncio.to_thread(_workflow, folder, match["name"])
    if match["ext"] == "json":
        await asyncio.to_thread(provide_inputs, request.app, workflow)
        return web.json_response(workflow)
    return web.Response(body=await asyncio.to_thread(thumbnail, workflow), content_type="image/png")
