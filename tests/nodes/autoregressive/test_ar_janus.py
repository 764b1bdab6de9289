"""A transformers Janus model (tiny, random, saved in its standard folder layout) through the same nodes."""

from __future__ import annotations

import torch
from ar_engine import captured
from ar_prompts import capture, decode, loader, sampler

from nodegraph.autoregressive.generate import Sampling, generate
from nodegraph.autoregressive.folder import load_folder
from nodegraph.autoregressive.model import Prompt


def janus_graph(**settings) -> dict:
    return {"1": loader("janus-tiny"), "2": sampler(**settings), "3": decode(["2", 0]),
            "4": capture(["2", 0], "tokens"), "5": capture(["3", 0], "image")}


def test_janus_folder_loads_samples_and_decodes_through_the_nodes(engine):
    result = engine.run(janus_graph(seed=4, top_k=10))
    assert result.status == "success", result.error
    tokens = captured()["tokens"]
    assert tokens["indices"].shape == (1, 4, 4) and tokens["codebook"].startswith("janus-tiny@")
    assert captured()["image"].shape == (1, 8, 8, 3)
    assert [e.value for e in engine.progress("2")] == [1, 2, 3, 4]
    again = engine.run(janus_graph(seed=4, top_k=10))
    assert again.status == "success" and torch.equal(captured()["tokens"]["indices"], tokens["indices"])


def test_janus_greedy_with_guidance_matches_its_own_generate(models_root):
    model, _ = load_folder(models_root / "autoregressive" / "janus-tiny", torch.device("cpu"), torch.float32)
    prompt = model.prompt(model.tokenize(["a red circle at the top left"]))
    ours = generate(model, prompt, model.unconditional(prompt), Sampling(temperature=0.0, cfg=3.0), None)
    theirs = model.module.generate(input_ids=prompt.ids, attention_mask=prompt.mask, generation_mode="image",
                                   do_sample=False, guidance_scale=3.0)
    assert torch.equal(ours.reshape(1, -1), theirs)


def test_janus_inpainting_keeps_tokens_outside_the_mask(engine):
    import nodegraph_plugins.ar_capture as fixtures

    mask = torch.zeros(1, 4, 4)
    mask[:, 1:3, 1:3] = 1
    fixtures.MASKS["j"] = mask
    prompt = {"1": loader("janus-tiny"),
              "2": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1,
                                                           "color": 0x2040E0}},
              "3": {"class_type": "ImageTokenEncode", "inputs": {"vq_model": ["1", 1], "image": ["2", 0]}},
              "4": {"class_type": "StoredMask", "inputs": {"key": "j"}},
              "5": {"class_type": "ARInpaint", "inputs": {**sampler(seed=3)["inputs"], "image_tokens": ["3", 0],
                                                          "token_mask": ["4", 0]}},
              "6": capture(["3", 0], "before"), "7": capture(["5", 0], "after")}
    result = engine.run(prompt)
    assert result.status == "success", result.error
    before, after = captured()["before"]["indices"], captured()["after"]["indices"]
    assert torch.equal(before[mask == 0], after[mask == 0])


def padded(prompt: Prompt, extra: int, pad: int) -> Prompt:
    ids = torch.nn.functional.pad(prompt.ids, (extra, 0), value=pad)
    return Prompt(ids, torch.nn.functional.pad(prompt.mask, (extra, 0), value=0))


def test_janus_negative_prompt_of_another_length_is_padded_and_masked(models_root):
    model, _ = load_folder(models_root / "autoregressive" / "janus-tiny", torch.device("cpu"), torch.float32)
    prompt = model.prompt(model.tokenize(["a red circle"]))
    negative = model.prompt(model.tokenize(["a small blue square at the top left"]))
    assert negative.ids.shape[1] > prompt.ids.shape[1]  # the batch needs left padding
    greedy = Sampling(temperature=0.0, cfg=3.0)
    guided = generate(model, prompt, negative, greedy, None)
    assert not torch.equal(guided, generate(model, prompt, model.unconditional(prompt), greedy, None))
    # Masked padding changes nothing: more of it gives the very same tokens.
    more = generate(model, padded(prompt, 5, model.pad_id), padded(negative, 2, model.pad_id), greedy, None)
    assert torch.equal(guided, more)
