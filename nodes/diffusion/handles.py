"""MODEL and VAE handles: light objects naming a loaded module in the model manager, plus how to load it.

Handles hold no weights. Each use asks the manager, which memoises, so a second prompt loads nothing and a
model the manager freed under its memory budget is simply loaded again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

from nodegraph.runtime.handles import Handle


def diffusers_class(name: str) -> type:
    """A diffusers model class named in a model_index.json; never anything else."""
    import diffusers

    cls = getattr(diffusers, name, None)
    if not isinstance(cls, type) or not issubclass(cls, diffusers.ModelMixin):
        raise ValueError(f"{name!r} is not a diffusers model class")
    return cls


def transformers_class(name: str) -> type:
    import transformers

    cls = getattr(transformers, name, None)
    if not isinstance(cls, type) or not issubclass(cls, transformers.PreTrainedModel):
        raise ValueError(f"{name!r} is not a transformers model class")
    return cls


def index_class(index: dict[str, Any], component: str, default: str) -> str:
    """The class a model_index.json names for a component ([library, class]; the default if unnamed)."""
    entry = index.get(component)
    if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str):
        return entry[1]
    return default


def component_class(folder: Path, component: str, default: str) -> str:
    """The class a pipeline folder's model_index.json names for a component (the default if unnamed)."""
    index = folder / "model_index.json"
    return index_class(json.loads(index.read_text()), component, default) if index.is_file() else default


def latent_factor(vae_config: Any) -> int:
    """Pixels per latent cell of a VAE config (a dict or diffusers' FrozenDict): one halving per level after
    the first; 8 when the config does not say."""
    return 2 ** (len(vae_config.get("block_out_channels", [0, 0, 0, 0])) - 1)


def diffusers_loader(cls: type, path: Path) -> Callable[[torch.device, torch.dtype], Any]:
    def load(device: torch.device, dtype: torch.dtype) -> Any:
        module = cls.from_pretrained(str(path), use_safetensors=True, torch_dtype=dtype)
        return module.to(device).eval()

    return load


def transformers_loader(cls: type, path: Path) -> Callable[[torch.device, torch.dtype], Any]:
    def load(device: torch.device, dtype: torch.dtype) -> Any:
        module = cls.from_pretrained(str(path), use_safetensors=True, dtype=dtype)
        return module.to(device).eval()

    return load


@dataclass(eq=False, repr=False)
class ModelHandle(Handle):
    """MODEL: the denoising UNet, the noise schedule it was trained with, and its latent geometry."""

    scheduler_config: dict[str, Any] = field(default_factory=dict)
    # Pixels per latent cell of the VAE it was trained with (8 unless the checkpoint says otherwise).
    latent_factor: int = 8


@dataclass(eq=False, repr=False)
class VaeHandle(Handle):
    """VAE: pixels <-> latents, with the scaling the diffusion model expects."""

    @property
    def factor(self) -> int:
        return latent_factor(self.get().config)

    @property
    def channels(self) -> int:
        return int(self.get().config.latent_channels)

    def _scale(self) -> tuple[float, float]:
        config = self.get().config
        return float(config.scaling_factor), float(getattr(config, "shift_factor", None) or 0.0)

    def encode(self, pixels: torch.Tensor) -> torch.Tensor:
        """IMAGE [B, H, W, 3] in 0..1 -> scaled latents [B, C, H/f, W/f] (the distribution's mode)."""
        import torch

        vae = self.get()
        x = pixels[..., :3].permute(0, 3, 1, 2).to(self.device, vae.dtype) * 2.0 - 1.0
        scale, shift = self._scale()
        with torch.no_grad():
            return ((vae.encode(x).latent_dist.mode() - shift) * scale).float().cpu()

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Scaled latents -> IMAGE [B, H, W, 3] in 0..1, exactly as StableDiffusionPipeline post-processes."""
        import torch

        vae = self.get()
        scale, shift = self._scale()
        z = latents.to(self.device, vae.dtype) / scale + shift
        with torch.no_grad():
            image = vae.decode(z, return_dict=False)[0]
        return (image / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).float().cpu()
