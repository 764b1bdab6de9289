"""Textual-inversion embeddings through `embedding:name` in prompts (ComfyUI's syntax): the same image as diffusers'
`load_textual_inversion` with the embedding's token in the prompt, the cached tokenizer and encoder untouched, SDXL
files with clip_l and clip_g vectors, and unusable embeddings named on the prompt's input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from diffusers import StableDiffusionPipeline
from safetensors.torch import save_file
from sd_engine import make_engine
from single_tiny import build_sd

from nodegraph_nodes.diffusion.schedulers import build_scheduler


@pytest.fixture(scope="module")
def ti_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ti_models")
    build_sd("sd1", seed=3).save_pretrained(str(root / "checkpoints" / "tiny-sd1"), safe_serialization=True)
    (root / "embeddings").mkdir()
    torch.manual_seed(9)
    save_file({"emb_params": torch.randn(2, 64)}, str(root / "embeddings" / "mystyle.safetensors"))
    save_file({"emb_params": torch.randn(1, 32)}, str(root / "embeddings" / "narrow.safetensors"))
    save_file({"clip_l": torch.randn(2, 64), "clip_g": torch.randn(2, 128)},
              str(root / "embeddings" / "xl.safetensors"))
    return root


def prompt(text: str, ckpt: str = "tiny-sd1") -> dict[str, Any]:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "model": ["4", 0], "seed": 2, "steps": 3, "cfg": 5.0, "sampler_name": "euler", "scheduler": "normal",
            "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0], "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }


def drawn(engine, graph: dict[str, Any]) -> torch.Tensor:
    result = engine.run(graph)
    assert result.status == "success", result.error
    return result.output("8")


def test_an_embedding_in_the_prompt_equals_diffusers_textual_inversion(registry, ti_root, tmp_path):
    engine = make_engine(registry, ti_root, tmp_path, device="cpu")
    image = drawn(engine, prompt("a red circle embedding:mystyle, on a white background"))
    pipe = StableDiffusionPipeline.from_pretrained(str(ti_root / "checkpoints" / "tiny-sd1"), use_safetensors=True)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = build_scheduler("euler", "normal", dict(pipe.scheduler.config))
    pipe.load_textual_inversion(str(ti_root / "embeddings" / "mystyle.safetensors"), token="mystyle")
    reference = pipe("a red circle mystyle, on a white background", negative_prompt="", height=64, width=64,
                     num_inference_steps=3, guidance_scale=5.0, generator=torch.Generator().manual_seed(2),
                     output_type="np").images
    assert (image - torch.from_numpy(reference)).abs().max() <= 1 / 255
    # The embedding's vectors are not words: without them the image differs, and the cached tokenizer and text
    # encoder were not changed (the same prompt without the embedding draws what a fresh engine draws).
    plain = drawn(engine, prompt("a red circle, on a white background"))
    assert (plain - image).abs().max() > 0.01
    fresh = make_engine(registry, ti_root, tmp_path, device="cpu")
    assert torch.equal(drawn(fresh, prompt("a red circle, on a white background")), plain)
    tokenizer = next(e for e in engine.models.loaded() if e["name"] == "tiny-sd1/tokenizer")
    assert len(engine.models.load(tokenizer["key"], lambda d, t: None)) == 49408


def test_the_token_view_and_file_names(registry, ti_root, tmp_path):
    engine = make_engine(registry, ti_root, tmp_path, device="cpu")
    graph = {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd1"}},
             "6": {"class_type": "CLIPTextTokenize", "inputs": {"text": "a embedding:mystyle.safetensors dog",
                                                                "clip": ["4", 1]}}}
    result = engine.run(graph)
    assert result.status == "success", result.error
    shown = result.ui["6"]["text"][0]
    assert shown == ("6 tokens: <|startoftext|> a</w> embedding:mystyle.safetensors "
                     "embedding:mystyle.safetensors dog</w> <|endoftext|>\nids: 49406 320 49406 49406 1929 49407")


def test_sdxl_embeddings_fill_both_encoders(registry, sdxl, ti_root, tmp_path):
    (sdxl[0] / "embeddings").mkdir(exist_ok=True)
    (sdxl[0] / "embeddings" / "xl.safetensors").write_bytes((ti_root / "embeddings" / "xl.safetensors").read_bytes())
    engine = make_engine(registry, sdxl[0], tmp_path, device="cpu")
    with_embedding = engine.run(prompt("a bottle embedding:xl", "tiny-sdxl"))
    assert with_embedding.status == "success", with_embedding.error
    without = engine.run(prompt("a bottle", "tiny-sdxl"))
    assert (with_embedding.output("6")[0][0].shape == without.output("6")[0][0].shape == (1, 77, 192))
    assert not torch.equal(with_embedding.output("6")[0][0], without.output("6")[0][0])


@pytest.mark.parametrize("text,message", [
    ("a embedding:nothing-here", "no embedding named 'nothing-here' in the embeddings folders (available: "
                                 "mystyle.safetensors, narrow.safetensors, xl.safetensors)"),
    ("a embedding:narrow", "embedding 'narrow' has vectors 32 wide but this CLIP's text_encoder embeds tokens 64 "
                           "wide: it was made for another model"),
])
def test_unusable_embeddings_are_named_on_the_text(registry, ti_root, tmp_path, text, message):
    result = make_engine(registry, ti_root, tmp_path, device="cpu").run(prompt(text))
    assert result.status == "error"
    assert (result.error.node_id, result.error.input_name) == ("6", "text")
    assert message in result.error.exception_message
