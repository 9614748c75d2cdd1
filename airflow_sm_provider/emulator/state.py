"""Durable state of the emulator: one SQLite file, JSON documents, absolute times.

Why this shape: the emulator must survive kill -9 with in-flight operations intact. So nothing lives
only in memory and nothing runs in the background: every resource is a JSON document, every
asynchronous operation a row with absolute ``started``/``ends`` epoch times, and progress is derived
lazily from the clock on each request (``service.py`` applies completions whose end time has passed
inside the request's transaction). SQLite in WAL mode with ``synchronous=NORMAL`` keeps commits
durable across a process crash (not across an OS crash, which we do not need).

Resource keys are lower-cased names, because ASM compares resource names case-insensitively; the
documents keep the spelling the client created them with.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (
    subscription_id TEXT NOT NULL, thumbprint TEXT NOT NULL, PRIMARY KEY (subscription_id, thumbprint));
CREATE TABLE IF NOT EXISTS resources (
    sub TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (sub, kind, key));
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY, sub TEXT NOT NULL, kind TEXT NOT NULL, lock_key TEXT,
    started REAL NOT NULL, ends REAL NOT NULL, status TEXT NOT NULL, fail_code TEXT,
    http_status INTEGER, error_code TEXT, error_message TEXT, completion TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS operations_pending ON operations (status, ends);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class Operation:
    """One asynchronous operation. ``completion`` says what to apply when ``ends`` has passed."""

    id: str
    sub: str
    kind: str
    lock_key: str | None
    started: float
    ends: float
    status: str
    fail_code: str | None
    http_status: int | None
    error_code: str | None
    error_message: str | None
    completion: Doc


class Store:
    """Thread-safe access to the SQLite file: a single connection guarded by one re-entrant lock.

    One lock is enough: each request touches a handful of rows and takes well under a millisecond,
    and serialising requests makes every ASM rule (slot occupancy, locks) trivially race-free.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def tx(self) -> Iterator[Store]:
        """A write transaction (nested calls join the outer one); rolled back on any exception."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    # --- subscriptions and certificates ------------------------------------------------------
    def subscription(self, sub: str) -> Doc | None:
        row = self._db.execute("SELECT doc FROM subscriptions WHERE id = ?", (sub.lower(),)).fetchone()
        return json.loads(row[0]) if row else None

    def put_subscription(self, sub: str, doc: Doc) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO subscriptions (id, doc) VALUES (?, ?)", (sub.lower(), json.dumps(doc))
        )

    def subscriptions(self) -> list[Doc]:
        return [json.loads(r[0]) for r in self._db.execute("SELECT doc FROM subscriptions ORDER BY id")]

    def add_certificate(self, sub: str, thumbprint: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO certificates (subscription_id, thumbprint) VALUES (?, ?)",
            (sub.lower(), thumbprint.lower()),
        )

    def has_certificate(self, sub: str, thumbprint: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM certificates WHERE subscription_id = ? AND thumbprint = ?",
            (sub.lower(), thumbprint.lower()),
        ).fetchone()
        return row is not None

    def remove_certificate(self, sub: str, thumbprint: str) -> None:
        self._db.execute(
            "DELETE FROM certificates WHERE subscription_id = ? AND thumbprint = ?",
            (sub.lower(), thumbprint.lower()),
        )

    def subscriptions_of(self, thumbprint: str) -> list[str]:
        rows = self._db.execute(
            "SELECT subscription_id FROM certificates WHERE thumbprint = ? ORDER BY 1", (thumbprint.lower(),)
        )
        return [r[0] for r in rows]

    def certificates(self) -> list[tuple[str, str]]:
        return list(self._db.execute("SELECT subscription_id, thumbprint FROM certificates ORDER BY 1, 2"))

    # --- resources -----------------------------------------------------------------------------
    def get(self, sub: str, kind: str, key: str) -> Doc | None:
        row = self._db.execute(
            "SELECT doc FROM resources WHERE sub = ? AND kind = ? AND key = ?",
            (sub.lower(), kind, key.lower()),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, sub: str, kind: str, key: str, doc: Doc) -> None:
        """Insert or replace, keeping the original insertion order (``seq``) for listings."""
        sub, key = sub.lower(), key.lower()
        row = self._db.execute(
            "SELECT seq FROM resources WHERE sub = ? AND kind = ? AND key = ?", (sub, kind, key)
        ).fetchone()
        if row:
            seq = row[0]
        else:
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM resources").fetchone()[0]
        self._db.execute(
            "INSERT OR REPLACE INTO resources (sub, kind, key, doc, seq) VALUES (?, ?, ?, ?, ?)",
            (sub, kind, key, json.dumps(doc), seq),
        )

    def delete(self, sub: str, kind: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM resources WHERE sub = ? AND kind = ? AND key = ?", (sub.lower(), kind, key.lower())
        )

    def list_docs(self, sub: str | None, kind: str, prefix: str | None = None) -> list[Doc]:
        sql = "SELECT doc FROM resources WHERE kind = ?"
        args: list[Any] = [kind]
        if sub is not None:
            sql += " AND sub = ?"
            args.append(sub.lower())
        if prefix is not None:
            sql += " AND substr(key, 1, ?) = ?"
            args += [len(prefix), prefix.lower()]
        return [json.loads(r[0]) for r in self._db.execute(sql + " ORDER BY seq", args)]

    def exists_anywhere(self, kind: str, key: str) -> bool:
        """Global name clash check: cloudapp.net and blob.core names are shared by all subscriptions."""
        row = self._db.execute(
            "SELECT 1 FROM resources WHERE kind = ? AND key = ?", (kind, key.lower())
        ).fetchone()
        return row is not None

    # --- operations ------------------------------------------------------------------------------
    def add_operation(self, op: Operation) -> None:
        self._db.execute(
            "INSERT INTO operations (id, sub, kind, lock_key, started, ends, status, fail_code, http_status,"
            " error_code, error_message, completion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op.id,
                op.sub.lower(),
                op.kind,
                op.lock_key,
                op.started,
                op.ends,
                op.status,
                op.fail_code,
                op.http_status,
                op.error_code,
                op.error_message,
                json.dumps(op.completion),
            ),
        )

    def update_operation(self, op: Operation) -> None:
        self._db.execute(
            "UPDATE operations SET status = ?, http_status = ?, error_code = ?, error_message = ?"
            " WHERE id = ?",
            (op.status, op.http_status, op.error_code, op.error_message, op.id),
        )

    def operation(self, op_id: str) -> Operation | None:
        row = self._db.execute("SELECT * FROM operations WHERE id = ?", (op_id.lower(),)).fetchone()
        return _op(row) if row else None

    def due_operations(self, now: float) -> list[Operation]:
        rows = self._db.execute(
            "SELECT * FROM operations WHERE status = 'InProgress' AND ends <= ? ORDER BY ends, started",
            (now,),
        )
        return [_op(r) for r in rows]

    def pending_operations(self) -> list[Operation]:
        rows = self._db.execute("SELECT * FROM operations WHERE status = 'InProgress' ORDER BY started")
        return [_op(r) for r in rows]

    def locking_operation(self, lock_key: str) -> Operation | None:
        row = self._db.execute(
            "SELECT * FROM operations WHERE status = 'InProgress' AND instr(lock_key, ?) > 0"
            " ORDER BY started LIMIT 1",
            ("|" + lock_key.lower() + "|",),
        ).fetchone()
        return _op(row) if row else None

    def operations(self, sub: str | None = None) -> list[Operation]:
        if sub is None:
            return [_op(r) for r in self._db.execute("SELECT * FROM operations ORDER BY started")]
        rows = self._db.execute("SELECT * FROM operations WHERE sub = ? ORDER BY started, id", (sub.lower(),))
        return [_op(r) for r in rows]

    # --- meta / reset ----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def reset(self) -> None:
        """Forget resources and operations; subscriptions and certificates stay (the seam's contract)."""
        self._db.execute("DELETE FROM resources")
        self._db.execute("DELETE FROM operations")


def _op(row: tuple[Any, ...]) -> Operation:
    return Operation(
        id=row[0],
        sub=row[1],
        kind=row[2],
        lock_key=row[3],
        started=row[4],
        ends=row[5],
        status=row[6],
        fail_code=row[7],
        http_status=row[8],
        error_code=row[9],
        error_message=row[10],
        completion=json.loads(row[11]),
    )
