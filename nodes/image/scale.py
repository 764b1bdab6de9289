"""Resizing, as ComfyUI's ImageScale, ImageScaleBy and LatentUpscaleBy do it (comfy.utils.common_upscale)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime.resize import IMAGE_METHODS, TENSOR_METHODS, common_upscale

from ..types import IMAGE, LATENT, require_image, require_latent

if TYPE_CHECKING:
    import torch

MAX_RESOLUTION = 16384
# The methods are ComfyUI's without "bislerp" (a latent slerp of its own): a name is offered only if honoured.
CROPS = ["disabled", "center"]


def target_size(height: int, width: int, new_width: int, new_height: int) -> tuple[int, int]:
    """ComfyUI's rule: a side of 0 follows the other side's scale, keeping the aspect ratio."""
    if new_width == 0 and new_height == 0:
        return width, height
    if new_width == 0:
        new_width = max(1, round(width * new_height / height))
    elif new_height == 0:
        new_height = max(1, round(height * new_width / width))
    return new_width, new_height


def scaled_size(height: int, width: int, scale_by: float, what: str) -> tuple[int, int]:
    """(width, height) times scale_by, rounded as ComfyUI rounds; NodeError on scale_by when nothing is left."""
    new_width, new_height = round(width * scale_by), round(height * scale_by)
    if new_width < 1 or new_height < 1:
        raise NodeError("scale_by", f"{scale_by} leaves a {width}x{height} {what} empty")
    return new_width, new_height


def _scaled_image(image: torch.Tensor, method: str, width: int, height: int, crop: str) -> torch.Tensor:
    if image.shape[-1] == 4 and method == "lanczos":
        raise NodeError("upscale_method", "lanczos scales RGB images; this one has an alpha channel")
    return common_upscale(image.movedim(-1, 1), width, height, method, crop).movedim(1, -1)


class ImageScale(Node):
    """Resize images to width x height (a side of 0 keeps the aspect ratio)."""

    category = "image/upscaling"
    display_name = "Upscale Image"
    inputs = {
        "image": In(IMAGE),
        "upscale_method": In.choice(IMAGE_METHODS, default="nearest-exact"),
        "width": In.int(512, min=0, max=MAX_RESOLUTION, step=1),
        "height": In.int(512, min=0, max=MAX_RESOLUTION, step=1),
        "crop": In.choice(CROPS, default="disabled"),
    }
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, image: Any, upscale_method: str, width: int, height: int, crop: str) -> tuple[Any]:
        image = require_image("image", image)
        width, height = target_size(image.shape[1], image.shape[2], width, height)
        return (_scaled_image(image, upscale_method, width, height, crop),)


class ImageScaleBy(Node):
    """Resize images by a factor."""

    category = "image/upscaling"
    display_name = "Upscale Image By"
    inputs = {
        "image": In(IMAGE),
        "upscale_method": In.choice(IMAGE_METHODS, default="nearest-exact"),
        "scale_by": In.float(1.0, min=0.01, max=8.0, step=0.01),
    }
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, image: Any, upscale_method: str, scale_by: float) -> tuple[Any]:
        image = require_image("image", image)
        width, height = scaled_size(image.shape[1], image.shape[2], scale_by, "image")
        return (_scaled_image(image, upscale_method, width, height, "disabled"),)


class LatentUpscaleBy(Node):
    """Resize latents by a factor (the hires-fix step between two samplers)."""

    category = "latent"
    display_name = "Upscale Latent By"
    inputs = {
        "samples": In(LATENT),
        "upscale_method": In.choice(TENSOR_METHODS, default="nearest-exact"),
        "scale_by": In.float(1.5, min=0.01, max=8.0, step=0.01),
    }
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, samples: Any, upscale_method: str, scale_by: float) -> tuple[dict[str, Any]]:
        latent = dict(require_latent("samples", samples))
        tensor = latent["samples"]
        width, height = scaled_size(tensor.shape[-2], tensor.shape[-1], scale_by, "latent")
        latent["samples"] = common_upscale(tensor, width, height, upscale_method, "disabled")
        if "empty" in latent:  # an empty latent the sampler re-makes on its model's grid: scale its pixel size
            empty_height, empty_width = latent["empty"]
            latent["empty"] = (round(empty_height * scale_by), round(empty_width * scale_by))
        return (latent,)


NODES = [ImageScale, ImageScaleBy, LatentUpscaleBy]
