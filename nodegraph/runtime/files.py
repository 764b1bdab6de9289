"""Path-safe access to the input, output, temp and user folders: nothing resolves outside them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..config import Config

FOLDER_TYPES = ("input", "output", "temp", "user")


class UnsafePath(ValueError):
    """A name that would leave its folder (.., absolute paths, symlinks out, encoded separators)."""


class Folders:
    def __init__(self, config: Config) -> None:
        self.roots = {
            "input": config.input_dir,
            "output": config.output_dir,
            "temp": config.temp_dir,
            "user": config.user_dir,
        }

    def root(self, kind: str) -> Path:
        if kind not in self.roots:
            raise UnsafePath(f"unknown folder type {kind!r}; expected one of {', '.join(FOLDER_TYPES)}")
        path = self.roots[kind]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def resolve(self, kind: str, filename: str, subfolder: str = "") -> Path:
        """The real path of `subfolder/filename` inside the folder, or UnsafePath."""
        root = self.root(kind).resolve()
        for part in (subfolder, filename):
            if "\x00" in part or "\\" in part or re.search(r"%2f|%5c|%2e%2e", part, re.IGNORECASE):
                raise UnsafePath(f"invalid characters in {part!r}")
        if os.path.isabs(filename) or os.path.isabs(subfolder):
            raise UnsafePath("absolute paths are not allowed")
        candidate = (root / subfolder / filename).resolve()
        if candidate != root and root not in candidate.parents:
            raise UnsafePath(f"{subfolder}/{filename} leaves the {kind} folder")
        return candidate

    def list_files(self, kind: str, suffixes: tuple[str, ...] = ()) -> list[str]:
        root = self.root(kind)
        names = []
        for path in sorted(root.rglob("*")):
            if path.is_file() and (not suffixes or path.suffix.lower() in suffixes):
                names.append(path.relative_to(root).as_posix())
        return names
