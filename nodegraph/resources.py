"""Where the shipped editor, workflows and default models are: found as installed package data, never
through the repository's location, so a wheel installed anywhere finds them as a checkout does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

WEB_PACKAGE = "nodegraph_web"
WORKFLOWS_PACKAGE = "nodegraph_workflows"
MODELS_PACKAGE = "nodegraph_models"
# ComfyUI's official frontend, an optional extra (pip install nodegraph[comfyui]); its web app is in static/.
COMFYUI_FRONTEND_PACKAGE = "comfyui_frontend_package"


class MissingResource(LookupError):
    """The installation lacks one of the product's data folders (a broken or partial install)."""


def _folder(package: str) -> Path:
    # find_spec, not import: the data folders hold no code, and an editable install maps them through
    # setuptools' finder to the repository's web/, workflows/ and models/.
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        if Path(location).is_dir():
            return Path(location)
    raise MissingResource(f"nodegraph's data package {package!r} is not installed; reinstall nodegraph "
                          "(pip install nodegraph, or pip install -e . in a checkout)")


def web_root() -> Path:
    return _folder(WEB_PACKAGE)


def front_end_root(front_end: str) -> Path:
    """The folder served at / for `--front-end NAME`: nodegraph's editor, or ComfyUI's official frontend."""
    if front_end != "comfyui":
        return web_root()
    try:
        root = _folder(COMFYUI_FRONTEND_PACKAGE) / "static"
    except MissingResource:
        raise MissingResource("--front-end comfyui needs ComfyUI's frontend, which is not installed: "
                              "pip install 'nodegraph[comfyui]' (the comfyui-frontend-package distribution)"
                              ) from None
    if not (root / "index.html").is_file():
        raise MissingResource(f"the installed comfyui-frontend-package has no {root / 'index.html'}; reinstall it")
    return root


def workflows_dir() -> Path:
    return _folder(WORKFLOWS_PACKAGE)


def example_inputs_dir() -> Path:
    """The pictures shipped workflows start from (inpaint_painted's), copied into the input folder on use."""
    return workflows_dir() / "inputs"


def models_dir() -> Path:
    return _folder(MODELS_PACKAGE)


def shipped_workflows() -> dict[str, Path]:
    """The shipped workflows by name (file stem): what `nodegraph run NAME` and the templates offer."""
    return {path.stem: path for path in sorted(workflows_dir().glob("*.json"))}
