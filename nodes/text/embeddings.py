"""Textual-inversion embeddings in prompts: `embedding:name` (ComfyUI's syntax) stands for the vectors of
models/embeddings/name[.safetensors], placed at their tokens' positions while the text encoder runs (a hook on
its token embedding, removed after), so the cached tokenizer and encoder are never changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from nodegraph.runtime.models import ModelNotFound

if TYPE_CHECKING:
    import torch

_WORD = re.compile(r"embedding:(\S+)")
_PREFIX = "embedding:"


class EmbeddingError(ValueError):
    """A prompt's embedding that cannot be used; `text` is the prompt it came from."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


def _resolve(manager: Any, word: str, text: str) -> tuple[Any, str, str]:
    """(path, name, the rest of the word): ComfyUI's rule, trailing characters (a comma...) that make the name
    unknown are cut off and stay in the text."""
    for cut in range(len(word), 0, -1):
        name = word[:cut]
        for candidate in (name, name + ".safetensors"):
            try:
                return manager.find("embeddings", candidate), name, word[cut:]
            except ModelNotFound:
                continue
    available = ", ".join(manager.list("embeddings")) or "none"
    raise EmbeddingError(f"no embedding named {word!r} in the embeddings folders (available: {available}); "
                         "only .safetensors embeddings load", text)


def _read(path: Any) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    if path.suffix != ".safetensors":
        raise ValueError(f"{path.name}: only .safetensors embeddings load (.pt and .bin files are pickles)")
    return load_file(str(path))


def vectors_for(tensors: dict[str, torch.Tensor], role: str, width: int, name: str, text: str) -> torch.Tensor:
    """The [n, width] vectors an embedding file holds for one text encoder: SDXL files keep clip_l and clip_g,
    A1111's emb_params, diffusers' its token; otherwise the one tensor of the encoder's width."""
    own = {"text_encoder": "clip_l", "text_encoder_2": "clip_g"}.get(role)
    if own in tensors:
        chosen = tensors[own]
    elif "emb_params" in tensors:
        chosen = tensors["emb_params"]
    else:
        fitting = [t for t in tensors.values() if t.shape[-1] == width]
        chosen = fitting[0] if fitting else next(iter(tensors.values()), None)
    if chosen is None or chosen.ndim not in (1, 2):
        raise EmbeddingError(f"embedding {name!r} holds no vectors (keys: {', '.join(list(tensors)[:5])})", text)
    chosen = chosen.reshape(-1, chosen.shape[-1])
    if chosen.shape[-1] != width:
        raise EmbeddingError(f"embedding {name!r} has vectors {chosen.shape[-1]} wide but this CLIP's {role} "
                             f"embeds tokens {width} wide: it was made for another model", text)
    return chosen


def tokenize(manager: Any, tower: Any, texts: list[str]) -> dict[str, Any]:
    """One tower's tokens for a batch of texts: ids and mask padded to the tokenizer's max length, the tokens
    shown, and per text the (position, vectors) of its embeddings (None when no text has any)."""
    import torch

    tok = tower.tokenizer.get()
    if not any(_PREFIX in text for text in texts):
        batch = tok(texts, padding="max_length", max_length=tower.max_length or tok.model_max_length, truncation=True,
                    return_tensors="pt")
        shown = [tok.convert_ids_to_tokens(ids[mask.bool()].tolist())
                 for ids, mask in zip(batch.input_ids, batch.attention_mask, strict=True)]
        return {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask, "tokens": shown,
                "inject": None}
    width = int(tower.encoder.get().get_input_embeddings().weight.shape[1])
    rows = [_assemble(manager, tok, tower.role, width, text) for text in texts]
    return {"input_ids": torch.tensor([r[0] for r in rows]), "attention_mask": torch.tensor([r[1] for r in rows]),
            "tokens": [r[2] for r in rows], "inject": [r[3] for r in rows]}


def _assemble(manager: Any, tok: Any, role: str, width: int, text: str) -> tuple[list[int], list[int], list[str],
                                                                                  list[tuple[int, Any]]]:
    """As the tokenizer's own call (BOS, the words' tokens, EOS, padding; truncated to the max length), with
    each embedding's vectors as that many placeholder tokens (BOS ids: never taken for the EOS when pooling)."""
    ids: list[int] = []
    shown: list[str] = []
    inject: list[tuple[int, Any]] = []
    pieces = _WORD.split(text)  # text, name, text, name, ..., text
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            words = tok(piece, add_special_tokens=False).input_ids if piece else []
            ids += words
            shown += tok.convert_ids_to_tokens(words)
            continue
        path, name, rest = _resolve(manager, piece, text)
        vectors = vectors_for(manager.load(f"embedding:{path}", lambda device, dtype, p=path: _read(p),
                                           kind="embeddings", name=name), role, width, name, text)
        inject.append((1 + len(ids), vectors))
        ids += [tok.bos_token_id] * len(vectors)
        shown += [f"{_PREFIX}{name}"] * len(vectors)
        if rest:
            pieces[index + 1] = rest + pieces[index + 1]
    body = tok.model_max_length - 2
    inject = [(pos, vectors[:body + 1 - pos]) for pos, vectors in inject if pos <= body]
    real = [tok.bos_token_id, *ids[:body], tok.eos_token_id]
    padding = tok.model_max_length - len(real)
    return (real + [tok.pad_token_id] * padding, [1] * len(real) + [0] * padding,
            [tok.bos_token, *shown[:body], tok.eos_token], inject)


@contextmanager
def injected(encoder: Any, inject: list[list[tuple[int, Any]]] | None) -> Iterator[None]:
    """While the encoder runs, its token embedding's output carries the embeddings' vectors at their positions."""
    if not inject or not any(inject):
        yield
        return

    def hook(module: Any, args: Any, output: torch.Tensor) -> torch.Tensor:
        output = output.clone()
        for row, items in enumerate(inject):
            for position, vectors in items:
                output[row, position:position + len(vectors)] = vectors.to(output.device, output.dtype)
        return output

    handle = encoder.get_input_embeddings().register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
