"""ComfyUI's prompt nodes for SD3 and Flux: CLIPTextEncodeSD3 (a text per encoder), CLIPTextEncodeFlux (CLIP-L's
and T5's texts and the distilled guidance) and FluxGuidance (set the guidance of a conditioning). Plain
CLIPTextEncode also works on both: every encoder gets the same text."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import CLIP, CONDITIONING, require_conditioning
from .clip import check_clip
from .encode import tokens_of


def _text(default: str = "") -> In:
    return In.string(default, multiline=True, extra={"dynamicPrompts": True})


def _encode(clip: Any, style: str, node: str, by_role: dict[str, str]) -> list[list[Any]]:
    if clip.style != style:
        raise NodeError("clip", f"{node} needs {'an SD3' if style == 'sd3' else 'a Flux'} model's CLIP; "
                                f"{clip.name!r} is not one: use CLIPTextEncode for it")
    texts = {role: text for role, text in by_role.items() if any(tower.role == role for tower in clip.towers)}
    return clip.encode(tokens_of(clip, "clip_l", [""], texts))[:1]


class CLIPTextEncodeSD3(Node):
    """Encode a text for each of SD3's encoders (clip_l, clip_g, t5xxl). As diffusers, every prompt is padded to
    the encoders' lengths (empty_padding is accepted for ComfyUI's workflows and changes nothing)."""

    category = "advanced/conditioning"
    inputs = {"clip": In(CLIP), "clip_l": _text(), "clip_g": _text(), "t5xxl": _text(),
              "empty_padding": In.choice(["none", "empty_prompt"], default="none")}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, clip: Any, clip_l: str, clip_g: str, t5xxl: str, empty_padding: str) -> tuple[list]:
        clip = check_clip(clip)
        return (_encode(clip, "sd3", "CLIPTextEncodeSD3", {"text_encoder": clip_l, "text_encoder_2": clip_g,
                                                           "text_encoder_3": t5xxl}),)


class CLIPTextEncodeFlux(Node):
    """Encode clip_l with Flux's CLIP and t5xxl with its T5, with the distilled guidance Flux dev takes."""

    category = "advanced/conditioning/flux"
    inputs = {"clip": In(CLIP), "clip_l": _text(), "t5xxl": _text(),
              "guidance": In.float(3.5, min=0.0, max=100.0, step=0.1)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, clip: Any, clip_l: str, t5xxl: str, guidance: float) -> tuple[list]:
        clip = check_clip(clip)
        entries = _encode(clip, "flux", "CLIPTextEncodeFlux", {"text_encoder": clip_l, "text_encoder_2": t5xxl})
        return ([[embedding, {**extras, "guidance": guidance}] for embedding, extras in entries],)


class FluxGuidance(Node):
    """Set the distilled guidance of Flux dev (a model input, not classifier-free guidance); schnell ignores it."""

    category = "advanced/conditioning/flux"
    inputs = {"conditioning": In(CONDITIONING), "guidance": In.float(3.5, min=0.0, max=100.0, step=0.1)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, conditioning: Any, guidance: float) -> tuple[list]:
        entries = require_conditioning("conditioning", conditioning)
        return ([[embedding, {**extras, "guidance": guidance}] for embedding, extras in entries],)


NODES = [CLIPTextEncodeSD3, CLIPTextEncodeFlux, FluxGuidance]
