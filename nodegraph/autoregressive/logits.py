"""Logits processing as small pure functions: guidance, temperature, top-k, top-p, and the pick itself."""

from __future__ import annotations

import torch


def guide(cond: torch.Tensor, uncond: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance on logits: move away from the negative (unconditional) prediction."""
    return uncond + scale * (cond - uncond)


def top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits per row (k <= 0 keeps all)."""
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    threshold = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < threshold, float("-inf"))


def top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of logits whose probabilities sum to at least p (p >= 1 keeps all)."""
    if p >= 1.0:
        return logits
    ordered, order = torch.sort(logits, dim=-1, descending=True)
    cumulative = torch.softmax(ordered, dim=-1).cumsum(-1)
    # A token is dropped when the tokens before it already reach p; the most likely one always stays.
    drop_sorted = (cumulative - torch.softmax(ordered, dim=-1)) >= p
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def probabilities(logits: torch.Tensor, temperature: float, k: int, p: float) -> torch.Tensor:
    """The distribution a code is drawn from: temperature, then top-k, then top-p, then softmax."""
    return torch.softmax(top_p(top_k(logits.float() / temperature, k), p), dim=-1)


def pick(logits: torch.Tensor, temperature: float, k: int, p: float,
         generator: torch.Generator | None) -> torch.Tensor:
    """One token id per row. Temperature 0 is greedy; sampling draws on the CPU so a seed means the same
    tokens on every device."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = probabilities(logits, temperature, k, p).cpu()
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1).to(logits.device)
