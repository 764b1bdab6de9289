"""Command line: `python -m nodegraph.train [phase] [--out models] [--work .train] [--steps N] [--seed 0]`.

Phases run in dependency order; each resumes from its checkpoint under --work, and a finished phase
only re-exports its weights, so rerunning the same command continues where it stopped.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import torch

from nodegraph.train.chains import CHAINS, run_chains

PHASES = ("tokenizer", "vae", "unet", "controlnet", "unet_language", "vq", "ar", "ar_coarse")
SHARED_PHASES = ("tokenizer", "vae")  # what both chains (nodegraph/train/chains.py) start from
# Steps per phase of the end-to-end run that produced the shipped models (bench/README.md, Training time).
# Round-trip ceilings below are under the earlier fill-ratio judge. The VAE's 3000 steps are what let small
# shapes keep their corners (ceiling 0.82 at 1000, 0.95 at 3000); the ControlNet's IoU levels off by 3250
# steps, so its time went to the UNet. The VQ's ceiling: 0.85 from k-means alone, 0.965 at 900 and at 1200
# steps of its edge-weighted loss.
# Each training phase's function, called as function(out, work, steps, seed).
TRAINERS = {
    "vae": ("nodegraph.train.train_vae", "train_vae"),
    "unet": ("nodegraph.train.train_diffusion", "train_diffusion"),
    "controlnet": ("nodegraph.train.train_controlnet", "train_controlnet"),
    "unet_language": ("nodegraph.train.train_language", "train_diffusion_language"),
    "vq": ("nodegraph.train.train_vq", "train_vq"),
    "ar": ("nodegraph.train.train_ar", "train_ar"),
    "ar_coarse": ("nodegraph.train.train_ar_coarse", "train_ar_coarse"),
}
DEFAULT_STEPS = {"vae": 3000, "unet": 6500, "controlnet": 4000, "unet_language": 2000, "vq": 1200, "ar": 4000,
                 "ar_coarse": 1000}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nodegraph.train", description=__doc__)
    parser.add_argument("phase", nargs="?", default="all", choices=("all", *PHASES, "eval", "curves"))
    parser.add_argument("--out", type=Path, default=Path("models"), help="where shipped models are written")
    parser.add_argument("--work", type=Path, default=Path(".train"), help="checkpoints and learning curves")
    parser.add_argument("--steps", type=int, default=None, help="override the phase's step count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2,
                        help="torch CPU threads; `all` with 2 or more trains its two chains side by side")
    parser.add_argument("--family", default="all", choices=("all", "diffusion", "ar", "controlnet"),
                        help="what `eval` measures")
    parser.add_argument("--eval-json", type=Path, default=None, help="where `eval` writes its figures")
    return parser.parse_args(argv)


def run(phase: str, args: argparse.Namespace) -> None:
    steps = args.steps or DEFAULT_STEPS.get(phase, 0)
    tokenizer_dir = args.work / "tokenizer"
    if phase == "tokenizer":
        from nodegraph.train.text_tokenizer import build_tokenizer

        build_tokenizer(tokenizer_dir, seed=args.seed)
        return
    module, function = TRAINERS[phase]
    # Imported on use: each phase pulls in only its own models' libraries.
    getattr(importlib.import_module(module), function)(args.out, args.work, steps, args.seed)


def chain_options(args: argparse.Namespace) -> list[str]:
    """The command-line options each chain's child process gets (chains.py adds its share of the threads)."""
    options = ["--out", str(args.out), "--work", str(args.work), "--seed", str(args.seed)]
    return options + (["--steps", str(args.steps)] if args.steps else [])


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    if args.phase == "curves":
        from nodegraph.train.curves import all_curves

        print(all_curves(args.work))
        return 0
    if args.phase == "eval":
        from nodegraph.train.evaluate import main as evaluate_main

        return evaluate_main(args.out, args.family, args.eval_json, args.seed)
    if args.phase == "all" and args.threads >= len(CHAINS):
        for phase in SHARED_PHASES:
            print(f"== {phase}", file=sys.stderr)
            run(phase, args)
        return run_chains(chain_options(args), args.threads, args.work)
    phases = PHASES if args.phase == "all" else (args.phase,)
    if args.phase != "all" and args.phase != "tokenizer" and not (args.work / "tokenizer" / "tokenizer.json").exists():
        phases = ("tokenizer", *phases)
    for phase in phases:
        print(f"== {phase}", file=sys.stderr)
        run(phase, args)
    return 0
