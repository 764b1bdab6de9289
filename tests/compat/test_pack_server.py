"""What packs add to a real server: their editor extensions (WEB_DIRECTORY at /extensions), their own HTTP
routes, their websocket messages (PromptServer.instance.send_sync), and failed packs in the server log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from compat_helpers import PACKS
from server_helpers import Live, serving, start

from nodegraph.config import Config
from nodegraph.server.state import STATE

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    root = tmp_path_factory.mktemp("pack_server")
    (root / "base").mkdir()
    (root / "base" / "custom_nodes").symlink_to(PACKS, target_is_directory=True)
    async with serving(Config(base_dir=root / "base"), None, root) as server:
        yield server


async def test_pack_web_directories_are_listed_and_served(live):
    for prefix in ("", "/api"):
        status, scripts = await live.get(prefix + "/extensions")
        assert status == 200 and "/extensions/v1_pack/v1_pack.js" in scripts
    status, script = await live.get("/extensions/v1_pack/v1_pack.js")
    assert status == 200 and b"V1_PACK_EXTENSION" in script
    for bad in ("/extensions/v1_pack/..%2f__init__.py", "/extensions/v1_pack/../__init__.py",
                "/extensions/nope/x.js", "/extensions/v1_pack/missing.js"):
        status, _ = await live.get(bad)
        assert status == 404, bad


async def test_pack_routes_are_served_with_and_without_the_api_prefix(live):
    for path in ("/v1pack/info", "/api/v1pack/info"):
        status, body = await live.get(path)
        assert status == 200 and body["output"] == str(live.config.output_dir)


async def test_send_sync_reaches_the_client_that_queued_the_prompt_in_order(live):
    mine, other = await live.socket(), await live.socket()
    prompt_id = await live.submit({"say": {"class_type": "SendText", "inputs": {"text": "hi there"}}}, mine)
    await mine.done(prompt_id)
    types = [m["type"] for m in mine.messages if isinstance(m, dict) and m["type"] != "status"]
    at = types.index("v1pack.text")
    assert types[at - 2:at + 3] == ["executing", "progress_state", "v1pack.text", "executed", "progress_state"]
    assert next(m for m in mine.messages if m["type"] == "v1pack.text")["data"] == {"text": "hi there"}
    await other.drain()
    assert not [m for m in other.messages if isinstance(m, dict) and m["type"] == "v1pack.text"]


async def test_on_prompt_handlers_see_each_posted_prompt(live):
    prompt_server = live.app[STATE].engine.comfy.prompt_server
    seen: list[str] = []

    def handler(body):
        seen.append(sorted(body["prompt"])[0])
        body["prompt"]["say"]["inputs"]["text"] = "rewritten"
        return body

    prompt_server.add_on_prompt_handler(handler)
    try:
        socket = await live.socket()
        prompt_id = await live.submit({"say": {"class_type": "SendText", "inputs": {"text": "original"}}}, socket)
        await socket.done(prompt_id)
    finally:
        prompt_server.on_prompt_handlers.remove(handler)
    _, history = await live.get(f"/history/{prompt_id}")
    assert seen == ["say"] and history[prompt_id]["outputs"]["say"] == {"text": ["rewritten"]}


async def test_a_failed_pack_is_in_the_server_log_with_its_traceback(tmp_path, caplog):
    (tmp_path / "custom_nodes").symlink_to(PACKS, target_is_directory=True)
    with caplog.at_level(logging.ERROR, logger="nodegraph.server.packs"):
        runner, _, _ = await start(Config(base_dir=tmp_path), None, tmp_path)
        await runner.cleanup()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "missing_module_pack skipped" in logged and "does not provide the module 'comfy.sd'" in logged
    assert "Traceback (most recent call last)" in logged and "from comfy.sd import" in logged
