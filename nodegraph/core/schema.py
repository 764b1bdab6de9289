"""The declared, typed shape of a node: its inputs, outputs and flags, independent of how it runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .types import BOOLEAN, COMBO, FLOAT, INT, STRING, WIDGET_TYPES

# A callable gets the engine's runtime services (folders, models) and lists the options it finds there.
Choices = Sequence[str] | Callable[[Any], Sequence[str]]


@dataclass(frozen=True)
class BoundChoices:
    """A choices callable tied to one engine's services: each engine lists its own folders."""

    read: Callable[[Any], Sequence[str]]
    env: Any

    def __call__(self) -> Sequence[str]:
        return self.read(self.env)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class In:
    """One input socket or widget.

    `choices` may be a callable so option lists (files in a folder, installed models) are read when
    the schema is rendered, not when the node class is imported; it receives the engine's services.
    """

    type: str
    default: Any = MISSING
    optional: bool = False
    lazy: bool = False
    raw_link: bool = False
    force_input: bool = False
    min: float | None = None
    max: float | None = None
    step: float | None = None
    round: float | None = None
    choices: Choices | None = None
    multiline: bool = False
    tooltip: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def int(cls, default: int = 0, *, min: int = -(2**63), max: int = 2**63 - 1, step: int = 1,
            control_after_generate: bool = False, **kw: Any) -> In:
        extra = dict(kw.pop("extra", {}))
        if control_after_generate:
            extra["control_after_generate"] = True
        return cls(INT, default, min=min, max=max, step=step, extra=extra, **kw)

    @classmethod
    def float(cls, default: float = 0.0, *, min: float = -1e18, max: float = 1e18, step: float = 0.01,
              round: float | None = None, **kw: Any) -> In:
        return cls(FLOAT, default, min=min, max=max, step=step, round=round, **kw)

    @classmethod
    def string(cls, default: str = "", *, multiline: bool = False, **kw: Any) -> In:
        return cls(STRING, default, multiline=multiline, **kw)

    @classmethod
    def bool(cls, default: bool = False, **kw: Any) -> In:
        return cls(BOOLEAN, default, **kw)

    @classmethod
    def choice(cls, choices: Choices, default: str | None = None, **kw: Any) -> In:
        return cls(COMBO, MISSING if default is None else default, choices=choices, **kw)

    @property
    def is_widget(self) -> bool:
        return self.type in WIDGET_TYPES and not self.force_input

    def bound(self, env: Any) -> In:
        """This input with its choices callable reading `env`'s folders (itself when nothing to bind)."""
        if isinstance(self.choices, BoundChoices):
            return replace(self, choices=BoundChoices(self.choices.read, env))
        if not callable(self.choices):
            return self
        return replace(self, choices=BoundChoices(self.choices, env))

    def options_list(self) -> list[str]:
        if self.choices is None:
            return []
        if isinstance(self.choices, BoundChoices):
            return list(self.choices())
        if callable(self.choices):
            return []  # a registry no engine owns has no folders to list
        return list(self.choices)

    def default_value(self) -> Any:
        if self.default is not MISSING:
            return self.default
        if self.type == COMBO:
            options = self.options_list()
            return options[0] if options else MISSING
        return MISSING

    def comfy_options(self) -> dict[str, Any]:
        """The options dict of ComfyUI's `(TYPE, {options})` input entry."""
        opts: dict[str, Any] = {}
        default = self.default_value()
        if default is not MISSING:
            opts["default"] = default
        for key in ("min", "max", "step", "round"):
            value = getattr(self, key)
            if value is not None:
                opts[key] = value
        if self.multiline:
            opts["multiline"] = True
        if self.lazy:
            opts["lazy"] = True
        if self.raw_link:
            opts["rawLink"] = True
        if self.force_input:
            opts["forceInput"] = True
        if self.tooltip:
            opts["tooltip"] = self.tooltip
        opts.update(self.extra)
        return opts

    def comfy_entry(self) -> list[Any]:
        kind: Any = self.options_list() if self.type == COMBO else self.type
        return [kind, self.comfy_options()]


@dataclass(frozen=True)
class Out:
    """One output socket. `is_list` makes each element feed a separate downstream call."""

    type: str
    name: str | None = None
    is_list: bool = False
    tooltip: str = ""


@dataclass
class NodeSpec:
    """What the engine knows of a registered node class, whatever API it was written against.

    The callables hide the difference between native nodes and ComfyUI classic classes, so the
    validator and executor never branch on where a node came from.
    """

    name: str
    display_name: str
    category: str
    description: str
    python_module: str
    inputs: dict[str, In]
    outputs: list[Out]
    hidden: dict[str, str] = field(default_factory=dict)
    output_node: bool = False
    input_is_list: bool = False
    not_idempotent: bool = False
    deprecated: bool = False
    experimental: bool = False
    version: int = 1
    make_instance: Callable[[], Any] = lambda: None
    call: Callable[[Any, Any, dict[str, Any]], Any] = lambda instance, ctx, kwargs: None
    fingerprint: Callable[[dict[str, Any]], Any] | None = None
    validate: Callable[[dict[str, Any], dict[str, str]], Any] | None = None
    # Inputs the custom validator takes over (their built-in range/choice checks are skipped).
    validate_takes: frozenset[str] = frozenset()
    validate_checks_types: bool = False
    # The run function takes **kwargs: links to inputs it does not declare are passed to it by name (as
    # ComfyUI passes them; variadic nodes rely on it). Without **kwargs they are not passed.
    takes_extra_links: bool = False
    check_lazy: Callable[[Any, Any, dict[str, Any]], Any] | None = None
    source: type | None = None
    env: Any = None  # the owning engine's services, handed to hooks and choice lists that ask for them

    @property
    def widget_names(self) -> list[str]:
        return [name for name, spec in self.inputs.items() if spec.is_widget]
