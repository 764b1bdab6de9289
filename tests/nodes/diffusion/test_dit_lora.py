"""LoRA on SD3 and Flux: LoraLoader / LoraLoaderModelOnly on the tiny SD3 and Flux folders draw what
StableDiffusion3Pipeline / FluxPipeline draw with `load_lora_weights` at the same strength (within 1/255), a
prefix-less PEFT file patches the transformer as its diffusers-layout twin does, a kohya-layout Flux file is
read by diffusers' Flux converter as the pipeline reads it, the cached model is left as it was, and a LoRA made
for the other family is refused on `lora_name`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lora_files import TEXT_TARGETS, UNET_TARGETS, peft_layers, save_diffusers, save_peft
from sd_engine import assert_failure
from test_dit import close, graph, image, reference


@pytest.fixture(scope="module")
def dit_loras(dit) -> Path:
    """models/loras beside the tiny DiT folders: SD3 (transformer and both CLIPs) and Flux (transformer only) in
    diffusers' layout, Flux's transformer layers again as peft saves them (no prefix), and Flux double-block
    layers in kohya's layout."""
    root, pipes = dit
    folder = root / "loras"
    folder.mkdir(exist_ok=True)
    sd3, flux = pipes["tiny-sd3"], pipes["tiny-flux-dev"]
    save_diffusers(folder / "sd3.safetensors", {
        "transformer": peft_layers(sd3.transformer, UNET_TARGETS, 4, 21),
        "text_encoder": peft_layers(sd3.text_encoder, TEXT_TARGETS, 4, 22),
        "text_encoder_2": peft_layers(sd3.text_encoder_2, TEXT_TARGETS, 4, 23)})
    layers = peft_layers(flux.transformer, [*UNET_TARGETS, "proj_mlp", "ff.net.2"], 4, 24)
    save_diffusers(folder / "flux.safetensors", {"transformer": layers})
    save_peft(folder / "flux-peft.safetensors", layers)
    save_flux_kohya(folder / "flux-kohya.safetensors", peft_layers(flux.transformer, list(KOHYA_FLUX), 4, 25))
    return folder


# kohya's (sd-scripts') names of Flux's double-block layers, by the diffusers module they become; single blocks
# are left out: diffusers' converter splits their fused linear1 at the released 3072 width.
KOHYA_FLUX = {"attn.to_out.0": "img_attn_proj", "ff.net.0.proj": "img_mlp_0", "ff.net.2": "img_mlp_2"}


def save_flux_kohya(path: Path, layers: dict) -> None:
    """peft's layers of Flux's transformer_blocks as sd-scripts saves them: lora_unet_double_blocks_I_NAME with
    lora_down / lora_up and an alpha (the rank: scale 1)."""
    from safetensors.torch import save_file

    out = {}
    for key, value in layers.items():
        target, kind = key.rsplit(".lora_", 1)
        _, index, module = target.split(".", 2)
        name = f"lora_unet_double_blocks_{index}_{KOHYA_FLUX[module]}"
        out[f"{name}.lora_down.weight" if kind.startswith("A") else f"{name}.lora_up.weight"] = value
        out[f"{name}.alpha"] = torch.tensor(4.0)
    save_file(out, str(path))


def flux_graph() -> dict:
    """The Flux-dev graph FluxPipeline's defaults match: no true CFG, its 'simple' spacing, guidance 3.5."""
    return graph("tiny-flux-dev", cfg=1.0, scheduler="simple", guidance=3.5)


def with_lora(prompt: dict, name: str, strength: float, model_only: bool = False) -> dict:
    if model_only:
        prompt["20"] = {"class_type": "LoraLoaderModelOnly", "inputs": {
            "model": ["4", 0], "lora_name": name, "strength_model": strength}}
    else:
        prompt["20"] = {"class_type": "LoraLoader", "inputs": {
            "model": ["4", 0], "clip": ["4", 1], "lora_name": name, "strength_model": strength,
            "strength_clip": strength}}
        prompt["6"]["inputs"]["clip"] = prompt["7"]["inputs"]["clip"] = ["20", 1]
    prompt["3"]["inputs"]["model"] = ["20", 0]
    return prompt


def with_pipeline_lora(pipe, folder: Path, name: str, strength: float, **kwargs) -> np.ndarray:
    pipe.load_lora_weights(str(folder), weight_name=name, adapter_name="test")
    try:
        pipe.set_adapters(["test"], adapter_weights=[strength])
        return reference(pipe, **kwargs)
    finally:
        pipe.unload_lora_weights()


def test_sd3_lora_on_model_and_clip_equals_the_pipeline(dit, dit_engine, dit_loras):
    pipe = dit[1]["tiny-sd3"]
    plain = image(dit_engine, graph("tiny-sd3"))
    theirs = with_pipeline_lora(pipe, dit_loras, "sd3.safetensors", 0.8, negative_prompt="", guidance_scale=4.0)
    assert np.abs(theirs - plain).max() > 0.02  # the LoRA changes the image
    close(image(dit_engine, with_lora(graph("tiny-sd3"), "sd3.safetensors", 0.8)), theirs)
    # The cached transformer and encoders were left as they were.
    assert np.array_equal(image(dit_engine, graph("tiny-sd3")), plain)


def test_flux_lora_model_only_equals_the_pipeline_in_both_layouts(dit, dit_engine, dit_loras):
    pipe = dit[1]["tiny-flux-dev"]
    theirs = with_pipeline_lora(pipe, dit_loras, "flux.safetensors", 1.5, guidance_scale=3.5)
    assert np.abs(theirs - reference(pipe, guidance_scale=3.5)).max() > 0.01  # 2.5x the tolerance
    for name in ("flux.safetensors", "flux-peft.safetensors"):
        close(image(dit_engine, with_lora(flux_graph(), name, 1.5,
                                          model_only=True)), theirs)


def test_a_lora_for_the_other_family_is_refused_on_lora_name(dit_engine, dit_loras):
    result = dit_engine.run(with_lora(flux_graph(), "sd3.safetensors", 1.0))
    assert_failure(result, "20", "lora_name", "'sd3.safetensors'", "another architecture",
                   "expected a LoRA for a")
    result = dit_engine.run(with_lora(graph("tiny-sd3"), "flux-peft.safetensors", 1.0, model_only=True))
    assert_failure(result, "20", "lora_name", "another architecture", "SD3-type model")


def test_a_kohya_flux_lora_equals_the_pipeline(dit, dit_engine, dit_loras):
    pipe = dit[1]["tiny-flux-dev"]
    theirs = with_pipeline_lora(pipe, dit_loras, "flux-kohya.safetensors", 1.5, guidance_scale=3.5)
    assert np.abs(theirs - reference(pipe, guidance_scale=3.5)).max() > 0.01
    close(image(dit_engine, with_lora(flux_graph(), "flux-kohya.safetensors", 1.5)), theirs)
