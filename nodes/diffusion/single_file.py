"""Stable Diffusion single-file checkpoints (the original LDM key layout ComfyUI and A1111 use).

Saving maps a diffusers UNet, VAE and CLIP text encoder onto the LDM keys (`model.diffusion_model.*`,
`first_stage_model.*`, `cond_stage_model.transformer.*`) for any depth and block count the configs give;
loading goes back through diffusers' own converters, so a saved file loads exactly as one from elsewhere.
A file this module saves also carries its components' configs and tokenizer in the safetensors metadata,
which is what lets it load offline; for other files diffusers recognises the model type and fetches the
matching configs from the Hugging Face hub (or its local cache).
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

UNET_PREFIX, VAE_PREFIX, TEXT_PREFIX = "model.diffusion_model.", "first_stage_model.", "cond_stage_model.transformer."
TEXT_PREFIXES = ("cond_stage_model.", "conditioner.")  # CLIP, OpenCLIP (SD 2) and SDXL text encoders
CONFIG_KEY = "nodegraph.diffusers_configs"  # metadata: {relative path: file text} of a diffusers folder
_CONFIG_FILES = ("model_index.json", "scheduler/scheduler_config.json", "unet/config.json", "vae/config.json",
                 "text_encoder/config.json")

_RESNET = (("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
           ("out_layers.0", "norm2"), ("out_layers.3", "conv2"), ("skip_connection", "conv_shortcut"))
_VAE_ATTENTION = (("norm", "group_norm"), ("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("proj_out", "to_out.0"))


def _unet_prefixes(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(diffusers prefix, LDM prefix) pairs, the openaimodel numbering of input and output blocks."""
    levels, per_block = len(config["block_out_channels"]), config["layers_per_block"]
    pairs = [("time_embedding.linear_1.", "time_embed.0."), ("time_embedding.linear_2.", "time_embed.2."),
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


def unet_to_ldm(state: dict[str, torch.Tensor], config: dict[str, Any]) -> dict[str, torch.Tensor]:
    pairs = sorted(_unet_prefixes(config), key=lambda pair: -len(pair[0]))
    converted = {}
    for key, value in state.items():
        name = _rename(key, pairs)
        if ".resnets." in key or key.startswith("mid_block.resnets"):
            for ldm, diffusers in _RESNET:
                name = name.replace(f".{diffusers}.", f".{ldm}.")
        converted[UNET_PREFIX + name] = value
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
    return key if key.startswith("text_model.") else "text_model." + key


def to_single_file(unet: Any, vae: Any, text_encoder: Any) -> dict[str, torch.Tensor]:
    """The three models' weights under their single-file (LDM) names, contiguous and detached."""
    state = {**unet_to_ldm(unet.state_dict(), dict(unet.config)), **vae_to_ldm(vae.state_dict(), dict(vae.config)),
             **{TEXT_PREFIX + _text_model_key(key): value for key, value in text_encoder.state_dict().items()}}
    return {key: value.detach().contiguous().cpu() for key, value in state.items()}


def embedded_configs(folder: Path) -> str:
    """A diffusers folder's configs and tokenizer files as one metadata string."""
    files = {name: (folder / name).read_text() for name in _CONFIG_FILES if (folder / name).is_file()}
    for path in sorted((folder / "tokenizer").glob("*")):
        if path.is_file():
            files[f"tokenizer/{path.name}"] = path.read_text()
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
    """A safetensors file as a mapping that reads a tensor only when asked: diffusers' model-type detection
    looks at a handful of keys, not at gigabytes."""

    def __init__(self, path: Path) -> None:
        from safetensors import safe_open

        self._file = safe_open(str(path), framework="pt")
        self._keys = list(self._file.keys())

    def __getitem__(self, key: str) -> torch.Tensor:
        if key not in self._keys:
            raise KeyError(key)
        return self._file.get_tensor(key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def hub_repo(path: Path) -> str:
    """The diffusers repository whose configs fit this checkpoint, as diffusers' detection names it."""
    from diffusers.loaders.single_file_utils import fetch_diffusers_config

    return fetch_diffusers_config(_LazyCheckpoint(path))["pretrained_model_name_or_path"]


def _embedded(path: Path) -> str | None:
    """The configs a file saved by this module carries (embedded_configs' string), or None."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return (f.metadata() or {}).get(CONFIG_KEY)


@contextmanager
def configs(path: Path) -> Iterator[tuple[str, bool]]:
    """(where the configs are, whether that is a local folder): the embedded ones written to a temporary
    folder, else the hub repository diffusers detects (fetched once, then from its cache)."""
    embedded = _embedded(path)
    if embedded is None:
        yield hub_repo(path), False
        return
    with TemporaryDirectory() as folder:
        write_configs(embedded, Path(folder))
        yield folder, True


def read_configs(path: Path, *names: str) -> list[dict[str, Any]]:
    """Config files (e.g. "scheduler/scheduler_config.json") of a single-file checkpoint, looked up once:
    parsed from its metadata, else downloaded (or taken from the cache) from the hub repository."""
    embedded = _embedded(path)
    if embedded is not None:
        files = json.loads(embedded)
        return [json.loads(files[name]) for name in names]
    repo = hub_repo(path)
    from huggingface_hub import hf_hub_download

    try:
        return [json.loads(Path(hf_hub_download(repo, name)).read_text()) for name in names]
    except Exception as exc:  # noqa: BLE001 - offline, missing or gated: all mean "no configs"
        raise OSError(f"diffusers detects {repo}, whose configs are not in the Hugging Face cache and could "
                      f"not be downloaded ({type(exc).__name__})") from exc


def loader(path: Path, component: str, class_name: str) -> Callable[[torch.device, torch.dtype], Any]:
    """Load one component (unet, vae, text_encoder, tokenizer) of a single-file checkpoint. `class_name` comes
    from the file, so it must name a diffusers or transformers model class (checked when loading)."""

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        with configs(path) as (where, local):
            if component == "tokenizer":
                from transformers import AutoTokenizer

                return AutoTokenizer.from_pretrained(where, subfolder="tokenizer", local_files_only=local)
            if component == "text_encoder":
                from diffusers.loaders.single_file_utils import create_diffusers_clip_model_from_ldm

                weights = _LazyCheckpoint(path)  # only the text encoder's tensors are read
                text = {key: weights[key] for key in weights if key.startswith(TEXT_PREFIXES)}
                module = create_diffusers_clip_model_from_ldm(
                    transformers_class(class_name), text, subfolder="text_encoder", config=where,
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
