"""ComfyUI's V3 UI outputs (`comfy_api.latest.ui`): what a node shows in the editor and keeps in the history,
written to the running engine's temp or output folder (PNG files as SaveImage writes them)."""

from __future__ import annotations

from typing import Any

from ...core.context import current
from ...runtime.images import temp_prefix, write_pngs
from .v3_types import FolderType

__all__ = ["SavedResult", "SavedImages", "PreviewImage", "PreviewMask", "PreviewText", "ImageSaveHelper"]


class _UIOutput:
    def as_dict(self) -> dict[str, Any]:
        raise NotImplementedError


class SavedResult(dict):
    """One saved file as the editor finds it: {filename, subfolder, type}."""

    def __init__(self, filename: str, subfolder: str, type: FolderType | str) -> None:  # noqa: A002
        super().__init__(filename=filename, subfolder=subfolder, type=FolderType(type).value)

    @property
    def filename(self) -> str:
        return self["filename"]


class SavedImages(_UIOutput):
    def __init__(self, results: list[Any], is_animated: bool = False) -> None:
        self.results = results
        self.is_animated = is_animated

    def as_dict(self) -> dict[str, Any]:
        return {"images": [dict(result) for result in self.results], "animated": (self.is_animated,)}


class ImageSaveHelper:
    @staticmethod
    def save_images(images: Any, filename_prefix: str, folder_type: FolderType | str, cls: Any = None,
                    compress_level: int = 4) -> list[SavedResult]:
        """Each image of the batch as a PNG in the running engine's folder; the prompt and workflow go into its
        text chunks when the node declared the hidden prompt / extra_pnginfo values."""
        ctx = current()
        if ctx is None or ctx.services is None:
            raise RuntimeError("images can only be saved while a node runs")
        hidden = getattr(cls, "hidden", None)
        saved = write_pngs(ctx.services.files, images, FolderType(folder_type).value, filename_prefix,
                           compress_level, getattr(hidden, "prompt", None), getattr(hidden, "extra_pnginfo", None))
        return [SavedResult(s["filename"], s["subfolder"], s["type"]) for s in saved]

    @staticmethod
    def get_save_images_ui(images: Any, filename_prefix: str, cls: Any = None,
                           compress_level: int = 4) -> SavedImages:
        return SavedImages(ImageSaveHelper.save_images(images, filename_prefix, FolderType.output, cls,
                                                       compress_level))


class PreviewImage(_UIOutput):
    """Images shown on the node (written to the temp folder)."""

    def __init__(self, image: Any, animated: bool = False, cls: Any = None, **_: Any) -> None:
        self.values = ImageSaveHelper.save_images(image, temp_prefix("ComfyUI"), FolderType.temp, cls, 1)
        self.animated = animated

    def as_dict(self) -> dict[str, Any]:
        return {"images": [dict(value) for value in self.values], "animated": (self.animated,)}


class PreviewMask(PreviewImage):
    """A MASK [B,H,W] shown as a grey image."""

    def __init__(self, mask: Any, animated: bool = False, cls: Any = None, **kwargs: Any) -> None:
        preview = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).movedim(1, -1).expand(-1, -1, -1, 3)
        super().__init__(preview, animated, cls, **kwargs)


class PreviewText(_UIOutput):
    def __init__(self, value: str, **_: Any) -> None:
        self.value = value

    def as_dict(self) -> dict[str, Any]:
        return {"text": (self.value,)}
