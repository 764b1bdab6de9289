"""Stable Diffusion single-file checkpoints (the original LDM key layout ComfyUI and A1111 use), SD 1.x, 2.x,
SDXL and the SDXL refiner.

Saving maps a diffusers UNet, VAE and text encoders onto the LDM keys (`model.diffusion_model.*`,
`first_stage_model.*`, `cond_stage_model.*` or SDXL's `conditioner.embedders.N.*`, CLIP's layout or
OpenCLIP's) for any depth and block count the configs give; loading goes back through diffusers' own
converters, so a saved file loads exactly as one from elsewhere. A file this module saves carries its
components' configs and tokenizers in the safetensors metadata; for other files the configs come from the
family's shipped standard configs with the sizes read from the tensors (derive.py), so nothing is fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import torch

from .handles import diffusers_class, transformers_class

UNET_PREFIX, VAE_PREFIX = "model.diffusion_model.", "first_stage_model."
TEXT_PREFIXES = ("cond_stage_model.", "conditioner.")  # CLIP, OpenCLIP (SD 2) and SDXL text encoders
CONFIG_KEY = "nodegraph.diffusers_configs"  # metadata: {relative path: file text} of a diffusers folder
_CONFIG_FILES = ("model_index.json", "scheduler/scheduler_config.json", "unet/config.json", "vae/config.json",
                 "text_encoder/config.json", "text_encoder_2/config.json")
_TOKENIZERS = ("tokenizer", "tokenizer_2")

_RESNET = (("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
           ("out_layers.0", "norm2"), ("out_layers.3", "conv2"), ("skip_connection", "conv_shortcut"))
_VAE_ATTENTION = (("norm", "group_norm"), ("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("proj_out", "to_out.0"))


def _unet_prefixes(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(diffusers prefix, LDM prefix) pairs, the openaimodel numbering of input and output blocks."""
    levels, per_block = len(config["block_out_channels"]), config["layers_per_block"]
    pairs = [("time_embedding.linear_1.", "time_embed.0."), ("time_embedding.linear_2.", "time_embed.2."),
             ("add_embedding.linear_1.", "label_emb.0.0."), ("add_embedding.linear_2.", "label_emb.0.2."),
             ("conv_in.", "input_blocks.0.0."), ("conv_norm_out.", "out.0."), ("conv_out.", "out.2."),
             ("mid_block.resnets.0.", "middle_block.0."), ("mid_block.attentions.0.", "middle_block.1."),
             ("mid_block.resnets.1.", "middle_block.2.")]
    for level in range(levels):
        for j in range(per_block):
            block = 1 + level * (per_block + 1) + j
            pairs += [(f"down_blocks.{level}.resnets.{j}.", f"input_blocks.{block}.0."),
                      (f"down_blocks.{level}.attentions.{j}.", f"input_blocks.{block}.1.")]
        if level < levels - 1:
            block = 1 + level * (per_block + 1) + per_block
            pairs.append((f"down_blocks.{level}.downsamplers.0.conv.", f"input_blocks.{block}.0.op."))
        attends = config["up_block_types"][level].startswith("CrossAttn")
        for j in range(per_block + 1):
            block = level * (per_block + 1) + j
            pairs += [(f"up_blocks.{level}.resnets.{j}.", f"output_blocks.{block}.0."),
                      (f"up_blocks.{level}.attentions.{j}.", f"output_blocks.{block}.1.")]
        if level < levels - 1:
            block = level * (per_block + 1) + per_block
            pairs.append((f"up_blocks.{level}.upsamplers.0.", f"output_blocks.{block}.{2 if attends else 1}."))
    return pairs


def _rename(key: str, pairs: list[tuple[str, str]]) -> str:
    for source, target in pairs:
        if key.startswith(source):
            return target + key[len(source):]
    raise KeyError(f"no single-file name for {key!r}")


def unet_to_ldm(state: dict[str, torch.Tensor], config: dict[str, Any], prefix: str = UNET_PREFIX,
                extra: list[tuple[str, str]] | None = None) -> dict[str, torch.Tensor]:
    """A UNet's weights under openaimodel names (`extra` pairs rename more parts: a ControlNet's)."""
    pairs = sorted([*_unet_prefixes(config), *(extra or [])], key=lambda pair: -len(pair[0]))
    converted = {}
    for key, value in state.items():
        name = _rename(key, pairs)
        if ".resnets." in key or key.startswith("mid_block.resnets"):
            for ldm, diffusers in _RESNET:
                name = name.replace(f".{diffusers}.", f".{ldm}.")
        converted[prefix + name] = value
    return converted


def vae_to_ldm(state: dict[str, torch.Tensor], config: dict[str, Any]) -> dict[str, torch.Tensor]:
    levels = len(config["block_out_channels"])
    converted = {}
    for key, value in state.items():
        name = key.replace("conv_norm_out", "norm_out").replace("conv_shortcut", "nin_shortcut")
        name = re.sub(r"encoder\.down_blocks\.(\d+)\.resnets\.", r"encoder.down.\1.block.", name)
        name = re.sub(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.", r"encoder.down.\1.downsample.", name)
        name = re.sub(r"decoder\.up_blocks\.(\d+)\.resnets\.",
                      lambda m: f"decoder.up.{levels - 1 - int(m.group(1))}.block.", name)
        name = re.sub(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.",
                      lambda m: f"decoder.up.{levels - 1 - int(m.group(1))}.upsample.", name)
        name = re.sub(r"mid_block\.resnets\.(\d+)\.", lambda m: f"mid.block_{int(m.group(1)) + 1}.", name)
        if ".mid_block.attentions.0." in name:
            head, tail = name.split(".mid_block.attentions.0.")
            for ldm, diffusers in _VAE_ATTENTION:
                if tail.startswith(diffusers + "."):
                    tail = ldm + tail[len(diffusers):]
                    break
            name = f"{head}.mid.attn_1.{tail}"
            if value.ndim == 2:  # the LDM attention projections are 1x1 convolutions
                value = value[:, :, None, None]
        converted[VAE_PREFIX + name] = value
    return converted


def _text_model_key(key: str) -> str:
    # transformers 5.6+ flattened CLIPTextModel; the single-file layout keeps the `text_model.` level.
    return key if key.startswith(("text_model.", "text_projection.")) else "text_model." + key


def _open_clip(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """A CLIP text encoder in OpenCLIP's layout, the inverse of diffusers' convert_open_clip_checkpoint (its own
    name tables, read backwards; q, k and v joined into in_proj, the projection transposed)."""
    from diffusers.loaders.single_file_utils import DIFFUSERS_TO_LDM_MAPPING

    table = DIFFUSERS_TO_LDM_MAPPING["openclip"]
    out: dict[str, torch.Tensor] = {}
    joined: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        key = _text_model_key(key)
        if key in table["layers"]:
            out[prefix + table["layers"][key]] = value.T if key == "text_projection.weight" else value
            continue
        if not key.startswith("text_model.encoder.layers."):
            continue  # position_ids and other buffers
        name = key
        for ours, theirs in table["transformer"].items():
            name = name.replace(ours, theirs)
        match = re.match(r"(.*\.attn)\.([qkv])_proj\.(weight|bias)$", name)
        if match:
            joined.setdefault(f"{match.group(1)}.in_proj_{match.group(3)}", {})[match.group(2)] = value
        else:
            out[f"{prefix}transformer.{name}"] = value
    for name, parts in joined.items():
        out[f"{prefix}transformer.{name}"] = torch.cat([parts["q"], parts["k"], parts["v"]])
    return out


def text_prefixes(roles: list[str], open_clip: bool) -> dict[str, tuple[str, bool]]:
    """Where each text encoder goes in a single file, and whether in OpenCLIP's layout: SD 1.x's CLIP under
    cond_stage_model.transformer, SD 2.x's OpenCLIP under cond_stage_model.model, SDXL's under conditioner."""
    if roles == ["text_encoder"]:
        return {"text_encoder": ("cond_stage_model.model.", True) if open_clip else
                ("cond_stage_model.transformer.", False)}
    if roles == ["text_encoder_2"]:
        return {"text_encoder_2": ("conditioner.embedders.0.model.", True)}
    return {"text_encoder": ("conditioner.embedders.0.transformer.", False),
            "text_encoder_2": ("conditioner.embedders.1.model.", True)}


def to_single_file(unet: Any, vae: Any, text_encoders: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The models' weights under their single-file (LDM) names, contiguous and detached. `text_encoders` maps
    text_encoder / text_encoder_2 to the modules; OpenCLIP's layout for gelu encoders (SD 2.x, SDXL's second)."""
    state = {**unet_to_ldm(unet.state_dict(), dict(unet.config)), **vae_to_ldm(vae.state_dict(), dict(vae.config))}
    any_gelu = any(m.config.hidden_act != "quick_gelu" for m in text_encoders.values())
    for role, (prefix, open_clip) in text_prefixes(list(text_encoders), any_gelu).items():
        weights = text_encoders[role].state_dict()
        state.update(_open_clip(weights, prefix) if open_clip else
                     {prefix + _text_model_key(k): v for k, v in weights.items() if "position_ids" not in k})
    return {key: value.detach().contiguous().cpu() for key, value in state.items()}


def embedded_configs(folder: Path) -> str:
    """A diffusers folder's configs and tokenizer files as one metadata string."""
    files = {name: (folder / name).read_text() for name in _CONFIG_FILES if (folder / name).is_file()}
    for tokenizer in _TOKENIZERS:
        for path in sorted((folder / tokenizer).glob("*")):
            if path.is_file():
                files[f"{tokenizer}/{path.name}"] = path.read_text()
    return json.dumps(files)


def write_configs(metadata: str, folder: Path) -> None:
    """Recreate the diffusers config folder embedded_configs() described (config files only, no weights)."""
    for name, text in json.loads(metadata).items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:  # names come from a file: stay inside the folder
            raise ValueError(f"bad config name {name!r} in the checkpoint's metadata")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


class _LazyCheckpoint(Mapping[str, torch.Tensor]):
    """A safetensors file as a mapping that reads a tensor only when asked (a component reads its own tensors,
    not gigabytes), and gives shapes without reading tensors at all."""

    def __init__(self, path: Path) -> None:
        from safetensors import safe_open

        self._file = safe_open(str(path), framework="pt")
        self._keys = list(self._file.keys())
        self.keys_set = set(self._keys)

    def __getitem__(self, key: str) -> torch.Tensor:
        if key not in self.keys_set:
            raise KeyError(key)
        return self._file.get_tensor(key)

    def __contains__(self, key: object) -> bool:
        return key in self.keys_set

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def shape(self, key: str) -> tuple[int, ...] | None:
        return tuple(self._file.get_slice(key).get_shape()) if key in self.keys_set else None

    def metadata(self) -> dict[str, str]:
        return self._file.metadata() or {}


def _derived(path: Path) -> dict[str, str]:
    """The config files of a checkpoint from another tool (relative path -> text): its family's shipped configs,
    sizes from its tensors (derive.DeriveError when they cannot be had), tokenizers from the shipped merges."""
    from . import derive, standard

    weights = _LazyCheckpoint(path)
    try:
        family, configs = derive.checkpoint_configs(weights.keys_set, weights.shape)
    except (KeyError, TypeError, IndexError, StopIteration) as exc:
        raise derive.DeriveError(f"its tensors lack a part its layout needs ({type(exc).__name__}: {exc})") from None
    with TemporaryDirectory() as temp:
        standard.materialise(family, Path(temp), configs)
        return {p.relative_to(temp).as_posix(): p.read_text(encoding="utf-8") for p in Path(temp).rglob("*")
                if p.is_file()}


def _embedded(path: Path) -> str | None:
    """The configs a file saved by this module carries (embedded_configs' string), or None."""
    return _LazyCheckpoint(path).metadata().get(CONFIG_KEY)


def config_files(path: Path) -> dict[str, str]:
    """A single file's diffusers config folder (relative path -> text): embedded when it carries one, derived
    otherwise. Nothing is fetched."""
    embedded = _embedded(path)
    return json.loads(embedded) if embedded is not None else _derived(path)


@contextmanager
def configs(files: dict[str, str]) -> Iterator[str]:
    """A temporary diffusers config folder (no weights) of config_files' result, for from_single_file."""
    with TemporaryDirectory() as folder:
        write_configs(json.dumps(files), Path(folder))
        yield folder


def read_configs(files: dict[str, str], *names: str) -> list[dict[str, Any]]:
    """Parsed config files (e.g. "scheduler/scheduler_config.json") of config_files' result; {} if absent."""
    return [json.loads(files[name]) if name in files else {} for name in names]


def loader(path: Path, component: str, class_name: str, files: dict[str, str]
           ) -> Callable[[torch.device, torch.dtype], Any]:
    """Load one component (unet, vae, text_encoder(_2), tokenizer(_2)) of a single-file checkpoint whose
    config_files are `files`. `class_name` comes from the file, so it must name a diffusers or transformers
    model class (checked when loading)."""

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        local = True  # the configs are a local folder: nothing is fetched
        with configs(files) as where:
            if component.startswith("tokenizer"):
                from transformers import AutoTokenizer

                return AutoTokenizer.from_pretrained(where, subfolder=component, local_files_only=local)
            if component.startswith("text_encoder"):
                from diffusers.loaders.single_file_utils import create_diffusers_clip_model_from_ldm

                weights = _LazyCheckpoint(path)  # only the text encoder's tensors are read
                text = {key: weights[key] for key in weights if key.startswith(TEXT_PREFIXES)}
                module = create_diffusers_clip_model_from_ldm(
                    transformers_class(class_name), text, subfolder=component, config=where,
                    torch_dtype=dtype, local_files_only=local)
            else:
                # Naming fp32 when the file is fp32 makes diffusers cast anyway and warn about nothing.
                cast = {} if dtype == torch.float32 else {"torch_dtype": dtype}
                module = diffusers_class(class_name).from_single_file(
                    str(path), config=where, subfolder=component, local_files_only=local, **cast)
        if module.dtype != dtype:  # a half-precision file on a CPU, say
            module = module.to(dtype=dtype)
        return module.to(device).eval()

    return load
