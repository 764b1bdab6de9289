"""The shipped hybrid workflow as an API prompt: AR draws the picture, a short diffusion pass refines it.

`python workflows/hybrid_graphs.py` regenerates hybrid_ar_then_diffusion.json (UI format). The AR tokens
are decoded to pixels, encoded with the diffusion VAE and denoised from part-way (denoise < 1) by KSampler
under the same prompt, so the AR layout survives and the diffusion model redraws edges and colours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ar_graphs
import diffusion_graphs

HERE = Path(__file__).resolve().parent.parent  # the builders live in workflows/build/
CHECKPOINT = "shapes-sd"
# The plain diffusion workflow's settings: at 10 steps its CFG 3 got the hybrid all four right on 84% of the
# prompts, against 69% at CFG 5.
DIFFUSION = diffusion_graphs.SAMPLING
HYBRID_TEXT = "a small green triangle at the bottom left on a white background"
DENOISE = 0.5


def hybrid_ar_then_diffusion(model: str | None = None, ckpt: str = CHECKPOINT, text: str = HYBRID_TEXT,
                             seed: int = 42, denoise: float = DENOISE, ar_sampling: dict | None = None,
                             **diffusion: Any) -> dict[str, Any]:
    prompt = {"1": {"class_type": "ARModelLoader", "inputs": {"model_name": model or ar_graphs.AR_MODEL}},
              "2": ar_graphs.sampler(text, seed, **(ar_sampling or {})),
              "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
              "6": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["4", 1]}},
              "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
              "11": {"class_type": "ARTokensToLatent", "inputs": {"vq_model": ["1", 1], "image_tokens": ["2", 0],
                                                                  "vae": ["4", 2]}},
              "3": {"class_type": "KSampler", "inputs": {
                  "seed": seed, **{**DIFFUSION, **diffusion}, "denoise": denoise, "model": ["4", 0],
                  "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["11", 0]}},
              "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
              "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "hybrid_ar_then_diffusion",
                                                          "images": ["8", 0]}}}
    return prompt


COARSE_MODEL = "shapes-ar-coarse"
COARSE_TEXT = "on a white background there is a large blue square at the top left"
# The coarse model's 8x8 picture fixes background, place and size; the refiner must redraw each shape's
# outline from the prompt, so it starts from further back than the full hybrid's. On 24 held-out dataset
# scenes (not the evaluator's prompts) denoise 0.5-0.8 at 10 steps and 0.5-0.7 at 5 were all 23-24 right;
# 5 steps is where `nodegraph compare` measured it at half AR's time (bench/README.md).
COARSE_DENOISE = 0.6
COARSE_STEPS = 5


def hybrid_coarse_ar_then_diffusion(model: str = COARSE_MODEL, ckpt: str = CHECKPOINT, text: str = COARSE_TEXT,
                                    seed: int = 42, denoise: float = COARSE_DENOISE,
                                    ar_sampling: dict | None = None, **diffusion: Any) -> dict[str, Any]:
    """The fast hybrid: the coarse AR model draws the layout as 8x8 tokens (a 32x32 picture), which is scaled
    to 64x64 and refined by a few diffusion steps at partial denoise."""
    return {"1": {"class_type": "ARModelLoader", "inputs": {"model_name": model}},
            "2": ar_graphs.sampler(text, seed, **(ar_sampling or {})),
            "12": {"class_type": "ImageTokenDecode", "inputs": {"vq_model": ["1", 1], "image_tokens": ["2", 0]}},
            "13": {"class_type": "ImageScale", "inputs": {"image": ["12", 0], "upscale_method": "bilinear",
                                                          "width": diffusion_graphs.SIZE,
                                                          "height": diffusion_graphs.SIZE, "crop": "disabled"}},
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["4", 1]}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
            "14": {"class_type": "VAEEncode", "inputs": {"pixels": ["13", 0], "vae": ["4", 2]}},
            "3": {"class_type": "KSampler", "inputs": {
                "seed": seed, **{**DIFFUSION, "steps": COARSE_STEPS, **diffusion}, "denoise": denoise,
                "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["14", 0]}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
            "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "hybrid_coarse_ar_then_diffusion",
                                                        "images": ["8", 0]}}}


WORKFLOWS = {"hybrid_ar_then_diffusion": hybrid_ar_then_diffusion,
             "hybrid_coarse_ar_then_diffusion": hybrid_coarse_ar_then_diffusion}


if __name__ == "__main__":
    for written_path in ar_graphs.write_all(HERE, WORKFLOWS):
        print(written_path)
