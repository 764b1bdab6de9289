"""Reads and writes the workflow text chunks ComfyUI stores in PNG files ("prompt" and "workflow")."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import safejson
from ..core.limits import InputRefused, Limits
from .errors import WorkflowError

if TYPE_CHECKING:
    from PIL.PngImagePlugin import PngInfo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _label(source: bytes | Path | str) -> str:
    return "PNG data" if isinstance(source, (bytes, bytearray)) else f"'{Path(source).name}'"


def read_png_text(source: bytes | Path | str) -> dict[str, str]:
    """Every tEXt, zTXt and iTXt chunk of a PNG, keyword -> text."""
    from PIL import Image, UnidentifiedImageError

    try:
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    except OSError as exc:
        raise WorkflowError(f"cannot read {_label(source)}: {exc.strerror or exc}") from exc
    if not data.startswith(PNG_SIGNATURE):
        raise WorkflowError(f"{_label(source)} is not a PNG file")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # text chunks after the image data are only read with it
            text = getattr(image, "text", {}) or {}
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise WorkflowError(f"{_label(source)} is not a readable PNG: {exc}") from exc
    return {str(k): str(v) for k, v in text.items()}


def workflow_from_png(source: bytes | Path | str, limits: Limits | None = None) -> dict[str, dict[str, Any] | None]:
    """The parsed "prompt" (API) and "workflow" (UI) a PNG carries; None for a chunk it does not have."""
    text = read_png_text(source)
    found: dict[str, dict[str, Any] | None] = {"prompt": None, "workflow": None}
    for key in found:
        if key not in text:
            continue
        try:
            value = safejson.loads(text[key], limits or Limits(), f"the '{key}' text chunk")
        except InputRefused as exc:
            if exc.setting is not None:
                raise
            raise WorkflowError(f"{_label(source)}: {exc}") from None
        if not isinstance(value, dict):
            raise WorkflowError(f"{_label(source)}: the '{key}' text chunk is not a JSON object")
        found[key] = value
    return found


def png_metadata(prompt: dict[str, Any] | None, extra_pnginfo: dict[str, Any] | None) -> PngInfo:
    """The text chunks ComfyUI's SaveImage writes: "prompt" and one per extra_pnginfo key ("workflow")."""
    from PIL.PngImagePlugin import PngInfo

    metadata = PngInfo()
    if prompt is not None:
        metadata.add_text("prompt", json.dumps(prompt))
    for key, value in (extra_pnginfo or {}).items():
        metadata.add_text(str(key), json.dumps(value))
    return metadata
