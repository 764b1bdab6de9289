"""`--set NODE.INPUT=VALUE` overrides on an API prompt."""

from __future__ import annotations

import pytest
from workflow_files import load_fixture

from nodegraph.workflow import WorkflowError, apply_overrides, parse_assignments, ui_to_api


@pytest.fixture
def prompt(registry):
    return ui_to_api(load_fixture("default_v1.json"), registry)


def test_by_id_title_and_unique_class_type(prompt):
    changed = apply_overrides(prompt, {"3.seed": "7", "Positive.text": "a cat", "KSampler.cfg": 4.5,
                                       "EmptyLatentImage.width": "1024"})
    assert changed["3"]["inputs"]["seed"] == 7
    assert changed["3"]["inputs"]["cfg"] == 4.5
    assert changed["6"]["inputs"]["text"] == "a cat"
    assert changed["5"]["inputs"]["width"] == 1024
    assert prompt["3"]["inputs"]["seed"] == 42  # the original is untouched


def test_values_parse_as_json_when_they_can(prompt):
    changed = apply_overrides(prompt, {"6.text": '"42"', "7.text": "not json: {", "3.denoise": "0.5",
                                       "9.filename_prefix": "null", "3.steps": "[1, 2]"})
    assert changed["6"]["inputs"]["text"] == "42"
    assert changed["7"]["inputs"]["text"] == "not json: {"
    assert changed["3"]["inputs"]["denoise"] == 0.5
    assert changed["9"]["inputs"]["filename_prefix"] is None
    assert changed["3"]["inputs"]["steps"] == {"__value__": [1, 2]}
    assert apply_overrides(prompt, {"8.samples": '["5", 0]'})["8"]["inputs"]["samples"] == ["5", 0]


def test_titles_with_dots(prompt):
    prompt["6"]["_meta"]["title"] = "v1.5 prompt"
    assert apply_overrides(prompt, {"v1.5 prompt.text": "dots"})["6"]["inputs"]["text"] == "dots"


def test_unknown_or_ambiguous_targets(prompt, registry):
    with pytest.raises(WorkflowError, match="no node has the id, title or type 'Nope'"):
        apply_overrides(prompt, {"Nope.seed": 1})
    with pytest.raises(WorkflowError, match=r"several nodes \(7, 6\)|several nodes \(6, 7\)"):
        apply_overrides(prompt, {"CLIPTextEncode.text": "x"})
    with pytest.raises(WorkflowError, match="node 3 \\(KSampler\\) has no input 'sead'") as caught:
        apply_overrides(prompt, {"3.sead": 1})
    assert "seed" in str(caught.value) and caught.value.node_id == "3"
    with pytest.raises(WorkflowError, match="expected NODE.INPUT"):
        apply_overrides(prompt, {"seed": 1})


def test_registry_allows_inputs_the_prompt_left_out(registry):
    prompt = {"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64}}}
    with pytest.raises(WorkflowError):
        apply_overrides(prompt, {"1.height": 32})
    assert apply_overrides(prompt, {"1.height": 32}, registry)["1"]["inputs"] == {"width": 64, "height": 32}


def test_parse_assignments():
    assert parse_assignments(["3.seed=7", "Positive.text=a=b"]) == {"3.seed": "7", "Positive.text": "a=b"}
    with pytest.raises(WorkflowError, match="expected NODE.INPUT=VALUE"):
        parse_assignments(["3.seed"])
