"""Bad input gives a clear error naming the node and the input, never a traceback the user must read."""

from __future__ import annotations

import torch
from ar_prompts import capture, decode, loader, sample_graph, sampler


def failed(result, node: str, input_name: str) -> str:
    assert result.status == "error"
    assert result.error.node_id == node
    assert result.error.input_name == input_name
    return result.error.exception_message


def store(name: str, mask: torch.Tensor) -> dict:
    import nodegraph_plugins.ar_capture as fixtures

    fixtures.MASKS[name] = mask
    return {"class_type": "StoredMask", "inputs": {"key": name}}


def test_pixel_mask_of_the_wrong_size(engine):
    prompt = {"1": loader(), "2": store("small", torch.ones(1, 16, 16)),
              "3": {"class_type": "TokenMaskFromMask", "inputs": {"vq_model": ["1", 1], "mask": ["2", 0],
                                                                  "rule": "any"}},
              "4": capture(["3", 0], "mask")}
    message = failed(engine.run(prompt), "3", "mask")
    assert "16x16" in message and "32x32" in message


def test_inpaint_given_a_pixel_mask_instead_of_a_token_mask(engine):
    prompt = {"1": loader(), "2": sampler(), "3": store("pixels", torch.ones(1, 32, 32)),
              "4": {"class_type": "ARInpaint", "inputs": {**sampler()["inputs"], "image_tokens": ["2", 0],
                                                          "token_mask": ["3", 0]}},
              "5": capture(["4", 0], "tokens")}
    message = failed(engine.run(prompt), "4", "token_mask")
    assert "32x32" in message and "8x8" in message and "Token Mask from Mask" in message


def test_tokens_from_another_codebook(engine):
    prompt = {"1": loader(), "9": loader("other"), "2": sampler(model_node="9"), "3": decode(["2", 0]),
              "4": capture(["3", 0], "image")}
    message = failed(engine.run(prompt), "3", "image_tokens")
    assert "other@" in message and "tiny@" in message
    edit = {"1": loader(), "9": loader("other"), "2": sampler(model_node="9"),
            "3": {"class_type": "ARContinue", "inputs": {**sampler()["inputs"], "image_tokens": ["2", 0],
                                                         "keep_rows": 2}},
            "4": capture(["3", 0], "tokens")}
    failed(engine.run(edit), "3", "image_tokens")


def test_empty_prompt_when_guidance_needs_one(engine):
    message = failed(engine.run(sample_graph(prompt="  ", cfg=3.0)), "2", "prompt")
    assert "cfg" in message
    # Without guidance an empty prompt is a legitimate unconditional sample.
    assert engine.run(sample_graph(prompt="", cfg=1.0)).status == "success"


def test_unknown_model_folder_names_the_input(engine, models_root):
    (models_root / "autoregressive" / "junk").mkdir(exist_ok=True)
    message = failed(engine.run(sample_graph() | {"1": loader("junk")}), "1", "model_name")
    assert "nodegraph_ar.json" in message
