"""Tiny random SD3 ControlNets for the tiny SD3 model (dit_tiny.build_sd3), built as diffusers' fast tests for
StableDiffusion3ControlNetPipeline build theirs (the transformer's sizes, one or two layers), in both kinds that
exist: InstantX's (a text stream of its own, its own patch embedding, a zero pooled embedding) and Stability's
SD3.5 one (single-stream blocks, no context, the transformer's patch embedding). Saved as diffusers folders, as one
file in diffusers' layout and as one file in Stability's layout (as ComfyUI's sd3.5_large_controlnet_blur); and an
SD3 model for them: tiny-sd3 with two transformer layers (the last block of an SD3 transformer takes no residual)
and a narrower VAE whose posterior is sharp, so that the pipeline's unseeded `latent_dist.sample()` of the control image
equals the mode that ComfyUI and the engine take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL, SD3ControlNetModel, StableDiffusion3Pipeline
from dit_tiny import T5_WIDTH, save, sd3_transformer, vae
from safetensors.torch import save_file

DEEP = "tiny-sd3-deep"


def build(seed: int, stability: bool) -> SD3ControlNetModel:
    torch.manual_seed(seed)
    if stability:
        net = SD3ControlNetModel(patch_size=2, in_channels=16, num_layers=1, attention_head_dim=64,
                                 num_attention_heads=1, joint_attention_dim=None, caption_projection_dim=64,
                                 pooled_projection_dim=192, out_channels=16, pos_embed_max_size=None,
                                 pos_embed_type=None, use_pos_embed=False, force_zeros_for_pooled_projection=False)
    else:
        net = SD3ControlNetModel(sample_size=16, patch_size=2, in_channels=16, num_layers=2, attention_head_dim=64,
                                 num_attention_heads=1, joint_attention_dim=T5_WIDTH, caption_projection_dim=64,
                                 pooled_projection_dim=192, out_channels=16, pos_embed_max_size=96)
    # diffusers starts the input embedding and the output blocks at zero (no effect): a trained one has weights.
    with torch.no_grad():
        for weight in [*net.pos_embed_input.parameters(), *net.controlnet_blocks.parameters()]:
            weight.normal_(0.0, 0.5)
    return net


def stability_layout(net: SD3ControlNetModel) -> dict[str, torch.Tensor]:
    """An SD3.5-style ControlNet's weights as Stability's files keep them (diffusers' names for the embedders and
    ControlNet blocks, the MMDiT names inside the blocks, a control_type), the inverse of diffusers' conversion
    script; every weight is used exactly once."""
    theirs = {k: v.clone() for k, v in net.state_dict().items()}
    out = {"control_type": torch.tensor([0], dtype=torch.int32)}
    for i in range(net.config.num_layers):
        block = f"transformer_blocks.{i}."
        for suffix in ("weight", "bias"):
            out[f"{block}attn.qkv.{suffix}"] = torch.cat([theirs.pop(f"{block}attn.to_{p}.{suffix}") for p in "qkv"])
            for original, name in (("adaLN_modulation.1", "norm1.linear"), ("attn.proj", "attn.to_out.0"),
                                   ("mlp.fc1", "ff.net.0.proj"), ("mlp.fc2", "ff.net.2")):
                out[f"{block}{original}.{suffix}"] = theirs.pop(f"{block}{name}.{suffix}")
    out.update(theirs)  # the embedders and the ControlNet blocks keep diffusers' names
    return {k: v.contiguous() for k, v in out.items()}


def sure_vae() -> AutoencoderKL:
    """A narrow SD3 VAE (cheap at sd3.5_large_blur's 1024 pixels) whose encoder's log-variance outputs are -30
    (std 3e-7): sampling its posterior gives its mode."""
    sure = vae(8, 1.5305, 0.0609, width=8)
    channels = sure.config.latent_channels
    with torch.no_grad():
        sure.encoder.conv_out.weight[channels:] = 0.0
        sure.encoder.conv_out.bias[channels:] = -30.0
    return sure


def save_all(root: Path, pipe: Any) -> dict[str, Any]:
    """Under root: checkpoints/tiny-sd3-deep (tiny-sd3 with a two-layer transformer, whose first block takes
    ControlNet residuals, and the sure VAE), controlnet/tiny-sd3-cn and tiny-sd35-cn (folders),
    tiny-sd3-cn.safetensors (diffusers' layout), tiny-sd35-cn.safetensors (Stability's layout). Returns the
    pipeline and the ControlNets as loaded back, by name."""
    loaded: dict[str, Any] = {}
    for name, stability in (("tiny-sd3-cn", False), ("tiny-sd35-cn", True)):
        net = build(7 if stability else 6, stability)
        folder = root / "controlnet" / name
        net.save_pretrained(str(folder), safe_serialization=True)
        loaded[name] = SD3ControlNetModel.from_pretrained(str(folder), use_safetensors=True)
        weights = stability_layout(loaded[name]) if stability else \
            {k: v.contiguous() for k, v in loaded[name].state_dict().items()}
        save_file(weights, str(root / "controlnet" / f"{name}.safetensors"))
    torch.manual_seed(5)
    deep = StableDiffusion3Pipeline(**{**pipe.components, "transformer": sd3_transformer(layers=2),
                                       "vae": sure_vae()})
    loaded[DEEP] = save(deep, root / "checkpoints" / DEEP)
    return loaded
