"""Configs for single files from other tools, without a hub: which family a file is (from its key layout), and
the diffusers configs of its parts, read from its tensor shapes on top of the family's shipped standard config.

Shapes give every size (channels, levels, depths, widths, vocabulary); they do not give attention heads, norm
groups or activations, which each family fixes: CLIP and OpenCLIP use 64 channels per head, SD 1.x's UNet 8
heads, SD 2.x's and SDXL's 64 channels per head, every UNet and VAE 32 norm groups. A file whose shapes break
its family's rule is refused with the reason (DeriveError)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import standard

Shapes = Callable[[str], "tuple[int, ...] | None"]  # key -> shape, None when the file has no such key
UNET, VAE_PREFIXES = "model.diffusion_model.", ("first_stage_model.", "vae.", "")
TEXT = {  # family -> [(component, key prefix, layout)]
    "sd1": [("text_encoder", "cond_stage_model.transformer.text_model.", "clip")],
    "sd2": [("text_encoder", "cond_stage_model.model.", "open_clip")],
    "sdxl": [("text_encoder", "conditioner.embedders.0.transformer.text_model.", "clip"),
             ("text_encoder_2", "conditioner.embedders.1.model.", "open_clip")],
    "sdxl_refiner": [("text_encoder_2", "conditioner.embedders.0.model.", "open_clip")],
}
CLIP_VOCAB, HEAD_WIDTH, GROUPS = 49408, 64, 32


class DeriveError(ValueError):
    """The file's shapes cannot give a config (a family rule they break, or a part they lack)."""


def family_of(keys: set[str]) -> str | None:
    """sd1, sd2, sdxl or sdxl_refiner by where a checkpoint keeps its text encoders; None for anything else."""
    if not any(k.startswith(UNET) for k in keys):
        return None
    prefixes = {family: parts[0][1] for family, parts in TEXT.items()}
    if any(k.startswith("conditioner.embedders.1.model.") for k in keys):
        return "sdxl"
    for family in ("sdxl_refiner", "sd2", "sd1"):
        if any(k.startswith(prefixes[family]) for k in keys):
            return family
    return None


def _count(keys: set[str], pattern: str) -> int:
    found = {int(m.group(1)) for k in keys if (m := re.match(pattern, k))}
    return max(found) + 1 if found else 0


def _heads(channels: int, what: str) -> int:
    if channels % HEAD_WIDTH:
        raise DeriveError(f"{what} is {channels} wide, not a multiple of {HEAD_WIDTH} channels per attention head "
                          "(the family's rule; heads are not in the tensors)")
    return channels // HEAD_WIDTH


def _groups(channels: list[int], what: str) -> None:
    if any(c % GROUPS for c in channels):
        raise DeriveError(f"{what}'s channels {channels} are not multiples of {GROUPS}, the norm group count its "
                          "family uses (groups are not in the tensors)")


def _down_part(keys: set[str], shape: Shapes, family: str, prefix: str) -> dict[str, Any]:
    """What a UNet and a ControlNet share: levels, channels, attention and depth of the input (down) blocks."""
    blocks = _count(keys, re.escape(prefix) + r"input_blocks\.(\d+)\.")
    levels: list[list[int]] = [[]]
    for block in range(1, blocks):
        if f"{prefix}input_blocks.{block}.0.op.weight" in keys:
            levels.append([])
        else:
            levels[-1].append(block)
    channels = [shape(f"{prefix}input_blocks.{level[0]}.0.out_layers.3.weight")[0] for level in levels]
    attends = [f"{prefix}input_blocks.{level[0]}.1.proj_in.weight" in keys for level in levels]
    depths = [_count(keys, re.escape(f"{prefix}input_blocks.{level[0]}.1.transformer_blocks.") + r"(\d+)\.")
              if attend else 1 for level, attend in zip(levels, attends, strict=True)]
    first = next(level[0] for level, attend in zip(levels, attends, strict=True) if attend)
    _groups(channels, "the UNet")
    attention = shape(f"{prefix}input_blocks.{first}.1.transformer_blocks.0.attn2.to_k.weight")
    part: dict[str, Any] = {
        "in_channels": shape(f"{prefix}input_blocks.0.0.weight")[1], "block_out_channels": channels,
        "layers_per_block": len(levels[0]), "cross_attention_dim": attention[1],
        "down_block_types": ["CrossAttnDownBlock2D" if a else "DownBlock2D" for a in attends],
        "use_linear_projection": len(shape(f"{prefix}input_blocks.{first}.1.proj_in.weight")) == 2}
    if family != "sd1":  # SD 1.x: 8 heads everywhere; the others: 64 channels per head
        part["attention_head_dim"] = [_heads(c, "a UNet level") if a else max(c // HEAD_WIDTH, 1)
                                      for c, a in zip(channels, attends, strict=True)]
    if family.startswith("sdxl") or any(d != 1 for d in depths):
        part["transformer_layers_per_block"] = depths
    adm = shape(f"{prefix}label_emb.0.0.weight")
    if adm is not None:
        part["projection_class_embeddings_input_dim"] = adm[1]
    return part


def unet(keys: set[str], shape: Shapes, family: str, prefix: str = UNET) -> dict[str, Any]:
    """A UNet2DConditionModel config from the openaimodel (LDM) layout."""
    config = standard.read(family, "unet/config.json")
    config.update(_down_part(keys, shape, family, prefix))
    attends = [kind.startswith("CrossAttn") for kind in config["down_block_types"]]
    config.update(out_channels=shape(f"{prefix}out.2.weight")[0],
                  up_block_types=["CrossAttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attends)])
    return config


def controlnet(keys: set[str], shape: Shapes, family: str, prefix: str) -> dict[str, Any]:
    """A ControlNetModel config from ControlNet's original layout: the UNet's down part, plus the hint encoder
    (input_hint_block: a conv in, two convs per stage, a conv out) whose stage widths diffusers calls
    conditioning_embedding_out_channels."""
    config = {k: v for k, v in standard.read(family, "unet/config.json").items()
              if k not in ("up_block_types", "out_channels", "sample_size")}
    config.update(_down_part(keys, shape, family, prefix), _class_name="ControlNetModel")
    convs = _count(keys, re.escape(prefix) + r"input_hint_block\.(\d+)\.")
    if convs != 15:
        raise DeriveError(f"its hint encoder has {convs} layers; the original ControlNet layout that diffusers "
                          "converts has 15 (input_hint_block.0 to .14: 4 stages)")
    widths = [shape(f"{prefix}input_hint_block.{i}.weight")[0] for i in range(0, convs - 1, 2)]
    stages = [widths[0], *widths[2::2]]
    config.update(conditioning_embedding_out_channels=stages,
                  conditioning_channels=shape(f"{prefix}input_hint_block.0.weight")[1])
    return config


def vae(keys: set[str], shape: Shapes, family: str) -> dict[str, Any]:
    """An AutoencoderKL config from the LDM layout (with or without its first_stage_model. prefix)."""
    config = standard.read(family, "vae/config.json")
    prefix = next(p for p in VAE_PREFIXES if f"{p}encoder.conv_in.weight" in keys)
    levels = _count(keys, re.escape(prefix) + r"encoder\.down\.(\d+)\.")
    channels = [shape(f"{prefix}encoder.down.{i}.block.0.conv1.weight")[0] for i in range(levels)]
    _groups(channels, "the VAE")
    per_level = _count(keys, re.escape(prefix) + r"encoder\.down\.0\.block\.(\d+)\.")
    config.update(block_out_channels=channels, layers_per_block=per_level,
                  down_block_types=["DownEncoderBlock2D"] * levels, up_block_types=["UpDecoderBlock2D"] * levels,
                  in_channels=shape(f"{prefix}encoder.conv_in.weight")[1],
                  out_channels=shape(f"{prefix}decoder.conv_out.weight")[0],
                  latent_channels=shape(f"{prefix}decoder.conv_in.weight")[1],
                  # SD3's and Flux's VAEs (16 channels) have no quant convolutions around the latent.
                  use_quant_conv=f"{prefix}quant_conv.weight" in keys,
                  use_post_quant_conv=f"{prefix}post_quant_conv.weight" in keys)
    return config


def text_encoder(keys: set[str], shape: Shapes, family: str, component: str, prefix: str,
                 layout: str) -> dict[str, Any]:
    """A CLIPTextModel(WithProjection) config from CLIP's (transformers) or OpenCLIP's layout."""
    config = standard.read(family, f"{component}/config.json")
    if layout == "clip":
        vocab, width = shape(f"{prefix}embeddings.token_embedding.weight")
        positions = shape(f"{prefix}embeddings.position_embedding.weight")[0]
        layers = _count(keys, re.escape(prefix) + r"encoder\.layers\.(\d+)\.")
        inner = shape(f"{prefix}encoder.layers.0.mlp.fc1.weight")[0]
    else:
        vocab, width = shape(f"{prefix}token_embedding.weight")
        positions = shape(f"{prefix}positional_embedding")[0]
        layers = _count(keys, re.escape(prefix) + r"transformer\.resblocks\.(\d+)\.")
        inner = shape(f"{prefix}transformer.resblocks.0.mlp.c_fc.weight")[0]
        if family == "sd2" and layers == 24 and width == 1024:
            layers = 23  # SD 2.x uses OpenCLIP-H's penultimate layer: the standard config drops the last
        projection = shape(f"{prefix}text_projection")
        if projection is not None and component == "text_encoder_2":
            config["projection_dim"] = projection[1]
    if vocab != CLIP_VOCAB:
        raise DeriveError(f"its {component} has a vocabulary of {vocab} tokens where CLIP's tokenizer has "
                          f"{CLIP_VOCAB}, and a single file carries no tokenizer")
    config.update(vocab_size=vocab, hidden_size=width, max_position_embeddings=positions, num_hidden_layers=layers,
                  intermediate_size=inner, num_attention_heads=_heads(width, f"its {component}"))
    return config


def checkpoint_configs(keys: set[str], shape: Shapes) -> tuple[str, dict[str, dict[str, Any]]]:
    """(family, {relative config path: config}) for a whole checkpoint's UNet, VAE and text encoders."""
    family = family_of(keys)
    if family is None:
        raise DeriveError("its keys are not a Stable Diffusion checkpoint's (SD 1.x, SD 2.x, SDXL or the SDXL "
                          "refiner: model.diffusion_model.* with cond_stage_model.* or conditioner.*)")
    configs = {"unet/config.json": unet(keys, shape, family), "vae/config.json": vae(keys, shape, family)}
    for component, prefix, layout in TEXT[family]:
        configs[f"{component}/config.json"] = text_encoder(keys, shape, family, component, prefix, layout)
    if family in ("sdxl", "sdxl_refiner"):
        _time_ids(configs, family)
    return family, configs


def _time_ids(configs: dict[str, dict[str, Any]], family: str) -> None:
    """SDXL's added embedding takes the pooled projection and 6 (base) or 5 (refiner) time ids; its width
    gives the time-id embedding width."""
    unet_config, pooled = configs["unet/config.json"], configs["text_encoder_2/config.json"]["projection_dim"]
    count = 6 if family == "sdxl" else 5
    width, left = divmod(unet_config["projection_class_embeddings_input_dim"] - pooled, count)
    if left or width <= 0:
        raise DeriveError(f"its UNet's added embedding ({unet_config['projection_class_embeddings_input_dim']} "
                          f"wide) is not {count} time ids plus the {pooled}-wide pooled projection")
    unet_config["addition_time_embed_dim"] = width
