"""Model-free image sources and simple pixel operations, so graphs can be built and tested without models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodegraph import Context, In, Node, Out

if TYPE_CHECKING:
    import torch


class EmptyImage(Node):
    """A batch of images filled with one colour (given as 0xRRGGBB)."""

    category = "image"
    display_name = "Empty Image"
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
    display_name = "Invert Image Colors"
    inputs = {"image": In("IMAGE")}
    outputs = {"IMAGE": Out("IMAGE")}

    def run(self, ctx: Context, image: torch.Tensor) -> torch.Tensor:
        return 1.0 - image


NODES = [EmptyImage, ImageInvert]
