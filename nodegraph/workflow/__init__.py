"""ComfyUI workflow files: format detection, UI -> API conversion and back, PNG metadata, loading."""

from __future__ import annotations

from .convert import ui_to_api
from .detect import kind
from .errors import WorkflowError
from .layout import api_to_ui
from .load import Loaded, load_workflow
from .overrides import apply_overrides, parse_assignments
from .png import png_metadata, read_png_text, workflow_from_png

__all__ = ["Loaded", "WorkflowError", "api_to_ui", "apply_overrides", "kind", "load_workflow", "parse_assignments",
           "png_metadata", "read_png_text", "ui_to_api", "workflow_from_png"]
