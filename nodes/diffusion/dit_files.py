"""SD3 / SD3.5 transformers as single files in their original (MMDiT) layout, as ComfyUI keeps them in
models/diffusion_models: recognised by their keys, the diffusers config derived from the tensors' shapes, and
loaded offline through diffusers' own converter (SD3Transformer2DModel.from_single_file).

The shapes give every size except the head width, which is 64 in every released SD3 / SD3.5 model (as ComfyUI
also assumes). Flux files in the original (BFL) layout are not loaded: diffusers' converter assumes the released
size (3072 wide), so it cannot be checked here on a small model, and a guess would load silently wrong."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from . import derive

_MARK = "joint_blocks.0.x_block.attn.qkv.weight"
_PREFIXES = ("", "model.diffusion_model.")
HEAD_WIDTH = 64


def sd3_prefix(path: Path) -> str | None:
    """The key prefix of an SD3 transformer file ("" or "model.diffusion_model."), or None for another file."""
    from . import parts

    try:
        weights = parts.open_file(path)
    except Exception:  # noqa: BLE001 - not a safetensors file: the caller's other loaders report it
        return None
    return next((p for p in _PREFIXES if p + _MARK in weights), None)


def sd3_config(weights: Any, prefix: str) -> dict[str, Any]:
    """SD3Transformer2DModel's config from the shapes of a file in the original layout."""
    def shape(key: str) -> tuple[int, ...]:
        found = weights.shape(prefix + key)
        if found is None:
            raise derive.DeriveError(f"it has no {prefix + key}: not a whole SD3 transformer")
        return found

    inner, in_channels, patch, _ = shape("x_embedder.proj.weight")
    blocks = [k[len(prefix):].split(".") for k in weights.keys_set if k.startswith(prefix + "joint_blocks.")]
    table = math.isqrt(shape("pos_embed")[1])
    if inner % HEAD_WIDTH or table * table != shape("pos_embed")[1]:
        raise derive.DeriveError(f"it is {inner} wide with {shape('pos_embed')[1]} positions: not an SD3 "
                                 f"transformer of {HEAD_WIDTH}-wide heads and a square position table")
    return {
        "_class_name": "SD3Transformer2DModel", "sample_size": 128, "patch_size": patch, "in_channels": in_channels,
        "num_layers": 1 + max(int(key[1]) for key in blocks), "attention_head_dim": HEAD_WIDTH,
        "num_attention_heads": inner // HEAD_WIDTH, "joint_attention_dim": shape("context_embedder.weight")[1],
        "caption_projection_dim": shape("context_embedder.weight")[0],
        "pooled_projection_dim": shape("y_embedder.mlp.0.weight")[1],
        "out_channels": shape("final_layer.linear.weight")[0] // (patch * patch), "pos_embed_max_size": table,
        "qk_norm": "rms_norm" if any(".attn.ln_q." in k for k in weights.keys_set) else None,
        "dual_attention_layers": sorted({int(key[1]) for key in blocks if len(key) > 3 and key[3] == "attn2"}),
    }


def sd3_transformer(path: Path, prefix: str) -> tuple[dict[str, Any], Callable[[torch.device, torch.dtype], Any]]:
    """(config, model-manager loader) of an SD3 transformer file."""
    from . import parts

    weights = parts.open_file(path)
    config = sd3_config(weights, prefix)

    def build(folder: str, dtype: torch.dtype) -> Any:
        from diffusers import SD3Transformer2DModel

        state = {k: weights[k] for k in weights if k.startswith(prefix)}
        return SD3Transformer2DModel.from_single_file(state, config=folder, subfolder="transformer",
                                                      local_files_only=True, **parts._cast(dtype))

    return config, parts._folder_loader("transformer", config, build)
