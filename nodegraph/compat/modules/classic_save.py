"""ComfyUI's SaveImage and PreviewImage as V1 classes, for packs that subclass them or call save_images(): they
honour `output_dir`, `type`, `prefix_append` and `compress_level` as ComfyUI's do, and write the same files
(truncated pixels, `prefix_NNNNN_.png`, the prompt and workflow in text chunks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...runtime.images import png_info, save_pngs, temp_prefix, to_pil


def save_classes(host: Any) -> tuple[type, type]:
    files = host.services.files

    class SaveImage:
        def __init__(self) -> None:
            self.output_dir = str(files.root("output"))
            self.type = "output"
            self.prefix_append = ""
            self.compress_level = 4

        @classmethod
        def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802 - ComfyUI's name
            return {"required": {"images": ("IMAGE", {"tooltip": "The images to save."}),
                                 "filename_prefix": ("STRING", {"default": "ComfyUI"})},
                    "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

        RETURN_TYPES = ()
        FUNCTION = "save_images"
        OUTPUT_NODE = True
        CATEGORY = "image"
        DESCRIPTION = "Saves the input images to the output folder."

        def save_images(self, images: Any, filename_prefix: str = "ComfyUI", prompt: Any = None,
                        extra_pnginfo: Any = None) -> dict[str, Any]:
            folder_paths = host.module("folder_paths")
            folder, name, counter, subfolder, _ = folder_paths.get_save_image_path(
                filename_prefix + self.prefix_append, self.output_dir, images[0].shape[1], images[0].shape[0])
            names = save_pngs(to_pil(images), Path(folder),
                              lambda index, count: f"{name.replace('%batch_num%', str(index))}_{count:05}_.png",
                              counter, png_info(prompt, extra_pnginfo), self.compress_level)
            return {"ui": {"images": [{"filename": n, "subfolder": subfolder, "type": self.type} for n in names]}}

    class PreviewImage(SaveImage):
        def __init__(self) -> None:
            self.output_dir = str(files.root("temp"))
            self.type = "temp"
            self.prefix_append = temp_prefix("")
            self.compress_level = 1

        @classmethod
        def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802 - ComfyUI's name
            return {"required": {"images": ("IMAGE",)},
                    "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    SaveImage.__module__ = PreviewImage.__module__ = "nodes"
    return SaveImage, PreviewImage
