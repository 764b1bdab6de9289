"""ComfyUI's SDXL prompt nodes: CLIPTextEncodeSDXL (a text per encoder, with the size and crop conditioning) and
CLIPTextEncodeSDXLRefiner (the refiner's aesthetic score). Plain CLIPTextEncode also works on SDXL: the sampler
then conditions on the image's own size, as ComfyUI and diffusers do."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import CLIP, CONDITIONING
from .clip import FIRST, SECOND, check_clip
from .encode import tokens_of

MAX_RESOLUTION = 16384


def _size(default: int) -> In:
    return In.int(default, min=0, max=MAX_RESOLUTION)


def _encode(clip: Any, by_role: dict[str, str], extras: dict[str, Any]) -> list[list[Any]]:
    entries = clip.encode(tokens_of(clip, "text", [""], by_role))[:1]
    return [[embedding, {**own, **extras}] for embedding, own in entries]


class CLIPTextEncodeSDXL(Node):
    """Encode text_l with SDXL's first text encoder and text_g with its second, with the original size, crop
    and target size the model conditions on."""

    category = "advanced/conditioning"
    display_name = "CLIP Text Encode (SDXL)"
    inputs = {
        "clip": In(CLIP),
        "width": _size(1024), "height": _size(1024), "crop_w": _size(0), "crop_h": _size(0),
        "target_width": _size(1024), "target_height": _size(1024),
        "text_g": In.string("", multiline=True, extra={"dynamicPrompts": True}),
        "text_l": In.string("", multiline=True, extra={"dynamicPrompts": True}),
    }
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, clip: Any, width: int, height: int, crop_w: int, crop_h: int, target_width: int,
            target_height: int, text_g: str, text_l: str) -> tuple[list]:
        clip = check_clip(clip)
        if clip.style != "sdxl" or not any(tower.role == SECOND for tower in clip.towers):
            raise NodeError("clip", f"{clip.name!r} has no SDXL text encoders; use CLIPTextEncode for it")
        extras = {"width": width, "height": height, "crop_w": crop_w, "crop_h": crop_h,
                  "target_width": target_width, "target_height": target_height}
        return (_encode(clip, {FIRST: text_l, SECOND: text_g}, extras),)


class CLIPTextEncodeSDXLRefiner(Node):
    """Encode a prompt for the SDXL refiner, with the aesthetic score and size it conditions on."""

    category = "advanced/conditioning"
    display_name = "CLIP Text Encode (SDXL Refiner)"
    inputs = {
        "ascore": In.float(6.0, min=0.0, max=1000.0, step=0.01),
        "width": _size(1024), "height": _size(1024),
        "text": In.string("", multiline=True, extra={"dynamicPrompts": True}),
        "clip": In(CLIP),
    }
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, ascore: float, width: int, height: int, text: str, clip: Any) -> tuple[list]:
        clip = check_clip(clip)
        if clip.style != "sdxl":
            raise NodeError("clip", f"{clip.name!r} is not an SDXL refiner's CLIP; use CLIPTextEncode for it")
        extras = {"aesthetic_score": ascore, "width": width, "height": height}
        return (_encode(clip, {tower.role: text for tower in clip.towers}, extras),)


NODES = [CLIPTextEncodeSDXL, CLIPTextEncodeSDXLRefiner]
