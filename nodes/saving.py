"""Files the output nodes write, ComfyUI's way: a `filename_prefix` ("sub/folder/name") inside the output or
temp folder, a running counter (name_00001_.png), and the file appearing only once it is complete."""

from __future__ import annotations

import re
from pathlib import Path

from nodegraph import Context, NodeError
from nodegraph.runtime.files import UnsafePath, write_atomic

__all__ = ["next_counter", "prefix_folder", "write_atomic"]  # write_atomic: a crash never leaves half a
# file under the final name, and a symlink planted in the folder cannot redirect the write


def prefix_folder(ctx: Context, kind: str, prefix: str) -> tuple[Path, str, str]:
    """(folder, subfolder, base name) a filename_prefix names inside the `kind` folder, created; the prefix
    cannot leave that folder."""
    subfolder, _, base = prefix.replace("\\", "/").rpartition("/")
    if not base:
        raise NodeError("filename_prefix", "the prefix needs a file name part")
    try:
        folder = ctx.files.resolve(kind, "", subfolder)
    except UnsafePath as exc:
        raise NodeError("filename_prefix", str(exc)) from exc
    folder.mkdir(parents=True, exist_ok=True)
    return folder, subfolder, base


def next_counter(folder: Path, base: str, suffix: str) -> int:
    """The number after the highest `base_NNNNN_<suffix>` already in the folder."""
    pattern = re.compile(re.escape(base) + r"_(\d+)_?" + re.escape(suffix) + "$")
    numbers = [int(m.group(1)) for p in folder.glob(f"*{suffix}") if (m := pattern.match(p.name))]
    return max(numbers, default=0) + 1
