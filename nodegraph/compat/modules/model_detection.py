"""ComfyUI's `comfy.model_detection`: a UNet's architecture read from the names and shapes of its weights
(a state dict, or a safetensors header's shapes), without loading any of them.

Covers the Stable Diffusion UNet layout (`input_blocks` / `middle_block` / `output_blocks`, as single-file
SD 1.x, 2.x and SDXL checkpoints store it); other architectures give None, as an unknown model does.
"""

from __future__ import annotations

import re
from typing import Any

from . import supported_models

__all__ = ["detect_unet_config", "model_config_from_unet_config", "count_blocks"]

_BLOCK = re.compile(r"^(input_blocks|output_blocks)\.(\d+)\.(\d+)\.(.*)$")
_DEPTH = re.compile(r"^transformer_blocks\.(\d+)\.")


def count_blocks(state_dict_keys: Any, prefix_string: str) -> int:
    """How many consecutive numbered blocks `prefix_string.format(n)` starts keys for."""
    count = 0
    while any(key.startswith(prefix_string.format(count)) for key in state_dict_keys):
        count += 1
    return count


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(getattr(value, "shape", ()) or ())


def _blocks(state_dict: dict[str, Any], prefix: str) -> dict[tuple[str, int], dict[str, Any]]:
    """Per (input|output block, index): its layers' keys, transformer depth and downsampling, in one pass."""
    blocks: dict[tuple[str, int], dict[str, Any]] = {}
    for key in state_dict:
        if not key.startswith(prefix):
            continue
        match = _BLOCK.match(key[len(prefix):])
        if match is None:
            continue
        where, index, layer, rest = match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)
        block = blocks.setdefault((where, index), {"depth": 0, "down": False, "keys": {}})
        block["keys"][f"{layer}.{rest}"] = state_dict[key]
        depth = _DEPTH.match(rest)
        if depth is not None and layer == 1:
            block["depth"] = max(block["depth"], int(depth.group(1)) + 1)
        if layer == 0 and rest.startswith("op."):
            block["down"] = True
    return blocks


def detect_unet_config(state_dict: dict[str, Any], key_prefix: str, metadata: Any = None) -> dict[str, Any] | None:
    """The architecture values of the UNet under `key_prefix`, or None when it is not one."""
    conv_in = _shape(state_dict.get(f"{key_prefix}input_blocks.0.0.weight"))
    if len(conv_in) != 4:
        return None
    model_channels, in_channels = conv_in[0], conv_in[1]
    out = _shape(state_dict.get(f"{key_prefix}out.2.weight"))
    label = _shape(state_dict.get(f"{key_prefix}label_emb.0.0.weight"))
    config: dict[str, Any] = {"in_channels": in_channels, "model_channels": model_channels,
                              "out_channels": out[0] if out else in_channels,
                              "adm_in_channels": label[1] if label else None, "context_dim": None,
                              "use_linear_in_transformer": False, "use_temporal_attention": False,
                              "use_temporal_resblock": False, "legacy": False}
    blocks = _blocks(state_dict, key_prefix)
    _read_levels(blocks, model_channels, config)
    outputs = sorted(index for where, index in blocks if where == "output_blocks")
    config["transformer_depth_output"] = [blocks[("output_blocks", i)]["depth"] for i in outputs]
    middle = f"{key_prefix}middle_block.1."
    depths = [_DEPTH.match(k[len(middle):]) for k in state_dict if k.startswith(middle)]
    config["transformer_depth_middle"] = max((int(m.group(1)) + 1 for m in depths if m), default=-1)
    config["use_spatial_transformer"] = config["context_dim"] is not None
    return config


def _read_levels(blocks: dict[tuple[str, int], dict[str, Any]], model_channels: int,
                 config: dict[str, Any]) -> None:
    """channel_mult and num_res_blocks per level, transformer_depth per residual block: a downsampling
    block closes a level."""
    channel_mult: list[int] = []
    num_res_blocks: list[int] = []
    depths: list[int] = []
    in_level = 0
    index = 1
    while ("input_blocks", index) in blocks:
        block = blocks[("input_blocks", index)]
        index += 1
        if block["down"]:
            num_res_blocks.append(in_level)
            in_level = 0
            continue
        if in_level == 0:
            width = _shape(block["keys"].get("0.out_layers.3.weight"))
            channel_mult.append(width[0] // model_channels if width else 1)
        in_level += 1
        depths.append(block["depth"])
        _read_transformer(block["keys"], config)
    num_res_blocks.append(in_level)
    config.update(channel_mult=channel_mult, num_res_blocks=num_res_blocks, transformer_depth=depths)


def _read_transformer(keys: dict[str, Any], config: dict[str, Any]) -> None:
    if any(key.startswith("0.time_stack.") for key in keys):
        config["use_temporal_resblock"] = True
    if any(key.startswith("1.time_stack.") for key in keys):
        config["use_temporal_attention"] = True
    attn2 = _shape(keys.get("1.transformer_blocks.0.attn2.to_k.weight"))
    if attn2 and config["context_dim"] is None:
        config["context_dim"] = attn2[1]
        config["use_linear_in_transformer"] = len(_shape(keys.get("1.proj_in.weight"))) == 2


def model_config_from_unet_config(unet_config: dict[str, Any], state_dict: Any = None) -> Any:
    """The first supported model family whose identifying values all match, or None."""
    for model in supported_models.models:
        if model.matches(unet_config):
            return model
    return None
