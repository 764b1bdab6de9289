"""The websocket hub: connected clients, per-client scoping of execution messages, binary preview frames.

The worker thread never touches a socket: it calls the `LoopPublisher`, which hands each message to the
event loop with `call_soon_threadsafe` into one FIFO queue, so clients see messages in the order the
worker produced them.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

# ComfyUI's binary event types (protocol.py:BinaryEventTypes).
PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
JPEG = 1
# Without a client id ComfyUI sends these to every socket and drops the rest (server.py:send_sync).
BROADCAST_WITHOUT_CLIENT = frozenset({"status", "progress", "progress_state", "execution_interrupted"})
MAX_CLIENT_ID = 256
MAX_CLIENT_MESSAGE = 64 * 1024


@dataclass
class Client:
    ws: web.WebSocketResponse
    flags: dict[str, Any] = field(default_factory=dict)


def preview_frame(image: bytes, meta: dict[str, Any] | None) -> bytes:
    """Type 1 (4-byte type, 4-byte format, JPEG) or type 4 (4-byte type, 4-byte JSON length, JSON, JPEG)."""
    if meta is None:
        return struct.pack(">II", PREVIEW_IMAGE, JPEG) + image
    encoded = json.dumps(meta).encode()
    return struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(encoded)) + encoded + image


class Hub:
    def __init__(self, status: Callable[[], dict[str, Any]], server_flags: dict[str, Any]) -> None:
        self.clients: dict[str, Client] = {}
        self.status = status
        self.server_flags = server_flags
        self.outbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.bytes_sent = 0

    def status_message(self, sid: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status()}
        if sid is not None:
            data["sid"] = sid
        return {"type": "status", "data": data}

    async def drain(self) -> None:
        """Runs for the app's lifetime, sending what the worker published, in order."""
        while True:
            item = await self.outbox.get()
            try:
                if item[0] == "status":
                    await self._send_json(self.status_message(), None, "status")
                elif item[0] == "json":
                    _, type_, data, client_id = item
                    await self._send_json({"type": type_, "data": data}, client_id, type_)
                elif item[0] == "raw":  # a pack's own message: to one client, or to all when it names none
                    _, payload, client_id = item
                    targets = self.clients.values() if client_id is None else [self.clients.get(client_id)]
                    for client in [c for c in targets if c is not None]:
                        await self._send(client, payload)
                else:
                    _, image, meta, client_id = item
                    await self._send_preview(image, meta, client_id)
            except Exception:  # one failed send must not stop the hub for everyone else
                log.exception("websocket send failed")

    def _targets(self, client_id: str | None, type_: str) -> list[Client]:
        if type_ == "status" or (client_id is None and type_ in BROADCAST_WITHOUT_CLIENT):
            return list(self.clients.values())
        client = self.clients.get(client_id) if client_id is not None else None
        return [client] if client is not None else []

    async def _send_json(self, message: dict[str, Any], client_id: str | None, type_: str) -> None:
        text = json.dumps(message)
        for client in self._targets(client_id, type_):
            await self._send(client, text)

    async def _send_preview(self, image: bytes, meta: dict[str, Any], client_id: str | None) -> None:
        plain = None
        for client in self._targets(client_id, "progress"):
            if client.flags.get("supports_preview_metadata"):
                await self._send(client, preview_frame(image, meta))
            else:
                plain = plain or preview_frame(image, None)
                await self._send(client, plain)

    async def _send(self, client: Client, payload: str | bytes) -> None:
        if client.ws.closed:
            return
        try:
            if isinstance(payload, bytes):
                await client.ws.send_bytes(payload)
            else:
                await client.ws.send_str(payload)
            self.bytes_sent += len(payload)
        except (ConnectionError, RuntimeError) as exc:
            log.debug("dropping message to a closing socket: %s", exc)

    async def handle(self, request: web.Request,
                     on_connect: Callable[[str], dict[str, Any] | None]) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_CLIENT_MESSAGE, heartbeat=30)
        await ws.prepare(request)
        sid = request.query.get("clientId", "")
        if not sid or len(sid) > MAX_CLIENT_ID:
            sid = uuid.uuid4().hex
        client = Client(ws)
        self.clients[sid] = client  # a reconnect with the same id replaces the older socket, as in ComfyUI
        try:
            await self._send(client, json.dumps(self.status_message(sid)))
            executing = on_connect(sid)
            if executing is not None:
                await self._send(client, json.dumps({"type": "executing", "data": executing}))
            first = True
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and first:
                    await self._client_flags(client, msg.data)
                first = False
        finally:
            if self.clients.get(sid) is client:
                del self.clients[sid]
        return ws

    async def _client_flags(self, client: Client, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("type") == "feature_flags" and isinstance(
                message.get("data"), dict):
            client.flags = dict(message["data"])
            await self._send(client, json.dumps({"type": "feature_flags", "data": self.server_flags}))


class LoopPublisher:
    """The worker's Publisher: thread-safe hand-off of messages into the hub's queue on the event loop.

    Messages are batched: the worker appends to a deque and wakes the loop only when no wake-up is already
    pending, so a burst of progress events costs one cross-thread call, not one per message.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, hub: Hub) -> None:
        self.loop = loop
        self.hub = hub
        self._batch: collections.deque[tuple[Any, ...]] = collections.deque()
        self._scheduled = False

    def _put(self, item: tuple[Any, ...]) -> None:
        self._batch.append(item)
        if self._scheduled:
            return
        self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._flush)
        except RuntimeError:
            pass  # the loop is closed: the server is shutting down and nobody is listening

    def _flush(self) -> None:
        # Reset the flag before draining: an item appended meanwhile either gets drained here or
        # schedules its own flush; none is left behind.
        self._scheduled = False
        while self._batch:
            self.hub.outbox.put_nowait(self._batch.popleft())

    def message(self, type_: str, data: dict[str, Any], client_id: str | None) -> None:
        self._put(("json", type_, data, client_id))

    def preview(self, image: bytes, meta: dict[str, Any], client_id: str | None) -> None:
        self._put(("preview", image, meta, client_id))

    def raw(self, payload: str | bytes, client_id: str | None) -> None:
        """A message sent as is (text or a binary frame), to every client when client_id is None."""
        self._put(("raw", payload, client_id))

    def status(self) -> None:
        self._put(("status",))
