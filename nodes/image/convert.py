"""Conversions between IMAGE/MASK tensors ([B,H,W,C] / [B,H,W], float 0..1) and PIL images."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from nodegraph.runtime import images


def to_pil(image: torch.Tensor) -> list[Image.Image]:
    """One PIL image per batch item, rounded (for previews; saved files truncate as ComfyUI's do)."""
    return images.to_pil(image, truncate=False)


def from_pil(picture: Image.Image) -> tuple[torch.Tensor, torch.Tensor]:
    """IMAGE [1,H,W,3] and MASK [1,H,W] (1 - alpha, so transparent pixels are the ones to repaint)."""
    rgba = picture.convert("RGBA") if "A" in picture.getbands() or picture.mode == "P" else None
    rgb = np.asarray(picture.convert("RGB"), dtype=np.float32) / 255.0
    image = torch.from_numpy(rgb)[None]
    if rgba is not None:
        alpha = np.asarray(rgba, dtype=np.float32)[..., 3] / 255.0
        mask = 1.0 - torch.from_numpy(alpha)[None]
    else:
        mask = torch.zeros((1, rgb.shape[0], rgb.shape[1]), dtype=torch.float32)
    return image, mask
