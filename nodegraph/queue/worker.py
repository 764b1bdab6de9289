"""The one worker thread that takes jobs from the store, runs them, and records their history.

It knows nothing about HTTP: it reports through a `Publisher` (the server forwards to websockets) and
an optional `on_finished` callback (the server resolves synchronous /run requests with it).

Storage faults (a full disk, a locked or failing database) do not end the thread: the store call that
failed is retried with backoff while `stall` says why the queue cannot move, and the prompt in hand is
kept: a claim that failed left it pending, and a result that could not be written is written once the
store works again, so nothing is lost and nothing runs twice.
"""

from __future__ import annotations

import gc
import io
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..core import previews
from ..core.events import Event, Executed, Executing, Progress
from ..core.safejson import finite
from ..engine import Engine
from .history import RECORDED, build_entry, failed_entry
from .store import Job, JobStore

log = logging.getLogger(__name__)
PREVIEW_MAX_SIDE = 512
RETRY_FIRST_S, RETRY_MAX_S = 0.25, 8.0  # backoff between attempts at a failing store call
T = TypeVar("T")


class Publisher(Protocol):
    def message(self, type_: str, data: dict[str, Any], client_id: str | None) -> None: ...

    def preview(self, image: bytes, meta: dict[str, Any], client_id: str | None) -> None: ...

    def status(self) -> None: ...


@dataclass
class Running:
    prompt_id: str
    client_id: str | None
    node: str | None = None


class Requeue(Exception):
    """Not a failure: the job goes back to the queue and runs again (its Ray worker died under it)."""


@dataclass
class Stall:
    """Why the queue cannot move right now: the store call that keeps failing, since when, how often."""

    reason: str
    since: float
    attempts: int = 1

    def report(self) -> dict[str, Any]:
        return {"reason": self.reason, "since": self.since, "attempts": self.attempts}


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
        self.preview_method = engine.config.preview_method
        self.executor = engine.executor
        self.publisher = publisher
        self.on_finished = on_finished
        self.running: Running | None = None
        self.stall: Stall | None = None
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

    def remote_workers(self) -> list[dict[str, Any]]:
        """The processes that run prompts elsewhere (Ray workers); none for this in-process worker."""
        return []

    def request_free(self, unload_models: bool = False, free_memory: bool = False) -> None:
        """Applied between prompts, as ComfyUI does, so a running prompt never loses its models."""
        self._free["unload_models"] |= unload_models or free_memory
        self._free["free_memory"] |= free_memory
        self.wake()

    # -- the thread -------------------------------------------------------------------------------------

    def _retrying(self, what: str, call: Callable[[], T]) -> tuple[bool, T | None]:
        """(True, result) once `call` succeeds, retried with backoff while the store fails; (False, None)
        when the worker is stopped first."""
        delay = RETRY_FIRST_S
        while True:
            try:
                result = call()
            except sqlite3.Error as exc:
                self._stalled(f"cannot {what}: {type(exc).__name__}: {exc} (queue database {self.store.path})")
                if self._stop.wait(delay):
                    return False, None
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if self.stall is not None:
                log.warning("the queue database works again after %d failed attempts; the queue moves on",
                            self.stall.attempts)
                self.stall = None
                self.publisher.status()
            return True, result

    def _stalled(self, reason: str) -> None:
        if self.stall is None:
            log.error("the queue is stalled: %s; retrying every %.0f s at most", reason, RETRY_MAX_S)
            self.stall = Stall(reason, time.time())
            self.publisher.status()
        else:
            self.stall.reason = reason
            self.stall.attempts += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wakeup.clear()
            self._apply_free()
            job = None
            if not self.paused:
                claimed, job = self._next_job()
                if not claimed:
                    break
            if job is None:
                self._wakeup.wait(timeout=5.0)
                continue
            self._dispatch(job)

    def _next_job(self) -> tuple[bool, Job | None]:
        """(False, None) once stopped; else the next pending job, or None when there is none."""
        return self._retrying("take the next prompt", self.store.claim)

    def _dispatch(self, job: Job) -> None:
        """Run a claimed job; here, on this thread, one at a time."""
        try:
            self._process(job)
        except Exception:  # the worker must survive anything one prompt does
            log.exception("worker failed on prompt %s", job.prompt_id)

    def _started(self, job: Job) -> None:
        self.running = Running(job.prompt_id, job.client_id)

    def _ended(self, job: Job) -> None:
        self.running = None

    def _run_job(self, job: Job, method: str, messages: list[list[Any]]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(status, UI outputs, per-node cache records) of running the job; `messages` collects the
        recorded events."""
        # Nodes read the resolved method from ctx.preview_method, so they draw nothing when it is "none".
        result = self.executor.run(job.prompt, job.outputs, prompt_id=job.prompt_id,
                                   sink=lambda event: self._forward(job, event, messages, method),
                                   extra_data={**job.extra_data, "preview_method": method}, progress_state=True)
        return result.status, result.ui, result.nodes

    def _process(self, job: Job) -> None:
        method = previews.resolve(job.extra_data, self.preview_method)
        self._started(job)
        self.publisher.status()
        messages: list[list[Any]] = []
        try:
            status, ui, ran = self._run_job(job, method, messages)
            # Nodes upstream of a cached node are never visited; execution_cached still names them.
            nodes = {node: {"cached": True, "reason": "cached"}
                     for kind, data in messages if kind == "execution_cached" for node in data["nodes"]}
            entry = build_entry(job, status, ui, {**nodes, **ran}, messages)
        except Requeue as exc:  # not a failure: the job runs again (its Ray worker died under it)
            log.warning("prompt %s goes back to the queue: %s", job.prompt_id, exc)
            self._retrying(f"put prompt {job.prompt_id} back in the queue", lambda: self.store.requeue(job.prompt_id))
            self._ended(job)
            self.publisher.status()
            return
        except Exception as exc:  # an engine bug becomes a failed history entry, not a dead worker
            log.exception("executor failed on prompt %s", job.prompt_id)
            entry = failed_entry(job, f"{type(exc).__name__}: {exc}", type(exc).__name__)
            self.publisher.message("execution_error", entry["status"]["messages"][0][1], job.client_id)
        if self._stop.is_set() and entry["status"]["status_str"] != "success":
            # Shutting down interrupted this prompt: it did not fail, so it waits for the next start.
            self._retrying(f"put prompt {job.prompt_id} back in the queue", lambda: self.store.release(job.prompt_id))
            self._ended(job)
            return
        recorded, _ = self._retrying(f"record the result of prompt {job.prompt_id}",
                                     lambda: self.store.finish(job.prompt_id, entry))
        self._ended(job)
        if not recorded:
            # Stopped while the result could not be written: the job is still marked running, so the next
            # start puts it back in the queue (its result was never recorded).
            log.error("stopped before the result of prompt %s could be recorded", job.prompt_id)
            return
        self.publisher.status()
        self.publisher.message("executing", {"node": None, "prompt_id": job.prompt_id}, job.client_id)
        if self.on_finished is not None:
            self.on_finished(job.prompt_id, entry)

    def _forward(self, job: Job, event: Event, messages: list[list[Any]], method: str) -> None:
        # A step's `progress` goes first and its preview frame after it, as in ComfyUI: clients attribute
        # a preview to the node and prompt of the last progress message they read.
        self._publish(job, event.type, event.data(), messages)
        if isinstance(event, Progress) and event.preview is not None and method != previews.NONE:
            self._preview(job, event)

    def _publish(self, job: Job, type_: str, data: dict[str, Any], messages: list[list[Any]]) -> None:
        """One event's message to the job's client, recorded for history when history keeps that type."""
        if type_ in RECORDED:
            messages.append([type_, data])
        running = self._running_of(job)
        if type_ == Executing.type and running is not None:
            running.node = data.get("node")
        if type_ == Executed.type:  # a node's UI output may hold NaN; strict JSON has no word for it
            data = finite(data)
        self.publisher.message(type_, data, job.client_id)

    def _running_of(self, job: Job) -> Running | None:
        return self.running

    def _preview(self, job: Job, event: Progress) -> None:
        try:
            image = encode_preview(event.preview)
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("could not encode a preview from node %s: %s", event.node, exc)
            return
        meta = {"node_id": event.node, "prompt_id": job.prompt_id, "display_node_id": event.node,
                "parent_node_id": None, "real_node_id": event.node, "image_type": "image/jpeg"}
        self.publisher.preview(image, meta, job.client_id)

    def _apply_free(self) -> None:
        if not (self._free["unload_models"] or self._free["free_memory"]):
            return
        self.services.models.free()
        if self._free["free_memory"]:
            self.executor.cache.clear()
            self.executor.instances.clear()
            gc.collect()
        self._free = {"unload_models": False, "free_memory": False}
