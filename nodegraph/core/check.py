"""Checks a node class's declaration against its run method when it registers."""

from __future__ import annotations

import inspect

from .errors import PluginError
from .schema import In, Out
from .types import COMBO


def check_native(cls: type) -> None:
    """Raise PluginError when the schema and `run` disagree, so mistakes surface at load, not at run."""
    name = cls.__name__
    inputs = getattr(cls, "inputs", {})
    outputs = getattr(cls, "outputs", {})
    if not isinstance(inputs, dict) or not all(isinstance(v, In) for v in inputs.values()):
        raise PluginError(f"{name}.inputs must be a dict of In(...)")
    if not isinstance(outputs, dict) or not all(isinstance(v, Out) for v in outputs.values()):
        raise PluginError(f"{name}.outputs must be a dict of Out(...)")
    for input_name, spec in inputs.items():
        if spec.type == COMBO and spec.choices is None:
            raise PluginError(f"{name}.inputs[{input_name!r}] is a choice without choices")
    params = inspect.signature(cls.run).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    declared = set(inputs) | set(getattr(cls, "hidden", {}))
    accepted = {n for n, p in params.items() if n not in ("self", "ctx") and p.kind is not p.VAR_POSITIONAL}
    missing = declared - accepted
    if missing:
        raise PluginError(f"{name}.run does not accept declared inputs {sorted(missing)}")
    undeclared = {
        n for n in accepted - declared if params[n].default is inspect.Parameter.empty
    }
    if undeclared:
        raise PluginError(f"{name}.run requires undeclared inputs {sorted(undeclared)}")
