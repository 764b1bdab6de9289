"""The shipped diffusion workflows as API prompts, and the script that writes them as UI workflows.

`python workflows/build/diffusion_graphs.py` regenerates txt2img.json, img2img.json, inpaint.json,
inpaint_painted.json, controlnet.json, tokenizer_view.json and save_checkpoint.json (UI format, via
nodegraph.workflow.api_to_ui).
Tests build the same graphs on tiny models by passing other model names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHECKPOINT = "shapes-sd"
CONTROLNET = "shapes-controlnet-mask"
# The shipped model was trained with a DDIM v-prediction schedule and trailing timesteps ("simple");
# 20 steps at CFG 3 is what its evaluator scores (CFG 5 and above cost it shape kinds: bench/README.md).
SAMPLING = {"steps": 20, "cfg": 3.0, "sampler_name": "ddim", "scheduler": "simple"}
SIZE = 64
BLUE, WHITE = 0x1E46E1, 0xF5F5F5

TXT2IMG_TEXT = "a large red circle in the center on a white background"
IMG2IMG_TEXT = "a large yellow square in the center on a blue background"
INPAINT_BASE_TEXT = "a small blue square at the top left on a white background"
INPAINT_TEXT = "a small red circle at the bottom right on a white background"
CONTROLNET_TEXT = "a large orange square at the top left on a purple background"
TOKENIZER_TEXT = "a large white circle at the top right on a purple background"
# The ControlNet's mask: a 26x26 square at (3, 3), where a large top-left shape sits.
CONTROL_BOX = (3, 3, 26, 26)
# The inpainted region: the bottom-right quadrant.
INPAINT_BOX = (32, 32, 32, 32)
# What inpaint_painted's Load Image starts on: a picture to upload into the input folder, its mask painted in
# the editor's mask editor (or any PNG whose transparent pixels are the region to repaint).
INPAINT_PICTURE = "inpaint_picture.png"


def _base(ckpt: str, text: str, negative: str = "") -> dict[str, Any]:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": negative, "clip": ["4", 1]}},
    }


def _sampler(latent: list[Any], seed: int, denoise: float = 1.0, positive: list[Any] | None = None,
             negative: list[Any] | None = None, **sampling: Any) -> dict[str, Any]:
    return {"class_type": "KSampler", "inputs": {
        "seed": seed, **{**SAMPLING, **sampling}, "denoise": denoise, "model": ["4", 0],
        "positive": positive or ["6", 0], "negative": negative or ["7", 0], "latent_image": latent}}


def _decode_and_save(latent: list[Any], prefix: str) -> dict[str, Any]:
    return {
        "8": {"class_type": "VAEDecode", "inputs": {"samples": latent, "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": prefix, "images": ["8", 0]}},
    }


def _repaint(picture: list[Any], mask: list[Any], seed: int) -> dict[str, Any]:
    """Nodes 11, 3, 8, 12 and 9: encode the picture for inpainting, repaint where the mask is, and composite the
    result back onto the picture through the same mask (every pixel outside it stays the picture's), saved."""
    return {
        "11": {"class_type": "VAEEncodeForInpaint", "inputs": {"pixels": picture, "vae": ["4", 2], "mask": mask,
                                                                "grow_mask_by": 6}},
        "3": _sampler(["11", 0], seed),
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "12": {"class_type": "ImageCompositeMasked", "inputs": {
            "destination": picture, "source": ["8", 0], "x": 0, "y": 0, "resize_source": False, "mask": mask}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "inpaint", "images": ["12", 0]}},
    }


def box_mask(box: tuple[int, int, int, int], first_id: int, size: int = SIZE) -> dict[str, Any]:
    """Three nodes (ids first_id..first_id+2) making a size x size MASK that is 1 inside box = (x, y, w, h)."""
    x, y, w, h = box
    a, b, c = str(first_id), str(first_id + 1), str(first_id + 2)
    return {
        a: {"class_type": "SolidMask", "inputs": {"value": 0.0, "width": size, "height": size}},
        b: {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": w, "height": h}},
        c: {"class_type": "MaskComposite", "inputs": {"destination": [a, 0], "source": [b, 0], "x": x, "y": y,
                                                      "operation": "add"}},
    }


def txt2img(ckpt: str = CHECKPOINT, text: str = TXT2IMG_TEXT, seed: int = 42, **sampling: Any) -> dict[str, Any]:
    prompt = _base(ckpt, text)
    prompt["5"] = {"class_type": "EmptyLatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}}
    prompt["3"] = _sampler(["5", 0], seed, **sampling)
    return {**prompt, **_decode_and_save(["3", 0], "txt2img")}


def img2img(ckpt: str = CHECKPOINT, text: str = IMG2IMG_TEXT, seed: int = 42, denoise: float = 0.8,
            color: int = BLUE) -> dict[str, Any]:
    """Starts from a plain canvas of the background colour, drawn in the graph (nothing to upload)."""
    prompt = _base(ckpt, text)
    prompt["10"] = {"class_type": "EmptyImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1,
                                                           "color": color}}
    prompt["11"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["10", 0], "vae": ["4", 2]}}
    prompt["3"] = _sampler(["11", 0], seed, denoise)
    return {**prompt, **_decode_and_save(["3", 0], "img2img")}


def inpaint(ckpt: str = CHECKPOINT, text: str = INPAINT_TEXT, seed: int = 42, base_text: str = INPAINT_BASE_TEXT,
            base_seed: int = 7) -> dict[str, Any]:
    """Paints the picture to edit first, then repaints the masked quadrant and composites the result back
    onto the original through the same mask, so every pixel outside it is the original's."""
    prompt = _base(ckpt, text)
    prompt["20"] = {"class_type": "CLIPTextEncode", "inputs": {"text": base_text, "clip": ["4", 1]}}
    prompt["21"] = {"class_type": "EmptyLatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}}
    prompt["22"] = _sampler(["21", 0], base_seed, positive=["20", 0])
    prompt["23"] = {"class_type": "VAEDecode", "inputs": {"samples": ["22", 0], "vae": ["4", 2]}}
    prompt.update(box_mask(INPAINT_BOX, 30))
    return {**prompt, **_repaint(["23", 0], ["32", 0], seed)}


def inpaint_painted(ckpt: str = CHECKPOINT, text: str = INPAINT_TEXT, seed: int = 42,
                    image: str = INPAINT_PICTURE) -> dict[str, Any]:
    """Repaints a picture where its mask says (painted in the mask editor, carried as the picture's alpha): Load
    Image gives the picture and its MASK, and the result is composited back through that mask, so every pixel
    outside it is the picture's own."""
    prompt = _base(ckpt, text)
    prompt["1"] = {"class_type": "LoadImage", "inputs": {"image": image}}
    return {**prompt, **_repaint(["1", 0], ["1", 1], seed)}


def controlnet(ckpt: str = CHECKPOINT, control_net: str = CONTROLNET, text: str = CONTROLNET_TEXT,
               seed: int = 42, box: tuple[int, int, int, int] = CONTROL_BOX,
               strength: float = 1.0) -> dict[str, Any]:
    prompt = _base(ckpt, text)
    prompt["5"] = {"class_type": "EmptyLatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}}
    prompt.update(box_mask(box, 30))
    prompt["33"] = {"class_type": "MaskToImage", "inputs": {"mask": ["32", 0]}}
    prompt["40"] = {"class_type": "ControlNetLoader", "inputs": {"control_net_name": control_net}}
    prompt["41"] = {"class_type": "ControlNetApplyAdvanced", "inputs": {
        "positive": ["6", 0], "negative": ["7", 0], "control_net": ["40", 0], "image": ["33", 0],
        "strength": strength, "start_percent": 0.0, "end_percent": 1.0}}
    prompt["3"] = _sampler(["5", 0], seed, positive=["41", 0], negative=["41", 1])
    return {**prompt, **_decode_and_save(["3", 0], "controlnet")}


def tokenizer_view(ckpt: str = CHECKPOINT, text: str = TOKENIZER_TEXT, seed: int = 42) -> dict[str, Any]:
    """Shows the tokens the text encoder sees, then encodes exactly those tokens and samples from them."""
    prompt = _base(ckpt, text)
    del prompt["6"]
    prompt["13"] = {"class_type": "CLIPTextTokenize", "inputs": {"text": text, "clip": ["4", 1]}}
    prompt["14"] = {"class_type": "CLIPTextEncodeTokens", "inputs": {"tokens": ["13", 0], "clip": ["4", 1]}}
    prompt["5"] = {"class_type": "EmptyLatentImage", "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1}}
    prompt["3"] = _sampler(["5", 0], seed, positive=["14", 0])
    return {**prompt, **_decode_and_save(["3", 0], "tokenizer_view")}


def save_checkpoint(ckpt: str = CHECKPOINT, prefix: str = "checkpoints/shapes") -> dict[str, Any]:
    """Writes the checkpoint as one .safetensors file (output/checkpoints/), loadable from models/checkpoints."""
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "9": {"class_type": "CheckpointSave", "inputs": {"model": ["4", 0], "clip": ["4", 1], "vae": ["4", 2],
                                                         "filename_prefix": prefix}},
    }


WORKFLOWS = {"txt2img": txt2img, "img2img": img2img, "inpaint": inpaint, "inpaint_painted": inpaint_painted,
             "controlnet": controlnet, "tokenizer_view": tokenizer_view, "save_checkpoint": save_checkpoint}


def write_all(folder: Path) -> list[Path]:
    from nodegraph import Engine
    from nodegraph.plugins import build_registry
    from nodegraph.workflow.layout import write_ui_files

    return write_ui_files(WORKFLOWS, folder, Engine(registry=build_registry(use_entry_points=False)).registry)


if __name__ == "__main__":
    for written_path in write_all(Path(__file__).resolve().parent.parent):
        print(written_path)
