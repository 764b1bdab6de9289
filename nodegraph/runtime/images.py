"""IMAGE tensors ([B,H,W,C], float 0..1) as PIL pictures and PNG files, exactly as ComfyUI writes them:
values are clipped and truncated (`clip(255 * x).astype(uint8)`), so a saved file matches ComfyUI's to the
level. Shared by SaveImage/PreviewImage and the compatibility layer; numpy, torch and PIL load on first use."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import NodeError
from .files import Folders, write_new
from .saving import next_counter, prefix_folder

if TYPE_CHECKING:
    from PIL import Image


def to_pil(images: Any, *, truncate: bool = True) -> list[Image.Image]:
    """One PIL picture per batch item (also for a single [H,W,C] image); `truncate=False` rounds instead."""
    import numpy as np
    from PIL import Image

    array = images.detach().cpu().float().numpy() if hasattr(images, "detach") else np.asarray(images)
    array = np.clip(255.0 * array, 0, 255)
    array = (array if truncate else array.round()).astype(np.uint8)
    if array.ndim == 3:
        array = array[None]
    if array.shape[-1] == 1:
        array = array[..., 0]
    return [Image.fromarray(item) for item in array]


def png_info(prompt: Any, extra_pnginfo: Any) -> Any:
    """The text chunks ComfyUI writes: the API prompt and each extra_pnginfo key (the UI workflow)."""
    from ..workflow import png_metadata

    return png_metadata(prompt if isinstance(prompt, dict) else None,
                        extra_pnginfo if isinstance(extra_pnginfo, dict) else None)


def save_pngs(pictures: Iterable[Image.Image], folder: Path, name_of: Any, counter: int, metadata: Any,
              compress: int) -> list[str]:
    """Write each picture as `name_of(index, counter)` in `folder` (atomically, and never over another file: a
    name another writer took in the meantime moves on to the next counter); returns the file names."""
    names = []
    for index, picture in enumerate(pictures):
        written = write_new(folder / name_of(index, counter), lambda path, picture=picture: picture.save(
            path, format="PNG", pnginfo=metadata, compress_level=compress))
        names.append(written.name)
        counter += 1
    return names


def write_pngs(files: Folders, images: Any, kind: str, prefix: str, compress: int, prompt: Any,
               extra_pnginfo: Any) -> list[dict[str, str]]:
    """Each image of an IMAGE batch as `prefix_NNNNN_.png` in the output or temp folder, the prompt and the
    workflow in its text chunks; returns the UI entries ({filename, subfolder, type}) the editor shows."""
    if getattr(images, "ndim", None) != 4:
        raise NodeError("images", f"expected an IMAGE tensor [B,H,W,C], got {type(images).__name__}")
    folder, subfolder, base = prefix_folder(files, kind, prefix)
    names = save_pngs(to_pil(images), folder, lambda _index, counter: f"{base}_{counter:05}_.png",
                      next_counter(folder, base, ".png"), png_info(prompt, extra_pnginfo), compress)
    return [{"filename": name, "subfolder": subfolder, "type": kind} for name in names]


def temp_prefix(name: str) -> str:
    """A preview's file prefix: `name_temp_` and five random letters, so previews never overwrite each other."""
    return f"{name}_temp_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(5))
