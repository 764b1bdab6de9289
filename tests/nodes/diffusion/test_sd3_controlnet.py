"""SD3 ControlNets: the engine's image equals StableDiffusion3ControlNetPipeline's for the same seed, steps,
guidance, conditioning scale, guidance window and control image (within 1/255 per pixel) through KSampler and the
split sampler, for an InstantX-style and a Stability SD3.5-style ControlNet, each from its diffusers folder and
from its single file (diffusers' and Stability's layouts); ControlNets of another family, a missing or wrong VAE
and the deprecated apply node without a VAE are refused naming the node and the input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter
from sd3_cn_tiny import DEEP
from sd_engine import Engine, assert_failure
from split_graphs import split

from nodegraph.config import Config

TEXT = "a large red circle in the center on a blue background"
STEPS, SIZE, STRENGTH, END = 3, 64, 0.7, 0.67


def control_image(folder) -> Image.Image:
    """A blurred picture, as sd3.5_large_blur's input image is, saved as input/control.png."""
    rng = np.random.default_rng(0)
    picture = Image.fromarray(rng.integers(0, 256, (SIZE // 8, SIZE // 8, 3), dtype=np.uint8)).resize(
        (SIZE, SIZE), Image.NEAREST).filter(ImageFilter.GaussianBlur(3))
    (folder / "input").mkdir(exist_ok=True)
    picture.save(folder / "input" / "control.png")
    return picture


def graph(controlnet: str, vae: bool = True, ckpt: str = DEEP) -> dict:
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {"class_type": "EmptySD3LatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}},
        "20": {"class_type": "LoadImage", "inputs": {"image": "control.png"}},
        "21": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": controlnet}},
        "23": {"class_type": "ControlNetApplyAdvanced", "inputs": {
            "positive": ["6", 0], "negative": ["7", 0], "control_net": ["21", 0], "image": ["20", 0],
            "strength": STRENGTH, "start_percent": 0.0, "end_percent": END, "vae": ["4", 2]}},
        "3": {"class_type": "KSampler", "inputs": {
            "seed": 3, "steps": STEPS, "cfg": 4.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
            "model": ["4", 0], "positive": ["23", 0], "negative": ["23", 1], "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }
    if not vae:
        del prompt["23"]["inputs"]["vae"]
    return prompt


def reference(dit, nets, name: str, picture: Image.Image) -> np.ndarray:
    from diffusers import SD3ControlNetModel, StableDiffusion3ControlNetPipeline

    folder = dit[0] / "controlnet" / name
    pipe = StableDiffusion3ControlNetPipeline(**nets[DEEP].components,
                                              controlnet=SD3ControlNetModel.from_pretrained(str(folder)))
    pipe.set_progress_bar_config(disable=True)
    return pipe(TEXT, negative_prompt="", height=SIZE, width=SIZE, num_inference_steps=STEPS, guidance_scale=4.0,
                control_image=picture, controlnet_conditioning_scale=STRENGTH, control_guidance_end=END,
                generator=torch.Generator().manual_seed(3), output_type="np").images


@pytest.mark.parametrize("name", ["tiny-sd3-cn", "tiny-sd35-cn"])
def test_sd3_controlnet_equals_its_pipeline(dit, sd3_controlnets, dit_engine, tmp_path, name):
    theirs = reference(dit, sd3_controlnets, name, control_image(tmp_path))
    # the folder, the single file, and the folder through the split sampler (the same model call)
    for prompt in (graph(name), graph(f"{name}.safetensors"), split(graph(name))):
        result = dit_engine.run(prompt)
        assert result.status == "success", result.error
        ours = result.output("8").numpy()
        assert ours.shape == theirs.shape == (1, SIZE, SIZE, 3)
        assert np.abs(ours - theirs).max() <= 1 / 255
    without = graph(name)
    without["3"]["inputs"]["positive"], without["3"]["inputs"]["negative"] = ["6", 0], ["7", 0]
    plain = dit_engine.run(without).output("8").numpy()
    assert np.abs(plain - theirs).mean() > 0.01  # the ControlNet changed the image
    positive_only = graph(name)
    positive_only["3"]["inputs"]["negative"] = ["7", 0]  # the negative's rows of the batch get no residuals
    one_side = dit_engine.run(positive_only).output("8").numpy()
    assert min(np.abs(one_side - theirs).mean(), np.abs(one_side - plain).mean()) > 0.02


def _on(prompt: dict, ckpt: str) -> dict:
    prompt["4"]["inputs"]["ckpt_name"] = ckpt
    return prompt


def test_controlnets_that_do_not_fit_are_refused_naming_the_node_and_input(registry, dit, sd3_controlnets, tiny_root,
                                                                          tmp_path):
    """tiny_root holds an SD 1.x model (tiny-sd) and its ControlNet (tiny-cn-a)."""
    engine = Engine(registry, Config(base_dir=tmp_path, models_dirs=(dit[0], tiny_root), device="cpu"))
    control_image(tmp_path)
    assert_failure(engine.run(graph("tiny-sd35-cn.safetensors", vae=False)), "23", "vae", "encodes its image")
    assert_failure(engine.run(_on(graph("tiny-sd3-cn"), "tiny-flux-dev")), "3", "positive",
                   "not supported for Flux", "'tiny-sd3-cn'")
    assert_failure(engine.run(graph("tiny-cn-a")), "3", "positive", "'tiny-cn-a' is for SD 1.x/2.x/SDXL")
    sd_vae = graph("tiny-sd3-cn")
    sd_vae["24"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}}
    sd_vae["23"]["inputs"]["vae"] = ["24", 2]
    assert_failure(engine.run(sd_vae), "23", "vae", "4-channel latents", "takes 16-channel")
    on_sd = _on(graph("tiny-sd3-cn"), "tiny-sd")
    on_sd["23"]["inputs"]["vae"] = ["22", 2]
    on_sd["22"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": DEEP}}
    assert_failure(engine.run(on_sd), "3", "positive", "'tiny-sd3-cn' is an SD3 ControlNet")
    deprecated = graph("tiny-sd3-cn")
    deprecated["23"] = {"class_type": "ControlNetApply", "inputs": {
        "conditioning": ["6", 0], "control_net": ["21", 0], "image": ["20", 0], "strength": 1.0}}
    deprecated["3"]["inputs"]["negative"] = ["7", 0]
    assert_failure(engine.run(deprecated), "23", "control_net", "ControlNetApplyAdvanced")
