"""Empty Latent Image has ComfyUI's three inputs; its LATENT records the pixel size, and whoever first needs
the samples (the sampler, VAE Decode) makes them on its own model's grid, whatever that VAE's factor."""

from __future__ import annotations

from typing import Any


def test_vae_decode_of_an_empty_latent_gives_the_pixel_size_asked_for(engine: Any) -> None:
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 48, "batch_size": 2}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["4", 2]}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }
    result = engine.run(prompt)
    assert result.status == "success", result.error
    latent = result.output("5")
    assert latent["empty"] == (48, 64) and latent["samples"].shape == (2, 4, 6, 8)  # ComfyUI's 8x guess
    assert result.output("8").shape == (2, 48, 64, 3)  # made on the tiny VAE's own grid, whatever its factor
