"""Nodes written in ComfyUI's V3 schema (io.ComfyNode, comfy_entrypoint): declaration, validation, execution,
UI outputs, lazy inputs, hidden values, fingerprints and expansion."""

from __future__ import annotations

from PIL import Image

from nodegraph.core.object_info import object_info


def test_a_v3_schema_renders_as_comfyuis_object_info(packs):
    info = object_info(packs.engine.registry["V3Scale"])
    required = info["input"]["required"]
    assert required["value"] == ["FLOAT", {"default": 1.0, "min": -100.0, "max": 100.0}]
    assert required["factor"] == ["INT", {"default": 2, "min": 1, "max": 10, "display": "slider"}]
    assert required["mode"] == [["multiply", "negate"], {"default": "multiply"}]
    assert info["input"]["hidden"] == {"unique_id": "UNIQUE_ID"}
    assert info["output"] == ["FLOAT"] and info["output_name"] == ["scaled"]
    assert (info["display_name"], info["category"], info["output_node"]) == ("Scale (V3)", "v3_pack", False)


def test_a_v3_node_runs_with_its_hidden_values_ui_and_progress(packs):
    prompt = {"s": {"class_type": "V3Scale", "inputs": {"value": 1.5, "factor": 4, "mode": "multiply"}},
              "show": {"class_type": "ShowValue", "inputs": {"value": ["s", 0]}}}
    result = packs.run(prompt)
    assert result.ui["show"]["value"] == [6.0]
    assert result.ui["s"] == {"text": ["s: 6.0"]}  # cls.hidden.unique_id, ui.PreviewText
    assert [(e.node, e.value, e.max) for e in packs.events if e.type == "progress"] == [("s", 1, 1)]


def test_v3_validate_inputs_and_fingerprint_inputs(packs):
    prompt = {"s": {"class_type": "V3Scale", "inputs": {"value": 1.0, "factor": 3, "mode": "negate"}},
              "show": {"class_type": "ShowValue", "inputs": {"value": ["s", 0]}}}
    assert packs.errors(prompt) == {"s": ["factor 3 is reserved"]}
    prompt["s"]["inputs"]["factor"] = 5
    packs.run(prompt)
    packs.run(prompt)
    cached = next(e for e in packs.events if e.type == "execution_cached")
    assert "s" in cached.nodes  # the same fingerprint: served from the cache


def test_v3_lazy_inputs_evaluate_only_the_chosen_branch(packs):
    prompt = {"yes": {"class_type": "PrimitiveInt", "inputs": {"value": 1}},
              "no": {"class_type": "V3Block", "inputs": {"reason": "must never run"}},
              "c": {"class_type": "V3Choose", "inputs": {"first": True, "a": ["yes", 0], "b": ["no", 0]}},
              "show": {"class_type": "ShowValue", "inputs": {"value": ["c", 0]}}}
    result = packs.run(prompt)
    assert result.status == "success" and result.ui["show"]["value"] == [1]


def test_an_async_v3_node_previews_its_image_in_the_temp_folder(packs):
    result = packs.run({"g": {"class_type": "V3Gradient", "inputs": {"width": 8}}})
    (image,) = result.ui["g"]["images"]
    assert image["type"] == "temp" and result.ui["g"]["animated"] == [False]
    saved = Image.open(packs.engine.config.temp_dir / image["subfolder"] / image["filename"])
    assert saved.size == (8, 4) and saved.getpixel((7, 0)) == (255, 255, 255) and saved.getpixel((0, 0)) == (0, 0, 0)


def test_a_v3_node_expands_into_a_subgraph(packs):
    prompt = {"t": {"class_type": "V3Twice", "inputs": {"value": 1.25}},
              "show": {"class_type": "ShowValue", "inputs": {"value": ["t", 0]}}}
    assert packs.run(prompt).ui["show"]["value"] == [5.0]


def test_the_extension_was_loaded_once_through_comfy_entrypoint(packs):
    spec = packs.engine.registry["V3Choose"]
    assert spec.python_module == "custom_nodes.v3_pack" and spec.source.__name__ == "Choose"
