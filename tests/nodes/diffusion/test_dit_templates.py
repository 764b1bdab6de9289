"""ComfyUI's official SD3.5 and Flux templates (comfyui-workflow-templates) run with nothing changed but their model
file names, pointed at the tiny stand-ins (pipeline folders for CheckpointLoaderSimple; a transformer folder, CLIP
files, a T5 folder and a VAE folder for the separate loaders; for sd3.5_large_blur an SD3.5 ControlNet file in
Stability's layout, and a blurred picture as its input image). Full size (1024x1024, the templates' own steps);
about 10 s each. The count of templates whose node types all exist is the README's figure."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFilter
from sd3_cn_tiny import DEEP

import nodegraph
from nodegraph.config import Config
from nodegraph.workflow.resolve import FRONTEND_ONLY


def _renamed(workflow: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The workflow with each model file name in a widget replaced (top level and inside subgraphs)."""
    graphs = [workflow, *workflow.get("definitions", {}).get("subgraphs", [])]
    for graph in graphs:
        for node in graph.get("nodes", []):
            values = node.get("widgets_values")
            if isinstance(values, list):
                node["widgets_values"] = [names.get(v, v) if isinstance(v, str) else v for v in values]
    return workflow


def _blurred_input(path: Path) -> None:
    """The template's control image (shipped with ComfyUI's template media, not with its JSON): a blurred picture."""
    rng = np.random.default_rng(1)
    picture = Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).resize((1024, 1024), Image.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.filter(ImageFilter.GaussianBlur(24)).save(path)


def _stand_ins(separate: dict[str, dict[str, str]], unet: str) -> dict[str, str]:
    flux = separate["tiny-flux-dev"]
    return {"ae.safetensors": flux["vae_file"], "clip_l.safetensors": flux["text_encoder"],
            "t5xxl_fp16.safetensors": flux["text_encoder_2"], unet: flux["transformer"],
            "flux1-schnell-fp8.safetensors": "tiny-flux-schnell",
            "sd3.5_large_fp8_scaled.safetensors": "tiny-sd3",
            "sd3.5_large_controlnet_blur.safetensors": "tiny-sd35-cn.safetensors"}


@pytest.mark.parametrize("template,unet", [
    ("flux_dev_full_text_to_image", "flux1-dev.safetensors"),
    ("flux_schnell_full_text_to_image", "flux1-schnell.safetensors"),
    ("flux_schnell", ""),
    ("flux1_krea_dev", "flux1-krea-dev_fp8_scaled.safetensors"),
    ("flux_dev_checkpoint_example", "flux1-dev.safetensors"),
    ("sd3.5_simple_example", ""),
    ("sd3.5_large_blur", ""),
])
def test_comfyuis_official_flux_and_sd35_templates_run(dit, dit_separate, sd3_controlnets, tmp_path, template, unet):
    source = importlib.resources.files("comfyui_workflow_templates_json") / "templates" / f"{template}.json"
    names = _stand_ins(dit_separate, unet)
    if template == "sd3.5_large_blur":  # SD3 ControlNet on a model whose blocks take its residuals
        names["sd3.5_large_fp8_scaled.safetensors"] = DEEP
        _blurred_input(tmp_path / "input" / "sd3.5_large_blur_input_image.png")
    workflow = _renamed(json.loads(source.read_text()), names)
    engine = nodegraph.Engine(Config(base_dir=tmp_path, models_dirs=(dit[0],), device="cpu"))
    result = engine.execute(workflow)
    assert result.status == "success", (result.error.exception_message, result.error.input_name)
    saved = list((tmp_path / "output").rglob("*.png"))
    assert len(saved) == 1 and Image.open(saved[0]).size == (1024, 1024)


def _node_types(workflow: dict[str, Any]) -> set[str]:
    subgraphs = workflow.get("definitions", {}).get("subgraphs", [])
    types = {node["type"] for graph in [workflow, *subgraphs] for node in graph.get("nodes", [])}
    return types - {graph["id"] for graph in subgraphs} - FRONTEND_ONLY


def test_the_readme_counts_the_templates_whose_node_types_all_exist(registry):
    folder = importlib.resources.files("comfyui_workflow_templates_json") / "templates"
    workflows = [json.loads(f.read_text()) for f in folder.iterdir() if f.name.endswith(".json")]
    workflows = [w for w in workflows if isinstance(w, dict) and "nodes" in w]
    complete = [w for w in workflows if all(registry.get(t) is not None for t in _node_types(w))]
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert f"{len(complete)} of {len(workflows)} templates" in readme
