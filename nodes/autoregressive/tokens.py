"""Token grid operations: checking IMAGE_TOKENS, pixel mask -> token mask, row masks, and a grid preview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import NodeError

if TYPE_CHECKING:
    import torch

MASK_RULES = ("any", "majority")


def image_tokens(indices: torch.Tensor, codebook: str) -> dict[str, Any]:
    """IMAGE_TOKENS as nodes/types.py defines it."""
    import torch

    return {"indices": indices.to("cpu", torch.int64), "codebook": codebook}


def require_tokens(name: str, value: Any, codebook: str, grid: tuple[int, int] | None = None) -> torch.Tensor:
    """The index grid of IMAGE_TOKENS written with `codebook`, or NodeError naming the input."""
    import torch

    indices = value.get("indices") if isinstance(value, dict) else None
    if not isinstance(indices, torch.Tensor) or indices.ndim != 3 or indices.dtype != torch.int64:
        raise NodeError(name, f"expected IMAGE_TOKENS (dict with 'indices' int64 [batch, h, w]), got "
                              f"{type(value).__name__}")
    if value.get("codebook") != codebook:
        raise NodeError(name, f"these tokens come from codebook {value.get('codebook')!r}, but this model "
                              f"uses {codebook!r}; encode the image with the matching VQ model")
    if grid is not None and tuple(indices.shape[1:]) != tuple(grid):
        raise NodeError(name, f"token grid is {indices.shape[2]}x{indices.shape[1]} (WxH), the model makes "
                              f"{grid[1]}x{grid[0]}")
    return indices


def downsample_mask(mask: torch.Tensor, grid: tuple[int, int], rule: str) -> torch.Tensor:
    """Pixel MASK [B,H,W] -> token mask [B,h,w] (float 0/1). "any": a token is repainted if any of its
    pixels is; "majority": if at least half of them are."""
    import torch

    painted = (mask > 0.5).float()[:, None]
    if rule == "any":
        pooled = torch.nn.functional.adaptive_max_pool2d(painted, grid)
    else:
        pooled = (torch.nn.functional.adaptive_avg_pool2d(painted, grid) >= 0.5).float()
    return pooled[:, 0]


def require_token_mask(name: str, mask: Any, batch: int, grid: tuple[int, int]) -> torch.Tensor:
    """A token-grid MASK as a bool [batch, h, w] (a single mask is shared by the batch)."""
    import torch

    if not isinstance(mask, torch.Tensor) or mask.ndim not in (2, 3) or not mask.is_floating_point():
        raise NodeError(name, f"expected a MASK (float [batch, h, w]), got {type(mask).__name__}")
    mask = mask if mask.ndim == 3 else mask[None]
    if tuple(mask.shape[1:]) != tuple(grid):
        raise NodeError(name, f"mask is {mask.shape[2]}x{mask.shape[1]} (WxH) but the token grid is "
                              f"{grid[1]}x{grid[0]}; turn a pixel mask into a token mask with the "
                              "'Token Mask from Mask' node")
    if mask.shape[0] not in (1, batch):
        raise NodeError(name, f"mask batch is {mask.shape[0]}, tokens batch is {batch}")
    return (mask > 0.5).expand(batch, *grid)


def rows_mask(batch: int, grid: tuple[int, int], keep_rows: int) -> torch.Tensor:
    """Token mask repainting every row from `keep_rows` on (continuation editing)."""
    import torch

    mask = torch.zeros(batch, *grid, dtype=torch.bool)
    mask[:, keep_rows:] = True
    return mask


def preview(indices: torch.Tensor, codebook_size: int | None = None, scale: int = 8) -> torch.Tensor:
    """The token grid as an IMAGE: each code a fixed colour, each token a `scale`-pixel square."""
    import torch

    codes = indices.to(torch.int64)
    # A multiplicative hash spreads neighbouring code ids over distant colours.
    mixed = (codes * 2654435761) % (2**24)
    rgb = torch.stack([(mixed >> 16) & 255, (mixed >> 8) & 255, mixed & 255], -1).float() / 255
    return rgb.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
