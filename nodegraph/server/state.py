"""The state every handler shares, reached through one typed app key."""

from __future__ import annotations

import asyncio
import sqlite3
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
from .previews import Previews
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
    previews: Previews = field(init=False)

    def __post_init__(self) -> None:
        self.previews = Previews(self.config.max_preview_pixels)

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

    def stalled(self) -> str | None:
        """Why the queue cannot run prompts now (the worker's store calls keep failing), or None."""
        stall = self.worker.stall if self.worker is not None else None
        return stall.reason if stall is not None else None

    def status(self) -> dict[str, Any]:
        assert self.store is not None and self.worker is not None
        try:
            remaining = self.store.remaining()
        except sqlite3.Error:  # the stall says why; the count is unknown meanwhile
            remaining = 0
        return {"exec_info": {"queue_remaining": remaining, "paused": self.worker.paused,
                              "stalled": self.stalled()}}

    def queue_health(self) -> dict[str, Any]:
        """/system_stats' account of the queue: stalled or not and why, and what was found at start."""
        assert self.store is not None and self.worker is not None
        stall = self.worker.stall
        return {"stalled": stall is not None, **(stall.report() if stall else {"reason": None}),
                "database": str(self.store.path), "startup_notice": self.store.notice,
                "moved_aside": str(self.store.moved_to) if self.store.moved_to else None}


STATE = web.AppKey("state", State)
