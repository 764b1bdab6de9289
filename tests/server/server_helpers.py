"""Prompt builders, a live server and its websocket clients, shared by the server tests (and the compat tests' real
packs on a real server)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from nodegraph.config import Config
from nodegraph.server import create_app


def chain(tag: str, value: int = 0, steps: int = 2, delay: float = 0.0, **slow: Any) -> dict[str, Any]:
    """TestSlow -> TestRecord: the smallest prompt with progress and an output."""
    return {
        "1": {"class_type": "TestSlow", "inputs": {"value": value, "steps": steps, "delay": delay,
                                                 "preview": False, **slow}},
        "2": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": tag}},
    }


def record_lines(config: Config) -> list[str]:
    log = config.output_dir / "record.log"
    return log.read_text().splitlines() if log.exists() else []


def long_chain(length: int, tag: str = "long", steps: int = 1, start: int = 0) -> dict[str, Any]:
    """`length` TestSlow nodes in a line feeding one TestRecord (`start` makes a chain uncached)."""
    prompt: dict[str, Any] = {}
    for i in range(1, length + 1):
        value: Any = [str(i - 1), 0] if i > 1 else start
        prompt[str(i)] = {"class_type": "TestSlow",
                          "inputs": {"value": value, "steps": steps, "delay": 0.0, "preview": False}}
    prompt["out"] = {"class_type": "TestRecord", "inputs": {"value": [str(length), 0], "tag": tag}}
    return prompt


async def start(config: Config, registry: Any, tmp_path: Path) -> tuple[web.AppRunner, web.Application, str]:
    web_root = tmp_path / "web"
    web_root.mkdir(exist_ok=True)
    (web_root / "index.html").write_text("<!doctype html><title>nodegraph editor</title>")
    workflows = tmp_path / "workflows"
    workflows.mkdir(exist_ok=True)
    app = create_app(config, registry, web_root=web_root, workflows_dir=workflows)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, app, f"http://127.0.0.1:{port}"


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

    async def finished(self, prompt: dict[str, Any]) -> dict[str, Any]:
        """Queue the prompt from a client of its own, wait for it, and return its history entry."""
        socket = await self.socket()
        prompt_id = await self.submit(prompt, socket)
        await socket.done(prompt_id)
        _, history = await self.get(f"/history/{prompt_id}")
        return history[prompt_id]


@contextlib.asynccontextmanager
async def serving(config: Config, registry: Any, tmp_path: Path) -> AsyncIterator[Live]:
    """A live server on 127.0.0.1 port 0 and a client session; sockets are closed and the server stopped after."""
    runner, app, url = await start(config, registry, tmp_path)
    async with aiohttp.ClientSession() as session:
        live = Live(url, config, app, session)
        try:
            yield live
        finally:
            for socket in live.sockets:
                await socket.ws.close()
    await runner.cleanup()
