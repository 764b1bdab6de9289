"""Text family: tokenizer and text-encoder nodes producing TEXT_TOKENS and CONDITIONING."""

from .encode import NODES

__all__ = ["NODES"]
