"""ComfyUI's own API example prompt (script_examples/basic_api_example.py) runs as written, with only the
checkpoint name (and, for test time, the step count) changed."""

from __future__ import annotations

BASIC_API_EXAMPLE = {
    "3": {"class_type": "KSampler", "inputs": {
        "cfg": 8, "denoise": 1, "latent_image": ["5", 0], "model": ["4", 0], "negative": ["7", 0],
        "positive": ["6", 0], "sampler_name": "euler", "scheduler": "normal", "seed": 8566257, "steps": 20}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"batch_size": 1, "height": 512, "width": 512}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "masterpiece best quality girl"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "bad hands"}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}


def test_comfyui_basic_api_example_runs(engine):
    prompt = {k: {**v, "inputs": dict(v["inputs"])} for k, v in BASIC_API_EXAMPLE.items()}
    prompt["4"]["inputs"]["ckpt_name"] = "tiny-sd"
    prompt["3"]["inputs"]["steps"] = 1
    result = engine.run(prompt)
    assert result.status == "success", result.error
    # 512x512 pixels: a 128x128 latent for a VAE that downsamples by 4 (ComfyUI would assume 64x64, i.e. 8).
    assert result.output("3")["samples"].shape == (1, 4, 128, 128)
    assert result.output("8").shape == (1, 512, 512, 3)
    (image,) = result.ui["9"]["images"]
    assert image["filename"] == "ComfyUI_00001_.png" and image["type"] == "output"
