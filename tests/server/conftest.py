"""A real server on 127.0.0.1 port 0 per test, with the test plugin loaded, and websocket helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from nodegraph.config import Config
from nodegraph.plugins import build_registry
from server_helpers import Live, serving

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def registry() -> Any:
    return build_registry([FIXTURES], use_entry_points=False)


@pytest_asyncio.fixture
async def server(tmp_path: Path, registry: Any) -> AsyncIterator[Live]:
    config = Config(base_dir=tmp_path / "base", max_upload_mb=1, history_limit=20, cache_entries=10_000)
    async with serving(config, registry, tmp_path) as live:
        yield live
