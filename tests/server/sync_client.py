"""A blocking stdlib HTTP client for tests that drive a server in another process."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any


def get(url: str, path: str) -> Any:
    with urllib.request.urlopen(url + path, timeout=30) as response:
        return json.loads(response.read())


def post(url: str, path: str, body: Any) -> Any:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def submit(url: str, prompt: dict[str, Any]) -> str:
    return post(url, "/prompt", {"prompt": prompt})["prompt_id"]


def wait(url: str, prompt_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll /history until the prompt has an entry (a client without a websocket)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = get(url, f"/history/{prompt_id}")
        if entry:
            return entry[prompt_id]
        time.sleep(0.05)
    raise AssertionError(f"prompt {prompt_id} did not finish within {timeout}s")


def wait_running(url: str, prompt_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if [item[1] for item in get(url, "/queue")["queue_running"]] == [prompt_id]:
            return
        time.sleep(0.02)
    raise AssertionError(f"prompt {prompt_id} did not start within {timeout}s")
