"""LoRA files for tests, in the layouts other tools write: random LoRA layers made with peft on a model's attention
projections, saved as peft keeps them (lora_A / lora_B, no prefix), as diffusers' pipelines save them (unet. /
text_encoder. prefixes; old lora.down / lora.up names) and as kohya's scripts do (lora_unet_... / lora_te_...
with lora_down / lora_up and an alpha per layer)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def peft_layers(module: Any, targets: list[str], rank: int, seed: int) -> dict[str, torch.Tensor]:
    """peft's state dict of random LoRA layers (both matrices random, so the LoRA changes the output)."""
    from peft import LoraConfig, get_peft_model_state_dict, inject_adapter_in_model

    torch.manual_seed(seed)
    patched = inject_adapter_in_model(LoraConfig(r=rank, lora_alpha=rank, target_modules=targets,
                                                 init_lora_weights=False), copy.deepcopy(module))
    with torch.no_grad():
        for name, value in patched.named_parameters():
            if "lora_" in name:
                value.mul_(0.5)  # keep the change visible but moderate
    return {k: v.contiguous() for k, v in get_peft_model_state_dict(patched).items()}


def _kohya_name(prefix: str, module_path: str) -> str:
    return prefix + module_path.replace(".", "_")


def save_kohya(path: Path, unet: dict[str, torch.Tensor], text: dict[str, torch.Tensor] | None,
               alpha: float) -> Path:
    """kohya's layout: lora_unet_<path>.lora_down/.lora_up.weight, .alpha; text layers as lora_te_text_model_..."""
    out: dict[str, torch.Tensor] = {}
    for prefix, state, text_model in (("lora_unet_", unet, False), ("lora_te_", text or {}, True)):
        for key, value in state.items():
            target, kind = key.rsplit(".lora_", 1)
            if text_model and not target.startswith("text_model."):
                target = "text_model." + target  # kohya names CLIP's layers under text_model, as it was
            name = _kohya_name(prefix, target)
            out[f"{name}.lora_down.weight" if kind.startswith("A") else f"{name}.lora_up.weight"] = value
            out[f"{name}.alpha"] = torch.tensor(float(alpha))
    save_file(out, str(path))
    return path


def save_peft(path: Path, unet: dict[str, torch.Tensor]) -> Path:
    """peft's own layout: get_peft_model_state_dict of the UNet, as saved (no component prefix)."""
    save_file(unet, str(path))
    return path


def save_diffusers(path: Path, components: dict[str, dict[str, torch.Tensor]], old_names: bool = False) -> Path:
    """diffusers' pipeline layout: component-prefixed keys, lora_A/lora_B or (old_names) lora.down/lora.up."""
    from diffusers.utils.state_dict_utils import convert_state_dict_to_diffusers

    out = {}
    for component, state in components.items():
        state = convert_state_dict_to_diffusers(state) if old_names else state
        out.update({f"{component}.{k}": v.contiguous() for k, v in state.items()})
    save_file(out, str(path))
    return path
