"""ComfyUI's nodes for the flow-matching models: EmptySD3LatentImage (16 channels, as SD3's and Flux's VAEs),
ModelSamplingSD3 (a fixed schedule shift), ModelSamplingFlux (Flux's resolution-dependent shift, for a given
size) and ModelSamplingDiscrete (an SD model's prediction type). Each returns a new MODEL handle with its noise
schedule changed; the weights are the same."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import MODEL
from .handles import ModelHandle
from .latent import MAX_RESOLUTION, EmptyLatentImage


class EmptySD3LatentImage(EmptyLatentImage):
    """A batch of empty 16-channel latents (SD3's and Flux's), re-made on the sampling model's own grid."""

    category = "latent/sd3"
    display_name = "EmptySD3LatentImage"
    channels = 16
    inputs = {
        "width": In.int(1024, min=16, max=MAX_RESOLUTION, step=16),
        "height": In.int(1024, min=16, max=MAX_RESOLUTION, step=16),
        "batch_size": In.int(1, min=1, max=4096),
    }


def _model(model: Any, flow: bool, node: str) -> ModelHandle:
    if not isinstance(model, ModelHandle):
        raise NodeError("model", f"expected a MODEL from a loader, got {type(model).__name__}")
    if (model.family in ("sd3", "flux")) != flow:
        kind = "flow-matching models (SD3, Flux)" if flow else "SD 1.x/2.x/SDXL models"
        raise NodeError("model", f"{node} is for {kind}; {model.name!r} is not one")
    return model


class ModelSamplingSD3(Node):
    """Shift a flow model's noise schedule by a fixed amount: sigma -> shift*sigma / (1 + (shift-1)*sigma)."""

    category = "advanced/model"
    inputs = {"model": In(MODEL), "shift": In.float(3.0, min=0.0, max=100.0, step=0.01)}
    outputs = {"MODEL": Out(MODEL)}

    def run(self, ctx: Context, model: Any, shift: float) -> tuple[Any]:
        model = _model(model, True, "ModelSamplingSD3")
        config = {**model.scheduler_config, "shift": shift, "use_dynamic_shifting": False}
        return (replace(model, scheduler_config=config, flow_mu=None),)


def flux_mu(max_shift: float, base_shift: float, width: int, height: int) -> float:
    """ComfyUI's Flux shift for an image size: linear in its token count (8x VAE, 2x2 patches) between 256 tokens
    (base_shift) and 4096 (max_shift); the same rule diffusers applies to the image being sampled."""
    slope = (max_shift - base_shift) / (4096 - 256)
    return width * height / (8 * 8 * 2 * 2) * slope + base_shift - slope * 256


class ModelSamplingFlux(Node):
    """Flux's resolution-dependent schedule shift, computed for the given size instead of the sampled image's."""

    category = "advanced/model"
    inputs = {"model": In(MODEL), "max_shift": In.float(1.15, min=0.0, max=100.0, step=0.01),
              "base_shift": In.float(0.5, min=0.0, max=100.0, step=0.01),
              "width": In.int(1024, min=16, max=MAX_RESOLUTION, step=8),
              "height": In.int(1024, min=16, max=MAX_RESOLUTION, step=8)}
    outputs = {"MODEL": Out(MODEL)}

    def run(self, ctx: Context, model: Any, max_shift: float, base_shift: float, width: int,
            height: int) -> tuple[Any]:
        model = _model(model, True, "ModelSamplingFlux")
        mu = flux_mu(max_shift, base_shift, width, height)
        if not math.isfinite(mu):
            raise NodeError("max_shift", "the shift is not a finite number")
        config = {**model.scheduler_config, "use_dynamic_shifting": True, "time_shift_type": "exponential"}
        return (replace(model, scheduler_config=config, flow_mu=mu),)


class ModelSamplingDiscrete(Node):
    """Sample an SD model as trained for another prediction type (eps or v_prediction), optionally with a
    zero-terminal-SNR schedule (zsnr)."""

    category = "advanced/model"
    inputs = {"model": In(MODEL), "sampling": In.choice(["eps", "v_prediction"], default="eps"),
              "zsnr": In.bool(False)}
    outputs = {"MODEL": Out(MODEL)}

    def run(self, ctx: Context, model: Any, sampling: str, zsnr: bool) -> tuple[Any]:
        model = _model(model, False, "ModelSamplingDiscrete")
        config = {**model.scheduler_config, "prediction_type": "epsilon" if sampling == "eps" else sampling,
                  "rescale_betas_zero_snr": zsnr}
        return (replace(model, scheduler_config=config),)


NODES = [EmptySD3LatentImage, ModelSamplingSD3, ModelSamplingFlux, ModelSamplingDiscrete]
