"""Model-free image sources and simple pixel operations, so graphs can be built and tested without models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodegraph import Context, In, Node, NodeError, Out

if TYPE_CHECKING:
    import torch


class EmptyImage(Node):
    """A batch of images filled with one colour (given as 0xRRGGBB)."""

    category = "image"
    inputs = {
        "width": In.int(64, min=1, max=8192, step=1),
        "height": In.int(64, min=1, max=8192, step=1),
        "batch_size": In.int(1, min=1, max=4096),
        "color": In.int(0, min=0, max=0xFFFFFF, step=1, extra={"display": "color"}),
    }
    outputs = {"IMAGE": Out("IMAGE")}

    def run(self, ctx: Context, width: int, height: int, batch_size: int, color: int) -> torch.Tensor:
        import torch

        rgb = torch.tensor([(color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF], dtype=torch.float32) / 255
        return rgb.expand(batch_size, height, width, 3).clone()


class ImageInvert(Node):
    """1 - pixel value."""

    category = "image"
    inputs = {"image": In("IMAGE")}
    outputs = {"IMAGE": Out("IMAGE")}

    def run(self, ctx: Context, image: torch.Tensor) -> torch.Tensor:
        return 1.0 - image


class ImageBlend(Node):
    """Mix two images of the same size: (1 - factor) * a + factor * b."""

    category = "image"
    inputs = {"image_a": In("IMAGE"), "image_b": In("IMAGE"), "factor": In.float(0.5, min=0.0, max=1.0)}
    outputs = {"IMAGE": Out("IMAGE")}

    def run(self, ctx: Context, image_a: torch.Tensor, image_b: torch.Tensor, factor: float) -> torch.Tensor:
        import torch

        if image_a.shape[1:] != image_b.shape[1:]:
            raise NodeError("image_b", f"expected size {tuple(image_a.shape[1:3])} like image_a, "
                                       f"got {tuple(image_b.shape[1:3])}")
        return torch.lerp(image_a, image_b, factor)


NODES = [EmptyImage, ImageInvert, ImageBlend]
