"""Offloading under the memory budget: the placement rule (whole on the accelerator, or behind accelerate's
sequential-offload hooks when larger than the whole budget; text encoders released once encoded), and the
hooks themselves, installed on the CPU as execution device, leaving a module's output unchanged. The CUDA path
(moves between accelerator and CPU) is not run here: this machine has no GPU."""

from __future__ import annotations

import pytest
import torch

from nodegraph.config import Config
from nodegraph.runtime import offload
from nodegraph.runtime.models import ModelManager

GB = 2**30


@pytest.mark.parametrize("size,limit,accelerator,where", [
    (30 * GB, 16 * GB, True, offload.SEQUENTIAL),  # a Flux transformer in bf16 on a 16 GB budget
    (10 * GB, 16 * GB, True, offload.DEVICE),  # fits: others leave by recency, component by component
    (30 * GB, None, True, offload.DEVICE),  # no budget: nothing is offloaded
    (30 * GB, 16 * GB, False, offload.DEVICE),  # on the CPU there is nowhere cheaper
])
def test_placement(size, limit, accelerator, where):
    assert offload.placement(size, limit, accelerator) == where


def test_release_and_load_device_rules():
    assert offload.releasable(16 * GB, accelerator=True, on_device=True)
    assert not offload.releasable(None, accelerator=True, on_device=True)
    assert not offload.releasable(16 * GB, accelerator=False, on_device=True)
    assert not offload.releasable(16 * GB, accelerator=True, on_device=False)
    assert offload.load_device(16 * GB, torch.device("cuda", 0)) == torch.device("cpu")
    assert offload.load_device(None, torch.device("cuda", 0)) == torch.device("cuda", 0)


def test_sequential_hooks_keep_the_output_and_stay_in_place(tmp_path):
    torch.manual_seed(0)
    manager = ModelManager(Config(models_dirs=(tmp_path,), device="cpu", vram_budget_gb=1.0))
    model = manager.load("m", lambda device, dtype: torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 4)).to(device, dtype))
    x = torch.randn(3, 8)
    expected = model(x)
    manager.offload_sequentially("m")
    assert offload.is_offloaded(model) and model[0].weight.device.type == "meta"
    assert torch.equal(model(x), expected)
    assert manager.loaded()[0]["device"] == offload.OFFLOADED
    assert manager.load("m", lambda device, dtype: None) is model and model[0].weight.device.type == "meta"
    assert not manager.release("m")  # the CPU: a released encoder stays where it is
