"""Text nodes: CLIPTextEncode (ComfyUI's), and a tokenizer / token-encoder pair that shows the tokens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out, Result

from ..types import CLIP, CONDITIONING, TEXT_TOKENS
from .clip import check_clip as _check_clip
from .embeddings import EmbeddingError


def tokens_of(clip: Any, input_name: str, texts: list[str], by_role: dict[str, str] | None = None) -> dict[str, Any]:
    """The clip's TEXT_TOKENS, an unusable `embedding:name` reported on the input its text came from."""
    try:
        return clip.tokenize(texts, by_role)
    except EmbeddingError as exc:
        names = {text: name for name, text in (by_role or {}).items()}
        raise NodeError({"text_encoder": "text_l", "text_encoder_2": "text_g"}.get(names.get(exc.text, ""),
                                                                                    input_name), str(exc)) from None


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
        return (clip.encode(tokens_of(clip, "text", [text]))[:1],)


class CLIPTextTokenize(Node):
    """Split text into the text encoder's tokens; shows them on the node."""

    category = "conditioning/tokens"
    display_name = "Tokenize Text"
    inputs = {"text": In.string("", multiline=True), "clip": In(CLIP)}
    outputs = {"TEXT_TOKENS": Out(TEXT_TOKENS)}
    output_node = True

    def run(self, ctx: Context, text: str, clip: Any) -> Result:
        tokens = tokens_of(_check_clip(clip), "text", [text])
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
        return (replace(clip, layer=stop_at_clip_layer),)


NODES = [CLIPTextEncode, CLIPTextTokenize, CLIPTextEncodeTokens, CLIPSetLastLayer]
