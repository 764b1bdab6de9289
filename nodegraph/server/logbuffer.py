"""The server's recent log lines, kept in memory for the frontend's log panel (/internal/logs)."""

from __future__ import annotations

import collections
import logging
import threading
from datetime import datetime, timezone
from typing import Any

MAX_LINES = 300  # what ComfyUI keeps for its terminal panel


class LogBuffer(logging.Handler):
    """A logging handler remembering the last MAX_LINES records; attached to the "nodegraph" logger while
    the app runs. Records arrive from the worker thread and the event loop alike."""

    def __init__(self, capacity: int = MAX_LINES) -> None:
        super().__init__(level=logging.INFO)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self._entries: collections.deque[dict[str, str]] = collections.deque(maxlen=capacity)
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:  # noqa: BLE001 - a record that cannot be formatted must not break the caller
            line = f"{record.levelname} {record.name}: {record.msg!r}\n"
        stamp = datetime.fromtimestamp(record.created, timezone.utc).isoformat()
        with self._guard:
            self._entries.append({"t": stamp, "m": line})

    def entries(self) -> list[dict[str, str]]:
        with self._guard:
            return list(self._entries)

    def text(self) -> str:
        return "".join(f"{e['t']} - {e['m']}" for e in self.entries())

    def raw(self) -> dict[str, Any]:
        """ComfyUI's /internal/logs/raw shape; the terminal size is not known to a server without one."""
        return {"entries": self.entries(), "size": {"cols": 80, "rows": 24}}
