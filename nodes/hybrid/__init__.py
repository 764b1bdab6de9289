"""Hybrid generation: the autoregressive model draws the structure, a short diffusion pass the details."""

from .tokens_to_latent import NODES

__all__ = ["NODES"]
