"""ComfyUI's image batch utilities: join two batches, repeat one, take a slice, and regroup a list of batches
(RebatchImages), with ComfyUI's class names, inputs and results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, Out
from nodegraph.runtime.resize import common_upscale

from ..types import IMAGE, require_image

if TYPE_CHECKING:
    import torch


def batch_slice(count: int, batch_index: int, length: int) -> slice:
    """ComfyUI's clamping: the index stops at the last item, the length at the batch's end."""
    start = min(count - 1, batch_index)
    return slice(start, start + min(count - start, length))


class ImageBatch(Node):
    """image2's images after image1's; image2 is resized (bilinear, centre crop) to image1's size if needed."""

    category = "image"
    display_name = "Batch Images"
    inputs = {"image1": In(IMAGE), "image2": In(IMAGE)}
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, image1: Any, image2: Any) -> tuple[torch.Tensor]:
        import torch

        image1, image2 = require_image("image1", image1), require_image("image2", image2)
        channels = max(image1.shape[-1], image2.shape[-1])
        image1, image2 = (_with_channels(image, channels) for image in (image1, image2))
        if image2.shape[1:3] != image1.shape[1:3]:
            image2 = common_upscale(image2.movedim(-1, 1), image1.shape[2], image1.shape[1], "bilinear",
                                    "center").movedim(1, -1)
        return (torch.cat((image1, image2), dim=0),)


def _with_channels(image: torch.Tensor, channels: int) -> torch.Tensor:
    """RGB gains an opaque alpha channel when the other batch has one."""
    import torch

    if image.shape[-1] == channels:
        return image
    return torch.cat((image, torch.ones_like(image[..., :1])), dim=-1)


class RepeatImageBatch(Node):
    """The batch repeated `amount` times."""

    category = "image/batch"
    display_name = "Repeat Image Batch"
    inputs = {"image": In(IMAGE), "amount": In.int(1, min=1, max=4096)}
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, image: Any, amount: int) -> tuple[torch.Tensor]:
        return (require_image("image", image).repeat((amount, 1, 1, 1)),)


class ImageFromBatch(Node):
    """`length` images from `batch_index` on (both clamped to the batch)."""

    category = "image/batch"
    display_name = "Image From Batch"
    inputs = {"image": In(IMAGE), "batch_index": In.int(0, min=0, max=4095), "length": In.int(1, min=1, max=4096)}
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, image: Any, batch_index: int, length: int) -> tuple[torch.Tensor]:
        image = require_image("image", image)
        return (image[batch_slice(image.shape[0], batch_index, length)].clone(),)


class RebatchImages(Node):
    """Every image of every incoming batch, regrouped into batches of batch_size (a list output: each batch
    runs the nodes downstream once)."""

    category = "image/batch"
    display_name = "Rebatch Images"
    input_is_list = True
    inputs = {"images": In(IMAGE), "batch_size": In.int(1, min=1, max=4096)}
    outputs = {"IMAGE": Out(IMAGE, is_list=True)}

    def run(self, ctx: Context, images: list[Any], batch_size: list[int]) -> tuple[list[torch.Tensor]]:
        import torch

        size = batch_size[0]
        singles = [image[i:i + 1] for image in (require_image("images", item) for item in images)
                   for i in range(image.shape[0])]
        return ([torch.cat(singles[i:i + size], dim=0) for i in range(0, len(singles), size)],)


NODES = [ImageBatch, RepeatImageBatch, ImageFromBatch, RebatchImages]
