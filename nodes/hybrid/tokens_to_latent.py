"""ARTokensToLatent: the hand-over from autoregressive to diffusion, image tokens -> pixels -> VAE latent."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, NodeError, Out

from ..autoregressive.model import VqCodec
from ..autoregressive.tokens import require_tokens
from ..diffusion.latent import check_vae, crop_to_factor
from ..types import IMAGE_TOKENS, LATENT, VAE, VQ_MODEL


class ARTokensToLatent(Node):
    """Decode AR image tokens with their VQ model and encode the picture with a diffusion VAE, so a
    KSampler at partial denoise can refine what the AR model drew (the same as Tokens to Image followed by
    VAE Encode, in one node)."""

    category = "latent/hybrid"
    display_name = "AR Tokens to Latent"
    inputs = {"vq_model": In(VQ_MODEL), "image_tokens": In(IMAGE_TOKENS), "vae": In(VAE)}
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, vq_model: VqCodec, image_tokens: dict[str, Any], vae: Any) -> tuple[dict[str, Any]]:
        if not hasattr(vq_model, "decode") or not hasattr(vq_model, "codebook"):
            raise NodeError("vq_model", f"expected a VQ_MODEL from Load AR Model, got {type(vq_model).__name__}")
        indices = require_tokens("image_tokens", image_tokens, vq_model.codebook, vq_model.grid)
        vae = check_vae(vae)
        pixels = vq_model.decode(indices)
        return ({"samples": vae.encode(crop_to_factor(pixels, vae.factor))},)


NODES = [ARTokensToLatent]
