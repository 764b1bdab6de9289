"""KSampler and KSamplerAdvanced: ComfyUI's sampler nodes, each the sampler parts put together (RandomNoise,
CFGGuider, KSamplerSelect, BasicScheduler; see sampling.py), not a second implementation."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, Out

from ..types import CONDITIONING, LATENT, MODEL, require_latent
from .sampling import Guider, Noise, SamplerChoice, Schedule, sample
from .schedulers import SAMPLER_NAMES, SCHEDULER_NAMES, compatibility_problem

MAX_SEED = 2**64 - 1


def compatible(sampler_name: str | None, scheduler: str | None) -> bool | str:
    if sampler_name is None or scheduler is None:
        return True  # linked from another node: checked when the sampler runs
    return compatibility_problem(sampler_name, scheduler) or True


def basic_schedule(model: Any, scheduler: str, steps: int, denoise: float) -> Schedule:
    """BasicScheduler: as ComfyUI, a partial denoise runs `steps` steps at the tail of a longer schedule."""
    total = max(int(steps / denoise), steps) if denoise > 0 else steps
    return Schedule(model, scheduler, total, total - steps if denoise > 0 else total, total)


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
        return compatible(sampler_name, scheduler)

    def run(self, ctx: Context, model: Any, seed: int, steps: int, cfg: float, sampler_name: str, scheduler: str,
            positive: Any, negative: Any, latent_image: Any, denoise: float) -> tuple[dict[str, Any]]:
        if denoise <= 0.0:
            return (dict(require_latent("latent_image", latent_image)),)
        return (sample(ctx, Noise(seed), Guider(model, positive, negative, cfg), SamplerChoice(sampler_name),
                       basic_schedule(model, scheduler, steps, denoise), latent_image)[0],)


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
        return compatible(sampler_name, scheduler)

    def run(self, ctx: Context, model: Any, add_noise: str, noise_seed: int, steps: int, cfg: float,
            sampler_name: str, scheduler: str, positive: Any, negative: Any, latent_image: Any,
            start_at_step: int, end_at_step: int, return_with_leftover_noise: str) -> tuple[dict[str, Any]]:
        end = min(end_at_step, steps)
        if start_at_step >= end:
            return (dict(require_latent("latent_image", latent_image)),)
        schedule = Schedule(model, scheduler, steps, start_at_step, end, return_with_leftover_noise == "disable")
        return (sample(ctx, Noise(noise_seed, add_noise == "enable"), Guider(model, positive, negative, cfg),
                       SamplerChoice(sampler_name), schedule, latent_image)[0],)


NODES = [KSampler, KSamplerAdvanced]
