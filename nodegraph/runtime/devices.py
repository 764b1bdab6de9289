"""Device and dtype choice: turns config.device (auto|cpu|cuda[:N]|mps) into a torch device and its dtype."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class DeviceError(ValueError):
    """A device name that is malformed or names hardware this machine does not have."""


def pick_device(name: str = "auto") -> torch.device:
    """`auto` prefers CUDA, then Apple's MPS, then the CPU; an explicit name must exist."""
    import torch

    name = (name or "auto").strip().lower()
    if not _DEVICE_PATTERN.match(name):
        raise DeviceError(f"device {name!r} is not one of auto, cpu, cuda, cuda:N, mps")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} asked for, but this torch build sees no CUDA device")
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} asked for, but only {torch.cuda.device_count()} CUDA devices exist")
        # Always indexed, so it compares equal to the device tensors report ("cuda:0", not "cuda").
        device = torch.device("cuda", index)
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("device 'mps' asked for, but MPS is not available here")
    return device


def default_threads(cpus: int | None = None) -> int:
    """Half the CPUs, at least one: the shipped models are small, and on a 2-core machine one torch thread ran
    txt2img faster than two (bench/cold_start.py), as OpenMP workers spin-wait against the rest of the
    process and whatever else the machine runs; larger machines still get several threads for large models."""
    return max(1, (cpus or os.cpu_count() or 1) // 2)


def set_threads(requested: int | None) -> int:
    """Apply the configured torch CPU thread count (or the default) and return it."""
    import torch

    threads = requested if requested else default_threads()
    torch.set_num_threads(threads)
    return threads


def pick_dtype(device: torch.device) -> torch.dtype:
    """Half precision on accelerators (bf16 where the GPU supports it, as it does not overflow), fp32 on CPU,
    where half precision is slower and less exact."""
    import torch

    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.float32

