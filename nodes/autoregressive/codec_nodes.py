"""Nodes around the model and its image tokenizer: load, text -> TEXT_TOKENS, IMAGE <-> IMAGE_TOKENS, token masks."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out, Result
from nodegraph.runtime.models import model_choices

from ..types import (
    AR_MODEL,
    IMAGE,
    IMAGE_TOKENS,
    MASK,
    TEXT_TOKENS,
    VQ_MODEL,
    require_image,
    require_mask,
    same_size,
)
from .handles import ArModelHandle, VqHandle, loaded
from .tokens import MASK_RULES, downsample_mask, image_tokens, preview, require_tokens

if TYPE_CHECKING:
    import torch

KIND = "autoregressive"


def show_grid(ctx: Context, indices: torch.Tensor) -> list[dict[str, str]]:
    """Write the token grid preview of each image to the temp folder: the node's UI images."""
    from ..image.convert import to_pil

    folder = ctx.files.root("temp")
    shown = []
    for picture in to_pil(preview(indices)):
        name = f"ar_tokens_{secrets.token_hex(5)}.png"
        picture.save(folder / name, format="PNG", compress_level=1)
        shown.append({"filename": name, "subfolder": "", "type": "temp"})
    return shown


def load_model(ctx: Context, name: str) -> tuple[ArModelHandle, VqHandle]:
    """Handles on the model folder's one manager entry, loaded now so a broken folder is reported here."""
    from nodegraph.autoregressive.folder import UnknownModelFolder, load_folder

    models = ctx.models
    try:
        folder = models.find(KIND, name)
    except LookupError as exc:
        raise NodeError("model_name", str(exc)) from exc

    def load(device: torch.device, dtype: torch.dtype) -> Any:
        return load_folder(folder, device, dtype)

    key = f"{KIND}/{name}"
    handles = ArModelHandle(models, key, load, KIND, name), VqHandle(models, key, load, KIND, name)
    try:
        handles[0].get()
    except (UnknownModelFolder, OSError) as exc:
        raise NodeError("model_name", f"cannot load {name!r}: {exc}") from exc
    return handles


class ARModelLoader(Node):
    """Load an autoregressive image model: the transformer (AR_MODEL) and its VQ image tokenizer (VQ_MODEL).
    Reads the nodegraph-ar layout (nodegraph_ar.json) and transformers Janus folders."""

    category = "loaders/autoregressive"
    display_name = "Load AR Model"
    inputs = {"model_name": In.choice(model_choices(KIND))}
    outputs = {"ar_model": Out(AR_MODEL), "vq_model": Out(VQ_MODEL)}

    def run(self, ctx: Context, model_name: str) -> tuple[ArModelHandle, VqHandle]:
        return load_model(ctx, model_name)


class ARTextTokenize(Node):
    """Turn a caption into the AR model's TEXT_TOKENS (to inspect, or feed several samplers the same tokens)."""

    category = "conditioning/autoregressive"
    display_name = "AR Text Tokenize"
    inputs = {"ar_model": In(AR_MODEL), "text": In.string("", multiline=True)}
    outputs = {"text_tokens": Out(TEXT_TOKENS)}

    def run(self, ctx: Context, ar_model: ArModelHandle, text: str) -> dict[str, Any]:
        return loaded("ar_model", ar_model, ArModelHandle, AR_MODEL).tokenize([text])


class ImageTokenEncode(Node):
    """Encode an image into a grid of VQ codebook indices; shows the token grid on the node."""

    category = "latent/autoregressive"
    display_name = "Image to Tokens (VQ Encode)"
    inputs = {"vq_model": In(VQ_MODEL), "image": In(IMAGE)}
    outputs = {"image_tokens": Out(IMAGE_TOKENS)}

    def run(self, ctx: Context, vq_model: VqHandle, image: torch.Tensor) -> Result:
        vq_model = loaded("vq_model", vq_model, VqHandle, VQ_MODEL)
        image = require_image("image", image)
        size = vq_model.image_size
        if tuple(image.shape[1:3]) != (size, size):
            raise NodeError("image", f"image is {image.shape[2]}x{image.shape[1]} but {vq_model.name}'s tokenizer "
                                     f"takes {size}x{size}; scale the image first")
        indices = vq_model.encode(image)
        return Result((image_tokens(indices, vq_model.codebook),), ui={"images": show_grid(ctx, indices)})


class ImageTokenDecode(Node):
    """Decode a grid of VQ codebook indices back into an image."""

    category = "latent/autoregressive"
    display_name = "Tokens to Image (VQ Decode)"
    inputs = {"vq_model": In(VQ_MODEL), "image_tokens": In(IMAGE_TOKENS)}
    outputs = {"image": Out(IMAGE)}

    def run(self, ctx: Context, vq_model: VqHandle, image_tokens: dict[str, Any]) -> torch.Tensor:
        vq_model = loaded("vq_model", vq_model, VqHandle, VQ_MODEL)
        indices = require_tokens("image_tokens", image_tokens, vq_model.codebook, vq_model.grid)
        return vq_model.decode(indices)


class PreviewImageTokens(Node):
    """Show a token grid on the node: each codebook index as its own colour, one square per token."""

    category = "latent/autoregressive"
    display_name = "Preview Image Tokens"
    output_node = True
    inputs = {"image_tokens": In(IMAGE_TOKENS)}
    outputs = {}

    def run(self, ctx: Context, image_tokens: dict[str, Any]) -> Result:
        codebook = image_tokens.get("codebook") if isinstance(image_tokens, dict) else None
        indices = require_tokens("image_tokens", image_tokens, str(codebook))
        return Result((), ui={"images": show_grid(ctx, indices)})


class TokenMaskFromMask(Node):
    """Downsample a pixel MASK to the token grid: a token is repainted if any (or most) of its pixels are."""

    category = "mask/autoregressive"
    display_name = "Token Mask from Mask"
    inputs = {"vq_model": In(VQ_MODEL), "mask": In(MASK), "rule": In.choice(MASK_RULES, default="any")}
    outputs = {"token_mask": Out(MASK)}

    def run(self, ctx: Context, vq_model: VqHandle, mask: torch.Tensor, rule: str) -> torch.Tensor:
        vq_model = loaded("vq_model", vq_model, VqHandle, VQ_MODEL)
        mask = require_mask("mask", mask)
        same_size("mask", mask, vq_model.image_size, vq_model.image_size, f"{vq_model.name}'s image")
        return downsample_mask(mask, vq_model.grid, rule)


NODES = [ARModelLoader, ARTextTokenize, ImageTokenEncode, ImageTokenDecode, PreviewImageTokens,
         TokenMaskFromMask]
