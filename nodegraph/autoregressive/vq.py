"""A diffusers VQModel as the AR image tokenizer: pixels in [-1, 1] <-> a grid of codebook indices."""

from __future__ import annotations

from typing import Any

import torch


def vq_encode(vq: Any, pixels: torch.Tensor) -> torch.Tensor:
    """Images [N,3,H,W] in [-1,1] -> int64 codebook indices [N,h,w]."""
    latents = vq.encode(pixels).latents
    _, _, (_, _, indices) = vq.quantize(latents)
    return indices.reshape(latents.shape[0], latents.shape[2], latents.shape[3])


def vq_decode(vq: Any, codes: torch.Tensor) -> torch.Tensor:
    """int64 codebook indices [N,h,w] -> images [N,3,H,W] in [-1,1] (the codes' vectors, not re-quantised)."""
    n, h, w = codes.shape
    quant = vq.quantize.get_codebook_entry(codes.reshape(-1), (n, h, w, vq.config.vq_embed_dim))
    return vq.decode(quant, force_not_quantize=True).sample
