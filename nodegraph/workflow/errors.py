"""The one error type of workflow parsing, conversion and loading."""

from __future__ import annotations

from ..core.errors import NodeGraphError


class WorkflowError(NodeGraphError):
    """A workflow that cannot be read or converted; the message names the node, input or file at fault.

    `node_id` (the node's id as the file spells it, or its flattened subgraph id) and `node_type` are
    set when one node is to blame, so a server can put the error next to that node. When several are
    (every node of an unknown type, reported at once), `nodes` holds each one's (id, type, message) and
    `node_id`/`node_type` name the first.
    """

    def __init__(self, message: str, *, node_id: str | None = None, node_type: str | None = None,
                 nodes: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.node_type = node_type
        if nodes is None and node_id is not None:
            nodes = [(node_id, node_type or "", message)]
        self.nodes: list[tuple[str, str, str]] = nodes or []


def combined(errors: list[WorkflowError], what: str) -> WorkflowError:
    """One error reporting every node of `errors` (each already names its node); the lone error unchanged."""
    if len(errors) == 1:
        return errors[0]
    message = f"{len(errors)} nodes {what}: " + "; ".join(str(e) for e in errors)
    return WorkflowError(message, node_id=errors[0].node_id, node_type=errors[0].node_type,
                         nodes=[node for e in errors for node in e.nodes])
