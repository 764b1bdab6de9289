"""Scores computed from pixels alone: prompt adherence by attribute, an FID-style Fréchet distance on
hand-made features against held-out dataset images, and inpainting adherence inside / preservation outside
the mask. Pure numpy on uint8 HxWx3 arrays; no model is involved in scoring.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from ..train.dataset import COLORS, IMAGE_SIZE, Attributes, ShapesDataset
from ..train.judge import judge, nearest_colors

FIELDS = ("background", "color", "shape", "position", "size", "fully_correct")
EDIT_FIELDS = ("color", "shape", "position", "size", "fully_correct")
# Dataset seed of the reference images: the trainer's held-out offset (nodegraph.train.batches, 10_000)
# plus 3, a seed neither training nor the trainer's own PSNR/IoU checks draw from.
REFERENCE_SEED = 10_003
# Outside the mask a pixel counts as preserved when no channel moved by more than this (of 255).
PRESERVE_TOLERANCE = 8
GRID = 4
# PSNR of identical pixels is infinite; JSON has no infinity, so identical reads as this many dB.
IDENTICAL_PSNR = 100.0


def adherence(images: Sequence[np.ndarray], expected: Sequence[Attributes]) -> list[dict[str, bool]]:
    """The evaluator's verdict per image (nodegraph.train.judge)."""
    return [judge(image, attributes) for image, attributes in zip(images, expected, strict=True)]


def rates(verdicts: Sequence[dict[str, bool]], fields: Sequence[str] = FIELDS) -> dict[str, float]:
    """Fraction of verdicts true, per field."""
    if not verdicts:
        return {name: float("nan") for name in fields}
    return {name: float(np.mean([bool(v[name]) for v in verdicts])) for name in fields}


def to_size(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    if image.shape[:2] == (size, size):
        return image
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BOX))


def features(images: Sequence[np.ndarray]) -> np.ndarray:
    """[N, 25] per image: share of each palette colour (8), a 4x4 grid of mean luminance (16), and the share
    of pixels whose palette colour differs from a neighbour's (edge density). Cheap, offline, and sensitive
    to what goes wrong here: off-palette colours, smeared or missing shapes, noisy textures."""
    rows = []
    for image in images:
        image = to_size(image)
        labels = nearest_colors(image)
        palette = np.bincount(labels.ravel(), minlength=len(COLORS)) / labels.size
        luminance = image.astype(np.float32).mean(-1) / 255.0
        cell = IMAGE_SIZE // GRID
        grid = luminance.reshape(GRID, cell, GRID, cell).mean((1, 3)).ravel()
        edges = ((labels[:, 1:] != labels[:, :-1]).mean() + (labels[1:] != labels[:-1]).mean()) / 2
        rows.append(np.concatenate([palette, grid, [edges]]))
    return np.asarray(rows, dtype=np.float64)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula):
    |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2). Exact for PSD covariances, so a handful
    of images (singular covariance) still gives a finite, comparable number."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least 2 images on each side, got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    distance = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    # A distance is never negative; rounding in the eigenvalues can leave one a few 1e-9 below zero.
    return float(max(distance, 0.0))


def reference_images(count: int) -> list[np.ndarray]:
    """Held-out dataset images: real pictures of the distribution every model was trained on."""
    dataset = ShapesDataset(seed=REFERENCE_SEED)
    return [dataset[i].image for i in range(count)]


def quality(images: Sequence[np.ndarray], reference_features: np.ndarray) -> float | None:
    """FID-style distance of generated images to the reference set (lower is closer); None under 2 images."""
    if len(images) < 2:
        return None
    return frechet(features(images), reference_features)


def _mask_at(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape != size:
        picture = Image.fromarray((mask * 255).astype(np.uint8)).resize(size[::-1], Image.Resampling.NEAREST)
        mask = np.asarray(picture, dtype=np.float32) / 255
    return mask > 0.5


def edit_scores(edited: np.ndarray, original: np.ndarray, mask: np.ndarray, expected: Attributes) -> dict:
    """Inside the mask: does the new content follow the edit prompt (judged with everything outside the mask
    painted the expected background, so only the repainted region counts)? Outside: is the original kept?"""
    inside = _mask_at(mask, edited.shape[:2])
    outside = ~inside
    isolated = edited.copy()
    isolated[outside] = COLORS[expected.background]
    verdict = judge(isolated, expected)
    scores: dict = {name: bool(verdict[name]) for name in EDIT_FIELDS}
    if outside.any():
        diff = np.abs(edited.astype(np.int16) - original.astype(np.int16))[outside]
        mse = float((diff.astype(np.float64) ** 2).mean())
        scores["preserved"] = float((diff.max(-1) <= PRESERVE_TOLERANCE).mean())
        psnr = IDENTICAL_PSNR if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
        scores["preserved_psnr_db"] = float(min(IDENTICAL_PSNR, psnr))
    return scores


def floor_images(count: int) -> list[np.ndarray]:
    """Other held-out dataset images, as many as a run makes: their distance to the reference is the
    best a run of that size can score (the statistic is biased upwards for few images)."""
    dataset = ShapesDataset(seed=REFERENCE_SEED + 1)
    return [dataset[i].image for i in range(count)]
