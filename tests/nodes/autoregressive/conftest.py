"""Fixtures for the AR family: tiny random models in their real folder layouts, and an engine to run graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ar_engine import Engine
from ar_tiny import build_janus_model, build_layout_model, engine_for

from nodegraph.plugins import build_registry


@pytest.fixture(scope="session")
def models_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("models")
    build_layout_model(root / "autoregressive" / "tiny", seed=0)
    build_layout_model(root / "autoregressive" / "other", seed=1)  # same shapes, another codebook
    build_janus_model(root / "autoregressive" / "janus-tiny")
    return root


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread; on the shared 2-core machine two threads thrash (50x slower)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def registry():
    return build_registry([FIXTURES])


@pytest.fixture(scope="session")
def shared_engine(registry, models_root, tmp_path_factory) -> Any:
    """One engine (one model manager) for the session: models load once, as in a long-running server."""
    return engine_for(registry, models_root, tmp_path_factory.mktemp("base"))


@pytest.fixture()
def engine(shared_engine) -> Engine:
    return Engine(shared_engine)
