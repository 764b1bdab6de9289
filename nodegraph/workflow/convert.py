"""Converts a ComfyUI UI workflow into the API prompt the engine runs, as the frontend's graphToPrompt does.

Every executable node (not muted, not bypassed, not a frontend-only Reroute/PrimitiveNode/Note, subgraph
instances flattened) becomes `{inputs, class_type, _meta: {title}}`: its widget values by name, then its
connected inputs as `[origin id, origin slot]` after following links through reroutes, bypassed nodes,
primitives and subgraph boundaries. A widget value a subgraph instance shows for an inner node
(`properties.proxyWidgets`) is that instance's value for the inner input. Inputs left pointing at a node
that is not in the prompt (a muted one) are dropped at the end, as the frontend does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core import safejson
from ..core.limits import Limits
from ..core.prompt import is_link
from ..core.registry import Registry
from ..core.schema import NodeSpec
from .budget import check_size
from .errors import WorkflowError, combined
from .resolve import FRONTEND_ONLY, Literal, Resolver, Scope, Source, proxy_widgets
from .ui_model import MODE_BYPASS, MODE_NEVER, UINode, parse_workflow
from .widgets import values_by_name, widget_order, wrap_literal


def ui_to_api(workflow: dict[str, Any], registry: Registry, limits: Limits | None = None) -> dict[str, dict[str, Any]]:
    """The API prompt for a UI workflow (version 0.4 or 1); raises WorkflowError on anything it cannot read
    (naming every node whose type is not installed at once), and InputRefused, before converting anything,
    when it flattens past the node or nesting limit."""
    limits = limits or Limits()
    # Nesting past the limit would make even an error message's repr recurse. (NaN, huge numbers and lone
    # surrogates are left to the parser, which names the field, and to validation, which names the input.)
    safejson.check(workflow, limits, "the workflow", depth_only=True)
    parsed = parse_workflow(workflow)
    check_size(parsed, limits)
    resolver = Resolver(parsed.subgraphs)
    prompt: dict[str, dict[str, Any]] = {}
    unknown: list[WorkflowError] = []
    _emit(Scope(parsed.graph), resolver, registry, prompt, unknown)
    if unknown:
        raise combined(unknown, "use types no loaded plugin provides")
    _drop_links_to_missing(prompt)
    return prompt


def _emit(top: Scope, resolver: Resolver, registry: Registry, prompt: dict[str, dict[str, Any]],
          unknown: list[WorkflowError]) -> None:
    """Add the executable nodes to `prompt`, in file order, each subgraph instance's inner nodes at its place
    (those of unknown types to `unknown`).

    A stack of (scope, nodes still to visit) stands in for recursion into instances.
    """
    shown: dict[str, dict[str, Any]] = {}  # widget values instances show for inner nodes, by execution id
    stack: list[tuple[Scope, Iterator[UINode]]] = [(top, iter(top.graph.nodes.values()))]
    while stack:
        scope, pending = stack[-1]
        node = next(pending, None)
        if node is None:
            stack.pop()
            continue
        if node.mode in (MODE_NEVER, MODE_BYPASS) or node.type in FRONTEND_ONLY:
            continue
        if node.type in resolver.subgraphs:
            inner = scope.enter(node, resolver.subgraphs[node.type])
            for node_id, widget, value in proxy_widgets(node) or []:
                if node_id != "-1":
                    shown.setdefault(inner.exec_id(node_id), {})[widget] = value
            stack.append((inner, iter(inner.graph.nodes.values())))
            continue
        spec = registry.get(node.type)
        if spec is None:
            unknown.append(_unknown(scope, node))
            continue
        prompt[scope.exec_id(node.id)] = _api_node(scope, node, spec, resolver, shown.get(scope.exec_id(node.id)))


def _api_node(scope: Scope, node: UINode, spec: NodeSpec, resolver: Resolver,
              shown: dict[str, Any] | None) -> dict[str, Any]:
    inputs = values_by_name(node, spec)
    widgets = set(widget_order(spec))
    # The value a subgraph instance shows for an inner widget is that instance's own (the definition is shared).
    inputs.update({name: wrap_literal(value) for name, value in (shown or {}).items() if name in widgets})
    for index, item in enumerate(node.inputs):
        if item.link is None:
            continue
        resolved = resolver.input(scope, node, index)
        if isinstance(resolved, Source):
            inputs[item.name] = [resolved.node_id, resolved.slot]
        elif isinstance(resolved, Literal) and (item.widget or item.name in widgets):
            inputs[item.name] = wrap_literal(resolved.value)
    return {"inputs": inputs, "class_type": node.type, "_meta": {"title": node.title or spec.display_name}}


def _unknown(scope: Scope, node: UINode) -> WorkflowError:
    exec_id = scope.exec_id(node.id)
    where = f" in {scope.graph.name}" if scope.prefix else ""
    title = f" titled '{node.title}'" if node.title else ""
    if node.type.startswith(("workflow>", "workflow/")):
        hint = "it is a legacy group node; convert it to a subgraph in the editor and save again"
    else:
        hint = "no loaded plugin provides this node type"
    return WorkflowError(f"node {exec_id}{where}: unknown node type '{node.type}'{title} ({hint})",
                         node_id=exec_id, node_type=node.type)


def _drop_links_to_missing(prompt: dict[str, dict[str, Any]]) -> None:
    for node in prompt.values():
        inputs = node["inputs"]
        for name in [n for n, v in inputs.items() if is_link(v) and v[0] not in prompt]:
            del inputs[name]
