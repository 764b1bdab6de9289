"""The language stages' vocabulary growth (old ids keep their meaning) and the AR loss's first-row weight."""

import torch
from transformers import PreTrainedTokenizerFast

from nodegraph.autoregressive.layout import ArLayout
from nodegraph.train.architectures import build_ar
from nodegraph.train.text_tokenizer import build_tokenizer, extend_tokenizer, grammar_corpus


def test_extended_tokenizer_keeps_every_old_id_and_knows_the_grammar(tmp_path):
    old = build_tokenizer(tmp_path, count=300)
    new = extend_tokenizer(old, grammar_corpus(count=400))
    assert len(new) > len(old)
    assert all(new.get_vocab()[word] == index for word, index in old.get_vocab().items())
    text = "on a green background there is a tiny white disc at the top right"
    assert new.unk_token_id not in new(text).input_ids
    assert new.decode(new(text).input_ids, skip_special_tokens=True) == text
    new.save_pretrained(str(tmp_path / "new"))
    assert PreTrainedTokenizerFast.from_pretrained(str(tmp_path / "new"))(text).input_ids == new(text).input_ids
    # Extending again adds nothing: a resumed language stage sees the same ids.
    assert extend_tokenizer(new, grammar_corpus(count=400)).get_vocab() == new.get_vocab()


def test_first_row_weight_adds_the_first_rows_loss_to_the_plain_loss():
    import torch.nn.functional as F

    from nodegraph.train.train_ar import BF16, next_token_loss

    torch.manual_seed(0)
    layout = ArLayout.create(20, 0, 2, 8, 16, 4, 16)
    model = build_ar(layout.vocab_size, layout.sequence_length).eval()
    prefix, empty = layout.prefix([[2, 5, 7]] * 3), layout.unconditional(1)
    images = torch.randint(0, 16, (3, 16)) + layout.image_token_offset

    def loss(weight: float) -> torch.Tensor:
        with torch.no_grad():
            return next_token_loss(model, layout, prefix.clone(), images, empty, torch.Generator().manual_seed(1),
                                   weight)

    plain, weighted = loss(0.0), loss(2.0)
    dropped = prefix.clone()
    dropped[torch.rand(3, generator=torch.Generator().manual_seed(1)) < 0.1] = empty
    sequence = torch.cat([dropped, images, torch.full((3, 1), layout.eoi_id)], 1)
    # The same autocast as the loss: on a CPU with native bf16 the transformer's logits are bf16 there.
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
        logits = model(sequence).logits[:, dropped.shape[1] - 1:-1].float()
    per_token = F.cross_entropy(logits.transpose(1, 2), sequence[:, dropped.shape[1]:], reduction="none")
    torch.testing.assert_close(plain, per_token.mean())
    torch.testing.assert_close(weighted, per_token.mean() + 2.0 * per_token[:, :4].mean())
