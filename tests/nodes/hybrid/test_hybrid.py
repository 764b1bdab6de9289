"""AR draws, diffusion refines: the hybrid workflow on tiny models, and its hand-over node's checks."""

from __future__ import annotations

import json
from pathlib import Path

import hybrid_graphs
from ar_engine import captured

from nodegraph.workflow import load_workflow

WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"


def tiny_hybrid(**kwargs) -> dict:
    prompt = hybrid_graphs.hybrid_ar_then_diffusion("tiny", "tiny-sd", steps=4, **kwargs)
    prompt["90"] = {"class_type": "Capture", "inputs": {"value": ["8", 0], "label": "refined"}}
    prompt["91"] = {"class_type": "ImageTokenDecode", "inputs": {"vq_model": ["1", 1], "image_tokens": ["2", 0]}}
    prompt["92"] = {"class_type": "Capture", "inputs": {"value": ["91", 0], "label": "ar"}}
    return prompt


def test_hybrid_refines_the_ar_picture_at_partial_denoise(hybrid_engine):
    light = hybrid_engine.run(tiny_hybrid(denoise=0.05))
    assert light.status == "success", light.error
    ar_image, lightly = captured()["ar"], captured()["refined"]
    assert lightly.shape == ar_image.shape == (1, 32, 32, 3)
    heavy = hybrid_engine.run(tiny_hybrid(denoise=0.9))
    assert heavy.status == "success", heavy.error
    heavily = captured()["refined"]
    # A light touch stays nearer the AR picture than a heavy one: the AR result really is the start.
    assert (lightly - ar_image).abs().mean() < (heavily - ar_image).abs().mean()
    assert heavy.ui["9"]["images"][0]["filename"].startswith("hybrid_ar_then_diffusion")


def test_hybrid_ui_workflow_is_the_builders_graph(hybrid_engine):
    workflow = json.loads((WORKFLOWS / "hybrid_ar_then_diffusion.json").read_text())
    converted = load_workflow(workflow, hybrid_engine.registry).prompt
    built = hybrid_graphs.hybrid_ar_then_diffusion()
    assert sorted(n["class_type"] for n in converted.values()) == sorted(n["class_type"] for n in built.values())
    denoise = [n["inputs"]["denoise"] for n in converted.values() if n["class_type"] == "KSampler"]
    assert denoise == [hybrid_graphs.DENOISE]


def test_tokens_from_another_codebook_are_refused(hybrid_engine):
    prompt = tiny_hybrid()
    prompt["60"] = {"class_type": "ARModelLoader", "inputs": {"model_name": "other"}}
    prompt["61"] = {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1,
                                                           "color": 0xFFFFFF}}
    prompt["62"] = {"class_type": "ImageTokenEncode", "inputs": {"vq_model": ["60", 1], "image": ["61", 0]}}
    prompt["11"]["inputs"]["image_tokens"] = ["62", 0]
    failed = hybrid_engine.run(prompt)
    assert failed.status == "error" and failed.error.node_id == "11"
    assert failed.error.input_name == "image_tokens"
    assert "other@" in failed.error.exception_message and "tiny@" in failed.error.exception_message


def test_coarse_hybrid_scales_the_ar_layout_up_and_refines_it(hybrid_engine):
    """The fast hybrid is plain nodes: the AR picture (32x32 from 8x8 tokens) scaled to 64x64, then refined."""
    prompt = hybrid_graphs.hybrid_coarse_ar_then_diffusion("tiny", "tiny-sd", steps=2)
    prompt["90"] = {"class_type": "Capture", "inputs": {"value": ["8", 0], "label": "refined"}}
    prompt["92"] = {"class_type": "Capture", "inputs": {"value": ["12", 0], "label": "ar"}}
    result = hybrid_engine.run(prompt)
    assert result.status == "success", result.error
    assert captured()["ar"].shape == (1, 32, 32, 3) and captured()["refined"].shape == (1, 64, 64, 3)
    assert result.ui["9"]["images"][0]["filename"].startswith("hybrid_coarse_ar_then_diffusion")
    workflow = json.loads((WORKFLOWS / "hybrid_coarse_ar_then_diffusion.json").read_text())
    converted = load_workflow(workflow, hybrid_engine.registry).prompt
    built = hybrid_graphs.hybrid_coarse_ar_then_diffusion()
    assert sorted(n["class_type"] for n in converted.values()) == sorted(n["class_type"] for n in built.values())
    sampler = next(n["inputs"] for n in converted.values() if n["class_type"] == "KSampler")
    assert (sampler["denoise"], sampler["steps"]) == (hybrid_graphs.COARSE_DENOISE, hybrid_graphs.COARSE_STEPS)
    loader = next(n["inputs"] for n in converted.values() if n["class_type"] == "ARModelLoader")
    assert loader["model_name"] == "shapes-ar-coarse"
