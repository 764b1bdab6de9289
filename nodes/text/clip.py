"""The CLIP handle: one or two (tokenizer, text encoder) towers turning text into TEXT_TOKENS and tokens into
CONDITIONING exactly as diffusers' pipelines encode prompts: StableDiffusionPipeline's last layer (SD 1.x/2.x),
StableDiffusionXLPipeline's penultimate layers of both encoders side by side, with the pooled projection; SD3's
and Flux's (CLIP and T5) in dit_encode.py."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodegraph import NodeError

from . import embeddings

if TYPE_CHECKING:
    import torch

    from ..diffusion.handles import Handle

# A tower's role is its diffusers component name (and its LoRA key prefix); SDXL's second encoder (OpenCLIP
# bigG, with projection) is text_encoder_2, and it is the refiner's only one.
FIRST, SECOND = "text_encoder", "text_encoder_2"


def tokenizer_loader(path: Path) -> Callable[[torch.device, torch.dtype], Any]:
    def load(device: torch.device, dtype: torch.dtype) -> Any:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path))

    return load


@dataclass(frozen=True, eq=False)
class Tower:
    tokenizer: Handle
    encoder: Handle
    role: str = FIRST
    t5: bool = False  # a T5 encoder (SD3's third, Flux's second): its last hidden state, no pooling
    max_length: int | None = None  # tokens a prompt is padded to; None: the tokenizer's model_max_length


@dataclass(eq=False, repr=False)
class ClipHandle:
    """CLIP: the text towers of one checkpoint. `style` "sd" encodes with the last layer (through the final
    LayerNorm); "sdxl" with the penultimate layer of every tower, concatenated, plus the last tower's pooled
    projection. `layer` is CLIPSetLastLayer's choice (None: the style's default), `loras` the LoRAs applied."""

    towers: tuple[Tower, ...]
    name: str
    style: str = "sd"
    layer: int | None = None
    loras: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        extra = (f" layer {self.layer}" if self.layer else "") + "".join(f" +{ref.name}" for ref in self.loras)
        return f"<ClipHandle {self.name}{extra}>"

    @property
    def tokenizer(self) -> Handle:
        return self.towers[0].tokenizer

    @property
    def encoder(self) -> Handle:
        return self.towers[0].encoder

    @property
    def manager(self) -> Any:
        return self.encoder.manager

    def layers(self) -> int:
        """Layers of the shallowest tower (the deepest layer CLIPSetLastLayer can reach in every tower)."""
        return min(int(tower.encoder.get().config.num_hidden_layers) for tower in self.towers if not tower.t5)

    def tokenize(self, texts: list[str], by_role: dict[str, str] | None = None) -> dict[str, Any]:
        """TEXT_TOKENS, padded to each tokenizer's max length (what the encoders were trained on). `by_role`
        gives a tower its own text (CLIPTextEncodeSDXL's text_l and text_g); `embedding:name` words become
        that textual-inversion embedding's vectors."""
        towers = []
        for tower in self.towers:
            own = [by_role[tower.role]] * len(texts) if by_role and tower.role in by_role else texts
            towers.append({"role": tower.role, **embeddings.tokenize(self.manager, tower, own)})
        first = towers[0]
        return {"input_ids": first["input_ids"], "attention_mask": first["attention_mask"], "tokens": first["tokens"],
                "tokenizer": self.name, "towers": towers}

    def encode(self, tokens: dict[str, Any]) -> list[list[Any]]:
        """CONDITIONING for each prompt in the batch: the hidden states (and the pooled output)."""
        import torch

        towers = tokens.get("towers") or [{"role": self.towers[0].role, **tokens}]
        if self.style in ("sd3", "flux"):
            from .dit_encode import encode

            with torch.no_grad(), ExitStack() as stack:
                stack.callback(self._release)  # registered first, so it runs after any LoRA is removed
                return encode(self, [self._encoder(stack, tower) for tower in self.towers], towers)
        with torch.no_grad(), ExitStack() as stack:
            stack.callback(self._release)
            states, pooled = [], None
            for tower, part in zip(self.towers, towers, strict=True):
                module = self._encoder(stack, tower)
                hidden, pooled_here = self._encode_tower(module, part, last=tower is self.towers[-1])
                states.append(hidden)
                pooled = pooled_here if pooled_here is not None else pooled
            hidden = torch.cat(states, dim=-1) if len(states) > 1 else states[0]
        return [[hidden[i:i + 1].cpu(), {"pooled_output": None if pooled is None else pooled[i:i + 1].cpu()}]
                for i in range(hidden.shape[0])]

    def _release(self) -> None:
        """The conditioning exists: under a memory budget on an accelerator the towers (T5 above all) leave it
        for CPU memory until next used, so the denoiser has the room (ModelManager.release)."""
        for tower in self.towers:
            self.manager.release(tower.encoder.key)

    def _encoder(self, stack: ExitStack, tower: Tower) -> Any:
        if not self.loras:
            return tower.encoder.get()
        from ..diffusion import lora

        return stack.enter_context(lora.applied(tower.encoder, tower.role, self.loras))

    def _encode_tower(self, encoder: Any, part: dict[str, Any], last: bool) -> tuple[Any, Any]:
        ids = part["input_ids"].to(self.encoder.device)
        with embeddings.injected(encoder, part.get("inject")):
            if self.style == "sdxl":
                # As StableDiffusionXLPipeline.encode_prompt: a hidden layer as it is (no final LayerNorm), the
                # penultimate by default; the pooled output is the projection (text_embeds) of the last tower.
                output = encoder(ids, output_hidden_states=True)
                hidden = output.hidden_states[self.layer or -2]
                pooled = output[0] if last and output[0].ndim == 2 else None
                return hidden.to(dtype=encoder.dtype), pooled
            mask = part["attention_mask"].to(ids.device) if getattr(encoder.config, "use_attention_mask",
                                                                     False) else None
            if self.layer is not None and self.layer < -1:
                output = encoder(ids, attention_mask=mask, output_hidden_states=True)
                # As diffusers' encode_prompt(clip_skip=...): an earlier layer's output, through the final
                # LayerNorm the last layer's output also passes (transformers 5.6+ flattened CLIPTextModel).
                norm = getattr(encoder, "text_model", encoder).final_layer_norm
                hidden = norm(output.hidden_states[self.layer]).to(dtype=encoder.dtype)
            else:
                output = encoder(ids, attention_mask=mask)
                hidden = output[0].to(dtype=encoder.dtype)
            return hidden, getattr(output, "pooler_output", None)


def check_clip(clip: Any, name: str = "clip") -> ClipHandle:
    if not isinstance(clip, ClipHandle):
        raise NodeError(name, f"expected a CLIP from a checkpoint or CLIP loader, got {type(clip).__name__}")
    return clip
