"""Speculative Jacobi decoding: guess a block of image codes, check them all in one forward pass, keep the
prefix that holds (training-free; Teng et al. 2024, "Accelerating Auto-regressive Text-to-Image Generation
with Training-free Speculative Jacobi Decoding").

Each pass feeds the next code (already decided from a valid context) and the guesses after it. Greedy, a
guess is kept while it equals the argmax of the logits before it, so the codes are exactly the sequential
loop's. Sampling, a guess drawn from q is kept with probability min(1, p/q) and the first rejected one is
redrawn from max(0, p - q), the speculative-sampling rule, so every code keeps the sequential loop's
distribution. Guesses for the next pass come from the same pass's later logits (stale contexts: the
"Jacobi" part), or, at the start, repeat the last code (a point mass q, right for flat regions).
Rows of a batch share one cache, so a pass keeps the prefix that holds in every row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .logits import guide, pick, probabilities


@dataclass
class Guesses:
    """Codes guessed for the positions after the next one, and the distribution each was drawn from."""

    codes: torch.Tensor  # int64 [B, n]
    q: torch.Tensor | None  # [B, n, V]; None when greedy


def _guided(logits: torch.Tensor, batch: int, cfg: float | None) -> torch.Tensor:
    return guide(logits[:batch], logits[batch:], cfg) if cfg is not None else logits


def _point_mass(codes: torch.Tensor, size: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(codes, size).float()


def _forced(keep: torch.Tensor, kept: torch.Tensor, start: int, codes: torch.Tensor) -> torch.Tensor:
    """`codes` for positions start.. with the kept ones (teacher forcing) put in."""
    span = slice(start, start + codes.shape[1])
    return torch.where(keep[:, span], kept[:, span], codes)


class Verifier:
    """Decides, for one pass, how many guesses hold and what comes next."""

    def __init__(self, temperature: float, top_k: int, top_p: float, generator: torch.Generator | None) -> None:
        self.temperature, self.top_k, self.top_p, self.generator = temperature, top_k, top_p, generator

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    def pick(self, logits: torch.Tensor) -> torch.Tensor:
        return pick(logits, self.temperature, self.top_k, self.top_p, self.generator).cpu()

    def held(self, logits: torch.Tensor, guesses: Guesses) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Which guesses hold [B, n] (each judged as if all before it held), and p [B, n, V] when sampling."""
        if self.greedy:
            return logits.argmax(-1).cpu() == guesses.codes, None
        p = probabilities(logits, self.temperature, self.top_k, self.top_p).cpu()
        drawn = guesses.codes[..., None]
        ratio = p.gather(-1, drawn)[..., 0] / guesses.q.gather(-1, drawn)[..., 0].clamp(min=1e-30)
        chance = torch.rand(ratio.shape, generator=self.generator)
        return chance < ratio, p

    def redraw(self, logits: torch.Tensor, p: torch.Tensor | None, q: torch.Tensor | None) -> torch.Tensor:
        """The code for a position whose guess failed: the argmax, or a draw from max(0, p - q)."""
        if p is None or q is None:
            return logits.argmax(-1).cpu()
        residual = (p - q).clamp(min=0)
        empty = residual.sum(-1, keepdim=True) <= 0  # p == q: any draw from p is right
        residual = torch.where(empty, p, residual)
        return torch.multinomial(residual / residual.sum(-1, keepdim=True), 1, generator=self.generator)[:, 0]

    def guess(self, logits: torch.Tensor) -> Guesses:
        """Guesses for later positions from stale logits [B, n, V]."""
        if self.greedy:
            return Guesses(logits.argmax(-1).cpu(), None)
        q = probabilities(logits, self.temperature, self.top_k, self.top_p).cpu()
        flat = torch.multinomial(q.reshape(-1, q.shape[-1]), 1, generator=self.generator)
        return Guesses(flat.reshape(q.shape[:2]), q)


def _repeat(code: torch.Tensor, count: int, size: int, greedy: bool) -> Guesses:
    codes = code[:, None].expand(-1, count).clone()
    return Guesses(codes, None if greedy else _point_mass(codes, size))


def _fit(guesses: Guesses, last: torch.Tensor, count: int, size: int, greedy: bool) -> Guesses:
    """Exactly `count` guesses: cut, or padded with repeats of the last code."""
    if guesses.codes.shape[1] == 0:
        return _repeat(last, count, size, greedy)
    if guesses.codes.shape[1] >= count:
        return Guesses(guesses.codes[:, :count], None if guesses.q is None else guesses.q[:, :count])
    extra = _repeat(guesses.codes[:, -1], count - guesses.codes.shape[1], size, greedy)
    q = None if greedy else torch.cat([guesses.q, extra.q], 1)
    return Guesses(torch.cat([guesses.codes, extra.codes], 1), q)


def decode_blocks(decoder, batch: int, total: int, block: int, cfg: float | None, verifier: Verifier,
                  keep: torch.Tensor, kept: torch.Tensor,
                  on_codes: Callable[[int, torch.Tensor], None]) -> torch.Tensor:
    """Codes [B, total] decoded `block` at a time. `decoder` holds the prompt (its logits score position 0);
    `on_codes(position, codes)` runs after each pass with the codes accepted so far."""
    codes = torch.zeros(batch, total, dtype=torch.long)
    logits = _guided(decoder.logits(), batch, cfg)
    size = logits.shape[-1]
    pending = _forced(keep, kept, 0, verifier.pick(logits)[:, None])[:, 0]
    guesses = Guesses(torch.zeros(batch, 0, dtype=torch.long), None)
    base, position = decoder.mask.shape[1], 0
    while True:
        codes[:, position] = pending
        span = min(block, total - position) - 1
        guesses = _fit(guesses, pending, span, size, verifier.greedy)
        guesses.codes = _forced(keep, kept, position + 1, guesses.codes)
        if position + 1 == total:
            on_codes(total, codes)
            return codes
        fed = torch.cat([pending[:, None], guesses.codes], 1)
        decoder.feed(torch.cat([fed, fed]) if cfg is not None else fed, every=True)
        scored = _guided(decoder.logits(), batch, cfg)  # scored[:, j] is for position + 1 + j
        held, p = verifier.held(scored[:, :span], guesses)
        held |= keep[:, position + 1:position + 1 + span]
        # In every row, the guesses up to the first one that fails in any row are kept.
        good = int(torch.cumprod(held.all(0).int(), 0).sum())
        codes[:, position + 1:position + 1 + good] = guesses.codes[:, :good]
        if good == span:  # everything held: the last logits score the next position from a true context
            position += span + 1
            if position < total:
                pending = _forced(keep, kept, position, verifier.pick(scored[:, span])[:, None])[:, 0]
            guesses = Guesses(torch.zeros(batch, 0, dtype=torch.long), None)
        else:  # position + 1 + good: each row's own guess if it held there, else a redraw
            at = position + 1 + good
            redrawn = verifier.redraw(scored[:, good], None if p is None else p[:, good],
                                      None if guesses.q is None else guesses.q[:, good])
            pending = torch.where(held[:, good], guesses.codes[:, good], redrawn)
            pending = _forced(keep, kept, at, pending[:, None])[:, 0]
            decoder.crop(base + at)
            guesses = verifier.guess(scored[:, good + 1:span + 1])
            position = at
        on_codes(position, codes)
        if position >= total:
            return codes
