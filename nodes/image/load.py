"""LoadImage: an image from the input folder as IMAGE plus its alpha as MASK."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out, Services
from nodegraph.runtime.files import Folders, UnsafePath

if TYPE_CHECKING:
    import torch



IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
ANNOTATED = re.compile(r"^(?P<name>.+) \[(?P<kind>input|output|temp)\]$")


def input_images(services: Services) -> list[str]:
    return services.files.list_files("input", IMAGE_SUFFIXES)


def _path(files: Folders, name: str) -> Any:
    """The file a widget value names: "a.png" or "sub/a.png" in input/, or ComfyUI's annotated form
    "sub/a.png [output]" (its mask editor saves "clipspace/... [input]") in the folder it names."""
    annotated = ANNOTATED.match(name)
    kind = annotated["kind"] if annotated else "input"
    try:
        return files.resolve(kind, annotated["name"] if annotated else name)
    except UnsafePath as exc:
        raise NodeError("image", str(exc)) from exc


class LoadImage(Node):
    """Load an image from the input folder; transparent pixels become the mask."""

    category = "image"
    display_name = "Load Image"
    inputs = {"image": In.choice(input_images, extra={"image_upload": True})}
    outputs = {"IMAGE": Out("IMAGE"), "MASK": Out("MASK")}

    @classmethod
    def fingerprint(cls, services: Services, image: str = "") -> str:
        path = _path(services.files, image)
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""

    @classmethod
    def validate(cls, services: Services, image: str | None = None) -> bool | str:
        if image is None:
            return True
        try:
            path = _path(services.files, image)
        except NodeError as exc:
            return str(exc)
        return True if path.is_file() else f"Invalid image file: {image} is not in the input folder"

    def run(self, ctx: Context, image: str) -> tuple[torch.Tensor, torch.Tensor]:
        import torch
        from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

        from .convert import from_pil

        path = _path(ctx.files, image)
        try:
            picture = Image.open(path)
            frames = [ImageOps.exif_transpose(frame) for frame in ImageSequence.Iterator(picture)]
        except (UnidentifiedImageError, OSError) as exc:
            raise NodeError("image", f"{image} is not an image PIL can read ({exc})") from exc
        images, masks = [], []
        for frame in frames:
            pixels, mask = from_pil(frame)
            if images and pixels.shape[1:] != images[0].shape[1:]:
                continue  # ComfyUI skips frames whose size differs from the first
            images.append(pixels)
            masks.append(mask)
        return torch.cat(images), torch.cat(masks)


NODES = [LoadImage]
