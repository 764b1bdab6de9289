"""Benchmark: loading the shipped checkpoint as a single .safetensors file vs as its diffusers folder, through
Load Checkpoint's own code (a fresh model manager each time, so every load is cold), in one process. Also
times Save Checkpoint's conversion and write. Prints best-of-N seconds and the single-file / folder ratio.

    python bench/single_file.py [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import best  # noqa: E402 - bench/ is the script's own folder

from nodegraph.config import Config  # noqa: E402
from nodegraph.runtime.models import ModelManager  # noqa: E402
from nodegraph_nodes.diffusion import single_file  # noqa: E402
from nodegraph_nodes.diffusion.load import pipeline_handles  # noqa: E402

SHIPPED = ROOT / "models" / "checkpoints" / "shapes-sd"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not (SHIPPED / "model_index.json").is_file():
        sys.exit("models/checkpoints/shapes-sd is not installed")
    from safetensors.torch import save_file

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        (root / "checkpoints").mkdir()
        (root / "checkpoints" / "shapes-sd").symlink_to(SHIPPED, target_is_directory=True)
        file = root / "checkpoints" / "shapes.safetensors"
        config = Config(base_dir=root, models_dirs=(root,), device="cpu")

        def load(path: Path) -> None:
            handles = pipeline_handles(ModelManager(config), path, path.name, "ckpt_name")
            assert handles[0].get() is not None

        model, clip, vae = pipeline_handles(ModelManager(config), SHIPPED, "shapes-sd", "ckpt_name")

        def save() -> None:
            metadata = {single_file.CONFIG_KEY: single_file.embedded_configs(SHIPPED)}
            weights = single_file.to_single_file(model.get(), vae.get(), {"text_encoder": clip.encoder.get()})
            save_file(weights, str(file), metadata=metadata)

        save_seconds = best(save, args.repeats)
        folder_seconds = best(lambda: load(SHIPPED), args.repeats)
        file_seconds = best(lambda: load(file), args.repeats)
        size = file.stat().st_size
    print(f"| what | best of {args.repeats} s |\n|---|---|")
    print(f"| load the diffusers folder (4 components) | {folder_seconds:.3f} |")
    print(f"| load the single file (4 components) | {file_seconds:.3f} |")
    print(f"| save the single file ({size / 2**20:.1f} MiB) | {save_seconds:.3f} |")
    print(f"single-file / folder load time: {file_seconds / folder_seconds:.2f}x")


if __name__ == "__main__":
    main()
