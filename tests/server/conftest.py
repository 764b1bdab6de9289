"""A real server on 127.0.0.1 port 0 per test, with the test plugin loaded, and websocket helpers."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from nodegraph.config import Config
from nodegraph.plugins import build_registry
from server_helpers import start

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def registry() -> Any:
    return build_registry([FIXTURES], use_entry_points=False)


class Socket:
    """A websocket client that keeps every message (JSON as dicts, binary frames as bytes)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, client_id: str) -> None:
        self.ws = ws
        self.client_id = client_id
        self.messages: list[Any] = []

    async def until(self, predicate: Callable[[Any], bool], timeout: float = 20.0) -> Any:
        for message in self.messages:
            if predicate(message):
                return message
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.ws.receive()
                if raw.type == aiohttp.WSMsgType.TEXT:
                    message: Any = json.loads(raw.data)
                elif raw.type == aiohttp.WSMsgType.BINARY:
                    message = raw.data
                else:
                    raise AssertionError(f"socket closed while waiting: {raw.type}")
                self.messages.append(message)
                if predicate(message):
                    return message

    async def done(self, prompt_id: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait for ComfyUI's completion signal (`executing` with node null) and return this prompt's messages."""
        await self.until(lambda m: isinstance(m, dict) and m["type"] == "executing"
                         and m["data"]["node"] is None and m["data"]["prompt_id"] == prompt_id, timeout)
        return [m for m in self.messages if isinstance(m, dict)
                and (m["data"].get("prompt_id") == prompt_id or m["type"] == "status")]

    async def drain(self, seconds: float = 0.3) -> None:
        """Collect whatever arrives in the next `seconds` (to check that something did not arrive)."""
        try:
            await self.until(lambda m: False, timeout=seconds)
        except TimeoutError:
            pass

    def types(self, prompt_id: str) -> list[str]:
        return [m["type"] for m in self.messages if isinstance(m, dict) and m["data"].get("prompt_id") == prompt_id]

    async def send_json(self, data: Any) -> None:
        await self.ws.send_json(data)


@dataclass
class Live:
    url: str
    config: Config
    app: web.Application
    session: aiohttp.ClientSession
    sockets: list[Socket] = field(default_factory=list)

    async def socket(self, client_id: str | None = None, flags: dict[str, Any] | None = None) -> Socket:
        client_id = client_id or uuid.uuid4().hex
        ws = await self.session.ws_connect(f"{self.url}/ws?clientId={client_id}")
        socket = Socket(ws, client_id)
        self.sockets.append(socket)
        await socket.until(lambda m: isinstance(m, dict) and m["type"] == "status")
        if flags is not None:
            await socket.send_json({"type": "feature_flags", "data": flags})
            await socket.until(lambda m: isinstance(m, dict) and m["type"] == "feature_flags")
        return socket

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        async with self.session.post(self.url + path, json=body, **kw) as response:
            text = await response.text()
            return response.status, json.loads(text) if text and "json" in response.content_type else text

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        async with self.session.get(self.url + path, **kw) as response:
            if "json" in response.content_type:
                return response.status, await response.json()
            return response.status, await response.read()

    async def submit(self, prompt: dict[str, Any], socket: Socket | None = None, **extra: Any) -> str:
        body = {"prompt": prompt, **extra}
        if socket is not None:
            body["client_id"] = socket.client_id
        status, answer = await self.post("/prompt", body)
        assert status == 200, answer
        return answer["prompt_id"]


@pytest_asyncio.fixture
async def server(tmp_path: Path, registry: Any) -> AsyncIterator[Live]:
    config = Config(base_dir=tmp_path / "base", max_upload_mb=1, history_limit=20, cache_entries=10_000)
    runner, app, url = await start(config, registry, tmp_path)
    async with aiohttp.ClientSession() as session:
        live = Live(url, config, app, session)
        try:
            yield live
        finally:
            for socket in live.sockets:
                await socket.ws.close()
    await runner.cleanup()
