"""Single-file checkpoints: Save Checkpoint writes the LDM layout diffusers' own converters read back, and Load
Checkpoint loads such a file offline, drawing exactly what the diffusers folder it came from draws."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sd_engine import make_engine

from nodegraph.train.dataset import Attributes, Shape
from nodegraph.train.judge import judge
from nodegraph_nodes.diffusion import single_file

SHIPPED = Path(__file__).resolve().parents[3] / "models" / "checkpoints" / "shapes-sd"
needs_sd = pytest.mark.skipif(not (SHIPPED / "model_index.json").is_file(), reason="shapes-sd is not installed")


@pytest.fixture()
def models_root(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    (root / "checkpoints").mkdir(parents=True)
    (root / "checkpoints" / "shapes-sd").symlink_to(SHIPPED, target_is_directory=True)
    return root


def save_checkpoint(engine, prefix: str = "checkpoints/shapes") -> dict:
    result = engine.run({
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "shapes-sd"}},
        "9": {"class_type": "CheckpointSave", "inputs": {"model": ["4", 0], "clip": ["4", 1], "vae": ["4", 2],
                                                         "filename_prefix": prefix}},
    })
    assert result.error is None, result.error
    return result.ui["9"]["checkpoints"][0]


@needs_sd
def test_a_saved_checkpoint_loads_back_and_draws_the_same_image(registry, graphs, models_root, tmp_path):
    engine = make_engine(registry, models_root, tmp_path, device="cpu")
    saved = save_checkpoint(engine)
    assert saved == {"filename": "shapes_00001_.safetensors", "subfolder": "checkpoints", "type": "output"}
    written = tmp_path / "output" / "checkpoints" / saved["filename"]
    assert not list(written.parent.glob(".*part"))  # written under a temporary name, then renamed
    assert save_checkpoint(engine)["filename"] == "shapes_00002_.safetensors"  # never overwrites
    shutil.copy(written, models_root / "checkpoints" / "shapes-single.safetensors")
    assert "shapes-single.safetensors" in engine.models.list("checkpoints")

    images = {}
    for name in ("shapes-sd", "shapes-single.safetensors"):
        result = engine.run(graphs.txt2img(name, seed=7))
        assert result.error is None, result.error
        images[name] = result.output("8")
    assert torch.equal(images["shapes-sd"], images["shapes-single.safetensors"])
    pixels = (images["shapes-single.safetensors"][0].numpy() * 255).round().astype("uint8")
    assert judge(pixels, Attributes("white", (Shape("circle", "red", "large", "center"),)))["fully_correct"]


@needs_sd
def test_the_file_has_the_ldm_layout_that_diffusers_reads(tmp_path):
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    unet = UNet2DConditionModel.from_pretrained(SHIPPED / "unet")
    vae = AutoencoderKL.from_pretrained(SHIPPED / "vae")
    text_encoder = CLIPTextModel.from_pretrained(SHIPPED / "text_encoder")
    weights = single_file.to_single_file(unet, vae, {"text_encoder": text_encoder})
    for key in ("model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.middle_block.1.proj_in.weight",
                "model.diffusion_model.output_blocks.2.0.in_layers.0.weight",
                "first_stage_model.decoder.up.0.block.0.norm1.weight", "first_stage_model.encoder.mid.attn_1.q.weight",
                "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight"):
        assert key in weights, key
    path = tmp_path / "shapes.safetensors"
    save_file(weights, str(path), metadata={single_file.CONFIG_KEY: single_file.embedded_configs(SHIPPED)})
    # diffusers' own single-file loaders, given the configs, rebuild every weight exactly.
    pipeline = StableDiffusionPipeline.from_single_file(str(path), config=str(SHIPPED), local_files_only=True,
                                                        safety_checker=None)
    for original, loaded in ((unet, pipeline.unet), (vae, pipeline.vae), (text_encoder, pipeline.text_encoder)):
        theirs = loaded.state_dict()
        assert set(theirs) == set(original.state_dict())
        assert all(torch.equal(value, theirs[key]) for key, value in original.state_dict().items())


@needs_sd
def test_a_checkpoint_whose_tokenizer_cannot_be_known_says_why(registry, graphs, models_root, tmp_path):
    engine = make_engine(registry, models_root, tmp_path, device="cpu")
    written = tmp_path / "output" / "checkpoints" / save_checkpoint(engine)["filename"]
    with safe_open(str(written), framework="pt") as f:
        weights = {key: f.get_tensor(key) for key in f.keys()}
    save_file(weights, str(models_root / "checkpoints" / "bare.safetensors"))  # no metadata: as from another tool
    result = engine.run(graphs.txt2img("bare.safetensors"))
    error = result.error
    assert error is not None and error.node_id == "4" and error.input_name == "ckpt_name"
    # shapes-sd's VAE has 8-channel norm groups (SD's have 32, and group counts are not in the tensors), and its
    # small word-level tokenizer could not be known either: the first reason is named.
    assert "cannot read single-file checkpoint 'bare.safetensors' as a Stable Diffusion model" in \
        error.exception_message
    assert "the VAE's channels [" in error.exception_message
    assert "are not multiples of 32, the norm group count its family uses" in error.exception_message


def test_only_safetensors_single_files_load(registry, graphs, models_root, tmp_path):
    # Pickled checkpoints are not offered, so a prompt naming one fails validation before anything loads.
    (models_root / "checkpoints" / "old.ckpt").write_bytes(b"not loaded")
    engine = make_engine(registry, models_root, tmp_path, device="cpu")
    assert "old.ckpt" not in engine.models.list("checkpoints")
    checked = engine.check(graphs.txt2img("old.ckpt"))
    assert not checked.ok
    assert checked.body()["node_errors"]["4"]["errors"][0]["type"] == "value_not_in_list"


def test_config_names_in_a_file_cannot_leave_the_folder(tmp_path):
    with pytest.raises(ValueError, match="bad config name"):
        single_file.write_configs(json.dumps({"../escaped.json": "{}"}), tmp_path / "configs")
    assert not (tmp_path / "escaped.json").exists()


@needs_sd
def test_class_names_in_a_file_must_be_model_classes(registry, graphs, models_root, tmp_path):
    engine = make_engine(registry, models_root, tmp_path, device="cpu")
    written = tmp_path / "output" / "checkpoints" / save_checkpoint(engine)["filename"]
    with safe_open(str(written), framework="pt") as f:
        weights, metadata = {key: f.get_tensor(key) for key in f.keys()}, f.metadata()
    configs = json.loads(metadata[single_file.CONFIG_KEY])
    configs["model_index.json"] = json.dumps({"unet": ["diffusers", "os"]})
    metadata[single_file.CONFIG_KEY] = json.dumps(configs)
    save_file(weights, str(models_root / "checkpoints" / "odd.safetensors"), metadata=metadata)
    error = engine.run(graphs.txt2img("odd.safetensors")).error
    assert error is not None and error.input_name == "ckpt_name"
    assert "'os' is not a diffusers model class" in error.exception_message


@needs_sd
@pytest.mark.parametrize(("prefix", "message"), [("../../escaped", "leaves the output folder"),
                                                 ("checkpoints/", "file name part")])
def test_a_prefix_that_leaves_the_output_folder_or_names_no_file_is_refused(registry, models_root, tmp_path,
                                                                              prefix, message):
    engine = make_engine(registry, models_root, tmp_path, device="cpu")
    result = engine.run({
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "shapes-sd"}},
        "9": {"class_type": "CheckpointSave", "inputs": {"model": ["4", 0], "clip": ["4", 1], "vae": ["4", 2],
                                                         "filename_prefix": prefix}},
    })
    assert result.error is not None and result.error.node_id == "9"
    assert result.error.input_name == "filename_prefix" and message in result.error.exception_message
    assert not list(tmp_path.parent.glob("**/escaped*"))
