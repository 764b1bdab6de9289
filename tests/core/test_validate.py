"""Validation: every error type, every malformed shape, structured like ComfyUI's, never a traceback."""

from __future__ import annotations

import pytest

from nodegraph.core.limits import Limits
from nodegraph.core.validate import validate


def _errors(result, node_id):
    return [e["type"] for e in result.node_errors[node_id]["errors"]]


def out(source: str) -> dict:
    return {"class_type": "TestOutput", "inputs": {"value": [source, 0]}}


def test_valid_prompt_coerces_literals(registry):
    result = validate({"1": {"class_type": "TestInt", "inputs": {"value": "5"}}, "2": out("1")}, registry)
    assert result.ok and result.outputs == ["2"]
    assert result.prompt["1"]["inputs"]["value"] == 5


@pytest.mark.parametrize("raw, kind", [
    ([], "invalid_prompt"),
    ("text", "invalid_prompt"),
    (None, "invalid_prompt"),
    ({}, "prompt_no_outputs"),
    ({"1": 5}, "invalid_prompt"),
    ({"1": {"inputs": {}}}, "invalid_prompt"),
    ({"1": {"class_type": 3, "inputs": {}}}, "invalid_prompt"),
    ({"1": {"class_type": "TestInt", "inputs": []}}, "invalid_prompt"),
    ({"x" * 10_000: {"class_type": "TestInt", "inputs": {}}}, "invalid_prompt"),
    ({"1": {"class_type": "TestInt", "inputs": {"value": 1}}}, "prompt_no_outputs"),
])
def test_malformed_prompts_get_structured_errors(registry, raw, kind):
    result = validate(raw, registry)
    assert not result.ok
    assert result.error["type"] == kind
    assert set(result.error) == {"type", "message", "details", "extra_info"}


def test_unknown_class_is_named(registry):
    result = validate({"1": {"class_type": "NoSuchNode", "inputs": {}}, "2": out("1")}, registry)
    assert result.error["type"] == "invalid_prompt"
    assert _errors(result, "1") == ["missing_node_type"]
    assert "NoSuchNode" in result.node_errors["1"]["errors"][0]["message"]


def test_all_errors_reported_at_once(registry):
    prompt = {
        "1": {"class_type": "TestInt", "inputs": {"value": 99999}},
        "2": {"class_type": "TestInt", "inputs": {"value": "abc"}},
        "3": {"class_type": "TestAdd", "inputs": {"a": ["1", 0]}},
        "4": {"class_type": "TestAdd", "inputs": {"a": ["1", 0], "b": ["404", 0]}},
        "5": {"class_type": "TestAdd", "inputs": {"a": ["1", 3], "b": ["2", 0]}},
        "6": {"class_type": "MathInt", "inputs": {"a": 1, "b": 2, "operation": "cube"}},
        "7": {"class_type": "TestCustomValidation", "inputs": {"value": 3}},
        "8": {"class_type": "StringConcat", "inputs": {"a": ["1", 0], "b": "x", "separator": " "}},
        "9": {"class_type": "TestAdd", "inputs": {"a": "literal", "b": 1}},
        **{f"o{i}": out(str(i)) for i in range(1, 10)},
    }
    result = validate(prompt, registry)
    assert result.error["type"] == "prompt_outputs_failed_validation"
    assert _errors(result, "1") == ["value_bigger_than_max"]
    assert _errors(result, "2") == ["invalid_input_type"]
    assert _errors(result, "3") == ["required_input_missing"]
    assert _errors(result, "4") == ["bad_linked_input"]
    assert _errors(result, "5") == ["bad_linked_input"]
    assert _errors(result, "6") == ["value_not_in_list"]
    assert _errors(result, "7") == ["custom_validation_failed"]
    assert _errors(result, "8") == ["return_type_mismatch"]
    assert _errors(result, "9") == ["invalid_input_type"]
    first = result.node_errors["1"]["errors"][0]["extra_info"]
    assert first["input_name"] == "value" and first["received_value"] == 99999
    assert result.node_errors["1"]["dependent_outputs"] == ["o1", "o3", "o4", "o5", "o8"]


def test_custom_validation_takes_over_range_check(registry):
    prompt = {"1": {"class_type": "TestCustomValidation", "inputs": {"value": 12}}, "2": out("1")}
    assert validate(prompt, registry).ok


def test_value_below_min_and_union_types(registry):
    prompt = {"1": {"class_type": "TestInt", "inputs": {"value": -5000}}, "2": out("1"),
              "3": {"class_type": "PrimitiveFloat", "inputs": {"value": 1.5}},
              "4": {"class_type": "TestAdd", "inputs": {"a": ["3", 0], "b": ["3", 0]}}, "5": out("4")}
    result = validate(prompt, registry)
    assert result.ok  # node 2's branch failed but output 5 is valid: accepted, errors reported
    assert result.outputs == ["5"]
    assert _errors(result, "1") == ["value_smaller_than_min"]


def test_wildcard_input_accepts_any_type(registry):
    prompt = {"1": {"class_type": "PrimitiveString", "inputs": {"value": "x"}}, "2": out("1")}
    assert validate(prompt, registry).ok


def test_static_cycle_is_named(registry):
    prompt = {"1": {"class_type": "TestAdd", "inputs": {"a": ["2", 0], "b": 1}},
              "2": {"class_type": "TestAdd", "inputs": {"a": ["1", 0], "b": 1}}, "3": out("2")}
    result = validate(prompt, registry)
    assert not result.ok
    assert "dependency_cycle" in _errors(result, "1")
    details = result.node_errors["1"]["errors"][0]["details"]
    assert "1 (TestAdd)" in details and "2 (TestAdd)" in details


def test_partial_execution_targets(registry):
    prompt = {"1": {"class_type": "TestInt", "inputs": {"value": 1}}, "2": out("1"), "3": out("1")}
    assert validate(prompt, registry, targets=["3"]).outputs == ["3"]
    assert validate(prompt, registry, targets=["1"]).error["type"] == "prompt_no_outputs"


def test_literal_list_escape_and_bad_link_shape(registry):
    prompt = {"1": {"class_type": "ToString", "inputs": {"value": ["not", "a", "link"]}}, "2": out("1")}
    result = validate(prompt, registry)
    assert _errors(result, "1") == ["invalid_input_type"]
    prompt["1"]["inputs"]["value"] = [1, 0]
    assert _errors(validate(prompt, registry), "1") == ["bad_linked_input"]


def test_deep_nesting_and_wrong_literal_types(registry):
    nested: object = 1
    for _ in range(10_000):
        nested = {"__value__": [nested]}
    prompt = {"1": {"class_type": "TestInt", "inputs": {"value": nested}}, "2": out("1")}
    assert _errors(validate(prompt, registry), "1") == ["invalid_input_type"]
    for bad in (True, 1.5, [1, 2, 3], {"a": 1}, float("inf")):
        prompt["1"]["inputs"]["value"] = bad
        assert _errors(validate(prompt, registry), "1") == ["invalid_input_type"], bad


def test_hundred_thousand_node_chain_validates(registry):
    prompt = {"0": {"class_type": "TestInt", "inputs": {"value": 1}}}
    for i in range(1, 100_000):
        prompt[str(i)] = {"class_type": "TestAdd", "inputs": {"a": [str(i - 1), 0], "b": 1}}
    prompt["out"] = out("99999")
    assert validate(prompt, registry, limits=Limits(max_prompt_nodes=100_001)).ok
    refused = validate(prompt, registry)  # the default limit, 10,000 nodes
    assert refused.error["type"] == "prompt_too_large"
    assert "100,001 nodes" in refused.error["message"] and "max_prompt_nodes" in refused.error["message"]
