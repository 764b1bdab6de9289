"""Resizing image and latent tensors as ComfyUI's `comfy.utils.common_upscale` does ([B, C, H, W], optional
centre crop to the target's aspect ratio). Shared by the scale nodes and the compatibility layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

TENSOR_METHODS = ["nearest-exact", "bilinear", "area", "bicubic"]
IMAGE_METHODS = [*TENSOR_METHODS, "lanczos"]


def center_crop(samples: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """The centre of [.., H, W] samples with the aspect ratio of width x height."""
    old_width, old_height = samples.shape[-1], samples.shape[-2]
    old_aspect, new_aspect = old_width / old_height, width / height
    x = y = 0
    if old_aspect > new_aspect:
        x = round((old_width - old_width * (new_aspect / old_aspect)) / 2)
    elif old_aspect < new_aspect:
        y = round((old_height - old_height * (old_aspect / new_aspect)) / 2)
    return samples.narrow(-2, y, old_height - y * 2).narrow(-1, x, old_width - x * 2)


def lanczos(samples: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """[B, C, H, W] images resized through PIL's Lanczos filter (8 bits per channel on the way)."""
    import numpy as np
    import torch
    from PIL import Image

    out = []
    for image in samples.movedim(1, -1).float().cpu().numpy():
        pixels = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
        resized = Image.fromarray(pixels).resize((width, height), Image.Resampling.LANCZOS)
        out.append(torch.from_numpy(np.asarray(resized).astype(np.float32) / 255))
    return torch.stack(out).movedim(-1, 1).to(samples.device, samples.dtype)


def common_upscale(samples: torch.Tensor, width: int, height: int, method: str, crop: str) -> torch.Tensor:
    """[B, C, H, W] resized to height x width with one of IMAGE_METHODS; crop is "disabled" or "center"."""
    import torch.nn.functional as F

    if method not in IMAGE_METHODS:
        raise ValueError(f"upscale method {method!r} is not one of {', '.join(IMAGE_METHODS)}")
    if crop == "center":
        samples = center_crop(samples, width, height)
    if method == "lanczos":
        return lanczos(samples, width, height)
    return F.interpolate(samples, size=(height, width), mode=method)
