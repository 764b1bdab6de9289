"""The typed context a node's `run` receives: who it is, progress and interrupt (from the core), and the
engine's folders and models. Node authors annotate `ctx: Context`."""

from __future__ import annotations

from ..config import Config
from ..core.context import NodeContext
from .files import Folders
from .models import ModelManager
from .services import Services


class Context(NodeContext):
    services: Services  # the engine that builds this context always hands its Services

    @property
    def files(self) -> Folders:
        """The input, output, temp and user folders; nothing resolves outside them."""
        return self.services.files

    @property
    def models(self) -> ModelManager:
        """Finds, loads, memoises and offloads models under the memory budget."""
        return self.services.models

    @property
    def config(self) -> Config:
        return self.services.config
