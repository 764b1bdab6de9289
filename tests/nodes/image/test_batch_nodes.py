"""ComfyUI's image and latent batch utilities (ImageBatch, RepeatImageBatch, ImageFromBatch, RebatchImages and
their LATENT counterparts), run through the engine as prompts use them."""

from __future__ import annotations

import pytest
import torch

from nodegraph.config import Config
from nodegraph.engine import Engine
from nodegraph.plugins import build_registry


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    registry = build_registry(use_entry_points=False)
    return Engine(Config(base_dir=tmp_path_factory.mktemp("batch")), registry=registry)


def run(engine: Engine, prompt: dict, node: str) -> list:
    """The values of `node`'s first output (one per call of its list semantics), running just what it needs."""
    result = engine.executor.run(prompt, [node])
    assert result.status == "success", result.error
    return result.values[node][0]


def image(color: int, width: int = 4, height: int = 2, batch: int = 1) -> dict:
    return {"class_type": "EmptyImage", "inputs": {"width": width, "height": height, "batch_size": batch,
                                                   "color": color}}


def test_image_batches_join_repeat_and_slice(engine):
    prompt = {"a": image(0xFF0000, batch=2), "b": image(0x0000FF, width=8, height=4),
              "join": {"class_type": "ImageBatch", "inputs": {"image1": ["a", 0], "image2": ["b", 0]}}}
    (joined,) = run(engine, prompt, "join")
    assert joined.shape == (3, 2, 4, 3)  # image2 resized to image1's size
    assert joined[:, 0, 0].tolist() == [[1.0, 0.0, 0.0]] * 2 + [[0.0, 0.0, 1.0]]
    prompt["rep"] = {"class_type": "RepeatImageBatch", "inputs": {"image": ["join", 0], "amount": 2}}
    assert run(engine, prompt, "rep")[0].shape[0] == 6
    prompt["one"] = {"class_type": "ImageFromBatch", "inputs": {"image": ["join", 0], "batch_index": 9, "length": 5}}
    (last,) = run(engine, prompt, "one")
    assert last.shape[0] == 1 and last[0, 0, 0].tolist() == [0.0, 0.0, 1.0]  # index and length clamped


def test_rebatch_images_regroups_every_image_into_a_list_of_batches(engine):
    prompt = {"a": image(0x000000, batch=3), "b": image(0xFFFFFF, batch=2),
              "list": {"class_type": "ImageBatch", "inputs": {"image1": ["a", 0], "image2": ["b", 0]}},
              "re": {"class_type": "RebatchImages", "inputs": {"images": ["list", 0], "batch_size": 2}}}
    batches = run(engine, prompt, "re")
    assert [b.shape[0] for b in batches] == [2, 2, 1]
    assert [b[:, 0, 0, 0].tolist() for b in batches] == [[0.0, 0.0], [0.0, 1.0], [1.0]]


def latent(batch: int, size: int = 2) -> dict:
    return {"class_type": "EmptyLatentImage", "inputs": {"width": size * 8, "height": size * 8, "batch_size": batch}}


def test_latent_batches_carry_batch_indices_and_masks(engine):
    prompt = {"a": latent(2), "b": latent(1, size=4),
              "join": {"class_type": "LatentBatch", "inputs": {"samples1": ["a", 0], "samples2": ["b", 0]}},
              "rep": {"class_type": "RepeatLatentBatch", "inputs": {"samples": ["join", 0], "amount": 2}},
              "part": {"class_type": "LatentFromBatch", "inputs": {"samples": ["rep", 0], "batch_index": 4,
                                                                 "length": 3}}}
    (joined,) = run(engine, prompt, "join")
    assert joined["samples"].shape == (3, 4, 2, 2) and joined["batch_index"] == [0, 1, 0]
    (repeated,) = run(engine, prompt, "rep")
    assert repeated["samples"].shape[0] == 6 and repeated["batch_index"] == [0, 1, 0, 2, 3, 2]
    (part,) = run(engine, prompt, "part")
    assert part["samples"].shape[0] == 2 and part["batch_index"] == [3, 2]


def test_rebatch_latents_starts_a_batch_where_the_size_changes(engine):
    masked = torch.zeros(1, 1, 2, 2)
    prompt = {"a": latent(3),
              "re": {"class_type": "RebatchLatents", "inputs": {"latents": ["a", 0], "batch_size": 2}}}
    assert [b["batch_index"] for b in run(engine, prompt, "re")] == [[0, 1], [2]]
    from nodegraph_nodes.diffusion.latent_batch import RebatchLatents

    (batches,) = RebatchLatents().run(None, [{"samples": torch.zeros(2, 4, 2, 2), "noise_mask": masked},
                                             {"samples": torch.ones(1, 4, 3, 3)}], [4])
    assert [b["samples"].shape[0] for b in batches] == [2, 1] and batches[0]["noise_mask"].shape == (2, 1, 2, 2)
    assert "noise_mask" not in batches[1]
