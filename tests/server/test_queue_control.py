"""Interrupt, pause/resume, queue and history editing, per-client scoping and binary preview frames."""

from __future__ import annotations

import asyncio
import io
import json
import struct

import pytest
from PIL import Image
from server_helpers import chain, record_lines

pytestmark = pytest.mark.asyncio


def is_progress(prompt_id: str):
    return lambda m: isinstance(m, dict) and m["type"] == "progress" and m["data"]["prompt_id"] == prompt_id


async def test_interrupt_during_a_slow_node(server):
    socket = await server.socket()
    slow = await server.submit(chain("slow", steps=400, delay=0.05), socket)
    await socket.until(is_progress(slow))
    status, _ = await server.post("/interrupt", {"prompt_id": "some-other-prompt"})
    assert status == 200
    await asyncio.sleep(0.2)
    _, queue = await server.get("/queue")
    assert [item[1] for item in queue["queue_running"]] == [slow]  # the wrong id interrupted nothing
    status, _ = await server.post("/interrupt", {"prompt_id": slow})
    assert status == 200
    messages = await socket.done(slow, timeout=10)
    interrupted = next(m["data"] for m in messages if m["type"] == "execution_interrupted")
    assert interrupted["node_id"] == "1" and interrupted["node_type"] == "TestSlow"
    assert sum(1 for m in messages if m["type"] == "progress") < 400
    _, history = await server.get(f"/history/{slow}")
    assert history[slow]["status"]["status_str"] == "error"
    assert history[slow]["status"]["messages"][-1][0] == "execution_interrupted"
    assert record_lines(server.config) == []
    after = await server.submit(chain("after"), socket)  # the next prompt is not affected by the flag
    await socket.done(after)
    assert [line.split()[1] for line in record_lines(server.config)] == ["after"]


async def test_interrupt_without_body_stops_whatever_runs(server):
    socket = await server.socket()
    slow = await server.submit(chain("slow", steps=400, delay=0.05), socket)
    await socket.until(is_progress(slow))
    async with server.session.post(server.url + "/api/interrupt") as response:
        assert response.status == 200
    messages = await socket.done(slow, timeout=10)
    assert "execution_interrupted" in [m["type"] for m in messages]


async def test_two_clients_each_see_only_their_own_progress(server):
    alice, bob = await server.socket("alice"), await server.socket("bob")
    first = await server.submit(chain("alice", steps=3), alice)
    second = await server.submit(chain("bob", value=1, steps=3), bob)
    await alice.done(first)
    await bob.done(second)
    for socket, mine, theirs in ((alice, first, second), (bob, second, first)):
        assert socket.types(theirs) == []
        assert socket.types(mine).count("progress") == 3
        assert "executed" in socket.types(mine)
        statuses = [m for m in socket.messages if isinstance(m, dict) and m["type"] == "status"]
        assert len(statuses) >= 3  # queue-length updates go to everyone


async def test_prompt_without_client_id_broadcasts_only_progress_messages(server):
    watcher = await server.socket()
    status, body = await server.post("/prompt", {"prompt": chain("anon", steps=2)})
    prompt_id = body["prompt_id"]
    await watcher.until(lambda m: is_progress(prompt_id)(m) and m["data"]["value"] == 2)
    for _ in range(100):
        _, history = await server.get(f"/history/{prompt_id}")
        if history:
            break
        await asyncio.sleep(0.05)
    assert history[prompt_id]["status"]["status_str"] == "success"
    await watcher.drain()
    # progress_state is broadcast too, as ComfyUI's server sends it to every client when none is named
    types = watcher.types(prompt_id)
    assert [t for t in types if t != "progress_state"] == ["progress", "progress"] and "progress_state" in types


async def test_reconnecting_client_learns_the_running_node(server):
    socket = await server.socket("again")
    slow = await server.submit(chain("slow", steps=400, delay=0.05), socket)
    await socket.until(is_progress(slow))
    await socket.ws.close()
    second = await server.socket("again")
    executing = await second.until(lambda m: isinstance(m, dict) and m["type"] == "executing")
    assert executing["data"] == {"node": "1", "display_node": "1", "prompt_id": slow}
    await server.post("/interrupt", {})
    await second.done(slow)


async def test_pause_holds_the_queue_and_resume_runs_it(server):
    socket = await server.socket()
    status, state = await server.post("/queue/pause")
    assert status == 200 and state["exec_info"]["paused"] is True
    held = await server.submit(chain("held"), socket)
    await asyncio.sleep(0.5)
    _, queue = await server.get("/queue")
    assert queue["paused"] is True and [item[1] for item in queue["queue_pending"]] == [held]
    assert queue["queue_running"] == []
    _, prompt_state = await server.get("/prompt")
    assert prompt_state["exec_info"]["queue_remaining"] == 1
    status, state = await server.post("/api/queue/resume")
    assert state["exec_info"]["paused"] is False
    await socket.done(held)
    assert [line.split()[1] for line in record_lines(server.config)] == ["held"]


async def test_queue_front_delete_and_clear(server):
    await server.post("/queue/pause")
    ids = [await server.submit(chain(f"q{i}")) for i in range(4)]
    front = await server.submit(chain("front"), front=True)
    _, queue = await server.get("/queue")
    pending = [item[1] for item in queue["queue_pending"]]
    assert pending == [front, *ids]
    item = queue["queue_pending"][1]
    assert item[2]["2"]["class_type"] == "TestRecord" and item[4] == ["2"]
    await server.post("/queue", {"delete": [ids[1]]})
    _, queue = await server.get("/queue")
    assert [item[1] for item in queue["queue_pending"]] == [front, ids[0], ids[2], ids[3]]
    await server.post("/queue", {"clear": True})
    _, queue = await server.get("/queue")
    assert queue["queue_pending"] == []
    status, body = await server.post("/queue", {"delete": "not-a-list"})
    assert status == 400


async def test_history_paging_delete_clear_and_bound(server):
    socket = await server.socket()
    ids = []
    for i in range(server.config.history_limit + 3):
        ids.append(await server.submit(chain(f"h{i}", value=i, steps=1), socket))
    await socket.done(ids[-1], timeout=60)
    _, history = await server.get("/history")
    assert list(history) == ids[3:]  # bounded: the oldest entries are dropped
    _, last_two = await server.get("/history", params={"max_items": "2"})
    assert list(last_two) == ids[-2:]
    _, page = await server.get("/history", params={"max_items": "3", "offset": "1"})
    assert list(page) == ids[4:7]
    status, _ = await server.get("/history", params={"max_items": "x"})
    assert status == 400
    await server.post("/history", {"delete": [ids[-1]]})
    _, entry = await server.get(f"/history/{ids[-1]}")
    assert entry == {}
    await server.post("/api/history", {"clear": True})
    _, history = await server.get("/history")
    assert history == {}


async def test_preview_frames_use_comfyui_headers(server):
    plain = await server.socket()
    rich = await server.socket(flags={"supports_preview_metadata": True})
    feature = next(m for m in rich.messages if isinstance(m, dict) and m["type"] == "feature_flags")
    assert feature["data"]["supports_preview_metadata"] is True
    assert feature["data"]["max_upload_size"] == server.config.max_upload_mb * 2**20
    asked = {"extra_data": {"preview_method": "auto"}}  # previews are off unless a prompt asks
    one = await server.submit(chain("p1", steps=2, preview=True), plain, **asked)
    two = await server.submit(chain("p2", value=1, steps=2, preview=True), rich, **asked)
    await plain.done(one)
    await rich.done(two)
    frames = [m for m in plain.messages if isinstance(m, bytes)]
    assert len(frames) == 2
    event, fmt = struct.unpack(">II", frames[0][:8])
    assert (event, fmt) == (1, 1)
    assert Image.open(io.BytesIO(frames[0][8:])).size == (64, 32)
    frames = [m for m in rich.messages if isinstance(m, bytes)]
    assert len(frames) == 2
    event, length = struct.unpack(">II", frames[0][:8])
    meta = json.loads(frames[0][8:8 + length])
    assert event == 4 and meta["prompt_id"] == two and meta["node_id"] == "1"
    assert meta["image_type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frames[0][8 + length:])).format == "JPEG"


async def test_run_of_a_prompt_removed_from_the_queue_answers_cancelled(server):
    await server.post("/queue/pause")
    waiting = asyncio.ensure_future(server.post("/run", {"prompt": chain("never"), "prompt_id": "gone"}))
    for _ in range(100):
        _, queue = await server.get("/queue")
        if queue["queue_pending"]:
            break
        await asyncio.sleep(0.02)
    await server.post("/queue", {"delete": ["gone"]})
    status, body = await asyncio.wait_for(waiting, 10)
    assert status == 200 and body["status"] == "cancelled"
    assert record_lines(server.config) == []
