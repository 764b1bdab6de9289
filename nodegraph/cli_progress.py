"""A terminal event sink: one tqdm bar that follows nodes and their step progress."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

from .core.events import Event, Executing, ExecutionCached, Progress


class ProgressBar:
    def __init__(self, class_of: dict[str, str], enabled: bool = True) -> None:
        self.class_of = class_of
        self.enabled = enabled and sys.stderr.isatty() or enabled == "always"
        self.bar: Any = None
        self.cached = 0
        self.started = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, ExecutionCached):
            self.cached += len(event.nodes)
        elif isinstance(event, Executing) and event.node is not None:
            self.started += 1
            self._bar(f"{self.class_of.get(event.node, event.node)} [{event.node}]", 1, 0)
        elif isinstance(event, Progress):
            self._bar(None, int(event.max), int(event.value))

    def _bar(self, label: str | None, total: int, value: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, file=sys.stderr, leave=False, dynamic_ncols=True,
                            disable=not self.enabled, bar_format="{desc} {bar} {n_fmt}/{total_fmt} {elapsed}")
        if label is not None:
            self.bar.set_description_str(f"node {self.started}: {label}")
        self.bar.total = max(total, 1)
        self.bar.n = value
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
