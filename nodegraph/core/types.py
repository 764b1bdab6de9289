"""Socket type names and the rule for which output may feed which input."""

from __future__ import annotations

ANY = "*"
INT, FLOAT, STRING, BOOLEAN, COMBO = "INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"

# Inputs of these types are drawn as widgets and may hold literals in a prompt.
WIDGET_TYPES = frozenset({INT, FLOAT, STRING, BOOLEAN, COMBO})


def type_set(type_name: str) -> frozenset[str]:
    """The members of a comma-joined union type such as "FLOAT,INT"."""
    return frozenset(part.strip() for part in type_name.split(",") if part.strip())


def compatible(output_type: str, input_type: str) -> bool:
    """Whether a link from an output of one type may feed an input of another.

    As ComfyUI: "*" on either side matches anything, otherwise the union types must overlap.
    """
    produced, accepted = type_set(output_type), type_set(input_type)
    if ANY in produced or ANY in accepted:
        return True
    return bool(produced & accepted)
