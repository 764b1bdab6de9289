"""ImageBlend ("Blend Images"): two images mixed through one of ComfyUI's blend modes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodegraph import Context, In, Node, NodeError, Out

from ..types import IMAGE, require_image
from .scale import common_upscale

if TYPE_CHECKING:
    import torch

MODES = ("normal", "multiply", "screen", "overlay", "soft_light", "difference")


def blended(mode: str, base: torch.Tensor, top: torch.Tensor) -> torch.Tensor:
    """`top` over `base` in one of ComfyUI's blend modes."""
    import torch

    if mode == "multiply":
        return base * top
    if mode == "screen":
        return 1 - (1 - base) * (1 - top)
    if mode == "overlay":
        return torch.where(base <= 0.5, 2 * base * top, 1 - 2 * (1 - base) * (1 - top))
    if mode == "soft_light":  # the W3C formula: darken under a dark top layer, lighten under a light one
        lifted = torch.where(base <= 0.25, ((16 * base - 12) * base + 4) * base, torch.sqrt(base))
        return torch.where(top <= 0.5, base - (1 - 2 * top) * base * (1 - base),
                           base + (2 * top - 1) * (lifted - base))
    if mode == "difference":
        return base - top
    return top  # normal


class ImageBlend(Node):
    """image1 mixed with image1 blended with image2 by blend_factor (0 keeps image1); image2 is resized to
    image1's size (bicubic, centre crop) when they differ, and the result is clamped to 0..1."""

    category = "image/postprocessing"
    display_name = "Blend Images"
    inputs = {
        "image1": In(IMAGE),
        "image2": In(IMAGE),
        "blend_factor": In.float(0.5, min=0.0, max=1.0, step=0.01),
        "blend_mode": In.choice(MODES, default="normal"),
    }
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, image1: torch.Tensor, image2: torch.Tensor, blend_factor: float,
            blend_mode: str) -> torch.Tensor:
        import torch

        base, top = require_image("image1", image1), require_image("image2", image2).to(image1.device)
        if top.shape[0] not in (1, base.shape[0]) and base.shape[0] != 1:
            raise NodeError("image2", f"a batch of {top.shape[0]} cannot blend with image1's batch of {base.shape[0]}")
        if top.shape[1:3] != base.shape[1:3]:
            resized = common_upscale(top.movedim(-1, 1), base.shape[2], base.shape[1], "bicubic", "center")
            top = resized.movedim(1, -1)
        if top.shape[-1] != base.shape[-1]:  # RGB over RGBA or the reverse: blend the colour channels
            channels = min(top.shape[-1], base.shape[-1], 3)
            base, top = base[..., :channels], top[..., :channels]
        mixed = blended(blend_mode, base, top)
        return torch.clamp(base * (1 - blend_factor) + mixed * blend_factor, 0, 1)


NODES = [ImageBlend]
