"""Train the diffusion model's AutoencoderKL (64x64x3 <-> 16x16x4) and export it with a measured scaling factor."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL

from nodegraph.train.architectures import build_vae
from nodegraph.train.batches import HELD_OUT_SEED_OFFSET, image_batch, psnr, to_uint8
from nodegraph.train.dataset import ShapesDataset
from nodegraph.train.loop import Phase, run_phase

BATCH = 16
KL_WEIGHT = 1e-6


def vae_psnr(vae: AutoencoderKL, seed: int, count: int = 256) -> float:
    images = image_batch(ShapesDataset(seed=seed + HELD_OUT_SEED_OFFSET), 0, count)
    with torch.no_grad():
        recon = vae.decode(vae.encode(images).latent_dist.mode()).sample
    return psnr(to_uint8(images), to_uint8(recon))


def latent_scaling_factor(vae: AutoencoderKL, seed: int, count: int = 512) -> float:
    """1 / std of latents, so the diffusion model sees unit-variance inputs (as Stable Diffusion's 0.18215)."""
    images = image_batch(ShapesDataset(seed=seed + HELD_OUT_SEED_OFFSET), 0, count)
    with torch.no_grad():
        latents = vae.encode(images).latent_dist.mode()
    return float(1.0 / latents.std())


def train_vae(out: Path, work: Path, steps: int, seed: int) -> AutoencoderKL:
    torch.manual_seed(seed)
    vae = build_vae()
    dataset = ShapesDataset(seed=seed)

    def step_loss(step: int) -> torch.Tensor:
        images = image_batch(dataset, step * BATCH, BATCH)
        posterior = vae.encode(images).latent_dist
        recon = vae.decode(posterior.mode()).sample
        return F.mse_loss(recon, images) + 0.5 * F.l1_loss(recon, images) + KL_WEIGHT * posterior.kl().mean()

    phase = Phase("vae", steps, {"vae": vae}, step_loss, lr=1e-3, warmup=50,
                  evaluate=lambda: {"psnr": vae_psnr(vae, seed, 64)}, eval_every=max(steps // 6, 1))
    run_phase(phase, work)
    vae.register_to_config(scaling_factor=latent_scaling_factor(vae, seed))
    vae.save_pretrained(out / "checkpoints" / "shapes-sd" / "vae", safe_serialization=True)
    return vae
