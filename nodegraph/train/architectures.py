"""Model shapes: the configs of every shipped model, sized from measured CPU throughput (see bench/README.md).

Convolution cost at full 64x64 resolution dominates the autoencoders, so their first level is narrow;
the UNet works on a 16x16x4 latent with three levels (16, 8, 4), cross-attention at the lower two.
"""

from __future__ import annotations

from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel, VQModel
from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaForCausalLM

LATENT_CHANNELS = 4
LATENT_SIZE = 16
# Flat colours and their edges need few codes; a larger codebook split each flat background into dozens
# of near-identical codes the transformer then had to guess between (bench/README.md).
CODEBOOK_SIZE = 128
TEXT_WIDTH = 128
_AUTOENCODER_CHANNELS = (16, 32, 64)


def build_vae() -> AutoencoderKL:
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS, sample_size=64,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=_AUTOENCODER_CHANNELS, layers_per_block=1, norm_num_groups=8,
    )


def build_vq() -> VQModel:
    return VQModel(
        # Same encoder/decoder as the VAE, so it can start from the VAE's weights (see train_vq.py).
        in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS, vq_embed_dim=LATENT_CHANNELS,
        num_vq_embeddings=CODEBOOK_SIZE, sample_size=64,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=_AUTOENCODER_CHANNELS, layers_per_block=1, norm_num_groups=8,
    )


def build_text_encoder(vocab_size: int, pad_id: int, bos_id: int, eos_id: int, max_length: int) -> CLIPTextModel:
    return CLIPTextModel(CLIPTextConfig(
        vocab_size=vocab_size, hidden_size=TEXT_WIDTH, intermediate_size=TEXT_WIDTH * 2,
        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=max_length,
        projection_dim=TEXT_WIDTH, pad_token_id=pad_id, bos_token_id=bos_id, eos_token_id=eos_id,
    ))


def build_unet() -> UNet2DConditionModel:
    return UNet2DConditionModel(
        sample_size=LATENT_SIZE, in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS,
        block_out_channels=(32, 64, 96), layers_per_block=1, norm_num_groups=16,
        # Attention at 16x16 tripled the step time; at 8x8 and 4x4 it still places shapes from the text.
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_WIDTH, attention_head_dim=4,
    )


def build_controlnet(unet: UNet2DConditionModel) -> ControlNetModel:
    # Two stride-2 convolutions bring the 64x64 control image to the 16x16 latent grid.
    return ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(16, 32, 64))


def build_ar(vocab_size: int, max_positions: int) -> LlamaForCausalLM:
    return LlamaForCausalLM(LlamaConfig(
        vocab_size=vocab_size, hidden_size=192, intermediate_size=512, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=max_positions,
        tie_word_embeddings=True, pad_token_id=0, bos_token_id=2, eos_token_id=None,
    ))
