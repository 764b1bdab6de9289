"""CheckpointLoaderSimple on the diffusers folders of the flow-matching transformers: SD3/SD3.5
(StableDiffusion3Pipeline: SD3Transformer2DModel, CLIP-L and CLIP-G with projection, optionally T5) and Flux
(FluxPipeline: FluxTransformer2DModel, CLIP-L and T5). Gives MODEL, CLIP and VAE handles as load.py does for SD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodegraph import NodeError

from ..text.clip import ClipHandle, Tower, tokenizer_loader
from .handles import (
    Handle,
    ModelHandle,
    VaeHandle,
    component_class,
    diffusers_class,
    diffusers_loader,
    latent_factor,
    latent_scale,
    transformers_class,
    transformers_loader,
)

# The pipelines' max_sequence_length defaults: how many T5 tokens a prompt is padded to.
T5_LENGTH = {"sd3": 256, "flux": 512}
# (tokenizer, text encoder, is T5, required) per family, in the order the pipelines encode them.
_TOWERS = {
    "sd3": (("tokenizer", "text_encoder", False, True), ("tokenizer_2", "text_encoder_2", False, True),
            ("tokenizer_3", "text_encoder_3", True, False)),
    "flux": (("tokenizer", "text_encoder", False, True), ("tokenizer_2", "text_encoder_2", True, True)),
}
_FAMILIES = {"SD3Transformer2DModel": "sd3", "FluxTransformer2DModel": "flux"}
NAMES = {"sd3": "SD3", "flux": "Flux"}


def transformer_family(folder: Path) -> str | None:
    """"sd3" or "flux" for a pipeline folder whose denoiser is one of those transformers, else None."""
    if not (folder / "transformer").is_dir():
        return None
    return _FAMILIES.get(component_class(folder, "transformer", ""))


def folder_tower(manager: Any, folder: Path, name: str, tokenizer: str, encoder: str, role: str,
                 t5: bool = False, max_length: int | None = None) -> Tower:
    cls = transformers_class(component_class(folder, encoder, "T5EncoderModel" if t5 else "CLIPTextModel"))
    return Tower(Handle(manager, f"{folder}/{tokenizer}", tokenizer_loader(folder / tokenizer), "checkpoints",
                        f"{name}/{tokenizer}"),
                 Handle(manager, f"{folder}/{encoder}", transformers_loader(cls, folder / encoder), "checkpoints",
                        f"{name}/{encoder}"), role, t5=t5, max_length=max_length)


def dit_handles(manager: Any, folder: Path, name: str, input_name: str, family: str) -> tuple[Any, Any, Any]:
    """MODEL, CLIP and VAE handles for an SD3 or Flux pipeline folder, each loaded now."""
    from .load import _read_json, load_now

    label = NAMES[family]
    present = [spec for spec in _TOWERS[family] if (folder / spec[0]).is_dir() and (folder / spec[1]).is_dir()]
    missing = [part for part in ("vae", "scheduler") if not (folder / part).is_dir()] + [
        f"{encoder} ({'T5' if t5 else 'CLIP'})" for tok, encoder, t5, required in _TOWERS[family]
        if required and (tok, encoder, t5, required) not in present]
    if missing:
        raise NodeError(input_name, f"{name!r} is not a complete {label} folder in the diffusers layout: missing "
                                    f"{', '.join(missing)}")
    try:
        transformer_cls = diffusers_class(component_class(folder, "transformer", ""))
        vae_cls = diffusers_class(component_class(folder, "vae", "AutoencoderKL"))
        towers = tuple(folder_tower(manager, folder, name, tok, encoder, encoder, t5,
                                    T5_LENGTH[family] if t5 else None) for tok, encoder, t5, _ in present)
    except ValueError as exc:
        raise NodeError(input_name, f"{name!r}: {exc}") from None
    vae_config = _read_json(folder / "vae" / "config.json", input_name)
    model = ModelHandle(manager, f"{folder}/transformer", diffusers_loader(transformer_cls, folder / "transformer"),
                        "checkpoints", f"{name}/transformer",
                        scheduler_config=_read_json(folder / "scheduler" / "scheduler_config.json", input_name),
                        latent_factor=latent_factor(vae_config), latent_scale=latent_scale(vae_config), family=family)
    clip = ClipHandle(towers, name, family)
    vae = VaeHandle(manager, f"{folder}/vae", diffusers_loader(vae_cls, folder / "vae"), "checkpoints", f"{name}/vae")
    load_now(input_name, (model, *(h for tower in towers for h in (tower.tokenizer, tower.encoder)), vae))
    return model, clip, vae
