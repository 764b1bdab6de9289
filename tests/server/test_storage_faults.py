"""Storage faults: a full queue database stalls the queue, says why, refuses new work, and recovers once
space returns with nothing lost or run twice; a damaged database is moved aside and named."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import Live
from server_helpers import record_lines, start

from nodegraph.config import Config
from nodegraph.queue import JobStore
from nodegraph.queue.database import StoreError

ENTRY_CHARS = 350_000  # three history entries overflow a 1 MB database


def big(tag: str, value: int) -> dict[str, Any]:
    return {"1": {"class_type": "TestSlow", "inputs": {"value": value, "steps": 1, "delay": 0.05, "preview": False}},
            "2": {"class_type": "TestBigText", "inputs": {"value": ["1", 0], "tag": tag, "size": ENTRY_CHARS}}}


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.asyncio
async def test_full_database_stalls_then_recovers_with_nothing_lost_or_run_twice(tmp_path, registry):
    # The database's size cap makes SQLite fail writes exactly as on a full disk ("database or disk is full").
    config = Config(base_dir=tmp_path / "base", max_queue_db_mb=1, history_limit=1000)
    runner, app, url = await start(config, registry, tmp_path)
    async with aiohttp.ClientSession() as session:
        live = Live(url, config, app, session)
        socket = await live.socket()
        ids = [await live.submit(big(f"p{i}", i), socket) for i in range(4)]

        async def stalled() -> dict[str, Any] | None:
            _, stats = await live.get("/system_stats")
            return stats["queue"] if stats["queue"]["stalled"] else None

        queue = await until(stalled)
        assert "database or disk is full" in queue["reason"] and str(config.user_dir) in queue["database"]
        message = await socket.until(lambda m: isinstance(m, dict) and m["type"] == "status"
                                     and m["data"]["status"]["exec_info"].get("stalled"))
        assert "database or disk is full" in message["data"]["status"]["exec_info"]["stalled"]
        status, body = await live.post("/prompt", {"prompt": big("late", 9)})
        assert status == 503 and body["error"]["type"] == "queue_stalled"
        assert "database or disk is full" in body["error"]["details"]
        _, listed = await live.get("/queue")
        waiting = [item[1] for item in listed["queue_running"] + listed["queue_pending"]]
        assert waiting and set(waiting) <= set(ids)  # the prompt in hand is still there, as are the rest

        async def done() -> bool:
            if await stalled():
                await live.post("/history", {"clear": True})  # space returns: the worker retries and goes on
            _, listed = await live.get("/queue")
            return not listed["queue_running"] and not listed["queue_pending"]

        await until(done)
        assert not await stalled()
        await live.post("/history", {"clear": True})
        status, body = await asyncio.wait_for(live.post("/run", {"prompt": big("after", 10)}), 30)
        assert status == 200 and body["status"] == "success"
    await runner.cleanup()
    ran = [line.split()[0] for line in record_lines(config)]
    assert sorted(ran[:4]) == sorted(ids)  # each prompt ran exactly once, the stalled one included
    assert len(ran) == 5


def _filled_store(path: Path) -> None:
    store = JobStore(path)
    for i in range(40):
        store.put(f"p{i}", {"1": {"class_type": "X", "inputs": {"text": "y" * 3000}}}, {}, ["1"])
    store.close()


@pytest.mark.parametrize("damage", ["garbage", "torn page"])
def test_a_damaged_database_is_moved_aside_and_named(tmp_path, damage, caplog):
    path = tmp_path / "queue.sqlite3"
    if damage == "garbage":
        path.write_bytes(b"not a database at all " * 500)
    else:
        _filled_store(path)
        data = bytearray(path.read_bytes())
        data[4096 * 3:4096 * 3 + 2000] = b"\xab" * 2000
        path.write_bytes(bytes(data))
    original = path.read_bytes()
    store = JobStore(path)
    assert store.moved_to is not None and store.moved_to.read_bytes() == original  # kept for recovery
    assert str(path) in store.notice and str(store.moved_to) in store.notice
    assert any(str(path) in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    store.put("fresh", {"1": {}}, {}, ["1"])
    assert [j.prompt_id for j in store.pending()] == ["fresh"]
    store.close()
    assert JobStore(path).moved_to is None  # the fresh one opens cleanly next time


def test_an_empty_database_file_is_reported(tmp_path, caplog):
    path = tmp_path / "queue.sqlite3"
    path.write_bytes(b"")
    store = JobStore(path)
    assert "empty (0 bytes" in store.notice and str(path) in store.notice
    assert any("0 bytes" in r.getMessage() for r in caplog.records)


def test_a_database_that_cannot_be_opened_names_the_file(tmp_path):
    path = tmp_path / "queue.sqlite3"
    path.mkdir()
    with pytest.raises(StoreError, match=str(path)):
        JobStore(path)


@pytest.mark.asyncio
async def test_server_reports_what_it_found_at_start(tmp_path, registry):
    config = Config(base_dir=tmp_path / "base")
    config.user_dir.mkdir(parents=True)
    (config.user_dir / "nodegraph_queue.sqlite3").write_bytes(b"\x00garbage" * 100)
    runner, _app, url = await start(config, registry, tmp_path)
    try:
        async with aiohttp.ClientSession() as session, session.get(url + "/system_stats") as response:
            queue = (await response.json())["queue"]
    finally:
        await runner.cleanup()
    assert queue["stalled"] is False and queue["moved_aside"].startswith(str(config.user_dir))
    assert "was damaged" in queue["startup_notice"]


def test_transactions_survive_sqlite_rolling_back_on_its_own(tmp_path):
    """After "database or disk is full" SQLite has already rolled back; the store must say so, not fail
    again on its own ROLLBACK."""
    store = JobStore(tmp_path / "q.sqlite3", max_mb=1)
    store.put("small", {"1": {}}, {}, ["1"])
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        store.put("huge", {"1": {"t": "x" * 2_000_000}}, {}, ["1"])
    assert [j.prompt_id for j in store.pending()] == ["small"]
