"""Word-level tokenizer for the caption language, trained with `tokenizers`, saved for AutoTokenizer.

Captions are wrapped as "<bos> words <eos>" by the tokenizer's post-processor, so every consumer (the
CLIP text encoder, the autoregressive transformer) sees the same ids.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from nodegraph.train.dataset import ShapesDataset

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
# Order matters: CLIPTextModel treats eos_token_id == 2 as a legacy config, so eos must not be 2.
SPECIAL_TOKENS = [PAD, UNK, BOS, EOS]
# Longest captions (two shapes, longest paraphrases) are 31 tokens with <bos> and <eos>.
MAX_LENGTH = 32


def caption_corpus(count: int = 20_000, seed: int = 0) -> list[str]:
    dataset = ShapesDataset(seed=seed, two_shape_probability=0.5)
    return [dataset[i].caption for i in range(count)]


def train_tokenizer(captions: list[str]) -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tokenizer.train_from_iterator(captions, trainers.WordLevelTrainer(special_tokens=SPECIAL_TOKENS))
    bos, eos = tokenizer.token_to_id(BOS), tokenizer.token_to_id(EOS)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}", special_tokens=[(BOS, bos), (EOS, eos)],
    )
    return tokenizer


def wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=PAD, unk_token=UNK, bos_token=BOS, eos_token=EOS,
        model_max_length=MAX_LENGTH, padding_side="right",
    )


def build_tokenizer(out_dir: Path, count: int = 20_000, seed: int = 0) -> PreTrainedTokenizerFast:
    """Train on generated captions and save tokenizer.json + tokenizer_config.json + special_tokens_map.json."""
    fast = wrap(train_tokenizer(caption_corpus(count, seed)))
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out_dir))
    return fast


def grammar_corpus(count: int = 20_000, seed: int = 0) -> list[str]:
    """Captions in the caption grammar's training structures (never its held-out ones)."""
    import numpy as np

    from nodegraph.train.grammar import training_caption

    dataset, rng = ShapesDataset(seed=seed, two_shape_probability=0.5), np.random.default_rng([seed, 1])
    return [training_caption(dataset.attributes_at(i), rng) for i in range(count)]


def extend_tokenizer(tokenizer: PreTrainedTokenizerFast, captions: list[str]) -> PreTrainedTokenizerFast:
    """The same tokenizer with the captions' new words appended: every existing word keeps its id, so a
    model trained on the old ids only gains embedding rows."""
    base = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    vocab = base.get_vocab()
    split = base.pre_tokenizer.pre_tokenize_str
    normalize = base.normalizer.normalize_str
    new_words = sorted({word for caption in captions for word, _ in split(normalize(caption))} - set(vocab))
    extended = {**vocab, **{word: len(vocab) + i for i, word in enumerate(new_words)}}
    base.model = models.WordLevel(extended, unk_token=UNK)
    return wrap(base)
