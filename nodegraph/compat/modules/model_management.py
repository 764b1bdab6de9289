"""ComfyUI's `comfy.model_management`, backed by one engine: its device (from nodegraph's model manager), the
memory it reports and frees, and the interrupt flag its executor checks between nodes and at each progress."""

from __future__ import annotations

from enum import Enum
from typing import Any

from ...core.errors import Interrupted
from ..finder import missing_attribute


class VRAMState(Enum):
    DISABLED = 0
    NO_VRAM = 1
    LOW_VRAM = 2
    NORMAL_VRAM = 3
    HIGH_VRAM = 4
    SHARED = 5


class CPUState(Enum):
    GPU = 0
    CPU = 1
    MPS = 2


class InterruptProcessingException(Interrupted):
    """Raised when the user interrupted; nodegraph's executor reports it as an interrupt, not an error."""


def _torch() -> Any:
    import torch

    return torch


def _is(device: Any, kind: str) -> bool:
    return getattr(device, "type", str(device).split(":")[0]) == kind


def get_free_memory(dev: Any = None, torch_free_too: bool = False) -> Any:
    """Free bytes on the device (system RAM for the CPU)."""
    import psutil

    torch = _torch()
    if dev is not None and _is(dev, "cuda"):
        free = torch.cuda.mem_get_info(dev)[0]
        return (free, free) if torch_free_too else free
    free = psutil.virtual_memory().available
    return (free, free) if torch_free_too else free


def get_total_memory(dev: Any = None, torch_total_too: bool = False) -> Any:
    import psutil

    torch = _torch()
    total = torch.cuda.mem_get_info(dev)[1] if dev is not None and _is(dev, "cuda") else psutil.virtual_memory().total
    return (total, total) if torch_total_too else total


def soft_empty_cache(force: bool = False) -> None:
    torch = _torch()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def module_size(module: Any) -> int:
    return sum(t.nelement() * t.element_size() for t in module.state_dict().values())


class _Engine:
    """The functions that depend on the engine: its device and dtype, its models, its interrupt flag."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.models = host.services.models

    def get_torch_device(self) -> Any:
        return self.models.device

    def cpu(self, *_: Any, **__: Any) -> Any:
        return _torch().device("cpu")

    def dtype(self, *_: Any, **__: Any) -> Any:
        return self.models.dtype

    def interrupt_current_processing(self, value: bool = True) -> None:
        (self.host.interrupt.set if value else self.host.interrupt.clear)()

    def processing_interrupted(self) -> bool:
        return self.host.interrupt.is_set()

    def throw_exception_if_processing_interrupted(self) -> None:
        if self.host.interrupt.is_set():
            raise InterruptProcessingException("interrupted")

    def unload_all_models(self) -> None:
        self.models.free()

    def free_memory(self, memory_required: int, device: Any, keep_loaded: Any = ()) -> list[Any]:
        """Frees every model the engine holds when less than memory_required bytes are free."""
        if get_free_memory(device) < memory_required:
            self.models.free()
        return []

    def load_models_gpu(self, models: Any, memory_required: int = 0, **_: Any) -> None:
        """Moves each torch module (or an object's `.model`) to the engine's device."""
        for item in models:
            module = getattr(item, "model", item)
            if hasattr(module, "to"):
                module.to(self.models.device)

    def load_model_gpu(self, model: Any) -> None:
        self.load_models_gpu([model])

    def should_use_fp16(self, device: Any = None, **_: Any) -> bool:
        return _is(device or self.models.device, "cuda") and self.models.dtype == _torch().float16

    def should_use_bf16(self, device: Any = None, **_: Any) -> bool:
        return not _is(device or self.models.device, "cpu") and self.models.dtype == _torch().bfloat16

    def cpu_mode(self) -> bool:
        return _is(self.models.device, "cpu")

    def mps_mode(self) -> bool:
        return _is(self.models.device, "mps")

    def lazy(self, name: str) -> Any:
        """Attributes read when asked, so importing the module neither imports torch nor picks the device."""
        if name == "vram_state":
            return VRAMState.DISABLED if self.cpu_mode() else VRAMState.NORMAL_VRAM
        if name == "cpu_state":
            return CPUState.CPU if self.cpu_mode() else CPUState.MPS if self.mps_mode() else CPUState.GPU
        if name == "OOM_EXCEPTION":
            return _torch().cuda.OutOfMemoryError
        return missing_attribute("comfy.model_management")(name)


def bind(host: Any) -> dict[str, Any]:
    engine = _Engine(host)
    namespace: dict[str, Any] = {name: getattr(engine, name) for name in (
        "get_torch_device", "interrupt_current_processing", "processing_interrupted",
        "throw_exception_if_processing_interrupted", "unload_all_models", "free_memory", "load_models_gpu",
        "load_model_gpu", "should_use_fp16", "should_use_bf16", "cpu_mode", "mps_mode")}
    for name in ("intermediate_device", "unet_offload_device", "text_encoder_offload_device", "vae_offload_device"):
        namespace[name] = engine.cpu
    for name in ("text_encoder_device", "vae_device", "unet_inital_load_device"):
        namespace[name] = lambda *_, **__: engine.get_torch_device()
    for name in ("unet_dtype", "vae_dtype", "text_encoder_dtype"):
        namespace[name] = engine.dtype
    namespace.update(
        VRAMState=VRAMState, CPUState=CPUState, InterruptProcessingException=InterruptProcessingException,
        get_free_memory=get_free_memory, get_total_memory=get_total_memory, soft_empty_cache=soft_empty_cache,
        module_size=module_size, cleanup_models=lambda *_, **__: None, xformers_enabled=lambda: False,
        xformers_enabled_vae=lambda: False, pytorch_attention_enabled=lambda: True,
        is_device_cpu=lambda device: _is(device, "cpu"), is_device_mps=lambda device: _is(device, "mps"),
        is_device_cuda=lambda device: _is(device, "cuda"), get_torch_device_name=str,
        get_autocast_device=lambda device: getattr(device, "type", "cuda"), __getattr__=engine.lazy)
    return namespace
