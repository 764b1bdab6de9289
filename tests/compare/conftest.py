"""Fixtures for `nodegraph compare`: tiny random models under the shipped names, and one real comparison run.

The models come from the diffusion and AR families' own fixture builders (tests/nodes/*/sd_tiny.py and
ar_tiny.py), saved as models/checkpoints/shapes-sd and models/autoregressive/shapes-ar in a temporary folder,
so the shipped workflows run unchanged against them while the real models are still training.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from compare_data import PROMPTS, STEPS

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS / "nodes" / "diffusion", TESTS / "nodes" / "autoregressive"):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))



@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    from ar_tiny import build_layout_model
    from sd_tiny import build_pipeline

    root = tmp_path_factory.mktemp("compare_models")
    build_pipeline().save_pretrained(str(root / "checkpoints" / "shapes-sd"), safe_serialization=True)
    build_layout_model(root / "autoregressive" / "shapes-ar", image_size=64, seed=0)
    build_layout_model(root / "autoregressive" / "shapes-ar-coarse", image_size=32, seed=1)
    return root


@pytest.fixture(scope="session")
def prompts_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compare_prompts") / "prompts.json"
    path.write_text(json.dumps(PROMPTS))
    return path


@pytest.fixture(scope="session")
def compared(tiny_models, prompts_file, tmp_path_factory) -> dict[str, Any]:
    """One `compare` run over two prompts, one seed and two step counts; its exit code, output and files."""
    from nodegraph.compare.cli import main

    out = tmp_path_factory.mktemp("compare_out")
    code = main(["--prompts", str(prompts_file), "--seeds", "1", "--out", str(out), "--models-dir",
                 str(tiny_models), "--threads", "1", "--reference", "64", "--quiet",
                 "--steps", *map(str, STEPS)])
    return {"code": code, "out": out, "json": json.loads((out / "compare.json").read_text()),
            "markdown": (out / "compare.md").read_text()}
