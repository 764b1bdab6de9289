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


_SD3_CLIPS = (("text_encoder", "text_encoders.clip_l.transformer."),
              ("text_encoder_2", "text_encoders.clip_g.transformer."))


def sd3_checkpoint(manager: Any, path: Path, name: str, input_name: str) -> tuple[Any, Any, Any]:
    """MODEL, CLIP and VAE of a single-file SD3 / SD3.5 checkpoint (ComfyUI's: the transformer under
    model.diffusion_model., the VAE under first_stage_model., clip_l / clip_g under text_encoders.). One that
    bundles T5 is refused: T5's tokenizer is not in the file and cannot be shipped or fetched here."""
    from nodegraph import NodeError

    from ..text.clip import ClipHandle
    from . import parts
    from .dit_parts import _SCALES, _SCHEDULES, clip_file_tower
    from .handles import ModelHandle, VaeHandle
    from .load import load_now

    weights = parts.open_file(path)
    if any(k.startswith("text_encoders.t5xxl.") for k in weights.keys_set):
        raise NodeError(input_name, f"{name!r} bundles a T5 text encoder without its tokenizer (T5's vocabulary is "
                                    "not shipped here): load its transformer with UNETLoader and the text encoders "
                                    "with TripleCLIPLoader, T5 as a transformers folder with its tokenizer")
    missing = [prefix for _, prefix in _SD3_CLIPS if not any(k.startswith(prefix) for k in weights.keys_set)]
    if missing or not any(k.startswith("first_stage_model.") for k in weights.keys_set):
        raise NodeError(input_name, f"{name!r} is an SD3 transformer without its CLIPs or VAE "
                                    f"({', '.join(missing) or 'first_stage_model.'} missing): load it with UNETLoader")
    try:
        config, loader = sd3_transformer(path, "model.diffusion_model.")
        _, vae_loader = parts.vae(path)
    except Exception as exc:  # noqa: BLE001 - a file that breaks SD3's conventions fails in many ways
        raise NodeError(input_name, f"cannot load {name!r} as an SD3 checkpoint: {exc}") from None
    model = ModelHandle(manager, f"{path}/transformer", loader, "checkpoints", f"{name}/transformer",
                        scheduler_config=dict(_SCHEDULES["sd3"]), latent_factor=8, latent_scale=_SCALES["sd3"],
                        family="sd3")
    towers = tuple(clip_file_tower(manager, name, path, input_name, role, True, (prefix,), "checkpoints")
                   for role, prefix in _SD3_CLIPS)
    # The file does not say its VAE's scale; it decodes in the latent's own (SD3's, set by the sampler).
    vae = VaeHandle(manager, f"{path}/vae", vae_loader, "checkpoints", f"{name}/vae", own_scale=False)
    load_now(input_name, (model, *(h for tower in towers for h in (tower.tokenizer, tower.encoder)), vae),
             (Exception,))
    return model, ClipHandle(towers, name, "sd3"), vae
