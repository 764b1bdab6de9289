"""Evaluator: generate images for the held-out prompts and score them from pixels alone; autoencoder PSNR;
ControlNet mask IoU. `python -m nodegraph.train eval` prints a table and writes JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from nodegraph.train.dataset import Attributes
from nodegraph.train.eval_prompts import load_eval_prompts
from nodegraph.train.judge import judge

EVAL_STEPS = 20
GUIDANCE = 5.0
FIELDS = ("background", "color", "shape", "position", "size", "fully_correct")


def summarize(images: list[np.ndarray], expected: list[Attributes]) -> dict[str, float]:
    """Fraction of images right on each field."""
    verdicts = [judge(image, attributes) for image, attributes in zip(images, expected)]
    return {field: float(np.mean([v[field] for v in verdicts])) for field in FIELDS}


def score_diffusion(pipeline, limit: int | None = None, seed: int = 0, guidance: float = GUIDANCE,
                    steps: int = EVAL_STEPS, batch: int = 32) -> dict[str, float]:
    prompts = load_eval_prompts()[:limit]
    images = []
    for start in range(0, len(prompts), batch):
        chunk = prompts[start:start + batch]
        generator = torch.Generator().manual_seed(seed + start)
        result = pipeline([p.prompt for p in chunk], num_inference_steps=steps, guidance_scale=guidance,
                          generator=generator, output_type="np")
        images.extend((result.images * 255).round().astype(np.uint8))
    return summarize(images, [p.attributes for p in prompts])


def timed(name: str, fn: Callable[[], dict]) -> dict:
    started = time.monotonic()
    result = fn()
    result["seconds"] = round(time.monotonic() - started, 1)
    print(f"{name}: {result}", flush=True)
    return result
