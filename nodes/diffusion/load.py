"""Loader nodes: a Stable Diffusion folder (diffusers layout) as MODEL, CLIP and VAE handles; a VAE alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nodegraph import In, Node, NodeError, Out
from nodegraph.runtime.models import ModelNotFound, list_models
from nodes.diffusion.handles import (Handle, ModelHandle, VaeHandle, component_class, diffusers_class,
                                     diffusers_loader, transformers_class, transformers_loader)
from nodes.text.clip import ClipHandle, tokenizer_loader
from nodes.types import CLIP, MODEL, VAE

_PIPELINE_PARTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")


def find(ctx: Any, kind: str, name: str, input_name: str) -> tuple[Any, Path]:
    manager = ctx.service("models")
    try:
        return manager, manager.find(kind, name)
    except ModelNotFound as exc:
        raise NodeError(input_name, str(exc)) from None


def _read_json(path: Path, input_name: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NodeError(input_name, f"cannot read {path.name} of the model: {exc}") from None


def vae_factor(vae_folder: Path, input_name: str) -> int:
    config = _read_json(vae_folder / "config.json", input_name)
    return 2 ** (len(config.get("block_out_channels", [0, 0, 0, 0])) - 1)


def pipeline_handles(manager: Any, folder: Path, name: str, input_name: str) -> tuple[Any, Any, Any]:
    """MODEL, CLIP and VAE handles for a StableDiffusionPipeline folder, each loaded once (eagerly, so a
    broken folder is reported by the loader node, not by the sampler)."""
    missing = [part for part in _PIPELINE_PARTS if not (folder / part).is_dir()]
    if missing:
        raise NodeError(input_name, f"{name!r} is not a Stable Diffusion folder in the diffusers layout: "
                                    f"missing {', '.join(missing)} (single-file checkpoints are not supported)")
    try:
        unet_cls = diffusers_class(component_class(folder, "unet", "UNet2DConditionModel"))
        vae_cls = diffusers_class(component_class(folder, "vae", "AutoencoderKL"))
        text_cls = transformers_class(component_class(folder, "text_encoder", "CLIPTextModel"))
    except ValueError as exc:
        raise NodeError(input_name, f"{name!r}: {exc}") from None
    scheduler_config = _read_json(folder / "scheduler" / "scheduler_config.json", input_name)
    model = ModelHandle(manager, f"{folder}/unet", diffusers_loader(unet_cls, folder / "unet"), "checkpoints",
                        f"{name}/unet", scheduler_config=scheduler_config,
                        latent_factor=vae_factor(folder / "vae", input_name))
    clip = ClipHandle(Handle(manager, f"{folder}/tokenizer", tokenizer_loader(folder / "tokenizer"), "checkpoints",
                             f"{name}/tokenizer"),
                      Handle(manager, f"{folder}/text_encoder", transformers_loader(text_cls, folder / "text_encoder"),
                             "checkpoints", f"{name}/text_encoder"), name)
    vae = VaeHandle(manager, f"{folder}/vae", diffusers_loader(vae_cls, folder / "vae"), "checkpoints", f"{name}/vae")
    for handle in (model, clip.tokenizer, clip.encoder, vae):
        try:
            handle.get()
        except (OSError, ValueError, RuntimeError) as exc:
            raise NodeError(input_name, f"cannot load {handle.name}: {exc}") from None
    return model, clip, vae


class CheckpointLoaderSimple(Node):
    """Load a Stable Diffusion model folder (diffusers layout) from models/checkpoints."""

    category = "loaders"
    display_name = "Load Checkpoint"
    inputs = {"ckpt_name": In.choice(lambda: list_models("checkpoints"))}
    outputs = {"MODEL": Out(MODEL), "CLIP": Out(CLIP), "VAE": Out(VAE)}

    def run(self, ctx: Any, ckpt_name: str) -> tuple[Any, Any, Any]:
        manager, folder = find(ctx, "checkpoints", ckpt_name, "ckpt_name")
        return pipeline_handles(manager, folder, ckpt_name, "ckpt_name")


class DiffusersLoader(Node):
    """Load a diffusers pipeline folder from models/diffusers (ComfyUI's DiffusersLoader)."""

    category = "advanced/loaders"
    display_name = "Load Diffusers Folder"
    inputs = {"model_path": In.choice(lambda: list_models("diffusers"))}
    outputs = {"MODEL": Out(MODEL), "CLIP": Out(CLIP), "VAE": Out(VAE)}

    def run(self, ctx: Any, model_path: str) -> tuple[Any, Any, Any]:
        manager, folder = find(ctx, "diffusers", model_path, "model_path")
        return pipeline_handles(manager, folder, model_path, "model_path")


class VAELoader(Node):
    """Load a VAE folder (config.json + safetensors) from models/vae."""

    category = "loaders"
    display_name = "Load VAE"
    inputs = {"vae_name": In.choice(lambda: list_models("vae"))}
    outputs = {"VAE": Out(VAE)}

    def run(self, ctx: Any, vae_name: str) -> tuple[Any]:
        manager, folder = find(ctx, "vae", vae_name, "vae_name")
        if (folder / "vae").is_dir():
            folder = folder / "vae"  # a whole pipeline folder: use its VAE
        config = _read_json(folder / "config.json", "vae_name")
        try:
            cls = diffusers_class(config.get("_class_name", "AutoencoderKL"))
        except ValueError as exc:
            raise NodeError("vae_name", str(exc)) from None
        vae = VaeHandle(manager, str(folder), diffusers_loader(cls, folder), "vae", vae_name)
        try:
            vae.get()
        except (OSError, ValueError, RuntimeError) as exc:
            raise NodeError("vae_name", f"cannot load {vae_name}: {exc}") from None
        return (vae,)


NODES = [CheckpointLoaderSimple, DiffusersLoader, VAELoader]
