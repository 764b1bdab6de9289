"""Checks a whole API prompt against the registry and reports every error at once, in ComfyUI's shapes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .awaiting import resolve
from .errors import error, node_errors_entry
from .gc_pause import gc_paused
from .limits import InputRefused, Limits
from .plan import find_cycle, reachable
from .prompt import as_link, is_link, literal
from .registry import Registry
from .safejson import check as check_json
from .results import ExecutionBlocker
from .schema import In, NodeSpec
from .types import ANY, BOOLEAN, COMBO, FLOAT, INT, STRING, WIDGET_TYPES, compatible, type_set

MAX_ID_LENGTH = 256
# Errors that make the prompt itself malformed: it is refused whole, even when other outputs are fine.
MALFORMED = frozenset({"bad_linked_input"})


@dataclass
class Validated:
    prompt: dict[str, dict[str, Any]]
    outputs: list[str]
    error: dict[str, Any] | None = None
    node_errors: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def body(self) -> dict[str, Any]:
        """The 400 response body ComfyUI clients parse."""
        return {"error": self.error, "node_errors": self.node_errors}

    def whole(self) -> Validated:
        """Every output or none: the CLI and the Python API refuse a prompt with any node error, where the
        server (as ComfyUI's) queues the outputs that passed and reports the rest in `node_errors`."""
        if not self.ok or not self.node_errors:
            return self
        return Validated(self.prompt, [], error("prompt_outputs_failed_validation",
                                                "Prompt outputs failed validation", _summary(self.node_errors)),
                         self.node_errors)


def _fail(type_: str, message: str, details: str = "", **extra: Any) -> Validated:
    return Validated({}, [], error(type_, message, details, **extra), {})


def _structure(raw: Any, registry: Registry, limits: Limits) -> tuple[dict[str, dict[str, Any]], dict[str, list]] \
        | Validated:
    if not isinstance(raw, dict):
        return _fail("invalid_prompt", "The prompt must be a JSON object of nodes keyed by id",
                     f"got {type(raw).__name__}")
    if not raw:
        return _fail("prompt_no_outputs", "Prompt has no outputs", "the prompt has no nodes")
    if len(raw) > limits.max_prompt_nodes:  # before any per-node work
        return _fail("prompt_too_large", f"The prompt has {len(raw):,} nodes, over the limit of "
                     f"{limits.max_prompt_nodes:,} (setting max_prompt_nodes)",
                     "split the work into smaller prompts, or raise max_prompt_nodes", setting="max_prompt_nodes",
                     limit=limits.max_prompt_nodes, nodes=len(raw))
    prompt: dict[str, dict[str, Any]] = {}
    problems: dict[str, list] = {}
    for node_id, node in raw.items():
        node_id = str(node_id)
        if len(node_id) > MAX_ID_LENGTH:
            return _fail("invalid_prompt", "Node id too long", f"ids are at most {MAX_ID_LENGTH} characters",
                         node_id=node_id[:64] + "...")
        if not isinstance(node, dict):
            return _fail("invalid_prompt", f"Node {node_id} must be an object with class_type and inputs",
                         f"got {type(node).__name__}", node_id=node_id)
        class_type = node.get("class_type")
        if not isinstance(class_type, str):
            return _fail("invalid_prompt", f"Node {node_id} has no class_type string",
                         "every node needs a class_type naming a registered node", node_id=node_id)
        inputs = node.get("inputs", {})
        if not isinstance(inputs, dict):
            return _fail("invalid_prompt", f"Node {node_id} ({class_type}): inputs must be an object",
                         f"got {type(inputs).__name__}", node_id=node_id)
        entry: dict[str, Any] = {"class_type": class_type, "inputs": dict(inputs)}
        if isinstance(node.get("_meta"), dict):
            try:
                check_json(node["_meta"], limits, f"node {node_id} _meta")
            except InputRefused as exc:
                return _fail("invalid_prompt", str(exc), exc.type, node_id=node_id)
            entry["_meta"] = node["_meta"]
        prompt[node_id] = entry
        if class_type not in registry:
            problems.setdefault(node_id, []).append(error(
                "missing_node_type", f"Node type '{class_type}' not found",
                f"node {node_id} uses class '{class_type}', which no loaded plugin provides",
                node_id=node_id, class_type=class_type))
    return prompt, problems


def _coerce(spec: In, value: Any) -> tuple[Any, str | None]:
    """A literal converted to its input's type (the first member of a union that fits), or why not.

    As ComfyUI, a literal on `*`, a non-widget type or a union with a non-widget member ("IMAGE,FLOAT") is
    passed on unchanged: the node (or its VALIDATE_INPUTS) decides what it accepts.
    """
    kinds = type_set(spec.type)
    if ANY in kinds or spec.type == COMBO or not kinds <= WIDGET_TYPES:
        return value, None
    problem = None
    for kind in (part.strip() for part in spec.type.split(",")):  # declared order: "INT,FLOAT" keeps ints
        coerced, problem = _coerce_one(kind, value)
        if problem is None:
            return coerced, None
    return value, problem


def _coerce_one(kind: str, value: Any) -> tuple[Any, str | None]:
    try:
        if kind == INT:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, float) and (not math.isfinite(number) or number != int(number)):
                raise ValueError
            return int(number), None
        if kind == FLOAT:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number, None
        if kind == STRING:
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value), None
        if kind == BOOLEAN:
            if isinstance(value, bool):
                return value, None
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true", None
            if isinstance(value, int) and value in (0, 1):
                return bool(value), None
            raise ValueError
    except (ValueError, OverflowError):
        return value, f"expected {kind}, got {type(value).__name__} {_short(value)}"
    return value, None


def _echo(value: Any, limits: Limits) -> Any:
    """`value` as errors show it back, or None when it is too deep, not finite or not text."""
    try:
        check_json(value, limits)
    except InputRefused:
        return None
    return value


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except RecursionError:
        return f"<{type(value).__name__} nested too deeply>"
    return text if len(text) <= 80 else text[:77] + "..."


def _check_input(node_id: str, spec: NodeSpec, name: str, decl: In, value: Any,
                 prompt: dict[str, dict[str, Any]], registry: Registry, types: dict[str, str],
                 constants: dict[str, Any], limits: Limits) -> list[dict[str, Any]]:
    info = {"input_name": name, "input_config": decl.comfy_entry(), "received_value": None}
    if is_link(value):
        source, slot = as_link(value)
        info["received_value"] = [source, slot]
        problem = _bad_link(name, source, slot, prompt, registry, info)
        producer = registry.get(prompt[source]["class_type"]) if source in prompt else None
        if problem or producer is None:  # a missing producer class has its own missing_node_type error
            return problem
        produced = producer.outputs[slot].type
        types[name] = produced
        accepted = "COMBO" if decl.type == COMBO else decl.type
        if not spec.validate_checks_types and not (
            compatible(produced, accepted) or (decl.type == COMBO and produced in ("COMBO", STRING))
        ):
            return [error("return_type_mismatch", "Return type mismatch between linked nodes",
                          f"{name}, received_type({produced}) mismatch input_type({decl.type})",
                          **info, received_type=produced)]
        return []
    if isinstance(value, list):
        info["received_value"] = _echo(value, limits)
        if len(value) == 2:
            return [error("bad_linked_input", f"Input '{name}' is not a valid link",
                          "a link is [node_id_string, output_index]", **info)]
        return [error("invalid_input_type", f"Input '{name}' got a bare list",
                      'literal lists are written {"__value__": [...]}', **info)]
    try:
        check_json(value, limits, f"input '{name}'")
    except InputRefused as exc:
        info["received_value"] = None  # too deep, not finite or not text: not echoed back
        return [error("invalid_input_type", f"Input '{name}' is not a value any node takes", str(exc), **info)]
    value = literal(value)
    info["received_value"] = value
    coerced, problem = _coerce(decl, value)
    if problem:
        return [error("invalid_input_type", f"Failed to convert input '{name}' to {decl.type}", problem, **info)]
    constants[name] = coerced
    prompt[node_id]["inputs"][name] = coerced if not isinstance(coerced, list) else {"__value__": coerced}
    if name in spec.validate_takes:
        return []
    if isinstance(coerced, (int, float)) and not isinstance(coerced, bool):
        if decl.min is not None and coerced < decl.min:
            return [error("value_smaller_than_min", f"Value {coerced} smaller than min of {decl.min}",
                          f"{name}", **info)]
        if decl.max is not None and coerced > decl.max:
            return [error("value_bigger_than_max", f"Value {coerced} bigger than max of {decl.max}",
                          f"{name}", **info)]
    if decl.type == COMBO:
        options = decl.options_list()
        if coerced not in options:
            shown = options if len(options) <= 20 else options[:20] + ["..."]
            return [error("value_not_in_list", f"Value not in list: {name}: '{coerced}' not in {shown}",
                          f"{name}: '{coerced}' not in list", **info)]
    return []


def _check_node(node_id: str, prompt: dict[str, dict[str, Any]], registry: Registry,
                limits: Limits) -> list[dict[str, Any]]:
    node = prompt[node_id]
    spec = registry[node["class_type"]]
    errors: list[dict[str, Any]] = []
    types: dict[str, str] = {}
    constants: dict[str, Any] = {}
    inputs = node["inputs"]
    for name, decl in spec.inputs.items():
        if name not in inputs:
            if not decl.optional:
                errors.append(error("required_input_missing", "Required input is missing",
                                    f"{name}", input_name=name, input_config=decl.comfy_entry()))
            continue
        errors += _check_input(node_id, spec, name, decl, inputs[name], prompt, registry, types, constants, limits)
    for name in inputs.keys() - spec.inputs.keys():
        errors += _check_undeclared(name, inputs[name], prompt, registry)
    if spec.validate is not None and not errors:
        errors += _custom(spec, inputs, constants, types)
    return errors


def _custom(spec: NodeSpec, inputs: dict[str, Any], constants: dict[str, Any],
            types: dict[str, str]) -> list[dict[str, Any]]:
    values = {n: constants.get(n) for n in spec.inputs if n in inputs}
    try:
        verdict = resolve(spec.validate(values, types))  # type: ignore[misc]  # may be async, as in ComfyUI
    except Exception as exc:  # third-party hook: report, never crash validation
        return [error("exception_during_validation", "Exception when validating node", str(exc),
                      exception_type=type(exc).__name__)]
    if verdict is True or isinstance(verdict, ExecutionBlocker):
        return []
    message = verdict if isinstance(verdict, str) else "Custom validation failed"
    return [error("custom_validation_failed", "Custom validation failed for node", message,
                  input_name=next(iter(spec.validate_takes), None))]


def _check_undeclared(name: str, value: Any, prompt: dict[str, dict[str, Any]],
                      registry: Registry) -> list[dict[str, Any]]:
    """A link to an input the node does not declare still runs its producer (and may be passed on): the
    producer must exist and have that output. Undeclared literals are ignored, as ComfyUI ignores them."""
    if not is_link(value):
        return []
    source, slot = as_link(value)
    return _bad_link(name, source, slot, prompt, registry, {"input_name": name, "received_value": [source, slot]})


def _bad_link(name: str, source: str, slot: int, prompt: dict[str, dict[str, Any]], registry: Registry,
              info: dict[str, Any]) -> list[dict[str, Any]]:
    """Why a link cannot be followed (no such node, no such output), or nothing."""
    if source not in prompt:
        return [error("bad_linked_input", f"Input '{name}' links to node {source}, which does not exist",
                      f"{name} -> [{source}, {slot}]", **info)]
    producer = registry.get(prompt[source]["class_type"])
    if producer is not None and not 0 <= slot < len(producer.outputs):
        return [error("bad_linked_input", f"Input '{name}' links to output {slot} of node {source}, which has "
                      f"{len(producer.outputs)} outputs", f"{name} -> [{source}, {slot}]", **info)]
    return []


def _dependent_outputs(graph: nx.DiGraph, node_id: str, outputs: Iterable[str]) -> list[str]:
    wanted = set(outputs)
    if node_id in wanted and len(wanted) == 1:
        return [node_id]
    reached = nx.descendants(graph, node_id) | {node_id}
    return sorted(wanted & reached)


def validate(raw: Any, registry: Registry, targets: list[str] | None = None,
             limits: Limits | None = None) -> Validated:
    with gc_paused():
        return _validate(raw, registry, targets, limits or Limits())


def _validate(raw: Any, registry: Registry, targets: list[str] | None, limits: Limits) -> Validated:
    structured = _structure(raw, registry, limits)
    if isinstance(structured, Validated):
        return structured
    prompt, problems = structured
    outputs = [i for i, n in prompt.items() if (s := registry.get(n["class_type"])) and s.output_node]
    if targets is not None:
        outputs = [i for i in outputs if i in set(map(str, targets))]
    if problems:
        return Validated(prompt, [], error("invalid_prompt", "Some nodes use types that are not installed",
                                           ", ".join(sorted({p[0]["extra_info"]["class_type"]
                                                             for p in problems.values()}))),
                         {i: node_errors_entry(prompt[i]["class_type"], e) for i, e in problems.items()})
    if not outputs:
        return Validated(prompt, [], error("prompt_no_outputs", "Prompt has no outputs",
                                           "add an output node such as SaveImage or PreviewImage"))
    graph = reachable(prompt, outputs)
    cycle = find_cycle(graph)
    node_errors: dict[str, Any] = {}
    if cycle is not None:
        path = " -> ".join(f"{n} ({prompt[n]['class_type']})" for n in cycle)
        for n in cycle[:-1]:
            node_errors[n] = node_errors_entry(
                prompt[n]["class_type"], [error("dependency_cycle", "Dependency cycle detected", path, cycle=cycle)])
    for node_id in graph.nodes:
        errors = _check_node(node_id, prompt, registry, limits)
        if errors:
            node_errors.setdefault(node_id, node_errors_entry(prompt[node_id]["class_type"], []))
            node_errors[node_id]["errors"] += errors
    bad_outputs: set[str] = set()
    for node_id, entry in node_errors.items():
        entry["dependent_outputs"] = _dependent_outputs(graph, node_id, outputs)
        bad_outputs.update(entry["dependent_outputs"])
    good = [o for o in outputs if o not in bad_outputs]
    if not good or any(e["type"] in MALFORMED for entry in node_errors.values() for e in entry["errors"]):
        return Validated(prompt, [], error("prompt_outputs_failed_validation", "Prompt outputs failed validation",
                                           _summary(node_errors)), node_errors)
    return Validated(prompt, good, None, node_errors)


def _summary(node_errors: dict[str, Any]) -> str:
    lines = []
    for node_id, entry in node_errors.items():
        for err in entry["errors"]:
            lines.append(f"{entry['class_type']} {node_id}: {err['message']}: {err['details']}")
    return "\n".join(lines[:50])

