"""A cheap latent -> RGB picture for progress previews: no VAE, just the first channels stretched to 0..255."""

from __future__ import annotations

import torch
from PIL import Image


def latent_preview(latent: torch.Tensor, factor: int = 8) -> Image.Image:
    """The first latent of a batch as a small RGB image, upscaled by the VAE factor (nearest) for display."""
    x = latent[0].detach().float().cpu()
    if x.shape[0] >= 3:
        x = x[:3]
    else:
        x = x[:1].repeat(3, 1, 1)
    low = x.amin(dim=(1, 2), keepdim=True)
    high = x.amax(dim=(1, 2), keepdim=True)
    x = (x - low) / (high - low).clamp(min=1e-6)
    # Upscaled by repeating cells in torch: one PIL image per step instead of two.
    x = x.repeat_interleave(factor, dim=1).repeat_interleave(factor, dim=2)
    return Image.fromarray((x * 255).round().byte().permute(1, 2, 0).contiguous().numpy(), "RGB")
