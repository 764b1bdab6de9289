"""ComfyUI's `server` module: `PromptServer.instance`, through which packs add HTTP routes and send websocket
messages, backed by the engine's web server (routes join its route table when it starts; messages go out
in order with the executor's own, to the client that queued the running prompt)."""

from __future__ import annotations

import io
import logging
import struct
from typing import Any

from aiohttp import web

from ..finder import MissingName
from .protocol import BinaryEventTypes

log = logging.getLogger("nodegraph.compat")
IMAGE_FORMATS = {"JPEG": 1, "PNG": 2}


def encode_image(data: Any) -> bytes:
    """A PREVIEW_IMAGE frame body from ComfyUI's (format, PIL image, max size): 4-byte format, then the image."""
    image_format, image, max_size = (list(data) + [None, None, None])[:3]
    image_format = str(image_format).upper()
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"preview format {image_format!r} is not JPEG or PNG")
    if max_size is not None:
        image = image.copy()
        image.thumbnail((max_size, max_size))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, quality=95, compress_level=1)
    return struct.pack(">I", IMAGE_FORMATS[image_format]) + buffer.getvalue()


class _App:
    """What packs reach as `PromptServer.instance.app` while they load (before the web app exists)."""

    def __init__(self, routes: list[Any]) -> None:
        self._routes = routes

    def add_routes(self, routes: Any) -> None:
        self._routes.extend(routes)

    def __getattr__(self, name: str) -> Any:
        raise MissingName(f"nodegraph's ComfyUI compatibility layer provides PromptServer.instance.app.add_routes "
                          f"only, not app.{name}; register routes on PromptServer.instance.routes")


class CompatPromptServer:
    """One engine's PromptServer (ComfyUI keeps one per process as `PromptServer.instance`)."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.routes = web.RouteTableDef()
        self.added_routes: list[Any] = []
        self.app = _App(self.added_routes)
        self.on_prompt_handlers: list[Any] = []
        self.supports = ["custom_nodes_from_web"]

    def route_table(self) -> list[Any]:
        """Every route the packs registered, for the web app to add."""
        return [*self.routes, *self.added_routes]

    # What is running now, as ComfyUI's server tracks it for send_sync(..., server.client_id).
    def _running(self, field: str) -> Any:
        transport = self.host.transport
        running = transport.running() if transport is not None else None
        return getattr(running, field, None) if running is not None else None

    @property
    def client_id(self) -> str | None:
        return self._running("client_id")

    @property
    def last_node_id(self) -> str | None:
        return self._running("node")

    @property
    def last_prompt_id(self) -> str | None:
        return self._running("prompt_id")

    def add_on_prompt_handler(self, handler: Any) -> None:
        """Kept and run on each prompt posted to /prompt, as ComfyUI does, before it is validated."""
        self.on_prompt_handlers.append(handler)

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        """A JSON message `{type: event, data}` or a binary frame (event a BinaryEventTypes number) to the
        client `sid`, or to every client when sid is None. Without a web server (CLI runs) it is dropped."""
        transport = self.host.transport
        if transport is None:
            log.debug("no web server: %s message dropped", event)
            return
        if isinstance(event, str):
            transport.send_json(event, data, sid)
        elif event == BinaryEventTypes.UNENCODED_PREVIEW_IMAGE:
            transport.send_bytes(struct.pack(">I", BinaryEventTypes.PREVIEW_IMAGE) + encode_image(data), sid)
        else:
            transport.send_bytes(struct.pack(">I", int(event)) + bytes(data), sid)

    async def send(self, event: Any, data: Any, sid: str | None = None) -> None:
        self.send_sync(event, data, sid)

    async def send_json(self, event: str, data: Any, sid: str | None = None) -> None:
        self.send_sync(event, data, sid)

    def send_progress_text(self, text: str, node_id: str, sid: str | None = None) -> None:
        node = str(node_id).encode()
        self.send_sync(BinaryEventTypes.TEXT, struct.pack(">I", len(node)) + node + str(text).encode(),
                       sid if sid is not None else self.client_id)

    def __getattr__(self, name: str) -> Any:
        raise MissingName(f"nodegraph's ComfyUI compatibility layer does not provide PromptServer.instance.{name} "
                          f"(see docs/compat.md)")


def bind(host: Any) -> dict[str, Any]:
    if host.prompt_server is None:
        host.prompt_server = CompatPromptServer(host)

    class PromptServer:
        """`PromptServer.instance` is this engine's server."""

        instance = host.prompt_server

    return {"PromptServer": PromptServer, "BinaryEventTypes": BinaryEventTypes}
