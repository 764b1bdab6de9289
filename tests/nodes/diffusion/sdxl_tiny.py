"""Tiny random SDXL base and refiner pipelines in diffusers' layout, built the way diffusers' fast tests build
theirs, with CLIP's real BPE tokenizer (the one the project ships). They follow the families' conventions that
single-file loading relies on (64 channels per attention head, 32 norm groups, quick_gelu CLIP-L, gelu OpenCLIP),
and are small enough to draw 1024x1024 on a CPU: attention only where the latent is 32x32 or smaller there."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    EulerDiscreteScheduler,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import AutoTokenizer, CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from nodegraph_nodes.diffusion import standard

TIME_DIM = 8


def clip_tokenizer(family: str = "sdxl", folder: str = "tokenizer"):
    """CLIP's tokenizer as the family's own folder configures it (SDXL's second pads with "!")."""
    with tempfile.TemporaryDirectory() as temp:
        standard.write_clip_tokenizer(Path(temp), standard.read(family, f"{folder}/tokenizer_config.json"))
        return AutoTokenizer.from_pretrained(temp)


def clip_config(hidden: int, layers: int, act: str) -> CLIPTextConfig:
    # bos/eos/pad ids as the real SD configs (eos 2: transformers pools at the highest id, CLIP's <|endoftext|>).
    return CLIPTextConfig(vocab_size=49408, hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
                          num_attention_heads=hidden // 64, max_position_embeddings=77, hidden_act=act,
                          projection_dim=hidden, bos_token_id=0, eos_token_id=2, pad_token_id=1)


def text_encoders(seed: int) -> tuple[CLIPTextModel, CLIPTextModelWithProjection]:
    torch.manual_seed(seed)
    return (CLIPTextModel(clip_config(64, 2, "quick_gelu")),
            CLIPTextModelWithProjection(clip_config(128, 2, "gelu")))


def vae(seed: int) -> AutoencoderKL:
    torch.manual_seed(seed)
    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, sample_size=64,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         block_out_channels=(32, 32, 32, 32), layers_per_block=1, norm_num_groups=32,
                         scaling_factor=0.13025, force_upcast=True)


def base_unet(seed: int) -> UNet2DConditionModel:
    torch.manual_seed(seed)
    return UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, block_out_channels=(32, 32, 64), layers_per_block=1,
        down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"), attention_head_dim=(1, 1, 1),
        transformer_layers_per_block=(1, 1, 2), cross_attention_dim=64 + 128, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=TIME_DIM,
        projection_class_embeddings_input_dim=6 * TIME_DIM + 128, norm_num_groups=32)


def refiner_unet(seed: int) -> UNet2DConditionModel:
    torch.manual_seed(seed)
    return UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, block_out_channels=(32, 32, 64, 64), layers_per_block=1,
        down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"), attention_head_dim=(1, 1, 1, 1),
        transformer_layers_per_block=1, cross_attention_dim=128, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=TIME_DIM,
        projection_class_embeddings_input_dim=5 * TIME_DIM + 128, norm_num_groups=32)


def scheduler() -> EulerDiscreteScheduler:
    return EulerDiscreteScheduler.from_config(standard.read("sdxl", "scheduler/scheduler_config.json"))


def build_sdxl(seed: int = 0) -> tuple[StableDiffusionXLPipeline, StableDiffusionXLImg2ImgPipeline]:
    """The base and its refiner; the refiner shares the base's second text encoder and VAE, as SDXL 1.0's does."""
    text_encoder, text_encoder_2 = text_encoders(seed)
    autoencoder = vae(seed + 1)
    tokenizer_2 = clip_tokenizer("sdxl", "tokenizer_2")
    base = StableDiffusionXLPipeline(vae=autoencoder, text_encoder=text_encoder, text_encoder_2=text_encoder_2,
                                     tokenizer=clip_tokenizer("sdxl", "tokenizer"), tokenizer_2=tokenizer_2,
                                     unet=base_unet(seed + 2), scheduler=scheduler(), add_watermarker=False)
    refiner = StableDiffusionXLImg2ImgPipeline(vae=autoencoder, text_encoder=None, text_encoder_2=text_encoder_2,
                                               tokenizer=None, tokenizer_2=tokenizer_2, unet=refiner_unet(seed + 3),
                                               scheduler=scheduler(), requires_aesthetics_score=True,
                                               force_zeros_for_empty_prompt=False, add_watermarker=False)
    for pipe in (base, refiner):
        pipe.set_progress_bar_config(disable=True)
    return base, refiner


def save_sdxl(root: Path, seed: int = 0) -> tuple[StableDiffusionXLPipeline, StableDiffusionXLImg2ImgPipeline]:
    """models/checkpoints/tiny-sdxl and tiny-sdxl-refiner under `root`, and the two pipelines loaded back from
    there (freshly initialised weights can sit in memory in another layout, which changes float rounding)."""
    built = build_sdxl(seed)
    loaded = []
    for pipe, name in zip(built, ("tiny-sdxl", "tiny-sdxl-refiner"), strict=True):
        pipe.save_pretrained(str(root / "checkpoints" / name), safe_serialization=True)
        again = type(pipe).from_pretrained(str(root / "checkpoints" / name), use_safetensors=True)
        again.set_progress_bar_config(disable=True)
        loaded.append(again)
    return loaded[0], loaded[1]
