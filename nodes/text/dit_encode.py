"""Prompts for the flow-matching transformers, encoded exactly as their diffusers pipelines encode them.

SD3 (StableDiffusion3Pipeline.encode_prompt): CLIP-L's and CLIP-G's penultimate hidden states side by side, their
projections side by side as the pooled embedding, and T5's last hidden state (256 tokens); the SD3 architecture
pads the CLIP part to T5's width and puts it before T5's tokens (dit.py). Flux (FluxPipeline.encode_prompt):
CLIP-L's pooled output only, and T5's last hidden state (512 tokens) as the context."""

from __future__ import annotations

from typing import Any

import torch

from . import embeddings


def _clip(encoder: Any, ids: torch.Tensor, layer: int | None, style: str) -> tuple[Any, torch.Tensor]:
    """(hidden states or None, pooled) of one CLIP tower."""
    if style == "flux":
        return None, encoder(ids, output_hidden_states=False).pooler_output.to(dtype=encoder.dtype)
    output = encoder(ids, output_hidden_states=True)
    return output.hidden_states[layer or -2].to(dtype=encoder.dtype), output[0]


def encode(clip: Any, encoders: list[Any], parts: list[dict[str, Any]]) -> list[list[Any]]:
    """CONDITIONING for each prompt of the batch: [context, extras], the context as the transformer attends to it
    (so ConditioningAverage / Concat / ZeroOut work on it as on SD's); extras carry the family, whether a T5
    encoded it, T5's token count and the pooled embedding."""
    states, pooled, t5 = [], [], None
    for tower, encoder, part in zip(clip.towers, encoders, parts, strict=True):
        ids = part["input_ids"].to(clip.encoder.device)
        with embeddings.injected(encoder, part.get("inject")):
            if tower.t5:
                t5 = encoder(ids)[0].to(dtype=encoder.dtype)
                continue
            hidden, pooled_here = _clip(encoder, ids, clip.layer, clip.style)
        if hidden is not None:
            states.append(hidden)
        pooled.append(pooled_here)
    joined = torch.cat(pooled, dim=-1)
    clip_states = torch.cat(states, dim=-1) if states else None
    t5_length = next((tower.max_length for tower in clip.towers if tower.t5), None) or 256
    entries = []
    for i in range(joined.shape[0]):
        own_t5 = None if t5 is None else t5[i:i + 1].cpu()
        own_clip = None if clip_states is None else clip_states[i:i + 1].cpu()
        if clip.style == "flux":
            context = own_t5 if own_t5 is not None else joined[i:i + 1, None].cpu()
        elif own_t5 is not None:
            context = torch.cat([torch.nn.functional.pad(own_clip, (0, own_t5.shape[-1] - own_clip.shape[-1])),
                                 own_t5], dim=-2)
        else:  # SD3 without T5: the CLIP part alone; the architecture adds the zeros in T5's place
            context = own_clip
        entries.append([context, {"family": clip.style, "t5": own_t5 is not None, "t5_length": t5_length,
                                  "pooled_output": joined[i:i + 1].cpu()}])
    return entries
