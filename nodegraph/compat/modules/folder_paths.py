"""ComfyUI's `folder_paths`, backed by one engine's folders: model folders by ComfyUI's names (found through
nodegraph's model manager), the input/output/temp/user folders, and save paths that cannot leave them."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from ...runtime.files import Folders, UnsafePath
from ...runtime.saving import next_counter

SUPPORTED_PT_EXTENSIONS = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}
# ComfyUI's model folder names; a name with several entries also searches the older folder names.
MODEL_FOLDERS: dict[str, tuple[str, ...]] = {
    "checkpoints": ("checkpoints",), "configs": ("configs",), "loras": ("loras",), "vae": ("vae",),
    "text_encoders": ("text_encoders", "clip"), "diffusion_models": ("unet", "diffusion_models"),
    "clip_vision": ("clip_vision",), "style_models": ("style_models",), "embeddings": ("embeddings",),
    "diffusers": ("diffusers",), "vae_approx": ("vae_approx",), "controlnet": ("controlnet", "t2i_adapter"),
    "gligen": ("gligen",), "upscale_models": ("upscale_models",), "hypernetworks": ("hypernetworks",),
    "photomaker": ("photomaker",), "classifiers": ("classifiers",), "model_patches": ("model_patches",),
    "audio_encoders": ("audio_encoders",),
}
LEGACY = {"unet": "diffusion_models", "clip": "text_encoders"}
_ANNOTATION = re.compile(r"^(.*) \[(input|output|temp)\]$")


def model_folder_roots(models: Any, folder: str) -> list[Path]:
    """Where models of a ComfyUI folder name live: each models folder's sub-folder(s) of that name, found
    through the model manager (the one place that knows where models are)."""
    return [root for name in MODEL_FOLDERS.get(folder, (folder,)) for root in models.roots(name)]


class FolderPaths:
    def __init__(self, services: Any) -> None:
        self.config = services.config
        self.files: Folders = services.files
        extensions = {".yaml"}
        self.folder_names_and_paths: dict[str, tuple[list[str], set[str]]] = {
            name: ([str(p) for p in model_folder_roots(services.models, name)],
                   extensions if name == "configs" else set() if name == "diffusers" else SUPPORTED_PT_EXTENSIONS)
            for name in MODEL_FOLDERS}
        self.folder_names_and_paths["custom_nodes"] = ([str(self.config.base_dir / "custom_nodes")], set())

    def get_directory_by_type(self, type_name: str) -> str | None:
        return str(self.files.root(type_name)) if type_name in ("input", "output", "temp") else None

    def get_folder_paths(self, folder_name: str) -> list[str]:
        return list(self.folder_names_and_paths[LEGACY.get(folder_name, folder_name)][0])

    def add_model_folder_path(self, folder_name: str, full_folder_path: str, is_default: bool = False) -> None:
        paths, _ = self.folder_names_and_paths.setdefault(LEGACY.get(folder_name, folder_name),
                                                          ([], set(SUPPORTED_PT_EXTENSIONS)))
        if full_folder_path in paths:
            paths.remove(full_folder_path)
        if is_default:
            paths.insert(0, full_folder_path)
        else:
            paths.append(full_folder_path)

    def get_filename_list(self, folder_name: str) -> list[str]:
        """Every file under the folder's paths (recursively, relative, "/"-separated) with its extensions."""
        paths, extensions = self.folder_names_and_paths[LEGACY.get(folder_name, folder_name)]
        found: set[str] = set()
        for path in paths:
            root = Path(path)
            if not root.is_dir():
                continue
            for folder, dirs, files in os.walk(root, followlinks=True):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if not extensions or Path(name).suffix.lower() in extensions:
                        found.add((Path(folder) / name).relative_to(root).as_posix())
        return sorted(found)

    def get_full_path(self, folder_name: str, filename: str) -> str | None:
        """The path of a listed file; None when absent or when the name would leave the folder."""
        if not filename or os.path.isabs(filename) or ".." in Path(filename.replace("\\", "/")).parts:
            return None
        for path in self.folder_names_and_paths[LEGACY.get(folder_name, folder_name)][0]:
            candidate = Path(path) / filename
            if candidate.is_file():
                return str(candidate)
        return None

    def get_full_path_or_raise(self, folder_name: str, filename: str) -> str:
        found = self.get_full_path(folder_name, filename)
        if found is None:
            raise FileNotFoundError(f"model in folder '{folder_name}' with filename '{filename}' not found")
        return found

    def annotated_filepath(self, name: str) -> tuple[str, str | None]:
        match = _ANNOTATION.match(name)
        return (match.group(1), self.get_directory_by_type(match.group(2))) if match else (name, None)

    def get_annotated_filepath(self, name: str, default_dir: str | None = None) -> str:
        """"name [output]" (or [input], [temp]) inside that folder, a plain name inside the input folder;
        a name that would leave the folder (absolute, "..", a symlink out) is refused with UnsafePath."""
        match = _ANNOTATION.match(name)
        if match is not None:
            return str(self.files.resolve(match.group(2), match.group(1)))
        if default_dir is None:
            return str(self.files.resolve("input", name))
        root = Path(default_dir).resolve()
        candidate = (root / name).resolve()
        if os.path.isabs(name) or (candidate != root and root not in candidate.parents):
            raise UnsafePath(f"{name} leaves {default_dir}")
        return str(candidate)

    def exists_annotated_filepath(self, name: str) -> bool:
        try:
            return os.path.exists(self.get_annotated_filepath(name))
        except UnsafePath:
            return False

    def get_save_image_path(self, filename_prefix: str, output_dir: str, image_width: int = 0,
                            image_height: int = 0) -> tuple[str, str, int, str, str]:
        """(folder, file name, next counter, subfolder, prefix) for `prefix_NNNNN_` files; %width%, %height%,
        %year%, %month%, %day%, %hour%, %minute% and %second% are filled in. Never outside output_dir."""
        now = time.localtime()
        for token, value in (("%width%", image_width), ("%height%", image_height), ("%year%", now.tm_year),
                             ("%month%", f"{now.tm_mon:02}"), ("%day%", f"{now.tm_mday:02}"),
                             ("%hour%", f"{now.tm_hour:02}"), ("%minute%", f"{now.tm_min:02}"),
                             ("%second%", f"{now.tm_sec:02}")):
            filename_prefix = filename_prefix.replace(token, str(value))
        subfolder, _, filename = filename_prefix.replace("\\", "/").rpartition("/")
        root = Path(output_dir).resolve()
        folder = (root / subfolder).resolve()
        if os.path.isabs(subfolder) or (folder != root and root not in folder.parents):
            raise UnsafePath(f"saving to {filename_prefix!r} would leave the output folder")
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder), filename, next_counter(folder, filename, None), subfolder, filename_prefix


def bind(host: Any) -> dict[str, Any]:
    paths = FolderPaths(host.services)
    config = host.services.config
    namespace: dict[str, Any] = {name: getattr(paths, name) for name in dir(paths)
                                 if not name.startswith("_") and callable(getattr(paths, name))}
    user_models = config.models_dirs[1:] or config.models_dirs
    namespace.update(
        # Packs read dirname(folder_paths.__file__) as ComfyUI's base folder.
        __file__=str(config.base_dir / "folder_paths.py"), base_path=str(config.base_dir),
        models_dir=str(user_models[0]), folder_names_and_paths=paths.folder_names_and_paths,
        supported_pt_extensions=SUPPORTED_PT_EXTENSIONS, output_directory=str(config.output_dir),
        input_directory=str(config.input_dir), temp_directory=str(config.temp_dir),
        user_directory=str(config.user_dir), filename_list_cache={}, map_legacy=lambda name: LEGACY.get(name, name),
        get_input_directory=lambda: str(paths.files.root("input")),
        get_output_directory=lambda: str(paths.files.root("output")),
        get_temp_directory=lambda: str(paths.files.root("temp")),
        get_user_directory=lambda: str(paths.files.root("user")),
        filter_files_extensions=lambda files, extensions: sorted(
            f for f in files if not extensions or Path(f).suffix.lower() in set(extensions)))
    return namespace
