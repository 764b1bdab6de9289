"""SD3 and Flux from separate files, as ComfyUI's workflows load them: UNETLoader (the transformer),
TripleCLIPLoader / DualCLIPLoader (CLIP files and a T5 folder, in any order), VAELoader; the image equals the
pipeline's. A T5 missing where the model needs it, or CLIPs that are not the family's, are refused naming the input."""

from __future__ import annotations

import numpy as np
import pytest
from sd_engine import assert_failure
from test_dit import close, graph, image, reference


def separate(prompt: dict, names: dict[str, str], clip: dict) -> dict:
    prompt["4"] = {"class_type": "UNETLoader", "inputs": {"unet_name": names["transformer"],
                                                          "weight_dtype": "default"}}
    prompt["20"] = clip
    prompt["21"] = {"class_type": "VAELoader", "inputs": {"vae_name": names["vae"]}}
    for node, index, source in (("6", "clip", "20"), ("7", "clip", "20"), ("8", "vae", "21")):
        prompt[node]["inputs"][index] = [source, 0]
    return prompt


def test_sd3_from_separate_files_equals_its_pipeline(dit, dit_separate, dit_engine):
    names = dit_separate["tiny-sd3"]
    clip = {"class_type": "TripleCLIPLoader", "inputs": {  # t5 first, clip_g before clip_l: told apart
        "clip_name1": names["text_encoder_3"], "clip_name2": names["text_encoder_2"],
        "clip_name3": names["text_encoder"]}}
    prompt = separate(graph("tiny-sd3"), names, clip)
    close(image(dit_engine, prompt), reference(dit[1]["tiny-sd3"], negative_prompt="", guidance_scale=4.0))


@pytest.mark.parametrize("vae", ["vae", "vae_file"])
def test_flux_from_separate_files_equals_its_pipeline(dit, dit_separate, dit_engine, vae):
    names = dit_separate["tiny-flux-dev"]
    clip = {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": names["text_encoder"],
                                                       "clip_name2": names["text_encoder_2"], "type": "flux"}}
    # vae_file: one LDM-layout file as Flux's ae.safetensors, decoding in the latent's (Flux's) own scale.
    prompt = separate(graph("tiny-flux-dev", cfg=1.0, scheduler="simple", guidance=3.5),
                      {**names, "vae": names[vae]}, clip)
    ours = image(dit_engine, prompt)
    close(ours, reference(dit[1]["tiny-flux-dev"], guidance_scale=3.5))
    assert np.abs(ours - image(dit_engine, graph("tiny-flux-dev", seed=5, cfg=1.0, scheduler="simple",
                                                   guidance=3.5))).max() > 0.01


def test_flux_without_t5_is_refused_naming_the_input(dit_separate, dit_engine):
    names = dit_separate["tiny-flux-dev"]
    clip = {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": names["text_encoder"],
                                                       "clip_name2": names["text_encoder"], "type": "flux"}}
    prompt = separate(graph("tiny-flux-dev", cfg=1.0, scheduler="simple"), names, clip)
    assert_failure(dit_engine.run(prompt), "20", "clip_name2", "needs a T5 text encoder")


def test_sd3_clips_without_clip_g_are_refused(dit_separate, dit_engine):
    names = dit_separate["tiny-sd3"]
    clip = {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": names["text_encoder"],
                                                       "clip_name2": names["text_encoder_3"], "type": "sd3"}}
    prompt = separate(graph("tiny-sd3"), names, clip)
    assert_failure(dit_engine.run(prompt), "20", "clip_name2", "clip_l, clip_g and t5xxl", "1 CLIP and 1 T5")


def test_a_flux_prompt_into_the_sd3_transformer_is_refused(dit_separate, dit_engine):
    names = dit_separate["tiny-sd3"]
    clip = {"class_type": "DualCLIPLoader", "inputs": {
        "clip_name1": dit_separate["tiny-flux-dev"]["text_encoder"],
        "clip_name2": dit_separate["tiny-flux-dev"]["text_encoder_2"], "type": "flux"}}
    prompt = separate(graph("tiny-sd3"), names, clip)
    assert_failure(dit_engine.run(prompt), "3", "positive", "encoded for flux", "SD3")


def test_sd3_without_t5_equals_its_pipeline_without_text_encoder_3(dit, dit_separate, dit_engine):
    from diffusers import StableDiffusion3Pipeline

    names, full = dit_separate["tiny-sd3"], dit[1]["tiny-sd3"]
    pipe = StableDiffusion3Pipeline(**{**full.components, "text_encoder_3": None, "tokenizer_3": None})
    pipe.set_progress_bar_config(disable=True)
    clip = {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": names["text_encoder_2"],
                                                       "clip_name2": names["text_encoder"], "type": "sd3"}}
    ours = image(dit_engine, separate(graph("tiny-sd3"), names, clip))
    close(ours, reference(pipe, negative_prompt="", guidance_scale=4.0))
    assert np.abs(ours - reference(full, negative_prompt="", guidance_scale=4.0)).max() > 0.01  # T5 mattered


def test_an_sd3_transformer_file_in_the_original_layout_equals_the_pipeline(dit, dit_separate, dit_engine):
    from dit_tiny import sd3_original
    from safetensors.torch import save_file

    names, pipe = dit_separate["tiny-sd3"], dit[1]["tiny-sd3"]
    path = dit[0] / "diffusion_models" / "tiny-sd3-mmdit.safetensors"
    if not path.exists():
        save_file({"model.diffusion_model." + k: v for k, v in sd3_original(pipe.transformer).items()}, str(path))
    clip = {"class_type": "TripleCLIPLoader", "inputs": {"clip_name1": names["text_encoder"],
                                                         "clip_name2": names["text_encoder_2"],
                                                         "clip_name3": names["text_encoder_3"]}}
    prompt = separate(graph("tiny-sd3"), {**names, "transformer": path.name}, clip)
    close(image(dit_engine, prompt), reference(pipe, negative_prompt="", guidance_scale=4.0))


def test_a_single_file_sd3_checkpoint_loads_without_t5_and_is_refused_with_one(dit, dit_engine):
    from diffusers import StableDiffusion3Pipeline
    from dit_tiny import save_sd3_single_file

    full = dit[1]["tiny-sd3"]
    for name, with_t5 in (("tiny-sd3-clips.safetensors", False), ("tiny-sd3-all.safetensors", True)):
        if not (dit[0] / "checkpoints" / name).exists():
            save_sd3_single_file(dit[0] / "checkpoints" / name, full, with_t5)
    pipe = StableDiffusion3Pipeline(**{**full.components, "text_encoder_3": None, "tokenizer_3": None})
    pipe.set_progress_bar_config(disable=True)
    close(image(dit_engine, graph("tiny-sd3-clips.safetensors")),
          reference(pipe, negative_prompt="", guidance_scale=4.0))
    assert_failure(dit_engine.run(graph("tiny-sd3-all.safetensors")), "4", "ckpt_name", "bundles a T5",
                   "TripleCLIPLoader")
