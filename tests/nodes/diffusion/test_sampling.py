"""Text-to-image on a tiny random SD folder: the engine matches diffusers' own pipeline pixel for pixel,
seeds decide the image, models load once, progress carries previews, and an interrupt stops within a step."""

from __future__ import annotations

import threading

import pytest
import torch
from diffusers import StableDiffusionPipeline

TEXT = "a large red circle in the center on a blue background"


def decoded(result, node: str = "8") -> torch.Tensor:
    assert result.status == "success", result.error
    return result.output(node)


def test_txt2img_equals_diffusers_pipeline(engine, graphs, tiny_root):
    image = decoded(engine.run(graphs.txt2img("tiny-sd", TEXT, seed=3, steps=4)))
    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_root / "checkpoints" / "tiny-sd"), use_safetensors=True,
                                                   safety_checker=None, feature_extractor=None,
                                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    reference = pipe(TEXT, negative_prompt="", height=64, width=64, num_inference_steps=4,
                     guidance_scale=graphs.SAMPLING["cfg"], generator=torch.Generator().manual_seed(3),
                     output_type="np").images
    assert image.shape == (1, 64, 64, 3)  # 16x16 latents: the VAE's factor 4, not a hard-coded 8
    assert torch.equal(image, torch.from_numpy(reference))


def test_same_seed_same_image_other_seed_other_image(engine, graphs):
    first = decoded(engine.run(graphs.txt2img("tiny-sd", TEXT, seed=5, steps=3)))
    again = decoded(engine.run(graphs.txt2img("tiny-sd", TEXT, seed=5, steps=3)))
    other = decoded(engine.run(graphs.txt2img("tiny-sd", TEXT, seed=6, steps=3)))
    assert torch.equal(first, again)
    assert (first - other).abs().max() > 0.01


def test_second_run_loads_nothing(engine, graphs):
    engine.run(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=2))
    loads, loaded = engine.models.load_count, engine.models.loaded()
    assert loads == 4 and {e["name"] for e in loaded} == {"tiny-sd/unet", "tiny-sd/vae", "tiny-sd/text_encoder",
                                                           "tiny-sd/tokenizer"}
    assert all(e["bytes"] > 0 for e in loaded if not e["name"].endswith("tokenizer"))
    engine.run(graphs.txt2img("tiny-sd", TEXT, seed=2, steps=2))  # a fresh executor: every node runs again
    assert engine.models.load_count == loads


def test_progress_per_step_with_previews(engine, graphs):
    engine.run(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=5))
    events = engine.progress("3")
    assert [(e.value, e.max) for e in events] == [(i, 5) for i in range(1, 6)]
    previews = [e.preview for e in events if e.preview is not None]
    assert events[0].preview is not None and events[-1].preview is not None  # throttled in between
    assert all(p.size == (64, 64) and p.mode == "RGB" for p in previews)
    assert previews[0].tobytes() != previews[-1].tobytes()


def test_no_previews_are_drawn_for_a_run_that_asked_for_none(engine, graphs):
    engine.run(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=3), extra_data={"preview_method": "none"})
    events = engine.progress("3")
    assert [(e.value, e.preview) for e in events] == [(1, None), (2, None), (3, None)]


def test_interrupt_stops_within_one_step(engine, graphs):
    def on_event(event):
        if event.type == "progress" and event.value == 1:
            thread = threading.Thread(target=engine.executor.interrupt.set)
            thread.start()
            thread.join()

    engine.on_event = on_event
    result = engine.run(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=50))
    assert result.status == "interrupted"
    assert result.interrupted.node_id == "3"
    assert len(engine.progress("3")) == 1  # the next step's report raised; no further step ran


@pytest.mark.parametrize("sampler,scheduler", [("euler", "karras"), ("dpmpp_2m", "normal"), ("heun", "simple"),
                                               ("euler_ancestral", "normal")])
def test_other_samplers_produce_images(engine, graphs, sampler, scheduler):
    image = decoded(engine.run(graphs.txt2img("tiny-sd", TEXT, seed=1, steps=3, sampler_name=sampler,
                                              scheduler=scheduler)))
    assert image.shape == (1, 64, 64, 3) and torch.isfinite(image).all()


def _advanced(graphs, start: int, end: int, leftover: str, add_noise: str = "enable", latent=None) -> dict:
    prompt = graphs.txt2img("tiny-sd", TEXT, seed=9, steps=6)
    prompt["3"] = {"class_type": "KSamplerAdvanced", "inputs": {
        "add_noise": add_noise, "noise_seed": 9, "steps": 6, "cfg": 5.0, "sampler_name": "euler",
        "scheduler": "normal", "start_at_step": start, "end_at_step": end, "return_with_leftover_noise": leftover,
        "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": latent or ["5", 0]}}
    return prompt


def test_advanced_sampler_split_in_two_equals_one_run(engine, graphs):
    whole = decoded(engine.run(_advanced(graphs, 0, 10000, "disable")))
    split = _advanced(graphs, 0, 3, "enable")
    split["30"] = {**split["3"], "inputs": {**split["3"]["inputs"], "add_noise": "disable", "start_at_step": 3,
                                            "end_at_step": 10000, "latent_image": ["3", 0]}}
    split["8"]["inputs"]["samples"] = ["30", 0]
    assert torch.allclose(decoded(engine.run(split)), whole, atol=1e-5)
    half = decoded(engine.run(_advanced(graphs, 0, 3, "disable")))  # stopped early, noise removed
    assert (half - whole).abs().max() > 0.01 and torch.isfinite(half).all()


def test_partial_denoise_equals_diffusers_img2img(engine, graphs, tiny_root):
    """denoise 0.5 at 3 steps runs the last 3 steps of a 6-step schedule: img2img at strength 0.5."""
    from diffusers import StableDiffusionImg2ImgPipeline

    prompt = graphs.img2img("tiny-sd", TEXT, seed=4, denoise=0.5)
    prompt["3"]["inputs"]["steps"] = 3
    result = engine.run(prompt)
    pipe = StableDiffusionImg2ImgPipeline.from_pretrained(
        str(tiny_root / "checkpoints" / "tiny-sd"), use_safetensors=True, safety_checker=None,
        feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    reference = pipe(TEXT, image=result.output("11")["samples"], strength=0.5, num_inference_steps=6,
                     guidance_scale=graphs.SAMPLING["cfg"], negative_prompt="",
                     generator=torch.Generator().manual_seed(4),
                     output_type="np").images
    assert torch.equal(decoded(result), torch.from_numpy(reference))
