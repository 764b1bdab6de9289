"""Train a ControlNet (copied from the trained UNet's encoder) that makes the shape follow a binary mask;
export models/controlnet/shapes-controlnet-mask/."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, StableDiffusionPipeline

from nodegraph.train.architectures import build_controlnet
from nodegraph.train.batches import mask_to_control
from nodegraph.train.loop import Phase, run_phase, seeded
from nodegraph.train.pools import batch_indices
from nodegraph.train.train_diffusion import MIN_SNR_GAMMA, SCHEDULE, SD_FOLDER, latent_pool, tokenize

BATCH = 32
# Dropping the caption more often than for the UNet forces the ControlNet to carry the shape by itself.
CAPTION_DROPOUT = 0.3
CONTROLNET_FOLDER = Path("controlnet") / "shapes-controlnet-mask"


def train_controlnet(out: Path, work: Path, steps: int, seed: int):
    from nodegraph.train.evaluate import score_controlnet

    torch.manual_seed(seed)
    pipeline = StableDiffusionPipeline.from_pretrained(
        str(out / SD_FOLDER), safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    unet, text_encoder, tokenizer = pipeline.unet, pipeline.text_encoder, pipeline.tokenizer
    unet.requires_grad_(False)
    text_encoder.requires_grad_(False)
    controlnet = build_controlnet(unet)
    pool, _ = latent_pool(out, work, seed)
    ids = tokenize(tokenizer, pool["captions"])
    empty = tokenize(tokenizer, [""])
    noise_schedule = DDPMScheduler(**SCHEDULE)
    alphas = noise_schedule.alphas_cumprod

    def step_loss(step: int) -> torch.Tensor:
        pick = batch_indices(len(ids), BATCH, seed, step)
        generator = seeded(seed, step, salt=1)
        latents, tokens = pool["codes"][pick], ids[pick].clone()
        tokens[torch.rand(BATCH, generator=generator) < CAPTION_DROPOUT] = empty
        control = mask_to_control(pool["masks"][pick].numpy())
        noise = torch.randn(latents.shape, generator=generator)
        t = torch.randint(0, noise_schedule.config.num_train_timesteps, (BATCH,), generator=generator)
        noisy = noise_schedule.add_noise(latents, noise, t)
        with torch.no_grad():
            context = text_encoder(tokens)[0]
        down, mid = controlnet(noisy, t, encoder_hidden_states=context, controlnet_cond=control, return_dict=False)
        prediction = unet(noisy, t, context, down_block_additional_residuals=down,
                          mid_block_additional_residual=mid).sample
        snr = alphas[t] / (1 - alphas[t])
        weight = snr.clamp(max=MIN_SNR_GAMMA) / (snr + 1)
        target = noise_schedule.get_velocity(latents, noise, t)
        return (weight * F.mse_loss(prediction, target, reduction="none").mean((1, 2, 3))).mean()

    phase = Phase("controlnet", steps, {"controlnet": controlnet}, step_loss, lr=3e-4, warmup=100,
                  evaluate=lambda: score_controlnet(pipeline, controlnet, seed, count=32),
                  eval_every=max(steps // 4, 1))
    run_phase(phase, work)
    controlnet.save_pretrained(str(out / CONTROLNET_FOLDER), safe_serialization=True)
    return controlnet
