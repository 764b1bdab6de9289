"""SQLite job store: the pending/running queue and the bounded history, durable across a kill -9.

Every state change is one transaction, so a job is either pending, running, or finished (in history),
never two of them: claiming a job and recording its history entry are each atomic. On open, a job
that was claimed as running when the process died is put back at the head of the queue once; if the
server dies again while running it, it is recorded as failed instead, so a prompt that kills the
process cannot crash-loop the server.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.safejson import dumps as _dumps
from .database import open_database
from .history import failed_entry

MAX_ATTEMPTS = 2
SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    prompt_id TEXT PRIMARY KEY,
    number REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running')),
    attempts INTEGER NOT NULL DEFAULT 0,
    prompt TEXT NOT NULL,
    extra_data TEXT NOT NULL,
    outputs TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_order ON jobs (state, number);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    prompt_id TEXT UNIQUE NOT NULL,
    entry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class Job:
    number: float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs: list[str]
    attempts: int = 0

    @property
    def client_id(self) -> str | None:
        value = self.extra_data.get("client_id")
        return value if isinstance(value, str) else None

    def item(self) -> list[Any]:
        """ComfyUI's queue item: [number, prompt_id, prompt, extra_data, outputs_to_execute]."""
        number: float | None = self.number
        if not math.isfinite(self.number):  # a row from before non-finite numbers were refused
            number = None
        elif float(self.number).is_integer():
            number = int(self.number)
        return [number, self.prompt_id, self.prompt, self.extra_data, self.outputs]


class DuplicatePromptId(ValueError):
    """A prompt_id already queued or in history; ids name one run each."""


def _loads(text: str) -> Any:
    """Rows written before non-finite numbers were refused may hold NaN or Infinity: read as null, so no
    response ever carries them."""
    return json.loads(text, parse_constant=lambda _name: None)


def _job(row: sqlite3.Row) -> Job:
    return Job(row["number"], row["prompt_id"], _loads(row["prompt"]), _loads(row["extra_data"]),
               _loads(row["outputs"]), row["attempts"])


class JobStore:
    """Thread-safe: the event loop and the worker thread share one connection behind a lock.

    `max_mb` (0: none) caps the file's size; past it, writes fail as they would on a full disk.
    """

    def __init__(self, path: Path | str, history_limit: int = 10_000, max_mb: int = 0) -> None:
        self.path = Path(path)
        self.history_limit = history_limit
        self._lock = threading.RLock()
        opened = open_database(self.path, SCHEMA, max_mb)
        self._db = opened.db
        self.notice, self.moved_to = opened.notice, opened.moved_to
        self.recovered: list[str] = []
        self.failed_on_restart: list[Job] = []
        self._recover()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def _recover(self) -> None:
        with self._tx() as db:
            rows = db.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall()
            for row in rows:
                job = _job(row)
                if job.attempts >= MAX_ATTEMPTS:
                    db.execute("DELETE FROM jobs WHERE prompt_id = ?", (job.prompt_id,))
                    entry = failed_entry(job, f"the server stopped {job.attempts} times while running this "
                                              "prompt; it was not retried again")
                    db.execute("INSERT OR REPLACE INTO history (prompt_id, entry) VALUES (?, ?)",
                               (job.prompt_id, _dumps(entry)))
                    self.failed_on_restart.append(job)
                else:
                    db.execute("UPDATE jobs SET state = 'pending' WHERE prompt_id = ?", (job.prompt_id,))
                    self.recovered.append(job.prompt_id)

    # -- queue ------------------------------------------------------------------------------------------

    def put(self, prompt_id: str, prompt: dict[str, Any], extra_data: dict[str, Any], outputs: list[str],
            number: float | None = None, front: bool = False) -> float:
        if number is not None and not math.isfinite(number):
            raise ValueError(f"a queue number must be finite, got {number}")
        stored_extra = {k: v for k, v in extra_data.items() if k not in SENSITIVE_EXTRA_DATA_KEYS}
        with self._tx() as db:
            taken = db.execute("SELECT 1 FROM jobs WHERE prompt_id = ? UNION ALL "
                               "SELECT 1 FROM history WHERE prompt_id = ?", (prompt_id, prompt_id)).fetchone()
            if taken:
                raise DuplicatePromptId(f"prompt_id {prompt_id!r} is already queued or in history")
            if number is None:
                if front:
                    low = db.execute("SELECT MIN(number) FROM jobs").fetchone()[0]
                    number = (low if low is not None else 0) - 1
                else:
                    number = self._next_number(db)
            db.execute("INSERT INTO jobs VALUES (?, ?, 'pending', 0, ?, ?, ?, ?)",
                       (prompt_id, number, _dumps(prompt), _dumps(stored_extra), _dumps(outputs),
                        time.time()))
        return number

    def _next_number(self, db: sqlite3.Connection) -> float:
        row = db.execute("SELECT value FROM meta WHERE key = 'counter'").fetchone()
        number = int(row[0]) if row else 0
        db.execute("INSERT OR REPLACE INTO meta VALUES ('counter', ?)", (str(number + 1),))
        return number

    def claim(self) -> Job | None:
        """Atomically move the first pending job to running (never two workers get the same job)."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE state = 'pending' ORDER BY number, created LIMIT 1"
                             ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1 WHERE prompt_id = ?",
                       (row["prompt_id"],))
        job = _job(row)
        job.attempts += 1
        return job

    def finish(self, prompt_id: str, entry: dict[str, Any]) -> None:
        """Record the history entry and drop the job in one transaction, then trim history to its bound."""
        with self._tx() as db:
            db.execute("DELETE FROM jobs WHERE prompt_id = ?", (prompt_id,))
            db.execute("INSERT OR REPLACE INTO history (prompt_id, entry) VALUES (?, ?)",
                       (prompt_id, _dumps(entry)))
            db.execute("DELETE FROM history WHERE seq <= (SELECT MAX(seq) FROM history) - ?",
                       (self.history_limit,))

    def release(self, prompt_id: str) -> None:
        """Put a claimed job back, uncounted: a graceful shutdown stopped it, the prompt did not fail."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET state = 'pending', attempts = MAX(attempts - 1, 0) "
                       "WHERE prompt_id = ? AND state = 'running'", (prompt_id,))

    def requeue(self, prompt_id: str) -> None:
        """Put a claimed job back, counted: it did not finish where it ran (a scale-out worker died under it),
        and runs again on another; `attempts` says how often that happened."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET state = 'pending' WHERE prompt_id = ? AND state = 'running'", (prompt_id,))

    def pending(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE state = 'pending' ORDER BY number, created")
            return [_job(r) for r in rows.fetchall()]

    def running(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall()
            return [_job(r) for r in rows]

    def remaining(self) -> int:
        """Pending plus running: ComfyUI's queue_remaining."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]

    def delete_pending(self, prompt_ids: Iterable[str]) -> list[str]:
        """Remove these pending jobs (a running one is left alone); returns the ids actually removed."""
        with self._tx() as db:
            removed = []
            for prompt_id in prompt_ids:
                if db.execute("DELETE FROM jobs WHERE prompt_id = ? AND state = 'pending'",
                              (prompt_id,)).rowcount:
                    removed.append(prompt_id)
            return removed

    def clear_pending(self) -> list[str]:
        with self._tx() as db:
            ids = [r[0] for r in db.execute("SELECT prompt_id FROM jobs WHERE state = 'pending'").fetchall()]
            db.execute("DELETE FROM jobs WHERE state = 'pending'")
            return ids

    # -- pause ------------------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'paused'").fetchone()
            return bool(row and row[0] == "1")

    def set_paused(self, paused: bool) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('paused', ?)", ("1" if paused else "0",))

    # -- history ----------------------------------------------------------------------------------------

    def history(self, max_items: int | None = None, offset: int = -1) -> dict[str, Any]:
        """Oldest first; `max_items` alone means the newest N, as ComfyUI's /history does."""
        with self._lock:
            if offset < 0:
                total = self._db.execute("SELECT COUNT(*) FROM history").fetchone()[0]
                offset = max(0, total - max_items) if max_items is not None else 0
            limit = -1 if max_items is None else max_items
            rows = self._db.execute("SELECT prompt_id, entry FROM history ORDER BY seq LIMIT ? OFFSET ?",
                                    (limit, offset)).fetchall()
        return {r["prompt_id"]: _loads(r["entry"]) for r in rows}

    def history_entry(self, prompt_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT entry FROM history WHERE prompt_id = ?", (prompt_id,)).fetchone()
        return _loads(row[0]) if row else None

    def history_summaries(self) -> list[dict[str, Any]]:
        """Oldest first, what a job list needs of each entry (id, queue number, creation time, workflow id,
        status and outputs), read by SQLite from the stored JSON: whole entries carry prompts and workflows
        and are never decoded for a listing."""
        with self._lock:
            rows = self._db.execute(
                "SELECT prompt_id, json_extract(entry, '$.prompt[0]') AS number, "
                "json_extract(entry, '$.prompt[3].create_time') AS created, "
                "json_extract(entry, '$.prompt[3].extra_pnginfo.workflow.id') AS workflow_id, "
                "json_extract(entry, '$.status') AS status, json_extract(entry, '$.outputs') AS outputs "
                "FROM history ORDER BY seq").fetchall()
        return [{"prompt_id": r["prompt_id"], "number": r["number"], "created": r["created"],
                 "workflow_id": r["workflow_id"] if isinstance(r["workflow_id"], str) else None,
                 "status": json.loads(r["status"] or "{}"), "outputs": json.loads(r["outputs"] or "{}")}
                for r in rows]

    def delete_history(self, prompt_ids: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM history WHERE prompt_id = ?", [(i,) for i in prompt_ids])

    def clear_history(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM history")


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the store's lock; rolled back if the body raises."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        try:
            if not exc_type:
                self.db.execute("COMMIT")
            elif self.db.in_transaction:  # SQLite has already rolled back after "database or disk is full"
                self.db.execute("ROLLBACK")
        finally:
            self.lock.release()
