"""Train the text encoder and UNet jointly on VAE latents (v-prediction, caption dropout for CFG) and
export the Stable Diffusion folder models/checkpoints/shapes-sd/."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, StableDiffusionPipeline
from transformers import CLIPTextModel, PreTrainedTokenizerFast

from nodegraph.train.architectures import build_text_encoder, build_unet
from nodegraph.train.loop import Phase, run_phase, seeded
from nodegraph.train.pools import batch_indices, encoded_pool

BATCH = 32
CAPTION_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0
SD_FOLDER = Path("checkpoints") / "shapes-sd"
# Linear betas reach a near-zero terminal SNR (alpha_bar ~ 4e-5), so sampling from pure noise matches
# training; v-prediction keeps the highest-noise steps well posed.
SCHEDULE = {"num_train_timesteps": 1000, "beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02,
            "prediction_type": "v_prediction", "clip_sample": False}


def load_tokenizer(work: Path) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast.from_pretrained(str(work / "tokenizer"))


def tokenize(tokenizer: PreTrainedTokenizerFast, captions: list[str]) -> torch.Tensor:
    """Exactly what StableDiffusionPipeline feeds the text encoder: padded to model_max_length, no mask."""
    return tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length,
                     truncation=True, return_tensors="pt").input_ids


def latent_pool(out: Path, work: Path, seed: int) -> tuple[dict, AutoencoderKL]:
    vae = AutoencoderKL.from_pretrained(str(out / SD_FOLDER / "vae"))
    scale = vae.config.scaling_factor
    pool = encoded_pool(work / "unet" / "latent_pool.pt", seed,
                        lambda images: vae.encode(images).latent_dist.mode() * scale)
    return pool, vae


def make_pipeline(vae, text_encoder, tokenizer, unet) -> StableDiffusionPipeline:
    scheduler = DDIMScheduler(**SCHEDULE, timestep_spacing="trailing", set_alpha_to_one=True,
                              steps_offset=1)
    return StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def train_diffusion(out: Path, work: Path, steps: int, seed: int) -> StableDiffusionPipeline:
    from nodegraph.train.evaluate import score_diffusion

    torch.manual_seed(seed)
    tokenizer = load_tokenizer(work)
    text_encoder = build_text_encoder(len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id,
                                      tokenizer.eos_token_id, tokenizer.model_max_length)
    unet = build_unet()
    pool, vae = latent_pool(out, work, seed)
    ids = tokenize(tokenizer, pool["captions"])
    empty = tokenize(tokenizer, [""])
    noise_schedule = DDPMScheduler(**SCHEDULE)
    alphas = noise_schedule.alphas_cumprod

    def step_loss(step: int) -> torch.Tensor:
        pick = batch_indices(len(ids), BATCH, seed, step)
        generator = seeded(seed, step)
        latents, tokens = pool["codes"][pick], ids[pick].clone()
        tokens[torch.rand(BATCH, generator=generator) < CAPTION_DROPOUT] = empty
        noise = torch.randn(latents.shape, generator=generator)
        t = torch.randint(0, noise_schedule.config.num_train_timesteps, (BATCH,), generator=generator)
        noisy = noise_schedule.add_noise(latents, noise, t)
        target = noise_schedule.get_velocity(latents, noise, t)
        prediction = unet(noisy, t, text_encoder(tokens)[0]).sample
        # Min-SNR weighting (Hang et al. 2023) stops the easy low-noise steps dominating the gradient.
        snr = alphas[t] / (1 - alphas[t])
        weight = snr.clamp(max=MIN_SNR_GAMMA) / (snr + 1)
        per_item = F.mse_loss(prediction, target, reduction="none").mean((1, 2, 3))
        return (weight * per_item).mean()

    pipeline = make_pipeline(vae, text_encoder, tokenizer, unet)
    phase = Phase("unet", steps, {"unet": unet, "text_encoder": text_encoder}, step_loss, lr=5e-4,
                  warmup=200, evaluate=lambda: score_diffusion(pipeline, limit=32),
                  eval_every=max(steps // 6, 1))
    run_phase(phase, work)
    pipeline.save_pretrained(str(out / SD_FOLDER), safe_serialization=True)
    return pipeline
