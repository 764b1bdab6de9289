"""Mask family: make and shape MASK tensors (1 = repaint)."""

from .nodes import NODES

__all__ = ["NODES"]
