"""Frozen configuration, built once from flags, environment and an optional JSON file; nothing probed at import."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .resources import models_dir


@dataclass(frozen=True)
class Config:
    base_dir: Path = field(default_factory=Path.cwd)
    models_dirs: tuple[Path, ...] = field(default_factory=lambda: (models_dir(),))  # the shipped models first
    nodes_dirs: tuple[Path, ...] = ()
    device: str = "auto"
    vram_budget_gb: float | None = None
    cache_entries: int = 100_000
    cache_bytes: int = 4 * 2**30
    listen: str = "127.0.0.1"
    port: int = 8188
    token: str | None = None
    max_upload_mb: int = 100
    history_limit: int = 10_000
    out_dir: Path | None = None
    threads: int | None = None
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
    if name in ("cache_entries", "cache_bytes", "port", "max_upload_mb", "history_limit", "threads"):
        return int(value)
    if name == "vram_budget_gb":
        return float(value)
    return value


def load_config(config_file: Path | None = None, **flags: Any) -> Config:
    """Defaults < config file (JSON) < NODEGRAPH_* environment < explicit flags.

    Extra model and node folders from the file and flags are added to the defaults, not put in their place.
    """
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    path = config_file or (Path(os.environ["NODEGRAPH_CONFIG"]) if "NODEGRAPH_CONFIG" in os.environ else None)
    if path is not None:
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object of settings")
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
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
