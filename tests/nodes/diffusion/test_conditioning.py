"""ConditioningAverage, ConditioningConcat and ConditioningZeroOut on the shipped model: blends at their ends
equal the prompts they blend, a prompt concatenated with itself draws what it draws alone (the sampler
repeats the shorter side's tokens to a common length), and bad inputs are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from nodegraph_nodes.text.conditioning import ConditioningAverage, ConditioningZeroOut

from nodegraph.config import Config
from nodegraph.core.errors import NodeError
from nodegraph.engine import Engine

REPO_ROOT = Path(__file__).resolve().parents[3]  # the checkout these tests belong to

SHIPPED = REPO_ROOT / "models" / "checkpoints" / "shapes-sd"
RED = "a large red circle in the center on a white background"
BLUE = "a small blue square at the top left on a black background"
needs_sd = pytest.mark.skipif(not (SHIPPED / "model_index.json").is_file(), reason="shapes-sd is not installed")


def graph(positive: list, extra: dict | None = None) -> dict:
    prompt = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "shapes-sd"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": RED}},
        "16": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": BLUE}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": ""}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "positive": positive, "negative": ["7", 0],
                                                   "latent_image": ["5", 0], "seed": 3, "steps": 10, "cfg": 3.0,
                                                   "sampler_name": "ddim", "scheduler": "simple", "denoise": 1.0}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }
    return {**prompt, **(extra or {})}


def image(tmp_path, prompt: dict) -> torch.Tensor:
    torch.set_num_threads(1)
    result = Engine(Config(base_dir=tmp_path, device="cpu")).execute(prompt)
    assert result.status == "success", result.error
    return result.output("8")


def average(strength: float) -> dict:
    return {"20": {"class_type": "ConditioningAverage", "inputs": {
        "conditioning_to": ["6", 0], "conditioning_from": ["16", 0], "conditioning_to_strength": strength}}}


@needs_sd
def test_average_at_its_ends_is_each_prompt(tmp_path):
    red, blue = image(tmp_path, graph(["6", 0])), image(tmp_path, graph(["16", 0]))
    assert torch.equal(image(tmp_path, graph(["20", 0], average(1.0))), red)
    assert torch.equal(image(tmp_path, graph(["20", 0], average(0.0))), blue)
    halfway = image(tmp_path, graph(["20", 0], average(0.5)))
    assert not torch.allclose(halfway, red, atol=0.05) and not torch.allclose(halfway, blue, atol=0.05)


@needs_sd
def test_a_prompt_concatenated_with_itself_draws_what_it_draws_alone(tmp_path):
    concat = {"20": {"class_type": "ConditioningConcat", "inputs": {"conditioning_to": ["6", 0],
                                                                    "conditioning_from": ["6", 0]}}}
    session = Engine(Config(base_dir=tmp_path, device="cpu"))
    result = session.execute(graph(["20", 0], concat))
    assert result.status == "success", result.error
    assert result.output("20")[0][0].shape[1] == 2 * result.output("6")[0][0].shape[1]
    # 154 tokens against the negative's 77: the sampler repeats the negative to 154.
    assert torch.allclose(result.output("8"), image(tmp_path, graph(["6", 0])), atol=1e-4)


@needs_sd
def test_zero_out_runs_and_differs(tmp_path):
    zero = {"20": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["6", 0]}}}
    zeroed = image(tmp_path, graph(["20", 0], zero))
    assert not torch.allclose(zeroed, image(tmp_path, graph(["6", 0])), atol=0.05)


def test_bad_conditioning_is_named():
    good = [[torch.zeros(1, 77, 128), {"pooled_output": None}]]
    with pytest.raises(NodeError) as error:
        ConditioningAverage().run(None, good, "text", 0.5)
    assert error.value.input_name == "conditioning_from"
    with pytest.raises(NodeError) as error:
        ConditioningAverage().run(None, good, [[torch.zeros(1, 77, 64), {}]], 0.5)
    assert error.value.input_name == "conditioning_from" and "different text encoders" in str(error.value)
    with pytest.raises(NodeError) as error:
        ConditioningZeroOut().run(None, None)
    assert error.value.input_name == "conditioning"
    (zeroed,) = ConditioningZeroOut().run(None, [[torch.ones(1, 3, 4), {"pooled_output": torch.ones(1, 4)}]])
    assert not zeroed[0][0].any() and not zeroed[0][1]["pooled_output"].any()


@needs_sd
def test_combine_averages_the_predictions_of_its_prompts(tmp_path):
    def combine(first: str, second: str) -> dict:
        return {"20": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": [first, 0],
                                                                     "conditioning_2": [second, 0]}}}

    red, blue = image(tmp_path, graph(["6", 0])), image(tmp_path, graph(["16", 0]))
    # The same prompt twice: the average of two equal predictions is that prediction.
    assert torch.allclose(image(tmp_path, graph(["20", 0], combine("6", "6"))), red, atol=1e-4)
    both = image(tmp_path, graph(["20", 0], combine("6", "16")))
    assert not torch.allclose(both, red, atol=0.05) and not torch.allclose(both, blue, atol=0.05)
    # A combined negative samples too (each side averages its own prompts).
    negative = graph(["6", 0], combine("7", "7"))
    negative["3"]["inputs"]["negative"] = ["20", 0]
    assert torch.allclose(image(tmp_path, negative), red, atol=1e-4)


@needs_sd
def test_conditioning_from_another_checkpoints_clip_is_named_at_the_sampler(registry, tiny_root, tmp_path):
    from sd_engine import make_engine

    root = tmp_path / "models"
    (root / "checkpoints").mkdir(parents=True)
    (root / "checkpoints" / "shapes-sd").symlink_to(SHIPPED, target_is_directory=True)
    (root / "checkpoints" / "tiny-sd").symlink_to(tiny_root / "checkpoints" / "tiny-sd", target_is_directory=True)
    prompt = graph(["6", 0], {"40": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-sd"}}})
    prompt["6"]["inputs"]["clip"] = ["40", 1]  # the tiny model's text encoder, narrower than shapes-sd's
    result = make_engine(registry, root, tmp_path, device="cpu").run(prompt)
    assert result.error is not None and result.error.node_id == "3" and result.error.input_name == "positive"
    assert "wide but this model attends to 128" in result.error.exception_message
