"""SD3 and Flux on tiny random diffusers folders: the engine's image equals StableDiffusion3Pipeline's /
FluxPipeline's for the same seed, steps and guidance (within 1/255 per pixel), through KSampler and through the
split sampler; ModelSamplingSD3/Flux shift the schedule as the pipelines' scheduler settings do; samplers and
inputs that do not fit a flow-matching model are refused naming the node and the input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from sd_engine import assert_failure, make_engine
from split_graphs import split

TEXT = "a large red circle in the center on a blue background"
STEPS, SIZE = 3, 64


def graph(ckpt: str, seed: int = 3, cfg: float = 4.0, scheduler: str = "normal", guidance: float | None = None,
          sampler: str = "euler") -> dict:
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {"class_type": "EmptySD3LatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "seed": seed, "steps": STEPS, "cfg": cfg, "sampler_name": sampler, "scheduler": scheduler,
            "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
            "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "dit", "images": ["8", 0]}},
    }
    if guidance is not None:
        prompt["10"] = {"class_type": "FluxGuidance", "inputs": {"conditioning": ["6", 0], "guidance": guidance}}
        prompt["3"]["inputs"]["positive"] = ["10", 0]
    return prompt


def image(engine, prompt) -> np.ndarray:
    result = engine.run(prompt)
    assert result.status == "success", result.error
    return result.output("8").numpy()


def reference(pipe, seed: int = 3, **kwargs) -> np.ndarray:
    return pipe(TEXT, height=SIZE, width=SIZE, num_inference_steps=STEPS, generator=torch.Generator().manual_seed(seed),
                output_type="np", **kwargs).images


def close(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape == (1, SIZE, SIZE, 3)
    assert np.abs(ours - theirs).max() <= 1 / 255


def test_sd3_equals_its_pipeline_through_ksampler_and_the_split_sampler(dit, dit_engine):
    pipe = dit[1]["tiny-sd3"]
    theirs = reference(pipe, negative_prompt="", guidance_scale=4.0)
    prompt = graph("tiny-sd3")
    close(image(dit_engine, prompt), theirs)
    close(image(dit_engine, split(prompt)), theirs)
    assert np.abs(image(dit_engine, graph("tiny-sd3", seed=4)) - theirs).max() > 0.05  # the seed matters


def test_model_sampling_sd3_is_the_schedulers_shift(dit, dit_engine):
    from diffusers import FlowMatchEulerDiscreteScheduler

    pipe = dit[1]["tiny-sd3"]
    original = pipe.scheduler
    pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(original.config, shift=1.5)
    try:
        theirs = reference(pipe, negative_prompt="", guidance_scale=4.0)
    finally:
        pipe.scheduler = original
    prompt = graph("tiny-sd3")
    prompt["11"] = {"class_type": "ModelSamplingSD3", "inputs": {"model": ["4", 0], "shift": 1.5}}
    prompt["3"]["inputs"]["model"] = ["11", 0]
    close(image(dit_engine, prompt), theirs)
    assert np.abs(image(dit_engine, graph("tiny-sd3")) - theirs).max() > 0.01  # shift 3 is another image


def test_clip_text_encode_sd3_with_one_text_is_clip_text_encode(dit_engine):
    prompt = graph("tiny-sd3")
    prompt["6"] = {"class_type": "CLIPTextEncodeSD3", "inputs": {
        "clip": ["4", 1], "clip_l": TEXT, "clip_g": TEXT, "t5xxl": TEXT, "empty_padding": "none"}}
    assert np.array_equal(image(dit_engine, prompt), image(dit_engine, graph("tiny-sd3")))


@pytest.mark.parametrize("name", ["tiny-flux-dev", "tiny-flux-schnell"])
def test_flux_equals_its_pipeline_through_ksampler_and_the_stock_flux_graph(dit, dit_engine, name):
    theirs = reference(dit[1][name], guidance_scale=3.5)
    prompt = graph(name, cfg=1.0, scheduler="simple", guidance=3.5)
    close(image(dit_engine, prompt), theirs)
    # The stock Flux-dev workflow: RandomNoise -> BasicGuider(FluxGuidance) -> KSamplerSelect -> BasicScheduler.
    close(image(dit_engine, split(prompt, guider="BasicGuider")), theirs)
    other = image(dit_engine, graph(name, cfg=1.0, scheduler="simple", guidance=8.0))
    if name == "tiny-flux-dev":  # distilled guidance is a model input; schnell has none and ignores it
        assert np.abs(other - theirs).max() > 0.01
    else:
        assert np.array_equal(other, image(dit_engine, prompt))


def test_flux_true_cfg_and_clip_text_encode_flux(dit, dit_engine):
    theirs = reference(dit[1]["tiny-flux-dev"], guidance_scale=3.5, negative_prompt="", true_cfg_scale=2.0)
    prompt = graph("tiny-flux-dev", cfg=2.0, scheduler="simple")
    prompt["6"] = {"class_type": "CLIPTextEncodeFlux", "inputs": {"clip": ["4", 1], "clip_l": TEXT, "t5xxl": TEXT,
                                                                  "guidance": 3.5}}
    close(image(dit_engine, prompt), theirs)


def test_model_sampling_flux_shifts_for_the_given_size(dit, dit_engine):
    theirs = reference(dit[1]["tiny-flux-dev"], guidance_scale=3.5)  # 64x64 pixels: 4x4 packed tokens
    prompt = graph("tiny-flux-dev", cfg=1.0, scheduler="simple", guidance=3.5)
    prompt["11"] = {"class_type": "ModelSamplingFlux", "inputs": {"model": ["4", 0], "max_shift": 1.15,
                                                                  "base_shift": 0.5, "width": 64, "height": 64}}
    prompt["3"]["inputs"]["model"] = ["11", 0]
    close(image(dit_engine, prompt), theirs)  # ComfyUI's rule at 64x64 is 16 tokens, as here
    prompt["11"]["inputs"].update(width=1024, height=1024)
    assert np.abs(image(dit_engine, prompt) - theirs).max() > 0.01



@pytest.mark.parametrize("sampler,scheduler,input_name,word", [
    ("dpmpp_2m", "normal", "sampler_name", "flow-matching"),
    ("euler", "ddim_uniform", "scheduler", "flow-matching"),
])
def test_samplers_that_make_no_sense_for_flow_matching_are_refused(dit_engine, sampler, scheduler, input_name, word):
    prompt = graph("tiny-sd3", sampler=sampler, scheduler=scheduler)
    named = sampler if input_name == "sampler_name" else scheduler
    assert_failure(dit_engine.run(prompt), "3", input_name, word, named)


def test_conditioning_of_another_family_is_refused_by_the_guider(dit_engine):
    prompt = split(graph("tiny-flux-dev", cfg=1.0, scheduler="simple"), guider="BasicGuider")
    prompt["12"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd3"}}
    prompt["6"]["inputs"]["clip"] = ["12", 1]  # an SD3 prompt under a Flux model's guider
    assert_failure(dit_engine.run(prompt), "31", "conditioning", "encoded for sd3", "Flux")


def test_sd_latent_and_sd_prompt_into_sd3_are_refused(registry, dit, tiny_root, tmp_path):
    from nodegraph.config import Config
    from sd_engine import Engine

    engine = Engine(registry, Config(base_dir=tmp_path, models_dirs=(dit[0], tiny_root), device="cpu"))
    prompt = graph("tiny-sd3")
    prompt["12"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}}
    prompt["13"] = {"class_type": "EmptyImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1,
                                                           "color": 0}}
    prompt["14"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["13", 0], "vae": ["12", 2]}}
    prompt["3"]["inputs"]["latent_image"] = ["14", 0]
    assert_failure(engine.run(prompt), "3", "latent_image", "4 channels", "SD3", "16")
    prompt = graph("tiny-sd3")
    prompt["12"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}}
    prompt["6"]["inputs"]["clip"] = ["12", 1]
    assert_failure(engine.run(prompt), "3", "positive", "SD 1.x/2.x/SDXL", "SD3")


def test_a_flux_folder_without_its_t5_is_refused_by_the_loader(registry, dit, tmp_path):
    folder = tmp_path / "models" / "checkpoints" / "flux-no-t5"
    shutil.copytree(dit[0] / "checkpoints" / "tiny-flux-dev", folder,
                    ignore=shutil.ignore_patterns("text_encoder_2"))
    engine = make_engine(registry, tmp_path / "models", tmp_path, device="cpu")
    assert_failure(engine.run(graph("flux-no-t5")), "4", "ckpt_name", "text_encoder_2 (T5)", "Flux")


def test_an_image_larger_than_sd3s_position_table_is_refused(dit_engine):
    prompt = graph("tiny-sd3")
    prompt["5"]["inputs"].update(width=1600, height=1024)  # the tiny model places 96 patches of 2 cells a side
    assert_failure(dit_engine.run(prompt), "3", "latent_image", "200x128", "at most 192 latent cells")



def test_a_broken_lora_on_flux_is_refused_not_ignored(registry, dit, tmp_path):
    from nodegraph.config import Config
    from safetensors.torch import save_file
    from sd_engine import Engine

    (tmp_path / "more" / "loras").mkdir(parents=True)
    save_file({"lora_unet_x.lora_up.weight": torch.zeros(4, 1)}, str(tmp_path / "more" / "loras" / "a.safetensors"))
    engine = Engine(registry, Config(base_dir=tmp_path, models_dirs=(dit[0], tmp_path / "more"), device="cpu"))
    prompt = graph("tiny-flux-dev", cfg=1.0, scheduler="simple")
    prompt["12"] = {"class_type": "LoraLoaderModelOnly", "inputs": {"model": ["4", 0], "lora_name": "a.safetensors",
                                                                     "strength_model": 1.0}}
    prompt["3"]["inputs"]["model"] = ["12", 0]
    # Flux's converter leaves a kohya name it does not know as it was: refused, never silently skipped.
    assert_failure(engine.run(prompt), "12", "lora_name", "'a.safetensors'", "in no LoRA layout")


def test_a_zeroed_negative_on_sd3_is_the_pipelines_zero_negative_embeddings(dit, dit_engine):
    # ComfyUI's SD3.5 templates zero the negative (ConditioningZeroOut): the whole context and pooled embedding.
    theirs = reference(dit[1]["tiny-sd3"], guidance_scale=4.0, negative_prompt_embeds=torch.zeros(1, 77 + 256, 256),
                       negative_pooled_prompt_embeds=torch.zeros(1, 64 + 128))
    prompt = graph("tiny-sd3")
    prompt["11"] = {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["7", 0]}}
    prompt["3"]["inputs"]["negative"] = ["11", 0]
    close(image(dit_engine, prompt), theirs)


@pytest.mark.parametrize("name,cfg,scheduler", [("tiny-sd3", 4.0, "normal"), ("tiny-flux-dev", 1.0, "simple")])
def test_two_ksampler_advanced_passes_with_leftover_noise_equal_one_run(dit_engine, name, cfg, scheduler):
    prompt = graph(name, cfg=cfg, scheduler=scheduler)
    k = prompt["3"]["inputs"]
    prompt["3"]["class_type"] = "KSamplerAdvanced"
    seed, _ = k.pop("seed"), k.pop("denoise")
    k.update(add_noise="enable", noise_seed=seed, start_at_step=0, end_at_step=2, return_with_leftover_noise="enable")
    prompt["3b"] = {"class_type": "KSamplerAdvanced", "inputs": {
        **k, "add_noise": "disable", "latent_image": ["3", 0], "start_at_step": 2, "end_at_step": 10000,
        "return_with_leftover_noise": "disable"}}
    prompt["8"]["inputs"]["samples"] = ["3b", 0]
    assert np.array_equal(image(dit_engine, prompt), image(dit_engine, graph(name, cfg=cfg, scheduler=scheduler)))
