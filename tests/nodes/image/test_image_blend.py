"""ImageBlend ("Blend Images") with ComfyUI's inputs: the six blend modes, the factor, and a resized image2."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from nodegraph_nodes.image.blend import ImageBlend

from nodegraph.core.errors import NodeError

BASE = torch.tensor([0.2, 0.5, 0.8]).expand(1, 4, 4, 3).clone()
TOP = torch.tensor([0.6, 0.1, 0.9]).expand(1, 4, 4, 3).clone()


def blend(mode: str, factor: float = 1.0, top: torch.Tensor = TOP) -> torch.Tensor:
    return ImageBlend().run(None, BASE, top, factor, mode)


@pytest.mark.parametrize(("mode", "expected"), [
    ("normal", [0.6, 0.1, 0.9]),
    ("multiply", [0.12, 0.05, 0.72]),
    ("screen", [0.68, 0.55, 0.98]),
    ("overlay", [0.24, 0.1, 1 - 2 * 0.2 * 0.1]),
    ("difference", [0.0, 0.4, 0.0]),  # 0.2 - 0.6 clamps to 0; 0.8 - 0.9 too
])
def test_each_mode_at_full_factor(mode: str, expected: list[float]) -> None:
    assert torch.allclose(blend(mode)[0, 0, 0], torch.tensor(expected), atol=1e-6)


def test_soft_light_darkens_under_a_dark_top_and_lightens_under_a_light_one() -> None:
    pixel = blend("soft_light")[0, 0, 0]
    assert pixel[0] > BASE[0, 0, 0, 0] and pixel[1] < BASE[0, 0, 0, 1] and pixel[2] > BASE[0, 0, 0, 2]
    assert torch.allclose(blend("soft_light", top=torch.full_like(BASE, 0.5)), BASE)  # a mid-grey top is neutral


def test_the_factor_mixes_image1_with_the_blend() -> None:
    assert torch.equal(blend("multiply", 0.0), BASE)
    assert torch.allclose(blend("normal", 0.25), 0.75 * BASE + 0.25 * TOP)


def test_image2_of_another_size_is_resized_to_image1() -> None:
    small = torch.rand(1, 2, 2, 3)
    out = blend("normal", top=small)
    expected = F.interpolate(small.movedim(-1, 1), size=(4, 4), mode="bicubic").movedim(1, -1).clamp(0, 1)
    assert out.shape == (1, 4, 4, 3) and torch.allclose(out, expected)


def test_batches_that_cannot_pair_are_refused_on_image2() -> None:
    with pytest.raises(NodeError) as caught:
        ImageBlend().run(None, BASE.expand(2, 4, 4, 3), TOP.expand(3, 4, 4, 3), 0.5, "normal")
    assert caught.value.input_name == "image2" and "batch of 3" in str(caught.value)
