"""CheckpointSave: MODEL, CLIP and VAE written as one single-file checkpoint (.safetensors, LDM layout)."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Result

from nodegraph.runtime.files import write_atomic
from nodegraph.runtime.saving import next_counter, prefix_folder
from ..types import CLIP, MODEL, VAE

if TYPE_CHECKING:
    pass


def _configs(unet: Any, vae: Any, towers: list[tuple[str, Any, Any]], scheduler: dict[str, Any]) -> str:
    """The diffusers configs and tokenizers of the models, for the file's metadata. `towers` holds (role,
    text encoder, tokenizer) per text encoder (SDXL: text_encoder and text_encoder_2)."""

    from . import single_file

    with TemporaryDirectory() as temp:
        folder = Path(temp)
        unet.save_config(folder / "unet")
        vae.save_config(folder / "vae")
        (folder / "scheduler").mkdir()
        (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(scheduler))
        xl = getattr(unet.config, "addition_embed_type", None) == "text_time"
        index: dict[str, Any] = {
            "_class_name": "StableDiffusionXLPipeline" if xl else "StableDiffusionPipeline",
            "unet": ["diffusers", type(unet).__name__], "vae": ["diffusers", type(vae).__name__],
            "scheduler": ["diffusers", scheduler.get("_class_name", "DDIMScheduler")]}
        for role, encoder, tokenizer in towers:
            tok = role.replace("text_encoder", "tokenizer")
            encoder.config.save_pretrained(folder / role)
            tokenizer.save_pretrained(folder / tok)
            index[role] = ["transformers", type(encoder).__name__]
            index[tok] = ["transformers", type(tokenizer).__name__]
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

        for name, handle in (("model", model), ("clip", clip)):
            if getattr(handle, "loras", ()):
                # Saving would silently drop them: the LoRAs live beside the weights, only applied while in use.
                raise NodeError(name, f"has LoRAs applied ({', '.join(ref.name for ref in handle.loras)}); "
                                      "Save Checkpoint writes models without LoRAs only")
        folder, subfolder, base = prefix_folder(ctx.files, "output", filename_prefix)
        unet, autoencoder = model.get(), vae.get()
        towers = [(tower.role, tower.encoder.get(), tower.tokenizer.get()) for tower in clip.towers]
        metadata = {single_file.CONFIG_KEY: _configs(unet, autoencoder, towers, dict(model.scheduler_config))}
        # As ComfyUI does, the graph that made the checkpoint travels with it.
        if isinstance(prompt, dict):
            metadata["prompt"] = json.dumps(prompt)
        for key, value in (extra_pnginfo if isinstance(extra_pnginfo, dict) else {}).items():
            metadata[key] = json.dumps(value)
        name = f"{base}_{next_counter(folder, base, '.safetensors'):05}_.safetensors"
        weights = single_file.to_single_file(unet, autoencoder, {role: encoder for role, encoder, _ in towers})
        write_atomic(folder / name, lambda path: save_file(weights, str(path), metadata=metadata))
        return Result((), ui={"checkpoints": [{"filename": name, "subfolder": subfolder, "type": "output"}]})


NODES = [CheckpointSave]
