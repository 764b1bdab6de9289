"""`nodegraph compare`: run each family's shipped workflow on the same prompts, seeds and machine, and write
the measured trade-offs (table, JSON, contact sheet, speed-vs-adherence plot)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from ..runtime.devices import DeviceError, pick_device
from ..train.dataset import Attributes, Shape, caption_for
from ..train.eval_prompts import EvalPrompt, load_eval_prompts, load_held_out_prompts
from . import families as fam

DEFAULT_OUT = Path("compare")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodegraph compare", description=__doc__)
    parser.add_argument("--prompts", type=Path, default=None,
                        help="JSON prompt list with ground truth, as nodegraph/train/eval_prompts.json "
                             "(a list, or {\"prompts\": [...]}); default: the evaluator's 64 prompts")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N prompts")
    parser.add_argument("--seeds", type=int, default=1, metavar="N", help="seeds 0..N-1 per prompt (default 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default ./compare)")
    parser.add_argument("--families", nargs="+", choices=fam.FAMILY_NAMES, default=list(fam.FAMILY_NAMES))
    parser.add_argument("--steps", nargs="+", type=int, default=None, metavar="N",
                        help="sampling steps to try, e.g. 5 10 20 50 (families with steps; default: workflow's)")
    parser.add_argument("--cfg", nargs="+", type=float, default=None, metavar="X",
                        help="guidance scales to try (default: each workflow's own)")
    parser.add_argument("--models-dir", action="append", type=Path, default=None, metavar="DIR",
                        help="models folder to use instead of the shipped models/ (repeatable)")
    # The shipped models are small: one thread runs them fastest, and on a shared 2-core machine two
    # threads thrash (measured 30-100x slower per image while other jobs ran).
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per family run (default 1; 0: nodegraph's default, half the CPUs)")
    parser.add_argument("--device", default="cpu",
                        help="where the families run: cpu (default), cuda, cuda:N, mps or auto; the report "
                             "names the device")
    parser.add_argument("--reference", type=int, default=256, metavar="N",
                        help="held-out dataset images for the FID-style distance (default 256)")
    parser.add_argument("--sheet-prompts", type=int, default=12, metavar="N",
                        help="prompts (rows) shown in the contact sheet (default 12)")
    parser.add_argument("--no-edit", action="store_true", help="skip the inpainting comparison")
    parser.add_argument("--no-held-out", action="store_true",
                        help="skip the evaluator's prompts rephrased in held-out sentence structures (they run "
                             "by default, after the in-template ones; not with --prompts)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def load_prompts(path: Path | None) -> list[EvalPrompt]:
    if path is None:
        return load_eval_prompts()
    data = json.loads(path.read_text())
    rows = data["prompts"] if isinstance(data, dict) else data
    keys = ("prompt", "shape", "color", "size", "position", "background")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and set(keys) <= set(r) for r in rows):
        raise ValueError(f"{path}: expected a non-empty list of objects with keys {', '.join(keys)}")
    return [EvalPrompt(r["prompt"], Attributes(r["background"], (
        Shape(r["shape"], r["color"], r["size"], r["position"]),))) for r in rows]


def edit_prompts(prompts: list[EvalPrompt]) -> list[EvalPrompt]:
    """Each prompt's shape and colour, small, in the quadrant the edit workflows repaint, on their background
    (colours that would vanish into it are left out). Each (shape, colour) once: the edit workflows keep the
    output cache, and an edit asked twice would come from it instead of being run."""
    import numpy as np

    edits, seen = [], set()
    for index, item in enumerate(prompts):
        shape = item.attributes.shapes[0]
        if shape.color == fam.EDIT_BACKGROUND or (shape.kind, shape.color) in seen:
            continue
        seen.add((shape.kind, shape.color))
        wanted = Attributes(fam.EDIT_BACKGROUND, (Shape(shape.kind, shape.color, "small", fam.EDIT_POSITION),))
        edits.append(EvalPrompt(caption_for(wanted, np.random.default_rng(index)), wanted))
    return edits


def environment(argv: list[str], device: str) -> dict[str, Any]:
    import torch

    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
               "torch": torch.__version__, "gpu": torch.cuda.is_available(), "device": device}
    if device.startswith("cuda"):
        machine["device_name"] = torch.cuda.get_device_name(torch.device(device))
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": " ".join(["nodegraph", "compare", *argv]), "machine": machine}


def registered_nodes() -> set[str]:
    from ..plugins import build_registry

    return {spec.name for spec in build_registry(())}


def main(argv: list[str] | None = None) -> int:
    from .plan import run_comparison

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        prompts = load_prompts(args.prompts)[:args.limit]
    except (OSError, ValueError, KeyError) as exc:
        print(f"nodegraph compare: {exc}", file=sys.stderr)
        return 2
    if args.seeds < 1:
        print("nodegraph compare: --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        args.device = str(pick_device(args.device))
    except DeviceError as exc:
        print(f"nodegraph compare: --device: {exc}", file=sys.stderr)
        return 2
    held_out = [] if args.prompts or args.no_held_out else load_held_out_prompts()[:args.limit]
    results = run_comparison(args, prompts, held_out, registered_nodes(), environment(argv, args.device))
    for name, reason in results["skipped"].items():
        print(f"nodegraph compare: skipped {name}: {reason}", file=sys.stderr)
    print((args.out / "compare.md").read_text())
    return 0 if results["runs"] else 1


if __name__ == "__main__":
    sys.exit(main())
