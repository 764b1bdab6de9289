"""Latent nodes: an empty latent, and VAE encode / decode between IMAGE and LATENT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import IMAGE, LATENT, VAE, require_image, require_latent

if TYPE_CHECKING:
    import torch

MAX_RESOLUTION = 16384
# ComfyUI's latent geometry, used only when no VAE says otherwise (the sampler then re-makes the empty latent
# on its model's own grid, see sample._prepare_latent).
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
    """A batch of empty latents for text-to-image; sized by the VAE's downsample factor."""

    category = "latent"
    inputs = {
        "width": In.int(512, min=16, max=MAX_RESOLUTION, step=8),
        "height": In.int(512, min=16, max=MAX_RESOLUTION, step=8),
        "batch_size": In.int(1, min=1, max=4096),
        "vae": In(VAE, optional=True, tooltip="gives the exact latent grid; without it the sampler sizes "
                                              "the empty latent for its model"),
    }
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, width: int, height: int, batch_size: int, vae: Any = None) -> tuple[dict[str, Any]]:
        import torch

        if vae is not None:
            vae = check_vae(vae)
            factor = vae.factor
            if width % factor or height % factor:
                raise NodeError("width", f"{width}x{height} is not a multiple of the VAE's factor {factor}")
            return ({"samples": torch.zeros(batch_size, vae.channels, height // factor, width // factor)},)
        samples = torch.zeros(batch_size, DEFAULT_CHANNELS, height // DEFAULT_FACTOR, width // DEFAULT_FACTOR)
        return ({"samples": samples, "empty": (height, width)},)


class VAEDecode(Node):
    """Decode latents into images."""

    category = "latent"
    display_name = "VAE Decode"
    inputs = {"samples": In(LATENT), "vae": In(VAE)}
    outputs = {"IMAGE": Out(IMAGE)}

    def run(self, ctx: Context, samples: Any, vae: Any) -> tuple[torch.Tensor]:
        latent = require_latent("samples", samples)["samples"]
        vae = check_vae(vae)
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
