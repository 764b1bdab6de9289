"""LoadImage: an image from the input folder as IMAGE plus its alpha as MASK."""

from __future__ import annotations

import hashlib
from typing import Any

import torch
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from nodegraph import In, Node, NodeError, Out
from nodegraph.runtime.files import UnsafePath
from nodegraph.runtime.services import active

from .convert import from_pil

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def input_images() -> list[str]:
    return active()["files"].list_files("input", IMAGE_SUFFIXES)


def _path(name: str) -> Any:
    try:
        return active()["files"].resolve("input", name)
    except UnsafePath as exc:
        raise NodeError("image", str(exc)) from exc


class LoadImage(Node):
    """Load an image from the input folder; transparent pixels become the mask."""

    category = "image"
    inputs = {"image": In.choice(input_images, extra={"image_upload": True})}
    outputs = {"IMAGE": Out("IMAGE"), "MASK": Out("MASK")}

    @classmethod
    def fingerprint(cls, image: str = "") -> str:
        path = _path(image)
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""

    @classmethod
    def validate(cls, image: str | None = None) -> bool | str:
        if image is None:
            return True
        try:
            path = _path(image)
        except NodeError as exc:
            return str(exc)
        return True if path.is_file() else f"Invalid image file: {image} is not in the input folder"

    def run(self, ctx: Any, image: str) -> tuple[torch.Tensor, torch.Tensor]:
        path = _path(image)
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
