"""The API prompt format: links, literal lists, and reading a node's inputs."""

from __future__ import annotations

from typing import Any

Link = tuple[str, int]


def is_link(value: Any) -> bool:
    """ComfyUI's structural rule: a 2-item list of a str id and a numeric slot. A slot must be a whole
    number (3 or 3.0): `["5", NaN]` or `["5", 0.5]` is a malformed link, which validation names, not a
    link that fails later when something turns the slot into an index."""
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        return False
    slot = value[1]
    return (isinstance(slot, int) and not isinstance(slot, bool)) or (isinstance(slot, float) and slot.is_integer())


def as_link(value: Any) -> Link:
    return value[0], int(value[1])


def literal(value: Any) -> Any:
    """Unwrap `{"__value__": [...]}`, the escape that keeps a literal list from reading as a link."""
    if isinstance(value, dict) and set(value) == {"__value__"}:
        return value["__value__"]
    return value


def links_of(inputs: dict[str, Any]) -> list[tuple[str, Link]]:
    return [(name, as_link(v)) for name, v in inputs.items() if is_link(v)]
