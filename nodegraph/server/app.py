"""The app factory: builds the aiohttp application, its shared state (typed keys) and its lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import __version__
from ..config import Config
from ..core.registry import Registry
from ..engine import Engine
from ..queue import JobStore, Worker
from ..resources import front_end_root
from ..resources import workflows_dir as shipped_workflows
from . import bodies, security
from .handlers_settings import make_user_folders
from .packs import PackTransport, add_pack_routes, log_plugin_failures
from .routes import setup_routes
from .state import STATE, State
from .ws import Hub, LoopPublisher

log = logging.getLogger(__name__)
QUEUE_DB = "nodegraph_queue.sqlite3"


def create_app(config: Config, registry: Registry | None = None, *, engine: Engine | None = None,
               web_root: Path | None = None, workflows_dir: Path | None = None) -> web.Application:
    """A ready-to-run app on `engine` (built from `config`, with `registry` when given, if not handed one);
    the worker thread starts with the app and stops with it."""
    engine = engine or Engine(config, registry=registry)
    state = State(engine, web_root or front_end_root(config.front_end), workflows_dir or shipped_workflows())
    middlewares = [security.safe_headers, security.origin_guard(config.listen), bodies.unexpected_errors]
    if config.token:
        middlewares.insert(0, security.token_guard(config.token))
    # The body bound for every route; uploads are the largest legitimate bodies.
    app = web.Application(client_max_size=state.max_upload_bytes, middlewares=middlewares)
    app[STATE] = state
    setup_routes(app)
    add_pack_routes(app, engine)
    log_plugin_failures(engine)
    app.cleanup_ctx.append(_lifetime)
    app.on_shutdown.append(_close_sockets)
    return app


async def _close_sockets(app: web.Application) -> None:
    """Open websockets would otherwise hold the shutdown until aiohttp's timeout."""
    hub = app[STATE].hub
    if hub is not None:
        for client in list(hub.clients.values()):
            await client.ws.close(code=1001, message=b"server shutdown")


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    loop = asyncio.get_running_loop()
    # The log panel of ComfyUI's frontend reads what this logger says while the app runs.
    logger = logging.getLogger("nodegraph")
    level = logger.level
    if level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    logger.addHandler(state.logs)
    state.store = JobStore(state.config.user_dir / QUEUE_DB, state.config.history_limit,
                           state.config.max_queue_db_mb)
    make_user_folders(state)
    if state.store.recovered:
        log.warning("re-queued %d prompt(s) that were running when the server stopped",
                    len(state.store.recovered))
    state.hub = Hub(state.status, state.server_flags())

    def finished(prompt_id: str, entry: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed at shutdown
            loop.call_soon_threadsafe(_resolve, state, prompt_id, entry)

    publisher = LoopPublisher(loop, state.hub)
    try:
        state.worker = await _worker(state, publisher, finished)
    except BaseException:  # e.g. Ray could not start: nothing is served, and nothing is left open
        state.store.close()
        logger.removeHandler(state.logs)
        raise
    state.engine.comfy.transport = PackTransport(publisher, state.worker)
    drain = asyncio.create_task(state.hub.drain())
    state.worker.start()
    log.info("nodegraph %s serving %s at / (previews: %s)", __version__, state.config.front_end,
             state.config.preview_method)
    try:
        yield
    finally:
        await asyncio.to_thread(state.worker.stop)
        state.engine.comfy.transport = None
        drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drain
        state.store.close()
        logger.removeHandler(state.logs)
        logger.setLevel(level)


async def _worker(state: State, publisher: LoopPublisher, finished: Any) -> Worker:
    """The local worker, or with `ray_address` the one that runs prompts on Ray actors (started here, off
    the event loop: a cluster and its workers take seconds to come up)."""
    if not state.config.ray_address:
        return Worker(state.store, state.engine, publisher, on_finished=finished)
    from ..scaleout.pool import RayPool
    from ..scaleout.worker import RayWorker

    pool = RayPool(state.config)
    await asyncio.to_thread(pool.start)
    return RayWorker(state.store, state.engine, publisher, pool, on_finished=finished)


def _resolve(state: State, prompt_id: str, entry: dict[str, Any]) -> None:
    for future in state.waiters.pop(prompt_id, []):
        if not future.done():
            future.set_result(entry)
