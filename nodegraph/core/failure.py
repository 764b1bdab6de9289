"""Turns a node's exception into the execution_error or execution_interrupted event users see."""

from __future__ import annotations

import traceback as tb
from typing import Any

from .errors import CycleError, Interrupted, NodeError
from .events import ExecutionError, ExecutionInterrupted
from .graph import LiveGraph


def failure_event(prompt_id: str, graph: LiveGraph, node_id: str, exc: BaseException, executed: list[str],
                  outputs: list[str]) -> ExecutionError | ExecutionInterrupted:
    entry = graph.nodes.get(node_id, {"class_type": ""})
    shown = graph.display_id(node_id)
    if isinstance(exc, Interrupted):
        return ExecutionInterrupted(prompt_id, shown, entry["class_type"], executed)
    return ExecutionError(prompt_id, shown, entry["class_type"], executed, _message(exc), type(exc).__name__,
                          tb.format_exception(exc)[-20:], _summarize(entry.get("inputs", {})), outputs,
                          input_name=getattr(exc, "input_name", None))


def _message(exc: BaseException) -> str:
    if isinstance(exc, CycleError):
        return f"Dependency cycle created at run time: {' -> '.join(exc.cycle)}"
    if isinstance(exc, NodeError):
        return str(exc)
    return str(exc) or type(exc).__name__


def _summarize(inputs: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, value in list(inputs.items())[:32]:
        text = repr(value)
        summary[name] = [text if len(text) <= 200 else text[:197] + "..."]
    return summary


