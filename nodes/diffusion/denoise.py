"""The denoising loop, written once for every architecture: one scheduler step at a time over a window of the
schedule, inpaint masks, previews. The model's prediction comes from its architecture (family.py); the loop
mirrors the diffusers pipelines' operation for operation, so the same seed gives the same pixels."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .family import Predict


@dataclass
class Window:
    """Which steps of a `steps`-step schedule to run, and what to start from and hand back."""

    steps: int
    start: int
    end: int
    add_noise: bool = True
    finish: bool = True  # False: hand back the latent with the noise left at step `end`


StepCallback = Callable[[int, int, torch.Tensor], None]


def _step_kwargs(scheduler: Any, generator: torch.Generator) -> dict[str, Any]:
    accepted = inspect.signature(scheduler.step).parameters
    kwargs: dict[str, Any] = {}
    if "eta" in accepted:
        kwargs["eta"] = 0.0
    if "generator" in accepted:
        kwargs["generator"] = generator
    return kwargs


def is_flow(scheduler: Any) -> bool:
    """A flow-matching scheduler: x_sigma = sigma * noise + (1 - sigma) * x0, no add_noise / init_noise_sigma."""
    return not hasattr(scheduler, "add_noise") and hasattr(scheduler, "scale_noise")


def noised(scheduler: Any, latent: torch.Tensor, noise: torch.Tensor, index: int) -> torch.Tensor:
    """`latent` noised to the level of the schedule's step `index`."""
    if is_flow(scheduler):
        # As FlowMatchEulerDiscreteScheduler.scale_noise at that step (which reads its own step counter instead).
        sigma = scheduler.sigmas.to(device=latent.device, dtype=latent.dtype)[index].flatten()
        return sigma * noise + (1.0 - sigma) * latent
    return scheduler.add_noise(latent, noise, scheduler.timesteps[index].reshape(1))


def _start_latent(scheduler: Any, latent: torch.Tensor, noise: torch.Tensor, window: Window) -> torch.Tensor:
    """An empty latent starts from pure noise as the text-to-image pipelines do; anything else is noised to the
    first step's level as the image-to-image pipelines do."""
    if not window.add_noise:
        return latent
    if window.start == 0 and not latent.any():
        return noise if is_flow(scheduler) else noise * scheduler.init_noise_sigma
    return noised(scheduler, latent, noise, window.start * scheduler.order)


def _x0(scheduler: Any, step_out: Any, model_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor | None:
    """The step's estimate of the clean latent, where the scheduler gives one (flow models: x - sigma * v)."""
    for name in ("pred_original_sample", "denoised"):
        value = getattr(step_out, name, None)
        if value is not None:
            return value
    if is_flow(scheduler) and scheduler.step_index is not None:
        sigma = scheduler.sigmas[scheduler.step_index - 1].to(x.device)
        return (x.float() - sigma * model_out.float()).to(model_out.dtype)
    return None


@dataclass
class Denoised:
    samples: torch.Tensor  # what the window hands on (with leftover noise when it stops early unfinished)
    x0: torch.Tensor  # the last step's estimate of the clean latent (SamplerCustomAdvanced's denoised_output)


def run(predict: Predict, scheduler: Any, latent: torch.Tensor, noise: torch.Tensor, window: Window,
        generator: torch.Generator, mask: torch.Tensor | None = None,
        on_step: StepCallback | None = None) -> Denoised:
    """Denoise `latent` over the window's steps of the scheduler's timesteps (already set). `mask` (1 = repaint,
    latent-sized) keeps the rest of the original, re-noised to each step's level; the last step restores it."""
    order = scheduler.order
    everything = scheduler.timesteps
    first, last = window.start * order, min(window.end * order, len(everything))
    timesteps = everything[first:last]
    if len(timesteps) == 0:
        return Denoised(latent, latent)
    if first > 0 and hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(first)
    x = _start_latent(scheduler, latent, noise, window)
    kwargs = _step_kwargs(scheduler, generator)
    finishing_early = window.finish and last < len(everything)
    scale = getattr(scheduler, "scale_model_input", None)
    x0: torch.Tensor | None = None
    for i, t in enumerate(timesteps):
        is_last = i == len(timesteps) - 1
        model_out = predict(scale(x, t) if scale is not None else x, t, first + i, len(everything))
        early_x0 = None
        if is_last and finishing_early and getattr(scheduler, "step_index", None) is not None \
                and hasattr(scheduler, "convert_model_output"):
            early_x0 = scheduler.convert_model_output(model_out, sample=x)  # multistep solvers predict x0 here
        step_out = scheduler.step(model_out, t, x, **kwargs, return_dict=True)
        x0 = _x0(scheduler, step_out, model_out, x)
        x = step_out.prev_sample
        if is_last and finishing_early:
            x = early_x0 if early_x0 is not None else x0 if x0 is not None else x
        if mask is not None:
            x = _keep_unmasked(scheduler, x, latent, noise, mask, len(everything), first + i + 1,
                               keep_noise=not (is_last and window.finish))
        if on_step is not None:
            on_step(i + 1, len(timesteps), x0 if x0 is not None else x)
    if x0 is not None and mask is not None:
        x0 = (1 - mask) * latent + mask * x0
    return Denoised(x, x if window.finish or x0 is None else x0)


def _keep_unmasked(scheduler: Any, x: torch.Tensor, original: torch.Tensor, noise: torch.Tensor,
                   mask: torch.Tensor, count: int, next_index: int, keep_noise: bool) -> torch.Tensor:
    proper = original
    if keep_noise and next_index < count:
        proper = noised(scheduler, original, noise, next_index)
    return (1 - mask) * proper + mask * x


def latent_mask(noise_mask: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
    """A noise mask of any resolution ([B,1,H,W], [B,H,W] or [H,W]) resized to the latent grid."""
    mask = noise_mask.float()
    while mask.ndim < 4:
        mask = mask.unsqueeze(0) if mask.ndim < 3 else mask.unsqueeze(1)
    mask = F.interpolate(mask, size=latent.shape[-2:], mode="bilinear", align_corners=False)
    if mask.shape[0] != latent.shape[0]:
        mask = mask.repeat((latent.shape[0] + mask.shape[0] - 1) // mask.shape[0], 1, 1, 1)[:latent.shape[0]]
    return mask.to(latent.device, latent.dtype)
