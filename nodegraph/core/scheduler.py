"""Which scheduled nodes wait on which producers, and which are ready to run."""

from __future__ import annotations

from collections import deque


class Scheduler:
    def __init__(self) -> None:
        self.waiting: dict[str, set[str]] = {}
        self.consumers: dict[str, set[str]] = {}
        self.ready: deque[str] = deque()
        self.scheduled: set[str] = set()
        self._queued: set[str] = set()

    def schedule(self, node: str) -> None:
        self.scheduled.add(node)
        self.waiting.setdefault(node, set())

    def wait(self, node: str, producer: str) -> None:
        self.waiting.setdefault(node, set()).add(producer)
        self.consumers.setdefault(producer, set()).add(node)

    def release_if_free(self, node: str) -> None:
        if not self.waiting.get(node) and node not in self._queued:
            self._queued.add(node)
            self.ready.append(node)

    def pop_ready(self) -> str | None:
        if not self.ready:
            return None
        node = self.ready.popleft()
        self._queued.discard(node)
        return node

    def finished(self, node: str) -> None:
        """Mark a node done and make its consumers ready once nothing else blocks them."""
        self.scheduled.discard(node)
        self.waiting.pop(node, None)
        for consumer in self.consumers.pop(node, ()):
            blockers = self.waiting.get(consumer)
            if blockers is not None and node in blockers:
                blockers.discard(node)
                self.release_if_free(consumer)

    def stuck(self) -> list[str]:
        """Scheduled nodes that still wait: non-empty with nothing ready or running means a cycle."""
        return [n for n, blockers in self.waiting.items() if blockers]
