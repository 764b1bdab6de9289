"""Each shipped model loads through its library's own from_pretrained and generates a small image."""

from pathlib import Path

import numpy as np
import pytest
import torch

MODELS = Path(__file__).resolve().parents[2] / "models"
SD = MODELS / "checkpoints" / "shapes-sd"
CONTROLNET = MODELS / "controlnet" / "shapes-controlnet-mask"
AR = MODELS / "autoregressive" / "shapes-ar"


def require(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not trained yet (python -m nodegraph.train)")


def test_only_safetensors_weights_are_shipped():
    files = [p for p in MODELS.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in {".bin", ".pt", ".ckpt", ".pth", ".pkl"}]
    assert sum(p.stat().st_size for p in files) <= 40 * 2**20


def test_stable_diffusion_pipeline_generates():
    require(SD / "model_index.json")
    from diffusers import StableDiffusionPipeline

    pipeline = StableDiffusionPipeline.from_pretrained(
        str(SD), safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipeline.set_progress_bar_config(disable=True)
    result = pipeline("a large red square at the center on a blue background", num_inference_steps=4,
                      guidance_scale=5.0, generator=torch.Generator().manual_seed(0), output_type="np")
    assert result.images.shape == (1, 64, 64, 3)
    assert np.isfinite(result.images).all()


def test_controlnet_loads_and_steers_the_pipeline():
    require(CONTROLNET / "config.json")
    require(SD / "model_index.json")
    from diffusers import ControlNetModel, StableDiffusionControlNetPipeline

    controlnet = ControlNetModel.from_pretrained(str(CONTROLNET))
    pipeline = StableDiffusionControlNetPipeline.from_pretrained(
        str(SD), controlnet=controlnet, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipeline.set_progress_bar_config(disable=True)
    mask = torch.zeros(1, 3, 64, 64)
    mask[:, :, 8:40, 8:40] = 1.0
    result = pipeline("a large green square on a white background", image=mask, num_inference_steps=4,
                      generator=torch.Generator().manual_seed(0), output_type="np")
    assert result.images.shape == (1, 64, 64, 3)


def test_autoregressive_model_generates_tokens_that_decode():
    require(AR / "nodegraph_ar.json")
    from diffusers import VQModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nodegraph.autoregressive.folder import layout_model
    from nodegraph.autoregressive.generate import Sampling, generate
    from nodegraph.autoregressive.layout import ArLayout
    from nodegraph.autoregressive.vq import vq_decode

    layout = ArLayout.load(AR)
    lm = AutoModelForCausalLM.from_pretrained(str(AR / "transformer")).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(AR / "tokenizer"))
    vq = VQModel.from_pretrained(str(AR / "vq"))
    assert lm.config.vocab_size == layout.vocab_size
    assert vq.config.num_vq_embeddings == layout.codebook_size
    model, _ = layout_model("shapes-ar", lm, vq, tokenizer, layout)
    prompt = model.prompt(model.tokenize(["a small blue circle at the top left on a white background"]))
    codes = generate(model, prompt, model.unconditional(prompt), Sampling(top_k=50, cfg=3.0),
                     torch.Generator().manual_seed(0))
    assert codes.shape == (1, layout.grid_height, layout.grid_width)
    assert 0 <= codes.min() and codes.max() < layout.codebook_size
    with torch.no_grad():
        image = vq_decode(vq, codes)
    assert image.shape == (1, 3, layout.image_size, layout.image_size)
