"""Diffusion family: checkpoint, LoRA and component loaders, the checkpoint saver, latents and their batches,
VAE encode/decode and the samplers."""

from .component_loaders import NODES as _components
from .custom_sampling import NODES as _custom
from .dit_nodes import NODES as _dit
from .dit_parts import NODES as _dit_parts
from .latent import NODES as _latent
from .latent_batch import NODES as _latent_batch
from .load import NODES as _load
from .lora_nodes import NODES as _lora
from .sample import NODES as _sample
from .save import NODES as _save

NODES = [*_load, *_components, *_dit_parts, *_lora, *_save, *_latent, *_latent_batch, *_dit, *_sample, *_custom]
