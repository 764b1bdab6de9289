"""Language stages: teach the shipped models the caption grammar's training structures.

The first stages learn from the dataset's seven templates, which is enough to tie words to pixels but not
to read a sentence built another way (held out of training, the same scenes in other structures were 41%
right for diffusion). These stages start from the exported models, add the grammar's new words to the
tokenizer (every existing word keeps its id) and train on captions drawn afresh every step: a quarter in
the templates, so nothing is forgotten, the rest in the grammar's training structures.

- `unet_language`: the diffusion model's CLIP text encoder alone, through the frozen UNet's denoising loss,
  so the UNet and the ControlNet trained beside it keep their weights and read the new encoder's output.
- `ar_language`: the whole autoregressive transformer, whose text tokens live in its own vocabulary; the
  new words' rows go between the old text ids and the image ids, which shift by as many.
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
# ar_language's extra weight on the first row of image tokens (train_ar.next_token_loss): with the plain loss
# the AR model still drew random backgrounds for trained sentences that open with "the background is ..."
# after 500 steps.
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


def widen_vocabulary(model, layout: ArLayout, text_vocab_size: int):
    """(model, layout) for a larger text vocabulary: old text rows keep their ids, new ones start at the
    old text rows' mean, specials and image codes move up by the difference."""
    from nodegraph.train.architectures import build_ar

    if layout.text_vocab_size == text_vocab_size:
        return model, layout
    old_text = layout.text_vocab_size
    wider = ArLayout.create(text_vocab_size, layout.pad_id, layout.bos_id, layout.prefix_length,
                            layout.codebook_size, layout.grid_height, layout.image_size)
    widened = build_ar(wider.vocab_size, wider.sequence_length)
    old = model.get_input_embeddings().weight.detach()
    added = old[:old_text].mean(0, keepdim=True).expand(text_vocab_size - old_text, -1)
    rows = torch.cat([old[:old_text], added, old[old_text:]])
    # lm_head is tied to the input embeddings, so setting those sets both.
    state = {key: value for key, value in model.state_dict().items() if key != "lm_head.weight"}
    state["model.embed_tokens.weight"] = rows
    widened.load_state_dict(state, strict=False)
    return widened, wider


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


def widened_ar(folder: Path, seed: int):
    """(tokenizer, model, layout, vq) of an exported nodegraph-ar folder, the tokenizer extended by the
    grammar's words and the model's vocabulary widened to match (no change when it already is)."""
    from diffusers import VQModel
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    tokenizer = extend_tokenizer(PreTrainedTokenizerFast.from_pretrained(str(folder / "tokenizer")),
                                 grammar_corpus(seed=seed))
    model, layout = widen_vocabulary(
        AutoModelForCausalLM.from_pretrained(str(folder / "transformer"), use_safetensors=True),
        ArLayout.load(folder), len(tokenizer))
    return tokenizer, model, layout, VQModel.from_pretrained(str(folder / "vq"), use_safetensors=True)


def train_ar_language(out: Path, work: Path, steps: int, seed: int):
    from nodegraph.autoregressive.folder import layout_model
    from nodegraph.autoregressive.vq import vq_encode
    from nodegraph.train.evaluate import both_prompt_sets, score_ar
    from nodegraph.train.pools import encoded_pool
    from nodegraph.train.train_ar import AR_FOLDER

    torch.manual_seed(seed)
    folder = out / AR_FOLDER
    tokenizer, model, layout, vq = widened_ar(folder, seed)
    pool = encoded_pool(work / "ar" / "token_pool.pt", seed, lambda images: vq_encode(vq, images))
    step_loss = token_step_loss(model, layout, tokenizer, pool["codes"], seed, salt=6,
                                first_row_weight=FIRST_ROW_WEIGHT)

    def evaluate() -> dict:
        handles = layout_model(AR_FOLDER.name, model, vq, tokenizer, layout)
        return both_prompt_sets(lambda **o: score_ar(*handles, **o), limit=32)

    phase = Phase("ar_language", steps, {"transformer": model}, step_loss, lr=3e-4, warmup=100,
                  weight_decay=0.01, evaluate=evaluate, eval_every=max(steps // 4, 1))
    run_phase(phase, work)
    model.save_pretrained(str(folder / "transformer"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder / "tokenizer"))
    layout.save(folder)
    return model
