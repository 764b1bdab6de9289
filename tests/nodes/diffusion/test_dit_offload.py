"""Sequential offload on the tiny Flux folder: its transformer and T5 behind accelerate's hooks (weights in CPU
memory as meta parameters, the CPU as execution device, as no GPU is here) draw the same pixels as loaded whole,
and stay offloaded across runs; a LoRA on such a transformer is refused on `model`."""

from __future__ import annotations

import numpy as np
from lora_files import UNET_TARGETS, peft_layers, save_peft
from sd_engine import assert_failure
from test_dit import graph, image

from nodegraph.runtime import offload


def test_flux_transformer_and_t5_behind_offload_hooks_draw_the_same_image(dit, dit_engine):
    prompt = graph("tiny-flux-dev", cfg=1.0, scheduler="simple", guidance=3.5)
    whole = image(dit_engine, prompt)
    manager = dit_engine.models
    keys = [e["key"] for e in manager.loaded() if e["key"].endswith(("/transformer", "/text_encoder_2"))]
    assert len(keys) == 2, manager.loaded()
    for key in keys:
        manager.offload_sequentially(key)
    assert [e["device"] for e in manager.loaded() if e["key"] in keys] == [offload.OFFLOADED] * 2
    assert np.array_equal(image(dit_engine, prompt), whole)
    assert all(offload.is_offloaded(manager.load(key, lambda device, dtype: None)) for key in keys)
    (dit[0] / "loras").mkdir(exist_ok=True)
    save_peft(dit[0] / "loras" / "offloaded.safetensors", peft_layers(dit[1]["tiny-flux-dev"].transformer,
                                                                     UNET_TARGETS, 2, 30))
    lora = dict(prompt, **{"20": {"class_type": "LoraLoaderModelOnly", "inputs": {
        "model": ["4", 0], "lora_name": "offloaded.safetensors", "strength_model": 1.0}}})
    lora["3"] = {**prompt["3"], "inputs": {**prompt["3"]["inputs"], "model": ["20", 0]}}
    assert_failure(dit_engine.run(lora), "20", "model", "sequentially offloaded")
