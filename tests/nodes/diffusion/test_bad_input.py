"""Bad input gives a structured error naming the node and the input, never a bare traceback."""

from __future__ import annotations

from sd_engine import make_engine


def _failure(result, node: str, input_name: str, *words: str) -> None:
    assert result.status == "error"
    error = result.error
    assert (error.node_id, error.input_name, error.exception_type) == (node, input_name, "NodeError")
    for word in words:
        assert word in error.exception_message, error.exception_message


def test_missing_model_name_fails_validation_naming_the_input(engine, graphs):
    checked = engine.check(graphs.txt2img("no-such-model"))
    assert not checked.ok
    (error,) = checked.node_errors["4"]["errors"]
    assert error["type"] == "value_not_in_list" and error["extra_info"]["input_name"] == "ckpt_name"
    assert "tiny-sd" in error["message"]  # what does exist


def test_a_folder_that_is_not_a_model_fails_at_the_loader(registry, tmp_path, graphs):
    (tmp_path / "models" / "checkpoints" / "empty-folder").mkdir(parents=True)
    engine = make_engine(registry, tmp_path / "models", tmp_path, device="cpu")
    _failure(engine.run(graphs.txt2img("empty-folder")), "4", "ckpt_name", "missing unet", "diffusers layout")


def test_incompatible_sampler_and_scheduler_fail_validation(engine, graphs):
    checked = engine.check(graphs.txt2img("tiny-sd", sampler_name="ddim", scheduler="karras"))
    assert not checked.ok
    assert "cannot be used with sampler 'ddim'" in checked.node_errors["3"]["errors"][0]["details"]


def test_wrong_latent_size(engine, graphs):
    prompt = graphs.txt2img("tiny-sd", steps=2)
    prompt["5"]["inputs"].update(width=68, height=68, vae=["4", 2])  # a 17x17 latent; the UNet halves it once
    _failure(engine.run(prompt), "3", "latent_image", "17x17", "multiple of 2")


def test_mask_of_another_size(engine, graphs):
    prompt = graphs.inpaint("tiny-sd")
    prompt["22"]["inputs"]["steps"] = 2
    prompt["31"]["inputs"].update(width=16, height=16)
    prompt["30"]["inputs"].update(width=32, height=32)  # a 32x32 mask for a 64x64 picture
    _failure(engine.run(prompt), "11", "mask", "32x32", "64x64")


def test_image_that_is_not_an_image(engine, graphs):
    prompt = graphs.img2img("tiny-sd")
    prompt["50"] = {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": 64, "height": 64}}
    prompt["51"] = {"class_type": "Switch", "inputs": {"condition": True, "on_true": ["50", 0],
                                                       "on_false": ["50", 0]}}
    prompt["11"]["inputs"]["pixels"] = ["51", 0]  # a MASK passed through an untyped ("*") output
    _failure(engine.run(prompt), "11", "pixels", "expected an IMAGE", "[1, 64, 64]")


def test_mask_linked_into_an_image_input_fails_validation(engine, graphs):
    prompt = graphs.img2img("tiny-sd")
    prompt["50"] = {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": 64, "height": 64}}
    prompt["11"]["inputs"]["pixels"] = ["50", 0]
    checked = engine.check(prompt)
    assert checked.node_errors["11"]["errors"][0]["type"] == "return_type_mismatch"
    assert checked.node_errors["11"]["errors"][0]["extra_info"]["input_name"] == "pixels"
