"""SD3 ControlNets inside the SD3 model call: the control image VAE-encoded into the latent space once per sampling
run, and at each step the block residuals (block_controlnet_hidden_states) of every applied ControlNet, computed
as StableDiffusion3ControlNetPipeline computes them: strength as its controlnet_conditioning_scale, start / end as
its control_guidance_start / end, InstantX-style ControlNets (a text stream of their own) with a zero pooled
embedding and unshifted latents, Stability's SD3.5 ones on the transformer's own patch embedding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from nodegraph import NodeError

from .control import ControlSpec, hint_for


def _width(config: Any) -> int:
    return int(config.num_attention_heads) * int(config.attention_head_dim)


def check(chain: list[ControlSpec], transformer: Any, input_name: str) -> None:
    """NodeError on the sampler's input unless every ControlNet of the chain is an SD3 one that fits this model."""
    blocks = set()
    for spec in chain:
        name = spec.controlnet.name
        if spec.controlnet.family != "sd3":
            raise NodeError(input_name, f"the ControlNet {name!r} is for SD 1.x/2.x/SDXL models; an SD3 model takes "
                                        "SD3 ControlNets (SD3ControlNetModel)")
        if spec.vae is None:
            raise NodeError(input_name, f"the SD3 ControlNet {name!r} was applied without a VAE to encode its image")
        net, model = spec.controlnet.get().config, transformer.config
        sizes = [("width", _width(net), _width(model)), ("patch size", net.patch_size, model.patch_size),
                 ("pooled width", net.pooled_projection_dim, model.pooled_projection_dim)]
        if net.joint_attention_dim is not None:
            sizes.append(("text width", net.joint_attention_dim, model.joint_attention_dim))
        if net.use_pos_embed:
            sizes.append(("latent channels", net.in_channels, model.in_channels))
        for what, theirs, ours in sizes:
            if theirs != ours:
                raise NodeError(input_name, f"the ControlNet {name!r} does not fit this SD3 model: its {what} is "
                                            f"{theirs}, the model's {ours} (a ControlNet for another SD3 model?)")
        blocks.add(int(net.num_layers))
    if len(blocks) > 1:
        raise NodeError(input_name, f"its SD3 ControlNets have different block counts ({sorted(blocks)}): their "
                                    "residuals cannot be summed")


@dataclass
class _Applied:
    spec: ControlSpec
    net: Any
    hint: torch.Tensor  # the control image's latent, one per row of its group


@dataclass
class _Group:
    """Prompts (their rows of the model batch) that share one ControlNet chain."""

    rows: slice | torch.Tensor
    applied: list[_Applied]


def _encode(spec: ControlSpec, latent: torch.Tensor) -> torch.Tensor:
    """The control image resized to the latent's pixel size and encoded as the pipeline does (`spec.scale`)."""
    factor = spec.vae.factor
    pixels = hint_for(spec, latent.shape[0], latent.shape[2] * factor, latent.shape[3] * factor,
                      torch.device("cpu"), torch.float32)
    return spec.vae.encode(pixels.movedim(1, -1), spec.scale)


class Controls:
    """The block residuals of each prompt's ControlNet chain (prompts in the model batch's order, `batch` rows
    each), or None at a step where none is active."""

    def __init__(self, transformer: Any, chains: list[list[ControlSpec]], latent: torch.Tensor) -> None:
        from ..diffusion.unet import param_dtype

        self.transformer, self.rows = transformer, len(chains) * latent.shape[0]
        self.dtype = param_dtype(transformer)
        batch, groups, hints = latent.shape[0], {}, {}
        for i, chain in enumerate(chains):
            if chain:
                groups.setdefault(tuple(id(spec) for spec in chain), (chain, []))[1].append(i)
        self.groups = []
        for chain, prompts in groups.values():
            rows = torch.cat([torch.arange(i * batch, (i + 1) * batch) for i in prompts])
            applied = []
            for spec in chain:
                if id(spec) not in hints:
                    hints[id(spec)] = _encode(spec, latent)
                net = spec.controlnet.get()
                hint = hints[id(spec)].repeat(len(prompts), 1, 1, 1).to(latent.device, param_dtype(net))
                applied.append(_Applied(spec, net, hint))
            self.groups.append(_Group(slice(None) if len(rows) == self.rows else rows, applied))
        counts = {len(a.net.controlnet_blocks) for g in self.groups for a in g.applied}
        if len(counts) > 1:
            raise NodeError("negative", f"the positive's and the negative's SD3 ControlNets have different block "
                                        f"counts ({sorted(counts)}): their residuals cannot be batched")

    def __call__(self, model_in: torch.Tensor, timestep: torch.Tensor, context: torch.Tensor, pooled: torch.Tensor,
                 index: int, total: int) -> list[torch.Tensor] | None:
        merged: list[torch.Tensor] | None = None
        for group in self.groups:
            samples = self._group(group, model_in, timestep, context, pooled, index, total)
            if samples is None:
                continue
            if isinstance(group.rows, slice):
                return samples  # one chain for every prompt: the pipeline's single call
            if merged is None:
                merged = [torch.zeros((self.rows, *s.shape[1:]), dtype=s.dtype, device=s.device) for s in samples]
            for whole, part in zip(merged, samples, strict=True):
                whole.index_copy_(0, group.rows.to(whole.device), part)
        return merged

    def _group(self, group: _Group, model_in: torch.Tensor, timestep: torch.Tensor, context: torch.Tensor,
               pooled: torch.Tensor, index: int, total: int) -> list[torch.Tensor] | None:
        rows = group.rows if isinstance(group.rows, slice) else group.rows.to(model_in.device)
        summed: list[torch.Tensor] | None = None
        for item in group.applied:
            if not item.spec.active(index, total):
                continue
            net, config = item.net, item.net.config
            dtype = item.hint.dtype
            hidden = model_in[rows]
            if net.pos_embed is None:  # Stability's SD3.5 ControlNets embed patches with the transformer's own
                hidden = self.transformer.pos_embed(hidden)
            prompt_pooled = pooled[rows]
            out = net(hidden_states=hidden.to(dtype), timestep=timestep[rows],
                      encoder_hidden_states=context[rows].to(dtype) if config.joint_attention_dim else None,
                      pooled_projections=(torch.zeros_like(prompt_pooled) if config.force_zeros_for_pooled_projection
                                          else prompt_pooled).to(dtype),
                      controlnet_cond=item.hint, conditioning_scale=item.spec.strength, return_dict=False)[0]
            out = [sample.to(self.dtype) for sample in out]
            summed = out if summed is None else [a + b for a, b in zip(summed, out, strict=True)]
        return summed
