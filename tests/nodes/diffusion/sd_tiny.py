"""Tiny random Stable Diffusion and ControlNet folders in the standard diffusers layout, for tests.

Same layout and component classes as models/checkpoints/shapes-sd (word-level tokenizer, CLIPTextModel,
AutoencoderKL with downsample 4, UNet2DConditionModel, DDIM v-prediction scheduler), a fraction of the size.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

from nodegraph.train.text_tokenizer import caption_corpus, train_tokenizer, wrap

SCHEDULE = {"num_train_timesteps": 1000, "beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02,
            "prediction_type": "v_prediction", "clip_sample": False}
WIDTH = 32


def _real_size(tokenizer) -> tuple:
    """The shipped model's architectures (nodegraph.train.architectures), with random weights."""
    from nodegraph.train.architectures import build_text_encoder, build_unet, build_vae

    text_encoder = build_text_encoder(len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id,
                                      tokenizer.eos_token_id, tokenizer.model_max_length)
    return text_encoder, build_vae(), build_unet()


def build_pipeline(seed: int = 0, real_size: bool = False) -> StableDiffusionPipeline:
    torch.manual_seed(seed)
    tokenizer = wrap(train_tokenizer(caption_corpus(300, seed=0)))
    if real_size:
        return _assemble(tokenizer, *_real_size(tokenizer))
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=WIDTH, intermediate_size=WIDTH * 2, num_hidden_layers=1,
        num_attention_heads=2, max_position_embeddings=tokenizer.model_max_length, projection_dim=WIDTH,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id))
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, sample_size=64,
                        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
                        block_out_channels=(8, 16, 16), layers_per_block=1, norm_num_groups=8)
    unet = UNet2DConditionModel(sample_size=16, in_channels=4, out_channels=4, block_out_channels=(16, 32),
                                layers_per_block=1, norm_num_groups=8,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
                                cross_attention_dim=WIDTH, attention_head_dim=4)
    return _assemble(tokenizer, text_encoder, vae, unet)


def _assemble(tokenizer, text_encoder, vae, unet) -> StableDiffusionPipeline:
    scheduler = DDIMScheduler(**SCHEDULE, timestep_spacing="trailing", set_alpha_to_one=True, steps_offset=1)
    return StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def build_controlnet(unet: UNet2DConditionModel, seed: int) -> ControlNetModel:
    """A ControlNet whose zero-initialised output convolutions are given random weights, so that (unlike a
    freshly initialised one) it really changes what the UNet produces."""
    torch.manual_seed(seed)
    controlnet = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 16, 16))
    with torch.no_grad():
        for block in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
            block.weight.normal_(0, 0.5)
    return controlnet


def build_models(root: Path, real_size: bool = False) -> StableDiffusionPipeline:
    """models/checkpoints/tiny-sd, models/controlnet/tiny-cn-a and tiny-cn-b under `root`."""
    pipeline = build_pipeline(real_size=real_size)
    pipeline.save_pretrained(str(root / "checkpoints" / "tiny-sd"), safe_serialization=True)
    for offset, name in enumerate(("tiny-cn-a", "tiny-cn-b")):
        build_controlnet(pipeline.unet, seed=1 + offset).save_pretrained(
            str(root / "controlnet" / name), safe_serialization=True)
    return pipeline
