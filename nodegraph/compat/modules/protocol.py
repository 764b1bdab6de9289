"""ComfyUI's `protocol` (and `server.BinaryEventTypes`): the type numbers that open a binary websocket frame."""

from __future__ import annotations

__all__ = ["BinaryEventTypes"]


class BinaryEventTypes:
    PREVIEW_IMAGE = 1
    UNENCODED_PREVIEW_IMAGE = 2  # (format, PIL image, max size): the server encodes it and sends PREVIEW_IMAGE
    TEXT = 3
    PREVIEW_IMAGE_WITH_METADATA = 4
