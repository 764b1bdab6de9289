"""Prompt builders and checks shared by the server tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
