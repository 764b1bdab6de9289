"""The CLIP handle: a tokenizer and a text encoder, turning text into TEXT_TOKENS and tokens into CONDITIONING
exactly as StableDiffusionPipeline.encode_prompt does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diffusion.handles import Handle

if TYPE_CHECKING:
    import torch


def tokenizer_loader(path: Path) -> Callable[[torch.device, torch.dtype], Any]:
    def load(device: torch.device, dtype: torch.dtype) -> Any:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path))

    return load


@dataclass(eq=False, repr=False)
class ClipHandle:
    """CLIP: the tokenizer handle and the text-encoder handle of one checkpoint."""

    tokenizer: Handle
    encoder: Handle
    name: str
    # Final layers left out (CLIPSetLastLayer; diffusers' clip_skip): 0 uses the last layer's output.
    skip: int = 0

    def __repr__(self) -> str:
        return f"<ClipHandle {self.name}" + (f" skip {self.skip}>" if self.skip else ">")

    def layers(self) -> int:
        return int(self.encoder.get().config.num_hidden_layers)

    def tokenize(self, texts: list[str]) -> dict[str, Any]:
        """TEXT_TOKENS, padded to the tokenizer's max length (what the encoder was trained on)."""
        tok = self.tokenizer.get()
        batch = tok(texts, padding="max_length", max_length=tok.model_max_length, truncation=True,
                    return_tensors="pt")
        shown = []
        for ids, mask in zip(batch.input_ids, batch.attention_mask, strict=True):
            shown.append(tok.convert_ids_to_tokens(ids[mask.bool()].tolist()))
        return {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask, "tokens": shown,
                "tokenizer": self.name}

    def encode(self, tokens: dict[str, Any]) -> list[list[Any]]:
        """CONDITIONING for each prompt in the batch: last hidden state (and the pooled output)."""
        import torch

        with torch.no_grad():
            return self._encode(tokens)

    def _encode(self, tokens: dict[str, Any]) -> list[list[Any]]:
        encoder = self.encoder.get()
        ids = tokens["input_ids"].to(self.encoder.device)
        mask = None
        if getattr(encoder.config, "use_attention_mask", False):
            mask = tokens["attention_mask"].to(ids.device)
        if self.skip:
            output = encoder(ids, attention_mask=mask, output_hidden_states=True)
            # As diffusers' encode_prompt(clip_skip=...): an earlier layer's output, through the final LayerNorm
            # the last layer's output also passes (transformers 5.6+ flattened CLIPTextModel's text_model).
            norm = getattr(encoder, "text_model", encoder).final_layer_norm
            hidden = norm(output.hidden_states[-(self.skip + 1)]).to(dtype=encoder.dtype)
        else:
            output = encoder(ids, attention_mask=mask)
            hidden = output[0].to(dtype=encoder.dtype)
        pooled = getattr(output, "pooler_output", None)
        return [[hidden[i:i + 1].cpu(), {"pooled_output": None if pooled is None else pooled[i:i + 1].cpu()}]
                for i in range(hidden.shape[0])]
