"""The coarse autoregressive model for the fast hybrid: the layout as an 8x8 token grid, a quarter of the
full model's 16x16, and export models/autoregressive/shapes-ar-coarse/.

It draws the picture at 32x32 through the same VQ (which is convolutional: a 32x32 picture is an 8x8 grid
of the same codes), so the hybrid workflow decodes it, scales it to 64x64 and lets a short diffusion pass
at partial denoise draw the detail. It starts from the full model as the `ar` phase exported it (its rotary
positions do not depend on the grid) and its tokenizer, and trains on the same mix of template and grammar
captions.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from nodegraph.autoregressive.layout import ArLayout
from nodegraph.train.loop import Phase, run_phase
from nodegraph.train.pools import encoded_pool

COARSE_FOLDER = Path("autoregressive") / "shapes-ar-coarse"
# Half the side: the VQ's 4x downsampling turns a 32x32 picture into an 8x8 grid.
DOWNSCALE = 2


def train_ar_coarse(out: Path, work: Path, steps: int, seed: int):
    from diffusers import VQModel
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    from nodegraph.autoregressive.vq import vq_encode
    from nodegraph.train.train_ar import AR_FOLDER
    from nodegraph.train.train_language import token_step_loss

    torch.manual_seed(seed)
    source = out / AR_FOLDER
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(source / "tokenizer"))
    model = AutoModelForCausalLM.from_pretrained(str(source / "transformer"), use_safetensors=True)
    full, vq = ArLayout.load(source), VQModel.from_pretrained(str(source / "vq"), use_safetensors=True)
    pool = encoded_pool(work / "ar_coarse" / "token_pool.pt", seed,
                        lambda images: vq_encode(vq, F.avg_pool2d(images, DOWNSCALE)))
    grid = pool["codes"].shape[1]
    layout = ArLayout.create(full.text_vocab_size, full.pad_id, full.bos_id, full.prefix_length,
                             full.codebook_size, grid, full.image_size // DOWNSCALE)
    step_loss = token_step_loss(model, layout, tokenizer, pool["codes"], seed, salt=7)
    phase = Phase("ar_coarse", steps, {"transformer": model}, step_loss, lr=3e-4, warmup=100, weight_decay=0.01)
    run_phase(phase, work)
    folder = out / COARSE_FOLDER
    model.save_pretrained(str(folder / "transformer"), safe_serialization=True)
    vq.save_pretrained(str(folder / "vq"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder / "tokenizer"))
    layout.save(folder)
    return model
