"""Where a model goes under the memory budget: the rule that puts a model just loaded whole on the accelerator
or, when it is larger than the whole budget, behind accelerate's sequential-offload hooks (weights kept in CPU
memory, each submodule's brought to the accelerator only for its own forward pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

DEVICE, SEQUENTIAL = "device", "sequential"
# An entry's device while accelerate's hooks hold its weights: not on the accelerator, not to be moved back.
OFFLOADED = "offloaded"


def placement(size: int, limit: int | None, accelerator: bool) -> str:
    """SEQUENTIAL for a model larger than the whole budget on an accelerator (it cannot be there at once, even
    alone: a Flux transformer on a small GPU); DEVICE otherwise, the budget then making room by moving the least
    recently used models off. Every component (transformer, each text encoder, VAE) is its own model here, so
    that is offloading component by component. On the CPU there is nowhere cheaper to keep weights."""
    if limit is not None and accelerator and size > limit:
        return SEQUENTIAL
    return DEVICE


def releasable(limit: int | None, accelerator: bool, on_device: bool) -> bool:
    """Whether a model the run is done with for now (text encoders once the conditioning exists) leaves the
    accelerator: only under a budget, only from an accelerator (on the CPU the budget frees by recency)."""
    return limit is not None and accelerator and on_device


def load_device(limit: int | None, device: torch.device) -> torch.device:
    """Where a loader puts a model: under a budget on an accelerator, CPU memory first, so a model larger than
    the accelerator is never moved there whole; it is placed once its size is known."""
    import torch

    return torch.device("cpu") if limit is not None and device.type != "cpu" else device


def sequential(modules: list[Any], execution_device: torch.device) -> None:
    """accelerate's cpu_offload on each module: its weights leave for CPU memory (the module's own parameters
    become meta tensors) and hooks bring each submodule's weights to `execution_device` for its forward pass."""
    from accelerate import cpu_offload

    for module in modules:
        if not is_offloaded(module):
            cpu_offload(module.to("cpu"), execution_device=execution_device)


def is_offloaded(module: Any) -> bool:
    """Whether accelerate's hooks hold the module's weights."""
    return any(hasattr(part, "_hf_hook") for part in module.modules())
