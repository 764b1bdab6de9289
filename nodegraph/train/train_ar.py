"""Train the decoder-only transformer over text + image tokens (caption dropout for CFG) and export
models/autoregressive/shapes-ar/ (transformer/, vq/, tokenizer/, nodegraph_ar.json).

One phase teaches the pictures and then the language: the dataset's template captions until
LANGUAGE_FROM of the way, then captions drawn afresh each step from the caption grammar (train_language.py)
with the first row's loss counted once more. The tokenizer knows the grammar's words from the first step.
Grammar captions from the first step learned far too slowly (50% fully correct after 3,000 steps), and a
separate language phase after a templates-only run cost half an hour more for the same held-out score
(bench/README.md, "The AR phase on the grammar from its first step")."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import VQModel

from nodegraph.autoregressive.folder import layout_model
from nodegraph.autoregressive.layout import ArLayout, caption_ids
from nodegraph.autoregressive.vq import vq_encode
from nodegraph.train.architectures import build_ar
from nodegraph.train.loop import Phase, run_phase, seeded
from nodegraph.train.pools import batch_indices, encoded_pool
from nodegraph.train.text_tokenizer import extend_tokenizer, grammar_corpus
from nodegraph.train.train_diffusion import load_tokenizer

BATCH = 32
CAPTION_DROPOUT = 0.1
# The transformer's step is matmul-bound: bf16 autocast made it 1.5x faster on a CPU with native bf16 dot
# products (bench/README.md). Elsewhere bf16 is emulated and slower, so it stays off there.
_BF16_PROBES = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
BF16 = any(getattr(torch.cpu, probe, lambda: False)() for probe in _BF16_PROBES)
AR_FOLDER = Path("autoregressive") / "shapes-ar"
# Where in the phase the captions switch from the templates to the grammar: 2,500 of 4,000 steps.
LANGUAGE_FROM = 0.625


def next_token_loss(model, layout: ArLayout, prefix: torch.Tensor, images: torch.Tensor, empty: torch.Tensor,
                    generator: torch.Generator, first_row_weight: float = 0.0) -> torch.Tensor:
    """The image tokens' loss given the caption prefix, with caption dropout (prefix is changed in place).

    first_row_weight adds that many times the first row's mean loss. The first row settles the background
    and most of what the caption says; every later token can copy it from the tokens before, so in the plain
    mean over 256 tokens the caption's share of the gradient is small, and a new sentence structure is
    learned slowly (bench/README.md, "Captions that teach language")."""
    batch = len(prefix)
    prefix[torch.rand(batch, generator=generator) < CAPTION_DROPOUT] = empty
    eoi = torch.full((batch, 1), layout.eoi_id)
    sequence = torch.cat([prefix, images, eoi], 1)
    labels = sequence.clone()
    labels[:, : prefix.shape[1]] = -100  # learn the image given the caption, not the caption
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
        if not first_row_weight:
            return model(input_ids=sequence, labels=labels).loss
        logits = model(input_ids=sequence).logits[:, prefix.shape[1] - 1:-1]
        losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2).float(), sequence[:, prefix.shape[1]:],
                                                   reduction="none")
        return losses.mean() + first_row_weight * losses[:, :layout.grid_width].mean()


def train_ar(out: Path, work: Path, steps: int, seed: int):
    from nodegraph.train.evaluate import both_prompt_sets, score_ar
    from nodegraph.train.train_language import FIRST_ROW_WEIGHT, token_step_loss

    torch.manual_seed(seed)
    tokenizer = extend_tokenizer(load_tokenizer(work), grammar_corpus(seed=seed))
    vq = VQModel.from_pretrained(str(out / AR_FOLDER / "vq"))
    pool = encoded_pool(work / "ar" / "token_pool.pt", seed, lambda images: vq_encode(vq, images))
    grid = pool["codes"].shape[1]
    layout = ArLayout.create(len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id,
                             tokenizer.model_max_length, vq.config.num_vq_embeddings, grid, 64)
    prefixes = layout.prefix(caption_ids(tokenizer, pool["captions"]))
    empty = layout.unconditional(1)
    images = pool["codes"].reshape(len(prefixes), -1) + layout.image_token_offset
    model = build_ar(layout.vocab_size, layout.sequence_length)
    language = token_step_loss(model, layout, tokenizer, pool["codes"], seed, salt=2,
                               first_row_weight=FIRST_ROW_WEIGHT)
    language_from = int(steps * LANGUAGE_FROM)

    def step_loss(step: int) -> torch.Tensor:
        if step >= language_from:
            return language(step)
        pick = batch_indices(len(prefixes), BATCH, seed, step)
        return next_token_loss(model, layout, prefixes[pick].clone(), images[pick], empty,
                               seeded(seed, step, salt=2))

    def evaluate() -> dict:
        handles = layout_model(AR_FOLDER.name, model, vq, tokenizer, layout)
        return both_prompt_sets(lambda **o: score_ar(*handles, **o), limit=32)

    phase = Phase("ar", steps, {"transformer": model}, step_loss, lr=1e-3, warmup=100, weight_decay=0.01,
                  evaluate=evaluate, eval_every=max(steps // 4, 1))
    run_phase(phase, work)
    folder = out / AR_FOLDER
    model.save_pretrained(str(folder / "transformer"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder / "tokenizer"))
    layout.save(folder)
    return model
