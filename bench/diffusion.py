"""Benchmark: a txt2img graph through the engine vs the same model, steps, seed and sampler called directly
through diffusers' pipeline, in one process. Prints the time ratio (target <= 1.03) and whether the pixels are
identical. Four models: SD (the shipped txt2img workflow on shapes-sd, vs StableDiffusionPipeline), SDXL (a
tiny random SDXL base built as the tests build it, CLIPTextEncode x2 -> KSampler euler -> VAEDecode ->
SaveImage, vs StableDiffusionXLPipeline with its own Euler scheduler), and tiny random SD3 and Flux dev
(the tests' dit_tiny.py) vs StableDiffusion3Pipeline / FluxPipeline.

    python bench/diffusion.py [--repeats 5] [--models DIR] [--family sd|sdxl|both|sd3|flux|dit|all] [--xl-size 256]
                              [--no-pipeline-png]

Both sides write their image as a PNG file (the engine's graph ends in SaveImage; the pipeline's image is
saved with PIL at the same compression), unless --no-pipeline-png.

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


def _engine(models: Path, base: Path):
    """An engine on the models folder, with no ComfyUI pack that pip put beside nodegraph."""
    from nodegraph.config import Config
    from nodegraph.engine import Engine

    return Engine(Config(models_dirs=(models,), base_dir=base, device="cpu", custom_nodes=False))


def _engine_run(session, prompt: dict, workflow: dict | None = None):
    """One run of the prompt, returning node 8's (VAEDecode's) images."""
    from nodegraph.core.cache import OutputCache
    from nodegraph.core.executor import Executor
    from nodegraph.runtime.context import Context

    def run() -> torch.Tensor:
        # A fresh output cache each time, so every node really runs (models stay loaded in the manager).
        session.executor = Executor(session.registry, OutputCache(), session.services, Context)
        result = session.run_prompt(prompt, workflow)
        assert result.status == "success", result.error
        return result.output("8")

    return run


def _engine_runner(models: Path, ckpt: str, base: Path):
    session = _engine(models, base)
    prompt, workflow = session.load(WORKFLOW)
    prompt["4"]["inputs"]["ckpt_name"] = ckpt
    return _engine_run(session, prompt, workflow), prompt


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


def _sdxl_runners(base: Path, size: int, steps: int):
    """The tiny random SDXL base of the tests, saved as a diffusers folder; an API prompt on it through the
    engine, and StableDiffusionXLPipeline on the same folder (its Euler scheduler with leading spacing is what
    KSampler's euler + ddim_uniform builds)."""
    sys.path.insert(0, str(ROOT / "tests" / "nodes" / "diffusion"))
    from diffusers import StableDiffusionXLPipeline
    from sdxl_tiny import build_sdxl

    folder = base / "models" / "checkpoints" / "tiny-sdxl"
    build_sdxl()[0].save_pretrained(str(folder), safe_serialization=True)
    text, negative, seed, cfg = "a glass bottle with a galaxy in it", "text, watermark", 7, 5.0
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sdxl"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": negative, "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": size, "height": size, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "model": ["4", 0], "seed": seed, "steps": steps, "cfg": cfg, "sampler_name": "euler",
            "scheduler": "ddim_uniform", "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
            "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "bench_sdxl", "images": ["8", 0]}},
    }
    engine = _engine_run(_engine(base / "models", base), prompt)

    pipe = StableDiffusionXLPipeline.from_pretrained(str(folder), use_safetensors=True)
    pipe.set_progress_bar_config(disable=True)

    def pipeline() -> torch.Tensor:
        images = pipe(text, negative_prompt=negative, height=size, width=size, num_inference_steps=steps,
                      guidance_scale=cfg, generator=torch.Generator().manual_seed(seed), output_type="np").images
        return torch.from_numpy(images)

    return engine, pipeline, prompt


def _dit_runners(base: Path, family: str, size: int, steps: int):
    """The tests' tiny random SD3 or Flux dev pipeline (dit_tiny.py), saved as a diffusers folder; through the
    engine SD3 as CheckpointLoader -> CLIPTextEncode x2 -> EmptySD3LatentImage -> KSampler (euler, normal, CFG 5)
    -> VAEDecode -> SaveImage, Flux as the stock Flux-dev graph (CLIPTextEncode -> FluxGuidance 3.5 -> BasicGuider,
    RandomNoise, KSamplerSelect euler, BasicScheduler simple -> SamplerCustomAdvanced); against the family's
    pipeline on the folder."""
    sys.path.insert(0, str(ROOT / "tests" / "nodes" / "diffusion"))
    from dit_tiny import build_flux, build_sd3, save

    pipe = save((build_sd3 if family == "sd3" else build_flux)(), base / "models" / "checkpoints" / family)
    text, seed, cfg = "a glass bottle with a galaxy in it", 7, 5.0 if family == "sd3" else 1.0
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": family}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {"class_type": "EmptySD3LatentImage", "inputs": {"width": size, "height": size, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "model": ["4", 0], "seed": seed, "steps": steps, "cfg": cfg, "sampler_name": "euler",
            "scheduler": "normal" if family == "sd3" else "simple", "positive": ["6", 0], "negative": ["7", 0],
            "latent_image": ["5", 0], "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": f"bench_{family}", "images": ["8", 0]}},
    }
    guidance = {"negative_prompt": "", "guidance_scale": cfg} if family == "sd3" else {"guidance_scale": 3.5}
    if family == "flux":  # the stock Flux-dev graph: no negative prompt, the split sampler
        del prompt["7"], prompt["3"]
        prompt.update({
            "10": {"class_type": "FluxGuidance", "inputs": {"conditioning": ["6", 0], "guidance": 3.5}},
            "11": {"class_type": "RandomNoise", "inputs": {"noise_seed": seed}},
            "12": {"class_type": "BasicGuider", "inputs": {"model": ["4", 0], "conditioning": ["10", 0]}},
            "13": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
            "14": {"class_type": "BasicScheduler", "inputs": {"model": ["4", 0], "scheduler": "simple",
                                                              "steps": steps, "denoise": 1.0}},
            "3": {"class_type": "SamplerCustomAdvanced", "inputs": {
                "noise": ["11", 0], "guider": ["12", 0], "sampler": ["13", 0], "sigmas": ["14", 0],
                "latent_image": ["5", 0]}}})
    engine = _engine_run(_engine(base / "models", base), prompt)

    def pipeline() -> torch.Tensor:
        images = pipe(text, height=size, width=size, num_inference_steps=steps,
                      generator=torch.Generator().manual_seed(seed), output_type="np", **guidance).images
        return torch.from_numpy(images)

    return engine, pipeline, prompt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", type=Path, default=None, help="a models folder holding checkpoints/shapes-sd")
    parser.add_argument("--family", choices=["sd", "sdxl", "both", "sd3", "flux", "dit", "all"], default="all",
                        help="both: sd and sdxl; dit: sd3 and flux; all: every one")
    parser.add_argument("--xl-size", type=int, default=256, help="SDXL image side in pixels")
    parser.add_argument("--xl-steps", type=int, default=10)
    parser.add_argument("--dit-size", type=int, default=256, help="SD3 / Flux image side in pixels")
    parser.add_argument("--dit-steps", type=int, default=10)
    # One thread: on a shared 2-core machine, OpenMP workers spin-waiting on busy cores made each UNet call
    # ~40x slower and the timings noise. Both sides run with the same setting.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-pipeline-png", dest="pipeline_png", action="store_false",
                        help="time the pipeline call alone, without writing its image as a PNG file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.family in ("sd", "both", "all"):
        models, ckpt = _models_root(args.models)
        with tempfile.TemporaryDirectory() as base:
            engine, prompt = _engine_runner(models, ckpt, Path(base))
            _compare(ckpt, engine, _pipeline_runner(models, ckpt, prompt), prompt, args)
    if args.family in ("sdxl", "both", "all"):
        with tempfile.TemporaryDirectory() as base:
            engine, pipeline, prompt = _sdxl_runners(Path(base), args.xl_size, args.xl_steps)
            _compare(f"tiny random SDXL base, {args.xl_size}x{args.xl_size}", engine, pipeline, prompt, args)
    for family in ("sd3", "flux"):
        if args.family in (family, "dit", "all"):
            with tempfile.TemporaryDirectory() as base:
                engine, pipeline, prompt = _dit_runners(Path(base), family, args.dit_size, args.dit_steps)
                _compare(f"tiny random {family}, {args.dit_size}x{args.dit_size}", engine, pipeline, prompt, args)


def _writing_png(pipeline, folder: Path):
    """The pipeline's run as a script that uses it does its job: the images, then each written as a PNG file at
    SaveImage's compression level, since the engine's graph ends in SaveImage (which also embeds the prompt)."""
    from PIL import Image

    def run() -> torch.Tensor:
        images = pipeline()
        for index, image in enumerate(images):
            pixels = (image.numpy() * 255).clip(0, 255).astype("uint8")
            Image.fromarray(pixels).save(folder / f"pipeline_{index}.png", compress_level=4)
        return images

    return run


def _compare(ckpt: str, engine, pipeline, prompt: dict, args: argparse.Namespace) -> None:
    """Time both runners interleaved (after a warm-up run of each) and print the report."""
    if args.pipeline_png:
        folder = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
        atexit.register(shutil.rmtree, folder, True)
        pipeline = _writing_png(pipeline, folder)
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
    steps = next(node["inputs"]["steps"] for node in prompt.values() if "steps" in node["inputs"])
    report = {"model": ckpt, "steps": steps, "repeats": args.repeats,
              "engine_s": round(engine_s, 4), "diffusers_s": round(diffusers_s, 4),
              "ratio": round(engine_s / diffusers_s, 3), "engine_cpu_s": round(engine_cpu, 4),
              "diffusers_cpu_s": round(diffusers_cpu, 4), "cpu_ratio": round(engine_cpu / diffusers_cpu, 3),
              "threads": args.threads, "pipeline_writes_png": args.pipeline_png,
              "identical_pixels": bool(torch.equal(ours, theirs)),
              "max_abs_diff": float((ours - theirs).abs().max())}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
