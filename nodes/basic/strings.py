"""Text manipulation and display."""

from __future__ import annotations

from typing import Any

from nodegraph import Context, In, Node, Out, Result


class StringConcat(Node):
    """Join two strings with a separator."""

    category = "utils/string"
    inputs = {"a": In.string(""), "b": In.string(""), "separator": In.string(" ")}
    outputs = {"STRING": Out("STRING")}

    def run(self, ctx: Context, a: str, b: str, separator: str) -> str:
        return separator.join(part for part in (a, b) if part)


class StringReplace(Node):
    """Replace every occurrence of a substring."""

    category = "utils/string"
    display_name = "Replace Text"
    inputs = {"string": In.string("", multiline=True), "find": In.string(""), "replace": In.string("")}
    outputs = {"STRING": Out("STRING")}

    def run(self, ctx: Context, string: str, find: str, replace: str) -> str:
        return string.replace(find, replace) if find else string


class ToString(Node):
    """Format any value as text."""

    category = "utils/string"
    inputs = {"value": In("*")}
    outputs = {"STRING": Out("STRING")}

    def run(self, ctx: Context, value: Any) -> str:
        return value if isinstance(value, str) else repr(value)


class ShowText(Node):
    """Display text on the node in the editor, and in the run's outputs."""

    category = "utils/string"
    output_node = True
    inputs = {"text": In.string("", force_input=True)}
    outputs = {"STRING": Out("STRING")}

    def run(self, ctx: Context, text: str) -> Result:
        return Result((text,), ui={"text": [text]})


NODES = [StringConcat, StringReplace, ToString, ShowText]
