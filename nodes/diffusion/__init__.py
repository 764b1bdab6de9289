"""Diffusion family: checkpoint loaders and saver, latents, VAE encode/decode and the samplers."""

from .latent import NODES as _latent
from .load import NODES as _load
from .sample import NODES as _sample
from .save import NODES as _save

NODES = [*_load, *_save, *_latent, *_sample]
