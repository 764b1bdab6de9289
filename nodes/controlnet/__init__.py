"""ControlNet family: loader and apply nodes; the residuals themselves are added in the sampler's loop."""

from .nodes import NODES

__all__ = ["NODES"]
