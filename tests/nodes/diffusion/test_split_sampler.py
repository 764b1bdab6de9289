"""ComfyUI's split sampler on a tiny SD model: SamplerCustomAdvanced / SamplerCustom from their parts give the same
pixels as KSampler / KSamplerAdvanced for the same seed (they are one implementation), SplitSigmas hands leftover
noise on, and bad parts are refused naming the node and the input."""

from __future__ import annotations

import pytest
import torch
from sd_engine import assert_failure
from split_graphs import split

TEXT = "a large red circle in the center on a blue background"


def _image(engine, prompt, node: str = "8") -> torch.Tensor:
    result = engine.run(prompt)
    assert result.status == "success", result.error
    return result.output(node)


@pytest.mark.parametrize("sampler,scheduler", [("ddim", "simple"), ("euler_ancestral", "normal")])
def test_split_sampler_equals_ksampler(engine, graphs, sampler, scheduler):
    prompt = graphs.txt2img("tiny-sd", TEXT, seed=3, steps=3, sampler_name=sampler, scheduler=scheduler)
    reference = _image(engine, prompt)
    assert torch.equal(_image(engine, split(prompt)), reference)
    other_seed = split(prompt)
    other_seed["30"]["inputs"]["noise_seed"] = 4
    assert (_image(engine, other_seed) - reference).abs().max() > 0.01


def test_partial_denoise_through_basic_scheduler_equals_ksampler(engine, graphs):
    prompt = graphs.img2img("tiny-sd", TEXT, seed=5, denoise=0.6)
    prompt["3"]["inputs"]["steps"] = 3
    assert torch.equal(_image(engine, split(prompt)), _image(engine, prompt))


def test_basic_guider_is_ksampler_at_cfg_one(engine, graphs):
    prompt = graphs.txt2img("tiny-sd", TEXT, seed=2, steps=2, cfg=1.0)
    assert torch.equal(_image(engine, split(prompt, guider="BasicGuider")), _image(engine, prompt))


def test_sampler_custom_equals_ksampler(engine, graphs):
    prompt = graphs.txt2img("tiny-sd", TEXT, seed=7, steps=3)
    custom = split(prompt)
    k = prompt["3"]["inputs"]
    custom["3"] = {"class_type": "SamplerCustom", "inputs": {
        "model": k["model"], "add_noise": True, "noise_seed": 7, "cfg": k["cfg"], "positive": k["positive"],
        "negative": k["negative"], "sampler": ["32", 0], "sigmas": ["33", 0], "latent_image": k["latent_image"]}}
    for unused in ("30", "31"):
        del custom[unused]
    assert torch.equal(_image(engine, custom), _image(engine, prompt))


def _two_pass_advanced(graphs, steps: int, middle: int) -> dict:
    prompt = graphs.txt2img("tiny-sd", TEXT, seed=9, steps=steps, sampler_name="euler", scheduler="normal")
    k = prompt.pop("3")["inputs"]
    common = {key: k[key] for key in ("model", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative")}
    prompt["3a"] = {"class_type": "KSamplerAdvanced", "inputs": {
        **common, "add_noise": "enable", "noise_seed": 9, "latent_image": k["latent_image"], "start_at_step": 0,
        "end_at_step": middle, "return_with_leftover_noise": "enable"}}
    prompt["3"] = {"class_type": "KSamplerAdvanced", "inputs": {
        **common, "add_noise": "disable", "noise_seed": 9, "latent_image": ["3a", 0], "start_at_step": middle,
        "end_at_step": 10000, "return_with_leftover_noise": "disable"}}
    return prompt


def test_split_sigmas_hands_leftover_noise_on_as_ksampler_advanced_does(engine, graphs):
    advanced = _two_pass_advanced(graphs, steps=4, middle=2)
    reference = _image(engine, advanced)
    custom = split(graphs.txt2img("tiny-sd", TEXT, seed=9, steps=4, sampler_name="euler", scheduler="normal"))
    custom["34"] = {"class_type": "SplitSigmas", "inputs": {"sigmas": ["33", 0], "step": 2}}
    custom["35"] = {"class_type": "DisableNoise", "inputs": {}}
    custom["3a"] = {**custom["3"], "inputs": {**custom["3"]["inputs"], "sigmas": ["34", 0]}}
    custom["3"]["inputs"].update(noise=["35", 0], sigmas=["34", 1], latent_image=["3a", 0])
    custom["40"] = {"class_type": "VAEDecode", "inputs": {"samples": ["3a", 1], "vae": ["4", 2]}}  # denoised_output
    custom["41"] = {"class_type": "VAEDecode", "inputs": {"samples": ["3a", 0], "vae": ["4", 2]}}  # noisy output
    custom["42"] = {"class_type": "VAEDecode", "inputs": {"samples": ["3", 1], "vae": ["4", 2]}}
    result = engine.run(custom)
    assert result.status == "success", result.error
    assert torch.equal(result.output("8"), reference)
    # The first half stops with its noise left in, and its denoised estimate is another latent; a schedule run
    # to its end has nothing left to denoise, so both outputs are the same.
    assert (result.output("41") - result.output("40")).abs().mean() > 0.01
    assert torch.equal(result.output("42"), reference)



def test_sigmas_with_one_noise_level_are_refused(engine, graphs):
    custom = split(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=2))
    custom["34"] = {"class_type": "SplitSigmas", "inputs": {"sigmas": ["33", 0], "step": 2}}
    custom["3"]["inputs"]["sigmas"] = ["34", 1]
    assert_failure(engine.run(custom), "3", "sigmas", "single noise level", "no step to take")


def test_guider_without_a_model_fails_validation(engine, graphs):
    custom = split(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=2))
    del custom["31"]["inputs"]["model"]
    checked = engine.check(custom)
    assert not checked.ok
    (error,) = checked.node_errors["31"]["errors"]
    assert error["extra_info"]["input_name"] == "model"


def test_a_part_of_the_wrong_type_fails_validation(engine, graphs):
    custom = split(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=2))
    custom["3"]["inputs"]["sampler"] = ["33", 0]  # SIGMAS into a SAMPLER input
    checked = engine.check(custom)
    assert not checked.ok
    (error,) = checked.node_errors["3"]["errors"]
    assert error["extra_info"]["input_name"] == "sampler" and "SIGMAS" in str(error)


def test_sampler_that_does_not_fit_the_sigmas_names_the_sampler(engine, graphs):
    custom = split(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=2, sampler_name="ddim", scheduler="karras"))
    assert_failure(engine.run(custom), "3", "sigmas", "ddim", "karras")
