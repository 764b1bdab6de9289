"""Load an autoregressive model folder into (ArModel, VqCodec): the nodegraph-ar layout or a Janus folder.

nodegraph-ar layout: transformer/ (a transformers causal LM over one vocabulary of text, specials and image
codes), vq/ (a diffusers VQModel), tokenizer/, and nodegraph_ar.json, the token layout written by the trainer.
Weights load from safetensors only.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .model import ArModel, Prompt, VqCodec, codebook_id, sliced_head, text_tokens, tokenizer_id

LAYOUT_FILE = "nodegraph_ar.json"
LAYOUT_KEYS = ("pad_id", "bos_id", "prefix_length", "boi_id", "image_token_offset", "codebook_size",
               "grid_height", "grid_width", "image_size")


class UnknownModelFolder(ValueError):
    """A folder that is neither a nodegraph-ar layout nor a supported transformers image generator."""


def model_kind(folder: Path) -> str:
    if (folder / LAYOUT_FILE).is_file():
        return "nodegraph-ar"
    config = folder / "config.json"
    if config.is_file() and json.loads(config.read_text()).get("model_type") == "janus":
        return "janus"
    raise UnknownModelFolder(f"{folder.name}: expected {LAYOUT_FILE} (nodegraph-ar layout) or a Janus "
                             "config.json (model_type 'janus')")


def is_model_folder(folder: Path) -> bool:
    try:
        model_kind(folder)
    except (UnknownModelFolder, OSError, json.JSONDecodeError):
        return False
    return True


def load_folder(folder: Path, device: torch.device, dtype: torch.dtype) -> tuple[ArModel, VqCodec]:
    if model_kind(folder) == "janus":
        from .janus import load_janus

        return load_janus(folder, device, dtype)
    return load_layout(folder, device, dtype)


def read_layout(folder: Path) -> dict[str, int]:
    data = json.loads((folder / LAYOUT_FILE).read_text())
    missing = [key for key in LAYOUT_KEYS if key not in data]
    if missing:
        raise UnknownModelFolder(f"{folder.name}/{LAYOUT_FILE} lacks {', '.join(missing)}")
    return {key: int(data[key]) for key in LAYOUT_KEYS}


def load_layout(folder: Path, device: torch.device, dtype: torch.dtype) -> tuple[ArModel, VqCodec]:
    from diffusers import VQModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    layout = read_layout(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))
    lm = AutoModelForCausalLM.from_pretrained(str(folder / "transformer"), use_safetensors=True)
    vq = VQModel.from_pretrained(str(folder / "vq"), use_safetensors=True)
    lm.to(device, dtype).eval()
    vq.to(device, dtype).eval()
    codebook = codebook_id(folder.name, vq.quantize.embedding.weight)
    vocab = tokenizer_id(folder.name, tokenizer)
    grid = (layout["grid_height"], layout["grid_width"])
    embed = lm.get_input_embeddings()
    offset, size = layout["image_token_offset"], layout["codebook_size"]

    def tokenize(texts: list[str]) -> dict:
        # The caption without <eos>: the image follows the caption directly.
        rows = [[i for i in ids if i != tokenizer.eos_token_id] for ids in tokenizer(texts).input_ids]
        return text_tokens(tokenizer, vocab, rows)

    model = ArModel(
        name=folder.name, codebook=codebook, tokenizer_id=vocab, grid=grid, pad_id=layout["pad_id"],
        tokenize=tokenize, prompt=lambda tokens: layout_prompt(layout, tokens),
        unconditional=lambda prompt: layout_prompt(layout, tokenize([""] * prompt.batch)),
        embed_text=embed, embed_codes=lambda codes: embed(codes + offset), backbone=lm.base_model,
        code_logits=sliced_head(lm.get_output_embeddings(), offset, size), module=lm)
    codec = VqCodec(folder.name, codebook, grid, layout["image_size"],
                    encode_fn=lambda pixels: vq_encode(vq, pixels), decode_fn=lambda codes: vq_decode(vq, codes),
                    module=vq)
    return model, codec


def layout_prompt(layout: dict[str, int], tokens: dict) -> Prompt:
    """"<bos> caption <pad>... <boi>" at the fixed length the model was trained on."""
    rows = []
    length, pad = layout["prefix_length"], layout["pad_id"]
    for ids, mask in zip(tokens["input_ids"].tolist(), tokens["attention_mask"].tolist(), strict=True):
        ids = [i for i, m in zip(ids, mask, strict=True) if m and i != pad][:length]
        rows.append(ids + [pad] * (length - len(ids)) + [layout["boi_id"]])
    ids = torch.tensor(rows, dtype=torch.long)
    return Prompt(ids, torch.ones_like(ids))


def vq_encode(vq, pixels: torch.Tensor) -> torch.Tensor:
    latents = vq.encode(pixels).latents
    _, _, (_, _, indices) = vq.quantize(latents)
    return indices.reshape(latents.shape[0], latents.shape[2], latents.shape[3])


def vq_decode(vq, codes: torch.Tensor) -> torch.Tensor:
    n, h, w = codes.shape
    quant = vq.quantize.get_codebook_entry(codes.reshape(-1), (n, h, w, vq.config.vq_embed_dim))
    return vq.decode(quant, force_not_quantize=True).sample


def model_folders(roots: list[Path]) -> dict[str, Path]:
    """name -> folder of every AR model under <root>/autoregressive/ (first root wins on a name clash)."""
    found: dict[str, Path] = {}
    for root in roots:
        base = root / "autoregressive"
        if base.is_dir():
            for folder in sorted(base.iterdir()):
                if folder.is_dir() and folder.name not in found and is_model_folder(folder):
                    found[folder.name] = folder
    return found
