"""Captions from the caption grammar for training, and the diffusion model's language stage.

The dataset's seven templates are enough to tie words to pixels but not to read a sentence built another
way (held out of training, the same scenes in other structures were 41% right for diffusion). Captions
drawn afresh every step teach that: a quarter in the templates, so nothing is forgotten, the rest in the
grammar's training structures. The AR phases switch to them inside their own training (train_ar.py,
train_ar_coarse.py); the diffusion model gets a stage of its own:

- `unet_language`: the diffusion model's CLIP text encoder alone, through the frozen UNet's denoising loss,
  so the UNet and the ControlNet trained beside it keep their weights and read the new encoder's output.
  The grammar's new words are added to the tokenizer, every existing word keeping its id.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nodegraph.autoregressive.layout import ArLayout, caption_ids
from nodegraph.train.dataset import Attributes, ShapesDataset, caption_for
from nodegraph.train.grammar import training_caption
from nodegraph.train.loop import Phase, run_phase, seeded
from nodegraph.train.pools import batch_indices
from nodegraph.train.text_tokenizer import extend_tokenizer, grammar_corpus

BATCH = 32
TEMPLATE_SHARE = 0.25
# The AR phase's extra weight on the first row of image tokens (train_ar.next_token_loss): with the plain loss
# the AR model still drew random backgrounds for trained sentences that open with "the background is ..."
# after 500 steps of a language phase.
FIRST_ROW_WEIGHT = 1.0


def language_caption(attributes: Attributes, rng: np.random.Generator) -> str:
    if rng.random() < TEMPLATE_SHARE:
        return caption_for(attributes, rng)
    return training_caption(attributes, rng)


class CaptionDraws:
    """Fresh captions for pool items, drawn from (seed, step), so a resumed run draws the same ones."""

    def __init__(self, seed: int, pool_size: int) -> None:
        dataset = ShapesDataset(seed=seed)  # the pools render this dataset's first items (pools.py)
        self.seed = seed
        self.scenes = [dataset.attributes_at(index) for index in range(pool_size)]

    def __call__(self, pick: torch.Tensor, step: int) -> list[str]:
        rng = np.random.default_rng([self.seed, step, 17])
        return [language_caption(self.scenes[int(index)], rng) for index in pick]


def train_diffusion_language(out: Path, work: Path, steps: int, seed: int):
    from diffusers import DDPMScheduler, StableDiffusionPipeline

    from nodegraph.train.evaluate import both_prompt_sets, score_diffusion
    from nodegraph.train.train_diffusion import SCHEDULE, SD_FOLDER, denoising_loss, latent_pool, tokenize

    torch.manual_seed(seed)
    pipeline = StableDiffusionPipeline.from_pretrained(
        str(out / SD_FOLDER), safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipeline.set_progress_bar_config(disable=True)
    tokenizer = extend_tokenizer(pipeline.tokenizer, grammar_corpus(seed=seed))
    text_encoder, unet = pipeline.text_encoder, pipeline.unet
    text_encoder.resize_token_embeddings(len(tokenizer))
    pipeline.tokenizer = tokenizer
    unet.requires_grad_(False)
    pool, _ = latent_pool(out, work, seed)
    draws, empty = CaptionDraws(seed, len(pool["codes"])), tokenize(tokenizer, [""])
    noise_schedule = DDPMScheduler(**SCHEDULE)

    def step_loss(step: int) -> torch.Tensor:
        pick = batch_indices(len(pool["codes"]), BATCH, seed, step)
        tokens = tokenize(tokenizer, draws(pick, step))
        return denoising_loss(unet, text_encoder, pool["codes"][pick], tokens, empty,
                              seeded(seed, step, salt=5), noise_schedule, layout=True)

    phase = Phase("unet_language", steps, {"text_encoder": text_encoder}, step_loss, lr=5e-4, warmup=100,
                  evaluate=lambda: both_prompt_sets(lambda **o: score_diffusion(pipeline, **o), limit=32),
                  eval_every=max(steps // 4, 1))
    run_phase(phase, work)
    pipeline.save_pretrained(str(out / SD_FOLDER), safe_serialization=True)
    return pipeline


def token_step_loss(model, layout: ArLayout, tokenizer, codes: torch.Tensor, seed: int, salt: int,
                    first_row_weight: float = 0.0):
    """An AR phase's step: a seeded batch of the pool's code grids, each under a fresh caption."""
    from nodegraph.train.train_ar import next_token_loss

    images = codes.reshape(len(codes), -1) + layout.image_token_offset
    draws, empty = CaptionDraws(seed, len(images)), layout.unconditional(1)

    def step_loss(step: int) -> torch.Tensor:
        pick = batch_indices(len(images), BATCH, seed, step)
        prefix = layout.prefix(caption_ids(tokenizer, draws(pick, step)))
        return next_token_loss(model, layout, prefix, images[pick], empty, seeded(seed, step, salt=salt),
                               first_row_weight)

    return step_loss
