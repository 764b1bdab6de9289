"""AR sampling nodes: text -> image tokens, token inpainting, and continuation editing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out

from ..types import AR_MODEL, IMAGE_TOKENS, MASK, TEXT_TOKENS, VQ_MODEL
from .handles import ArModelHandle, VqHandle, loaded
from .tokens import image_tokens, preview, require_token_mask, require_tokens, rows_mask

if TYPE_CHECKING:
    import torch

    from nodegraph.autoregressive.model import ArModel, Prompt, VqCodec

SAMPLING_INPUTS = {
    "ar_model": In(AR_MODEL),
    "prompt": In.string("", multiline=True),
    "negative": In.string("", multiline=True, tooltip="empty: the model's unconditional (no caption) prompt"),
    "seed": In.int(0, min=0, max=2**64 - 1, control_after_generate=True),
    "temperature": In.float(1.0, min=0.0, max=5.0, step=0.05, tooltip="0 = greedy"),
    "top_k": In.int(0, min=0, max=1_000_000, tooltip="0 = no limit"),
    "top_p": In.float(1.0, min=0.0, max=1.0, step=0.01),
    "cfg": In.float(2.0, min=0.0, max=30.0, step=0.1, tooltip="guidance on logits; 1 = off"),
    "use_kv_cache": In.bool(True),
    "batch_size": In.int(1, min=1, max=64),
    # Optional, so API prompts written before it existed still run (one code per pass).
    "parallel_block": In.int(1, min=1, max=256, optional=True, tooltip=(
        "speculative Jacobi decoding: guess this many codes per forward pass and keep those that hold (1 = one "
        "code per pass); greedy gives the same codes, sampling the same distribution, in fewer passes")),
    "vq_model": In(VQ_MODEL, optional=True, tooltip="decodes the progress previews"),
    "text_tokens": In(TEXT_TOKENS, optional=True, tooltip="replaces the prompt text"),
    "negative_tokens": In(TEXT_TOKENS, optional=True, tooltip="replaces the negative text"),
}


def prompt_rows(model: ArModel, name: str, text: str, tokens: dict[str, Any] | None, repeat: int) -> Prompt:
    from nodegraph.autoregressive.model import Prompt

    if tokens is None:
        tokens = model.tokenize([text])
    elif not isinstance(tokens, dict) or tokens.get("tokenizer") != model.tokenizer_id:
        got = tokens.get("tokenizer") if isinstance(tokens, dict) else type(tokens).__name__
        raise NodeError(name, f"TEXT_TOKENS from tokenizer {got!r}; {model.name} reads {model.tokenizer_id!r}")
    prompt = model.prompt(tokens)
    return Prompt(prompt.ids.repeat_interleave(repeat, 0), prompt.mask.repeat_interleave(repeat, 0))


def reporter(ctx: Context, vq: VqCodec | None, rows: int, background: torch.Tensor) -> Any:
    """Progress per finished token row, with a preview of the first image: decoded when a VQ model is
    connected (and the method is not the cheap latent2rgb), the coloured token grid otherwise; none when
    nobody asked for previews. ctx.progress raises when the user interrupts."""
    import torch

    from ..image.convert import to_pil

    method = ctx.preview_method
    decoder = vq if method != "latent2rgb" else None

    def on_row(done: int, codes: torch.Tensor) -> None:
        if method == "none":
            ctx.progress(done, rows)
            return
        partial = torch.where(torch.arange(codes.shape[1])[:, None] < done, codes[0], background[0])[None]
        pixels = decoder.decode(partial) if decoder is not None else preview(partial)
        ctx.progress(done, rows, preview=to_pil(pixels)[0])

    return on_row


def sample(ctx: Context, ar_model: ArModel, prompt: str, negative: str, seed: int, temperature: float, top_k: int,
           top_p: float, cfg: float, use_kv_cache: bool, batch_size: int, parallel_block: int = 1,
           vq_model: VqHandle | None = None,
           text_tokens: dict | None = None, negative_tokens: dict | None = None,
           kept: torch.Tensor | None = None, keep: torch.Tensor | None = None) -> dict[str, Any]:
    """Shared by the three sampler nodes: check inputs, build prompt rows, run the loop, wrap the tokens."""
    import torch

    from nodegraph.autoregressive.generate import Sampling, baseline, generate

    if vq_model is not None:
        vq_model = loaded("vq_model", vq_model, VqHandle, VQ_MODEL)
    if vq_model is not None and vq_model.codebook != ar_model.codebook:
        raise NodeError("vq_model", f"{vq_model.name}'s codebook {vq_model.codebook!r} is not the one "
                                    f"{ar_model.name} writes ({ar_model.codebook!r})")
    guided = cfg != 1.0
    if guided and text_tokens is None and not prompt.strip():
        raise NodeError("prompt", f"guidance (cfg {cfg}) steers toward the prompt and away from the negative, "
                                  "but the prompt is empty; write a prompt or set cfg to 1")
    cond = prompt_rows(ar_model, "text_tokens", prompt, text_tokens, batch_size)
    negative_rows = None
    if guided and (negative_tokens is not None or negative.strip()):
        negative_rows = prompt_rows(ar_model, "negative_tokens", negative, negative_tokens, batch_size)
    uncond = baseline(ar_model, cond, negative_rows, cfg)
    if uncond is not None and uncond.batch != cond.batch:
        raise NodeError("negative_tokens", f"{uncond.batch} negative rows for {cond.batch} prompt rows")
    if kept is not None and kept.shape[0] not in (1, cond.batch):
        raise NodeError("image_tokens", f"{kept.shape[0]} token grids for {cond.batch} prompt rows")
    if kept is not None:
        kept = kept.expand(cond.batch, -1, -1)
        keep = keep.expand(cond.batch, -1, -1)
    generator = torch.Generator().manual_seed(seed)
    height = ar_model.grid[0]
    background = kept if kept is not None else torch.zeros(1, *ar_model.grid, dtype=torch.long)
    codes = generate(ar_model, cond, uncond, Sampling(temperature, top_k, top_p, cfg), generator,
                     kept=kept, keep=keep, use_kv_cache=use_kv_cache, block=parallel_block,
                     on_row=reporter(ctx, vq_model, height, background))
    return image_tokens(codes, ar_model.codebook)


class ARSampler(Node):
    """Generate image tokens from a prompt, one token at a time in raster order (with a KV cache and
    classifier-free guidance on the logits). Decode them with 'Tokens to Image'."""

    category = "sampling/autoregressive"
    display_name = "AR Sampler"
    inputs = dict(SAMPLING_INPUTS)
    outputs = {"image_tokens": Out(IMAGE_TOKENS)}

    def run(self, ctx: Context, ar_model: ArModelHandle, **inputs: Any) -> dict[str, Any]:
        return sample(ctx, loaded("ar_model", ar_model, ArModelHandle, AR_MODEL), **inputs)


class ARInpaint(Node):
    """Regenerate the tokens inside a token mask under a new prompt; tokens outside it are kept exactly
    (teacher-forced in raster order, so each new token sees the kept ones before it)."""

    category = "sampling/autoregressive"
    display_name = "AR Token Inpaint"
    inputs = {"image_tokens": In(IMAGE_TOKENS), "token_mask": In(MASK), **SAMPLING_INPUTS}
    outputs = {"image_tokens": Out(IMAGE_TOKENS)}

    def run(self, ctx: Context, image_tokens: dict, token_mask: torch.Tensor, ar_model: ArModelHandle,
            **inputs: Any) -> dict[str, Any]:
        model = loaded("ar_model", ar_model, ArModelHandle, AR_MODEL)
        kept = require_tokens("image_tokens", image_tokens, model.codebook, model.grid)
        keep = ~require_token_mask("token_mask", token_mask, kept.shape[0], model.grid)
        return sample(ctx, model, kept=kept, keep=keep, **inputs)


class ARContinue(Node):
    """Continuation editing: keep the first rows of the token grid and regenerate the rest under a new
    prompt (the autoregressive way to turn the circle into a square below a kept top)."""

    category = "sampling/autoregressive"
    display_name = "AR Continuation Edit"
    inputs = {"image_tokens": In(IMAGE_TOKENS), "keep_rows": In.int(8, min=0, max=4096), **SAMPLING_INPUTS}
    outputs = {"image_tokens": Out(IMAGE_TOKENS)}

    def run(self, ctx: Context, image_tokens: dict, keep_rows: int, ar_model: ArModelHandle,
            **inputs: Any) -> dict[str, Any]:
        model = loaded("ar_model", ar_model, ArModelHandle, AR_MODEL)
        kept = require_tokens("image_tokens", image_tokens, model.codebook, model.grid)
        if keep_rows > model.grid[0]:
            raise NodeError("keep_rows", f"{keep_rows} rows asked, the token grid has {model.grid[0]}")
        keep = ~rows_mask(kept.shape[0], model.grid, keep_rows)
        return sample(ctx, model, kept=kept, keep=keep, **inputs)


NODES = [ARSampler, ARInpaint, ARContinue]
