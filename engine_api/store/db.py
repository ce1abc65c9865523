"""The database: engine creation (SQLite in WAL mode by default, PostgreSQL by URL) and migrations."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine, make_url

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn) -> None:
    # Straight to the driver: every read and write begins so, and SQLAlchemy's execution machinery cost ten times
    # the statement (SQLAlchemy keeps no state of its own about it: the driver is in autocommit mode).
    conn.connection.driver_connection.execute("BEGIN")


def private_sqlite_files(url: str) -> None:
    """The database file private to the engine's user (0600) before SQLite opens it: SQLite creates its WAL
    and shared-memory files with the database file's mode, and earlier ones are made private too."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            private_sqlite_files(url)
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 10}, pool_size=8, max_overflow=8
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
        # SQLite has one writer at a time; serialising writers here avoids busy retries.
        self._write_lock = threading.Lock() if self.sqlite else None

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            if not self.sqlite:  # engines starting together on one database migrate one after the other
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7235827001)")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
