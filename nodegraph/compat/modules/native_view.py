"""nodegraph's own nodes seen as ComfyUI V1 classes (INPUT_TYPES, RETURN_TYPES, FUNCTION), so a pack can call
`nodes.NODE_CLASS_MAPPINGS["VAEDecode"]().decode(vae=..., samples=...)` as it would in ComfyUI: the call runs
the node inside the running node's context (its folders, models and progress)."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from ...core.context import current
from ...core.events import discard
from ...core.results import normalize
from ...core.schema import NodeSpec
from ...runtime.context import Context

# ComfyUI's method names (FUNCTION) of the nodes nodegraph carries under ComfyUI's class names.
FUNCTIONS = {
    "CheckpointLoaderSimple": "load_checkpoint", "CheckpointSave": "save", "CLIPTextEncode": "encode",
    "CLIPSetLastLayer": "set_last_layer", "ConditioningCombine": "combine", "ConditioningAverage": "addWeighted",
    "ConditioningConcat": "concat", "ConditioningZeroOut": "zero_out", "EmptyLatentImage": "generate",
    "KSampler": "sample", "KSamplerAdvanced": "sample", "VAEDecode": "decode", "VAEEncode": "encode",
    "VAEEncodeForInpaint": "encode", "SetLatentNoiseMask": "set_mask", "ControlNetLoader": "load_controlnet",
    "ControlNetApplyAdvanced": "apply_controlnet", "LoadImage": "load_image", "LoadImageMask": "load_image",
    "ImageScale": "upscale", "ImageScaleBy": "upscale", "LatentUpscaleBy": "upscale", "EmptyImage": "generate",
    "ImageInvert": "invert", "RebatchImages": "rebatch", "RebatchLatents": "rebatch", "ImageBatch": "batch",
    "RepeatImageBatch": "repeat", "ImageFromBatch": "frombatch", "LatentBatch": "batch",
    "RepeatLatentBatch": "repeat", "LatentFromBatch": "frombatch",
}


def _input_types(spec: NodeSpec) -> dict[str, Any]:
    sections: dict[str, Any] = {"required": {}, "optional": {}, "hidden": dict(spec.hidden)}
    for name, decl in spec.inputs.items():
        sections["optional" if decl.optional else "required"][name] = tuple(decl.comfy_entry())
    return sections


def _context(host: Any, spec: NodeSpec) -> Context:
    ctx = current()
    if isinstance(ctx, Context):
        return dataclasses.replace(ctx, class_type=spec.name)
    return Context("", "", "", spec.name, discard, host.interrupt, host.services)


def _comfy_result(spec: NodeSpec, raw: Any) -> Any:
    result = normalize(raw, len(spec.outputs))
    values = result.values if result.values is not None else (None,) * len(spec.outputs)
    if result.ui or result.expand:
        return {"result": values, "ui": result.ui, "expand": result.expand}
    return values


async def _comfy_result_later(spec: NodeSpec, raw: Any) -> Any:
    return _comfy_result(spec, await raw)


def classic_view(spec: NodeSpec, host: Any) -> type:
    function = FUNCTIONS.get(spec.name, "run")

    def call(self: Any, **kwargs: Any) -> Any:
        raw = spec.call(spec.make_instance(), _context(host, spec), kwargs)
        return _comfy_result_later(spec, raw) if inspect.isawaitable(raw) else _comfy_result(spec, raw)

    attrs: dict[str, Any] = {
        "__doc__": f"nodegraph's {spec.name} node as a ComfyUI node class.", "__module__": "nodes",
        "INPUT_TYPES": classmethod(lambda cls: _input_types(spec)),
        "RETURN_TYPES": tuple(o.type for o in spec.outputs),
        "RETURN_NAMES": tuple(o.name or o.type for o in spec.outputs),
        "OUTPUT_IS_LIST": tuple(o.is_list for o in spec.outputs), "FUNCTION": function,
        "CATEGORY": spec.category, "OUTPUT_NODE": spec.output_node, "INPUT_IS_LIST": spec.input_is_list,
        "DESCRIPTION": spec.description, function: call,
    }
    return type(spec.name, (), attrs)
