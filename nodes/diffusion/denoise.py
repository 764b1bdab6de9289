"""The denoising loop: classifier-free guidance, ControlNet residuals, inpaint masks, one scheduler step at a
time. Mirrors StableDiffusionPipeline's loop operation for operation, so the same seed gives the same pixels.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from ..controlnet.control import ControlSpec, residuals

# One prompt of a side: its embedding [1, T, D], its ControlNet chain, and for SDXL-type UNets the added
# conditioning (text_embeds [1, P] and time_ids [1, n], as StableDiffusionXLPipeline passes them), else None.
Prompt = tuple[torch.Tensor, list[ControlSpec], "dict[str, torch.Tensor] | None"]


@dataclass
class Guidance:
    """The prompts of both sides of classifier-free guidance. A side with several prompts (ConditioningCombine)
    predicts with each and averages them, as ComfyUI does for full-image conditionings of equal strength."""

    positive: list[Prompt]
    negative: list[Prompt]
    cfg: float


@dataclass
class Window:
    """Which steps of a `steps`-step schedule to run, and what to start from and hand back."""

    steps: int
    start: int
    end: int
    add_noise: bool = True
    finish: bool = True  # False: hand back the latent with the noise left at step `end`


StepCallback = Callable[[int, int, torch.Tensor], None]


def param_dtype(module: Any) -> torch.dtype:
    """The weights' dtype; diffusers' `.dtype` walks every submodule, which costs milliseconds per call."""
    weight = next(module.parameters(), None)
    return weight.dtype if weight is not None else torch.float32


@dataclass
class _Prepared:
    """What stays the same at every step: the batched prompt embeddings, and which side each batch part is."""

    prompts: list[Prompt]
    positive: list[bool]
    context: torch.Tensor
    use_cfg: bool
    has_control: bool
    added: dict[str, torch.Tensor] | None = None


def _prepare(unet: Any, guide: Guidance, x: torch.Tensor) -> _Prepared:
    use_cfg = guide.cfg > 1.0  # as the pipeline: no unconditional pass at CFG <= 1
    prompts = [*(guide.negative if use_cfg else []), *guide.positive]
    positive = [False] * (len(guide.negative) if use_cfg else 0) + [True] * len(guide.positive)
    # Prompts of different token counts (a concatenated prompt) repeat to a common length, as ComfyUI does:
    # attention over k copies of the same tokens gives exactly what attention over one copy gives.
    tokens = math.lcm(*(emb.shape[1] for emb, _, _ in prompts))
    dtype = param_dtype(unet)
    context = torch.cat([emb.repeat(x.shape[0], tokens // emb.shape[1], 1) for emb, _, _ in prompts])
    added = None
    if prompts[0][2] is not None:
        added = {name: torch.cat([extra[name].repeat(x.shape[0], 1) for _, _, extra in prompts]).to(x.device, dtype)
                 for name in prompts[0][2]}
    return _Prepared(prompts, positive, context.to(x.device, dtype), use_cfg, any(chain for _, chain, _ in prompts),
                     added)


def _side(parts: tuple[torch.Tensor, ...], chosen: list[bool], which: bool) -> torch.Tensor:
    picked = [part for part, side in zip(parts, chosen, strict=True) if side == which]
    return picked[0] if len(picked) == 1 else torch.stack(picked).mean(0)


def _predict(unet: Any, scheduler: Any, x: torch.Tensor, t: Any, guide: Guidance, prepared: _Prepared,
             index: int, total: int) -> torch.Tensor:
    batch, count = x.shape[0], len(prepared.prompts)
    model_in = scheduler.scale_model_input(torch.cat([x] * count) if count > 1 else x, t)
    extra: dict[str, Any] = {}
    if prepared.has_control:
        parts = []
        for i, (_, chain, _) in enumerate(prepared.prompts):
            rows = slice(i * batch, (i + 1) * batch)
            added = None if prepared.added is None else {k: v[rows] for k, v in prepared.added.items()}
            parts.append(residuals(chain, model_in[rows], t, prepared.context[rows], index, total, added))
        if any(part is not None for part in parts):
            extra = _merge_residuals(parts)
    if prepared.added is not None:
        extra["added_cond_kwargs"] = prepared.added
    out = unet(model_in, t, encoder_hidden_states=prepared.context, return_dict=False, **extra)[0]
    parts = out.chunk(count)
    cond = _side(parts, prepared.positive, True)
    if prepared.use_cfg:
        uncond = _side(parts, prepared.positive, False)
        return uncond + guide.cfg * (cond - uncond)
    return cond


def _merge_residuals(parts: list[Any]) -> dict[str, Any]:
    """Concatenate per-prompt residuals along the batch; a prompt without ControlNet gets zeros."""
    template = next(p for p in parts if p is not None)
    filled = [p if p is not None else ([torch.zeros_like(d) for d in template[0]], torch.zeros_like(template[1]))
              for p in parts]
    down = [torch.cat([p[0][k] for p in filled]) for k in range(len(template[0]))]
    return {"down_block_additional_residuals": down,
            "mid_block_additional_residual": torch.cat([p[1] for p in filled])}


def _step_kwargs(scheduler: Any, generator: torch.Generator) -> dict[str, Any]:
    accepted = inspect.signature(scheduler.step).parameters
    kwargs: dict[str, Any] = {}
    if "eta" in accepted:
        kwargs["eta"] = 0.0
    if "generator" in accepted:
        kwargs["generator"] = generator
    return kwargs


def _start_latent(scheduler: Any, latent: torch.Tensor, noise: torch.Tensor, first_t: Any,
                  window: Window) -> torch.Tensor:
    """An empty latent starts from pure noise as StableDiffusionPipeline does; anything else is noised to
    the first step's level as StableDiffusionImg2ImgPipeline does."""
    if not window.add_noise:
        return latent
    if window.start == 0 and not latent.any():
        return noise * scheduler.init_noise_sigma
    return scheduler.add_noise(latent, noise, first_t.reshape(1))


def _x0(step_out: Any) -> torch.Tensor | None:
    for name in ("pred_original_sample", "denoised"):
        value = getattr(step_out, name, None)
        if value is not None:
            return value
    return None


def run(unet: Any, scheduler: Any, latent: torch.Tensor, noise: torch.Tensor, guide: Guidance, window: Window,
        generator: torch.Generator, mask: torch.Tensor | None = None,
        on_step: StepCallback | None = None) -> torch.Tensor:
    """Denoise `latent` over the window's steps. `mask` (1 = repaint, latent-sized) keeps the rest of the
    original, re-noised to each step's level; the last step restores it exactly."""
    scheduler.set_timesteps(window.steps, device=latent.device)
    order = scheduler.order
    everything = scheduler.timesteps
    first, last = window.start * order, min(window.end * order, len(everything))
    timesteps = everything[first:last]
    if len(timesteps) == 0:
        return latent
    if first > 0 and hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(first)
    x = _start_latent(scheduler, latent, noise, timesteps[0], window)
    kwargs = _step_kwargs(scheduler, generator)
    prepared = _prepare(unet, guide, x)
    finishing_early = window.finish and last < len(everything)
    for i, t in enumerate(timesteps):
        is_last = i == len(timesteps) - 1
        model_out = _predict(unet, scheduler, x, t, guide, prepared, first + i, len(everything))
        early_x0 = None
        if is_last and finishing_early and getattr(scheduler, "step_index", None) is not None \
                and hasattr(scheduler, "convert_model_output"):
            early_x0 = scheduler.convert_model_output(model_out, sample=x)  # multistep solvers predict x0 here
        step_out = scheduler.step(model_out, t, x, **kwargs, return_dict=True)
        x0 = _x0(step_out)
        x = step_out.prev_sample
        if is_last and finishing_early:
            x = early_x0 if early_x0 is not None else x0 if x0 is not None else x
        if mask is not None:
            x = _keep_unmasked(scheduler, x, latent, noise, mask, everything, first + i + 1,
                               keep_noise=not (is_last and window.finish))
        if on_step is not None:
            on_step(i + 1, len(timesteps), x0 if x0 is not None else x)
    return x


def _keep_unmasked(scheduler: Any, x: torch.Tensor, original: torch.Tensor, noise: torch.Tensor,
                   mask: torch.Tensor, everything: torch.Tensor, next_index: int, keep_noise: bool) -> torch.Tensor:
    proper = original
    if keep_noise and next_index < len(everything):
        proper = scheduler.add_noise(original, noise, everything[next_index].reshape(1))
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
