"""The SD 1.x / 2.x / SDXL architecture: a UNet2DConditionModel predicting noise (or v) at a timestep, prompts as
CLIP hidden states (for SDXL-type UNets with the pooled embedding and size ids), ControlNet residuals added.
Mirrors StableDiffusionPipeline's (and the SDXL pipelines') batched CFG operation for operation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from nodegraph import NodeError

from ..controlnet.control import ControlSpec, residuals
from ..types import require_conditioning
from .family import Guidance, Predict

# One prompt: its embedding [1, T, D], its ControlNet chain, and for SDXL-type UNets the added conditioning
# (text_embeds [1, P] and time_ids [1, n], as StableDiffusionXLPipeline passes them), else None.
Prompt = tuple[torch.Tensor, list[ControlSpec], "dict[str, torch.Tensor] | None"]


def param_dtype(module: Any) -> torch.dtype:
    """The weights' dtype; diffusers' `.dtype` walks every submodule, which costs milliseconds per call."""
    weight = next(module.parameters(), None)
    return weight.dtype if weight is not None else torch.float32


@dataclass
class _Prepared:
    """What stays the same at every step: the batched prompt embeddings, and which side each batch part is."""

    prompts: list[Prompt]
    positive: list[bool]
    context: torch.Tensor
    use_cfg: bool
    has_control: bool
    added: dict[str, torch.Tensor] | None = None


def _prepare(unet: Any, guide: Guidance, x: torch.Tensor) -> _Prepared:
    use_cfg = guide.use_cfg
    prompts = [*(guide.negative if use_cfg else []), *guide.positive]
    positive = [False] * (len(guide.negative) if use_cfg else 0) + [True] * len(guide.positive)
    # Prompts of different token counts (a concatenated prompt) repeat to a common length, as ComfyUI does:
    # attention over k copies of the same tokens gives exactly what attention over one copy gives.
    tokens = math.lcm(*(emb.shape[1] for emb, _, _ in prompts))
    dtype = param_dtype(unet)
    context = torch.cat([emb.repeat(x.shape[0], tokens // emb.shape[1], 1) for emb, _, _ in prompts])
    added = None
    if prompts[0][2] is not None:
        added = {name: torch.cat([extra[name].repeat(x.shape[0], 1) for _, _, extra in prompts]).to(x.device, dtype)
                 for name in prompts[0][2]}
    return _Prepared(prompts, positive, context.to(x.device, dtype), use_cfg, any(chain for _, chain, _ in prompts),
                     added)


def side(parts: tuple[torch.Tensor, ...], chosen: list[bool], which: bool) -> torch.Tensor:
    """The prediction of one CFG side: its one prompt's, or the mean over its prompts."""
    picked = [part for part, side in zip(parts, chosen, strict=True) if side == which]
    return picked[0] if len(picked) == 1 else torch.stack(picked).mean(0)


def _merge_residuals(parts: list[Any]) -> dict[str, Any]:
    """Concatenate per-prompt residuals along the batch; a prompt without ControlNet gets zeros."""
    template = next(p for p in parts if p is not None)
    filled = [p if p is not None else ([torch.zeros_like(d) for d in template[0]], torch.zeros_like(template[1]))
              for p in parts]
    down = [torch.cat([p[0][k] for p in filled]) for k in range(len(template[0]))]
    return {"down_block_additional_residuals": down,
            "mid_block_additional_residual": torch.cat([p[1] for p in filled])}


class _Unet:
    name = "SD"
    flow = False

    def geometry(self, unet: Any) -> tuple[int, int]:
        return int(unet.config.in_channels), 2 ** (len(unet.config.block_out_channels) - 1)

    def max_side(self, unet: Any) -> int | None:
        return None

    def sequence_length(self, unet: Any, latent: torch.Tensor) -> int:
        return int(latent.shape[-1] * latent.shape[-2])

    def prompts(self, unet: Any, input_name: str, conditioning: Any, size: tuple[int, int]) -> list[Prompt]:
        """Each prompt of a CONDITIONING (several after ConditioningCombine) with its ControlNet chain and, for an
        SDXL-type UNet, its pooled embedding and size ids (image `size`, pixels, when the prompt gives none)."""
        from .sdxl import added

        entries = require_conditioning(input_name, conditioning)
        made = next((extras["family"] for _, extras in entries if extras.get("family")), None)
        if made is not None:
            raise NodeError(input_name, f"this conditioning was encoded for {made}, not an SD 1.x/2.x/SDXL model: "
                                        "encode the prompt with this model's CLIP")
        widths = {embedding.shape[-1] for embedding, _ in entries}
        if len(widths) > 1:
            raise NodeError(input_name, "its prompts come from text encoders of different widths")
        width = getattr(unet.config, "cross_attention_dim", None)
        if isinstance(width, int) and widths != {width}:
            raise NodeError(input_name, f"its embeddings are {widths.pop()} wide but this model attends to {width}: "
                                        "was it encoded with another checkpoint's CLIP?")
        prompts = []
        for embedding, extras in entries:
            control = extras.get("control")
            wrong = [spec.controlnet.name for spec in control.chain() if spec.controlnet.family != "sd"] \
                if control is not None else []
            if wrong:
                raise NodeError(input_name, f"the ControlNet {wrong[0]!r} is an SD3 ControlNet; an SD 1.x/2.x/SDXL "
                                            "model takes ControlNets of its own family")
            prompts.append((embedding, control.chain() if control is not None else [],
                            added(unet, extras, *size, negative=input_name == "negative", input_name=input_name)))
        return prompts

    def predictor(self, unet: Any, guide: Guidance, x: torch.Tensor) -> Predict:
        prepared = _prepare(unet, guide, x)

        def predict(model_in: torch.Tensor, t: Any, index: int, total: int) -> torch.Tensor:
            batch, count = model_in.shape[0], len(prepared.prompts)
            model_in = torch.cat([model_in] * count) if count > 1 else model_in
            extra: dict[str, Any] = {}
            if prepared.has_control:
                parts = []
                for i, (_, chain, _) in enumerate(prepared.prompts):
                    rows = slice(i * batch, (i + 1) * batch)
                    own = None if prepared.added is None else {k: v[rows] for k, v in prepared.added.items()}
                    parts.append(residuals(chain, model_in[rows], t, prepared.context[rows], index, total, own))
                if any(part is not None for part in parts):
                    extra = _merge_residuals(parts)
            if prepared.added is not None:
                extra["added_cond_kwargs"] = prepared.added
            out = unet(model_in, t, encoder_hidden_states=prepared.context, return_dict=False, **extra)[0]
            parts = out.chunk(count)
            cond = side(parts, prepared.positive, True)
            if prepared.use_cfg:
                uncond = side(parts, prepared.positive, False)
                return uncond + guide.cfg * (cond - uncond)
            return cond

        return predict


UNET = _Unet()
