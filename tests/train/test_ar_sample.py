"""The hand-written sampler with its KV cache agrees with a plain full-sequence forward pass."""

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from nodegraph.train.ar_layout import ArLayout
from nodegraph.train.ar_sample import guide, sample_image_tokens, top_k_filter


def tiny() -> tuple[LlamaForCausalLM, ArLayout]:
    layout = ArLayout.create(text_vocab_size=10, pad_id=0, bos_id=2, prefix_length=6, codebook_size=16, grid=4,
                             image_size=16)
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=layout.vocab_size, hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=2,
                                         max_position_embeddings=layout.sequence_length))
    return model.eval(), layout


def test_greedy_cached_sampling_matches_full_forward():
    model, layout = tiny()
    prefix = layout.prefix([[2, 5, 6, 7]])
    codes = sample_image_tokens(model, layout, prefix, guidance=1.0, temperature=0)
    sequence = torch.cat([prefix, codes.reshape(1, -1) + layout.image_token_offset], 1)
    with torch.no_grad():
        logits = model(input_ids=sequence).logits[0, prefix.shape[1] - 1:-1]
    image_logits = logits[:, layout.image_token_offset:layout.image_token_offset + layout.codebook_size]
    assert torch.equal(image_logits.argmax(-1), codes.reshape(-1))


def test_guided_sampling_is_seeded_and_in_range():
    model, layout = tiny()
    prefix = layout.prefix([[2, 5], [2, 8, 9]])
    first = sample_image_tokens(model, layout, prefix, guidance=3.0, top_k=5,
                                generator=torch.Generator().manual_seed(1))
    again = sample_image_tokens(model, layout, prefix, guidance=3.0, top_k=5,
                                generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again) and first.shape == (2, 4, 4)
    assert first.min() >= 0 and first.max() < layout.codebook_size


def test_logit_helpers():
    cond, uncond = torch.tensor([[1.0, 3.0]]), torch.tensor([[1.0, 1.0]])
    assert torch.equal(guide(cond, uncond, 2.0), torch.tensor([[1.0, 5.0]]))
    assert torch.isinf(top_k_filter(torch.tensor([[1.0, 2.0, 3.0]]), 2)[0, 0])
