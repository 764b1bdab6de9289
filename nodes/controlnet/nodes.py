"""ControlNet nodes: load a ControlNet folder, attach it with a control image to conditioning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime.models import model_choices

from ..diffusion.handles import Handle, diffusers_class, diffusers_loader
from ..diffusion.load import find
from ..types import CONDITIONING, CONTROL_NET, IMAGE, VAE, require_image

if TYPE_CHECKING:
    pass


@dataclass(eq=False, repr=False)
class ControlNetHandle(Handle):
    @property
    def factor(self) -> int:
        """Pixels per latent cell of its hint encoder (one stride-2 stage per extra embedding level)."""
        return 2 ** (len(self.get().config.conditioning_embedding_out_channels) - 1)


class ControlNetLoader(Node):
    """Load a ControlNet from models/controlnet: a diffusers folder or a single .safetensors file."""

    category = "loaders"
    display_name = "Load ControlNet Model"
    inputs = {"control_net_name": In.choice(model_choices("controlnet"))}
    outputs = {"CONTROL_NET": Out(CONTROL_NET)}

    def run(self, ctx: Context, control_net_name: str) -> tuple[ControlNetHandle]:
        manager, folder = find(ctx, "controlnet", control_net_name, "control_net_name")
        if folder.is_file():
            from ..diffusion import parts

            try:
                loader = parts.controlnet(folder)[1]
            except Exception as exc:  # noqa: BLE001 - a file that is no ControlNet fails in many ways
                raise NodeError("control_net_name", f"cannot load {control_net_name!r}: {exc}; expected a "
                                                    "ControlNet (SD 1.x, 2.x or SDXL) in the original layout or "
                                                    "a diffusers folder") from None
        elif (folder / "config.json").is_file():
            loader = diffusers_loader(diffusers_class("ControlNetModel"), folder)
        else:
            raise NodeError("control_net_name", f"{control_net_name!r} has no config.json: not a diffusers "
                                                "ControlNet folder")
        handle = ControlNetHandle(manager, str(folder), loader, "controlnet", control_net_name)
        try:
            handle.get()
        except Exception as exc:  # noqa: BLE001
            raise NodeError("control_net_name", f"cannot load {control_net_name}: {exc}") from None
        return (handle,)


def attach(conditioning: Any, name: str, spec: dict[str, Any]) -> list[list[Any]]:
    """A copy of the conditioning with the ControlNet chained after any already applied."""

    from .control import ControlSpec

    if not isinstance(conditioning, list) or not all(isinstance(c, (list, tuple)) for c in conditioning):
        raise NodeError(name, f"expected CONDITIONING, got {type(conditioning).__name__}")
    out = []
    for embedding, extras in conditioning:
        control = ControlSpec(previous=extras.get("control"), **spec)
        out.append([embedding, {**extras, "control": control}])
    return out


class ControlNetApplyAdvanced(Node):
    """Guide sampling with a ControlNet and a control image, over part of the steps."""

    category = "conditioning/controlnet"
    display_name = "Apply ControlNet"
    inputs = {
        "positive": In(CONDITIONING),
        "negative": In(CONDITIONING),
        "control_net": In(CONTROL_NET),
        "image": In(IMAGE),
        "strength": In.float(1.0, min=0.0, max=10.0, step=0.01),
        "start_percent": In.float(0.0, min=0.0, max=1.0, step=0.001),
        "end_percent": In.float(1.0, min=0.0, max=1.0, step=0.001),
        "vae": In(VAE, optional=True),
    }
    outputs = {"positive": Out(CONDITIONING), "negative": Out(CONDITIONING)}

    def run(self, ctx: Context, positive: Any, negative: Any, control_net: Any, image: Any, strength: float,
            start_percent: float, end_percent: float, vae: Any = None) -> tuple[Any, Any]:
        if strength == 0:
            return positive, negative
        if not isinstance(control_net, ControlNetHandle):
            raise NodeError("control_net", f"expected a CONTROL_NET from ControlNetLoader, got "
                                           f"{type(control_net).__name__}")
        if start_percent > end_percent:
            raise NodeError("start_percent", f"start {start_percent} is after end {end_percent}")
        hint = require_image("image", image)[..., :3].movedim(-1, 1).float()
        spec = {"controlnet": control_net, "hint": hint, "strength": strength, "start": start_percent,
                "end": end_percent}
        return attach(positive, "positive", spec), attach(negative, "negative", spec)


class ControlNetApply(Node):
    """Deprecated single-conditioning form of Apply ControlNet (kept so old workflows run)."""

    category = "conditioning/controlnet"
    display_name = "Apply ControlNet (DEPRECATED)"
    deprecated = True
    inputs = {
        "conditioning": In(CONDITIONING),
        "control_net": In(CONTROL_NET),
        "image": In(IMAGE),
        "strength": In.float(1.0, min=0.0, max=10.0, step=0.01),
    }
    outputs = {"CONDITIONING": Out(CONDITIONING)}

    def run(self, ctx: Context, conditioning: Any, control_net: Any, image: Any, strength: float) -> tuple[Any]:
        if strength == 0:
            return (conditioning,)
        hint = require_image("image", image)[..., :3].movedim(-1, 1).float()
        spec = {"controlnet": control_net, "hint": hint, "strength": strength, "start": 0.0, "end": 1.0}
        return (attach(conditioning, "conditioning", spec),)


NODES = [ControlNetLoader, ControlNetApplyAdvanced, ControlNetApply]
