"""Turns a native `Node` subclass into the engine's NodeSpec."""

from __future__ import annotations

import inspect
from typing import Any

from .check import check_native
from .node import Node
from .schema import NodeSpec, Out


def _overrides(cls: type, hook: str) -> bool:
    mine = inspect.getattr_static(cls, hook, None)
    base = inspect.getattr_static(Node, hook)
    return mine is not None and _unwrap(mine) is not _unwrap(base)


def _unwrap(member: Any) -> Any:
    return getattr(member, "__func__", member)


def spec_from_native(cls: type[Node], name: str | None = None, display_name: str | None = None,
                     module: str = "") -> NodeSpec:
    check_native(cls)
    node_name = name or cls.__name__
    outputs = [Out(o.type, o.name or key, o.is_list, o.tooltip) for key, o in cls.outputs.items()]
    spec = NodeSpec(
        name=node_name,
        display_name=display_name or cls.display_name or node_name,
        category=cls.category,
        description=cls.description or (inspect.getdoc(cls) or "").split("\n\n")[0],
        python_module=module or cls.__module__,
        inputs=dict(cls.inputs),
        outputs=outputs,
        hidden=dict(cls.hidden),
        output_node=cls.output_node,
        input_is_list=cls.input_is_list,
        not_idempotent=cls.not_idempotent,
        deprecated=cls.deprecated,
        experimental=cls.experimental,
        version=cls.version,
        make_instance=cls,
        call=lambda instance, ctx, kwargs: instance.run(ctx, **kwargs),
        source=cls,
    )
    # Hooks run outside any node call; one that declares `services` gets the owning engine's (spec.env).
    if _overrides(cls, "fingerprint"):
        wants = "services" in inspect.signature(cls.fingerprint).parameters
        spec.fingerprint = lambda constants: cls.fingerprint(**constants, **({"services": spec.env} if wants else {}))
    if _overrides(cls, "validate"):
        params = inspect.signature(cls.validate).parameters
        takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
        spec.validate = lambda constants, types: _call_validate(cls, constants, types, params, takes_all, spec.env)
        spec.validate_takes = (frozenset(cls.inputs) if takes_all else frozenset(params) & set(cls.inputs))
        spec.validate_checks_types = "input_types" in params
    if _overrides(cls, "check_lazy"):
        spec.check_lazy = lambda instance, ctx, values: instance.check_lazy(ctx, **values)
    return spec


def _call_validate(cls: type, constants: dict[str, Any], types: dict[str, str], params: Any,
                   takes_all: bool, env: Any) -> Any:
    kwargs = dict(constants) if takes_all else {k: v for k, v in constants.items() if k in params}
    if "input_types" in params:
        kwargs["input_types"] = types
    if "services" in params:
        kwargs["services"] = env
    return cls.validate(**kwargs)
