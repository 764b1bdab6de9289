"""Node outputs kept across prompts, keyed by cache key and bounded by entry count and bytes."""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Entry:
    outputs: list[list[Any]]
    ui: dict[str, Any] | None
    size: int


def estimate_bytes(value: Any) -> int:
    """Bytes held by tensors and arrays (duck-typed via .nbytes), plus a small per-object overhead; nested
    containers are looked into six levels deep, with a stack rather than recursion."""
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        nbytes = getattr(item, "nbytes", None)
        if isinstance(nbytes, int):
            total += nbytes
        elif depth > 6:
            total += 64
        elif isinstance(item, dict):
            total += 64
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            total += 64
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, (str, bytes)):
            total += sys.getsizeof(item)
        else:
            total += 64
    return total


class OutputCache:
    """LRU over whole node results. `max_entries=0` is the no-cache mode: nothing outlives its prompt."""

    def __init__(self, max_entries: int = 10_000_000, max_bytes: int = 4 * 2**30) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, outputs: list[list[Any]], ui: dict[str, Any] | None) -> None:
        if self.max_entries <= 0:
            return
        size = estimate_bytes(outputs)
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = Entry(outputs, ui, size)
        self.bytes += size
        self._evict(key)

    def _evict(self, keep: str) -> None:
        """Drop least recently used entries (never `keep`, the one just stored) until within bounds;
        O(entries dropped), so a full cache does not rescan itself on every store."""
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            key, entry = self._entries.popitem(last=False)
            if key == keep:
                self._entries[key] = entry  # alone and still too big: kept for this prompt's consumers
                return
            self.bytes -= entry.size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
