"""Live previews: the methods there are, and which one a prompt gets (its own request, else the server's).

As in ComfyUI, previews are off unless asked for: a server started without `--preview-method` sends plain
API clients text messages only, and a front-end that wants previews names a method in the prompt's
`extra_data.preview_method` (ComfyUI's frontend does so from its "Live preview method" setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NONE = "none"
# "taesd" is accepted because ComfyUI front-ends send it; nodegraph has no TAESD decoders and draws what
# "auto" draws, as ComfyUI falls back when its TAESD decoder is missing.
PREVIEW_METHODS = (NONE, "auto", "latent2rgb", "taesd")
# What ComfyUI's frontend calls "use the server's setting"; never stored as a method.
SERVER_DEFAULT = "default"


def check_method(value: Any, where: str) -> str:
    """`value` if it names a method; a ValueError naming `where` and the choices otherwise."""
    if not isinstance(value, str) or value not in PREVIEW_METHODS:
        raise ValueError(f"{where} must be one of {', '.join(PREVIEW_METHODS)}; got {value!r}")
    return value


def requested(extra_data: Mapping[str, Any]) -> str | None:
    """The method a prompt asks for in its extra_data, None when it leaves the choice to the server."""
    value = extra_data.get("preview_method")
    if value is None or value == SERVER_DEFAULT:
        return None
    return check_method(value, f"'extra_data.preview_method' (or {SERVER_DEFAULT!r})")


def resolve(extra_data: Mapping[str, Any], server_method: str) -> str:
    """The prompt's own method when it names a valid one, else the server's."""
    try:
        return requested(extra_data) or server_method
    except ValueError:  # refused at submission; a stored job from an older server falls back quietly
        return server_method
