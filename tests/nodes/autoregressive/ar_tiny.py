"""Tiny randomly initialised AR models in their real folder layouts, built at test time (never downloaded).

`build_layout_model` writes the nodegraph-ar layout (transformer/, vq/, tokenizer/, nodegraph_ar.json) the
trainer ships; `build_janus_model` writes a transformers Janus folder. `engine_for` gives a real engine
(model manager included) for a models folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from diffusers import VQModel
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

WORDS = ("a red green blue yellow white black circle square triangle small large at the top bottom left "
         "right center on background cat in").split()
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]


def word_tokenizer(extra_specials: tuple[str, ...] = ()) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    specials = SPECIALS + list(extra_specials)
    tokenizer.train_from_iterator([" ".join(WORDS)], trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", special_tokens=[("<bos>", 2), ("<eos>", 3)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", unk_token="<unk>",
                                   bos_token="<bos>", eos_token="<eos>", model_max_length=8)


def tiny_vq(image_size: int, codebook_size: int, seed: int) -> VQModel:
    torch.manual_seed(seed)
    # Three levels: the grid is image_size / 4, as the shipped 64x64 -> 16x16 model.
    return VQModel(in_channels=3, out_channels=3, latent_channels=4, vq_embed_dim=4,
                   num_vq_embeddings=codebook_size, sample_size=image_size,
                   down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
                   block_out_channels=(8, 8, 8), layers_per_block=1, norm_num_groups=4)


def build_layout_model(folder: Path, image_size: int = 32, codebook_size: int = 64, hidden: int = 64,
                       layers: int = 2, seed: int = 0) -> Path:
    """A nodegraph-ar folder: grid (image_size/4)^2, random weights, the trainer's nodegraph_ar.json keys."""
    tokenizer = word_tokenizer()
    text_vocab, prefix, grid = len(tokenizer), tokenizer.model_max_length, image_size // 4
    layout = {"format": "nodegraph-ar/1", "text_vocab_size": text_vocab, "pad_id": 0, "bos_id": 2,
              "prefix_length": prefix, "boi_id": text_vocab, "eoi_id": text_vocab + 1,
              "image_token_offset": text_vocab + 2, "codebook_size": codebook_size, "grid_height": grid,
              "grid_width": grid, "image_size": image_size, "vocab_size": text_vocab + 2 + codebook_size,
              "sequence_length": prefix + 1 + grid * grid + 1}
    torch.manual_seed(seed)
    lm = LlamaForCausalLM(LlamaConfig(
        vocab_size=layout["vocab_size"], hidden_size=hidden, intermediate_size=hidden * 2,
        num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
        max_position_embeddings=layout["sequence_length"], tie_word_embeddings=True, pad_token_id=0,
        bos_token_id=2, eos_token_id=None))
    folder.mkdir(parents=True, exist_ok=True)
    lm.save_pretrained(str(folder / "transformer"), safe_serialization=True)
    tiny_vq(image_size, codebook_size, seed).save_pretrained(str(folder / "vq"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder / "tokenizer"))
    (folder / "nodegraph_ar.json").write_text(json.dumps(layout, indent=1))
    return folder


def engine_for(registry: Any, models_root: Path, base_dir: Path) -> Any:
    """A real engine whose only model folder is `models_root`."""
    import nodegraph
    from nodegraph.config import Config

    return nodegraph.Engine(Config(base_dir=base_dir, models_dirs=(models_root,)), registry=registry)


JANUS_SPECIALS = ("<begin_of_image>", "<end_of_image>", "<image_placeholder>", "<|User|>:", "<|Assistant|>:")


def build_janus_model(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised JanusForConditionalGeneration in its standard folder layout (config.json,
    model.safetensors, generation_config.json, tokenizer files): a 4x4 code grid, 8x8 pixel images."""
    from transformers import GenerationConfig, JanusConfig, JanusForConditionalGeneration

    tokenizer = word_tokenizer(JANUS_SPECIALS)
    hidden = 32
    boi = tokenizer.convert_tokens_to_ids("<begin_of_image>")
    config = JanusConfig(
        text_config=LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=64,
                                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                                max_position_embeddings=64, pad_token_id=0, bos_token_id=2, eos_token_id=3),
        vision_config={"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": 16,
                       "patch_size": 4, "projection_dim": hidden, "num_image_tokens": 16, "mlp_ratio": 2.0},
        vq_config={"embed_dim": 4, "num_embeddings": 32, "latent_channels": 32, "base_channels": 32,
                   "channel_multiplier": [1, 1], "num_res_blocks": 1, "projection_dim": hidden,
                   "image_token_embed_dim": hidden, "num_hidden_layers": 2},
        image_token_id=tokenizer.convert_tokens_to_ids("<image_placeholder>"))
    torch.manual_seed(seed)
    model = JanusForConditionalGeneration(config)
    model.generation_config = GenerationConfig(bos_token_id=2, pad_token_id=0, eos_token_id=3,
                                               generation_kwargs={"boi_token_id": boi})
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    return folder
