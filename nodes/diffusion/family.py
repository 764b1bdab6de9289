"""The one interface every diffusion architecture implements (DESIGN.md section 7), and the lookup from a MODEL to
its architecture. The samplers (KSampler, KSamplerAdvanced, SamplerCustom, SamplerCustomAdvanced) are written once
against it; an architecture says what its prompts carry, its latent geometry, how it predicts at a timestep, and
whether it is a flow-matching model (which picks its noise schedule)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch

# (model input, timestep, step index in the whole schedule, steps in the whole schedule) -> the guided prediction.
Predict = Callable[["torch.Tensor", Any, int, int], "torch.Tensor"]


@dataclass
class Guidance:
    """The prompts of both sides of classifier-free guidance, as an architecture's `prompts` made them. A side with
    several prompts (ConditioningCombine) predicts with each and averages them, as ComfyUI does for full-image
    conditionings of equal strength. `negative` is empty under a BasicGuider."""

    positive: list[Any]
    negative: list[Any]
    cfg: float

    @property
    def use_cfg(self) -> bool:
        return self.cfg > 1.0 and bool(self.negative)  # as the pipelines: no unconditional pass at CFG <= 1


class Architecture(Protocol):
    """What the samplers need to know about a denoising model; one small module per family implements it."""

    name: str  # shown in messages ("SD", "SD3", "Flux")
    flow: bool  # a flow-matching model: velocity prediction over sigmas in [0, 1], diffusers' FlowMatch schedulers

    def geometry(self, module: Any) -> tuple[int, int]:
        """(latent channels, what each latent side must be a multiple of)."""
        ...

    def prompts(self, module: Any, input_name: str, conditioning: list[Any], size: tuple[int, int]) -> list[Any]:
        """Each entry of a CONDITIONING as this model's prompt (image `size` in pixels, for size conditioning);
        NodeError on `input_name` when it was not encoded for this model."""
        ...

    def predictor(self, module: Any, guide: Guidance, x: torch.Tensor) -> Predict:
        """The guided prediction for a latent batch shaped like `x` (built once per run: batched prompts)."""
        ...

    def max_side(self, module: Any) -> int | None:
        """The longest latent side the model can place (SD3's position table), or None for no limit."""
        ...

    def sequence_length(self, module: Any, latent: torch.Tensor) -> int:
        """Image tokens the model sees for this latent (flow models shift their schedule by it)."""
        ...


def architecture(model: Any) -> Architecture:
    """The architecture of a MODEL handle (its `family`: "sd" for SD 1.x/2.x/SDXL UNets, "sd3", "flux")."""
    family = getattr(model, "family", "sd")
    if family in ("sd3", "flux"):
        from .dit import FLUX, SD3

        return SD3 if family == "sd3" else FLUX
    from .unet import UNET

    return UNET
