"""AR models reach the nodes as handles: the output cache keeps no weights, so a model the manager frees
(under the memory budget, or on request) leaves memory and is simply loaded again by the next run."""

from __future__ import annotations

import gc
import weakref

import pytest
import torch
from ar_engine import Engine, captured
from ar_prompts import sample_graph

import nodegraph
from nodegraph.config import Config
from nodegraph.core.executor import RunResult
from nodegraph_nodes.autoregressive.handles import ArModelHandle, VqHandle


def graph(model: str, **settings) -> dict:
    prompt = sample_graph(top_k=8, seed=5, **settings)
    prompt["1"]["inputs"]["model_name"] = model
    return prompt


@pytest.fixture()
def budget_engine(registry, models_root, tmp_path) -> Engine:
    """Its own engine (own manager and output cache) on the CPU with a memory budget of 0 bytes."""
    config = Config(base_dir=tmp_path, models_dirs=(models_root,), device="cpu", vram_budget_gb=0)
    return Engine(nodegraph.Engine(config, registry=registry))


def run(engine: Engine, prompt: dict) -> RunResult:
    result = engine.run(prompt, fresh=False)  # the engine's own executor: outputs stay cached between runs
    assert result.status == "success", result.error
    return result


def test_model_dropped_under_the_budget_is_not_pinned_by_the_cache_and_reloads(budget_engine):
    models = budget_engine.services.models
    first = run(budget_engine, graph("tiny"))
    tokens = captured()["tokens"]["indices"]
    ar_handle, vq_handle = first.output("1", 0), first.output("1", 1)
    assert isinstance(ar_handle, ArModelHandle) and isinstance(vq_handle, VqHandle)
    model, codec = weakref.ref(ar_handle.get()), weakref.ref(vq_handle.get())
    # Loading another model under a budget of 0 bytes on the CPU drops the least recently used one.
    run(budget_engine, graph("other"))
    assert [entry["name"] for entry in models.loaded()] == ["other"]
    gc.collect()
    assert model() is None and codec() is None  # nothing else (the cached loader output) held them
    loads = models.load_count
    # Same loader inputs, so its handles come from the cache; the sampler runs and reloads the model.
    again = run(budget_engine, graph("tiny", use_kv_cache=False))
    assert again.nodes["1"]["cached"] and not again.nodes["2"]["cached"]
    assert models.load_count == loads + 1
    assert torch.equal(captured()["tokens"]["indices"], tokens)


def test_freed_model_reloads_and_draws_the_same_tokens(engine):
    models = engine.services.models
    run(engine, graph("tiny"))
    tokens = captured()["tokens"]["indices"]
    models.free()
    assert models.loaded() == []
    run(engine, graph("tiny", use_kv_cache=False))
    assert torch.equal(captured()["tokens"]["indices"], tokens)
    assert [entry["name"] for entry in models.loaded()] == ["tiny"]
