"""The state every handler shares, reached through one typed app key."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import __version__
from ..config import Config
from ..core.registry import Registry
from ..engine import Engine
from ..queue import JobStore, Worker
from ..runtime.files import Folders
from ..runtime.services import Services
from .logbuffer import LogBuffer
from .ws import Hub


@dataclass
class State:
    """Everything handlers share; one per app, reached through the STATE key."""

    engine: Engine
    web_root: Path
    workflows_dir: Path
    store: JobStore | None = None
    worker: Worker | None = None
    hub: Hub | None = None
    waiters: dict[str, list[asyncio.Future[dict[str, Any]]]] = field(default_factory=dict)
    settings_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    logs: LogBuffer = field(default_factory=LogBuffer)

    @property
    def config(self) -> Config:
        return self.engine.config

    @property
    def registry(self) -> Registry:
        return self.engine.registry

    @property
    def services(self) -> Services:
        return self.engine.services

    @property
    def folders(self) -> Folders:
        return self.engine.services.files

    @property
    def max_upload_bytes(self) -> int:
        return self.config.max_upload_mb * 2**20

    def server_flags(self) -> dict[str, Any]:
        return {"supports_preview_metadata": True, "max_upload_size": self.max_upload_bytes,
                "nodegraph_version": __version__, "persistent_queue": True, "sync_run": True}

    def status(self) -> dict[str, Any]:
        assert self.store is not None and self.worker is not None
        return {"exec_info": {"queue_remaining": self.store.remaining(), "paused": self.worker.paused}}


STATE = web.AppKey("state", State)
