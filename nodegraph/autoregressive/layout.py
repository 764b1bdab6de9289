"""Token layout of the nodegraph-ar model: one vocabulary for text, specials and image codes.

Sequence: <bos> caption <pad>... (fixed prefix_length) <boi> image tokens in raster order <eoi>.
A fixed-length prefix puts every image token at the same position in every sequence, so batches need
no attention mask and the conditional and unconditional (empty caption) rows of CFG line up.
Written next to the model as nodegraph_ar.json by the trainer; the loader reads it back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

LAYOUT_FILE = "nodegraph_ar.json"
# What a loader needs; the trainer also writes text_vocab_size, eoi_id and vocab_size.
REQUIRED = ("pad_id", "bos_id", "prefix_length", "boi_id", "image_token_offset", "codebook_size",
            "grid_height", "grid_width", "image_size")


class UnknownModelFolder(ValueError):
    """A folder that is neither a nodegraph-ar layout nor a supported transformers image generator."""


@dataclass(frozen=True)
class ArLayout:
    pad_id: int
    bos_id: int
    prefix_length: int  # <bos> + caption words, padded with <pad>
    boi_id: int
    image_token_offset: int  # image token = offset + codebook index
    codebook_size: int
    grid_height: int
    grid_width: int
    image_size: int
    text_vocab_size: int | None = None
    eoi_id: int | None = None
    vocab_size: int | None = None

    @classmethod
    def create(cls, text_vocab_size: int, pad_id: int, bos_id: int, prefix_length: int, codebook_size: int,
               grid: int, image_size: int) -> ArLayout:
        return cls(pad_id=pad_id, bos_id=bos_id, prefix_length=prefix_length, boi_id=text_vocab_size,
                   image_token_offset=text_vocab_size + 2, codebook_size=codebook_size, grid_height=grid,
                   grid_width=grid, image_size=image_size, text_vocab_size=text_vocab_size,
                   eoi_id=text_vocab_size + 1, vocab_size=text_vocab_size + 2 + codebook_size)

    @property
    def grid(self) -> tuple[int, int]:
        return self.grid_height, self.grid_width

    @property
    def image_tokens(self) -> int:
        return self.grid_height * self.grid_width

    @property
    def sequence_length(self) -> int:
        return self.prefix_length + 1 + self.image_tokens + 1

    def save(self, folder: Path) -> None:
        data = {"format": "nodegraph-ar/1", **asdict(self), "sequence_length": self.sequence_length,
                "components": {"transformer": "transformer", "vq": "vq", "tokenizer": "tokenizer"},
                "vq_decode": "codes -> VQModel.quantize.get_codebook_entry -> VQModel.decode(force_not_quantize=True)"}
        (folder / LAYOUT_FILE).write_text(json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, folder: Path) -> ArLayout:
        data = json.loads((folder / LAYOUT_FILE).read_text())
        missing = [key for key in REQUIRED if key not in data]
        if missing:
            raise UnknownModelFolder(f"{folder.name}/{LAYOUT_FILE} lacks {', '.join(missing)}")
        return cls(**{key: int(data[key]) for key in cls.__dataclass_fields__ if data.get(key) is not None})

    def prefix(self, caption_ids: list[list[int]]) -> torch.Tensor:
        """Token ids of "<bos> caption" (the tokenizer's ids, without <eos>) padded, then <boi>: [B, prefix+1]."""
        rows = []
        for ids in caption_ids:
            ids = [i for i in ids if i != self.pad_id][: self.prefix_length]
            rows.append(ids + [self.pad_id] * (self.prefix_length - len(ids)) + [self.boi_id])
        return torch.tensor(rows, dtype=torch.long)

    def unconditional(self, batch: int) -> torch.Tensor:
        """The "no caption" prefix the model learns under caption dropout, and guidance steers away from."""
        return self.prefix([[self.bos_id]] * batch)


def caption_ids(tokenizer: Any, captions: list[str]) -> list[list[int]]:
    """The tokenizer's "<bos> words <eos>" ids with <eos> dropped: the image follows the caption directly."""
    encoded = tokenizer(captions).input_ids
    return [[i for i in ids if i != tokenizer.eos_token_id] for ids in encoded]
