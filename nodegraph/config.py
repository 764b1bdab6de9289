"""Frozen configuration, built once from flags, environment and an optional JSON file; nothing probed at import."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .core.errors import NodeGraphError
from .core.limits import Limits
from .core.previews import check_method
from .resources import models_dir

LIMIT_DEFAULTS = Limits()
# The web app served at /: nodegraph's own editor, or ComfyUI's official frontend (the optional
# comfyui-frontend-package distribution).
FRONT_ENDS = ("nodegraph", "comfyui")


class ConfigError(NodeGraphError, ValueError):
    """A settings file, environment variable or flag that cannot be used; the message names it."""


@dataclass(frozen=True)
class Config:
    base_dir: Path = field(default_factory=Path.cwd)
    models_dirs: tuple[Path, ...] = field(default_factory=lambda: (models_dir(),))  # the shipped models first
    nodes_dirs: tuple[Path, ...] = ()
    # custom_nodes folders and ComfyUI packs installed with pip; False is ComfyUI's --disable-all-custom-nodes.
    # Folders named in nodes_dirs load either way: they were asked for by name.
    custom_nodes: bool = True
    device: str = "auto"
    vram_budget_gb: float | None = None
    cache_entries: int = 100_000
    cache_bytes: int = 4 * 2**30
    listen: str = "127.0.0.1"
    port: int = 8188
    token: str | None = None
    max_upload_mb: int = 100
    history_limit: int = 10_000
    max_queue_db_mb: int = 0  # a cap on the queue database file (0: none); past it writes fail as on a full disk
    out_dir: Path | None = None
    threads: int | None = None
    front_end: str = "nodegraph"
    # Scale-out (docs/scale-out.md): None runs prompts in this process.
    ray_address: str | None = None
    ray_workers: int | None = None
    ray_worker_gpus: float | None = None
    ray_shared_storage: bool = False
    ray_runtime_env: dict[str, Any] | None = None  # Ray's runtime environment for the workers (env_vars, pip...)
    preview_method: str = "none"  # ComfyUI's classic default: plain API clients get text messages only
    # Input limits (docs/server.md lists each): see nodegraph.core.limits.Limits.
    max_prompt_nodes: int = LIMIT_DEFAULTS.max_prompt_nodes
    max_json_depth: int = LIMIT_DEFAULTS.max_json_depth
    max_subgraph_depth: int = LIMIT_DEFAULTS.max_subgraph_depth
    max_json_mb: int = LIMIT_DEFAULTS.max_json_mb
    max_preview_pixels: int = LIMIT_DEFAULTS.max_preview_pixels

    def __post_init__(self) -> None:
        # A bad setting fails here, when the settings are read, not mid-request.
        try:
            check_method(self.preview_method, "preview_method")
            if self.front_end not in FRONT_ENDS:
                raise ValueError(f"front_end must be one of {', '.join(FRONT_ENDS)}; got {self.front_end!r}")
            self.limits  # noqa: B018
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    @property
    def limits(self) -> Limits:
        return Limits(**{name: getattr(self, name) for name in Limits.names()})
    # ComfyUI's extra_model_paths.yaml files (--extra-model-paths-config); base_dir's own is read when present.
    extra_model_paths: tuple[Path, ...] = ()

    @property
    def extra_model_paths_files(self) -> tuple[Path, ...]:
        """The extra_model_paths.yaml files to read: base_dir's (ComfyUI reads the one beside it), then the named."""
        default = self.base_dir / "extra_model_paths.yaml"
        named = tuple(dict.fromkeys(self.extra_model_paths))
        return (default, *named) if default.is_file() and default not in named else named

    @property
    def input_dir(self) -> Path:
        return self.base_dir / "input"

    @property
    def output_dir(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.base_dir / "output"

    @property
    def temp_dir(self) -> Path:
        return self.base_dir / "temp"

    @property
    def user_dir(self) -> Path:
        return self.base_dir / "user"

    def with_(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, value: Any) -> Any:
    if name in ("models_dirs", "nodes_dirs", "extra_model_paths"):
        items = value.split(os.pathsep) if isinstance(value, str) else value
        return tuple(Path(p).expanduser() for p in items if p)
    if name in ("base_dir", "out_dir"):
        return Path(value).expanduser()
    if name in ("cache_entries", "cache_bytes", "port", "max_upload_mb", "history_limit", "threads", "max_queue_db_mb",
                "ray_workers", *Limits.names()):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {name} must be an integer, got {value!r}") from None
    if name in ("vram_budget_gb", "ray_worker_gpus"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {name} must be a number, got {value!r}") from None
    if name == "ray_runtime_env" and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(f"setting {name} must be a JSON object, got {value[:80]!r}") from None
    if name == "ray_runtime_env" and not isinstance(value, dict):
        raise ConfigError(f"setting {name} must be a JSON object (Ray's runtime_env), got {value!r}")
    if name in ("ray_shared_storage", "custom_nodes") and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def load_config(config_file: Path | None = None, **flags: Any) -> Config:
    """Defaults < config file (JSON) < NODEGRAPH_* environment < explicit flags.

    Extra model and node folders from the file and flags are added to the defaults, not put in their place.
    """
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    path = config_file or (Path(os.environ["NODEGRAPH_CONFIG"]) if "NODEGRAPH_CONFIG" in os.environ else None)
    if path is not None:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"settings file {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a JSON object of settings")
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for name in known:
        env = os.environ.get(f"NODEGRAPH_{name.upper()}")
        if env is not None:
            values[name] = _coerce(name, env)
    for name, value in flags.items():
        if value is not None and name in known:
            values[name] = _coerce(name, value)
    default = Config()
    for name in ("models_dirs",):
        if name in values:
            values[name] = tuple(dict.fromkeys(getattr(default, name) + values[name]))
    return Config(**values)
