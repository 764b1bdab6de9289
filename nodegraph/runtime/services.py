"""Builds the services mapping handed to nodes as `ctx.services`, and remembers the active one.

Combo choices (files in the input folder, installed models) are listed when a schema is rendered,
outside any node run, so `active()` gives schema callables the services of the running process.
"""

from __future__ import annotations

from typing import Any

from ..config import Config, load_config
from .files import Folders

_active: dict[str, Any] | None = None


def make_services(config: Config) -> dict[str, Any]:
    """Create the services and make them the active ones; anything needing torch loads on first use."""
    if config.threads:
        import torch  # only when asked: a busy machine runs small models faster on fewer threads

        torch.set_num_threads(config.threads)
    services: dict[str, Any] = {"config": config, "files": Folders(config)}
    try:
        from .models import ModelManager
    except ImportError:
        pass
    else:
        services["models"] = ModelManager(config)
    activate(services)
    return services


def activate(services: dict[str, Any]) -> None:
    """Make `services` the ones schema callables see (one process hosting several configurations)."""
    global _active
    _active = services


def active() -> dict[str, Any]:
    """The services of this process (created from the default config on first use)."""
    return _active if _active is not None else make_services(load_config())
