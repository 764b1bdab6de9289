"""The one error type of workflow parsing, conversion and loading."""

from __future__ import annotations

from ..core.errors import NodeGraphError


class WorkflowError(NodeGraphError):
    """A workflow that cannot be read or converted; the message names the node, input or file at fault.

    `node_id` (the node's id as the file spells it, or its flattened subgraph id) and `node_type` are
    set when one node is to blame, so a server can put the error next to that node.
    """

    def __init__(self, message: str, *, node_id: str | None = None, node_type: str | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.node_type = node_type
