"""Diffusion family: checkpoint loaders, latents, VAE encode/decode and the samplers."""

from .latent import NODES as _latent
from .load import NODES as _load
from .sample import NODES as _sample

NODES = [*_load, *_latent, *_sample]
