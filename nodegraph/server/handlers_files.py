"""Handlers for files in the input/output/temp folders: /view (with preview re-encoding) and uploads.

Every name from a request goes through Folders.resolve, which refuses anything that would leave its folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import mimetypes
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from ..runtime.files import Folders, InvalidName, UnsafePath, write_atomic
from .bodies import fail
from .previews import TooLarge
from .state import STATE

VIEW_TYPES = ("input", "output", "temp")
# Uploads beyond this many pixels are refused before decoding (decompression bombs).
MAX_UPLOAD_PIXELS = 64 * 2**20


def _resolve(folders: Folders, kind: str, filename: str, subfolder: str = "") -> Path:
    try:
        return folders.resolve(kind, filename, subfolder)
    except InvalidName as exc:
        fail(400, "invalid_name", "That is not a valid file name", str(exc))
    except UnsafePath as exc:
        fail(403, "unsafe_path", "That path is outside the allowed folders", str(exc))


def _served_type(path: Path) -> str:
    """Only media is served as itself; anything else (html, js, svg) is a download, never a page."""
    guessed = mimetypes.guess_type(path.name)[0] or ""
    if guessed.startswith(("image/", "video/", "audio/")) and guessed != "image/svg+xml":
        return guessed
    return "application/octet-stream"


async def view(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    query = request.query
    filename = query.get("filename", "")
    kind = query.get("type", "output") or "output"
    if not filename:
        fail(400, "invalid_request", "'filename' is required")
    if kind not in VIEW_TYPES:
        fail(400, "invalid_request", f"'type' must be one of {', '.join(VIEW_TYPES)}", f"got {kind!r}")
    path = _resolve(state.folders, kind, filename, query.get("subfolder", ""))
    if not path.is_file() and kind == "input" and not query.get("subfolder"):
        # A shipped workflow opened from its file rather than as a template still finds the picture it
        # starts from (inpaint_picture.png): the editor's Load Image previews it before anything runs.
        await asyncio.to_thread(state.folders.provide_examples, [filename])
    if not path.is_file():
        fail(404, "not_found", f"{filename} not found in {kind}")
    preview, channel = query.get("preview"), query.get("channel")
    if preview or channel in ("a", "rgb"):
        try:
            encoded = await state.previews.get(path, preview, channel)
        except TooLarge as exc:
            fail(400, "image_too_large", f"{filename} is too large to re-encode", str(exc))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            fail(400, "invalid_image", f"{filename} is not an image that can be re-encoded", str(exc))
        if encoded is not None:  # None: over max_preview_pixels, so the stored file itself is the preview
            return web.Response(body=encoded[0], content_type=encoded[1])
    return web.FileResponse(path, headers={"Content-Type": _served_type(path),
                                           "Content-Disposition": f'inline; filename="{path.name}"'})


def _check_image(data: bytes, name: str) -> None:
    """PIL must recognise the bytes as an image of sane dimensions, without decoding all of it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size[0] * image.size[1] > MAX_UPLOAD_PIXELS:
                fail(400, "invalid_image", f"{name} is too large", f"{image.size[0]}x{image.size[1]} pixels")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        fail(400, "invalid_image", f"{name} is not a valid image", str(exc))


async def _form(request: web.Request) -> tuple[str, bytes, Any]:
    """The uploaded file's name and bytes (bounded by client_max_size: larger bodies get 413)."""
    try:
        form = await request.post()
    except web.HTTPException:
        raise
    except (ValueError, AssertionError, LookupError, UnicodeError, TypeError, HttpProcessingError) as exc:
        fail(400, "invalid_request", "The body is not a readable multipart form", f"{type(exc).__name__}: {exc}")
    field = form.get("image")
    if not isinstance(field, web.FileField):
        fail(400, "invalid_request", "the multipart field 'image' must be a file")
    name = field.filename or ""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        fail(400, "unsafe_path", "invalid upload file name", repr(name))
    return name, field.file.read(), form


def _target(state: Any, form: Any, name: str, data: bytes) -> tuple[Path, str, str, str]:
    """Where to write: dedupe identical content, otherwise `name (1).ext` unless overwrite is asked."""
    kind = str(form.get("type") or "input")
    if kind not in VIEW_TYPES:
        fail(400, "invalid_request", f"'type' must be one of {', '.join(VIEW_TYPES)}")
    subfolder = str(form.get("subfolder") or "")
    path = _resolve(state.folders, kind, name, subfolder)
    overwrite = str(form.get("overwrite", "")).lower() in ("true", "1")
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 1
    while path.exists() and not overwrite:
        if path.is_file() and hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
            break
        name = f"{stem} ({counter}){suffix}"
        path = _resolve(state.folders, kind, name, subfolder)
        counter += 1
    return path, name, subfolder, kind


async def upload_image(request: web.Request) -> web.Response:
    state = request.app[STATE]
    name, data, form = await _form(request)
    await asyncio.to_thread(_check_image, data, name)
    path, name, subfolder, kind = _target(state, form, name, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(write_atomic, path, data)
    return web.json_response({"name": name, "subfolder": subfolder, "type": kind})


def _apply_mask(original: Path, mask_data: bytes) -> bytes:
    """The original image with the mask's alpha as its alpha channel; PNG text chunks are kept."""
    with Image.open(original) as source:
        info = PngImagePlugin.PngInfo()
        for key, value in (getattr(source, "text", None) or {}).items():
            info.add_text(key, value)
        image = source.convert("RGBA")
    with Image.open(io.BytesIO(mask_data)) as mask:
        alpha = mask.convert("RGBA").getchannel("A").resize(image.size)
    image.putalpha(alpha)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, compress_level=4)
    return buffer.getvalue()


async def upload_mask(request: web.Request) -> web.Response:
    state = request.app[STATE]
    name, data, form = await _form(request)
    await asyncio.to_thread(_check_image, data, name)
    try:
        ref = json.loads(str(form.get("original_ref") or ""))
    except ValueError:
        fail(400, "invalid_request", "'original_ref' must be JSON {filename, subfolder, type}")
    if not isinstance(ref, dict) or not isinstance(ref.get("filename"), str):
        fail(400, "invalid_request", "'original_ref' must name the original image's filename")
    ref_kind = str(ref.get("type") or "input")
    if ref_kind not in VIEW_TYPES:
        fail(400, "invalid_request", f"original_ref type must be one of {', '.join(VIEW_TYPES)}")
    original = _resolve(state.folders, ref_kind, ref["filename"], str(ref.get("subfolder") or ""))
    if not original.is_file():
        fail(404, "not_found", f"original image {ref['filename']} not found")
    try:
        masked = await asyncio.to_thread(_apply_mask, original, data)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        fail(400, "invalid_image", "could not apply the mask to the original image", str(exc))
    path, name, subfolder, kind = _target(state, form, name, masked)
    path.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(write_atomic, path, masked)
    return web.json_response({"name": name, "subfolder": subfolder, "type": kind})
