"""Mask algorithms as plain tensor functions: grow/shrink, feather, channel extraction."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _dilate_once(mask: torch.Tensor, tapered: bool) -> torch.Tensor:
    x = mask[:, None]
    if not tapered:
        return F.max_pool2d(x, 3, stride=1, padding=1)[:, 0]
    # A plus-shaped kernel: corners grow more slowly, so repeated growth rounds them.
    padded = F.pad(x, (1, 1, 1, 1), value=float("-inf"))
    shifts = [padded[..., 1:-1, 1:-1], padded[..., :-2, 1:-1], padded[..., 2:, 1:-1], padded[..., 1:-1, :-2],
              padded[..., 1:-1, 2:]]
    return torch.stack(shifts).amax(0)[:, 0]


def grow(mask: torch.Tensor, expand: int, tapered: bool = True) -> torch.Tensor:
    """Grow (expand > 0) or shrink (expand < 0) the mask by that many pixels."""
    out = mask
    for _ in range(abs(expand)):
        out = _dilate_once(out, tapered) if expand > 0 else -_dilate_once(-out, tapered)
    return out


def feather(mask: torch.Tensor, left: int, top: int, right: int, bottom: int) -> torch.Tensor:
    """Fade the mask linearly to zero over the given number of pixels at each edge (as ComfyUI)."""
    out = mask.clone()
    height, width = out.shape[-2:]
    for i in range(min(left, width)):
        out[:, :, i] *= (i + 1.0) / left
    for i in range(min(right, width)):
        out[:, :, -i - 1] *= (i + 1.0) / right
    for i in range(min(top, height)):
        out[:, i, :] *= (i + 1.0) / top
    for i in range(min(bottom, height)):
        out[:, -i - 1, :] *= (i + 1.0) / bottom
    return out


def grow_for_inpaint(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """ComfyUI's VAEEncodeForInpaint growth: a square kernel of side `pixels` over the rounded mask."""
    if pixels == 0:
        return mask.round()
    kernel = torch.ones(1, 1, pixels, pixels)
    padding = (pixels - 1 + 1) // 2
    grown = F.conv2d(mask.round()[:, None], kernel, padding=padding)[:, 0]
    return grown[:, :mask.shape[1], :mask.shape[2]].clamp(0, 1)
