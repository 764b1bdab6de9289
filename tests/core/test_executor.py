"""Execution semantics: incremental cache, lazy inputs, lists, expansion, blockers, async, interrupt."""

from __future__ import annotations

import threading
import time

from nodegraph.core.cache import OutputCache
from nodegraph.core.events import Executing, Progress
from nodegraph.core.executor import Executor
from nodegraph.core.validate import validate


def chain(length: int, start: int = 1) -> dict:
    prompt = {"0": {"class_type": "TestInt", "inputs": {"value": start}}}
    for i in range(1, length):
        prompt[str(i)] = {"class_type": "TestAdd", "inputs": {"a": [str(i - 1), 0], "b": 1}}
    prompt["out"] = {"class_type": "TestOutput", "inputs": {"value": [str(length - 1), 0]}}
    return prompt


def test_runs_only_ancestors_of_outputs(engine, calls):
    prompt = chain(3)
    prompt["orphan"] = {"class_type": "TestInt", "inputs": {"value": 42}}
    result = engine.run(prompt)
    assert result.status == "success"
    assert result.ui["out"] == {"value": [3]}
    assert "int:42" not in calls


def test_unchanged_rerun_executes_nothing(engine, calls):
    engine.run(chain(5))
    calls.clear()
    result = engine.run(chain(5))
    assert calls == []
    assert engine.types()[:2] == ["execution_start", "execution_cached"]
    assert sorted(engine.events[1].nodes) == sorted(chain(5))
    assert all(n["cached"] for n in result.nodes.values())
    assert result.ui["out"] == {"value": [5]}  # cached UI is re-sent, as ComfyUI does


def test_changing_one_input_reruns_exactly_its_descendants(engine, calls):
    prompt = chain(6)
    engine.run(prompt)
    calls.clear()
    prompt["3"]["inputs"]["b"] = 10
    result = engine.run(prompt)
    ran = [e.node for e in engine.events if isinstance(e, Executing)]
    assert ran == ["3", "4", "5", "out"]
    assert result.ui["out"] == {"value": [15]}
    assert result.nodes["3"]["reason"] == "input changed: b"
    assert result.nodes["4"]["reason"].startswith("upstream changed")


def test_lazy_inputs_only_evaluate_what_is_needed(engine, calls):
    prompt = {
        "a": {"class_type": "TestInt", "inputs": {"value": 10}},
        "b": {"class_type": "TestInt", "inputs": {"value": 20}},
        "mix": {"class_type": "TestLazyMix", "inputs": {"a": ["a", 0], "b": ["b", 0], "weight": 0.0}},
        "out": {"class_type": "TestOutput", "inputs": {"value": ["mix", 0]}},
    }
    assert engine.run(prompt).ui["out"] == {"value": [10]}
    assert "int:20" not in calls
    prompt["mix"]["inputs"]["weight"] = 0.5
    assert engine.run(prompt).ui["out"] == {"value": [15.0]}
    assert "int:20" in calls


def test_switch_never_runs_the_other_branch(engine):
    prompt = {
        "bad": {"class_type": "MathInt", "inputs": {"a": 1, "b": 0, "operation": "divide"}},
        "good": {"class_type": "PrimitiveInt", "inputs": {"value": 7}},
        "sw": {"class_type": "Switch", "inputs": {"condition": False, "on_true": ["bad", 0],
                                                  "on_false": ["good", 0]}},
        "out": {"class_type": "TestOutput", "inputs": {"value": ["sw", 0]}},
    }
    assert engine.run(prompt).ui["out"] == {"value": [7]}


def test_list_semantics(engine):
    prompt = {
        "list": {"class_type": "TestMakeList", "inputs": {"count": 4}},
        "plus": {"class_type": "TestAdd", "inputs": {"a": ["list", 0], "b": 100}},
        "sum": {"class_type": "TestSumList", "inputs": {"values": ["plus", 0]}},
        "each": {"class_type": "TestOutput", "inputs": {"value": ["plus", 0]}},
        "total": {"class_type": "TestOutput", "inputs": {"value": ["sum", 0]}},
    }
    result = engine.run(prompt)
    assert result.ui["each"] == {"value": [100, 101, 102, 103]}
    assert result.ui["total"] == {"value": [406]}


def test_expansion_runs_the_subgraph(engine):
    prompt = {"e": {"class_type": "TestExpandSum", "inputs": {"count": 4}},
              "out": {"class_type": "TestOutput", "inputs": {"value": ["e", 0]}}}
    assert engine.run(prompt).ui["out"] == {"value": [10]}
    assert engine.run(prompt).nodes["out"]["cached"]


def test_cycle_created_by_expansion_is_blamed_on_the_expanding_node(engine):
    prompt = {"e": {"class_type": "TestExpandCycle", "inputs": {"value": 1}},
              "out": {"class_type": "TestOutput", "inputs": {"value": ["e", 0]}}}
    result = engine.run(prompt)
    assert result.status == "error"
    assert result.error.node_id == "e"
    assert "cycle" in result.error.exception_message.lower()


def test_execution_blockers(engine, calls):
    prompt = {"v": {"class_type": "TestInt", "inputs": {"value": 1}},
              "blk": {"class_type": "TestBlock", "inputs": {"value": ["v", 0], "block": True, "message": ""}},
              "out": {"class_type": "TestOutput", "inputs": {"value": ["blk", 0]}}}
    result = engine.run(prompt)
    assert result.status == "success" and "out" not in result.ui
    prompt["blk"]["inputs"]["message"] = "no entry"
    result = engine.run(prompt)
    assert result.status == "error"
    assert result.error.exception_message == "Execution Blocked: no entry"


def test_async_nodes_run_concurrently(engine):
    prompt = {"v": {"class_type": "TestInt", "inputs": {"value": 1}}}
    for i in range(3):
        prompt[f"s{i}"] = {"class_type": "TestSleep", "inputs": {"value": ["v", 0], "seconds": 1.0}}
        prompt[f"o{i}"] = {"class_type": "TestOutput", "inputs": {"value": [f"s{i}", 0]}}
    started = time.perf_counter()
    result = engine.run(prompt)
    elapsed = time.perf_counter() - started
    assert result.status == "success" and len(result.ui) == 3
    assert elapsed < 2.5, f"three 1 s sleeps took {elapsed:.1f} s: not concurrent"


def test_fingerprint_nan_always_reruns_and_not_idempotent(engine, calls):
    prompt = {"a": {"class_type": "TestAlwaysRuns", "inputs": {"value": 1}},
              "n1": {"class_type": "TestNotIdempotent", "inputs": {"value": 1}},
              "n2": {"class_type": "TestNotIdempotent", "inputs": {"value": 1}},
              "o1": {"class_type": "TestOutput", "inputs": {"value": ["a", 0]}},
              "o2": {"class_type": "TestOutput", "inputs": {"value": ["n1", 0]}},
              "o3": {"class_type": "TestOutput", "inputs": {"value": ["n2", 0]}}}
    engine.run(prompt)
    assert calls.count("notidem") == 2  # identical nodes not shared
    calls.clear()
    result = engine.run(prompt)
    assert calls.count("always") == 1 and "notidem" not in calls
    assert "always re-runs" in result.nodes["a"]["reason"]


def test_failure_reports_node_and_engine_stays_usable(engine):
    prompt = {"v": {"class_type": "TestInt", "inputs": {"value": 3}},
              "f": {"class_type": "TestFailer", "inputs": {"value": ["v", 0]}},
              "out": {"class_type": "TestOutput", "inputs": {"value": ["f", 0]}}}
    result = engine.run(prompt)
    assert result.status == "error" and engine.types()[-1] == "execution_error"
    error = result.error
    assert (error.node_id, error.node_type, error.exception_type) == ("f", "TestFailer", "ValueError")
    assert error.exception_message == "boom with 3" and error.traceback
    assert engine.run(chain(3)).ui["out"] == {"value": [3]}


def test_node_error_names_the_input(engine):
    prompt = {"d": {"class_type": "MathInt", "inputs": {"a": 1, "b": 0, "operation": "divide"}},
              "out": {"class_type": "TestOutput", "inputs": {"value": ["d", 0]}}}
    result = engine.run(prompt)
    assert result.error.input_name == "b"
    assert "divide by zero" in result.error.exception_message


def test_interrupt_stops_at_the_next_progress_report(registry):
    executor = Executor(registry)
    prompt = {"v": {"class_type": "TestInt", "inputs": {"value": 1}},
              "slow": {"class_type": "TestSlowProgress", "inputs": {"value": ["v", 0], "steps": 500}},
              "out": {"class_type": "TestOutput", "inputs": {"value": ["slow", 0]}}}
    checked = validate(prompt, registry)
    seen: list[Progress] = []

    def sink(event):
        if isinstance(event, Progress):
            seen.append(event)
            if len(seen) == 5:
                threading.Thread(target=executor.interrupt.set).start()

    result = executor.run(checked.prompt, checked.outputs, sink=sink)
    assert result.status == "interrupted" and result.interrupted.node_id == "slow"
    assert len(seen) < 10
    assert executor.run(checked.prompt, checked.outputs).status == "success"


def test_cache_is_bounded_and_can_be_disabled(registry, calls):
    small = Executor(registry, OutputCache(max_entries=3))
    checked = validate(chain(10), registry)
    small.run(checked.prompt, checked.outputs)
    assert len(small.cache) == 3
    none = Executor(registry, OutputCache(max_entries=0))
    none.run(checked.prompt, checked.outputs)
    calls.clear()
    none.run(checked.prompt, checked.outputs)
    assert len(none.cache) == 0 and len(calls) == 11  # ten nodes and the output
    tiny = Executor(registry, OutputCache(max_bytes=1000))
    tiny.run(checked.prompt, checked.outputs)
    assert tiny.cache.bytes <= 1000


def test_cache_evicts_least_recently_used(registry):
    cache = OutputCache(max_entries=3)
    for key in "abcd":
        cache.put(key, [[key]], None)
    assert cache.get("a") is None and cache.get("b") is not None
    cache.put("e", [["e"]], None)  # b was just used, so c goes
    assert [k for k in "bcde" if cache.get(k) is not None] == ["b", "d", "e"]


def test_one_producer_feeding_two_inputs_runs_once(engine, calls):
    prompt = {
        "x": {"class_type": "TestInt", "inputs": {"value": 4}},
        "sum": {"class_type": "TestAdd", "inputs": {"a": ["x", 0], "b": ["x", 0]}},
        "out": {"class_type": "TestOutput", "inputs": {"value": ["sum", 0]}},
    }
    result = engine.run(prompt)
    assert result.ui["out"] == {"value": [8]}
    assert calls.count("int:4") == 1


def test_event_size_does_not_grow_with_graph(engine):
    def biggest(length: int) -> int:
        engine.run(chain(length))
        return max(len(str(e.data())) for e in engine.events if e.type != "execution_cached")

    assert biggest(2000) <= biggest(20) + 16


def test_deep_chain_runs_without_recursion(engine):
    assert engine.run(chain(20_000)).ui["out"] == {"value": [20_000]}


def test_run_result_exposes_node_values(engine):
    result = engine.run(chain(4))
    assert result.output("3") == 4
    assert result.values["0"] == [[1]]


def test_a_prompt_runs_from_inside_a_running_event_loop(engine):
    """A notebook or an async application calls the Python API with its own loop running on the thread."""
    import asyncio

    async def caller() -> object:
        return engine.run(chain(3))

    result = asyncio.run(caller())
    assert result.status == "success" and result.ui["out"] == {"value": [3]}
