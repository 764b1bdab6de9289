"""ControlNet nodes: load a ControlNet (SD 1.x/2.x/SDXL or SD3; a folder or a file), attach it with a control
image to conditioning."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodegraph import Context, In, Node, NodeError, Out
from nodegraph.runtime.models import model_choices

from ..diffusion.handles import Handle, diffusers_class, diffusers_loader
from ..diffusion.load import find
from ..types import CONDITIONING, CONTROL_NET, IMAGE, VAE, require_image


@dataclass(eq=False, repr=False)
class ControlNetHandle(Handle):
    """CONTROL_NET: an SD 1.x/2.x/SDXL ControlNetModel (`family` "sd") or an SD3ControlNetModel ("sd3")."""

    family: str = "sd"

    @property
    def factor(self) -> int:
        """Pixels per latent cell of its hint encoder (one stride-2 stage per extra embedding level)."""
        return 2 ** (len(self.get().config.conditioning_embedding_out_channels) - 1)


_KINDS = "SD 1.x, 2.x or SDXL in the original layout, SD3 / SD3.5 in diffusers' or Stability's layout"


def _file_loader(path: Path, name: str) -> tuple[str, Any]:
    """(family, loader) of a ControlNet file."""
    from ..diffusion import parts
    from . import sd3_files

    try:
        keys = parts.open_file(path).keys_set
        if sd3_files.is_sd3(keys):
            return "sd3", sd3_files.loader(path)[1]
        return "sd", parts.controlnet(path)[1]
    except Exception as exc:  # noqa: BLE001 - a file that is no ControlNet fails in many ways
        raise NodeError("control_net_name", f"cannot load {name!r}: {exc}; expected a ControlNet file ({_KINDS}) "
                                            "or a diffusers folder") from None


def _folder_loader(folder: Path, name: str) -> tuple[str, Any]:
    """(family, loader) of a diffusers ControlNet folder, by the class its config names."""
    import json

    try:
        class_name = json.loads((folder / "config.json").read_text()).get("_class_name", "ControlNetModel")
    except (OSError, ValueError, AttributeError) as exc:
        raise NodeError("control_net_name", f"cannot read {name!r}'s config.json: {exc}") from None
    if class_name not in _FAMILIES:
        raise NodeError("control_net_name", f"{name!r} is a {class_name}; the ControlNets that load are "
                                            f"{' and '.join(_FAMILIES)}")
    return _FAMILIES[class_name], diffusers_loader(diffusers_class(class_name), folder)


_FAMILIES = {"ControlNetModel": "sd", "SD3ControlNetModel": "sd3"}


class ControlNetLoader(Node):
    """Load a ControlNet from models/controlnet: a diffusers folder or a single .safetensors file (SD 1.x, 2.x,
    SDXL, SD3 / SD3.5)."""

    category = "loaders"
    display_name = "Load ControlNet Model"
    inputs = {"control_net_name": In.choice(model_choices("controlnet"))}
    outputs = {"CONTROL_NET": Out(CONTROL_NET)}

    def run(self, ctx: Context, control_net_name: str) -> tuple[ControlNetHandle]:
        manager, folder = find(ctx, "controlnet", control_net_name, "control_net_name")
        if folder.is_file():
            family, loader = _file_loader(folder, control_net_name)
        elif (folder / "config.json").is_file():
            family, loader = _folder_loader(folder, control_net_name)
        else:
            raise NodeError("control_net_name", f"{control_net_name!r} has no config.json: not a diffusers "
                                                "ControlNet folder")
        handle = ControlNetHandle(manager, str(folder), loader, "controlnet", control_net_name, family=family)
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


def _latent_space(control_net: ControlNetHandle, vae: Any, vae_input: str | None) -> dict[str, Any]:
    """An SD3 ControlNet's VAE and the (scaling, shift) its image is encoded with: the VAE config's, as
    StableDiffusion3ControlNetPipeline takes them (SD3's own for a VAE file, which does not say), unshifted for
    InstantX's ControlNets as the pipeline does."""
    from ..diffusion.dit_parts import _SCALES
    from ..diffusion.handles import VaeHandle

    name = control_net.name
    if vae_input is None:
        raise NodeError("control_net", f"the SD3 ControlNet {name!r} encodes its image with a VAE, which this node "
                                       "does not take: use Apply ControlNet (ControlNetApplyAdvanced) with its vae")
    if vae is None:
        raise NodeError(vae_input, f"the SD3 ControlNet {name!r} encodes its image with the model's VAE: connect it "
                                   "to vae")
    if not isinstance(vae, VaeHandle):
        raise NodeError(vae_input, f"expected a VAE, got {type(vae).__name__}")
    net = control_net.get()
    extra = int(getattr(net.config, "extra_conditioning_channels", 0) or 0)
    if extra:
        raise NodeError("control_net", f"{name!r} takes {extra} extra conditioning channel(s) beside the image's "
                                       "latent (an SD3 inpainting ControlNet), which is not supported")
    takes = int(net.pos_embed_input.proj.in_channels)
    if vae.channels != takes:
        raise NodeError(vae_input, f"this VAE makes {vae.channels}-channel latents but the SD3 ControlNet {name!r} "
                                   f"takes {takes}-channel ones: connect the SD3 model's VAE")
    scale, shift = vae.scale if vae.own_scale else _SCALES["sd3"]
    return {"vae": vae, "scale": (scale, 0.0 if net.config.force_zeros_for_pooled_projection else shift)}


def _spec(control_net: Any, image: Any, strength: float, start: float, end: float, vae: Any,
          vae_input: str | None) -> dict[str, Any]:
    """What ControlSpec holds for one applied ControlNet (checked)."""
    if not isinstance(control_net, ControlNetHandle):
        raise NodeError("control_net", f"expected a CONTROL_NET from ControlNetLoader, got "
                                       f"{type(control_net).__name__}")
    hint = require_image("image", image)[..., :3].movedim(-1, 1).float()
    spec = {"controlnet": control_net, "hint": hint, "strength": strength, "start": start, "end": end}
    if control_net.family == "sd3":
        spec.update(_latent_space(control_net, vae, vae_input))
    return spec


class ControlNetApplyAdvanced(Node):
    """Guide sampling with a ControlNet and a control image, over part of the steps. SD3 ControlNets work on the
    image's latent: connect the model's VAE."""

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
        if start_percent > end_percent:
            raise NodeError("start_percent", f"start {start_percent} is after end {end_percent}")
        spec = _spec(control_net, image, strength, start_percent, end_percent, vae, "vae")
        return attach(positive, "positive", spec), attach(negative, "negative", spec)


class ControlNetApply(Node):
    """Deprecated single-conditioning form of Apply ControlNet (kept so old workflows run; SD 1.x/2.x/SDXL
    ControlNets only, as it takes no VAE)."""

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
        spec = _spec(control_net, image, strength, 0.0, 1.0, None, None)
        return (attach(conditioning, "conditioning", spec),)


NODES = [ControlNetLoader, ControlNetApplyAdvanced, ControlNetApply]
