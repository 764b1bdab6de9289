"""UI workflow -> API prompt, against hand-written files in ComfyUI's real shapes."""

from __future__ import annotations

import copy

import pytest
from workflow_files import load_fixture

from nodegraph.core.validate import validate
from nodegraph.workflow import WorkflowError, kind, ui_to_api

DEFAULT_V04 = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 156680208700286, "steps": 20, "cfg": 8, "sampler_name": "euler", "scheduler": "normal", "denoise": 1,
        "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {
        "text": "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}


def strip_meta(prompt: dict) -> dict:
    return {k: {kk: vv for kk, vv in v.items() if kk != "_meta"} for k, v in prompt.items()}


def test_kind_tells_the_formats_apart():
    assert kind(load_fixture("default_v04.json")) == "ui"
    assert kind(load_fixture("subgraph_v1.json")) == "ui"
    assert kind(DEFAULT_V04) == "api"
    assert kind({}) is None
    assert kind([1, 2]) is None
    assert kind({"nodes": "x", "links": []}) is None
    assert kind({"a": 1}) is None


def test_default_v04_converts_like_the_frontend(registry):
    prompt = ui_to_api(load_fixture("default_v04.json"), registry)
    assert strip_meta(prompt) == DEFAULT_V04
    assert prompt["4"]["_meta"] == {"title": "Load Checkpoint"}
    assert validate(prompt, registry).ok


def test_v1_object_links_titles_and_widget_sockets(registry):
    prompt = ui_to_api(load_fixture("default_v1.json"), registry)
    assert prompt["3"]["inputs"] == {
        "seed": 42, "steps": 12, "cfg": 6.5, "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 0.9,
        "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}
    assert prompt["5"]["inputs"] == {"width": 768, "height": 512, "batch_size": 2}
    assert prompt["6"]["_meta"]["title"] == "Positive"
    assert prompt["7"]["_meta"]["title"] == "CLIP Text Encode (Prompt)"
    assert validate(prompt, registry).ok


def test_widget_socket_with_a_link_takes_the_link(registry):
    workflow = load_fixture("default_v1.json")
    nodes = {n["id"]: n for n in workflow["nodes"]}
    workflow["nodes"].append({
        "id": 20, "type": "PrimitiveInt", "mode": 0, "inputs": [], "widgets_values": [5],
        "outputs": [{"name": "INT", "type": "INT", "links": [30]}]})
    workflow["links"].append({"id": 30, "origin_id": 20, "origin_slot": 0, "target_id": 3, "target_slot": 5,
                              "type": "INT"})
    nodes[3]["inputs"][5]["link"] = 30  # "steps"
    prompt = ui_to_api(workflow, registry)
    assert prompt["3"]["inputs"]["steps"] == ["20", 0]
    assert prompt["20"] == {"class_type": "PrimitiveInt", "inputs": {"value": 5}, "_meta": {"title": "Int"}}


def test_bypass_mute_reroute_primitive_and_notes(registry):
    prompt = ui_to_api(load_fixture("bypass_mute_reroute_v04.json"), registry)
    # Muted (11), bypassed (10, 13), Reroutes (20, 23), PrimitiveNodes (21, 22) and Notes (15, 16) are gone.
    assert sorted(prompt, key=int) == ["3", "4", "5", "6", "7", "8", "9", "12", "14"]
    # The bypassed upscale hands the sampler's latent straight to the decoder.
    assert prompt["8"]["inputs"] == {"samples": ["3", 0], "vae": ["4", 2]}
    # The link from the muted ImageInvert is dropped; the bypassed decoder has no IMAGE input to pass on.
    assert prompt["9"]["inputs"] == {"filename_prefix": "inverted"}
    assert prompt["14"]["inputs"] == {"filename_prefix": "from bypassed decode"}
    assert prompt["12"]["inputs"] == {"filename_prefix": "direct", "images": ["8", 0]}
    # Through the Reroute to the checkpoint's CLIP; primitives (one behind a Reroute) give their values.
    assert prompt["6"]["inputs"] == {"text": "a fox from a primitive", "clip": ["4", 1]}
    assert prompt["3"]["inputs"]["seed"] == 777
    assert prompt["9"]["_meta"]["title"] == "Inverted"


def test_bypass_prefers_the_same_slot_then_the_first_input_of_the_type(registry):
    workflow = load_fixture("bypass_mute_reroute_v04.json")
    nodes = {n["id"]: n for n in workflow["nodes"]}
    nodes[11]["mode"] = 4  # bypass the ImageInvert instead of muting it
    prompt = ui_to_api(workflow, registry)
    assert prompt["9"]["inputs"]["images"] == ["8", 0]


def test_muting_a_producer_drops_every_link_from_it(registry):
    workflow = load_fixture("default_v04.json")
    next(n for n in workflow["nodes"] if n["id"] == 4)["mode"] = 2
    prompt = ui_to_api(workflow, registry)
    assert "4" not in prompt
    assert prompt["3"]["inputs"]["positive"] == ["6", 0]
    assert "model" not in prompt["3"]["inputs"] and "clip" not in prompt["6"]["inputs"]
    assert "vae" not in prompt["8"]["inputs"]


def test_subgraphs_are_flattened_with_compound_ids(registry):
    prompt = ui_to_api(load_fixture("subgraph_v1.json"), registry)
    assert set(prompt) == {"1", "2", "10:1", "10:2", "10:3", "10:5:1", "3", "4"}
    sampler = prompt["10:3"]["inputs"]
    assert sampler["model"] == ["1", 0] and sampler["latent_image"] == ["2", 0]
    assert sampler["positive"] == ["10:1", 0] and sampler["negative"] == ["10:2", 0]
    assert sampler["seed"] == 1234  # the instance's promoted widget value wins over the inner one (5)
    assert prompt["10:1"]["inputs"] == {"text": "a fox inside a subgraph", "clip": ["1", 1]}
    assert prompt["10:5:1"]["inputs"] == {"upscale_method": "bilinear", "scale_by": 2, "samples": ["10:3", 0]}
    assert prompt["3"]["inputs"] == {"samples": ["10:5:1", 0], "vae": ["1", 2]}
    assert validate(prompt, registry).ok


def test_proxy_widgets_of_newer_editors(registry):
    """properties.proxyWidgets lists what the instance shows: its own input widgets ("-1") and inner ones."""
    workflow = load_fixture("subgraph_v1.json")
    instance = next(n for n in workflow["nodes"] if n["id"] == 10)
    instance["properties"]["proxyWidgets"] = [["1", "text"], ["-1", "seed"], ["3", "steps"]]
    instance["widgets_values"] = ["shown on the instance", 4321, 33]
    prompt = ui_to_api(workflow, registry)
    assert prompt["10:1"]["inputs"]["text"] == "shown on the instance"
    assert prompt["10:3"]["inputs"]["seed"] == 4321 and prompt["10:3"]["inputs"]["steps"] == 33
    assert prompt["10:2"]["inputs"]["text"] == "ugly"


def test_subgraph_input_fed_by_a_link_replaces_the_promoted_widget(registry):
    workflow = load_fixture("subgraph_v1.json")
    workflow["nodes"].append({"id": 30, "type": "PrimitiveInt", "mode": 0, "widgets_values": [99],
                              "outputs": [{"name": "INT", "type": "INT", "links": [40]}]})
    workflow["links"].append({"id": 40, "origin_id": 30, "origin_slot": 0, "target_id": 10, "target_slot": 3,
                              "type": "INT"})
    next(n for n in workflow["nodes"] if n["id"] == 10)["inputs"][3]["link"] = 40
    assert ui_to_api(workflow, registry)["10:3"]["inputs"]["seed"] == ["30", 0]


def test_bypassed_and_muted_subgraph_instances(registry):
    workflow = load_fixture("subgraph_v1.json")
    instance = next(n for n in workflow["nodes"] if n["id"] == 10)
    instance["mode"] = 4
    prompt = ui_to_api(workflow, registry)
    assert not any(k.startswith("10:") for k in prompt)
    assert prompt["3"]["inputs"]["samples"] == ["2", 0]  # the instance's LATENT input stands in
    instance["mode"] = 2
    prompt = ui_to_api(workflow, registry)
    assert not any(k.startswith("10") for k in prompt) and "samples" not in prompt["3"]["inputs"]


def test_widget_values_read_by_position_and_by_name(registry):
    prompt = ui_to_api(load_fixture("widget_variants_v04.json"), registry)
    # Legacy rule: an INT named seed gets a control value after it, unless the saved list is too short for one.
    assert prompt["1"]["inputs"] == {"seed": 9, "strength": 0.5}
    assert prompt["2"]["inputs"] == {"seed": 11, "strength": 0.25}
    # Required widgets come before optional ones, as the editor draws them.
    assert prompt["3"]["inputs"] == {"first": 3, "last": "a", "extra": 0.25}
    # The upload button's saved "image" value is skipped, after the last required widget.
    assert prompt["4"]["inputs"] == {"image": "photo.png"}
    assert prompt["5"]["inputs"] == {"image": "photo.png", "channel": "red"}
    # An object of widget values is read by name; a short list keeps defaults for the rest.
    assert prompt["6"]["inputs"] == {"width": 640, "height": 320, "batch_size": 3}
    assert prompt["7"]["inputs"] == {"width": 256, "height": 512, "batch_size": 1}
    # The file lists its widgets by name in an older order: values follow the names, not the positions.
    assert prompt["8"]["inputs"] == {"first": 4, "last": "z", "extra": 0.75}
    # A list literal is wrapped so it never reads as a link.
    assert prompt["9"]["inputs"]["text"] == {"__value__": ["not", "a", "link"]}


def test_widgets_converted_in_any_order_by_an_old_editor_read_by_position(registry):
    """Old editors list converted widgets in the order the user converted them: no hint of value order."""
    workflow = load_fixture("widget_variants_v04.json")
    node = next(n for n in workflow["nodes"] if n["id"] == 1)
    node["inputs"] = [{"name": "strength", "type": "FLOAT", "link": None, "widget": {"name": "strength"}},
                      {"name": "seed", "type": "INT", "link": None, "widget": {"name": "seed"}}]
    assert ui_to_api(workflow, registry)["1"]["inputs"] == {"seed": 9, "strength": 0.5}
    # The same permutation from a node saved at an older version is taken as that version's order.
    node["properties"]["nodegraph_version"] = 0
    node["widgets_values"] = [0.5, 9, "fixed"]
    assert ui_to_api(workflow, registry)["1"]["inputs"] == {"seed": 9, "strength": 0.5}


def test_unknown_node_type_names_id_type_and_title(registry):
    workflow = load_fixture("default_v04.json")
    node = next(n for n in workflow["nodes"] if n["id"] == 8)
    node["type"], node["title"] = "FancyUpscaler", "My upscaler"
    with pytest.raises(WorkflowError) as caught:
        ui_to_api(workflow, registry)
    message = str(caught.value)
    assert "node 8" in message and "FancyUpscaler" in message and "My upscaler" in message
    assert caught.value.node_id == "8" and caught.value.node_type == "FancyUpscaler"


def test_unknown_type_inside_a_subgraph_names_the_flattened_id(registry):
    workflow = load_fixture("subgraph_v1.json")
    workflow["definitions"]["subgraphs"][1]["nodes"][0]["type"] = "Nope"
    with pytest.raises(WorkflowError, match=r"node 10:5:1 in subgraph 'Upscale': unknown node type 'Nope'"):
        ui_to_api(workflow, registry)


def test_every_unknown_type_is_reported_at_once(registry):
    workflow = load_fixture("subgraph_v1.json")
    workflow["definitions"]["subgraphs"][1]["nodes"][0]["type"] = "Nope"
    top = next(n for n in workflow["nodes"] if n["type"] not in {s["id"] for s in workflow["definitions"]["subgraphs"]})
    top["type"] = "AlsoMissing"
    with pytest.raises(WorkflowError) as caught:
        ui_to_api(workflow, registry)
    message = str(caught.value)
    assert message.startswith("2 nodes use types no loaded plugin provides")
    assert "unknown node type 'Nope'" in message and "unknown node type 'AlsoMissing'" in message
    assert sorted(node_type for _, node_type, _ in caught.value.nodes) == ["AlsoMissing", "Nope"]
    assert {node_id for node_id, _, _ in caught.value.nodes} == {"10:5:1", str(top["id"])}


def test_unknown_types_that_are_muted_or_bypassed_do_not_matter(registry):
    workflow = load_fixture("bypass_mute_reroute_v04.json")
    for node in workflow["nodes"]:
        if node["id"] in (10, 11):
            node["type"] = "SomethingNotInstalled"
    prompt = ui_to_api(workflow, registry)
    assert prompt["8"]["inputs"]["samples"] == ["3", 0]


def test_conversion_does_not_modify_the_workflow(registry):
    workflow = load_fixture("subgraph_v1.json")
    before = copy.deepcopy(workflow)
    ui_to_api(workflow, registry)
    assert workflow == before


def test_long_reroute_and_bypass_chains_resolve_without_recursion_limits(registry):
    """3,000 Reroutes then 1,000 bypassed nodes between a producer and its consumer."""
    nodes = [{"id": 1, "type": "PrimitiveInt", "mode": 0, "widgets_values": [8],
              "outputs": [{"name": "INT", "type": "INT", "links": [1]}]}]
    links = []
    for i in range(2, 4002):
        node_type, mode = ("Reroute", 0) if i < 3002 else ("MathInt", 4)
        nodes.append({"id": i, "type": node_type, "mode": mode, "widgets_values": [0, 0, "add"],
                      "inputs": [{"name": "a", "type": "INT", "link": i - 1}],
                      "outputs": [{"name": "INT", "type": "INT", "links": [i]}]})
        links.append([i - 1, i - 1, 0, i, 0, "INT"])
    nodes.append({"id": 5000, "type": "MathInt", "mode": 0, "widgets_values": [0, 1, "add"],
                  "inputs": [{"name": "a", "type": "INT", "link": 4001, "widget": {"name": "a"}}],
                  "outputs": [{"name": "INT", "type": "INT", "links": []}]})
    links.append([4001, 4001, 0, 5000, 0, "INT"])
    prompt = ui_to_api({"nodes": nodes, "links": links, "version": 0.4}, registry)
    assert set(prompt) == {"1", "5000"}
    assert prompt["5000"]["inputs"] == {"a": ["1", 0], "b": 1, "operation": "add"}


def test_muted_reroutes_and_primitives_still_apply_as_in_the_editor(registry):
    workflow = load_fixture("bypass_mute_reroute_v04.json")
    for node in workflow["nodes"]:
        if node["id"] in (20, 21, 22, 23):
            node["mode"] = 2
    prompt = ui_to_api(workflow, registry)
    assert prompt["6"]["inputs"] == {"text": "a fox from a primitive", "clip": ["4", 1]}
    assert prompt["3"]["inputs"]["seed"] == 777


def test_legacy_group_nodes_get_a_hint(registry):
    workflow = load_fixture("default_v04.json")
    workflow["nodes"][0]["type"] = "workflow>Encode pair"
    with pytest.raises(WorkflowError, match="legacy group node; convert it to a subgraph"):
        ui_to_api(workflow, registry)
