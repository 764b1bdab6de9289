"""Loader nodes: a Stable Diffusion checkpoint (diffusers folder or single .safetensors file) as MODEL, CLIP and VAE
handles; a VAE alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime.models import ModelNotFound, model_choices

from ..text.clip import FIRST, SECOND, ClipHandle, Tower, tokenizer_loader
from ..types import CLIP, MODEL, VAE
from .handles import (
    Handle,
    ModelHandle,
    VaeHandle,
    component_class,
    diffusers_class,
    diffusers_loader,
    index_class,
    latent_factor,
    latent_scale,
    transformers_class,
    transformers_loader,
)

if TYPE_CHECKING:
    pass

_PIPELINE_PARTS = ("unet", "vae", "scheduler")
# (tokenizer, text encoder, default class): SD 1.x/2.x have the first; SDXL both; the SDXL refiner the second.
_TOWERS = (("tokenizer", FIRST, "CLIPTextModel"), ("tokenizer_2", SECOND, "CLIPTextModelWithProjection"))


def clip_style(unet_config: dict[str, Any]) -> str:
    """How a checkpoint's prompts are encoded: "sdxl" for UNets with SDXL's added text/time conditioning."""
    return "sdxl" if unet_config.get("addition_embed_type") == "text_time" else "sd"


def find(ctx: Context, kind: str, name: str, input_name: str) -> tuple[Any, Path]:
    manager = ctx.models
    try:
        return manager, manager.find(kind, name)
    except ModelNotFound as exc:
        raise NodeError(input_name, str(exc)) from None


def _read_json(path: Path, input_name: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NodeError(input_name, f"cannot read {path.name} of the model: {exc}") from None


def pipeline_handles(manager: Any, folder: Path, name: str, input_name: str) -> tuple[Any, Any, Any]:
    """MODEL, CLIP and VAE handles for a StableDiffusionPipeline folder, each loaded once (eagerly, so a
    broken folder is reported by the loader node, not by the sampler)."""
    if folder.is_file():
        return single_file_handles(manager, folder, name, input_name)
    from .dit_load import dit_handles, transformer_family

    family = transformer_family(folder)
    if family is not None:
        return dit_handles(manager, folder, name, input_name, family)
    if (folder / "transformer").is_dir():
        raise NodeError(input_name, f"{name!r} has a transformer of class "
                                    f"{component_class(folder, 'transformer', 'unknown')!r}; the transformers that "
                                    "load are SD3's (SD3Transformer2DModel) and Flux's (FluxTransformer2DModel)")
    towers = [tower for tower in _TOWERS if (folder / tower[0]).is_dir() and (folder / tower[1]).is_dir()]
    missing = [part for part in _PIPELINE_PARTS if not (folder / part).is_dir()] + (
        [] if towers else ["tokenizer and text_encoder"])
    if missing:
        raise NodeError(input_name, f"{name!r} is not a Stable Diffusion folder in the diffusers layout: "
                                    f"missing {', '.join(missing)}")
    try:
        unet_cls = diffusers_class(component_class(folder, "unet", "UNet2DConditionModel"))
        vae_cls = diffusers_class(component_class(folder, "vae", "AutoencoderKL"))
        text_classes = [transformers_class(component_class(folder, encoder, default)) for _, encoder, default in towers]
    except ValueError as exc:
        raise NodeError(input_name, f"{name!r}: {exc}") from None
    scheduler_config = _read_json(folder / "scheduler" / "scheduler_config.json", input_name)
    vae_config = _read_json(folder / "vae" / "config.json", input_name)
    unet_config = _read_json(folder / "unet" / "config.json", input_name)
    model = ModelHandle(manager, f"{folder}/unet", diffusers_loader(unet_cls, folder / "unet"), "checkpoints",
                        f"{name}/unet", scheduler_config=scheduler_config, latent_factor=latent_factor(vae_config),
                        latent_scale=latent_scale(vae_config))
    clip = ClipHandle(tuple(
        Tower(Handle(manager, f"{folder}/{tok}", tokenizer_loader(folder / tok), "checkpoints", f"{name}/{tok}"),
              Handle(manager, f"{folder}/{encoder}", transformers_loader(cls, folder / encoder), "checkpoints",
                     f"{name}/{encoder}"), encoder)
        for (tok, encoder, _), cls in zip(towers, text_classes, strict=True)), name, clip_style(unet_config))
    vae = VaeHandle(manager, f"{folder}/vae", diffusers_loader(vae_cls, folder / "vae"), "checkpoints", f"{name}/vae")
    load_now(input_name, (model, *(h for tower in clip.towers for h in (tower.tokenizer, tower.encoder)), vae))
    return model, clip, vae


def load_now(input_name: str, handles: tuple[Handle, ...], errors: tuple[type[Exception], ...] = (
        OSError, ValueError, RuntimeError)) -> None:
    for handle in handles:
        try:
            handle.get()
        except errors as exc:
            raise NodeError(input_name, f"cannot load {handle.name}: {exc}") from None


def single_file_handles(manager: Any, path: Path, name: str, input_name: str) -> tuple[Any, Any, Any]:
    """MODEL, CLIP and VAE handles for a single-file (LDM layout) checkpoint of SD 1.x, 2.x, SDXL or its refiner."""

    from . import single_file
    from .dit_files import sd3_checkpoint, sd3_prefix

    if path.suffix not in (".safetensors", ".sft"):
        raise NodeError(input_name, f"{name!r}: only .safetensors checkpoints load (.ckpt and .pt files are "
                                    "pickles, which can run code when loaded)")
    if sd3_prefix(path) is not None:
        return sd3_checkpoint(manager, path, name, input_name)
    try:
        files = single_file.config_files(path)  # derived once for every component
        index, scheduler_config, vae_config, unet_config = single_file.read_configs(
            files, "model_index.json", "scheduler/scheduler_config.json", "vae/config.json", "unet/config.json")
    except Exception as exc:  # noqa: BLE001 - a file that is no checkpoint fails in many ways
        raise NodeError(input_name, f"cannot read single-file checkpoint {name!r} as a Stable Diffusion model: "
                                    f"{exc}; expected an SD 1.x, SD 2.x, SDXL or SDXL refiner checkpoint") from None

    def handle(cls: type[Handle], component: str, default: str, **extra: Any) -> Any:
        loader = single_file.loader(path, component, index_class(index, component, default), files)
        return cls(manager, f"{path}/{component}", loader, "checkpoints", f"{name}/{component}", **extra)

    model = handle(ModelHandle, "unet", "UNet2DConditionModel", scheduler_config=scheduler_config,
                   latent_factor=latent_factor(vae_config), latent_scale=latent_scale(vae_config))
    towers = tuple(Tower(handle(Handle, tok, "CLIPTokenizer"), handle(Handle, encoder, default), encoder)
                   for tok, encoder, default in _TOWERS if index_class(index, encoder, ""))
    clip = ClipHandle(towers, name, clip_style(unet_config))
    vae = handle(VaeHandle, "vae", "AutoencoderKL")
    load_now(input_name, (model, *(h for tower in towers for h in (tower.tokenizer, tower.encoder)), vae),
             (Exception,))
    return model, clip, vae


class CheckpointLoaderSimple(Node):
    """Load a Stable Diffusion checkpoint from models/checkpoints: a diffusers folder or a single .safetensors file."""

    category = "loaders"
    display_name = "Load Checkpoint"
    inputs = {"ckpt_name": In.choice(model_choices("checkpoints"))}
    outputs = {"MODEL": Out(MODEL), "CLIP": Out(CLIP), "VAE": Out(VAE)}

    def run(self, ctx: Context, ckpt_name: str) -> tuple[Any, Any, Any]:
        manager, folder = find(ctx, "checkpoints", ckpt_name, "ckpt_name")
        return pipeline_handles(manager, folder, ckpt_name, "ckpt_name")


class DiffusersLoader(Node):
    """Load a diffusers pipeline folder from models/diffusers (ComfyUI's DiffusersLoader)."""

    category = "advanced/loaders/deprecated"
    display_name = "Load Diffusers Model (DEPRECATED)"
    inputs = {"model_path": In.choice(model_choices("diffusers"))}
    outputs = {"MODEL": Out(MODEL), "CLIP": Out(CLIP), "VAE": Out(VAE)}

    def run(self, ctx: Context, model_path: str) -> tuple[Any, Any, Any]:
        manager, folder = find(ctx, "diffusers", model_path, "model_path")
        return pipeline_handles(manager, folder, model_path, "model_path")


NODES = [CheckpointLoaderSimple, DiffusersLoader]
