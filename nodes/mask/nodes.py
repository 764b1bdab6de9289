"""Mask nodes: from an image channel, to an image, grow, feather, invert, solid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import IMAGE, MASK, require_image, require_mask

if TYPE_CHECKING:
    import torch


MAX_RESOLUTION = 16384
CHANNELS = ["red", "green", "blue", "alpha"]


class ImageToMask(Node):
    """One channel of an image as a mask."""

    category = "mask"
    display_name = "Convert Image to Mask"
    inputs = {"image": In(IMAGE), "channel": In.choice(CHANNELS, default="red")}
    outputs = {"MASK": Out(MASK)}

    def run(self, ctx: Context, image: Any, channel: str) -> tuple[torch.Tensor]:
        image = require_image("image", image)
        index = CHANNELS.index(channel)
        if index >= image.shape[-1]:
            raise NodeError("channel", f"the image has no {channel} channel (it has {image.shape[-1]} channels)")
        return (image[..., index].clone(),)


class MaskToImage(Node):
    """A mask as a grey image."""

    category = "mask"
    display_name = "Convert Mask to Image"
    inputs = {"mask": In(MASK)}
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, mask: Any) -> tuple[torch.Tensor]:
        return (require_mask("mask", mask)[..., None].expand(-1, -1, -1, 3).clone(),)


class InvertMask(Node):
    """1 - mask."""

    category = "mask"
    display_name = "Invert Mask"
    inputs = {"mask": In(MASK)}
    outputs = {"MASK": Out(MASK)}

    def run(self, ctx: Context, mask: Any) -> tuple[torch.Tensor]:
        return (1.0 - require_mask("mask", mask),)


class GrowMask(Node):
    """Grow (positive) or shrink (negative) a mask by a number of pixels."""

    category = "mask"
    display_name = "Grow Mask"
    inputs = {
        "mask": In(MASK),
        "expand": In.int(0, min=-MAX_RESOLUTION, max=MAX_RESOLUTION, step=1),
        "tapered_corners": In.bool(True),
    }
    outputs = {"MASK": Out(MASK)}

    def run(self, ctx: Context, mask: Any, expand: int, tapered_corners: bool) -> tuple[torch.Tensor]:
        from . import ops

        return (ops.grow(require_mask("mask", mask), expand, tapered_corners),)


class FeatherMask(Node):
    """Fade a mask to zero towards its edges."""

    category = "mask"
    display_name = "Feather Mask"
    inputs = {
        "mask": In(MASK),
        "left": In.int(0, min=0, max=MAX_RESOLUTION, step=1),
        "top": In.int(0, min=0, max=MAX_RESOLUTION, step=1),
        "right": In.int(0, min=0, max=MAX_RESOLUTION, step=1),
        "bottom": In.int(0, min=0, max=MAX_RESOLUTION, step=1),
    }
    outputs = {"MASK": Out(MASK)}

    def run(self, ctx: Context, mask: Any, left: int, top: int, right: int, bottom: int) -> tuple[torch.Tensor]:
        from . import ops

        return (ops.feather(require_mask("mask", mask), left, top, right, bottom),)


class SolidMask(Node):
    """A mask of one value."""

    category = "mask"
    display_name = "Create Solid Mask"
    inputs = {
        "value": In.float(1.0, min=0.0, max=1.0, step=0.01),
        "width": In.int(512, min=1, max=MAX_RESOLUTION, step=1),
        "height": In.int(512, min=1, max=MAX_RESOLUTION, step=1),
    }
    outputs = {"MASK": Out(MASK)}

    def run(self, ctx: Context, value: float, width: int, height: int) -> tuple[torch.Tensor]:
        import torch

        return (torch.full((1, height, width), value, dtype=torch.float32),)


_OPERATIONS = {
    "multiply": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "and": lambda a, b: ((a > 0.5) & (b > 0.5)).float(),
    "or": lambda a, b: ((a > 0.5) | (b > 0.5)).float(),
    "xor": lambda a, b: ((a > 0.5) ^ (b > 0.5)).float(),
}


class MaskComposite(Node):
    """Combine a source mask into a destination mask at (x, y); e.g. a rectangle from two solid masks."""

    category = "mask"
    display_name = "Combine Masks"
    inputs = {
        "destination": In(MASK),
        "source": In(MASK),
        "x": In.int(0, min=0, max=MAX_RESOLUTION, step=1),
        "y": In.int(0, min=0, max=MAX_RESOLUTION, step=1),
        "operation": In.choice(list(_OPERATIONS), default="multiply"),
    }
    outputs = {"MASK": Out(MASK)}

    def run(self, ctx: Context, destination: Any, source: Any, x: int, y: int, operation: str) -> tuple[torch.Tensor]:
        out = require_mask("destination", destination).clone()
        source = require_mask("source", source)
        height, width = min(source.shape[1], out.shape[1] - y), min(source.shape[2], out.shape[2] - x)
        if height > 0 and width > 0:
            region = out[:, y:y + height, x:x + width]
            out[:, y:y + height, x:x + width] = _OPERATIONS[operation](region, source[:, :height, :width])
        return (out.clamp(0.0, 1.0),)


NODES = [ImageToMask, MaskToImage, InvertMask, GrowMask, FeatherMask, SolidMask, MaskComposite]
