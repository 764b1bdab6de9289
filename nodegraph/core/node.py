"""The native node base class: a typed declaration plus one `run` method."""

from __future__ import annotations

from typing import Any, ClassVar

from .schema import In, Out


class Node:
    """Subclass, declare `inputs` and `outputs`, implement `run(self, ctx, **inputs)`.

    Optional hooks, each a plain override:
      fingerprint(**constants)  extra cache-key material (ComfyUI's IS_CHANGED); NaN = always re-run
      validate(**constants)     True, or a message saying what is wrong
      check_lazy(ctx, **values) names of lazy inputs still needed (unevaluated ones are None)
    """

    category: ClassVar[str] = "misc"
    display_name: ClassVar[str | None] = None
    description: ClassVar[str] = ""
    inputs: ClassVar[dict[str, In]] = {}
    outputs: ClassVar[dict[str, Out]] = {}
    hidden: ClassVar[dict[str, str]] = {}
    output_node: ClassVar[bool] = False
    input_is_list: ClassVar[bool] = False
    not_idempotent: ClassVar[bool] = False
    deprecated: ClassVar[bool] = False
    experimental: ClassVar[bool] = False
    # Bumped when widgets change order or meaning, so saved UI workflows can be migrated.
    version: ClassVar[int] = 1

    def run(self, ctx: Any, **inputs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} declares no run method")

    @classmethod
    def fingerprint(cls, **constants: Any) -> Any:
        return None

    @classmethod
    def validate(cls, **constants: Any) -> bool | str:
        return True

    def check_lazy(self, ctx: Any, **values: Any) -> list[str]:
        return []
