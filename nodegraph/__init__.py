"""nodegraph: a node graph engine for diffusion, autoregressive and hybrid image generation.

The public API: node authoring (Node, In, Out, Result, ExecutionBlocker, NodeError, and the typed
Context and Services a node is handed) and running workflows (Engine, run, validate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core.errors import NodeError, NodeGraphError, PromptError
from .core.node import Node
from .core.results import ExecutionBlocker, Result
from .core.schema import In, Out
from .engine import Engine
from .runtime.context import Context
from .runtime.services import Services

if TYPE_CHECKING:
    from .api import RunOutputs

__all__ = ["Context", "Engine", "ExecutionBlocker", "In", "Node", "NodeError", "NodeGraphError", "Out",
           "PromptError", "Result", "Services", "run", "validate"]
__version__ = "0.1.0"


def run(workflow: Any, overrides: dict[str, Any] | None = None, **options: Any) -> RunOutputs:
    """Run a workflow (API prompt, UI workflow, path to a .json or .png) and return its outputs."""
    from .api import run as _run

    return _run(workflow, overrides=overrides, **options)


def validate(workflow: Any, **options: Any) -> Any:
    from .api import validate as _validate

    return _validate(workflow, **options)
