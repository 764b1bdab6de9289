"""LoraLoader and LoraLoaderModelOnly (ComfyUI's): a LoRA from models/loras put on MODEL and CLIP handles at a
strength (SD 1.x/2.x, SDXL, SD3 and Flux, each file read by its family's diffusers converter). Loading checks
the file against the model and names what does not fit; the adapters are applied only while the sampler or the
text encoder runs (see lora.applied), so the cached model is never changed and a graph without the LoRA draws
exactly what it drew before."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime import offload
from nodegraph.runtime.models import model_choices

from ..text.clip import ClipHandle
from ..types import CLIP, MODEL
from .handles import ModelHandle
from .load import find


def _strength() -> In:
    return In.float(1.0, min=-100.0, max=100.0, step=0.01)


def _describe(family: str, denoiser: Any, clip: ClipHandle | None) -> str:
    config = denoiser.config
    towers = f", text encoders {', '.join(t.role for t in clip.towers)}" if clip is not None else ""
    if family != "sd":
        width = config.num_attention_heads * config.attention_head_dim
        return (f"an {'SD3' if family == 'sd3' else 'Flux'}-type model (transformer {config.num_layers} blocks, "
                f"{width} wide{towers})")
    kind = "an SDXL-type model" if getattr(config, "addition_embed_type", None) == "text_time" else \
        "an SD 1.x/2.x-type model"
    return f"{kind} (cross-attention {config.cross_attention_dim} wide{towers})"


def add_lora(ctx: Context, model: Any, clip: Any, lora_name: str, strength_model: float,
             strength_clip: float) -> tuple[Any, Any]:
    """The handles with the LoRA added (a strength of 0 leaves a handle as it is), after checking that every
    part of the LoRA the handles use fits the model."""
    from . import lora

    if not isinstance(model, ModelHandle):
        raise NodeError("model", f"expected a MODEL from a checkpoint loader, got {type(model).__name__}")
    if clip is not None and not isinstance(clip, ClipHandle):
        raise NodeError("clip", f"expected a CLIP from a checkpoint loader, got {type(clip).__name__}")
    use_clip = clip is not None and strength_clip != 0
    if strength_model == 0 and not use_clip:
        return model, clip
    if strength_model != 0 and offload.is_offloaded(model.get()):
        # peft would inject its layers beside meta weights that accelerate's hooks fill in only per forward pass.
        raise NodeError("model", f"{model.name!r} is larger than --vram-budget and runs sequentially offloaded; "
                                 f"LoRAs are not applied to such a model: raise the budget")
    manager, found = find(ctx, "loras", lora_name, "lora_name")
    try:
        path = lora.lora_file(found)
        denoiser = model.get()
        xl = getattr(denoiser.config, "addition_embed_type", None) == "text_time"
        ref = lora.LoraRef(path, lora_name, strength_model, xl_unet_config=denoiser.config if xl else None,
                           family=model.family)
        modules: dict[str, Any] = {model.lora_component: denoiser if strength_model != 0 else None}
        if use_clip:
            modules.update({tower.role: tower.encoder.get() for tower in clip.towers})
        weights = lora.place(lora.read(manager, ref), modules)
        lora.check(weights, modules, _describe(model.family, denoiser, clip if use_clip else None),
                   only=tuple(name for name, module in modules.items() if module is not None))
    except (lora.LoraError, OSError) as exc:
        raise NodeError("lora_name", f"{lora_name!r}: {exc}") from None
    if strength_model != 0:
        model = replace(model, loras=(*model.loras, ref))
    if use_clip:
        clip = replace(clip, loras=(*clip.loras, replace(ref, strength=strength_clip)))
    return model, clip


class LoraLoader(Node):
    """Apply a LoRA from models/loras to a model and its CLIP, each at its own strength (stackable)."""

    category = "loaders"
    display_name = "Load LoRA"
    inputs = {"model": In(MODEL), "clip": In(CLIP), "lora_name": In.choice(model_choices("loras")),
              "strength_model": _strength(), "strength_clip": _strength()}
    outputs = {"MODEL": Out(MODEL), "CLIP": Out(CLIP)}

    def run(self, ctx: Context, model: Any, clip: Any, lora_name: str, strength_model: float,
            strength_clip: float) -> tuple[Any, Any]:
        return add_lora(ctx, model, clip, lora_name, strength_model, strength_clip)


class LoraLoaderModelOnly(Node):
    """Apply a LoRA from models/loras to a model only."""

    category = "loaders"
    display_name = "LoraLoaderModelOnly"
    inputs = {"model": In(MODEL), "lora_name": In.choice(model_choices("loras")), "strength_model": _strength()}
    outputs = {"MODEL": Out(MODEL)}

    def run(self, ctx: Context, model: Any, lora_name: str, strength_model: float) -> tuple[Any]:
        return (add_lora(ctx, model, None, lora_name, strength_model, 0.0)[0],)


NODES = [LoraLoader, LoraLoaderModelOnly]
