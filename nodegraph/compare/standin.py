"""Stand-ins for shipped models still in training: the trainer's own architectures with random weights, in the
shipped folder layouts, so the cost side of a comparison (seconds per image, peak memory, parameters) can be
measured before training ends. Their adherence and quality figures mean nothing: each stand-in folder holds a
STAND_IN file, and a comparison run over one says so in its report.

`python -m nodegraph.compare.standin DIR` fills DIR with models/checkpoints/shapes-sd and
models/autoregressive/shapes-ar: links to the trained folders where training has finished, stand-ins (reusing
the trained VAE / VQ when those exist) where it has not. Needs the trainer's tokenizer in .train/tokenizer.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..resources import models_dir

MARKER = "STAND_IN"
NOTE = "random weights in the shipped architecture: cost figures are real, adherence and quality are not\n"


def stand_ins(models_dirs: list[Path]) -> list[str]:
    """`kind/name` of every stand-in model folder under the given models folders."""
    return sorted(f"{p.parent.parent.name}/{p.parent.name}" for d in models_dirs for p in Path(d).glob(f"*/*/{MARKER}"))


def _diffusion(target: Path, shipped: Path, tokenizer) -> None:
    from diffusers import AutoencoderKL

    from ..train.architectures import build_text_encoder, build_unet, build_vae
    from ..train.train_diffusion import make_pipeline

    vae = AutoencoderKL.from_pretrained(str(shipped / "vae")) if (shipped / "vae").is_dir() else build_vae()
    text_encoder = build_text_encoder(len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id,
                                      tokenizer.eos_token_id, tokenizer.model_max_length)
    make_pipeline(vae, text_encoder, tokenizer, build_unet()).save_pretrained(str(target), safe_serialization=True)


def _autoregressive(target: Path, shipped: Path, tokenizer) -> None:
    from diffusers import VQModel

    from ..autoregressive.layout import ArLayout
    from ..train.architectures import build_ar, build_vq

    vq = VQModel.from_pretrained(str(shipped / "vq")) if (shipped / "vq").is_dir() else build_vq()
    layout = ArLayout.create(len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id,
                             tokenizer.model_max_length, vq.config.num_vq_embeddings, 16, 64)
    target.mkdir(parents=True, exist_ok=True)
    build_ar(layout.vocab_size, layout.sequence_length).save_pretrained(str(target / "transformer"),
                                                                         safe_serialization=True)
    vq.save_pretrained(str(target / "vq"), safe_serialization=True)
    tokenizer.save_pretrained(str(target / "tokenizer"))
    layout.save(target)


def build(out: Path, models: Path | None = None, work: Path = Path(".train"), seed: int = 0) -> list[str]:
    """Fill `out` (from the shipped models unless `models` says otherwise); returns the names of the stand-ins
    made (the others are links to trained models)."""
    models = models or models_dir()
    import torch

    from ..train.train_ar import AR_FOLDER
    from ..train.train_diffusion import SD_FOLDER, load_tokenizer

    torch.manual_seed(seed)
    made = []
    for folder, done_file, make in ((SD_FOLDER, "model_index.json", _diffusion),
                                    (AR_FOLDER, "nodegraph_ar.json", _autoregressive)):
        shipped, target = models / folder, out / folder
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            continue
        if (shipped / done_file).is_file():
            target.symlink_to(shipped.resolve(), target_is_directory=True)
            continue
        make(target, shipped, load_tokenizer(work))
        (target / MARKER).write_text(NOTE)
        made.append(str(folder))
    return made


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m nodegraph.compare.standin DIR")
    print("stand-ins:", ", ".join(build(Path(sys.argv[1]))) or "none (every model is trained)")
