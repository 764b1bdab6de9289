"""The loaded AR model as two objects: ArModel (prompt -> image-code logits) and VqCodec (pixels <-> codes).

Each model family (the nodegraph-ar layout, Janus) builds these from its own parts in its loader
(folder.py, janus.py), so the sampling loop, the nodes and the trainer's evaluator never ask which family
they hold. Nodes reach them through the model manager (AR_MODEL / VQ_MODEL handles' `.get()`).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch


@dataclass
class Prompt:
    """Token ids of whole prompts ending where the first image token goes, and which of them to attend to."""

    ids: torch.Tensor  # int64 [B, T]
    mask: torch.Tensor  # int64 [B, T], 0 = left padding

    @property
    def batch(self) -> int:
        return self.ids.shape[0]

    def repeat(self, times: int) -> Prompt:
        return Prompt(self.ids.repeat(times, 1), self.mask.repeat(times, 1))


def stack_prompts(prompts: list[Prompt], pad_id: int) -> Prompt:
    """Rows of several prompts in one batch, left-padded (and masked) to the longest."""
    length = max(p.ids.shape[1] for p in prompts)
    ids, masks = [], []
    for p in prompts:
        extra = length - p.ids.shape[1]
        ids.append(torch.nn.functional.pad(p.ids, (extra, 0), value=pad_id))
        masks.append(torch.nn.functional.pad(p.mask, (extra, 0), value=0))
    return Prompt(torch.cat(ids), torch.cat(masks))


@dataclass
class ArModel:
    """A causal transformer seen as: embed prompt ids, embed image codes, run the backbone, score codes."""

    name: str
    codebook: str  # which VQ codebook the model writes; must match the IMAGE_TOKENS it is given
    tokenizer_id: str  # which vocabulary TEXT_TOKENS must come from
    grid: tuple[int, int]
    pad_id: int
    tokenize: Callable[[list[str]], dict[str, Any]]  # captions -> TEXT_TOKENS
    prompt: Callable[[dict[str, Any]], Prompt]  # TEXT_TOKENS -> prompt rows ending in begin-of-image
    unconditional: Callable[[Prompt], Prompt]  # the "no caption" prompt rows matching the given ones
    embed_text: Callable[[torch.Tensor], torch.Tensor]
    embed_codes: Callable[[torch.Tensor], torch.Tensor]
    backbone: torch.nn.Module  # a transformers base model: inputs_embeds -> last_hidden_state, cache
    code_logits: Callable[[torch.Tensor], torch.Tensor]  # hidden [B, D] -> [B, codebook_size]
    module: torch.nn.Module  # the whole model: device moves, memory accounting, `generate` comparisons

    # parameters() and to() let the model manager measure and offload this handle like a module.
    def parameters(self):
        return self.module.parameters()

    def buffers(self):
        return self.module.buffers()

    def to(self, *args: Any, **kwargs: Any) -> ArModel:
        self.module.to(*args, **kwargs)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def forward(self, embeds: torch.Tensor, mask: torch.Tensor | None, positions: torch.Tensor,
                cache: Any | None, use_cache: bool, every: bool = False) -> tuple[torch.Tensor, Any]:
        """Hidden state after the last input position ([B, D]; after every input position, [B, T, D], with
        `every`), and the updated KV cache (None without one)."""
        keyword = self.cache_keyword
        out = self.backbone(inputs_embeds=embeds, attention_mask=mask, position_ids=positions,
                            use_cache=use_cache, **{keyword: cache})
        hidden = out.last_hidden_state if every else out.last_hidden_state[:, -1]
        return hidden, out[keyword] if use_cache else None

    # Read once per model, not on every forward pass of the sampling loop.
    @cached_property
    def cache_keyword(self) -> str:
        """The name the backbone's forward gives its KV cache: `cache` from transformers 5.x on,
        `past_key_values` before. The old name still works on 5.x but logs a deprecation warning into every AR
        run's output."""
        return "cache" if "cache" in inspect.signature(self.backbone.forward).parameters else "past_key_values"


@dataclass
class VqCodec:
    """A VQ image tokenizer: IMAGE [B,H,W,C] 0..1 <-> codebook indices [B,h,w]."""

    name: str
    codebook: str
    grid: tuple[int, int]
    image_size: int
    encode_fn: Callable[[torch.Tensor], torch.Tensor]  # [-1,1] NCHW -> int64 [B, h, w]
    decode_fn: Callable[[torch.Tensor], torch.Tensor]  # int64 [B, h, w] -> [-1,1] NCHW
    module: torch.nn.Module

    def parameters(self):
        return self.module.parameters()

    def buffers(self):
        return self.module.buffers()

    def to(self, *args: Any, **kwargs: Any) -> VqCodec:
        self.module.to(*args, **kwargs)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.module.parameters()).dtype

    @torch.no_grad()
    def encode(self, image: torch.Tensor) -> torch.Tensor:
        pixels = image[..., :3].permute(0, 3, 1, 2).to(self.device, self.dtype) * 2 - 1
        return self.encode_fn(pixels).to("cpu", torch.int64)

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        pixels = self.decode_fn(codes.to(self.device))
        return ((pixels.float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().contiguous()


def codebook_id(name: str, embedding: torch.Tensor) -> str:
    """Identity of a codebook from its vectors, so tokens from a different VQ are caught even under one name."""
    digest = hashlib.sha256(embedding.detach().float().cpu().numpy().tobytes()).hexdigest()[:12]
    return f"{name}@{digest}"


def tokenizer_id(name: str, tokenizer: Any) -> str:
    """Identity of a vocabulary, so the same tokenizer saved in two folders is recognised as one."""
    vocab = sorted(tokenizer.get_vocab().items())
    return f"{name}@{hashlib.sha256(repr(vocab).encode()).hexdigest()[:12]}"


def sliced_head(head: torch.nn.Linear, start: int, count: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Logits of vocabulary rows start..start+count only: image codes are all that may follow <boi>.
    Sliced at call time, so the head follows the model when the manager moves it between devices."""

    def logits(hidden: torch.Tensor) -> torch.Tensor:
        bias = head.bias[start:start + count] if head.bias is not None else None
        return torch.nn.functional.linear(hidden, head.weight[start:start + count], bias)

    return logits


def text_tokens(tokenizer: Any, tokenizer_name: str, ids: list[list[int]]) -> dict[str, Any]:
    """TEXT_TOKENS (nodes/types.py) for rows of ids, right-padded to one length."""
    pad = tokenizer.pad_token_id or 0
    length = max((len(row) for row in ids), default=0)
    input_ids = torch.tensor([row + [pad] * (length - len(row)) for row in ids], dtype=torch.long)
    mask = torch.tensor([[1] * len(row) + [0] * (length - len(row)) for row in ids], dtype=torch.long)
    return {"input_ids": input_ids, "attention_mask": mask, "tokenizer": tokenizer_name,
            "tokens": [tokenizer.convert_ids_to_tokens(row) for row in ids]}
