"""Where models live: ComfyUI's model folder names (with their aliases), the folders each name covers under
every models folder, the folders an `extra_model_paths.yaml` adds, and what a folder offers as model names.

The folder map is what ComfyUI's `folder_paths` exposes (folder name -> list of directories); the model
manager builds it once from the configuration (`ModelManager.folder_map()`), and compatibility layers reuse it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# ComfyUI's folder names. Each name searches these sub-folders of every models folder, in this order: the new
# names (text_encoders, diffusion_models) also read the old ones (clip, unet) and the other way round.
ALIASES: dict[str, tuple[str, ...]] = {
    "text_encoders": ("text_encoders", "clip"),
    "clip": ("text_encoders", "clip"),
    "diffusion_models": ("diffusion_models", "unet"),
    "unet": ("diffusion_models", "unet"),
    "controlnet": ("controlnet", "t2i_adapter"),
}
FOLDER_NAMES = ("checkpoints", "loras", "vae", "text_encoders", "clip", "diffusion_models", "unet", "controlnet",
                "embeddings", "upscale_models", "clip_vision", "style_models", "diffusers", "vae_approx", "gligen",
                "hypernetworks", "photomaker", "classifiers", "configs", "autoregressive")
# Weights that load: safetensors only (pickled .ckpt/.pt/.bin files can run code when loaded).
WEIGHT_SUFFIXES = (".safetensors", ".sft")
_CONFIG_FILES = ("model_index.json", "config.json", "adapter_config.json")
_MAX_DEPTH = 6  # sub-folders of a model folder listed (loras/style/anime/x.safetensors is depth 2)


def canonical(name: str) -> str:
    """The folder name a legacy alias stands for (clip -> text_encoders, unet -> diffusion_models)."""
    return {"clip": "text_encoders", "unet": "diffusion_models"}.get(name, name)


@dataclass(frozen=True)
class ExtraPaths:
    """What extra_model_paths.yaml files add: folders per folder name (defaults first) and custom node folders."""

    first: dict[str, list[Path]] = field(default_factory=dict)  # from sections marked is_default
    last: dict[str, list[Path]] = field(default_factory=dict)
    custom_nodes: list[Path] = field(default_factory=list)


class ExtraPathsError(ValueError):
    """An extra_model_paths.yaml that cannot be read, naming the file and the entry."""


def _section_paths(value: object, base: Path, where: str) -> list[Path]:
    if not isinstance(value, str):
        raise ExtraPathsError(f"{where}: expected a path or lines of paths, got {type(value).__name__}")
    paths = []
    for line in value.splitlines():
        line = line.strip()
        if line:
            path = Path(os.path.expandvars(os.path.expanduser(line)))
            paths.append(path if path.is_absolute() else base / path)
    return paths


def read_extra_paths(files: Iterable[Path]) -> ExtraPaths:
    """Parse ComfyUI's extra_model_paths.yaml format: top-level sections (`comfyui`, `a111`, any name), each
    with an optional `base_path` (relative to the file's folder) and `is_default`, then `folder_name: paths`
    entries whose value is one path or several, one per line, relative to base_path."""
    import yaml

    extra = ExtraPaths()
    for file in files:
        try:
            data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ExtraPathsError(f"{file}: cannot read it as YAML ({exc})") from None
        for section, entries in (data or {}).items():
            if entries is None:
                continue
            if not isinstance(entries, dict):
                raise ExtraPathsError(f"{file}: section {section!r} must map folder names to paths")
            base = Path(file).resolve().parent
            if entries.get("base_path"):
                base = _section_paths(str(entries["base_path"]), base, f"{file}: {section}.base_path")[0]
            target = extra.first if entries.get("is_default") else extra.last
            for name, value in entries.items():
                if name in ("base_path", "is_default"):
                    continue
                paths = _section_paths(value, base, f"{file}: {section}.{name}")
                if name == "custom_nodes":
                    extra.custom_nodes.extend(paths)
                else:
                    target.setdefault(canonical(str(name)), []).extend(paths)
    return extra


def folder_map(models_dirs: Iterable[Path], extra: ExtraPaths) -> dict[str, list[Path]]:
    """ComfyUI folder name -> the directories searched for it, in order: folders from default sections of
    extra_model_paths files, then `<models dir>/<name>` (and its aliases) for each models folder, then the
    other extra folders. Both names of an aliased pair map to the same list."""
    names = dict.fromkeys([*FOLDER_NAMES, *extra.first, *extra.last])
    result: dict[str, list[Path]] = {}
    for name in names:
        key = canonical(name)
        if key in result:
            result[name] = result[key]
            continue
        subfolders = ALIASES.get(key, (key,))
        paths = [*extra.first.get(key, []),
                 *(Path(root) / sub for root in models_dirs for sub in subfolders),
                 *extra.last.get(key, [])]
        result[key] = result[name] = list(dict.fromkeys(paths))
    return result


def is_model_folder(folder: Path) -> bool:
    """A folder that is one model (a diffusers or transformers folder, a PEFT adapter, any folder with a config
    of its own), rather than a sub-folder grouping model files. A JSON beside a weights file of the same stem
    is that file's metadata (A1111 and ComfyUI managers write them), not a config."""
    try:
        children = [c for c in folder.iterdir() if not c.name.startswith(".")]
    except OSError:
        return False
    stems = {c.stem for c in children if c.suffix in WEIGHT_SUFFIXES}
    if any(c.name in _CONFIG_FILES or (c.suffix == ".json" and c.stem not in stems) for c in children):
        return True
    return not any(c.suffix in WEIGHT_SUFFIXES or c.is_dir() for c in children)


def model_names(root: Path) -> list[str]:
    """Names under one directory: model folders and weights files, those in grouping sub-folders as
    `sub/name` (ComfyUI's names), in sorted order."""
    names: list[str] = []
    pending = [(root, "", 0)]
    while pending:
        folder, prefix, depth = pending.pop()
        try:
            children = sorted(folder.iterdir(), reverse=True)
        except OSError:
            continue
        for child in children:
            if child.name.startswith("."):
                continue
            if child.is_dir():
                if is_model_folder(child):
                    names.append(prefix + child.name)
                elif depth < _MAX_DEPTH:
                    pending.append((child, f"{prefix}{child.name}/", depth + 1))
            elif child.suffix in WEIGHT_SUFFIXES:
                names.append(prefix + child.name)
    return sorted(names)
