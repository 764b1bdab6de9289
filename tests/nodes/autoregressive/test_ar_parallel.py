"""Speculative Jacobi decoding: exactly the sequential codes when greedy (guided, batched, teacher-forced),
the sequential distribution when sampling, and fewer forward passes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from nodegraph.autoregressive.folder import load_folder
from nodegraph.autoregressive.generate import Sampling, baseline, decode
from nodegraph.autoregressive.logits import probabilities
from nodegraph.autoregressive.model import ArModel, Prompt, sliced_head


@pytest.fixture(scope="module")
def tiny(models_root):
    model, _ = load_folder(models_root / "autoregressive" / "tiny", torch.device("cpu"), torch.float32)
    return model


@pytest.mark.parametrize("block", [2, 4, 16])
@pytest.mark.parametrize("cfg", [1.0, 3.0])
def test_greedy_blocks_give_exactly_the_sequential_codes(tiny, block, cfg):
    prompt = tiny.prompt(tiny.tokenize(["a red circle at the top left", "a small blue square"]))
    negative = baseline(tiny, prompt, None, cfg)
    greedy = Sampling(temperature=0.0, cfg=cfg)
    one = decode(tiny, prompt, negative, greedy, None)
    many = decode(tiny, prompt, negative, greedy, None, block=block)
    assert torch.equal(one.codes, many.codes)
    assert many.passes <= one.passes


def test_greedy_blocks_keep_teacher_forced_codes_and_report_every_row(tiny):
    prompt = tiny.prompt(tiny.tokenize(["a green triangle"]))
    height, width = tiny.grid
    kept = torch.randint(0, 16, (1, height, width), generator=torch.Generator().manual_seed(3))
    keep = torch.zeros(1, height, width, dtype=torch.bool)
    keep[:, :2] = True  # the first two rows, as the continuation edit keeps them
    keep[:, 5, 3:6] = True  # and a patch further down, as token inpainting keeps the outside
    rows_one, rows_many = [], []
    greedy = Sampling(temperature=0.0, cfg=2.0)
    negative = baseline(tiny, prompt, None, 2.0)
    one = decode(tiny, prompt, negative, greedy, None, kept=kept, keep=keep,
                 on_row=lambda done, codes: rows_one.append(done))
    many = decode(tiny, prompt, negative, greedy, None, kept=kept, keep=keep, block=6,
                  on_row=lambda done, codes: rows_many.append(done))
    assert torch.equal(one.codes, many.codes)
    assert torch.equal(many.codes[keep], kept[keep])
    assert rows_many[-1] == height and rows_many == sorted(set(rows_many))


def _toy(codebook: int = 3, grid: tuple[int, int] = (1, 3)) -> ArModel:
    """A random 2-layer Llama over a vocabulary of one <boi> and `codebook` image codes: small enough to
    list every image's exact probability."""
    torch.manual_seed(0)
    lm = LlamaForCausalLM(LlamaConfig(vocab_size=codebook + 1, hidden_size=16, intermediate_size=32,
                                      num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=16))
    lm.eval()
    embed = lm.get_input_embeddings()
    return ArModel(name="toy", codebook="toy", tokenizer_id="toy", grid=grid, pad_id=0, tokenize=lambda t: {},
                   prompt=lambda t: None, unconditional=lambda p: p, embed_text=embed,
                   embed_codes=lambda codes: embed(codes + 1), backbone=lm.base_model,
                   code_logits=sliced_head(lm.get_output_embeddings(), 1, codebook), module=lm)


def _exact(model: ArModel, prompt: Prompt, sampling: Sampling) -> dict[tuple[int, ...], float]:
    """Every image's probability under the sequential loop's rule (teacher forcing through each code)."""
    (height, width), size = model.grid, 3
    exact = {}
    with torch.no_grad():
        for image in itertools.product(range(size), repeat=height * width):
            ids = torch.cat([prompt.ids, torch.tensor([image]) + 1], 1)
            hidden = model.backbone(input_ids=ids).last_hidden_state[0, prompt.ids.shape[1] - 1:-1]
            p = probabilities(model.code_logits(hidden), sampling.temperature, sampling.top_k, sampling.top_p)
            exact[image] = float(torch.prod(p[torch.arange(len(image)), torch.tensor(image)]))
    return exact


def _observed(codes: torch.Tensor) -> dict[tuple[int, ...], float]:
    flat = [tuple(row) for row in codes.reshape(codes.shape[0], -1).tolist()]
    return {image: flat.count(image) / len(flat) for image in set(flat)}


def test_sampled_blocks_keep_the_sequential_distribution():
    model = _toy()
    sampling = Sampling(temperature=1.0)
    rows = 6000
    prompt = Prompt(torch.zeros(rows, 1, dtype=torch.long), torch.ones(rows, 1, dtype=torch.long))
    exact = _exact(model, Prompt(prompt.ids[:1], prompt.mask[:1]), sampling)
    assert abs(sum(exact.values()) - 1) < 1e-4
    distances = {}
    for block in (1, 3):
        codes = decode(model, prompt, None, sampling, torch.Generator().manual_seed(block), block=block).codes
        seen = _observed(codes)
        distances[block] = 0.5 * sum(abs(seen.get(image, 0.0) - p) for image, p in exact.items())
    # 27 outcomes, 6000 draws: sampling noise alone gives a total variation of about 0.03.
    assert distances[1] < 0.05 and distances[3] < 0.05, distances


def test_sampled_blocks_accept_guesses_and_save_passes():
    """One prompt (acceptance is per batch), a model that mostly repeats itself: most guesses hold."""
    model = _toy(grid=(4, 4))
    with torch.no_grad():
        model.module.lm_head.weight[1:] += 4 * torch.eye(3, model.module.config.hidden_size)
    prompt = Prompt(torch.zeros(1, 1, dtype=torch.long), torch.ones(1, 1, dtype=torch.long))
    sampling = Sampling(temperature=1.0)
    one = decode(model, prompt, None, sampling, torch.Generator().manual_seed(0))
    many = decode(model, prompt, None, sampling, torch.Generator().manual_seed(0), block=8)
    assert one.passes == 16
    assert many.passes < one.passes


SHIPPED = Path(__file__).resolve().parents[3] / "models" / "autoregressive" / "shapes-ar"


@pytest.mark.skipif(not (SHIPPED / "nodegraph_ar.json").is_file(), reason="needs the shipped AR model")
def test_greedy_blocks_on_the_shipped_model_give_its_images_in_fewer_passes():
    """Real pictures: varied codes, so guesses fail and the cache is cut back, and still every code is the
    sequential loop's."""
    model, _ = load_folder(SHIPPED, torch.device("cpu"), torch.float32)
    prompt = model.prompt(model.tokenize(["a small red circle at the top left on a blue background",
                                          "a large white square at the center on a black background"]))
    greedy = Sampling(temperature=0.0, cfg=1.25)
    negative = baseline(model, prompt, None, 1.25)
    one = decode(model, prompt, negative, greedy, None)
    many = decode(model, prompt, negative, greedy, None, block=16)
    assert torch.equal(one.codes, many.codes)
    assert len(set(one.codes.flatten().tolist())) > 4  # not one flat colour: guesses must fail somewhere
    assert 256 // 16 + 1 < many.passes < one.passes / 2
