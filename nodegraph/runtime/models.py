"""The model manager: finds model folders by name, loads each once, keeps them across prompts, and keeps
what sits on the accelerator under the configured memory budget (offloading to CPU, or freeing on CPU).

Nodes reach it as `ctx.models`. It knows nothing about diffusion or transformers: callers hand
`load` a loader `(device, dtype) -> object`; torch is imported only when a device is first asked for.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from . import hub, offload
from .devices import pick_device, pick_dtype, set_threads
from .model_paths import folder_map, model_names, read_extra_paths

if TYPE_CHECKING:
    import torch


class ModelNotFound(LookupError):
    """No folder of that name under any models folder (nor in the Hugging Face cache)."""

    def __init__(self, kind: str, name: str, searched: list[Path], available: list[str]) -> None:
        shown = ", ".join(available[:30]) + (" ..." if len(available) > 30 else "") if available else "none"
        where = ", ".join(str(p) for p in searched) or "no models folders configured"
        super().__init__(f"no {kind} model named {name!r}; looked in {where}; available: {shown}")
        self.kind, self.name, self.available = kind, name, available


@dataclass
class _Entry:
    key: str
    kind: str
    name: str
    value: Any
    bytes: int
    device: str
    loaded_at: float = field(default_factory=time.time)


def _modules(value: Any) -> list[Any]:
    """The torch modules inside a loaded value (a module, or a tuple/list/dict of them)."""
    if hasattr(value, "parameters") and hasattr(value, "to"):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [m for item in value for m in _modules(item)]
    return []


def _size(value: Any) -> int:
    """Bytes of the tensors in a loaded value, each counted once: a value may hold a model and one of its
    own submodules (Janus's VQ codec is part of the Janus model)."""
    total, seen = 0, set()
    for module in _modules(value):
        for tensor in [*module.parameters(), *module.buffers()]:
            if id(tensor) not in seen:
                seen.add(id(tensor))
                total += tensor.numel() * tensor.element_size()
    return total


def _device_of(value: Any) -> str:
    for module in _modules(value):
        for tensor in module.parameters():
            return str(tensor.device)
    return "cpu"


def _move(value: Any, device: Any) -> None:
    for module in _modules(value):
        module.to(device)


class ModelManager:
    """Finds, loads, memoises and budgets models. Thread-safe; one per process is the normal case
    (each engine's services hold one; combo choices reach it through `model_choices`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self._lock = threading.RLock()
        self._device: torch.device | None = None
        # Read now, so a malformed file is reported when the engine starts rather than by a choice list.
        self.extra_paths = read_extra_paths(config.extra_model_paths_files)
        self._folders: dict[str, list[Path]] | None = None
        self._locks: dict[str, threading.RLock] = {}
        self.load_count = 0  # loader calls made, so callers can tell a memoised run from a fresh one

    # -- device -----------------------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        if self._device is None:
            set_threads(self.config.threads)  # torch is first needed here; the threads are set once, with it
            self._device = pick_device(self.config.device)
        return self._device

    @property
    def dtype(self) -> torch.dtype:
        return pick_dtype(self.device)

    # -- finding ----------------------------------------------------------------------------------------

    def folder_map(self) -> dict[str, list[Path]]:
        """ComfyUI's folder names -> the directories searched for each, in order (ComfyUI's `folder_paths`):
        every models folder's `<name>/` (text_encoders and clip, diffusion_models and unet, controlnet and
        t2i_adapter read each other's folders), with the folders of extra_model_paths.yaml files around them
        (sections marked `is_default` first). Read once; a name it does not know maps to `<models dir>/<name>`."""
        if self._folders is None:
            self._folders = folder_map(self.config.models_dirs, self.extra_paths)
        return self._folders

    def roots(self, kind: str) -> list[Path]:
        """The directories searched for one folder name."""
        return self.folder_map().get(kind) or [Path(folder) / kind for folder in self.config.models_dirs]

    def list(self, kind: str) -> list[str]:
        """Model names of one kind: model folders and .safetensors files under each of its directories (those in
        sub-folders as `sub/name`), then the `owner/repo` names of fitting Hugging Face cache entries."""
        names: dict[str, None] = {}
        for root in self.roots(kind):
            if root.is_dir():
                names.update(dict.fromkeys(model_names(root)))
        names.update(dict.fromkeys(hub.cached(kind)))
        return list(names)

    def find(self, kind: str, name: str) -> Path:
        """The path of a named model; names are relative and never climb out of the model folders (`..`,
        absolute paths). `owner/repo` names not found locally come from the Hugging Face cache."""
        parts = Path(name).parts
        if not name or "\x00" in name or name.startswith(("/", "\\")) or ".." in parts or "\\" in name:
            raise ModelNotFound(kind, name, self.roots(kind), self.list(kind))
        for root in self.roots(kind):
            candidate = root / name
            if candidate.exists():
                return candidate
        if hub.HUB_ID.match(name):
            snapshot = hub.snapshot(name)
            if snapshot is not None:
                return snapshot
        raise ModelNotFound(kind, name, self.roots(kind), self.list(kind))

    def lock(self, key: str) -> threading.RLock:
        """A lock for one loaded model, held while a run changes it temporarily (LoRA adapters)."""
        with self._lock:
            return self._locks.setdefault(key, threading.RLock())

    # -- loading ----------------------------------------------------------------------------------------

    def load(self, key: str, loader: Callable[[torch.device, torch.dtype], Any], *, kind: str = "",
             name: str = "") -> Any:
        """The object stored under `key`, calling `loader(device, dtype)` only the first time."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                if entry.device not in (str(self.device), offload.OFFLOADED) and _modules(entry.value):
                    _move(entry.value, self.device)  # it was offloaded to make room
                    entry.device = _device_of(entry.value)
                    self._enforce_budget(keep=key)
                return entry.value
            value = loader(offload.load_device(self._budget_bytes(), self.device), self.dtype)
            self.load_count += 1
            entry = _Entry(key, kind or key.split("/")[0], name or key, value, _size(value), _device_of(value))
            self._entries[key] = entry
            self._place(entry)
            return value

    def _place(self, entry: _Entry) -> None:
        """A model just loaded goes to the device, whole (making room by the budget), or behind sequential
        offload hooks when it is larger than the whole budget (offload.placement)."""
        if entry.device != str(self.device) and _modules(entry.value):
            if offload.placement(entry.bytes, self._budget_bytes(), self.device.type != "cpu") == offload.SEQUENTIAL:
                self.offload_sequentially(entry.key)
                return
            _move(entry.value, self.device)
            entry.device = _device_of(entry.value)
        self._enforce_budget(keep=entry.key)

    def offload_sequentially(self, key: str) -> None:
        """Keep a loaded model's weights in CPU memory behind accelerate's hooks, which bring each submodule's
        weights to the device only for its forward pass (offload.sequential); it no longer counts against the
        budget."""
        with self._lock:
            entry = self._entries[key]
            offload.sequential(_modules(entry.value), self.device)
            entry.device = offload.OFFLOADED
        self._release_memory()

    def release(self, key: str) -> bool:
        """A model the run is done with for now (text encoders once the conditioning exists): under a budget on
        an accelerator it moves to CPU memory, leaving the room to the denoiser, and comes back when next used.
        Returns whether it moved."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not offload.releasable(self._budget_bytes(), self.device.type != "cpu",
                                                       entry.device == str(self.device)):
                return False
            _move(entry.value, "cpu")
            entry.device = "cpu"
        self._release_memory()
        return True

    def loaded(self) -> list[dict[str, Any]]:
        """What is loaded, least recently used first."""
        with self._lock:
            return [{"key": e.key, "name": e.name, "kind": e.kind, "bytes": e.bytes, "device": e.device}
                    for e in self._entries.values()]

    def free(self, key: str | None = None) -> int:
        """Forget one model (or all); returns the bytes released. Handles reload on next use."""
        with self._lock:
            keys = [key] if key is not None else list(self._entries)
            released = sum(self._entries.pop(k).bytes for k in keys if k in self._entries)
        self._release_memory()
        return released

    # -- budget -----------------------------------------------------------------------------------------

    def _budget_bytes(self) -> int | None:
        budget = self.config.vram_budget_gb
        return None if budget is None else int(budget * 2**30)

    def _enforce_budget(self, keep: str) -> None:
        """Over budget, the least recently used models leave the device: moved to CPU from an accelerator,
        dropped when the device is the CPU itself (there is nowhere cheaper to keep them)."""
        limit = self._budget_bytes()
        if limit is None:
            return
        here = str(self.device)
        on_device = [e for e in self._entries.values() if e.device == here]
        used = sum(e.bytes for e in on_device)
        released = False
        for entry in on_device:
            if used <= limit:
                break
            if entry.key == keep:
                continue
            if self.device.type == "cpu":
                del self._entries[entry.key]
            else:
                _move(entry.value, "cpu")
                entry.device = "cpu"
            used -= entry.bytes
            released = True
        if released:
            self._release_memory()

    def _release_memory(self) -> None:
        gc.collect()
        if self._device is not None and self._device.type == "cuda":
            import torch

            torch.cuda.empty_cache()


def model_choices(kind: str) -> Callable[[Any], list[str]]:
    """A choices callable for node schemas: the models of `kind` the engine's model manager finds."""
    return lambda services: services.models.list(kind)
