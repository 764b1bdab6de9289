"""Paths and loaders for the workflow tests' fixture files (a uniquely named module, unlike conftest)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
PLUGINS = FIXTURES / "plugins"


def fixture_nodes() -> Any:
    """The ComfyUI-named classic node module, imported on its own (not through the plugin loader)."""
    spec = importlib.util.spec_from_file_location("workflow_fixture_nodes", PLUGINS / "comfy_like_nodes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "ui" / name).read_text())
