"""Model folders as ComfyUI users keep them: its folder names and aliases, sub-folders of model files, its
extra_model_paths.yaml format (comfyui and a111 sections), and `owner/repo` names from the Hugging Face cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nodegraph.config import Config, load_config
from nodegraph.runtime.model_paths import ExtraPathsError
from nodegraph.runtime.models import ModelManager

A111_YAML = """
a111:
    base_path: webui/

    checkpoints: models/Stable-diffusion
    vae: models/VAE
    loras: |
         models/Lora
         models/LyCORIS
    embeddings: embeddings
    controlnet: models/ControlNet
comfyui:
    base_path: {comfy}
    is_default: true
    checkpoints: models/checkpoints/
    clip: models/clip/
    unet: models/unet/
    custom_nodes: custom_nodes/
"""


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_comfyui_folder_names_aliases_and_sub_folders(tmp_path):
    models = tmp_path / "models"
    for name in ("loras/detail.safetensors", "loras/style/anime.safetensors", "loras/style/anime.json",
                 "loras/old.pt", "clip/clip_l.safetensors", "text_encoders/t5.safetensors",
                 "unet/base.safetensors", "diffusion_models/flux.safetensors", "embeddings/bad-hands.safetensors",
                 "upscale_models/x4.safetensors", "vae/sdxl_vae.safetensors"):
        _touch(models / name)
    (models / "checkpoints" / "sd15" / "unet").mkdir(parents=True)
    (models / "checkpoints" / "sd15" / "model_index.json").write_text("{}")
    _touch(models / "checkpoints" / "SDXL" / "base.safetensors")
    manager = ModelManager(Config(models_dirs=(models,), base_dir=tmp_path, device="cpu"))
    # A sub-folder of model files is listed as sub/name (a JSON beside a weights file is its metadata).
    assert manager.list("loras") == ["detail.safetensors", "style/anime.safetensors"]
    assert manager.find("loras", "style/anime.safetensors") == models / "loras" / "style" / "anime.safetensors"
    assert manager.list("checkpoints") == ["SDXL/base.safetensors", "sd15"]
    # Both names of an aliased pair read both folders, the new name's first.
    assert manager.list("text_encoders") == manager.list("clip") == ["t5.safetensors", "clip_l.safetensors"]
    assert manager.list("diffusion_models") == manager.list("unet") == ["flux.safetensors", "base.safetensors"]
    folders = manager.folder_map()
    for name in ("checkpoints", "loras", "vae", "text_encoders", "clip", "diffusion_models", "unet", "controlnet",
                 "embeddings", "upscale_models"):
        assert models / ("text_encoders" if name == "clip" else "diffusion_models" if name == "unet" else name) \
            in folders[name]
    assert folders["clip"] is folders["text_encoders"]
    assert manager.list("embeddings") == ["bad-hands.safetensors"]


def test_extra_model_paths_yaml_in_comfyuis_format(tmp_path):
    comfy = tmp_path / "ComfyUI"
    webui = tmp_path / "config" / "webui"
    _touch(comfy / "models" / "checkpoints" / "from-comfy.safetensors")
    _touch(comfy / "models" / "clip" / "clip_g.safetensors")
    _touch(webui / "models" / "Stable-diffusion" / "from-webui.safetensors")
    _touch(webui / "models" / "Lora" / "a.safetensors")
    _touch(webui / "models" / "LyCORIS" / "b.safetensors")
    _touch(tmp_path / "models" / "checkpoints" / "local.safetensors")
    (comfy / "custom_nodes").mkdir()
    yaml_file = tmp_path / "config" / "paths.yaml"
    yaml_file.write_text(A111_YAML.format(comfy=comfy))
    config = load_config(None, models_dirs=[str(tmp_path / "models")], extra_model_paths=[str(yaml_file)],
                         base_dir=str(tmp_path), device="cpu")
    manager = ModelManager(config)
    # is_default sections come first, then the models folders, then the other sections; a111's base_path is
    # relative to the YAML file; a value of several lines is several folders.
    shipped = {"shapes-sd"}  # load_config always puts the shipped models folder first
    assert [n for n in manager.list("checkpoints") if n not in shipped] == [
        "from-comfy.safetensors", "local.safetensors", "from-webui.safetensors"]
    assert manager.list("loras") == ["a.safetensors", "b.safetensors"]
    assert manager.list("text_encoders") == ["clip_g.safetensors"]  # `clip:` feeds text_encoders
    assert manager.extra_paths.custom_nodes == [comfy / "custom_nodes"]
    assert webui / "models" / "ControlNet" in manager.folder_map()["controlnet"]


def test_base_dirs_own_extra_model_paths_yaml_is_read(tmp_path):
    _touch(tmp_path / "elsewhere" / "loras" / "x.safetensors")
    (tmp_path / "extra_model_paths.yaml").write_text(f"mine:\n  base_path: {tmp_path / 'elsewhere'}\n"
                                                     "  loras: loras\n")
    manager = ModelManager(Config(models_dirs=(tmp_path / "models",), base_dir=tmp_path, device="cpu"))
    assert manager.list("loras") == ["x.safetensors"]


def test_a_malformed_file_is_one_line_from_the_cli(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("comfyui:\n  loras: [1, 2]\n")
    with pytest.raises(ExtraPathsError, match=r"comfyui\.loras: expected a path"):
        ModelManager(Config(base_dir=tmp_path, extra_model_paths=(bad,), device="cpu"))
    done = subprocess.run([sys.executable, "-m", "nodegraph.cli", "validate", "txt2img", "--base-dir", str(tmp_path),
                           "--extra-model-paths-config", str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"nodegraph: {bad}: comfyui.loras: expected a path or lines of "
                                                "paths, got list"]


def _cache_repo(cache: Path, repo: str, files: dict[str, str]) -> Path:
    folder = cache / ("models--" + repo.replace("/", "--"))
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("0123abcd")
    snapshot = folder / "snapshots" / "0123abcd"
    for name, text in files.items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / name).write_text(text)
    return snapshot


def test_the_hugging_face_cache_is_listed_by_kind(tmp_path, monkeypatch):
    import huggingface_hub.constants

    cache = tmp_path / "hub"
    _cache_repo(cache, "someone/tiny-sdxl", {"model_index.json": "{}"})
    _cache_repo(cache, "someone/a-lora", {"pytorch_lora_weights.safetensors": ""})
    _cache_repo(cache, "someone/canny", {"config.json": '{"_class_name": "ControlNetModel"}'})
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    manager = ModelManager(Config(models_dirs=(tmp_path / "models",), base_dir=tmp_path, device="cpu"))
    assert manager.list("checkpoints") == ["someone/tiny-sdxl"]
    assert manager.list("loras") == ["someone/a-lora"]
    assert manager.list("controlnet") == ["someone/canny"]
    assert manager.list("vae") == []


def test_custom_nodes_folders_of_the_yaml_load_as_plugin_folders(tmp_path):
    import nodegraph

    packs = tmp_path / "ComfyUI" / "custom_nodes"
    (packs / "my_pack").mkdir(parents=True)
    (packs / "my_pack" / "__init__.py").write_text(
        "class Twice:\n"
        "    @classmethod\n"
        "    def INPUT_TYPES(cls):\n"
        "        return {'required': {'value': ('INT', {'default': 1})}}\n"
        "    RETURN_TYPES = ('INT',)\n"
        "    FUNCTION = 'run'\n"
        "    def run(self, value):\n"
        "        return (value * 2,)\n"
        "NODE_CLASS_MAPPINGS = {'Twice': Twice}\n")
    (tmp_path / "extra_model_paths.yaml").write_text(f"comfyui:\n  base_path: {tmp_path / 'ComfyUI'}\n"
                                                     "  custom_nodes: custom_nodes/\n")
    engine = nodegraph.Engine(Config(base_dir=tmp_path, models_dirs=(tmp_path / "models",), device="cpu"))
    assert "Twice" in {spec.name for spec in engine.registry}
