"""Diffusion family: checkpoint loaders and saver, latents and their batches, VAE encode/decode, samplers."""

from .latent import NODES as _latent
from .latent_batch import NODES as _latent_batch
from .load import NODES as _load
from .sample import NODES as _sample
from .save import NODES as _save

NODES = [*_load, *_save, *_latent, *_latent_batch, *_sample]
