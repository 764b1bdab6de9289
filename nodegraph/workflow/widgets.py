"""Maps a node's `widgets_values` to input names and back, as ComfyUI's editor lays its widgets out.

The editor draws one widget per widget input, required inputs first, then optional ones (the order of
`/object_info`), and adds UI-only widgets whose values are saved but never sent to the backend:
* "control_after_generate" right after an INT (or COMBO) widget declaring it, and, as a legacy rule of
  the frontend, after any INT input named "seed" or "noise_seed" that does not say either way; a COMBO
  gets a second one, the "control_filter_list" text;
* the image upload button ("upload", saved as "image"), appended after the required inputs of a node
  whose required COMBO input declares `image_upload`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.prompt import is_link
from ..core.schema import MISSING, In, NodeSpec
from ..core.types import COMBO, INT
from .ui_model import UINode

# A layout is a list of slots: an input name, or None for a UI-only value, with what api_to_ui writes there.
Layout = list[tuple[str | None, Any]]

LEGACY_SEED_NAMES = ("seed", "noise_seed")


def widget_order(spec: NodeSpec) -> list[str]:
    required = [n for n, i in spec.inputs.items() if i.is_widget and not i.optional]
    optional = [n for n, i in spec.inputs.items() if i.is_widget and i.optional]
    return required + optional


def _control_values(name: str, spec_in: In, legacy: bool) -> list[Any]:
    if spec_in.type not in (INT, COMBO):
        return []
    flag = spec_in.extra.get("control_after_generate")
    wanted = bool(flag) if flag is not None else legacy and spec_in.type == INT and name in LEGACY_SEED_NAMES
    if not wanted:
        return []
    return ["fixed", ""] if spec_in.type == COMBO else ["fixed"]


def _upload_after(spec: NodeSpec, order: Iterable[str]) -> str | None:
    """The widget after which the upload button's value sits, if the node has one."""
    required = [n for n in order if n in spec.inputs and not spec.inputs[n].optional]
    if any(spec.inputs[n].type == COMBO and spec.inputs[n].extra.get("image_upload") for n in required):
        return required[-1]
    return None


def layout(spec: NodeSpec, order: list[str] | None = None, *, legacy: bool = True) -> Layout:
    """The saved positions of a node's widget values; `order` overrides the widget order of the spec."""
    order = widget_order(spec) if order is None else order
    upload_after = _upload_after(spec, order)
    slots: Layout = []
    for name in order:
        slots.append((name, None))
        spec_in = spec.inputs.get(name)
        if spec_in is not None:
            slots += [(None, value) for value in _control_values(name, spec_in, legacy)]
        if name == upload_after:
            slots.append((None, "image"))
    return slots


def _schema_changed(node: UINode, spec: NodeSpec, recorded: list[str], order: list[str]) -> bool:
    """Whether the node's widgets differ from when the file was saved, so the file's own order is the truth.

    Only a different set of names, or an older saved node version, counts: older editors list just the
    widgets the user converted to sockets, in the order they were converted, so a mere permutation of
    the same names says nothing about the order of `widgets_values`.
    """
    saved_version = node.properties.get("nodegraph_version")
    older = isinstance(saved_version, int) and saved_version < spec.version
    return bool(recorded) and recorded != order and (older or set(recorded) != set(order))


def _chosen(node: UINode, spec: NodeSpec, order: list[str], count: int) -> Layout:
    """The layout that accounts for exactly `count` saved values, best first; else the schema's own.

    Newer editors list every widget input in `inputs` (with `widget.name`), in widget order. When the
    node's widgets changed since the file was saved and that list accounts for every saved value, the
    file says by name what each position held: it is tried first. Then the schema's order, with and
    without the legacy seed control.
    """
    primary = layout(spec, order)
    recorded = [i.widget for i in node.inputs if i.widget]
    orders = [recorded, order] if _schema_changed(node, spec, recorded, order) else [order]
    for legacy in (True, False):
        for names in orders:
            candidate = primary if names is order and legacy else layout(spec, names, legacy=legacy)
            if len(candidate) == count:
                return candidate
    return primary


def wrap_literal(value: Any) -> Any:
    """A list literal is wrapped so it cannot read as a link (ComfyUI's `__value__` escape)."""
    return {"__value__": value} if isinstance(value, list) else value


def values_by_name(node: UINode, spec: NodeSpec) -> dict[str, Any]:
    """The node's widget values as API inputs, defaults filling widgets the file has no value for."""
    saved = node.widgets_values
    order = widget_order(spec)
    named: dict[str, Any] = {}
    if isinstance(saved, dict):
        named = {name: saved[name] for name in order if name in saved}
    elif isinstance(saved, list) and order:
        chosen = _chosen(node, spec, order, len(saved))
        named = {name: value for (name, _), value in zip(chosen, saved, strict=False) if name in spec.inputs}
    result = {}
    for name in order:
        if name in named:
            result[name] = wrap_literal(named[name])
        # As the editor does: a widget the saved list is too short for keeps its default value.
        elif (default := spec.inputs[name].default_value()) is not MISSING:
            result[name] = default
    return result


def saved_values(spec: NodeSpec, inputs: dict[str, Any]) -> list[Any]:
    """`widgets_values` for a node whose API inputs are `inputs` (links and missing ones get defaults)."""
    values = []
    for name, placeholder in layout(spec):
        if name is None:
            values.append(placeholder)
            continue
        value = inputs.get(name, MISSING)
        if isinstance(value, dict) and set(value) == {"__value__"}:
            value = value["__value__"]
        elif value is MISSING or is_link(value):
            value = spec.inputs[name].default_value()
            value = None if value is MISSING else value
        values.append(value)
    return values

