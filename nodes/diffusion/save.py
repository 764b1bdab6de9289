"""CheckpointSave: MODEL, CLIP and VAE written as one single-file checkpoint (.safetensors, LDM layout)."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, Result

from nodegraph.runtime.saving import next_counter, prefix_folder, write_atomic
from ..types import CLIP, MODEL, VAE

if TYPE_CHECKING:
    pass


def _configs(unet: Any, vae: Any, text_encoder: Any, tokenizer: Any, scheduler: dict[str, Any]) -> str:
    """The diffusers configs and tokenizer of the three models, for the file's metadata."""

    from . import single_file

    with TemporaryDirectory() as temp:
        folder = Path(temp)
        unet.save_config(folder / "unet")
        vae.save_config(folder / "vae")
        text_encoder.config.save_pretrained(folder / "text_encoder")
        tokenizer.save_pretrained(folder / "tokenizer")
        (folder / "scheduler").mkdir()
        (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(scheduler))
        index = {"_class_name": "StableDiffusionPipeline",
                 "unet": ["diffusers", type(unet).__name__], "vae": ["diffusers", type(vae).__name__],
                 "text_encoder": ["transformers", type(text_encoder).__name__],
                 "tokenizer": ["transformers", type(tokenizer).__name__],
                 "scheduler": ["diffusers", scheduler.get("_class_name", "DDIMScheduler")]}
        (folder / "model_index.json").write_text(json.dumps(index))
        return single_file.embedded_configs(folder)


class CheckpointSave(Node):
    """Save a model, its text encoder and its VAE as one .safetensors checkpoint in the output folder (the
    layout ComfyUI and A1111 load; Load Checkpoint loads it back from models/checkpoints, offline)."""

    category = "advanced/model_merging"
    display_name = "Save Checkpoint"
    output_node = True
    inputs = {"model": In(MODEL), "clip": In(CLIP), "vae": In(VAE),
              "filename_prefix": In.string("checkpoints/nodegraph")}
    hidden = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    outputs = {}

    def run(self, ctx: Context, model: Any, clip: Any, vae: Any, filename_prefix: str, prompt: Any = None,
            extra_pnginfo: Any = None) -> Result:
        from safetensors.torch import save_file

        from . import single_file

        folder, subfolder, base = prefix_folder(ctx.files, "output", filename_prefix)
        unet, text_encoder, tokenizer, autoencoder = model.get(), clip.encoder.get(), clip.tokenizer.get(), vae.get()
        metadata = {single_file.CONFIG_KEY: _configs(unet, autoencoder, text_encoder, tokenizer,
                                                     dict(model.scheduler_config))}
        # As ComfyUI does, the graph that made the checkpoint travels with it.
        if isinstance(prompt, dict):
            metadata["prompt"] = json.dumps(prompt)
        for key, value in (extra_pnginfo if isinstance(extra_pnginfo, dict) else {}).items():
            metadata[key] = json.dumps(value)
        name = f"{base}_{next_counter(folder, base, '.safetensors'):05}_.safetensors"
        weights = single_file.to_single_file(unet, autoencoder, text_encoder)
        write_atomic(folder / name, lambda path: save_file(weights, str(path), metadata=metadata))
        return Result((), ui={"checkpoints": [{"filename": name, "subfolder": subfolder, "type": "output"}]})


NODES = [CheckpointSave]
