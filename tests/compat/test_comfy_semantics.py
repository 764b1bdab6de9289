"""The execution semantics node packs rely on, as ComfyUI has them: literals on any input type, lazy inputs
passed as None, undeclared links passed to **kwargs, blocked list items dropped one by one, async
VALIDATE_INPUTS, expansion through GraphBuilder, and ComfyUI's modules inside running nodes."""

from __future__ import annotations

import asyncio
import json

from nodegraph.core.events import ProgressState


def show(prompt: dict, source: str) -> dict:
    return {**prompt, "show": {"class_type": "ShowValue", "inputs": {"value": [source, 0]}}}


def test_a_literal_on_a_union_a_custom_type_or_any_is_passed_unchanged(packs):
    prompt = show({"u": {"class_type": "UnionInput", "inputs": {"value": 0.5, "anything": "text",
                                                                 "thing": {"__value__": [1, 2]}}}}, "u")
    assert packs.errors(prompt) == {}
    result = packs.run(prompt)
    assert json.loads(result.ui["show"]["value"][0]) == [0.5, "text", [1, 2]]


def test_validate_inputs_with_input_types_replaces_the_link_type_check(packs):
    prompt = show({"i": {"class_type": "PrimitiveInt", "inputs": {"value": 3}},
                   "t": {"class_type": "TypedValidation", "inputs": {"value": ["i", 0]}}}, "t")
    assert packs.errors(prompt) == {}  # INT into FLOAT: the node's own check accepts it
    assert packs.run(prompt).ui["show"]["value"] == ["3"]
    prompt["i"] = {"class_type": "PrimitiveString", "inputs": {"value": "x"}}
    assert packs.errors(prompt) == {"t": ["value must be a number, got a STRING"]}


def test_an_async_validate_inputs_is_awaited(packs):
    prompt = show({"v": {"class_type": "AsyncValidation", "inputs": {"value": 7}}}, "v")
    assert packs.errors(prompt) == {"v": ["seven is not allowed"]}
    prompt["v"]["inputs"]["value"] = 3
    assert packs.errors(prompt) == {}

    async def inside_a_running_loop() -> dict:  # the coroutine cannot run on this thread's loop
        return packs.errors(show({"v": {"class_type": "AsyncValidation", "inputs": {"value": 7}}}, "v"))

    assert asyncio.run(inside_a_running_loop()) == {"v": ["seven is not allowed"]}


def test_a_lazy_input_never_evaluated_is_passed_as_none(packs):
    seen = packs.engine.registry["LazyPair"].source.go.__globals__["SEEN"]  # this engine's copy of the pack
    seen["calls"].clear()
    prompt = show({"a": {"class_type": "PrimitiveInt", "inputs": {"value": 1}},
                   "b": {"class_type": "PrimitiveInt", "inputs": {"value": 2}},
                   "pair": {"class_type": "LazyPair", "inputs": {"a": ["a", 0], "b": ["b", 0]}}}, "pair")
    result = packs.run(prompt)
    assert seen["calls"] == [[("a", 1), ("b", None)]]
    assert "b" not in result.nodes  # never ran


def test_links_to_undeclared_inputs_reach_a_variadic_function(packs):
    prompt = show({"x": {"class_type": "PrimitiveInt", "inputs": {"value": 10}},
                   "y": {"class_type": "PrimitiveInt", "inputs": {"value": 100}},
                   "sum": {"class_type": "Variadic", "inputs": {"first": 1, "extra_1": ["x", 0], "extra_2": ["y", 0],
                                                              "ignored_literal": 1000}}}, "sum")
    assert packs.run(prompt).ui["show"]["value"] == [111]  # undeclared literals are not passed, as in ComfyUI
    prompt["sum"]["inputs"]["extra_3"] = ["nowhere", 0]
    assert packs.errors(prompt) == {"sum": ["extra_3 -> [nowhere, 0]"]}


def test_a_blocked_item_of_a_list_drops_only_that_item(packs):
    prompt = show({"list": {"class_type": "BlockOdd", "inputs": {"count": 5}},
                   "plus": {"class_type": "Variadic", "inputs": {"first": ["list", 0]}}}, "plus")
    result = packs.run(prompt)
    assert result.status == "success"
    assert result.ui["show"]["value"] == [0, 2, 4]


def test_a_v3_block_execution_message_fails_its_consumers(packs):
    prompt = show({"b": {"class_type": "V3Block", "inputs": {"reason": "not today"}}}, "b")
    result = packs.run(prompt)
    assert result.status == "error" and result.error.exception_message == "Execution Blocked: not today"


def test_comfy_modules_resolve_inside_a_running_node_and_progress_reaches_the_node(packs):
    prompt = show({"late": {"class_type": "LateImport", "inputs": {"value": 1}}}, "late")
    temp = packs.engine.config.temp_dir
    assert packs.run(prompt).ui["show"]["value"] == [f"{temp}|{packs.engine.services.models.device}"]
    result = packs.run(show({"p": {"class_type": "Progress", "inputs": {"value": 4, "steps": 3}}}, "p"))
    assert [(e.value, e.max) for e in packs.events if e.type == "progress"] == [(1, 3), (2, 3), (3, 3)]
    assert result.ui["show"]["value"] == [4]


def test_an_interrupt_stops_a_node_checking_through_model_management(packs):
    packs.engine.comfy.module("comfy.model_management").interrupt_current_processing()
    assert packs.engine.executor.interrupt.is_set()
    packs.engine.comfy.module("comfy.model_management").interrupt_current_processing(False)
    assert not packs.engine.executor.interrupt.is_set()


def test_graph_builder_expansions_run_with_prefixed_ids(packs):
    result = packs.run(show({"r": {"class_type": "Repeat", "inputs": {"value": 5, "times": 3}}}, "r"))
    assert result.ui["show"]["value"] == [5 + 1 + 1]
    assert {"r.0.0.1", "r.0.0.2", "r.0.0.3", "r.0.0.4"} <= set(result.values)


def test_progress_state_carries_the_changed_node_and_the_running_ones_only(packs):
    chain = {"p": {"class_type": "Progress", "inputs": {"value": 1, "steps": 2}}}
    for i in range(30):
        chain[f"n{i}"] = {"class_type": "Variadic", "inputs": {"first": [f"n{i - 1}" if i else "p", 0]}}
    result = packs.run(show(chain, "n29"), progress_state=True)
    assert result.status == "success"
    states = [e for e in packs.events if isinstance(e, ProgressState)]
    assert max(len(e.nodes) for e in states) == 1  # a chain runs one node at a time
    of_p = [(e.nodes["p"]["state"], e.nodes["p"]["value"], e.nodes["p"]["max"]) for e in states if "p" in e.nodes]
    assert of_p == [("running", 0, 1), ("running", 1, 2), ("running", 2, 2), ("finished", 2, 2)]
    entry = next(e.nodes["n3"] for e in states if "n3" in e.nodes)
    assert entry == {"value": 0, "max": 1, "state": "running", "node_id": "n3", "prompt_id": result.prompt_id,
                     "display_node_id": "n3", "parent_node_id": None, "real_node_id": "n3"}
    packs.engine.cache.clear()
    packs.run(show(chain, "n29"))  # the CLI and the Python API do not ask for them
    assert not any(isinstance(e, ProgressState) for e in packs.events)
