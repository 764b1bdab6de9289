"""The one table of what `nodegraph compare` runs: per family, its shipped workflow and where each knob goes.

Targets are `NODE.INPUT` strings in the `--set` syntax (NODE is a node id, a title, or a class name that is
unique in the workflow), read off the shipped files in workflows/. tests/compare/test_families.py loads each
file and checks every target still resolves, so a workflow edited without this table fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..resources import workflows_dir
from ..train.dataset import Attributes, Shape, caption_for
from ..train.eval_prompts import EvalPrompt



@dataclass(frozen=True)
class Family:
    """How to drive one family's shipped workflow. Empty target tuples mean "this family has no such knob"
    (an AR sampler has no step count)."""

    name: str
    workflow: str  # file name under workflows/
    prompt: tuple[str, ...]
    negative: tuple[str, ...]
    seed: tuple[str, ...]
    steps: tuple[str, ...] = ()
    cfg: tuple[str, ...] = ()
    # Editing workflows: the node whose IMAGE output is the picture before the edit, and the edit mask.
    original: str | None = None
    mask: str | None = None
    # When the picture before the edit exists only as tokens: (node giving VQ_MODEL, node giving IMAGE_TOKENS).
    original_tokens: tuple[str, str] | None = None
    # Token inpainting samples the masked tokens as part of the whole sequence, so its caption names the kept
    # shape too; diffusion inpainting repaints the masked region only, and does better with the new shape alone.
    edit_caption_names_kept: bool = False
    nodes: tuple[str, ...] = field(default=())  # class types the workflow needs; absent ones skip the family
    # Inputs this family always sets, `(("NODE.INPUT", value), ...)`: how it differs from its workflow file.
    fixed: tuple[tuple[str, Any], ...] = ()

    @property
    def path(self) -> Path:
        return workflows_dir() / self.workflow

    @property
    def edits(self) -> bool:
        return self.mask is not None

    def edit_text(self, edit: EvalPrompt, index: int) -> str:
        """The caption this family's edit workflow gets for `edit` (the new shape alone, or the whole scene)."""
        if not self.edit_caption_names_kept:
            return edit.prompt
        scene = Attributes(edit.attributes.background, (EDIT_KEPT, *edit.attributes.shapes))
        return caption_for(scene, np.random.default_rng(index))

    def overrides(self, prompt: str, seed: int, steps: int | None = None, cfg: float | None = None,
                  negative: str | None = None) -> dict[str, Any]:
        """`{"NODE.INPUT": value}` for one generation; a knob the family lacks is left alone."""
        values: dict[str, Any] = {**dict(self.fixed), **{target: prompt for target in self.prompt}}
        values.update({target: seed for target in self.seed})
        if negative is not None:
            values.update({target: negative for target in self.negative})
        if steps is not None:
            values.update({target: steps for target in self.steps})
        if cfg is not None:
            values.update({target: cfg for target in self.cfg})
        return values

    def targets(self) -> tuple[str, ...]:
        return (*self.prompt, *self.negative, *self.seed, *self.steps, *self.cfg, *(t for t, _ in self.fixed))


# Read off the shipped files (built by workflows/diffusion_graphs.py, ar_graphs.py and hybrid_graphs.py).
# txt2img.json: 6 positive CLIPTextEncode, 7 negative, 3 KSampler. ar_txt2img.json: 2 ARSampler.
# hybrid_ar_then_diffusion.json: 2 ARSampler draws, 6/7 encode the same prompt for the KSampler 3 that refines
# at partial denoise (its steps and cfg are the hybrid's knobs; the AR part keeps the workflow's guidance).
# hybrid_coarse_ar_then_diffusion.json: 2 ARSampler draws 8x8 tokens with the coarse model, 6/7 encode the
# prompt for KSampler 3. ar-parallel is ar_txt2img.json with speculative Jacobi decoding on.
# inpaint.json: 23 decodes the picture to edit, 32 is the bottom-right quadrant mask, 3 repaints (22 drew
# the picture). ar_inpaint.json: 2 draws the picture as tokens, 32 is the same mask, 5 regenerates the tokens.
# Codes guessed per forward pass by ar-parallel: of the blocks bench/autoregressive.py tried (1, 8, 16), 16
# took the fewest passes and the least time (bench/README.md, "Parallel (speculative Jacobi) decoding").
PARALLEL_BLOCK = 16
TEXT_TO_IMAGE: tuple[Family, ...] = (
    Family("diffusion", "txt2img.json", prompt=("6.text",), negative=("7.text",), seed=("3.seed",),
           steps=("3.steps",), cfg=("3.cfg",), nodes=("CheckpointLoaderSimple", "KSampler", "VAEDecode")),
    Family("ar", "ar_txt2img.json", prompt=("2.prompt",), negative=("2.negative",), seed=("2.seed",),
           cfg=("2.cfg",), nodes=("ARModelLoader", "ARSampler", "ImageTokenDecode")),
    Family("hybrid", "hybrid_ar_then_diffusion.json", prompt=("2.prompt", "6.text"),
           negative=("2.negative", "7.text"), seed=("2.seed", "3.seed"), steps=("3.steps",), cfg=("3.cfg",),
           nodes=("ARModelLoader", "ARSampler", "ARTokensToLatent", "CheckpointLoaderSimple", "KSampler")),
    Family("ar-parallel", "ar_txt2img.json", prompt=("2.prompt",), negative=("2.negative",), seed=("2.seed",),
           cfg=("2.cfg",), nodes=("ARModelLoader", "ARSampler", "ImageTokenDecode"),
           fixed=(("2.parallel_block", PARALLEL_BLOCK),)),
    Family("hybrid-coarse", "hybrid_coarse_ar_then_diffusion.json", prompt=("2.prompt", "6.text"),
           negative=("2.negative", "7.text"), seed=("2.seed", "3.seed"), steps=("3.steps",), cfg=("3.cfg",),
           nodes=("ARModelLoader", "ARSampler", "ImageTokenDecode", "ImageScale", "VAEEncode", "KSampler")),
)
EDITING: tuple[Family, ...] = (
    Family("diffusion", "inpaint.json", prompt=("6.text",), negative=("7.text",), seed=("3.seed",),
           steps=("3.steps", "22.steps"), cfg=("3.cfg", "22.cfg"), original="23", mask="32",
           nodes=("CheckpointLoaderSimple", "KSampler", "VAEEncodeForInpaint")),
    # The AR picture before the edit exists only as tokens (node 2); compare decodes them with node 1's VQ.
    Family("ar", "ar_inpaint.json", prompt=("5.prompt",), negative=("5.negative",), seed=("5.seed",),
           cfg=("5.cfg",), original_tokens=("1", "2"), mask="32", edit_caption_names_kept=True,
           nodes=("ARModelLoader", "ARSampler", "ARInpaint", "ImageTokenDecode")),
)
# Every edit workflow repaints the bottom-right quadrant of a picture of this shape on this background
# (INPAINT_BASE_TEXT in workflows/diffusion_graphs.py and ar_graphs.py).
EDIT_BACKGROUND = "white"
EDIT_POSITION = "bottom right"
EDIT_KEPT = Shape("square", "blue", "small", "top left")

FAMILY_NAMES = tuple(f.name for f in TEXT_TO_IMAGE)


def text_to_image(name: str) -> Family:
    return next(f for f in TEXT_TO_IMAGE if f.name == name)


def editing(name: str) -> Family | None:
    return next((f for f in EDITING if f.name == name), None)


def missing_reason(family: Family, registered: set[str]) -> str | None:
    """Why this family cannot run here (workflow file or node classes absent), or None when it can."""
    if not family.path.is_file():
        return f"workflows/{family.workflow} is not shipped (yet)"
    absent = [name for name in family.nodes if name not in registered]
    if absent:
        return f"nodes {', '.join(absent)} are not installed"
    return None
