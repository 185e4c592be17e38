"""One SQLite connection per thread and process to a file every UI worker shares.

sqlite3 connections must not cross threads, and a connection opened before gunicorn forks
must not be used after it: each thread of each process opens its own, once, in WAL mode
(readers never wait for the writer; a killed process loses nothing it committed).
"""

import os
import sqlite3
import threading


class SharedSqliteFile:
    def __init__(self, path: str, schema: str, durable: bool = True):
        """schema: run once per connection (CREATE ... IF NOT EXISTS); durable False: the
        file may lose its last writes in a power cut (counters that cost nothing to lose)."""
        self.path, self.schema, self.durable = path, schema, durable
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            if not self.durable:
                connection.execute("PRAGMA synchronous=OFF")
            connection.executescript(self.schema)
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection
