"""Hostile values at the engine's door: the strict JSON reader, the limits, and what validation refuses."""

from __future__ import annotations

import json

import pytest

from nodegraph.core import safejson
from nodegraph.core.executor import Executor
from nodegraph.core.limits import InputRefused, Limits
from nodegraph.core.validate import validate

LIMITS = Limits()


def out(source: str, slot: object = 0) -> dict:
    return {"class_type": "TestOutput", "inputs": {"value": [source, slot]}}


@pytest.mark.parametrize("text, kind, where", [
    ("[" * 3000 + "]" * 3000, "json_too_deep", "max_json_depth"),
    ("[" * 100_000 + "]" * 100_000, "json_too_deep", "max_json_depth"),
    ('{"a": ' + "[" * 101 + "]" * 101 + "}", "json_too_deep", '["a"]'),
    ('{"n": NaN}', "invalid_json", "finite"),
    ('{"n": Infinity}', "invalid_json", "finite"),
    ('{"n": -Infinity}', "invalid_json", "finite"),
    ('{"n": [1, 1e400]}', "number_not_finite", '["n"][1]'),
    ('{"n": ' + "9" * 5000 + "}", "invalid_json", "thousands of digits"),
    ('{"n": ' + "9" * 50 + "}", "integer_too_large", "128 bits"),
    ('{"id": "\\ud800"}', "invalid_string", '["id"]'),
    (b'{"a": "\xff"}', "invalid_json", "UTF-8"),
    ('{"a": ', "invalid_json", "line 1"),
])
def test_strict_reader_refuses_with_a_named_reason(text, kind, where):
    with pytest.raises(InputRefused) as caught:
        safejson.loads(text, LIMITS, "the body")
    assert caught.value.type == kind
    assert where in str(caught.value) and str(caught.value).startswith("the body")


def test_strict_reader_accepts_the_limit_itself_and_ordinary_values():
    at_limit = "[" * 100 + "]" * 100
    assert safejson.loads(at_limit, LIMITS) is not None
    assert safejson.loads('{"seed": 18446744073709551615, "t": "caf\\u00e9 \\ud83d\\ude00"}', LIMITS) == \
        {"seed": 2**64 - 1, "t": "café 😀"}
    with pytest.raises(InputRefused):
        safejson.loads(at_limit, Limits(max_json_depth=99))


def test_check_walks_python_structures_and_stops_at_cycles():
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(InputRefused, match="max_json_depth"):
        safejson.check(cyclic, LIMITS)
    with pytest.raises(InputRefused, match="not a finite number"):
        safejson.check({"a": (1.0, float("nan"))}, LIMITS)
    safejson.check({"a": (1, "x", None, True, 2.5)}, LIMITS)


def test_writer_never_emits_nan_or_infinity():
    value = {"a": [float("nan"), {"b": float("-inf")}], "c": 1.5, "d": "NaN"}
    text = safejson.dumps(value)
    assert json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} written")) == \
        {"a": [None, {"b": None}], "c": 1.5, "d": "NaN"}
    assert value["a"][0] != value["a"][0]  # the caller's value is left as it was


def test_limits_must_be_positive_and_depth_bounded():
    with pytest.raises(ValueError, match="max_prompt_nodes"):
        Limits(max_prompt_nodes=0)
    with pytest.raises(ValueError, match="at most 200"):
        Limits(max_json_depth=5000)


def test_link_to_a_missing_output_refuses_the_whole_prompt(registry):
    # Node 1 is an output node with no outputs; node 2 reads its "output 0". Node 3's branch is fine, but the
    # prompt is malformed, so it is refused whole instead of running 3 and silently dropping 2.
    prompt = {"1": {"class_type": "TestOutput", "inputs": {"value": 1}}, "2": out("1"),
              "t": {"class_type": "TestInt", "inputs": {"value": 1}}, "3": out("t")}
    result = validate(prompt, registry)
    assert not result.ok
    (err,) = result.node_errors["2"]["errors"]
    assert err["type"] == "bad_linked_input" and "which has 0 outputs" in err["message"]


@pytest.mark.parametrize("slot", [float("nan"), float("inf"), 0.5, -1, 2**70])
def test_link_slots_that_name_no_output_are_named(registry, slot):
    prompt = {"1": {"class_type": "TestInt", "inputs": {"value": 1}}, "2": out("1", slot)}
    result = validate(prompt, registry)
    assert not result.ok
    assert result.node_errors["2"]["errors"][0]["type"] == "bad_linked_input"


def test_non_finite_and_deep_literals_are_refused_and_not_echoed(registry):
    deep: object = "x"
    for _ in range(150):
        deep = {"k": deep}
    for value in (float("nan"), float("inf"), {"__value__": [float("-inf")]}, deep, "\ud800"):
        prompt = {"1": {"class_type": "ToString", "inputs": {"value": value}}, "2": out("1")}
        result = validate(prompt, registry)
        (err,) = result.node_errors["1"]["errors"]
        assert err["type"] == "invalid_input_type" and err["extra_info"]["input_name"] == "value"
        assert err["extra_info"]["received_value"] is None
        json.dumps(result.body(), allow_nan=False)


def test_node_limit_refuses_before_looking_at_nodes(registry):
    prompt = {str(i): 5 for i in range(11)}  # malformed nodes: the count is checked first
    result = validate(prompt, registry, limits=Limits(max_prompt_nodes=10))
    assert result.error["type"] == "prompt_too_large"
    assert result.error["extra_info"] == {"setting": "max_prompt_nodes", "limit": 10, "nodes": 11}


def test_expansion_may_not_grow_a_prompt_past_the_node_limit(registry):
    prompt = {"e": {"class_type": "TestExpandSum", "inputs": {"count": 30}}, "o": out("e")}
    checked = validate(prompt, registry)
    small = Executor(registry, max_nodes=50).run(checked.prompt, checked.outputs)
    assert small.status == "error" and small.error.node_id == "e"
    assert "61 nodes" in small.error.exception_message and "max_prompt_nodes" in small.error.exception_message
    assert Executor(registry, max_nodes=100).run(checked.prompt, checked.outputs).ui["o"] == {"value": [465]}
