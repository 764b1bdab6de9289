"""Pre-encoded training pools: a fixed set of dataset samples turned into latents (VAE) or token grids (VQ).

Encoding every batch again would cost as much compute as the model being trained, so each pool is
encoded once and cached under the work folder; training steps then draw seeded batches from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from nodegraph.train.batches import to_tensor
from nodegraph.train.dataset import ShapesDataset

POOL_SIZE = 12_000
_CHUNK = 250


def dataset_pool(seed: int, count: int) -> dict[str, np.ndarray | list[str]]:
    dataset = ShapesDataset(seed=seed)
    samples = [dataset[i] for i in tqdm(range(count), desc="render pool", mininterval=5)]
    return {
        "images": np.stack([s.image for s in samples]),
        "masks": np.stack([s.mask for s in samples]),
        "captions": [s.caption for s in samples],
    }


def encoded_pool(path: Path, seed: int, encode, count: int | None = None) -> dict:
    """Load the cached pool at `path`, or render `count` samples, encode them in chunks with
    `encode(images [-1,1] NCHW) -> tensor` and cache {"codes", "masks", "captions"}."""
    if path.exists():
        return torch.load(path, weights_only=True)
    count = count or POOL_SIZE
    pool = dataset_pool(seed, count)
    codes = []
    with torch.no_grad():
        for start in tqdm(range(0, count, _CHUNK), desc=f"encode {path.stem}", mininterval=5):
            codes.append(encode(to_tensor(pool["images"][start:start + _CHUNK])))
    result = {"codes": torch.cat(codes), "masks": torch.from_numpy(pool["masks"]), "captions": pool["captions"]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(result, tmp)
    os.replace(tmp, path)
    return result


def batch_indices(pool_size: int, batch: int, seed: int, step: int) -> torch.Tensor:
    """Which pool items step `step` trains on: a seeded permutation per epoch, so resuming is exact."""
    per_epoch = pool_size // batch
    epoch, offset = divmod(step, per_epoch)
    order = torch.randperm(pool_size, generator=torch.Generator().manual_seed(seed * 7777 + epoch))
    return order[offset * batch:(offset + 1) * batch]
