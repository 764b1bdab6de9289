"""Autoregressive image generation: a VQ tokenizer, one transformer over text and image tokens, a sampler."""

from .codec_nodes import NODES as _codec
from .sample import NODES as _sample

NODES = [*_codec, *_sample]
