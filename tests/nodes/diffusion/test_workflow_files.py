"""The shipped workflow files are UI workflows that convert back to exactly the prompts their script builds."""

from __future__ import annotations

import json

import diffusion_graphs as GRAPHS
import pytest
from sd_engine import ROOT

from nodegraph.workflow import api_to_ui, load_workflow


@pytest.mark.parametrize("name", sorted(GRAPHS.WORKFLOWS))
def test_file_is_the_generated_ui_workflow_and_converts_back(name, registry):
    path = ROOT / "workflows" / f"{name}.json"
    saved = json.loads(path.read_text())
    built = GRAPHS.WORKFLOWS[name]()
    assert saved == json.loads(json.dumps(api_to_ui(built, registry))), \
        f"{path.name} is stale: run python workflows/diffusion_graphs.py"
    assert "nodes" in saved and "links" in saved  # the UI format, which the editor opens
    prompt = load_workflow(path, registry).prompt
    assert {k: v["class_type"] for k, v in prompt.items()} == {k: v["class_type"] for k, v in built.items()}
    for node_id, node in built.items():
        assert prompt[node_id]["inputs"] == node["inputs"], node_id
