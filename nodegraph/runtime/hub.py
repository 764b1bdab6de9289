"""Models in the Hugging Face cache, named `owner/repo`: which cached repositories fit a model folder name (for
choice lists and validation), and a repository's local snapshot (downloaded when online and not cached)."""

from __future__ import annotations

import json
import re
from pathlib import Path

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# Files a hub snapshot may bring: configs, tokenizers and safetensors weights, never pickles.
_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors"]
# Which cached repositories each folder name offers: by the files at the top of the snapshot.
_CLASSES = {
    "controlnet": ("ControlNetModel",),
    "vae": ("AutoencoderKL", "AutoencoderTiny"),
    "diffusion_models": ("UNet2DConditionModel",),
    "text_encoders": ("CLIPTextModel", "CLIPTextModelWithProjection"),
}


def _cache_dir() -> Path | None:
    try:
        from huggingface_hub import constants
    except ImportError:
        return None
    return Path(constants.HF_HUB_CACHE)


def _snapshot_of(repo_dir: Path) -> Path | None:
    ref = repo_dir / "refs" / "main"
    try:
        snapshot = repo_dir / "snapshots" / ref.read_text().strip()
    except OSError:
        return None
    return snapshot if snapshot.is_dir() else None


def _config_class(snapshot: Path) -> str:
    try:
        config = json.loads((snapshot / "config.json").read_text())
    except (OSError, ValueError):
        return ""
    architectures = config.get("architectures") or [""]
    return str(config.get("_class_name") or architectures[0])


def fits(folder: str, snapshot: Path) -> bool:
    """Whether a cached repository is a model of that folder's kind."""
    if folder in ("checkpoints", "diffusers"):
        return (snapshot / "model_index.json").is_file()
    if folder == "loras":
        return not (snapshot / "config.json").is_file() and any(snapshot.glob("*.safetensors"))
    classes = _CLASSES.get({"clip": "text_encoders", "unet": "diffusion_models"}.get(folder, folder))
    return classes is not None and _config_class(snapshot) in classes


def cached(folder: str) -> list[str]:
    """`owner/repo` names of the cached repositories that fit a folder name, sorted."""
    cache = _cache_dir()
    if cache is None or not cache.is_dir():
        return []
    names = []
    for repo_dir in sorted(cache.glob("models--*--*")):
        owner_repo = repo_dir.name[len("models--"):].split("--", 1)
        snapshot = _snapshot_of(repo_dir)
        if len(owner_repo) == 2 and snapshot is not None and fits(folder, snapshot):
            names.append("/".join(owner_repo))
    return names


def snapshot(name: str) -> Path | None:
    """The local snapshot of a hub repo: from the cache, or downloaded (safetensors only) when online."""
    try:
        from huggingface_hub import constants, snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        return None
    try:
        return Path(snapshot_download(name, local_files_only=True, allow_patterns=_PATTERNS))
    except (LocalEntryNotFoundError, ValueError, OSError):
        pass
    if constants.HF_HUB_OFFLINE:
        return None
    try:
        return Path(snapshot_download(name, allow_patterns=_PATTERNS))
    except (OSError, ValueError):
        return None
