"""Hostile inputs shared by the regression tests, the fuzz suite and bench/hostile.py: small files that
ask for enormous work, and shapes that used to end in a traceback."""

from __future__ import annotations

import json
from typing import Any


def _uuid(level: int) -> str:
    return f"00000000-0000-4000-8000-{level:012d}"


def exponential_workflow(levels: int = 9, fan: int = 10) -> dict[str, Any]:
    """A UI workflow whose subgraph definitions each hold `fan` instances of the level below: one real node
    at the bottom, fan**(levels - 1) nodes once flattened (100 million for the defaults) from a 7 KB file."""
    definitions = []
    for level in range(levels):
        if level == 0:
            nodes = [{"id": 1, "type": "PrimitiveInt", "mode": 0, "widgets_values": [1, "fixed"]}]
        else:
            nodes = [{"id": i + 1, "type": _uuid(level - 1), "mode": 0} for i in range(fan)]
        definitions.append({"id": _uuid(level), "name": f"L{level}", "nodes": nodes, "links": [],
                            "inputs": [], "outputs": []})
    return {"version": 1, "nodes": [{"id": 1, "type": _uuid(levels - 1), "mode": 0}], "links": [],
            "definitions": {"subgraphs": definitions}}


def nested_subgraphs(depth: int) -> dict[str, Any]:
    """A UI workflow of `depth` subgraphs each holding one instance of the next (one node at the bottom)."""
    return exponential_workflow(depth, 1)


def deep_json(depth: int, key: str | None = None) -> str:
    """JSON text nested `depth` arrays deep (inside an object under `key`, when given)."""
    inner = "[" * depth + "]" * depth
    return inner if key is None else "{" + json.dumps(key) + ": " + inner + "}"


def output_of_output() -> dict[str, Any]:
    """An API prompt whose SaveImage reads output 0 of a PreviewImage, an output node with no outputs; the
    PreviewImage alone is fine, so validation used to accept the prompt and drop the SaveImage silently."""
    return {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
            "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
