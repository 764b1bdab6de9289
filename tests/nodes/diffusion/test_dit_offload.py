"""Sequential offload on the tiny Flux folder: its transformer and T5 behind accelerate's hooks (weights in CPU
memory as meta parameters, the CPU as execution device, as no GPU is here) draw the same pixels as loaded whole,
and stay offloaded across runs."""

from __future__ import annotations

import numpy as np
from test_dit import graph, image

from nodegraph.runtime import offload


def test_flux_transformer_and_t5_behind_offload_hooks_draw_the_same_image(dit_engine):
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
