"""Where the shipped editor, workflows and default models are: found as installed package data, never
through the repository's location, so a wheel installed anywhere finds them as a checkout does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

WEB_PACKAGE = "nodegraph_web"
WORKFLOWS_PACKAGE = "nodegraph_workflows"
MODELS_PACKAGE = "nodegraph_models"


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


def workflows_dir() -> Path:
    return _folder(WORKFLOWS_PACKAGE)


def models_dir() -> Path:
    return _folder(MODELS_PACKAGE)


def shipped_workflows() -> dict[str, Path]:
    """The shipped workflows by name (file stem): what `nodegraph run NAME` and the templates offer."""
    return {path.stem: path for path in sorted(workflows_dir().glob("*.json"))}
