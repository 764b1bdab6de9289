"""API prompt -> UI workflow: the drawing converts back to the same prompt and opens as ComfyUI saves it."""

from __future__ import annotations

import json

import pytest
from workflow_files import load_fixture

from nodegraph.core.schema import MISSING
from nodegraph.workflow import WorkflowError, api_to_ui, kind, ui_to_api

FIXTURES = ["default_v04.json", "default_v1.json", "bypass_mute_reroute_v04.json", "widget_variants_v04.json"]


def strip_meta(prompt: dict) -> dict:
    return {k: {kk: vv for kk, vv in v.items() if kk != "_meta"} for k, v in prompt.items()}


@pytest.mark.parametrize("fixture", FIXTURES)
def test_round_trip_of_converted_fixtures(registry, fixture):
    prompt = ui_to_api(load_fixture(fixture), registry)
    drawn = api_to_ui(prompt, registry)
    assert kind(drawn) == "ui"
    assert ui_to_api(json.loads(json.dumps(drawn)), registry) == prompt  # titles survive too


def test_round_trip_of_every_registered_node_with_its_defaults(registry):
    checked = 0
    for spec in registry:
        defaults = {n: i.default_value() for n, i in spec.inputs.items() if i.is_widget}
        if any(v is MISSING for v in defaults.values()):
            continue
        prompt = {"1": {"class_type": spec.name, "inputs": {n: v for n, v in defaults.items()}}}
        for name, value in prompt["1"]["inputs"].items():
            if isinstance(value, list):
                prompt["1"]["inputs"][name] = {"__value__": value}
        assert strip_meta(ui_to_api(api_to_ui(prompt, registry), registry)) == prompt, spec.name
        checked += 1
    assert checked >= 20


def test_saved_shape_matches_what_the_editor_writes(registry):
    prompt = ui_to_api(load_fixture("default_v04.json"), registry)
    drawn = api_to_ui(prompt, registry)
    assert drawn["version"] == 0.4 and drawn["groups"] == [] and drawn["config"] == {}
    assert drawn["extra"]["ds"] == {"scale": 1, "offset": [0, 0]}
    assert drawn["last_node_id"] == 9 and drawn["last_link_id"] == len(drawn["links"]) == 9
    nodes = {n["id"]: n for n in drawn["nodes"]}
    sampler = nodes[3]
    assert sampler["widgets_values"] == [156680208700286, "fixed", 20, 8, "euler", "normal", 1]
    assert sampler["properties"]["Node name for S&R"] == "KSampler"
    assert [i["name"] for i in sampler["inputs"][:4]] == ["model", "positive", "negative", "latent_image"]
    assert sampler["inputs"][4] == {"name": "seed", "type": "INT", "widget": {"name": "seed"}, "link": None}
    for link_id, origin, origin_slot, target, target_slot, link_type in drawn["links"]:
        assert link_id in nodes[origin]["outputs"][origin_slot]["links"]
        assert nodes[target]["inputs"][target_slot]["link"] == link_id
        assert nodes[origin]["outputs"][origin_slot]["type"] == link_type
        assert nodes[origin]["pos"][0] < nodes[target]["pos"][0]  # left to right
    assert sorted(n["order"] for n in drawn["nodes"]) == list(range(7))
    assert nodes[4]["order"] < nodes[6]["order"] < nodes[3]["order"] < nodes[8]["order"] < nodes[9]["order"]


def test_nodes_in_one_column_do_not_overlap(registry):
    drawn = api_to_ui(ui_to_api(load_fixture("default_v04.json"), registry), registry)
    columns: dict[int, list] = {}
    for node in drawn["nodes"]:
        columns.setdefault(node["pos"][0], []).append((node["pos"][1], node["pos"][1] + node["size"][1]))
    for boxes in columns.values():
        boxes.sort()
        assert all(top_next > bottom for (_, bottom), (top_next, _) in zip(boxes, boxes[1:], strict=False))


def test_upload_and_control_placeholders(registry):
    prompt = {"1": {"class_type": "LoadImageMask", "inputs": {"image": "photo.png", "channel": "green"}},
              "2": {"class_type": "LegacySeedNoise", "inputs": {"seed": 3, "strength": 2.0}}}
    nodes = {n["id"]: n for n in api_to_ui(prompt, registry)["nodes"]}
    assert nodes[1]["widgets_values"] == ["photo.png", "green", "image"]
    assert nodes[2]["widgets_values"] == [3, "fixed", 2.0]


def test_linked_widget_keeps_a_default_behind_the_link(registry):
    prompt = {"1": {"class_type": "PrimitiveInt", "inputs": {"value": 30}},
              "2": {"class_type": "EmptyLatentImage", "inputs": {"width": ["1", 0], "height": 64, "batch_size": 1}}}
    drawn = api_to_ui(prompt, registry)
    latent = next(n for n in drawn["nodes"] if n["id"] == 2)
    assert latent["widgets_values"] == [512, 64, 1]
    assert latent["inputs"][0]["link"] == 1
    assert strip_meta(ui_to_api(drawn, registry)) == prompt


def test_titles_and_list_literals(registry):
    prompt = {"5": {"class_type": "CLIPTextEncode", "inputs": {"text": {"__value__": ["a", "b"]}},
                    "_meta": {"title": "Positive prompt"}},
              "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "x"},
                    "_meta": {"title": "CLIP Text Encode (Prompt)"}}}
    drawn = api_to_ui(prompt, registry)
    nodes = {n["id"]: n for n in drawn["nodes"]}
    assert nodes[5]["title"] == "Positive prompt" and "title" not in nodes[6]
    assert nodes[5]["widgets_values"] == [["a", "b"]]
    assert ui_to_api(drawn, registry) == prompt


def test_omitted_widgets_come_back_as_their_defaults(registry):
    prompt = {"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64}}}
    back = ui_to_api(api_to_ui(prompt, registry), registry)
    assert back["1"]["inputs"] == {"width": 64, "height": 512, "batch_size": 1}


def test_non_integer_ids_are_renumbered_consistently(registry):
    prompt = {"7": {"class_type": "PrimitiveInt", "inputs": {"value": 2}},
              "loader": {"class_type": "PrimitiveInt", "inputs": {"value": 3}},
              "sum": {"class_type": "MathInt", "inputs": {"a": ["7", 0], "b": ["loader", 0], "operation": "add"}}}
    drawn = api_to_ui(prompt, registry)
    assert sorted(n["id"] for n in drawn["nodes"]) == [7, 8, 9]
    back = ui_to_api(drawn, registry)
    assert back["9"]["inputs"] == {"a": ["7", 0], "b": ["8", 0], "operation": "add"}
    assert back["8"]["inputs"] == {"value": 3}


@pytest.mark.parametrize(("prompt", "expected"), [
    ([1], "must be a JSON object"),
    ({"1": "KSampler"}, "must be an object with a class_type"),
    ({"1": {"class_type": "Missing", "inputs": {}}}, "unknown node type 'Missing'"),
    ({"1": {"class_type": "PrimitiveInt", "inputs": []}}, "inputs must be an object"),
    ({"1": {"class_type": "VAEDecode", "inputs": {"samples": ["9", 0]}}}, "links to node 9, which is not in"),
    ({"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}},
      "2": {"class_type": "VAEDecode", "inputs": {"samples": ["1", 3]}}}, "which has 1 outputs"),
    ({"1": {"class_type": "VAEDecode", "inputs": {"samples": 5}}}, "takes a link"),
    ({"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1, "bogus": 2}}}, "'bogus' is not an input"),
    ({"1": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
      "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}}, "cycle"),
])
def test_prompts_that_cannot_be_drawn(registry, prompt, expected):
    with pytest.raises(WorkflowError, match=expected):
        api_to_ui(prompt, registry)


def test_command_line_converts_both_ways(tmp_path, capsys):
    from nodegraph.workflow.__main__ import main

    api = tmp_path / "prompt.json"
    api.write_text(json.dumps({"1": {"class_type": "PrimitiveInt", "inputs": {"value": 3}},
                               "2": {"class_type": "MathInt", "inputs": {"a": ["1", 0], "b": 4, "operation": "add"}}}))
    ui = tmp_path / "ui.json"
    assert main(["to-ui", str(api), "-o", str(ui)]) == 0
    assert kind(json.loads(ui.read_text())) == "ui"
    assert main(["to-api", str(ui)]) == 0
    back = json.loads(capsys.readouterr().out)
    assert strip_meta(back) == json.loads(api.read_text())
    assert main(["to-api", str(tmp_path / "missing.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
