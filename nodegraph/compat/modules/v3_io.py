"""ComfyUI's V3 node schema (`comfy_api.latest.io`): ComfyNode with define_schema/execute, Schema, the typed
Input/Output declarations of each socket type, Hidden values and NodeOutput.

These classes are the same for every engine; `nodegraph.compat.v3` turns a ComfyNode into a NodeSpec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from ...core.results import ExecutionBlocker
from .v3_types import (
    AnyType,
    Boolean,
    Combo,
    ComfyTypeIO,
    Custom,
    Float,
    FolderType,
    Input,
    Int,
    MultiCombo,
    MultiType,
    NumberDisplay,
    Output,
    String,
    UploadType,
    WidgetInput,
    comfytype,
    socket_types,
)

__all__ = ["ComfyNode", "Schema", "NodeOutput", "Hidden", "HiddenHolder", "Input", "Output", "WidgetInput",
           "ComfyTypeIO", "comfytype", "Custom", "AnyType", "MultiType", "Int", "Float", "String", "Boolean",
           "Combo", "MultiCombo", "FolderType", "UploadType", "NumberDisplay", "ExecutionBlocker", "socket_types"]


class Hidden(str, Enum):
    """Values a node may ask for without an input socket; read at run time as `cls.hidden.<name>`."""

    unique_id = "UNIQUE_ID"
    prompt = "PROMPT"
    extra_pnginfo = "EXTRA_PNGINFO"
    dynprompt = "DYNPROMPT"
    auth_token_comfy_org = "AUTH_TOKEN_COMFY_ORG"
    api_key_comfy_org = "API_KEY_COMFY_ORG"


@dataclass
class HiddenHolder:
    unique_id: str | None = None
    prompt: Any = None
    extra_pnginfo: Any = None
    dynprompt: Any = None
    auth_token_comfy_org: str | None = None
    api_key_comfy_org: str | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HiddenHolder:
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


@dataclass
class Schema:
    """A V3 node's declaration: what `/object_info` shows and what the engine validates and runs."""

    node_id: str
    display_name: str | None = None
    category: str = "sd"
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    hidden: list[Hidden] = field(default_factory=list)
    description: str = ""
    is_input_list: bool = False
    is_output_node: bool = False
    is_deprecated: bool = False
    is_experimental: bool = False
    is_api_node: bool = False
    not_idempotent: bool = False
    enable_expand: bool = False

    def validate(self) -> None:
        """Input and output ids must be unique within their lists (they become keyword arguments)."""
        for kind, items in (("input", self.inputs), ("output", self.outputs)):
            ids = [item.id for item in items if item.id is not None]
            doubled = sorted({i for i in ids if ids.count(i) > 1})
            if doubled:
                raise ValueError(f"{self.node_id}: {kind} ids must be unique, repeated: {', '.join(doubled)}")


class NodeOutput:
    """What `execute` returns: output values in order, and optionally `ui` (shown on the node, kept in the
    history), `expand` (a sub-graph; needs enable_expand) or `block_execution` (a message that blocks
    every consumer, as an ExecutionBlocker)."""

    def __init__(self, *args: Any, ui: Any = None, expand: dict[str, Any] | None = None,
                 block_execution: str | None = None) -> None:
        self.args = args
        self.ui = ui
        self.expand = expand
        self.block_execution = block_execution

    @property
    def result(self) -> tuple[Any, ...] | None:
        return self.args if self.args else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeOutput:
        result = data.get("result") or ()
        return cls(*result, ui=data.get("ui"), expand=data.get("expand"))


class ComfyNode:
    """Subclass and implement the classmethods define_schema() and execute(**inputs); optionally
    validate_inputs, fingerprint_inputs (ComfyUI's IS_CHANGED) and check_lazy_status. Nodes keep no
    instance state: each run works on a copy of the class whose `hidden` holds that run's hidden values."""

    hidden: ClassVar[HiddenHolder] = HiddenHolder()

    @classmethod
    def define_schema(cls) -> Schema:
        raise NotImplementedError(f"{cls.__name__} must implement define_schema()")

    @classmethod
    def execute(cls, **kwargs: Any) -> NodeOutput:
        raise NotImplementedError(f"{cls.__name__} must implement execute()")

    @classmethod
    def GET_SCHEMA(cls) -> Schema:  # noqa: N802 - ComfyUI's name
        schema = cls.define_schema()
        schema.validate()
        return schema

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802 - the V1 view other packs may read
        schema = cls.GET_SCHEMA()
        sections: dict[str, Any] = {"required": {}, "optional": {}}
        for item in schema.inputs:
            sections["optional" if item.optional else "required"][item.id] = item.entry()
        sections["hidden"] = {h.name: h.value for h in schema.hidden}
        return sections


def bind(host: Any) -> dict[str, Any]:
    """The same classes for every engine, with each socket type (io.Image, io.Mask, ...) as an attribute."""
    return {**{name: globals()[name] for name in __all__}, **socket_types}
