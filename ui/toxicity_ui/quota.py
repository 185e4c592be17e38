"""Calls per API key per minute, counted once for all of the UI's worker processes.

A quota is a promise to a key's owner: W gunicorn workers counting in memory would each
allow it whole. SQLite (the standard library's) holds one counter per key and minute,
incremented and read in one statement, so concurrent calls from every worker see one
count. `limits` (the per-address rate limit's library) has no storage shared between
processes without a server (Redis, memcached); a file beside the metrics needs none.
Windows are calendar minutes, as Google's per-minute quotas are.
"""

import math
import os
import tempfile
import time

from .errors import ApiError
from .sqlite_file import SharedSqliteFile

SCHEMA = "CREATE TABLE IF NOT EXISTS calls (key_name TEXT NOT NULL, minute INTEGER NOT NULL, " \
         "count INTEGER NOT NULL, PRIMARY KEY (key_name, minute)) WITHOUT ROWID;"


def quota_exceeded(name: str, quota: int, retry_after: int) -> ApiError:
    return ApiError(429, "quota_exceeded", f"Quota exceeded for API key '{name}': {quota} calls per minute.",
                    retry_after=retry_after)


class QuotaCounter:
    def __init__(self, path: str = ""):
        if not path:  # one process (tests, the development server): a file of its own
            handle, path = tempfile.mkstemp(prefix="toxicity-ui-quota-", suffix=".sqlite")
            os.close(handle)
        self.path = path
        # A counter lost in a power cut costs nothing: no wait for the disk.
        self._connection = SharedSqliteFile(path, SCHEMA, durable=False).connection
        self._connection()  # the table exists before the first call

    def take(self, name: str, quota: int, now: float | None = None) -> None:
        """Count one call of this key; over its quota, raise 429 with the seconds to the next minute."""
        if quota <= 0:
            return
        now = time.time() if now is None else now
        minute = int(now // 60)
        connection = self._connection()
        count, = connection.execute(
            "INSERT INTO calls VALUES (?, ?, 1) ON CONFLICT (key_name, minute) DO UPDATE SET count = count + 1 "
            "RETURNING count", (name, minute)).fetchone()
        if count == 1:  # the minute's first call: forget the minutes before
            connection.execute("DELETE FROM calls WHERE key_name = ? AND minute < ?", (name, minute))
        if count > quota:
            raise quota_exceeded(name, quota, max(1, math.ceil((minute + 1) * 60 - now)))
