"""UI workflows that ask for too much: refused before the work, by the limit that applies, naming it."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hostile_inputs import deep_json, exponential_workflow, nested_subgraphs

from nodegraph.core.limits import InputRefused, Limits
from nodegraph.workflow import WorkflowError, load_workflow, ui_to_api
from nodegraph.workflow.overrides import apply_overrides


def test_exponential_subgraphs_are_refused_before_any_conversion(registry):
    workflow = exponential_workflow(9, 10)  # 100 million nodes once flattened
    assert len(json.dumps(workflow)) < 8_000
    tracemalloc.start()
    try:
        with pytest.raises(InputRefused) as caught:
            ui_to_api(workflow, registry)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.type == "prompt_too_large" and caught.value.setting == "max_prompt_nodes"
    assert "flattens to 100,000 nodes" in str(caught.value)  # the first definition past 10,000 stops the count
    assert peak < 2 * 2**20  # what parsing the 7 KB file costs, not what the expansion would


def test_a_workflow_at_the_node_limit_converts(registry):
    assert len(ui_to_api(exponential_workflow(5, 10), registry)) == 10_000
    with pytest.raises(InputRefused, match="10,000 nodes, over the limit of 9,999"):
        ui_to_api(exponential_workflow(5, 10), registry, Limits(max_prompt_nodes=9_999))


def test_subgraphs_nested_thousands_deep_are_refused_without_recursion(registry):
    with pytest.raises(InputRefused) as caught:
        ui_to_api(nested_subgraphs(5_000), registry)
    assert caught.value.type == "subgraph_too_deep" and "max_subgraph_depth" in str(caught.value)
    prompt = ui_to_api(nested_subgraphs(32), registry)  # at the limit: one node, 32 levels down
    (node_id,) = prompt
    assert node_id.count(":") == 32 and prompt[node_id]["class_type"] == "PrimitiveInt"
    with pytest.raises(InputRefused, match="33 levels deep"):
        ui_to_api(nested_subgraphs(33), registry)


def test_many_consumers_of_one_long_reroute_chain(registry):
    """Each port along the chain is walked once, not once per consumer."""
    chain, consumers = 400, 400
    nodes = [{"id": 1, "type": "PrimitiveStringMultiline", "mode": 0, "widgets_values": ["x"],
              "outputs": [{"name": "STRING", "type": "STRING"}]}]
    links = []
    for i in range(chain):  # reroutes 2..chain+1, each fed by the one before
        nodes.append({"id": i + 2, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": i + 1}],
                      "outputs": [{"name": "", "type": "*"}]})
        links.append([i + 1, i + 1, 0, i + 2, 0, "STRING"])
    for j in range(consumers):
        node_id, link_id = 10_000 + j, 10_000 + j
        nodes.append({"id": node_id, "type": "ShowText", "mode": 0,
                      "inputs": [{"name": "text", "type": "STRING", "link": link_id}]})
        links.append([link_id, chain + 1, 0, node_id, 0, "STRING"])
    prompt = ui_to_api({"nodes": nodes, "links": links}, registry)
    assert len(prompt) == consumers + 1
    assert all(prompt[str(10_000 + j)]["inputs"]["text"] == ["1", 0] for j in range(consumers))


@pytest.mark.parametrize("text, kind", [
    (deep_json(3_000), "json_too_deep"),
    (deep_json(100_000, "nodes"), "json_too_deep"),
])
def test_deep_json_files_are_refused_with_the_setting(registry, tmp_path, text, kind):
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(InputRefused) as caught:
        load_workflow(path, registry)
    assert caught.value.type == kind and "'deep.json'" in str(caught.value)


@pytest.mark.parametrize("text, expected", [
    ('{"1": {"class_type": "ShowText", "inputs": {"text": ["2", NaN]}}}', "NaN is not a JSON number"),
    ('{"1": {"class_type": "PrimitiveInt", "inputs": {"value": ' + "9" * 5000 + "}}}", "thousands of digits"),
])
def test_malformed_numbers_in_files_are_workflow_errors(registry, tmp_path, text, expected):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(WorkflowError, match=expected):
        load_workflow(path, registry)


def test_python_structures_are_checked_too(registry):
    deep: object = 1
    for _ in range(2_000):
        deep = [deep]
    with pytest.raises(InputRefused, match="max_json_depth"):
        load_workflow({"1": {"class_type": "PrimitiveInt", "inputs": {"value": deep}}}, registry)
    # Found by the fuzz suite: a deep value where a link id belongs made the error message's repr recurse.
    workflow = {"nodes": [{"id": 1, "type": "ShowText", "inputs": [{"name": "text", "type": "STRING",
                                                                       "link": deep}]}], "links": [deep]}
    with pytest.raises(InputRefused, match="max_json_depth"):
        ui_to_api(workflow, registry)


def test_override_values_are_read_strictly(registry):
    prompt = {"1": {"class_type": "PrimitiveString", "inputs": {"value": "a"}}}
    assert apply_overrides(prompt, {"1.value": "NaN"})["1"]["inputs"]["value"] == "NaN"  # text, not a float
    with pytest.raises(WorkflowError, match="max_json_depth"):
        apply_overrides(prompt, {"1.value": deep_json(500)})
