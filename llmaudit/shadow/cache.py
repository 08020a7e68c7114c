"""The on-disk answer cache: a rerun, or a run after a crash or Ctrl-C, never pays twice.

One SQLite file (stdlib ``sqlite3``), one row per answer, keyed by (request id,
candidate, SHA-256 of the exact body and endpoint). Each answer is committed as it
arrives, so an interrupted run keeps everything it paid for. The key is never stored:
the body and the URL are hashed, and the row holds only the answer and its usage.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from llmaudit.errors import InputError
from llmaudit.shadow.client import Reply

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    request_id TEXT NOT NULL,
    candidate TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    served_model TEXT,
    cost_usd REAL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (request_id, candidate, payload_sha256)
)
"""


class AnswerCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"{self.path}: cannot open the answer cache ({exc})",
                hint="pass another --cache path, or delete this file to start afresh (its answers are lost)",
            ) from None

    def get(self, request_id: str, candidate: str, digest: str) -> tuple[Reply, float | None] | None:
        row = self._db.execute(
            "SELECT text, input_tokens, output_tokens, served_model, cost_usd FROM answers "
            "WHERE request_id = ? AND candidate = ? AND payload_sha256 = ?",
            (request_id, candidate, digest),
        ).fetchone()
        if row is None:
            return None
        return Reply(row[0], row[1], row[2], row[3]), row[4]

    def put(self, request_id: str, candidate: str, digest: str, reply: Reply, cost_usd: float | None) -> None:
        assert reply.text is not None
        with self._db:  # one transaction per answer: committed before the next one is awaited
            self._db.execute(
                "INSERT OR REPLACE INTO answers (request_id, candidate, payload_sha256, text, input_tokens, "
                "output_tokens, served_model, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request_id,
                    candidate,
                    digest,
                    reply.text,
                    reply.input_tokens,
                    reply.output_tokens,
                    reply.served_model,
                    cost_usd,
                ),
            )

    def close(self) -> None:
        self._db.close()
