"""Adapts a ComfyUI classic node class (INPUT_TYPES, RETURN_TYPES, FUNCTION, ...) into a NodeSpec."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

from ..core.errors import PluginError
from ..core.schema import In, NodeSpec, Out
from ..core.types import COMBO

_KNOWN_OPTIONS = {"default", "min", "max", "step", "round", "multiline", "lazy", "rawLink", "forceInput",
                  "tooltip"}


def is_classic(cls: Any) -> bool:
    return inspect.isclass(cls) and hasattr(cls, "INPUT_TYPES") and hasattr(cls, "RETURN_TYPES")


def to_in(name: str, entry: Any, optional: bool) -> In:
    """One `(TYPE, {options})` input entry (TYPE a list of choices for a combo) as an In."""
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
    if kind == COMBO and isinstance(opts.get("options"), (list, tuple)):
        kind = opts["options"]  # the newer spelling of a combo: ("COMBO", {"options": [...]})
        common["extra"] = {k: v for k, v in extra.items() if k != "options"}
    if isinstance(kind, (list, tuple)):
        return In(COMBO, choices=tuple(str(c) for c in kind), **common)
    if not isinstance(kind, str):
        raise PluginError(f"input {name!r}: type must be a string or a list of choices")
    return In(kind, **common)


def spec_from_classic(cls: type, name: str, display_name: str | None = None, module: str = "",
                      host: Any = None) -> NodeSpec:
    """The spec of a classic class; with a ComfyHost, the class's code runs with ComfyUI's modules served."""
    try:
        declared = cls.INPUT_TYPES()
    except Exception as exc:  # a plugin's INPUT_TYPES is third-party code
        raise PluginError(f"{name}.INPUT_TYPES() failed: {exc}") from exc
    inputs: dict[str, In] = {}
    for section, optional in (("required", False), ("optional", True)):
        for input_name, entry in (declared.get(section) or {}).items():
            inputs[input_name] = to_in(input_name, entry, optional)
    hidden = {k: str(v) for k, v in (declared.get("hidden") or {}).items()}
    types = tuple(cls.RETURN_TYPES)
    # ComfyNodeABC declares the optional ones as None.
    names = tuple(getattr(cls, "RETURN_NAMES", None) or types)
    is_list = tuple(getattr(cls, "OUTPUT_IS_LIST", None) or (False,) * len(types))
    tooltips = tuple(getattr(cls, "OUTPUT_TOOLTIPS", None) or ("",) * len(types))
    outputs = [Out(str(t), str(n), bool(is_list[i]) if i < len(is_list) else False,
                   tooltips[i] if i < len(tooltips) else "")
               for i, (t, n) in enumerate(zip(types, names, strict=False))]
    function = getattr(cls, "FUNCTION", None)
    if not isinstance(function, str) or not hasattr(cls, function):
        raise PluginError(f"{name}: FUNCTION must name a method of the class")
    guard = host.guard if host is not None else _unguarded
    if host is not None:  # an engine's registry reads choice lists when rendered, as ComfyUI re-reads INPUT_TYPES
        inputs = {n: replace(i, choices=_live_choices(cls, n, i.choices, guard)) if i.type == COMBO else i
                  for n, i in inputs.items()}
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
        make_instance=guard(cls),
        call=guard(lambda instance, ctx, kwargs: getattr(instance, function)(**kwargs)),
        source=cls,
        takes_extra_links=_takes_kwargs(getattr(cls, function)),
    )
    if hasattr(cls, "IS_CHANGED"):
        spec.fingerprint = guard(lambda constants: cls.IS_CHANGED(**accepted(cls.IS_CHANGED, constants)))
    if hasattr(cls, "VALIDATE_INPUTS"):
        add_validator(spec, cls.VALIDATE_INPUTS, guard)
    if hasattr(cls, "check_lazy_status"):
        spec.check_lazy = guard(lambda instance, ctx, values: instance.check_lazy_status(**values))
    return spec


def add_validator(spec: NodeSpec, hook: Any, guard: Any) -> None:
    """ComfyUI's VALIDATE_INPUTS contract: the inputs it names (all, with **kwargs) skip the built-in range and
    choice checks, a parameter `input_types` receives the linked inputs' types and turns the link type check
    off, INPUT_IS_LIST nodes get each value as a list, and the hook may be async (validation awaits it)."""
    params = inspect.signature(hook).parameters
    spec.validate_takes = frozenset(spec.inputs) if _takes_kwargs(hook) else frozenset(params) & set(spec.inputs)
    spec.validate_checks_types = "input_types" in params

    def validate(constants: dict[str, Any], types: dict[str, str]) -> Any:
        kwargs = accepted(hook, constants)
        if spec.input_is_list:
            kwargs = {key: [value] for key, value in kwargs.items()}
        if "input_types" in params:
            kwargs["input_types"] = [types] if spec.input_is_list else types
        return hook(**kwargs)

    spec.validate = guard(validate)


def _live_choices(cls: type, name: str, fallback: Any, guard: Any) -> Any:
    """A choices callable that asks INPUT_TYPES again (its file lists change: folder_paths.get_filename_list),
    keeping the options read at load time if it fails now."""

    def read(_services: Any) -> list[str]:
        try:
            declared = guard(cls.INPUT_TYPES)()
            entry = (declared.get("required") or {}).get(name) or (declared.get("optional") or {}).get(name)
            return list(to_in(name, entry, False).choices or fallback)
        except Exception:  # third-party code: the load-time list still stands
            return list(fallback)

    return read


def _takes_kwargs(func: Any) -> bool:
    try:
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def _unguarded(function: Any) -> Any:
    return function


def accepted(func: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values a hook's signature takes (all of them when it has **kwargs)."""
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return dict(values)
    return {k: v for k, v in values.items() if k in params}
