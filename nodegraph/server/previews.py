"""Re-encoded images for /view (`preview=webp;90`, `channel=a|rgb`), with bounded cost per request.

Decoding and re-encoding a large image costs seconds of CPU and hundreds of MB (an 8192x8192 PNG: 2 s
and 250 MB to decode, 7 s more to encode as WebP), so:
* an image with more than `max_preview_pixels` pixels is never decoded for a preview: its size is read
  from the header and the stored file is served as it is (a channel split of it is refused);
* one re-encode runs at a time, so concurrent requests cannot multiply the memory;
* results are kept in a small LRU keyed by the file's path, size and modification time, so asking again
  for the same preview costs nothing.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from pathlib import Path

from PIL import Image

PREVIEW_FORMATS = {"webp": ("WEBP", "image/webp"), "jpeg": ("JPEG", "image/jpeg"),
                   "jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png")}
CACHE_BYTES = 64 * 2**20

Key = tuple[str, int, int, str, str]


class TooLarge(ValueError):
    """The image has more pixels than may be decoded for one request."""


def pixels(path: Path) -> int:
    """Width x height from the header alone (nothing is decoded)."""
    with Image.open(path) as image:
        return image.size[0] * image.size[1]


def reencode(path: Path, preview: str | None, channel: str | None) -> tuple[bytes, str]:
    with Image.open(path) as image:
        image.load()
        if channel == "a":
            alpha = image.getchannel("A") if "A" in image.getbands() else Image.new("L", image.size, 255)
            image = Image.new("RGBA", image.size)
            image.putalpha(alpha)
        elif channel == "rgb":
            image = image.convert("RGB")
        fmt, content_type, quality = "PNG", "image/png", 90
        if preview:
            name, _, quality_text = preview.partition(";")
            fmt, content_type = PREVIEW_FORMATS.get(name.lower(), ("WEBP", "image/webp"))
            quality = int(quality_text) if quality_text.isdigit() and len(quality_text) < 4 else 90
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, quality=max(1, min(quality, 100)))
    return buffer.getvalue(), content_type


class Previews:
    """One per server: the pixel bound, the one-at-a-time gate and the cache of encoded previews."""

    def __init__(self, max_pixels: int, cache_bytes: int = CACHE_BYTES) -> None:
        self.max_pixels = max_pixels
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[Key, tuple[bytes, str]] = OrderedDict()
        self._held = 0
        self._gate: asyncio.Semaphore | None = None

    async def get(self, path: Path, preview: str | None, channel: str | None) -> tuple[bytes, str] | None:
        """(bytes, content type), or None when the image is too large to preview: serve it as stored.
        Raises TooLarge for a channel split of such an image, and PIL's errors for a file that is no image."""
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, preview or "", channel or "")
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        count = await asyncio.to_thread(pixels, path)
        if count > self.max_pixels:
            if channel in ("a", "rgb"):
                raise TooLarge(f"{count:,} pixels is over the limit of {self.max_pixels:,} for re-encoding "
                               "(setting max_preview_pixels); fetch it without 'channel'")
            return None
        if self._gate is None:
            self._gate = asyncio.Semaphore(1)
        async with self._gate:
            if key in self._cache:  # made while this request waited its turn
                return self._cache[key]
            result = await asyncio.to_thread(reencode, path, preview, channel)
        self._keep(key, result)
        return result

    def _keep(self, key: Key, result: tuple[bytes, str]) -> None:
        size = len(result[0])
        if size > self.cache_bytes // 4:
            return
        self._cache[key] = result
        self._held += size
        while self._held > self.cache_bytes:
            _, (dropped, _) = self._cache.popitem(last=False)
            self._held -= len(dropped)
