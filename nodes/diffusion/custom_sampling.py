"""ComfyUI's split sampler: RandomNoise / DisableNoise (NOISE), BasicGuider / CFGGuider (GUIDER), KSamplerSelect
(SAMPLER), BasicScheduler / SplitSigmas (SIGMAS), and SamplerCustomAdvanced / SamplerCustom that run them. The
stock Flux-dev workflow (RandomNoise -> BasicGuider(FluxGuidance) -> KSamplerSelect -> BasicScheduler ->
SamplerCustomAdvanced) runs unchanged; KSampler is the same parts put together (sample.py)."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import CONDITIONING, GUIDER, LATENT, MODEL, NOISE, SAMPLER, SIGMAS
from .sample import MAX_SEED, basic_schedule
from .sampling import Guider, Names, Noise, SamplerChoice, Schedule, sample
from .schedulers import SAMPLER_NAMES, SCHEDULER_NAMES


def _check_fits(model: Any, input_name: str, conditioning: Any) -> None:
    """Refuse, on the guider's own input, prompts that were not encoded for its model."""
    from .family import architecture

    architecture(model).prompts(model.get(), input_name, conditioning, (1024, 1024))


def _part(value: Any, kind: type, input_name: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise NodeError(input_name, f"expected {what}, got {type(value).__name__}")
    return value


class RandomNoise(Node):
    """Noise drawn from a seed (on the CPU, so a seed gives the same image on every device)."""

    category = "sampling/custom_sampling/noise"
    inputs = {"noise_seed": In.int(0, min=0, max=MAX_SEED, control_after_generate=True)}
    outputs = {"NOISE": Out(NOISE)}

    def run(self, ctx: Context, noise_seed: int) -> tuple[Noise]:
        return (Noise(noise_seed),)


class DisableNoise(Node):
    """No noise: the latent is denoised as it is (a second pass over a latent that kept its noise)."""

    category = "sampling/custom_sampling/noise"
    inputs: dict[str, In] = {}
    outputs = {"NOISE": Out(NOISE)}

    def run(self, ctx: Context) -> tuple[Noise]:
        return (Noise(None, add=False),)


class KSamplerSelect(Node):
    """Choose a sampler by ComfyUI's name (the diffusers scheduler class behind it is in schedulers.py)."""

    category = "sampling/custom_sampling/samplers"
    inputs = {"sampler_name": In.choice(SAMPLER_NAMES, default="euler")}
    outputs = {"SAMPLER": Out(SAMPLER)}

    def run(self, ctx: Context, sampler_name: str) -> tuple[SamplerChoice]:
        return (SamplerChoice(sampler_name),)


class BasicScheduler(Node):
    """The noise levels of `steps` steps of the model's schedule; a partial denoise runs the tail of a longer one."""

    category = "sampling/custom_sampling/schedulers"
    inputs = {"model": In(MODEL), "scheduler": In.choice(SCHEDULER_NAMES, default="simple"),
              "steps": In.int(20, min=1, max=10000), "denoise": In.float(1.0, min=0.0, max=1.0, step=0.01)}
    outputs = {"SIGMAS": Out(SIGMAS)}

    def run(self, ctx: Context, model: Any, scheduler: str, steps: int, denoise: float) -> tuple[Schedule]:
        return (basic_schedule(model, scheduler, steps, denoise),)


class SplitSigmas(Node):
    """Split a schedule at a step: the high sigmas (their noise left in) and the low ones that finish it."""

    category = "sampling/custom_sampling/sigmas"
    inputs = {"sigmas": In(SIGMAS), "step": In.int(0, min=0, max=10000)}
    outputs = {"high_sigmas": Out(SIGMAS), "low_sigmas": Out(SIGMAS)}

    def run(self, ctx: Context, sigmas: Any, step: int) -> tuple[Schedule, Schedule]:
        return _part(sigmas, Schedule, "sigmas", "SIGMAS from BasicScheduler or SplitSigmas").split(step)


class BasicGuider(Node):
    """Predict with one conditioning, no classifier-free guidance (Flux dev takes its guidance from FluxGuidance)."""

    category = "sampling/custom_sampling/guiders"
    inputs = {"model": In(MODEL), "conditioning": In(CONDITIONING)}
    outputs = {"GUIDER": Out(GUIDER)}

    def run(self, ctx: Context, model: Any, conditioning: Any) -> tuple[Guider]:
        _check_fits(model, "conditioning", conditioning)
        return (Guider(model, conditioning, None, 1.0),)


class CFGGuider(Node):
    """Classifier-free guidance: the negative prediction plus cfg times the way to the positive."""

    category = "sampling/custom_sampling/guiders"
    inputs = {"model": In(MODEL), "positive": In(CONDITIONING), "negative": In(CONDITIONING),
              "cfg": In.float(8.0, min=0.0, max=100.0, step=0.1, round=0.01)}
    outputs = {"GUIDER": Out(GUIDER)}

    def run(self, ctx: Context, model: Any, positive: Any, negative: Any, cfg: float) -> tuple[Guider]:
        _check_fits(model, "positive", positive)
        _check_fits(model, "negative", negative)
        return (Guider(model, positive, negative, cfg),)


_CUSTOM = Names(sampler="sampler", scheduler="sigmas", positive="guider", negative="guider")


class SamplerCustomAdvanced(Node):
    """Denoise a latent from its parts: noise, guider, sampler and sigmas."""

    category = "sampling/custom_sampling"
    inputs = {"noise": In(NOISE), "guider": In(GUIDER), "sampler": In(SAMPLER), "sigmas": In(SIGMAS),
              "latent_image": In(LATENT)}
    outputs = {"output": Out(LATENT), "denoised_output": Out(LATENT)}

    def run(self, ctx: Context, noise: Any, guider: Any, sampler: Any, sigmas: Any,
            latent_image: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return sample(ctx, _part(noise, Noise, "noise", "NOISE from RandomNoise or DisableNoise"),
                      _part(guider, Guider, "guider", "a GUIDER from BasicGuider or CFGGuider"),
                      _part(sampler, SamplerChoice, "sampler", "a SAMPLER from KSamplerSelect"),
                      _part(sigmas, Schedule, "sigmas", "SIGMAS from BasicScheduler or SplitSigmas"),
                      latent_image, _CUSTOM)


class SamplerCustom(Node):
    """SamplerCustomAdvanced with its noise and CFG guider given as widgets."""

    category = "sampling/custom_sampling"
    inputs = {"model": In(MODEL), "add_noise": In.bool(True),
              "noise_seed": In.int(0, min=0, max=MAX_SEED, control_after_generate=True),
              "cfg": In.float(8.0, min=0.0, max=100.0, step=0.1, round=0.01),
              "positive": In(CONDITIONING), "negative": In(CONDITIONING), "sampler": In(SAMPLER),
              "sigmas": In(SIGMAS), "latent_image": In(LATENT)}
    outputs = {"output": Out(LATENT), "denoised_output": Out(LATENT)}

    def run(self, ctx: Context, model: Any, add_noise: bool, noise_seed: int, cfg: float, positive: Any,
            negative: Any, sampler: Any, sigmas: Any, latent_image: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return sample(ctx, Noise(noise_seed, add=add_noise), Guider(model, positive, negative, cfg),
                      _part(sampler, SamplerChoice, "sampler", "a SAMPLER from KSamplerSelect"),
                      _part(sigmas, Schedule, "sigmas", "SIGMAS from BasicScheduler or SplitSigmas"),
                      latent_image, Names(sampler="sampler", scheduler="sigmas"))


NODES = [RandomNoise, DisableNoise, KSamplerSelect, BasicScheduler, SplitSigmas, BasicGuider, CFGGuider,
         SamplerCustomAdvanced, SamplerCustom]
