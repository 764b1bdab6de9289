"""LoRA files read through diffusers' converters (kohya, diffusers and PEFT key layouts), checked against the
model they patch, and applied to a cached model only for one use: peft injects the adapters, the run uses them,
then they are removed, so the cached weights are never changed (peft leaves the base weights alone unless fused,
and nothing here fuses)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNET, TRANSFORMER, TEXT, TEXT_2 = "unet", "transformer", "text_encoder", "text_encoder_2"
COMPONENTS = (UNET, TRANSFORMER, TEXT, TEXT_2)
# The components whose adapters diffusers' PeftAdapterMixin loads (the denoisers); text encoders go through peft.
DENOISERS = (UNET, TRANSFORMER)
LAYOUTS = ("kohya (lora_unet_ / lora_te_ names with lora_down / lora_up), diffusers (unet. / transformer. / "
           "text_encoder. names with lora.down / lora.up or lora_A / lora_B) or PEFT (lora_A / lora_B)")
_PEFT_PREFIX = "base_model.model."


class LoraError(ValueError):
    """A LoRA that cannot patch this model: an unknown key layout, or made for another architecture."""


@dataclass(frozen=True)
class LoraRef:
    """One LoraLoader's LoRA on a MODEL or CLIP handle: the file, its strength, the model's family ("sd", "sd3",
    "flux": whose pipeline's converter reads the file) and for an SDXL model its UNet config (kohya's SDXL names
    are mapped with it, as StableDiffusionXLPipeline.load_lora_weights does)."""

    path: Path
    name: str
    strength: float
    xl_unet_config: dict[str, Any] | None = field(default=None, compare=False)
    family: str = "sd"


@dataclass(frozen=True)
class LoraWeights:
    """A LoRA in diffusers' layout, keys prefixed by component (unet., text_encoder., text_encoder_2.)."""

    state: dict[str, Any]
    alphas: dict[str, float] | None
    metadata: dict[str, Any] | None

    def components(self) -> list[str]:
        return [c for c in COMPONENTS if any(key.startswith(c + ".") for key in self.state)]

    def part(self, component: str) -> dict[str, Any]:
        return {k[len(component) + 1:]: v for k, v in self.state.items() if k.startswith(component + ".")}


def lora_file(path: Path) -> Path:
    """The weights file of a LoRA name: the file itself, or the one .safetensors of a folder (a PEFT adapter or
    a Hugging Face repository)."""
    if path.is_file():
        return path
    files = sorted(path.glob("*.safetensors"))
    named = [f for f in files if f.name in ("pytorch_lora_weights.safetensors", "adapter_model.safetensors")]
    if named or len(files) == 1:
        return (named or files)[0]
    raise LoraError(f"{path.name} holds {len(files)} .safetensors files; name one of them")


def _state_dict(path: Path, ref: LoraRef) -> tuple[dict[str, Any], dict[str, float] | None, Any]:
    """(state, alphas, metadata) as the family's pipeline reads the file (its mixin converts kohya / ComfyUI /
    XLabs names to diffusers'); the mixins differ in what they return."""
    from diffusers.loaders import lora_pipeline as mixins

    options = {"weight_name": path.name, "use_safetensors": True, "local_files_only": True,
               "return_lora_metadata": True}
    if ref.family == "sd3":
        state, metadata = mixins.SD3LoraLoaderMixin.lora_state_dict(str(path.parent), **options)
        return state, None, metadata
    if ref.family == "flux":
        return mixins.FluxLoraLoaderMixin.lora_state_dict(str(path.parent), return_alphas=True, **options)
    mixin = mixins.StableDiffusionXLLoraLoaderMixin if ref.xl_unet_config is not None else \
        mixins.StableDiffusionLoraLoaderMixin
    return mixin.lora_state_dict(str(path.parent), unet_config=ref.xl_unet_config, **options)


def _convert(path: Path, ref: LoraRef) -> LoraWeights:
    import json

    if path.suffix != ".safetensors":
        raise LoraError(f"{path.name}: only .safetensors LoRAs load (.pt, .ckpt and .bin files are pickles)")
    try:
        state, alphas, metadata = _state_dict(path, ref)
    except (KeyError, ValueError, IndexError, AttributeError, RuntimeError) as exc:
        raise LoraError(f"{path.name}: its keys are in no LoRA layout diffusers reads ({type(exc).__name__}: "
                        f"{exc}); expected {LAYOUTS}") from None
    if state and all(not k.startswith(tuple(c + "." for c in COMPONENTS)) for k in state):
        # A PEFT state dict of one model (peft's get_peft_model_state_dict, or a PeftModel's adapter file):
        # no component prefix. Its target is found by the module names when checked.
        state = {"?." + k.removeprefix(_PEFT_PREFIX): v for k, v in state.items()}
        config = path.parent / "adapter_config.json"
        if metadata is None and path.name == "adapter_model.safetensors" and config.is_file():
            options = json.loads(config.read_text())
            metadata = {f"?.{k}": options[k] for k in ("r", "lora_alpha", "target_modules") if k in options}
    return LoraWeights(state, alphas, metadata)


def read(manager: Any, ref: LoraRef) -> LoraWeights:
    """A LoRA file in diffusers' layout, converted once per file version and model family (memoised)."""
    stat = ref.path.stat()
    family = "xl" if ref.xl_unet_config is not None else ref.family
    key = f"lora:{ref.path}:{stat.st_mtime_ns}:{stat.st_size}:{family}"
    return manager.load(key, lambda device, dtype: _convert(ref.path, ref), kind="loras", name=ref.path.name)


def _as_peft(component: str, part: dict[str, Any], module: Any) -> dict[str, Any]:
    """One component's keys as peft names them (what load_lora_adapter and load_adapter convert them to)."""
    from diffusers.utils.state_dict_utils import (
        convert_state_dict_to_diffusers,
        convert_state_dict_to_peft,
        convert_unet_state_dict_to_peft,
    )

    try:
        if component in DENOISERS:
            return part if any("lora_A" in k for k in part) else convert_unet_state_dict_to_peft(part)
        converted = convert_state_dict_to_peft(convert_state_dict_to_diffusers(part))
    except (ValueError, KeyError) as exc:
        raise LoraError(f"its {component} keys are in no LoRA layout diffusers reads ({exc}); expected "
                        f"{LAYOUTS}") from None
    flat = not hasattr(module, "text_model")  # transformers 5.6+ flattened CLIPTextModel
    return {k.removeprefix("text_model.") if flat else k: v for k, v in converted.items()}


def mismatches(component: str, part: dict[str, Any], module: Any) -> tuple[int, list[str]]:
    """(layers the LoRA patches, what does not fit this module): missing layers, other sizes, unknown keys."""
    problems: list[str] = []
    layers = 0
    for key, value in _as_peft(component, part, module).items():
        if ".lora_B." in key or key.endswith(".alpha"):
            continue
        if ".lora_A." not in key:
            problems.append(f"{key}: not a LoRA key")
            continue
        layers += 1
        target = key.split(".lora_A.")[0]
        try:
            weight = module.get_submodule(target).weight
        except AttributeError:
            problems.append(f"{target}: no such layer")
            continue
        if value.ndim < 2 or weight.ndim < 2 or value.shape[1] != weight.shape[1]:
            problems.append(f"{target}: the LoRA takes {value.shape[1] if value.ndim > 1 else '?'} inputs, the "
                            f"layer {weight.shape[1] if weight.ndim > 1 else '?'}")
    return layers, problems


def place(weights: LoraWeights, modules: dict[str, Any]) -> LoraWeights:
    """Give a prefix-less PEFT state dict the component whose modules it names; the others pass as they are."""
    if not any(k.startswith("?.") for k in weights.state):
        return weights
    part = weights.part("?")
    for component, module in modules.items():
        try:
            fits = module is not None and not mismatches(component, part, module)[1]
        except LoraError:
            fits = False
        if fits:
            state = {f"{component}.{k}": v for k, v in part.items()}
            metadata = {f"{component}.{k[2:]}": v for k, v in (weights.metadata or {}).items()} or None
            return LoraWeights(state, weights.alphas, metadata)
    return weights


def check(weights: LoraWeights, modules: dict[str, Any], what: str, only: tuple[str, ...] = COMPONENTS) -> None:
    """LoraError unless every key the node applies (components `only`) is a LoRA key of a layer that exists with
    the same size in `modules` (component -> module, None where the model has no such component). `what`
    describes the model for the message."""
    if any(k.startswith("?.") for k in weights.state):
        if not any(".lora_A." in k or ".lora_B." in k for k in weights.state):
            shown = ", ".join(k[2:] for k in list(weights.state)[:3])
            raise LoraError(f"its keys ({shown} ...) are in no LoRA layout; expected {LAYOUTS}")
        target = next((modules[c] for c in only if modules.get(c) is not None), None)
        problems = mismatches(UNET, weights.part("?"), target)[1] if target is not None else ["nothing to patch"]
        raise LoraError(f"its PEFT keys name layers that are not in this model (e.g. {problems[0]}): it was made "
                        f"for another architecture; expected a LoRA for {what}")
    if not weights.components():
        shown = ", ".join(list(weights.state)[:3])
        raise LoraError(f"its keys ({shown} ...) are in no LoRA layout; expected {LAYOUTS}")
    used = [c for c in weights.components() if c in only]
    if not used:
        raise LoraError(f"it only patches {', '.join(weights.components())}, which this node does not apply")
    for component in used:
        module = modules.get(component)
        part = weights.part(component)
        if module is None:
            raise LoraError(f"it patches a {component} this model does not have ({len(part)} keys): it was made "
                            f"for another architecture; expected a LoRA for {what}")
        layers, problems = mismatches(component, part, module)
        unknown = [p for p in problems if p.endswith("not a LoRA key")]
        if unknown:
            raise LoraError(f"{len(unknown)} of its {component} keys are in no LoRA layout (e.g. {unknown[0]}); "
                            f"expected {LAYOUTS}")
        if problems:
            raise LoraError(f"it was made for another architecture: {len(problems)} of its {layers} {component} "
                            f"layers do not fit (e.g. {problems[0]}); expected a LoRA for {what}")


@contextmanager
def applied(handle: Any, component: str, loras: tuple[LoraRef, ...]) -> Iterator[Any]:
    """The handle's module with the LoRAs' adapters for `component` active at their strengths; removed on exit,
    which leaves the module exactly as it was. Held under the model's lock, so no other run sees the adapters."""
    module = handle.get()
    with handle.manager.lock(handle.key):
        names: list[str] = []
        strengths: list[float] = []
        try:
            for index, ref in enumerate(loras):
                weights = place(read(handle.manager, ref), {component: module})
                if component not in weights.components() or ref.strength == 0:
                    continue
                names.append(f"nodegraph_{index}")  # before loading: a load that fails half-way is removed too
                strengths.append(ref.strength)
                _load(module, component, weights, names[-1])
            if names:
                _activate(module, component, names, strengths)
            yield module
        finally:
            if names:
                _remove(module, component)


def _load(module: Any, component: str, weights: LoraWeights, name: str) -> None:
    from diffusers.loaders.lora_base import _load_lora_into_text_encoder

    if component in DENOISERS:
        module.load_lora_adapter(weights.state, prefix=component, network_alphas=weights.alphas, adapter_name=name,
                                 metadata=weights.metadata)
    else:
        _load_lora_into_text_encoder(weights.state, weights.alphas, module, prefix=component, adapter_name=name,
                                     metadata=weights.metadata)


def _activate(module: Any, component: str, names: list[str], strengths: list[float]) -> None:
    from diffusers.loaders.lora_base import set_adapters_for_text_encoder

    if component in DENOISERS:
        module.set_adapters(names, weights=strengths)
    else:
        set_adapters_for_text_encoder(names, module, strengths)


def _remove(module: Any, component: str) -> None:
    from diffusers.loaders.lora_base import _remove_text_encoder_monkey_patch

    if component in DENOISERS:
        module.unload_lora()
    else:
        _remove_text_encoder_monkey_patch(module)
