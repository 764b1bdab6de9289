"""Builds the services mapping handed to nodes as `ctx.services`."""

from __future__ import annotations

from typing import Any

from ..config import Config
from .files import Folders


def make_services(config: Config) -> dict[str, Any]:
    """Services are created eagerly but cheaply; anything that imports torch does so on first use."""
    services: dict[str, Any] = {"config": config, "files": Folders(config)}
    try:
        from .models import ModelManager
    except ImportError:
        return services
    services["models"] = ModelManager(config)
    return services
