"""ComfyUI's sampler parts as values, and the one sampling run that puts them together. NOISE (RandomNoise,
DisableNoise), GUIDER (BasicGuider, CFGGuider), SAMPLER (KSamplerSelect) and SIGMAS (BasicScheduler, SplitSigmas)
are light descriptions; `sample` turns them into the architecture's predictor, a diffusers scheduler and the
denoising loop. KSampler, KSamplerAdvanced, SamplerCustom and SamplerCustomAdvanced are all this function."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nodegraph import Context, NodeError

from ..types import require_latent
from .latent import on_grid

if TYPE_CHECKING:
    import torch

PREVIEW_INTERVAL = 0.2  # seconds


@dataclass(frozen=True)
class Noise:
    """NOISE: where the starting noise comes from. `seed` None is DisableNoise (zeros); `add` False keeps the
    latent as it is but still seeds the noise that masks and ancestral samplers use (KSamplerAdvanced)."""

    seed: int | None
    add: bool = True


@dataclass(frozen=True)
class SamplerChoice:
    """SAMPLER: a sampler name from the scheduler table (KSamplerSelect)."""

    name: str


@dataclass(frozen=True, eq=False)
class Schedule:
    """SIGMAS: steps `start`..`end` of a `steps`-step schedule of `scheduler`'s spacing over `model`'s noise levels.
    `finish` False leaves the noise of step `end` in (SplitSigmas' first half, KSamplerAdvanced's leftover
    noise); True takes the last step to noise level 0."""

    model: Any
    scheduler: str
    steps: int
    start: int
    end: int
    finish: bool = True

    def split(self, step: int) -> tuple[Schedule, Schedule]:
        """SplitSigmas: the first `step` steps (their noise left in) and the rest."""
        middle = min(self.start + max(step, 0), self.end)
        return replace(self, end=middle, finish=False), replace(self, start=middle)


@dataclass(frozen=True, eq=False)
class Guider:
    """GUIDER: a model with its prompts; `negative` None (BasicGuider) predicts with the positive alone."""

    model: Any
    positive: Any
    negative: Any
    cfg: float


@dataclass(frozen=True)
class Names:
    """Which node input each part came from, for errors (KSampler's names by default)."""

    sampler: str = "sampler_name"
    scheduler: str = "scheduler"
    positive: str = "positive"
    negative: str = "negative"
    latent: str = "latent_image"


def check_latent(model: Any, module: Any, latent: dict[str, Any], input_name: str) -> torch.Tensor:
    """The latent to sample, checked against the model; an empty latent is re-made on the model's own latent
    grid (its size comes from the VAE's downsample factor, not ComfyUI's fixed 8)."""
    from .family import architecture

    arch = architecture(model)
    channels, multiple = arch.geometry(module)
    samples = on_grid(latent, channels, model.latent_factor)
    scale = latent.get("latent_scale")
    if scale is not None and tuple(scale) != tuple(model.latent_scale):
        # Made in another scale (a VAE of another family): the same raw latent, in this model's scale.
        (factor, shift), (own, own_shift) = scale, model.latent_scale
        samples = (samples / factor + shift - own_shift) * own
    if samples.shape[1] != channels:
        raise NodeError(input_name, f"latent has {samples.shape[1]} channels but the model ({arch.name}) takes "
                                    f"{channels}; was it made by another model's VAE or empty-latent node?")
    if samples.shape[2] % multiple or samples.shape[3] % multiple or samples.shape[2] < multiple:
        raise NodeError(input_name, f"latent is {samples.shape[3]}x{samples.shape[2]} (WxH); the model needs "
                                    f"a multiple of {multiple} on each side")
    longest = arch.max_side(module)
    if longest is not None and max(samples.shape[2:]) > longest:
        raise NodeError(input_name, f"latent is {samples.shape[3]}x{samples.shape[2]} (WxH); {arch.name} places at "
                                    f"most {longest} latent cells a side ({longest * model.latent_factor} pixels)")
    return samples


def sample(ctx: Context, noise: Noise, guider: Guider, sampler: SamplerChoice, schedule: Schedule,
           latent_image: Any, names: Names = Names()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the parts: (the sampled latent, the last step's denoised estimate)."""
    from .family import architecture
    from .schedulers import compatibility_problem, model_problem

    latent = require_latent(names.latent, latent_image)
    arch = architecture(guider.model)
    if architecture(schedule.model) is not arch:
        raise NodeError(names.scheduler, f"the sigmas were made for a {architecture(schedule.model).name} model but "
                                         f"the guider's model is {arch.name}")
    problem = compatibility_problem(sampler.name, schedule.scheduler) or model_problem(
        sampler.name, schedule.scheduler, arch.flow)
    if problem:
        raise NodeError(names.sampler if problem.startswith("sampler ") else names.scheduler, problem)
    if schedule.start >= schedule.end:
        raise NodeError(names.scheduler, f"the sigmas hold a single noise level (step {schedule.start} of "
                                         f"{schedule.steps}): there is no step to take; was SplitSigmas split at "
                                         "its last step?")
    with guider.model.use() as module:
        return _sample(ctx, arch, module, noise, guider, sampler, schedule, latent, names)


def _sample(ctx: Context, arch: Any, module: Any, noise: Noise, guider: Guider, sampler: SamplerChoice,
            schedule: Schedule, latent: dict[str, Any], names: Names) -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    from . import denoise
    from .family import Guidance
    from .schedulers import build_scheduler, set_timesteps
    from .unet import param_dtype

    model = guider.model
    samples = check_latent(model, module, latent, names.latent)
    size = (samples.shape[2] * model.latent_factor, samples.shape[3] * model.latent_factor)
    positive = arch.prompts(module, names.positive, guider.positive, size)
    negative = [] if guider.negative is None else arch.prompts(module, names.negative, guider.negative, size)
    device, dtype = model.device, param_dtype(module)
    # Noise comes from a CPU generator so a seed gives the same image on every device.
    generator = torch.Generator("cpu").manual_seed(int(noise.seed or 0))
    drawn = torch.randn(samples.shape, generator=generator, dtype=dtype) if noise.seed is not None else \
        torch.zeros(samples.shape, dtype=dtype)
    start = samples.to(device, dtype)
    mask = latent.get("noise_mask")
    scheduler = build_scheduler(sampler.name, schedule.scheduler, schedule.model.scheduler_config, arch.flow)
    set_timesteps(scheduler, schedule.scheduler, schedule.steps, device, arch.sequence_length(module, start),
                  getattr(schedule.model, "flow_mu", None))
    window = denoise.Window(schedule.steps, schedule.start, schedule.end, noise.add and noise.seed is not None,
                            schedule.finish)
    predict = arch.predictor(module, Guidance(positive, negative, guider.cfg), start)
    with torch.no_grad():
        result = denoise.run(predict, scheduler, start, drawn.to(device), window, generator,
                             None if mask is None else denoise.latent_mask(mask, start),
                             _progress(ctx, model.latent_factor))
    out = {k: v for k, v in latent.items() if k != "empty"}
    scale = tuple(model.latent_scale)
    return ({**out, "samples": result.samples.float().cpu(), "latent_scale": scale},
            {**out, "samples": result.x0.float().cpu(), "latent_scale": scale})


def _progress(ctx: Context, factor: int) -> Any:
    last_preview = [0.0]
    drawn = ctx.preview_method != "none"  # nobody asked for previews: draw none

    def on_step(i: int, total: int, x0: torch.Tensor) -> None:
        # Previews are throttled (a person sees ~5 a second) so they cost nothing next to sampling.
        from .preview import latent_preview

        now = time.monotonic()
        preview = None
        if drawn and (i in (1, total) or now - last_preview[0] >= PREVIEW_INTERVAL):
            preview, last_preview[0] = latent_preview(x0, factor), now
        ctx.progress(i, total, preview=preview)

    return on_step
