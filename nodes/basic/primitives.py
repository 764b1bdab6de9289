"""Constant-value nodes: one widget in, the same value out."""

from __future__ import annotations

from nodegraph import Context, In, Node, Out


class PrimitiveInt(Node):
    """An integer constant."""

    category = "utils/primitive"
    display_name = "Int"
    inputs = {"value": In.int(0)}
    outputs = {"INT": Out("INT")}

    def run(self, ctx: Context, value: int) -> int:
        return value


class PrimitiveFloat(Node):
    """A float constant."""

    category = "utils/primitive"
    display_name = "Float"
    inputs = {"value": In.float(0.0)}
    outputs = {"FLOAT": Out("FLOAT")}

    def run(self, ctx: Context, value: float) -> float:
        return value


class PrimitiveString(Node):
    """A text constant."""

    category = "utils/primitive"
    display_name = "Text"
    inputs = {"value": In.string("")}
    outputs = {"STRING": Out("STRING")}

    def run(self, ctx: Context, value: str) -> str:
        return value


class PrimitiveStringMultiline(Node):
    """A multi-line text constant."""

    category = "utils/primitive"
    display_name = "Text (Multiline)"
    inputs = {"value": In.string("", multiline=True)}
    outputs = {"STRING": Out("STRING")}

    def run(self, ctx: Context, value: str) -> str:
        return value


class PrimitiveBoolean(Node):
    """A true/false constant."""

    category = "utils/primitive"
    display_name = "Boolean"
    inputs = {"value": In.bool(False)}
    outputs = {"BOOLEAN": Out("BOOLEAN")}

    def run(self, ctx: Context, value: bool) -> bool:
        return value


NODES = [PrimitiveInt, PrimitiveFloat, PrimitiveString, PrimitiveStringMultiline, PrimitiveBoolean]
