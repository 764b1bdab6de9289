"""AR sampling speed and the hybrid comparison, each against a baseline in this same process.

1. KV cache vs recomputing the whole prefix at every step (same model, same prompt, 256 image tokens).
2. Our sampling loop vs transformers' own `generate` on the same model and settings.
3. Hybrid (AR, then diffusion at partial denoise) vs pure AR vs pure diffusion: seconds per image and
   prompt adherence (the evaluator's pixel judge on its held-out prompts). Needs the shipped models.
4. Parallel (speculative Jacobi) decoding vs one code per pass, greedy and at the shipped sampling settings:
   sequential forward passes, seconds and adherence per image on the evaluator's prompts.

Uses models/autoregressive/shapes-ar when installed; otherwise a randomly initialised model of the same
shape (speed only: the architecture, not the weights, sets the cost).

    python bench/autoregressive.py [--repeat 5] [--threads 1] [--prompts 16] [--sections kv,generate,hybrid]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "nodes" / "autoregressive"), str(ROOT / "workflows" / "build")]

from nodegraph.autoregressive.folder import load_folder  # noqa: E402
from nodegraph.autoregressive.generate import Sampling, generate  # noqa: E402
from nodegraph.autoregressive.layout import ArLayout  # noqa: E402

SHIPPED = ROOT / "models" / "autoregressive" / "shapes-ar"
PROMPT = "a large red circle in the center on a blue background"


def model_folder(scratch: Path) -> tuple[Path, str]:
    if (SHIPPED / "nodegraph_ar.json").is_file():
        return SHIPPED, "shipped shapes-ar"
    from ar_tiny import build_layout_model

    # The shipped architecture (nodegraph/train/architectures.py build_ar): 192 wide, 4 layers, 512 codes.
    folder = build_layout_model(scratch / "autoregressive" / "random-ar", image_size=64, codebook_size=512,
                                hidden=192, layers=4)
    return folder, "random weights, shipped shapes (192 wide, 4 layers, 16x16 grid, 512 codes)"


def best_of(repeat: int, *runs: Callable[[], object]) -> list[float]:
    """The fastest of `repeat` timings of each run; the runs alternate, so load from other processes on
    the shared machine falls on both sides of a ratio alike."""
    times: list[list[float]] = [[] for _ in runs]
    for run in runs:  # warm-up: first calls allocate caches and pick kernels
        run()
    for _ in range(repeat):
        for run, kept in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            kept.append(time.perf_counter() - start)
    return [min(kept) for kept in times]


def kv_cache_section(model, repeat: int) -> list[str]:
    one = model.prompt(model.tokenize([PROMPT]))
    four = model.prompt(model.tokenize([PROMPT] * 4))
    tokens = model.grid[0] * model.grid[1]
    rows = ["| setting (256 image tokens per image) | KV cache tok/s | recompute tok/s | speed-up |",
            "| --- | --- | --- | --- |"]
    for label, prompt, sampling, guided in (("1 image, greedy, no guidance", one, Sampling(0.0, cfg=1.0), False),
                                            ("1 image, sampled, cfg 3 (2 rows)", one, Sampling(1.0, cfg=3.0), True),
                                            ("4 images, sampled, cfg 3 (8 rows)", four, Sampling(1.0, cfg=3.0), True)):
        negative = model.unconditional(prompt) if guided else None

        def run(cache: bool, prompt=prompt, sampling=sampling, negative=negative) -> Callable[[], object]:
            return lambda: generate(model, prompt, negative, sampling, torch.Generator().manual_seed(0),
                                    use_kv_cache=cache)
        cached, full = best_of(repeat, run(True), run(False))
        made = tokens * prompt.batch
        rows.append(f"| {label} | {made / cached:.0f} | {made / full:.0f} | **{full / cached:.1f}x** |")
    return rows


def generate_section(model, layout: ArLayout, repeat: int) -> list[str]:
    prompt = model.prompt(model.tokenize([PROMPT]))
    tokens = model.grid[0] * model.grid[1]
    start, count = layout.image_token_offset, layout.codebook_size
    others = [i for i in range(model.module.config.vocab_size) if not start <= i < start + count]
    rows = ["| setting | ours tok/s | transformers generate tok/s | ours / theirs | same tokens |",
            "| --- | --- | --- | --- | --- |"]
    for label, sampling, extra in (("greedy", Sampling(0.0, cfg=1.0), {"do_sample": False}),
                                   ("temperature 1, top-k 50", Sampling(1.0, top_k=50, cfg=1.0),
                                    {"do_sample": True, "top_k": 50, "temperature": 1.0})):
        def ours(sampling=sampling) -> torch.Tensor:
            return generate(model, prompt, None, sampling, torch.Generator().manual_seed(0))

        def theirs(extra=extra) -> torch.Tensor:
            out = model.module.generate(input_ids=prompt.ids, attention_mask=prompt.mask, max_new_tokens=tokens,
                                        min_new_tokens=tokens, suppress_tokens=others, pad_token_id=0, **extra)
            return out[:, prompt.ids.shape[1]:] - start

        same = torch.equal(ours().reshape(1, -1), theirs()) if not extra["do_sample"] else "n/a (sampled)"
        mine, library = best_of(repeat, ours, theirs)
        rows.append(f"| {label}, {tokens} tokens | {tokens / mine:.0f} | {tokens / library:.0f} | "
                    f"**{library / mine:.2f}x** | {same} |")
    return rows


def judged(engine, prompt: dict, expected, output_dir: Path) -> tuple[float, dict[str, bool]]:
    """Seconds to run one workflow, and the pixel judge's verdict on the image its SaveImage wrote. A fresh
    executor each time: no node output is reused between runs (models stay loaded in the manager)."""
    import numpy as np
    from PIL import Image

    from nodegraph.core.validate import validate
    from nodegraph.train.judge import judge

    from nodegraph.core.executor import Executor
    from nodegraph.runtime.context import Context

    checked = validate(prompt, engine.registry)
    assert checked.ok, checked.body()
    executor = Executor(engine.registry, None, engine.services, Context)
    start = time.perf_counter()
    result = executor.run(checked.prompt, checked.outputs)
    seconds = time.perf_counter() - start
    assert result.status == "success", result.error
    saved = result.ui["9"]["images"][0]
    image = np.asarray(Image.open(output_dir / saved["subfolder"] / saved["filename"]).convert("RGB"))
    return seconds, judge(image, expected)


def hybrid_section(count: int) -> list[str]:
    """Pure AR, pure diffusion and the hybrid on the evaluator's held-out prompts, through the shipped
    workflows' own builders (same seeds per prompt for all three)."""
    from ar_graphs import ar_txt2img
    from diffusion_graphs import txt2img
    from hybrid_graphs import hybrid_ar_then_diffusion

    from nodegraph import Engine
    from nodegraph.config import load_config
    from nodegraph.train.eval_prompts import load_eval_prompts

    scratch = Path(tempfile.mkdtemp())
    engine = Engine(load_config().with_(base_dir=scratch))
    models = engine.services.models
    try:
        ready = ((models.find("autoregressive", "shapes-ar") / "nodegraph_ar.json").is_file()
                 and (models.find("checkpoints", "shapes-sd") / "model_index.json").is_file())
    except LookupError:
        ready = False
    if not ready:
        return ["hybrid comparison skipped: needs models/autoregressive/shapes-ar and models/checkpoints/shapes-sd"]
    prompts = load_eval_prompts()[:count]
    modes = {"pure AR (cfg 2, 256 tokens)": lambda text, seed: ar_txt2img(text=text, seed=seed),
             "pure diffusion (20 DDIM steps, cfg 5)": lambda text, seed: txt2img(text=text, seed=seed),
             "hybrid (AR, then diffusion at denoise 0.5)": lambda text, seed: hybrid_ar_then_diffusion(
                 text=text, seed=seed)}
    rows = [f"{len(prompts)} held-out evaluator prompts, one image each, seeds 0..{len(prompts) - 1}", "",
            "| mode | s / image | fully correct | colour | shape | position | background |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, build in modes.items():
        judged(engine, build(prompts[0].prompt, 999), prompts[0].attributes, scratch / "output")
        results = [judged(engine, build(p.prompt, i), p.attributes, scratch / "output")
                   for i, p in enumerate(prompts)]
        seconds = sum(r[0] for r in results) / len(results)

        def rate(key: str, results=results) -> str:
            return f"{sum(r[1][key] for r in results) / len(results):.0%}"
        rows.append(f"| {label} | {seconds:.2f} | {rate('fully_correct')} | {rate('color')} | {rate('shape')} | "
                    f"{rate('position')} | {rate('background')} |")
    return rows


def parallel_section(folder: Path, count: int) -> list[str]:
    """One image per prompt (batch 1: a batch keeps only what holds in every row), block 1 against 8 and
    16, greedy and at the shipped workflow's sampling (temperature 0.8, cfg 1.25); the blocks alternate per
    prompt so load from other processes falls on all of them alike."""
    import numpy as np

    from nodegraph.autoregressive.generate import baseline, decode
    from nodegraph.train.eval_prompts import load_eval_prompts
    from nodegraph.train.judge import judge

    model, codec = load_folder(folder, torch.device("cpu"), torch.float32)
    prompts = load_eval_prompts()[:count]
    settings = {"greedy, cfg 1.25": Sampling(temperature=0.0, cfg=1.25),
                "sampled, temperature 0.8, cfg 1.25": Sampling(temperature=0.8, cfg=1.25)}
    blocks = (1, 8, 16)
    rows = [f"{len(prompts)} evaluator prompts, one image each (seed = prompt index)", "",
            "| sampling | block | forward passes / image | s / image | fully correct | same codes as block 1 |",
            "| --- | --- | --- | --- | --- | --- |"]
    for label, sampling in settings.items():
        stats = {block: {"passes": 0, "seconds": 0.0, "right": 0, "same": 0} for block in blocks}
        for index, item in enumerate(prompts):
            cond = model.prompt(model.tokenize([item.prompt]))
            negative = baseline(model, cond, None, sampling.cfg)
            first = None
            for block in blocks:
                start = time.perf_counter()
                done = decode(model, cond, negative, sampling, torch.Generator().manual_seed(index), block=block)
                stats[block]["seconds"] += time.perf_counter() - start
                stats[block]["passes"] += done.passes
                first = done.codes if first is None else first
                stats[block]["same"] += int(torch.equal(first, done.codes))
                pixels = (codec.decode(done.codes)[0].numpy() * 255).round().astype(np.uint8)
                stats[block]["right"] += int(judge(pixels, item.attributes)["fully_correct"])
        for block in blocks:
            s = stats[block]
            rows.append(f"| {label} | {block} | {s['passes'] / len(prompts):.1f} | "
                        f"{s['seconds'] / len(prompts):.3f} | {s['right'] / len(prompts):.0%} | "
                        f"{s['same']}/{len(prompts)} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--sections", default="kv,generate,hybrid,parallel")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        folder, what = model_folder(Path(scratch))
        model, _ = load_folder(folder, torch.device("cpu"), torch.float32)
        print(f"model: {what}; torch threads: {args.threads}; best of {args.repeat}\n")
        if "kv" in sections:
            print("\n".join(kv_cache_section(model, args.repeat)) + "\n")
        if "generate" in sections:
            print("\n".join(generate_section(model, ArLayout.load(folder), args.repeat)) + "\n")
        if "parallel" in sections:
            print("\n".join(parallel_section(folder, args.prompts)) + "\n")
    if "hybrid" in sections:
        print("\n".join(hybrid_section(args.prompts)))


if __name__ == "__main__":
    main()
