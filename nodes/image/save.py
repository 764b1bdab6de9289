"""SaveImage and PreviewImage: PNGs with the prompt and workflow in text chunks, ComfyUI's naming."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Result

from ..saving import next_counter, prefix_folder, write_atomic

if TYPE_CHECKING:
    import torch




def _metadata(prompt: Any, extra_pnginfo: Any) -> Any:
    from nodegraph.workflow import png_metadata

    return png_metadata(prompt if isinstance(prompt, dict) else None,
                        extra_pnginfo if isinstance(extra_pnginfo, dict) else None)


def write_pngs(ctx: Context, images: torch.Tensor, kind: str, prefix: str, compress: int,
               prompt: Any, extra_pnginfo: Any) -> list[dict[str, str]]:
    """Each image as name_NNNNN_.png under the prefix, the prompt and workflow in its text chunks."""

    import torch

    from .convert import to_pil

    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise NodeError("images", f"expected an IMAGE tensor [B,H,W,C], got {type(images).__name__}")
    folder, subfolder, base = prefix_folder(ctx, kind, prefix)
    metadata = _metadata(prompt, extra_pnginfo)
    counter = next_counter(folder, base, ".png")
    saved = []
    for picture in to_pil(images):
        name = f"{base}_{counter:05}_.png"
        write_atomic(folder / name, lambda path, picture=picture: picture.save(
            path, format="PNG", pnginfo=metadata, compress_level=compress))
        saved.append({"filename": name, "subfolder": subfolder, "type": kind})
        counter += 1
    return saved


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
        saved = write_pngs(ctx, images, "output", filename_prefix, 4, prompt, extra_pnginfo)
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
        prefix = "nodegraph_temp_" + "".join(secrets.choice("abcdefghijklmnopqrstupvxyz") for _ in range(5))
        saved = write_pngs(ctx, images, "temp", prefix, 1, prompt, extra_pnginfo)
        return Result((), ui={"images": saved})


NODES = [SaveImage, PreviewImage]
