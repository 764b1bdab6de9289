"""SD3 / SD3.5 ControlNets (diffusers' SD3ControlNetModel) as single .safetensors files, as ComfyUI keeps them in
models/controlnet: recognised by their keys, the config derived from the tensors' shapes, built without a random
initialisation. Two layouts exist: diffusers' own (InstantX's SD3 ControlNets, saved as one file) and Stability's
SD3.5 one (sd3.5_large_controlnet_blur / canny / depth, which ComfyUI repackages unchanged): diffusers' names for
the embedders and the ControlNet blocks, the original MMDiT names inside the transformer blocks.

diffusers has no single-file loader for this class (from_single_file refuses it); Stability's block names are
renamed as diffusers' conversion script for these files does (scripts/convert_sd3_controlnet_to_diffusers.py: one
fused qkv split into to_q / to_k / to_v, four renames). Heads are 64 wide, as in every released SD3 model."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diffusion.derive import HEAD_WIDTH, DeriveError

if TYPE_CHECKING:
    import torch

MARK, INPUT = "controlnet_blocks.0.weight", "pos_embed_input.proj.weight"
_STABILITY = "transformer_blocks.0.adaLN_modulation.1.bias"
_POOLED = "time_text_embed.text_embedder.linear_1.weight"
# Stability's names of an SD3.5 ControlNet block's parts -> diffusers' (SD3SingleTransformerBlock).
_BLOCK = {"adaLN_modulation.1": "norm1.linear", "attn.proj": "attn.to_out.0", "mlp.fc1": "ff.net.0.proj",
          "mlp.fc2": "ff.net.2"}


def is_sd3(keys: set[str]) -> bool:
    """Whether a file's keys are an SD3 ControlNet's (either layout)."""
    return MARK in keys and INPUT in keys


def _unused(key: str) -> bool:
    """Keys of Stability's files that the model does not use: the control type (which ComfyUI reads to preprocess
    canny / depth images) and a patch embedder, which these ControlNets take from the transformer they guide."""
    return key in ("control_type", "pos_embed") or key.startswith(("x_embedder.", "pos_embed."))


def _shape(weights: Any, key: str) -> tuple[int, ...]:
    found = weights.shape(key)
    if found is None:
        raise DeriveError(f"it has no {key}: not a whole SD3 ControlNet")
    return tuple(found)


def config(weights: Any) -> dict[str, Any]:
    """SD3ControlNetModel's config from the shapes of a file in either layout."""
    keys = weights.keys_set
    inner = _shape(weights, MARK)[0]
    control_in, patch = _shape(weights, INPUT)[1], _shape(weights, INPUT)[-1]
    pooled = _shape(weights, _POOLED)
    if inner % HEAD_WIDTH or pooled[0] != inner:
        raise DeriveError(f"its blocks are {inner} wide: not an SD3 ControlNet of {HEAD_WIDTH}-wide heads")
    layers = 1 + max(int(k.split(".")[1]) for k in keys if k.startswith("controlnet_blocks."))
    common = {"_class_name": "SD3ControlNetModel", "patch_size": patch, "num_layers": layers,
              "attention_head_dim": HEAD_WIDTH, "num_attention_heads": inner // HEAD_WIDTH,
              "pooled_projection_dim": pooled[1]}
    if _STABILITY in keys:
        if pooled[1] == inner:
            raise DeriveError("its pooled embedder takes the transformer's own pooled embedding (a second "
                              "y-embedding), which diffusers' SD3ControlNetModel has no place for")
        return {**common, "in_channels": control_in, "out_channels": control_in, "joint_attention_dim": None,
                "caption_projection_dim": inner, "pos_embed_max_size": None, "pos_embed_type": None,
                "use_pos_embed": False, "force_zeros_for_pooled_projection": False}
    own_patches = "pos_embed.proj.weight" in keys
    in_channels = _shape(weights, "pos_embed.proj.weight")[1] if own_patches else control_in
    table = math.isqrt(_shape(weights, "pos_embed.pos_embed")[1]) if own_patches else None
    context = weights.shape("context_embedder.weight")
    norm_q = "transformer_blocks.0.attn.norm_q.weight" in keys
    return {**common, "in_channels": in_channels, "out_channels": in_channels,
            "extra_conditioning_channels": control_in - in_channels,
            "joint_attention_dim": None if context is None else context[1],
            "caption_projection_dim": inner if context is None else context[0], "pos_embed_max_size": table,
            "pos_embed_type": "sincos" if own_patches else None, "use_pos_embed": own_patches,
            # InstantX's SD3 ControlNets (the ones with a text stream) take zeros for the pooled embedding
            "force_zeros_for_pooled_projection": context is not None,
            "qk_norm": None if not norm_q else "layer_norm" if "transformer_blocks.0.attn.norm_q.bias" in keys
            else "rms_norm",
            "dual_attention_layers": sorted({int(k.split(".")[1]) for k in keys
                                             if k.startswith("transformer_blocks.") and ".attn2." in k})}


def state(weights: Any) -> dict[str, torch.Tensor]:
    """The file's tensors under diffusers' names."""
    if _STABILITY not in weights.keys_set:
        return {key: weights[key] for key in weights}
    out = {}
    for key in weights:
        if _unused(key):
            continue
        if not key.startswith("transformer_blocks."):
            out[key] = weights[key]
            continue
        _, index, rest = key.split(".", 2)
        part, suffix = rest.rsplit(".", 1)
        head = f"transformer_blocks.{index}."
        if part == "attn.qkv":
            for name, chunk in zip(("to_q", "to_k", "to_v"), weights[key].chunk(3), strict=True):
                out[f"{head}attn.{name}.{suffix}"] = chunk
        elif part in _BLOCK:
            out[f"{head}{_BLOCK[part]}.{suffix}"] = weights[key]
        else:
            raise DeriveError(f"{key} is no part of an SD3.5 ControlNet block")
    return out


def loader(path: Path) -> tuple[dict[str, Any], Callable[[torch.device, torch.dtype], Any]]:
    """(config, model-manager loader) of an SD3 ControlNet file; DeriveError when its shapes do not fit."""
    from ..diffusion import parts

    derived = config(parts.open_file(path))

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        from accelerate import init_empty_weights
        from diffusers import SD3ControlNetModel

        tensors = state(parts.open_file(path))
        with init_empty_weights():  # no random weights drawn only to be overwritten
            module = SD3ControlNetModel.from_config(derived)
        expected = set(module.state_dict())
        missing, extra = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        if missing or extra:
            raise DeriveError(f"its tensors do not fit an SD3 ControlNet of its shapes (missing {missing[:3]}, "
                              f"unexpected {extra[:3]})")
        module.load_state_dict(tensors, strict=True, assign=True)
        return module.to(device=device, dtype=dtype).eval()

    return derived, load
