"""Applies `--set NODE.INPUT=VALUE` overrides to an API prompt.

NODE is a node id, else a node title (`_meta.title`), else a class_type, the last two only when exactly
one node matches. VALUE is read as JSON when it parses (numbers, true/false, quoted strings, lists), and
as a plain string otherwise, so `--set 6.text=a red fox` needs no quoting.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from ..core import safejson
from ..core.limits import InputRefused, Limits
from ..core.prompt import is_link
from ..core.registry import Registry
from .errors import WorkflowError


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`["3.seed=7", "Positive.text=a fox"]` -> `{"3.seed": "7", "Positive.text": "a fox"}`."""
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise WorkflowError(f"override '{item}': expected NODE.INPUT=VALUE")
        parsed[key.strip()] = value
    return parsed


def parse_value(raw: Any, limits: Limits | None = None) -> Any:
    value = raw
    if isinstance(raw, str):
        try:
            value = safejson.loads(raw, limits or Limits(), "the value")
        except InputRefused as exc:
            if exc.type != "invalid_json":
                raise WorkflowError(f"override value {raw[:40]!r}: {exc}") from None
            value = raw  # not strict JSON (NaN and Infinity included): the text itself
    # A literal list must not read as a link: the same escape the UI conversion uses.
    if isinstance(value, list) and not is_link(value):
        return {"__value__": value}
    return value


def find_node(prompt: dict[str, Any], ref: str) -> str:
    if ref in prompt:
        return ref
    for what, get in (("title", lambda n: (n.get("_meta") or {}).get("title")),
                      ("class_type", lambda n: n.get("class_type"))):
        matches = [node_id for node_id, node in prompt.items() if isinstance(node, dict) and get(node) == ref]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise WorkflowError(f"'{ref}' is the {what} of several nodes ({', '.join(matches)}); "
                                "name one by its id")
    raise WorkflowError(f"no node has the id, title or type '{ref}' (node ids: {', '.join(map(str, prompt))})")


def apply_overrides(prompt: dict[str, Any], overrides: dict[str, Any],
                    registry: Registry | None = None) -> dict[str, Any]:
    """A copy of `prompt` with each `"NODE.INPUT": value` set; with a registry, unset inputs may be set too."""
    result = copy.deepcopy(prompt)
    for key, raw in overrides.items():
        ref, sep, input_name = str(key).rpartition(".")
        if not sep or not ref or not input_name:
            raise WorkflowError(f"override '{key}': expected NODE.INPUT (a node id, title or type, a dot, "
                                "and an input name)")
        node_id = find_node(result, ref)
        node = result[node_id]
        inputs = node.setdefault("inputs", {})
        spec = registry.get(node.get("class_type", "")) if registry is not None else None
        known = set(inputs) | (set(spec.inputs) if spec is not None else set())
        if input_name not in known:
            raise WorkflowError(f"override '{key}': node {node_id} ({node.get('class_type')}) has no input "
                                f"'{input_name}' (it has: {', '.join(sorted(known)) or 'none'})",
                                node_id=node_id, node_type=node.get("class_type"))
        inputs[input_name] = parse_value(raw)
    return result
