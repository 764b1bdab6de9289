"""Conditioning arithmetic, as ComfyUI's ConditioningAverage, ConditioningCombine, ConditioningConcat and
ConditioningZeroOut.

A CONDITIONING is a list of [embedding [1, tokens, dim], extras]; these nodes change the embeddings and keep
each entry's extras (its ControlNets, pooled output) from the conditioning they start from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import CONDITIONING, require_conditioning

if TYPE_CHECKING:
    import torch


def _fit_tokens(embedding: torch.Tensor, tokens: int) -> torch.Tensor:
    """Cut or zero-pad the token axis to `tokens` (ComfyUI's rule for averaging prompts of other lengths)."""

    import torch

    if embedding.shape[1] >= tokens:
        return embedding[:, :tokens]
    pad = torch.zeros(embedding.shape[0], tokens - embedding.shape[1], embedding.shape[2], dtype=embedding.dtype)
    return torch.cat([embedding, pad], dim=1)


def _same_width(to: torch.Tensor, source: torch.Tensor) -> None:
    if to.shape[-1] != source.shape[-1]:
        raise NodeError("conditioning_from", f"its embeddings are {source.shape[-1]} wide, conditioning_to's "
                                             f"{to.shape[-1]}: they come from different text encoders")


class ConditioningAverage(Node):
    """Blend two prompts: conditioning_to x strength + conditioning_from x (1 - strength)."""

    category = "conditioning"
    display_name = "Conditioning (Average)"
    inputs = {"conditioning_to": In(CONDITIONING), "conditioning_from": In(CONDITIONING),
              "conditioning_to_strength": In.float(1.0, min=0.0, max=1.0, step=0.01)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, conditioning_to: Any, conditioning_from: Any,
            conditioning_to_strength: float) -> tuple[list]:
        to = require_conditioning("conditioning_to", conditioning_to)
        source, source_extras = require_conditioning("conditioning_from", conditioning_from)[0]
        blended = []
        for embedding, extras in to:
            _same_width(embedding, source)
            mixed = embedding * conditioning_to_strength + _fit_tokens(source, embedding.shape[1]) * (
                1.0 - conditioning_to_strength)
            extras = dict(extras)
            pooled, source_pooled = extras.get("pooled_output"), source_extras.get("pooled_output")
            if pooled is not None and source_pooled is not None:
                extras["pooled_output"] = pooled * conditioning_to_strength + source_pooled * (
                    1.0 - conditioning_to_strength)
            blended.append([mixed, extras])
        return (blended,)


class ConditioningConcat(Node):
    """Append conditioning_from's tokens to conditioning_to's (a prompt longer than the encoder's window)."""

    category = "conditioning"
    display_name = "Conditioning (Concat)"
    inputs = {"conditioning_to": In(CONDITIONING), "conditioning_from": In(CONDITIONING)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, conditioning_to: Any, conditioning_from: Any) -> tuple[list]:
        import torch

        to = require_conditioning("conditioning_to", conditioning_to)
        source = require_conditioning("conditioning_from", conditioning_from)[0][0]
        joined = []
        for embedding, extras in to:
            _same_width(embedding, source)
            joined.append([torch.cat([embedding, source.to(embedding.dtype)], dim=1), dict(extras)])
        return (joined,)


class ConditioningZeroOut(Node):
    """The same conditioning with every embedding (and pooled output) set to zero."""

    category = "advanced/conditioning"
    display_name = "Conditioning Zero Out"
    inputs = {"conditioning": In(CONDITIONING)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, conditioning: Any) -> tuple[list]:
        import torch

        zeroed = []
        for embedding, extras in require_conditioning("conditioning", conditioning):
            extras = dict(extras)
            if isinstance(extras.get("pooled_output"), torch.Tensor):
                extras["pooled_output"] = torch.zeros_like(extras["pooled_output"])
            zeroed.append([torch.zeros_like(embedding), extras])
        return (zeroed,)


class ConditioningCombine(Node):
    """Both conditionings at once: the sampler predicts with each prompt and averages the predictions."""

    category = "conditioning"
    display_name = "Conditioning (Combine)"
    inputs = {"conditioning_1": In(CONDITIONING), "conditioning_2": In(CONDITIONING)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, conditioning_1: Any, conditioning_2: Any) -> tuple[list]:
        return ([*require_conditioning("conditioning_1", conditioning_1),
                 *require_conditioning("conditioning_2", conditioning_2)],)


NODES = [ConditioningAverage, ConditioningCombine, ConditioningConcat, ConditioningZeroOut]
