"""ComfyUI's `comfy.comfy_types` (and `.node_typing`): the IO type names and the typing helpers V1 node
classes are written against (ComfyNodeABC, CheckLazyMixin, InputTypeDict, InputTypeOptions)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, Literal, TypedDict

__all__ = ["IO", "ComfyNodeABC", "CheckLazyMixin", "InputTypeDict", "InputTypeOptions", "HiddenInputTypeDict",
           "FileLocator"]


class IO(str, Enum):
    """Socket type names. In `received != expected` checks `IO.ANY` ("*") is unequal to nothing and a union
    is unequal only to types it shares nothing with, as in ComfyUI (its trick for wildcard sockets)."""

    ANY = "*"
    NUMBER = "FLOAT,INT"
    PRIMITIVE = "STRING,FLOAT,INT,BOOLEAN"
    STRING = "STRING"
    BOOLEAN = "BOOLEAN"
    INT = "INT"
    FLOAT = "FLOAT"
    COMBO = "COMBO"
    CONDITIONING = "CONDITIONING"
    SAMPLER = "SAMPLER"
    SIGMAS = "SIGMAS"
    GUIDER = "GUIDER"
    NOISE = "NOISE"
    CLIP = "CLIP"
    CONTROL_NET = "CONTROL_NET"
    VAE = "VAE"
    MODEL = "MODEL"
    LORA_MODEL = "LORA_MODEL"
    LOSS_MAP = "LOSS_MAP"
    CLIP_VISION = "CLIP_VISION"
    CLIP_VISION_OUTPUT = "CLIP_VISION_OUTPUT"
    STYLE_MODEL = "STYLE_MODEL"
    GLIGEN = "GLIGEN"
    UPSCALE_MODEL = "UPSCALE_MODEL"
    LATENT = "LATENT"
    IMAGE = "IMAGE"
    MASK = "MASK"
    AUDIO = "AUDIO"
    VIDEO = "VIDEO"
    POINT = "POINT"
    FACE_ANALYSIS = "FACE_ANALYSIS"
    BBOX = "BBOX"
    SEGS = "SEGS"
    PHOTOMAKER = "PHOTOMAKER"
    HOOKS = "HOOKS"
    HOOK_KEYFRAMES = "HOOK_KEYFRAMES"
    TIMESTEPS_RANGE = "TIMESTEPS_RANGE"
    LATENT_OPERATION = "LATENT_OPERATION"
    FLOW_CONTROL = "FLOW_CONTROL"
    ACCUMULATION = "ACCUMULATION"

    def __str__(self) -> str:
        return self.value

    def __ne__(self, other: object) -> bool:
        # Unions compare as sets: "IMAGE" is not unequal to "IMAGE,MASK" (one contains the other).
        if self.value == "*" or other == "*":
            return False
        if not isinstance(other, str):
            return True
        mine, theirs = frozenset(self.value.split(",")), frozenset(str.__str__(other).split(","))
        return not (mine <= theirs or theirs <= mine)


class InputTypeOptions(TypedDict, total=False):
    """The options of an `(TYPE, {options})` input entry that nodegraph reads or passes to the editor."""

    default: Any
    min: float
    max: float
    step: float
    round: float | Literal[False]
    multiline: bool
    dynamicPrompts: bool
    tooltip: str
    lazy: bool
    rawLink: bool
    forceInput: bool
    defaultInput: bool
    image_upload: bool
    control_after_generate: bool
    label_on: str
    label_off: str
    placeholder: str
    display: str


class HiddenInputTypeDict(TypedDict, total=False):
    unique_id: Literal["UNIQUE_ID"]
    prompt: Literal["PROMPT"]
    extra_pnginfo: Literal["EXTRA_PNGINFO"]
    dynprompt: Literal["DYNPROMPT"]


class InputTypeDict(TypedDict, total=False):
    required: dict[str, tuple[Any, ...]]
    optional: dict[str, tuple[Any, ...]]
    hidden: HiddenInputTypeDict


class FileLocator(TypedDict):
    filename: str
    subfolder: str
    type: Literal["input", "output", "temp"]


class ComfyNodeABC(ABC):
    """The V1 node contract as an abstract class: INPUT_TYPES is required, the rest are optional attributes."""

    DESCRIPTION: str = ""
    CATEGORY: str = "sd"
    RETURN_TYPES: tuple[str, ...] = ()
    RETURN_NAMES: tuple[str, ...] | None = None
    OUTPUT_TOOLTIPS: tuple[str, ...] | None = None
    OUTPUT_IS_LIST: tuple[bool, ...] | None = None
    INPUT_IS_LIST: bool = False
    FUNCTION: str = ""
    OUTPUT_NODE: bool = False
    DEPRECATED: bool = False
    EXPERIMENTAL: bool = False

    @classmethod
    @abstractmethod
    def INPUT_TYPES(cls) -> InputTypeDict:  # noqa: N802 - ComfyUI's name
        """The node's inputs: {"required": {...}, "optional": {...}, "hidden": {...}}."""


class CheckLazyMixin:
    """Default check_lazy_status: ask for every lazy input that is still None."""

    def check_lazy_status(self, **kwargs: Any) -> list[str]:
        return [name for name, value in kwargs.items() if value is None]
