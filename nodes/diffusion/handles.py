"""MODEL and VAE handles: light objects naming a loaded module in the model manager, plus how to load it.

Handles hold no weights. Each use asks the manager, which memoises, so a second prompt loads nothing and a
model the manager freed under its memory budget is simply loaded again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def latent_scale(vae_config: Any) -> tuple[float, float]:
    """(scaling_factor, shift_factor) of a VAE config: what a latent in this model's space is multiplied by."""
    get = vae_config.get
    return float(get("scaling_factor", None) or 0.18215), float(get("shift_factor", None) or 0.0)


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
    """MODEL: the denoising network (a UNet, SD3's MMDiT or Flux's transformer: `family` "sd", "sd3" or "flux", which
    picks its architecture in family.py), the noise schedule it was trained with (ModelSampling* nodes change
    it), its latent geometry and scale, and the LoRAs LoraLoader put on it (applied only while in use)."""

    scheduler_config: dict[str, Any] = field(default_factory=dict)
    # Pixels per latent cell of the VAE it was trained with (8 unless the checkpoint says otherwise).
    latent_factor: int = 8
    # The (scaling, shift) its latents are in: its own VAE's, or its family's for a UNet loaded alone.
    latent_scale: tuple[float, float] = (0.18215, 0.0)
    loras: tuple[Any, ...] = ()
    family: str = "sd"
    # A flow model's fixed schedule shift (ModelSamplingFlux); None: diffusers' rule from the image's size.
    flow_mu: float | None = None

    def __repr__(self) -> str:
        return f"<ModelHandle {self.name}" + "".join(f" +{ref.name}" for ref in self.loras) + ">"

    @property
    def lora_component(self) -> str:
        """The prefix of this model's keys in a diffusers LoRA file: the UNet's, or the DiT families' transformer."""
        return "unet" if self.family == "sd" else "transformer"

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The UNet with this handle's LoRAs active; the cached module is left as it was on exit."""
        if not self.loras:
            yield self.get()
            return
        from . import lora

        with lora.applied(self, self.lora_component, self.loras) as module:
            yield module


def upcast_when_asked(load: Callable[[torch.device, torch.dtype], Any]) -> Callable[[torch.device, torch.dtype], Any]:
    """diffusers' rule for VAEs whose config sets force_upcast (SDXL's overflows in fp16): an fp16 VAE runs in
    fp32, its weights rounded through fp16 first exactly as the pipelines' `vae.to(torch.float32)` leaves them."""

    def wrapped(device: torch.device, dtype: torch.dtype) -> Any:
        import torch

        module = load(device, dtype)
        if dtype == torch.float16 and getattr(module.config, "force_upcast", False):
            module = module.to(dtype=torch.float32)
        return module

    return wrapped


@dataclass(eq=False, repr=False)
class VaeHandle(Handle):
    """VAE: pixels <-> latents, with the scaling the diffusion model expects. A VAE file loaded alone does not say
    which model family's scale it serves (SD's and SDXL's VAEs have the same shapes): `own_scale` False means its
    decode follows the scale the latent was made in (the sampler marks its latents)."""

    own_scale: bool = True

    def __post_init__(self) -> None:
        self.loader = upcast_when_asked(self.loader)

    @property
    def factor(self) -> int:
        return latent_factor(self.get().config)

    @property
    def channels(self) -> int:
        return int(self.get().config.latent_channels)

    @property
    def scale(self) -> tuple[float, float]:
        return latent_scale(self.get().config)

    def _statistics(self, like: torch.Tensor) -> tuple[Any, Any]:
        """SDXL-style per-channel latents_mean / latents_std when the config has both, else (0, 1)."""
        import torch

        config = self.get().config
        mean, std = getattr(config, "latents_mean", None), getattr(config, "latents_std", None)
        if mean is None or std is None:
            return 0.0, 1.0
        shape = (1, len(mean), 1, 1)
        return (torch.tensor(mean).view(shape).to(like.device, like.dtype),
                torch.tensor(std).view(shape).to(like.device, like.dtype))

    def encode(self, pixels: torch.Tensor, scale: tuple[float, float] | None = None) -> torch.Tensor:
        """IMAGE [B, H, W, 3] in 0..1 -> scaled latents [B, C, H/f, W/f] (the distribution's mode), in this VAE's
        own (scaling, shift) or the given one."""
        import torch

        vae = self.get()
        x = pixels[..., :3].permute(0, 3, 1, 2).to(self.device, vae.dtype) * 2.0 - 1.0
        scale, shift = scale if scale is not None else self.scale
        with torch.no_grad():
            raw = vae.encode(x).latent_dist.mode()
            mean, std = self._statistics(raw)
            return ((raw - mean - shift) * scale / std).float().cpu()

    def decode(self, latents: torch.Tensor, scale: tuple[float, float] | None = None) -> torch.Tensor:
        """Scaled latents -> IMAGE [B, H, W, 3] in 0..1, exactly as the pipelines post-process. `scale` is the
        latent's own (from the sampler), used when this VAE's is not known."""
        import torch

        vae = self.get()
        factor, shift = scale if scale is not None and not self.own_scale else self.scale
        z = latents.to(self.device, vae.dtype)
        mean, std = self._statistics(z)
        z = z * std / factor + mean + shift
        with torch.no_grad():
            image = vae.decode(z, return_dict=False)[0]
        return (image / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).float().cpu()
