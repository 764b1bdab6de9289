"""SD3's and Flux's parts loaded separately, as ComfyUI's workflows load them: a transformer folder under
UNETLoader (with its family's standard noise schedule and latent scale), DualCLIPLoader type sd3 (clip_l + clip_g)
or flux (clip_l + t5xxl), and TripleCLIPLoader (clip_l, clip_g, t5xxl). CLIP files in transformers' layout load
as for SDXL (parts.py); T5 loads from a transformers folder with its tokenizer (a lone T5 file carries no
vocabulary, and T5's cannot be fetched here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime.models import model_choices

from ..text.clip import FIRST, SECOND, ClipHandle, Tower, tokenizer_loader
from ..types import CLIP
from .dit_load import NAMES, T5_LENGTH
from .handles import Handle, ModelHandle, diffusers_class, diffusers_loader, transformers_class, transformers_loader
from .load import _read_json, find, load_now

THIRD = "text_encoder_3"
# The released models' schedules and VAE latent scales (diffusers' configs of SD3 medium, FLUX.1 dev / schnell).
_SCHEDULES = {
    "sd3": {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0},
    "flux": {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0,
             "use_dynamic_shifting": True, "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256,
             "max_image_seq_len": 4096},
    "flux_schnell": {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 1.0,
                     "use_dynamic_shifting": False},
}
_SCALES = {"sd3": (1.5305, 0.0609), "flux": (0.3611, 0.1159)}
_TRANSFORMERS = {"SD3Transformer2DModel": "sd3", "FluxTransformer2DModel": "flux"}


def transformer_model(manager: Any, found: Path, name: str) -> ModelHandle | None:
    """A MODEL for an SD3 or Flux transformer: a diffusers folder (config.json + safetensors), or an SD3 file in
    the original layout (dit_files.py); None for anything else."""
    if found.is_file():
        from .dit_files import sd3_prefix, sd3_transformer

        prefix = sd3_prefix(found)
        if prefix is None:
            return None
        try:
            config, loader = sd3_transformer(found, prefix)
        except Exception as exc:  # noqa: BLE001 - a file that breaks SD3's conventions fails in many ways
            raise NodeError("unet_name", f"cannot load {name!r} as an SD3 transformer: {exc}") from None
    elif (found / "config.json").is_file():
        config = _read_json(found / "config.json", "unet_name")
        if config.get("_class_name") not in _TRANSFORMERS:
            return None
        loader = diffusers_loader(diffusers_class(config["_class_name"]), found)
    else:
        return None
    family = _TRANSFORMERS[config["_class_name"]]
    schedule = _SCHEDULES["flux_schnell" if family == "flux" and not config.get("guidance_embeds") else family]
    return ModelHandle(manager, str(found), loader, "diffusion_models", name, scheduler_config=dict(schedule),
                       latent_factor=8, latent_scale=_SCALES[family], family=family)


def _is_t5(found: Path) -> bool:
    if found.is_dir():
        return (found / "config.json").is_file() and _read_json(found / "config.json", "").get("model_type") == "t5"
    from . import parts

    try:
        keys = parts.open_file(found).keys_set
    except Exception:  # noqa: BLE001 - not readable as safetensors: the CLIP path reports it
        return False
    return any(k.endswith("encoder.block.0.layer.0.SelfAttention.q.weight") for k in keys)


def _width(found: Path) -> int:
    from .component_loaders import _width as width

    return width(found)


def _t5_tower(ctx: Context, name: str, found: Path, input_name: str, family: str, role: str) -> Tower:
    if not found.is_dir():
        raise NodeError(input_name, f"{name!r} is a lone T5 file, which carries no tokenizer (T5's vocabulary is not "
                                    "shipped here): put the T5 in models/text_encoders as a transformers folder "
                                    "(config.json, model.safetensors and its tokenizer files)")
    config = _read_json(found / "config.json", input_name)
    tokenizer = found / "tokenizer" if (found / "tokenizer").is_dir() else found
    try:
        cls = transformers_class((config.get("architectures") or ["T5EncoderModel"])[0])
    except ValueError as exc:
        raise NodeError(input_name, str(exc)) from None
    return Tower(Handle(ctx.models, f"{tokenizer}:tokenizer", tokenizer_loader(tokenizer), "text_encoders",
                        f"{name}/tokenizer"),
                 Handle(ctx.models, f"{found}:{role}", transformers_loader(cls, found), "text_encoders", name), role,
                 t5=True, max_length=T5_LENGTH[family])


def _clip_tower(ctx: Context, name: str, found: Path, input_name: str, role: str, projection: bool) -> Tower:
    if found.is_dir():
        from .component_loaders import _tower

        return _tower(ctx, name, input_name, role)[0]
    return clip_file_tower(ctx.models, name, found, input_name, role, projection)


def clip_file_tower(manager: Any, name: str, found: Path, input_name: str, role: str, projection: bool,
                    prefixes: tuple[str, ...] | None = None, kind: str = "text_encoders") -> Tower:
    """A CLIP tower from a file in transformers' layout (under one of `prefixes` in it, if given), with CLIP's
    shipped tokenizer as SDXL's folders configure it (the second role pads with "!", as SD3's does too)."""
    from . import parts

    try:
        _, loader, _ = parts.clip(found, role, projection, *([prefixes] if prefixes else []))
    except Exception as exc:  # noqa: BLE001 - a file that is no CLIP fails in many ways
        raise NodeError(input_name, f"cannot load {name!r}: {exc}; expected a CLIP text encoder") from None
    folder = "tokenizer_2" if role == SECOND else "tokenizer"
    tokenizer = Handle(manager, f"clip-tokenizer:sdxl:{folder}", parts.tokenizer_loader("sdxl", folder), kind,
                       "CLIP tokenizer (sdxl)")
    return Tower(tokenizer, Handle(manager, f"{found}:{role}:{projection}", loader, kind, f"{name}/{role}"), role)


def dit_clip(ctx: Context, names: dict[str, str], family: str) -> ClipHandle:
    """The CLIP of an SD3 or Flux model from separate files (input name -> file): T5 told apart by its keys,
    CLIP-L from CLIP-G by width, whichever input each comes on."""
    found = {input_name: find(ctx, "text_encoders", name, input_name)[1] for input_name, name in names.items()}
    t5s = [input_name for input_name, path in found.items() if _is_t5(path)]
    clips = sorted((k for k in found if k not in t5s), key=lambda k: (_width(found[k]), k))
    label, last = NAMES[family], list(names)[-1]
    wanted_clips = 1 if family == "flux" else 2
    if family == "flux" and not t5s:
        raise NodeError(last, f"{label} needs a T5 text encoder (t5xxl) beside clip_l, and none of "
                              f"{', '.join(names.values())} is one")
    if len(t5s) > 1 or len(clips) != wanted_clips:
        raise NodeError(last, f"{label} takes {'clip_l and t5xxl' if family == 'flux' else 'clip_l, clip_g and t5xxl'}"
                              f"; got {len(clips)} CLIP and {len(t5s)} T5 encoders")
    roles = [FIRST, SECOND][:wanted_clips]
    towers = [_clip_tower(ctx, names[k], found[k], k, role, family == "sd3") for k, role in zip(clips, roles,
                                                                                             strict=True)]
    if t5s:
        towers.append(_t5_tower(ctx, names[t5s[0]], found[t5s[0]], t5s[0], family, SECOND if family == "flux"
                                else THIRD))
    for input_name, tower in zip([*clips, *t5s], towers, strict=True):
        load_now(input_name, (tower.tokenizer, tower.encoder), (Exception,))
    return ClipHandle(tuple(towers), "+".join(names.values()), family)


class TripleCLIPLoader(Node):
    """Load SD3's three text encoders from models/text_encoders: clip_l, clip_g and t5xxl (in any order)."""

    category = "advanced/loaders"
    display_name = "TripleCLIPLoader"
    inputs = {"clip_name1": In.choice(model_choices("text_encoders")),
              "clip_name2": In.choice(model_choices("text_encoders")),
              "clip_name3": In.choice(model_choices("text_encoders"))}
    outputs = {"CLIP": Out(CLIP)}

    def run(self, ctx: Context, clip_name1: str, clip_name2: str, clip_name3: str) -> tuple[Any]:
        return (dit_clip(ctx, {"clip_name1": clip_name1, "clip_name2": clip_name2, "clip_name3": clip_name3},
                         "sd3"),)


NODES = [TripleCLIPLoader]
