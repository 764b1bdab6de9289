"""Flow control on lazy inputs: only the branch that is chosen ever runs."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, ExecutionBlocker, In, Node, Out


class Switch(Node):
    """Pass on `on_true` or `on_false`; the other branch is never evaluated."""

    category = "utils/flow"
    inputs = {
        "condition": In.bool(True),
        "on_true": In("*", lazy=True),
        "on_false": In("*", lazy=True),
    }
    outputs = {"value": Out("*")}

    def check_lazy(self, ctx: Context, condition: bool, on_true: Any = None, on_false: Any = None) -> list[str]:
        return ["on_true"] if condition else ["on_false"]

    def run(self, ctx: Context, condition: bool, on_true: Any = None, on_false: Any = None) -> Any:
        return on_true if condition else on_false


class Gate(Node):
    """Pass the value on when `open`, otherwise stop everything downstream (without an error)."""

    category = "utils/flow"
    inputs = {"value": In("*"), "open": In.bool(True)}
    outputs = {"value": Out("*")}

    def run(self, ctx: Context, value: Any, open: bool) -> Any:
        return value if open else ExecutionBlocker(None)


NODES = [Switch, Gate]
