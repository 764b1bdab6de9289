"""A real nodegraph server in a background thread for the browser tests (one per session or module)."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodegraph.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout these tests belong to


@dataclass
class LiveServer:
    url: str
    config: Config
    workflows: Path

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            body = response.read()
            return json.loads(body) if "json" in response.headers.get("Content-Type", "") else body


def _serve(config: Config, workflows: Path, ready: threading.Event, box: dict[str, Any],
           web_root: Path | None) -> None:
    from aiohttp import web

    from nodegraph.server import create_app

    async def main() -> None:
        app = create_app(config, web_root=web_root, workflows_dir=workflows)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        box["stop"] = asyncio.Event()
        ready.set()
        await box["stop"].wait()
        await runner.cleanup()

    loop = asyncio.new_event_loop()
    box["loop"] = loop
    try:
        loop.run_until_complete(main())
    except Exception as exc:  # noqa: BLE001 - reported to the waiting fixture, which fails the test with it
        box["error"] = exc
        ready.set()
    finally:
        loop.close()


def serve_in_thread(config: Config, web_root: Path | None) -> Iterator[LiveServer]:
    """A real server for `config` on 127.0.0.1 port 0 in a background thread, for as long as the generator
    runs; `web_root` None serves the front-end `config.front_end` names."""
    box: dict[str, Any] = {}
    ready = threading.Event()
    thread = threading.Thread(target=_serve, args=(config, REPO_ROOT / "workflows", ready, box, web_root),
                              daemon=True)
    thread.start()
    assert ready.wait(60), "the server did not start within 60 s"
    if "error" in box:
        raise box["error"]
    yield LiveServer(box["url"], config, REPO_ROOT / "workflows")
    box["loop"].call_soon_threadsafe(box["stop"].set)
    thread.join(30)
