"""Fixtures for the diffusion family: tiny random SD/ControlNet folders and an engine over real services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import diffusion_graphs
import pytest
import torch
from sd_engine import Engine, make_engine
from sd_tiny import build_models
from sdxl_tiny import save_sdxl

from nodegraph.plugins import build_registry


@pytest.fixture(scope="session")
def graphs() -> Any:
    return diffusion_graphs


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    # Tiny models on a shared, busy 2-core machine: one thread avoids OpenMP spin-waits that made each UNet
    # call ~40x slower.
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("sd_models")
    build_models(root)
    return root


@pytest.fixture(scope="session")
def registry():
    return build_registry([], use_entry_points=False)


@pytest.fixture()
def engine(registry, tiny_root, tmp_path) -> Engine:
    return make_engine(registry, tiny_root, tmp_path, device="cpu")


@pytest.fixture(scope="session")
def sdxl(tmp_path_factory) -> tuple[Path, Any, Any]:
    """(models root with checkpoints/tiny-sdxl and tiny-sdxl-refiner, the base pipeline, the refiner pipeline)."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("sdxl_models")
    base, refiner = save_sdxl(root)
    return root, base, refiner


@pytest.fixture(scope="session")
def dit(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """(models root with checkpoints/tiny-sd3, tiny-flux-dev and tiny-flux-schnell, their pipelines by name)."""
    from dit_tiny import save_all

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("dit_models")
    return root, save_all(root)


@pytest.fixture()
def dit_engine(registry, dit, tmp_path) -> Engine:
    return make_engine(registry, dit[0], tmp_path, device="cpu")


@pytest.fixture(scope="session")
def dit_separate(dit) -> dict[str, dict[str, str]]:
    """tiny-sd3's and tiny-flux-dev's parts as separate files beside them (dit_tiny.save_separate)."""
    from dit_tiny import save_separate

    root, pipes = dit
    return {name: save_separate(root, name, pipes[name]) for name in ("tiny-sd3", "tiny-flux-dev")}


@pytest.fixture(scope="session")
def sd3_controlnets(dit) -> dict[str, Any]:
    """Tiny SD3 ControlNets (folders and files in both layouts) and a sure VAE beside tiny-sd3 (sd3_cn_tiny.py)."""
    from sd3_cn_tiny import save_all

    root, pipes = dit
    return save_all(root, pipes["tiny-sd3"])
