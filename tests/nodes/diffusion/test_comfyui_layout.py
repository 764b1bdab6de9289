"""Models as ComfyUI users keep them: an API prompt with a LoRA run from the CLI on a ComfyUI-layout models folder,
`owner/repo` names from the Hugging Face cache accepted by validation, and ComfyUI's official SDXL templates
(comfyui-workflow-templates) run unchanged on tiny stand-ins saved under the templates' own model file names."""

from __future__ import annotations

import importlib.resources
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from lora_files import TEXT_TARGETS, UNET_TARGETS, peft_layers, save_kohya
from PIL import Image
from sd_engine import make_engine
from single_tiny import save_checkpoint

import nodegraph
from nodegraph.config import Config

TEXT = "a large red circle in the center on a blue background"


def api_prompt(lora: str | None) -> dict[str, Any]:
    prompt: dict[str, Any] = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}},
        "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": lora,
                                                      "strength_model": 0.8, "strength_clip": 0.6}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": ["10", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["10", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "model": ["10", 0], "seed": 5, "steps": 3, "cfg": 3.0, "sampler_name": "ddim", "scheduler": "simple",
            "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0], "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "lora", "images": ["8", 0]}},
    }
    if lora is None:
        del prompt["10"]
        prompt["6"]["inputs"]["clip"] = prompt["7"]["inputs"]["clip"] = ["4", 1]
        prompt["3"]["inputs"]["model"] = ["4", 0]
    return prompt


def test_an_api_prompt_with_a_lora_runs_from_the_cli_on_a_comfyui_models_folder(registry, tiny_root, tmp_path):
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel

    models = tmp_path / "ComfyUI" / "models"
    (models / "checkpoints").mkdir(parents=True)
    (models / "checkpoints" / "tiny-sd").symlink_to(tiny_root / "checkpoints" / "tiny-sd", target_is_directory=True)
    unet = UNet2DConditionModel.from_pretrained(str(tiny_root / "checkpoints" / "tiny-sd" / "unet"))
    text = CLIPTextModel.from_pretrained(str(tiny_root / "checkpoints" / "tiny-sd" / "text_encoder"))
    (models / "loras" / "styles").mkdir(parents=True)
    save_kohya(models / "loras" / "styles" / "red.safetensors", peft_layers(unet, UNET_TARGETS, 4, 21),
               peft_layers(text, TEXT_TARGETS, 4, 22), alpha=4.0)
    (tmp_path / "prompt.json").write_text(json.dumps(api_prompt("styles/red.safetensors")))
    done = subprocess.run([sys.executable, "-m", "nodegraph.cli", "run", str(tmp_path / "prompt.json"), "--quiet",
                           "--models-dir", str(models), "--base-dir", str(tmp_path), "--device", "cpu",
                           "--threads", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "output" / "lora_00001_.png"
    assert str(saved) in done.stdout
    pixels = np.asarray(Image.open(saved).convert("RGB"))
    # The same prompt through the engine draws those pixels; without the LoRA it draws others.
    engine = make_engine(registry, models, tmp_path / "engine", device="cpu")
    with_lora = engine.run(api_prompt("styles/red.safetensors")).output("8")[0]
    assert np.abs((with_lora.numpy() * 255).round() - pixels).max() <= 1
    without = engine.run(api_prompt(None)).output("8")[0]
    assert (with_lora - without).abs().max() > 0.02


def test_owner_repo_names_come_from_the_hugging_face_cache_in_validation_too(registry, sdxl, tmp_path,
                                                                             monkeypatch):
    import huggingface_hub.constants
    from test_sdxl import base_graph

    repo = tmp_path / "hub" / "models--someone--tiny-sdxl"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0a1b2c")
    shutil.copytree(sdxl[0] / "checkpoints" / "tiny-sdxl", repo / "snapshots" / "0a1b2c")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    engine = make_engine(registry, tmp_path / "no-models", tmp_path, device="cpu")
    assert "someone/tiny-sdxl" in engine.models.list("checkpoints")
    graph = base_graph()
    graph["4"]["inputs"]["ckpt_name"] = "someone/tiny-sdxl"
    assert engine.check(graph).ok
    from_cache = engine.run(graph)
    assert from_cache.status == "success", from_cache.error
    local = make_engine(registry, sdxl[0], tmp_path, device="cpu").run(base_graph())
    assert torch.equal(from_cache.output("8"), local.output("8"))
    graph["4"]["inputs"]["ckpt_name"] = "someone/not-cached"
    assert engine.check(graph).body()["node_errors"]["4"]["errors"][0]["type"] == "value_not_in_list"


@pytest.mark.slow
@pytest.mark.parametrize("template", ["sdxl_simple_example", "sdxl_refiner_prompt_example"])
def test_comfyuis_official_sdxl_templates_run_unchanged(sdxl, tmp_path_factory, template):
    root = tmp_path_factory.mktemp("templates")
    folder = root / "models" / "checkpoints"
    folder.mkdir(parents=True)
    _, base, refiner = sdxl
    # Tiny stand-ins under the templates' own file names: not even the model names change.
    save_checkpoint(folder / "sd_xl_base_1.0.safetensors", base)
    save_checkpoint(folder / "sd_xl_refiner_1.0.safetensors", refiner)
    source = importlib.resources.files("comfyui_workflow_templates_json") / "templates" / f"{template}.json"
    workflow = json.loads(source.read_text())
    engine = nodegraph.Engine(Config(base_dir=root, models_dirs=(root / "models",), device="cpu"))
    result = engine.execute(workflow)
    assert result.status == "success", result.error
    saved = list((root / "output").glob("ComfyUI_*.png"))
    assert len(saved) == 1 and Image.open(saved[0]).size == (1024, 1024)
    assert Path(saved[0]).stat().st_size > 0
