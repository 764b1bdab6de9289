"""SDXL's added conditioning: the pooled text embedding and the size/crop (base) or aesthetic-score (refiner)
time ids a "text_time" UNet takes beside the prompt, from a CONDITIONING entry's extras with ComfyUI's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import NodeError

if TYPE_CHECKING:
    import torch

# CLIPTextEncodeSDXL / CLIPTextEncodeSDXLRefiner put these in a conditioning's extras.
SIZE_KEYS = ("width", "height", "crop_w", "crop_h", "target_width", "target_height")
POSITIVE_SCORE, NEGATIVE_SCORE = 6.0, 2.5  # the refiner's aesthetic scores when none is given (as both tools)


def takes_added(unet: Any) -> bool:
    return getattr(unet.config, "addition_embed_type", None) == "text_time"


def time_id_count(unet: Any, pooled_width: int) -> int:
    """How many time ids the UNet's added embedding takes: 6 for a base model, 5 for a refiner."""
    config = unet.config
    return (int(config.projection_class_embeddings_input_dim) - pooled_width) // int(config.addition_time_embed_dim)


def added(unet: Any, extras: dict[str, Any], height: int, width: int, negative: bool,
          input_name: str) -> dict[str, torch.Tensor] | None:
    """{"text_embeds", "time_ids"} for one prompt, or None for a UNet without added conditioning. Sizes not in
    the extras are the image's (ComfyUI's rule, and diffusers' defaults): original = target = the image, crop 0."""
    import torch

    if not takes_added(unet):
        return None
    pooled = extras.get("pooled_output")
    if not isinstance(pooled, torch.Tensor) or pooled.ndim != 2:
        raise NodeError(input_name, "this model (SDXL type) needs the pooled output of its second text encoder; "
                                    "encode the prompt with this checkpoint's CLIP")
    count = time_id_count(unet, pooled.shape[-1])
    h, w = int(extras.get("height", height)), int(extras.get("width", width))
    crops = [int(extras.get("crop_h", 0)), int(extras.get("crop_w", 0))]
    if count == 6:
        ids = [h, w, *crops, int(extras.get("target_height", h)), int(extras.get("target_width", w))]
    elif count == 5:
        score = extras.get("aesthetic_score", NEGATIVE_SCORE if negative else POSITIVE_SCORE)
        ids = [h, w, *crops, float(score)]
    else:
        raise NodeError(input_name, f"its pooled output is {pooled.shape[-1]} wide, which leaves this model's added "
                                    "embedding no whole number of size ids: encoded with another checkpoint's CLIP?")
    return {"text_embeds": pooled, "time_ids": torch.tensor([ids], dtype=pooled.dtype)}
