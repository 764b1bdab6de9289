"""Live previews as ComfyUI sends them: none unless asked for, and each frame after its step's progress."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from nodegraph.config import Config
from nodegraph.core.context import InterruptFlag, NodeContext
from server_helpers import Live, chain, start


def frames_in_order(socket: Any, prompt_id: str) -> list[Any]:
    """This prompt's progress messages and the binary frames, in the order the socket received them."""
    return [m if isinstance(m, bytes) else ("progress", m["data"]["value"]) for m in socket.messages
            if isinstance(m, bytes) or (m["type"] == "progress" and m["data"]["prompt_id"] == prompt_id)]


@pytest.mark.asyncio
async def test_a_client_that_asked_for_nothing_gets_only_text_frames(server: Live) -> None:
    socket = await server.socket()
    prompt_id = await server.submit(chain("quiet", steps=3, preview=True), socket)
    await socket.done(prompt_id)
    await socket.drain(0.2)
    assert [m for m in socket.messages if isinstance(m, bytes)] == []
    assert frames_in_order(socket, prompt_id) == [("progress", 1), ("progress", 2), ("progress", 3)]


@pytest.mark.asyncio
async def test_a_preview_frame_follows_the_progress_message_of_its_step(server: Live) -> None:
    socket = await server.socket()
    prompt_id = await server.submit(chain("asked", steps=3, preview=True), socket,
                                    extra_data={"preview_method": "latent2rgb"})
    await socket.done(prompt_id)
    order = frames_in_order(socket, prompt_id)
    assert [m if isinstance(m, tuple) else "frame" for m in order] == [
        ("progress", 1), "frame", ("progress", 2), "frame", ("progress", 3), "frame"]
    assert all(struct.unpack(">II", m[:8]) == (1, 1) for m in order if isinstance(m, bytes))


@pytest.mark.asyncio
async def test_an_unknown_preview_method_is_refused_naming_the_choices(server: Live) -> None:
    status, body = await server.post("/prompt", {"prompt": chain("bad"), "extra_data": {"preview_method": "fast"}})
    assert status == 400
    assert "preview_method" in body["error"]["message"] and "latent2rgb" in body["error"]["message"]
    status, _ = await server.post("/prompt", {"prompt": chain("dflt"), "extra_data": {"preview_method": "default"}})
    assert status == 200


@pytest_asyncio.fixture
async def previewing(tmp_path: Path, registry: Any) -> AsyncIterator[Live]:
    """A server started with --preview-method latent2rgb."""
    config = Config(base_dir=tmp_path / "base", preview_method="latent2rgb")
    runner, app, url = await start(config, registry, tmp_path)
    async with aiohttp.ClientSession() as session:
        live = Live(url, config, app, session)
        yield live
        for socket in live.sockets:
            await socket.ws.close()
    await runner.cleanup()


@pytest.mark.asyncio
async def test_the_server_setting_is_the_default_and_a_prompt_can_turn_it_off(previewing: Live) -> None:
    socket = await previewing.socket()
    on = await previewing.submit(chain("on", steps=2, preview=True), socket)
    await socket.done(on)
    assert len([m for m in socket.messages if isinstance(m, bytes)]) == 2
    off = await previewing.submit(chain("off", value=1, steps=2, preview=True), socket,
                                  extra_data={"preview_method": "none"})
    await socket.done(off)
    await socket.drain(0.2)
    assert len([m for m in socket.messages if isinstance(m, bytes)]) == 2


def test_nodes_learn_the_method_and_a_bad_server_setting_is_refused() -> None:
    def ctx(extra: dict[str, Any]) -> NodeContext:
        return NodeContext("p", "1", "1", "X", lambda event: None, InterruptFlag(), extra_data=extra)

    assert ctx({}).preview_method == "auto"  # the Python API and CLI: whoever passed a sink may want them
    assert ctx({"preview_method": "none"}).preview_method == "none"
    assert ctx({"preview_method": "default"}).preview_method == "auto"
    with pytest.raises(ValueError, match="preview_method must be one of none, auto, latent2rgb, taesd"):
        Config(preview_method="fast")
