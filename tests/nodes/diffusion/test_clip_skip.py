"""CLIPSetLastLayer: conditioning from an earlier text-encoder layer, as diffusers' clip_skip and ComfyUI's
stop_at_clip_layer define it (that layer's output through the final LayerNorm)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import CLIPTextModel

from nodegraph.config import Config
from nodegraph.engine import Engine

REPO_ROOT = Path(__file__).resolve().parents[3]  # the checkout these tests belong to

SHIPPED = REPO_ROOT / "models" / "checkpoints" / "shapes-sd"
TEXT = "a large red circle in the center on a white background"
pytestmark = pytest.mark.skipif(not (SHIPPED / "model_index.json").is_file(), reason="shapes-sd is not installed")


def graph(stop_at: int | None) -> dict:
    clip = ["4", 1] if stop_at is None else ["20", 0]
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "shapes-sd"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": clip, "text": TEXT}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": clip, "text": ""}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                                                   "latent_image": ["5", 0], "seed": 1, "steps": 8, "cfg": 3.0,
                                                   "sampler_name": "ddim", "scheduler": "simple", "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }
    if stop_at is not None:
        prompt["20"] = {"class_type": "CLIPSetLastLayer", "inputs": {"clip": ["4", 1], "stop_at_clip_layer": stop_at}}
    return prompt


def run(tmp_path, prompt: dict):
    """A fresh session, so every node of the prompt runs and reports its outputs."""
    torch.set_num_threads(1)
    result = Engine(Config(base_dir=tmp_path, device="cpu")).execute(prompt)
    return result


def test_an_earlier_layer_is_that_layers_output_through_the_final_norm(tmp_path):
    encoder = CLIPTextModel.from_pretrained(SHIPPED / "text_encoder").eval()
    tokens = run(tmp_path, {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "shapes-sd"}},
        "13": {"class_type": "CLIPTextTokenize", "inputs": {"clip": ["4", 1], "text": TEXT}},
    }).output("13")
    with torch.no_grad():
        states = encoder(tokens["input_ids"], output_hidden_states=True).hidden_states
        # The last layer's output is hidden_states[-1] through the final norm: the path a skip takes.
        assert torch.allclose(encoder.final_layer_norm(states[-1]), encoder(tokens["input_ids"])[0], atol=1e-6)
        expected = encoder.final_layer_norm(states[-2])
    plain, last, earlier = run(tmp_path, graph(None)), run(tmp_path, graph(-1)), run(tmp_path, graph(-2))
    assert torch.equal(last.output("6")[0][0], plain.output("6")[0][0])
    conditioning = earlier.output("6")[0][0]
    assert torch.allclose(conditioning, expected, atol=1e-6)
    assert not torch.allclose(conditioning, last.output("6")[0][0], atol=1e-3)
    # The sampler runs on it like on any conditioning.
    assert earlier.output("8").shape == (1, 64, 64, 3)


def test_a_layer_past_the_first_is_refused_on_its_input(tmp_path):
    layers = CLIPTextModel.from_pretrained(SHIPPED / "text_encoder").config.num_hidden_layers
    result = run(tmp_path, graph(-(layers + 1)))
    assert result.status == "error"
    assert result.error.input_name == "stop_at_clip_layer"
    assert f"has {layers}" in result.error.exception_message
