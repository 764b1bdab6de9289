"""ImageScale, ImageScaleBy and LatentUpscaleBy: ComfyUI's resizing rules, and a hires-fix graph on the
shipped model (sample at 64 px, upscale the latent, sample again at half denoise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nodegraph_nodes.image.scale import ImageScale, ImageScaleBy, LatentUpscaleBy
from PIL import Image

from nodegraph.config import Config
from nodegraph.core.errors import NodeError
from nodegraph.engine import Engine
from nodegraph.train.dataset import Attributes, Shape
from nodegraph.train.judge import judge

REPO_ROOT = Path(__file__).resolve().parents[3]  # the checkout these tests belong to


def gradient(height: int, width: int) -> torch.Tensor:
    """A [1, H, W, 3] image whose every pixel differs, so a wrong crop or resample shows."""
    ys, xs = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
    return torch.stack([ys, xs, (ys + xs) / 2], -1)[None]


def test_image_scale_resamples_as_torch_does():
    image = gradient(48, 64)
    (out,) = ImageScale().run(None, image, "bilinear", 32, 24, "disabled")
    expected = F.interpolate(image.movedim(-1, 1), size=(24, 32), mode="bilinear").movedim(1, -1)
    assert out.shape == (1, 24, 32, 3) and torch.equal(out, expected)


def test_a_zero_side_keeps_the_aspect_ratio_and_center_crop_takes_the_middle():
    image = gradient(48, 64)
    assert ImageScale().run(None, image, "nearest-exact", 32, 0, "disabled")[0].shape == (1, 24, 32, 3)
    assert ImageScale().run(None, image, "area", 0, 12, "disabled")[0].shape == (1, 12, 16, 3)
    # 64x48 to a square: the middle 48x48 (columns 8 to 55), then resized.
    (out,) = ImageScale().run(None, image, "area", 24, 24, "center")
    expected = F.interpolate(image[:, :, 8:56].movedim(-1, 1), size=(24, 24), mode="area").movedim(1, -1)
    assert torch.equal(out, expected)


def test_lanczos_is_pils():
    image = gradient(40, 40)
    (out,) = ImageScaleBy().run(None, image, "lanczos", 0.5)
    pixels = Image.fromarray((image[0].numpy() * 255).round().astype(np.uint8))
    expected = np.asarray(pixels.resize((20, 20), Image.Resampling.LANCZOS)).astype(np.float32) / 255
    assert out.shape == (1, 20, 20, 3) and np.array_equal(out[0].numpy(), expected)


def test_bad_scales_name_the_input():
    with pytest.raises(NodeError) as error:
        ImageScaleBy().run(None, gradient(8, 8), "bilinear", 0.01)
    assert error.value.input_name == "scale_by"
    with pytest.raises(NodeError) as error:
        LatentUpscaleBy().run(None, {"samples": torch.zeros(1, 4, 2, 2)}, "bilinear", 0.1)
    assert error.value.input_name == "scale_by"
    with pytest.raises(NodeError) as error:
        ImageScale().run(None, "not an image", "bilinear", 8, 8, "disabled")
    assert error.value.input_name == "image"
    rgba = torch.cat([gradient(8, 8), torch.ones(1, 8, 8, 1)], dim=-1)
    with pytest.raises(NodeError) as error:
        ImageScale().run(None, rgba, "lanczos", 4, 4, "disabled")
    assert error.value.input_name == "upscale_method" and "alpha" in str(error.value)
    assert ImageScale().run(None, rgba, "bilinear", 4, 4, "disabled")[0].shape == (1, 4, 4, 4)


def test_latent_upscale_keeps_the_other_fields():
    latent = {"samples": torch.randn(1, 4, 16, 16), "noise_mask": torch.ones(1, 1, 64, 64), "empty": (64, 64)}
    (out,) = LatentUpscaleBy().run(None, latent, "nearest-exact", 1.5)
    assert out["samples"].shape == (1, 4, 24, 24) and out["empty"] == (96, 96)
    assert out["noise_mask"] is latent["noise_mask"] and latent["samples"].shape == (1, 4, 16, 16)


HIRES = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "shapes-sd"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text":
                                                     "a large red circle in the center on a white background"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": ""}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
    "3": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                                               "latent_image": ["5", 0], "seed": 42, "steps": 20, "cfg": 3.0,
                                               "sampler_name": "ddim", "scheduler": "simple", "denoise": 1.0}},
    "10": {"class_type": "LatentUpscaleBy", "inputs": {"samples": ["3", 0], "upscale_method": "bilinear",
                                                       "scale_by": 1.5}},
    "11": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                                                "latent_image": ["10", 0], "seed": 42, "steps": 20, "cfg": 3.0,
                                                "sampler_name": "ddim", "scheduler": "simple", "denoise": 0.5}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["4", 2]}},
    "12": {"class_type": "ImageScale", "inputs": {"image": ["8", 0], "upscale_method": "area", "width": 64,
                                                  "height": 64, "crop": "disabled"}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["12", 0], "filename_prefix": "hires"}},
}


@pytest.mark.skipif(not (REPO_ROOT / "models" / "checkpoints" / "shapes-sd" / "model_index.json").is_file(),
                    reason="models/checkpoints/shapes-sd is not installed")
def test_hires_fix_graph_on_the_shipped_model(tmp_path):
    torch.set_num_threads(1)
    result = Engine(Config(base_dir=tmp_path, device="cpu")).execute(HIRES)
    assert result.status == "success", result.error
    assert result.output("8").shape == (1, 96, 96, 3)
    pixels = (result.output("12")[0].numpy() * 255).round().astype(np.uint8)
    assert pixels.shape == (64, 64, 3)
    assert judge(pixels, Attributes("white", (Shape("circle", "red", "large", "center"),)))["fully_correct"]
