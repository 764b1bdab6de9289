"""Arithmetic on numbers."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from nodegraph import Context, In, Node, NodeError, Out

OPERATIONS: dict[str, Callable[[float, float], float]] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "power": operator.pow,
    "min": min,
    "max": max,
    "modulo": operator.mod,
}


def apply(operation: str, a: float, b: float) -> float:
    if operation in ("divide", "modulo") and b == 0:
        raise NodeError("b", f"cannot {operation} by zero")
    return OPERATIONS[operation](a, b)


class MathFloat(Node):
    """a <op> b on floats."""

    category = "utils/math"
    display_name = "Math (Float)"
    inputs = {
        "a": In.float(0.0),
        "b": In.float(0.0),
        "operation": In.choice(list(OPERATIONS), default="add"),
    }
    outputs = {"FLOAT": Out("FLOAT")}

    def run(self, ctx: Context, a: float, b: float, operation: str) -> float:
        result = float(apply(operation, a, b))
        if not math.isfinite(result):
            raise NodeError("operation", f"{a} {operation} {b} is not a finite number")
        return result


class MathInt(Node):
    """a <op> b on integers (division rounds toward negative infinity)."""

    category = "utils/math"
    display_name = "Math (Int)"
    inputs = {
        "a": In.int(0),
        "b": In.int(0),
        "operation": In.choice(list(OPERATIONS), default="add"),
    }
    outputs = {"INT": Out("INT")}

    def run(self, ctx: Context, a: int, b: int, operation: str) -> int:
        if operation == "divide":
            if b == 0:
                raise NodeError("b", "cannot divide by zero")
            return a // b
        return int(apply(operation, a, b))


class Compare(Node):
    """Compare two numbers."""

    category = "utils/math"
    inputs = {
        "a": In("INT,FLOAT", force_input=True),
        "b": In("INT,FLOAT", force_input=True),
        "comparison": In.choice(["==", "!=", "<", "<=", ">", ">="], default="=="),
    }
    outputs = {"BOOLEAN": Out("BOOLEAN")}

    def run(self, ctx: Context, a: float, b: float, comparison: str) -> bool:
        ops = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge}
        return bool(ops[comparison](a, b))


NODES = [MathFloat, MathInt, Compare]
