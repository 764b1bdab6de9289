"""The editor's static files at / and the shipped workflow templates (workflows/*.json)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web

from .bodies import fail
from .state import STATE

TEMPLATE_MODULE = "nodegraph"
TEMPLATE_NAME = re.compile(r"^[\w][\w .-]*$")


async def index(request: web.Request) -> web.StreamResponse:
    page = request.app[STATE].web_root / "index.html"
    if not page.is_file():
        fail(404, "not_found", "the editor is not installed (web/index.html is missing)")
    # The page must be re-read after an upgrade; its assets may be cached.
    return web.FileResponse(page, headers={"Cache-Control": "no-cache"})


def routes(app: web.Application) -> list[web.AbstractRouteDef]:
    table: list[web.AbstractRouteDef] = [web.get("/", index)]
    root = app[STATE].web_root
    if root.is_dir():
        # Registered last, so every API route above wins; symlinks out of web/ are not followed.
        table.append(web.static("/", root, follow_symlinks=False))
    return table


async def list_templates(request: web.Request) -> web.Response:
    """ComfyUI's shape: {module: [template names]}; ours are the repository's workflows/ folder."""
    folder = request.app[STATE].workflows_dir
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return web.json_response({TEMPLATE_MODULE: names})


async def get_template(request: web.Request) -> web.StreamResponse:
    """GET /workflow_templates/{name}[.json] or /workflow_templates/nodegraph/{name}.json."""
    module = request.match_info.get("module", TEMPLATE_MODULE)
    name = request.match_info["name"].removesuffix(".json")
    if module != TEMPLATE_MODULE or not TEMPLATE_NAME.match(name):
        fail(404, "not_found", f"no workflow template {request.match_info['name']!r}")
    path = request.app[STATE].workflows_dir / f"{name}.json"
    if not path.is_file():
        fail(404, "not_found", f"no workflow template {name!r}")
    data = await asyncio.to_thread(path.read_bytes)
    await asyncio.to_thread(provide_inputs, request.app, json.loads(data))
    return web.Response(body=data, content_type="application/json")


def provide_inputs(app: web.Application, workflow: Any) -> None:
    """A template that starts from a shipped picture (inpaint_picture.png) finds it in the input folder."""
    app[STATE].engine.services.files.provide_examples(widget_strings(workflow))


def widget_strings(workflow: Any) -> list[str]:
    """The string widget values of a UI workflow's top-level nodes."""
    nodes = workflow.get("nodes") if isinstance(workflow, dict) else None
    values = [node.get("widgets_values") for node in nodes or () if isinstance(node, dict)]
    return [v for widget in values if isinstance(widget, (list, dict))
            for v in (widget.values() if isinstance(widget, dict) else widget) if isinstance(v, str)]
