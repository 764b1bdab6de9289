"""The shipped autoregressive workflows as API prompts, and the script that writes them as UI workflows.

`python workflows/ar_graphs.py` regenerates ar_txt2img.json, ar_inpaint.json and ar_continuation_edit.json
(UI format, via nodegraph.workflow.api_to_ui). Tests build the same graphs on tiny models by passing other
model names and sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffusion_graphs import box_mask

AR_MODEL = "shapes-ar"
SIZE = 64
# What the trainer's evaluator scores the shipped model with (nodegraph/train/evaluate.py): guidance 1.25
# on the logits, temperature 0.8, chosen on a tuning set in bench/README.md (2 and above overshoot).
# parallel_block 1: one code per pass, so the shipped images (and the figures measured on them) stay the
# sequential loop's draws; 16 gives the same distribution in about a fifth of the passes (bench/README.md).
SAMPLING = {"temperature": 0.8, "top_k": 0, "top_p": 1.0, "cfg": 1.25, "use_kv_cache": True, "batch_size": 1,
            "parallel_block": 1}

TXT2IMG_TEXT = "a large red circle in the center on a blue background"
# Seed 42 drew one of the AR model's rare derailed pictures for this prompt (1 of 78 draws measured on
# 2026-12-04; README.md, "Autoregressive and hybrid"); a shipped example should show the usual result.
TXT2IMG_SEED = 1
INPAINT_BASE_TEXT = "a small blue square at the top left on a white background"
# The whole picture after the edit, kept square included: token inpainting samples the masked tokens as part
# of the whole sequence, so a caption naming only the new shape contradicts the kept tokens. With it, a red
# shape appeared in the mask on 6 of 6 right bases (5 of them a small red circle at cfg 3); with only the
# new shape named, on 1 of 6 (bench/README.md).
INPAINT_TEXT = "a small blue square at the top left and a small red circle at the bottom right on a white background"
EDIT_BASE_TEXT = "a large yellow circle in the center on a purple background"
EDIT_TEXT = "a large yellow square in the center on a purple background"
EDIT_KEEP_ROWS = 5  # of 16: the background band above the shape stays, the shape is redrawn
INPAINT_BOX = (32, 32, 32, 32)  # x, y, w, h: the bottom-right quadrant
# The kept tokens around a mask pull the new ones toward the old picture; guidance 3 outweighs them.
INPAINT_CFG = 3.0
# The shipped model draws INPAINT_BASE_TEXT with stray shapes at base seed 7; at 1 it draws just the square.
INPAINT_BASE_SEED = 1


def sampler(text: str, seed: int, model_node: str = "1", negative: str = "", **sampling: Any) -> dict[str, Any]:
    return {"class_type": "ARSampler", "inputs": {
        "ar_model": [model_node, 0], "vq_model": [model_node, 1], "prompt": text, "negative": negative,
        "seed": seed, **{**SAMPLING, **sampling}}}


def decode_and_save(tokens: list[Any], prefix: str, model_node: str = "1") -> dict[str, Any]:
    return {
        "8": {"class_type": "ImageTokenDecode", "inputs": {"vq_model": [model_node, 1], "image_tokens": tokens}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": prefix, "images": ["8", 0]}},
    }


def ar_txt2img(model: str = AR_MODEL, text: str = TXT2IMG_TEXT, seed: int = TXT2IMG_SEED,
               **sampling: Any) -> dict[str, Any]:
    prompt = {"1": {"class_type": "ARModelLoader", "inputs": {"model_name": model}},
              "2": sampler(text, seed, **sampling)}
    return {**prompt, **decode_and_save(["2", 0], "ar_txt2img")}


def ar_inpaint(model: str = AR_MODEL, text: str = INPAINT_TEXT, seed: int = 42, base_text: str = INPAINT_BASE_TEXT,
               base_seed: int = INPAINT_BASE_SEED, size: int = SIZE, box: tuple[int, int, int, int] = INPAINT_BOX,
               **sampling: Any) -> dict[str, Any]:
    """Draws the picture to edit, then regenerates only the tokens under the box mask with a new prompt."""
    prompt = {"1": {"class_type": "ARModelLoader", "inputs": {"model_name": model}},
              "2": sampler(base_text, base_seed, **sampling), **box_mask(box, 30, size)}
    prompt["33"] = {"class_type": "TokenMaskFromMask", "inputs": {"vq_model": ["1", 1], "mask": ["32", 0],
                                                                  "rule": "any"}}
    edit = sampler(text, seed, **{"cfg": INPAINT_CFG, **sampling})
    edit["class_type"] = "ARInpaint"
    edit["inputs"].update({"image_tokens": ["2", 0], "token_mask": ["33", 0]})
    prompt["5"] = edit
    return {**prompt, **decode_and_save(["5", 0], "ar_inpaint")}


def ar_continuation_edit(model: str = AR_MODEL, text: str = EDIT_TEXT, seed: int = 42,
                         base_text: str = EDIT_BASE_TEXT, base_seed: int = 7, keep_rows: int = EDIT_KEEP_ROWS,
                         **sampling: Any) -> dict[str, Any]:
    """Keeps the first token rows of a drawn picture and continues it under a new prompt."""
    prompt = {"1": {"class_type": "ARModelLoader", "inputs": {"model_name": model}},
              "2": sampler(base_text, base_seed, **sampling)}
    edit = sampler(text, seed, **sampling)
    edit["class_type"] = "ARContinue"
    edit["inputs"].update({"image_tokens": ["2", 0], "keep_rows": keep_rows})
    prompt["5"] = edit
    return {**prompt, **decode_and_save(["5", 0], "ar_continuation_edit")}


WORKFLOWS = {"ar_txt2img": ar_txt2img, "ar_inpaint": ar_inpaint, "ar_continuation_edit": ar_continuation_edit}


def write_all(folder: Path, workflows: dict[str, Any] = WORKFLOWS) -> list[Path]:
    from nodegraph import Engine
    from nodegraph.plugins import build_registry
    from nodegraph.workflow.layout import write_ui_files

    return write_ui_files(workflows, folder, Engine(registry=build_registry(use_entry_points=False)).registry)


if __name__ == "__main__":
    for written_path in write_all(Path(__file__).resolve().parent.parent):
        print(written_path)
