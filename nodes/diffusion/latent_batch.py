"""ComfyUI's latent batch utilities: join, repeat, slice and regroup LATENTs, carrying their noise masks and
batch indices (which keep each item's noise seed) as ComfyUI's do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, Out
from nodegraph.runtime.resize import common_upscale

from ..image.batch import batch_slice
from ..types import LATENT, require_latent

if TYPE_CHECKING:
    import torch


def indices_of(latent: dict[str, Any]) -> list[int]:
    return list(latent.get("batch_index", range(latent["samples"].shape[0])))


def mask_per_item(latent: dict[str, Any]) -> torch.Tensor | None:
    """The noise mask as [B, 1, h, w] with one mask per item (a single mask is repeated), or None."""
    mask = latent.get("noise_mask")
    if mask is None:
        return None
    count = latent["samples"].shape[0]
    mask = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1]))
    return mask.repeat((-(-count // mask.shape[0]), 1, 1, 1))[:count]


def _derived(latent: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of the latent with new entries; the sampler's empty-latent marker holds only while it is empty."""
    out = {k: v for k, v in latent.items() if k != "empty"}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


class LatentBatch(Node):
    """samples2's items after samples1's; samples2 is resized (bilinear, centre crop) to samples1's size."""

    category = "latent/batch"
    display_name = "Latent Batch"
    inputs = {"samples1": In(LATENT), "samples2": In(LATENT)}
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, samples1: Any, samples2: Any) -> tuple[dict[str, Any]]:
        import torch

        first, second = require_latent("samples1", samples1), require_latent("samples2", samples2)
        a, b = first["samples"], second["samples"]
        if b.shape[-2:] != a.shape[-2:]:
            b = common_upscale(b, a.shape[-1], a.shape[-2], "bilinear", "center")
        out = _derived(first, samples=torch.cat((a, b), dim=0), batch_index=indices_of(first) + indices_of(second))
        if first.get("empty") is not None and first.get("empty") == second.get("empty"):
            out["empty"] = first["empty"]
        return (out,)


class RepeatLatentBatch(Node):
    """The batch repeated `amount` times; repeated items get batch indices after the originals'."""

    category = "latent/batch"
    display_name = "Repeat Latent Batch"
    inputs = {"samples": In(LATENT), "amount": In.int(1, min=1, max=64)}
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, samples: Any, amount: int) -> tuple[dict[str, Any]]:
        latent = require_latent("samples", samples)
        indices = indices_of(latent)
        offset = max(indices) - min(indices) + 1
        mask = mask_per_item(latent)
        out = _derived(latent, samples=latent["samples"].repeat((amount, 1, 1, 1)),
                       noise_mask=mask.repeat((amount, 1, 1, 1)) if mask is not None else None,
                       batch_index=[i + k * offset for k in range(amount) for i in indices])
        if "empty" in latent:
            out["empty"] = latent["empty"]
        return (out,)


class LatentFromBatch(Node):
    """`length` items from `batch_index` on (both clamped to the batch), with their masks and indices."""

    category = "latent/batch"
    display_name = "Latent From Batch"
    inputs = {"samples": In(LATENT), "batch_index": In.int(0, min=0, max=63), "length": In.int(1, min=1, max=64)}
    outputs = {"LATENT": Out(LATENT)}

    def run(self, ctx: Context, samples: Any, batch_index: int, length: int) -> tuple[dict[str, Any]]:
        latent = require_latent("samples", samples)
        part = batch_slice(latent["samples"].shape[0], batch_index, length)
        mask = mask_per_item(latent)
        out = _derived(latent, samples=latent["samples"][part].clone(),
                       noise_mask=mask[part].clone() if mask is not None else None,
                       batch_index=indices_of(latent)[part])
        if "empty" in latent:
            out["empty"] = latent["empty"]
        return (out,)


class RebatchLatents(Node):
    """Every item of every incoming latent, regrouped into batches of batch_size (a new batch starts where the
    size changes); a list output, so each batch runs the nodes downstream once."""

    category = "latent/batch"
    display_name = "Rebatch Latents"
    input_is_list = True
    inputs = {"latents": In(LATENT), "batch_size": In.int(1, min=1, max=4096)}
    outputs = {"LATENT": Out(LATENT, is_list=True)}

    def run(self, ctx: Context, latents: list[Any], batch_size: list[int]) -> tuple[list[dict[str, Any]]]:
        items = [(latent["samples"][i:i + 1], _item_mask(latent, i), index)
                 for latent in (require_latent("latents", value) for value in latents)
                 for i, index in enumerate(indices_of(latent))]
        batches: list[list[Any]] = []
        for item in items:
            if not batches or len(batches[-1]) == batch_size[0] or batches[-1][0][0].shape != item[0].shape:
                batches.append([])
            batches[-1].append(item)
        return ([_joined(batch) for batch in batches],)


def _item_mask(latent: dict[str, Any], i: int) -> torch.Tensor | None:
    mask = mask_per_item(latent)
    return mask[i:i + 1] if mask is not None else None


def _joined(batch: list[Any]) -> dict[str, Any]:
    """One LATENT from (samples, mask, index) items; items without a mask get an all-ones one if others have."""
    import torch

    out: dict[str, Any] = {"samples": torch.cat([s for s, _, _ in batch]), "batch_index": [i for _, _, i in batch]}
    masks = [mask for _, mask, _ in batch]
    known = next((mask for mask in masks if mask is not None), None)
    if known is not None:
        out["noise_mask"] = torch.cat([mask if mask is not None else torch.ones_like(known) for mask in masks])
    return out


NODES = [LatentBatch, RepeatLatentBatch, LatentFromBatch, RebatchLatents]
