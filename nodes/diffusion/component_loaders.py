"""Loaders of one part, as ComfyUI's: VAELoader (models/vae), CLIPLoader and DualCLIPLoader (models/text_encoders,
also read as models/clip) and UNETLoader (models/diffusion_models, also models/unet). Each takes a diffusers
folder or a single .safetensors file; files get configs derived from their shapes (parts.py), so nothing is
fetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime.models import model_choices

from ..text.clip import FIRST, SECOND, ClipHandle, Tower
from ..types import CLIP, MODEL, VAE
from .handles import Handle, ModelHandle, VaeHandle, diffusers_class, diffusers_loader, latent_factor, latent_scale
from .load import _read_json, find, load_now


def _failed(input_name: str, name: str, exc: Exception, expected: str) -> NodeError:
    return NodeError(input_name, f"cannot load {name!r}: {exc}; expected {expected}")


class VAELoader(Node):
    """Load a VAE from models/vae: a diffusers folder (config.json + safetensors) or a single .safetensors file."""

    category = "loaders"
    display_name = "Load VAE"
    inputs = {"vae_name": In.choice(model_choices("vae"))}
    outputs = {"VAE": Out(VAE)}

    def run(self, ctx: Context, vae_name: str) -> tuple[Any]:
        manager, found = find(ctx, "vae", vae_name, "vae_name")
        if found.is_file():
            from . import parts

            try:
                config, loader = parts.vae(found)
            except Exception as exc:  # noqa: BLE001 - a file that is no VAE fails in many ways
                raise _failed("vae_name", vae_name, exc, "a VAE in the original (LDM) layout") from None
            # Which family's latent scale a lone VAE file serves is not in it: it decodes in the latent's own.
            vae = VaeHandle(manager, str(found), loader, "vae", vae_name, own_scale=False)
        else:
            folder = found / "vae" if (found / "vae").is_dir() else found  # a whole pipeline folder: its VAE
            config = _read_json(folder / "config.json", "vae_name")
            try:
                cls = diffusers_class(config.get("_class_name", "AutoencoderKL"))
            except ValueError as exc:
                raise NodeError("vae_name", str(exc)) from None
            vae = VaeHandle(manager, str(folder), diffusers_loader(cls, folder), "vae", vae_name)
        load_now("vae_name", (vae,), (Exception,))
        return (vae,)


def _tower(ctx: Context, name: str, input_name: str, role: str) -> tuple[Tower, str]:
    """A text tower from a CLIP file (or a transformers folder with a tokenizer beside it), and its family."""
    from . import parts

    manager, found = find(ctx, "text_encoders", name, input_name)
    if found.is_dir():
        from ..text.clip import tokenizer_loader
        from .handles import transformers_class, transformers_loader

        config = _read_json(found / "config.json", input_name)
        cls = transformers_class((config.get("architectures") or ["CLIPTextModel"])[0])
        tokenizer = found / "tokenizer" if (found / "tokenizer").is_dir() else found
        return Tower(Handle(manager, f"{tokenizer}:tokenizer", tokenizer_loader(tokenizer), "text_encoders",
                            f"{name}/tokenizer"),
                     Handle(manager, str(found), transformers_loader(cls, found), "text_encoders", name), role), "sd1"
    try:
        family, loader, _ = parts.clip(found, role)
    except Exception as exc:  # noqa: BLE001
        raise _failed(input_name, name, exc, "a CLIP text encoder (clip_l, clip_g) in transformers' layout") from None
    folder = "tokenizer_2" if family == "sdxl" else "tokenizer"
    tokenizer = Handle(manager, f"clip-tokenizer:{family}:{folder}", parts.tokenizer_loader(family, folder),
                       "text_encoders", f"CLIP tokenizer ({family})")
    return Tower(tokenizer, Handle(manager, f"{found}:{role}", loader, "text_encoders", name), role), family


class CLIPLoader(Node):
    """Load one text encoder from models/text_encoders (CLIP-L for SD 1.x, OpenCLIP-H for SD 2.x)."""

    category = "advanced/loaders"
    display_name = "Load CLIP"
    inputs = {"clip_name": In.choice(model_choices("text_encoders")),
              "type": In.choice(["stable_diffusion"], default="stable_diffusion"),
              "device": In.choice(["default", "cpu"], default="default", optional=True)}
    outputs = {"CLIP": Out(CLIP)}

    def run(self, ctx: Context, clip_name: str, type: str, device: str = "default") -> tuple[Any]:
        tower, _ = _tower(ctx, clip_name, "clip_name", FIRST)
        load_now("clip_name", (tower.tokenizer, tower.encoder), (Exception,))
        return (ClipHandle((tower,), clip_name),)


class DualCLIPLoader(Node):
    """Load two text encoders from models/text_encoders, in either order: SDXL's clip_l and clip_g, SD3's (type
    sd3, without T5) or Flux's clip_l and t5xxl (type flux)."""

    category = "advanced/loaders"
    display_name = "DualCLIPLoader"
    inputs = {"clip_name1": In.choice(model_choices("text_encoders")),
              "clip_name2": In.choice(model_choices("text_encoders")),
              "type": In.choice(["sdxl", "sd3", "flux"], default="sdxl"),
              "device": In.choice(["default", "cpu"], default="default", optional=True)}
    outputs = {"CLIP": Out(CLIP)}

    def run(self, ctx: Context, clip_name1: str, clip_name2: str, type: str, device: str = "default") -> tuple[Any]:
        if type != "sdxl":  # sd3: clip_l + clip_g; flux: clip_l + t5xxl
            from .dit_parts import dit_clip

            return (dit_clip(ctx, {"clip_name1": clip_name1, "clip_name2": clip_name2}, type),)
        widths = {}
        for input_name, name in (("clip_name1", clip_name1), ("clip_name2", clip_name2)):
            found = find(ctx, "text_encoders", name, input_name)[1]
            widths[input_name] = _width(found)
        # clip_l is the narrower one (768 against bigG's 1280 in SDXL), whichever input it comes on.
        narrow, wide = sorted(widths, key=lambda k: (widths[k], k))
        names = {"clip_name1": clip_name1, "clip_name2": clip_name2}
        first = _tower(ctx, names[narrow], narrow, FIRST)[0]
        second = _tower(ctx, names[wide], wide, SECOND)[0]
        load_now(wide, (second.tokenizer, second.encoder), (Exception,))
        load_now(narrow, (first.tokenizer, first.encoder), (Exception,))
        return (ClipHandle((first, second), f"{clip_name1}+{clip_name2}", "sdxl"),)


def _width(found: Path) -> int:
    if found.is_dir():
        return int(_read_json(found / "config.json", "clip_name1").get("hidden_size", 0))
    from . import parts

    weights = parts.open_file(found)
    key = next((k for k in weights.keys_set if k.endswith("embeddings.token_embedding.weight")), None)
    return weights.shape(key)[1] if key else 0


class UNETLoader(Node):
    """Load a diffusion model alone from models/diffusion_models: an SD UNet (a single .safetensors file or a
    folder), or an SD3 / Flux transformer in diffusers' layout (a folder)."""

    category = "advanced/loaders"
    display_name = "Load Diffusion Model"
    inputs = {"unet_name": In.choice(model_choices("diffusion_models")),
              "weight_dtype": In.choice(["default"], default="default")}
    outputs = {"MODEL": Out(MODEL)}

    def run(self, ctx: Context, unet_name: str, weight_dtype: str) -> tuple[Any]:
        from . import parts, standard

        from .dit_parts import transformer_model

        manager, found = find(ctx, "diffusion_models", unet_name, "unet_name")
        transformer = transformer_model(manager, found, unet_name)  # an SD3 or Flux transformer folder
        if transformer is not None:
            load_now("unet_name", (transformer,), (Exception,))
            return (transformer,)
        try:
            if found.is_dir():
                family, loader = "sd1", diffusers_loader(diffusers_class("UNet2DConditionModel"), found)
                if _read_json(found / "config.json", "unet_name").get("addition_embed_type") == "text_time":
                    family = "sdxl"
            else:
                family, _, loader = parts.unet(found)
        except Exception as exc:  # noqa: BLE001
            raise _failed("unet_name", unet_name, exc, "an SD 1.x, SD 2.x or SDXL UNet") from None
        vae_config = standard.read(family, "vae/config.json")
        model = ModelHandle(manager, str(found), loader, "diffusion_models", unet_name,
                            scheduler_config=standard.read(family, "scheduler/scheduler_config.json"),
                            latent_factor=latent_factor(vae_config), latent_scale=latent_scale(vae_config))
        load_now("unet_name", (model,), (Exception,))
        return (model,)


NODES = [VAELoader, CLIPLoader, DualCLIPLoader, UNETLoader]
