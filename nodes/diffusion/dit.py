"""The flow-matching transformers: SD3's MMDiT (SD3Transformer2DModel) and Flux (FluxTransformer2DModel), as
architectures of family.py. Each mirrors its diffusers pipeline's call operation for operation:
StableDiffusion3Pipeline batches [negative, positive] through the transformer (with SD3 ControlNets' block residuals
as StableDiffusion3ControlNetPipeline adds them, ../controlnet/sd3_control.py); FluxPipeline packs the latent into
2x2 patches, takes its distilled guidance as an input and runs a true-CFG negative as a second call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from nodegraph import NodeError

from ..types import require_conditioning
from .family import Guidance, Predict
from .unet import param_dtype, side

# ComfyUI's default distilled guidance when no FluxGuidance node set one.
FLUX_GUIDANCE = 3.5


@dataclass
class DitPrompt:
    context: torch.Tensor  # [1, T, D]: what the transformer attends to
    pooled: torch.Tensor  # [1, P]
    guidance: float | None = None  # Flux's distilled guidance (FluxGuidance)
    control: list[Any] = field(default_factory=list)  # SD3: the ControlNet chain applied to this prompt


def _entries(input_name: str, conditioning: Any, family: str, name: str) -> list[tuple[torch.Tensor, dict]]:
    entries = require_conditioning(input_name, conditioning)
    for _, extras in entries:
        made = extras.get("family")
        if made != family:
            raise NodeError(input_name, f"this conditioning was encoded for {made or 'an SD 1.x/2.x/SDXL'} model, "
                                        f"not {name}: encode the prompt with the {name} model's CLIP")
        control = extras.get("control")
        if control is not None and family != "sd3":
            names = ", ".join(repr(spec.controlnet.name) for spec in control.chain())
            raise NodeError(input_name, f"ControlNet is not supported for {name} models here (applied: {names}; "
                                        "ControlNets guide SD 1.x/2.x/SDXL and SD3 models)")
    return entries


def _chain(module: Any, input_name: str, extras: dict) -> list[Any]:
    """The SD3 ControlNets applied to a prompt, checked against the model."""
    control = extras.get("control")
    if control is None:
        return []
    from ..controlnet.sd3_control import check

    chain = control.chain()
    check(chain, module, input_name)
    return chain


class _SD3:
    name = "SD3"
    flow = True

    def geometry(self, module: Any) -> tuple[int, int]:
        return int(module.config.in_channels), int(module.config.patch_size)

    def max_side(self, module: Any) -> int | None:
        table = module.config.pos_embed_max_size
        return None if table is None else int(table) * int(module.config.patch_size)

    def sequence_length(self, module: Any, latent: torch.Tensor) -> int:
        patch = int(module.config.patch_size)
        return (latent.shape[-2] // patch) * (latent.shape[-1] // patch)

    def prompts(self, module: Any, input_name: str, conditioning: Any, size: tuple[int, int]) -> list[DitPrompt]:
        """SD3's context: CLIP-L and CLIP-G side by side, padded to T5's width, then T5's tokens; without a T5
        (TripleCLIPLoader without one, or a checkpoint without text_encoder_3), zeros as the pipeline uses."""
        width, pooled_width = int(module.config.joint_attention_dim), int(module.config.pooled_projection_dim)
        prompts = []
        for context, extras in _entries(input_name, conditioning, "sd3", self.name):
            if not extras.get("t5") and context.shape[-1] <= width:
                context = torch.cat([torch.nn.functional.pad(context, (0, width - context.shape[-1])),
                                     torch.zeros(context.shape[0], extras["t5_length"], width, dtype=context.dtype)],
                                    dim=-2)
            if context.shape[-1] != width:
                raise NodeError(input_name, f"its text embeddings are {context.shape[-1]} wide but this model attends "
                                            f"to {width}: encoded with another SD3 model's text encoders?")
            pooled = extras["pooled_output"]
            if pooled.shape[-1] != pooled_width:
                raise NodeError(input_name, f"its pooled embedding is {pooled.shape[-1]} wide but this model takes "
                                            f"{pooled_width}: encoded with another SD3 model's CLIP?")
            prompts.append(DitPrompt(context, pooled, control=_chain(module, input_name, extras)))
        return prompts

    def predictor(self, module: Any, guide: Guidance, x: torch.Tensor) -> Predict:
        use_cfg = guide.use_cfg
        prompts = [*(guide.negative if use_cfg else []), *guide.positive]
        chosen = [False] * (len(guide.negative) if use_cfg else 0) + [True] * len(guide.positive)
        dtype, batch, count = param_dtype(module), x.shape[0], len(prompts)
        context = _same_length(prompts).to(x.device, dtype).repeat_interleave(batch, 0)
        pooled = torch.cat([p.pooled for p in prompts]).to(x.device, dtype).repeat_interleave(batch, 0)
        controls = None
        if any(p.control for p in prompts):
            from ..controlnet.sd3_control import Controls

            controls = Controls(module, [p.control for p in prompts], x)

        def predict(model_in: torch.Tensor, t: Any, index: int, total: int) -> torch.Tensor:
            model_in = torch.cat([model_in] * count) if count > 1 else model_in
            timestep = t.expand(model_in.shape[0])
            residuals = None if controls is None else controls(model_in, timestep, context, pooled, index, total)
            out = module(hidden_states=model_in, timestep=timestep, encoder_hidden_states=context,
                         pooled_projections=pooled, block_controlnet_hidden_states=residuals, return_dict=False)[0]
            parts = out.chunk(count)
            cond = side(parts, chosen, True)
            if use_cfg:
                uncond = side(parts, chosen, False)
                return uncond + guide.cfg * (cond - uncond)
            return cond

        return predict


def _same_length(prompts: list[DitPrompt]) -> torch.Tensor:
    lengths = {p.context.shape[1] for p in prompts}
    if len(lengths) > 1:  # a concatenated prompt: pad with zeros as unused T5 positions are
        longest = max(lengths)
        return torch.cat([torch.nn.functional.pad(p.context, (0, 0, 0, longest - p.context.shape[1]))
                          for p in prompts])
    return torch.cat([p.context for p in prompts])


def pack(latent: torch.Tensor) -> torch.Tensor:
    """[B, C, H, W] -> [B, H/2 * W/2, C*4], as FluxPipeline._pack_latents."""
    b, c, h, w = latent.shape
    return latent.view(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // 2) * (w // 2), c * 4)


def unpack(packed: torch.Tensor, h: int, w: int) -> torch.Tensor:
    b, _, c4 = packed.shape
    return packed.view(b, h // 2, w // 2, c4 // 4, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, c4 // 4, h, w)


def image_ids(h: int, w: int, device: Any, dtype: torch.dtype) -> torch.Tensor:
    """The packed latent's positions (0, row, column), as FluxPipeline._prepare_latent_image_ids."""
    ids = torch.zeros(h // 2, w // 2, 3)
    ids[..., 1] = ids[..., 1] + torch.arange(h // 2)[:, None]
    ids[..., 2] = ids[..., 2] + torch.arange(w // 2)[None, :]
    return ids.reshape(-1, 3).to(device=device, dtype=dtype)


class _Flux:
    name = "Flux"
    flow = True

    def geometry(self, module: Any) -> tuple[int, int]:
        return int(module.config.in_channels) // 4, 2

    def max_side(self, module: Any) -> int | None:
        return None  # rotary positions: any size

    def sequence_length(self, module: Any, latent: torch.Tensor) -> int:
        return (latent.shape[-2] // 2) * (latent.shape[-1] // 2)

    def prompts(self, module: Any, input_name: str, conditioning: Any, size: tuple[int, int]) -> list[DitPrompt]:
        width, pooled_width = int(module.config.joint_attention_dim), int(module.config.pooled_projection_dim)
        prompts = []
        for embedding, extras in _entries(input_name, conditioning, "flux", self.name):
            if not extras.get("t5"):
                raise NodeError(input_name, "Flux needs T5 text embeddings, and this conditioning has none: load "
                                            "its CLIP with a T5 (DualCLIPLoader type flux: clip_l and t5xxl)")
            if embedding.shape[-1] != width or extras["pooled_output"].shape[-1] != pooled_width:
                raise NodeError(input_name, f"its embeddings are {embedding.shape[-1]} wide (pooled "
                                            f"{extras['pooled_output'].shape[-1]}) but this model takes {width} "
                                            f"({pooled_width}): encoded with another Flux model's text encoders?")
            prompts.append(DitPrompt(embedding, extras["pooled_output"], extras.get("guidance", FLUX_GUIDANCE)))
        return prompts

    def predictor(self, module: Any, guide: Guidance, x: torch.Tensor) -> Predict:
        dtype, batch, (h, w) = param_dtype(module), x.shape[0], x.shape[-2:]
        img_ids = image_ids(h, w, x.device, dtype)
        distilled = bool(module.config.guidance_embeds)

        def call(prompt: DitPrompt, packed: torch.Tensor, t: Any) -> torch.Tensor:
            context = prompt.context.to(x.device, dtype).repeat(batch, 1, 1)
            guidance = torch.full([1], prompt.guidance, device=x.device, dtype=torch.float32).expand(batch) \
                if distilled else None
            return module(hidden_states=packed, timestep=t.expand(batch).to(packed.dtype) / 1000, guidance=guidance,
                          pooled_projections=prompt.pooled.to(x.device, dtype).repeat(batch, 1),
                          encoder_hidden_states=context, txt_ids=torch.zeros(context.shape[1], 3, device=x.device,
                                                                             dtype=dtype),
                          img_ids=img_ids, return_dict=False)[0]

        def one_side(prompts: list[DitPrompt], packed: torch.Tensor, t: Any) -> torch.Tensor:
            outs = [call(prompt, packed, t) for prompt in prompts]
            return outs[0] if len(outs) == 1 else torch.stack(outs).mean(0)

        def predict(model_in: torch.Tensor, t: Any, index: int, total: int) -> torch.Tensor:
            packed = pack(model_in)
            out = one_side(guide.positive, packed, t)
            if guide.use_cfg:  # FluxPipeline's true CFG: the negative as a second call
                negative = one_side(guide.negative, packed, t)
                out = negative + guide.cfg * (out - negative)
            return unpack(out, h, w)

        return predict


SD3 = _SD3()
FLUX = _Flux()
