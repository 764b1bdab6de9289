"""The services a node reaches through its context: configuration, path-safe folders and the model manager.

One `Services` belongs to one engine; nothing here is global, so two engines in one process (two
configurations, a test beside a server) never see each other's folders or models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Config
from .files import Folders
from .models import ModelManager


@dataclass(frozen=True)
class Services:
    config: Config
    files: Folders
    models: ModelManager

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


def make_services(config: Config) -> Services:
    """Create an engine's services; nothing here imports torch (the model manager does on first use)."""
    return Services(config, Folders(config), ModelManager(config))
