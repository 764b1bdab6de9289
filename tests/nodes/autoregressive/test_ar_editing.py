"""Token inpainting, continuation editing, token masks and the VQ encode/decode nodes, run as graphs."""

from __future__ import annotations

import torch
from ar_engine import captured
from ar_prompts import capture, decode, loader, preview, sampler


def image_node(color: int = 0xDC1E1E) -> dict:
    return {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1, "color": color}}


def test_encode_decode_and_grid_preview(engine):
    prompt = {"1": loader(), "2": image_node(),
              "3": {"class_type": "ImageTokenEncode", "inputs": {"vq_model": ["1", 1], "image": ["2", 0]}},
              "4": decode(["3", 0]), "5": capture(["3", 0], "tokens"), "6": capture(["4", 0], "image"),
              "7": preview(["3", 0])}
    result = engine.run(prompt)
    assert result.status == "success", result.error
    tokens = captured()["tokens"]
    assert tokens["indices"].shape == (1, 8, 8) and tokens["codebook"].startswith("tiny@")
    # A flat colour encodes to one code everywhere away from the borders.
    assert tokens["indices"][0, 3:5, 3:5].unique().numel() == 1
    assert captured()["image"].shape == (1, 32, 32, 3)
    assert result.ui["3"]["images"][0]["type"] == "temp"
    assert len(result.ui["7"]["images"]) == 1


def run_inpaint(engine, token_mask: torch.Tensor, node: str = "ARInpaint", extra: dict | None = None):
    """Run sampler -> editor with the token mask given as a literal tensor through a mask-making graph."""
    import nodegraph_plugins.ar_capture as fixtures

    fixtures.MASKS["m"] = token_mask
    editor_inputs = {**sampler(prompt="a blue square", seed=12)["inputs"], "image_tokens": ["2", 0],
                     **(extra or {})}
    if node == "ARInpaint":
        editor_inputs["token_mask"] = ["8", 0]
    prompt = {"1": loader(), "2": sampler(prompt="a red circle", seed=11),
              "3": {"class_type": node, "inputs": editor_inputs},
              "8": {"class_type": "StoredMask", "inputs": {"key": "m"}},
              "5": capture(["2", 0], "before"), "6": capture(["3", 0], "after")}
    return engine.run(prompt)


def test_inpainting_keeps_every_token_outside_the_mask(engine):
    mask = torch.zeros(1, 8, 8)
    mask[:, 2:6, 3:7] = 1
    result = run_inpaint(engine, mask)
    assert result.status == "success", result.error
    before, after = captured()["before"]["indices"], captured()["after"]["indices"]
    outside = mask == 0
    assert torch.equal(before[outside], after[outside])
    assert not torch.equal(before[~outside], after[~outside])


def test_continuation_keeps_the_first_rows_and_redraws_the_rest(engine):
    result = run_inpaint(engine, torch.zeros(1, 8, 8), node="ARContinue", extra={"keep_rows": 3})
    assert result.status == "success", result.error
    before, after = captured()["before"]["indices"], captured()["after"]["indices"]
    assert torch.equal(before[:, :3], after[:, :3])
    assert not torch.equal(before[:, 3:], after[:, 3:])
    # Progress jumps over the kept rows (fed in one pass) and then reports each new row.
    assert [e.value for e in engine.progress("3")] == [3, 4, 5, 6, 7, 8]


def test_token_mask_any_versus_majority(engine):
    import nodegraph_plugins.ar_capture as fixtures

    pixels = torch.zeros(1, 32, 32)
    pixels[:, 0:4, 0:4] = 1  # exactly token (0, 0)
    pixels[:, 4:6, 8:12] = 1  # half of token (1, 2)
    pixels[:, 8, 16] = 1  # one pixel of token (2, 4)
    fixtures.MASKS["p"] = pixels
    prompt = {"1": loader(), "2": {"class_type": "StoredMask", "inputs": {"key": "p"}}}
    for rule in ("any", "majority"):
        prompt[rule] = {"class_type": "TokenMaskFromMask", "inputs": {"vq_model": ["1", 1], "mask": ["2", 0],
                                                                      "rule": rule}}
        prompt["c" + rule] = capture([rule, 0], rule)
    assert engine.run(prompt).status == "success"
    any_rule, majority = captured()["any"], captured()["majority"]
    assert any_rule.shape == (1, 8, 8)
    assert {tuple(i) for i in any_rule[0].nonzero().tolist()} == {(0, 0), (1, 2), (2, 4)}
    assert {tuple(i) for i in majority[0].nonzero().tolist()} == {(0, 0), (1, 2)}
