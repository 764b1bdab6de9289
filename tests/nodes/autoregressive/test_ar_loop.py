"""The hand-written loop against transformers' own `generate`, and the logits functions on known inputs."""

from __future__ import annotations

import pytest
import torch

from nodegraph.autoregressive.generate import Sampling, generate
from nodegraph.autoregressive.folder import load_folder
from nodegraph.autoregressive.layout import ArLayout
from nodegraph.autoregressive.logits import guide, pick, top_k, top_p


@pytest.fixture(scope="module")
def tiny(models_root):
    folder = models_root / "autoregressive" / "tiny"
    model, codec = load_folder(folder, torch.device("cpu"), torch.float32)
    return model, codec, ArLayout.load(folder)


@pytest.mark.parametrize("use_kv_cache", [True, False])
def test_greedy_loop_matches_transformers_generate(tiny, use_kv_cache):
    model, _, layout = tiny
    prompt = model.prompt(model.tokenize(["a red circle at the top left", "a blue square"]))
    ours = generate(model, prompt, None, Sampling(temperature=0.0, cfg=1.0), None, use_kv_cache=use_kv_cache)
    start, count = layout.image_token_offset, layout.codebook_size
    vocab = model.module.config.vocab_size
    not_image = [i for i in range(vocab) if not start <= i < start + count]
    theirs = model.module.generate(input_ids=prompt.ids, attention_mask=prompt.mask, do_sample=False,
                                   max_new_tokens=64, min_new_tokens=64, suppress_tokens=not_image,
                                   pad_token_id=0)
    theirs = theirs[:, prompt.ids.shape[1]:] - start
    assert torch.equal(ours.reshape(2, -1), theirs)


def test_top_k_keeps_the_k_largest():
    logits = torch.tensor([[1.0, 4.0, 3.0, 2.0]])
    kept = top_k(logits, 2)
    assert torch.isfinite(kept).tolist() == [[False, True, True, False]]
    assert torch.equal(top_k(logits, 0), logits)


def test_top_p_keeps_the_smallest_set_reaching_p():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = probs.log()
    assert torch.isfinite(top_p(logits, 0.5)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(top_p(logits, 0.7)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(top_p(logits, 0.9)).tolist() == [[True, True, True, False]]
    shuffled = logits[:, [2, 0, 3, 1]]
    assert torch.isfinite(top_p(shuffled, 0.7)).tolist() == [[False, True, False, True]]


def test_guidance_is_linear_in_the_scale():
    cond, uncond = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    assert torch.equal(guide(cond, uncond, 1.0), cond)
    assert torch.equal(guide(cond, uncond, 0.0), uncond)
    assert torch.equal(guide(cond, uncond, 3.0), torch.tensor([4.0, -2.0]))


def test_pick_samples_reproducibly_with_a_seeded_generator():
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(0))
    a = pick(logits, 1.0, 0, 0.9, torch.Generator().manual_seed(3))
    b = pick(logits, 1.0, 0, 0.9, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert torch.equal(pick(logits, 0.0, 0, 1.0, None), logits.argmax(-1))
