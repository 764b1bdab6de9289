"""Builds history entries in ComfyUI's shape, plus our per-node cache explanation under "nodes"."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Job

# The events ComfyUI keeps in `status.messages` of a history entry.
RECORDED = ("execution_start", "execution_cached", "execution_success", "execution_error",
            "execution_interrupted")


def build_entry(job: Job, status: str, ui: dict[str, Any], nodes: dict[str, Any],
                messages: list[list[Any]]) -> dict[str, Any]:
    """`status` is the RunResult status: success, error or interrupted (ComfyUI calls the last two error)."""
    return {
        "prompt": job.item(),
        "outputs": ui,
        "status": {"status_str": "success" if status == "success" else "error",
                   "completed": status == "success", "messages": messages},
        "meta": {node: {"node_id": node, "display_node": node, "parent_node": None, "real_node_id": node}
                 for node in ui},
        "nodes": nodes,
    }


def failed_entry(job: Job, message: str, exception_type: str = "ServerError") -> dict[str, Any]:
    """An entry for a prompt that could not run at all (the executor itself failed, or a crash loop)."""
    error = {"prompt_id": job.prompt_id, "node_id": None, "node_type": None, "executed": [],
             "exception_message": message, "exception_type": exception_type, "traceback": [],
             "current_inputs": {}, "current_outputs": [], "timestamp": int(time.time() * 1000)}
    return build_entry(job, "error", {}, {}, [["execution_error", error]])
