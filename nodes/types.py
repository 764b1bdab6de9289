"""Socket type names shared by the model families, and checks that a value really is of its type.

Data conventions (as ComfyUI's, DESIGN.md section 4):
  IMAGE          float32 [B, H, W, C] in 0..1, on the CPU
  MASK           float32 [B, H, W] in 0..1, 1 = repaint
  LATENT         {"samples": [B, C, h, w], optional "noise_mask": [B, 1, H, W] and "batch_index"}
  CONDITIONING   list of [embeddings [1, T, D], {"pooled_output": ..., "control": ControlChain | None}]
  TEXT_TOKENS    {"input_ids": int64 [B, T], "attention_mask": int64 [B, T], "tokens": list[list[str]],
                  "tokenizer": name}
  IMAGE_TOKENS   {"indices": int64 [B, h, w], "codebook": name}
  MODEL, CLIP, VAE, CONTROL_NET, AR_MODEL   light handles; the weights live in the model manager
  NOISE, GUIDER, SAMPLER, SIGMAS            the sampler's parts (nodes/diffusion/sampling.py)
"""

from __future__ import annotations

from typing import Any

from nodegraph import NodeError

MODEL = "MODEL"
CLIP = "CLIP"
VAE = "VAE"
CONDITIONING = "CONDITIONING"
LATENT = "LATENT"
IMAGE = "IMAGE"
MASK = "MASK"
CONTROL_NET = "CONTROL_NET"
TEXT_TOKENS = "TEXT_TOKENS"
IMAGE_TOKENS = "IMAGE_TOKENS"
AR_MODEL = "AR_MODEL"
VQ_MODEL = "VQ_MODEL"
# ComfyUI's sampler parts (SamplerCustomAdvanced): nodes/diffusion/sampling.py's light descriptions.
NOISE = "NOISE"
GUIDER = "GUIDER"
SAMPLER = "SAMPLER"
SIGMAS = "SIGMAS"


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {list(shape)} and dtype {getattr(value, 'dtype', '?')}"
    return type(value).__name__


def require_image(name: str, value: Any) -> Any:
    """The value as an IMAGE tensor, or NodeError naming the input."""
    import torch

    if not isinstance(value, torch.Tensor) or value.ndim != 4 or value.shape[-1] not in (3, 4) \
            or not value.is_floating_point() or value.shape[1] < 1 or value.shape[2] < 1:
        raise NodeError(name, f"expected an IMAGE (float tensor [batch, height, width, 3]), got {_describe(value)}")
    return value


def require_mask(name: str, value: Any) -> Any:
    """The value as a MASK tensor [B, H, W] (a single [H, W] mask gains a batch axis)."""
    import torch

    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.ndim == 2:
        value = value[None]
    if not isinstance(value, torch.Tensor) or value.ndim != 3 or not value.is_floating_point():
        raise NodeError(name, f"expected a MASK (float tensor [batch, height, width]), got {_describe(value)}")
    return value


def require_conditioning(name: str, value: Any) -> list[Any]:
    """The value as a non-empty CONDITIONING ([embedding tensor, extras dict] entries), or NodeError."""
    import torch

    if not isinstance(value, list) or not value or not all(
            isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], torch.Tensor)
            and isinstance(entry[1], dict) for entry in value):
        raise NodeError(name, f"expected CONDITIONING from a text encoder, got {type(value).__name__}")
    return value


def require_latent(name: str, value: Any) -> dict[str, Any]:
    import torch

    samples = value.get("samples") if isinstance(value, dict) else None
    if not isinstance(samples, torch.Tensor) or samples.ndim != 4:
        shown = _describe(samples) if isinstance(value, dict) else _describe(value)
        raise NodeError(name, f"expected a LATENT (dict with 'samples' [batch, channels, h, w]), got {shown}")
    return value


def same_size(name: str, mask: Any, height: int, width: int, what: str) -> None:
    """Masks must match what they mask; resizing silently would shift the repainted region."""
    if tuple(mask.shape[-2:]) != (height, width):
        raise NodeError(name, f"mask is {mask.shape[-1]}x{mask.shape[-2]} (WxH) but {what} is "
                              f"{width}x{height}; give a mask of the same size")
