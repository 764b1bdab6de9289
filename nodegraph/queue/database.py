"""Opens the queue's SQLite file: WAL mode, the schema, an integrity check, and what to do when the file
is damaged.

A file SQLite cannot read as a database (not a database, or a malformed image) is moved aside, with its
WAL, to `<name>.corrupt-<UTC time>` and a fresh, empty queue and history are started in its place; the
warning names both files, so nothing is silently thrown away and the old file can still be recovered
(`sqlite3 OLD ".recover" | sqlite3 NEW`, see docs/server.md). A file that exists but is empty (0 bytes,
e.g. truncated by a full disk) is warned about the same way. Any other failure to open (permissions, a
locked or missing folder) is a StoreError naming the file, never a bare traceback.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import NodeGraphError

log = logging.getLogger(__name__)

CORRUPT = ("SQLITE_NOTADB", "SQLITE_CORRUPT")


class StoreError(NodeGraphError):
    """The queue database cannot be opened or used; the message names the file and why."""


@dataclass
class Opened:
    db: sqlite3.Connection
    notice: str | None = None  # what was wrong with the file found, if anything (shown in /system_stats)
    moved_to: Path | None = None


def open_database(path: Path, schema: str, max_mb: int = 0) -> Opened:
    """A connection with `schema` applied; a damaged file is moved aside first (see the module doc)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of the queue database {path}: {exc.strerror or exc}") from None
    notice = None
    if path.is_file() and path.stat().st_size == 0 and not _sidecar(path, "-wal").is_file():
        notice = (f"the queue database {path} was empty (0 bytes; truncated, perhaps by a full disk): started "
                  "with an empty queue and history")
        log.warning("%s", notice)
    try:
        return Opened(_connect(path, schema, max_mb), notice)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") not in CORRUPT and "malformed" not in str(exc):
            raise StoreError(f"cannot open the queue database {path}: {exc}") from None
        moved = _move_aside(path)
        notice = (f"the queue database {path} was damaged ({exc}); it was moved to {moved} and an empty queue "
                  "and history were started. See docs/server.md, 'A damaged queue database', to recover it")
        log.error("%s", notice)
    try:
        return Opened(_connect(path, schema, max_mb), notice, moved)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open a fresh queue database at {path}: {exc}") from None


def _connect(path: Path, schema: str, max_mb: int) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        # WAL + NORMAL survives a process crash (kill -9); only an OS crash may drop the last commit.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(schema)
        verdict = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        if verdict != ["ok"]:
            found = "; ".join(" ".join(str(line).split()) for line in verdict[:3])
            raise sqlite3.DatabaseError(f"database disk image is malformed: {found}")
        if max_mb > 0:
            page = db.execute("PRAGMA page_size").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {max(1, max_mb * 2**20 // page)}")
    except BaseException:
        db.close()
        raise
    return db


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    count = 1
    while target.exists():  # never over an earlier one
        count += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{count}")
    try:
        os.replace(path, target)
        for suffix in ("-wal", "-shm"):
            side = _sidecar(path, suffix)
            if side.exists():
                if suffix == "-wal":
                    os.replace(side, _sidecar(target, suffix))
                else:
                    side.unlink()  # the shared-memory index is rebuilt from the WAL
    except OSError as exc:
        raise StoreError(f"the queue database {path} is damaged and could not be moved aside: "
                         f"{exc.strerror or exc}") from None
    return target
