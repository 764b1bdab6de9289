"""ComfyUI's public API package (`comfy_api.latest`, and `comfy_api.v0_0_2`, which is the same here): the V3
schema (`io`), UI outputs (`ui`), extensions (`ComfyExtension`, which a pack's `comfy_entrypoint()` returns)
and progress reporting from inside a node (`ComfyAPI().execution.set_progress`, or ComfyAPISync's)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ...core.context import current
from ...core.events import Progress


class ComfyExtension(ABC):
    """What a V3 pack's `comfy_entrypoint()` returns: its node classes, and an optional on_load step."""

    async def on_load(self) -> None:  # noqa: B027 - an optional hook, empty unless a pack overrides it
        """Runs once, before the node list is read."""

    @abstractmethod
    async def get_node_list(self) -> list[type[Any]]:
        """The pack's io.ComfyNode classes."""


def _preview(image: Any) -> Any:
    """A PIL picture from what set_progress accepts: a PIL image, or an IMAGE tensor (its first item)."""
    if image is None or hasattr(image, "save"):
        return image
    from ...runtime.images import to_pil

    return to_pil(image[0] if getattr(image, "ndim", 0) == 4 else image)[0]


def _set_progress(value: float, max_value: float, node_id: str | None, preview_image: Any) -> None:
    ctx = current()
    if ctx is None:
        raise RuntimeError("progress can only be reported while a node runs")
    ctx.check_interrupted()
    ctx.emit(Progress(ctx.prompt_id, node_id or ctx.display_node_id, value, max_value, _preview(preview_image)))


class ComfyAPISync:
    class Execution:
        def set_progress(self, value: float, max_value: float, node_id: str | None = None,
                         preview_image: Any = None, ignore_size_limit: bool = False) -> None:
            _set_progress(value, max_value, node_id, preview_image)

    def __init__(self) -> None:
        self.execution = self.Execution()


class ComfyAPI:
    class Execution:
        async def set_progress(self, value: float, max_value: float, node_id: str | None = None,
                               preview_image: Any = None, ignore_size_limit: bool = False) -> None:
            _set_progress(value, max_value, node_id, preview_image)

    def __init__(self) -> None:
        self.execution = self.Execution()


def bind(host: Any) -> dict[str, Any]:
    return {"ComfyExtension": ComfyExtension, "ComfyAPI": ComfyAPI, "ComfyAPISync": ComfyAPISync,
            "io": host.module("comfy_api.latest._io"), "ui": host.module("comfy_api.latest._ui")}
