"""Fixtures for the hybrid: a tiny AR model and a tiny Stable Diffusion folder side by side, one engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The AR and diffusion tests' model builders and engine, reused rather than copied.
sys.path[:0] = [str(HERE.parent / "autoregressive"), str(HERE.parent / "diffusion")]

from ar_engine import Engine  # noqa: E402
from ar_tiny import build_layout_model, engine_for  # noqa: E402
from sd_tiny import build_models  # noqa: E402

from nodegraph.plugins import build_registry  # noqa: E402


@pytest.fixture(scope="session")
def hybrid_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hybrid_models")
    build_layout_model(root / "autoregressive" / "tiny", image_size=32)
    build_layout_model(root / "autoregressive" / "other", image_size=32, seed=1)
    build_models(root)
    return root


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def hybrid_engine(hybrid_root, tmp_path_factory) -> Engine:
    registry = build_registry([HERE.parent / "autoregressive" / "fixtures"])
    return Engine(engine_for(registry, hybrid_root, tmp_path_factory.mktemp("hybrid_base")))
