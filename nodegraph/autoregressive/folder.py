"""Build (ArModel, VqCodec) from an autoregressive model: a folder (the nodegraph-ar layout or a Janus
folder), or the nodegraph-ar parts in memory (the trainer's evaluation of the model it is training).

nodegraph-ar layout: transformer/ (a transformers causal LM over one vocabulary of text, specials and image
codes), vq/ (a diffusers VQModel), tokenizer/, and nodegraph_ar.json, the token layout written by the trainer.
Weights load from safetensors only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from .layout import LAYOUT_FILE, ArLayout, UnknownModelFolder, caption_ids
from .model import ArModel, Prompt, VqCodec, codebook_id, sliced_head, text_tokens, tokenizer_id
from .vq import vq_decode, vq_encode

__all__ = ["UnknownModelFolder", "layout_model", "layout_prompt", "load_folder", "load_layout", "model_kind"]


def model_kind(folder: Path) -> str:
    if (folder / LAYOUT_FILE).is_file():
        return "nodegraph-ar"
    config = folder / "config.json"
    if config.is_file() and json.loads(config.read_text()).get("model_type") == "janus":
        return "janus"
    raise UnknownModelFolder(f"{folder.name}: expected {LAYOUT_FILE} (nodegraph-ar layout) or a Janus "
                             "config.json (model_type 'janus')")


def load_folder(folder: Path, device: torch.device, dtype: torch.dtype) -> tuple[ArModel, VqCodec]:
    if model_kind(folder) == "janus":
        from .janus import load_janus

        return load_janus(folder, device, dtype)
    return load_layout(folder, device, dtype)


def load_layout(folder: Path, device: torch.device, dtype: torch.dtype) -> tuple[ArModel, VqCodec]:
    from diffusers import VQModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    layout = ArLayout.load(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))
    lm = AutoModelForCausalLM.from_pretrained(str(folder / "transformer"), use_safetensors=True)
    # The dtype goes to from_pretrained: diffusers warns on every `to(dtype)` of a VQModel.
    vq = VQModel.from_pretrained(str(folder / "vq"), use_safetensors=True, torch_dtype=dtype)
    lm.to(device, dtype).eval()
    vq.to(device).eval()
    return layout_model(folder.name, lm, vq, tokenizer, layout)


def layout_model(name: str, lm: Any, vq: Any, tokenizer: Any, layout: ArLayout) -> tuple[ArModel, VqCodec]:
    """The handles over a nodegraph-ar causal LM, VQModel and tokenizer; they share the modules' weights,
    so a model in training is evaluated exactly as the AR Sampler node runs it once shipped."""
    codebook = codebook_id(name, vq.quantize.embedding.weight)
    vocab = tokenizer_id(name, tokenizer)
    embed = lm.get_input_embeddings()
    offset, size = layout.image_token_offset, layout.codebook_size

    def tokenize(texts: list[str]) -> dict:
        return text_tokens(tokenizer, vocab, caption_ids(tokenizer, texts))

    def unconditional(prompt: Prompt) -> Prompt:
        ids = layout.unconditional(prompt.batch)
        return Prompt(ids, torch.ones_like(ids))

    model = ArModel(
        name=name, codebook=codebook, tokenizer_id=vocab, grid=layout.grid, pad_id=layout.pad_id,
        tokenize=tokenize, prompt=lambda tokens: layout_prompt(layout, tokens), unconditional=unconditional,
        embed_text=embed, embed_codes=lambda codes: embed(codes + offset), backbone=lm.base_model,
        code_logits=sliced_head(lm.get_output_embeddings(), offset, size), module=lm)
    codec = VqCodec(name, codebook, layout.grid, layout.image_size,
                    encode_fn=lambda pixels: vq_encode(vq, pixels), decode_fn=lambda codes: vq_decode(vq, codes),
                    module=vq)
    return model, codec


def layout_prompt(layout: ArLayout, tokens: dict) -> Prompt:
    """TEXT_TOKENS as "<bos> caption <pad>... <boi>" rows at the fixed length the model was trained on."""
    rows = [[i for i, m in zip(ids, mask, strict=True) if m]
            for ids, mask in zip(tokens["input_ids"].tolist(), tokens["attention_mask"].tolist(), strict=True)]
    ids = layout.prefix(rows)
    return Prompt(ids, torch.ones_like(ids))
