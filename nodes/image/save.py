"""SaveImage and PreviewImage: PNGs with the prompt and workflow in text chunks, ComfyUI's naming, and pixels
truncated to 8 bits as ComfyUI's are, so a saved file matches ComfyUI's to the level."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, Result
from nodegraph.runtime.images import temp_prefix, write_pngs

if TYPE_CHECKING:
    import torch


class SaveImage(Node):
    """Save images to the output folder as PNG, with the prompt and workflow embedded."""

    category = "image"
    display_name = "Save Image"
    output_node = True
    inputs = {"images": In("IMAGE"), "filename_prefix": In.string("nodegraph")}
    hidden = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    outputs = {}

    def run(self, ctx: Context, images: torch.Tensor, filename_prefix: str, prompt: Any = None,
            extra_pnginfo: Any = None) -> Result:
        saved = write_pngs(ctx.files, images, "output", filename_prefix, 4, prompt, extra_pnginfo)
        return Result((), ui={"images": saved})


class PreviewImage(Node):
    """Show images on the node without keeping them (written to the temp folder)."""

    category = "image"
    display_name = "Preview Image"
    output_node = True
    inputs = {"images": In("IMAGE")}
    hidden = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    outputs = {}

    def run(self, ctx: Context, images: torch.Tensor, prompt: Any = None, extra_pnginfo: Any = None) -> Result:
        saved = write_pngs(ctx.files, images, "temp", temp_prefix("nodegraph"), 1, prompt, extra_pnginfo)
        return Result((), ui={"images": saved})


NODES = [SaveImage, PreviewImage]
