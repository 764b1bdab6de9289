"""Every malformed UI workflow fails with a WorkflowError that says what is wrong, never another exception."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from workflow_files import load_fixture

from nodegraph.workflow import WorkflowError, ui_to_api


def node(workflow: dict, node_id: int) -> dict:
    return next(n for n in workflow["nodes"] if n["id"] == node_id)


def _self_containing(wf: dict) -> None:
    inner = wf["definitions"]["subgraphs"][1]
    inner["nodes"][0]["type"] = inner["id"]  # the upscale subgraph now instantiates itself


def _reroute_loop(wf: dict) -> None:
    wf["nodes"] += [
        {"id": 50, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 51}], "outputs": []},
        {"id": 51, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 50}], "outputs": []},
    ]
    wf["links"] += [[50, 50, 0, 51, 0, "*"], [51, 51, 0, 50, 0, "*"], [52, 51, 0, 8, 1, "VAE"]]
    node(wf, 8)["inputs"][1]["link"] = 52


V04_CASES: dict[str, tuple[Callable[[dict], Any], str]] = {
    "nodes not a list": (lambda wf: wf.__setitem__("nodes", {}), "'nodes' list"),
    "links missing": (lambda wf: wf.pop("links"), "'links' list"),
    "node not an object": (lambda wf: wf["nodes"].__setitem__(0, "KSampler"), "must be an object"),
    "node without id": (lambda wf: wf["nodes"][0].pop("id"), "has no id"),
    "node id a float": (lambda wf: wf["nodes"][0].__setitem__("id", 1.5), "must be an integer"),
    "node id NaN": (lambda wf: wf["nodes"][0].__setitem__("id", float("nan")), "must be an integer"),
    "node without type": (lambda wf: wf["nodes"][0].pop("type"), "has no type"),
    "node type a number": (lambda wf: wf["nodes"][0].__setitem__("type", 5), "has no type"),
    "duplicate ids": (lambda wf: wf["nodes"][1].__setitem__("id", wf["nodes"][0]["id"]), "used twice"),
    "inputs an object": (lambda wf: node(wf, 3).__setitem__("inputs", {}), "inputs must be a list"),
    "input a number": (lambda wf: node(wf, 3)["inputs"].__setitem__(0, 5), "must be an object"),
    "input without name": (lambda wf: node(wf, 3)["inputs"][0].pop("name"), "has no name"),
    "input link a string": (lambda wf: node(wf, 3)["inputs"][0].__setitem__("link", "1"), "link must be an integer"),
    "widgets_values a string": (lambda wf: node(wf, 3).__setitem__("widgets_values", "20"), "widgets_values"),
    "mode a string": (lambda wf: node(wf, 3).__setitem__("mode", "bypass"), "mode must be an integer"),
    "outputs an object": (lambda wf: node(wf, 4).__setitem__("outputs", {}), "outputs must be a list"),
    "short link array": (lambda wf: wf["links"].__setitem__(0, [1, 4]), "must be [id, origin_id"),
    "link slot a string": (lambda wf: wf["links"].__setitem__(0, [1, 4, "x", 3, 0, "MODEL"]), "origin_slot"),
    "negative link slot": (lambda wf: wf["links"].__setitem__(0, [1, 4, -1, 3, 0, "MODEL"]), "negative"),
    "link a string": (lambda wf: wf["links"].__setitem__(0, "1,4,0,3,0"), "must be an array or an object"),
    "link to a missing link id": (lambda wf: node(wf, 3)["inputs"][0].__setitem__("link", 999),
                                  "input 'model' uses link 999, which does not exist"),
    "link from a missing node": (lambda wf: wf["links"].__setitem__(0, [1, 99, 0, 3, 0, "MODEL"]),
                                 "from node 99, which does not exist"),
    "definitions not an object": (lambda wf: wf.__setitem__("definitions", []), "definitions must be an object"),
    "subgraphs not a list": (lambda wf: wf.__setitem__("definitions", {"subgraphs": {}}), "must be a list"),
    "reroute loop": (_reroute_loop, "loop"),
}

V1_CASES: dict[str, tuple[Callable[[dict], Any], str]] = {
    "link object missing origin_id": (lambda wf: wf["links"][0].pop("origin_id"), "lacks origin_id"),
    "subgraph without id": (lambda wf: wf["definitions"]["subgraphs"][0].pop("id"), "has no id"),
    "subgraph without nodes": (lambda wf: wf["definitions"]["subgraphs"][0].pop("nodes"), "has no 'nodes' list"),
    "subgraph contains itself": (_self_containing, "contains itself"),
    "subgraph output from a missing node": (
        lambda wf: wf["definitions"]["subgraphs"][1]["links"][1].__setitem__("origin_id", 77), "does not exist"),
    "subgraph reads an input the instance lacks": (
        lambda wf: wf["definitions"]["subgraphs"][0]["links"][0].__setitem__("origin_slot", 9), "does not have"),
}


@pytest.mark.parametrize("name", list(V04_CASES))
def test_malformed_v04(registry, name):
    mutate, expected = V04_CASES[name]
    workflow = load_fixture("default_v04.json")
    mutate(workflow)
    with pytest.raises(WorkflowError, match=re.escape(expected)):
        ui_to_api(workflow, registry)


@pytest.mark.parametrize("name", list(V1_CASES))
def test_malformed_v1(registry, name):
    mutate, expected = V1_CASES[name]
    workflow = load_fixture("subgraph_v1.json")
    mutate(workflow)
    with pytest.raises(WorkflowError, match=re.escape(expected)):
        ui_to_api(workflow, registry)


@pytest.mark.parametrize("value", [None, [], "workflow", 3])
def test_not_an_object(registry, value):
    with pytest.raises(WorkflowError, match="must be a JSON object"):
        ui_to_api(value, registry)


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _paths(item, (*path, index))


class _Corrupted:
    """Replaces (or deletes) one value in place for the length of a `with` block, then puts it back."""

    def __init__(self, workflow: dict, path: tuple, replacement: Any) -> None:
        self.parent = workflow
        for step in path[:-1]:
            self.parent = self.parent[step]
        self.key, self.replacement = path[-1], replacement

    def __enter__(self) -> None:
        self.original = self.parent[self.key]
        if self.replacement is not _DELETE:
            self.parent[self.key] = self.replacement
        elif isinstance(self.parent, dict):
            del self.parent[self.key]
        else:
            self.parent.pop(self.key)

    def __exit__(self, *exc: object) -> None:
        if self.replacement is _DELETE and isinstance(self.parent, list):
            self.parent.insert(self.key, self.original)
        else:
            self.parent[self.key] = self.original


_DELETE = object()
REPLACEMENTS = [_DELETE, None, "x", -3, 2.5, [], {}]


@pytest.mark.parametrize("fixture", ["default_v1.json", "bypass_mute_reroute_v04.json", "subgraph_v1.json"])
def test_any_single_corruption_gives_a_result_or_a_workflow_error(registry, fixture):
    """Every value of the file, replaced by each wrong shape in turn: never a KeyError or TypeError."""
    workflow = load_fixture(fixture)
    pristine = copy.deepcopy(workflow)
    tried = 0
    for path in list(_paths(workflow)):
        for replacement in REPLACEMENTS:
            with _Corrupted(workflow, path, replacement):
                try:
                    result = ui_to_api(workflow, registry)
                except WorkflowError as exc:
                    assert str(exc)
                else:
                    assert isinstance(result, dict)
            tried += 1
    assert workflow == pristine
    assert tried > 1000
