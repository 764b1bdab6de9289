"""Torch batches from the synthetic dataset: images in [-1, 1] NCHW, masks as 3-channel control images."""

from __future__ import annotations

import numpy as np
import torch

from nodegraph.train.dataset import ShapesDataset

HELD_OUT_SEED_OFFSET = 10_000  # images for PSNR/IoU come from a dataset seed never used for training


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N,H,W,3] -> float [N,3,H,W] in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float [N,3,H,W] in [-1, 1] -> uint8 [N,H,W,3]."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def mask_to_control(masks: np.ndarray) -> torch.Tensor:
    """uint8 {0,1} [N,H,W] -> float [N,3,H,W] in [0, 1], the ControlNet conditioning image."""
    return torch.from_numpy(masks).float()[:, None].expand(-1, 3, -1, -1).contiguous()


def image_batch(dataset: ShapesDataset, start: int, count: int) -> torch.Tensor:
    return to_tensor(np.stack([dataset[i].image for i in range(start, start + count)]))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-image PSNR in dB of two uint8 [N,H,W,3] arrays."""
    error = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).reshape(len(a), -1).mean(1)
    return float(np.mean(10 * np.log10(255.0**2 / np.maximum(error, 1e-10))))
