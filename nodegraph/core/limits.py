"""The input limits every entry point enforces (the CLI, the Python API and the server), and the error
that names the limit a refused input ran into.

The values come from `nodegraph.config.Config` (flag, environment or settings file); the core only sees
this frozen record, so it never imports the configuration layer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .errors import NodeGraphError

# Deeper structures reach Python's recursion limit in the standard JSON encoder and in copy.deepcopy,
# so no setting may allow more.
DEPTH_CEILING = 200


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request, file or prompt may make the engine do."""

    max_prompt_nodes: int = 10_000  # nodes per prompt, after UI conversion and after node expansion
    max_json_depth: int = 100  # nesting of objects and arrays in any JSON read (bodies, files, PNG chunks)
    max_subgraph_depth: int = 32  # subgraph instances inside subgraph instances
    max_json_mb: int = 64  # size of a JSON request body
    max_preview_pixels: int = 16 * 2**20  # pixels decoded to re-encode one /view preview

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting {item.name} must be a positive integer, got {value!r}")
        if self.max_json_depth > DEPTH_CEILING:
            raise ValueError(f"setting max_json_depth must be at most {DEPTH_CEILING}, got {self.max_json_depth}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in fields(cls))


class InputRefused(NodeGraphError):
    """Input that is malformed or over a limit. `type` is the error type clients see ("json_too_deep",
    "prompt_too_large", ...); `setting` names the limit that refused it, if one did; `path` says where in
    the input (object keys and array indices from the top)."""

    def __init__(self, type_: str, message: str, *, setting: str | None = None,
                 path: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.type = type_
        self.setting = setting
        self.path = path


def over_limit(type_: str, what: str, limit: int, setting: str, path: tuple[Any, ...] = ()) -> InputRefused:
    """`what` (e.g. "the workflow expands to 12,000 nodes") is over `limit`; the message names the setting."""
    return InputRefused(type_, f"{what}, over the limit of {limit:,} (setting {setting})", setting=setting,
                        path=path)
