"""One family's generations in a process of its own, so its peak memory (ru_maxrss) is its own.

The parent (`nodegraph.compare.plan`) writes job files and runs `python -m nodegraph.compare.runner JOB...`:
a family's text-to-image job first (so its peak memory is its own), then its editing job. Each job runs its
shipped workflow per (prompt, seed, steps, cfg) through an Engine, saves each picture as PNG, and prints one
`@@compare {json}` line per image (the parent's progress bar) and a summary line with peak memory and the
parameters of the models it loaded.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .families import Family, editing, text_to_image

MARK = "@@compare "
SAVE_NODES = ("SaveImage",)
ORIGINAL = "compare_original"  # id of the node compare adds to decode an AR edit's starting tokens


@dataclass
class Item:
    """One generation: what to ask for and where its picture goes."""

    prompt: str
    seed: int
    steps: int | None
    cfg: float | None
    file: str
    negative: str | None = None


@dataclass
class Job:
    family: str
    edit: bool
    models_dirs: list[str]
    work_dir: str
    threads: int
    items: list[Item]
    # Text-to-image keeps no node outputs between images, so each one runs its whole graph (text encoding
    # included); only the model weights stay loaded. Edits keep them, so the picture being edited (part of
    # the edit workflow) is drawn once and each timed run is the edit itself.
    cache: bool = False
    device: str = "cpu"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, path: Path) -> Job:
        data = json.loads(path.read_text())
        return cls(**{**data, "items": [Item(**item) for item in data["items"]]})


def emit(**fields: Any) -> None:
    print(MARK + json.dumps(fields), flush=True)


def rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KB


def result_node(prompt: dict[str, Any]) -> str:
    """The node feeding the workflow's one image-saving node: its IMAGE output is the family's picture."""
    savers = [node for node in prompt.values() if node.get("class_type") in SAVE_NODES]
    if len(savers) != 1:
        raise ValueError(f"expected one SaveImage node, found {len(savers)}")
    return str(savers[0]["inputs"]["images"][0])


def to_uint8(image: Any) -> np.ndarray:
    """IMAGE [B,H,W,C] float 0..1 -> the first picture as uint8 HxWx3."""
    array = image[0].detach().float().clamp(0, 1).cpu().numpy()[..., :3]
    return (array * 255).round().astype(np.uint8)


def count_parameters(manager: Any) -> int:
    """Parameters of every model the manager holds, each tensor counted once."""
    seen = {id(tensor): tensor.numel() for entry in manager.loaded()
            for module in _modules(manager.load(entry["key"], _never))  # `_never` runs only for a key not loaded
            for tensor in module.parameters(recurse=False)}
    return sum(seen.values())


class PassCounter:
    """Counts the sequential forward passes of the generating networks (the diffusion UNet or DiT, the AR
    transformer's backbone): the cost model the seeds' claims are about, beside seconds. Hooks go on the
    modules once they are loaded, so the first generation (which loads them) goes uncounted."""

    COUNTED = ("UNet2DConditionModel", "SD3Transformer2DModel", "FluxTransformer2DModel", "LlamaModel")

    def __init__(self) -> None:
        self.passes = 0
        self.hooked: set[int] = set()

    def attach(self, manager: Any) -> bool:
        """Hook every counted module the manager holds; True when any is hooked (counts are meaningful)."""
        for entry in manager.loaded():
            for module in _modules(manager.load(entry["key"], _never)):
                if type(module).__name__ in self.COUNTED and id(module) not in self.hooked:
                    module.register_forward_hook(self._count)
                    self.hooked.add(id(module))
        return bool(self.hooked)

    def _count(self, module: Any, args: Any, output: Any) -> None:
        self.passes += 1


def _never(device: Any, dtype: Any) -> Any:
    raise LookupError("a loaded model vanished from the manager")


def _modules(value: Any) -> list[Any]:
    """Every torch module inside a manager's stored value (a module, an ArModel / VqCodec wrapping one, or
    dicts and lists of them)."""
    if hasattr(value, "modules") and callable(value.modules) and hasattr(value, "parameters"):
        return list(value.modules())
    if hasattr(getattr(value, "module", None), "modules"):
        return list(value.module.modules())  # ArModel / VqCodec wrap their torch module
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return [module for item in items for module in _modules(item)]


def decode_original(prompt: dict[str, Any], tokens: tuple[str, str]) -> dict[str, Any]:
    """Nodes that decode the edit's starting tokens to pixels, shown by a PreviewImage so they run."""
    from ..workflow.overrides import find_node

    vq, image_tokens = (find_node(prompt, ref) for ref in tokens)
    return {ORIGINAL: {"class_type": "ImageTokenDecode",
                       "inputs": {"vq_model": [vq, 1], "image_tokens": [image_tokens, 0]}},
            f"{ORIGINAL}_preview": {"class_type": "PreviewImage", "inputs": {"images": [ORIGINAL, 0]}}}


def knob_values(family: Family, prompt: dict[str, Any]) -> dict[str, Any]:
    """The steps and cfg this generation really used (the workflow's own where none was asked for)."""
    from ..workflow.overrides import find_node

    values = {}
    for knob, targets in (("steps", family.steps), ("cfg", family.cfg)):
        if targets:
            ref, _, name = targets[0].rpartition(".")
            values[knob] = prompt[find_node(prompt, ref)]["inputs"].get(name)
    return values


def output_image(result: Any, node_id: str, remembered: dict[str, Any]) -> Any:
    """A node's IMAGE from this run, or, when the cache let it be skipped (its inputs did not change, so
    neither did its output), the one it produced last time."""
    if node_id in result.values:
        remembered[node_id] = result.output(node_id, 0)
    return remembered[node_id]


def generate(session: Any, family: Family, item: Item, edit: bool, remembered: dict[str, Any],
             counter: PassCounter) -> dict[str, Any]:
    """Run one generation, write its PNG (and for edits the original and mask beside it); the seconds, the
    forward passes (None while the models were still loading) and the steps/cfg used."""
    import torch

    prompt, ui = session.load(family.path, family.overrides(item.prompt, item.seed, item.steps, item.cfg,
                                                            item.negative))
    if edit and family.original_tokens is not None:
        prompt.update(decode_original(prompt, family.original_tokens))
    counter.passes, counting = 0, bool(counter.hooked)
    started = time.perf_counter()
    result = session.run_prompt(prompt, ui)
    if torch.cuda.is_initialized():
        torch.cuda.synchronize()  # a picture left on the GPU may not be finished: count the kernels still queued
    seconds = time.perf_counter() - started
    passes = counter.passes if counting else None
    counter.attach(session.services.models)
    if result.status != "success":
        from ..api import describe_failure

        raise RuntimeError(f"{family.workflow}: {describe_failure(result)}")
    target = Path(item.file)
    output = result_node(prompt)
    if output not in result.values:
        raise RuntimeError(f"{family.workflow}: node {output} did not run (the whole prompt came from the cache)")
    Image.fromarray(to_uint8(result.output(output, 0))).save(target)
    if edit:
        from ..workflow.overrides import find_node

        original = ORIGINAL if family.original_tokens else find_node(prompt, family.original)
        Image.fromarray(to_uint8(output_image(result, original, remembered))).save(
            target.with_suffix(".original.png"))
        mask = output_image(result, find_node(prompt, family.mask), remembered)
        mask = mask[0] if mask.ndim == 3 else mask
        Image.fromarray((mask.float().clamp(0, 1).numpy() * 255).round().astype(np.uint8)).save(
            target.with_suffix(".mask.png"))
    return {"seconds": seconds, "passes": passes, **knob_values(family, prompt)}


def run(job: Job, index: int) -> None:
    import torch

    from ..config import Config
    from ..engine import Engine

    family = editing(job.family) if job.edit else text_to_image(job.family)
    work = Path(job.work_dir)
    config = Config(base_dir=work, out_dir=work / "output", models_dirs=tuple(Path(p) for p in job.models_dirs),
                    device=job.device, cache_entries=100_000 if job.cache else 0, threads=job.threads or None)
    session = Engine(config)
    baseline, remembered, counter = rss_mb(), {}, PassCounter()
    for item in job.items:
        emit(job=index, **generate(session, family, item, job.edit, remembered, counter))
    # ru_maxrss is this process's peak so far: a later job's figure also covers the jobs before it.
    emit(job=index, done=True, peak_rss_mb=peak_rss_mb(), baseline_rss_mb=baseline,
         parameters=count_parameters(session.services.models), threads=torch.get_num_threads())
    session.services.models.free()


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m nodegraph.compare.runner JOB.json [JOB.json ...]", file=sys.stderr)
        return 2
    for index, path in enumerate(argv):
        run(Job.read(Path(path)), index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
