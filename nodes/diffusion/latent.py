"""Latent nodes: an empty latent, and VAE encode / decode between IMAGE and LATENT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import IMAGE, LATENT, VAE, require_image, require_latent

if TYPE_CHECKING:
    import torch

MAX_RESOLUTION = 16384
# ComfyUI's latent geometry, for an empty latent until a sampler or VAE re-makes it on its own grid (on_grid).
DEFAULT_CHANNELS, DEFAULT_FACTOR = 4, 8


def check_vae(vae: Any) -> Any:
    if not hasattr(vae, "encode") or not hasattr(vae, "decode"):
        raise NodeError("vae", f"expected a VAE from a loader, got {type(vae).__name__}")
    return vae


def crop_to_factor(pixels: torch.Tensor, factor: int) -> torch.Tensor:
    """Centre-crop height and width down to multiples of the VAE's factor (as ComfyUI does)."""
    height, width = (pixels.shape[1] // factor) * factor, (pixels.shape[2] // factor) * factor
    if height == 0 or width == 0:
        raise NodeError("pixels", f"image is {pixels.shape[2]}x{pixels.shape[1]}; the VAE needs at least "
                                  f"{factor}x{factor}")
    top, left = (pixels.shape[1] - height) // 2, (pixels.shape[2] - width) // 2
    return pixels[:, top:top + height, left:left + width]


class EmptyLatentImage(Node):
    """A batch of empty latents for text-to-image, with ComfyUI's inputs (width, height, batch_size).

    The latent records the pixel size it stands for ("empty"), so the sampler (and VAE Decode) re-make it
    on their own model's grid: a VAE that downsamples 4x (the shipped model) gets 16x16 latents for 64x64
    pixels, as ComfyUI's fixed factor of 8 would not.
    """

    category = "latent"
    display_name = "Empty Latent Image"
    inputs = {
        "width": In.int(512, min=16, max=MAX_RESOLUTION, step=8),
        "height": In.int(512, min=16, max=MAX_RESOLUTION, step=8),
        "batch_size": In.int(1, min=1, max=4096),
    }
    outputs = {"LATENT": Out(LATENT)}

    channels = DEFAULT_CHANNELS

    def run(self, ctx: Context, width: int, height: int, batch_size: int) -> tuple[dict[str, Any]]:
        import torch

        samples = torch.zeros(batch_size, self.channels, height // DEFAULT_FACTOR, width // DEFAULT_FACTOR)
        return ({"samples": samples, "empty": (height, width)},)


def on_grid(latent: dict[str, Any], channels: int, factor: int) -> torch.Tensor:
    """The latent's samples; an untouched empty latent re-made on a model's grid (channels, 1/factor size)."""
    import torch

    samples = latent["samples"]
    if "empty" in latent and not samples.any():
        height, width = latent["empty"]
        samples = torch.zeros(samples.shape[0], channels, height // factor, width // factor)
    return samples


class VAEDecode(Node):
    """Decode latents into images."""

    category = "latent"
    display_name = "VAE Decode"
    inputs = {"samples": In(LATENT), "vae": In(VAE)}
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, samples: Any, vae: Any) -> tuple[torch.Tensor]:
        vae = check_vae(vae)
        latent = on_grid(require_latent("samples", samples), vae.channels, vae.factor)
        if latent.shape[1] != vae.channels:
            raise NodeError("samples", f"latent has {latent.shape[1]} channels but this VAE decodes "
                                       f"{vae.channels}; was it made by another model?")
        return (vae.decode(latent, scale=samples.get("latent_scale")),)


class VAEEncode(Node):
    """Encode images into latents (alpha is dropped; sides are cropped to the VAE's factor)."""

    category = "latent"
    display_name = "VAE Encode"
    inputs = {"pixels": In(IMAGE), "vae": In(VAE)}
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, pixels: Any, vae: Any) -> tuple[dict[str, Any]]:
        pixels = require_image("pixels", pixels)
        vae = check_vae(vae)
        return ({"samples": vae.encode(crop_to_factor(pixels, vae.factor)), "latent_scale": vae.scale},)


NODES = [EmptyLatentImage, VAEDecode, VAEEncode]
