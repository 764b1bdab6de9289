"""SaveImage and PreviewImage: PNGs with the prompt and workflow in text chunks, ComfyUI's naming."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

import torch

from nodegraph import In, Node, NodeError, Result
from nodegraph.runtime.files import UnsafePath

from .convert import to_pil


def _metadata(prompt: Any, extra_pnginfo: Any) -> Any:
    from nodegraph.workflow import png_metadata

    return png_metadata(prompt if isinstance(prompt, dict) else None,
                        extra_pnginfo if isinstance(extra_pnginfo, dict) else None)


def _next_counter(folder: Path, prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"_(\d+)_?\.png$")
    numbers = [int(m.group(1)) for p in folder.glob("*.png") if (m := pattern.match(p.name))]
    return max(numbers, default=0) + 1


def write_pngs(ctx: Any, images: torch.Tensor, kind: str, prefix: str, compress: int,
               prompt: Any, extra_pnginfo: Any) -> list[dict[str, str]]:
    """Write each image atomically (temp file then rename), so a crash never leaves half a PNG."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise NodeError("images", f"expected an IMAGE tensor [B,H,W,C], got {type(images).__name__}")
    subfolder, _, base = prefix.replace("\\", "/").rpartition("/")
    if not base:
        raise NodeError("filename_prefix", "the prefix needs a file name part")
    files = ctx.service("files")
    try:
        folder = files.resolve(kind, "", subfolder)
    except UnsafePath as exc:
        raise NodeError("filename_prefix", str(exc)) from exc
    folder.mkdir(parents=True, exist_ok=True)
    metadata = _metadata(prompt, extra_pnginfo)
    counter = _next_counter(folder, base)
    saved = []
    for picture in to_pil(images):
        name = f"{base}_{counter:05}_.png"
        partial = folder / f".{name}.{secrets.token_hex(4)}.part"
        picture.save(partial, format="PNG", pnginfo=metadata, compress_level=compress)
        os.replace(partial, folder / name)
        saved.append({"filename": name, "subfolder": subfolder, "type": kind})
        counter += 1
    return saved


class SaveImage(Node):
    """Save images to the output folder as PNG, with the prompt and workflow embedded."""

    category = "image"
    output_node = True
    inputs = {"images": In("IMAGE"), "filename_prefix": In.string("nodegraph")}
    hidden = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    outputs = {}

    def run(self, ctx: Any, images: torch.Tensor, filename_prefix: str, prompt: Any = None,
            extra_pnginfo: Any = None) -> Result:
        saved = write_pngs(ctx, images, "output", filename_prefix, 4, prompt, extra_pnginfo)
        return Result((), ui={"images": saved})


class PreviewImage(Node):
    """Show images on the node without keeping them (written to the temp folder)."""

    category = "image"
    output_node = True
    inputs = {"images": In("IMAGE")}
    hidden = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    outputs = {}

    def run(self, ctx: Any, images: torch.Tensor, prompt: Any = None, extra_pnginfo: Any = None) -> Result:
        prefix = "nodegraph_temp_" + "".join(secrets.choice("abcdefghijklmnopqrstupvxyz") for _ in range(5))
        saved = write_pngs(ctx, images, "temp", prefix, 1, prompt, extra_pnginfo)
        return Result((), ui={"images": saved})


NODES = [SaveImage, PreviewImage]
