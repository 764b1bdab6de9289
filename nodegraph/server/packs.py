"""What ComfyUI custom node packs add to the server: their own HTTP routes (registered on
`PromptServer.instance.routes` while they load) and the channel their `send_sync` messages leave by, which is
the worker's own, so a pack's message reaches the client in order with the executor's."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from ..engine import Engine
from ..queue import Worker
from .ws import LoopPublisher

log = logging.getLogger(__name__)


class PackTransport:
    """The ComfyHost's transport: what is running, and messages out through the worker's publisher."""

    def __init__(self, publisher: LoopPublisher, worker: Worker) -> None:
        self.publisher = publisher
        self.worker = worker

    def running(self) -> Any:
        return self.worker.running

    def send_json(self, type_: str, data: Any, client_id: str | None) -> None:
        self.publisher.raw(json.dumps({"type": type_, "data": data}), client_id)

    def send_bytes(self, payload: bytes, client_id: str | None) -> None:
        self.publisher.raw(payload, client_id)


def add_pack_routes(app: web.Application, engine: Engine) -> None:
    """Each pack route, also under /api as ComfyUI adds it; registered after nodegraph's own, which win."""
    server = engine.comfy.prompt_server
    if server is None:
        return
    routes = [web.RouteDef(r.method, r.path, _served(engine, r.handler), r.kwargs) if isinstance(r, web.RouteDef)
              else r for r in server.route_table()]
    app.add_routes(routes)
    app.add_routes([web.RouteDef(r.method, "/api" + r.path, r.handler, r.kwargs) for r in routes
                    if isinstance(r, web.RouteDef)])


def _served(engine: Engine, handler: Any) -> Any:
    """A pack's handler run with the engine's ComfyUI modules served (it may import them as it runs)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        with engine.comfy.active():
            return await handler(request)

    return handle


def log_plugin_failures(engine: Engine) -> None:
    """A pack that failed to import is in the server log with its traceback; every other node still loads."""
    for failure in engine.registry.failures:
        log.error("plugin %s skipped: %s\n%s", failure.source, failure.error, failure.traceback.rstrip())
