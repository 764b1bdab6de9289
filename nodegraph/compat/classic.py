"""Adapts a ComfyUI classic node class (INPUT_TYPES, RETURN_TYPES, FUNCTION, ...) into a NodeSpec."""

from __future__ import annotations

import inspect
from typing import Any

from ..core.errors import PluginError
from ..core.schema import In, NodeSpec, Out
from ..core.types import COMBO

_KNOWN_OPTIONS = {"default", "min", "max", "step", "round", "multiline", "lazy", "rawLink", "forceInput",
                  "tooltip"}


def is_classic(cls: Any) -> bool:
    return inspect.isclass(cls) and hasattr(cls, "INPUT_TYPES") and hasattr(cls, "RETURN_TYPES")


def _to_in(name: str, entry: Any, optional: bool) -> In:
    if not isinstance(entry, (tuple, list)) or not entry:
        raise PluginError(f"input {name!r}: expected (TYPE, {{options}}), got {entry!r}")
    kind = entry[0]
    opts = dict(entry[1]) if len(entry) > 1 and isinstance(entry[1], dict) else {}
    extra = {k: v for k, v in opts.items() if k not in _KNOWN_OPTIONS}
    common: dict[str, Any] = dict(
        optional=optional, lazy=bool(opts.get("lazy")), raw_link=bool(opts.get("rawLink")),
        force_input=bool(opts.get("forceInput")), tooltip=str(opts.get("tooltip", "")),
        multiline=bool(opts.get("multiline")), min=opts.get("min"), max=opts.get("max"),
        step=opts.get("step"), round=opts.get("round") if opts.get("round") is not False else None,
        extra=extra,
    )
    if "default" in opts:
        common["default"] = opts["default"]
    if isinstance(kind, (list, tuple)):
        return In(COMBO, choices=tuple(str(c) for c in kind), **common)
    if not isinstance(kind, str):
        raise PluginError(f"input {name!r}: type must be a string or a list of choices")
    return In(kind, **common)


def spec_from_classic(cls: type, name: str, display_name: str | None = None, module: str = "") -> NodeSpec:
    try:
        declared = cls.INPUT_TYPES()
    except Exception as exc:  # a plugin's INPUT_TYPES is third-party code
        raise PluginError(f"{name}.INPUT_TYPES() failed: {exc}") from exc
    inputs: dict[str, In] = {}
    for section, optional in (("required", False), ("optional", True)):
        for input_name, entry in (declared.get(section) or {}).items():
            inputs[input_name] = _to_in(input_name, entry, optional)
    hidden = {k: str(v) for k, v in (declared.get("hidden") or {}).items()}
    types = tuple(cls.RETURN_TYPES)
    names = tuple(getattr(cls, "RETURN_NAMES", types))
    is_list = tuple(getattr(cls, "OUTPUT_IS_LIST", (False,) * len(types)))
    tooltips = tuple(getattr(cls, "OUTPUT_TOOLTIPS", ("",) * len(types)))
    outputs = [Out(str(t), str(n), bool(is_list[i]) if i < len(is_list) else False,
                   tooltips[i] if i < len(tooltips) else "")
               for i, (t, n) in enumerate(zip(types, names, strict=False))]
    function = getattr(cls, "FUNCTION", None)
    if not isinstance(function, str) or not hasattr(cls, function):
        raise PluginError(f"{name}: FUNCTION must name a method of the class")
    spec = NodeSpec(
        name=name,
        display_name=display_name or name,
        category=getattr(cls, "CATEGORY", "sd"),
        description=getattr(cls, "DESCRIPTION", ""),
        python_module=module or cls.__module__,
        inputs=inputs,
        outputs=outputs,
        hidden=hidden,
        output_node=bool(getattr(cls, "OUTPUT_NODE", False)),
        input_is_list=bool(getattr(cls, "INPUT_IS_LIST", False)),
        not_idempotent=bool(getattr(cls, "NOT_IDEMPOTENT", False)) or "UNIQUE_ID" in hidden.values(),
        deprecated=bool(getattr(cls, "DEPRECATED", False)),
        experimental=bool(getattr(cls, "EXPERIMENTAL", False)),
        make_instance=cls,
        call=lambda instance, ctx, kwargs: getattr(instance, function)(**kwargs),
        source=cls,
    )
    if hasattr(cls, "IS_CHANGED"):
        spec.fingerprint = lambda constants: cls.IS_CHANGED(**_accepted(cls.IS_CHANGED, constants))
    if hasattr(cls, "VALIDATE_INPUTS"):
        params = inspect.signature(cls.VALIDATE_INPUTS).parameters
        takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
        spec.validate_takes = frozenset(inputs) if takes_all else frozenset(params) & set(inputs)
        spec.validate_checks_types = "input_types" in params

        def validate(constants: dict[str, Any], types: dict[str, str]) -> Any:
            kwargs = _accepted(cls.VALIDATE_INPUTS, constants)
            if "input_types" in params:
                kwargs["input_types"] = types
            return cls.VALIDATE_INPUTS(**kwargs)

        spec.validate = validate
    if hasattr(cls, "check_lazy_status"):
        spec.check_lazy = lambda instance, ctx, values: instance.check_lazy_status(**values)
    return spec


def _accepted(func: Any, values: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return dict(values)
    return {k: v for k, v in values.items() if k in params}
