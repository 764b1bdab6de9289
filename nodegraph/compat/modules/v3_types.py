"""The socket types of ComfyUI's V3 schema: each type family (`io.Int`, `io.Image`, `io.Custom("X")`...) has
an `Input` and an `Output` declaration class carrying its type name and its widget options."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar


class FolderType(str, Enum):
    input = "input"
    output = "output"
    temp = "temp"


class UploadType(str, Enum):
    image = "image_upload"
    audio = "audio_upload"
    video = "video_upload"
    model = "file_upload"


class NumberDisplay(str, Enum):
    number = "number"
    slider = "slider"


def _options(**values: Any) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items() if v is not None}


class Input:
    """An input socket: `id` is the keyword its value is passed by."""

    io_type: ClassVar[str] = "*"

    def __init__(self, id: str, display_name: str | None = None, optional: bool = False,  # noqa: A002
                 tooltip: str | None = None, lazy: bool | None = None, extra_dict: dict[str, Any] | None = None,
                 raw_link: bool | None = None, advanced: bool | None = None) -> None:
        self.id = id
        self.display_name = display_name
        self.optional = optional
        self.tooltip = tooltip
        self.lazy = lazy
        self.extra_dict = extra_dict or {}
        self.raw_link = raw_link
        self.advanced = advanced

    def get_io_type(self) -> str:
        return self.io_type

    def as_dict(self) -> dict[str, Any]:
        """The V1 options dict (`(TYPE, {options})`), which the editor and /object_info read."""
        return {**_options(display_name=self.display_name, tooltip=self.tooltip, lazy=self.lazy,
                           rawLink=self.raw_link, advanced=self.advanced), **self.extra_dict}

    def entry(self) -> tuple[Any, dict[str, Any]]:
        return self.get_io_type(), self.as_dict()


class WidgetInput(Input):
    """An input that may hold a literal (drawn as a widget) as well as take a link."""

    def __init__(self, id: str, display_name: str | None = None, optional: bool = False,  # noqa: A002
                 tooltip: str | None = None, lazy: bool | None = None, default: Any = None,
                 socketless: bool | None = None, widget_type: str | None = None, force_input: bool | None = None,
                 extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None,
                 advanced: bool | None = None) -> None:
        super().__init__(id, display_name, optional, tooltip, lazy, extra_dict, raw_link, advanced)
        self.default = default
        self.socketless = socketless
        self.widget_type = widget_type
        self.force_input = force_input

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), **_options(default=self.default, socketless=self.socketless,
                                                widgetType=self.widget_type, forceInput=self.force_input)}


class Output:
    """An output socket; `is_output_list` makes each element feed a separate downstream call."""

    io_type: ClassVar[str] = "*"

    def __init__(self, id: str | None = None, display_name: str | None = None, tooltip: str | None = None,  # noqa: A002
                 is_output_list: bool = False) -> None:
        self.id = id
        self.display_name = display_name
        self.tooltip = tooltip
        self.is_output_list = is_output_list

    def get_io_type(self) -> str:
        return self.io_type


class ComfyTypeIO:
    """A type family; its `Input` and `Output` classes carry its `io_type`."""

    io_type: ClassVar[str] = "*"
    Type: ClassVar[Any] = Any
    Input: ClassVar[type[Input]] = Input
    Output: ClassVar[type[Output]] = Output


def comfytype(io_type: str) -> Callable[[type[ComfyTypeIO]], type[ComfyTypeIO]]:
    """Class decorator: sets the family's type name on it and on its own (or inherited) Input and Output."""

    def decorate(cls: type[ComfyTypeIO]) -> type[ComfyTypeIO]:
        cls.io_type = io_type
        for role, base in (("Input", Input), ("Output", Output)):
            declared = cls.__dict__.get(role) or type(role, (getattr(cls, role, base),), {})
            declared.io_type = io_type
            declared.__qualname__ = f"{cls.__name__}.{role}"
            setattr(cls, role, declared)
        return cls

    return decorate


def _socket(name: str, io_type: str) -> type[ComfyTypeIO]:
    return comfytype(io_type)(type(name, (ComfyTypeIO,), {"__module__": __name__}))


def Custom(io_type: str) -> type[ComfyTypeIO]:  # noqa: N802 - ComfyUI's name
    """A socket type of a pack's own (`io.Custom("MY_TYPE")`)."""
    return _socket(io_type, io_type)


@comfytype("INT")
class Int(ComfyTypeIO):
    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False,  # noqa: A002
                     tooltip: str | None = None, lazy: bool | None = None, default: int | None = None,
                     min: int | None = None, max: int | None = None, step: int | None = None,  # noqa: A002
                     control_after_generate: bool | None = None, display_mode: NumberDisplay | None = None,
                     **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, **kwargs)
            self.number = _options(min=min, max=max, step=step, control_after_generate=control_after_generate,
                                   display=display_mode)

        def as_dict(self) -> dict[str, Any]:
            return {**super().as_dict(), **self.number}


@comfytype("FLOAT")
class Float(ComfyTypeIO):
    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False,  # noqa: A002
                     tooltip: str | None = None, lazy: bool | None = None, default: float | None = None,
                     min: float | None = None, max: float | None = None, step: float | None = None,  # noqa: A002
                     round: float | None = None, display_mode: NumberDisplay | None = None,  # noqa: A002
                     **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, **kwargs)
            self.number = _options(min=min, max=max, step=step, round=round, display=display_mode)

        def as_dict(self) -> dict[str, Any]:
            return {**super().as_dict(), **self.number}


@comfytype("STRING")
class String(ComfyTypeIO):
    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False,  # noqa: A002
                     tooltip: str | None = None, lazy: bool | None = None, multiline: bool = False,
                     placeholder: str | None = None, default: str | None = None,
                     dynamic_prompts: bool | None = None, **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, **kwargs)
            self.text = _options(multiline=multiline or None, placeholder=placeholder, dynamicPrompts=dynamic_prompts)

        def as_dict(self) -> dict[str, Any]:
            return {**super().as_dict(), **self.text}


@comfytype("BOOLEAN")
class Boolean(ComfyTypeIO):
    class Input(WidgetInput):
        def __init__(self, id: str, display_name: str | None = None, optional: bool = False,  # noqa: A002
                     tooltip: str | None = None, lazy: bool | None = None, default: bool | None = None,
                     label_on: str | None = None, label_off: str | None = None, **kwargs: Any) -> None:
            super().__init__(id, display_name, optional, tooltip, lazy, default, **kwargs)
            self.labels = _options(label_on=label_on, label_off=label_off)

        def as_dict(self) -> dict[str, Any]:
            return {**super().as_dict(), **self.labels}


@comfytype("COMBO")
class Combo(ComfyTypeIO):
    class Input(WidgetInput):
        def __init__(self, id: str, options: Any = None, display_name: str | None = None,  # noqa: A002
                     optional: bool = False, tooltip: str | None = None, lazy: bool | None = None,
                     default: Any = None, control_after_generate: bool | None = None,
                     upload: UploadType | None = None, image_folder: FolderType | None = None, **kwargs: Any) -> None:
            if isinstance(options, type) and issubclass(options, Enum):
                options = [member.value for member in options]
            default = default.value if isinstance(default, Enum) else default
            super().__init__(id, display_name, optional, tooltip, lazy, default, **kwargs)
            self.options = list(options or [])
            self.combo = _options(control_after_generate=control_after_generate, image_folder=image_folder)
            if upload is not None:
                self.combo[UploadType(upload).value] = True

        def as_dict(self) -> dict[str, Any]:
            return {**super().as_dict(), **self.combo}

        def entry(self) -> tuple[Any, dict[str, Any]]:
            return self.options, self.as_dict()


@comfytype("COMBO")
class MultiCombo(ComfyTypeIO):
    class Input(Combo.Input):
        def __init__(self, id: str, options: Any = None, display_name: str | None = None,  # noqa: A002
                     optional: bool = False, tooltip: str | None = None, lazy: bool | None = None,
                     default: list[str] | None = None, placeholder: str | None = None, chip: bool | None = None,
                     **kwargs: Any) -> None:
            super().__init__(id, options, display_name, optional, tooltip, lazy, default, **kwargs)
            self.combo.update(_options(multi_select={"placeholder": placeholder, "chip": chip}))


@comfytype("*")
class AnyType(ComfyTypeIO):
    """Accepts and produces any type."""


@comfytype("*")
class MultiType(ComfyTypeIO):
    class Input(Input):
        """A socket accepting several types ("IMAGE,MASK"); `id` may be a widget Input whose type leads."""

        def __init__(self, id: Any, types: list[Any], display_name: str | None = None,  # noqa: A002
                     optional: bool = False, tooltip: str | None = None, lazy: bool | None = None,
                     extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None) -> None:
            self.widget = id if isinstance(id, Input) else None
            names = [t if isinstance(t, str) else t.io_type for t in types]
            if self.widget is not None:
                names.insert(0, self.widget.get_io_type())
                id = self.widget.id  # noqa: A001
            super().__init__(id, display_name, optional, tooltip, lazy, extra_dict, raw_link)
            self.types = list(dict.fromkeys(names))

        def get_io_type(self) -> str:
            return ",".join(self.types)

        def as_dict(self) -> dict[str, Any]:
            widget = self.widget.as_dict() if self.widget is not None else {}
            return {**widget, **super().as_dict()}


SOCKETS = {
    "Image": "IMAGE", "Mask": "MASK", "Latent": "LATENT", "Conditioning": "CONDITIONING", "Sampler": "SAMPLER",
    "Sigmas": "SIGMAS", "Noise": "NOISE", "Guider": "GUIDER", "Clip": "CLIP", "ControlNet": "CONTROL_NET",
    "Vae": "VAE", "Model": "MODEL", "ClipVision": "CLIP_VISION", "ClipVisionOutput": "CLIP_VISION_OUTPUT",
    "StyleModel": "STYLE_MODEL", "Gligen": "GLIGEN", "UpscaleModel": "UPSCALE_MODEL", "Audio": "AUDIO",
    "Video": "VIDEO", "LoraModel": "LORA_MODEL", "LossMap": "LOSS_MAP", "Point": "POINT",
    "FaceAnalysis": "FACE_ANALYSIS", "BBOX": "BBOX", "SEGS": "SEGS", "Photomaker": "PHOTOMAKER", "Hooks": "HOOKS",
    "HookKeyframes": "HOOK_KEYFRAMES", "TimestepsRange": "TIMESTEPS_RANGE", "LatentOperation": "LATENT_OPERATION",
    "FlowControl": "FLOW_CONTROL", "Accumulation": "ACCUMULATION",
}
socket_types: dict[str, type[ComfyTypeIO]] = {name: _socket(name, io_type) for name, io_type in SOCKETS.items()}
