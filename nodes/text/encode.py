"""Text nodes: CLIPTextEncode (ComfyUI's), and a tokenizer / token-encoder pair that shows the tokens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out, Result

from ..types import CLIP, CONDITIONING, TEXT_TOKENS


def _check_clip(clip: Any) -> Any:
    if not hasattr(clip, "tokenize") or not hasattr(clip, "encode"):
        raise NodeError("clip", f"expected a CLIP from a checkpoint loader, got {type(clip).__name__}")
    return clip


class CLIPTextEncode(Node):
    """Encode a text prompt with the checkpoint's text encoder into conditioning for the sampler."""

    category = "conditioning"
    display_name = "CLIP Text Encode (Prompt)"
    inputs = {
        "text": In.string("", multiline=True, extra={"dynamicPrompts": True}),
        "clip": In(CLIP),
    }
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, text: str, clip: Any) -> tuple[list]:
        clip = _check_clip(clip)
        return (clip.encode(clip.tokenize([text]))[:1],)


class CLIPTextTokenize(Node):
    """Split text into the text encoder's tokens; shows them on the node."""

    category = "conditioning/tokens"
    display_name = "Tokenize Text"
    inputs = {"text": In.string("", multiline=True), "clip": In(CLIP)}
    outputs = {"TEXT_TOKENS": Out(TEXT_TOKENS)}
    output_node = True

    def run(self, ctx: Context, text: str, clip: Any) -> Result:
        tokens = _check_clip(clip).tokenize([text])
        ids = tokens["input_ids"][0][tokens["attention_mask"][0].bool()].tolist()
        shown = f"{len(ids)} tokens: " + " ".join(tokens["tokens"][0]) + "\nids: " + " ".join(map(str, ids))
        return Result((tokens,), ui={"text": [shown]})


class CLIPTextEncodeTokens(Node):
    """Encode already-tokenized text (TEXT_TOKENS) into conditioning."""

    category = "conditioning/tokens"
    display_name = "Encode Tokens"
    inputs = {"tokens": In(TEXT_TOKENS), "clip": In(CLIP)}
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, tokens: Any, clip: Any) -> tuple[list]:
        clip = _check_clip(clip)
        if not isinstance(tokens, dict) or "input_ids" not in tokens:
            raise NodeError("tokens", f"expected TEXT_TOKENS from a tokenizer node, got {type(tokens).__name__}")
        if tokens.get("tokenizer") != clip.name:
            raise NodeError("tokens", f"tokens come from {tokens.get('tokenizer')!r}'s tokenizer but the encoder "
                                      f"is {clip.name!r}'s; their ids would not mean the same words")
        return (clip.encode(tokens)[:1],)


class CLIPSetLastLayer(Node):
    """Use an earlier layer of the text encoder ("clip skip"): -1 is the last layer, -2 the one before."""

    category = "conditioning"
    display_name = "CLIP Set Last Layer"
    inputs = {"clip": In(CLIP), "stop_at_clip_layer": In.int(-1, min=-24, max=-1, step=1)}
    outputs = {"CLIP": Out(CLIP)}

    def run(self, ctx: Context, clip: Any, stop_at_clip_layer: int) -> tuple[Any]:
        clip = _check_clip(clip)
        layers = clip.layers()
        if -stop_at_clip_layer > layers:
            raise NodeError("stop_at_clip_layer", f"{stop_at_clip_layer} is past the first layer: {clip.name!r}'s "
                                                  f"text encoder has {layers} (the lowest is {-layers})")
        return (replace(clip, skip=-stop_at_clip_layer - 1),)


NODES = [CLIPTextEncode, CLIPTextTokenize, CLIPTextEncodeTokens, CLIPSetLastLayer]
