"""Files output nodes write, ComfyUI's way: a `filename_prefix` ("sub/folder/name") inside the output or temp
folder, a running counter (name_00001_.png), and a file that appears only once it is complete. Shared by the
built-in nodes and the ComfyUI compatibility layer (SaveImage, folder_paths.get_save_image_path)."""

from __future__ import annotations

import re
from pathlib import Path

from ..core.errors import NodeError
from .files import Folders, UnsafePath


def prefix_folder(files: Folders, kind: str, prefix: str) -> tuple[Path, str, str]:
    """(folder, subfolder, base name) a filename_prefix names inside the `kind` folder, created; the prefix
    cannot leave that folder."""
    subfolder, _, base = prefix.replace("\\", "/").rpartition("/")
    if not base:
        raise NodeError("filename_prefix", "the prefix needs a file name part")
    try:
        folder = files.resolve(kind, "", subfolder)
    except UnsafePath as exc:
        raise NodeError("filename_prefix", str(exc)) from exc
    folder.mkdir(parents=True, exist_ok=True)
    return folder, subfolder, base


def next_counter(folder: Path, base: str, suffix: str | None) -> int:
    """The number after the highest `base_NNNNN_<suffix>` already in the folder (any suffix when None, as
    ComfyUI's get_save_image_path counts)."""
    tail = r"_" if suffix is None else r"_?" + re.escape(suffix) + "$"
    pattern = re.compile(re.escape(base) + r"_(\d+)" + tail)
    names = (p.name for p in folder.iterdir()) if folder.is_dir() else ()
    numbers = [int(m.group(1)) for name in names if (m := pattern.match(name))]
    return max(numbers, default=0) + 1
