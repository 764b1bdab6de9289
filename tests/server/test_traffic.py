"""Websocket traffic per node does not grow with the graph (ComfyUI's grows with it: quadratic in total)."""

from __future__ import annotations

import json

import pytest
from server_helpers import long_chain

pytestmark = pytest.mark.asyncio


async def bytes_per_node(server, length: int) -> float:
    socket = await server.socket()
    prompt_id = await server.submit(long_chain(length, tag=f"n{length}", start=length), socket)
    messages = await socket.done(prompt_id, timeout=120)
    assert sum(1 for m in messages if m["type"] == "executing") == length + 2  # every node, plus null
    return sum(len(json.dumps(m)) for m in messages) / length


async def test_progress_traffic_is_linear_in_graph_size(server):
    small = await bytes_per_node(server, 100)
    large = await bytes_per_node(server, 1000)
    assert 0.8 < large / small < 1.25, (small, large)
    # A few small messages per node (executing, and progress_state for its start and finish), never the
    # graph's state: ComfyUI's progress_state carries every node seen so far, so its bytes per node grow.
    assert large < 1500
