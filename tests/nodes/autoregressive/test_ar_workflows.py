"""The shipped AR workflows: the UI files encode the builders' graphs, and the graphs run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import ar_graphs
import pytest
import torch
from ar_engine import captured

from nodegraph.workflow import load_workflow

WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"


def shape(prompt: dict) -> list[tuple[str, str]]:
    """The graph without its node ids: each node's class and literal inputs, in a canonical order."""
    return sorted((node["class_type"], json.dumps({k: v for k, v in node["inputs"].items()
                                                   if not isinstance(v, list)}, sort_keys=True))
                  for node in prompt.values())


@pytest.mark.parametrize("name", ["ar_txt2img", "ar_inpaint", "ar_continuation_edit"])
def test_shipped_ui_workflow_is_the_builders_graph(registry, name):
    workflow = json.loads((WORKFLOWS / f"{name}.json").read_text())
    assert "nodes" in workflow and "links" in workflow  # the UI format, as the editor saves it
    converted = load_workflow(workflow, registry).prompt
    assert shape(converted) == shape(ar_graphs.WORKFLOWS[name]())


def with_capture(prompt: dict) -> dict:
    prompt["99"] = {"class_type": "Capture", "inputs": {"value": ["8", 0], "label": "image"}}
    return prompt


def test_txt2img_inpaint_and_edit_run_on_a_tiny_model(engine):
    for prompt in (ar_graphs.ar_txt2img("tiny"), ar_graphs.ar_inpaint("tiny", size=32, box=(16, 16, 16, 16)),
                   ar_graphs.ar_continuation_edit("tiny", keep_rows=3)):
        result = engine.run(with_capture(prompt))
        assert result.status == "success", result.error
        image = captured()["image"]
        assert image.shape == (1, 32, 32, 3) and torch.isfinite(image).all()
        assert result.ui["9"]["images"][0]["type"] == "output"
