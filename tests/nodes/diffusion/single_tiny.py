"""Tiny random SD 1.x and SD 2.x pipelines that follow their families' conventions (so single-file loading can
derive their configs: 8 UNet heads for SD 1.x, 64 channels per head for SD 2.x, 32 norm groups, CLIP-L quick_gelu
or OpenCLIP gelu, the family's standard scheduler), and writers of single files as other tools save them: a
whole checkpoint without configs, and one part alone (ComfyUI's models/vae, text_encoders, diffusion_models)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.schedulers import DDIMScheduler, PNDMScheduler
from safetensors.torch import save_file
from sdxl_tiny import clip_config, clip_tokenizer
from transformers import CLIPTextModel

from nodegraph_nodes.diffusion import single_file, standard


def build_sd(family: str, seed: int = 0) -> StableDiffusionPipeline:
    torch.manual_seed(seed)
    sd2 = family == "sd2"
    text_encoder = CLIPTextModel(clip_config(64, 2, "gelu" if sd2 else "quick_gelu"))
    # Four levels: SD's factor 8, which a UNet file alone is taken to be trained with.
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(32, 32, 32, 32),
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                        layers_per_block=1, norm_num_groups=32, scaling_factor=0.18215)
    if sd2:
        unet = UNet2DConditionModel(sample_size=16, block_out_channels=(32, 64), layers_per_block=1,
                                    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                    up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(1, 1),
                                    cross_attention_dim=64, use_linear_projection=True, upcast_attention=True)
    else:
        unet = UNet2DConditionModel(sample_size=16, block_out_channels=(32, 64), layers_per_block=1,
                                    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), attention_head_dim=8,
                                    cross_attention_dim=64)
    scheduler_config = standard.read(family, "scheduler/scheduler_config.json")
    scheduler = (DDIMScheduler if sd2 else PNDMScheduler).from_config(scheduler_config)
    return StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=clip_tokenizer(family, "tokenizer"),
                                   unet=unet, scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def text_encoders(pipe: Any) -> dict[str, Any]:
    return {role: module for role in ("text_encoder", "text_encoder_2")
            if (module := getattr(pipe, role, None)) is not None}


def save_checkpoint(path: Path, pipe: Any) -> Path:
    """The whole checkpoint in the LDM layout, with no configs in its metadata (as from A1111 or ComfyUI)."""
    save_file(single_file.to_single_file(pipe.unet, pipe.vae, text_encoders(pipe)), str(path))
    return path


def save_parts(root: Path, pipe: Any, stem: str) -> dict[str, str]:
    """Its VAE, UNet and text encoders as lone files under root's vae/, diffusion_models/ and text_encoders/,
    keyed as ComfyUI's files are (bare LDM keys; CLIP in transformers' layout). Returns part -> file name."""
    names = {}
    weights = single_file.to_single_file(pipe.unet, pipe.vae, text_encoders(pipe))
    for folder, prefix in (("vae", single_file.VAE_PREFIX), ("diffusion_models", single_file.UNET_PREFIX)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        names[folder] = f"{stem}_{folder}.safetensors"
        save_file({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}, str(root / folder /
                                                                                                  names[folder]))
    (root / "text_encoders").mkdir(parents=True, exist_ok=True)
    for role, module in text_encoders(pipe).items():
        names[role] = f"{stem}_{role}.safetensors"
        save_clip(module, root / "text_encoders" / names[role])
    return names


def clip_state(module: Any) -> dict[str, Any]:
    """A CLIP text encoder's weights keyed in transformers' layout, as ComfyUI's clip_l / clip_g files are."""
    return {(k if k.startswith(("text_model.", "text_projection")) else "text_model." + k): v.contiguous()
            for k, v in module.state_dict().items() if "position_ids" not in k}


def save_clip(module: Any, path: Path) -> None:
    save_file(clip_state(module), str(path))


def build_controlnet(pipe: Any, seed: int) -> Any:
    """A ControlNet of the pipeline's UNet with ControlNet 1.x's hint encoder, its zero convolutions given random
    weights so that it changes the image."""
    from diffusers import ControlNetModel

    torch.manual_seed(seed)
    controlnet = ControlNetModel.from_unet(pipe.unet, conditioning_embedding_out_channels=(16, 32, 96, 256))
    with torch.no_grad():
        for block in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
            block.weight.normal_(0, 0.5)
    return controlnet


def save_controlnet(path: Path, controlnet: Any) -> Path:
    """The ControlNet in its original layout, bare as ControlNet 1.1's files (input_hint_block, zero_convs...)."""
    config = dict(controlnet.config)
    config["up_block_types"] = ["CrossAttnUpBlock2D" if kind.startswith("CrossAttn") else "UpBlock2D"
                                for kind in reversed(config["down_block_types"])]
    blocks = 2 * (len(config["conditioning_embedding_out_channels"]) - 1)
    extra = [("controlnet_cond_embedding.conv_in.", "input_hint_block.0."),
             *((f"controlnet_cond_embedding.blocks.{i}.", f"input_hint_block.{2 * (i + 1)}.") for i in range(blocks)),
             ("controlnet_cond_embedding.conv_out.", f"input_hint_block.{2 * (blocks + 1)}."),
             *((f"controlnet_down_blocks.{i}.", f"zero_convs.{i}.0.")
               for i in range(len(controlnet.controlnet_down_blocks))),
             ("controlnet_mid_block.", "middle_block_out.0.")]
    weights = single_file.unet_to_ldm(controlnet.state_dict(), config, prefix="", extra=extra)
    save_file({k: v.contiguous() for k, v in weights.items()}, str(path))
    return path
