"""Train the autoregressive model's VQModel (64x64x3 <-> 16x16 grid of codebook indices) and export it."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import VQModel

from nodegraph.train.architectures import build_vq
from nodegraph.train.batches import HELD_OUT_SEED_OFFSET, image_batch, psnr, to_uint8
from nodegraph.train.dataset import ShapesDataset
from nodegraph.train.loop import Phase, run_phase

BATCH = 16
RESTART_EVERY = 50  # steps between dead-code restarts


def encode_indices(vq: VQModel, images: torch.Tensor) -> torch.Tensor:
    """Images [N,3,64,64] in [-1,1] -> int64 token grid [N,16,16]."""
    latents = vq.encode(images).latents
    _, _, (_, _, indices) = vq.quantize(latents)
    return indices.reshape(latents.shape[0], latents.shape[2], latents.shape[3])


def decode_indices(vq: VQModel, indices: torch.Tensor) -> torch.Tensor:
    """int64 token grid [N,h,w] -> images [N,3,64,64] in [-1,1]."""
    n, h, w = indices.shape
    quant = vq.quantize.get_codebook_entry(indices.reshape(-1), (n, h, w, vq.config.vq_embed_dim))
    return vq.decode(quant, force_not_quantize=True).sample


def vq_psnr(vq: VQModel, seed: int, count: int = 256) -> tuple[float, float]:
    """(PSNR in dB, fraction of the codebook used) on held-out images."""
    images = image_batch(ShapesDataset(seed=seed + HELD_OUT_SEED_OFFSET), 0, count)
    with torch.no_grad():
        indices = encode_indices(vq, images)
        recon = decode_indices(vq, indices)
    used = indices.unique().numel() / vq.config.num_vq_embeddings
    return psnr(to_uint8(images), to_uint8(recon)), used


def train_vq(out: Path, work: Path, steps: int, seed: int) -> VQModel:
    torch.manual_seed(seed)
    vq = build_vq()
    dataset = ShapesDataset(seed=seed)
    usage = {"counts": torch.zeros(vq.config.num_vq_embeddings)}

    def step_loss(step: int) -> torch.Tensor:
        images = image_batch(dataset, step * BATCH, BATCH)
        latents = vq.encode(images).latents
        quant, commit_loss, (_, _, indices) = vq.quantize(latents)
        recon = vq.decoder(vq.post_quant_conv(quant))
        usage["counts"] += torch.bincount(indices.reshape(-1), minlength=len(usage["counts"])).float()
        if step % RESTART_EVERY == RESTART_EVERY - 1 and step < steps * 0.8:
            restart_dead_codes(vq, latents.detach(), usage["counts"], step, seed)
            usage["counts"].zero_()
        return F.mse_loss(recon, images) + 0.5 * F.l1_loss(recon, images) + commit_loss

    def evaluate() -> dict:
        value, used = vq_psnr(vq, seed, 64)
        return {"psnr": value, "codebook_used": used}

    phase = Phase("vq", steps, {"vq": vq}, step_loss, lr=1e-3, warmup=50, evaluate=evaluate,
                  eval_every=max(steps // 6, 1), extra_state=usage)
    run_phase(phase, work)
    vq.save_pretrained(out / "autoregressive" / "shapes-ar" / "vq", safe_serialization=True)
    return vq


def restart_dead_codes(vq: VQModel, latents: torch.Tensor, counts: torch.Tensor, step: int, seed: int) -> None:
    """Move codes nobody picked onto random encoder outputs, so the whole codebook gets used."""
    dead = torch.nonzero(counts == 0).reshape(-1)
    if len(dead) == 0:
        return
    vectors = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1])
    generator = torch.Generator().manual_seed(seed * 31 + step)
    picks = torch.randint(0, len(vectors), (len(dead),), generator=generator)
    with torch.no_grad():
        vq.quantize.embedding.weight[dead] = vectors[picks] + 0.01 * torch.randn(
            len(dead), vectors.shape[1], generator=generator)
