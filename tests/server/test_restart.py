"""A server killed with SIGKILL loses no queued prompt and runs no finished one again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sync_client as client
from server_helpers import chain, record_lines

from nodegraph.config import Config
from nodegraph.queue import JobStore

FIXTURES = Path(__file__).parent / "fixtures"


def launch(base: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "nodegraph.server.main", "--port", "0", "--base-dir", str(base),
         "--nodes-dir", str(FIXTURES)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            # Keep draining the child's output so a chatty server never blocks on a full pipe.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, found.group(1)
    process.kill()
    raise AssertionError("server did not start:\n" + "".join(seen[-30:]))


def kill9(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.timeout(240)
def test_kill_9_with_a_running_and_queued_prompts_then_restart(tmp_path):
    base = tmp_path / "base"
    config = Config(base_dir=base)
    process, url = launch(base)
    try:
        done = client.submit(url, chain("done", value=100, steps=1))
        client.wait(url, done)
        running = client.submit(url, chain("running", value=1, steps=60, delay=0.05))
        queued = [client.submit(url, chain(f"queued{i}", value=10 + i, steps=1)) for i in range(3)]
        client.wait_running(url, running)
    finally:
        kill9(process)
    assert [line.split()[1] for line in record_lines(config)] == ["done"]

    process, url = launch(base)
    try:
        for prompt_id in [running, *queued]:
            entry = client.wait(url, prompt_id, timeout=60)
            assert entry["status"]["status_str"] == "success", entry["status"]
        assert client.get(url, "/queue") == {"queue_running": [], "queue_pending": [], "paused": False}
        history = client.get(url, "/history")
        assert set(history) == {done, running, *queued}
    finally:
        kill9(process)
    tags = sorted(line.split()[1] for line in record_lines(config))
    assert tags == ["done", "queued0", "queued1", "queued2", "running"]  # each exactly once


@pytest.mark.timeout(120)
def test_sigterm_stops_the_running_prompt_and_keeps_it_queued(tmp_path):
    base = tmp_path / "base"
    process, url = launch(base)
    try:
        running = client.submit(url, chain("slow", value=1, steps=400, delay=0.05))
        client.wait_running(url, running)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            kill9(process)
    store = JobStore(base / "user" / "nodegraph_queue.sqlite3")
    assert [(j.prompt_id, j.attempts) for j in store.pending()] == [(running, 0)]  # not counted as a crash
    assert store.history() == {}
