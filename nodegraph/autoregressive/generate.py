"""The sampling loop: image codes one at a time in raster order, with a KV cache, guidance and teacher forcing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .jacobi import Verifier, decode_blocks
from .logits import guide, pick
from .model import ArModel, Prompt, stack_prompts


@dataclass(frozen=True)
class Sampling:
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    cfg: float = 1.0


class Decoder:
    """Feeds tokens to the model and holds what the next logits need: the KV cache, or (without a cache)
    the whole sequence so far, recomputed on every step."""

    def __init__(self, model: ArModel, prompt: Prompt, use_cache: bool) -> None:
        self.model, self.use_cache, self.cache, self.passes = model, use_cache, None, 0
        self.mask = prompt.mask.to(model.device)
        # Without left padding the causal mask is all there is: passing none spares building one per step.
        self.padded = bool((self.mask == 0).any())
        self.embeds = model.embed_text(prompt.ids.to(model.device))
        self.hidden = self._run(self.embeds)

    def _run(self, new: torch.Tensor, every: bool = False) -> torch.Tensor:
        positions = (self.mask.cumsum(-1) - 1).clamp(min=0)
        mask = self.mask if self.padded else None
        self.passes += 1
        if self.use_cache:
            hidden, self.cache = self.model.forward(new, mask, positions[:, -new.shape[1]:], self.cache, True,
                                                    every)
        else:
            hidden, _ = self.model.forward(self.embeds, mask, positions, None, False, every)
            hidden = hidden[:, -new.shape[1]:] if every else hidden
        return hidden

    def logits(self) -> torch.Tensor:
        return self.model.code_logits(self.hidden).float()

    def feed(self, codes: torch.Tensor, every: bool = False) -> None:
        """Append codes [B, n]; `logits()` then scores the position after the last of them ([B, V]), or with
        `every` the position after each of them ([B, n, V])."""
        new = self.model.embed_codes(codes.to(self.model.device))
        self.mask = torch.cat([self.mask, torch.ones_like(codes, device=self.mask.device)], 1)
        if not self.use_cache:
            self.embeds = torch.cat([self.embeds, new], 1)
        self.hidden = self._run(new, every)

    def crop(self, length: int) -> None:
        """Forget everything after the first `length` positions (codes fed but not accepted)."""
        dropped = self.mask.shape[1] - length
        self.mask = self.mask[:, :length]
        if self.use_cache:
            if dropped > 0:
                self.cache.crop(-dropped)  # transformers' caches take the count to drop
        else:
            self.embeds = self.embeds[:, :length]


def baseline(model: ArModel, prompt: Prompt, negative: Prompt | None, cfg: float) -> Prompt | None:
    """The rows guidance steers away from: the negative prompt's if given, else the model's own "no
    caption" rows for `prompt`; None when cfg is 1 (no guidance, nothing to run beside the prompt)."""
    if cfg == 1.0:
        return None
    return negative if negative is not None else model.unconditional(prompt)


def forced_run(keep: torch.Tensor, start: int) -> int:
    """How many positions from `start` on are kept in every row (fed in one forward pass)."""
    return int(torch.cumprod(keep[:, start:].all(0).int(), 0).sum())


@dataclass
class Decoded:
    codes: torch.Tensor  # [B, h, w]
    passes: int  # sequential forward passes of the model, the prompt's included


def generate(model: ArModel, prompt: Prompt, negative: Prompt | None, sampling: Sampling,
             generator: torch.Generator | None, **options: Any) -> torch.Tensor:
    """Codes [B, h, w] for B prompts (see `decode` for the options)."""
    return decode(model, prompt, negative, sampling, generator, **options).codes


@torch.no_grad()
def decode(model: ArModel, prompt: Prompt, negative: Prompt | None, sampling: Sampling,
           generator: torch.Generator | None, *, kept: torch.Tensor | None = None,
           keep: torch.Tensor | None = None, use_kv_cache: bool = True, block: int = 1,
           on_row: Callable[[int, torch.Tensor], None] | None = None) -> Decoded:
    """Codes [B, h, w] for B prompts. With cfg != 1 the `negative` rows ride along in the same batch as
    the guidance baseline. Where `keep` [B, h, w] is true the code comes from `kept` (teacher forcing).
    `block` > 1 guesses that many codes per forward pass (speculative Jacobi decoding, jacobi.py): the same
    codes when greedy, the same distribution when sampling, fewer passes.
    `on_row(rows_done, codes)` runs after each finished grid row; raising there stops the loop."""
    (height, width), batch = model.grid, prompt.batch
    total, guided = height * width, negative is not None and sampling.cfg != 1.0
    rows = stack_prompts([prompt, negative], model.pad_id) if guided else prompt
    keep = torch.zeros(batch, total, dtype=torch.bool) if keep is None else keep.reshape(batch, total).bool()
    kept = torch.zeros(batch, total, dtype=torch.long) if kept is None else kept.reshape(batch, total)
    decoder, reported = Decoder(model, rows, use_kv_cache), 0

    def report(position: int, codes: torch.Tensor) -> None:
        nonlocal reported
        if on_row is not None and position // width > reported:
            reported = position // width
            on_row(reported, codes.reshape(batch, height, width))

    if block > 1:
        verifier = Verifier(sampling.temperature, sampling.top_k, sampling.top_p, generator)
        codes = decode_blocks(decoder, batch, total, block, sampling.cfg if guided else None, verifier, keep,
                              kept, report)
        return Decoded(codes.reshape(batch, height, width), decoder.passes)
    codes, position = torch.zeros(batch, total, dtype=torch.long), 0
    while position < total:
        run = forced_run(keep, position)
        if run:
            step = kept[:, position:position + run]
        else:
            logits = decoder.logits()
            if guided:
                logits = guide(logits[:batch], logits[batch:], sampling.cfg)
            sampled = pick(logits, sampling.temperature, sampling.top_k, sampling.top_p, generator).cpu()
            step = torch.where(keep[:, position], kept[:, position], sampled)[:, None]
        codes[:, position:position + step.shape[1]] = step
        position += step.shape[1]
        if position < total:
            decoder.feed(torch.cat([step, step]) if guided else step)
        report(position, codes)
    return Decoded(codes.reshape(batch, height, width), decoder.passes)
