"""Which scheduled nodes wait on which producers, and which are ready to run.

A cold run schedules every node before the first one runs, so per-node bookkeeping is what a large
graph's working set is made of: a count of outstanding producers per node and a list of consumers per
producer, rather than a set each (an empty set alone is 216 bytes). A node waiting on one producer
through two inputs counts it twice and is listed twice, and finishing the producer releases both.
"""

from __future__ import annotations

from collections import deque


_QUEUED = -1  # a waiting count that marks a node already in the ready queue


class Scheduler:
    def __init__(self) -> None:
        # Scheduled, unfinished node -> producers it still waits on; _QUEUED once it is ready to run.
        self.waiting: dict[str, int] = {}
        self.consumers: dict[str, list[str]] = {}
        self.ready: deque[str] = deque()

    def is_scheduled(self, node: str) -> bool:
        return node in self.waiting

    def schedule(self, node: str) -> None:
        self.waiting.setdefault(node, 0)

    def wait(self, node: str, producer: str) -> None:
        self.waiting[node] = max(self.waiting.get(node, 0), 0) + 1
        consumers = self.consumers.get(producer)
        if consumers is None:
            self.consumers[producer] = [node]
        else:
            consumers.append(node)

    def release_if_free(self, node: str) -> None:
        if self.waiting.get(node) == 0:
            self.waiting[node] = _QUEUED
            self.ready.append(node)

    def pop_ready(self) -> str | None:
        if not self.ready:
            return None
        node = self.ready.popleft()
        if self.waiting.get(node) == _QUEUED:
            self.waiting[node] = 0  # running: it may still ask for lazy inputs and wait again
        return node

    def finished(self, node: str) -> None:
        """Mark a node done and make its consumers ready once nothing else blocks them."""
        self.waiting.pop(node, None)
        for consumer in self.consumers.pop(node, ()):
            count = self.waiting.get(consumer)
            if count is not None and count > 0:
                self.waiting[consumer] = count - 1
                if count == 1:
                    self.release_if_free(consumer)

    def stuck(self) -> list[str]:
        """Scheduled nodes that still wait: non-empty with nothing ready or running means a cycle."""
        return [n for n, count in self.waiting.items() if count > 0]
