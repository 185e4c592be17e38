"""Texts the two versions disagreed on, kept for review: bounded, expiring, never logged.

SQLite (the standard library's) rather than a file per process: the UI's gunicorn
workers all write to one store, `toxmon rollout samples` reads it, and the bounds are
two DELETE statements. Texts are user content: they stay in this file only, which
keeps at most `max_samples` rows and nothing older than `retention_hours`
(0 keeps none at all).
"""

import json
import logging
import os
import sqlite3
import time

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS disagreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    mode TEXT NOT NULL,
    primary_version TEXT,
    candidate_version TEXT,
    text TEXT NOT NULL,
    labels TEXT NOT NULL,            -- JSON: label -> direction
    primary_scores TEXT NOT NULL,    -- JSON: label -> score
    candidate_scores TEXT NOT NULL
)
"""


def default_path(routing_file: str) -> str:
    """Where the samples go when not configured: next to the routing file."""
    return os.path.join(os.path.dirname(os.path.abspath(routing_file)), "disagreements.sqlite")


class DisagreementSamples:
    def __init__(self, path: str, max_samples: int = 200, retention_hours: float = 72.0):
        self.path = path
        self.max_samples = max_samples
        self.retention_seconds = retention_hours * 3600
        self._schema_made = False

    @property
    def enabled(self) -> bool:
        return bool(self.path) and self.max_samples > 0 and self.retention_seconds > 0

    def _connect(self) -> sqlite3.Connection:
        if not self._schema_made:  # once per store and process, not per sample
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5)
        if not self._schema_made:
            connection.execute(SCHEMA)
            self._schema_made = True
        return connection

    def add(self, mode: str, versions: dict, text: str, disagreements: dict,
            primary_scores: dict, candidate_scores: dict) -> None:
        if not self.enabled:
            return
        try:
            with self._connect() as connection:
                connection.execute(
                    "INSERT INTO disagreements (at, mode, primary_version, candidate_version, text, labels,"
                    " primary_scores, candidate_scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (time.time(), mode, versions.get("primary"), versions.get("candidate"), text,
                     json.dumps(disagreements), json.dumps(primary_scores), json.dumps(candidate_scores)))
                self._trim(connection)
            connection.close()
        except sqlite3.Error as error:  # a sample is worth less than the comparison: count, go on
            logger.warning("could not keep a disagreement sample in %s: %s", self.path, error)

    def _trim(self, connection) -> None:
        connection.execute("DELETE FROM disagreements WHERE at < ?", (time.time() - self.retention_seconds,))
        connection.execute("DELETE FROM disagreements WHERE id NOT IN "
                           "(SELECT id FROM disagreements ORDER BY id DESC LIMIT ?)", (self.max_samples,))

    def recent(self, limit: int = 20) -> list[dict]:
        """The newest samples within the retention, newest first (reading deletes nothing)."""
        if not os.path.exists(self.path):
            return []
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT at, mode, primary_version, candidate_version, text, labels, primary_scores,"
                " candidate_scores FROM disagreements WHERE at >= ? ORDER BY id DESC LIMIT ?",
                (time.time() - self.retention_seconds, limit)).fetchall()
        connection.close()
        return [{"at": at, "mode": mode, "primary_version": primary, "candidate_version": candidate,
                 "text": text, "labels": json.loads(labels), "primary_scores": json.loads(primary_scores),
                 "candidate_scores": json.loads(candidate_scores)}
                for at, mode, primary, candidate, text, labels, primary_scores, candidate_scores in rows]
