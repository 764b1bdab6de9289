"""The Ray actor that runs prompts: one nodegraph Engine (models and output cache kept between prompts) on
one GPU or a share of the CPUs, streaming each prompt's events, previews and saved files to the head.

Ray imports this module on every worker process; it imports nothing of Ray itself (the head wraps the
class with `ray.remote`), so a worker needs only nodegraph and what the prompt's nodes need.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..config import Config
from ..core import previews
from ..core.events import Event, Executed, Progress

# What a run streams, in order: ("event", type, data), ("preview", jpeg, meta), ("file", ref, bytes) just
# before the `executed` event that names the file, then one ("done", summary).
Message = tuple[Any, ...]
_END = object()


def config_from(settings: dict[str, Any], shared_storage: bool) -> Config:
    """The worker's Config: the head's settings, with a base folder of its own unless storage is shared
    (then the head's base folder must be the same path on every machine)."""
    known = {f.name for f in fields(Config)}
    values = {k: v for k, v in settings.items() if k in known}
    for name in ("base_dir", "out_dir"):
        if values.get(name) is not None:
            values[name] = Path(values[name])
    for name in ("models_dirs", "nodes_dirs"):
        values[name] = tuple(Path(p) for p in values.get(name, ()))
    if not shared_storage:
        values["base_dir"], values["out_dir"] = Path(tempfile.mkdtemp(prefix="nodegraph-worker-")), None
    return Config(**values)


def saved_refs(ui: dict[str, Any]) -> list[dict[str, str]]:
    """The files a node's UI output names ({filename, subfolder, type}), as ComfyUI's output nodes list
    them under `images`, `checkpoints`..."""
    return [item for items in ui.values() if isinstance(items, list) for item in items
            if isinstance(item, dict) and {"filename", "type"} <= item.keys()]


class EngineWorker:
    """One worker: `run` is a generator (Ray streams what it yields); `interrupt` and `ready` are answered
    while a run goes on (the head gives the actor a second thread)."""

    def __init__(self, settings: dict[str, Any], shared_storage: bool = False) -> None:
        from ..engine import Engine

        self.shared = shared_storage
        self.engine = Engine(config_from(settings, shared_storage))
        self.running: str | None = None

    def ready(self) -> dict[str, Any]:
        """Who this worker is: answered once its Engine is built, so a worker that cannot import nodegraph
        or its nodes fails here, at start-up."""
        import nodegraph

        return {"pid": os.getpid(), "version": nodegraph.__version__, "nodes": len(self.engine.registry),
                "failures": [f"{f.source}: {f.error}" for f in self.engine.registry.failures]}

    def loaded(self) -> list[str]:
        """Names of the models this worker holds (the model manager's entries)."""
        return [entry["name"] for entry in self.engine.services.models.loaded()]

    def interrupt(self, prompt_id: str | None = None) -> bool:
        if self.running is None or (prompt_id is not None and prompt_id != self.running):
            return False
        self.engine.executor.interrupt.set()
        return True

    def free(self, unload_models: bool, free_memory: bool) -> None:
        if unload_models or free_memory:
            self.engine.services.models.free()
        if free_memory:
            self.engine.cache.clear()
            self.engine.executor.instances.clear()

    def run(self, job: dict[str, Any], method: str) -> Iterator[Message]:
        """Run one prompt; `method` is the preview method the head resolved for it."""
        from ..queue.worker import encode_preview

        events: queue.Queue[Any] = queue.Queue()
        outcome: dict[str, Any] = {}

        def execute() -> None:
            try:
                self.engine.executor.interrupt.clear()
                result = self.engine.executor.run(
                    job["prompt"], job["outputs"], prompt_id=job["prompt_id"], sink=events.put,
                    extra_data={**job["extra_data"], "preview_method": method}, progress_state=True)
                outcome["summary"] = {"status": result.status, "ui": result.ui, "nodes": result.nodes}
            except BaseException as exc:  # reported to the head as the prompt's failure
                outcome["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                events.put(_END)

        self.running = job["prompt_id"]
        thread = threading.Thread(target=execute, name="nodegraph-ray-run", daemon=True)
        thread.start()
        try:
            while (event := events.get()) is not _END:
                yield from self._messages(event, method, encode_preview)
        finally:
            thread.join()
            self.running = None
        yield ("done", outcome)

    def _messages(self, event: Event, method: str, encode: Any) -> Iterator[Message]:
        if isinstance(event, Executed) and not self.shared:
            for ref in saved_refs(event.data().get("output") or {}):
                yield ("file", ref, self._read(ref))
        yield ("event", event.type, event.data())
        if isinstance(event, Progress) and event.preview is not None and method != previews.NONE:
            try:
                image = encode(event.preview)
            except (OSError, ValueError, AttributeError):
                return  # as the local worker: a preview that cannot be encoded is skipped, the run goes on
            yield ("preview", image, {"node_id": event.node, "display_node_id": event.node,
                                      "parent_node_id": None, "real_node_id": event.node,
                                      "image_type": "image/jpeg"})

    def _read(self, ref: dict[str, str]) -> bytes:
        return self.engine.services.files.resolve(ref["type"], ref["filename"], ref.get("subfolder", "")).read_bytes()
