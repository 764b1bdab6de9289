"""Inpaint family: noise masks, encode-for-inpaint and the compositing that keeps unmasked pixels exact."""

from .nodes import NODES

__all__ = ["NODES"]
