"""Mask tools through the engine: channel to mask, invert, grow/shrink, feather, composite."""

from __future__ import annotations

import torch

from nodegraph_nodes.mask import ops


def _square(size: int = 16, box: tuple[int, int, int, int] = (6, 6, 4, 4)) -> dict:
    x, y, w, h = box
    return {
        "1": {"class_type": "SolidMask", "inputs": {"value": 0.0, "width": size, "height": size}},
        "2": {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": w, "height": h}},
        "3": {"class_type": "MaskComposite", "inputs": {"destination": ["1", 0], "source": ["2", 0], "x": x, "y": y,
                                                        "operation": "add"}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["4", 0]}},
        "4": {"class_type": "MaskToImage", "inputs": {"mask": ["3", 0]}},
    }


def test_composite_invert_and_channel_round_trip(engine):
    prompt = _square()
    prompt["5"] = {"class_type": "InvertMask", "inputs": {"mask": ["3", 0]}}
    prompt["6"] = {"class_type": "ImageToMask", "inputs": {"image": ["4", 0], "channel": "green"}}
    result = engine.run(prompt)
    square = result.output("3")
    assert square.shape == (1, 16, 16) and square.sum() == 16 and square[0, 6:10, 6:10].all()
    assert torch.equal(result.output("5"), 1 - square)
    assert torch.equal(result.output("6"), square)
    assert result.output("4").shape == (1, 16, 16, 3)


def test_grow_and_shrink(engine):
    prompt = _square()
    prompt["5"] = {"class_type": "GrowMask", "inputs": {"mask": ["3", 0], "expand": 2, "tapered_corners": False}}
    prompt["6"] = {"class_type": "GrowMask", "inputs": {"mask": ["3", 0], "expand": 1, "tapered_corners": True}}
    prompt["7"] = {"class_type": "GrowMask", "inputs": {"mask": ["3", 0], "expand": -1, "tapered_corners": False}}
    result = engine.run(prompt)
    assert result.output("5").sum() == 8 * 8  # 4x4 grown by 2 on each side
    assert result.output("6").sum() == 6 * 6 - 4  # a plus-shaped kernel leaves the corners out
    assert result.output("7").sum() == 2 * 2


def test_feather_fades_linearly_towards_the_edges():
    mask = torch.ones(1, 4, 8)
    out = ops.feather(mask, left=4, top=0, right=0, bottom=2)
    assert torch.allclose(out[0, 0, :4], torch.tensor([0.25, 0.5, 0.75, 1.0]))
    assert torch.allclose(out[0, :, 7], torch.tensor([1.0, 1.0, 1.0, 0.5]))
    assert out[0, 3, 0] == 0.125  # both fades multiply in the corner


def test_grow_for_inpaint_matches_comfyui_kernel():
    mask = torch.zeros(1, 9, 9)
    mask[0, 4, 4] = 1.0
    assert ops.grow_for_inpaint(mask, 0).sum() == 1
    assert ops.grow_for_inpaint(mask, 3).sum() == 9
    assert ops.grow_for_inpaint(mask, 6).shape == (1, 9, 9)
