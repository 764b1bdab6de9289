"""Single files as other tools save them, loaded offline with configs derived from their shapes: SD 1.x, SD 2.x
and SDXL checkpoints draw what diffusers' `from_single_file` draws (given the models' own config folders), the
SDXL refiner hands off from a file, and lone VAE, CLIP and UNet files (VAELoader, CLIPLoader, DualCLIPLoader,
UNETLoader) stand in for a checkpoint's parts exactly. Files of other kinds are refused, naming what was expected."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from safetensors.torch import save_file
from sd_engine import make_engine
from single_tiny import build_sd, save_checkpoint, save_parts

from nodegraph_nodes.diffusion.schedulers import build_scheduler

TEXT, NEGATIVE, SEED, STEPS = "a small red circle at the top left", "blurry", 4, 3


@pytest.fixture(scope="module")
def files(tmp_path_factory, sdxl) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("single_files")
    (root / "checkpoints").mkdir()
    folders, parts = {}, {}
    for family in ("sd1", "sd2"):
        pipe = build_sd(family)
        folders[family] = root / "configs" / family
        pipe.save_pretrained(str(folders[family]), safe_serialization=True)
        save_checkpoint(root / "checkpoints" / f"{family}-tiny.safetensors", pipe)
        parts[family] = save_parts(root, pipe, family)
    xl_root, base, refiner = sdxl
    folders["sdxl"] = xl_root / "checkpoints" / "tiny-sdxl"
    save_checkpoint(root / "checkpoints" / "sdxl-tiny.safetensors", base)
    save_checkpoint(root / "checkpoints" / "sdxl-refiner-tiny.safetensors", refiner)
    parts["sdxl"] = save_parts(root, base, "sdxl")
    return {"root": root, "folders": folders, "parts": parts}


@pytest.fixture()
def offline(monkeypatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def graph(model: list[Any], clip: list[Any], vae: list[Any], nodes: dict[str, Any]) -> dict[str, Any]:
    return {**nodes,
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": TEXT, "clip": clip}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": clip}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
            "3": {"class_type": "KSampler", "inputs": {
                "model": model, "seed": SEED, "steps": STEPS, "cfg": 4.0, "sampler_name": "euler",
                "scheduler": "normal", "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
                "denoise": 1.0}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": vae}},
            "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}}}


def checkpoint_graph(name: str) -> dict[str, Any]:
    return graph(["4", 0], ["4", 1], ["4", 2],
                 {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": name}}})


def drawn(engine, prompt: dict[str, Any]) -> torch.Tensor:
    result = engine.run(prompt)
    assert result.status == "success", result.error
    return result.output("8")


@pytest.mark.parametrize("family", ["sd1", "sd2", "sdxl"])
def test_a_checkpoint_from_another_tool_equals_from_single_file(registry, files, tmp_path, offline, family):
    engine = make_engine(registry, files["root"], tmp_path, device="cpu")
    image = drawn(engine, checkpoint_graph(f"{family}-tiny.safetensors"))
    cls = StableDiffusionXLPipeline if family == "sdxl" else StableDiffusionPipeline
    extra = {} if family == "sdxl" else {"safety_checker": None, "requires_safety_checker": False}
    pipe = cls.from_single_file(str(files["root"] / "checkpoints" / f"{family}-tiny.safetensors"),
                                config=str(files["folders"][family]), local_files_only=True, **extra)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = build_scheduler("euler", "normal", dict(pipe.scheduler.config))  # the same sampler
    reference = pipe(TEXT, negative_prompt=NEGATIVE, height=64, width=64, num_inference_steps=STEPS,
                     guidance_scale=4.0, generator=torch.Generator().manual_seed(SEED), output_type="np").images
    assert (image - torch.from_numpy(reference)).abs().max() <= 1 / 255


def test_the_refiner_hand_off_from_single_files(registry, files, sdxl, tmp_path, offline):
    from test_sdxl import handoff_graph

    folders = handoff_graph()
    engine = make_engine(registry, sdxl[0], tmp_path, device="cpu")
    from_folders = drawn(engine, folders)
    singles = handoff_graph()
    singles["4"]["inputs"]["ckpt_name"] = "sdxl-tiny.safetensors"
    singles["12"]["inputs"]["ckpt_name"] = "sdxl-refiner-tiny.safetensors"
    from_files = drawn(make_engine(registry, files["root"], tmp_path, device="cpu"), singles)
    assert (from_files - from_folders).abs().max() <= 1 / 255


@pytest.mark.parametrize("family", ["sd1", "sdxl"])
def test_lone_vae_clip_and_unet_files_stand_in_for_the_checkpoints_parts(registry, files, tmp_path, offline,
                                                                          family):
    engine = make_engine(registry, files["root"], tmp_path, device="cpu")
    names = files["parts"][family]
    assert names["vae"] in engine.models.list("vae") and names["text_encoder"] in engine.models.list("clip")
    expected = drawn(engine, checkpoint_graph(f"{family}-tiny.safetensors"))
    nodes = {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": f"{family}-tiny.safetensors"}},
             "11": {"class_type": "VAELoader", "inputs": {"vae_name": names["vae"]}}}
    if family == "sdxl":
        # clip_g first: DualCLIPLoader tells the two apart by width, as ComfyUI's does by their keys.
        nodes["10"] = {"class_type": "DualCLIPLoader", "inputs": {
            "clip_name1": names["text_encoder_2"], "clip_name2": names["text_encoder"], "type": "sdxl"}}
        model = ["4", 0]
    else:
        nodes["10"] = {"class_type": "CLIPLoader", "inputs": {"clip_name": names["text_encoder"],
                                                              "type": "stable_diffusion"}}
        nodes["12"] = {"class_type": "UNETLoader", "inputs": {"unet_name": names["diffusion_models"],
                                                              "weight_dtype": "default"}}
        model = ["12", 0]
    # The lone SDXL VAE decodes in the latent's own scale (SDXL's 0.13025), which its file does not hold.
    assert torch.equal(drawn(engine, graph(model, ["10", 0], ["11", 0], nodes)), expected)


def error_of(engine, prompt: dict[str, Any], node: str) -> str:
    result = engine.run(prompt)
    assert result.status == "error" and result.error.node_id == node, result.error
    return f"{result.error.input_name}: {result.error.exception_message}"


def test_files_of_other_kinds_are_refused_naming_what_was_expected(registry, files, tmp_path, offline):
    root = files["root"]
    save_file({"double_blocks.0.img_attn.norm.key_norm.scale": torch.ones(4),
               "model.diffusion_model.double_blocks.0.img_attn.qkv.weight": torch.ones(4, 4)},
              str(root / "checkpoints" / "flux-like.safetensors"))
    save_file({"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": torch.ones(2, 2)},
              str(root / "checkpoints" / "a-lora.safetensors"))
    engine = make_engine(registry, root, tmp_path, device="cpu")
    for name in ("flux-like.safetensors", "a-lora.safetensors"):
        message = error_of(engine, checkpoint_graph(name), "4")
        assert message.startswith(f"ckpt_name: input 'ckpt_name': cannot read single-file checkpoint '{name}' as a "
                                  "Stable Diffusion model: its keys are not a Stable Diffusion checkpoint's")
        assert message.endswith("expected an SD 1.x, SD 2.x, SDXL or SDXL refiner checkpoint")
    names = files["parts"]["sd1"]
    (root / "vae" / "not-a-vae.safetensors").write_bytes((root / "diffusion_models" /
                                                          names["diffusion_models"]).read_bytes())
    prompt = checkpoint_graph("sd1-tiny.safetensors")
    prompt["11"] = {"class_type": "VAELoader", "inputs": {"vae_name": "not-a-vae.safetensors"}}
    prompt["8"]["inputs"]["vae"] = ["11", 0]
    message = error_of(engine, prompt, "11")
    assert "vae_name" in message and "its keys are not a VAE's in the original layout" in message
    # A tiny SDXL UNet alone: its time-id width cannot be known without the text encoder beside it.
    (root / "diffusion_models" / "xl.safetensors").write_bytes((root / "diffusion_models" /
                                                                files["parts"]["sdxl"]["diffusion_models"]).read_bytes())
    prompt = checkpoint_graph("sd1-tiny.safetensors")
    prompt["12"] = {"class_type": "UNETLoader", "inputs": {"unet_name": "xl.safetensors", "weight_dtype": "default"}}
    prompt["3"]["inputs"]["model"] = ["12", 0]
    message = error_of(engine, prompt, "12")
    assert "unet_name" in message and "the time-id width is not in the tensors" in message


def test_a_controlnet_file_in_the_original_layout_equals_its_folder(registry, tmp_path, offline):
    from single_tiny import build_controlnet, save_controlnet

    root = tmp_path / "models"
    pipe = build_sd("sd1", seed=5)
    pipe.save_pretrained(str(root / "checkpoints" / "sd1"), safe_serialization=True)
    controlnet = build_controlnet(pipe, seed=6)
    controlnet.save_pretrained(str(root / "controlnet" / "cn-folder"), safe_serialization=True)
    save_controlnet(root / "controlnet" / "cn-file.safetensors", controlnet)
    engine = make_engine(registry, root, tmp_path, device="cpu")
    images = []
    for name in ("cn-folder", "cn-file.safetensors", None):
        prompt = checkpoint_graph("sd1")
        if name is not None:
            prompt.update({
                "20": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": name}},
                "21": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1,
                                                              "color": 0xFF0000}},
                "22": {"class_type": "ControlNetApplyAdvanced", "inputs": {
                    "positive": ["6", 0], "negative": ["7", 0], "control_net": ["20", 0], "image": ["21", 0],
                    "strength": 1.0, "start_percent": 0.0, "end_percent": 1.0}}})
            prompt["3"]["inputs"]["positive"], prompt["3"]["inputs"]["negative"] = ["22", 0], ["22", 1]
        images.append(drawn(engine, prompt))
    assert torch.equal(images[0], images[1])
    assert (images[0] - images[2]).abs().max() > 0.01  # the ControlNet acts


def test_save_checkpoint_writes_sdxl_and_loads_it_back(registry, sdxl, tmp_path, offline):
    from test_sdxl import base_graph

    engine = make_engine(registry, sdxl[0], tmp_path, device="cpu")
    saved = engine.run({
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sdxl"}},
        "9": {"class_type": "CheckpointSave", "inputs": {"model": ["4", 0], "clip": ["4", 1], "vae": ["4", 2],
                                                         "filename_prefix": "checkpoints/xl"}}})
    assert saved.status == "success", saved.error
    written = tmp_path / "output" / "checkpoints" / saved.ui["9"]["checkpoints"][0]["filename"]
    root = tmp_path / "models"
    (root / "checkpoints").mkdir(parents=True)
    written.rename(root / "checkpoints" / "xl.safetensors")
    graph = base_graph()
    graph["4"]["inputs"]["ckpt_name"] = "xl.safetensors"
    again = make_engine(registry, root, tmp_path, device="cpu").run(graph)
    assert again.status == "success", again.error
    assert (again.output("8") - engine.run(base_graph()).output("8")).abs().max() <= 1 / 255
