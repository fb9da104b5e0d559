"""A relayer's durable state in SQLite: a cursor per source chain and its queue of messages.

Each change is one committed transaction, so whenever the relayer is killed the
file holds a consistent state: a cursor never moves past messages it has not
queued (they are written together). Cursors only cover finalized blocks, so a
reorg within the finality depth never touches what is stored.

Statuses: ``pending`` (to send once attested), ``sent`` (a packet is on its way;
resent if no outcome by ``next_at``), ``submitted`` (one or more ``process``
transactions are out, each an open row of ``submissions`` until its receipt is
final), ``done`` and ``abandoned``.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    chain_id INTEGER PRIMARY KEY,
    block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    message_id BLOB PRIMARY KEY,
    src_chain_id INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    dst_chain_id INTEGER NOT NULL,
    block INTEGER NOT NULL,
    encoded BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    timeouts INTEGER NOT NULL DEFAULT 0,
    rejections INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    outcome TEXT,
    UNIQUE (src_chain_id, nonce)
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (status, next_at);
CREATE TABLE IF NOT EXISTS submissions (
    tx_hash BLOB PRIMARY KEY,
    message_id BLOB NOT NULL REFERENCES messages (message_id),
    dst_chain_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    check_at REAL NOT NULL,
    open INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS submissions_due ON submissions (open, check_at);
"""

ACTIVE = ("pending", "sent", "submitted")


@dataclass(frozen=True)
class QueuedMessage:
    message_id: bytes
    src_chain_id: int
    nonce: int
    dst_chain_id: int
    block: int
    encoded: bytes
    status: str
    attempts: int
    timeouts: int
    rejections: int
    next_at: float
    outcome: str | None


@dataclass(frozen=True)
class OpenSubmission:
    tx_hash: bytes
    message_id: bytes
    dst_chain_id: int
    attempt: int
    check_at: float


_COLUMNS = "message_id, src_chain_id, nonce, dst_chain_id, block, encoded, status, attempts, timeouts, rejections, next_at, outcome"


class RelayerStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        # the earliest time anything is due (None: unknown, ask the database); any write forgets it
        self._next_step: float | None = None
        self._next_check: float | None = None

    def close(self) -> None:
        self._db.close()

    # -- cursors and intake ----------------------------------------------------

    def cursor(self, chain_id: int) -> int:
        """The last block of ``chain_id`` whose messages are all queued (-1: none read yet)."""
        row = self._db.execute("SELECT block FROM cursors WHERE chain_id = ?", (chain_id,)).fetchone()
        return row[0] if row else -1

    def ingest(
        self, chain_id: int, up_to_block: int, messages: Iterable[tuple[bytes, int, int, int, bytes, str]], now: float
    ) -> None:
        """Queue ``(id, nonce, dst_chain_id, block, encoded, status)`` rows and move the cursor, atomically."""
        self._next_step = None
        with self._transaction():
            self._db.executemany(
                "INSERT INTO messages (message_id, src_chain_id, nonce, dst_chain_id, block, encoded, status, next_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                [(mid, chain_id, nonce, dst, block, enc, status, now) for mid, nonce, dst, block, enc, status in messages],
            )
            self._db.execute(
                "INSERT INTO cursors (chain_id, block) VALUES (?, ?) "
                "ON CONFLICT (chain_id) DO UPDATE SET block = excluded.block",
                (chain_id, up_to_block),
            )

    def leaves(self, chain_id: int) -> list[bytes]:
        """Message ids of ``chain_id`` in nonce order (to rebuild its tree)."""
        rows = self._db.execute(
            "SELECT message_id FROM messages WHERE src_chain_id = ? ORDER BY nonce", (chain_id,)
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    # -- the queue -------------------------------------------------------------

    def get(self, message_id: bytes) -> QueuedMessage | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM messages WHERE message_id = ?", (message_id,)).fetchone()
        return _queued(row) if row else None

    def due(self, now: float, limit: int = 10_000) -> list[QueuedMessage]:
        """Active messages whose next step is due, oldest first (ties by source and nonce)."""
        if self._next_step is None:
            self._next_step = self._earliest("SELECT MIN(next_at) FROM messages WHERE status IN ('pending', 'sent')")
        if now < self._next_step:
            return []
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE status IN ('pending', 'sent') AND next_at <= ? "
            "ORDER BY next_at, src_chain_id, nonce LIMIT ?",
            (now, limit),
        ).fetchall()
        return [_queued(r) for r in rows]

    def update(self, message_id: bytes, **changes: object) -> None:
        allowed = {"status", "attempts", "timeouts", "rejections", "next_at", "outcome"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
        columns = sorted(changes)
        self._next_step = None
        self._db.execute(
            f"UPDATE messages SET {', '.join(f'{c} = ?' for c in columns)} WHERE message_id = ?",
            [changes[c] for c in columns] + [message_id],
        )

    # -- submissions -----------------------------------------------------------

    def add_submission(self, tx_hash: bytes, message_id: bytes, dst_chain_id: int, attempt: int, check_at: float) -> None:
        """Record a sent ``process`` transaction; its message becomes ``submitted`` (unless already finished)."""
        self._next_step = self._next_check = None
        with self._transaction():
            self._db.execute(
                "INSERT INTO submissions (tx_hash, message_id, dst_chain_id, attempt, check_at) VALUES (?, ?, ?, ?, ?)",
                (tx_hash, message_id, dst_chain_id, attempt, check_at),
            )
            self._db.execute(
                "UPDATE messages SET status = 'submitted' WHERE message_id = ? AND status IN ('pending', 'sent')",
                (message_id,),
            )

    def due_submissions(self, now: float) -> list[OpenSubmission]:
        if self._next_check is None:
            self._next_check = self._earliest("SELECT MIN(check_at) FROM submissions WHERE open = 1")
        if now < self._next_check:
            return []
        rows = self._db.execute(
            "SELECT tx_hash, message_id, dst_chain_id, attempt, check_at FROM submissions "
            "WHERE open = 1 AND check_at <= ? ORDER BY check_at, rowid",
            (now,),
        ).fetchall()
        return [OpenSubmission(bytes(r[0]), bytes(r[1]), r[2], r[3], r[4]) for r in rows]

    def recheck_submission(self, tx_hash: bytes, check_at: float) -> None:
        self._next_check = None
        self._db.execute("UPDATE submissions SET check_at = ? WHERE tx_hash = ?", (check_at, tx_hash))

    def close_submission(self, tx_hash: bytes) -> int:
        """Close one submission; returns how many others are still open for its message."""
        self._next_check = None
        with self._transaction():
            self._db.execute("UPDATE submissions SET open = 0 WHERE tx_hash = ?", (tx_hash,))
            return self._db.execute(
                "SELECT COUNT(*) FROM submissions WHERE open = 1 AND message_id = "
                "(SELECT message_id FROM submissions WHERE tx_hash = ?)",
                (tx_hash,),
            ).fetchone()[0]

    def status_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status").fetchall()
        return {status: count for status, count in rows}

    def active_count(self) -> int:
        return self._db.execute(
            "SELECT COUNT(*) FROM messages WHERE status IN ('pending', 'sent', 'submitted')"
        ).fetchone()[0]

    def _earliest(self, query: str) -> float:
        value = self._db.execute(query).fetchone()[0]
        return math.inf if value is None else value

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _queued(row: tuple) -> QueuedMessage:
    values = list(row)
    values[0] = bytes(values[0])
    values[5] = bytes(values[5])
    return QueuedMessage(*values)
