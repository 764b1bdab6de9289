"""KSampler and KSamplerAdvanced: ComfyUI's sampler nodes over the diffusers denoising loop."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out
from ..types import CONDITIONING, LATENT, MODEL, require_conditioning, require_latent
from .latent import on_grid
from .schedulers import SAMPLER_NAMES, SCHEDULER_NAMES, build_scheduler, compatibility_problem

if TYPE_CHECKING:
    import torch

    from . import denoise

MAX_SEED = 2**64 - 1
PREVIEW_INTERVAL = 0.2  # seconds


def _prompts(name: str, conditioning: Any, unet: Any, size: tuple[int, int]) -> list[denoise.Prompt]:
    """Each prompt of a CONDITIONING (several after ConditioningCombine) with its ControlNet chain and, for an
    SDXL-type UNet, its pooled embedding and size ids (image size `size`, pixels, when the prompt gives none)."""
    from .sdxl import added

    entries = require_conditioning(name, conditioning)
    widths = {embedding.shape[-1] for embedding, _ in entries}
    if len(widths) > 1:
        raise NodeError(name, "its prompts come from text encoders of different widths")
    width = getattr(unet.config, "cross_attention_dim", None)
    if isinstance(width, int) and widths != {width}:
        raise NodeError(name, f"its embeddings are {widths.pop()} wide but this model attends to {width}: was it "
                              "encoded with another checkpoint's CLIP?")
    prompts = []
    for embedding, extras in entries:
        control = extras.get("control")
        prompts.append((embedding, control.chain() if control is not None else [],
                        added(unet, extras, *size, negative=name == "negative", input_name=name)))
    return prompts


def _prepare_latent(model: Any, unet: Any, latent: dict[str, Any]) -> torch.Tensor:
    """The latent to sample, checked against the UNet; an empty latent is re-made on the model's own latent
    grid (its size comes from the VAE's downsample factor, not ComfyUI's fixed 8)."""
    channels, levels = int(unet.config.in_channels), 2 ** (len(unet.config.block_out_channels) - 1)
    samples = on_grid(latent, channels, model.latent_factor)
    scale = latent.get("latent_scale")
    if scale is not None and tuple(scale) != tuple(model.latent_scale):
        # Made in another scale (a VAE of another family): the same raw latent, in this model's scale.
        (factor, shift), (own, own_shift) = scale, model.latent_scale
        samples = (samples / factor + shift - own_shift) * own
    if samples.shape[1] != channels:
        raise NodeError("latent_image", f"latent has {samples.shape[1]} channels but the model takes {channels}; "
                                        "was it made by another model's VAE?")
    if samples.shape[2] % levels or samples.shape[3] % levels or samples.shape[2] < levels:
        raise NodeError("latent_image", f"latent is {samples.shape[3]}x{samples.shape[2]} (WxH); the model needs "
                                        f"a multiple of {levels} on each side")
    return samples


def sample(ctx: Context, model: Any, seed: int, cfg: float, sampler_name: str, scheduler: str, positive: Any,
           negative: Any, latent_image: Any, window: denoise.Window) -> dict[str, Any]:
    latent = require_latent("latent_image", latent_image)
    problem = compatibility_problem(sampler_name, scheduler)
    if problem:
        raise NodeError("scheduler", problem)
    with model.use() as unet:
        return _sample(ctx, model, unet, seed, cfg, sampler_name, scheduler, positive, negative, latent, window)


def _sample(ctx: Context, model: Any, unet: Any, seed: int, cfg: float, sampler_name: str, scheduler: str,
            positive: Any, negative: Any, latent: dict[str, Any], window: denoise.Window) -> dict[str, Any]:
    import torch

    from . import denoise

    samples = _prepare_latent(model, unet, latent)
    size = (samples.shape[2] * model.latent_factor, samples.shape[3] * model.latent_factor)
    pos, neg = _prompts("positive", positive, unet, size), _prompts("negative", negative, unet, size)
    device, dtype = model.device, denoise.param_dtype(unet)
    generator = torch.Generator("cpu").manual_seed(int(seed))
    # Noise comes from a CPU generator so a seed gives the same image on every device.
    noise = torch.randn(samples.shape, generator=generator, dtype=dtype).to(device)
    mask = latent.get("noise_mask")
    start = samples.to(device, dtype)
    guide = denoise.Guidance(pos, neg, cfg)

    last_preview = [0.0]
    drawn = ctx.preview_method != "none"  # nobody asked for previews: draw none

    def on_step(i: int, total: int, x0: torch.Tensor) -> None:
        # Previews are throttled (a person sees ~5 a second) so they cost nothing next to sampling.
        from .preview import latent_preview

        now = time.monotonic()
        preview = None
        if drawn and (i in (1, total) or now - last_preview[0] >= PREVIEW_INTERVAL):
            preview, last_preview[0] = latent_preview(x0, model.latent_factor), now
        ctx.progress(i, total, preview=preview)

    with torch.no_grad():
        result = denoise.run(unet, build_scheduler(sampler_name, scheduler, model.scheduler_config), start, noise,
                             guide, window, generator, None if mask is None else denoise.latent_mask(mask, start),
                             on_step)
    out = {k: v for k, v in latent.items() if k != "empty"}
    out["samples"], out["latent_scale"] = result.float().cpu(), tuple(model.latent_scale)
    return out


def _compatible(sampler_name: str | None, scheduler: str | None) -> bool | str:
    if sampler_name is None or scheduler is None:
        return True  # linked from another node: checked when the sampler runs
    return compatibility_problem(sampler_name, scheduler) or True


_COMMON = {
    "steps": In.int(20, min=1, max=10000),
    "cfg": In.float(8.0, min=0.0, max=100.0, step=0.1, round=0.01),
    "sampler_name": In.choice(SAMPLER_NAMES, default="euler"),
    "scheduler": In.choice(SCHEDULER_NAMES, default="normal"),
    "positive": In(CONDITIONING),
    "negative": In(CONDITIONING),
    "latent_image": In(LATENT),
}


class KSampler(Node):
    """Denoise a latent with a diffusion model, guided by positive and negative conditioning."""

    category = "sampling"
    inputs = {
        "model": In(MODEL),
        "seed": In.int(0, min=0, max=MAX_SEED, control_after_generate=True),
        **_COMMON,
        "denoise": In.float(1.0, min=0.0, max=1.0, step=0.01),
    }
    outputs = {"LATENT": Out(LATENT)}

    @classmethod
    def validate(cls, sampler_name: str | None = None, scheduler: str | None = None) -> bool | str:
        return _compatible(sampler_name, scheduler)

    def run(self, ctx: Context, model: Any, seed: int, steps: int, cfg: float, sampler_name: str, scheduler: str,
            positive: Any, negative: Any, latent_image: Any, denoise: float) -> tuple[dict[str, Any]]:
        if denoise <= 0.0:
            return (dict(require_latent("latent_image", latent_image)),)
        # As ComfyUI: a partial denoise runs `steps` steps at the tail of a longer schedule.
        total = max(int(steps / denoise), steps)
        window = _window(total, total - steps, total, add_noise=True, finish=True)
        return (sample(ctx, model, seed, cfg, sampler_name, scheduler, positive, negative, latent_image, window),)


def _window(steps: int, start: int, end: int, add_noise: bool, finish: bool) -> denoise.Window:
    from . import denoise

    return denoise.Window(steps=steps, start=start, end=end, add_noise=add_noise, finish=finish)


class KSamplerAdvanced(Node):
    """KSampler with control over which steps run, whether noise is added, and leftover noise."""

    category = "sampling"
    display_name = "KSampler (Advanced)"
    inputs = {
        "model": In(MODEL),
        "add_noise": In.choice(["enable", "disable"], default="enable"),
        "noise_seed": In.int(0, min=0, max=MAX_SEED, control_after_generate=True),
        **_COMMON,
        "start_at_step": In.int(0, min=0, max=10000),
        "end_at_step": In.int(10000, min=0, max=10000),
        "return_with_leftover_noise": In.choice(["disable", "enable"], default="disable"),
    }
    outputs = {"LATENT": Out(LATENT)}

    @classmethod
    def validate(cls, sampler_name: str | None = None, scheduler: str | None = None) -> bool | str:
        return _compatible(sampler_name, scheduler)

    def run(self, ctx: Context, model: Any, add_noise: str, noise_seed: int, steps: int, cfg: float,
            sampler_name: str, scheduler: str, positive: Any, negative: Any, latent_image: Any,
            start_at_step: int, end_at_step: int, return_with_leftover_noise: str) -> tuple[dict[str, Any]]:
        end = min(end_at_step, steps)
        if start_at_step >= end:
            return (dict(require_latent("latent_image", latent_image)),)
        window = _window(steps, start_at_step, end, add_noise == "enable", return_with_leftover_noise == "disable")
        return (sample(ctx, model, noise_seed, cfg, sampler_name, scheduler, positive, negative, latent_image,
                       window),)


NODES = [KSampler, KSamplerAdvanced]
