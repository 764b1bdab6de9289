"""Benchmark: the shipped txt2img workflow through the engine vs the same model, steps and seed called
directly through diffusers' StableDiffusionPipeline, in one process. Prints the time ratio (target <= 1.03)
and whether the pixels are identical.

    python bench/diffusion.py [--repeats 5] [--models DIR]

Uses models/checkpoints/shapes-sd when present, otherwise the same architectures with random weights (and says so).
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows" / "txt2img.json"


def _models_root(requested: Path | None) -> tuple[Path, str]:
    if requested is not None:
        return requested, "shapes-sd"
    if (ROOT / "models" / "checkpoints" / "shapes-sd" / "model_index.json").is_file():
        return ROOT / "models", "shapes-sd"
    sys.path.insert(0, str(ROOT / "tests" / "nodes" / "diffusion"))
    from sd_tiny import build_models

    root = Path(tempfile.mkdtemp(prefix="bench_sd_"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    build_models(root, real_size=True)
    print("note: models/checkpoints/shapes-sd is missing; using its architecture with random weights")
    return root, "tiny-sd"


def _engine_runner(models: Path, ckpt: str, base: Path):
    from nodegraph.config import Config
    from nodegraph.core.cache import OutputCache
    from nodegraph.core.executor import Executor
    from nodegraph.engine import Engine
    from nodegraph.runtime.context import Context

    session = Engine(Config(models_dirs=(models,), base_dir=base, device="cpu"))
    prompt, workflow = session.load(WORKFLOW)
    prompt["4"]["inputs"]["ckpt_name"] = ckpt

    def run() -> torch.Tensor:
        # A fresh output cache each time, so every node really runs (models stay loaded in the manager).
        session.executor = Executor(session.registry, OutputCache(), session.services, Context)
        result = session.run_prompt(prompt, workflow)
        assert result.status == "success", result.error
        return result.output("8")

    return run, prompt


def _pipeline_runner(models: Path, ckpt: str, prompt: dict):
    pipe = StableDiffusionPipeline.from_pretrained(str(models / "checkpoints" / ckpt), use_safetensors=True,
                                                   safety_checker=None, feature_extractor=None,
                                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    sampler, latent = prompt["3"]["inputs"], prompt["5"]["inputs"]

    def run() -> torch.Tensor:
        images = pipe(prompt["6"]["inputs"]["text"], negative_prompt=prompt["7"]["inputs"]["text"],
                      height=latent["height"], width=latent["width"], num_inference_steps=sampler["steps"],
                      guidance_scale=sampler["cfg"], generator=torch.Generator().manual_seed(sampler["seed"]),
                      output_type="np").images
        return torch.from_numpy(images)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", type=Path, default=None, help="a models folder holding checkpoints/shapes-sd")
    # One thread: on a shared 2-core machine, OpenMP workers spin-waiting on busy cores made each UNet call
    # ~40x slower and the timings noise. Both sides run with the same setting.
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models, ckpt = _models_root(args.models)
    with tempfile.TemporaryDirectory() as base:
        engine, prompt = _engine_runner(models, ckpt, Path(base))
        pipeline = _pipeline_runner(models, ckpt, prompt)
        ours, theirs = engine(), pipeline()  # warm-up: loads, allocator, kernels
        wall: dict[str, list[float]] = {"engine": [], "diffusers": []}
        cpu: dict[str, list[float]] = {"engine": [], "diffusers": []}
        for _ in range(args.repeats):  # interleaved, so machine load affects both alike
            for name, fn in (("engine", engine), ("diffusers", pipeline)):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    engine_s, diffusers_s = statistics.median(wall["engine"]), statistics.median(wall["diffusers"])
    # CPU time of this process (one thread) is far less disturbed than wall time by other jobs sharing
    # the machine; both are reported.
    engine_cpu, diffusers_cpu = statistics.median(cpu["engine"]), statistics.median(cpu["diffusers"])
    report = {"model": ckpt, "steps": prompt["3"]["inputs"]["steps"], "repeats": args.repeats,
              "engine_s": round(engine_s, 4), "diffusers_s": round(diffusers_s, 4),
              "ratio": round(engine_s / diffusers_s, 3), "engine_cpu_s": round(engine_cpu, 4),
              "diffusers_cpu_s": round(diffusers_cpu, 4), "cpu_ratio": round(engine_cpu / diffusers_cpu, 3),
              "threads": args.threads,
              "identical_pixels": bool(torch.equal(ours, theirs)),
              "max_abs_diff": float((ours - theirs).abs().max())}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
