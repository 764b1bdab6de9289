"""Single files of one part (a VAE, a CLIP text encoder, a UNet) as ComfyUI keeps them in models/vae, text_encoders
and diffusion_models: what a file is, and loaders that build the part offline from a config derived from its
shapes (derive.py) through diffusers' converters. Files are read lazily; pickles never load."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import torch

from . import derive, standard
from .handles import transformers_class
from .single_file import UNET_PREFIX, _LazyCheckpoint

_CLIP_KEY = "text_model.embeddings.token_embedding.weight"
_CLIP_PREFIXES = ("", "transformer.", "cond_stage_model.transformer.", "conditioner.embedders.0.transformer.")


def open_file(path: Path) -> _LazyCheckpoint:
    if path.suffix not in (".safetensors", ".sft"):
        raise derive.DeriveError(f"only .safetensors files load ({path.suffix} files are pickles, which can run "
                                 "code when loaded)")
    return _LazyCheckpoint(path)


def _folder_loader(component: str, config: dict[str, Any], build: Callable[[str, torch.dtype], Any]
                   ) -> Callable[[torch.device, torch.dtype], Any]:
    """A model-manager loader: writes the derived config where diffusers expects it, then builds the part."""

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        with TemporaryDirectory() as folder:
            (Path(folder) / component).mkdir()
            (Path(folder) / component / "config.json").write_text(json.dumps(config))
            module = build(folder, dtype)
        if module.dtype != dtype:
            module = module.to(dtype=dtype)
        return module.to(device).eval()

    return load


def vae(path: Path) -> tuple[dict[str, Any], Callable[[torch.device, torch.dtype], Any]]:
    """A VAE file in the original (LDM) layout: its config (SD's scale: which family it serves is not in the
    file) and its loader."""
    weights = open_file(path)
    if not any(f"{p}encoder.conv_in.weight" in weights for p in derive.VAE_PREFIXES):
        raise derive.DeriveError("its keys are not a VAE's in the original layout (encoder.down.N..., "
                                 "decoder.up.N..., optionally under first_stage_model.)")
    config = derive.vae(weights.keys_set, weights.shape, "sd1")

    def build(folder: str, dtype: torch.dtype) -> Any:
        from diffusers import AutoencoderKL

        return AutoencoderKL.from_single_file(str(path), config=folder, subfolder="vae", local_files_only=True,
                                              **_cast(dtype))

    return config, _folder_loader("vae", config, build)


def _unet_family(weights: _LazyCheckpoint, prefix: str) -> str:
    """A UNet's (or ControlNet's) family, from its shapes alone: standard SDXL sizes are recognised; otherwise
    SD 1.x (convolution projections, epsilon) or SD 2.x (linear projections, v-prediction), as their standard
    configs are. A UNet file does not say its prediction type or time-id width."""
    adm = weights.shape(f"{prefix}label_emb.0.0.weight")
    if adm is not None:
        family = {2816: "sdxl", 2560: "sdxl_refiner"}.get(adm[1])
        if family is None:
            raise derive.DeriveError(f"its added embedding is {adm[1]} wide, neither SDXL's (2816) nor its "
                                     "refiner's (2560): the time-id width is not in the tensors; load the whole "
                                     "checkpoint instead")
        return family
    proj = next((weights.shape(k) for k in sorted(weights.keys_set) if k.endswith(".1.proj_in.weight")), None)
    if proj is None:
        raise derive.DeriveError("it has no attention layers (no input_blocks.N.1.proj_in)")
    return "sd1" if len(proj) == 4 else "sd2"


def _prefixed(weights: _LazyCheckpoint, marker: str, prefixes: tuple[str, ...], what: str) -> str:
    prefix = next((p for p in prefixes if f"{p}{marker}" in weights), None)
    if prefix is None:
        raise derive.DeriveError(f"its keys are not {what}")
    return prefix


def _unet_like(weights: _LazyCheckpoint, prefix: str, derive_config: Callable[..., dict[str, Any]]
               ) -> tuple[str, dict[str, Any]]:
    """(family, config) of a UNet or ControlNet file; SDXL's standard time-id width for SDXL sizes."""
    family = _unet_family(weights, prefix)
    config = derive_config(weights.keys_set, weights.shape, family, prefix)
    if family.startswith("sdxl"):
        config["addition_time_embed_dim"] = 256
    return family, config


def _cast(dtype: torch.dtype) -> dict[str, Any]:
    # Naming fp32 when the file is fp32 makes diffusers cast anyway and warn about nothing.
    return {} if dtype == torch.float32 else {"torch_dtype": dtype}


def unet(path: Path) -> tuple[str, dict[str, Any], Callable[[torch.device, torch.dtype], Any]]:
    """A UNet file in the openaimodel layout (bare, as ComfyUI saves diffusion models, or under
    model.diffusion_model.): its family, config and loader."""
    weights = open_file(path)
    prefix = _prefixed(weights, "input_blocks.0.0.weight", (UNET_PREFIX, ""), "a Stable Diffusion UNet's "
                       "(input_blocks.N..., middle_block..., output_blocks..., maybe under model.diffusion_model.)")
    family, config = _unet_like(weights, prefix, derive.unet)

    def build(folder: str, dtype: torch.dtype) -> Any:
        from diffusers import UNet2DConditionModel

        state = {(k if prefix else UNET_PREFIX + k): weights[k] for k in weights if k.startswith(prefix)}
        return UNet2DConditionModel.from_single_file(state, config=folder, subfolder="unet", local_files_only=True,
                                                     **_cast(dtype))

    return family, config, _folder_loader("unet", config, build)


def controlnet(path: Path) -> tuple[dict[str, Any], Callable[[torch.device, torch.dtype], Any]]:
    """A ControlNet file in the original layout (bare, as ControlNet 1.1's files, or under control_model.)."""
    weights = open_file(path)
    prefix = _prefixed(weights, "input_hint_block.0.weight", ("", "control_model."), "a ControlNet's in the "
                       "original layout (input_hint_block..., zero_convs..., input_blocks..., middle_block_out...)")
    config = _unet_like(weights, prefix, derive.controlnet)[1]

    def build(folder: str, dtype: torch.dtype) -> Any:
        from diffusers import ControlNetModel

        return ControlNetModel.from_single_file(str(path), config=folder, subfolder="controlnet",
                                                local_files_only=True, **_cast(dtype))

    return config, _folder_loader("controlnet", config, build)


def clip(path: Path, role: str, projection: bool | None = None, prefixes: tuple[str, ...] = _CLIP_PREFIXES
         ) -> tuple[str, Callable[[torch.device, torch.dtype], Any], str]:
    """A CLIP text encoder file in transformers' layout (ComfyUI's clip_l / clip_g files): (the family whose
    tokenizer it uses, its loader, its class). Widths name the model: 768 CLIP-L (quick_gelu), 1024 OpenCLIP-H
    (SD 2.x), anything else in the second role OpenCLIP-bigG (gelu, with its projection). `projection` (default:
    the second role only) loads it with its text projection, as SD3 uses both of its CLIPs; without, a projection
    in the file is left out (Flux's CLIP-L pools without it). `prefixes`: where in the file to look for it (an
    SD3 checkpoint keeps its CLIPs under text_encoders.clip_l.transformer. and text_encoders.clip_g....)."""
    weights = open_file(path)
    prefix = next((p for p in prefixes if p + _CLIP_KEY in weights), None)
    if prefix is None:
        raise derive.DeriveError("its keys are not a CLIP text encoder's in transformers' layout "
                                 "(text_model.embeddings..., text_model.encoder.layers.N...)")
    width = weights.shape(prefix + _CLIP_KEY)[1]
    family = "sdxl" if role == "text_encoder_2" else "sd2" if width == 1024 else "sd1"
    component = "text_encoder_2" if family == "sdxl" else "text_encoder"
    config = derive.text_encoder(weights.keys_set, weights.shape, family, component, prefix + "text_model.", "clip")
    projection = weights.shape(prefix + "text_projection.weight")
    if projection is not None:
        config["projection_dim"] = projection[0]
    with_projection = projection if projection is not None else role == "text_encoder_2"
    class_name = "CLIPTextModelWithProjection" if with_projection else "CLIPTextModel"

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        from transformers import CLIPTextConfig

        module = transformers_class(class_name)(CLIPTextConfig(**{k: v for k, v in config.items()
                                                                   if k not in ("architectures", "model_type")}))
        flat = not hasattr(module, "text_model")  # transformers 5.6+ flattened CLIPTextModel
        state = {}
        for key in weights:
            if key.startswith(prefix) and "position_ids" not in key and (with_projection or "text_projection"
                                                                           not in key):
                name = key[len(prefix):]
                state[name.removeprefix("text_model.") if flat and name.startswith("text_model.") else name] = \
                    weights[key]
        missing, unexpected = module.load_state_dict(state, strict=False)
        if unexpected or [k for k in missing if "position_ids" not in k]:
            raise derive.DeriveError(f"its tensors do not fit a {class_name} (missing {missing[:3]}, unexpected "
                                     f"{unexpected[:3]})")
        return module.to(device, dtype).eval()

    return family, load, class_name


def tokenizer_loader(family: str, folder: str) -> Callable[[torch.device, torch.dtype], Any]:
    """CLIP's shipped tokenizer, configured as a family's folder configures it (SD 2.x and SDXL's second pad
    with "!")."""

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        from transformers import AutoTokenizer

        with TemporaryDirectory() as temp:
            standard.write_clip_tokenizer(Path(temp), standard.read(family, f"{folder}/tokenizer_config.json"))
            return AutoTokenizer.from_pretrained(temp)

    return load
