"""LoraLoader and LoraLoaderModelOnly on tiny SD 1.x and SDXL folders: LoRAs in kohya's, diffusers' and peft's
layouts draw what diffusers' pipelines draw with `load_lora_weights` / `load_lora_adapter` at the same strengths,
two stacked LoRAs equal diffusers' two adapters, and removing a LoRA restores the original image exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from diffusers import StableDiffusionPipeline
from lora_files import TEXT_TARGETS, UNET_TARGETS, peft_layers, save_diffusers, save_kohya, save_peft

TEXT = "a large red circle in the center on a blue background"
STEPS = 3


@pytest.fixture(scope="module")
def loras(tiny_root: Path) -> Path:
    """models/loras beside tiny-sd: kohya (UNet + text encoder, alpha half the rank), diffusers' old names,
    peft's raw UNet layout, and files that must be refused."""
    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_root / "checkpoints" / "tiny-sd"), use_safetensors=True)
    folder = tiny_root / "loras"
    folder.mkdir(exist_ok=True)
    unet_a, text_a = peft_layers(pipe.unet, UNET_TARGETS, 4, 1), peft_layers(pipe.text_encoder, TEXT_TARGETS, 4, 2)
    save_kohya(folder / "kohya.safetensors", unet_a, text_a, alpha=2.0)
    save_diffusers(folder / "diffusers.safetensors", {"unet": peft_layers(pipe.unet, UNET_TARGETS, 2, 3),
                                                      "text_encoder": peft_layers(pipe.text_encoder, TEXT_TARGETS,
                                                                                  2, 4)}, old_names=True)
    (folder / "style").mkdir(exist_ok=True)
    save_peft(folder / "style" / "peft.safetensors", peft_layers(pipe.unet, ["to_k", "to_v"], 4, 5))
    return folder


def pipeline(tiny_root: Path) -> StableDiffusionPipeline:
    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_root / "checkpoints" / "tiny-sd"), use_safetensors=True,
                                                   safety_checker=None, feature_extractor=None,
                                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def reference(pipe: StableDiffusionPipeline, graphs: Any, seed: int = 3) -> torch.Tensor:
    return torch.from_numpy(pipe(TEXT, negative_prompt="", height=64, width=64, num_inference_steps=STEPS,
                                 guidance_scale=graphs.SAMPLING["cfg"], generator=torch.Generator().manual_seed(seed),
                                 output_type="np").images)


def with_loras(graphs: Any, *loras: tuple[str, float, float], model_only: bool = False) -> dict[str, Any]:
    """txt2img with LoraLoader nodes chained after the checkpoint (node ids 10, 11, ...)."""
    graph = graphs.txt2img("tiny-sd", TEXT, seed=3, steps=STEPS)
    model, clip = ["4", 0], ["4", 1]
    for index, (name, strength_model, strength_clip) in enumerate(loras):
        node = str(10 + index)
        if model_only:
            graph[node] = {"class_type": "LoraLoaderModelOnly", "inputs": {
                "model": model, "lora_name": name, "strength_model": strength_model}}
            model = [node, 0]
        else:
            graph[node] = {"class_type": "LoraLoader", "inputs": {
                "model": model, "clip": clip, "lora_name": name, "strength_model": strength_model,
                "strength_clip": strength_clip}}
            model, clip = [node, 0], [node, 1]
    graph["3"]["inputs"]["model"] = model
    graph["6"]["inputs"]["clip"] = graph["7"]["inputs"]["clip"] = clip
    return graph


def image(engine, graph: dict[str, Any], fresh: bool = True) -> torch.Tensor:
    result = engine.run(graph, fresh=fresh)
    assert result.status == "success", result.error
    return result.output("8")


def close(a: torch.Tensor, b: torch.Tensor) -> None:
    assert a.shape == b.shape and (a - b).abs().max() <= 1 / 255


@pytest.mark.parametrize("name", ["kohya.safetensors", "diffusers.safetensors"])
def test_a_lora_equals_diffusers_load_lora_weights(engine, graphs, tiny_root, loras, name):
    drawn = image(engine, with_loras(graphs, (name, 0.8, 0.8)))
    pipe = pipeline(tiny_root)
    pipe.load_lora_weights(str(loras), weight_name=name, adapter_name="a")
    pipe.set_adapters(["a"], adapter_weights=[0.8])
    close(drawn, reference(pipe, graphs))
    assert (drawn - reference(pipeline(tiny_root), graphs)).abs().max() > 0.02  # the LoRA did something


def test_peft_layout_on_the_model_only_equals_load_lora_adapter(engine, graphs, tiny_root, loras):
    assert "style/peft.safetensors" in engine.models.list("loras")
    drawn = image(engine, with_loras(graphs, ("style/peft.safetensors", 1.3, 0.0), model_only=True))
    pipe = pipeline(tiny_root)
    from safetensors.torch import load_file

    pipe.unet.load_lora_adapter(load_file(str(loras / "style" / "peft.safetensors")), prefix=None, adapter_name="p")
    pipe.unet.set_adapters(["p"], weights=[1.3])
    close(drawn, reference(pipe, graphs))


def test_two_stacked_loras_equal_diffusers_adapters_at_the_same_weights(engine, graphs, tiny_root, loras):
    drawn = image(engine, with_loras(graphs, ("kohya.safetensors", 0.7, 0.7), ("diffusers.safetensors", 0.4, 0.4)))
    pipe = pipeline(tiny_root)
    pipe.load_lora_weights(str(loras), weight_name="kohya.safetensors", adapter_name="k")
    pipe.load_lora_weights(str(loras), weight_name="diffusers.safetensors", adapter_name="d")
    pipe.set_adapters(["k", "d"], adapter_weights=[0.7, 0.4])
    close(drawn, reference(pipe, graphs))


def test_removing_the_lora_restores_the_image_and_the_cached_model(engine, graphs, loras):
    plain = graphs.txt2img("tiny-sd", TEXT, seed=3, steps=STEPS)
    before = image(engine, plain, fresh=False)
    unet = engine.models.load(next(e["key"] for e in engine.models.loaded() if e["name"] == "tiny-sd/unet"),
                              lambda device, dtype: None)
    weights = {k: v.clone() for k, v in unet.state_dict().items()}
    patched = image(engine, with_loras(graphs, ("kohya.safetensors", 1.0, 1.0)), fresh=False)
    assert (patched - before).abs().max() > 0.02
    # The cached model has no adapter layers left and the same weights.
    assert not any("lora" in name for name, _ in unet.named_modules())
    assert unet.state_dict().keys() == weights.keys()
    assert all(torch.equal(v, weights[k]) for k, v in unet.state_dict().items())
    # A graph without the LoRA: served from the output cache (its keys never included the LoRA) ...
    again = engine.run(plain, fresh=False)
    assert again.output("8").equal(before) and again.nodes["3"]["cached"]
    # ... and run again from scratch on the same cached models, it still draws the same pixels.
    assert torch.equal(image(engine, plain), before)


def test_cache_keys_include_the_lora_and_its_strengths(engine, graphs):
    first = engine.run(with_loras(graphs, ("kohya.safetensors", 0.5, 0.5)), fresh=False)
    stronger = engine.run(with_loras(graphs, ("kohya.safetensors", 1.0, 0.5)), fresh=False)
    assert not stronger.nodes["3"]["cached"] and stronger.nodes["4"]["cached"]
    assert torch.equal(stronger.output("6")[0][0], first.output("6")[0][0])  # the CLIP side is unchanged
    assert (first.output("8") - stronger.output("8")).abs().max() > 0.01
    other = engine.run(with_loras(graphs, ("diffusers.safetensors", 1.0, 0.5)), fresh=False)
    assert not other.nodes["6"]["cached"] and not other.nodes["3"]["cached"]
    back = engine.run(with_loras(graphs, ("kohya.safetensors", 0.5, 0.5)), fresh=False)
    assert back.nodes["3"]["cached"] and torch.equal(back.output("8"), first.output("8"))


def test_an_sdxl_lora_on_both_text_encoders_equals_the_sdxl_pipeline(registry, sdxl, tmp_path):
    from sd_engine import make_engine
    from test_sdxl import CFG, NEGATIVE, SIZE, base_graph
    from test_sdxl import STEPS as XL_STEPS
    from test_sdxl import TEXT as XL_TEXT

    root, base, _ = sdxl
    (root / "loras").mkdir(exist_ok=True)
    save_diffusers(root / "loras" / "xl.safetensors", {
        "unet": peft_layers(base.unet, UNET_TARGETS, 4, 6),
        "text_encoder": peft_layers(base.text_encoder, TEXT_TARGETS, 4, 7),
        "text_encoder_2": peft_layers(base.text_encoder_2, TEXT_TARGETS, 4, 8)})
    graph = base_graph()
    graph["10"] = {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1],
                                                          "lora_name": "xl.safetensors", "strength_model": 0.9,
                                                          "strength_clip": 0.9}}
    graph["3"]["inputs"]["model"] = ["10", 0]
    graph["6"]["inputs"]["clip"] = graph["7"]["inputs"]["clip"] = ["10", 1]
    drawn = image(make_engine(registry, root, tmp_path, device="cpu"), graph)
    base.load_lora_weights(str(root / "loras"), weight_name="xl.safetensors", adapter_name="xl")
    try:
        base.set_adapters(["xl"], adapter_weights=[0.9])
        expected = base(XL_TEXT, negative_prompt=NEGATIVE, height=SIZE, width=SIZE, num_inference_steps=XL_STEPS,
                        guidance_scale=CFG, generator=torch.Generator().manual_seed(11), output_type="np").images
    finally:
        base.unload_lora_weights()
    close(drawn, torch.from_numpy(expected))


def lora_error(engine, graphs, name: str, model_only: bool = False):
    result = engine.run(with_loras(graphs, (name, 1.0, 1.0), model_only=model_only))
    assert result.status == "error"
    error = result.error
    assert (error.node_id, error.input_name) == ("10", "lora_name")
    return error.exception_message


def test_bad_loras_are_named_on_the_loader(engine, graphs, loras, sdxl):
    from safetensors.torch import save_file

    _, base, _ = sdxl
    save_diffusers(loras / "for-sdxl.safetensors", {"unet": peft_layers(base.unet, UNET_TARGETS, 2, 9),
                                                    "text_encoder_2": peft_layers(base.text_encoder_2, TEXT_TARGETS,
                                                                                  2, 10)})
    message = lora_error(engine, graphs, "for-sdxl.safetensors")
    assert "'for-sdxl.safetensors': it was made for another architecture" in message
    assert "expected a LoRA for an SD 1.x/2.x-type model (cross-attention 32 wide" in message
    message = lora_error(engine, graphs, "for-sdxl.safetensors", model_only=True)
    assert "unet layers do not fit" in message or "no such layer" in message
    # LyCORIS LoHa keys are no LoRA layout diffusers reads; neither are arbitrary tensors.
    save_file({"lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a": torch.ones(2, 2),
               "lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_b": torch.ones(2, 2)},
              str(loras / "loha.safetensors"))
    save_file({"model.layer.weight": torch.ones(2, 2)}, str(loras / "not-a-lora.safetensors"))
    for name in ("loha.safetensors", "not-a-lora.safetensors"):
        message = lora_error(engine, graphs, name)
        assert "no LoRA layout" in message and "expected kohya (lora_unet_" in message, message
    # Pickles are never offered, so validation names them before anything loads.
    (loras / "old.pt").write_bytes(b"not loaded")
    checked = engine.check(with_loras(graphs, ("old.pt", 1.0, 1.0)))
    assert checked.body()["node_errors"]["10"]["errors"][0]["type"] == "value_not_in_list"


def test_an_sd2_lora_equals_diffusers_load_lora_weights(registry, tmp_path):
    from sd_engine import make_engine
    from single_tiny import build_sd
    from test_single_file_families import checkpoint_graph

    from nodegraph_nodes.diffusion.schedulers import build_scheduler

    root = tmp_path / "models"
    pipe = build_sd("sd2", seed=8)
    pipe.save_pretrained(str(root / "checkpoints" / "sd2"), safe_serialization=True)
    (root / "loras").mkdir()
    save_kohya(root / "loras" / "sd2.safetensors", peft_layers(pipe.unet, UNET_TARGETS, 4, 11),
               peft_layers(pipe.text_encoder, TEXT_TARGETS, 4, 12), alpha=2.0)
    graph = checkpoint_graph("sd2")
    graph["10"] = {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1],
                                                          "lora_name": "sd2.safetensors", "strength_model": 0.9,
                                                          "strength_clip": 0.9}}
    graph["3"]["inputs"]["model"] = ["10", 0]
    graph["6"]["inputs"]["clip"] = graph["7"]["inputs"]["clip"] = ["10", 1]
    drawn = image(make_engine(registry, root, tmp_path, device="cpu"), graph)
    reference_pipe = StableDiffusionPipeline.from_pretrained(str(root / "checkpoints" / "sd2"), use_safetensors=True,
                                                             safety_checker=None, requires_safety_checker=False)
    reference_pipe.set_progress_bar_config(disable=True)
    reference_pipe.scheduler = build_scheduler("euler", "normal", dict(reference_pipe.scheduler.config))
    reference_pipe.load_lora_weights(str(root / "loras"), weight_name="sd2.safetensors", adapter_name="a")
    reference_pipe.set_adapters(["a"], adapter_weights=[0.9])
    inputs = graph["3"]["inputs"]
    expected = reference_pipe(graph["6"]["inputs"]["text"], negative_prompt=graph["7"]["inputs"]["text"], height=64,
                              width=64, num_inference_steps=inputs["steps"], guidance_scale=inputs["cfg"],
                              generator=torch.Generator().manual_seed(inputs["seed"]), output_type="np").images
    close(drawn, torch.from_numpy(expected))
