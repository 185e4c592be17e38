"""Suggested scores (Perspective's comments:suggestscore), kept for the operator.

SQLite (the standard library's), like the rollout's samples: every gunicorn worker writes
to one file, `toxmon feedback` reads it, and retention is one DELETE. A row is committed
before the call is answered (WAL: a killed process loses nothing it acknowledged).
The texts are user content: they live in this file only, for `retention_days`.
"""

import json
import os
import time

from .sqlite_file import SharedSqliteFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,                 -- seconds since the epoch
    text TEXT NOT NULL,
    scores TEXT NOT NULL,             -- JSON: label -> suggested summary score
    spans TEXT NOT NULL,              -- JSON: label -> [[begin, end, score], ...]
    languages TEXT NOT NULL,          -- JSON list, as sent
    community_id TEXT,
    client_token TEXT,
    session_id TEXT,
    key_name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at);
"""
COLUMNS = ("id", "at", "text", "scores", "spans", "languages", "community_id", "client_token", "session_id",
           "key_name")


class FeedbackStore:
    def __init__(self, path: str, retention_days: float = 365.0):
        self.path = path
        self.retention_seconds = retention_days * 86400
        self._connection = SharedSqliteFile(path, SCHEMA).connection

    def add(self, text: str, scores: dict, spans: dict, languages: list, community_id: str | None,
            client_token: str | None, session_id: str | None, key_name: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        connection = self._connection()
        with connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO feedback (at, text, scores, spans, languages, community_id, client_token, session_id,"
                " key_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, text, json.dumps(scores), json.dumps(spans), json.dumps(languages), community_id,
                 client_token, session_id, key_name))
            connection.execute("DELETE FROM feedback WHERE at < ?", (now - self.retention_seconds,))

    def rows(self, community_id: str | None = None) -> list[dict]:
        """Every row within the retention, oldest first (reading deletes nothing)."""
        if not os.path.exists(self.path):
            return []
        query = f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE at >= ?"
        arguments = [time.time() - self.retention_seconds]
        if community_id is not None:
            query += " AND community_id = ?"
            arguments.append(community_id)
        rows = self._connection().execute(query + " ORDER BY id", arguments).fetchall()
        result = []
        for row in rows:
            item = dict(zip(COLUMNS, row))
            for field in ("scores", "spans", "languages"):
                item[field] = json.loads(item[field])
            result.append(item)
        return result

    def delete_expired(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        connection = self._connection()
        with connection:
            return connection.execute("DELETE FROM feedback WHERE at < ?", (now - self.retention_seconds,)).rowcount
