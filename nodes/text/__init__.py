"""Text family: tokenizer and text-encoder nodes producing TEXT_TOKENS and CONDITIONING, and conditioning
arithmetic."""

from .conditioning import NODES as _conditioning
from .encode import NODES as _encode

NODES = [*_encode, *_conditioning]
