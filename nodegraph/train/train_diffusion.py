"""Train the text encoder and UNet jointly on VAE latents (v-prediction, caption dropout for CFG) and
export the Stable Diffusion folder models/checkpoints/shapes-sd/."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, StableDiffusionPipeline
from transformers import PreTrainedTokenizerFast

from nodegraph.train.architectures import build_text_encoder, build_unet
from nodegraph.train.loop import Phase, run_phase, seeded
from nodegraph.train.pools import batch_indices, encoded_pool

BATCH = 32
CAPTION_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0
LAYOUT_STEPS = 6000
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


def loss_weight(snr: torch.Tensor, layout: bool) -> torch.Tensor:
    """Per-timestep weight of the v-prediction loss.

    Stage 1, Min-SNR (Hang et al. 2023): x0-space weight min(SNR, 5); converges fast on colour and shape,
    but gives the high-noise steps, where the layout is decided, almost no weight: after 5000 steps
    shapes landed at random positions (bench/README.md). Stage 2 ("layout") adds 1 to the x0-space
    weight, so every noise level counts at least as much as in plain x0 regression."""
    x0_weight = snr.clamp(max=MIN_SNR_GAMMA) + (1.0 if layout else 0.0)
    return x0_weight / (snr + 1)  # a v-space loss equals the x0-space loss times (SNR + 1)


def denoising_loss(unet, text_encoder, latents: torch.Tensor, tokens: torch.Tensor, empty: torch.Tensor,
                   generator: torch.Generator, noise_schedule: DDPMScheduler, layout: bool) -> torch.Tensor:
    """One batch's weighted v-prediction loss, with caption dropout (tokens are changed in place)."""
    batch = len(latents)
    tokens[torch.rand(batch, generator=generator) < CAPTION_DROPOUT] = empty
    noise = torch.randn(latents.shape, generator=generator)
    t = torch.randint(0, noise_schedule.config.num_train_timesteps, (batch,), generator=generator)
    noisy = noise_schedule.add_noise(latents, noise, t)
    target = noise_schedule.get_velocity(latents, noise, t)
    prediction = unet(noisy, t, text_encoder(tokens)[0]).sample
    alphas = noise_schedule.alphas_cumprod
    weight = loss_weight(alphas[t] / (1 - alphas[t]), layout)
    per_item = F.mse_loss(prediction, target, reduction="none").mean((1, 2, 3))
    return (weight * per_item).mean()


def train_diffusion(out: Path, work: Path, steps: int, seed: int,
                    layout_steps: int = LAYOUT_STEPS) -> StableDiffusionPipeline:
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

    def step_loss(step: int, layout: bool = False) -> torch.Tensor:
        pick = batch_indices(len(ids), BATCH, seed, step)
        generator = seeded(seed, step, salt=3 if layout else 0)
        return denoising_loss(unet, text_encoder, pool["codes"][pick], ids[pick].clone(), empty, generator,
                              noise_schedule, layout)

    pipeline = make_pipeline(vae, text_encoder, tokenizer, unet)
    pipeline.set_progress_bar_config(disable=True)
    phase = Phase("unet", steps, {"unet": unet, "text_encoder": text_encoder}, step_loss, lr=5e-4,
                  warmup=200, evaluate=lambda: score_diffusion(pipeline, limit=32),
                  eval_every=max(steps // 4, 1))
    run_phase(phase, work)
    modules = {"unet": unet, "text_encoder": text_encoder}
    if layout_steps:
        # Stage 2 starts from stage 1's final weights (its own checkpoint takes over once it exists).
        layout = Phase("unet_layout", layout_steps, modules, lambda step: step_loss(step, layout=True),
                       lr=2e-4, warmup=50, evaluate=phase.evaluate, eval_every=max(layout_steps // 4, 1))
        run_phase(layout, work)
    pipeline.save_pretrained(str(out / SD_FOLDER), safe_serialization=True)
    return pipeline
