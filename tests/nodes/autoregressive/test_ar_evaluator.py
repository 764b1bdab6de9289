"""The trainer's evaluator scores what the nodes run: its draws are the AR Sampler node's, token for token,
for a model loaded from its folder and for one built over the parts in memory (as during training)."""

from __future__ import annotations

import torch
from ar_engine import captured
from ar_prompts import sample_graph

from nodegraph.autoregressive.folder import layout_model, load_folder
from nodegraph.autoregressive.layout import ArLayout
from nodegraph.train.evaluate import AR_GUIDANCE, AR_TEMPERATURE, ar_codes

TEXT = "a red circle at the top left"


def test_evaluator_draws_the_sampler_nodes_tokens(engine, models_root):
    result = engine.run(sample_graph(prompt=TEXT, seed=11, cfg=AR_GUIDANCE, temperature=AR_TEMPERATURE))
    assert result.status == "success", result.error
    drawn = captured()["tokens"]["indices"]
    folder = models_root / "autoregressive" / "tiny"
    model, _ = load_folder(folder, torch.device("cpu"), torch.float32)
    assert torch.equal(ar_codes(model, [TEXT], torch.Generator().manual_seed(11)), drawn)

    from diffusers import VQModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    lm = AutoModelForCausalLM.from_pretrained(str(folder / "transformer")).eval()
    parts = (VQModel.from_pretrained(str(folder / "vq")), AutoTokenizer.from_pretrained(str(folder / "tokenizer")))
    in_memory, _ = layout_model("tiny", lm, *parts, ArLayout.load(folder))
    assert torch.equal(ar_codes(in_memory, [TEXT], torch.Generator().manual_seed(11)), drawn)
    # Guidance's baseline, the prefix the trainer drops captions to, is the empty caption's prompt.
    uncond = in_memory.unconditional(in_memory.prompt(in_memory.tokenize([TEXT, "a blue square"])))
    assert torch.equal(uncond.ids, in_memory.prompt(in_memory.tokenize(["", ""])).ids)
