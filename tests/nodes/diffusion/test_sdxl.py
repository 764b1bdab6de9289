"""SDXL through ComfyUI's nodes on tiny random base and refiner folders: the engine draws what diffusers'
StableDiffusionXLPipeline / StableDiffusionXLImg2ImgPipeline draw for the same seed and sampler (CLIPTextEncode
with ComfyUI's size defaults, CLIPTextEncodeSDXL, the refiner's aesthetic score, and the base -> refiner
hand-off of KSamplerAdvanced), and the fp16 VAE rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from sd_engine import Engine, make_engine

from nodegraph.config import Config

TEXT, NEGATIVE = "a glass bottle with a galaxy in it, evening sunset", "text, watermark"
SIZE, STEPS, CFG = 64, 4, 5.0


@pytest.fixture()
def xl_engine(registry, sdxl, tmp_path):
    return make_engine(registry, sdxl[0], tmp_path, device="cpu")


def base_graph(positive: dict[str, Any] | None = None, seed: int = 11, sampler: str = "euler",
               scheduler: str = "ddim_uniform") -> dict[str, Any]:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sdxl"}},
        "6": positive or {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "model": ["4", 0], "seed": seed, "steps": STEPS, "cfg": CFG, "sampler_name": sampler,
            "scheduler": scheduler, "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
            "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }


def image_of(result, node: str = "8") -> torch.Tensor:
    assert result.status == "success", result.error
    return result.output(node)


def same_pixels(engine_image: torch.Tensor, reference) -> None:
    reference = torch.from_numpy(reference) if not isinstance(reference, torch.Tensor) else reference
    assert engine_image.shape == reference.shape
    assert (engine_image - reference).abs().max() <= 1 / 255


def test_clip_text_encode_on_sdxl_equals_the_sdxl_pipeline(xl_engine, sdxl):
    _, base, _ = sdxl
    image = image_of(xl_engine.run(base_graph()))
    # ComfyUI conditions an SDXL prompt without sizes on the image's own size, uncropped: diffusers' defaults.
    reference = base(TEXT, negative_prompt=NEGATIVE, height=SIZE, width=SIZE, num_inference_steps=STEPS,
                     guidance_scale=CFG, generator=torch.Generator().manual_seed(11), output_type="np").images
    same_pixels(image, reference)
    assert torch.equal(image, torch.from_numpy(reference))  # in fact identical


def test_clip_text_encode_sdxl_sizes_and_texts_reach_the_model(xl_engine, sdxl):
    _, base, _ = sdxl
    positive = {"class_type": "CLIPTextEncodeSDXL", "inputs": {
        "clip": ["4", 1], "width": 1024, "height": 768, "crop_w": 16, "crop_h": 32, "target_width": 640,
        "target_height": 512, "text_g": TEXT, "text_l": "a red circle"}}
    image = image_of(xl_engine.run(base_graph(positive)))
    reference = base("a red circle", prompt_2=TEXT, negative_prompt=NEGATIVE, height=SIZE, width=SIZE,
                     num_inference_steps=STEPS, guidance_scale=CFG, generator=torch.Generator().manual_seed(11),
                     original_size=(768, 1024), crops_coords_top_left=(32, 16), target_size=(512, 640),
                     negative_original_size=(SIZE, SIZE), negative_target_size=(SIZE, SIZE),
                     output_type="np").images
    same_pixels(image, reference)
    plain = image_of(xl_engine.run(base_graph()))
    assert (plain - image).abs().max() > 0.01  # the sizes and the second text made a difference


def handoff_graph(steps: int = 10, switch: int = 8) -> dict[str, Any]:
    """ComfyUI's SDXL refiner workflow: the base stops at `switch` with its noise left in, the refiner ends it."""
    graph = base_graph()
    del graph["3"]
    graph.update({
        "12": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sdxl-refiner"}},
        "15": {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": ["12", 1]}},
        "16": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": ["12", 1]}},
        "10": {"class_type": "KSamplerAdvanced", "inputs": {
            "model": ["4", 0], "add_noise": "enable", "noise_seed": 5, "steps": steps, "cfg": CFG,
            "sampler_name": "euler", "scheduler": "ddim_uniform", "positive": ["6", 0], "negative": ["7", 0],
            "latent_image": ["5", 0], "start_at_step": 0, "end_at_step": switch,
            "return_with_leftover_noise": "enable"}},
        "11": {"class_type": "KSamplerAdvanced", "inputs": {
            "model": ["12", 0], "add_noise": "disable", "noise_seed": 0, "steps": steps, "cfg": CFG,
            "sampler_name": "euler", "scheduler": "ddim_uniform", "positive": ["15", 0], "negative": ["16", 0],
            "latent_image": ["10", 0], "start_at_step": switch, "end_at_step": 10000,
            "return_with_leftover_noise": "disable"}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["12", 2]}},
    })
    return graph


def test_the_refiner_hand_off_equals_diffusers_base_plus_refiner(xl_engine, sdxl):
    _, base, refiner = sdxl
    image = image_of(xl_engine.run(handoff_graph()))
    # diffusers' ensemble of expert denoisers: denoising_end / denoising_start 0.8 of 10 steps is step 8.
    latents = base(TEXT, negative_prompt=NEGATIVE, height=SIZE, width=SIZE, num_inference_steps=10,
                   guidance_scale=CFG, generator=torch.Generator().manual_seed(5), denoising_end=0.8,
                   output_type="latent").images
    reference = refiner(TEXT, negative_prompt=NEGATIVE, image=latents, num_inference_steps=10, guidance_scale=CFG,
                        denoising_start=0.8, output_type="np").images
    same_pixels(image, reference)


def test_the_refiners_aesthetic_score_node(xl_engine, sdxl):
    _, base, refiner = sdxl
    graph = handoff_graph()
    graph["15"] = {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {
        "ascore": 7.5, "width": SIZE, "height": SIZE, "text": TEXT, "clip": ["12", 1]}}
    graph["16"] = {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {
        "ascore": 2.0, "width": SIZE, "height": SIZE, "text": NEGATIVE, "clip": ["12", 1]}}
    image = image_of(xl_engine.run(graph))
    latents = base(TEXT, negative_prompt=NEGATIVE, height=SIZE, width=SIZE, num_inference_steps=10,
                   guidance_scale=CFG, generator=torch.Generator().manual_seed(5), denoising_end=0.8,
                   output_type="latent").images
    reference = refiner(TEXT, negative_prompt=NEGATIVE, image=latents, num_inference_steps=10, guidance_scale=CFG,
                        denoising_start=0.8, aesthetic_score=7.5, negative_aesthetic_score=2.0,
                        output_type="np").images
    same_pixels(image, reference)


def test_sdxl_nodes_refuse_what_does_not_fit(registry, sdxl, tiny_root, tmp_path):
    engine = Engine(registry, Config(base_dir=tmp_path, models_dirs=(tiny_root, sdxl[0]), device="cpu"))
    graph = base_graph({"class_type": "CLIPTextEncodeSDXL", "inputs": {
        "clip": ["20", 1], "width": 1024, "height": 1024, "crop_w": 0, "crop_h": 0, "target_width": 1024,
        "target_height": 1024, "text_g": TEXT, "text_l": TEXT}})
    graph["20"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}}
    error = engine.run(graph).error
    assert (error.node_id, error.input_name) == ("6", "clip")
    assert "'tiny-sd' has no SDXL text encoders; use CLIPTextEncode" in error.exception_message
    # An SD 1.x prompt on the SDXL model is named on the sampler's input, not a failure inside the UNet.
    graph = base_graph()
    graph["20"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}}
    graph["7"]["inputs"]["clip"] = ["20", 1]
    error = engine.run(graph).error
    assert (error.node_id, error.input_name) == ("3", "negative")
    assert "32 wide but this model attends to 192" in error.exception_message


def test_the_fp16_vae_rule_upcasts_as_diffusers_does(sdxl):
    from nodegraph_nodes.diffusion.handles import upcast_when_asked

    vae = sdxl[1].vae
    half = upcast_when_asked(lambda device, dtype: copy.deepcopy(vae).to(dtype=dtype))(torch.device("cpu"),
                                                                                       torch.float16)
    assert half.dtype == torch.float32 and half.config.force_upcast
    expected = copy.deepcopy(vae).to(torch.float16).to(torch.float32).state_dict()  # rounded through fp16
    assert all(torch.equal(value, expected[key]) for key, value in half.state_dict().items())
    assert any(not torch.equal(value, vae.state_dict()[key]) for key, value in half.state_dict().items())
    # bf16 and VAEs without the flag are left as they are.
    assert upcast_when_asked(lambda device, dtype: copy.deepcopy(vae).to(dtype=dtype))(
        torch.device("cpu"), torch.bfloat16).dtype == torch.bfloat16
