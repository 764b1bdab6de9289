"""ARTokensToLatent: the hand-over from autoregressive to diffusion, image tokens -> pixels -> VAE latent."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, Out

from ..autoregressive.handles import VqHandle, loaded
from ..autoregressive.tokens import require_tokens
from ..types import IMAGE_TOKENS, LATENT, VAE, VQ_MODEL


class ARTokensToLatent(Node):
    """Decode AR image tokens with their VQ model and encode the picture with a diffusion VAE, so a
    KSampler at partial denoise can refine what the AR model drew (the same as Tokens to Image followed by
    VAE Encode, in one node)."""

    category = "latent/hybrid"
    display_name = "AR Tokens to Latent"
    inputs = {"vq_model": In(VQ_MODEL), "image_tokens": In(IMAGE_TOKENS), "vae": In(VAE)}
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, vq_model: VqHandle, image_tokens: dict[str, Any], vae: Any) -> tuple[dict[str, Any]]:
        from ..diffusion.latent import check_vae, crop_to_factor

        codec = loaded("vq_model", vq_model, VqHandle, VQ_MODEL)
        indices = require_tokens("image_tokens", image_tokens, codec.codebook, codec.grid)
        vae = check_vae(vae)
        pixels = codec.decode(indices)
        return ({"samples": vae.encode(crop_to_factor(pixels, vae.factor))},)


NODES = [ARTokensToLatent]
