"""The queue worker for `--ray`: the head's SQLite queue and history stay as they are; each prompt is
claimed when a Ray worker is free, runs there, and its events, previews and saved files come back as a local
run's would. A prompt whose worker dies is put back in the queue and runs on another worker, once in
history; one that kills workers `MAX_TRIES` times is recorded as failed."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..core import previews
from ..engine import Engine
from ..queue.store import Job, JobStore
from ..queue.worker import Publisher, Requeue, Running, Worker
from ..runtime.files import write_new
from .actor import saved_refs
from .pool import RayPool, WorkerLost

log = logging.getLogger(__name__)
MAX_TRIES = 3


class RayWorker(Worker):
    def __init__(self, store: JobStore, engine: Engine, publisher: Publisher, pool: RayPool, **options: Any) -> None:
        super().__init__(store, engine, publisher, **options)
        self.pool = pool
        self.runs: dict[str, Running] = {}
        self._runs_lock = threading.Lock()

    @property
    def running(self) -> Running | None:  # what a reconnecting client asks about: any running prompt
        with self._runs_lock:
            return next(iter(self.runs.values()), None)

    @running.setter
    def running(self, value: Running | None) -> None:  # the base class's bookkeeping; runs holds them here
        pass

    def interrupt(self, prompt_id: str | None = None) -> bool:
        return self.pool.interrupt(prompt_id)

    def remote_workers(self) -> list[dict[str, Any]]:
        return self.pool.describe()

    def stop(self, timeout: float = 10.0) -> None:
        self.pool.interrupt(None)
        super().stop(timeout)
        self.pool.stop()

    # -- the dispatcher thread --------------------------------------------------------------------------

    def _next_job(self) -> tuple[bool, Job | None]:
        if not self.pool.wait_idle(timeout=1.0):
            return True, None
        return self._retrying("take the next prompt", self.store.claim)

    def _dispatch(self, job: Job) -> None:
        threading.Thread(target=self._process, args=(job,), name=f"nodegraph-ray-{job.prompt_id[:8]}",
                         daemon=True).start()

    def _apply_free(self) -> None:
        if self._free["unload_models"] or self._free["free_memory"]:
            self.pool.free(self._free["unload_models"], self._free["free_memory"])
        self._free = {"unload_models": False, "free_memory": False}

    # -- one prompt -------------------------------------------------------------------------------------

    def _started(self, job: Job) -> None:
        with self._runs_lock:
            self.runs[job.prompt_id] = Running(job.prompt_id, job.client_id)

    def _ended(self, job: Job) -> None:
        with self._runs_lock:
            self.runs.pop(job.prompt_id, None)
        self.wake()

    def _running_of(self, job: Job) -> Running | None:
        with self._runs_lock:
            return self.runs.get(job.prompt_id)

    def _run_job(self, job: Job, method: str, messages: list[list[Any]]) -> tuple[str, dict, dict]:
        slot = self.pool.acquire(job.prompt_id, job.prompt)
        if slot is None:  # every worker taken since the claim (a restart): back to the queue, uncounted
            raise Requeue("no free Ray worker")
        renamed: dict[tuple[str, str, str], str] = {}
        payload = {"prompt_id": job.prompt_id, "prompt": job.prompt, "outputs": job.outputs,
                   "extra_data": job.extra_data}
        try:
            for message in self.pool.run(slot, payload, method):
                kind = message[0]
                if kind == "file":
                    self._place(message[1], message[2], renamed)
                elif kind == "event":
                    data = _renamed(message[2], renamed) if message[1] == "executed" else message[2]
                    self._publish(job, message[1], data, messages)
                elif kind == "preview" and method != previews.NONE:
                    self.publisher.preview(message[1], {**message[2], "prompt_id": job.prompt_id}, job.client_id)
                elif kind == "done":
                    outcome = message[1]
                    if "error" in outcome:
                        raise RuntimeError(outcome["error"])
                    summary = outcome["summary"]
                    ui = {node: _renamed({"output": out}, renamed)["output"] for node, out in summary["ui"].items()}
                    return summary["status"], ui, summary["nodes"]
        except WorkerLost as exc:
            if job.attempts >= MAX_TRIES:
                raise RuntimeError(f"{exc}; it has now killed {job.attempts} workers and is not retried") from None
            raise Requeue(str(exc)) from None
        finally:
            self.pool.release(slot)
        raise RuntimeError(f"the Ray worker's stream for prompt {job.prompt_id} ended without a result")

    def _place(self, ref: dict[str, str], data: bytes, renamed: dict[tuple[str, str, str], str]) -> None:
        """A file the worker saved, written in the head's folder under a name no other file has."""
        subfolder = ref.get("subfolder", "")
        target = self.services.files.resolve(ref["type"], ref["filename"], subfolder)
        target.parent.mkdir(parents=True, exist_ok=True)
        written = write_new(target, data)
        renamed[(ref["type"], subfolder, ref["filename"])] = written.name

def _renamed(data: dict[str, Any], renamed: dict[tuple[str, str, str], str]) -> dict[str, Any]:
    """An `executed` message (or a UI output) with the files that had to be renamed at the head renamed."""
    output = data.get("output") or {}
    for ref in saved_refs(output):
        key = (ref["type"], ref.get("subfolder", ""), ref["filename"])
        if key in renamed:
            ref["filename"] = renamed[key]
    return data
