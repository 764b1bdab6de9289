"""ControlNet hints attached to conditioning, and the residuals they add to the UNet at one step (SD3's are in
sd3_control.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F


@dataclass(frozen=True, eq=False)
class ControlSpec:
    """One applied ControlNet; `previous` chains the ones applied before it to the same conditioning."""

    controlnet: Any  # a ControlNetHandle
    hint: torch.Tensor  # [B, 3, H, W] in 0..1, on the CPU
    strength: float
    start: float
    end: float
    previous: ControlSpec | None = None
    vae: Any = None  # an SD3 ControlNet's VAE handle, which encodes the hint into the latent space
    scale: tuple[float, float] | None = None  # (scaling, shift) of that latent space, as the pipeline encodes it

    def chain(self) -> list[ControlSpec]:
        specs: list[ControlSpec] = []
        spec: ControlSpec | None = self
        while spec is not None:
            specs.append(spec)
            spec = spec.previous
        return specs[::-1]

    def active(self, index: int, total: int) -> bool:
        """As diffusers' control_guidance_start/end: the step's whole interval must lie inside the range."""
        return not (index / total < self.start or (index + 1) / total > self.end)


def hint_for(spec: ControlSpec, batch: int, height: int, width: int, device: torch.device,
              dtype: torch.dtype) -> torch.Tensor:
    """The control image [batch, 3, height, width]: resized (bilinear) and repeated to fit."""
    hint = spec.hint
    if tuple(hint.shape[-2:]) != (height, width):
        hint = F.interpolate(hint, size=(height, width), mode="bilinear", align_corners=False)
    if hint.shape[0] != batch:
        hint = hint.repeat((batch + hint.shape[0] - 1) // hint.shape[0], 1, 1, 1)[:batch]
    return hint.to(device, dtype)


def residuals(chain: list[ControlSpec], x: torch.Tensor, t: Any, context: torch.Tensor, index: int, total: int,
              added: dict[str, torch.Tensor] | None = None) -> tuple[list[torch.Tensor], torch.Tensor] | None:
    """Summed (down, mid) residuals of every active ControlNet in the chain, or None if none is active."""
    down: list[torch.Tensor] | None = None
    mid: torch.Tensor | None = None
    for spec in chain:
        if spec.strength == 0 or not spec.active(index, total):
            continue
        controlnet = spec.controlnet.get()
        factor = spec.controlnet.factor
        hint = hint_for(spec, x.shape[0], x.shape[2] * factor, x.shape[3] * factor, x.device, x.dtype)
        extra = {"added_cond_kwargs": added} if added is not None else {}  # an SDXL ControlNet's pooled/time ids
        d, m = controlnet(x, t, encoder_hidden_states=context, controlnet_cond=hint,
                          conditioning_scale=spec.strength, return_dict=False, **extra)
        down = list(d) if down is None else [a + b for a, b in zip(down, d, strict=True)]
        mid = m if mid is None else mid + m
    return None if down is None or mid is None else (down, mid)
