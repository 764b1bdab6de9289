"""Registries for the workflow tests: the real built-in nodes plus ComfyUI-named classic fixture nodes."""

from __future__ import annotations

import pytest
from workflow_files import PLUGINS, fixture_nodes

from nodegraph.core.registry import Registry
from nodegraph.plugins import build_registry, spec_for


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The real registry, with the fixture's ComfyUI schemas taking precedence over same-named built-ins.

    Built-in families are being written alongside; the tests pin ComfyUI's exact schemas (which the
    saved fixture files depend on) whatever a built-in node of the same name declares.
    """
    registry = build_registry([PLUGINS], use_entry_points=False)
    module = fixture_nodes()
    for name, cls in module.NODE_CLASS_MAPPINGS.items():
        registry.add(spec_for(cls, name, module.NODE_DISPLAY_NAME_MAPPINGS.get(name), "comfy_like"), replace=True)
    return registry
