"""Adapts a ComfyUI V3 node (`io.ComfyNode` with define_schema/execute) into a NodeSpec, and normalises what
its classmethods return (NodeOutput, tuples, dicts, ExecutionBlocker) into nodegraph's results."""

from __future__ import annotations

import inspect
from typing import Any

from ..core.errors import PluginError
from ..core.results import ExecutionBlocker, Result
from ..core.schema import NodeSpec, Out
from .classic import accepted, add_validator, to_in
from .modules.v3_io import ComfyNode, HiddenHolder, NodeOutput, Schema


def is_v3(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, ComfyNode)


def _schema(cls: type[ComfyNode]) -> Schema:
    for hook in ("define_schema", "execute"):
        if getattr(cls, hook).__func__ is getattr(ComfyNode, hook).__func__:
            raise PluginError(f"{cls.__name__} must implement the classmethod {hook}()")
    try:
        return cls.GET_SCHEMA()
    except Exception as exc:  # third-party code
        raise PluginError(f"{cls.__name__}.define_schema() failed: {exc}") from exc


def node_id(cls: type[ComfyNode]) -> str:
    return _schema(cls).node_id


def spec_from_v3(cls: type[ComfyNode], name: str | None = None, display_name: str | None = None, module: str = "",
                 host: Any = None) -> NodeSpec:
    schema = _schema(cls)
    guard = host.guard if host is not None else (lambda function: function)
    hidden = {h.name: h.value for h in schema.hidden}
    outputs = [Out(o.get_io_type(), o.display_name or o.id or o.get_io_type(), bool(o.is_output_list), o.tooltip or "")
               for o in schema.outputs]
    spec = NodeSpec(
        name=name or schema.node_id, display_name=display_name or schema.display_name or schema.node_id,
        category=schema.category, description=schema.description, python_module=module or cls.__module__,
        inputs={i.id: to_in(i.id, i.entry(), i.optional) for i in schema.inputs}, outputs=outputs, hidden=hidden,
        output_node=schema.is_output_node, input_is_list=schema.is_input_list, not_idempotent=schema.not_idempotent,
        deprecated=schema.is_deprecated, experimental=schema.is_experimental, make_instance=lambda: None,
        call=guard(lambda instance, ctx, kwargs: _execute(cls, schema, kwargs)), source=cls,
        takes_extra_links=any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.execute).parameters.values()),
    )
    if hasattr(cls, "fingerprint_inputs"):
        hook = cls.fingerprint_inputs
        spec.fingerprint = guard(lambda constants: hook(**accepted(hook, constants)))
    if hasattr(cls, "validate_inputs"):
        add_validator(spec, cls.validate_inputs, guard)
    if hasattr(cls, "check_lazy_status"):
        spec.check_lazy = guard(lambda instance, ctx, values: _prepared(cls, schema, dict(values)).check_lazy_status(
            **values))
    return spec


def _prepared(cls: type[ComfyNode], schema: Schema, kwargs: dict[str, Any]) -> type[ComfyNode]:
    """A copy of the class whose `hidden` holds this run's hidden values (taken out of kwargs): V3 nodes are
    classmethods without instance state, as in ComfyUI."""
    values = {h.name: kwargs.pop(h.name, None) for h in schema.hidden}
    return type(cls.__name__, (cls,), {"hidden": HiddenHolder.from_dict(values), "__module__": cls.__module__})


def _execute(cls: type[ComfyNode], schema: Schema, kwargs: dict[str, Any]) -> Any:
    clone = _prepared(cls, schema, dict(kwargs))
    arguments = {k: v for k, v in kwargs.items() if k not in {h.name for h in schema.hidden}}
    raw = clone.execute(**arguments)
    if inspect.isawaitable(raw):
        return _normalise_later(raw, schema)
    return normalise(raw, schema)


async def _normalise_later(raw: Any, schema: Schema) -> Any:
    return normalise(await raw, schema)


def normalise(raw: Any, schema: Schema) -> Any:
    """ComfyUI's accepted returns: NodeOutput, None, a tuple, a {result, ui, expand} dict or a blocker."""
    if isinstance(raw, ExecutionBlocker):
        return raw
    if raw is None:
        raw = NodeOutput()
    elif isinstance(raw, tuple):
        raw = NodeOutput(*raw)
    elif isinstance(raw, dict):
        raw = NodeOutput.from_dict(raw)
    if not isinstance(raw, NodeOutput):
        raise TypeError(f"{schema.node_id}.execute returned {type(raw).__name__}; expected io.NodeOutput")
    if raw.block_execution is not None:
        return ExecutionBlocker(raw.block_execution)
    if raw.expand is not None and not schema.enable_expand:
        raise ValueError(f"{schema.node_id} returned a sub-graph (expand) without enable_expand=True in its schema")
    ui = raw.ui.as_dict() if hasattr(raw.ui, "as_dict") else raw.ui
    return Result(tuple(raw.args), ui=ui, expand=raw.expand)
