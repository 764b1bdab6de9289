"""The AR sampler as a user sees it in a graph: seeds, greedy top-k, guidance, batches, progress, interrupt."""

from __future__ import annotations

import torch
from ar_engine import captured
from ar_prompts import sample_graph


def tokens_of(engine, **settings) -> torch.Tensor:
    result = engine.run(sample_graph(**settings))
    assert result.status == "success", result.error
    return captured()["tokens"]["indices"]


def test_same_seed_same_tokens_other_seed_other_tokens(engine):
    first = tokens_of(engine, seed=7)
    again = tokens_of(engine, seed=7)
    other = tokens_of(engine, seed=8)
    assert first.shape == (1, 8, 8) and first.dtype == torch.int64
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_top_k_one_is_greedy(engine):
    greedy = tokens_of(engine, temperature=0.0, seed=1)
    top1_a = tokens_of(engine, top_k=1, temperature=1.5, seed=2)
    top1_b = tokens_of(engine, top_k=1, temperature=0.7, seed=3)
    sampled = tokens_of(engine, top_k=0, temperature=1.5, seed=2)
    assert torch.equal(greedy, top1_a) and torch.equal(greedy, top1_b)
    assert not torch.equal(greedy, sampled)


def test_guidance_scale_changes_the_result(engine):
    plain = tokens_of(engine, cfg=1.0, seed=4)
    guided = tokens_of(engine, cfg=4.0, seed=4)
    negative = tokens_of(engine, cfg=4.0, seed=4, negative="a blue square")
    assert not torch.equal(plain, guided)
    assert not torch.equal(guided, negative)


def test_kv_cache_and_full_recompute_give_the_same_tokens(engine):
    cached = tokens_of(engine, use_kv_cache=True, seed=5, top_k=8)
    recomputed = tokens_of(engine, use_kv_cache=False, seed=5, top_k=8)
    assert torch.equal(cached, recomputed)


def test_batch_gives_distinct_images_and_decodes_them(engine):
    result = engine.run(sample_graph(batch_size=3, seed=9))
    assert result.status == "success", result.error
    assert captured()["tokens"]["indices"].shape == (3, 8, 8)
    images = captured()["image"]
    assert images.shape == (3, 32, 32, 3) and 0 <= images.min() and images.max() <= 1
    assert not torch.equal(images[0], images[1])
    assert result.ui["4"]["images"][0]["type"] == "temp"


def test_progress_reports_each_row_with_a_preview(engine):
    result = engine.run(sample_graph(seed=3))
    assert result.status == "success"
    reports = engine.progress("2")
    assert [e.value for e in reports] == list(range(1, 9))
    assert all(e.max == 8 for e in reports)
    assert reports[0].preview.size == (32, 32)


def test_interrupt_stops_within_one_row(engine):
    def stop_at_first_row(event):
        if event.type == "progress" and event.node == "2":
            engine.executor.interrupt.set()

    engine.on_event = stop_at_first_row
    result = engine.run(sample_graph(seed=3))
    assert result.status == "interrupted"
    assert result.interrupted.node_id == "2"
    # The flag went up during row 1's report; the sampler noticed at row 2's report at the latest.
    assert [e.value for e in engine.progress("2")] == [1]
