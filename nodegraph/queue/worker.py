"""The one worker thread that takes jobs from the store, runs them, and records their history.

It knows nothing about HTTP: it reports through a `Publisher` (the server forwards to websockets) and
an optional `on_finished` callback (the server resolves synchronous /run requests with it).
"""

from __future__ import annotations

import gc
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..core.events import Event, Executing, Progress
from ..engine import Engine
from .history import RECORDED, build_entry, failed_entry
from .store import Job, JobStore

log = logging.getLogger(__name__)
PREVIEW_MAX_SIDE = 512


class Publisher(Protocol):
    def message(self, type_: str, data: dict[str, Any], client_id: str | None) -> None: ...

    def preview(self, image: bytes, meta: dict[str, Any], client_id: str | None) -> None: ...

    def status(self) -> None: ...


@dataclass
class Running:
    prompt_id: str
    client_id: str | None
    node: str | None = None


def encode_preview(image: Any) -> bytes:
    """JPEG bytes of a PIL image, shrunk so a preview frame stays small whatever the node made."""
    image = image.convert("RGB")
    if max(image.size) > PREVIEW_MAX_SIDE:
        image = image.copy()
        image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


class Worker:
    """Runs one prompt at a time; every state change goes through the store first."""

    def __init__(self, store: JobStore, engine: Engine, publisher: Publisher,
                 on_finished: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.store = store
        self.services = engine.services
        self.executor = engine.executor
        self.publisher = publisher
        self.on_finished = on_finished
        self.running: Running | None = None
        self.paused = store.paused
        self._wakeup = threading.Event()
        self._stop = threading.Event()
        self._free = {"unload_models": False, "free_memory": False}
        self._thread = threading.Thread(target=self._loop, name="nodegraph-worker", daemon=True)

    # -- control (any thread) ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.executor.interrupt.set()
        self._wakeup.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wakeup.set()

    def set_paused(self, paused: bool) -> None:
        """Pausing lets the running prompt finish; nothing new starts until resumed."""
        self.store.set_paused(paused)
        self.paused = paused
        self.wake()

    def interrupt(self, prompt_id: str | None = None) -> bool:
        running = self.running
        if running is None or (prompt_id is not None and running.prompt_id != prompt_id):
            return False
        self.executor.interrupt.set()
        return True

    def request_free(self, unload_models: bool = False, free_memory: bool = False) -> None:
        """Applied between prompts, as ComfyUI does, so a running prompt never loses its models."""
        self._free["unload_models"] |= unload_models or free_memory
        self._free["free_memory"] |= free_memory
        self.wake()

    # -- the thread -------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wakeup.clear()
            self._apply_free()
            job = None if self.paused else self.store.claim()
            if job is None:
                self._wakeup.wait(timeout=5.0)
                continue
            try:
                self._process(job)
            except Exception:  # the worker must survive anything one prompt does
                log.exception("worker failed on prompt %s", job.prompt_id)

    def _process(self, job: Job) -> None:
        self.running = Running(job.prompt_id, job.client_id)
        self.publisher.status()
        messages: list[list[Any]] = []
        try:
            result = self.executor.run(job.prompt, job.outputs, prompt_id=job.prompt_id,
                                       sink=lambda event: self._forward(job, event, messages),
                                       extra_data=job.extra_data, progress_state=True)
            # Nodes upstream of a cached node are never visited; execution_cached still names them.
            nodes = {node: {"cached": True, "reason": "cached"}
                     for kind, data in messages if kind == "execution_cached" for node in data["nodes"]}
            entry = build_entry(job, result.status, result.ui, {**nodes, **result.nodes}, messages)
        except Exception as exc:  # an engine bug becomes a failed history entry, not a dead worker
            log.exception("executor failed on prompt %s", job.prompt_id)
            entry = failed_entry(job, f"{type(exc).__name__}: {exc}", type(exc).__name__)
            self.publisher.message("execution_error", entry["status"]["messages"][0][1], job.client_id)
        if self._stop.is_set() and entry["status"]["status_str"] != "success":
            # Shutting down interrupted this prompt: it did not fail, so it waits for the next start.
            self.store.release(job.prompt_id)
            self.running = None
            return
        self.store.finish(job.prompt_id, entry)
        self.running = None
        self.publisher.status()
        self.publisher.message("executing", {"node": None, "prompt_id": job.prompt_id}, job.client_id)
        if self.on_finished is not None:
            self.on_finished(job.prompt_id, entry)

    def _forward(self, job: Job, event: Event, messages: list[list[Any]]) -> None:
        data = event.data()
        if event.type in RECORDED:
            messages.append([event.type, data])
        if isinstance(event, Executing) and self.running is not None:
            self.running.node = event.node
        if isinstance(event, Progress) and event.preview is not None:
            try:
                image = encode_preview(event.preview)
            except (OSError, ValueError, AttributeError) as exc:
                log.warning("could not encode a preview from node %s: %s", event.node, exc)
            else:
                meta = {"node_id": event.node, "prompt_id": job.prompt_id, "display_node_id": event.node,
                        "parent_node_id": None, "real_node_id": event.node, "image_type": "image/jpeg"}
                self.publisher.preview(image, meta, job.client_id)
        self.publisher.message(event.type, data, job.client_id)

    def _apply_free(self) -> None:
        if not (self._free["unload_models"] or self._free["free_memory"]):
            return
        self.services.models.free()
        if self._free["free_memory"]:
            self.executor.cache.clear()
            self.executor.instances.clear()
            gc.collect()
        self._free = {"unload_models": False, "free_memory": False}
