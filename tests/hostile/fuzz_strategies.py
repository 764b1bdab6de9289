"""Hypothesis strategies for malformed input: JSON-like values with the hostile extremes mixed in (NaN,
infinities, huge integers, lone surrogates, deep nesting), API prompts and UI workflows (subgraphs
included) built from a registry's real node names so that many get past the first check, and mutations
of real workflow files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from nodegraph.core.registry import Registry

# Bounded so the whole suite stays within a few minutes on 2 cores; NODEGRAPH_FUZZ_EXAMPLES raises it for a
# longer hunt (then with fresh random examples each run instead of the same derandomized ones).
EXAMPLES = int(os.environ.get("NODEGRAPH_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=EXAMPLES or examples, deadline=None, database=None, derandomize=EXAMPLES is None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])


EXTREMES = st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 2**64, -(2**63), 2**200,
                            10**40, "\ud800", "", "\x00", "a" * 300, "../../etc/passwd", "-10", "-20", None, True])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=12),
                    EXTREMES)


def deep(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], odds: int = 40) -> st.SearchStrategy[Any]:
    """`bad` once in `odds` draws: a whole prompt or workflow is then malformed often enough to probe every
    check, and well-formed often enough to get past the first one."""
    return st.integers(1, odds).flatmap(lambda n: bad if n == 1 else good)


DEEP = st.builds(deep, SCALARS, st.sampled_from([50, 99, 100, 101, 199, 250, 1_500]))
VALUES = st.one_of(
    st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                      max_size=4), max_leaves=12),
    DEEP,
)
NODE_IDS = st.one_of(st.integers(0, 12).map(str), st.text(max_size=5),
                     st.sampled_from(["-10", "-20", "1:2", "x" * 300]))


SLOTS = st.one_of(st.sampled_from([float("nan"), float("inf"), 0.5, 2**70, -1, 1.0, 7, "0", None]), st.integers(-2, 4),
                  st.floats())


def links(sources: st.SearchStrategy[str] = NODE_IDS) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.one_of(sources, SLOTS), min_size=2, max_size=2) | st.tuples(sources, SLOTS).map(list)


@st.composite
def api_prompts(draw: st.DrawFn, registry: Registry) -> Any:
    """Mostly prompt-shaped (real class names and input names, ending in an output node), with hostile
    values and links here and there."""
    names = sorted(spec.name for spec in registry)
    outputs = sorted(spec.name for spec in registry if spec.output_node)
    if draw(st.integers(0, 19)) == 0:
        return draw(VALUES)
    prompt: dict[str, Any] = {}
    count = draw(st.integers(1, 6))
    for index in range(count):
        node_id = draw(mostly(st.just(str(index)), NODE_IDS))
        class_type = draw(mostly(st.sampled_from(outputs if index == count - 1 else names),
                                 st.text(max_size=8) | SCALARS))
        spec = registry.get(class_type) if isinstance(class_type, str) else None
        earlier = st.sampled_from(list(prompt) or ["0"])
        value = mostly(st.one_of(earlier.map(lambda n: [n, 0]), earlier.map(lambda n: [n, 1]), SCALARS),
                       st.one_of(links(earlier), links(earlier), links(), VALUES), 4)
        names_in = sorted(spec.inputs) if spec is not None and spec.inputs else ["value"]  # DisableNoise has none
        inputs = {name: draw(value) for name in draw(st.lists(mostly(st.sampled_from(names_in), st.text(max_size=5)),
                                                              max_size=4))}
        node: Any = {"class_type": class_type, "inputs": inputs}
        if draw(st.integers(0, 4)) == 0:
            node["_meta"] = draw(VALUES)
        prompt[node_id] = draw(mostly(st.just(node), VALUES))
    return prompt


def _ui_node(draw: st.DrawFn, node_id: Any, types: list[str], link_ids: list[int]) -> Any:
    link = st.sampled_from(link_ids) if link_ids else st.none()
    inputs = [{"name": draw(mostly(st.sampled_from(["value", "text", "images", "a", "b", ""]), SCALARS)),
               "type": draw(mostly(st.sampled_from(["*", "INT", "STRING", "IMAGE"]), SCALARS)),
               "link": draw(mostly(link, SCALARS)), **({"widget": {"name": "value"}} if draw(st.booleans()) else {})}
              for _ in range(draw(st.integers(0, 3)))]
    node = {"id": node_id, "type": draw(mostly(st.sampled_from(types), SCALARS)),
            "mode": draw(mostly(st.sampled_from([0, 0, 0, 2, 4]), SCALARS)),
            "inputs": inputs, "outputs": [{"name": "out", "type": "*"}] * draw(st.integers(0, 2)),
            "widgets_values": draw(mostly(st.lists(SCALARS, max_size=4), VALUES))}
    if draw(st.integers(0, 5)) == 0:
        node["properties"] = {"proxyWidgets": draw(mostly(st.lists(st.lists(st.sampled_from(["1", "-1", "value"]),
                                                                              min_size=2, max_size=2)), VALUES))}
    return draw(mostly(st.just(node), VALUES))


@st.composite
def ui_graphs(draw: st.DrawFn, types: list[str], boundary: bool) -> dict[str, Any]:
    node_ids = draw(st.lists(st.integers(1, 9), max_size=6, unique=True))
    link_ids = draw(st.lists(st.integers(1, 12), max_size=6, unique=True))
    ends = mostly(st.sampled_from(node_ids + ([-10, -20] if boundary else []) or [1]), SCALARS)
    slots = mostly(st.integers(0, 2), st.integers(-1, 3) | SCALARS)
    links_: list[Any] = [[link_id, draw(ends), draw(slots), draw(ends), draw(slots),
                          draw(mostly(st.sampled_from(["*", "INT"]), SCALARS))] for link_id in link_ids]
    if draw(st.integers(0, 9)) == 0:
        links_.append(draw(VALUES))
    graph: dict[str, Any] = {"nodes": [_ui_node(draw, n, types, link_ids) for n in node_ids], "links": links_}
    if boundary:
        slot = st.fixed_dictionaries({"name": st.sampled_from(["value", "x"]), "type": st.just("*"),
                                      "linkIds": st.lists(st.sampled_from(link_ids or [1]), max_size=2)})
        graph["inputs"] = draw(st.lists(slot, max_size=2))
        graph["outputs"] = draw(st.lists(slot, max_size=2))
    return graph


@st.composite
def ui_workflows(draw: st.DrawFn, registry: Registry) -> Any:
    """UI workflows, v0.4 and v1, with subgraph definitions that may nest, repeat and contain themselves."""
    uuids = [f"sg-{i}" for i in range(draw(st.integers(0, 3)))]
    types = ["PrimitiveInt", "PrimitiveString", "ShowText", "MathInt", "ToString", "StringConcat", "PreviewImage",
             "EmptyImage", "Reroute", "PrimitiveNode", "Note", "NoSuchNode"] + uuids * 4
    workflow = draw(ui_graphs(types, False))
    if uuids:
        workflow["definitions"] = {"subgraphs": [{"id": uuid, "name": uuid, **draw(ui_graphs(types, True))}
                                                 for uuid in uuids]}
    return workflow


TEXTS = st.one_of(
    st.text(max_size=60), st.binary(max_size=60),
    VALUES.map(json.dumps),  # NaN and Infinity written as bare words, as Python does
    st.builds(lambda head, value: head + json.dumps(value), st.sampled_from(["", "{", "[", '{"nodes": ']), VALUES),
)


def _paths(value: Any) -> Iterator[tuple[Any, ...]]:
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in pairs:
            yield (*path, key)
            stack.append((child, (*path, key)))


def workflow_files() -> list[dict[str, Any]]:
    """Real workflows: the workflow tests' ComfyUI fixtures (v0.4, v1, subgraphs) and the shipped ones."""
    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "tests" / "workflow" / "fixtures" / "ui").glob("*.json")) + \
        sorted((root / "workflows").glob("*.json"))
    return [json.loads(path.read_text()) for path in files]


@st.composite
def mutated(draw: st.DrawFn, originals: list[dict[str, Any]]) -> Any:
    """A real workflow with one to three values replaced by hostile ones (or removed)."""
    workflow = json.loads(json.dumps(draw(st.sampled_from(originals))))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(workflow))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = workflow
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.integers(0, 4)) == 0:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(VALUES | links())
    return workflow
