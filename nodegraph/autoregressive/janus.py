"""Janus-style models (transformers' JanusForConditionalGeneration) as ArModel + VqCodec.

The language model reads text embeddings, image codes enter through the generation embeddings and aligner,
and the generation head scores the VQ codebook. The prompt is the DeepSeek chat turn followed by
<begin_of_image>; the unconditional prompt keeps <bos> and <begin_of_image> and pads everything else,
exactly as JanusForConditionalGeneration.generate builds it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .model import ArModel, Prompt, VqCodec, codebook_id, text_tokens, tokenizer_id

TEMPLATE = "<|User|>: {text}\n\n<|Assistant|>:"
BOI_TOKEN = "<begin_of_image>"


def special_ids(folder: Path, tokenizer) -> tuple[int, int, int]:
    """(bos, pad, begin-of-image) ids: generation_config.json first, as Janus's generate reads them."""
    config_file = folder / "generation_config.json"
    config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    boi = config.get("generation_kwargs", {}).get("boi_token_id", tokenizer.convert_tokens_to_ids(BOI_TOKEN))
    pad = config.get("pad_token_id", tokenizer.pad_token_id)
    bos = config.get("bos_token_id", tokenizer.bos_token_id)
    return int(bos), int(pad), int(boi)


def chat_prompt(tokenizer, text: str) -> str:
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                             tokenize=False)
    return TEMPLATE.format(text=text)


def left_padded(tokens: dict, pad: int) -> Prompt:
    """TEXT_TOKENS (right-padded rows) as prompt rows that all end at the last column."""
    rows = [ids[: int(mask.sum())] for ids, mask in zip(tokens["input_ids"], tokens["attention_mask"], strict=True)]
    length = max(len(row) for row in rows)
    ids = torch.full((len(rows), length), pad, dtype=torch.long)
    mask = torch.zeros(len(rows), length, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, length - len(row):] = row
        mask[i, length - len(row):] = 1
    return Prompt(ids, mask)


def load_janus(folder: Path, device: torch.device, dtype: torch.dtype) -> tuple[ArModel, VqCodec]:
    from transformers import AutoTokenizer, JanusForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    janus = JanusForConditionalGeneration.from_pretrained(str(folder), use_safetensors=True)
    janus.to(device, dtype).eval()
    vq = janus.model.vqmodel
    bos, pad, boi = special_ids(folder, tokenizer)
    side = vq.quantize.quant_state_dims[0]
    grid = (side, vq.quantize.quant_state_dims[1])
    image_size = side * 2 ** (len(vq.config.channel_multiplier) - 1)
    codebook = codebook_id(folder.name, vq.quantize.embedding.weight)
    vocab = tokenizer_id(folder.name, tokenizer)

    def tokenize(texts: list[str]) -> dict:
        prompts = [chat_prompt(tokenizer, text) + BOI_TOKEN for text in texts]
        # Image tokens follow <begin_of_image> directly: a tokenizer that appends <eos> must not end the prompt.
        rows = [[i for i in tokenizer(p).input_ids if i != tokenizer.eos_token_id] for p in prompts]
        return text_tokens(tokenizer, vocab, rows)

    def unconditional(prompt: Prompt) -> Prompt:
        blank = (prompt.ids != bos) & (prompt.ids != boi)
        return Prompt(prompt.ids.masked_fill(blank, pad), prompt.mask.clone())

    def encode(pixels: torch.Tensor) -> torch.Tensor:
        return vq.encode(pixels).image_tokens.reshape(pixels.shape[0], *grid)

    model = ArModel(
        name=folder.name, codebook=codebook, tokenizer_id=vocab, grid=grid, pad_id=pad, tokenize=tokenize,
        prompt=lambda tokens: left_padded(tokens, pad), unconditional=unconditional,
        embed_text=janus.get_input_embeddings(), embed_codes=janus.prepare_embeddings_for_image_generation,
        backbone=janus.model.language_model, code_logits=janus.model.generation_head, module=janus)
    codec = VqCodec(folder.name, codebook, grid, image_size, encode_fn=encode,
                    decode_fn=lambda codes: vq.decode(codes.reshape(codes.shape[0], -1)), module=vq)
    return model, codec
