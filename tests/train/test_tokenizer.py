"""The caption tokenizer saves in a folder that transformers' AutoTokenizer loads."""

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from nodegraph.train.text_tokenizer import BOS, EOS, PAD, UNK, build_tokenizer

MODELS = Path(__file__).resolve().parents[2] / "models"


def check(tokenizer) -> None:
    assert {tokenizer.pad_token, tokenizer.bos_token, tokenizer.eos_token, tokenizer.unk_token} == {PAD, BOS, EOS, UNK}
    ids = tokenizer("A small red circle at the top left on a blue background").input_ids
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "a small red circle at the top left on a blue background"
    assert tokenizer("a zebra").input_ids[2] == tokenizer.unk_token_id


def test_trained_tokenizer_round_trips_through_auto_tokenizer(tmp_path):
    build_tokenizer(tmp_path, count=300)
    check(AutoTokenizer.from_pretrained(str(tmp_path)))


@pytest.mark.parametrize("folder", ["checkpoints/shapes-sd/tokenizer", "autoregressive/shapes-ar/tokenizer"])
def test_shipped_tokenizer_loads(folder):
    path = MODELS / folder
    if not (path / "tokenizer.json").exists():
        pytest.skip(f"{path} not trained yet (python -m nodegraph.train)")
    check(AutoTokenizer.from_pretrained(str(path)))
