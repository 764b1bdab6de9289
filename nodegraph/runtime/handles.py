"""Model handles: light objects naming a loaded model in the model manager, plus how to load it.

Node outputs carry handles, never weights. Each use asks the manager (`.get()`), which memoises, so a
second prompt loads nothing, the output cache pins no weights past the memory budget, and a model the
manager freed or offloaded is simply loaded (or moved back) again. Families subclass Handle for their own
socket types (MODEL, VAE, AR_MODEL...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .models import ModelManager


@dataclass(eq=False)
class Handle:
    manager: ModelManager
    key: str
    loader: Callable[[torch.device, torch.dtype], Any]
    kind: str
    name: str

    def get(self) -> Any:
        return self.manager.load(self.key, self.loader, kind=self.kind, name=self.name)

    @property
    def device(self) -> torch.device:
        return self.manager.device

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
